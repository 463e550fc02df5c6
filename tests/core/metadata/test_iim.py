# SPDX-License-Identifier: GPL-3.0-or-later
"""IPTC-IIM: written only where a block exists, as UTF-8 (legacy values converted, not cut),
with a current IPTCDigest."""

from __future__ import annotations

import subprocess
from pathlib import Path

from altlens.core.metadata import MetadataWriter, WriteRequest

from tests.core.metadata.conftest import make_jpeg
from tests.core.metadata.helpers import EXIFTOOL, cli_tag, cli_warnings

UTF8 = "\x1b%G"


def _iim(photo: Path, tag: str) -> str | None:
    return cli_tag(photo, f"IPTC:{tag}")


def test_legacy_block_gets_utf8_without_losing_values(data_copy, writer: MetadataWriter,
                                                      tmp_path: Path) -> None:
    photo = data_copy("et_PhotoMechanic.jpg")
    orig = data_copy("et_PhotoMechanic.jpg", "orig.jpg")
    writer.write(WriteRequest(photo, alt_text="alt", description="Ünïcode 中文 😀",
                              overwrite=True))
    assert _iim(photo, "Caption-Abstract") == "Ünïcode 中文 😀"
    out = subprocess.run([EXIFTOOL, "-b", "-n", "-IPTC:CodedCharacterSet", str(photo)],
                         capture_output=True, check=True).stdout
    assert out == UTF8.encode()
    assert _iim(photo, "Category") == "Category"  # over-long legacy value kept, not cut
    assert _iim(photo, "By-line") == "Photographer"
    w0, w1 = cli_warnings(orig, photo)
    assert [w for w in w1 if w not in w0] == []


def test_latin1_values_are_converted(data_copy, writer: MetadataWriter) -> None:
    photo = data_copy("et_PhotoMechanic.jpg")
    subprocess.run([EXIFTOOL, "-q", "-overwrite_original", "-charset", "iptc=Latin",
                    "-IPTC:By-line=Müller", "-IPTC:City=Zürich", str(photo)], check=True)
    assert b"M\xfcller" in photo.read_bytes()  # really Latin-1 on disk
    writer.write(WriteRequest(photo, alt_text="alt", description="Straße in 東京",
                              overwrite=True))
    assert _iim(photo, "By-line") == "Müller"
    assert _iim(photo, "City") == "Zürich"
    assert _iim(photo, "Caption-Abstract") == "Straße in 東京"
    assert b"M\xc3\xbcller" in photo.read_bytes()


def test_utf8_values_without_marker_are_not_double_encoded(data_copy,
                                                           writer: MetadataWriter) -> None:
    photo = data_copy("et_PhotoMechanic.jpg")
    subprocess.run([EXIFTOOL, "-q", "-overwrite_original", "-charset", "iptc=UTF8",
                    "-IPTC:By-line=Müller", str(photo)], check=True)
    assert _iim(photo, "By-line") == "MÃ¼ller"  # how a Latin reader sees it now
    writer.write(WriteRequest(photo, alt_text="alt", description="New caption", overwrite=True))
    assert _iim(photo, "By-line") == "Müller"
    assert photo.read_bytes().count(b"M\xc3\xbcller") == 1


def test_iptc_digest_stays_current(data_copy, writer: MetadataWriter) -> None:
    photo = data_copy("et_PhotoMechanic.jpg")
    subprocess.run([EXIFTOOL, "-q", "-overwrite_original", "-Photoshop:IPTCDigest=new",
                    str(photo)], check=True)
    writer.write(WriteRequest(photo, alt_text="alt", description="New caption",
                              overwrite=True))
    out = subprocess.run([EXIFTOOL, "-s3", "-Photoshop:IPTCDigest", "-File:CurrentIPTCDigest",
                          str(photo)], capture_output=True, text=True, check=True).stdout
    stored, current = out.split()
    assert stored == current
    assert not any("IPTCDigest" in w for w in cli_warnings(photo)[0])


def test_no_iim_block_is_created(tmp_path: Path, writer: MetadataWriter) -> None:
    photo = make_jpeg(tmp_path / "p.jpg")
    writer.write(WriteRequest(photo, alt_text="alt", description="caption"))
    out = subprocess.run([EXIFTOOL, "-IPTC:all", "-Photoshop:all", str(photo)],
                         capture_output=True, text=True, check=True).stdout
    assert out.strip() == ""
