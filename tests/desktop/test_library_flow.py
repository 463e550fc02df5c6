# SPDX-License-Identifier: GPL-3.0-or-later
"""The window on the library: results kept as they arrive, across a restart and a kill;
watched folders with real file-system events; AltLens's own writes do not requeue."""

from __future__ import annotations

import os
import shutil
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest
from altlens.core.library import Library
from altlens.desktop.models.entries import Status

from tests.desktop.conftest import REPO_ROOT, answer_next_dialog, drop_on, wait_statuses


def test_decisions_survive_closing_the_window(qtbot, make_app, sample_images, record) -> None:
    images = sample_images(3)
    app = make_app(images)
    c = app.controller
    wait_statuses(qtbot, app, images, {"suggested"})
    c.open(images[0])
    c.set_text("Two shapes, edited by a person")
    app.window.commands.reject.trigger()  # images[0] rejected; the next opens
    c.open(images[1])
    c.set_decorative(True)
    changed = record(app.writer_worker.records_changed)
    with qtbot.waitSignal(changed.fired, timeout=30_000):
        app.window.commands.approve.trigger()  # decorative: recorded, nothing written
    candidates = app.images.entry(images[2]).candidates
    assert app.shutdown()

    again = make_app()
    qtbot.waitUntil(lambda: len(again.images.entries()) == 3, timeout=30_000)
    qtbot.waitUntil(
        lambda: (
            "1 image from earlier needs review. Press F8 to start."
            in again.window.announcer.history
        )
    )
    got = {p: again.images.entry(p) for p in images}
    assert got[images[0]].status is Status.REJECTED
    assert got[images[1]].status is Status.APPROVED and got[images[1]].decorative
    assert got[images[2]].status is Status.SUGGESTED and got[images[2]].candidates == candidates
    assert "Approved as decorative" in _badge(again, images[1])


def _badge(app, path: Path) -> str:
    app.controller.open(path)
    return app.window.review.badge.text()


def test_watched_folder_follows_the_disk(
    qtbot, make_app, sample_images, tmp_path: Path, record, exiftool_installed
) -> None:
    images = sample_images(2)
    folder = images[0].parent
    spare = sample_images(3, prefix="spare")[2]
    outside = tmp_path / "later.jpg"
    spare.rename(outside)  # drawn, but not in the folder yet
    for p in sample_images(3, prefix="spare")[:2]:
        p.unlink()
    app = make_app(watch_debounce=0.2)
    c = app.controller
    failures = record(app.library_worker.folder_failed)
    sent = record(app.library_worker.records_changed)
    c.watch_folders([folder], recursive=True)
    wait_statuses(qtbot, app, images, {"suggested"})
    qtbot.waitUntil(lambda: any(r.path == images[0] for batch in sent.values for r in batch))
    assert failures.calls == []  # the first scan went through and sent the folder's images
    qtbot.waitUntil(lambda: app.window.folders_panel.model.rowCount() == 1)
    assert app.window.folders_dock.isVisibleTo(app.window)
    # A new photo copied in is found and captioned.
    arrived = folder / "arrived.jpg"
    shutil.copy(outside, arrived)
    qtbot.waitUntil(lambda: app.images.entry(arrived) is not None, timeout=30_000)
    wait_statuses(qtbot, app, [arrived], {"suggested"})
    # A deleted one leaves the list.
    images[1].unlink()
    qtbot.waitUntil(lambda: app.images.entry(images[1]) is None, timeout=30_000)
    # Our own write changes the file; the watcher sees it and nothing is captioned again.
    c.open(images[0])
    c.writing.previewed = True  # as after a first write with its preview
    finished = record(c.write_finished)
    with qtbot.waitSignal(finished.fired, timeout=60_000):
        app.window.commands.approve.trigger()
    runs = Library(app.library.path)
    try:
        before = runs.get(images[0]).caption_runs
        touched = folder / "touch.jpg"  # a later event proves the watcher has looked since
        shutil.copy(outside, touched)
        qtbot.waitUntil(lambda: app.images.entry(touched) is not None, timeout=30_000)
        wait_statuses(qtbot, app, [touched], {"suggested"})
        row = runs.get(images[0])
        assert row.status == "written" and row.caption_runs == before and not row.queued
    finally:
        runs.close()
    assert app.images.entry(images[0]).status is Status.WRITTEN
    # Pausing and removing the folder from the panel.
    panel = app.window.folders_panel
    folders = record(app.library_worker.folders_changed)
    with qtbot.waitSignal(folders.fired, timeout=10_000):
        panel.paused.click()
    assert folders.values[-1][0].paused
    with qtbot.waitSignal(folders.fired, timeout=10_000):
        panel.remove.click()
    assert folders.values[-1] == ()
    assert app.images.entry(images[0]) is not None  # its images stay


def test_a_dropped_folder_can_be_watched(qtbot, make_app, sample_images, record) -> None:
    images = sample_images(2)
    app = make_app(watch_debounce=0.2)
    folders = record(app.library_worker.folders_changed)
    answer_next_dialog(lambda d: d.watch.click())
    with qtbot.waitSignal(folders.fired, timeout=30_000, check_params_cb=lambda a: bool(a)):
        drop_on(app.window, [images[0].parent])
    assert [f.path for f in folders.values[-1]] == [images[0].parent]
    wait_statuses(qtbot, app, images, {"suggested"})


@pytest.mark.slow
def test_a_killed_app_loses_no_caption(tmp_path: Path, sample_images, toy_model_dir: Path) -> None:
    """SIGKILL the app while it captions; every caption stored before the kill is there on the
    next start, and nothing is left marked as being captioned."""
    images = sample_images(12)
    home = tmp_path / "home"
    env = dict(
        os.environ, ALTLENS_HOME=str(home), QT_QPA_PLATFORM="offscreen", PYTHONPATH=str(REPO_ROOT)
    )
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "altlens.desktop",
            "gui",
            "--model",
            str(toy_model_dir),
            "--batch-size",
            "1",
            *map(str, images),
        ],
        cwd=REPO_ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    db = home / "data" / "library.sqlite3"
    try:
        deadline = time.monotonic() + 180
        stored = 0
        while time.monotonic() < deadline and stored < 3:
            if proc.poll() is not None:
                pytest.fail(f"the app exited early with status {proc.returncode}")
            if db.exists():
                try:
                    with sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=5) as con:
                        stored = con.execute(
                            "SELECT count(*) FROM images WHERE status = 'suggested'"
                        ).fetchone()[0]
                except sqlite3.Error:
                    stored = 0
            time.sleep(0.2)  # polling another process's database; nothing to wait on here
        assert stored >= 3, "no captions were stored in time"
    finally:
        proc.send_signal(signal.SIGKILL)
        proc.wait(30)
    # Its ExifTool goes with it (the kernel signals it when its parent dies).
    deadline = time.monotonic() + 20
    while subprocess.run(["pgrep", "-f", f"exiftool.*{home}"], capture_output=True).returncode == 0:
        assert time.monotonic() < deadline, "an ExifTool process outlived the killed app"
        time.sleep(0.2)
    library = Library(db)  # a new start: in-flight work is handed back to the queue
    try:
        rows = library.images()
        done = [r for r in rows if r.status == "suggested"]
        assert len(done) >= stored and all(r.candidates for r in done)
        assert not any(r.in_flight for r in rows)
        assert all(r.status == "queued" and r.queued for r in rows if r.status != "suggested")
        assert len(rows) == len(images)
    finally:
        library.close()
