# SPDX-License-Identifier: GPL-3.0-or-later
"""The library hands out its images page by page from one query: the same rows, in the same
order, as reading them all at once, with a first page of its own size."""

from __future__ import annotations

import os
from pathlib import Path

from altlens.core.library import Library

from tests.core.library_support import make_images


def test_pages_hold_every_image_in_order(tmp_path: Path) -> None:
    lib = Library(tmp_path / "lib.sqlite3")
    try:
        files = make_images(tmp_path / "photos", 23)
        lib.scan_folder(tmp_path / "photos", enqueue=None)
        os.remove(files[5])
        lib.scan_folder(tmp_path / "photos", enqueue=None)  # one is missing now
        pages = list(lib.image_pages(7, first=3, include_missing=False))
        assert [len(p) for p in pages] == [3, 7, 7, 5]
        paged = [r.path for page in pages for r in page]
        assert paged == [r.path for r in lib.images(include_missing=False)]
        assert Path(files[5]) not in {Path(p) for p in paged}
        everything = [r.path for page in lib.image_pages(10) for r in page]
        assert everything == [r.path for r in lib.images()] and len(everything) == 23
    finally:
        lib.close()
