# SPDX-License-Identifier: GPL-3.0-or-later
"""Comparing two ExifTool dumps of one file (before and after a write or an undo), tag by tag
and binary block by binary block, and working out what an undo must do besides restoring the
fields AltLens meant to change.

Dumps are `exiftool -j -b -G0:1:4 -a -s -n -all` rows (family0, family1, tag, value): `-b`
puts every binary block (maker notes, ICC profiles, thumbnails, previews) into the dump as
base64, so comparing values compares those blocks byte for byte. What is never compared:
ExifTool's own File/Composite/ExifTool groups (its warnings included: their wording changes
between a file and its rewrite without anything in the file changing) and tags that say
where data sits in the file (offsets move whenever metadata grows or shrinks; the data they
point to is compared through its own tags).
"""

from __future__ import annotations

import base64
import hashlib
import json
import re
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from altlens.core.metadata.types import FieldChange

IGNORED_FAMILY0 = frozenset({"File", "Composite", "ExifTool", "SourceFile"})
_LAYOUT_TAG = re.compile(r"(?:Offsets?|Start|StartOffset)$")
# ISO-BMFF (HEIC, AVIF): the media data box holds the coded image and the metadata items
# together, and ExifTool lays it out anew on every write; the image items are copied, not
# re-encoded, and the metadata in it is compared through its own tags.
_LAYOUT_NAMES = frozenset({"MediaDataSize", "MediaDataOffset", "MediaData"})

# Role of FieldChange rows that are not one of the person's fields but something the write
# did to the file as a side effect (ExifTool adds mandatory EXIF tags to a new IFD0, renames
# the XMP toolkit, updates the IPTC digest...). Undo applies them like the fields.
SIDE_EFFECT = "side-effect"
# A whole block (family-0 group: EXIF, XMP, IPTC) the write created; undo deletes it.
CREATED_BLOCK = "created-block"

Row = tuple[str, str, str, Any]


def is_layout(family0: str, tag: str) -> bool:
    """True for tags whose value is a position in the file, not content, and for the raw
    bytes of a maker note ExifTool understands: it relocates the offsets inside when the
    block moves, so those bytes change while every decoded maker-note tag (compared one by
    one) stays. A maker note it cannot parse (MakerNoteUnknown...) is copied as it is and
    compared byte for byte."""
    if family0 == "EXIF" and tag.startswith("MakerNote") and not tag.startswith(
            "MakerNoteUnknown"):
        return True
    return bool(_LAYOUT_TAG.search(tag)) or tag in _LAYOUT_NAMES


def strict_rows(rows: Iterable[Row]) -> Counter[tuple[str, str]]:
    """Every content row as ("family0:family1:tag", JSON value), counted (duplicates kept)."""
    c: Counter[tuple[str, str]] = Counter()
    for f0, f1, tag, value in rows:
        if f0 in IGNORED_FAMILY0 or is_layout(f0, tag):
            continue
        c[(f"{f0}:{f1}:{tag}", json.dumps(value, ensure_ascii=False, sort_keys=True))] += 1
    return c


def tags_digest(rows: Iterable[Row]) -> str:
    """One hash of every content row: two files with the same digest read back the same, tag
    for tag and binary block for binary block. Stored in the journal so undo can prove it
    brought back exactly what was there."""
    h = hashlib.sha256()
    for (key, value), n in sorted(strict_rows(rows).items()):
        h.update(f"{key}\0{value}\0{n}\n".encode("utf-8", "surrogateescape"))
    return "sha256:" + h.hexdigest()


def differences(before: Iterable[Row], after: Iterable[Row]) -> list[str]:
    """Readable list of rows that differ (for refusals and logs)."""
    c0, c1 = strict_rows(before), strict_rows(after)
    return ([f"{k} lost or changed (was {v[:80]})" for (k, v) in c0 - c1]
            + [f"{k} appeared ({v[:80]})" for (k, v) in c1 - c0])


@dataclass(frozen=True)
class Restore:
    """One thing undo does to a file besides the person's fields: set `name` (ExifTool
    family-1 name) back to `value` (bytes; None: delete it), or delete a whole block."""

    name: str  # "IFD0:XResolution", "XMP-x:XMPToolkit"; for a block: "EXIF"
    value: bytes | None
    block: bool = False


def undo_restores(before: Iterable[Row], after: Iterable[Row],
                  own: set[tuple[str, str]]) -> list[Restore] | None:
    """What undo must do to turn `after` back into `before`, apart from the rows in `own`
    ((family1, tag) pairs undo restores anyway: the person's fields and AltLens's
    provenance). None when tags cannot express it (a value ExifTool dropped or re-encoded,
    a repeated tag whose copies changed): then only the original bytes can bring it back."""
    rows0 = [r for r in before if r[0] not in IGNORED_FAMILY0 and not is_layout(r[0], r[2])]
    rows1 = [r for r in after if r[0] not in IGNORED_FAMILY0 and not is_layout(r[0], r[2])]
    blocks0 = {r[0] for r in rows0}
    created_blocks = sorted({r[0] for r in rows1} - blocks0)
    out = [Restore(b, None, block=True) for b in created_blocks]

    def own_row(r: Row) -> bool:
        if (r[1], r[2]) in own or r[1] == "XMP-altlens":
            return True
        # another language of a Lang Alt field AltLens writes is not touched, but its
        # x-default is listed under the base name; IIM fields may sit in any IPTC block
        return r[0] == "IPTC" and ("IPTC", r[2]) in own

    by_key0: dict[str, list[Any]] = {}
    by_key1: dict[str, list[Any]] = {}
    for rows, by_key in ((rows0, by_key0), (rows1, by_key1)):
        for r in rows:
            if r[0] in created_blocks or own_row(r):
                continue
            by_key.setdefault(f"{r[0]}:{r[1]}:{r[2]}", []).append(r[3])
    for key in sorted(set(by_key0) | set(by_key1)):
        v0, v1 = by_key0.get(key, []), by_key1.get(key, [])
        if v0 == v1:
            continue
        _f0, f1, tag = key.split(":", 2)
        if not v0 and len(v1) == 1:
            out.append(Restore(f"{f1}:{tag}", None))  # the write created this tag
        elif len(v0) == 1 and len(v1) == 1 and isinstance(v0[0], str):
            out.append(Restore(f"{f1}:{tag}", _raw(v0[0])))  # a simple value it changed
        else:
            return None
    return out


def _raw(value: str) -> bytes:
    if value.startswith("base64:"):
        return base64.b64decode(value[7:])
    return value.encode("utf-8")


def restore_change(target: Path, r: Restore) -> FieldChange:
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


def restore_of(c: FieldChange) -> Restore:
    if c.role == CREATED_BLOCK:
        return Restore(c.field, None, block=True)
    if c.old is None:
        return Restore(c.field, None)
    if c.old.startswith("base64:"):
        return Restore(c.field, base64.b64decode(c.old[7:]))
    return Restore(c.field, c.old.encode("utf-8"))
