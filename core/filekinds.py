# SPDX-License-Identifier: GPL-3.0-or-later
"""The one list of file kinds for the whole program, by extension: what AltLens can caption
(core.images) and how it stores text for each (core.metadata.formats, which still decides by
content; an extension only settles TIFF-structured files and names temp files).

DNG is listed apart from the proprietary RAW formats: both are captioned from their embedded
preview, but DNG is an open TIFF format that takes embedded XMP, while proprietary RAW files
are never rewritten (their text goes to an XMP sidecar).
"""

from __future__ import annotations

#: Proprietary camera RAW: captioned from the embedded preview, text in an XMP sidecar.
CAMERA_RAW_EXTENSIONS = frozenset(
    ".3fr .ari .arw .bay .cap .cr2 .cr3 .crw .dcr .dcs .erf .fff .iiq .k25 .kdc .mef .mos .mrw "
    ".nef .nrw .orf .ori .pef .raf .raw .rw2 .rwl .sr2 .srf .srw .x3f".split()
)
DNG_EXTENSIONS = frozenset({".dng"})
#: Everything captioned from an embedded preview rather than decoded directly.
RAW_EXTENSIONS = CAMERA_RAW_EXTENSIONS | DNG_EXTENSIONS
#: Decoded directly (Pillow, pillow-heif).
IMAGE_EXTENSIONS = frozenset(
    ".jpg .jpeg .jpe .jfif .png .apng .tif .tiff .webp .gif .bmp .dib .heic .heif .hif .avif "
    ".mpo".split()
)
CAPTIONABLE_EXTENSIONS = IMAGE_EXTENSIONS | RAW_EXTENSIONS
#: Files that take text (XMP) but that AltLens does not caption: Photoshop, JPEG 2000, JPEG XL.
XMP_ONLY_EXTENSIONS = frozenset(".psd .psb .jp2 .jpf .jpx .j2k .jxl".split())
#: The extension each content kind (core.metadata.formats) normally has.
KIND_EXTENSIONS: dict[str, frozenset[str]] = {
    "jpeg": frozenset(".jpg .jpeg .jpe .jfif .mpo".split()),
    "png": frozenset({".png", ".apng"}),
    "tiff": frozenset({".tif", ".tiff"}),
    "dng": frozenset({".dng", ".tif", ".tiff"}),
    "webp": frozenset({".webp"}),
    "heif": frozenset({".heic", ".heif", ".hif"}),
    "avif": frozenset({".avif"}),
    "gif": frozenset({".gif"}),
    "bmp": frozenset({".bmp", ".dib"}),
    "psd": frozenset({".psd", ".psb"}),
    "jp2": frozenset(".jp2 .jpf .jpx .j2k".split()),
    "jxl": frozenset({".jxl"}),
    "raw": CAMERA_RAW_EXTENSIONS | DNG_EXTENSIONS,
}
