# SPDX-License-Identifier: GPL-3.0-or-later
"""Refusals: each gives its own error code and leaves the file byte-identical, with no temp
file behind."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest
from altlens.core.metadata import MetadataWriter, WriteRequest
from altlens.core.metadata.errors import MetadataError

from tests.core.metadata.conftest import make_jpeg
from tests.core.metadata.helpers import cli_write, sha256


def _refused(writer: MetadataWriter, photo: Path, code: str, **kw: object) -> None:
    before = sha256(photo) if photo.is_file() else None
    names = sorted(p.name for p in photo.parent.iterdir())
    request = WriteRequest(photo, alt_text="A test caption", overwrite=True, **kw)  # type: ignore[arg-type]
    for call in (writer.preview, writer.write):
        with pytest.raises(MetadataError) as info:
            call(request)
        assert info.value.code == code, info.value
        assert str(photo.name) in str(info.value)
    if before is not None:
        assert sha256(photo) == before
    assert sorted(p.name for p in photo.parent.iterdir()) == names


def _cut(path: Path, fraction: float) -> Path:
    data = path.read_bytes()
    path.write_bytes(data[: int(len(data) * fraction)])
    return path


def test_zero_byte(tmp_path: Path, writer: MetadataWriter) -> None:
    photo = tmp_path / "empty.jpg"
    photo.write_bytes(b"")
    _refused(writer, photo, "empty-file")


@pytest.mark.parametrize("fmt", ["JPEG", "PNG", "TIFF"])
def test_truncated(fmt: str, tmp_path: Path, writer: MetadataWriter) -> None:
    from PIL import Image

    photo = tmp_path / f"cut.{fmt.lower()}"
    Image.effect_noise((300, 200), 60).convert("RGB").save(photo, fmt)
    _cut(photo, 0.6)
    _refused(writer, photo, "file-truncated")


def test_corpus_truncated_and_corrupt(tmp_path: Path, writer: MetadataWriter,
                                      corpus: Path) -> None:
    from tests.core.metadata.conftest import copy_in

    for name, code in (("truncated_baseline_60pct.jpg", "file-truncated"),
                       ("truncated_progressive.jpg", "file-truncated"),
                       ("corrupt_broken.png", "corrupt-file"),
                       ("bomb_declared_65535x66601.gif", "corrupt-file")):
        _refused(writer, copy_in(corpus / name, tmp_path / name), code)


def test_read_only_file(tmp_path: Path, writer: MetadataWriter) -> None:
    photo = make_jpeg(tmp_path / "ro.jpg")
    os.chmod(photo, stat.S_IRUSR | stat.S_IRGRP)
    _refused(writer, photo, "file-readonly")


def test_read_only_sidecar(data_copy, writer: MetadataWriter) -> None:
    raw = data_copy("et_CanonRaw.cr2")
    writer.write(WriteRequest(raw, alt_text="first"))
    sidecar = raw.with_name(raw.name + ".xmp")
    os.chmod(sidecar, stat.S_IRUSR)
    before = sha256(sidecar)
    with pytest.raises(MetadataError) as info:
        writer.write(WriteRequest(raw, alt_text="second"))
    assert info.value.code == "file-readonly"
    assert sha256(sidecar) == before


@pytest.mark.skipif(hasattr(os, "geteuid") and os.geteuid() == 0,
                    reason="root may write into read-only folders")
def test_read_only_folder(tmp_path: Path, writer: MetadataWriter) -> None:
    photo = make_jpeg(tmp_path / "folder" / "p.jpg")
    os.chmod(photo.parent, stat.S_IRUSR | stat.S_IXUSR)
    try:
        with pytest.raises(MetadataError) as info:
            writer.write(WriteRequest(photo, alt_text="x"))
        assert info.value.code == "file-readonly"
    finally:
        os.chmod(photo.parent, stat.S_IRWXU)


def test_changed_since_it_was_read(tmp_path: Path, writer: MetadataWriter) -> None:
    photo = make_jpeg(tmp_path / "p.jpg")
    seen = writer.read(photo).identity
    cli_write(photo, "-XMP-dc:Description-x-default=Edited elsewhere")
    _refused(writer, photo, "file-changed", expected_identity=seen)
    # unchanged content passes, even if its mtime was touched
    seen = writer.read(photo).identity
    os.utime(photo, ns=(1, 1))
    writer.write(WriteRequest(photo, alt_text="fine", expected_identity=seen))


class _Meddler(MetadataWriter):
    """Another program changes the photo after ExifTool wrote the new copy."""

    def _verify(self, op, tmp, subject):  # type: ignore[no-untyped-def]
        after = super()._verify(op, tmp, subject)
        with open(op.path, "ab") as fh:
            fh.write(b"\0")
        return after


def test_changed_during_the_write(tmp_path: Path) -> None:
    photo = make_jpeg(tmp_path / "p.jpg")
    with _Meddler() as meddler, pytest.raises(MetadataError) as info:
        meddler.write(WriteRequest(photo, alt_text="x"))
    assert info.value.code == "file-changed"
    assert photo.read_bytes().endswith(b"\0")  # the other program's change is still there
    assert sorted(p.name for p in photo.parent.iterdir()) == ["p.jpg"]


@pytest.mark.parametrize("content,name", [
    (b"just some text\n", "notes.jpg"),
    (b"\0\0\0\x18ftypmp42\0\0\0\0mp42isom" + b"\0" * 64, "clip.heic"),
    (b"<?xpacket begin='' id='W5M0MpCehiHzreSzNTczkc9d'?><x:xmpmeta/>", "photo.xmp"),
    (b"%PDF-1.4\n" + b"\0" * 64, "scan.jpg"),
])
def test_unsupported(content: bytes, name: str, tmp_path: Path, writer: MetadataWriter) -> None:
    photo = tmp_path / name
    photo.write_bytes(content)
    _refused(writer, photo, "unsupported-format")


def test_missing(tmp_path: Path, writer: MetadataWriter) -> None:
    with pytest.raises(MetadataError) as info:
        writer.write(WriteRequest(tmp_path / "nothing.jpg", alt_text="x"))
    assert info.value.code == "file-missing"


def test_error_shape(tmp_path: Path, writer: MetadataWriter) -> None:
    photo = tmp_path / "empty.jpg"
    photo.write_bytes(b"")
    with pytest.raises(MetadataError) as info:
        writer.read(photo)
    data = info.value.to_dict()
    assert data["code"] == "empty-file" and "empty.jpg" in data["message"]


@pytest.mark.skipif(not hasattr(os, "symlink") or os.name == "nt", reason="POSIX symlinks")
def test_symlink_is_followed_not_replaced(tmp_path: Path, writer: MetadataWriter) -> None:
    photo = make_jpeg(tmp_path / "real.jpg")
    link = tmp_path / "link.jpg"
    link.symlink_to(photo)
    writer.write(WriteRequest(link, alt_text="through a link"))
    assert link.is_symlink()
    assert writer.read(photo).text("alt_text") == "through a link"
