# SPDX-License-Identifier: GPL-3.0-or-later
"""Path -> the upright RGB image a captioning model needs.

Everything that can go wrong with a file becomes a typed error from altlens.core.errors that names
the file and says what happened in plain words; nothing else escapes `load_image`.
"""

from __future__ import annotations

import io
import logging
import os
import stat
import warnings
from collections.abc import Iterable
from pathlib import Path

import numpy as np
from altlens.core.errors import (
    CorruptImageError,
    FileMissingError,
    FileUnreadableError,
    ImageTooLargeError,
    NotAnImageError,
    UnsupportedFormatError,
)
from PIL import Image, ImageCms, ImageFile, ImageOps, UnidentifiedImageError

log = logging.getLogger(__name__)

try:  # HEIC/HEIF (and AVIF on Pillow builds without it) come from pillow-heif
    import pillow_heif

    pillow_heif.register_heif_opener()
    HEIF_AVAILABLE = True
except ImportError:  # pragma: no cover - pillow-heif is a hard dependency; keep loading other formats
    HEIF_AVAILABLE = False

# We check sizes ourselves (below) against what will actually be decoded, which for JPEG is
# up to 64x less than the declared size. Pillow's global guard knows nothing of draft mode.
Image.MAX_IMAGE_PIXELS = None
ImageFile.LOAD_TRUNCATED_IMAGES = False  # a truncated file is an error, never a grey half-image

#: The most pixels AltLens will hold decoded for one image: a 100 MP medium-format frame fits,
#: a crafted "decompression bomb" does not. About 360 MB as RGB.
DEFAULT_MAX_PIXELS = 120_000_000
#: JPEGs are decoded at up to 1/8 scale when the model needs only a small image, so a large
#: panorama can still be captioned; beyond this declared size it is refused without decoding.
MAX_DECLARED_JPEG_PIXELS = 1_000_000_000

# One list of file kinds for the whole program (core/filekinds.py); RAW here means "captioned
# from the embedded preview" (DNG included).
from altlens.core.filekinds import CAPTIONABLE_EXTENSIONS, IMAGE_EXTENSIONS, RAW_EXTENSIONS  # noqa: E402, F401 (re-exported)

# Magic numbers of formats we decode: a file with one of these that Pillow cannot open is damaged.
_DECODABLE_SIGNATURES: tuple[tuple[bytes, int, str], ...] = (
    (b"\xff\xd8\xff", 0, "JPEG"),
    (b"\x89PNG\r\n\x1a\n", 0, "PNG"),
    (b"GIF87a", 0, "GIF"),
    (b"GIF89a", 0, "GIF"),
    (b"II*\x00", 0, "TIFF"),
    (b"MM\x00*", 0, "TIFF"),
    (b"BM", 0, "BMP"),
)
# Images in formats AltLens does not decode: say so, rather than "not an image".
_UNSUPPORTED_SIGNATURES: tuple[tuple[bytes, int, str], ...] = (
    (b"\xff\x0a", 0, "JPEG XL"),
    (b"\x00\x00\x00\x0cJXL ", 0, "JPEG XL"),
    (b"8BPS", 0, "Photoshop (PSD)"),
    (b"%PDF", 0, "PDF"),
    (b"%!PS", 0, "PostScript/EPS"),
    (b"FUJIFILMCCD-RAW", 0, "Fujifilm RAF without a readable preview"),
    (b"gimp xcf", 0, "GIMP (XCF)"),
)
_BMFF_BRANDS = {
    b"heic": "HEIC", b"heix": "HEIC", b"hevc": "HEIC", b"heim": "HEIC", b"heis": "HEIC",
    b"mif1": "HEIF", b"msf1": "HEIF", b"avif": "AVIF", b"avis": "AVIF", b"crx ": "Canon CR3",
    b"jxl ": "JPEG XL",
}


def load_image(
    path: str | os.PathLike[str],
    *,
    target_size: int | tuple[int, int] | None = 224,
    max_pixels: int = DEFAULT_MAX_PIXELS,
) -> Image.Image:
    """Decode `path` into an upright RGB image.

    `target_size` is the smallest size (width, height) the caller needs; JPEGs are decoded at
    the largest 1/2, 1/4 or 1/8 reduction that still covers it (never smaller), so a 12 MP photo
    is not fully decoded just to be shrunk to 224 px. Pass None for full resolution.

    Raises a subclass of core.errors.ImageError naming the file; nothing else.
    """
    p = Path(path)
    target = (target_size, target_size) if isinstance(target_size, int) else target_size
    try:
        st = p.stat()
    except FileNotFoundError:
        raise FileMissingError("The file does not exist (it may have been moved or deleted).", path=p) from None
    except PermissionError:
        raise FileUnreadableError("AltLens is not allowed to read this file (permission denied).", path=p) from None
    except OSError as exc:
        raise FileUnreadableError(f"The file cannot be read: {exc.strerror or exc}.", path=p) from None
    if stat.S_ISDIR(st.st_mode):
        raise NotAnImageError("This is a folder, not an image.", path=p)
    if not stat.S_ISREG(st.st_mode):
        raise NotAnImageError("This is not a regular file.", path=p)
    if st.st_size == 0:
        raise CorruptImageError(
            "The file is empty (0 bytes); it may still be copying, or the copy failed.", path=p
        )
    try:
        with open(p, "rb") as fh:
            head = fh.read(64)
            fh.seek(0)
            if p.suffix.lower() in RAW_EXTENSIONS:
                return _load_raw(p, fh, target, max_pixels)
            return _decode(p, fh, head, target, max_pixels)
    except PermissionError:
        raise FileUnreadableError("AltLens is not allowed to read this file (permission denied).", path=p) from None
    except IsADirectoryError:
        raise NotAnImageError("This is a folder, not an image.", path=p) from None


def _decode(
    p: Path, fh: io.BufferedIOBase | io.BytesIO, head: bytes, target: tuple[int, int] | None, max_pixels: int
) -> Image.Image:
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # Pillow warns about odd-but-readable files; errors still raise
            im = Image.open(fh)
    except UnidentifiedImageError:
        raise _classify_unreadable(p, head) from None
    except MemoryError:
        raise ImageTooLargeError("The image is too large to open.", path=p) from None
    except Exception as exc:  # Pillow plugins raise many types on damaged headers
        raise CorruptImageError(f"The image header is damaged ({_detail(exc)}).", path=p) from None

    fmt = im.format or "image"
    width, height = im.size
    declared = width * height
    if width <= 0 or height <= 0:
        raise CorruptImageError("The image declares no pixels.", path=p)
    reducible = fmt in ("JPEG", "MPO") and target is not None
    limit = MAX_DECLARED_JPEG_PIXELS if reducible else max_pixels
    if declared > limit:
        raise ImageTooLargeError(
            f"The image is {width}x{height} ({declared / 1e6:.0f} megapixels), more than the "
            f"{limit / 1e6:.0f}-megapixel limit; it was not decoded, to protect memory.",
            path=p,
        )
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            if reducible and target is not None:
                # Draft works in the stored orientation; a square target makes rotation moot, and
                # for others we ask for the larger side in both directions.
                side = max(target)
                im.draft("RGB" if im.mode in ("RGB", "YCbCr") else im.mode, (side, side))
                if im.size[0] * im.size[1] > max_pixels:
                    raise ImageTooLargeError(
                        f"The image is {width}x{height} ({declared / 1e6:.0f} megapixels); even "
                        "reduced it exceeds the memory limit.",
                        path=p,
                    )
            im.load()
    except ImageTooLargeError:
        raise
    except MemoryError:
        raise ImageTooLargeError("Not enough memory to decode this image.", path=p) from None
    except OSError as exc:
        if "truncated" in str(exc).lower():
            raise CorruptImageError(
                f"The {fmt} data is truncated: the file is incomplete or was cut off while copying.",
                path=p,
            ) from None
        raise CorruptImageError(f"The {fmt} data is damaged ({_detail(exc)}).", path=p) from None
    except Exception as exc:
        raise CorruptImageError(f"The {fmt} data is damaged ({_detail(exc)}).", path=p) from None
    return _upright_rgb(im, p)


def _upright_rgb(im: Image.Image, p: Path, orientation: int | None = None) -> Image.Image:
    try:
        if orientation is not None and orientation in _TRANSPOSE:
            method = _TRANSPOSE[orientation]
            im = im.transpose(method) if method is not None else im
        else:
            im = ImageOps.exif_transpose(im)
    except Exception as exc:  # a broken EXIF block must not cost the caption
        log.warning("%s: ignoring unreadable EXIF orientation (%s)", p, exc)
    try:
        return to_rgb(im)
    except MemoryError:
        raise ImageTooLargeError("Not enough memory to convert this image.", path=p) from None
    except ValueError as exc:
        raise UnsupportedFormatError(f"Its colour mode is not supported ({exc}).", path=p) from None


_TRANSPOSE: dict[int, Image.Transpose | None] = {
    1: None,
    2: Image.Transpose.FLIP_LEFT_RIGHT,
    3: Image.Transpose.ROTATE_180,
    4: Image.Transpose.FLIP_TOP_BOTTOM,
    5: Image.Transpose.TRANSPOSE,
    6: Image.Transpose.ROTATE_270,
    7: Image.Transpose.TRANSVERSE,
    8: Image.Transpose.ROTATE_90,
}

_SRGB = None


def to_rgb(im: Image.Image, background: tuple[int, int, int] = (255, 255, 255)) -> Image.Image:
    """Any Pillow mode -> 8-bit RGB. Transparency is composited on `background` (white, as a
    page shows it), 16-bit and float data are scaled rather than clipped, CMYK goes through its
    ICC profile when it has one."""
    mode = im.mode
    if mode == "RGB":
        return im
    if mode == "P":
        im = im.convert("RGBA" if "transparency" in im.info else "RGB")
        mode = im.mode
        if mode == "RGB":
            return im
    if mode in ("RGBA", "LA", "PA", "RGBa", "La"):
        rgba = im.convert("RGBA")
        base = Image.new("RGBA", rgba.size, (*background, 255))
        return Image.alpha_composite(base, rgba).convert("RGB")
    if mode in ("L", "1", "YCbCr", "LAB", "HSV"):
        return im.convert("RGB")
    if mode == "CMYK":
        icc = im.info.get("icc_profile")
        if icc:
            try:
                global _SRGB
                if _SRGB is None:
                    _SRGB = ImageCms.createProfile("sRGB")
                src = ImageCms.ImageCmsProfile(io.BytesIO(icc))
                return ImageCms.profileToProfile(im, src, _SRGB, outputMode="RGB")  # type: ignore[return-value]
            except Exception as exc:  # a bad profile is common; the naive conversion is still fine
                log.debug("CMYK ICC conversion failed (%s); using the plain conversion", exc)
        return im.convert("RGB")
    if mode.startswith("I;16") or mode in ("I", "F"):
        arr = np.asarray(im, dtype=np.float64)
        if mode == "F":
            top = float(np.nanmax(arr)) if arr.size else 1.0
            scale = 255.0 if top <= 1.0 else 255.0 / max(top, 1.0) if top > 255 else 1.0
        else:
            top = float(arr.max()) if arr.size else 0.0
            scale = 1.0 if top <= 255 else 255.0 / 65535.0 if top <= 65535 else 255.0 / top
        out = np.clip(np.nan_to_num(arr * scale), 0, 255).astype(np.uint8)
        return Image.fromarray(out, mode="L").convert("RGB")
    return im.convert("RGB")  # raises ValueError for modes Pillow cannot convert


def _load_raw(p: Path, fh: io.BufferedIOBase, target: tuple[int, int] | None, max_pixels: int) -> Image.Image:
    """Camera RAW: caption the largest JPEG preview the camera embedded (every RAW format
    carries one); AltLens never demosaics. Orientation comes from the RAW's own EXIF."""
    data = fh.read(256 * 1024 * 1024)
    orientation = _tiff_orientation(data)
    best: tuple[int, int] | None = None  # (pixels, offset)
    start = 0
    for _ in range(64):  # a RAW has a handful of previews; stop scanning noise early
        pos = data.find(b"\xff\xd8\xff", start)
        if pos < 0:
            break
        start = pos + 3
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                cand = Image.open(io.BytesIO(data[pos:]))
            if cand.format != "JPEG":
                continue
            px = cand.size[0] * cand.size[1]
            if best is None or px > best[0]:
                best = (px, pos)
        except Exception:
            continue
    if best is None:
        # Some DNGs store a plain TIFF preview Pillow can read.
        fh.seek(0)
        try:
            return _decode(p, io.BytesIO(data), data[:64], target, max_pixels)
        except (CorruptImageError, NotAnImageError):
            raise UnsupportedFormatError(
                "This RAW file has no embedded preview AltLens can read. Export a JPEG from your "
                "RAW editor and caption that; the caption can go into the RAW's XMP sidecar.",
                path=p,
            ) from None
    buf = io.BytesIO(data[best[1]:])
    im = _decode(p, buf, data[best[1]: best[1] + 64], target, max_pixels)
    if orientation and orientation != 1 and orientation in _TRANSPOSE:
        method = _TRANSPOSE[orientation]
        if method is not None:
            im = im.transpose(method)
    return im


def _tiff_orientation(data: bytes) -> int | None:
    """EXIF orientation from the first IFD of a TIFF-based RAW (CR2, NEF, ARW, DNG ...)."""
    if data[:4] not in (b"II*\x00", b"MM\x00*"):
        return None
    try:
        im = Image.open(io.BytesIO(data))
        value = im.getexif().get(0x0112)
        return int(value) if value else None
    except Exception:
        return None


def _classify_unreadable(p: Path, head: bytes) -> Exception:
    for sig, off, name in _DECODABLE_SIGNATURES:
        if head[off: off + len(sig)] == sig:
            return CorruptImageError(f"The file starts like a {name} image but its data is damaged.", path=p)
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return CorruptImageError("The file starts like a WebP image but its data is damaged.", path=p)
    if head[4:8] == b"ftyp":
        brand = head[8:12]
        name = _BMFF_BRANDS.get(brand)
        if name in ("HEIC", "HEIF", "AVIF"):
            if not HEIF_AVAILABLE:
                return UnsupportedFormatError(f"{name} images need the pillow-heif package.", path=p)
            return CorruptImageError(f"The file starts like a {name} image but its data is damaged.", path=p)
        if name:
            return UnsupportedFormatError(f"{name} files are not supported.", path=p)
        return NotAnImageError("This is a video or other media file, not a still image.", path=p)
    for sig, off, name in _UNSUPPORTED_SIGNATURES:
        if head[off: off + len(sig)] == sig:
            return UnsupportedFormatError(f"{name} files are not supported.", path=p)
    text = head.lstrip().lower()
    if text.startswith((b"<?xpacket", b"<x:xmpmeta")):
        return NotAnImageError("This is an XMP sidecar (metadata), not an image.", path=p)
    if text.startswith(b"<svg") or (text.startswith(b"<?xml") and b"svg" in head):
        return UnsupportedFormatError("SVG drawings are not supported; export them as PNG.", path=p)
    return NotAnImageError("This file is not an image AltLens can read.", path=p)


def _detail(exc: BaseException) -> str:
    text = str(exc).strip() or type(exc).__name__
    return text[:200]


def is_captionable_name(path: str | os.PathLike[str]) -> bool:
    """True for names AltLens picks up when walking a folder (image and RAW extensions,
    not hidden, not a temporary file of ours, ExifTool's or a copy program's)."""
    name = os.path.basename(os.fspath(path))
    if name.startswith((".", "~")) or name.endswith(("~", ".tmp", ".part", ".crdownload", "_exiftool_tmp")):
        return False
    return os.path.splitext(name)[1].lower() in CAPTIONABLE_EXTENSIONS


def collect_images(paths: Iterable[str | os.PathLike[str]], *, recursive: bool = False) -> list[Path]:
    """Expand files and folders into the list of images to caption, in a stable order.

    A file named explicitly is always included (so a broken or misnamed file gets its error
    reported); inside folders only captionable names count, hidden folders are skipped.
    """
    out: list[Path] = []
    seen: set[Path] = set()

    def add(p: Path) -> None:
        key = p.absolute()
        if key not in seen:
            seen.add(key)
            out.append(p)

    for raw in paths:
        p = Path(raw)
        if p.is_dir():
            if recursive:
                for root, dirs, files in os.walk(p):
                    dirs[:] = sorted(d for d in dirs if not d.startswith("."))
                    for name in sorted(files):
                        if is_captionable_name(name):
                            add(Path(root) / name)
            else:
                for child in sorted(p.iterdir()):
                    if child.is_file() and is_captionable_name(child.name):
                        add(child)
        else:
            add(p)
    return out
