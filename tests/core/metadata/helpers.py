# SPDX-License-Identifier: GPL-3.0-or-later
"""Checks that do not trust the writer: the ExifTool CLI in separate processes, Pillow for
pixels, python-exiv2 (read-only) as a second reader, and a JPEG parser of their own."""

from __future__ import annotations

import base64
import contextlib
import hashlib
import json
import os
import re
import shutil
import subprocess
from collections import Counter
from pathlib import Path
from typing import Any

EXIFTOOL = shutil.which("exiftool") or "exiftool"
COPY = re.compile(r"^Copy\d+$")


def _run(args: list[str]) -> bytes:
    res = subprocess.run([EXIFTOOL, *args], capture_output=True, check=False, timeout=120)
    return res.stdout


def cli_dumps(*paths: Path) -> list[list[tuple[str, Any]]]:
    """Full dumps of several files in one exiftool process: (key, value) pairs, duplicates
    kept apart by -G0:1:4, binary data as base64, numbers as printed."""
    out = _run(["-j", "-b", "-G0:1:4", "-a", "-s", "-n", "-all", "-MakerNotes", "-ICC_Profile",
                "-charset", "utf8",
                *map(str, paths)])
    dec = json.JSONDecoder(object_pairs_hook=lambda p: p, parse_float=str, parse_int=str)
    data = dec.decode(out.decode("utf-8"))
    by_source = {dict(d)["SourceFile"]: d for d in data}
    return [by_source[str(p)] for p in paths]


def cli_warnings(*paths: Path) -> list[list[str]]:
    """`exiftool -validate -warning -error -a`: every message, per file."""
    out = _run(["-j", "-G0:1:4", "-a", "-validate", "-warning", "-error", *map(str, paths)])
    data = json.loads(out.decode("utf-8"), object_pairs_hook=lambda p: p)
    by_source = {dict(d)["SourceFile"]: d for d in data}
    result = []
    for p in paths:
        msgs = [str(v) for k, v in by_source[str(p)] if k.split(":")[-1] in ("Warning", "Error")]
        result.append(msgs)
    return result


def cli_tag(path: Path, tag: str) -> str | None:
    """Exact value of one tag (`exiftool -b`), or None when absent."""
    res = subprocess.run([EXIFTOOL, "-b", "-charset", "utf8", f"-{tag}", str(path)],
                         capture_output=True, check=False, timeout=60)
    if not res.stdout:
        return None
    return res.stdout.decode("utf-8")


def value_of(pairs: list[tuple[str, Any]], name: str) -> str | None:
    """Value of "Group1:Tag" in a cli_dumps() dump (first instance), as exact text."""
    want = tuple(name.split(":", 1))
    for key, value in pairs:
        _f0, f1, tag = split_key(key)
        if (f1, tag) == want:
            if isinstance(value, str) and value.startswith("base64:"):
                return base64.b64decode(value[7:]).decode("utf-8", "replace")
            return value if isinstance(value, str) else json.dumps(value)
    return None


def cli_write(path: Path, *assignments: str) -> None:
    subprocess.run([EXIFTOOL, "-q", "-overwrite_original", *assignments, str(path)],
                   check=True, capture_output=True, timeout=60)


def split_key(key: str) -> tuple[str, str, str]:
    parts = [p for p in key.split(":") if not COPY.match(p)]
    if len(parts) == 1:
        return parts[0], parts[0], parts[0]
    if len(parts) == 2:
        return parts[0], parts[0], parts[1]
    return parts[0], parts[1], parts[-1]


# What a caption write may legitimately change besides the written fields.
LAYOUT_TAG = re.compile(r"(Offsets?|Start)$")


def compare(before: list[tuple[str, Any]], after: list[tuple[str, Any]],
            written: set[tuple[str, str]]) -> tuple[list[str], list[str]]:
    """Tags lost/changed and tags gained, ignoring the written (family1, tag) pairs (IIM
    fields in any IPTC block), File/System/Composite/ExifTool groups, data offsets, the
    XMP toolkit name, AltLens's own namespace, IIM charset and digest bookkeeping."""

    def keep(key: str) -> bool:
        f0, f1, tag = split_key(key)
        if key == "SourceFile" or f0 in ("File", "Composite", "ExifTool"):
            return False
        if f1 == "XMP-altlens" or (f1, tag) in {("XMP-x", "XMPToolkit"),
                                                ("XMP-xmpNote", "HasExtendedXMP"),
                                                ("Photoshop", "IPTCDigest"),
                                                ("RIFF", "WebP_Flags")}:
            return False
        if f0 == "IPTC" and tag in ("CodedCharacterSet", "EnvelopeRecordVersion"):
            return False
        if (f1, tag) in written or (f0 == "IPTC" and ("IPTC", tag) in written):
            return False
        if f0 == "EXIF" and tag.startswith("MakerNote") and "Unknown" not in tag:
            return False  # raw bytes of a parsed maker note: compared tag by tag instead
        return not (LAYOUT_TAG.search(tag) or tag in ("MediaDataSize", "MediaDataOffset"))

    def counter(pairs: list[tuple[str, Any]]) -> Counter[tuple[str, str]]:
        c: Counter[tuple[str, str]] = Counter()
        for k, v in pairs:
            if keep(k):
                _f0, f1, tag = split_key(k)
                c[(f"{f1}:{tag}", json.dumps(v, ensure_ascii=False, sort_keys=True))] += 1
        return c

    c0, c1 = counter(before), counter(after)
    # legacy IIM bytes that were UTF-8 without the marker read as cp1252 mojibake before and
    # correctly after the marker was set: the same bytes, so the same value
    fixed = Counter()
    for (k, v), n in c0.items():
        if k.startswith("IPTC") and v.startswith('"'):
            with contextlib.suppress(UnicodeError, ValueError):
                v = json.dumps(json.loads(v).encode("cp1252").decode("utf-8"), ensure_ascii=False)
        fixed[(k, v)] += n
    if not (c0 - c1):
        fixed = c0
    elif not (fixed - c1):
        c0 = fixed
    keys0 = {k for k, _ in c0}
    had_ifd0 = any(k.startswith("IFD0:") for k, _ in c0)
    created = {"IPTC:EnvelopeRecordVersion", "IPTC:ApplicationRecordVersion"}
    if not had_ifd0:  # mandatory tags of a new EXIF block
        created |= {"IFD0:XResolution", "IFD0:YResolution", "IFD0:ResolutionUnit",
                    "IFD0:YCbCrPositioning"}
    lost = [f"{k}={v[:60]}" for (k, v) in (c0 - c1) if not (k.startswith("XMP-") and v == '""')]
    gained = [f"{k}={v[:60]}" for (k, v) in (c1 - c0) if k not in keys0 and k not in created]
    changed = [f"{k} changed or duplicated" for (k, v) in (c1 - c0) if k in keys0]
    return lost, gained + changed


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def jpeg_scan_data(path: Path) -> bytes | None:
    """Bytes from the first SOS marker to the end (own parser, independent of the writer)."""
    data = path.read_bytes()
    if data[:2] != b"\xff\xd8":
        return None
    i = 2
    while i + 4 <= len(data):
        if data[i] != 0xFF:
            return None
        marker = data[i + 1]
        if marker == 0xFF:
            i += 1
            continue
        if marker == 0xDA:
            return data[i:]
        if marker in (0x01, 0xD8) or 0xD0 <= marker <= 0xD7:
            i += 2
            continue
        i += 2 + int.from_bytes(data[i + 2:i + 4], "big")
    return None


def pixel_digest(path: Path) -> str | None:
    """Hash of every decoded frame, or None where Pillow cannot decode the file."""
    from PIL import Image

    try:
        import pillow_heif

        pillow_heif.register_heif_opener()
    except ImportError:
        pass
    h = hashlib.sha256()
    try:
        with Image.open(path) as im:
            frames = getattr(im, "n_frames", 1)
            for n in range(frames):
                im.seek(n)
                im.load()
                h.update(im.mode.encode() + repr(im.size).encode() + im.tobytes())
    except Exception:
        return None
    return h.hexdigest()


def exiv2_fields(path: Path) -> dict[str, str] | None:
    """Caption fields as python-exiv2 (read-only) sees them, or None if it cannot read the
    file. Lang Alt values: x-default only."""
    try:
        import exiv2
    except ImportError:
        return None
    exiv2.LogMsg.setLevel(exiv2.LogMsg.Level.mute)
    with contextlib.suppress(Exception):  # already registered
        exiv2.XmpProperties.registerNs("https://altlens.app/ns/1.0/", "altlens")
    try:
        image = exiv2.ImageFactory.open(os.fspath(path))
        image.readMetadata()
    except Exception:
        return None
    out: dict[str, str] = {}
    exif = image.exifData()
    for key in ("Exif.Image.ImageDescription",):
        it = exif.findKey(exiv2.ExifKey(key))
        if it != exif.end():
            out[key] = it.toString()
    xmp = image.xmpData()
    for key in ("Xmp.dc.description", "Xmp.iptc.AltTextAccessibility",
                "Xmp.iptc.ExtDescrAccessibility", "Xmp.dc.title", "Xmp.altlens.CaptionModel"):
        it = xmp.findKey(exiv2.XmpKey(key))
        if it != xmp.end():
            value = it.value()
            try:
                out[key] = dict(value)["x-default"]
            except (TypeError, KeyError, ValueError):
                out[key] = it.toString()
    iptc = image.iptcData()
    it = iptc.findKey(exiv2.IptcKey("Iptc.Application2.Caption"))
    if it != iptc.end():
        out["Iptc.Application2.Caption"] = it.toString()
    return out


def strict_diff(before: list[tuple[str, Any]], after: list[tuple[str, Any]]) -> list[str]:
    """Every tag that differs between two dumps, in either direction, with nothing forgiven
    but ExifTool's own File/Composite/ExifTool groups and where data sits in the file
    (offsets move when metadata grows or shrinks; the data they point to is compared through
    its own tags). For undo: the file must read back exactly as before the write."""

    def counter(pairs: list[tuple[str, Any]]) -> Counter[tuple[str, str]]:
        c: Counter[tuple[str, str]] = Counter()
        for k, v in pairs:
            f0, f1, tag = split_key(k)
            if k == "SourceFile" or f0 in ("File", "Composite", "ExifTool"):
                continue
            if LAYOUT_TAG.search(tag) or tag in ("MediaDataSize", "MediaDataOffset"):
                continue
            if (f0, tag) == ("QuickTime", "MediaData"):
                continue  # HEIC/AVIF media box, re-laid by every write: compare pixels instead
            # a maker note ExifTool parses is compared tag by tag (it relocates the offsets
            # inside the raw block); one it cannot parse, byte for byte
            if f0 == "EXIF" and tag.startswith("MakerNote") and "Unknown" not in tag:
                continue
            c[(f"{f0}:{f1}:{tag}", json.dumps(v, ensure_ascii=False, sort_keys=True))] += 1
        return c

    c0, c1 = counter(before), counter(after)
    return ([f"-{k}={v[:60]}" for (k, v) in (c0 - c1)]
            + [f"+{k}={v[:60]}" for (k, v) in (c1 - c0)])


# -- the shared real-world corpus (../shared/corpus and its metadata/ folder) -----------------

# Files AltLens must refuse, with the reason (error code); both corpus tests hold it to these.
CORPUS_REFUSED = {
    "empty_zero_bytes.jpg": "empty-file",
    "truncated_baseline_60pct.jpg": "file-truncated",
    "truncated_progressive.jpg": "file-truncated",
    "corrupt_broken.png": "corrupt-file",
    "bomb_declared_65535x66601.gif": "corrupt-file",
    "raw_sidecar_example.xmp": "unsupported-format",
    "et_XMP.xmp": "unsupported-format",
    "ex_BlueSquare.xmp": "unsupported-format",
    "dt_DSC_9034.NEF.xmp": "unsupported-format",
}
NO_PIXEL_CHECK = {"huge_20000x10000_200MP.jpg"}  # 600 MB decoded; its tags and scan data are compared


def corpus_files(corpus: Path) -> list[Path]:
    """Every file of the corpus and its metadata/ folder (not the manifests), sorted."""
    files: list[Path] = []
    for folder in (corpus, corpus / "metadata"):
        if folder.is_dir():
            files += sorted(p for p in folder.iterdir() if p.is_file() and p.suffix != ".tsv")
    return files
