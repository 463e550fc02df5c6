# SPDX-License-Identifier: GPL-3.0-or-later
"""File identity for the library: what a file is, independent of where it is and of its tags.

Three levels, from cheap to expensive:

1. `stat` identity (size, mtime_ns, inode): unchanged -> the file is assumed unchanged, nothing
   is read. This is what a scan of an unchanged library costs.
2. `sha256` of the whole file: tells "touched but identical" apart from "changed", and is what
   the metadata writer reports after AltLens's own write (`Library.record_write`).
3. `content_hash`: a hash of what the image *looks like*, blind to metadata, so a tag edit by
   AltLens or by any other program never counts as a new picture, while a pixel edit does:

   - JPEG: every segment except APP0..APP15 and COM (those hold EXIF, XMP, IPTC, ICC,
     thumbnails and comments), plus the entropy-coded scan data up to EOI. Bytes after EOI
     (maker trailers) are ignored. No decoding, so a 20 MP photo costs one read.
   - PNG: the critical chunks (IHDR, PLTE, IDAT, IEND) plus tRNS and the APNG animation chunks;
     text, eXIf, time and colour-profile chunks are ignored.
   - WebP: the image and animation chunks (VP8, VP8L, ALPH, ANIM, ANMF). The VP8X header is
     ignored: tag editors add it to a simple WebP (with metadata flags) when they add EXIF/XMP,
     and the pictures it describes are all in the chunks above.
   - Anything else (TIFF, HEIC/AVIF, GIF, BMP, camera RAW): a hash of the decoded, upright RGB
     pixels. Their containers move pixel data around when tags change, so there is no cheap
     stable byte range. This is the expensive case (a full decode per new or changed file).
   - A file that cannot be parsed or decoded falls back to its sha256 ("file:" prefix): any
     change then counts as a change, which is the safe direction.

   The EXIF orientation is part of the content hash: rotating a photo by its tag changes the
   upright picture the model sees (and words like "on the left" in its alt text).

The method is a prefix of the value ("jpeg:", "png:", "webp:", "pixels:", "file:"), so hashes
made by different methods never compare equal by accident.
"""

from __future__ import annotations

import hashlib
import logging
import mmap
import os
import re
import struct
from dataclasses import dataclass
from pathlib import Path

from altlens.core.metadata.fields import caption_of

log = logging.getLogger(__name__)

_CHUNK = 1 << 20
# A scan of the entropy-coded data may contain FF00 (stuffed byte) and FFD0..FFD7 (restart
# markers); any other FFxx ends the scan (FF FF is fill: the last FF of a run is the marker's).
# One regex search finds that FF at C speed: a Python loop over every FF of a 12 MP photo's
# scan (~25,000 of them) cost ~5x the file's sha256.
_SCAN_END = re.compile(rb"\xff(?=[^\x00\xd0-\xd7\xff])")


@dataclass(frozen=True)
class StatIdentity:
    size: int
    mtime_ns: int
    inode: int


@dataclass(frozen=True)
class Fingerprint:
    size: int
    mtime_ns: int
    inode: int
    sha256: str
    content_hash: str
    disk_caption: str | None = None  # the description found in the file's XMP, if any

    @property
    def stat(self) -> StatIdentity:
        return StatIdentity(self.size, self.mtime_ns, self.inode)


def stat_identity(path: str | os.PathLike[str]) -> StatIdentity:
    """Raises OSError (FileNotFoundError ...) like os.stat."""
    st = os.stat(path)
    return StatIdentity(st.st_size, st.st_mtime_ns, st.st_ino)


def fingerprint(path: str | os.PathLike[str]) -> Fingerprint:
    """Read the file once (memory-mapped) and compute every identity level.

    Raises OSError when the file cannot be read; a file that is not a parseable image still
    gets a fingerprint (its content hash falls back to the file hash).
    """
    p = Path(path)
    with open(p, "rb") as fh:
        st = os.fstat(fh.fileno())
        if st.st_size == 0:
            empty = hashlib.sha256(b"").hexdigest()
            return Fingerprint(0, st.st_mtime_ns, st.st_ino, empty, "file:" + empty)
        with mmap.mmap(fh.fileno(), 0, access=mmap.ACCESS_READ) as data:
            sha = hashlib.sha256(data).hexdigest()
            content, caption = _content_hash(p, data, sha)
    return Fingerprint(st.st_size, st.st_mtime_ns, st.st_ino, sha, content, caption)


def _content_hash(p: Path, data: mmap.mmap, sha: str) -> tuple[str, str | None]:
    head = data[:16]
    try:
        if head.startswith(b"\xff\xd8\xff"):
            return _jpeg_hash(data)
        if head.startswith(b"\x89PNG\r\n\x1a\n"):
            return _png_hash(data)
        if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
            return _webp_hash(data)
    except _Unparseable as exc:
        log.debug("%s: cannot parse container (%s); falling back to a pixel hash", p, exc)
    return _pixel_hash(p, sha), None


class _Unparseable(Exception):
    pass


def _orientation_of_exif(exif: bytes) -> int:
    """EXIF Orientation (tag 0x0112) from a TIFF-structured EXIF block; 1 when absent."""
    if len(exif) < 8 or exif[:2] not in (b"II", b"MM"):
        return 1
    e = "<" if exif[:2] == b"II" else ">"
    try:
        (ifd,) = struct.unpack_from(e + "I", exif, 4)
        (count,) = struct.unpack_from(e + "H", exif, ifd)
        for i in range(min(count, 512)):
            tag, typ, _n = struct.unpack_from(e + "HHI", exif, ifd + 2 + 12 * i)
            if tag == 0x0112 and typ == 3:
                (value,) = struct.unpack_from(e + "H", exif, ifd + 2 + 12 * i + 8)
                return value if 1 <= value <= 8 else 1
    except struct.error:
        return 1
    return 1


_XMP_LI = re.compile(rb"<rdf:li\b([^>]*)>(.*?)</rdf:li>", re.S)


def _xmp_lang_alt(xmp: bytes, tag: bytes) -> str | None:
    """A Lang Alt property (x-default, else the first language) from an XMP packet, in its
    element or its attribute form."""
    text: bytes | None = None
    m = re.search(rb"<" + tag + rb"\b[^>]*>(.*?)</" + tag + rb">", xmp, re.S)
    if m:
        items = _XMP_LI.findall(m.group(1))
        for attrs, value in items:
            if b"x-default" in attrs:
                text = value
                break
        else:
            text = items[0][1] if items else None
    else:
        a = re.search(rb"\b" + tag + rb'="([^"]*)"', xmp)
        text = a.group(1) if a else None
    if text is None:
        return None
    import html

    out = html.unescape(text.decode("utf-8", "replace")).strip()
    return out or None


def xmp_description(xmp: bytes) -> str | None:
    """dc:description (x-default, else the first language) from an XMP packet, if any.

    A small pattern reader on purpose: the full metadata reader lives in core/metadata; the
    library only wants a cheap hint of what the file already says when it is scanned.
    """
    return _xmp_lang_alt(xmp, rb"dc:description")


def xmp_alt_text(xmp: bytes) -> str | None:
    """Iptc4xmpCore:AltTextAccessibility from an XMP packet, if any."""
    return _xmp_lang_alt(xmp, rb"Iptc4xmpCore:AltTextAccessibility")


def xmp_caption(xmp: bytes) -> str | None:
    """The caption this XMP packet holds, by the same rule as MetadataSnapshot.caption
    (core.metadata.fields.caption_of: alt text, else description, never a placeholder)."""
    return caption_of(xmp_alt_text(xmp), xmp_description(xmp))


def _jpeg_hash(data: mmap.mmap) -> tuple[str, str | None]:
    h = hashlib.sha256()
    orientation = 1
    caption: str | None = None
    n = len(data)
    pos = 2
    while True:
        # Markers may be padded with any number of FF bytes.
        while pos < n and data[pos] == 0xFF and pos + 1 < n and data[pos + 1] == 0xFF:
            pos += 1
        if pos + 1 >= n or data[pos] != 0xFF:
            raise _Unparseable(f"no marker at offset {pos}")
        marker = data[pos + 1]
        if marker == 0xD9:  # EOI: what follows is a trailer, not this image
            h.update(b"\xff\xd9")
            break
        if 0xD0 <= marker <= 0xD7 or marker == 0x01:  # standalone markers
            h.update(data[pos : pos + 2])
            pos += 2
            continue
        if pos + 4 > n:
            raise _Unparseable("truncated segment header")
        (length,) = struct.unpack_from(">H", data, pos + 2)
        end = pos + 2 + length
        if length < 2 or end > n:
            raise _Unparseable("segment runs past the end of the file")
        if 0xE0 <= marker <= 0xEF or marker == 0xFE:
            payload = data[pos + 4 : end]
            if marker == 0xE1 and payload.startswith(b"Exif\x00\x00"):
                orientation = _orientation_of_exif(payload[6:])
            elif (
                marker == 0xE1
                and payload.startswith(b"http://ns.adobe.com/xap/1.0/\x00")
                and caption is None
            ):
                caption = xmp_caption(payload)
            pos = end
            continue
        h.update(data[pos:end])
        pos = end
        if marker == 0xDA:  # SOS: entropy-coded data follows until the next real marker
            m = _SCAN_END.search(data, pos)
            if m is None:
                raise _Unparseable("scan data runs to the end of the file (truncated)")
            h.update(data[pos : m.start()])
            pos = m.start()
    h.update(b"orientation=%d" % orientation)
    return "jpeg:" + h.hexdigest(), caption


_PNG_KEEP = {b"IHDR", b"PLTE", b"IDAT", b"IEND", b"tRNS", b"acTL", b"fcTL", b"fdAT"}


def _png_hash(data: mmap.mmap) -> tuple[str, str | None]:
    h = hashlib.sha256()
    orientation = 1
    caption: str | None = None
    pos = 8
    n = len(data)
    seen_end = False
    while pos + 8 <= n:
        length, ctype = struct.unpack_from(">I4s", data, pos)
        end = pos + 12 + length
        if end > n:
            raise _Unparseable("chunk runs past the end of the file")
        body = data[pos + 8 : pos + 8 + length]
        if ctype in _PNG_KEEP or (ctype[:1].isupper()):  # unknown critical chunks matter too
            h.update(ctype)
            h.update(body)
        elif ctype == b"eXIf":
            orientation = _orientation_of_exif(body)
        elif ctype == b"iTXt" and body.startswith(b"XML:com.adobe.xmp\x00") and caption is None:
            caption = xmp_caption(body)
        pos = end
        if ctype == b"IEND":
            seen_end = True
            break
    if not seen_end:
        raise _Unparseable("no IEND chunk (truncated)")
    h.update(b"orientation=%d" % orientation)
    return "png:" + h.hexdigest(), caption


_WEBP_KEEP = {b"VP8 ", b"VP8L", b"ALPH", b"ANIM", b"ANMF"}


def _webp_hash(data: mmap.mmap) -> tuple[str, str | None]:
    h = hashlib.sha256()
    orientation = 1
    caption: str | None = None
    (riff_size,) = struct.unpack_from("<I", data, 4)
    n = min(len(data), 8 + riff_size)
    if n < 8 + riff_size:
        raise _Unparseable("RIFF size larger than the file (truncated)")
    pos = 12
    while pos + 8 <= n:
        ctype, length = struct.unpack_from("<4sI", data, pos)
        end = pos + 8 + length
        if end > n:
            raise _Unparseable("chunk runs past the end of the file")
        body = data[pos + 8 : end]
        if ctype in _WEBP_KEEP:
            h.update(ctype)
            h.update(body)
        elif ctype == b"EXIF":
            exif = body[6:] if body.startswith(b"Exif\x00\x00") else body
            orientation = _orientation_of_exif(exif)
        elif ctype == b"XMP " and caption is None:
            caption = xmp_caption(body)
        pos = end + (length & 1)  # chunks are padded to an even size
    h.update(b"orientation=%d" % orientation)
    return "webp:" + h.hexdigest(), caption


def _pixel_hash(p: Path, sha: str) -> str:
    """Hash of the decoded upright RGB image; the file hash when it cannot be decoded."""
    from altlens.core.errors import AltLensError
    from altlens.core.images import load_image

    try:
        im = load_image(p, target_size=None)
    except AltLensError as exc:
        log.debug("%s: not decodable (%s); content hash falls back to the file hash", p, exc.code)
        return "file:" + sha
    h = hashlib.sha256()
    h.update(b"%dx%d:" % im.size)
    h.update(im.tobytes())
    return "pixels:" + h.hexdigest()


def looks_complete(path: str | os.PathLike[str]) -> bool:
    """False when a JPEG, PNG or WebP file visibly ends early (no end marker yet): a copy still
    in progress. Other formats, unreadable files and odd files count as complete (the
    captioner reports what is wrong with them)."""
    try:
        with open(path, "rb") as fh:
            if os.fstat(fh.fileno()).st_size == 0:
                return False
            with mmap.mmap(fh.fileno(), 0, access=mmap.ACCESS_READ) as data:
                head = data[:16]
                try:
                    if head.startswith(b"\xff\xd8\xff"):
                        _jpeg_hash(data)
                    elif head.startswith(b"\x89PNG\r\n\x1a\n"):
                        _png_hash(data)
                    elif head[:4] == b"RIFF" and head[8:12] == b"WEBP":
                        _webp_hash(data)
                except _Unparseable:
                    return False
    except (OSError, ValueError):
        return True
    return True
