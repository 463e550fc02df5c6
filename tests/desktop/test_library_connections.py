# SPDX-License-Identifier: GPL-3.0-or-later
"""The library keeps one SQLite connection per thread, also for Qt's worker threads.

A QThread that calls into Python through queued slots gets a fresh Python thread state per
call, which empties a threading.local: keyed that way, every call the window's captioner made
opened a connection and kept it, with its page and statement caches (memory rose ~100 MB per
1,000 captioned photos and stayed). Keyed by thread id, the worker keeps one."""

from __future__ import annotations

import threading
from pathlib import Path

from altlens.core.library import Library
from PySide6.QtCore import QMetaObject, QObject, Qt, QThread, Slot


class _Reader(QObject):
    def __init__(self, library: Library) -> None:
        super().__init__()
        self.library = library
        self.calls = 0

    @Slot()
    def read(self) -> None:
        self.library._conn().execute("SELECT count(*) FROM images").fetchone()
        self.calls += 1

    @Slot()
    def start_reading(self) -> None:
        self.cursor = self.library._conn().execute("SELECT 1 UNION ALL SELECT 2")
        self.first = self.cursor.fetchone()[0]

    @Slot()
    def finish_reading(self) -> None:
        self.second = self.cursor.fetchone()[0]


def test_a_qt_worker_thread_keeps_one_connection(qapp, tmp_path: Path) -> None:
    library = Library(tmp_path / "lib.sqlite3")
    thread = QThread()
    reader = _Reader(library)
    reader.moveToThread(thread)
    thread.start()
    try:
        for _ in range(30):  # each call enters Python afresh on the worker thread
            QMetaObject.invokeMethod(reader, "read", Qt.ConnectionType.BlockingQueuedConnection)
        assert reader.calls == 30
        assert len(library._conns) == 2  # this thread's and the worker's
        # Another thread opening its connection must not close the worker's mid-read (the Qt
        # thread is alive though Python never started it).
        block = Qt.ConnectionType.BlockingQueuedConnection
        QMetaObject.invokeMethod(reader, "start_reading", block)
        t = threading.Thread(target=lambda: library._conn().execute("SELECT 1").fetchone())
        t.start()
        t.join()
        library._conn()
        QMetaObject.invokeMethod(reader, "finish_reading", block)
        assert (reader.first, reader.second) == (1, 2)
    finally:
        thread.quit()
        thread.wait(10_000)
        library.close()


def test_connections_of_ended_threads_are_closed(tmp_path: Path) -> None:
    library = Library(tmp_path / "lib.sqlite3")
    try:
        for _ in range(20):
            t = threading.Thread(target=lambda: library._conn().execute("SELECT 1").fetchone())
            t.start()
            t.join()
        library._conn()
        assert len(library._conns) <= 2
    finally:
        library.close()
