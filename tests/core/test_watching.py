# SPDX-License-Identifier: GPL-3.0-or-later
"""FolderWatcher with real file-system events (no mocks of watchdog)."""

from __future__ import annotations

import os
import shutil
import threading
import time
from collections.abc import Callable
from pathlib import Path

import pytest
from altlens.core.watching import FolderWatcher, WatchBatch

from tests.core.library_support import make_images

DEBOUNCE = 0.3


class Collector:
    """Receives the watcher's batches; tests wait on its condition, woken by each batch."""

    def __init__(self) -> None:
        self.batches: list[WatchBatch] = []
        self.lock = threading.Lock()
        self.arrived = threading.Condition(self.lock)

    def __call__(self, batch: WatchBatch) -> None:
        with self.arrived:
            self.batches.append(batch)
            self.arrived.notify_all()

    def events(self, kind: str | None = None) -> list[tuple[str, str, str | None]]:
        with self.lock:
            return [
                (e.kind, e.path.name, e.dest.name if e.dest else None)
                for b in self.batches
                for e in b.events
                if kind is None or e.kind == kind
            ]

    def wait(self, pred: Callable[[], bool], timeout: float = 20.0) -> bool:
        """Wait until `pred()` holds, checking it each time a batch arrives."""
        deadline = time.monotonic() + timeout
        with self.arrived:
            while True:
                # pred() reads events(), which takes this same (non-reentrant) lock.
                self.arrived.release()
                try:
                    if pred():
                        return True
                finally:
                    self.arrived.acquire()
                left = deadline - time.monotonic()
                if left <= 0:
                    return False
                self.arrived.wait(left)

    def names(self, kind: str | None = None) -> list[str]:
        return [n for _, n, _ in self.events(kind)]


_sentinels = iter(range(10**6))


def settle(folder: Path, got: Collector, staging: Path) -> str:
    """Copy a new image into `folder` and wait for its event. Events are delivered once quiet
    for the debounce, oldest first, so anything the earlier changes were going to deliver has
    been delivered by then: a negative check after this waits on an event, not on a clock."""
    [src] = make_images(staging / "sentinels", 1, seed=next(_sentinels) + 1000)
    name = f"zz-sentinel-{src.stem}.jpg"
    shutil.copy(src, folder / name)
    assert got.wait(lambda: name in got.names("changed")), f"{name} never arrived"
    return name


@pytest.fixture(params=["native", "poll"])
def watched(request: pytest.FixtureRequest, tmp_path: Path):
    folder = tmp_path / "watched"
    folder.mkdir()
    got = Collector()
    w = FolderWatcher(got, debounce=DEBOUNCE, poll=request.param == "poll", poll_interval=0.2)
    w.watch(folder, recursive=True)
    w.start()
    yield folder, got, w, tmp_path / "staging"
    w.stop()
    assert not w.running


def test_new_complete_files_arrive_once(watched) -> None:
    folder, got, w, staging = watched
    srcs = make_images(staging, 20)
    for s in srcs:
        shutil.copy(s, folder / s.name)
    assert got.wait(lambda: len(got.events("changed")) >= 20)
    sentinel = settle(folder, got, staging)
    assert sorted(n for n in got.names("changed") if n != sentinel) == sorted(s.name for s in srcs)
    assert w.idle()


def test_file_written_slowly_is_delivered_only_when_complete(watched) -> None:
    folder, got, _w, staging = watched
    [src] = make_images(staging, 1, size=(400, 300))
    data = src.read_bytes()
    target = folder / "slow.jpg"
    with open(target, "wb") as fh:
        for i in range(6):  # pauses shorter than the debounce, as a slow copy makes
            fh.write(data[i * len(data) // 6 : (i + 1) * len(data) // 6])
            fh.flush()
            time.sleep(DEBOUNCE * 0.6)
            assert got.events("changed") == [], f"delivered after chunk {i}"
    assert got.wait(lambda: got.events("changed") == [("changed", "slow.jpg", None)])


def test_stalled_copy_is_held_until_the_image_is_whole(watched) -> None:
    folder, got, _w, staging = watched
    [src] = make_images(staging, 1, size=(200, 150))
    data = src.read_bytes()
    target = folder / "stalled.jpg"
    target.write_bytes(data[: len(data) // 2])
    sentinel = settle(folder, got, staging)  # quiet and stable, but visibly unfinished
    assert got.names("changed") == [sentinel]
    with open(target, "ab") as fh:
        fh.write(data[len(data) // 2 :])
    assert got.wait(lambda: got.names("changed") == [sentinel, "stalled.jpg"])


def test_renames_moves_and_deletes(watched) -> None:
    folder, got, w, staging = watched
    (folder / "sub").mkdir()
    a, b, c = (folder / s.name for s in make_images(staging, 3))
    for s in make_images(staging, 3):
        shutil.copy(s, folder / s.name)
    assert got.wait(lambda: len(got.events("changed")) == 3)
    os.rename(a, folder / "renamed.jpg")
    os.rename(b, folder / "sub" / b.name)
    c.unlink()
    assert got.wait(lambda: len(got.events()) >= 6)
    sentinel = settle(folder, got, staging)
    tail = [e for e in got.events()[3:] if e[1] != sentinel]
    if w.poll:  # polling cannot always pair a rename; it may report delete + create
        assert ("deleted", c.name, None) in tail
        assert {d or n for k, n, d in tail if k in ("moved", "changed")} >= {"renamed.jpg", b.name}
    else:
        assert tail == [
            ("moved", a.name, "renamed.jpg"),
            ("moved", b.name, b.name),
            ("deleted", c.name, None),
        ]


def test_ignored_names_and_temporary_renames(watched) -> None:
    folder, got, _w, staging = watched
    [src] = make_images(staging, 1)
    (folder / ".hidden").mkdir()
    shutil.copy(src, folder / ".hidden" / "x.jpg")
    shutil.copy(src, folder / ".dotfile.jpg")
    (folder / "notes.txt").write_text("hello")
    shutil.copy(src, folder / "download.jpg.part")
    sentinel = settle(folder, got, staging)
    assert got.names() == [sentinel]
    os.rename(folder / "download.jpg.part", folder / "download.jpg")  # the download finished
    assert got.wait(lambda: got.events()[1:] == [("changed", "download.jpg", None)])


def test_folder_moved_in_and_renamed(watched) -> None:
    folder, got, w, staging = watched
    srcs = make_images(staging / "album", 4)
    shutil.move(str(staging / "album"), folder / "album")
    assert got.wait(lambda: len({n for _, n, _ in got.events("changed")}) == 4)
    os.rename(folder / "album", folder / "album 2024")
    assert got.wait(
        lambda: any(k == "moved" for k, _, _ in got.events()) or len(got.events("deleted")) > 0
    )
    settle(folder, got, staging)
    if not w.poll:
        assert ("moved", "album", "album 2024") in got.events()
    assert {s.name for s in srcs} <= {n for _, n, _ in got.events("changed")}


def test_burst_without_drops(tmp_path: Path) -> None:
    folder = tmp_path / "w"
    folder.mkdir()
    got = Collector()
    w = FolderWatcher(got, debounce=DEBOUNCE)
    w.watch(folder)
    w.start()
    try:
        srcs = make_images(tmp_path / "staging", 300, size=(24, 24))
        for s in srcs:
            shutil.copy(s, folder / s.name)
        assert got.wait(lambda: len(got.events("changed")) >= 300, timeout=60)
        sentinel = settle(folder, got, tmp_path / "staging")
        changed = [n for n in got.names("changed") if n != sentinel]
        assert len(changed) == 300 and w.stats.raw_events >= 300
    finally:
        w.stop()


def test_non_recursive_watch_ignores_subfolders(tmp_path: Path) -> None:
    folder = tmp_path / "w"
    (folder / "sub").mkdir(parents=True)
    got = Collector()
    w = FolderWatcher(got, debounce=DEBOUNCE)
    w.watch(folder, recursive=False)
    w.start()
    try:
        [s] = make_images(tmp_path / "staging", 1)
        shutil.copy(s, folder / "sub" / "deep.jpg")
        shutil.copy(s, folder / "top.jpg")
        assert got.wait(lambda: got.events("changed") != [])
        sentinel = settle(folder, got, tmp_path / "staging")
        assert got.names("changed") == ["top.jpg", sentinel]
    finally:
        w.stop()


def test_callback_errors_do_not_stop_watching(tmp_path: Path) -> None:
    folder = tmp_path / "w"
    folder.mkdir()
    calls: list[WatchBatch] = []
    called = threading.Condition()

    def flaky(batch: WatchBatch) -> None:
        with called:
            calls.append(batch)
            called.notify_all()
        if len(calls) == 1:
            raise RuntimeError("boom")

    w = FolderWatcher(flaky, debounce=DEBOUNCE)
    w.watch(folder)
    w.start()
    try:
        a, b = make_images(tmp_path / "staging", 2)
        shutil.copy(a, folder / a.name)
        with called:
            assert called.wait_for(lambda: len(calls) >= 1, timeout=10)
        shutil.copy(b, folder / b.name)
        with called:
            assert called.wait_for(lambda: len(calls) >= 2, timeout=10)
        assert len(calls) == 2
    finally:
        w.stop()
