# SPDX-License-Identifier: GPL-3.0-or-later
"""Background workers: QObjects moved to their own QThread (never QThread subclasses).

Each worker's public methods are safe to call from any thread: they emit a private signal
that Qt queues to the worker's thread, so the work itself always runs there. Results come
back as signals carrying frozen dataclasses and paths only.
"""

from __future__ import annotations

import logging

from PySide6.QtCore import QObject, QThread

log = logging.getLogger(__name__)

# Every worker thread started by the app, so shutdown (and the tests' leak check) can find
# one that is still running.
_threads: list[QThread] = []


def start_worker(worker: QObject, name: str) -> QThread:
    """Move `worker` to a new thread called `name` and start it."""
    thread = QThread()
    thread.setObjectName(name)
    worker.moveToThread(thread)
    thread.start()
    _threads.append(thread)
    log.debug("started thread %s", name)
    return thread


def running_threads() -> list[QThread]:
    """Worker threads that have not finished yet."""
    _threads[:] = [t for t in _threads if not t.isFinished()]
    return [t for t in _threads if t.isRunning()]


def stop_thread(thread: QThread, timeout_ms: int = 30_000) -> bool:
    """Ask `thread`'s event loop to end after the events already queued, and wait."""
    thread.quit()
    finished = thread.wait(timeout_ms)
    if not finished:
        log.error("thread %s did not stop within %d ms", thread.objectName(), timeout_ms)
    return bool(finished)
