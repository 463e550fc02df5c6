# SPDX-License-Identifier: GPL-3.0-or-later
"""Step 1 of a write (and all of a read): what a file is and holds now. Its container (by
content), identity (sha256), a full ExifTool dump with every binary block, every existing
sidecar where the text goes there, the exact text of every caption-related field, AltLens's
provenance record; and the refusals that need no plan (empty, truncated, unreadable,
read-only, not what the person reviewed). The caption already in a file is read here, and
only here."""

from __future__ import annotations

import json
import logging
import os
import re
import stat
import tempfile
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from altlens.core.metadata import fields as F
from altlens.core.metadata import files
from altlens.core.metadata.diff import IGNORED_FAMILY0
from altlens.core.metadata.errors import (
    CorruptFileError,
    EmptyFileError,
    FileChangedError,
    FileMissingError,
    FileReadOnlyError,
    TruncatedFileError,
)
from altlens.core.metadata.exiftool import ExifTool
from altlens.core.metadata.formats import SIDECAR, SIDECAR_KINDS, classify, family_of, sniff
from altlens.core.metadata.types import (
    ROLES,
    FieldValue,
    FileIdentity,
    FormatInfo,
    MetadataSnapshot,
    Provenance,
)

log = logging.getLogger(__name__)

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
# Read warnings that say the XMP packet is damaged (ExifTool would replace it on rewrite).
_XMP_DAMAGE = re.compile(r"XMP format error|Invalid XMP|Error reading XMP|Corrupted XMP")
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
            if f0 in IGNORED_FAMILY0 or skip(f0, f1, tag, value):
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


class Inspector:
    """Reads files for the writer (same thread, same ExifTool). `on_folder` is called with
    each folder before a file in it is inspected for writing (stale temp clean-up)."""

    def __init__(self, et: ExifTool, on_folder: Callable[[Path], None]) -> None:
        self._et = et
        self._on_folder = on_folder

    def _inspect_for_write(self, path: Path, expected: FileIdentity | None, *,
                           undo: bool = False) -> _Subject:
        abspath = _real(path)
        self._on_folder(abspath.parent)
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
        photo = self._inspect_file(path, full=full and kind not in SIDECAR_KINDS,
                                   kind=kind)
        fmt = classify(path, kind, label, _str_or_none(photo.dump.get("File:FileType")),
                       is_dng=photo.dump.get("IFD0:DNGVersion") is not None)
        warnings: list[str] = []
        sidecars: list[_Inspection] = []
        fam = family_of(fmt.kind)
        xmp_damage = next((w for w in photo.dump.warnings if _XMP_DAMAGE.search(w)), None)
        if fmt.embedded and xmp_damage is not None:
            # ExifTool would replace the damaged packet with a new one, losing what is in it;
            # a sidecar holds the text and the photo stays as it is
            fmt = replace(fmt, strategy=SIDECAR)
            warnings.append(f"This file's XMP is damaged ({xmp_damage}); rewriting it would "
                            "replace the damaged packet, so the text goes into an XMP sidecar "
                            "next to it and the photo is not changed.")
        # Sidecars are read for every photo (a text AltLens put there when the photo could
        # not be rewritten, or a Lightroom sidecar of a JPEG); only sidecar formats write them.
        for sc in files.existing_sidecars(path):
            sidecars.append(self._inspect_file(sc, full=full))
        if not fmt.embedded:
            if fam is not None and fam.note:
                warnings.append(fam.note.format(label=fmt.label))
        elif (full and fam is not None and fam.legacy_exif_chunk
              and photo.dump.has_family0("EXIF")):
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

    def _as_sidecar(self, subject: _Subject, reason: str) -> _Subject:
        """The same photo with its text going to XMP sidecars (existing ones, else a new one),
        for when ExifTool cannot rewrite the photo itself losslessly."""
        return _Subject(path=subject.path, format=replace(subject.format, strategy=SIDECAR),
                        photo=subject.photo, sidecars=subject.sidecars,
                        warnings=[*subject.warnings, reason])

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
