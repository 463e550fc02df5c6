# SPDX-License-Identifier: GPL-3.0-or-later
"""Work coordination primitives shared by the CLI, the watcher and the GUI workers."""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from altlens.core.errors import CancelledError
from altlens.core.types import CaptionJob, CaptionResult

if TYPE_CHECKING:
    from altlens.core.library import Library


class CancelToken:
    """Cooperative cancellation: set by one thread, checked by the worker between batches and
    by a generation stopping criterion, so a long generate() stops within one decoding step."""

    def __init__(self, event: Any = None) -> None:
        """`event`: an Event-like object to share (a multiprocessing Event, so a child
        process's work stops when the window cancels); a private threading.Event otherwise."""
        self._event = event if event is not None else threading.Event()

    def cancel(self) -> None:
        self._event.set()

    def reset(self) -> None:
        self._event.clear()

    @property
    def cancelled(self) -> bool:
        return self._event.is_set()

    def raise_if_cancelled(self) -> None:
        if self._event.is_set():
            raise CancelledError()


RECOVER_INTERVAL = 60.0


class JobQueue:
    """The one queue that feeds the captioner, kept in the library so it survives restarts.

    Thread-safe; lower priority runs first (PRIORITY_USER before PRIORITY_WATCH), FIFO within a
    priority, and a path queued twice is one job (at the more urgent priority). A worker thread
    blocks in `get()` with a timeout and a CancelToken; `close()` wakes every waiter.

        jobs = queue.get(max_items=8, timeout=1.0, cancel=token)
        for job, result in zip(jobs, captioner.caption([j.path for j in jobs])):
            queue.complete(job, result)

    Claimed jobs belong to the caller until `complete()` or `release()`; if the process dies,
    the next `Library` open hands them back.
    """

    def __init__(self, library: Library, *, poll_interval: float = 1.0) -> None:
        self.library = library
        # Other processes (the CLI beside the GUI) and Library.observe() queue work without
        # calling notify(); a slow poll of the table catches that.
        self.poll_interval = poll_interval
        self._cond = threading.Condition()
        self._closed = False
        self._version = 0
        self._next_recover = time.monotonic() + RECOVER_INTERVAL

    def put(self, paths: Iterable[str | os.PathLike[str]], priority: int | None = None) -> int:
        """Queue images (added to the library if new). Returns how many were queued."""
        from altlens.core.library import PRIORITY_USER

        n = self.library.enqueue(paths, PRIORITY_USER if priority is None else priority)
        self.notify()
        return n

    def notify(self) -> None:
        """Wake waiting workers: something was queued (e.g. by Library.observe)."""
        with self._cond:
            self._version += 1
            self._cond.notify_all()

    def get(
        self, max_items: int = 1, timeout: float | None = None, cancel: CancelToken | None = None
    ) -> list[CaptionJob]:
        """Claim up to `max_items` jobs, waiting up to `timeout` seconds (None: until some
        arrive, the queue is closed or `cancel` is set). Returns [] on timeout, close or cancel."""
        deadline = None if timeout is None else time.monotonic() + timeout
        while True:
            if self._closed or (cancel is not None and cancel.cancelled):
                return []
            with self._cond:
                seen = self._version
            if time.monotonic() >= self._next_recover:
                # Another process sharing the library (the CLI beside the GUI) may have died
                # holding jobs; the library only checks on open, so look now and then.
                self._next_recover = time.monotonic() + RECOVER_INTERVAL
                self.library.recover()
            jobs = self.library.claim(max_items)
            if jobs:
                return jobs
            wait = self.poll_interval
            if deadline is not None:
                left = deadline - time.monotonic()
                if left <= 0:
                    return []
                wait = min(wait, left)
            if cancel is not None:
                wait = min(wait, 0.1)  # CancelToken has no wake-up hook: check it often
            with self._cond:
                if self._version == seen and not self._closed:
                    self._cond.wait(wait)

    def complete(self, job: CaptionJob, result: CaptionResult) -> bool:
        """Record a job's result (False when the claim went stale: the picture changed)."""
        return self.library.record_result(job, result)

    def release(self, jobs: Iterable[CaptionJob]) -> None:
        """Hand unfinished jobs back to the queue (cancelled, shutting down)."""
        jobs = list(jobs)
        if jobs:
            self.library.release(jobs)
            self.notify()

    def close(self) -> None:
        with self._cond:
            self._closed = True
            self._cond.notify_all()

    def __len__(self) -> int:
        """Jobs queued, in flight included."""
        return self.library.queue_length()
