# SPDX-License-Identifier: GPL-3.0-or-later
"""The writer thread: the only thread that touches metadata in files, and the one that
records a person's decisions in the library (each one committed to disk before the next
step, so a crash never loses an approval and never leaves a write unrecorded).

It owns one core.metadata.MetadataWriter (one ExifTool process), created in this thread on
first use. Requests run one at a time in the order they were made; shutdown is queued behind
them, so approved writes finish before the app exits.

Every request is a frozen dataclass below and is answered by the base Worker's
`done(request, result)` or `failed(request, ErrorInfo)`; the library rows a request changed
are sent first as `records_changed`, so the answer is the last word.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from altlens.core.errors import AltLensError
from altlens.core.library import Library
from altlens.desktop.workers.base import Then, Worker
from PySide6.QtCore import QObject

if TYPE_CHECKING:  # imported in the thread on first use (it may be missing: see CheckWriting)
    from altlens.core.metadata import MetadataSnapshot, WritePlan, WriteRequest, WriteResult

log = logging.getLogger(__name__)


def _default_factory() -> Any:
    from altlens.core.metadata import MetadataWriter

    return MetadataWriter()


class MetadataUnavailableError(AltLensError):
    code = "metadata-unavailable"


@dataclass(frozen=True)
class Approval:
    """What a person approved for one image. `request` is set when the text is to be written
    into the file now; None records the decision only (a decorative image, or writing is
    impossible on this computer)."""

    path: Path
    text: str
    long_description: str | None = None
    decorative: bool = False
    request: WriteRequest | None = None


# -- requests (answered with done(request, result) or failed(request, ErrorInfo)) -------------


@dataclass(frozen=True)
class CheckWriting:
    """Can files be written here (ExifTool found)? Result: None; failed says why not."""


@dataclass(frozen=True)
class ReadMetadata:
    """Result: MetadataSnapshot."""

    path: Path


@dataclass(frozen=True)
class PreviewWrite:
    """Result: WritePlan."""

    request: WriteRequest


@dataclass(frozen=True)
class Approve:
    """Record the approval (result: None); with `approval.request`, a WriteFile follows."""

    approval: Approval


@dataclass(frozen=True)
class WriteFile:
    """Result: WriteResult. Submitted by Approve, after the approval is recorded."""

    request: WriteRequest


@dataclass(frozen=True)
class Reject:
    path: Path


@dataclass(frozen=True)
class Skip:
    path: Path


@dataclass(frozen=True)
class Forget:
    """Remove images from the library (never their files)."""

    paths: tuple[Path, ...]


@dataclass(frozen=True)
class Undo:
    """Undo the last write into the file. Result: WriteResult."""

    path: Path


class WriterWorker(Worker):
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
        self.handle(CheckWriting, self._check)
        self.handle(ReadMetadata, self._read)
        self.handle(PreviewWrite, self._preview)
        self.handle(Approve, self._approve)
        self.handle(WriteFile, self._write)
        self.handle(Reject, self._reject)
        self.handle(Skip, self._skip)
        self.handle(Forget, self._forget)
        self.handle(Undo, self._undo)

    # -- thread-safe conveniences --------------------------------------------------------------

    def check(self) -> None:
        """Find out (off the GUI thread: it searches PATH) whether writing is possible."""
        self.submit(CheckWriting())

    def read(self, path: Path) -> None:
        self.submit(ReadMetadata(Path(path)))

    def preview(self, request: WriteRequest) -> None:
        self.submit(PreviewWrite(request))

    def approve(self, approval: Approval) -> None:
        """Record the approval in the library, then write it into the file if it has a request."""
        self.submit(Approve(approval))

    def reject(self, path: Path) -> None:
        self.submit(Reject(Path(path)))

    def skip(self, path: Path) -> None:
        self.submit(Skip(Path(path)))

    def forget(self, paths: Iterable[Path]) -> None:
        self.submit(Forget(tuple(Path(p) for p in paths)))

    def undo(self, path: Path) -> None:
        self.submit(Undo(Path(path)))

    # -- writer thread -------------------------------------------------------------------------

    def _metadata(self) -> Any:
        if self._writer is None:
            self._writer = self._factory()
        return self._writer

    def _changed(self, paths: Iterable[Path]) -> None:
        self.records_changed.emit(tuple(self.library.images(paths=list(paths))))

    def _check(self, _request: CheckWriting) -> None:
        try:
            from altlens.core.metadata import ExifToolMissingError, exiftool_available
        except ImportError as exc:
            raise MetadataUnavailableError(f"The metadata writer is not installed: {exc}") from exc
        if not exiftool_available():
            raise ExifToolMissingError()

    def _read(self, request: ReadMetadata) -> MetadataSnapshot:
        return self._metadata().read(request.path)

    def _preview(self, request: PreviewWrite) -> WritePlan:
        return self._metadata().preview(request.request)

    def _approve(self, request: Approve) -> Then | None:
        a = request.approval
        try:
            self.library.approve(
                a.path, a.text, long_description=a.long_description, decorative=a.decorative
            )
        finally:
            self._changed([a.path])
        return Then(None, WriteFile(a.request)) if a.request is not None else None

    def _write(self, request: WriteFile) -> WriteResult:
        req = request.request
        try:
            result = self._metadata().write(req)
            log.info("wrote %d field(s) to %s", len(result.changes), req.path)
            identity = result.identity_after
            if identity is not None:
                # The file's identity after our write: the watcher's event for it is known as
                # ours and nothing is queued again.
                self.library.record_write(
                    req.path,
                    journal_id=result.journal_id,  # the write's one record: undo reads it
                    size=identity.size,
                    mtime_ns=identity.mtime_ns,
                    sha256=identity.sha256,
                    inode=identity.inode,
                    text=req.alt_text,
                    long_description=req.long_description,
                )
        finally:
            self._changed([req.path])  # first: the answer below must be the last word
        return result

    def _reject(self, request: Reject) -> None:
        try:
            self.library.reject(request.path)
        finally:
            self._changed([request.path])

    def _skip(self, request: Skip) -> None:
        try:
            self.library.skip(request.path)
        finally:
            self._changed([request.path])

    def _forget(self, request: Forget) -> None:
        for p in request.paths:
            try:
                self.library.forget(p)
            except Exception as exc:
                log.warning("removing %s from the library failed: %s", p, exc)

    def _undo(self, request: Undo) -> WriteResult:
        path = request.path
        try:
            result = self._metadata().undo(path)
            try:
                self.library.record_undo(
                    path, disk_caption=self._caption_on_disk(path), journal_id=result.journal_id
                )
            except Exception as exc:  # the file is restored; the record says it next time
                log.warning("recording the undo of %s failed: %s", path, exc)
        finally:
            self._changed([path])
        return result

    def _caption_on_disk(self, path: Path) -> str | None:
        """The alt text (else description) the file holds now, as the library keeps it."""
        try:
            snapshot = self._metadata().read(path)
        except Exception as exc:
            log.warning("reading %s after the undo failed: %s", path, exc)
            return None
        return snapshot.caption

    def closing(self) -> None:
        if self._writer is not None:
            self._writer.close()
            self._writer = None
