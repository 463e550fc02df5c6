# SPDX-License-Identifier: GPL-3.0-or-later
"""The five review bugs of issue 15, each as a person meets it with the keyboard and a screen
reader: what is open (the review panel's title), what the window title and list say, what was
announced at the moment it was announced, and what the library holds."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtTest import QTest

from tests.desktop.conftest import answer_next_dialog, drop_on, wait_statuses


@dataclass(frozen=True)
class Said:
    """One announcement and what the window showed when it was made."""

    message: str
    open_image: str  # the review panel's title
    window_title: str


def listen(app) -> list[Said]:
    said: list[Said] = []
    w = app.window
    app.window.announcer.announced.connect(
        lambda message, _assertive: said.append(
            Said(message, w.review.title.text(), w.windowTitle())
        )
    )
    return said


def open_first_in_list(qtbot, app) -> Path:
    """Move to the first row of the list as a person does (arrow keys in the list), so the
    list opens it."""
    w = app.window
    w.list.setFocus()
    w.list.setCurrentIndex(app.order.index(0, 0))
    path = app.order.paths()[0]
    qtbot.waitUntil(lambda: w.review.title.text() == path.name)
    return path


def library_status(app, path: Path) -> str:
    record = app.library.get(path)
    assert record is not None
    return record.status


def wait_recorded(qtbot, app, path: Path, status: str) -> None:
    """Wait until the library holds `status` for `path` and the list shows that record."""
    qtbot.waitUntil(
        lambda: library_status(app, path) == status
        and (e := app.images.entry(path)) is not None
        and e.status.value == status
    )


def ready_to_review(qtbot, make_app, sample_images, n: int):
    app = make_app()
    images = sample_images(n)
    drop_on(app.window, images)
    wait_statuses(qtbot, app, images, {"suggested"})
    app.window.commands.filters["review"].trigger()  # the "Needs review" view
    assert app.window.commands.sort_confidence.isChecked()  # lowest confidence first
    return app, images


# -- (a) a decision opens the next image in the list's order, never the one after ----------


def test_rejecting_opens_the_next_image_and_says_what_is_left(
    qtbot, make_app, sample_images
) -> None:
    app, _images = ready_to_review(qtbot, make_app, sample_images, 3)
    order = app.order.paths()  # 79%, 90%, 92% in the issue
    first = open_first_in_list(qtbot, app)
    said = listen(app)
    app.window.commands.reject.trigger()
    wait_recorded(qtbot, app, first, "rejected")
    assert app.window.review.title.text() == order[1].name
    # With one image still needing review open, nothing says "Nothing left to review".
    app.window.commands.reject.trigger()
    assert app.window.review.title.text() == order[2].name
    wait_recorded(qtbot, app, order[1], "rejected")
    assert "1 needs review" in app.window.windowTitle()
    assert not any(s.message.startswith("Nothing left to review") for s in said), said


def test_skipping_opens_the_next_image(qtbot, make_app, sample_images) -> None:
    app, _images = ready_to_review(qtbot, make_app, sample_images, 3)
    order = app.order.paths()
    open_first_in_list(qtbot, app)
    app.window.commands.skip.trigger()
    assert app.window.review.title.text() == order[1].name


def test_writing_opens_the_next_image(qtbot, make_app, sample_images, record) -> None:
    app, _images = ready_to_review(qtbot, make_app, sample_images, 3)
    order = app.order.paths()
    first = open_first_in_list(qtbot, app)
    answer_next_dialog(lambda d: d.write_button.click())  # the first write's preview
    finished = record(app.controller.write_finished)
    with qtbot.waitSignal(finished.fired, timeout=60_000):
        app.window.commands.approve.trigger()
    assert library_status(app, first) == "written"
    assert app.window.review.title.text() == order[1].name


# -- (b) the first announcement is true about what is open ----------------------------------


def test_first_suggestion_announcement_matches_what_is_open(
    qtbot, make_app, sample_images
) -> None:
    app = make_app()
    said = listen(app)
    images = sample_images(3)
    drop_on(app.window, images)
    wait_statuses(qtbot, app, images, {"suggested"})
    first = [s for s in said if s.message.startswith("First suggestion ready")]
    assert len(first) == 1, said
    s = first[0]
    assert s.open_image != "No image open"
    # It names the open image and does not send the person elsewhere with F8.
    assert s.open_image in s.message and "F8" not in s.message, s


# -- (c) undo in the "Written" view keeps the undone image open -----------------------------


def test_undo_in_the_written_view_keeps_that_image_open(
    qtbot, make_app, sample_images, record
) -> None:
    app, images = ready_to_review(qtbot, make_app, sample_images, 2)
    w = app.window
    finished = record(app.controller.write_finished)
    answer_next_dialog(lambda d: d.write_button.click())
    for _ in images:
        open_first_in_list(qtbot, app)
        n = len(finished.calls)
        with qtbot.waitSignal(finished.fired, timeout=60_000):
            w.commands.approve.trigger()
        assert finished.calls[n][1] is True
    assert {library_status(app, p) for p in images} == {"written"}
    w.commands.filters["written"].trigger()
    target = open_first_in_list(qtbot, app)
    said = listen(app)
    with qtbot.waitSignal(finished.fired, timeout=60_000):
        w.commands.undo_write.trigger()
    # The panel still shows the image whose write was undone, as the announcement says.
    assert w.review.title.text() == target.name
    wait_recorded(qtbot, app, target, "undone")  # a state of its own, kept by the library
    assert any(s.message.startswith(f"Undid the last write to {target.name}") for s in said)
    assert all(s.open_image == target.name for s in said), said
    # Undo again cannot reach the other written image, which nobody mentioned.
    assert not w.commands.undo_write.isEnabled()
    other = next(p for p in images if p != target)
    assert library_status(app, other) == "written"


# -- (d) the header's confidence is the chosen candidate's -----------------------------------


def test_header_confidence_is_the_chosen_suggestions(qtbot, make_app, sample_images) -> None:
    app, _images = ready_to_review(qtbot, make_app, sample_images, 1)
    w = app.window
    open_first_in_list(qtbot, app)
    image = app.order.paths()[0]
    record = app.library.get(image)
    first, second = (round(c.score * 100) for c in record.candidates[:2])
    assert first != second  # else this test could not tell them apart
    w.review.text_edit.setFocus()
    QTest.keyClick(w.review.text_edit, Qt.Key.Key_2, Qt.KeyboardModifier.AltModifier)
    badge = w.review.badge.text()
    assert badge.startswith(f"Machine suggestion 2 (confidence {second}%)"), badge


# -- (e) a skip is remembered, in the session and after a restart ----------------------------


def test_a_skip_is_shown_and_remembered_after_a_restart(qtbot, make_app, sample_images) -> None:
    app, _images = ready_to_review(qtbot, make_app, sample_images, 2)
    skipped = open_first_in_list(qtbot, app)
    app.window.commands.skip.trigger()
    wait_recorded(qtbot, app, skipped, "skipped")
    row = app.order.paths().index(skipped)
    assert "Skipped" in app.order.index(row, 0).data(Qt.ItemDataRole.AccessibleTextRole)
    # After a restart the library and the window still know.
    app2 = make_app()
    qtbot.waitUntil(lambda: app2.images.entry(skipped) is not None)
    assert library_status(app2, skipped) == "skipped"
    app2.controller.open(skipped)
    assert app2.window.review.badge.text().startswith("Skipped")
