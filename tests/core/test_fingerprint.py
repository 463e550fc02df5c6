# SPDX-License-Identifier: GPL-3.0-or-later
"""Content hashes ignore metadata and follow pixels, for every container family."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from altlens.core.fingerprint import fingerprint, looks_complete, stat_identity, xmp_description
from PIL import Image

from tests.core.library_support import exiftool, make_images, needs_exiftool


def _image(tmp_path: Path, ext: str) -> Path:
    return make_images(tmp_path, 1, seed=3, size=(64, 48), ext=ext)[0]


@needs_exiftool
@pytest.mark.parametrize("ext", [".jpg", ".png", ".webp", ".tif"])
def test_metadata_edit_keeps_content_hash(tmp_path: Path, ext: str) -> None:
    p = _image(tmp_path, ext)
    before = fingerprint(p)
    exiftool(
        '-XMP-dc:Description-x-default=Ein Hund, "zwei" & mehr',
        "-XMP-dc:Subject=dog",
        "-EXIF:Artist=someone",
        p,
    )
    after = fingerprint(p)
    assert after.sha256 != before.sha256  # the file did change
    assert after.content_hash == before.content_hash
    assert (
        after.content_hash.split(":")[0]
        == {".jpg": "jpeg", ".png": "png", ".webp": "webp", ".tif": "pixels"}[ext]
    )
    if ext != ".tif":  # the cheap XMP reader covers the containers it parses itself
        assert after.disk_caption == 'Ein Hund, "zwei" & mehr'


@pytest.mark.parametrize("ext", [".jpg", ".png", ".webp", ".tif"])
def test_pixel_change_changes_content_hash(tmp_path: Path, ext: str) -> None:
    p = _image(tmp_path, ext)
    before = fingerprint(p)
    with Image.open(p) as im:
        im = im.convert("RGB")
    im.putpixel((10, 10), (0, 255, 0))
    im.putpixel((11, 10), (0, 255, 0))
    im.save(p, quality=90) if ext == ".jpg" else im.save(p)
    assert fingerprint(p).content_hash != before.content_hash


@needs_exiftool
def test_orientation_is_part_of_the_picture(tmp_path: Path) -> None:
    p = _image(tmp_path, ".jpg")
    before = fingerprint(p).content_hash
    exiftool("-Orientation=6", "-n", p)
    assert fingerprint(p).content_hash != before


@needs_exiftool
def test_real_camera_jpeg_metadata_edit(corpus: Path, tmp_path: Path) -> None:
    p = tmp_path / "camera.jpg"
    shutil.copy(corpus / "animal_bird_6028x3391_camera_exif.jpg", p)
    before = fingerprint(p)
    exiftool(
        "-XMP-dc:Description-x-default=A nuthatch on a branch",
        "-IPTC:Caption-Abstract=A nuthatch",
        p,
    )
    after = fingerprint(p)
    assert after.sha256 != before.sha256 and after.content_hash == before.content_hash
    assert after.disk_caption == "A nuthatch on a branch"


def test_truncated_files_look_incomplete_and_fall_back_to_file_hash(tmp_path: Path) -> None:
    for ext in (".jpg", ".png", ".webp"):
        p = _image(tmp_path, ext)
        assert looks_complete(p)
        data = p.read_bytes()
        part = tmp_path / f"part{ext}"
        part.write_bytes(data[: len(data) * 2 // 3])
        assert not looks_complete(part)
        assert fingerprint(part).content_hash.startswith("file:")
    empty = tmp_path / "empty.jpg"
    empty.write_bytes(b"")
    assert not looks_complete(empty)
    assert fingerprint(empty).size == 0
    junk = tmp_path / "notes.jpg"
    junk.write_text("not an image")
    assert looks_complete(junk)  # not ours to hold back: the captioner reports it
    assert fingerprint(junk).content_hash == "file:" + fingerprint(junk).sha256


def test_stat_identity_and_missing_file(tmp_path: Path) -> None:
    p = _image(tmp_path, ".png")
    st = stat_identity(p)
    assert st.size == p.stat().st_size and st.mtime_ns == p.stat().st_mtime_ns
    with pytest.raises(FileNotFoundError):
        fingerprint(tmp_path / "gone.png")


def test_xmp_description_forms() -> None:
    li = b'<dc:description><rdf:Alt><rdf:li xml:lang="de">Hund</rdf:li><rdf:li xml:lang="x-default">Dog &amp; cat</rdf:li></rdf:Alt></dc:description>'
    assert xmp_description(li) == "Dog & cat"
    assert xmp_description(b'<rdf:Description dc:description="short form"/>') == "short form"
    assert xmp_description(b"<x:xmpmeta/>") is None


def test_jpeg_content_hashes_never_change(tmp_path: Path) -> None:
    """Libraries and batch outputs store these hashes: a new way of computing them must give
    the same values, including scans that end in fill bytes (FF FF) after stuffed bytes and
    restart markers. Values from the byte-by-byte scanner this replaced."""
    data = Path("tests/data").resolve()
    assert fingerprint(data / "et_Canon.jpg").content_hash == "jpeg:99111dbfe4b966e95e870b2cfc4b132f229a89b9459e36957334d888f9b729bc"
    scene = (data / "samples" / "scene-1.jpg").read_bytes()
    assert fingerprint(data / "samples" / "scene-1.jpg").content_hash == "jpeg:6c521e625bf474c5e45490177eb7e30e5b9b8687f9c2eda8212c565f02237d25"
    filled = tmp_path / "fill.jpg"
    filled.write_bytes(scene[: scene.rindex(b"\xff\xd9")] + b"\xff\x00\xff\xd3\xff\xff\xff\xd9")
    assert fingerprint(filled).content_hash == "jpeg:db53b8ba47e66023b760fcc2bf63b40e198c664f83337fd80c26c21e464a21cb"
    filled.write_bytes(scene[: scene.rindex(b"\xff\xd9")] + b"\xff\x00\xff\xd3\xff\xff")  # no end marker
    assert not fingerprint(filled).content_hash.startswith("jpeg:") and not looks_complete(filled)
