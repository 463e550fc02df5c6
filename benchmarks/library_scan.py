# SPDX-License-Identifier: GPL-3.0-or-later
"""What the library costs on a folder of photos: first scan (every file hashed), a rescan of
an unchanged folder (one stat per file), and the content hash per container family.

    python benchmarks/library_scan.py [--files 2000] [--size 1600x1200] [--corpus DIR]

Prints one JSON object. Numbers depend on the disk and its cache: the first scan here reads
files the page cache already holds (they were just written), so it measures hashing, not disk.
"""

from __future__ import annotations

import argparse
import json
import random
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(REPO), str(REPO / "scripts")]

from altlens.core.fingerprint import fingerprint  # noqa: E402
from altlens.core.library import Library  # noqa: E402


def _make(folder: Path, n: int, size: tuple[int, int]) -> list[Path]:
    from toy_scenes import draw_scene

    rng = random.Random(0)
    base, _ = draw_scene(rng, size)
    out = []
    for i in range(n):
        im = base.copy()
        im.putpixel((0, 0), (i % 256, i // 256 % 256, 0))  # unique pixels, cheap to make
        p = folder / f"photo_{i:05d}.jpg"
        im.save(p, quality=88)
        out.append(p)
    return out


def _per_file_ms(paths: list[Path], repeat: int = 3) -> float:
    times = []
    for _ in range(repeat):
        t = time.perf_counter()
        for p in paths:
            fingerprint(p)
        times.append((time.perf_counter() - t) / len(paths) * 1000)
    return round(statistics.median(times), 3)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--files", type=int, default=2000)
    ap.add_argument("--size", default="1600x1200")
    ap.add_argument("--corpus", type=Path, default=REPO.parent / "shared" / "corpus")
    args = ap.parse_args()
    w, h = map(int, args.size.split("x"))
    out: dict[str, object] = {"files": args.files, "size": args.size}
    with tempfile.TemporaryDirectory(prefix="altlens-bench-") as tmp:
        root = Path(tmp)
        photos = root / "photos"
        photos.mkdir()
        paths = _make(photos, args.files, (w, h))
        out["mb_on_disk"] = round(sum(p.stat().st_size for p in paths) / 1e6, 1)
        with Library(root / "lib.sqlite3") as lib:
            t = time.perf_counter()
            lib.scan_folder(photos)
            out["first_scan_s"] = round(time.perf_counter() - t, 2)
            t = time.perf_counter()
            lib.scan_folder(photos)
            out["rescan_unchanged_s"] = round(time.perf_counter() - t, 3)
            t = time.perf_counter()
            for _ in range(20):
                lib.counts()
            out["counts_ms"] = round((time.perf_counter() - t) / 20 * 1000, 2)
            t = time.perf_counter()
            for r in lib.images()[:200]:
                lib.approve(r.path, "A toy scene")
            out["approve_ms_each"] = round((time.perf_counter() - t) / 200 * 1000, 2)
            t = time.perf_counter()
            for _ in range(20):
                lib.search("toy scene")
            out["search_ms"] = round((time.perf_counter() - t) / 20 * 1000, 2)
        hashing: dict[str, float] = {}
        if args.corpus.is_dir():
            for name in (
                "animal_bird_6028x3391_camera_exif.jpg",
                "animal_cat_chelsea.png",
                "animated_42frames.webp",
                "multipage_3pages.tiff",
                "street_town_riverside.heic",
            ):
                src = args.corpus / name
                if src.is_file():
                    dst = root / name
                    shutil.copy(src, dst)
                    hashing[f"{name} ({src.stat().st_size // 1024} KiB)"] = _per_file_ms([dst])
        out["content_hash_ms"] = hashing
    print(json.dumps(out, indent=1))


if __name__ == "__main__":
    main()
