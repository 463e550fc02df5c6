#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-3.0-or-later
"""Draws the small files of tests/data/metadata/: one per cause of a failed or inexact write or
undo (issue 14), made here because no real file with that damage comes under a licence that
lets us copy it. Pixels come from Pillow; EXIF blocks are assembled byte by byte so each
carries exactly one kind of damage; IPTC and XMP are added with the ExifTool CLI.

    python scripts/make_metadata_fixtures.py [OUT_DIR]   # default: tests/data/metadata

Deterministic: running it again gives the same bytes (Pillow and ExifTool versions aside).
"""

from __future__ import annotations

import io
import shutil
import struct
import subprocess
import sys
from pathlib import Path

from PIL import Image

OUT = Path(sys.argv[1]) if len(sys.argv) > 1 else Path(__file__).resolve().parents[1] / (
    "tests/data/metadata")
ASCII, SHORT, LONG, RATIONAL, UNDEFINED = 2, 3, 4, 5, 7


def picture() -> Image.Image:
    im = Image.linear_gradient("L").resize((32, 24)).convert("RGB")
    im.paste((200, 40, 40), (4, 4, 14, 14))
    return im


def jpeg_bytes(app1: bytes | None = None) -> bytes:
    buf = io.BytesIO()
    picture().save(buf, "JPEG", quality=80)
    data = buf.getvalue()
    if app1 is None:
        return data
    # right after SOI (and before Pillow's JFIF APP0, as cameras do)
    seg = b"\xff\xe1" + struct.pack(">H", len(app1) + 2) + app1
    return data[:2] + seg + data[2:]


def ifd(entries: list[tuple[int, int, int, bytes]], base: int, next_ifd: int = 0
        ) -> tuple[bytes, bytes]:
    """(directory, its out-of-line data) for entries (tag, type, count, value bytes); `base`
    is the directory's own offset in the TIFF block."""
    sizes = {ASCII: 1, SHORT: 2, LONG: 4, RATIONAL: 8, UNDEFINED: 1, 0: 1}
    head = struct.pack("<H", len(entries))
    data_at = base + 2 + 12 * len(entries) + 4
    extra = b""
    for tag, typ, count, value in entries:
        if len(value) <= 4 and sizes.get(typ, 1) * count <= 4:
            head += struct.pack("<HHI", tag, typ, count) + value.ljust(4, b"\0")
        else:
            head += struct.pack("<HHII", tag, typ, count, data_at + len(extra))
            extra += value + (b"\0" if len(value) % 2 else b"")
    return head + struct.pack("<I", next_ifd), extra


def exif_block(ifd0: list[tuple[int, int, int, bytes]],
               exif_ifd: list[tuple[int, int, int, bytes]] | None = None,
               *, next_ifd: int = 0, tail: bytes = b"") -> bytes:
    """APP1 payload: "Exif\\0\\0" + a little-endian TIFF block."""
    entries = list(ifd0)
    if exif_ifd is not None:
        entries.append((0x8769, LONG, 1, b"\0\0\0\0"))  # fixed below
    d0, x0 = ifd(entries, 8, next_ifd)
    tiff = bytearray(b"II*\0" + struct.pack("<I", 8) + d0 + x0)
    if exif_ifd is not None:
        at = len(tiff)
        # patch the ExifIFD pointer (last entry of IFD0)
        pos = 8 + 2 + 12 * (len(entries) - 1) + 8
        tiff[pos:pos + 4] = struct.pack("<I", at)
        d1, x1 = ifd(exif_ifd, at)
        tiff += d1 + x1
    return b"Exif\0\0" + bytes(tiff) + tail


def text(s: str) -> bytes:
    return s.encode("ascii") + b"\0"


def exiftool(path: Path, *args: str) -> None:
    subprocess.run(["exiftool", "-q", "-overwrite_original", *args, str(path)], check=True)


def main() -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    made: list[Path] = []

    def put(name: str, data: bytes) -> Path:
        p = OUT / name
        p.write_bytes(data)
        made.append(p)
        return p

    # no EXIF, no XMP, no IPTC (only the JFIF header Pillow writes)
    plain = put("plain.jpg", jpeg_bytes())
    im = picture()
    buf = io.BytesIO()
    im.save(buf, "PNG")
    put("plain.png", buf.getvalue())
    buf = io.BytesIO()
    im.save(buf, "WEBP", lossless=True)
    put("plain.webp", buf.getvalue())

    # each block alone, and all together
    camera = [(0x010F, ASCII, 8, text("AcmeCam")), (0x0110, ASCII, 4, text("X10"))]
    put("exif_only.jpg", jpeg_bytes(exif_block(camera)))
    for name, args in (("xmp_only.jpg", ["-XMP-dc:Creator=Ann Example"]),
                       ("iptc_only.jpg", ["-IPTC:Keywords=harbour", "-IPTC:By-line=Ann"]),
                       ("all_three.jpg", ["-XMP-dc:Creator=Ann Example",
                                          "-IPTC:Keywords=harbour"])):
        src = OUT / "exif_only.jpg" if name == "all_three.jpg" else plain
        p = put(name, src.read_bytes())
        exiftool(p, *args)
    p = put("iptc_only.png", (OUT / "plain.png").read_bytes())
    exiftool(p, "-IPTC:Keywords=harbour")

    # a maker note ExifTool cannot parse (unknown make, no IFD inside): it warns
    # "Unrecognized MakerNotes" here and "Unrecognized MakerNoteUnknown" in its rewrite
    maker = b"ACME" + b"\xff\xfe" * 30
    put("makernote_unparsed.jpg", jpeg_bytes(exif_block(
        camera,
        [(0x927C, UNDEFINED, len(maker), maker)])))

    # damaged EXIF blocks, one kind each
    put("exif_bad_format.jpg", jpeg_bytes(exif_block(
        [(0x010E, 0, 1, b"\0\0\0\0"), *camera])))
    put("exif_bad_ifd1.jpg", jpeg_bytes(exif_block(camera, next_ifd=0x7FF0)))
    interop_at = 8 + (2 + 12 * 3 + 4) + 8 + (2 + 12 + 4)  # right after the ExifIFD
    put("exif_truncated_interop.jpg", jpeg_bytes(exif_block(
        camera, [(0xA005, LONG, 1, struct.pack("<I", interop_at))],
        tail=struct.pack("<H", 20) + b"\x01\x00\x02\x00")))

    # an XMP packet cut short (no closing tags): ExifTool would replace it with a new one
    xmp = (b"http://ns.adobe.com/xap/1.0/\0<?xpacket begin='' id='W5M0MpCehiHzreSzNTczkc9d'?>"
           b"<x:xmpmeta xmlns:x='adobe:ns:meta/'><rdf:RDF xmlns:rdf='http://www.w3.org/1999/"
           b"02/22-rdf-syntax-ns#'><rdf:Description rdf:about='' xmlns:dc='http://purl.org/dc/"
           b"elements/1.1/'><dc:title><rdf:Alt><rdf:li xml:lang='x-default'>Harbour at dawn"
           b"</rdf:li></rdf:Alt></dc:title></rdf:Description>")
    put("xmp_damaged.jpg", jpeg_bytes(xmp))

    # PSD (flat, 8-bit RGB, raw image data), JPEG 2000
    w, h = im.size
    rgb = im.tobytes()
    planes = b"".join(rgb[c::3] for c in range(3))
    # one image resource (ResolutionInfo): ExifTool will not write a PSD without any
    res = struct.pack(">IHHIHH", 72 << 16, 1, 1, 72 << 16, 1, 1)
    irb = b"8BIM" + struct.pack(">H", 0x03ED) + b"\0\0" + struct.pack(">I", len(res)) + res
    psd = (b"8BPS" + struct.pack(">H6xHIIHH", 1, 3, h, w, 8, 3)
           + struct.pack(">I", 0) + struct.pack(">I", len(irb)) + irb + struct.pack(">I", 0)
           + struct.pack(">H", 0) + planes)
    put("plain.psd", psd)
    buf = io.BytesIO()
    im.save(buf, "JPEG2000", irreversible=False)
    put("plain.jp2", buf.getvalue())
    try:
        import pillow_jxl  # noqa: F401  (pip install pillow-jxl-plugin)

        buf = io.BytesIO()
        im.save(buf, "JXL", lossless=True)
        code = buf.getvalue()  # a bare codestream (FF 0A): ExifTool writes only containers
        put("codestream.jxl", code)
        box = b"\0\0\0\x0cJXL \r\n\x87\n" + struct.pack(">I", 20) + b"ftypjxl \0\0\0\0jxl "
        put("plain.jxl", box + struct.pack(">I", 8 + len(code)) + b"jxlc" + code)
    except ImportError:
        print("pillow-jxl-plugin is not installed: plain.jxl kept as it is", file=sys.stderr)
    for p in made:
        print(p.relative_to(OUT.parent) if OUT.parent in p.parents else p)


if __name__ == "__main__":
    if shutil.which("exiftool") is None:
        sys.exit("ExifTool is needed (apt install libimage-exiftool-perl)")
    main()
