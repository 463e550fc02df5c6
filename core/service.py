# SPDX-License-Identifier: GPL-3.0-or-later
"""The headless wiring of library + queue + watcher + captioner (`altlens watch`).

Kept thin on purpose: the GUI has its own Qt workers and reuses the same pieces
(`Library`, `JobQueue`, `FolderWatcher`, `caption_jobs`: the window's captioner thread runs
its batches through it), not this class.

Threads: the watcher's thread applies batches to the library (hashing happens there), a scan
thread catches up with each folder on start, and one captioner thread owns the model.
"""

from __future__ import annotations

import logging
import os
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from altlens.core.captioning.settings import GenerationSettings
from altlens.core.errors import CancelledError
from altlens.core.jobs import CancelToken, JobQueue
from altlens.core.library import PRIORITY_WATCH, Change, Library
from altlens.core.types import CaptionJob, CaptionResult, ErrorInfo
from altlens.core.watching import DEFAULT_DEBOUNCE, DEFAULT_POLL_INTERVAL, FolderWatcher, WatchBatch

log = logging.getLogger(__name__)


def apply_batch(
    library: Library, batch: WatchBatch, *, enqueue: int | None = PRIORITY_WATCH
) -> dict[str, int]:
    """Apply a watcher batch to the library, in order. Returns counts per Change. Does file
    I/O (hashing): call it from a worker thread."""
    counts: dict[str, int] = {}
    for e in batch.events:
        try:
            if e.kind == "moved" and e.dest is not None:
                ch = library.move(e.path, e.dest, enqueue=enqueue)
            elif e.kind == "deleted":
                ch = library.mark_missing(e.path)
            else:
                ch = library.observe(e.path, enqueue=enqueue)
        except Exception:  # one odd file must not stop the rest of the batch
            log.exception("%s: cannot update the library", e.path)
            ch = Change.IGNORED
        counts[ch.value] = counts.get(ch.value, 0) + 1
    return counts


def caption_jobs(
    queue: JobQueue,
    captioner: Any,
    jobs: list[CaptionJob],
    *,
    cancel: CancelToken | None = None,
    settings: GenerationSettings | None = None,
    on_result: Callable[[CaptionJob, CaptionResult, bool], None] | None = None,
) -> int:
    """Caption claimed jobs and record each result as soon as it exists; on cancel (or any
    failure) the jobs without a result go back to the queue. `settings` overrides the
    captioner's decoding for this batch (regenerate). `on_result(job, result, recorded)` is
    called for every result, including the errors recorded when the model itself failed.
    Returns results recorded."""
    done: set[int] = set()
    recorded = 0
    paths = [j.path for j in jobs]
    results = (
        captioner.iter_caption(paths, cancel=cancel)
        if settings is None
        else captioner.iter_caption(paths, settings, cancel=cancel)
    )
    try:
        for result in results:
            job = jobs[result.index]
            ok = queue.complete(job, result)
            recorded += ok
            done.add(result.index)
            if on_result is not None:
                on_result(job, result, ok)
    except CancelledError:
        log.info("captioning cancelled with %d of %d images of the batch done", len(done), len(jobs))
    except Exception as exc:
        # The model itself failed (not one image): record it per image so nothing is stuck
        # and the person sees why; a changed file or a retry queues it again.
        log.exception("captioning a batch of %d failed", len(jobs))
        err = ErrorInfo.from_exception(exc)
        for i, job in enumerate(jobs):
            if i not in done:
                failed = CaptionResult(i, job.path, error=err)
                ok = queue.complete(job, failed)
                recorded += ok
                done.add(i)
                if on_result is not None:
                    on_result(job, failed, ok)
    finally:
        queue.release(j for i, j in enumerate(jobs) if i not in done)
    return recorded


@dataclass
class ServiceStats:
    started: float = field(default_factory=time.monotonic)
    batches: int = 0
    changes: dict[str, int] = field(default_factory=dict)
    captions_ok: int = 0
    captions_failed: int = 0
    stale_results: int = 0
    scanned: int = 0


class WatchService:
    """Watch folders and caption what appears into the library until stopped.

    svc = WatchService(Library(), Captioner(model))
    svc.add_folder("~/Pictures", recursive=True)
    svc.start()          # loads the model first: a model error raises here
    ...
    svc.stop()           # requeues the batch in flight; the library stays consistent
    """

    def __init__(
        self,
        library: Library,
        captioner: Any,
        *,
        debounce: float = DEFAULT_DEBOUNCE,
        poll: bool = False,
        poll_interval: float = DEFAULT_POLL_INTERVAL,
        batch_size: int | None = None,
        scan_on_start: bool = True,
        on_result: Callable[[CaptionJob, CaptionResult, bool], None] | None = None,
    ) -> None:
        self.library = library
        self.captioner = captioner
        self.queue = JobQueue(library, poll_interval=0.5)
        self.watcher = FolderWatcher(
            self._on_batch, debounce=debounce, poll=poll, poll_interval=poll_interval
        )
        self.batch_size = batch_size or int(getattr(captioner, "batch_size", 8))
        self.scan_on_start = scan_on_start
        self.on_result = on_result
        self.stats = ServiceStats()
        self._cancel = CancelToken()
        self._threads: list[threading.Thread] = []
        self._folders: list[tuple[Path, bool]] = []
        self._scanning = threading.Event()
        self._busy = threading.Event()
        self.error: BaseException | None = None  # a fatal captioner error stops the service

    def add_folder(self, folder: str | os.PathLike[str], *, recursive: bool = True) -> Path:
        f = self.library.add_folder(folder, recursive=recursive, poll=self.watcher.poll)
        self.watcher.watch(f.path, recursive=recursive)
        self._folders.append((f.path, recursive))
        return f.path

    def start(self, *, watch: bool = True) -> None:
        """Load the model (raising its error), then watch, scan and caption. `watch=False`
        only scans and captions (`altlens watch --once`)."""
        if hasattr(self.captioner, "load"):
            self.captioner.load()
        self._cancel.reset()
        # Watch first, then scan: a change during the scan is seen by one or the other (or
        # both, which is harmless: observing is idempotent).
        if watch:
            self.watcher.start()
        if self.scan_on_start:
            self._scanning.set()
            self._spawn(self._scan_all, "altlens-scan")
        self._spawn(self._caption_loop, "altlens-caption")

    def _spawn(self, target: Callable[[], None], name: str) -> None:
        t = threading.Thread(target=target, name=name, daemon=True)
        self._threads.append(t)
        t.start()

    def stop(self, timeout: float = 30.0) -> None:
        """Stop watching, cancel captioning (the batch in flight goes back to the queue), and
        wait for the threads. The library is left open for the caller to close."""
        self.watcher.stop()
        self._cancel.cancel()
        self.queue.close()
        for t in self._threads:
            t.join(timeout)
        self._threads = []

    def _on_batch(self, batch: WatchBatch) -> None:
        counts = apply_batch(self.library, batch)
        self.stats.batches += 1
        for k, v in counts.items():
            self.stats.changes[k] = self.stats.changes.get(k, 0) + v
        self.queue.notify()

    def _scan_all(self) -> None:
        try:
            for folder, recursive in list(self._folders):
                if self._cancel.cancelled:
                    break
                report = self.library.scan_folder(folder, recursive=recursive, cancel=self._cancel)
                self.stats.scanned += report.seen
                log.info(
                    "scanned %s: %d images in %.1f s (%s)",
                    folder,
                    report.seen,
                    report.seconds,
                    report.changes,
                )
                self.queue.notify()
        except Exception:
            log.exception("the start-up scan failed; watching goes on")
        finally:
            self._scanning.clear()

    def _caption_loop(self) -> None:
        while not self._cancel.cancelled:
            jobs = self.queue.get(self.batch_size, timeout=1.0, cancel=self._cancel)
            if not jobs:
                continue
            self._busy.set()
            try:
                caption_jobs(
                    self.queue, self.captioner, jobs, cancel=self._cancel, on_result=self._count
                )
            except BaseException as exc:  # pragma: no cover - caption_jobs catches per batch
                self.error = exc
                log.exception("captioning stopped")
                return
            finally:
                self._busy.clear()

    def _count(self, job: CaptionJob, result: CaptionResult, recorded: bool) -> None:
        if not recorded:
            self.stats.stale_results += 1
        elif result.ok:
            self.stats.captions_ok += 1
        else:
            self.stats.captions_failed += 1
        if self.on_result is not None:
            self.on_result(job, result, recorded)

    def idle(self) -> bool:
        """Nothing settling, scanning, queued or being captioned."""
        return (
            self.watcher.idle()
            and not self._scanning.is_set()
            and not self._busy.is_set()
            and self.library.queue_length() == 0
        )

    def wait_idle(self, timeout: float, *, settle: float = 0.0) -> bool:
        """Block until idle() has held for `settle` seconds (tests, `altlens watch --once`)."""
        deadline = time.monotonic() + timeout
        since: float | None = None
        while time.monotonic() < deadline:
            if self.idle() and self.watcher.pending_count() == 0:
                since = since or time.monotonic()
                if time.monotonic() - since >= settle:
                    return True
            else:
                since = None
            time.sleep(0.05)
        return False
