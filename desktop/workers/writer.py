# SPDX-License-Identifier: GPL-3.0-or-later
"""The writer thread: the only thread that touches metadata in files.

It owns one core.metadata.MetadataWriter (one ExifTool process), created in this thread on
first use. Requests run one at a time in the order they were made; shutdown is queued behind
them, so approved writes finish before the app exits.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from pathlib import Path
from typing import Any

from PySide6.QtCore import QObject, QThread, Qt, Signal, Slot

from core.types import ErrorInfo

log = logging.getLogger(__name__)


def _default_factory() -> Any:
    from core.metadata import MetadataWriter

    return MetadataWriter()


class WriterWorker(QObject):
    """Signals carry frozen core.metadata values (and the request they answer):

    metadata_read(MetadataSnapshot)             read_failed(Path, ErrorInfo)
    preview_ready(WriteRequest, WritePlan)      preview_failed(WriteRequest, ErrorInfo)
    written(WriteRequest, WriteResult)          write_failed(WriteRequest, ErrorInfo)
    undone(Path, WriteResult)                   undo_failed(Path, ErrorInfo)
    unavailable(ErrorInfo)                      writing is impossible here (ExifTool missing)
    """

    unavailable = Signal(object)

    metadata_read = Signal(object)
    read_failed = Signal(object, object)
    preview_ready = Signal(object, object)
    preview_failed = Signal(object, object)
    written = Signal(object, object)
    write_failed = Signal(object, object)
    undone = Signal(object, object)
    undo_failed = Signal(object, object)

    _check_requested = Signal()
    _read_requested = Signal(object)
    _preview_requested = Signal(object)
    _write_requested = Signal(object)
    _undo_requested = Signal(object)
    _shutdown_requested = Signal()

    def __init__(self, factory: Callable[[], Any] = _default_factory, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._factory = factory
        self._writer: Any = None
        Queued = Qt.ConnectionType.QueuedConnection
        self._check_requested.connect(self._check, Queued)
        self._read_requested.connect(self._read, Queued)
        self._preview_requested.connect(self._preview, Queued)
        self._write_requested.connect(self._write, Queued)
        self._undo_requested.connect(self._undo, Queued)
        self._shutdown_requested.connect(self._shutdown, Queued)

    # -- thread-safe API ---------------------------------------------------------------------

    def check(self) -> None:
        """Find out (off the GUI thread: it searches PATH) whether writing is possible."""
        self._check_requested.emit()

    def read(self, path: Path) -> None:
        self._read_requested.emit(Path(path))

    def preview(self, request: Any) -> None:
        self._preview_requested.emit(request)

    def write(self, request: Any) -> None:
        self._write_requested.emit(request)

    def undo(self, path: Path) -> None:
        self._undo_requested.emit(Path(path))

    def shutdown(self) -> None:
        """Finish the requests already made, stop ExifTool, end the thread."""
        self._shutdown_requested.emit()

    # -- writer thread -----------------------------------------------------------------------

    def _metadata(self) -> Any:
        if self._writer is None:
            self._writer = self._factory()
        return self._writer

    @Slot()
    def _check(self) -> None:
        try:
            from core.metadata import ExifToolMissingError, exiftool_available
        except ImportError as exc:
            self.unavailable.emit(ErrorInfo("metadata-unavailable", f"The metadata writer is not installed: {exc}"))
            return
        if not exiftool_available():
            self.unavailable.emit(ErrorInfo.from_exception(ExifToolMissingError()))

    @Slot(object)
    def _read(self, path: Path) -> None:
        try:
            snapshot = self._metadata().read(path)
        except Exception as exc:
            self.read_failed.emit(path, _error(exc))
        else:
            self.metadata_read.emit(snapshot)

    @Slot(object)
    def _preview(self, request: Any) -> None:
        try:
            plan = self._metadata().preview(request)
        except Exception as exc:
            self.preview_failed.emit(request, _error(exc))
        else:
            self.preview_ready.emit(request, plan)

    @Slot(object)
    def _write(self, request: Any) -> None:
        try:
            result = self._metadata().write(request)
        except Exception as exc:
            log.warning("writing %s failed: %s", request.path, exc)
            self.write_failed.emit(request, _error(exc))
        else:
            log.info("wrote %d field(s) to %s", len(result.changes), request.path)
            self.written.emit(request, result)

    @Slot(object)
    def _undo(self, path: Path) -> None:
        try:
            result = self._metadata().undo(path)
        except Exception as exc:
            log.warning("undoing the last write to %s failed: %s", path, exc)
            self.undo_failed.emit(path, _error(exc))
        else:
            self.undone.emit(path, result)

    @Slot()
    def _shutdown(self) -> None:
        if self._writer is not None:
            try:
                self._writer.close()
            except Exception:
                log.exception("closing the metadata writer failed")
            self._writer = None
        QThread.currentThread().quit()


def _error(exc: BaseException) -> ErrorInfo:
    if not hasattr(exc, "code"):
        log.error("unexpected error in the writer thread", exc_info=exc)
    return ErrorInfo.from_exception(exc)
