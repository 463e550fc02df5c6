# SPDX-License-Identifier: GPL-3.0-or-later
"""Write then undo brings every tag back exactly: files with no EXIF, no XMP, no IPTC (each
alone and together), a new sidecar, an unparsable maker note. Files: tests/data/metadata
(drawn by scripts/make_metadata_fixtures.py)."""

from __future__ import annotations

from pathlib import Path

import pytest
from altlens.core.metadata import MetadataWriter, WriteRequest

from tests.core.metadata.conftest import DATA, copy_in
from tests.core.metadata.helpers import cli_dumps, cli_tag, sha256, strict_diff, value_of

FIXTURES = DATA / "metadata"
ALT = "A red square on a grey ramp — 東京 🐕"


def _write_then_undo(writer: MetadataWriter, tmp_path: Path, name: str, **kw: object
                     ) -> tuple[Path, Path, object]:
    orig = copy_in(FIXTURES / name, tmp_path / "orig")
    work = copy_in(FIXTURES / name, tmp_path / "work")
    result = writer.write(WriteRequest(work, alt_text=ALT, model="m", **kw))  # type: ignore[arg-type]
    assert result.changes, "the write must have changed something"
    return orig, work, result


@pytest.mark.parametrize("name", [
    "plain.jpg",  # no EXIF, no XMP, no IPTC: the write creates EXIF (with mandatory tags) and XMP
    "plain.png", "plain.webp",
    "exif_only.jpg",  # no XMP, no IPTC
    "xmp_only.jpg",  # no EXIF, no IPTC
    "iptc_only.jpg",  # no EXIF, no XMP; IIM without ApplicationRecordVersion
    "iptc_only.png",  # IIM in a PNG: the write adds records to it
    "all_three.jpg",
])
def test_undo_is_exact(name: str, tmp_path: Path, writer: MetadataWriter) -> None:
    orig, work, _ = _write_then_undo(writer, tmp_path, name)
    d_orig, d_written = cli_dumps(orig, work)
    assert strict_diff(d_orig, d_written), "the write changed nothing visible"
    writer.undo(work)
    d0, d1 = cli_dumps(orig, work)
    assert strict_diff(d0, d1) == []


def test_undo_of_a_new_sidecar_is_exact(tmp_path: Path, writer: MetadataWriter) -> None:
    raw = copy_in(DATA / "et_CanonRaw.cr2", tmp_path)
    before = sha256(raw)
    result = writer.write(WriteRequest(raw, alt_text=ALT))
    (sidecar,) = result.targets
    assert sidecar.is_file()
    writer.undo(raw)
    assert not sidecar.exists() and sha256(raw) == before


def test_undo_of_an_updated_sidecar_is_exact(tmp_path: Path, writer: MetadataWriter) -> None:
    raw = copy_in(DATA / "et_CanonRaw.cr2", tmp_path)
    sidecar = raw.with_name(raw.name + ".xmp")
    first = MetadataWriter()
    try:  # a sidecar someone else made (it has no AltLens provenance)
        first.write(WriteRequest(raw, alt_text="other", sidecar_style="append"))
    finally:
        first.close()
    keep = copy_in(sidecar, tmp_path / "keep")
    writer.write(WriteRequest(raw, alt_text=ALT, overwrite=True))
    assert cli_tag(sidecar, "XMP-iptcCore:AltTextAccessibility") == ALT
    writer.undo(raw)
    d0, d1 = cli_dumps(keep, sidecar)
    assert strict_diff(d0, d1) == []


def test_unparsable_maker_note_is_written_and_kept(tmp_path: Path,
                                                   writer: MetadataWriter) -> None:
    """ExifTool words its warning about this maker note differently after a rewrite; that is
    no reason to refuse. The maker-note bytes themselves must stay as they were."""
    orig, work, _ = _write_then_undo(writer, tmp_path, "makernote_unparsed.jpg")
    d0, d1 = cli_dumps(orig, work)
    note0 = [v for k, v in d0 if k.endswith(":MakerNoteUnknown")]
    assert note0 and note0 == [v for k, v in d1 if k.endswith(":MakerNoteUnknown")]
    assert value_of(d1, "XMP-iptcCore:AltTextAccessibility") == ALT
    writer.undo(work)
    d0, d1 = cli_dumps(orig, work)
    assert strict_diff(d0, d1) == []
