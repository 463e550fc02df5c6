# SPDX-License-Identifier: GPL-3.0-or-later
"""From a drop to text in the file and back: the real window, the real captioner on the test
model, the real metadata writer with ExifTool, checked with the ExifTool command line."""

from __future__ import annotations

import json
import subprocess
import threading
from pathlib import Path

import pytest
from PySide6.QtCore import Qt, QThread
from PySide6.QtTest import QTest

from altlens.core.alttext import clean_text
from altlens.core.metadata.journal import WriteJournal
from altlens.core.metadata.types import ROLES
from altlens.core.paths import app_dirs
from altlens.desktop.models.entries import Status
from tests.desktop.conftest import answer_next_dialog, drop_on, open_image, wait_statuses

# These are the end-to-end write tests: without ExifTool (scripts/bootstrap.sh installs it)
# they fail, rather than skip and let a broken write path pass unnoticed.
pytestmark = pytest.mark.usefixtures("exiftool_installed")

ALT = "XMP-iptcCore:AltTextAccessibility"


def exiftool(path: Path) -> dict[str, str]:
    out = subprocess.run(
        [
            "exiftool",
            "-json",
            "-G1",
            "-XMP-iptcCore:AltTextAccessibility",
            "-XMP-dc:Description",
            "-IFD0:ImageDescription",
            str(path),
        ],
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    )
    return {k: v for k, v in json.loads(out.stdout)[0].items() if k != "SourceFile"}


def confirm_preview(dialogs: list[object]) -> None:
    """Answer the write preview with Write, after recording what it showed."""

    def answer(d) -> None:
        dialogs.append(
            [
                (d.changes.item(r, 3).text(), d.changes.item(r, 2).text())
                for r in range(d.changes.rowCount())
            ]
        )
        d.write_button.click()

    answer_next_dialog(answer)


def test_drop_suggest_edit_pick_approve_write_undo(qtbot, make_app, sample_images, record) -> None:
    app = make_app()
    w, c = app.window, app.controller
    images = sample_images(3)
    drop_on(w, images)
    wait_statuses(qtbot, app, images, {"suggested"})
    w.activateWindow()
    qtbot.waitActive(w)
    target = open_image(app)
    w.list.setFocus()
    QTest.keyClick(w.list, Qt.Key.Key_Return)  # Enter opens the selected image for review
    qtbot.waitUntil(w.review.text_edit.hasFocus)
    entry = app.library.get(target)
    assert len(entry.candidates) >= 2
    # Pick the second suggestion by key, then edit it.
    QTest.keyClick(w.review.text_edit, Qt.Key.Key_2, Qt.KeyboardModifier.AltModifier)
    assert w.review.text_edit.text() == entry.candidates[1].text
    QTest.keyClick(w.review.text_edit, Qt.Key.Key_End)
    QTest.keyClicks(w.review.text_edit, ", seen from above")
    text = entry.candidates[1].text + ", seen from above"
    assert w.review.text_edit.text() == text and w.review.badge.text().startswith("Edited by you")
    # Approve and write: the first write of the session shows the fields first.
    shown: list[object] = []
    confirm_preview(shown)
    finished = record(c.write_finished)
    with qtbot.waitSignal(finished.fired, timeout=60_000):
        QTest.keyClick(w.review.text_edit, Qt.Key.Key_Return, Qt.KeyboardModifier.ControlModifier)
    assert finished.calls[0] == (target, True)
    text = clean_text(text)  # what is stored: one line, no control characters
    assert (ALT, text) in shown[0]
    assert app.images.entry(target).status is Status.WRITTEN
    tags = exiftool(target)
    assert (
        tags[ALT] == text
        and tags["XMP-dc:Description"] == text
        and tags["IFD0:ImageDescription"] == text
    )
    assert any(m.startswith(f"Written to {target.name}") for m in w.announcer.history)
    # The library links exactly the journal entry of this write, and that entry holds it.
    write_id = app.images.entry(target).journal_id
    assert write_id is not None and app.library.journal_ids(target) == [write_id]
    journal = WriteJournal(app_dirs().data / "journal.sqlite3")
    written = journal.entry(write_id)
    assert written is not None and written.kind == "write" and written.state == "done"
    assert {(c.field, c.old, c.new) for c in written.changes if c.role in ROLES} == {
        (ALT, None, text), ("XMP-dc:Description", None, text), ("IFD0:ImageDescription", None, text)
    }
    # The next image needing review opened, with the cursor in its alt text.
    assert open_image(app) not in (None, target)
    qtbot.waitUntil(w.review.text_edit.hasFocus)
    # Undo the write of that image: the text is gone from the file.
    c.open(target, focus=True)
    with qtbot.waitSignal(finished.fired, timeout=60_000):
        w.commands.undo_write.trigger()
    assert finished.calls[-1] == (target, True)
    tags = exiftool(target)
    assert (
        ALT not in tags and "XMP-dc:Description" not in tags and "IFD0:ImageDescription" not in tags
    )
    # Its own state: the text still approved, no longer in the file.
    assert app.images.entry(target).status is Status.UNDONE
    assert app.library.get(target).status == "undone"
    assert any(m.startswith(f"Undid the last write to {target.name}") for m in w.announcer.history)
    # The undo is linked after the write, and undid that very entry.
    assert app.library.journal_ids(target)[0] == write_id
    [undo] = journal.entries_by_id(app.library.journal_ids(target)[1:])
    assert undo.kind == "undo" and undo.undoes == write_id
    assert journal.entry(write_id).undone_by == undo.id
    journal.close()


def test_text_a_person_wrote_is_kept_unless_overwrite_is_on(
    qtbot, make_app, sample_images, record
) -> None:
    image = sample_images(1)[0]
    subprocess.run(
        ["exiftool", "-overwrite_original", "-XMP-dc:Description=My own caption", str(image)],
        check=True,
        capture_output=True,
    )
    app = make_app([image])
    c = app.controller
    wait_statuses(qtbot, app, [image], {"suggested"})
    c.open(image)
    qtbot.waitUntil(lambda: app.window.review.on_disk.isVisibleTo(app.window), timeout=30_000)
    assert "My own caption" in app.window.review.on_disk.text()
    shown: list[object] = []
    confirm_preview(shown)
    finished = record(c.write_finished)
    with qtbot.waitSignal(finished.fired, timeout=60_000):
        app.window.commands.approve.trigger()
    tags = exiftool(image)
    assert tags["XMP-dc:Description"] == "My own caption"  # a person's text is kept
    assert tags[ALT] == clean_text(app.images.entry(image).text)
    # With "replace existing text", Preview Write (Ctrl+P) shows the old and new values.
    app.settings.set_value("write/overwrite", True)
    c.open(image)
    c.set_text("Three shapes")
    seen: list[object] = []
    answer_next_dialog(
        lambda d: (
            seen.append(
                [
                    (
                        d.changes.item(r, 3).text(),
                        d.changes.item(r, 1).text(),
                        d.changes.item(r, 2).text(),
                    )
                    for r in range(d.changes.rowCount())
                ]
            ),
            d.reject(),
        )
    )
    from altlens.desktop.workers.writer import PreviewWrite

    preview = record(app.writer_worker.done)
    with qtbot.waitSignal(
        preview.fired, timeout=30_000, check_params_cb=lambda a: isinstance(a[0], PreviewWrite)
    ):
        app.window.commands.preview_write.trigger()
    qtbot.waitUntil(lambda: bool(seen), timeout=10_000)
    assert ("XMP-dc:Description", "My own caption", "Three shapes") in seen[0]
    assert exiftool(image)["XMP-dc:Description"] == "My own caption"  # a preview writes nothing


def test_a_failed_write_is_explained_and_keeps_the_approval(
    qtbot, make_app, sample_images, record
) -> None:
    image = sample_images(1)[0]
    app = make_app([image])
    c = app.controller
    wait_statuses(qtbot, app, [image], {"suggested"})
    c.open(image)
    c.writing.previewed = True  # as after a first write with its preview
    image.unlink()
    finished = record(c.write_finished)
    with qtbot.waitSignal(finished.fired, timeout=60_000):
        app.window.commands.approve.trigger()
    assert finished.calls[0] == (image, False)
    entry = app.images.entry(image)
    assert entry.status is Status.APPROVED and entry.error is not None and not entry.writing
    assert app.window.announcer.history[-1].startswith(f"Could not write {image.name}")


def test_bulk_approve_writes_the_selection(qtbot, make_app, sample_images, record) -> None:
    images = sample_images(3)
    app = make_app(images)
    w, c = app.window, app.controller
    wait_statuses(qtbot, app, images, {"suggested"})
    w.set_filter("review")
    w.list.selectAll()
    answer_next_dialog(
        lambda box: box.button(box.StandardButton.Yes).click()
    )  # "Approve and write 3 images?"
    confirm_preview([])
    finished = record(c.write_finished)
    with qtbot.waitSignal(
        finished.fired, timeout=120_000, check_params_cb=lambda _a: len(finished.calls) == 3
    ):
        w.commands.approve_selected.trigger()
    assert all(ok for _p, ok in finished.calls)
    links = []
    for p in images:
        assert exiftool(p)[ALT] == clean_text(app.images.entry(p).text)
        assert app.images.entry(p).status is Status.WRITTEN
        links += app.library.journal_ids(p)
        assert app.library.journal_ids(p) == [app.images.entry(p).journal_id]
    journal = WriteJournal(app_dirs().data / "journal.sqlite3")  # one write entry per image
    entries = journal.entries_by_id(links)
    journal.close()
    assert sorted((e.kind, e.path.name) for e in entries) == sorted(
        ("write", p.name) for p in images
    )


def test_model_and_file_work_never_runs_on_the_gui_thread(
    qtbot, make_app, sample_images, record, monkeypatch: pytest.MonkeyPatch
) -> None:
    import altlens.core.images
    from altlens import core
    from altlens.core.captioning.engine import Captioner
    from altlens.core.metadata import MetadataWriter

    calls: list[tuple[str, bool]] = []
    gui = QThread.currentThread()

    def spy(owner: object, attr: str) -> None:
        real = getattr(owner, attr)

        def wrapper(*a, **kw):
            calls.append(
                (
                    attr,
                    QThread.currentThread() is gui
                    or threading.current_thread() is threading.main_thread(),
                )
            )
            return real(*a, **kw)

        monkeypatch.setattr(owner, attr, wrapper)

    for attr in ("load", "_caption_images"):
        spy(Captioner, attr)
    for attr in ("read", "preview", "write", "undo"):
        spy(MetadataWriter, attr)
    spy(core.images, "load_image")  # thumbnails and previews
    import altlens.desktop.workers.images
    from altlens import desktop

    monkeypatch.setattr(desktop.workers.images, "load_image", core.images.load_image)
    images = sample_images(2)
    app = make_app(images)
    c = app.controller
    wait_statuses(qtbot, app, images, {"suggested"})
    c.open(images[0])
    finished = record(c.write_finished)
    confirm_preview([])
    with qtbot.waitSignal(finished.fired, timeout=60_000):
        app.window.commands.approve.trigger()
    c.open(images[0])
    with qtbot.waitSignal(finished.fired, timeout=60_000):
        app.window.commands.undo_write.trigger()
    qtbot.waitUntil(
        lambda: (
            {"load", "_caption_images", "read", "preview", "write", "undo", "load_image"}
            <= {n for n, _ in calls}
        ),
        timeout=30_000,
    )
    on_gui = [n for n, gui_thread in calls if gui_thread]
    assert on_gui == [], on_gui
