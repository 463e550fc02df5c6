# SPDX-License-Identifier: GPL-3.0-or-later
"""MetadataWriter: read, preview, write and undo captions, through one ExifTool process.

The write pipeline, one unit per step (each step can refuse, and any refusal leaves every
file as it was):

- inspect.py  what the file is and holds now (container by content, identity, full dump,
              sidecars, the caption already there); refusals that need no plan;
- plan.py     which fields change, from what to what, per the format family's rules
              (formats.py) and the fill rules; the undo plan from a journal entry;
- apply.py    ExifTool writes a verified copy beside each file, the undo is tried on it,
              then journal, atomic rename, fsync (files.py);
- verify.py   the copy read back and compared with the original, tag by tag and binary
              block by binary block (diff.py).

This class owns the ExifTool process, the journal (journal.py) and the stale-temp clean-up,
and is the public face: read, preview, write, history, undo.

Threading: a MetadataWriter and its ExifTool process belong to ONE thread (the app's writer
thread); calls from another thread raise RuntimeError.
"""

from __future__ import annotations

import logging
import os
import threading
from pathlib import Path

from altlens.core.metadata import files
from altlens.core.metadata.apply import Applier
from altlens.core.metadata.errors import (
    CorruptFileError,
    ExifToolError,
    FileMissingError,
    NothingToUndoError,
    UndoRefusedError,
    WriteVerificationError,
)
from altlens.core.metadata.exiftool import ExifTool
from altlens.core.metadata.inspect import Inspector, _Dump, _real, _Subject
from altlens.core.metadata.journal import WriteJournal
from altlens.core.metadata.plan import Planner, _TargetOp, undo_ops
from altlens.core.metadata.types import (
    FileIdentity,
    JournalEntry,
    MetadataSnapshot,
    WritePlan,
    WriteRequest,
    WriteResult,
)
from altlens.core.metadata.verify import Verifier

log = logging.getLogger(__name__)


class MetadataWriter:
    """Reads and writes alt text and captions. See the package docstring for the roles.

    `exiftool`: an ExifTool to use (default: a new one, started on first use).
    `journal_path`: the write journal (default: app_dirs().data / "journal.sqlite3").
    `backup_dir`: where `WriteRequest.backup` copies go (default: app_dirs().data / "backups").
    """

    def __init__(
        self,
        *,
        exiftool: ExifTool | None = None,
        journal_path: Path | None = None,
        backup_dir: Path | None = None,
    ) -> None:
        self._et = exiftool if exiftool is not None else ExifTool()
        self._owns_et = exiftool is None
        self._journal_path = journal_path
        self._backup_dir = backup_dir
        self._journal: WriteJournal | None = None
        self._owner: int | None = None
        self._cleaned: set[str] = set()
        self.removed_temp_files: list[Path] = []  # stale temps cleaned by this writer
        # the four steps, each its own unit (same thread, same ExifTool)
        self._inspector = Inspector(self._et, self._touch_folder)
        self._planner = Planner(self._et)
        self._verifier = Verifier(self._et, self._inspector)
        self._applier = Applier(self._et, self._verifier, self._verify, lambda: self.journal,
                                self._backup_root, self._undo_root)

    # -- lifecycle -------------------------------------------------------------------------

    def close(self) -> None:
        if self._owns_et:
            self._et.close()
        if self._journal is not None:
            self._journal.close()
            self._journal = None

    def __enter__(self) -> MetadataWriter:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _check_thread(self) -> None:
        me = threading.get_ident()
        if self._owner is None:
            self._owner = me
        elif self._owner != me:
            raise RuntimeError("MetadataWriter is confined to the thread that first used it")

    @property
    def exiftool(self) -> ExifTool:
        return self._et

    @property
    def journal(self) -> WriteJournal:
        if self._journal is None:
            path = self._journal_path
            if path is None:
                from altlens.core.paths import app_dirs

                path = app_dirs().data / "journal.sqlite3"
            self._journal = WriteJournal(path)
            self._journal.reconcile(self._identity_or_none)
        return self._journal

    def _undo_root(self) -> Path:
        """Where originals are kept for the writes that tags alone cannot undo: beside the
        journal that points at them."""
        if self._journal_path is not None:
            return self._journal_path.parent / "undo"
        from altlens.core.paths import app_dirs

        return app_dirs().data / "undo"

    def _backup_root(self) -> Path:
        if self._backup_dir is not None:
            return self._backup_dir
        from altlens.core.paths import app_dirs

        return app_dirs().data / "backups"

    @staticmethod
    def _identity_or_none(path: Path) -> FileIdentity | None:
        try:
            return files.file_identity(path)
        except (FileMissingError, OSError):
            return None

    def clean_folder(self, folder: str | os.PathLike[str]) -> list[Path]:
        """Remove stale temp files (AltLens's and ExifTool's) from a folder."""
        removed = files.clean_stale_temp_files(folder)
        self.removed_temp_files.extend(removed)
        return removed

    def _touch_folder(self, folder: Path) -> None:
        key = os.fspath(folder)
        if key not in self._cleaned:
            self._cleaned.add(key)
            self.clean_folder(folder)

    # -- public API ------------------------------------------------------------------------

    def read(self, path: str | os.PathLike[str]) -> MetadataSnapshot:
        """Current alt text, caption, long description and title, with where each came from."""
        self._check_thread()
        subject = self._inspector._inspect(Path(path), full=False)
        return self._inspector._snapshot(subject)

    def preview(self, request: WriteRequest) -> WritePlan:
        """What `write(request)` would change now, without changing anything."""
        self._check_thread()
        subject = self._inspector._inspect_for_write(request.path, request.expected_identity)
        ops, skipped, warnings = self._planner._plan(request, subject)
        return self._planner._as_plan(subject, ops, skipped, warnings)

    def write(self, request: WriteRequest) -> WriteResult:
        """Write what a person approved; see the module docstring for the steps."""
        self._check_thread()
        subject = self._inspector._inspect_for_write(request.path, request.expected_identity)
        ops, skipped, warnings = self._planner._plan(request, subject)
        if not any(op.changes for op in ops):
            return WriteResult(
                path=subject.path, targets=tuple(op.path for op in ops), changes=(),
                identity_after=subject.photo.identity, journal_id=None,
                warnings=tuple(warnings), skipped=tuple(skipped),
            )
        info = {
            "profile": str(request.profile), "overwrite": request.overwrite,
            "model": request.model, "reviewed": request.reviewed, "edited": request.edited,
        }
        try:
            return self._applier._apply(subject, ops, kind="write",
                                        keep_mtime=request.keep_mtime, backup=request.backup,
                                        info=info, warnings=warnings, skipped=skipped)
        except (WriteVerificationError, ExifToolError, CorruptFileError) as exc:
            if not subject.format.embedded:
                raise  # already a sidecar: there is no safer place; the reason stands
            # ExifTool cannot rewrite this photo losslessly: a sidecar does no harm
            log.warning("%s: writing a sidecar instead: %s", subject.path, exc)
            reason = (f"ExifTool cannot rewrite this file without changing something else "
                      f"({exc.message}), so the text was written to an XMP sidecar and the "
                      "photo was not changed.")
            fallback = self._inspector._as_sidecar(subject, reason)
            ops, skipped, warnings = self._planner._plan(request, fallback)
            return self._applier._apply(fallback, ops, kind="write",
                                        keep_mtime=request.keep_mtime, backup=request.backup,
                                        info=info, warnings=warnings, skipped=skipped)

    def history(self, path: str | os.PathLike[str]) -> list[JournalEntry]:
        """Journaled writes and undos of this photo, oldest first."""
        self._check_thread()
        return self.journal.entries(_real(path))

    def undo(self, path: str | os.PathLike[str]) -> WriteResult:
        """Undo the latest not-yet-undone write of this photo, if every file it wrote is still
        exactly as AltLens left it (else UndoRefusedError; NothingToUndoError if none)."""
        self._check_thread()
        photo = _real(path)
        entries = self.journal.entries(photo)
        todo = next((e for e in reversed(entries) if e.kind == "write" and e.undone_by is None),
                    None)
        if todo is None:
            raise NothingToUndoError("AltLens has no write of this file to undo.", path=photo)
        # each file must still be what the most recent operation on it left
        latest_after: dict[Path, FileIdentity | None] = {}
        for entry in entries:
            for target, after, _created in entry.targets:
                latest_after[target] = after
        for target, _after, _created in todo.targets:
            expected = latest_after.get(target)
            current = self._identity_or_none(target)
            unchanged = (current is None) if expected is None else expected.same_content(current)
            if not unchanged:
                raise UndoRefusedError(
                    "The file changed after AltLens wrote it, so undoing could lose that "
                    "change; nothing was done.", path=target,
                    hint="Restore it from a backup, or edit the text instead.",
                )
        subject = self._inspector._inspect_for_write(photo, None, undo=True)
        ops = undo_ops(todo, photo, subject,
                       lambda p: self._inspector._inspect_file(p, full=True))
        return self._applier._apply(subject, ops, kind="undo", keep_mtime=True, backup=False,
                                    info={"undoes": todo.id}, warnings=[], skipped=[],
                                    undoes=todo.id)

    def _verify(self, op: _TargetOp, tmp: Path, subject: _Subject) -> _Dump:
        """Step 4 for one new copy (a method, so a test can meddle between the steps)."""
        return self._verifier._verify(op, tmp, subject)

