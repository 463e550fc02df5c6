# SPDX-License-Identifier: GPL-3.0-or-later
"""The writer thread: the only thread that touches metadata in files, and the one that
records a person's decisions in the library (each one committed to disk before the next
step, so a crash never loses an approval and never leaves a write unrecorded).

It owns one core.metadata.MetadataWriter (one ExifTool process), created in this thread on
first use. Requests run one at a time in the order they were made; shutdown is queued behind
them, so approved writes finish before the app exits.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from PySide6.QtCore import QObject, Qt, QThread, Signal, Slot

from core.library import Library
from core.types import ErrorInfo

log = logging.getLogger(__name__)


def _default_factory() -> Any:
    from core.metadata import MetadataWriter

    return MetadataWriter()


@dataclass(frozen=True)
class Approval:
    """What a person approved for one image. `request` (a core.metadata WriteRequest) is set
    when the text is to be written into the file now; None records the decision only
    (a decorative image, or writing is impossible on this computer)."""

    path: Path
    text: str
    long_description: str | None = None
    decorative: bool = False
    request: Any = None


class WriterWorker(QObject):
    """Signals carry frozen values (and the request they answer):

    records_changed(tuple[ImageRecord])         the library rows after a decision or a write
    metadata_read(MetadataSnapshot)             read_failed(Path, ErrorInfo)
    preview_ready(WriteRequest, WritePlan)      preview_failed(WriteRequest, ErrorInfo)
    approved(Approval)                          approve_failed(Approval, ErrorInfo)
    written(WriteRequest, WriteResult)          write_failed(WriteRequest, ErrorInfo)
    undone(Path, WriteResult)                   undo_failed(Path, ErrorInfo)
    unavailable(ErrorInfo)                      writing is impossible here (ExifTool missing)
    """

    records_changed = Signal(object)
    unavailable = Signal(object)
    metadata_read = Signal(object)
    read_failed = Signal(object, object)
    preview_ready = Signal(object, object)
    preview_failed = Signal(object, object)
    approved = Signal(object)
    approve_failed = Signal(object, object)
    written = Signal(object, object)
    write_failed = Signal(object, object)
    undone = Signal(object, object)
    undo_failed = Signal(object, object)

    _requested = Signal(str, object)
    _shutdown_requested = Signal()

    def __init__(
        self,
        library: Library,
        factory: Callable[[], Any] = _default_factory,
        parent: QObject | None = None,
    ) -> None:
        super().__init__(parent)
        self.library = library
        self._factory = factory
        self._writer: Any = None
        Queued = Qt.ConnectionType.QueuedConnection
        self._requested.connect(self._run, Queued)
        self._shutdown_requested.connect(self._shutdown, Queued)

    # -- thread-safe API ---------------------------------------------------------------------

    def check(self) -> None:
        """Find out (off the GUI thread: it searches PATH) whether writing is possible."""
        self._requested.emit("check", ())

    def read(self, path: Path) -> None:
        self._requested.emit("read", (Path(path),))

    def preview(self, request: Any) -> None:
        self._requested.emit("preview", (request,))

    def approve(self, approval: Approval) -> None:
        """Record the approval in the library, then write it into the file if it has a request."""
        self._requested.emit("approve", (approval,))

    def reject(self, path: Path) -> None:
        self._requested.emit("reject", (Path(path),))

    def skip(self, path: Path) -> None:
        self._requested.emit("skip", (Path(path),))

    def forget(self, paths: Iterable[Path]) -> None:
        """Remove images from the library (never their files)."""
        self._requested.emit("forget", (tuple(Path(p) for p in paths),))

    def undo(self, path: Path) -> None:
        self._requested.emit("undo", (Path(path),))

    def shutdown(self) -> None:
        """Finish the requests already made, stop ExifTool, end the thread."""
        self._shutdown_requested.emit()

    # -- writer thread -----------------------------------------------------------------------

    def _metadata(self) -> Any:
        if self._writer is None:
            self._writer = self._factory()
        return self._writer

    def _changed(self, paths: Iterable[Path]) -> None:
        self.records_changed.emit(tuple(self.library.images(paths=list(paths))))

    @Slot(str, object)
    def _run(self, op: str, args: tuple[Any, ...]) -> None:
        getattr(self, f"_{op}")(*args)

    def _check(self) -> None:
        try:
            from core.metadata import ExifToolMissingError, exiftool_available
        except ImportError as exc:
            self.unavailable.emit(
                ErrorInfo("metadata-unavailable", f"The metadata writer is not installed: {exc}")
            )
            return
        if not exiftool_available():
            self.unavailable.emit(ErrorInfo.from_exception(ExifToolMissingError()))

    def _read(self, path: Path) -> None:
        try:
            snapshot = self._metadata().read(path)
        except Exception as exc:
            self.read_failed.emit(path, _error(exc))
        else:
            self.metadata_read.emit(snapshot)

    def _preview(self, request: Any) -> None:
        try:
            plan = self._metadata().preview(request)
        except Exception as exc:
            self.preview_failed.emit(request, _error(exc))
        else:
            self.preview_ready.emit(request, plan)

    def _approve(self, approval: Approval) -> None:
        try:
            self.library.approve(
                approval.path,
                approval.text,
                long_description=approval.long_description,
                decorative=approval.decorative,
            )
        except Exception as exc:
            log.warning("recording the approval of %s failed: %s", approval.path, exc)
            self._changed([approval.path])
            self.approve_failed.emit(approval, _error(exc))
            return
        self._changed([approval.path])
        self.approved.emit(approval)
        if approval.request is not None:
            self._write(approval.request)

    def _write(self, request: Any) -> None:
        try:
            result = self._metadata().write(request)
        except Exception as exc:
            log.warning("writing %s failed: %s", request.path, exc)
            self._changed([request.path])  # first: the failure below must be the last word
            self.write_failed.emit(request, _error(exc))
            return
        log.info("wrote %d field(s) to %s", len(result.changes), request.path)
        identity = result.identity_after
        if identity is not None:
            try:
                # The file's identity after our write: the watcher's event for it is known as
                # ours and nothing is queued again.
                self.library.record_write(
                    request.path,
                    size=identity.size,
                    mtime_ns=identity.mtime_ns,
                    sha256=identity.sha256,
                    inode=identity.inode,
                    text=request.alt_text,
                    long_description=request.long_description,
                )
            except Exception as exc:
                log.exception("the write to %s succeeded but could not be recorded", request.path)
                self._changed([request.path])
                self.write_failed.emit(request, _error(exc))
                return
        self._changed([request.path])
        self.written.emit(request, result)

    def _caption_on_disk(self, path: Path) -> str | None:
        """The alt text (else description) the file holds now, as the library keeps it."""
        try:
            snapshot = self._metadata().read(path)
        except Exception as exc:
            log.warning("reading %s after the undo failed: %s", path, exc)
            return None
        value = snapshot.alt_text or snapshot.description
        return value.value if value is not None and not value.empty else None

    def _reject(self, path: Path) -> None:
        try:
            self.library.reject(path)
        except Exception as exc:
            log.warning("recording the rejection of %s failed: %s", path, exc)
        self._changed([path])

    def _skip(self, path: Path) -> None:
        try:
            self.library.skip(path)
        except Exception as exc:
            log.warning("recording the skip of %s failed: %s", path, exc)
        self._changed([path])

    def _forget(self, paths: tuple[Path, ...]) -> None:
        for p in paths:
            try:
                self.library.forget(p)
            except Exception as exc:
                log.warning("removing %s from the library failed: %s", p, exc)

    def _undo(self, path: Path) -> None:
        try:
            result = self._metadata().undo(path)
        except Exception as exc:
            log.warning("undoing the last write to %s failed: %s", path, exc)
            self._changed([path])
            self.undo_failed.emit(path, _error(exc))
            return
        try:
            self.library.record_undo(path, disk_caption=self._caption_on_disk(path))
        except Exception as exc:
            log.warning("recording the undo of %s failed: %s", path, exc)
        self._changed([path])
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
