# SPDX-License-Identifier: GPL-3.0-or-later
"""Image loading: formats, orientation, colour modes, reduced decoding and every failure."""

from __future__ import annotations

import io
import os
import struct
import zlib
from pathlib import Path

import numpy as np
import pytest
from altlens.core import errors
from altlens.core.images import collect_images, is_captionable_name, load_image
from PIL import Image


def quadrants(w: int = 400, h: int = 300) -> Image.Image:
    """Four solid quadrants, so any flip or rotation is visible in the corners."""
    im = Image.new("RGB", (w, h))
    colours = [(255, 0, 0), (0, 255, 0), (0, 0, 255), (255, 255, 0)]
    for k, (x, y) in enumerate([(0, 0), (w // 2, 0), (0, h // 2), (w // 2, h // 2)]):
        im.paste(colours[k], (x, y, x + w // 2, y + h // 2))
    return im


def corners(im: Image.Image) -> list[tuple[int, int, int]]:
    w, h = im.size
    pts = [(w // 4, h // 4), (3 * w // 4, h // 4), (w // 4, 3 * h // 4), (3 * w // 4, 3 * h // 4)]
    return [tuple(int(round(c / 64)) for c in im.getpixel(p)) for p in pts]


# The stored pixels for each EXIF orientation are the upright image transformed by the inverse.
_STORE = {
    1: lambda im: im,
    2: lambda im: im.transpose(Image.Transpose.FLIP_LEFT_RIGHT),
    3: lambda im: im.transpose(Image.Transpose.ROTATE_180),
    4: lambda im: im.transpose(Image.Transpose.FLIP_TOP_BOTTOM),
    5: lambda im: im.transpose(Image.Transpose.TRANSPOSE),
    6: lambda im: im.transpose(Image.Transpose.ROTATE_90),
    7: lambda im: im.transpose(Image.Transpose.TRANSVERSE),
    8: lambda im: im.transpose(Image.Transpose.ROTATE_270),
}


@pytest.mark.parametrize("orientation", range(1, 9))
def test_every_exif_orientation_is_applied(tmp_path: Path, orientation: int) -> None:
    upright = quadrants()
    stored = _STORE[orientation](upright)
    exif = Image.Exif()
    exif[0x0112] = orientation
    path = tmp_path / f"o{orientation}.jpg"
    stored.save(path, quality=95, exif=exif)
    out = load_image(path, target_size=None)
    assert out.size == upright.size
    assert corners(out) == corners(upright)


def test_corpus_orientation_examples_come_out_landscape(corpus: Path) -> None:
    for n in range(2, 9):
        im = load_image(corpus / f"orientation_{n}_landscape.jpg", target_size=None)
        assert im.size == (1800, 1200), n


def test_large_jpeg_is_decoded_at_reduced_scale(tmp_path: Path) -> None:
    path = tmp_path / "photo.jpg"
    quadrants(4000, 3000).save(path, quality=90)
    reduced = load_image(path, target_size=224)
    # 1/8 scale is the largest reduction that still covers 224x224.
    assert reduced.size == (500, 375)
    assert corners(reduced) == corners(quadrants())
    assert load_image(path, target_size=None).size == (4000, 3000)
    # Never below what the caller asked for.
    assert min(load_image(path, target_size=(1000, 1000)).size) >= 1000


def test_draft_respects_orientation(tmp_path: Path) -> None:
    exif = Image.Exif()
    exif[0x0112] = 6
    path = tmp_path / "rotated.jpg"
    _STORE[6](quadrants(4000, 3000)).save(path, quality=90, exif=exif)
    out = load_image(path, target_size=224)
    assert out.size == (500, 375)
    assert corners(out) == corners(quadrants())


@pytest.mark.parametrize(
    ("fmt", "suffix", "kwargs"),
    [
        ("JPEG", ".jpg", {"quality": 95}),
        ("PNG", ".png", {}),
        ("TIFF", ".tif", {}),
        ("WEBP", ".webp", {"lossless": True}),
        ("BMP", ".bmp", {}),
        ("GIF", ".gif", {}),
        ("AVIF", ".avif", {"quality": 95}),
        ("HEIF", ".heic", {"quality": 95}),
    ],
)
def test_formats(tmp_path: Path, fmt: str, suffix: str, kwargs: dict) -> None:
    src = quadrants()
    path = tmp_path / f"img{suffix}"
    try:
        src.save(path, format=fmt, **kwargs)
    except (KeyError, OSError) as exc:  # pragma: no cover - depends on the Pillow build
        pytest.skip(f"this Pillow cannot write {fmt}: {exc}")
    out = load_image(path, target_size=None)
    assert out.mode == "RGB" and out.size == src.size
    assert corners(out) == corners(src)


def test_animated_gif_uses_first_frame(tmp_path: Path) -> None:
    frames = [Image.new("RGB", (64, 64), c) for c in [(255, 0, 0), (0, 0, 255), (0, 255, 0)]]
    path = tmp_path / "anim.gif"
    frames[0].save(path, save_all=True, append_images=frames[1:], duration=100, loop=0)
    assert load_image(path).getpixel((10, 10)) == (255, 0, 0)


def test_multipage_tiff_and_animated_webp_from_corpus(corpus: Path) -> None:
    assert load_image(corpus / "multipage_3pages.tiff").mode == "RGB"
    assert load_image(corpus / "animated_42frames.webp").size == (245, 245)
    assert load_image(corpus / "animated_42frames.gif").size == (245, 245)


def test_palette_with_transparency_is_composited_on_white(tmp_path: Path) -> None:
    im = Image.new("P", (10, 10), 0)
    im.putpalette([0, 0, 0, 255, 0, 0] + [0] * 762)
    im.putpixel((5, 5), 1)
    path = tmp_path / "p.png"
    im.save(path, transparency=0)
    out = load_image(path)
    assert out.getpixel((0, 0)) == (255, 255, 255)  # transparent black -> white page
    assert out.getpixel((5, 5)) == (255, 0, 0)


@pytest.mark.parametrize("mode", ["RGBA", "LA"])
def test_alpha_is_composited_on_white_not_black(tmp_path: Path, mode: str) -> None:
    im = Image.new("RGBA", (10, 10), (0, 0, 0, 0))
    im.putpixel((5, 5), (0, 0, 0, 255))
    im.putpixel((6, 6), (0, 0, 0, 128))
    path = tmp_path / "a.png"
    im.convert(mode).save(path)
    out = load_image(path)
    assert out.getpixel((0, 0)) == (255, 255, 255)
    assert out.getpixel((5, 5)) == (0, 0, 0)
    assert 120 <= out.getpixel((6, 6))[0] <= 135


def test_corpus_transparent_png_is_not_black(corpus: Path) -> None:
    out = np.asarray(load_image(corpus / "rgba_transparent.png"))
    assert out.mean() > 150  # mostly white page, not a black void


def test_cmyk_jpeg_colours_are_not_inverted(tmp_path: Path) -> None:
    path = tmp_path / "cmyk.jpg"
    Image.new("CMYK", (32, 32), (0, 255, 255, 0)).save(path, quality=95)  # pure red ink
    r, g, b = load_image(path).getpixel((16, 16))
    assert r > 200 and g < 60 and b < 60


def test_corpus_cmyk_is_plausible(corpus: Path) -> None:
    # Red lettering on black; inverted CMYK would show cyan on white.
    out = load_image(corpus / "cmyk_adobe_photoshop.jpg")
    r, g, b = out.getpixel((2, 2))
    assert r > 200 and g < 60 and b < 60
    assert max(out.getpixel((50, 95))) < 40


def test_16bit_grayscale_is_scaled_not_clipped(tmp_path: Path) -> None:
    arr = np.zeros((8, 8), dtype=np.uint16)
    arr[:, :4] = 65535
    arr[:, 4:] = 32768
    path = tmp_path / "g16.png"
    Image.fromarray(arr).save(path)
    assert Image.open(path).mode.startswith("I")
    out = load_image(path)
    assert out.getpixel((0, 0)) == (255, 255, 255)
    assert 125 <= out.getpixel((6, 0))[0] <= 130


def test_16bit_rgb_png_from_corpus_is_not_black(corpus: Path) -> None:
    out = np.asarray(load_image(corpus / "indoor_hdr_room_16bit.png"))
    assert out.mean() > 20


def test_float_tiff(tmp_path: Path) -> None:
    arr = np.full((8, 8), 0.5, dtype=np.float32)
    path = tmp_path / "f.tif"
    Image.fromarray(arr, mode="F").save(path)
    assert 120 <= load_image(path).getpixel((0, 0))[0] <= 130


@pytest.mark.parametrize("mode", ["L", "1"])
def test_grayscale_and_bilevel(tmp_path: Path, mode: str) -> None:
    path = tmp_path / "g.png"
    Image.new(mode, (8, 8), 255 if mode == "L" else 1).save(path)
    assert load_image(path).getpixel((0, 0)) == (255, 255, 255)


def test_heic_and_avif_from_corpus(corpus: Path) -> None:
    assert load_image(corpus / "street_town_riverside.heic").size == (1280, 854)
    assert load_image(corpus / "garden_palace.avif").size == (800, 533)


def test_format_is_detected_by_content_not_extension(corpus: Path) -> None:
    assert load_image(corpus / "webp_with_jpg_extension.jpg").size == (480, 360)


def test_raw_file_is_captioned_from_its_embedded_preview(tmp_path: Path) -> None:
    preview = io.BytesIO()
    quadrants(640, 480).save(preview, format="JPEG", quality=90)
    tiny = io.BytesIO()
    Image.new("RGB", (160, 120), (9, 9, 9)).save(tiny, format="JPEG")
    # A TIFF-like RAW: header, sensor noise, a small thumbnail, then the large preview.
    raw = b"II*\x00" + os.urandom(4096) + tiny.getvalue() + os.urandom(4096) + preview.getvalue()
    path = tmp_path / "IMG_0001.CR2"
    path.write_bytes(raw)
    out = load_image(path, target_size=None)
    assert out.size == (640, 480)
    assert corners(out) == corners(quadrants())


# --- failures: each one a specific, readable error naming the file ----------------------


def expect(path: Path, cls: type[errors.AltLensError], code: str) -> errors.AltLensError:
    with pytest.raises(cls) as info:
        load_image(path)
    exc = info.value
    assert exc.code == code
    assert str(path) in str(exc)
    assert exc.message and exc.message[0].isupper() and exc.message.endswith(".")
    return exc


def test_missing(tmp_path: Path) -> None:
    expect(tmp_path / "gone.jpg", errors.FileMissingError, "file-missing")


def test_folder_is_not_an_image(tmp_path: Path) -> None:
    expect(tmp_path, errors.NotAnImageError, "not-an-image")


def test_unreadable_permissions(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "locked.jpg"
    quadrants().save(path)
    if os.geteuid() != 0:
        path.chmod(0)
        try:
            expect(path, errors.FileUnreadableError, "file-unreadable")
        finally:
            path.chmod(0o644)
    # root reads anything, so also simulate the kernel's answer
    import builtins

    real_open = builtins.open

    def denied(file, *a, **k):  # type: ignore[no-untyped-def]
        if os.fspath(file) == os.fspath(path):
            raise PermissionError(13, "Permission denied")
        return real_open(file, *a, **k)

    monkeypatch.setattr(builtins, "open", denied)
    exc = expect(path, errors.FileUnreadableError, "file-unreadable")
    assert "permission" in exc.message.lower()


def test_empty_file(tmp_path: Path) -> None:
    path = tmp_path / "empty.jpg"
    path.touch()
    exc = expect(path, errors.CorruptImageError, "corrupt-image")
    assert "0 bytes" in exc.message


def test_text_file_is_not_an_image(tmp_path: Path) -> None:
    path = tmp_path / "notes.jpg"
    path.write_text("shopping list: eggs, milk\n")
    expect(path, errors.NotAnImageError, "not-an-image")


def test_truncated_jpeg(tmp_path: Path) -> None:
    full = io.BytesIO()
    Image.effect_noise((800, 600), 64).convert("RGB").save(full, format="JPEG", quality=90)
    path = tmp_path / "cut.jpg"
    path.write_bytes(full.getvalue()[: len(full.getvalue()) // 2])
    exc = expect(path, errors.CorruptImageError, "corrupt-image")
    assert "truncated" in exc.message


def test_damaged_png(tmp_path: Path) -> None:
    path = tmp_path / "bad.png"
    path.write_bytes(b"\x89PNG\r\n\x1a\n" + os.urandom(200))
    expect(path, errors.CorruptImageError, "corrupt-image")


@pytest.mark.parametrize(
    ("head", "name"),
    [(b"\xff\x0a\x00\x00", "JPEG XL"), (b"8BPS\x00\x01", "Photoshop"), (b'<svg xmlns="http://www.w3.org/2000/svg"/>', "SVG"), (b"\x00\x00\x00\x18ftypcrx \x00\x00\x00\x01", "CR3")],
)
def test_unsupported_formats(tmp_path: Path, head: bytes, name: str) -> None:
    path = tmp_path / "file.bin"
    path.write_bytes(head + b"\x00" * 64)
    exc = expect(path, errors.UnsupportedFormatError, "unsupported-format")
    assert name.split()[0].lower() in exc.message.lower()


def _png_declaring(width: int, height: int) -> bytes:
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", zlib.compress(b"\x00" * 64)) + chunk(b"IEND", b"")


def test_decompression_bomb_is_refused_before_decoding(tmp_path: Path) -> None:
    path = tmp_path / "bomb.png"
    path.write_bytes(_png_declaring(30000, 30000))  # 900 MP declared in 100 bytes
    exc = expect(path, errors.ImageTooLargeError, "image-too-large")
    assert "megapixel" in exc.message


def test_huge_jpeg_is_captionable_through_reduced_decoding(corpus: Path) -> None:
    im = load_image(corpus / "huge_20000x10000_200MP.jpg", target_size=224)
    assert im.size == (2500, 1250)
    with pytest.raises(errors.ImageTooLargeError):
        load_image(corpus / "huge_20000x10000_200MP.jpg", target_size=None)


@pytest.mark.parametrize(
    ("name", "code"),
    [
        ("empty_zero_bytes.jpg", "corrupt-image"),
        ("corrupt_broken.png", "corrupt-image"),
        ("truncated_baseline_60pct.jpg", "corrupt-image"),
        ("truncated_progressive.jpg", "corrupt-image"),
        ("bomb_declared_65535x66601.gif", "image-too-large"),
        ("raw_sidecar_example.xmp", "not-an-image"),
    ],
)
def test_corpus_broken_files(corpus: Path, name: str, code: str) -> None:
    with pytest.raises(errors.ImageError) as info:
        load_image(corpus / name)
    assert info.value.code == code
    assert name in str(info.value)


def test_every_corpus_image_loads_or_fails_with_a_typed_error(corpus: Path) -> None:
    for path in collect_images([corpus, corpus / "metadata"]):
        try:
            im = load_image(path)
        except errors.ImageError as exc:
            assert exc.code != "image-error" and str(path) in str(exc)
        else:
            assert im.mode == "RGB" and min(im.size) >= 1


def test_collect_images(tmp_path: Path) -> None:
    (tmp_path / "a.jpg").write_bytes(b"x")
    (tmp_path / "B.PNG").write_bytes(b"x")
    (tmp_path / "notes.txt").write_text("x")
    (tmp_path / ".hidden.jpg").write_bytes(b"x")
    (tmp_path / "c.jpg.part").write_bytes(b"x")
    sub = tmp_path / "sub"
    sub.mkdir()
    (sub / "d.webp").write_bytes(b"x")
    flat = collect_images([tmp_path])
    assert [p.name for p in flat] == ["B.PNG", "a.jpg"]
    deep = collect_images([tmp_path], recursive=True)
    assert [p.name for p in deep] == ["B.PNG", "a.jpg", "d.webp"]
    # A file named explicitly is always taken, so its problem gets reported.
    assert collect_images([tmp_path / "notes.txt", tmp_path / "a.jpg", tmp_path / "a.jpg"]) == [tmp_path / "notes.txt", tmp_path / "a.jpg"]
    assert not is_captionable_name("photo.jpg_exiftool_tmp")
