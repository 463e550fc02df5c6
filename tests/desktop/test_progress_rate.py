# SPDX-License-Identifier: GPL-3.0-or-later
"""The progress strip says the rate in images per second and the time left at the measured
pace, in the bar and in its accessible description, and never claims either too early."""

from __future__ import annotations

from altlens.core.rate import RateMeter
from altlens.desktop.views.actions import Actions
from altlens.desktop.views.panels import ProgressStrip
from PySide6.QtWidgets import QWidget


class FakeClock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def make_strip(qtbot) -> tuple[ProgressStrip, FakeClock, QWidget]:
    """The strip, its fake clock and the widget holding it (kept by the caller, or Python
    deletes it with the strip)."""
    host = QWidget()
    qtbot.addWidget(host)
    strip = ProgressStrip(Actions(host), host)
    clock = FakeClock()
    strip.meter = RateMeter(clock=clock)
    return strip, clock, host


def test_rate_and_time_left_follow_the_measured_pace(qtbot) -> None:
    strip, clock, _host = make_strip(qtbot)
    strip.set_progress(0, 100)
    clock.now += 40.0  # loading the model: not part of the pace
    strip.set_progress(1, 100)
    assert strip.bar.format() == "Captioned 1 of 100"  # too early for a rate or a time
    for done in range(2, 11):
        clock.now += 0.5
        strip.set_progress(done, 100)
    text = strip.bar.format()
    assert text == "Captioned 10 of 100 — 2.0 images/s — about 45 seconds left"
    assert strip.bar.accessibleDescription() == text
    assert strip.bar.accessibleName() == "Captioning progress"


def test_slow_rates_keep_two_decimals_and_a_pause_is_not_counted(qtbot) -> None:
    strip, clock, _host = make_strip(qtbot)
    strip.set_progress(0, 50)
    for done in range(1, 5):
        clock.now += 4.0
        strip.set_progress(done, 50)
    assert "0.25 images/s" in strip.bar.format()
    assert "about 3 minutes left" in strip.bar.format()  # 46 left at 4 s each
    strip.set_paused(True)
    strip.set_progress(4, 50, paused=True)
    assert strip.bar.format() == "Captioned 4 of 50 (paused)"
    clock.now += 3600.0
    strip.set_paused(False)
    strip.set_progress(5, 50)  # the first result after the pause restarts the measure
    clock.now += 4.0
    strip.set_progress(6, 50)
    assert "0.25 images/s" in strip.bar.format()
    strip.set_idle()
    assert strip.bar.format() == "Captioning idle" and strip.meter.rate is None
