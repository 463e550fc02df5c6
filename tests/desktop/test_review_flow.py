# SPDX-License-Identifier: GPL-3.0-or-later
"""The review flow in the real window with the real captioner on the trained test model:
dropping, suggestions, editing, picking, rejecting, skipping, errors, folders."""

from __future__ import annotations

from pathlib import Path

from altlens.desktop.models.entries import Status
from PySide6.QtCore import Qt
from PySide6.QtTest import QTest

from tests.desktop.conftest import (
    answer_next_dialog,
    drop_on,
    open_image,
    spoken_row,
    wait_statuses,
)


def test_drop_edit_pick_reject_skip(qtbot, make_app, sample_images) -> None:
    """Acted through the window, checked on what the panel, the list and the library show."""
    app = make_app()
    w = app.window
    r = w.review
    images = sample_images(3)
    drop_on(w, images)
    wait_statuses(qtbot, app, images, {"suggested"})
    # The first suggestion is shown at once, marked as machine-made.
    shown = open_image(app)
    assert shown in images
    candidates = app.library.get(shown).candidates
    assert len(candidates) >= 2
    assert r.text_edit.text() == candidates[0].text
    assert r.badge.text().startswith("Machine suggestion")
    assert "machine suggestion" in spoken_row(app, shown)
    # Editing makes it the person's text.
    w.activateWindow()
    qtbot.waitActive(w)
    w.list.setFocus()
    QTest.keyClick(w.list, Qt.Key.Key_Return)  # Enter opens the selected image for review
    qtbot.waitUntil(r.text_edit.hasFocus)
    QTest.keyClicks(r.text_edit, " at noon")
    assert r.text_edit.text() == candidates[0].text + " at noon"
    assert r.badge.text().startswith("Edited by you")
    assert "machine suggestion" not in spoken_row(app, shown)
    # Alt+2 picks the second candidate, even with the cursor in the text.
    QTest.keyClick(r.text_edit, Qt.Key.Key_2, Qt.KeyboardModifier.AltModifier)
    assert r.text_edit.text() == candidates[1].text
    assert r.badge.text().startswith("Machine suggestion 2")
    in_use = r.candidate_model.index(1, 0).data(Qt.ItemDataRole.AccessibleTextRole)
    assert in_use.endswith(", in use")
    # Reject: nothing will be written; the next image needing review opens.
    first = shown
    w.commands.reject.trigger()
    second = open_image(app)
    assert second not in (None, first) and "Needs review" in spoken_row(app, second)
    qtbot.waitUntil(lambda: "Rejected" in spoken_row(app, first))
    assert app.library.get(first).status == "rejected"
    # Skip: the image stays undecided and comes back after the others.
    w.commands.skip.trigger()
    qtbot.waitUntil(lambda: "Skipped, needs review" in spoken_row(app, second))
    assert app.library.get(second).status == "skipped"
    third = open_image(app)
    assert third not in (first, second)
    w.commands.next_review.trigger()
    assert open_image(app) == second  # the only one left besides the open one
    assert sorted(rec.status for rec in app.library.images()) == ["rejected", "skipped", "suggested"]


def test_a_broken_image_shows_its_error_and_the_queue_goes_on(
    qtbot, make_app, sample_images, tmp_path: Path
) -> None:
    app = make_app()
    good = sample_images(2)
    broken = tmp_path / "broken.jpg"
    broken.write_bytes(b"\xff\xd8\xff\xe0 truncated")
    missing = tmp_path / "gone.png"
    drop_on(app.window, [good[0], broken, missing, good[1]])
    wait_statuses(qtbot, app, [*good, broken, missing], {"suggested", "error"})
    assert [app.images.entry(p).status for p in good] == [Status.SUGGESTED] * 2
    err = app.images.entry(broken)
    assert err.status is Status.ERROR and err.error.code == "corrupt-image"
    assert app.images.entry(missing).error.code == "file-missing"
    app.controller.open(broken, focus=True)
    assert app.window.review.error_box.isVisibleTo(app.window)
    assert "broken.jpg" in app.window.review.error_detail.text()
    assert app.window.commands.retry.isEnabled()
    assert app.images.counts()["error"] == 2
    # The list says so in words too.
    app.window.set_filter("error")
    assert sorted(app.order.paths()) == sorted([broken, missing])
    # Fixing the file and retrying works.
    good[0].rename(tmp_path / "fixed.jpg")
    (tmp_path / "fixed.jpg").rename(broken)
    app.window.commands.retry.trigger()
    wait_statuses(qtbot, app, [broken], {"suggested"})


def test_a_dropped_folder_is_captioned_once(qtbot, make_app, sample_images, tmp_path: Path) -> None:
    app = make_app()
    images = sample_images(3)
    sub = images[0].parent / "sub"
    sub.mkdir()
    nested = sub / "nested.jpg"
    images[0].with_name("x").write_bytes(b"")  # not an image name: ignored in folders
    nested.write_bytes(images[1].read_bytes())
    answer_next_dialog(lambda d: d.once.click())
    drop_on(app.window, [images[0].parent])
    qtbot.waitUntil(lambda: len(app.images.entries()) == 4, timeout=30_000)
    wait_statuses(qtbot, app, [*images, nested], {"suggested"})


def test_regenerate_gives_new_suggestions(qtbot, make_app, sample_images, record) -> None:
    app = make_app()
    image = sample_images(1)[0]
    drop_on(app.window, [image])
    wait_statuses(qtbot, app, [image], {"suggested"})
    app.controller.open(image)
    ready = record(app.caption_worker.caption_ready)
    with qtbot.waitSignal(ready.fired, timeout=60_000):
        app.window.commands.regenerate.trigger()
        # The person is told at once that a new suggestion is on its way.
        assert app.window.review.badge.text() == "Waiting for a suggestion from the model…"
    wait_statuses(qtbot, app, [image], {"suggested"})
    assert any(m.startswith("New suggestion for scene00.jpg") for m in app.window.announcer.history)
    assert 1 <= app.window.review.candidate_model.rowCount() <= 5  # the suggestions shown


def test_adding_the_same_files_again_changes_nothing(qtbot, make_app, sample_images) -> None:
    app = make_app()
    images = sample_images(2)
    drop_on(app.window, images)
    wait_statuses(qtbot, app, images, {"suggested"})
    app.controller.open(images[0])
    app.window.commands.reject.trigger()
    qtbot.waitUntil(lambda: app.images.entry(images[0]).status is Status.REJECTED)
    drop_on(app.window, images)
    qtbot.waitUntil(
        lambda: app.window.announcer.history[-1] == "These images are already in the list."
    )
    assert app.images.entry(images[0]).status is Status.REJECTED
    assert len(app.images.entries()) == 2


def test_cancel_and_pause_from_the_window(qtbot, make_app, sample_images, record) -> None:
    app = make_app()
    images = sample_images(6)
    app.window.commands.pause.setChecked(True)
    drop_on(app.window, images)
    qtbot.waitUntil(lambda: len(app.images.entries()) == 6)
    from altlens.desktop.workers.captioner import CancelQueued

    answered = record(app.caption_worker.done)
    with qtbot.waitSignal(
        answered.fired, timeout=30_000, check_params_cb=lambda a: isinstance(a[0], CancelQueued)
    ):
        app.window.commands.cancel.trigger()
    qtbot.waitUntil(lambda: all(e.status is Status.NEW for e in app.images.entries()))
    app.window.commands.pause.setChecked(False)
    drop_on(app.window, images[:2])  # dropping them again queues them again
    wait_statuses(qtbot, app, images[:2], {"suggested"})
