# SPDX-License-Identifier: GPL-3.0-or-later
"""The run's rate and time left follow the measured pace: model loading does not count, a
burst of batched results counts with the time it took, a pause is not slowness, and nothing
is claimed before a few images were measured."""

from __future__ import annotations

import pytest
from altlens.core.rate import RateMeter


class FakeClock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def test_no_rate_until_a_few_images_were_measured() -> None:
    clock = FakeClock()
    meter = RateMeter(clock=clock, min_items=3)
    assert meter.rate is None and meter.seconds_left(0, 10) is None
    meter.update(0)  # the run starts
    clock.now = 30.0  # the model took 30 s to load; the first image finishes
    meter.update(1)
    assert meter.rate is None
    for done in (2, 3):
        clock.now += 2.0
        meter.update(done)
        assert meter.rate is None  # 1, then 2 images measured
    clock.now += 2.0
    meter.update(4)
    assert meter.rate == pytest.approx(0.5)
    # 96 left at one every 2 s; done/elapsed from the start would say 4/36 s: far too slow.
    assert meter.seconds_left(4, 100) == pytest.approx(192.0)


def test_bursts_of_batched_results_count_with_their_time() -> None:
    clock = FakeClock()
    meter = RateMeter(clock=clock)
    clock.now = 12.0
    done = 0
    for _batch in range(6):  # eight results at once every 4 s: 2 images/s
        clock.now += 4.0
        for _ in range(8):
            done += 1
            meter.update(done)
            clock.now += 0.001
    assert meter.rate == pytest.approx(2.0, rel=0.02)
    assert meter.seconds_left(done, done + 20) == pytest.approx(10.0, rel=0.02)


def test_the_rate_follows_a_change_of_pace() -> None:
    clock = FakeClock()
    meter = RateMeter(clock=clock, half_life=10.0)
    done = 0
    meter.update(done)
    for _ in range(30):  # 1 image/s
        clock.now += 1.0
        done += 1
        meter.update(done)
    assert meter.rate == pytest.approx(1.0)
    for _ in range(40):  # then 4 images/s for 40 s: four half-lives
        clock.now += 1.0
        done += 4
        meter.update(done)
    assert 3.7 < meter.rate <= 4.0


def test_a_pause_is_not_counted_as_slowness() -> None:
    clock = FakeClock()
    meter = RateMeter(clock=clock)
    done = 0
    meter.update(0)
    for _ in range(10):
        clock.now += 1.0
        done += 2
        meter.update(done)
    meter.pause()
    clock.now += 600.0  # ten minutes paused
    done += 2
    meter.update(done)  # the first result after resuming only restarts the measure
    clock.now += 1.0
    done += 2
    meter.update(done)
    assert meter.rate == pytest.approx(2.0)


def test_a_new_run_and_nothing_left() -> None:
    clock = FakeClock()
    meter = RateMeter(clock=clock, min_items=1)
    meter.update(1)
    clock.now = 2.0
    meter.update(5)
    assert meter.rate == pytest.approx(2.0)
    assert meter.seconds_left(5, 5) is None  # finished: no time left to show
    meter.reset()
    assert meter.rate is None
    meter.update(10)
    clock.now = 3.0
    meter.update(3)  # a count that went back is a new run: it only anchors
    assert meter.rate is None
    with pytest.raises(ValueError):
        RateMeter(half_life=0)
