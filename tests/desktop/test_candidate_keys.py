# SPDX-License-Identifier: GPL-3.0-or-later
"""Suggestion keys work where the person is: Alt+1-5 everywhere; a bare digit types in a
text field and picks a suggestion only where nothing can be typed. The menu, the shortcut
overview (F1) and the README say the same."""

from __future__ import annotations

from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from PySide6.QtTest import QTest

from tests.desktop.conftest import wait_statuses

REPO = Path(__file__).resolve().parents[2]
ALT = Qt.KeyboardModifier.AltModifier


@pytest.fixture
def review(qtbot, make_app, sample_images):
    images = sample_images(1)
    app = make_app(images)
    wait_statuses(qtbot, app, images, {"suggested"})
    w = app.window
    w.activateWindow()
    qtbot.waitActive(w)
    app.controller.open(images[0], focus=True)
    qtbot.waitUntil(lambda: w.review.text_edit.hasFocus())
    assert w.review.candidate_model.rowCount() >= 2
    return app


def test_a_digit_in_the_alt_text_is_typed(qtbot, review) -> None:
    r = review.window.review
    before = r.text_edit.text()
    QTest.keyClicks(r.text_edit, "2")
    assert r.text_edit.text() == before + "2"
    entry = review.controller.entry()
    assert entry.edited and entry.chosen is None  # typing, not picking


def test_alt_digit_picks_from_the_alt_text(qtbot, review) -> None:
    r = review.window.review
    second = r.candidate_model.candidate(1).text
    QTest.keyClick(r.text_edit, Qt.Key.Key_2, ALT)
    assert r.text_edit.text() == second
    assert review.controller.entry().chosen == 1


def test_a_digit_in_the_suggestions_picks(qtbot, review) -> None:
    r = review.window.review
    second = r.candidate_model.candidate(1).text
    r.candidates.setFocus()
    qtbot.waitUntil(lambda: r.candidates.hasFocus())
    QTest.keyClicks(r.candidates, "2")
    assert r.text_edit.text() == second
    assert review.controller.entry().chosen == 1


def test_the_keys_are_documented_the_same_everywhere(review) -> None:
    from altlens.desktop.views.dialogs import ShortcutsDialog

    w = review.window
    pick = w.commands.all["pick_2"]
    assert pick.shortcut().toString() == "Alt+2"  # what the menu shows: works everywhere
    dialog = ShortcutsDialog(w.commands, w)
    table = dialog.table
    rows = {
        table.item(r, 0).text(): table.item(r, 1).text() for r in range(table.rowCount())
    }
    assert rows["Use Suggestion 2"] == "Alt+2 anywhere; 2 outside text fields"
    dialog.deleteLater()
    assert "Alt+1" in w.review.candidates_label.text()
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    assert "keys 1-5," not in readme
    assert "Alt+1-5 anywhere, or 1-5 where you are not typing" in readme
