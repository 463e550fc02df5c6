# SPDX-License-Identifier: GPL-3.0-or-later
"""MetadataWriter: read, preview, write and undo captions, through one ExifTool process.

A write, step by step (each step can refuse, and any refusal leaves every file as it was):

1. remove stale temp files in the folder (first touch of a folder per writer);
2. inspect the file: its content type, identity (sha256), a full ExifTool dump (`-b -a -G0:1
   -n -validate`) and, for RAW/BMP/GIF, every existing XMP sidecar;
3. refuse if it is not what the person reviewed (`expected_identity`), empty, truncated,
   corrupt, read-only or unsupported;
4. plan: per role, fill empty fields, camera junk and text AltLens wrote earlier (by its
   provenance digests); leave a person's text unless `overwrite`;
5. ExifTool writes a new file in the same folder (`-o`); IIM blocks in a legacy character set
   are converted to UTF-8 in a second step on that copy (the only step run with `-m`, so
   over-long legacy values are kept rather than cut);
6. verify the copy: intended values exact, no other tag lost or changed compared with the
   original's dump, no new ExifTool warning or error, JPEG scan data byte-identical;
7. fsync the copy, give it the original's permissions, xattrs and (by default) mtime, check
   the original did not change meanwhile, journal the operation as pending, `os.replace`,
   fsync the folder, mark the journal entry done.

Threading: a MetadataWriter and its ExifTool process belong to ONE thread (the app's writer
thread); calls from another thread raise RuntimeError.
"""

from __future__ import annotations

import base64
import json
import logging
import os
import re
import stat
import tempfile
import threading
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from core import __version__
from core.metadata import fields as F
from core.metadata import files
from core.metadata.errors import (
    CorruptFileError,
    EmptyFileError,
    ExifToolError,
    FileChangedError,
    FileMissingError,
    FileReadOnlyError,
    MetadataError,
    NothingToUndoError,
    TruncatedFileError,
    UndoRefusedError,
    WriteVerificationError,
)
from core.metadata.exiftool import ExifTool, ValueFiles
from core.metadata.formats import SIDECAR_FAMILY, classify, family_of, sniff
from core.metadata.journal import WriteJournal
from core.metadata.verify import (
    CREATED_BLOCK,
    SIDE_EFFECT,
    Restore,
    is_layout,
    tags_digest,
    undo_restores,
)
from core.metadata.types import (
    ROLES,
    FieldChange,
    FieldValue,
    FileIdentity,
    FormatInfo,
    JournalEntry,
    MetadataSnapshot,
    Provenance,
    SkippedField,
    WritePlan,
    WriteRequest,
    WriteResult,
)

log = logging.getLogger(__name__)

PROVENANCE_FIELD = "XMP-altlens:*"  # journal pseudo-field holding the provenance record
IIM_CHARSET_FIELD = "IPTC:CodedCharacterSet"
UTF8_ESCAPE = "\x1b%G"

# -G0:1:4 keeps duplicates apart ("Copy1"...; JSON would fold them); `-validate` is a tag
# (ExifTool's structure checks: the only way it notices a JPEG or TIFF that ends early), so
# `-all` is needed for the rest. PNG skips it: validating inflates every IDAT chunk (a second
# per photo) and ExifTool reports a truncated PNG without it.
# `-MakerNotes` and `-ICC_Profile` add those blocks as raw bytes (ExifTool leaves them out of
# `-all`): a maker note ExifTool cannot parse is then compared byte for byte too.
_DUMP_ARGS = ["-b", "-G0:1:4", "-a", "-s", "-n", "-all", "-MakerNotes", "-ICC_Profile"]
_READ_ARGS = ["-b", "-G0:1:4", "-a", "-s", "-n"]


def _validate_args(kind: str | None) -> list[str]:
    # files that get sidecars are never rewritten: reading them must only not fail
    fam = family_of(kind)
    return ["-validate"] if fam is None or fam.validate else []

_IGNORED_FAMILY0 = {"File", "Composite", "ExifTool", "SourceFile"}
# Tags whose value is where data sits in the file; they move when metadata grows. The data
# they point to (thumbnails, previews) is compared through its own tags, extracted with -b.
_OFFSET_TAG = re.compile(r"(?:Offsets?|Start|StartOffset)$")
_OFFSET_FAMILY0 = {"EXIF", "MakerNotes", "MPF", "QuickTime", "PNG", "RIFF", "JFIF", "FlashPix"}
_QUICKTIME_LAYOUT = {"MediaDataSize", "MediaDataOffset"}
# Tags ExifTool itself updates on every write: the XMP toolkit name, the GUID of Extended XMP
# (re-split as needed), WebP's VP8X flags (say which chunks exist), the ISO-BMFF media data
# blob (it holds the metadata items too; pixels are checked separately).
_BOOKKEEPING = {("XMP-x", "XMPToolkit"), ("XMP-xmpNote", "HasExtendedXMP"),
                ("RIFF", "WebP_Flags"), ("QuickTime", "MediaData")}
# The VP8X header ExifTool adds to a simple WebP when it gains EXIF/XMP chunks.
_WEBP_CREATED = {"ImageWidth", "ImageHeight", "WebP_Flags"}
# ExifTool adds these mandatory IFD0 tags when it creates an EXIF block.
_EXIF_CREATED = {"XResolution", "YResolution", "ResolutionUnit", "YCbCrPositioning"}
_IIM_CREATED = {"EnvelopeRecordVersion", "ApplicationRecordVersion"}
# Extensions ExifTool writes by name. A temp file keeps the photo's extension so ExifTool
# validates it as the same type; WebP must not (ExifTool 12.57 refuses `-o x.webp`), nor a
# name that does not match the content.
_TEMP_EXTENSIONS = {".jpg", ".jpeg", ".jpe", ".mpo", ".png", ".tif", ".tiff", ".dng", ".heic",
                    ".heif", ".hif", ".avif", ".xmp", ".psd", ".psb", ".jp2", ".jpf", ".jpx",
                    ".j2k", ".jxl"}
# Warnings that mean the file ends early or its structure is broken: refuse before writing.
_TRUNCATED = re.compile(
    r"JPEG format error|past end of file|^Truncated (?:'|PNG image)|missing \d+ bytes"
    r"|Corrupted PNG image|Error reading RIFF"
)
_CORRUPT = re.compile(r"did not start with IHDR|File format error")
# Read warnings about a damaged EXIF structure, which ExifTool may refuse to rewrite.
# (-validate's "Missing required ... IFD0 tag" notes are about absent tags, not damage.)
_EXIF_DAMAGE = re.compile(r"^(?!Missing required|Non-standard).*(?:IFD|[Dd]irectory|Bad format|entry)")


_COPY = re.compile(r"^Copy\d+$")


def _split_key(key: str) -> tuple[str, str, str]:
    """(family0, family1, tag) of a `-G0:1:4` key such as "IPTC:IPTC2:Copy1:Credit"."""
    parts = [p for p in key.split(":") if not _COPY.match(p)]
    if len(parts) == 2:
        return parts[0], parts[0], parts[1]
    return parts[0], parts[1], parts[-1]


class _Dump:
    """An ExifTool `-j -G0:1 -a` dump as (family0, family1, tag, value) rows."""

    def __init__(self, pairs: Iterable[tuple[str, Any]]) -> None:
        self.rows: list[tuple[str, str, str, Any]] = []
        for key, value in pairs:
            if key == "SourceFile":
                continue
            self.rows.append((*_split_key(key), value))
        self.by_name: dict[str, Any] = {}
        for _f0, f1, tag, value in self.rows:
            self.by_name.setdefault(f"{f1}:{tag}", value)
        own = [(tag, str(v)) for f0, _f1, tag, v in self.rows if f0 == "ExifTool"]
        self.warnings = [v for tag, v in own if tag == "Warning"]
        self.errors = [v for tag, v in own if tag == "Error"]

    def get(self, name: str) -> Any:
        return self.by_name.get(name)

    def has_family0(self, family0: str) -> bool:
        return any(r[0] == family0 for r in self.rows)

    def has_family1(self, family1: str) -> bool:
        return any(r[1] == family1 for r in self.rows)

    def has(self, family1: str, tag: str) -> bool:
        return any(r[1] == family1 and r[2] == tag for r in self.rows)

    def comparable(self, skip: Callable[[str, str, str, Any], bool]) -> Counter[tuple[str, str]]:
        c: Counter[tuple[str, str]] = Counter()
        for f0, f1, tag, value in self.rows:
            if f0 in _IGNORED_FAMILY0 or skip(f0, f1, tag, value):
                continue
            c[(f"{f0}:{f1}:{tag}", json.dumps(value, ensure_ascii=False, sort_keys=True))] += 1
        return c


@dataclass
class _Inspection:
    """A file as read just now (internal; the public view is MetadataSnapshot)."""

    path: Path
    stat: os.stat_result
    identity: FileIdentity | None
    dump: _Dump
    values: dict[str, str] = field(default_factory=dict)  # exact text per field name
    provenance: Provenance | None = None
    exif_writable: bool = True  # False: a PNG whose EXIF is only in an old text chunk
    exif_damage: str | None = None  # why ExifTool will not rewrite the EXIF block

    @property
    def has_iim(self) -> bool:
        """An IIM block in its standard place (family-1 group "IPTC"); IIM found only in
        odd places (a FotoStation trailer: "IPTC2") is read but not written."""
        return self.dump.has("IPTC", "CodedCharacterSet") or any(
            r[0] == "IPTC" and r[1] == "IPTC" for r in self.dump.rows)

    @property
    def iim_utf8(self) -> bool:
        return self.dump.get("IPTC:CodedCharacterSet") == UTF8_ESCAPE

    @property
    def has_iptc_digest(self) -> bool:
        return self.dump.has("Photoshop", "IPTCDigest")


@dataclass
class _Subject:
    """A photo and the files that hold its text (itself, or its sidecars)."""

    path: Path
    format: FormatInfo
    photo: _Inspection
    sidecars: list[_Inspection]
    warnings: list[str]

    @property
    def holders(self) -> list[_Inspection]:
        return [self.photo] if self.format.embedded else self.sidecars


@dataclass
class _TargetOp:
    """What to do to one file: set/delete fields and the provenance record."""

    path: Path
    inspection: _Inspection | None  # None: the file is created
    embedded: bool
    values: dict[str, str | None]  # field name -> new exact text (None: delete)
    provenance: dict[str, Any] | None  # provenance tag -> value (None value: delete)
    changes: list[FieldChange]
    old_provenance: dict[str, Any] | None = None
    delete_file: bool = False  # undo of a sidecar AltLens created
    iim_convert: bool = False  # legacy IIM values need converting to UTF-8 (-m step)
    iim_declare_utf8: bool = False  # set CodedCharacterSet=UTF8 (values already fit)
    iim_baseline_utf8: bool = False  # legacy values are UTF-8 bytes without the marker
    specs: tuple[F.FieldSpec, ...] = ()  # the fields this file gets, per profile and container
    # undo: what the write did besides the fields (tags and blocks it created or changed)
    restores: list[Restore] = field(default_factory=list)
    # write: digest of every tag before (undo proves it got back there); undo: the target
    tags_before: str | None = None
    undo_copy: Path | None = None  # write: the original's bytes, when tags cannot undo it
    restore_copy: Path | None = None  # undo: bring back these bytes instead
    restore_sha256: str | None = None  # ... which must hash to this
    expect_tags: str | None = None  # undo: the tags digest the result must have


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
                from core.paths import app_dirs

                path = app_dirs().data / "journal.sqlite3"
            self._journal = WriteJournal(path)
            self._journal.reconcile(self._identity_or_none)
        return self._journal

    def _undo_root(self) -> Path:
        """Where originals are kept for the writes that tags alone cannot undo."""
        return (self._journal_path.parent if self._journal_path is not None
                else self._backup_root().parent) / "undo"

    def _backup_root(self) -> Path:
        if self._backup_dir is not None:
            return self._backup_dir
        from core.paths import app_dirs

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
        subject = self._inspect(Path(path), full=False)
        return self._snapshot(subject)

    def preview(self, request: WriteRequest) -> WritePlan:
        """What `write(request)` would change now, without changing anything."""
        self._check_thread()
        subject = self._inspect_for_write(request.path, request.expected_identity)
        ops, skipped, warnings = self._plan(request, subject)
        return self._as_plan(subject, ops, skipped, warnings)

    def write(self, request: WriteRequest) -> WriteResult:
        """Write what a person approved; see the module docstring for the steps."""
        self._check_thread()
        subject = self._inspect_for_write(request.path, request.expected_identity)
        ops, skipped, warnings = self._plan(request, subject)
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
        return self._apply(subject, ops, kind="write", keep_mtime=request.keep_mtime,
                           backup=request.backup, info=info, warnings=warnings,
                           skipped=skipped)

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
        subject = self._inspect_for_write(photo, None, undo=True)
        holders = {h.path: h for h in subject.holders}
        info = {t: (before, tags, copy) for t, before, tags, copy in todo.undo_info}
        ops: list[_TargetOp] = []
        for target, _after, created in todo.targets:
            before_ident, tags_before, undo_copy = info.get(target, (None, None, None))
            changes = [c for c in todo.changes if c.target == target]
            insp = holders.get(target)
            if insp is None:  # a sidecar that exists but was not found as a holder
                insp = self._inspect_file(target, full=True)
            if created:
                ops.append(_TargetOp(path=target, inspection=insp, embedded=False, values={},
                                     provenance=None, delete_file=True,
                                     changes=[FieldChange(c.field, c.new, None, target, c.role)
                                              for c in changes if c.role != "provenance"]))
                continue
            values: dict[str, str | None] = {}
            restored: list[FieldChange] = []
            old_prov: dict[str, Any] | None = None
            restores: list[Restore] = []
            for c in changes:
                if c.role in (SIDE_EFFECT, CREATED_BLOCK):
                    restores.append(_restore_of(c))
                    continue
                if c.field == PROVENANCE_FIELD:
                    old_prov = json.loads(c.old) if c.old else {}
                    continue
                if c.field == IIM_CHARSET_FIELD:
                    continue  # values stay the same text; the UTF-8 declaration stays
                values[c.field] = c.old
                restored.append(FieldChange(c.field, insp.values.get(c.field), c.old, target,
                                            c.role))
            prov = {t: old_prov.get(t) for t in F.PROVENANCE_TAGS} if old_prov is not None else None
            op = _TargetOp(path=target, inspection=insp, embedded=target == photo,
                           values=values, provenance=prov, changes=restored,
                           restores=restores, expect_tags=tags_before)
            if undo_copy is not None and before_ident is not None:
                op.restore_copy, op.restore_sha256 = undo_copy, before_ident.sha256
            ops.append(op)
        return self._apply(subject, ops, kind="undo", keep_mtime=True, backup=False,
                           info={"undoes": todo.id}, warnings=[], skipped=[], undoes=todo.id)

    # -- inspection ------------------------------------------------------------------------

    def _inspect_for_write(self, path: Path, expected: FileIdentity | None, *,
                           undo: bool = False) -> _Subject:
        abspath = _real(path)
        self._touch_folder(abspath.parent)
        subject = self._inspect(abspath, full=True)
        if expected is not None and not expected.same_content(subject.photo.identity):
            raise FileChangedError(
                "The file changed since it was read; nothing was written.", path=abspath,
                hint="Read it again and review the text before writing.",
            )
        if subject.format.embedded and not undo:
            # undo puts back what AltLens changed; the file's own damage is no reason not to
            self._refuse_damaged(subject.photo, abspath)
        elif subject.photo.dump.errors:  # RAW/BMP/GIF are never rewritten: only unreadable ones
            raise CorruptFileError(
                f"ExifTool cannot read it ({subject.photo.dump.errors[0]}); nothing was written.",
                path=abspath)
        for holder in subject.holders:
            if holder.dump.errors:
                raise CorruptFileError(f"ExifTool cannot read it: {holder.dump.errors[0]}",
                                       path=holder.path)
            if not holder.stat.st_mode & stat.S_IWUSR:
                raise FileReadOnlyError("The file is read-only; nothing was written.",
                                        path=holder.path,
                                        hint="Make it writable if captions may be added.")
        return subject

    @staticmethod
    def _refuse_damaged(insp: _Inspection, path: Path) -> None:
        for err in insp.dump.errors:
            if "empty" in err.lower():
                raise EmptyFileError("The file is empty (0 bytes); nothing was written.",
                                     path=path)
            raise CorruptFileError(f"The file is damaged ({err}); nothing was written.",
                                   path=path)
        for warning in insp.dump.warnings:
            if warning.startswith("[minor]"):
                continue  # oddities inside metadata (a bad maker-note offset) are no damage
            if _TRUNCATED.search(warning):
                raise TruncatedFileError(
                    f"The file is truncated or damaged ({warning}); nothing was written.",
                    path=path, hint="Restore a complete copy before adding captions.",
                )
            if _CORRUPT.search(warning):
                raise CorruptFileError(f"The file is damaged ({warning}); nothing was written.",
                                       path=path)

    def _inspect(self, path: Path, *, full: bool) -> _Subject:
        path = _real(path)
        kind, label = sniff(path)
        photo = self._inspect_file(path, full=full and kind not in SIDECAR_FAMILY.kinds,
                                   kind=kind)
        fmt = classify(path, kind, label, _str_or_none(photo.dump.get("File:FileType")),
                       is_dng=photo.dump.get("IFD0:DNGVersion") is not None)
        warnings: list[str] = []
        sidecars: list[_Inspection] = []
        if not fmt.embedded:
            for sc in files.existing_sidecars(path):
                sidecars.append(self._inspect_file(sc, full=full))
            if fmt.kind in ("bmp", "gif", "jxl-codestream"):
                warnings.append(
                    f"{fmt.label} files cannot hold captions that other apps read without being "
                    "rewritten into another layout; AltLens keeps "
                    "the text in an XMP sidecar next to it (read by digiKam and ExifTool, not by "
                    "most viewers or websites)."
                )
        elif full and fmt.kind == "png" and photo.dump.has_family0("EXIF"):
            pairs, _ = self._et.execute_json(["-G5", "-a", "-s", "-n", "-EXIF:all", path])
            keys = [k for k, _ in (pairs[0] if pairs else []) if k != "SourceFile"]
            if keys and not any(k.startswith("PNG-EXIF") for k in keys):
                # EXIF only in an ImageMagick "Raw profile" text chunk: ExifTool would add a
                # second, nearly empty eXIf block that newer readers prefer, hiding the rest
                photo.exif_writable = False
                warnings.append("This PNG keeps its EXIF in an old ImageMagick text chunk, so "
                                "the caption is written to XMP (and IPTC) only.")
        if full and fmt.embedded and any(_EXIF_DAMAGE.search(w) for w in photo.dump.warnings):
            damage = self._exif_rewrite_refused(path)
            if damage is not None:
                # ExifTool would have to drop or repair part of the block to rewrite it (-m);
                # XMP lives elsewhere in the file, so the block can stay exactly as it is
                photo.exif_writable = False
                photo.exif_damage = damage
                warnings.append(
                    f"ExifTool cannot rewrite this file's EXIF without altering it ({damage}), "
                    "so the text goes into XMP only and the EXIF block is kept byte for byte; "
                    "programs that read only EXIF (Windows Explorer's Title) will not show it.")
        if full and fmt.embedded and photo.stat.st_nlink > 1:
            warnings.append(
                f"This file has {photo.stat.st_nlink} hard links; only this name will show the "
                "new text (the other names keep the old file)."
            )
        return _Subject(path=path, format=fmt, photo=photo, sidecars=sidecars, warnings=warnings)

    def _exif_rewrite_refused(self, path: Path) -> str | None:
        """ExifTool's reason for refusing to rewrite this file's EXIF block, found by asking
        it to, into a private folder (the photo is only read), or None if it would."""
        with tempfile.TemporaryDirectory(prefix="altlens-probe-") as folder:
            suffix = path.suffix if path.suffix.lower() in _TEMP_EXTENSIONS else ""
            out = Path(folder) / f"probe{suffix}"
            res = self._et.execute(["-o", out, "-IFD0:ImageDescription=probe", path])
            if res.errors or not out.exists():
                return "; ".join(e.removeprefix("[minor] ").split(" - ")[0]
                                 for e in res.errors) or "no output"
        return None

    def _inspect_file(self, path: Path, *, full: bool, kind: str | None = None) -> _Inspection:
        try:
            st = os.stat(path)
        except FileNotFoundError as exc:
            raise FileMissingError("The file does not exist.", path=path) from exc
        if st.st_size == 0:
            raise EmptyFileError("The file is empty (0 bytes); nothing was written.", path=path)
        identity = files.file_identity(path)
        args: list[Any] = [*(_DUMP_ARGS if full else _READ_ARGS), *_validate_args(kind)]
        if not full:
            args += _TARGETED_TAGS
        pairs, _res = self._et.execute_json([*args, path])
        dump = _Dump(pairs[0] if pairs else [])
        if os.stat(path).st_mtime_ns != st.st_mtime_ns:
            raise FileChangedError("The file changed while it was being read.", path=path)
        insp = _Inspection(path=path, stat=st, identity=identity, dump=dump)
        insp.values = self._role_values(path, dump)
        insp.provenance = _parse_provenance(dump, path)
        return insp

    def _role_values(self, path: Path, dump: _Dump) -> dict[str, str]:
        """Exact text of every caption-related field (all languages), by field name."""
        out: dict[str, str] = {}
        wanted = set(F.FIELDS_BY_NAME) | set(F.READ_ONLY_SOURCES)
        for f0, f1, tag, value in dump.rows:
            base = f"{f1}:{tag}"
            name_root = f"{f1}:{tag.split('-', 1)[0]}" if f0 == "XMP" else base
            if base not in wanted and name_root not in wanted:
                continue
            if base in out:
                continue
            out[base] = self._exact_text(path, base, value)
        return out

    def _exact_text(self, path: Path, name: str, value: Any) -> str:
        """JSON output loses two things: the case of text "True"/"false" (it becomes a JSON
        boolean) and bytes that are not UTF-8 (shown as "base64:...", which text could also
        start with). Ask ExifTool for the raw value then."""
        if isinstance(value, list):
            return ", ".join(str(v) for v in value)
        if isinstance(value, str) and not value.startswith("base64:"):
            return value
        res = self._et.execute(["-b", f"-{name}", path])
        raw = res.stdout
        try:
            return raw.decode("utf-8")
        except UnicodeDecodeError:
            return raw.decode("cp1252", "replace")  # legacy 8-bit camera/editor text

    # -- snapshot --------------------------------------------------------------------------

    def _snapshot(self, subject: _Subject) -> MetadataSnapshot:
        found: list[FieldValue] = []
        make = _str_or_none(subject.photo.dump.get("IFD0:Make"))
        model = _str_or_none(subject.photo.dump.get("IFD0:Model"))
        holders = [*subject.sidecars, subject.photo]  # sidecars win: readers prefer them
        provenance = next((h.provenance for h in holders if h.provenance), None)
        for holder in holders:
            for name, value in holder.values.items():
                role = _role_of(name)
                found.append(
                    FieldValue(
                        field=name, value=value, source=holder.path, role=role,
                        placeholder=F.is_placeholder(value, make=make, model=model),
                        by_altlens=_by_altlens(holder.provenance, name, value),
                    )
                )
        picked: dict[str, FieldValue | None] = {}
        for role in ROLES:
            order = F.READ_ORDER[role]
            best = None
            for name in order:
                for fv in found:
                    if fv.field == name and not fv.empty:
                        best = fv
                        break
                if best:
                    break
            picked[role] = best
        warnings = list(subject.warnings) + [
            w for w in subject.photo.dump.warnings if _TRUNCATED.search(w) or _CORRUPT.search(w)
        ]
        assert subject.photo.identity is not None
        return MetadataSnapshot(
            path=subject.path, format=subject.format, identity=subject.photo.identity,
            alt_text=picked["alt_text"], description=picked["description"],
            long_description=picked["long_description"], title=picked["title"],
            fields=tuple(found), provenance=provenance,
            sidecars=tuple(s.path for s in subject.sidecars), warnings=tuple(warnings),
        )

    # -- planning --------------------------------------------------------------------------

    def _plan(self, request: WriteRequest, subject: _Subject
              ) -> tuple[list[_TargetOp], list[SkippedField], list[str]]:
        warnings = list(subject.warnings)
        skipped: list[SkippedField] = []
        make = _str_or_none(subject.photo.dump.get("IFD0:Make"))
        model = _str_or_none(subject.photo.dump.get("IFD0:Model"))
        # the files that receive text
        targets: list[tuple[Path, _Inspection | None, bool]] = []
        creates: list[Path] = []
        if subject.format.embedded:
            targets.append((subject.path, subject.photo, True))
        elif subject.sidecars:
            targets += [(s.path, s, False) for s in subject.sidecars]
        else:
            sidecar = files.sidecar_path(subject.path, request.sidecar_style)
            targets.append((sidecar, None, False))
            creates.append(sidecar)
            others = [p for p in subject.path.parent.glob(f"{subject.path.stem}.*")
                      if p != subject.path and not p.name.lower().endswith(".xmp")]
            if request.sidecar_style.value == "replace" and others:
                warnings.append(
                    f"{sidecar.name} may also be taken as the sidecar of {others[0].name}; the "
                    "'append' sidecar style avoids that."
                )

        ops: list[_TargetOp] = []
        fam = family_of(subject.format.kind)
        for path, insp, embedded in targets:
            present = frozenset(insp.values) if insp else frozenset()
            # the family's rules (PSD/JP2/JXL: XMP only; WebP, HEIF: no IIM slot), then this
            # file's own state (damaged EXIF, EXIF only in a legacy PNG chunk)
            specs = F.fields_for(request.profile, embedded=embedded,
                                 has_iim=bool(insp and insp.has_iim and (fam is None or fam.iim)),
                                 present=present,
                                 exif=(insp is None or insp.exif_writable)
                                 and (fam is None or fam.exif))
            ops.append(_TargetOp(path=path, inspection=insp, embedded=embedded, values={},
                                 provenance=None, changes=[], specs=specs))

        warned_langs: set[str] = set()
        for role in ROLES:
            text = request.text_for(role)
            if text is None:
                continue
            slots: list[tuple[_TargetOp, F.FieldSpec, str | None, str, str | None]] = []
            for op in ops:
                for spec in op.specs:
                    if spec.role != role:
                        continue
                    current = op.inspection.values.get(spec.name) if op.inspection else None
                    new, warn = F.value_for(spec, text)
                    slots.append((op, spec, current, new, warn))
                    if spec.kind == F.XMP_LANG and op.inspection and spec.name not in warned_langs:
                        langs = sorted(n[len(spec.name) + 1:] for n in op.inspection.values
                                       if n.startswith(spec.name + "-"))
                        if langs:
                            warned_langs.add(spec.name)
                            warnings.append(f"{spec.name} also has other languages "
                                            f"({', '.join(langs)}); they stay as they are.")
            human = [
                (spec.name, cur) for op, spec, cur, new, _w in slots
                if cur is not None and cur != new
                and not F.is_placeholder(cur, make=make, model=model)
                and not _by_altlens(op.inspection.provenance if op.inspection else None,
                                    spec.name, cur)
            ]
            # text in places AltLens reads but does not write (a FotoStation trailer, ...)
            elsewhere = [
                (name, cur) for op in ops if op.inspection is not None
                for name, cur in op.inspection.values.items()
                if F.READ_ONLY_SOURCES.get(name) == role and cur != text
                and not F.is_placeholder(cur, make=make, model=model)
                and not _by_altlens(op.inspection.provenance, name, cur)
            ]
            if (human or elsewhere) and not request.overwrite:
                conflicting = {name for name, _ in human + elsewhere}
                for name, cur in human + elsewhere:
                    skipped.append(SkippedField(
                        role, name,
                        "holds text that AltLens did not write; it is kept (choose overwrite "
                        "to replace it)", cur))
                first = sorted(conflicting)[0]
                for _op, spec, current, _new, _w in slots:
                    if spec.name not in conflicting:
                        skipped.append(SkippedField(
                            role, spec.name,
                            f"not filled, so it cannot disagree with the text in {first}",
                            current))
                continue
            for name, _cur in elsewhere:
                warnings.append(f"{name} keeps its own text: AltLens does not write there.")
            for op, spec, current, new_text, warn in slots:
                if current == new_text:
                    skipped.append(SkippedField(role, spec.name, "already holds this text",
                                                current))
                    continue
                if warn and warn not in warnings:
                    warnings.append(warn)
                op.values[spec.name] = new_text
                op.changes.append(FieldChange(spec.name, current, new_text, op.path, role))

        xmp_bytes = sum(len(c.new.encode()) for op in ops for c in op.changes
                        if c.new and F.FIELDS_BY_NAME[c.field].kind == F.XMP_LANG)
        if subject.format.kind == "jpeg" and subject.format.embedded and xmp_bytes > 50_000:
            warnings.append("The text is so long that JPEG's XMP has to be split (Extended "
                            "XMP); some programs, e.g. those built on Exiv2, will not show it.")
        for op in ops:
            if not op.changes:
                continue
            insp = op.inspection
            iim_changes = any(F.FIELDS_BY_NAME[c.field].kind == F.IIM for c in op.changes)
            if insp is not None and insp.has_iim and iim_changes and not insp.iim_utf8:
                legacy_utf8 = self._iim_is_utf8(insp)
                if legacy_utf8 is None:
                    op.iim_declare_utf8 = True  # ASCII only: nothing to convert
                elif legacy_utf8:
                    op.iim_declare_utf8 = op.iim_baseline_utf8 = True
                else:
                    op.iim_convert = True
                op.changes.append(FieldChange(
                    IIM_CHARSET_FIELD,
                    _str_or_none(insp.dump.get("IPTC:CodedCharacterSet")), UTF8_ESCAPE,
                    op.path, "iim-charset"))
            op.old_provenance = _provenance_values(insp.dump) if insp else {}
            op.provenance = self._new_provenance(request, op)
        return ops, skipped, warnings

    def _iim_is_utf8(self, insp: _Inspection) -> bool | None:
        """Legacy IIM (no CodedCharacterSet): None if all ASCII, True if the bytes are valid
        UTF-8 (written by a program that forgot the marker), False if 8-bit legacy text."""
        pairs, _ = self._et.execute_json(["-b", "-G0:1:4", "-a", "-n", "-charset", "iptc=UTF8",
                                          "-IPTC:all", insp.path])
        values = [v for k, v in (pairs[0] if pairs else []) if k.startswith("IPTC:")]
        flat: list[str] = []
        for v in values:
            flat += [str(x) for x in v] if isinstance(v, list) else [str(v)]
        if any(s.startswith("base64:") for s in flat):
            return False
        if all(s.isascii() for s in flat):
            return None
        return True

    def _new_provenance(self, request: WriteRequest, op: _TargetOp) -> dict[str, Any]:
        """Provenance after this write: the request's flags, and digests of every field that
        will hold AltLens's text (written now, or written earlier and untouched since)."""
        digests: dict[str, str] = {}
        insp = op.inspection
        if insp is not None and insp.provenance is not None:
            for name, value in insp.values.items():
                if name not in op.values and _by_altlens(insp.provenance, name, value):
                    digests[name] = F.text_digest(value)
        for name, new_value in op.values.items():
            if new_value is not None:
                digests[name] = F.text_digest(new_value)
        now = datetime.now().astimezone()
        return {
            "MachineSuggested": "True" if request.model else "False",
            "CaptionModel": request.model,
            "Reviewed": "True" if request.reviewed else "False",
            "Edited": "True" if request.edited else "False",
            "WrittenAt": now.strftime("%Y:%m:%d %H:%M:%S.") + f"{now.microsecond // 1000:03d}"
            + now.strftime("%z")[:3] + ":" + now.strftime("%z")[3:],
            "AltLensVersion": __version__,
            "Fields": sorted(digests),
            "TextDigests": [f"{k}={v}" for k, v in sorted(digests.items())],
        }

    def _as_plan(self, subject: _Subject, ops: list[_TargetOp], skipped: list[SkippedField],
                 warnings: list[str]) -> WritePlan:
        return WritePlan(
            path=subject.path,
            targets=tuple(op.path for op in ops),
            changes=tuple(c for op in ops for c in op.changes if c.role in ROLES),
            skipped=tuple(skipped),
            warnings=tuple(warnings),
            identity=subject.photo.identity,
            creates=tuple(op.path for op in ops if op.inspection is None),
        )

    # -- applying --------------------------------------------------------------------------

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
                changes += [_restore_change(op.path, r) for r in op.restores]
            for op, *_ in staged:
                if op.provenance is not None or op.old_provenance:
                    changes.append(FieldChange(
                        PROVENANCE_FIELD,
                        json.dumps(op.old_provenance) if op.old_provenance else None,
                        json.dumps(op.provenance) if op.provenance else None,
                        op.path, "provenance"))
            op_id = self.journal.begin(
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
                self.journal.update_target(op_id, st[0].path,
                                           insp.identity if insp else None)
            self.journal.finish(op_id, "done" if done else "failed")
            raise
        self.journal.finish(op_id, "done")
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
                exact = tags_digest(self._dump_of(undone, subject, op).rows) == op.tags_before
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

    # -- verification ----------------------------------------------------------------------

    def _dump_of(self, path: Path, subject: _Subject, op: _TargetOp) -> _Dump:
        kind = subject.format.kind if op.embedded else "xmp"
        pairs, _ = self._et.execute_json([*_DUMP_ARGS, *_validate_args(kind), path])
        return _Dump(pairs[0] if pairs else [])

    def _verify(self, op: _TargetOp, tmp: Path, subject: _Subject) -> _Dump:
        """Read the new copy back and compare it with the original, every tag's value and
        every binary block; raise on any difference but the fields AltLens meant to change.
        Returns the new copy's dump."""
        if op.restore_copy is not None:
            return _Dump([])  # the original's own bytes, checked by their hash
        kind = subject.format.kind if op.embedded else "xmp"
        after = self._dump_of(tmp, subject, op)
        problems: list[str] = []
        if after.errors:
            problems.append("ExifTool error reading it back: " + "; ".join(after.errors))
        if op.expect_tags is not None:
            # undo: the result must read back exactly as the file did before the write
            if tags_digest(after.rows) != op.expect_tags:
                problems.append("it would not read back exactly as before the write")
            self._raise_problems(op, problems)
            return after
        before = op.inspection.dump if op.inspection else _Dump([])
        if op.iim_baseline_utf8 and op.inspection is not None:
            # compare legacy IIM values as the UTF-8 they really are
            pairs0, _ = self._et.execute_json([*_DUMP_ARGS, *_validate_args(kind), "-charset",
                                               "iptc=UTF8", op.inspection.path])
            before = _Dump(pairs0[0] if pairs0 else [])
        # Warning text is no difference: ExifTool words the same unparsable maker note
        # differently in a file and its rewrite. Only a new sign of damage counts.
        new_warnings = Counter(after.warnings) - Counter(before.warnings)
        for w in new_warnings:
            if _TRUNCATED.search(w) or _CORRUPT.search(w):
                problems.append(f"ExifTool now finds it damaged: {w}")
            else:
                log.info("%s: exiftool warns after the write: %s", op.path, w)
        # the intended values, exactly
        actual = self._role_values(tmp, after)
        for name, value in op.values.items():
            if actual.get(name) != value:
                problems.append(f"{name} reads back as {actual.get(name)!r}, not {value!r}")
        if op.provenance is not None:
            got = _provenance_values(after)
            for tag, value in op.provenance.items():
                if _norm_prov(got.get(tag)) != _norm_prov(value):
                    problems.append(f"provenance {tag} reads back as {got.get(tag)!r}")
        # every other tag unchanged
        specs = [F.FIELDS_BY_NAME[n] for n in op.values]
        written = {(spec.family0, spec.group1, spec.tag) for spec in specs}
        iim_touched = any(F.FIELDS_BY_NAME[n].kind == F.IIM for n in op.values)

        def skip(f0: str, f1: str, tag: str, value: Any) -> bool:
            if f1 == "XMP-altlens" or (f1, tag) in _BOOKKEEPING:
                return True
            for w0, w1, wtag in written:
                if tag == wtag and (f1 == w1 or (w0 == "IPTC" and f0 == "IPTC")):
                    return True
            if iim_touched and (f1, tag) == ("Photoshop", "IPTCDigest"):
                return True
            if (op.iim_convert or op.iim_declare_utf8) and f0 == "IPTC" and tag == (
                    "CodedCharacterSet"):
                return True
            if f0 in _OFFSET_FAMILY0 and (_OFFSET_TAG.search(tag) or tag in _QUICKTIME_LAYOUT):
                return True
            if is_layout(f0, tag):
                return True
            return f0 == "ExifTool"

        c0, c1 = before.comparable(skip), after.comparable(skip)
        before_keys = {k for k, _ in c0}
        lost = c0 - c1
        lost_keys = {k for k, _ in lost}
        had_ifd0 = before.has_family1("IFD0")
        for (key, value), _n in lost.items():
            if key.startswith("XMP:") and value == '""':
                continue  # an empty XMP list/struct, which ExifTool drops when rewriting
            problems.append(f"{key} lost or changed (was {value[:80]})")
        for (key, value), _n in (c1 - c0).items():
            if key in lost_keys:
                continue  # reported above as changed
            f0, f1, tag = key.split(":", 2)
            if f0 == "EXIF" and f1 == "IFD0" and tag in _EXIF_CREATED and not had_ifd0:
                continue  # mandatory tags of an EXIF block ExifTool created
            if iim_touched and f0 == "IPTC" and tag in _IIM_CREATED and key not in before_keys:
                continue  # record version numbers ExifTool adds to records it writes
            if f0 == "RIFF" and tag in _WEBP_CREATED and not before.has("RIFF", "WebP_Flags"):
                continue
            problems.append(f"{key} appeared ({value[:80]})")
        if (op.embedded and subject.format.kind == "jpeg" and op.inspection is not None
                and op.inspection.exif_damage is not None
                and files.jpeg_exif_segments(op.inspection.path) != files.jpeg_exif_segments(tmp)):
            problems.append("the damaged EXIF block did not stay byte for byte")
        if op.embedded and subject.format.kind == "jpeg" and op.inspection is not None:
            o0 = files.jpeg_scan_offset(op.inspection.path)
            o1 = files.jpeg_scan_offset(tmp)
            if o0 is None or o1 is None or (
                    files.sha256_file(op.inspection.path, o0) != files.sha256_file(tmp, o1)):
                problems.append("JPEG image data is not byte-identical")
        self._raise_problems(op, problems)
        return after

    @staticmethod
    def _raise_problems(op: _TargetOp, problems: list[str]) -> None:
        if problems:
            log.error("verification of %s failed: %s", op.path, problems)
            raise WriteVerificationError(
                "The rewritten copy did not check out, so the original was left untouched: "
                + "; ".join(problems[:5]) + ("" if len(problems) <= 5 else " ..."),
                path=op.path,
            )


# Tags read for a snapshot (read() without a full dump).
_TARGETED_TAGS = [
    "-ExifTool:Warning", "-ExifTool:Error", "-File:FileType", "-IFD0:DNGVersion",
    "-IFD0:Make", "-IFD0:Model",
    "-IFD0:ImageDescription", "-IFD0:XPTitle", "-IFD0:XPComment",
    "-XMP-dc:Description", "-XMP-dc:Description-*", "-XMP-dc:Title", "-XMP-dc:Title-*",
    "-XMP-iptcCore:AltTextAccessibility", "-XMP-iptcCore:AltTextAccessibility-*",
    "-XMP-iptcCore:ExtDescrAccessibility", "-XMP-iptcCore:ExtDescrAccessibility-*",
    "-XMP-photoshop:Headline", "-IPTC:Caption-Abstract", "-IPTC:ObjectName", "-IPTC:Headline",
    "-IPTC:CodedCharacterSet", "-Photoshop:IPTCDigest", "-XMP-altlens:all",
]


def _real(path: str | os.PathLike[str]) -> Path:
    """Absolute path with symlinks resolved: replacing a symlink by a file would cut it off
    from the photo it points to, so the photo itself is written."""
    return Path(os.path.realpath(os.path.abspath(path)))


def _restore_change(target: Path, r: Restore) -> FieldChange:
    """A Restore as a journal row: `old` is the value undo puts back (text, or base64 for
    bytes that are not UTF-8), None to delete."""
    if r.block:
        return FieldChange(r.name, None, None, target, CREATED_BLOCK)
    old: str | None = None
    if r.value is not None:
        try:
            old = r.value.decode("utf-8")
            if old.startswith("base64:"):
                raise UnicodeDecodeError("utf-8", r.value, 0, 1, "looks like base64")
        except UnicodeDecodeError:
            old = "base64:" + base64.b64encode(r.value).decode("ascii")
    return FieldChange(r.name, old, "", target, SIDE_EFFECT)


def _restore_of(c: FieldChange) -> Restore:
    if c.role == CREATED_BLOCK:
        return Restore(c.field, None, block=True)
    if c.old is None:
        return Restore(c.field, None)
    if c.old.startswith("base64:"):
        return Restore(c.field, base64.b64decode(c.old[7:]))
    return Restore(c.field, c.old.encode("utf-8"))


def _str_or_none(value: Any) -> str | None:
    return None if value is None else str(value)


def _role_of(name: str) -> str | None:
    if name in F.FIELDS_BY_NAME:
        return F.FIELDS_BY_NAME[name].role
    if name in F.READ_ONLY_SOURCES:
        return F.READ_ONLY_SOURCES[name]
    for spec in F.ALL_FIELDS:  # another language of a Lang Alt field
        if spec.kind == F.XMP_LANG and name.startswith(spec.name + "-"):
            return spec.role
    return None


def _by_altlens(prov: Provenance | None, name: str, value: str) -> bool:
    name = re.sub(r"^IPTC\d+:", "IPTC:", name)  # ExifTool writes every IIM block alike
    return prov is not None and prov.digest_for(name) == F.text_digest(value)


def _provenance_values(dump: _Dump) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for _f0, f1, tag, value in dump.rows:
        if f1 == "XMP-altlens" and tag in F.PROVENANCE_TAGS and tag not in out:
            if isinstance(value, bool):
                value = "True" if value else "False"
            elif tag in ("Fields", "TextDigests"):
                value = [str(v) for v in value] if isinstance(value, list) else [str(value)]
            out[tag] = value
    return out


def _norm_prov(value: Any) -> Any:
    if value is None or value == []:
        return None
    if isinstance(value, list):
        return [str(v) for v in value]
    return str(value)


def _parse_provenance(dump: _Dump, source: Path) -> Provenance | None:
    vals = _provenance_values(dump)
    if not vals:
        return None

    def flag(tag: str) -> bool | None:
        v = vals.get(tag)
        return None if v is None else str(v).lower() == "true"

    digests = []
    for entry in vals.get("TextDigests", []):
        name, _, digest = str(entry).rpartition("=")
        if name:
            digests.append((name, digest))
    return Provenance(
        machine_suggested=flag("MachineSuggested"),
        model=_str_or_none(vals.get("CaptionModel")),
        reviewed=flag("Reviewed"),
        edited=flag("Edited"),
        written_at=_str_or_none(vals.get("WrittenAt")),
        software=_str_or_none(vals.get("AltLensVersion")),
        fields=tuple(str(f) for f in vals.get("Fields", [])),
        digests=tuple(digests),
        source=source,
    )
