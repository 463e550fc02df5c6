# SPDX-License-Identifier: GPL-3.0-or-later
"""Never overwrite a person's text: only empty fields, camera junk and AltLens's own earlier
text are filled unless overwrite is asked for; provenance tells them apart."""

from __future__ import annotations

import subprocess
from pathlib import Path

from altlens.core.metadata import MetadataWriter, Profile, WriteRequest
from altlens.core.metadata.fields import is_placeholder

from tests.core.metadata.conftest import make_jpeg
from tests.core.metadata.helpers import EXIFTOOL, cli_tag, cli_write, sha256


def test_camera_junk_is_replaced(tmp_path: Path, writer: MetadataWriter) -> None:
    photo = make_jpeg(tmp_path / "p.jpg")
    cli_write(photo, "-IFD0:ImageDescription=OLYMPUS DIGITAL CAMERA         ")
    snap = writer.read(photo)
    assert snap.description is None  # junk counts as empty
    assert any(f.placeholder for f in snap.fields)
    result = writer.write(WriteRequest(photo, alt_text="A lake at dawn"))
    assert cli_tag(photo, "IFD0:ImageDescription") == "A lake at dawn"
    assert not result.skipped


def test_placeholders() -> None:
    for junk in ("", "   ", "SONY DSC", "OLYMPUS DIGITAL CAMERA   ", "IMG_1234", "DSC_0001.JPG",
                 "Created with GIMP", "\x00\x00", "????"):
        assert is_placeholder(junk), junk
    assert is_placeholder("Canon EOS 5D", make="Canon", model="Canon EOS 5D")
    for text in ("Grandma at the lake", "SONY DSC at the beach", "Photo of a cat"):
        assert not is_placeholder(text), text


def test_person_text_is_kept_unless_overwrite(tmp_path: Path, writer: MetadataWriter) -> None:
    photo = make_jpeg(tmp_path / "p.jpg")
    cli_write(photo, "-XMP-dc:Description-x-default=Our first holiday")
    before = sha256(photo)
    plan = writer.preview(WriteRequest(photo, alt_text="A beach with two people"))
    assert [c.field for c in plan.changes] == ["XMP-iptcCore:AltTextAccessibility"]
    kept = {s.field for s in plan.skipped}
    assert {"XMP-dc:Description", "IFD0:ImageDescription"} <= kept
    assert sha256(photo) == before  # preview writes nothing
    writer.write(WriteRequest(photo, alt_text="A beach with two people"))
    assert cli_tag(photo, "XMP-dc:Description") == "Our first holiday"
    assert cli_tag(photo, "IFD0:ImageDescription") is None  # no second, different caption
    assert cli_tag(photo, "XMP-iptcCore:AltTextAccessibility") == "A beach with two people"
    writer.write(WriteRequest(photo, alt_text="A beach", overwrite=True))
    assert cli_tag(photo, "XMP-dc:Description") == "A beach"
    assert cli_tag(photo, "IFD0:ImageDescription") == "A beach"


def test_altlens_text_is_fillable_until_someone_edits_it(tmp_path: Path,
                                                        writer: MetadataWriter) -> None:
    photo = make_jpeg(tmp_path / "p.jpg")
    writer.write(WriteRequest(photo, alt_text="A dog", model="org/captioner-1"))
    snap = writer.read(photo)
    assert snap.alt_text is not None and snap.alt_text.by_altlens
    assert snap.provenance is not None and snap.provenance.machine_suggested
    assert snap.provenance.model == "org/captioner-1" and snap.provenance.reviewed
    # AltLens may replace its own text without `overwrite`
    result = writer.write(WriteRequest(photo, alt_text="A brown dog", model="org/captioner-2",
                                       edited=True))
    assert {c.field for c in result.changes} == {
        "XMP-iptcCore:AltTextAccessibility", "IFD0:ImageDescription", "XMP-dc:Description"}
    # another program changes the caption: from now on it is a person's text
    cli_write(photo, "-XMP-dc:Description-x-default=Rex, our dog")
    result = writer.write(WriteRequest(photo, alt_text="A dog on grass"))
    assert cli_tag(photo, "XMP-dc:Description") == "Rex, our dog"
    assert cli_tag(photo, "XMP-iptcCore:AltTextAccessibility") == "A dog on grass"
    assert any(s.field == "XMP-dc:Description" for s in result.skipped)
    # provenance: the still-AltLens alt text is listed, the edited caption is not
    snap = writer.read(photo)
    assert snap.provenance is not None
    assert "XMP-iptcCore:AltTextAccessibility" in snap.provenance.fields
    assert "XMP-dc:Description" not in snap.provenance.fields


def test_same_text_writes_nothing(tmp_path: Path, writer: MetadataWriter) -> None:
    photo = make_jpeg(tmp_path / "p.jpg")
    writer.write(WriteRequest(photo, alt_text="A tree"))
    before = sha256(photo)
    result = writer.write(WriteRequest(photo, alt_text="A tree"))
    assert result.changes == () and result.journal_id is None
    assert sha256(photo) == before


def test_other_languages_stay(tmp_path: Path, writer: MetadataWriter) -> None:
    photo = make_jpeg(tmp_path / "p.jpg")
    cli_write(photo, "-XMP-dc:Description-de=Ein Hund", "-XMP-dc:Title-fr=Un chien")
    result = writer.write(WriteRequest(photo, alt_text="A dog", title="Dog"))
    assert cli_tag(photo, "XMP-dc:Description") == "A dog"
    assert cli_tag(photo, "XMP-dc:Description-de") == "Ein Hund"
    assert cli_tag(photo, "XMP-dc:Title-fr") == "Un chien"
    assert cli_tag(photo, "XMP-dc:Title") == "Dog"
    assert any("other languages (de)" in w for w in result.warnings)


def test_xp_tags_follow_profile(tmp_path: Path, writer: MetadataWriter) -> None:
    plain = make_jpeg(tmp_path / "plain.jpg")
    writer.write(WriteRequest(plain, alt_text="A boat"))
    assert cli_tag(plain, "XPComment") is None  # standard profile adds no XP tags
    win = make_jpeg(tmp_path / "win.jpg")
    writer.write(WriteRequest(win, alt_text="A boat", description="Boat at sea",
                              profile=Profile.WINDOWS))
    assert cli_tag(win, "XPTitle") == "Boat at sea"
    assert cli_tag(win, "XPComment") == "A boat"
    # standard keeps XP tags that exist in step with the rest (AltLens wrote them)
    writer.write(WriteRequest(win, alt_text="A red boat", description="Red boat at sea"))
    assert cli_tag(win, "XPTitle") == "Red boat at sea"
    assert cli_tag(win, "XPComment") == "A red boat"


def test_provenance_is_readable_by_plain_exiftool(tmp_path: Path,
                                                   writer: MetadataWriter) -> None:
    photo = make_jpeg(tmp_path / "p.jpg")
    writer.write(WriteRequest(photo, alt_text="A cat", model="org/cat-model", edited=True))
    # no -config: any ExifTool shows AltLens's namespace
    out = subprocess.run([EXIFTOOL, "-s", "-XMP-altlens:all", str(photo)], capture_output=True,
                         text=True, check=True).stdout
    shown = {k.strip(): v.strip() for k, v in (line.split(":", 1) for line in out.splitlines())}
    assert shown["MachineSuggested"] == "True"
    assert shown["CaptionModel"] == "org/cat-model"
    assert shown["Reviewed"] == "True"
    assert shown["Edited"] == "True"
    assert "WrittenAt" in shown and "TextDigests" in shown
    xmp = subprocess.run([EXIFTOOL, "-b", "-XMP", str(photo)], capture_output=True,
                         check=True).stdout
    assert b"xmlns:altlens='https://altlens.app/ns/1.0/'" in xmp


def test_person_written_text_is_recorded_as_such(tmp_path: Path,
                                                 writer: MetadataWriter) -> None:
    photo = make_jpeg(tmp_path / "p.jpg")
    writer.write(WriteRequest(photo, alt_text="Typed by me"))  # no model: a person's text
    snap = writer.read(photo)
    assert snap.provenance is not None
    assert snap.provenance.machine_suggested is False and snap.provenance.model is None
