# SPDX-License-Identifier: GPL-3.0-or-later
"""Fixtures of the metadata tests. They use the real ExifTool; where it is missing they are
skipped locally and fail in CI (CI=true), so a broken install cannot pass silently."""

from __future__ import annotations

import os
import shutil
import stat
from collections.abc import Iterator
from pathlib import Path

import pytest
from altlens.core.metadata import MetadataWriter

DATA = Path(__file__).resolve().parents[2] / "data"


@pytest.fixture(scope="session", autouse=True)
def _exiftool_installed() -> None:
    if shutil.which("exiftool") is None:
        msg = "ExifTool is not installed (apt install libimage-exiftool-perl)"
        if os.environ.get("CI"):
            pytest.fail(msg)
        pytest.skip(msg)


@pytest.fixture
def writer() -> Iterator[MetadataWriter]:
    w = MetadataWriter()
    try:
        yield w
    finally:
        w.close()


def copy_in(src: Path, folder: Path, name: str | None = None) -> Path:
    """A writable copy (corpus files are read-only)."""
    folder.mkdir(parents=True, exist_ok=True)
    dst = folder / (name or src.name)
    shutil.copyfile(src, dst)
    os.chmod(dst, stat.S_IRUSR | stat.S_IWUSR | stat.S_IRGRP | stat.S_IROTH)
    return dst


@pytest.fixture
def data_copy(tmp_path: Path):
    """copy of a file from tests/data into a fresh folder."""

    def make(name: str, new_name: str | None = None) -> Path:
        return copy_in(DATA / name, tmp_path / "photos", new_name)

    return make


def make_jpeg(path: Path, size: tuple[int, int] = (64, 48), *, exif: bool = True) -> Path:
    from PIL import Image

    im = Image.linear_gradient("L").resize(size).convert("RGB")
    kwargs = {}
    if exif:
        e = Image.Exif()
        e[0x010F] = "TestMake"
        e[0x0110] = "TestModel"
        kwargs["exif"] = e.tobytes()
    path.parent.mkdir(parents=True, exist_ok=True)
    im.save(path, "JPEG", quality=85, **kwargs)
    return path
