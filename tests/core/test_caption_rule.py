# SPDX-License-Identifier: GPL-3.0-or-later
"""One rule for "the caption a file holds": the library's fast scan (core/fingerprint.py,
no ExifTool) and MetadataSnapshot.caption (ExifTool) both use core.metadata.fields.caption_of,
and agree on real files."""

from __future__ import annotations

import shutil
from pathlib import Path

from altlens.core.fingerprint import fingerprint, xmp_caption
from altlens.core.metadata import MetadataWriter
from altlens.core.metadata.fields import caption_of

from tests.core.library_support import exiftool, make_images, needs_exiftool

DATA = Path(__file__).resolve().parents[1] / "data"


def test_caption_of_prefers_alt_text_and_drops_placeholders() -> None:
    assert caption_of("A dog on grass", "Dog") == "A dog on grass"
    assert caption_of(None, "Dog") == "Dog"
    assert caption_of("", "Dog") == "Dog"
    assert caption_of("   ", None) is None
    assert caption_of("OLYMPUS DIGITAL CAMERA", "Dog") == "Dog"
    assert caption_of(None, "DSC_0042.JPG") is None
    assert caption_of(None, "Canon EOS R5", make="Canon", model="Canon EOS R5") is None
    assert caption_of(None, "Canon EOS R5") == "Canon EOS R5"  # only junk for that camera


def test_xmp_caption_reads_alt_text_then_description() -> None:
    both = (b'<rdf:Description><Iptc4xmpCore:AltTextAccessibility><rdf:Alt>'
            b'<rdf:li xml:lang="x-default">Alt &amp; text</rdf:li></rdf:Alt>'
            b'</Iptc4xmpCore:AltTextAccessibility><dc:description><rdf:Alt>'
            b'<rdf:li xml:lang="x-default">Desc</rdf:li></rdf:Alt></dc:description>'
            b'</rdf:Description>')
    assert xmp_caption(both) == "Alt & text"
    assert xmp_caption(b'<rdf:Description dc:description="SONY DSC"/>') is None
    assert xmp_caption(b'<rdf:Description Iptc4xmpCore:AltTextAccessibility="IMG_1234"'
                       b' dc:description="A real one"/>') == "A real one"


_CASES: dict[str, tuple[str, ...]] = {
    "description": ("-XMP-dc:Description-x-default=A heron in the reeds",),
    "alt_and_description": (
        "-XMP-iptcCore:AltTextAccessibility-x-default=A grey heron standing in reeds",
        "-XMP-dc:Description-x-default=Heron",
    ),
    "placeholder_description": ("-XMP-dc:Description-x-default=OLYMPUS DIGITAL CAMERA",),
    "placeholder_alt_real_description": (
        "-XMP-iptcCore:AltTextAccessibility-x-default=DSC_0042",
        "-XMP-dc:Description-x-default=Two swans",
    ),
    "exif_camera_junk_only": ("-EXIF:ImageDescription=OLYMPUS DIGITAL CAMERA",),
    "nothing": (),
}


@needs_exiftool
def test_fast_scan_and_snapshot_agree(tmp_path: Path) -> None:
    files: dict[str, Path] = {}
    images = make_images(tmp_path / "made", len(_CASES), seed=5)
    for (name, args), p in zip(_CASES.items(), images):
        if args:
            exiftool(*args, p)
        files[name] = p
    for real in ("et_Canon.jpg", "et_PhotoMechanic.jpg"):  # real camera / editor files
        files[real] = shutil.copy(DATA / real, tmp_path / real)
    canon = shutil.copy(DATA / "et_Canon.jpg", tmp_path / "canon_placeholder.jpg")
    exiftool("-XMP-dc:Description-x-default=OLYMPUS DIGITAL CAMERA", canon)
    files["canon_placeholder"] = Path(canon)

    expected = {
        "description": "A heron in the reeds",
        "alt_and_description": "A grey heron standing in reeds",
        "placeholder_description": None,
        "placeholder_alt_real_description": "Two swans",
        "exif_camera_junk_only": None,
        "nothing": None,
        "canon_placeholder": None,
    }
    with MetadataWriter(journal_path=tmp_path / "journal.sqlite3") as writer:
        for name, p in files.items():
            on_disk = writer.read(p).caption
            assert fingerprint(p).disk_caption == on_disk, name
            if name in expected:
                assert on_disk == expected[name], name

