# SPDX-License-Identifier: GPL-3.0-or-later
"""Writing: approving text into the library and the file (with a preview of the fields the
first time, or always), undoing the last write, and what the file holds now.

Every write goes through the writer thread, which records the decision in the library first;
the library's record then says approved, written or undone. This side only keeps the session
overlay (a write in flight) and tells the person what happened.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from altlens.core.alttext import clean_text
from altlens.core.types import ErrorInfo
from altlens.desktop.controller.parts import Parts
from altlens.desktop.controller.session import ReviewSession
from altlens.desktop.models.entries import ImageEntry
from altlens.desktop.views.dialogs import WritePreviewDialog
from altlens.desktop.workers.writer import (
    Approval,
    Approve,
    CheckWriting,
    Forget,
    PreviewWrite,
    ReadMetadata,
    Reject,
    Skip,
    Undo,
    WriteFile,
)
from PySide6.QtCore import QObject, Signal

if TYPE_CHECKING:  # core.metadata is imported where a request is made (it may be missing)
    from altlens.core.metadata import MetadataSnapshot, WritePlan, WriteRequest, WriteResult


class Writing(QObject):
    """`write_finished(Path, bool)` after a write or undo ends (ok or not)."""

    write_finished = Signal(object, bool)

    def __init__(self, parts: Parts, session: ReviewSession, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.p = parts
        self.say = parts.say
        self.session = session
        self.error: ErrorInfo | None = None  # why writing is impossible here, once known
        self.previewed = False  # a write preview was confirmed this session
        # The preview being shown for a path: (request, more requests to write, confirm).
        self._preview_queue: dict[Path, tuple[WriteRequest, list[WriteRequest], bool]] = {}

    # -- the writer's answers ------------------------------------------------------------------

    def on_done(self, request: object, result: object) -> None:
        match request:
            case ReadMetadata():
                self.on_metadata_read(result)  # type: ignore[arg-type]
            case PreviewWrite(request=req):
                self.on_preview_ready(req, result)  # type: ignore[arg-type]
            case WriteFile(request=req):
                self.on_written(req, result)  # type: ignore[arg-type]
            case Undo(path=path):
                self.on_undone(path, result)  # type: ignore[arg-type]
            case CheckWriting() | Approve() | Reject() | Skip() | Forget():
                pass  # their library rows came first (records_changed); nothing else to show

    def on_failed(self, request: object, error: ErrorInfo) -> None:
        match request:
            case CheckWriting():
                self.on_unavailable(error)
            case ReadMetadata(path=path):
                self.on_read_failed(path, error)
            case PreviewWrite(request=req):
                self.on_preview_failed(req, error)
            case Approve(approval=approval):
                self.on_approve_failed(approval, error)
            case WriteFile(request=req):
                self.on_write_failed(req, error)
            case Undo(path=path):
                self.on_undo_failed(path, error)
            case Reject(path=path) | Skip(path=path):
                self.on_decision_failed(path, error)
            case Forget():
                pass  # logged by the writer; the rows stay, nothing the person must do

    def on_decision_failed(self, path: Path, error: ErrorInfo) -> None:
        entry = self.p.images.entry(path)
        if entry is not None:
            self.p.images.update(entry.with_(pending=False))
        if path == self.session.current:
            self.session.show_current()
        self.say.decision_not_recorded(path.name, error)

    # -- requests ------------------------------------------------------------------------------

    def request(self, entry: ImageEntry) -> WriteRequest:
        from altlens.core.metadata import WriteRequest

        description = "\n".join(clean_text(line) for line in entry.description.splitlines()).strip()
        s = self.p.settings
        return WriteRequest(
            path=entry.path,
            alt_text=clean_text(entry.text),
            long_description=description or None,
            profile=s.value("write/profile"),
            overwrite=s.value("write/overwrite"),
            model=entry.model or None,
            reviewed=True,
            edited=entry.edited,
            keep_mtime=s.value("write/keep_mtime"),
            backup=s.value("write/backup"),
            sidecar_style=s.value("write/sidecar_style"),
        )

    def available(self) -> bool:
        if self.p.writer is None:
            self.say.writing_unavailable()
            return False
        if self.error is not None:
            self.say.say(self.error.message, assertive=True)
            return False
        return True

    # -- approving -----------------------------------------------------------------------------

    def approve(self, entry: ImageEntry) -> None:
        """The person approved the open image's text: record it, and write it when possible."""
        if self.p.writer is None:
            self.say.writing_unavailable()
            return
        if entry.decorative:
            # Decorative images need no alt text; the metadata writer cannot record
            # "decorative" (it needs non-empty alt text), so the decision lives in the library.
            self._decide(entry, None)
            self.say.approved_decorative(entry.name)
            self.session.after_decision()
            return
        if self.error is not None:
            self._decide(entry, None)
            self.say.approved_not_written(entry.name, self.error.message)
            self.session.after_decision()
            return
        self._write_with_preview([self.request(entry)])

    def write_many(self, entries: list[ImageEntry]) -> None:
        self._write_with_preview([self.request(e) for e in entries])

    def _decide(self, entry: ImageEntry, request: WriteRequest | None) -> None:
        """Record the approval in the library (on the writer thread) and, with a request,
        write it into the file right after."""
        assert self.p.writer is not None
        text = "" if entry.decorative else clean_text(entry.text)
        description = (
            "\n".join(clean_text(line) for line in entry.description.splitlines()).strip() or None
        )
        self.p.images.update(
            entry.with_(pending=True, writing=request is not None, error=None)
        )
        self.p.writer.approve(Approval(entry.path, text, description, entry.decorative, request))

    def _write_with_preview(self, requests: list[WriteRequest]) -> None:
        assert self.p.writer is not None
        first, more = requests[0], requests[1:]
        if self.p.settings.value("write/preview") == "always" or not self.previewed:
            self._preview_queue[first.path] = (first, more, True)
            self.p.writer.preview(first)
            return
        self._commit(requests)

    def preview_write(self) -> None:
        """Show exactly which fields a write would change (Ctrl+P), and offer to write."""
        entry = self.session.entry()
        if (
            entry is None
            or not self.session.ready_to_decide(entry)
            or not self.session.check_text(entry)
            or not self.available()
        ):
            return
        assert self.p.writer is not None
        request = self.request(entry)
        self._preview_queue[request.path] = (request, [], True)
        self.p.writer.preview(request)

    def on_preview_ready(self, request: WriteRequest, plan: WritePlan) -> None:
        pending = self._preview_queue.pop(request.path, None)
        if pending is None:
            return
        _req, more, confirm = pending
        dialog = WritePreviewDialog(
            plan,
            overwrite=request.overwrite,
            always=self.p.settings.value("write/preview") == "always",
            confirm=confirm,
            parent=self.p.window,
        )
        accepted = dialog.exec()
        self.p.settings.set_value(
            "write/preview", "always" if dialog.always.isChecked() else "first"
        )
        dialog.deleteLater()
        self.p.window.activateWindow()  # back to the review, where the focus is about to go
        if not accepted or not confirm:
            self.say.nothing_written()
            return
        self.previewed = True
        self._commit([request, *more])

    def on_preview_failed(self, request: WriteRequest, error: ErrorInfo) -> None:
        self._preview_queue.pop(request.path, None)
        self._handle_writer_error(error)
        self.say.cannot_write(request.path.name, error)

    def _commit(self, requests: list[WriteRequest]) -> None:
        for request in requests:
            entry = self.p.images.entry(request.path)
            if entry is None:
                continue
            self._decide(entry, request)
        if len(requests) > 1:
            self.say.writing_many(len(requests))
        self.session.after_decision()

    def on_written(self, request: WriteRequest, result: WriteResult) -> None:
        # The library's record (written) arrived just before; only the overlay ends here.
        entry = self.p.images.entry(request.path)
        if entry is not None:
            self.p.images.update(
                entry.with_(
                    writing=False,
                    journal_id=result.journal_id,
                    on_disk=request.alt_text,
                    error=None,
                )
            )
        if request.path == self.session.current:
            self.session.show_current()
        self.say.written(request.path.name, len(result.changes))
        self.write_finished.emit(request.path, True)

    def on_approve_failed(self, approval: Approval, error: ErrorInfo) -> None:
        entry = self.p.images.entry(approval.path)
        if entry is not None:
            self.p.images.update(entry.with_(writing=False, pending=False, error=error))
        if approval.path == self.session.current:
            self.session.show_current()
        self.say.approval_not_recorded(approval.path.name, error)
        self.write_finished.emit(approval.path, False)

    def on_write_failed(self, request: WriteRequest, error: ErrorInfo) -> None:
        # The approval is recorded (the library says approved); the file was not written.
        entry = self.p.images.entry(request.path)
        if entry is not None:
            self.p.images.update(entry.with_(writing=False, error=error))
        self._handle_writer_error(error)
        if request.path == self.session.current:
            self.session.show_current()
        self.say.write_failed(request.path.name, error)
        self.write_finished.emit(request.path, False)

    # -- undo ----------------------------------------------------------------------------------

    def undo_last_write(self) -> None:
        entry = self.session.entry()
        if not self.session.ready_to_decide(entry) or not self.available():
            return
        assert entry is not None and self.p.writer is not None
        self.p.images.update(entry.with_(writing=True))
        self.p.writer.undo(entry.path)
        self.session.show_current()

    def on_undone(self, path: Path, _result: WriteResult) -> None:
        # Its record (undone) arrived just before. The image stays open even when it left the
        # list's filter (the "Written" view), so what is said next is about what is shown.
        entry = self.p.images.entry(path)
        if entry is not None:
            self.p.images.update(entry.with_(writing=False, journal_id=None, error=None))
        if path == self.session.current:
            self.session.show_current()
            self.read_on_disk(path)
        self.say.undone(path.name)
        self.write_finished.emit(path, True)

    def on_undo_failed(self, path: Path, error: ErrorInfo) -> None:
        entry = self.p.images.entry(path)
        if entry is not None:
            self.p.images.update(entry.with_(writing=False))
        self._handle_writer_error(error)
        if path == self.session.current:
            self.session.show_current()
        self.say.undo_failed(path.name, error)
        self.write_finished.emit(path, False)

    # -- metadata on disk ----------------------------------------------------------------------

    def read_on_disk(self, path: Path) -> None:
        if self.p.writer is not None and self.error is None:
            self.p.writer.read(path)

    def on_metadata_read(self, snapshot: MetadataSnapshot) -> None:
        entry = self.p.images.entry(snapshot.path)
        if entry is None:
            return
        self.p.images.update(entry.with_(on_disk=snapshot.caption))
        if snapshot.path == self.session.current:
            self.session.show_current()

    def on_read_failed(self, _path: Path, error: ErrorInfo) -> None:
        self._handle_writer_error(error)

    def _handle_writer_error(self, error: ErrorInfo) -> None:
        if error.code in ("exiftool-missing", "metadata-unavailable"):
            self.on_unavailable(error)

    def on_unavailable(self, error: ErrorInfo) -> None:
        self.error = error
        self.p.window.show_writer_problem(
            self.tr("Captions cannot be written into files"),
            self.tr(
                "%1\n\nSuggestions still work, and you can approve them; approved text is "
                "written with Approve and Write Selected once writing works."
            ).replace("%1", error.message),
        )
        self.session.update_actions()
