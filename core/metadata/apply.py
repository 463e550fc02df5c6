# SPDX-License-Identifier: GPL-3.0-or-later
"""Step 3 and the transaction: ExifTool writes each new version into a temp file beside the
original (IIM in a legacy character set converted in a second, `-m` step on that copy), it is
verified (verify.py), the undo is tried on it and must read back exactly as the original
(else the original's bytes are kept for undo), then every copy is fsync'd, given the
original's permissions, xattrs and mtime, journaled as pending, renamed over its original
(`os.replace`, folder fsync'd) and the journal entry marked done."""

from __future__ import annotations

import json
import logging
import os
import re
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Any

from altlens.core.metadata import fields as F
from altlens.core.metadata import files
from altlens.core.metadata.diff import restore_change, tags_digest, undo_restores
from altlens.core.metadata.errors import (
    CorruptFileError,
    ExifToolError,
    FileChangedError,
    FileReadOnlyError,
    MetadataError,
    UndoRefusedError,
)
from altlens.core.metadata.exiftool import ExifTool, ValueFiles
from altlens.core.metadata.inspect import _TEMP_EXTENSIONS, _Dump, _Subject
from altlens.core.metadata.journal import WriteJournal
from altlens.core.metadata.plan import PROVENANCE_FIELD, _TargetOp
from altlens.core.metadata.types import ROLES, FieldChange, FileIdentity, SkippedField, WriteResult
from altlens.core.metadata.verify import Verifier

log = logging.getLogger(__name__)


class Applier:
    """Runs planned writes and undos. `verify` checks a new copy (the writer's hook);
    `journal`, `backup_root` and `undo_root` are resolved lazily, on the first write."""

    def __init__(self, et: ExifTool, verifier: Verifier,
                 verify: Callable[[_TargetOp, Path, _Subject], _Dump],
                 journal: Callable[[], WriteJournal], backup_root: Callable[[], Path],
                 undo_root: Callable[[], Path]) -> None:
        self._et = et
        self._verifier = verifier
        self._verify = verify
        self._journal = journal
        self._backup_root = backup_root
        self._undo_root = undo_root

    def _apply(self, subject: _Subject, ops: list[_TargetOp], *, kind: str, keep_mtime: bool,
               backup: bool, info: dict[str, Any], warnings: list[str],
               skipped: list[SkippedField], undoes: int | None = None) -> WriteResult:
        # (op, temp file or None for a deletion, identity of the temp, backup)
        staged: list[tuple[_TargetOp, Path | None, FileIdentity | None, Path | None]] = []
        warnings = list(warnings)
        try:
            for op in ops:
                if not op.changes and not op.delete_file:
                    continue
                if op.delete_file:
                    staged.append((op, None, None, None))
                    continue
                tmp = self._produce(subject, op)
                staged.append((op, tmp, None, None))
                after = self._verify(op, tmp, subject)
                if kind == "write":
                    self._prepare_undo(subject, op, tmp, after)
                files.fsync_file(tmp)
                if op.inspection is not None:
                    warnings += files.copy_attributes(
                        op.inspection.stat, op.path, tmp, keep_mtime=keep_mtime and op.embedded)
                ident = files.file_identity(tmp)
                staged[-1] = (op, tmp, ident, None)
            # last look: nobody changed the originals while we worked
            for i, st in enumerate(staged):
                self._check_unchanged(st[0])
                if backup and st[0].inspection is not None:
                    prefix = datetime.now().strftime("%Y%m%d-%H%M%S") + f"-{os.getpid()}"
                    copy = files.backup_copy(st[0].path, self._backup_root() / prefix[:8],
                                             prefix)
                    staged[i] = (st[0], st[1], st[2], copy)
            changes = [c for op, *_ in staged for c in op.changes]
            for op, *_ in staged:
                changes += [restore_change(op.path, r) for r in op.restores]
            for op, *_ in staged:
                if op.provenance is not None or op.old_provenance:
                    changes.append(FieldChange(
                        PROVENANCE_FIELD,
                        json.dumps(op.old_provenance) if op.old_provenance else None,
                        json.dumps(op.provenance) if op.provenance else None,
                        op.path, "provenance"))
            op_id = self._journal().begin(
                subject.path, kind, changes,
                [(st[0].path, st[0].inspection is None,
                  st[0].inspection.identity if st[0].inspection else None, st[2], st[3],
                  st[0].tags_before, st[0].undo_copy)
                 for st in staged],
                request=info, undoes=undoes,
            )
        except BaseException:
            for st in staged:
                if st[1] is not None:
                    files.release_temp(st[1])
                if st[0].undo_copy is not None:
                    st[0].undo_copy.unlink(missing_ok=True)
            raise
        # the point of no return, one rename per file
        done = 0
        try:
            for st in staged:
                target, temp = st[0].path, st[1]
                if temp is None:
                    os.unlink(target)
                else:
                    files.replace(temp, target)
                    files.release_temp(temp, remove=False)
                files.fsync_dir(target.parent)
                done += 1
        except BaseException:
            for st in staged[done:]:
                if st[1] is not None:
                    files.release_temp(st[1])
                insp = st[0].inspection
                self._journal().update_target(op_id, st[0].path,
                                           insp.identity if insp else None)
            self._journal().finish(op_id, "done" if done else "failed")
            raise
        self._journal().finish(op_id, "done")
        for op, *_ in staged:
            if op.restore_copy is not None:
                # its write is undone now and nothing else points at these bytes
                op.restore_copy.unlink(missing_ok=True)
        photo_identity = (next((i for op, _t, i, _b in staged if op.path == subject.path), None)
                          or subject.photo.identity)
        return WriteResult(
            path=subject.path,
            targets=tuple(op.path for op, *_ in staged),
            changes=tuple(c for op, *_ in staged for c in op.changes if c.role in ROLES),
            identity_after=photo_identity,
            journal_id=op_id,
            warnings=tuple(dict.fromkeys(warnings)),
            skipped=tuple(skipped),
            target_identities=tuple((op.path, i) for op, _t, i, _b in staged if i is not None),
            backups=tuple(b for *_x, b in staged if b is not None),
        )

    def _prepare_undo(self, subject: _Subject, op: _TargetOp, tmp: Path, after: _Dump) -> None:
        """Work out now how to undo this write exactly, and prove it on the new copy: the
        person's fields and provenance go back, tags and blocks the write created go away,
        tags it changed on the side (XMP toolkit, IPTC digest, ...) get their old values.
        Where tags cannot express it (ExifTool dropped an empty XMP structure, re-encoded
        legacy IIM text), the original's bytes are kept for undo instead."""
        insp = op.inspection
        if insp is None:
            return  # a new sidecar: undo deletes it
        op.tags_before = tags_digest(insp.dump.rows)
        own = {(F.FIELDS_BY_NAME[n].group1, F.FIELDS_BY_NAME[n].tag) for n in op.values}
        restores = undo_restores(insp.dump.rows, after.rows, own)
        if restores is not None:
            trial = _TargetOp(
                path=op.path, inspection=insp, embedded=op.embedded,
                values={n: c.old for c in op.changes if (n := c.field) in op.values},
                provenance={t: (op.old_provenance or {}).get(t) for t in F.PROVENANCE_TAGS},
                changes=[], restores=restores)
            undone: Path | None = None
            try:
                undone = self._produce(subject, trial, source=tmp)
                # read back as the original was (`-validate` also brings out tags a plain
                # dump leaves hidden, so the two must be read alike)
                trial_dump = self._verifier._dump_of(undone, subject, op)
                exact = tags_digest(trial_dump.rows) == op.tags_before
            except MetadataError as exc:
                log.info("%s: a trial undo failed (%s); keeping the original's bytes",
                         op.path, exc)
                exact = False
            finally:
                if undone is not None:
                    files.release_temp(undone)
            if exact:
                op.restores = restores
                return
        op.restores = []
        store = self._undo_root()
        store.mkdir(parents=True, exist_ok=True)
        copy = store / f"{datetime.now():%Y%m%d-%H%M%S}-{os.getpid()}-{id(op):x}-{op.path.name}"
        op.undo_copy = copy  # removed again if the write does not go through
        files.copy_file(op.path, copy)
        files.fsync_dir(store)
        if insp.identity is None or files.sha256_file(copy) != insp.identity.sha256:
            raise FileChangedError("The file changed while the caption was being written; "
                                   "nothing was written.", path=op.path)

    def _check_unchanged(self, op: _TargetOp) -> None:
        if op.inspection is None:
            if op.path.exists():
                raise FileChangedError("Another program created this sidecar meanwhile; "
                                       "nothing was written.", path=op.path)
            return
        try:
            st = os.stat(op.path)
        except FileNotFoundError as exc:
            raise FileChangedError("The file disappeared meanwhile; nothing was written.",
                                   path=op.path) from exc
        ident = op.inspection.identity
        if ident is None or not ident.same_stat(st):
            raise FileChangedError("The file changed while the caption was being written; "
                                   "nothing was written.", path=op.path)

    def _assignments(self, op: _TargetOp, values: ValueFiles, *, iim: bool) -> list[str]:
        """ExifTool assignments for this op; `iim` selects the IIM ones or all others."""
        args: list[str] = []
        for name, value in op.values.items():
            spec = F.FIELDS_BY_NAME[name]
            if (spec.kind == F.IIM) != iim:
                continue
            if value is None:
                args.append(f"-{spec.write_name}=")
            else:
                args.append(values.assign(spec.write_name, value))
        if iim:
            if op.iim_convert or op.iim_declare_utf8:
                args.append("-IPTC:CodedCharacterSet=UTF8")
            restoring_digest = any(r.name == "Photoshop:IPTCDigest" for r in op.restores)
            if (args and op.inspection is not None and op.inspection.has_iptc_digest
                    and not restoring_digest):
                args.append("-Photoshop:IPTCDigest=new")  # keeps MWG readers trusting the XMP
            return args
        if op.provenance is not None:
            for tag in F.PROVENANCE_TAGS:
                value = op.provenance.get(tag)
                if value is None or value == []:
                    args.append(f"-XMP-altlens:{tag}=")
                elif isinstance(value, list):
                    args += [values.assign(f"XMP-altlens:{tag}", str(v)) for v in value]
                else:
                    args.append(values.assign(f"XMP-altlens:{tag}", str(value)))
        # undo: blocks the write created go first, then tags it created or changed
        for r in sorted(op.restores, key=lambda r: not r.block):
            if r.block:
                args.append(f"-{r.name}:all=")
            elif r.value is None:
                args.append(f"-{r.name}=")
            else:
                args.append(values.assign_bytes(f"{r.name}#", r.value))
        return args

    def _produce(self, subject: _Subject, op: _TargetOp, source: Path | None = None) -> Path:
        """ExifTool writes the new version of op.path into a temp file beside it (from
        `source`, a temp copy of it, when given: the write's trial undo)."""
        if op.restore_copy is not None:
            return self._stage_copy(op)
        with ValueFiles() as values:
            return self._produce_with(subject, op, values, source)

    def _stage_copy(self, op: _TargetOp) -> Path:
        """Undo from the original's bytes kept at write time: copy them beside the target
        and check they are what was kept."""
        assert op.restore_copy is not None
        tmp = files.temp_path(op.path, op.path.suffix)
        try:
            files.copy_file(op.restore_copy, tmp)
            if files.sha256_file(tmp) != op.restore_sha256:
                raise UndoRefusedError(
                    "The copy of the original that AltLens kept for undo is damaged; nothing "
                    "was done.", path=op.path)
        except FileNotFoundError as exc:
            files.release_temp(tmp)
            raise UndoRefusedError(
                f"The copy of the original that AltLens kept for undo is gone "
                f"({op.restore_copy}); nothing was done.", path=op.path) from exc
        except BaseException:
            files.release_temp(tmp)
            raise
        return tmp

    def _produce_with(self, subject: _Subject, op: _TargetOp, values: ValueFiles,
                      source_override: Path | None = None) -> Path:
        main_args = self._assignments(op, values, iim=False)
        iim_args = self._assignments(op, values, iim=True)
        if op.inspection is None:  # a new sidecar: ExifTool creates it from the assignments
            tmp = files.temp_path(op.path, ".xmp")
            self._run_write(["-o", tmp, *main_args], tmp, op.path)
            return tmp
        source: Path = source_override or op.path
        alias: Path | None = None
        if source_override is None and op.embedded and not subject.format.extension_matches:
            # ExifTool refuses to write e.g. a WebP named .jpg; give it a neutral name
            alias = files.temp_path(op.path, ".src")
            try:
                files.link_or_copy(op.path, alias)
            except PermissionError as exc:
                raise FileReadOnlyError("The folder is not writable.", path=op.path) from exc
            source = alias
        ext = op.path.suffix.lower()
        suffix = op.path.suffix if ext in _TEMP_EXTENSIONS and (
            not op.embedded or subject.format.extension_matches) else ""
        try:
            tmp = files.temp_path(op.path, suffix)
            first = main_args + ([] if op.iim_convert else iim_args)
            if op.iim_baseline_utf8:
                # the legacy bytes are UTF-8 already: declare it, do not convert them
                first = ["-charset", "iptc=UTF8", *first]
            try:
                self._run_write(["-o", tmp, *first, source], tmp, op.path)
            except BaseException:
                files.release_temp(tmp)
                raise
            if op.iim_convert:
                # Legacy IIM: re-encode every record as UTF-8 on the copy just written (which
                # ExifTool accepted without -m). -m here only keeps over-long legacy values.
                tmp2 = files.temp_path(op.path, suffix)
                try:
                    self._run_write(["-m", "-o", tmp2, "-tagsFromFile", "@", "-IPTC:all",
                                     *iim_args, tmp], tmp2, op.path)
                except BaseException:
                    files.release_temp(tmp2)
                    raise
                finally:
                    files.release_temp(tmp)
                tmp = tmp2
            return tmp
        finally:
            if alias is not None:
                files.release_temp(alias)

    def _run_write(self, args: list[Any], tmp: Path, target: Path) -> None:
        try:
            res = self._et.execute(args)
        except MetadataError:
            raise
        if res.errors or not tmp.exists():
            msg = "; ".join(res.errors) or "no output file"
            if re.search(r"Format error|Not a valid|Corrupt|truncat", msg, re.I):
                raise CorruptFileError(f"ExifTool cannot rewrite it: {msg}", path=target)
            if re.search(r"Permission denied|Error creating|Error opening output", msg, re.I):
                raise FileReadOnlyError(f"The folder is not writable ({msg}).", path=target)
            raise ExifToolError(f"ExifTool could not write: {msg}", path=target)
        for w in res.warnings:
            log.info("%s: exiftool: %s", target, w)
