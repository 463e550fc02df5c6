# SPDX-License-Identifier: GPL-3.0-or-later
"""PSD, JPEG 2000 and JPEG XL take the text as XMP inside the file, losslessly (pixels and every
other tag as they were), and undo is exact; a bare JPEG XL codestream gets a sidecar. Files:
tests/data/metadata (drawn by scripts/make_metadata_fixtures.py)."""

from __future__ import annotations

from pathlib import Path

import pytest
from altlens.core.metadata import MetadataWriter, WriteRequest

from tests.core.metadata.conftest import DATA, copy_in
from tests.core.metadata.helpers import cli_dumps, cli_tag, sha256, strict_diff, value_of

FIXTURES = DATA / "metadata"
ALT = "A red square on a grey ramp — 東京"


def _pixels(path: Path) -> bytes | None:
    from PIL import Image

    if path.suffix == ".jxl":
        try:
            import pillow_jxl  # noqa: F401
        except ImportError:
            return None
    with Image.open(path) as im:
        return im.convert("RGB").tobytes()


@pytest.mark.parametrize(("name", "kind"), [("plain.psd", "psd"), ("plain.jp2", "jp2"),
                                            ("plain.jxl", "jxl")])
def test_xmp_inside(name: str, kind: str, tmp_path: Path, writer: MetadataWriter) -> None:
    orig = copy_in(FIXTURES / name, tmp_path / "orig")
    work = copy_in(FIXTURES / name, tmp_path / "work")
    assert writer.read(work).format.kind == kind
    result = writer.write(WriteRequest(work, alt_text=ALT, model="m"))
    assert result.targets == (work,)
    assert sorted(p.name for p in work.parent.iterdir()) == [name]
    d0, d1 = cli_dumps(orig, work)
    assert value_of(d1, "XMP-iptcCore:AltTextAccessibility") == ALT
    assert value_of(d1, "XMP-dc:Description") == ALT
    # nothing but XMP changed
    assert all(":XMP" in line for line in strict_diff(d0, d1)), strict_diff(d0, d1)
    assert _pixels(work) == _pixels(orig)
    writer.undo(work)
    d0, d1 = cli_dumps(orig, work)
    assert strict_diff(d0, d1) == []


def test_bare_jxl_codestream_gets_a_sidecar(tmp_path: Path, writer: MetadataWriter) -> None:
    work = copy_in(FIXTURES / "codestream.jxl", tmp_path)
    before = sha256(work)
    result = writer.write(WriteRequest(work, alt_text=ALT))
    (sidecar,) = result.targets
    assert sidecar.name == "codestream.jxl.xmp" and sha256(work) == before
    assert cli_tag(sidecar, "XMP-iptcCore:AltTextAccessibility") == ALT
    writer.undo(work)
    assert not sidecar.exists()
