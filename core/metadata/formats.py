# SPDX-License-Identifier: GPL-3.0-or-later
"""Which container a file is, from its first bytes (never from its name alone), and how AltLens
stores text for it:

- embedded (ExifTool rewrites a copy, then it replaces the file): JPEG (and MPO), PNG, TIFF,
  DNG, WebP, HEIC/HEIF, AVIF; and, XMP only, PSD, JPEG 2000 and JPEG XL (in its container;
  a bare JXL codestream gets a sidecar, since ExifTool would have to re-wrap it);
- XMP sidecar (the file itself is never opened for writing): proprietary RAW (CR2, CR3, NEF,
  ARW, RAF, ORF, RW2, PEF, ...), and BMP and GIF. BMP has no metadata container at all; GIF
  could carry XMP in an application extension, but almost no viewer reads it there and the
  ones that do (digiKam, ExifTool) read a sidecar as well, so the image stays untouched;
- anything else is refused as unsupported.

TIFF-structured files are told apart with ExifTool's answer (DNGVersion, FileType), because
many RAW formats are TIFF inside; an unknown TIFF-like file gets a sidecar, never a rewrite.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from altlens.core.filekinds import CAMERA_RAW_EXTENSIONS, DNG_EXTENSIONS, KIND_EXTENSIONS
from altlens.core.metadata.errors import EmptyFileError, FileMissingError, UnsupportedFormatError
from altlens.core.metadata.types import FormatInfo

EMBEDDED = "embedded"
SIDECAR = "sidecar"


@dataclass(frozen=True)
class Family:
    """One family of containers and its rules: where the text goes and how ExifTool is
    asked to read and write it. Every format rule lives here, not in the writer."""

    name: str
    kinds: frozenset[str]
    strategy: str  # EMBEDDED or SIDECAR
    exif: bool = True  # EXIF ImageDescription (and XP tags) go into the file
    iim: bool = True  # IIM fields, where the file already has an IIM block
    validate: bool = True  # read with `-validate` (ExifTool's structure checks)
    temp_keeps_extension: bool = True  # ExifTool accepts `-o .NAME.tmp.EXT` for it
    note: str | None = None  # said to the person whenever a file of this family is written
    # JPEG: the compressed image data (first SOS marker to the end) must stay byte for byte
    scan_data_check: bool = False
    # JPEG: XMP over this many bytes is split into Extended XMP, which some readers ignore
    xmp_split_over: int | None = None
    # PNG: EXIF may sit only in an ImageMagick "Raw profile" text chunk, where ExifTool
    # would add a second, nearly empty eXIf block that newer readers prefer
    legacy_exif_chunk: bool = False


JPEG = Family("JPEG", frozenset({"jpeg"}), EMBEDDED, scan_data_check=True,
              xmp_split_over=50_000)
# PNG skips -validate: it inflates every IDAT chunk (a second per photo), and ExifTool
# reports a truncated PNG without it.
PNG = Family("PNG", frozenset({"png"}), EMBEDDED, validate=False, legacy_exif_chunk=True)
# ExifTool 12.57 refuses `-o x.webp`; WebP has no IIM slot.
WEBP = Family("WebP", frozenset({"webp"}), EMBEDDED, iim=False, temp_keeps_extension=False)
TIFF = Family("TIFF/DNG", frozenset({"tiff", "dng"}), EMBEDDED)
HEIF = Family("HEIF/AVIF", frozenset({"heif", "avif"}), EMBEDDED, iim=False)
# ExifTool writes XMP into these losslessly; AltLens writes nothing else there.
XMP_ONLY = Family("PSD/JPEG 2000/JPEG XL", frozenset({"psd", "jp2", "jxl"}), EMBEDDED,
                  exif=False, iim=False)
# Proprietary RAW is never rewritten; darktable, digiKam, Lightroom read the sidecar.
RAW_SIDECAR = Family("RAW (sidecar)", frozenset({"raw"}), SIDECAR, validate=False)
# No place other apps read (BMP), or one almost none do (GIF), or one ExifTool would have to
# re-wrap the file for (a bare JXL codestream): the image stays untouched.
NO_CONTAINER = Family(
    "sidecar", frozenset({"bmp", "gif", "jxl-codestream"}), SIDECAR, validate=False,
    note="{label} files cannot hold captions that other apps read without being rewritten "
    "into another layout; AltLens keeps the text in an XMP sidecar next to it (read by digiKam "
    "and ExifTool, not by most viewers or websites).")
SIDECAR_KINDS = RAW_SIDECAR.kinds | NO_CONTAINER.kinds
FAMILIES = (JPEG, PNG, WEBP, TIFF, HEIF, XMP_ONLY, RAW_SIDECAR, NO_CONTAINER)
_BY_KIND = {kind: fam for fam in FAMILIES for kind in fam.kinds}


def family_of(kind: str | None) -> Family | None:
    return _BY_KIND.get(kind or "")


# ExifTool FileType values of TIFF-structured files that we may rewrite.
WRITABLE_TIFF_TYPES = frozenset({"TIFF", "BTF", "DNG"})

_HEIF_BRANDS = {b"heic", b"heix", b"hevc", b"hevx", b"heim", b"heis", b"hevm", b"hevs",
                b"mif1", b"msf1", b"mif2"}
_AVIF_BRANDS = {b"avif", b"avis"}
_JP2_SIGNATURE = b"\0\0\0\x0cjP  \r\n\x87\n"
_JXL_SIGNATURE = b"\0\0\0\x0cJXL \r\n\x87\n"


def sniff(path: Path) -> tuple[str, str]:
    """(kind, label) from the file's first bytes. Raises FileMissingError, EmptyFileError or
    UnsupportedFormatError."""
    try:
        with open(path, "rb") as fh:
            head = fh.read(64)
    except FileNotFoundError as exc:
        raise FileMissingError("The file does not exist.", path=path) from exc
    except IsADirectoryError as exc:
        raise UnsupportedFormatError("This is a folder, not a photo.", path=path) from exc
    if not head:
        raise EmptyFileError("The file is empty (0 bytes); nothing was written.", path=path)
    if head.startswith(b"\xff\xd8\xff"):
        return "jpeg", "JPEG"
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return "png", "PNG"
    if head.startswith(b"8BPS"):
        return "psd", "PSD"
    if head.startswith(_JP2_SIGNATURE) or head.startswith(b"\xff\x4f\xff\x51"):
        return "jp2", "JP2" if head.startswith(_JP2_SIGNATURE) else "J2C"
    if head.startswith(_JXL_SIGNATURE):
        return "jxl", "JXL"
    if head.startswith(b"\xff\x0a"):
        # a bare JPEG XL codestream: ExifTool would first have to wrap it in a container
        # (a new file layout), so the text goes to a sidecar and the image stays as it is
        return "jxl-codestream", "JXL"
    if head[:6] in (b"GIF87a", b"GIF89a"):
        return "gif", "GIF"
    if head.startswith(b"BM") and len(head) >= 18:
        return "bmp", "BMP"
    if head.startswith(b"RIFF") and head[8:12] == b"WEBP":
        return "webp", "WEBP"
    if head[4:8] == b"ftyp":
        brands = {head[8:12]} | {head[i:i + 4] for i in range(16, min(len(head), 64) - 3, 4)}
        if b"crx " in brands:
            return "raw", "CR3"
        if brands & _AVIF_BRANDS:
            return "avif", "AVIF"
        if brands & _HEIF_BRANDS:
            return "heif", "HEIC"
        raise UnsupportedFormatError(
            "This ISO media file is not a HEIC/HEIF or AVIF image.", path=path
        )
    if head.startswith((b"IIRO", b"IIRS", b"MMOR")):
        return "raw", "ORF"
    if head.startswith(b"IIU\0"):
        return "raw", "RW2"
    if head.startswith(b"FUJIFILMCCD-RAW"):
        return "raw", "RAF"
    if head.startswith(b"II\x1a\0\0\0HEAPCCDR"):
        return "raw", "CRW"
    if head.startswith(b"\0MRM"):
        return "raw", "MRW"
    if head.startswith(b"FOVb"):
        return "raw", "X3F"
    if head.startswith((b"II*\0", b"MM\0*", b"II+\0", b"MM\0+")):
        if head[8:10] == b"CR":
            return "raw", "CR2"
        return "tiff", "TIFF"  # settled with ExifTool's FileType in classify()
    if head.lstrip().startswith((b"<?xpacket", b"<x:xmpmeta", b"<?xml")):
        raise UnsupportedFormatError(
            "This is an XMP sidecar, not a photo; choose the photo it belongs to.", path=path
        )
    raise UnsupportedFormatError(
        "AltLens cannot store text in this kind of file. Supported: JPEG, PNG, TIFF, DNG, "
        "WebP, HEIC/HEIF, AVIF, PSD, JPEG 2000, JPEG XL, camera RAW (through XMP sidecars), "
        "BMP and GIF (sidecars).",
        path=path,
    )


def classify(path: Path, kind: str, label: str, exiftool_type: str | None,
             is_dng: bool) -> FormatInfo:
    """Final decision, once ExifTool has read the file (its FileType and DNGVersion)."""
    ext = path.suffix.lower()
    if kind == "tiff":
        if is_dng:
            kind, label = "dng", "DNG"
        elif ext in CAMERA_RAW_EXTENSIONS or (
                exiftool_type and exiftool_type not in WRITABLE_TIFF_TYPES):
            kind, label = "raw", exiftool_type or ext.lstrip(".").upper() or "RAW"
    if kind == "jpeg" and exiftool_type == "MPO":
        label = "MPO"
    fam = family_of(kind)
    strategy = fam.strategy if fam is not None else SIDECAR
    if kind == "raw":
        matches = ext in CAMERA_RAW_EXTENSIONS or ext in DNG_EXTENSIONS
    else:
        matches = ext in KIND_EXTENSIONS.get(kind.removesuffix("-codestream"), frozenset())
    return FormatInfo(kind=kind, label=label, strategy=strategy, extension_matches=matches)
