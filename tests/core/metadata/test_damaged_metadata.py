# SPDX-License-Identifier: GPL-3.0-or-later
"""A photo whose EXIF block is damaged in a way ExifTool will not rewrite without -m: the text
goes into XMP alone, the damaged block stays byte for byte, the result says so, and undo is
exact. Files: tests/data/metadata (drawn by scripts/make_metadata_fixtures.py)."""

from __future__ import annotations

from pathlib import Path

import pytest
from altlens.core.metadata import MetadataWriter, WriteRequest
from altlens.core.metadata.errors import WriteVerificationError

from tests.core.metadata.conftest import DATA, copy_in
from tests.core.metadata.helpers import cli_dumps, cli_tag, sha256, strict_diff

FIXTURES = DATA / "metadata"


def exif_segments(path: Path) -> list[bytes]:
    """The APP1 Exif segments of a JPEG, byte for byte (own parser)."""
    data = path.read_bytes()
    i, out = 2, []
    while i + 4 <= len(data) and data[i] == 0xFF and data[i + 1] != 0xDA:
        n = int.from_bytes(data[i + 2:i + 4], "big")
        if data[i + 1] == 0xE1 and data[i + 4:i + 10] == b"Exif\0\0":
            out.append(data[i:i + 2 + n])
        i += 2 + n
    return out


@pytest.mark.parametrize(("name", "damage"), [
    ("exif_bad_format.jpg", "Bad format (0) for IFD0 entry 0"),
    ("exif_truncated_interop.jpg", "Truncated InteropIFD directory"),
    ("exif_bad_ifd1.jpg", "Bad IFD1 directory"),
])
def test_damaged_exif_gets_xmp_only(name: str, damage: str, tmp_path: Path,
                                    writer: MetadataWriter) -> None:
    orig = copy_in(FIXTURES / name, tmp_path / "orig")
    work = copy_in(FIXTURES / name, tmp_path / "work")
    result = writer.write(WriteRequest(work, alt_text="A red square", model="m"))
    assert result.targets == (work,)
    assert exif_segments(work) == exif_segments(orig) != []
    assert cli_tag(work, "XMP-iptcCore:AltTextAccessibility") == "A red square"
    assert cli_tag(work, "XMP-dc:Description") == "A red square"
    assert cli_tag(work, "IFD0:ImageDescription") is None
    said = " ".join(result.warnings)
    assert damage in said and "XMP" in said and "byte for byte" in said
    assert {c.field for c in result.changes} == {"XMP-iptcCore:AltTextAccessibility",
                                                 "XMP-dc:Description"}
    writer.undo(work)
    d0, d1 = cli_dumps(orig, work)
    assert strict_diff(d0, d1) == []
    assert exif_segments(work) == exif_segments(orig)


def test_preview_says_the_same(tmp_path: Path, writer: MetadataWriter) -> None:
    work = copy_in(FIXTURES / "exif_bad_format.jpg", tmp_path)
    before = work.read_bytes()
    plan = writer.preview(WriteRequest(work, alt_text="A red square"))
    assert "IFD0:ImageDescription" not in {c.field for c in plan.changes}
    assert any("Bad format (0) for IFD0 entry 0" in w for w in plan.warnings)
    assert work.read_bytes() == before


def test_damaged_xmp_gets_a_sidecar(tmp_path: Path, writer: MetadataWriter) -> None:
    """Rewriting would replace the damaged XMP packet (and what is left in it): the text goes
    into a sidecar, the photo stays byte for byte, and reading finds the text there."""
    work = copy_in(FIXTURES / "xmp_damaged.jpg", tmp_path)
    before = sha256(work)
    result = writer.write(WriteRequest(work, alt_text="A red square"))
    (sidecar,) = result.targets
    assert sidecar == work.with_name(work.name + ".xmp")
    assert sha256(work) == before
    assert any("XMP is damaged" in w for w in result.warnings)
    snap = writer.read(work)
    assert snap.alt_text is not None and snap.alt_text.value == "A red square"
    assert snap.alt_text.source == sidecar
    writer.undo(work)
    assert not sidecar.exists() and sha256(work) == before


class _LossyRewrite(MetadataWriter):
    """As if ExifTool's copy of the photo had lost something (verification refuses it)."""

    def _verify(self, op, tmp, subject):  # type: ignore[no-untyped-def]
        if op.embedded:
            raise WriteVerificationError("EXIF:IFD0:Software lost or changed", path=op.path)
        return super()._verify(op, tmp, subject)


def test_a_photo_that_cannot_be_rewritten_losslessly_gets_a_sidecar(tmp_path: Path) -> None:
    work = copy_in(FIXTURES / "exif_only.jpg", tmp_path)
    before = sha256(work)
    with _LossyRewrite() as w:
        result = w.write(WriteRequest(work, alt_text="A red square"))
        (sidecar,) = result.targets
        assert sidecar.suffix == ".xmp" and sha256(work) == before
        assert any("Software lost or changed" in x and "sidecar" in x for x in result.warnings)
        assert cli_tag(sidecar, "XMP-iptcCore:AltTextAccessibility") == "A red square"
        snap = w.read(work)  # the text is found where it went
        assert snap.alt_text is not None and snap.alt_text.source == sidecar
        assert sorted(p.name for p in tmp_path.iterdir()) == sorted([work.name, sidecar.name])
        w.undo(work)
    assert not sidecar.exists() and sha256(work) == before
