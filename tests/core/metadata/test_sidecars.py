# SPDX-License-Identifier: GPL-3.0-or-later
"""RAW (and BMP/GIF) files are never written: their text goes into XMP sidecars, updating
every existing one of either naming style in place."""

from __future__ import annotations

from pathlib import Path

import pytest
from altlens.core.metadata import MetadataWriter, SidecarStyle, WriteRequest

from tests.core.metadata.conftest import copy_in
from tests.core.metadata.helpers import cli_dumps, cli_tag, compare, sha256


@pytest.mark.parametrize("style,name", [(SidecarStyle.APPEND, "et_CanonRaw.cr2.xmp"),
                                        (SidecarStyle.REPLACE, "et_CanonRaw.xmp")])
def test_new_sidecar_name(style: SidecarStyle, name: str, data_copy,
                          writer: MetadataWriter) -> None:
    raw = data_copy("et_CanonRaw.cr2")
    before = sha256(raw)
    plan = writer.preview(WriteRequest(raw, alt_text="x", sidecar_style=style))
    assert plan.creates == (raw.with_name(name),)
    result = writer.write(WriteRequest(raw, alt_text="A camera on a table", sidecar_style=style))
    assert result.targets == (raw.with_name(name),)
    assert sha256(raw) == before
    sidecar = raw.with_name(name)
    assert cli_tag(sidecar, "XMP-iptcCore:AltTextAccessibility") == "A camera on a table"
    assert sorted(p.name for p in raw.parent.iterdir()) == sorted([raw.name, name])
    snap = writer.read(raw)
    assert snap.alt_text is not None and snap.alt_text.source == raw.with_name(name)
    assert snap.sidecars == (raw.with_name(name),)


def test_existing_sidecars_of_both_styles_are_updated(tmp_path: Path, writer: MetadataWriter,
                                                      corpus: Path) -> None:
    folder = tmp_path / "photos"
    raw = copy_in(corpus / "metadata" / "et_Nikon.nef", folder, "DSC_9034.NEF")
    dt = copy_in(corpus / "metadata" / "dt_DSC_9034.NEF.xmp", folder, "DSC_9034.NEF.xmp")
    adobe = copy_in(corpus / "metadata" / "ex_BlueSquare.xmp", folder, "DSC_9034.xmp")
    dt_orig = copy_in(dt, tmp_path / "orig")
    adobe_orig = copy_in(adobe, tmp_path / "orig")
    raw_before = sha256(raw)
    result = writer.write(WriteRequest(raw, alt_text="A lake", title="Lake", overwrite=True))
    assert set(result.targets) == {dt, adobe}
    assert sha256(raw) == raw_before
    assert sorted(p.name for p in folder.iterdir()) == sorted([raw.name, dt.name, adobe.name])
    for sidecar, orig in ((dt, dt_orig), (adobe, adobe_orig)):
        assert cli_tag(sidecar, "XMP-iptcCore:AltTextAccessibility") == "A lake"
        assert cli_tag(sidecar, "XMP-dc:Title") == "Lake"
        before, after = cli_dumps(orig, sidecar)
        written = {tuple(c.field.split(":", 1)) for c in result.changes if c.target == sidecar}
        lost, gained = compare(before, after, written)  # type: ignore[arg-type]
        assert lost == [] and gained == [], sidecar.name
    # darktable's edit history survives; the other languages of the title too
    assert cli_tag(dt, "XMP-darktable:HistoryOperation") is not None
    assert cli_tag(adobe, "XMP-dc:Title-de-CH") == "Blaues Quadrat Test Datei - .jpg"
    assert cli_tag(adobe, "XMP-dc:Title-en-US") == "Blue Square Test File - .jpg"
    # undo restores both sidecars
    writer.undo(raw)
    for sidecar, orig in ((dt, dt_orig), (adobe, adobe_orig)):
        before, after = cli_dumps(orig, sidecar)
        lost, gained = compare(before, after, set())
        assert lost == [] and gained == [], sidecar.name


@pytest.mark.parametrize("name", ["animal_bee_on_flower_24bit.bmp", "animated_42frames.gif"])
def test_bmp_and_gif_get_a_sidecar(name: str, tmp_path: Path, writer: MetadataWriter,
                                   corpus: Path) -> None:
    photo = copy_in(corpus / name, tmp_path)
    before = sha256(photo)
    result = writer.write(WriteRequest(photo, alt_text="A bee on a flower"))
    assert result.targets == (photo.with_name(photo.name + ".xmp"),)
    assert sha256(photo) == before
    assert any("sidecar" in w for w in result.warnings)


def test_webp_named_jpg_is_written_as_webp(tmp_path: Path, writer: MetadataWriter,
                                           corpus: Path) -> None:
    photo = copy_in(corpus / "webp_with_jpg_extension.jpg", tmp_path)
    snap = writer.read(photo)
    assert snap.format.kind == "webp" and not snap.format.extension_matches
    writer.write(WriteRequest(photo, alt_text="A flower"))
    assert photo.read_bytes()[:4] == b"RIFF" and photo.read_bytes()[8:12] == b"WEBP"
    assert cli_tag(photo, "XMP-iptcCore:AltTextAccessibility") == "A flower"
    assert sorted(p.name for p in tmp_path.iterdir()) == [photo.name]
