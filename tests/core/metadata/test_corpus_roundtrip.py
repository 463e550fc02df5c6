# SPDX-License-Identifier: GPL-3.0-or-later
"""Round trips on copies of every real file in the shared corpus: write, then check with
tools other than the writer that only the intended fields changed."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from altlens.core.metadata import MetadataWriter, WriteRequest
from altlens.core.metadata.errors import MetadataError
from altlens.core.metadata.exiftool import ExifTool, config_file

from tests.conftest import CORPUS
from tests.core.metadata.conftest import copy_in
from tests.core.metadata.helpers import CORPUS_REFUSED as REFUSED
from tests.core.metadata.helpers import (
    NO_PIXEL_CHECK,
    cli_dumps,
    cli_warnings,
    compare,
    corpus_files,
    exiv2_fields,
    jpeg_scan_data,
    pixel_digest,
    sha256,
    split_key,
    value_of,
)

pytestmark = pytest.mark.corpus

ALT = 'Two dogs & a "cat" <on> the café steps — 犬と猫 🐕\nsecond line'
DESC = "A caption: ‏שלום‏ مرحبا, 中文, emoji 🐈‍⬛ and \\backslash\\ 'quotes'  "

SIDECAR_SUFFIXES = {".cr2", ".nef", ".bmp", ".gif"}



FILES = corpus_files(CORPUS)


@pytest.fixture(scope="module")
def mwriter(tmp_path_factory: pytest.TempPathFactory) -> Iterator[MetadataWriter]:
    # one writer (one ExifTool process) for the whole module, as in the app
    home = tmp_path_factory.mktemp("rt-home")
    et = ExifTool(config_path=config_file(home))
    w = MetadataWriter(exiftool=et, journal_path=home / "journal.sqlite3")
    yield w
    w.close()
    et.close()


def _ids(p: Path) -> str:
    return p.name


@pytest.mark.parametrize("src", FILES, ids=_ids)
def test_roundtrip(src: Path, tmp_path: Path, mwriter: MetadataWriter, corpus: Path) -> None:
    orig = copy_in(src, tmp_path / "orig")
    work = copy_in(src, tmp_path / "work")
    os.utime(orig, ns=(1_600_000_000_000_000_000, 1_600_000_000_000_000_000))
    os.utime(work, ns=(1_600_000_000_000_000_000, 1_600_000_000_000_000_000))
    request = WriteRequest(work, alt_text=ALT, description=DESC, overwrite=True,
                           model="test/model")

    if src.name in REFUSED:
        with pytest.raises(MetadataError) as info:
            mwriter.write(request)
        assert info.value.code == REFUSED[src.name]
        assert sha256(work) == sha256(orig)
        assert sorted(p.name for p in work.parent.iterdir()) == [work.name]
        return

    result = mwriter.write(request)
    leftovers = sorted(p.name for p in work.parent.iterdir())

    if src.suffix.lower() in SIDECAR_SUFFIXES:
        sidecar = work.with_name(work.name + ".xmp")
        assert result.targets == (sidecar,)
        assert leftovers == sorted([work.name, sidecar.name])
        assert sha256(work) == sha256(orig), "the RAW/BMP/GIF itself must never change"
        (dump,) = cli_dumps(sidecar)
        assert value_of(dump, "XMP-iptcCore:AltTextAccessibility") == ALT
        assert value_of(dump, "XMP-dc:Description") == DESC
        second = exiv2_fields(sidecar)
        assert second is not None
        assert second["Xmp.iptc.AltTextAccessibility"] == ALT
        assert second["Xmp.dc.description"] == DESC
        return

    assert result.targets == (work,)
    assert leftovers == [work.name], "no temp files may stay behind"
    # the intended fields, exactly, read by a separate exiftool process
    before, after = cli_dumps(orig, work)
    assert value_of(after, "XMP-iptcCore:AltTextAccessibility") == ALT
    assert value_of(after, "XMP-dc:Description") == DESC
    assert value_of(after, "XMP-altlens:CaptionModel") == "test/model"
    if any(split_key(k)[:2] == ("IPTC", "IPTC") for k, _ in before):  # IIM in APP13 & co
        assert value_of(after, "IPTC:Caption-Abstract") == DESC
    png_legacy_exif = "This PNG keeps its EXIF in an old ImageMagick text chunk" in " ".join(
        result.warnings)
    assert (value_of(after, "IFD0:ImageDescription") == DESC) != png_legacy_exif
    # every other tag as it was
    written = {tuple(c.field.split(":", 1)) for c in result.changes}
    lost, gained = compare(before, after, written)  # type: ignore[arg-type]
    assert lost == [], f"tags lost or changed: {lost}"
    assert gained == [], f"unexpected tags: {gained}"
    # no new ExifTool warning
    w0, w1 = cli_warnings(orig, work)
    new = [w for w in w1 if w not in w0 and not w.startswith("IPTCDigest is not current")]
    assert new == []
    # pixels and, for JPEG, the compressed image data byte for byte
    if src.name not in NO_PIXEL_CHECK:
        assert pixel_digest(work) == pixel_digest(orig)
    scan0 = jpeg_scan_data(orig)
    if scan0 is not None:
        assert jpeg_scan_data(work) == scan0
    # a second, unrelated reader sees the caption fields
    second = exiv2_fields(work)
    if second:  # exiv2 could open it
        assert second.get("Xmp.iptc.AltTextAccessibility") == ALT
        assert second.get("Xmp.dc.description") == DESC
        if "Exif.Image.ImageDescription" in second and not png_legacy_exif:
            assert second["Exif.Image.ImageDescription"] == DESC
    # the file keeps its permissions and modification time
    assert os.stat(work).st_mtime_ns == 1_600_000_000_000_000_000
    assert os.stat(work).st_mode == os.stat(orig).st_mode
    assert result.identity_after is not None and result.identity_after.sha256 == sha256(work)
