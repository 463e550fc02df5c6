# SPDX-License-Identifier: GPL-3.0-or-later
"""Speed and memory per model family: `altlens caption --json --model DIR` against the
family's own transformers code (processor -> model.generate, as its model card shows it).

For each entry, a random-weight model with the real hub repository's shapes and file layout is
built once (tests/tinymodels, e.g. shape="hub"), and both sides caption the same 12 MP JPEGs,
each side in its own fresh process with this process's environment unchanged (no thread or
OpenMP settings added). Per side:

    ms per photo  = (wall(N photos) - wall(1 photo)) / (N - 1)
                    (process start, imports and model loading cancel out)
    peak RSS      = the N-photo process's VmHWM

Both sides decode the JPEGs; both use beam search with 4 beams, at most 16 new tokens and
generate()'s min_length=16, so random weights cannot end a caption early on one side only. The reference gets all
N photos in one processor + generate() call, as nlpconnect's card code does with a list of
paths (the BLIP and GIT cards caption one image; batching only makes the reference faster).

    python benchmarks/family_speed.py [--photos 4] [--entries vit-gpt2,blip-base,git-base-coco]
        [--entry LABEL=FAMILY:key=value,...] [--write]

A new family is one more entry: its module in tests/tinymodels with a shape option for its
hub dimensions, e.g. --entry florence2-base=florence2:shape=hub.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "scripts"))

RESULTS = REPO / "benchmarks" / "RESULTS.md"
HEADING = "# Per-family speed (`python benchmarks/family_speed.py`)"
BEAMS, NEW_TOKENS = 4, 16

# label -> (tests/tinymodels family, builder options giving the hub repository's dimensions)
ENTRIES: dict[str, tuple[str, dict[str, Any]]] = {
    "vit-gpt2": ("vision-encoder-decoder", {"shape": "hub"}),
    "blip-base": ("blip", {"shape": "hub"}),
    "blip-large": ("blip", {"shape": "hub-large"}),
    "git-base-coco": ("git", {"shape": "hub"}),
}
DEFAULT_ENTRIES = "vit-gpt2,blip-base,git-base-coco"
# generate()'s length keyword that means what AltLens's --max-length means for the family:
# VisionEncoderDecoder counts its start token in max_length (so does AltLens's adapter);
# the others get new tokens (AltLens passes max_new_tokens).
LENGTH_KEYWORD = {"vision-encoder-decoder": ("max_length", NEW_TOKENS)}


def parse_entry(text: str) -> tuple[str, tuple[str, dict[str, Any]]]:
    """LABEL=FAMILY[:key=value,...] (values are JSON where they parse, else strings)."""
    label, _, spec = text.partition("=")
    family, _, opts = spec.partition(":")
    if not label or not family:
        raise argparse.ArgumentTypeError(f"--entry wants LABEL=FAMILY[:key=value,...], not {text!r}")
    options: dict[str, Any] = {}
    for pair in filter(None, opts.split(",")):
        key, _, value = pair.partition("=")
        try:
            options[key] = json.loads(value)
        except ValueError:
            options[key] = value
    return label, (family, options)


# -- children: each side in its own process ---------------------------------------------


def _child(argv: list[str]) -> None:
    side, family, folder, *photos = argv
    if side == "altlens":
        from altlens.core.captioning.settings import GenerationSettings
        from altlens.core.cli import main as altlens_main

        # Random weights may end a caption at once on one side and not the other; both sides
        # get generate()'s min_length, so every photo costs the same number of steps (the
        # CLI has no such option: it only matters for benchmarks).
        from_options = GenerationSettings.from_options
        GenerationSettings.from_options = lambda **kw: from_options(**kw).with_(min_length=NEW_TOKENS)  # type: ignore[method-assign]

        code = altlens_main(["caption", "--json", "--model", folder, "--beams", str(BEAMS),
                             "--max-length", str(NEW_TOKENS), *photos])
        if code != 0:
            raise SystemExit(code)
    else:
        from PIL import Image

        from tests.tinymodels import FAMILIES

        images = [Image.open(p).convert("RGB") for p in photos]
        key, value = LENGTH_KEYWORD.get(family, ("max_new_tokens", NEW_TOKENS))
        FAMILIES[family].reference(Path(folder), images, {"num_beams": BEAMS, key: value, "min_length": NEW_TOKENS})
    print(json.dumps({"peak_rss_mb": _vmhwm_mb()}), file=sys.stderr)


def _vmhwm_mb() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def run_side(side: str, family: str, folder: Path, photos: list[Path]) -> tuple[float, float]:
    """(wall seconds, peak RSS MB) of one fresh process captioning `photos`."""
    cmd = [sys.executable, str(Path(__file__).resolve()), "--child", side, family, str(folder), *map(str, photos)]
    started = time.perf_counter()
    proc = subprocess.run(cmd, capture_output=True, text=True, env=dict(os.environ), check=False)
    wall = time.perf_counter() - started
    if proc.returncode != 0:
        raise RuntimeError(f"{side} on {folder.name} failed ({proc.returncode}): {proc.stderr[-3000:]}")
    if side == "altlens":
        errors = [r["error"] for r in map(json.loads, proc.stdout.splitlines()) if r["error"]]
        if errors:
            raise RuntimeError(f"altlens could not caption every photo: {errors[:2]}")
    peak = json.loads(proc.stderr.strip().splitlines()[-1])["peak_rss_mb"]
    return wall, peak


# -- the table ---------------------------------------------------------------------------


def measure(label: str, family: str, options: dict[str, Any], workdir: Path, photos: list[Path]) -> dict[str, Any]:
    from tests.tinymodels import build

    folder = workdir / label
    if not (folder / "config.json").is_file():
        t = time.perf_counter()
        build(family, folder, seed=0, **options)
        print(f"  built {label} in {time.perf_counter() - t:.0f} s", flush=True)
    row: dict[str, Any] = {"label": label, "family": family, "options": options}
    # Sides alternate so a change in the machine's load hits both.
    for side in ("reference", "altlens"):
        one, _ = run_side(side, family, folder, photos[:1])
        many, peak = run_side(side, family, folder, photos)
        row[side] = {"ms_per_photo": 1000 * (many - one) / (len(photos) - 1), "peak_rss_mb": peak,
                     "wall_1_s": one, "wall_n_s": many}
        print(f"  {label} {side}: {row[side]['ms_per_photo']:.0f} ms/photo, {peak:.0f} MB", flush=True)
    return row


def table(rows: list[dict[str, Any]], n: int, load: tuple[str, str], mode_of: dict[str, str]) -> list[str]:
    import platform

    import torch

    lines = [
        HEADING, "",
        f"Machine: {platform.machine()}, {os.cpu_count()} logical CPUs shared with other work (load average "
        f"{load[0]} before, {load[1]} after: figures are noisy), torch {torch.__version__}, default environment "
        f"(OMP_NUM_THREADS={os.environ.get('OMP_NUM_THREADS', 'unset')}).",
        f"Random weights with each hub repository's shapes and files; {n} 4032x3024 JPEGs; beam {BEAMS}, at most "
        f"{NEW_TOKENS} new tokens, min_length {NEW_TOKENS}; each side in its own process; ms/photo = (wall(N) - wall(1)) / (N - 1).",
        "", "| model (family) | AltLens mode | AltLens ms/photo | reference ms/photo | speed-up | AltLens peak MB | reference peak MB |",
        "|---|---|---:|---:|---:|---:|---:|",
    ]
    for r in rows:
        a, ref = r["altlens"], r["reference"]
        lines.append(
            f"| {r['label']} ({r['family']}) | {mode_of[r['family']]} | {a['ms_per_photo']:.0f} | {ref['ms_per_photo']:.0f} "
            f"| {ref['ms_per_photo'] / a['ms_per_photo']:.2f}x | {a['peak_rss_mb']:.0f} | {ref['peak_rss_mb']:.0f} |"
        )
    lines += ["", "Reference = the family's own code from tests/tinymodels (processor -> model.generate, all photos "
              "in one call). AltLens = `altlens caption --json --model DIR --beams 4 --max-length 16`, whose `auto` "
              "mode is the column shown (faster CPU modes only for families proven on a trained model).", ""]
    return lines


def main() -> None:
    if len(sys.argv) > 1 and sys.argv[1] == "--child":
        _child(sys.argv[2:])
        return
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    ap.add_argument("--photos", type=int, default=4, help="photos per run (at least 2)")
    ap.add_argument("--entries", default=DEFAULT_ENTRIES, help=f"comma-separated labels from {', '.join(ENTRIES)}")
    ap.add_argument("--entry", action="append", type=parse_entry, default=[], metavar="LABEL=FAMILY:k=v,...",
                    help="another model, e.g. florence2-base=florence2:shape=hub")
    ap.add_argument("--workdir", type=Path, default=Path(tempfile.gettempdir()) / "altlens-family-speed")
    ap.add_argument("--write", action="store_true", help=f"replace the section '{HEADING}' in {RESULTS.name}")
    args = ap.parse_args()
    if args.photos < 2:
        ap.error("--photos must be at least 2")
    entries = {k: ENTRIES[k] for k in filter(None, args.entries.split(","))}
    entries.update(dict(args.entry))

    from caption_speed import make_photos  # the 12 MP JPEGs caption_speed.py uses

    from altlens.core.captioning.numerics import resolve_mode

    photos = [p for p, _ in make_photos(args.workdir / "photos", args.photos, seed=5, noise=6.0)]
    load_before = "%.1f/%.1f/%.1f" % os.getloadavg()
    rows = []
    for label, (family, options) in entries.items():
        print(f"{label}: {family} {options}", flush=True)
        rows.append(measure(label, family, options, args.workdir, photos))
    load_after = "%.1f/%.1f/%.1f" % os.getloadavg()
    modes = {r["family"]: resolve_mode("auto", "cpu", r["family"]) for r in rows}
    text = table(rows, len(photos), (load_before, load_after), modes)
    print("\n".join(text))
    if args.write:
        old = RESULTS.read_text(encoding="utf-8") if RESULTS.exists() else ""
        head, sep, tail = old.partition(HEADING)
        if sep:  # replace our section, keep whatever follows it
            nxt = tail.find("\n# ")
            tail = tail[nxt + 1:] if nxt >= 0 else ""
            RESULTS.write_text(head + "\n".join(text) + ("\n" + tail if tail else ""), encoding="utf-8")
        else:
            RESULTS.write_text(old.rstrip("\n") + "\n\n" + "\n".join(text), encoding="utf-8")


if __name__ == "__main__":
    main()
