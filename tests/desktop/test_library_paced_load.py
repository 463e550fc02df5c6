# SPDX-License-Identifier: GPL-3.0-or-later
"""The first load of a large library sends its pages one at a time, each after the window has
applied the one before (LibraryWorker.pace_loading): events posted meanwhile, such as a key
press, wait behind at most one page, and every row still arrives, in order."""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from altlens.core.library import Library
from altlens.desktop.workers import start_worker, stop_thread
from altlens.desktop.workers.library import LOAD_CHUNK, LOAD_PAGE, LibraryWorker
from PySide6.QtCore import QObject, Qt, Slot

from tests.core.library_support import make_images


class Receiver(QObject):
    """Applies pages in the test's (main) thread, as the window's controller does."""

    def __init__(self, worker: LibraryWorker, acknowledge: bool) -> None:
        super().__init__()
        self.worker = worker
        self.acknowledge = acknowledge
        self.pages: list[tuple] = []

    @Slot(object)
    def on_page(self, records: tuple) -> None:
        self.pages.append(records)
        if self.acknowledge:
            self.worker.page_applied()


@contextmanager
def _loading(tmp_path: Path, n: int, *, paced: bool) -> Iterator[tuple[Library, LibraryWorker, Receiver]]:
    """A library of `n` photos, its worker on a thread of its own loading it, pages received
    in this thread (not acknowledged unless the test says so); stopped at the end."""
    lib = Library(tmp_path / "lib.sqlite3")
    make_images(tmp_path / "photos", n)
    lib.scan_folder(tmp_path / "photos", enqueue=None)
    worker = LibraryWorker(lib, watch=False)
    if paced:
        worker.pace_loading(1)
    receiver = Receiver(worker, acknowledge=False)
    worker.records_loaded.connect(receiver.on_page, Qt.ConnectionType.QueuedConnection)
    thread = start_worker(worker, "altlens-library-test")
    try:
        worker.load()
        yield lib, worker, receiver
    finally:
        worker.shutdown()  # a load waiting for a page slot must notice and stop
        assert stop_thread(thread, timeout_ms=5_000)
        lib.close()


def test_pages_wait_for_the_window(qtbot, tmp_path: Path) -> None:
    n = LOAD_CHUNK + 2 * LOAD_PAGE + 7  # four pages
    with _loading(tmp_path, n, paced=True) as (lib, worker, receiver):
        qtbot.waitUntil(lambda: len(receiver.pages) == 1, timeout=10_000)
        end = time.monotonic() + 0.5
        while time.monotonic() < end:  # no acknowledgement: no second page
            qtbot.wait(20)
        assert len(receiver.pages) == 1 and len(receiver.pages[0]) == LOAD_CHUNK
        receiver.acknowledge = True
        worker.page_applied()
        qtbot.waitUntil(lambda: sum(map(len, receiver.pages)) == n, timeout=10_000)
        assert [len(p) for p in receiver.pages] == [LOAD_CHUNK, LOAD_PAGE, LOAD_PAGE, 7]
        paths = [r.path for page in receiver.pages for r in page]
        assert paths == [r.path for r in lib.images(include_missing=False)]


def test_shutdown_while_a_page_waits_ends_the_thread(qtbot, tmp_path: Path) -> None:
    with _loading(tmp_path, LOAD_CHUNK + LOAD_PAGE + 1, paced=True) as (_, _, receiver):
        qtbot.waitUntil(lambda: len(receiver.pages) == 1, timeout=10_000)


def test_unpaced_worker_sends_everything_at_once(qtbot, tmp_path: Path) -> None:
    n = LOAD_CHUNK + LOAD_PAGE + 3
    with _loading(tmp_path, n, paced=False) as (_, _, receiver):
        qtbot.waitUntil(lambda: sum(map(len, receiver.pages)) == n, timeout=10_000)
