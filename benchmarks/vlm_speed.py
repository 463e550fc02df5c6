# SPDX-License-Identifier: GPL-3.0-or-later
"""Seconds per photo for `describe` with the real shapes of Florence-2-base and SmolVLM2-256M.

No weights can be downloaded here, so the models are the tiny builders' hub-shaped copies
(tests/tinymodels, `shape=`): the real dimensions, processors and token counts, random weights.
Random weights never choose the end token, so every answer runs the whole token budget: these
are worst-case decode lengths, and the figures are upper bounds for the same budget.

    python benchmarks/vlm_speed.py [--images 4] [--budget 32] [--modes float32 int8] [--batch 4]
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

SHAPES = (("florence2", "base"), ("smolvlm", "256m"))


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--images", type=int, default=4, help="sample photos to describe (default 4)")
    ap.add_argument("--budget", type=int, default=32, help="new tokens per answer (default 32)")
    ap.add_argument("--batch", type=int, default=4, help="images per model call (default 4)")
    ap.add_argument("--modes", nargs="+", default=["float32", "int8"], help="numeric modes to time")
    ap.add_argument("--device", default="cpu")
    ap.add_argument("--out", type=Path, default=None, help="where to keep the built models (default: a temp folder)")
    args = ap.parse_args()

    from altlens.core.captioning import Captioner, GenerationSettings
    from tests.tinymodels import build

    photos = sorted((ROOT / "tests" / "data" / "samples").glob("*.jpg"))
    photos = (photos * (args.images // len(photos) + 1))[: args.images]
    settings = GenerationSettings(strategy="greedy", num_beams=1)
    with tempfile.TemporaryDirectory() as tmp:
        root = args.out or Path(tmp)
        print(f"{'model':<22} {'mode':<9} {'batch':>5} {'budget':>6} {'s/photo':>8} {'load s':>7}")
        for family, shape in SHAPES:
            folder = root / f"{family}-{shape}"
            if not (folder / "config.json").is_file():
                build(family, folder, shape=shape)
            for mode in args.modes:
                cap = Captioner(folder, device=args.device, dtype=mode, batch_size=args.batch)
                info = cap.load()
                cap.describe(photos[:1], "alt", settings=settings, max_new_tokens=8)  # warm-up
                started = time.perf_counter()
                results = cap.describe(photos, "alt", settings=settings, max_new_tokens=args.budget)
                per = (time.perf_counter() - started) / len(photos)
                assert len(results) == len(photos)
                print(f"{family + '-' + shape:<22} {mode:<9} {args.batch:>5} {args.budget:>6} {per:>8.2f} {info.load_seconds:>7.1f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
