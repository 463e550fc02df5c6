# SPDX-License-Identifier: GPL-3.0-or-later
"""The improve pass's thread: a larger prompted model (Florence-2, SmolVLM2) that describes
the open image in detail or reads the text in it, on request.

It owns its own model, apart from the captioner thread's, so a long description never waits
behind a batch of alt text and the small captioning model stays loaded. The model is loaded
lazily, on the first request, and kept until another model is asked for or the thread ends.
`cancel()` is safe from any thread: it trips the CancelToken the engine checks inside
generation, so a long answer stops within a decoding step.
"""

from __future__ import annotations

import gc
import logging
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from altlens.core.errors import UsageError
from altlens.core.jobs import CancelToken
from altlens.core.types import CaptionResult
from altlens.desktop.workers.base import Worker
from PySide6.QtCore import QObject, Signal

log = logging.getLogger(__name__)

DESCRIBE_TASKS = ("long", "ocr")

DescriberFactory = Callable[[str, str], Any]  # (model name, device) -> Captioner


def _default_factory(model: str, device: str) -> Any:
    # In a process of its own, as the captioner's model (core/captioning/modelprocess.py).
    from altlens.core.captioning.modelprocess import ProcessCaptioner
    from altlens.desktop.workers.captioner import model_threads

    # dtype "auto" keeps these families in float32 on the CPU (README, "Long descriptions").
    return ProcessCaptioner(model, threads=model_threads(), device=device, batch_size=1)


@dataclass(frozen=True)
class Describe:
    """Describe one image in detail ("long") or read its text ("ocr") with `model`.
    Result: its CaptionResult (an empty or runaway answer is the result's error); failed: the
    model could not be loaded or cannot do the task, or the request was cancelled."""

    path: Path
    task: str
    model: str
    device: str = "auto"
    # Context (SmolVLM2 only): what the folder name and the file's keywords, headline and
    # location say, read here with ExifTool; names of people only with `people`. Off unless
    # the person switched it on; what is read is sent (context_read) before the model uses it.
    use_context: bool = False
    people: bool = False


class DescribeWorker(Worker):
    """done(Describe, CaptionResult) / failed(Describe, ErrorInfo), plus
    `model_loading(name)` before a model is loaded, `answering(Describe)` once it generates, and
    `progress(done, total)` as the
    answer arrives."""

    model_loading = Signal(str)
    answering = Signal(object)
    context_read = Signal(object, str)  # the Describe request, the context given to the model
    progress = Signal(int, int)

    def __init__(
        self, factory: DescriberFactory = _default_factory, parent: QObject | None = None
    ) -> None:
        super().__init__(parent)
        self._factory = factory
        self._captioner: Any = None
        self._key: tuple[str, str] | None = None
        self._cancel = CancelToken()
        self.handle(Describe, self._describe)

    def cancel(self) -> None:
        """Stop the request in progress (any thread)."""
        self._cancel.cancel()

    # -- worker thread -------------------------------------------------------------------------

    def _model(self, model: str, device: str) -> Any:
        if self._key != (model, device) or self._captioner is None:
            self._release()
            self.model_loading.emit(model)
            captioner = self._factory(model, device)
            captioner.load()
            self._captioner, self._key = captioner, (model, device)
        return self._captioner

    def _describe(self, request: Describe) -> CaptionResult:
        if request.task not in DESCRIBE_TASKS:
            raise UsageError(f"Unknown task {request.task!r}")
        try:
            # A cancel that came while this request waited in the queue counts too; the token
            # is reset after each request, and the window cancels only while one is pending.
            self._cancel.raise_if_cancelled()
            captioner = self._model(request.model, request.device)
            self._cancel.raise_if_cancelled()
            context = self._context(request, captioner)
            self.answering.emit(request)
            results = captioner.describe(
                [request.path],
                request.task,
                contexts=[context] if context else None,
                cancel=self._cancel,
                progress=lambda done, total: self.progress.emit(done, total),
            )
        finally:
            self._cancel.reset()
        return results[0]

    def _context(self, request: Describe, captioner: Any) -> str | None:
        if not request.use_context or not captioner.accepts_context:
            return None
        from altlens.core.captioning.context import read_contexts

        context = read_contexts([request.path], include_people=request.people)[0].prompt_text()
        self.context_read.emit(request, context or "")
        return context

    def _release(self) -> None:
        if self._captioner is not None:
            captioner, self._captioner = self._captioner, None
            self._key = None
            close = getattr(captioner, "close", None)
            if close is not None:
                close()
            gc.collect()

    def closing(self) -> None:
        self._release()
