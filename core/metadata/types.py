# SPDX-License-Identifier: GPL-3.0-or-later
"""Frozen values that cross threads: what a file holds, what a person asked to write, what a
write would change and what it did. Only these (and paths) travel between the GUI thread and
the writer thread."""

from __future__ import annotations

import os
import re
from dataclasses import asdict, dataclass, field
from enum import StrEnum
from pathlib import Path
from typing import Any

# The four things AltLens writes ("roles"); each lives in several fields (see fields.py).
ALT_TEXT = "alt_text"
DESCRIPTION = "description"
LONG_DESCRIPTION = "long_description"
TITLE = "title"
ROLES = (ALT_TEXT, DESCRIPTION, LONG_DESCRIPTION, TITLE)

# XML (so XMP) cannot carry these; tab and line breaks are fine.
_BAD_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


class Profile(StrEnum):
    """Which field set a write fills."""

    STANDARD = "standard"  # EXIF ImageDescription, XMP dc:description, IPTC alt text, IIM caption
    WINDOWS = "windows"  # standard + EXIF XPTitle (= caption) and XPComment (= alt text)


class SidecarStyle(StrEnum):
    """Name of an XMP sidecar AltLens creates when none exists (existing ones of either style
    are always updated in place)."""

    APPEND = "append"  # IMG_1.CR2.xmp: darktable, digiKam; unambiguous with RAW+JPEG pairs
    REPLACE = "replace"  # IMG_1.xmp: Lightroom, Bridge, Capture One


@dataclass(frozen=True)
class FileIdentity:
    """What a file was when it was read. `sha256` is of the whole file: the library compares it
    with `WriteResult.identity_after` to recognise AltLens's own writes."""

    size: int
    mtime_ns: int
    inode: int
    device: int
    sha256: str

    def same_content(self, other: FileIdentity | None) -> bool:
        return other is not None and self.size == other.size and self.sha256 == other.sha256

    def same_stat(self, st: os.stat_result) -> bool:
        """Cheap check that nobody replaced or rewrote the file since this identity was taken."""
        return (
            st.st_size == self.size
            and st.st_mtime_ns == self.mtime_ns
            and st.st_ino == self.inode
            and st.st_dev == self.device
        )

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> FileIdentity:
        return cls(
            size=int(data["size"]),
            mtime_ns=int(data["mtime_ns"]),
            inode=int(data["inode"]),
            device=int(data["device"]),
            sha256=str(data["sha256"]),
        )


@dataclass(frozen=True)
class FormatInfo:
    """A file's container, found from its content (not its name)."""

    kind: str  # jpeg, png, tiff, dng, webp, heif, avif, gif, bmp, raw
    label: str  # ExifTool's FileType where known (JPEG, MPO, CR2, ...)
    strategy: str  # "embedded" (written into the file) or "sidecar" (XMP file beside it)
    extension_matches: bool = True  # False for e.g. a WebP named .jpg

    @property
    def embedded(self) -> bool:
        return self.strategy == "embedded"


@dataclass(frozen=True)
class FieldValue:
    """One value found in a file. `field` is ExifTool's family-1 name ("IFD0:ImageDescription",
    "XMP-dc:Description"; other languages of a Lang Alt carry a suffix: "XMP-dc:Description-de")."""

    field: str
    value: str
    source: Path  # the photo or the sidecar it was read from
    role: str | None = None
    placeholder: bool = False  # camera junk ("OLYMPUS DIGITAL CAMERA") or blank: counts as empty
    by_altlens: bool = False  # still exactly the text AltLens wrote there (per provenance)

    @property
    def empty(self) -> bool:
        return self.placeholder or not self.value.strip()


@dataclass(frozen=True)
class Provenance:
    """AltLens's own record in the file's XMP (namespace https://altlens.app/ns/1.0/, prefix
    `altlens`). Flags describe the latest AltLens write; `digests` cover every field that still
    holds text AltLens wrote, so later runs can tell it from a person's text."""

    machine_suggested: bool | None = None
    model: str | None = None
    reviewed: bool | None = None
    edited: bool | None = None
    written_at: str | None = None
    software: str | None = None
    fields: tuple[str, ...] = ()
    digests: tuple[tuple[str, str], ...] = ()  # (field, "sha256:<first 32 hex>")
    source: Path | None = None

    def digest_for(self, field_name: str) -> str | None:
        for name, digest in self.digests:
            if name == field_name:
                return digest
        return None


@dataclass(frozen=True)
class MetadataSnapshot:
    """What a file holds now. The four role attributes are the values a reader would show, with
    the field each came from; `fields` lists every caption-related value found, in every place
    (EXIF, XMP in any language, IIM, XP tags, sidecars)."""

    path: Path
    format: FormatInfo
    identity: FileIdentity
    alt_text: FieldValue | None = None
    description: FieldValue | None = None
    long_description: FieldValue | None = None
    title: FieldValue | None = None
    fields: tuple[FieldValue, ...] = ()
    provenance: Provenance | None = None
    sidecars: tuple[Path, ...] = ()
    warnings: tuple[str, ...] = ()

    def text(self, role: str) -> str | None:
        value: FieldValue | None = getattr(self, role)
        return value.value if value is not None else None

    @property
    def caption(self) -> str | None:
        """The caption the file holds, as the library and the window show it: the alt text,
        else the description; None when empty or a camera's placeholder."""
        from altlens.core.metadata.fields import caption_of  # fields imports this module

        # The values were judged with the camera's make/model already (FieldValue.empty);
        # caption_of applies the same rule, shared with the library's fast scan.
        alt, desc = (v.value if v is not None and not v.empty else None
                     for v in (self.alt_text, self.description))
        return caption_of(alt, desc)

    def to_dict(self) -> dict[str, Any]:
        def fv(v: FieldValue | None) -> dict[str, Any] | None:
            if v is None:
                return None
            return {
                "field": v.field,
                "value": v.value,
                "source": str(v.source),
                "placeholder": v.placeholder,
                "by_altlens": v.by_altlens,
            }

        prov = self.provenance
        return {
            "path": str(self.path),
            "format": {"kind": self.format.kind, "label": self.format.label,
                       "strategy": self.format.strategy},
            "alt_text": fv(self.alt_text),
            "description": fv(self.description),
            "long_description": fv(self.long_description),
            "title": fv(self.title),
            "fields": [fv(v) | {"role": v.role} for v in self.fields],  # type: ignore[operator]
            "provenance": None if prov is None else {
                "machine_suggested": prov.machine_suggested,
                "model": prov.model,
                "reviewed": prov.reviewed,
                "edited": prov.edited,
                "written_at": prov.written_at,
                "software": prov.software,
                "fields": list(prov.fields),
            },
            "sidecars": [str(p) for p in self.sidecars],
            "identity": self.identity.to_dict(),
            "warnings": list(self.warnings),
        }


@dataclass(frozen=True)
class WriteRequest:
    """What a person approved for one photo. `description=None` means the alt text is also
    written as the caption (most readers show only the caption fields). With `overwrite=False`
    only empty fields, camera junk and text AltLens itself wrote are replaced. Line breaks are
    stored as LF (XMP is XML, which reads CR and CRLF back as LF)."""

    path: Path
    alt_text: str
    description: str | None = None
    long_description: str | None = None
    title: str | None = None
    profile: Profile = Profile.STANDARD
    overwrite: bool = False
    model: str | None = None  # model id when the text was machine-suggested
    reviewed: bool = True
    edited: bool = False  # the person changed the suggestion before approving
    keep_mtime: bool = True  # embedded writes keep the photo's modification time
    backup: bool = False  # copy the original into app_dirs().data/backups first
    sidecar_style: SidecarStyle = SidecarStyle.APPEND
    expected_identity: FileIdentity | None = None  # refuse if the file is no longer this

    def __post_init__(self) -> None:
        object.__setattr__(self, "path", Path(self.path))
        object.__setattr__(self, "profile", Profile(self.profile))
        object.__setattr__(self, "sidecar_style", SidecarStyle(self.sidecar_style))
        for name in ROLES:
            value = getattr(self, name)
            if value is None and name != ALT_TEXT:
                continue
            if not isinstance(value, str) or not value.strip():
                raise ValueError(f"{name} must be non-empty text")
            if _BAD_CONTROL.search(value):
                raise ValueError(f"{name} contains control characters that XMP cannot store")
            if "\r" in value:
                # XML turns CR and CRLF into LF when it is read, so store what will read back
                object.__setattr__(self, name, value.replace("\r\n", "\n").replace("\r", "\n"))

    def text_for(self, role: str) -> str | None:
        if role == DESCRIPTION and self.description is None:
            return self.alt_text
        value: str | None = getattr(self, role)
        return value


@dataclass(frozen=True)
class FieldChange:
    """One field of one file: the value before and after (None: absent)."""

    field: str
    old: str | None
    new: str | None
    target: Path
    role: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return {"field": self.field, "old": self.old, "new": self.new,
                "target": str(self.target), "role": self.role}


@dataclass(frozen=True)
class SkippedField:
    """A role or field the write leaves alone, and why (shown in the preview)."""

    role: str
    field: str | None
    reason: str
    current: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return {"role": self.role, "field": self.field, "reason": self.reason,
                "current": self.current}


@dataclass(frozen=True)
class WritePlan:
    """What `write()` would do now: the files it would write (the photo or its sidecars), the
    (field, old, new) changes, what it skips and why, and warnings for the person."""

    path: Path
    targets: tuple[Path, ...]
    changes: tuple[FieldChange, ...]
    skipped: tuple[SkippedField, ...] = ()
    warnings: tuple[str, ...] = ()
    identity: FileIdentity | None = None
    creates: tuple[Path, ...] = ()  # sidecars that do not exist yet

    @property
    def target_path(self) -> Path:
        return self.targets[0]

    @property
    def has_changes(self) -> bool:
        return bool(self.changes)

    def to_dict(self) -> dict[str, Any]:
        return {
            "path": str(self.path),
            "targets": [str(t) for t in self.targets],
            "creates": [str(t) for t in self.creates],
            "changes": [c.to_dict() for c in self.changes],
            "skipped": [s.to_dict() for s in self.skipped],
            "warnings": list(self.warnings),
        }


@dataclass(frozen=True)
class WriteResult:
    """A finished write or undo. `identity_after` is the photo's identity now (unchanged for
    sidecar writes); `target_identities` has one entry per file actually written."""

    path: Path
    targets: tuple[Path, ...]
    changes: tuple[FieldChange, ...]
    identity_after: FileIdentity | None
    journal_id: int | None
    warnings: tuple[str, ...] = ()
    skipped: tuple[SkippedField, ...] = ()
    target_identities: tuple[tuple[Path, FileIdentity], ...] = ()
    backups: tuple[Path, ...] = ()

    @property
    def target_path(self) -> Path:
        return self.targets[0]

    def to_dict(self) -> dict[str, Any]:
        return {
            "path": str(self.path),
            "targets": [str(t) for t in self.targets],
            "changes": [c.to_dict() for c in self.changes],
            "skipped": [s.to_dict() for s in self.skipped],
            "warnings": list(self.warnings),
            "journal_id": self.journal_id,
            "identity_after": None if self.identity_after is None
            else self.identity_after.to_dict(),
            "backups": [str(b) for b in self.backups],
        }


@dataclass(frozen=True)
class JournalEntry:
    """One journaled write or undo of one photo."""

    id: int
    path: Path
    kind: str  # "write" or "undo"
    state: str  # "pending" (crash before the rename), "done", "failed"
    created_at: str
    changes: tuple[FieldChange, ...] = ()
    undoes: int | None = None
    undone_by: int | None = None
    # (file written, its identity afterwards (None: deleted), whether this created it)
    targets: tuple[tuple[Path, FileIdentity | None, bool], ...] = field(default=())
    backups: tuple[Path, ...] = ()
    # (file, its identity before, digest of its tags before, copy of its original bytes)
    undo_info: tuple[tuple[Path, FileIdentity | None, str | None, Path | None], ...] = ()
