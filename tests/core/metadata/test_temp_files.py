# SPDX-License-Identifier: GPL-3.0-or-later
"""Stale temp files from a crash are removed, live ones are not; watchers can spot them."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

from altlens.core.metadata import MetadataWriter, WriteRequest, clean_stale_temp_files, files, is_temp_file

from tests.core.metadata.conftest import make_jpeg

OLD = time.time() - 3 * 3600


def _touch(path: Path, when: float | None = None) -> Path:
    path.write_bytes(b"partial")
    if when is not None:
        os.utime(path, (when, when))
    return path


def test_clean_stale_temp_files(tmp_path: Path) -> None:
    sleeper = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(30)"])
    try:
        dead = _touch(tmp_path / ".a.jpg.altlens-tmp-999999999-0badc0de")
        dead_xmp = _touch(tmp_path / ".a.cr2.xmp.altlens-tmp-999999999-0badc0de.xmp")
        live = _touch(tmp_path / f".b.jpg.altlens-tmp-{sleeper.pid}-12345678.jpg")
        live_old = _touch(tmp_path / f".c.jpg.altlens-tmp-{sleeper.pid}-12345678", OLD)
        et_old = _touch(tmp_path / "d.jpg_exiftool_tmp", OLD)
        et_new = _touch(tmp_path / "e.jpg_exiftool_tmp")
        mine = files.temp_path(tmp_path / "f.jpg")
        _touch(mine)
        photo = _touch(tmp_path / "photo.jpg", OLD)
        removed = set(clean_stale_temp_files(tmp_path))
        assert removed == {dead, dead_xmp, live_old, et_old}
        assert live.exists() and et_new.exists() and mine.exists() and photo.exists()
        files.release_temp(mine)
        assert not mine.exists()
    finally:
        sleeper.kill()
        sleeper.wait()


def test_writer_cleans_a_folder_before_writing_there(tmp_path: Path,
                                                     writer: MetadataWriter) -> None:
    photo = make_jpeg(tmp_path / "p.jpg")
    stale = _touch(tmp_path / ".p.jpg.altlens-tmp-999999999-0badc0de.jpg")
    writer.write(WriteRequest(photo, alt_text="x"))
    assert not stale.exists()
    assert writer.removed_temp_files == [stale]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["p.jpg"]


def test_is_temp_file() -> None:
    assert is_temp_file("/x/.IMG_1.JPG.altlens-tmp-12-0123abcd")
    assert is_temp_file("/x/.IMG_1.JPG.altlens-tmp-12-0123abcd.JPG")
    assert is_temp_file("IMG_1.JPG_exiftool_tmp")
    assert not is_temp_file("/x/IMG_1.JPG")
    assert not is_temp_file("/x/.hidden.jpg")
