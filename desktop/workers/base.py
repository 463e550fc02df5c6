# SPDX-License-Identifier: GPL-3.0-or-later
"""The worker pattern: one result contract for every request, as superqt's workers have
(`returned` / `errored`).

A request is a frozen dataclass; `submit(request)` queues it to the worker's thread, where
the handler registered for its type runs and either returns a result, sent as
`done(request, result)`, or raises, sent as `failed(request, ErrorInfo)`. The request comes
back with its answer, so the receiver knows what was asked without a signal per operation,
and dispatch is by type, never by a method-name string.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from altlens.core.types import ErrorInfo
from PySide6.QtCore import QObject, Qt, QThread, Signal, Slot

log = logging.getLogger(__name__)

Handler = Callable[[Any], Any]


@dataclass(frozen=True)
class Then:
    """A handler's result and a request to run right after it on the same thread, before
    anything else queued (an approval and then its write: shutdown cannot come between)."""

    result: Any
    next: object


class Worker(QObject):
    """Base of the request/result workers. Subclasses register handlers in __init__ with
    `self.handle(RequestType, method)` and may override `closing()` to release what their
    thread owns before it ends.

    done(request, result)            a request finished
    failed(request, ErrorInfo)       a request failed; the error says why, for people
    records_changed(tuple[ImageRecord])  library rows changed as a side effect (any request)
    """

    done = Signal(object, object)
    failed = Signal(object, object)
    records_changed = Signal(object)

    _submitted = Signal(object)
    _shutdown_requested = Signal()

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._handlers: dict[type, Handler] = {}
        Queued = Qt.ConnectionType.QueuedConnection
        self._submitted.connect(self._run, Queued)
        self._shutdown_requested.connect(self._shutdown, Queued)

    def handle(self, request_type: type, handler: Handler) -> None:
        self._handlers[request_type] = handler

    # -- thread-safe API ---------------------------------------------------------------------

    def submit(self, request: object) -> None:
        """Queue `request` to the worker's thread; requests run one at a time, in order."""
        if type(request) not in self._handlers:  # a programming error: say so at the call
            raise TypeError(f"{type(self).__name__} has no handler for {type(request).__name__}")
        self._submitted.emit(request)

    def shutdown(self) -> None:
        """Finish the requests already submitted, release the thread's resources, end it."""
        self._shutdown_requested.emit()

    # -- worker thread -----------------------------------------------------------------------

    @Slot(object)
    def _run(self, request: object) -> None:
        self.run_now(request)

    def run_now(self, request: object) -> None:
        """Run `request` on this thread and send its answer (a handler may chain another)."""
        try:
            result = self._handlers[type(request)](request)
        except Exception as exc:
            if not hasattr(exc, "code"):  # not one of AltLens's typed errors: a bug
                log.error("unexpected error in %s", type(self).__name__, exc_info=exc)
            else:
                log.warning("%s failed: %s", type(request).__name__, exc)
            self.failed.emit(request, ErrorInfo.from_exception(exc))
            return
        if isinstance(result, Then):
            self.done.emit(request, result.result)
            self.run_now(result.next)
            return
        self.done.emit(request, result)

    def closing(self) -> None:
        """Release what this thread owns (a process, a model); runs on the worker's thread."""

    @Slot()
    def _shutdown(self) -> None:
        try:
            self.closing()
        except Exception:
            log.exception("closing %s failed", type(self).__name__)
        QThread.currentThread().quit()
