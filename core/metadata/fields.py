# SPDX-License-Identifier: GPL-3.0-or-later
"""Which fields hold which text, per profile and container, and the text rules around them
(camera junk, IIM byte limits, UCS-2 XP tags, provenance digests).

Field names are ExifTool family-1 names ("IFD0:ImageDescription", "XMP-dc:Description").
Lang Alt fields are always written as their `x-default` item only, so other languages stay.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
from dataclasses import dataclass

from altlens.core.metadata.types import ALT_TEXT, DESCRIPTION, LONG_DESCRIPTION, TITLE, Profile

EXIF = "exif"
XMP_LANG = "xmp-lang"
IIM = "iim"
XP = "xp"


@dataclass(frozen=True)
class FieldSpec:
    name: str  # family-1 name, also the key used in plans and the journal
    role: str
    kind: str  # exif, xmp-lang, iim, xp
    max_bytes: int | None = None  # IIM record limits

    @property
    def group1(self) -> str:
        return self.name.split(":", 1)[0]

    @property
    def tag(self) -> str:
        return self.name.split(":", 1)[1]

    @property
    def write_name(self) -> str:
        """Name in an ExifTool assignment (`-NAME=value`)."""
        return f"{self.name}-x-default" if self.kind == XMP_LANG else self.name

    @property
    def family0(self) -> str:
        return {EXIF: "EXIF", XP: "EXIF", IIM: "IPTC", XMP_LANG: "XMP"}[self.kind]


IMAGE_DESCRIPTION = FieldSpec("IFD0:ImageDescription", DESCRIPTION, EXIF)
DC_DESCRIPTION = FieldSpec("XMP-dc:Description", DESCRIPTION, XMP_LANG)
IIM_CAPTION = FieldSpec("IPTC:Caption-Abstract", DESCRIPTION, IIM, 2000)
XP_TITLE = FieldSpec("IFD0:XPTitle", DESCRIPTION, XP)  # Explorer's "Title" mirrors the caption
ALT_TEXT_ACC = FieldSpec("XMP-iptcCore:AltTextAccessibility", ALT_TEXT, XMP_LANG)
XP_COMMENT = FieldSpec("IFD0:XPComment", ALT_TEXT, XP)  # Explorer's "Comments"
EXT_DESCR = FieldSpec("XMP-iptcCore:ExtDescrAccessibility", LONG_DESCRIPTION, XMP_LANG)
DC_TITLE = FieldSpec("XMP-dc:Title", TITLE, XMP_LANG)
IIM_OBJECT_NAME = FieldSpec("IPTC:ObjectName", TITLE, IIM, 64)

ALL_FIELDS = (
    ALT_TEXT_ACC, XP_COMMENT,
    IMAGE_DESCRIPTION, DC_DESCRIPTION, IIM_CAPTION, XP_TITLE,
    EXT_DESCR,
    DC_TITLE, IIM_OBJECT_NAME,
)
FIELDS_BY_NAME = {f.name: f for f in ALL_FIELDS}

# Read (shown, and respected as a person's text) but never written.
READ_ONLY_SOURCES = {
    "XMP-photoshop:Headline": TITLE,
    "IPTC:Headline": TITLE,
    "IPTC2:Caption-Abstract": DESCRIPTION,  # IIM outside APP13, e.g. a FotoStation trailer
    "IPTC2:ObjectName": TITLE,
}

# Order in which a reader's view of each role is picked (first non-empty wins). XMP first:
# it is Unicode by definition; EXIF and IIM may hold legacy encodings.
READ_ORDER = {
    ALT_TEXT: ("XMP-iptcCore:AltTextAccessibility", "IFD0:XPComment"),
    DESCRIPTION: ("XMP-dc:Description", "IFD0:ImageDescription", "IPTC:Caption-Abstract",
                  "IFD0:XPTitle", "IPTC2:Caption-Abstract"),
    LONG_DESCRIPTION: ("XMP-iptcCore:ExtDescrAccessibility",),
    TITLE: ("XMP-dc:Title", "IPTC:ObjectName", "XMP-photoshop:Headline", "IPTC:Headline",
            "IPTC2:ObjectName"),
}

PROVENANCE_TAGS = ("MachineSuggested", "CaptionModel", "Reviewed", "Edited", "WrittenAt",
                   "AltLensVersion", "Fields", "TextDigests")


def fields_for(profile: Profile, *, embedded: bool, has_iim: bool,
               present: frozenset[str] = frozenset(), exif: bool = True
               ) -> tuple[FieldSpec, ...]:
    """Fields a write fills. Sidecars hold XMP only. IIM only where an IIM block exists (adding
    one would make a third copy that drifts). XP tags in the Windows profile, or when the file
    already has them, so Explorer does not show stale text beside the new caption."""
    out: list[FieldSpec] = []
    for spec in ALL_FIELDS:
        if spec.kind == XMP_LANG:
            out.append(spec)
        elif not embedded or (spec.kind in (EXIF, XP) and not exif):
            continue
        elif (spec.kind == EXIF or (spec.kind == IIM and has_iim)
              or (spec.kind == XP and (profile is Profile.WINDOWS or spec.name in present))):
            out.append(spec)
    return tuple(out)


# Text cameras and software put into ImageDescription that no person wrote.
_JUNK = {
    s.casefold()
    for s in (
        "OLYMPUS DIGITAL CAMERA", "SONY DSC", "SONY DIGITAL CAMERA", "DIGITAL CAMERA",
        "KODAK Digital Still Camera", "Digital Still Camera", "MINOLTA DIGITAL CAMERA",
        "KONICA MINOLTA DIGITAL CAMERA", "PENTAX DIGITAL CAMERA", "SAMSUNG DIGITAL CAMERA",
        "NIKON DIGITAL CAMERA", "CASIO DIGITAL CAMERA", "SANYO DIGITAL CAMERA",
        "FUJIFILM DIGITAL CAMERA", "Panasonic DIGITAL CAMERA", "DCF", "DSC", "Default",
        "Exif_JPEG_PICTURE", "Exif_JPEG_422", "JPEG", "Picture", "Image", "Photo", "Untitled",
        "LEAD Technologies Inc. V1.01", "Created with GIMP", "Created with The GIMP",
        "Intel(R) JPEG Library, version 1,5,4,36", "Made with Xiaomi Camera",
        "SAMSUNG",
    )
}
_FILENAME_LIKE = re.compile(r"^(?:IMG|DSC|DSCF|DSCN|PICT|P|CIMG|SAM|DCIM)[_-]?\d+(?:\.\w{2,4})?$",
                            re.IGNORECASE)


def is_placeholder(value: str, *, make: str | None = None, model: str | None = None) -> bool:
    """True for text a camera or program left, which counts as empty: blanks, control
    characters, known camera strings, file-name-like strings, or just the camera's make/model."""
    text = "".join(ch for ch in value if unicodedata.category(ch)[0] != "C").strip()
    if not text or set(text) <= {"?", " "}:
        return True
    folded = " ".join(text.split()).casefold()
    if folded in _JUNK or _FILENAME_LIKE.match(text):
        return True
    names = {n.strip().casefold() for n in (make, model) if n and n.strip()}
    if make and model:
        names.add(f"{make.strip()} {model.strip()}".casefold())
    return folded in names


def caption_of(alt_text: str | None, description: str | None, *,
               make: str | None = None, model: str | None = None) -> str | None:
    """THE rule for "the caption a file holds" (MetadataSnapshot.caption, and the library's
    scan hint in core/fingerprint.py): the alt text, else the description, skipping any value
    that is blank or a camera's placeholder (is_placeholder). Pure: no I/O, no ExifTool."""
    for value in (alt_text, description):
        if value is not None and not is_placeholder(value, make=make, model=model):
            return value
    return None


def text_digest(text: str) -> str:
    """Digest of text AltLens wrote into a field (in provenance): later runs treat the field
    as AltLens's own only while it still holds exactly this text."""
    return "sha256:" + hashlib.sha256(text.encode("utf-8")).hexdigest()[:32]


def truncate_utf8(text: str, max_bytes: int) -> str:
    """Longest prefix of `text` whose UTF-8 fits in max_bytes, cut at a character boundary
    (and not inside a combining sequence)."""
    data = text.encode("utf-8")
    if len(data) <= max_bytes:
        return text
    cut = data[:max_bytes].decode("utf-8", "ignore")
    # do not leave a base letter without its combining marks, or half an emoji ZWJ sequence
    while cut and (unicodedata.combining(text[len(cut)]) or text[len(cut)] in "\u200d\ufe0f"
                   or cut[-1] == "\u200d"):
        cut = cut[:-1]
    return cut


def xp_safe(text: str) -> str:
    """XP tags are UCS-2 in ExifTool 12.x: characters beyond the BMP (most emoji) would turn
    into unrelated characters, so they become U+FFFD in that copy only."""
    return "".join(ch if ord(ch) <= 0xFFFF else "\ufffd" for ch in text)


def value_for(spec: FieldSpec, text: str) -> tuple[str, str | None]:
    """The exact text a field gets, and a warning when it differs from what was approved."""
    if spec.kind == IIM and spec.max_bytes is not None:
        cut = truncate_utf8(text, spec.max_bytes)
        if cut != text:
            return cut, (
                f"{spec.name} holds at most {spec.max_bytes} bytes: that copy was shortened to "
                f"{len(cut)} of {len(text)} characters; the other fields hold the full text."
            )
    if spec.kind == XP:
        safe = xp_safe(text)
        if safe != text:
            return safe, (
                f"{spec.name} cannot hold characters such as emoji; they were replaced by "
                "\ufffd in that copy only."
            )
    return text, None

