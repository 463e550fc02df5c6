# SPDX-License-Identifier: GPL-3.0-or-later
"""Text round-trips exactly: XML specials, quotes, line breaks, RTL, CJK, emoji, very long
text, and text that would trip a JSON or argument-file layer."""

from __future__ import annotations

from pathlib import Path

import pytest
from altlens.core.metadata import MetadataWriter, Profile, WriteRequest
from altlens.core.metadata.fields import truncate_utf8, xp_safe

from tests.core.metadata.conftest import make_jpeg
from tests.core.metadata.helpers import cli_dumps, cli_tag, exiv2_fields, value_of

TEXTS = {
    "xml": '<b>bold</b> & "quoted" \'single\' &amp; ]]> <!-- x -->',
    "lines": "first line\nsecond line\r\nthird\rfourth\n\ttabbed\n",
    "spaces": "  leading and trailing spaces  ",
    "rtl": "\u05e9\u05dc\u05d5\u05dd \u0645\u0631\u062d\u0628\u0627 \u200fmixed LTR text\u200f",
    "cjk": "\u732b\u304c\u5ea7\u3063\u3066\u3044\u308b\u3002\u4e00\u53ea\u732b\u3002"
    "\uace0\uc591\uc774",
    "emoji": "\U0001f408\u200d\u2b1b cat, \U0001f469\U0001f3fd\u200d\U0001f52c, "
    "flags \U0001f1e9\U0001f1ea",
    "combining": "e\u0301 n\u0303 \u0915\u094d\u0937",
    "json-ish": "True",
    "number": "1.50",
    "base64": "base64:SGVsbG8=",
    "argfile": "#not a comment\n-execute\n-stay_open\nFalse\n{ready1}",
    "backslash": "C:\\new\\table \\n is not a newline \\",
    "assign": "a = b= c ;$HOME ${x} @list",
    "long": ("A very long description. " * 800) + "\U0001f600",
}


@pytest.fixture(scope="module")
def mwriter(tmp_path_factory: pytest.TempPathFactory):
    from altlens.core.metadata.exiftool import ExifTool, config_file

    home = tmp_path_factory.mktemp("text-home")
    w = MetadataWriter(exiftool=ExifTool(config_path=config_file(home)),
                       journal_path=home / "journal.sqlite3")
    yield w
    w.close()
    w.exiftool.close()


@pytest.mark.parametrize("name", list(TEXTS))
def test_jpeg_round_trip(name: str, tmp_path: Path, mwriter: MetadataWriter) -> None:
    text = TEXTS[name]
    if name == "lines":  # stored as LF: XMP (XML) reads CR and CRLF back as LF
        text = text.replace("\r\n", "\n").replace("\r", "\n")
    photo = make_jpeg(tmp_path / "p.jpg")
    mwriter.write(WriteRequest(photo, alt_text=TEXTS[name], description=TEXTS[name],
                               long_description=TEXTS[name], title=TEXTS[name]))
    snap = mwriter.read(photo)
    for role in ("alt_text", "description", "long_description", "title"):
        assert snap.text(role) == text, role
    # exact bytes, from a separate exiftool process
    for tag in ("XMP-iptcCore:AltTextAccessibility", "XMP-dc:Description",
                "IFD0:ImageDescription", "XMP-iptcCore:ExtDescrAccessibility", "XMP-dc:Title"):
        assert cli_tag(photo, tag) == text, tag
    if name == "long":
        return  # its XMP is split into Extended XMP, which Exiv2 does not read
    second = exiv2_fields(photo)
    assert second is not None
    assert second["Xmp.dc.description"] == text
    assert second["Xmp.iptc.AltTextAccessibility"] == text


@pytest.mark.parametrize("kind", ["png", "webp", "tiff"])
def test_other_containers(kind: str, tmp_path: Path, mwriter: MetadataWriter) -> None:
    from PIL import Image

    text = TEXTS["emoji"] + "\n" + TEXTS["xml"] + TEXTS["spaces"]
    photo = tmp_path / f"p.{kind}"
    Image.linear_gradient("L").convert("RGB").save(photo)  # WebP: a simple VP8 file
    mwriter.write(WriteRequest(photo, alt_text=text))
    (dump,) = cli_dumps(photo)
    assert value_of(dump, "XMP-iptcCore:AltTextAccessibility") == text
    assert value_of(dump, "XMP-dc:Description") == text
    assert value_of(dump, "IFD0:ImageDescription") == text
    with Image.open(photo) as im:
        im.load()


def test_iim_copy_is_cut_at_a_character_boundary(data_copy, mwriter: MetadataWriter) -> None:
    photo = data_copy("et_PhotoMechanic.jpg")
    text = "\u00e9" * 999 + "\U0001f600" + "tail"  # 1998 + 4 + 4 bytes
    result = mwriter.write(WriteRequest(photo, alt_text="alt", description=text,
                                        overwrite=True))
    iim = cli_tag(photo, "IPTC:Caption-Abstract")
    assert iim == "\u00e9" * 999  # the emoji would cross 2000 bytes: cut before it
    assert len(iim.encode()) <= 2000
    assert cli_tag(photo, "XMP-dc:Description") == text
    assert cli_tag(photo, "IFD0:ImageDescription") == text
    assert any("2000 bytes" in w for w in result.warnings)


def test_windows_profile_xp_tags(tmp_path: Path, mwriter: MetadataWriter) -> None:
    photo = make_jpeg(tmp_path / "p.jpg")
    result = mwriter.write(WriteRequest(photo, alt_text="A cat \U0001f408 on a mat",
                                        description="Caption \u732b", profile=Profile.WINDOWS))
    assert cli_tag(photo, "XPTitle") == "Caption \u732b"
    assert cli_tag(photo, "XPComment") == "A cat \ufffd on a mat"  # UCS-2 cannot hold it
    assert cli_tag(photo, "XMP-iptcCore:AltTextAccessibility") == "A cat \U0001f408 on a mat"
    assert any("emoji" in w for w in result.warnings)


def test_control_characters_are_refused() -> None:
    with pytest.raises(ValueError):
        WriteRequest(Path("x.jpg"), alt_text="bell \x07")
    with pytest.raises(ValueError):
        WriteRequest(Path("x.jpg"), alt_text="   ")


def test_truncate_utf8_and_xp_safe() -> None:
    assert truncate_utf8("abc", 10) == "abc"
    assert truncate_utf8("a\u00e9", 2) == "a"
    assert truncate_utf8("e\u0301x", 2) == ""  # never strip the accent off its letter
    assert truncate_utf8("ab\U0001f600", 5) == "ab"
    assert xp_safe("a\U0001f600b\u00e9") == "a\ufffdb\u00e9"
