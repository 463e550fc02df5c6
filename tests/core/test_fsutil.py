# SPDX-License-Identifier: GPL-3.0-or-later
import pytest
from altlens.core import fsutil


def test_atomic_open_replaces_on_success(tmp_path):
    target = tmp_path / "out.csv"
    target.write_text("old", encoding="utf-8")
    with fsutil.atomic_open(target, "w", encoding="utf-8", newline="") as fh:
        fh.write("new")
        assert target.read_text(encoding="utf-8") == "old"  # not visible before the end
    assert target.read_text(encoding="utf-8") == "new"
    assert [p.name for p in tmp_path.iterdir()] == ["out.csv"]


def test_atomic_open_keeps_old_file_and_no_temp_on_failure(tmp_path):
    target = tmp_path / "out.bin"
    target.write_bytes(b"old")
    with pytest.raises(RuntimeError), fsutil.atomic_open(target, "wb") as fh:
        fh.write(b"half")
        raise RuntimeError("boom")
    assert target.read_bytes() == b"old"
    assert [p.name for p in tmp_path.iterdir()] == ["out.bin"]


def test_atomic_path_and_commit(tmp_path):
    target = tmp_path / "sub" / "w.bin"
    with fsutil.atomic_path(target) as tmp:
        assert tmp.parent == target.parent and tmp.name.startswith(".")
        tmp.write_bytes(b"x")
    assert target.read_bytes() == b"x"
    part = tmp_path / "sub" / "w.bin.part"
    part.write_bytes(b"y")
    fsutil.commit(part, target)
    assert target.read_bytes() == b"y" and not part.exists()


def test_atomic_open_refuses_read_modes(tmp_path):
    with pytest.raises(ValueError), fsutil.atomic_open(tmp_path / "x", "rb"):
        pass
