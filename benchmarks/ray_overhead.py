#!/usr/bin/env python
# SPDX-License-Identifier: GPL-3.0-or-later
"""What running on Ray costs on one machine: the same photos, model and settings through
`altlens caption` and through `altlens batch` (a local Ray started by the command), each as the
user's command in its own process, timed from process start to exit.

    python benchmarks/ray_overhead.py                      # 200 12 MP photos, nlpconnect-shaped model
    python benchmarks/ray_overhead.py --model toy --photos 200 --size 640x480   # fixed costs dominate

Prints the wall time and images/s of each side and the ratio batch/caption (the issue's goal:
batch at least 0.85 of caption's throughput on 2 cores), plus whether both gave the same
captions (same engine, same settings, same batches of 8: they should). Ray's start (~4-5 s
here), the actor's own start and the fingerprint of every file are on batch's side of the
ledger; model loading is on both.

Photos and the model are built once and cached in --work. The machine may be shared: the load
average is printed before and after each run; with --rounds > 1 the sides alternate, and the
ratio of the medians is printed.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "scripts"))
sys.path.insert(0, str(REPO / "benchmarks"))
ALTLENS = [sys.executable, "-m", "altlens.core"]  # `altlens` without the GUI entry point: same code path


def load_avg() -> str:
    return "/".join(f"{x:.2f}" for x in os.getloadavg())


def photos(work: Path, n: int, size: tuple[int, int]) -> Path:
    """`n` JPEGs of toy scenes with sensor-like noise (camera-sized files at 12 MP)."""
    import caption_speed

    folder = work / f"photos-{size[0]}x{size[1]}"
    caption_speed.PHOTO_SIZE = size
    made = caption_speed.make_photos(folder, n, seed=16, noise=8.0)
    keep = {p for p, _ in made}
    for p in folder.glob("*.jpg"):  # a cache built for more photos: only the first n take part
        if p not in keep:
            p.unlink()
    return folder


def model(work: Path, which: str) -> Path:
    if which == "toy":
        return REPO / "tests" / "models" / "toy-captioner"
    if which == "shaped":
        from make_nlpconnect_shaped import build

        folder = work / "nlpconnect-shaped"
        if not (folder / "model.safetensors").is_file():
            print(f"building the nlpconnect-shaped model in {folder} ...", flush=True)
            build(folder)
        return folder
    return Path(which)


def timed(cmd: list[str], stdout: Path) -> tuple[float, str]:
    before = load_avg()
    start = time.perf_counter()
    with open(stdout, "w") as fh:
        proc = subprocess.run(cmd, stdout=fh, stderr=subprocess.PIPE, text=True, cwd=REPO)
    seconds = time.perf_counter() - start
    # 1 = no image got a caption: the random-weight model's text is noise that cleans up to
    # nothing ("empty-caption" rows), after the same full decoding (every caption runs to
    # max_length either way; checked against min_length=max_length). The rows are counted below.
    if proc.returncode not in (0, 1):
        sys.exit(f"failed ({proc.returncode}): {' '.join(cmd)}\n{proc.stderr[-3000:]}")
    tail = [line for line in proc.stderr.splitlines() if line.startswith("altlens batch:")]
    return seconds, f"load {before} -> {load_avg()}" + (f"; {tail[-1]}" if tail else "")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--photos", type=int, default=200)
    ap.add_argument("--size", default="4032x3024", help="photo size WxH (default: 12 MP)")
    ap.add_argument("--model", default="shaped", help="shaped (random weights, nlpconnect shapes), toy, or a folder")
    ap.add_argument("--rounds", type=int, default=1)
    ap.add_argument("--work", type=Path, default=Path(tempfile.gettempdir()) / "altlens-ray-bench")
    ap.add_argument("--extra", default="", help="options for both commands, e.g. '--dtype int8 --beams 4'")
    a = ap.parse_args()
    size = tuple(int(v) for v in a.size.lower().split("x"))
    a.work.mkdir(parents=True, exist_ok=True)
    src = photos(a.work, a.photos, size)  # type: ignore[arg-type]
    m = model(a.work, a.model)
    common = ["--model", str(m), "--device", "cpu", *a.extra.split()]
    print(f"# altlens caption vs altlens batch (local Ray), {a.photos} photos {size[0]}x{size[1]}, model {a.model}, "
          f"{os.cpu_count()} CPUs, load {load_avg()}", flush=True)

    times: dict[str, list[float]] = {"caption": [], "batch": []}
    for r in range(a.rounds):
        out = a.work / "batch-out"
        shutil.rmtree(out, ignore_errors=True)  # else the rerun would skip every photo
        sides = {
            "caption": [*ALTLENS, "caption", "-r", "-q", "--json", str(src), *common],
            "batch": [*ALTLENS, "batch", str(src), "--out", str(out), "--format", "jsonl", *common],
        }
        for side in (["caption", "batch"] if r % 2 == 0 else ["batch", "caption"]):
            seconds, note = timed(sides[side], a.work / f"{side}.stdout")
            times[side].append(seconds)
            print(f"round {r + 1} {side:7}: {seconds:7.1f} s, {a.photos / seconds:6.2f} images/s ({note})", flush=True)
        plain = [json.loads(line) for line in (a.work / "caption.stdout").read_text().splitlines()]
        by_path = {os.path.abspath(row["path"]): row for row in plain}
        ray_rows = [json.loads(line) for part in out.glob("part-*.jsonl") for line in part.read_text().splitlines()]
        def outcome(row: dict) -> tuple[str | None, str | None]:
            return row["caption"], (row["error"] or {}).get("code")

        same = sum(outcome(row) == outcome(by_path[row["path"]]) for row in ray_rows if row["path"] in by_path)
        errors = Counter((row["error"] or {}).get("code") for row in ray_rows if row["error"])
        print(f"round {r + 1} check: caption printed {len(plain)} results, batch wrote {len(ray_rows)} rows, {same} "
              f"with the same caption or error as `altlens caption`; batch errors: {dict(errors) or 'none'}", flush=True)

    c, b = statistics.median(times["caption"]), statistics.median(times["batch"])
    print(f"\nplain `altlens caption`: {c:.1f} s ({a.photos / c:.2f} images/s); `altlens batch` on local Ray: {b:.1f} s "
          f"({a.photos / b:.2f} images/s)")
    print(f"throughput ratio batch/caption = {c / b:.3f} (goal >= 0.85); Ray's overhead = {b - c:+.1f} s")


if __name__ == "__main__":
    main()
