# SPDX-License-Identifier: GPL-3.0-or-later
"""The whole review flow with key presses alone, as someone using a screen reader works:
no mouse, no calls into the app, every key goes to whatever widget has the focus."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest
from altlens.desktop.models.entries import Status
from PySide6.QtCore import Qt
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication

from tests.desktop.conftest import answer_next_dialog, open_image, wait_statuses

# These are the end-to-end write tests: without ExifTool (scripts/bootstrap.sh installs it)
# they fail, rather than skip and let a broken write path pass unnoticed.
pytestmark = pytest.mark.usefixtures("exiftool_installed")

K = Qt.Key
CTRL, SHIFT, ALT = (
    Qt.KeyboardModifier.ControlModifier,
    Qt.KeyboardModifier.ShiftModifier,
    Qt.KeyboardModifier.AltModifier,
)


def alt_text_in_file(path: Path) -> str | None:
    out = subprocess.run(
        ["exiftool", "-json", "-XMP-iptcCore:AltTextAccessibility", str(path)],
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    )
    return json.loads(out.stdout)[0].get("AltTextAccessibility")


def test_review_with_the_keyboard_only(qtbot, make_app, sample_images, record) -> None:
    images = sample_images(4)
    app = make_app(images)  # as `altlens gui a.jpg b.jpg ...`
    w = app.window
    wait_statuses(qtbot, app, images, {"suggested"})
    w.activateWindow()
    qtbot.waitActive(w)

    def press(key: Qt.Key, mods: Qt.KeyboardModifier = Qt.KeyboardModifier.NoModifier) -> None:
        target = QApplication.focusWidget() or w
        QTest.keyClick(target, key, mods)

    def focused() -> object:
        return QApplication.focusWidget()

    # F8: the next image needing review opens, the cursor in its alt text.
    press(K.Key_F8)
    qtbot.waitUntil(lambda: focused() is w.review.text_edit)
    first = open_image(app)
    entry = app.images.entry(first)
    # Alt+2 puts the second suggestion in the field; typing adds to it.
    press(K.Key_2, ALT)
    assert w.review.text_edit.text() == entry.candidates[1].text
    press(K.Key_End)
    QTest.keyClicks(focused(), " outdoors")
    assert app.images.entry(first).text == entry.candidates[1].text + " outdoors"
    # Ctrl+Enter approves and writes; the preview comes first and Enter confirms it.
    answer_next_dialog(lambda d: QTest.keyClick(d, K.Key_Return))
    finished = record(app.controller.write_finished)
    with qtbot.waitSignal(finished.fired, timeout=60_000):
        press(K.Key_Return, CTRL)
    assert app.images.entry(first).status is Status.WRITTEN
    assert alt_text_in_file(first) == entry.candidates[1].text + " outdoors"
    qtbot.waitUntil(lambda: focused() is w.review.text_edit and open_image(app) != first)
    # Ctrl+J rejects the next one and moves on; Ctrl+L skips one.
    second = open_image(app)
    press(K.Key_J, CTRL)
    third = open_image(app)
    assert third not in (first, second)  # moved on at once
    qtbot.waitUntil(lambda: app.images.entry(second).status is Status.REJECTED)
    assert app.library.get(second).status == "rejected"  # the list shows the library's record
    press(K.Key_L, CTRL)
    assert open_image(app) not in (first, second, third)
    # Skipped: kept by the library, and still needing review.
    qtbot.waitUntil(lambda: app.images.entry(third).status is Status.SKIPPED)
    assert app.library.get(third).status == "skipped" and app.images.entry(third).needs_review
    # Ctrl+1 shows all images; F6 moves between the list and the review panel; Enter in the
    # list opens the selected image.
    press(K.Key_1, CTRL)
    assert w.order.filter_name == "all"
    for _ in range(5):
        if focused() is w.list:
            break
        press(K.Key_F6)
    assert focused() is w.list
    press(K.Key_Return)
    qtbot.waitUntil(lambda: focused() is w.review.text_edit)
    # Ctrl+Page Up / Page Down walk the list back to the written image.
    order = w.order.paths()
    key = (
        K.Key_PageUp if order.index(first) < order.index(open_image(app)) else K.Key_PageDown
    )
    for _ in range(len(order)):
        if open_image(app) == first:
            break
        press(key, CTRL)
    assert open_image(app) == first and focused() is w.review.text_edit
    # Ctrl+Shift+Backspace undoes the write: the file holds nothing again.
    with qtbot.waitSignal(finished.fired, timeout=60_000):
        press(K.Key_Backspace, CTRL | SHIFT)
    assert alt_text_in_file(first) is None
    # Undone: the text still approved, no longer in the file; the badge says so.
    assert app.library.get(first).status == "undone"
    assert app.images.entry(first).status is Status.UNDONE
    assert w.review.badge.text().startswith("Write undone")
    # The announcements a screen reader heard along the way.
    heard = "\n".join(w.announcer.history)
    for words in (
        "Using suggestion 2",
        f"Written to {first.name}",
        f"Rejected {second.name}",
        f"Skipped {third.name}",
        f"Undid the last write to {first.name}",
    ):
        assert words in heard
