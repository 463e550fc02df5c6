# SPDX-License-Identifier: GPL-3.0-or-later
"""Optional context for instruction-following models: what the photo's folder and its own
metadata already say (keywords, headline, location and, only when asked, the people named in
it), as ExifTool reads them.

Off by default. Front ends show the context to the person before it is used (the CLI prints
it to stderr; `altlens describe --show-context` prints it without describing anything), and
people's names are read only when a switch says so: a name in the file is personal data that
the person may not want in a suggestion. Nothing here imports torch.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from altlens.core.errors import AltLensError

log = logging.getLogger(__name__)

# ExifTool tags, read with -G1 (family-1 groups). XMP first: it is what current software writes;
# IPTC-IIM is what older software wrote. Both are merged, without duplicates.
KEYWORD_TAGS = ("XMP-dc:Subject", "IPTC:Keywords")
HEADLINE_TAGS = ("XMP-photoshop:Headline", "IPTC:Headline")
LOCATION_TAGS = (
    "XMP-iptcCore:Location", "IPTC:Sub-location",
    "XMP-photoshop:City", "IPTC:City",
    "XMP-photoshop:State", "IPTC:Province-State",
    "XMP-photoshop:Country", "IPTC:Country-PrimaryLocationName",
)
PEOPLE_TAGS = ("XMP-iptcExt:PersonInImage", "XMP-MP:RegionPersonDisplayName", "XMP-mwg-rs:RegionName")

# Folder names that say nothing about the photos in them (cameras, phones, downloads).
_GENERIC_FOLDERS = frozenset(
    name.casefold() for name in (
        "dcim", "camera", "camera roll", "photos", "pictures", "images", "img", "downloads",
        "download", "desktop", "tmp", "temp", "new folder", "export", "exports", "import",
        "screenshots", "100apple", "100canon", "100msdcf", "100nikon", "100olymp", "100_fuji",
    )
)
MAX_KEYWORDS = 15  # enough to help; more crowds out the instruction in a small model's prompt


@dataclass(frozen=True)
class PhotoContext:
    """What is known about one photo before the model sees it. `people` is empty unless the
    caller asked for names; `note` says why some of it could not be read."""

    path: Path
    folder: str | None = None
    keywords: tuple[str, ...] = ()
    headline: str | None = None
    location: str | None = None
    people: tuple[str, ...] = ()
    note: str | None = None

    @property
    def empty(self) -> bool:
        return not (self.folder or self.keywords or self.headline or self.location or self.people)

    def prompt_text(self) -> str | None:
        """The lines added to the model's instruction (None when there is nothing to add)."""
        lines = []
        if self.folder:
            lines.append(f"Folder name: {self.folder}")
        if self.headline:
            lines.append(f"Headline: {self.headline}")
        if self.keywords:
            lines.append(f"Keywords: {', '.join(self.keywords)}")
        if self.location:
            lines.append(f"Location: {self.location}")
        if self.people:
            lines.append(f"People named in the photo's metadata: {', '.join(self.people)}")
        return "\n".join(lines) or None

    def to_dict(self) -> dict[str, Any]:
        return {
            "path": str(self.path),
            "folder": self.folder,
            "keywords": list(self.keywords),
            "headline": self.headline,
            "location": self.location,
            "people": list(self.people),
            "note": self.note,
            "prompt": self.prompt_text(),
        }


def folder_label(path: Path) -> str | None:
    """The photo's folder name when it may mean something ("Lisbon 2019", not "DCIM")."""
    name = path.resolve().parent.name.strip()
    if not name or name.casefold() in _GENERIC_FOLDERS or name.isdigit():
        return None
    return name


def read_contexts(
    paths: Sequence[str | os.PathLike[str]],
    *,
    include_people: bool = False,
    exiftool: Any = None,
) -> list[PhotoContext]:
    """One PhotoContext per path, in order. A file ExifTool cannot read keeps its folder name
    and gets a `note`; without ExifTool every context is the folder name alone, with a note.
    `exiftool` is a running core.metadata.exiftool.ExifTool to reuse (else one is started)."""
    from altlens.core.metadata.exiftool import ExifTool, exiftool_available

    items = [Path(p) for p in paths]
    if not items:
        return []
    if exiftool is None and not exiftool_available():
        note = "ExifTool is not installed, so only the folder name is used."
        return [PhotoContext(p, folder=folder_label(p), note=note) for p in items]
    own = exiftool is None
    et = exiftool if exiftool is not None else ExifTool()
    try:
        return [_read_one(et, p, include_people) for p in items]
    finally:
        if own:
            et.close()


def _read_one(et: Any, path: Path, include_people: bool) -> PhotoContext:
    tags = [*KEYWORD_TAGS, *HEADLINE_TAGS, *LOCATION_TAGS]
    if include_people:
        tags += PEOPLE_TAGS  # never even read unless asked: names are personal data
    try:
        rows, _res = et.execute_json(["-G1", "-a", "-s", *(f"-{t}" for t in tags), os.fspath(path)])
    except (AltLensError, OSError) as exc:
        return PhotoContext(path, folder=folder_label(path), note=f"Metadata could not be read: {exc}")
    values: dict[str, list[str]] = {}
    for key, value in rows[0] if rows else []:
        values.setdefault(key, []).extend(_strings(value))
    keywords = _merge(values, KEYWORD_TAGS)[:MAX_KEYWORDS]
    headline = next(iter(_merge(values, HEADLINE_TAGS)), None)
    location = ", ".join(_merge(values, LOCATION_TAGS)) or None
    people = tuple(_merge(values, PEOPLE_TAGS)) if include_people else ()
    return PhotoContext(path, folder=folder_label(path), keywords=tuple(keywords), headline=headline,
                        location=location, people=people)


def _strings(value: Any) -> list[str]:
    if isinstance(value, list):
        return [s for v in value for s in _strings(v)]
    text = str(value).strip() if value is not None else ""
    return [text] if text else []


def _merge(values: dict[str, list[str]], tags: Iterable[str]) -> list[str]:
    """The values of `tags` in tag order, each once (case-insensitively)."""
    seen: set[str] = set()
    out: list[str] = []
    for tag in tags:
        for v in values.get(tag, []):
            if v.casefold() not in seen:
                seen.add(v.casefold())
                out.append(v)
    return out
