# SPDX-License-Identifier: GPL-3.0-or-later
"""The captioner thread: owns the model, loads it itself, captions queued images in batches.

The queue lives in this thread and is only touched here; the GUI talks to it through the
thread-safe methods below. Work is done one batch per event-loop turn, so new jobs, pause,
cancel and shutdown requests are handled between batches; cancellation also interrupts a
batch in progress through the engine's CancelToken.
"""

from __future__ import annotations

import gc
import heapq
import itertools
import logging
import os
import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from PySide6.QtCore import QObject, QThread, Qt, Signal, Slot

from core.captioning.settings import MAX_BEAMS, MAX_CANDIDATES, GenerationSettings
from core.errors import CancelledError
from core.jobs import CancelToken
from core.types import CaptionJob, CaptionResult, ErrorInfo
from desktop.settings import ModelSpec

log = logging.getLogger(__name__)

# CaptionJob.settings_key values: how a job wants to be decoded.
DEFAULT = ""
MORE_BEAMS = "more-beams"  # regenerate: wider beam search, more candidates
SAMPLING = "sampling"  # regenerate: nucleus sampling for different wording

# Job priorities (lower runs first): images a person asked for come before background work.
PRIORITY_NOW = 0  # regenerate, retry
PRIORITY_DROPPED = 1  # dropped or opened files, a folder captioned once
PRIORITY_WATCHED = 10  # found in watched folders


def settings_for(key: str, base: GenerationSettings) -> GenerationSettings:
    """The decoding settings a job's settings_key asks for, derived from the user's."""
    if key == MORE_BEAMS:
        beams = min(MAX_BEAMS, max(base.num_beams, 1) + 2)
        return base.with_(strategy="beam", num_beams=beams, num_candidates=min(MAX_CANDIDATES, beams))
    if key == SAMPLING:
        return base.with_(strategy="sample", num_candidates=max(3, base.num_candidates), seed=None)
    return base


@dataclass(frozen=True)
class Progress:
    """Where the current run stands: `done` of `total` images finished since the queue was last
    empty; `seconds_per_image` averages the batches so far (0 before the first)."""

    done: int
    total: int
    failed: int
    seconds_per_image: float


CaptionerFactory = Callable[..., Any]


def _default_factory(spec: ModelSpec, settings: GenerationSettings) -> Any:
    from core.captioning.engine import Captioner

    _leave_a_core_for_the_window()
    return Captioner(spec.name, device=spec.device, dtype=spec.dtype, settings=settings,
                     batch_size=spec.batch_size)


def _leave_a_core_for_the_window() -> None:
    """torch uses every core by default; in the app, one is left for the window (and the
    image thread), or typing lags while a batch runs. An explicit OMP_NUM_THREADS wins."""
    if os.environ.get("OMP_NUM_THREADS"):
        return
    import torch

    wanted = max(1, (os.cpu_count() or 2) - 1)
    if torch.get_num_threads() > wanted:
        torch.set_num_threads(wanted)
        log.info("captioning with %d CPU threads, leaving one for the window", wanted)


class CaptionWorker(QObject):
    """Signals (all delivered to the GUI thread as queued signals):

    model_loading(str)          loading a model has started (its name)
    model_ready(LoadedModelInfo)
    model_failed(ErrorInfo)     no model: not installed, invalid, device missing ...
    batch_started(tuple[Path])  these images are in the model now
    caption_ready(CaptionResult)  an image got candidates
    caption_failed(CaptionResult) an image failed; `error` says why
    progress(Progress)
    jobs_dropped(tuple[Path])   cancelled: these were queued or running and were not captioned
    idle()                      the queue is empty (or paused) and nothing is running
    """

    model_loading = Signal(str)
    model_ready = Signal(object)
    model_failed = Signal(object)
    batch_started = Signal(object)
    caption_ready = Signal(object)
    caption_failed = Signal(object)
    progress = Signal(object)
    jobs_dropped = Signal(object)
    idle = Signal()

    # Private: requests from other threads, queued to this worker's thread.
    _load_requested = Signal(object)
    _settings_changed = Signal(object)
    _jobs_added = Signal(object)
    _forget_requested = Signal(object)
    _cancel_requested = Signal()
    _resume_requested = Signal()
    _shutdown_requested = Signal()
    _work_available = Signal()

    def __init__(
        self,
        settings: GenerationSettings | None = None,
        *,
        factory: CaptionerFactory = _default_factory,
        parent: QObject | None = None,
    ) -> None:
        super().__init__(parent)
        self._factory = factory
        self._settings = settings or GenerationSettings()
        self._captioner: Any = None
        self._spec: ModelSpec | None = None
        self._model_error: ErrorInfo | None = None
        self._heap: list[tuple[int, int, Path]] = []
        self._jobs: dict[Path, CaptionJob] = {}
        self._seq = itertools.count()
        self._cancel = CancelToken()
        self._paused = threading.Event()
        self._scheduled = False
        self._done = 0
        self._failed = 0
        self._seconds = 0.0
        Queued = Qt.ConnectionType.QueuedConnection
        self._load_requested.connect(self._load, Queued)
        self._settings_changed.connect(self._set_settings, Queued)
        self._jobs_added.connect(self._add_jobs, Queued)
        self._forget_requested.connect(self._forget, Queued)
        self._cancel_requested.connect(self._drop_all, Queued)
        self._resume_requested.connect(self._schedule, Queued)
        self._shutdown_requested.connect(self._shutdown, Queued)
        self._work_available.connect(self._process, Queued)

    # -- thread-safe API ---------------------------------------------------------------------

    def load_model(self, spec: ModelSpec) -> None:
        """Load (or switch to) the model `spec` in the worker thread."""
        self._load_requested.emit(spec)

    def set_generation_settings(self, settings: GenerationSettings) -> None:
        self._settings_changed.emit(settings)

    def enqueue(self, jobs: Iterable[CaptionJob]) -> None:
        """Queue images; a path already queued keeps its place unless this job is more urgent."""
        self._jobs_added.emit(tuple(jobs))

    def forget(self, paths: Iterable[Path]) -> None:
        """Take these images out of the queue (they were removed or decided)."""
        self._forget_requested.emit(tuple(paths))

    def pause(self) -> None:
        """Finish the batch in the model, then start no other until resume()."""
        self._paused.set()

    def resume(self) -> None:
        self._paused.clear()
        self._resume_requested.emit()

    @property
    def paused(self) -> bool:
        return self._paused.is_set()

    def cancel(self) -> None:
        """Stop the batch in the model within a decoding step and empty the queue."""
        self._cancel.cancel()
        self._cancel_requested.emit()

    def shutdown(self) -> None:
        """Cancel everything, release the model and end the thread's event loop."""
        self._cancel.cancel()
        self._shutdown_requested.emit()

    # -- worker thread -----------------------------------------------------------------------

    @Slot(object)
    def _load(self, spec: ModelSpec) -> None:
        if self._captioner is not None and spec == self._spec:
            return
        self._release()
        self._spec = spec
        name = spec.name or "nlpconnect/vit-gpt2-image-captioning"
        self.model_loading.emit(name)
        try:
            captioner = self._factory(spec, self._settings)
            info = captioner.load()
        except Exception as exc:  # every failure becomes a message; the queue waits for a model
            self._model_error = ErrorInfo.from_exception(exc)
            log.warning("model %s could not be loaded: %s", name, self._model_error.message)
            self.model_failed.emit(self._model_error)
            self._emit_idle_if_waiting()
            return
        self._captioner = captioner
        self._model_error = None
        log.info("model %s ready on %s (%.1f s)", info.name, info.device, info.load_seconds)
        self.model_ready.emit(info)
        self._schedule()

    @Slot(object)
    def _set_settings(self, settings: GenerationSettings) -> None:
        self._settings = settings

    @Slot(object)
    def _add_jobs(self, jobs: tuple[CaptionJob, ...]) -> None:
        for job in jobs:
            path = Path(job.path)
            old = self._jobs.get(path)
            if old is not None and old.priority <= job.priority and old.settings_key == job.settings_key:
                continue
            self._jobs[path] = job
            # A superseded heap entry stays and is skipped when popped (its job differs).
            heapq.heappush(self._heap, (job.priority, next(self._seq), path))
        self._schedule()

    @Slot(object)
    def _forget(self, paths: tuple[Path, ...]) -> None:
        for p in paths:
            self._jobs.pop(Path(p), None)

    @Slot()
    def _drop_all(self) -> None:
        dropped = tuple(self._jobs)
        self._jobs.clear()
        self._heap.clear()
        self._cancel.reset()  # the batch that was running has stopped by now
        self._reset_run()
        if dropped:
            self.jobs_dropped.emit(dropped)
        self.idle.emit()

    @Slot()
    def _schedule(self) -> None:
        if not self._scheduled and self._jobs and not self._paused.is_set() and self._captioner is not None:
            self._scheduled = True
            self._work_available.emit()
        else:
            self._emit_idle_if_waiting()

    def _emit_idle_if_waiting(self) -> None:
        if not self._scheduled and (not self._jobs or self._paused.is_set() or self._captioner is None):
            self.idle.emit()

    def _take_batch(self) -> tuple[str, list[CaptionJob]]:
        size = max(1, self._spec.batch_size if self._spec else 4)
        batch: list[CaptionJob] = []
        skipped: list[tuple[int, int, Path]] = []
        key: str | None = None
        while self._heap and len(batch) < size:
            prio, seq, path = heapq.heappop(self._heap)
            job = self._jobs.get(path)
            if job is None or job.priority != prio:
                continue  # forgotten or superseded
            if key is None:
                key = job.settings_key
            if job.settings_key != key:
                skipped.append((prio, seq, path))  # batch jobs with the same settings only
                continue
            del self._jobs[path]
            batch.append(job)
        for item in skipped:
            heapq.heappush(self._heap, item)
        return key or DEFAULT, batch

    @Slot()
    def _process(self) -> None:
        self._scheduled = False
        if self._paused.is_set() or self._captioner is None:
            self._emit_idle_if_waiting()
            return
        key, batch = self._take_batch()
        if not batch:
            self._reset_run()
            self.idle.emit()
            return
        settings = settings_for(key, self._settings)
        paths = [Path(j.path) for j in batch]
        self.batch_started.emit(tuple(paths))
        finished: set[Path] = set()
        try:
            for result in self._captioner.iter_caption(paths, settings, cancel=self._cancel):
                finished.add(paths[result.index])
                self._count(result)
                (self.caption_ready if result.ok else self.caption_failed).emit(result)
                self.progress.emit(self._progress())
        except CancelledError:
            log.info("captioning cancelled with %d of %d images of the batch done", len(finished), len(paths))
            left = tuple(p for p in paths if p not in finished)
            if left:
                self.jobs_dropped.emit(left)
        except Exception as exc:  # the engine reports per-image errors; this is the model itself
            log.exception("captioning a batch failed")
            error = ErrorInfo.from_exception(exc)
            for i, p in enumerate(paths):
                if p not in finished:
                    result = CaptionResult(i, p, error=error)
                    self._count(result)
                    self.caption_failed.emit(result)
            self.progress.emit(self._progress())
        self._schedule()
        if not self._jobs:
            self._reset_run()

    def _count(self, result: CaptionResult) -> None:
        self._done += 1
        self._failed += not result.ok
        self._seconds += result.seconds

    def _progress(self) -> Progress:
        pending = len(self._jobs)
        return Progress(self._done, self._done + pending, self._failed,
                        self._seconds / self._done if self._done else 0.0)

    def _reset_run(self) -> None:
        self._done = self._failed = 0
        self._seconds = 0.0

    def _release(self) -> None:
        if self._captioner is not None:
            self._captioner = None
            gc.collect()  # let torch free the weights before another model loads

    @Slot()
    def _shutdown(self) -> None:
        self._jobs.clear()
        self._heap.clear()
        self._release()
        thread = QThread.currentThread()
        thread.quit()
