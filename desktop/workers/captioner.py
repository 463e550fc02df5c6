# SPDX-License-Identifier: GPL-3.0-or-later
"""The captioner thread: owns the model (which runs in a process of its own), loads it,
captions the library's queue in batches and stores every result in the library as it arrives.

The queue is the library's persistent one (core.jobs.JobQueue), so work queued by the
watcher, by another AltLens process or before a crash is found here too. Work is done one
batch per event-loop turn, so new jobs, pause, cancel and shutdown requests are handled
between batches; cancellation also interrupts a batch in progress through the engine's
CancelToken. When idle, the queue is looked at again every few seconds.
"""

from __future__ import annotations

import gc
import logging
import os
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from altlens.core.captioning.registry import DEFAULT_MODEL
from altlens.core.captioning.settings import MAX_BEAMS, MAX_CANDIDATES, GenerationSettings
from altlens.core.jobs import CancelToken, JobQueue
from altlens.core.library import PRIORITY_USER, PRIORITY_WATCH, Library
from altlens.core.service import caption_jobs
from altlens.core.types import CaptionJob, CaptionResult, ErrorInfo
from altlens.desktop.settings import ModelSpec
from altlens.desktop.workers.base import Worker
from PySide6.QtCore import QObject, Qt, QTimer, Signal, Slot

if TYPE_CHECKING:  # the engine module loads torch lazily; it is imported in this thread only
    from altlens.core.captioning.engine import LoadedModelInfo

log = logging.getLogger(__name__)

# CaptionJob.settings_key values: how a job wants to be decoded.
DEFAULT = ""
MORE_BEAMS = "more-beams"  # regenerate: wider beam search, more candidates
SAMPLING = "sampling"  # regenerate: nucleus sampling for different wording

# Job priorities (lower runs first): images a person asked for come before background work.
PRIORITY_NOW = PRIORITY_USER  # regenerate, retry, dropped files, a folder captioned once
PRIORITY_DROPPED = PRIORITY_USER
PRIORITY_WATCHED = PRIORITY_WATCH  # found in watched folders

ADD_CHUNK = 32
IDLE_POLL_MS = 3000  # the watcher and other processes queue work without telling this thread


def settings_for(key: str, base: GenerationSettings) -> GenerationSettings:
    """The decoding settings a job's settings_key asks for, derived from the user's."""
    if key == MORE_BEAMS:
        beams = min(MAX_BEAMS, max(base.num_beams, 1) + 2)
        return base.with_(
            strategy="beam", num_beams=beams, num_candidates=min(MAX_CANDIDATES, beams)
        )
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


def model_threads() -> int | None:
    """torch's threads in the model's process: torch uses every core by default, and in the
    app one is left for the window (and the image thread), or typing lags while a batch runs.
    None where OMP_NUM_THREADS says otherwise (it is inherited by the model's process)."""
    if os.environ.get("OMP_NUM_THREADS"):
        return None
    return max(1, (os.cpu_count() or 2) - 1)


def _default_factory(spec: ModelSpec, settings: GenerationSettings) -> Any:
    # The model runs in a process of its own (core/captioning/modelprocess.py): the window's
    # process never holds torch, and closing the model hands all of its memory back.
    from altlens.core.captioning.modelprocess import ProcessCaptioner

    return ProcessCaptioner(
        spec.name,
        threads=model_threads(),
        device=spec.device,
        dtype=spec.dtype,
        settings=settings,
        batch_size=spec.batch_size,
    )


# -- requests (answered with done(request, result) or failed(request, ErrorInfo)) -------------


@dataclass(frozen=True)
class LoadModel:
    """Load (or switch to) a model in the worker thread. Result: LoadedModelInfo; failed:
    no model (not installed, invalid, device missing ...); the queue waits for one."""

    spec: ModelSpec


@dataclass(frozen=True)
class SetSettings:
    settings: GenerationSettings


@dataclass(frozen=True)
class Enqueue:
    """Queue images in the library (adding new ones). Result: the paths queued; a file that
    could not be queued is reported on its own (not_queued)."""

    jobs: tuple[CaptionJob, ...]


@dataclass(frozen=True)
class Forget:
    """Take these images out of the queue (they were removed or decided)."""

    paths: tuple[Path, ...]


@dataclass(frozen=True)
class CancelQueued:
    """Empty the queue. Result: the paths that were queued or running and were not captioned."""


@dataclass(frozen=True)
class Resume:
    """Look at the queue now (resumed, or the watcher queued work)."""


class CaptionWorker(Worker):
    """Answers requests with the base's done/failed. As the queue is worked through (all
    delivered to the GUI thread as queued signals):

    model_loading(str)          loading a model has started (its name)
    records_changed(tuple[ImageRecord])  the library rows of these images changed
    not_queued(Path, ErrorInfo) a file asked for could not be queued (gone, unreadable)
    batch_started(tuple[Path])  these images are in the model now
    caption_ready(CaptionResult)  an image got candidates (already stored in the library)
    caption_failed(CaptionResult) an image failed; `error` says why (stored too)
    progress(Progress)
    idle()                      the queue is empty (or paused) and nothing is running
    """

    model_loading = Signal(str)
    not_queued = Signal(object, object)
    batch_started = Signal(object)
    caption_ready = Signal(object)
    caption_failed = Signal(object)
    progress = Signal(object)
    idle = Signal()

    _work_available = Signal()

    def __init__(
        self,
        library: Library,
        settings: GenerationSettings | None = None,
        *,
        factory: CaptionerFactory = _default_factory,
        parent: QObject | None = None,
    ) -> None:
        super().__init__(parent)
        self.library = library
        self._queue = JobQueue(library, poll_interval=0.5)
        self._factory = factory
        self._settings = settings or GenerationSettings()
        self._captioner: Any = None  # owned by this thread only
        self._spec: ModelSpec | None = None
        self._model_error: ErrorInfo | None = None
        self._keys: dict[Path, str] = {}  # regenerate: the decoding a queued image asked for
        self._cancel = CancelToken()
        self._pause_flag = False  # read from other threads; only a bool
        self._scheduled = False
        self._busy = False
        self._idle = True  # `idle` is emitted once per stretch of having nothing to do
        self._timer: QTimer | None = None
        self._done = 0
        self._failed = 0
        self._seconds = 0.0
        self._work_available.connect(self._process, Qt.ConnectionType.QueuedConnection)
        self.handle(LoadModel, self._load)
        self.handle(SetSettings, self._set_settings)
        self.handle(Enqueue, self._add_jobs)
        self.handle(Forget, self._forget)
        self.handle(CancelQueued, self._drop_all)
        self.handle(Resume, self._resume)

    # -- thread-safe conveniences --------------------------------------------------------------

    def load_model(self, spec: ModelSpec) -> None:
        self.submit(LoadModel(spec))

    def set_generation_settings(self, settings: GenerationSettings) -> None:
        self.submit(SetSettings(settings))

    def enqueue(self, jobs: Iterable[CaptionJob]) -> None:
        """Queue images in the library (adding new ones); an image already queued keeps its
        place unless this job is more urgent."""
        self.submit(Enqueue(tuple(jobs)))

    def nudge(self) -> None:
        """Something queued work in the library (the watcher): look now."""
        self.submit(Resume())

    def forget(self, paths: Iterable[Path]) -> None:
        self.submit(Forget(tuple(paths)))

    def pause(self) -> None:
        """Finish the batch in the model, then start no other until resume()."""
        self._pause_flag = True

    def resume(self) -> None:
        self._pause_flag = False
        self.submit(Resume())

    @property
    def paused(self) -> bool:
        return self._pause_flag

    def cancel(self) -> None:
        """Stop the batch in the model within a decoding step and empty the queue."""
        self._cancel.cancel()
        self.submit(CancelQueued())

    def shutdown(self) -> None:
        """Cancel the batch in the model (it goes back to the queue for next time), release the
        model and end the thread's event loop."""
        self._cancel.cancel()
        super().shutdown()

    # -- worker thread -----------------------------------------------------------------------

    def _poll_timer(self) -> QTimer:
        if self._timer is None:  # created here, in the worker thread, so it fires here
            self._timer = QTimer()
            self._timer.setSingleShot(True)
            self._timer.setInterval(IDLE_POLL_MS)
            self._timer.timeout.connect(self._schedule)
        return self._timer

    def _load(self, request: LoadModel) -> LoadedModelInfo | None:
        """None: this model is loaded already (nothing changed, nothing to announce)."""
        spec = request.spec
        if self._captioner is not None and spec == self._spec:
            return None
        self._release()
        self._spec = spec
        name = spec.name or DEFAULT_MODEL
        self.model_loading.emit(name)
        try:
            captioner = self._factory(spec, self._settings)
            info = captioner.load()
        except Exception as exc:  # every failure becomes a message; the queue waits for a model
            self._model_error = ErrorInfo.from_exception(exc)
            log.warning("model %s could not be loaded: %s", name, self._model_error.message)
            self._idle = False
            self._went_idle()
            raise
        self._captioner = captioner
        self._model_error = None
        log.info("model %s ready on %s (%.1f s)", info.name, info.device, info.load_seconds)
        self._schedule()  # queued: the answer (model ready) goes out before the first batch
        return info

    def _set_settings(self, request: SetSettings) -> None:
        self._settings = request.settings

    def _add_jobs(self, request: Enqueue) -> tuple[Path, ...]:
        jobs = request.jobs
        # Queuing hashes each new file: take a handful at a time and let a batch run in
        # between, so captioning starts at once after a drop of thousands of files.
        if len(jobs) > ADD_CHUNK:
            jobs, rest = jobs[:ADD_CHUNK], jobs[ADD_CHUNK:]
            self._submitted.emit(Enqueue(rest))
        queued: list[Path] = []
        for job in jobs:
            path = Path(job.path)
            try:
                n = self._queue.put([path], job.priority)
            except Exception as exc:  # one odd file must not stop the others
                log.warning("%s: cannot be queued: %s", path, exc)
                n = 0
                error = ErrorInfo.from_exception(exc)
            else:
                error = ErrorInfo(
                    "file-missing", f"{path}: The file does not exist or cannot be read."
                )
            if n:
                queued.append(path)
                if job.settings_key:
                    self._keys[_key(path)] = job.settings_key
                else:
                    self._keys.pop(_key(path), None)
            else:
                self.not_queued.emit(path, error)
        if queued:
            self.records_changed.emit(tuple(self.library.images(paths=queued)))
        self._schedule()
        return tuple(queued)

    def _forget(self, request: Forget) -> None:
        self.library.dequeue(request.paths)
        for p in request.paths:
            self._keys.pop(_key(p), None)

    def _drop_all(self, _request: CancelQueued) -> tuple[Path, ...]:
        queued = [
            r for r in self.library.images(include_missing=False) if r.queued and not r.in_flight
        ]
        dropped = tuple(r.path for r in queued)
        if dropped:
            self.library.dequeue(dropped)
            self.records_changed.emit(tuple(self.library.images(paths=dropped)))
        self._keys.clear()
        self._cancel.reset()  # the batch that was running has stopped by now
        self._reset_run()
        self._idle = False
        self._went_idle()
        return dropped

    def _resume(self, _request: Resume) -> None:
        self._schedule()

    def _went_idle(self) -> None:
        if not self._idle:
            self._idle = True
            self.idle.emit()

    @Slot()
    def _schedule(self) -> None:
        if self._scheduled or self._busy:
            return
        if self._pause_flag or self._captioner is None:
            self._went_idle()
            return
        self._scheduled = True
        self._work_available.emit()

    def _take_batch(self) -> tuple[str, list[CaptionJob]]:
        size = max(1, self._spec.batch_size if self._spec else 4)
        jobs = self._queue.get(max_items=size, timeout=0)
        if not jobs:
            return DEFAULT, []
        key = self._keys.get(_key(jobs[0].path), DEFAULT)
        same = [j for j in jobs if self._keys.get(_key(j.path), DEFAULT) == key]
        other = [j for j in jobs if j not in same]
        if other:
            self._queue.release(other)  # batch jobs with the same decoding only
        return key, same

    @Slot()
    def _process(self) -> None:
        self._scheduled = False
        if self._pause_flag or self._captioner is None:
            self._went_idle()
            return
        key, batch = self._take_batch()
        if not batch:
            self._reset_run()
            self._went_idle()
            self._poll_timer().start()
            return
        self._idle = False
        self._busy = True
        try:
            self._caption(key, batch)
        finally:
            self._busy = False
        self._schedule()

    def _caption(self, key: str, batch: list[CaptionJob]) -> None:
        # core's caption loop (the one `altlens watch` runs): it records each result as it
        # arrives, turns a failure of the model into per-image errors and hands back to the
        # queue what was not captioned. This side turns each result into signals.
        paths = [Path(j.path) for j in batch]
        self.batch_started.emit(tuple(paths))
        finished: set[Path] = set()

        def on_result(job: CaptionJob, result: CaptionResult, stored: bool) -> None:
            finished.add(Path(job.path))
            self._keys.pop(_key(job.path), None)
            self._count(result)
            self.records_changed.emit(tuple(self.library.images(paths=[job.path])))
            if stored:
                (self.caption_ready if result.ok else self.caption_failed).emit(result)
            self.progress.emit(self._progress())

        caption_jobs(
            self._queue,
            self._captioner,
            batch,
            cancel=self._cancel,
            settings=settings_for(key, self._settings),
            on_result=on_result,
        )
        left = [p for p in paths if p not in finished]
        if left:  # cancelled or stopping: back in the queue, captioned another time
            self.records_changed.emit(tuple(self.library.images(paths=left)))

    def _count(self, result: CaptionResult) -> None:
        self._done += 1
        self._failed += not result.ok
        self._seconds += result.seconds

    def _progress(self) -> Progress:
        pending = self.library.queue_length()
        return Progress(
            self._done,
            self._done + pending,
            self._failed,
            self._seconds / self._done if self._done else 0.0,
        )

    def _reset_run(self) -> None:
        self._done = self._failed = 0
        self._seconds = 0.0

    def _release(self) -> None:
        if self._captioner is not None:
            captioner, self._captioner = self._captioner, None
            close = getattr(captioner, "close", None)
            if close is not None:
                close()  # the model's process ends and its memory goes back to the system
            gc.collect()  # an in-process captioner (tests): let torch free the weights now

    def closing(self) -> None:
        if self._timer is not None:
            self._timer.stop()
            self._timer = None
        self._queue.close()
        self._release()


def _key(path: Path | str) -> Path:
    from altlens.core.library import norm_path

    return norm_path(path)
