#!/usr/bin/env python
# SPDX-License-Identifier: GPL-3.0-or-later
"""Whole processes, as a user runs them: the model card's code against `altlens caption`.

    python benchmarks/cli_speed.py              # 3 alternating rounds, prints the table
    python benchmarks/cli_speed.py --runs 5 --write   # also writes benchmarks/CLI_RESULTS.md

Each side is a separate process started from a clean slate, timed from the parent, start-up
included:
- reference: benchmarks/model_card_reference.py, the model card's code copied verbatim (full
  decode, ViTImageProcessor, `generate(max_length=16, num_beams=4)`, one photo per call,
  float32), run by this Python with this process's environment untouched (no thread or OpenMP
  settings);
- AltLens: the `altlens` executable installed next to this Python, as a user types it:
  `altlens caption --json --beams 4 --model DIR PHOTO...` (default numeric mode, batch size
  and everything else).

Both read the same files: a random-weight model with nlpconnect/vit-gpt2-image-captioning's
exact shapes and files (scripts/make_nlpconnect_shaped.py) and 24 photos of 4000x3000
(JPEG quality 90, with sensor-like noise so the files are camera-sized), both built once in
the work folder. Reported, as medians over alternating rounds (single cold runs vary ~30% on a
shared machine): the whole process on 24 photos, one photo from cold, each photo after the
first ((T24 - T1) / 23), and peak memory (the child's RSS high-water mark). AltLens's own
cache (converted weights, remembered numeric mode) lives under ALTLENS_HOME=WORKDIR/home so
the user's is untouched; the first run after it is emptied is reported separately, as the
once-per-model cost.

float32 identity: `altlens caption --dtype float32 --no-repetition-guard` on the same photos,
captions compared word for word (case aside) with the reference's. AltLens decodes JPEGs at
reduced scale (draft mode), so its pixels differ slightly from a full decode; on random
weights that can move a token (benchmarks/float32_identity.py separates pixels from search).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
REFERENCE_SCRIPT = REPO / "benchmarks" / "model_card_reference.py"
RESULTS = REPO / "benchmarks" / "CLI_RESULTS.md"
PHOTO_SIZE = (4000, 3000)
JPEG_QUALITY = 90


# -- inputs --------------------------------------------------------------------------------


def ensure_model(folder: Path) -> Path:
    """The nlpconnect-shaped model (scripts/make_nlpconnect_shaped.py), with its token
    embedding rescaled so that captions run to the full 16 tokens.

    The builder scales the (tied) token embedding up so every step makes a decisive choice;
    at its scale the start token (= EOS) predicts itself, so every caption ends after one step
    and a benchmark would time no decoding at all. Here the embedding gets an RMS of 0.04
    (twice GPT-2's init) and the EOS row 0.02: choices stay decisive and image-dependent, EOS
    never wins, and both sides decode 16 tokens per photo as with a trained model's long
    caption. Shapes, files and sizes are unchanged."""
    if (folder / "model.safetensors").is_file():
        return folder
    raw = folder.with_name(folder.name + "-raw")
    if not (raw / "model.safetensors").is_file():
        print(f"building the nlpconnect-shaped model in {raw} ...", flush=True)
        subprocess.run([sys.executable, str(REPO / "scripts" / "make_nlpconnect_shaped.py"), str(raw)],
                       check=True, stdout=subprocess.DEVNULL)
    import torch
    from safetensors.torch import load_file, save_file

    work = folder.with_name(folder.name + ".part")
    shutil.rmtree(work, ignore_errors=True)
    shutil.copytree(raw, work)
    weights = load_file(raw / "model.safetensors")
    key = "decoder.transformer.wte.weight"
    wte = weights[key]
    eos = json.loads((raw / "config.json").read_text())["decoder"]["eos_token_id"]
    with torch.no_grad():
        wte.mul_(0.04 / wte.pow(2).mean().sqrt())
        wte[eos].mul_(0.02 / wte[eos].pow(2).mean().sqrt())
    save_file(weights, work / "model.safetensors", metadata={"format": "pt"})
    os.replace(work, folder)
    return folder


def ensure_photos(folder: Path, n: int) -> list[Path]:
    """`n` 4000x3000 JPEGs of toy scenes with noise (3-5 MB each, like camera files); cached."""
    sys.path.insert(0, str(REPO / "scripts"))
    import numpy as np
    from PIL import Image
    from toy_scenes import draw_scene

    folder.mkdir(parents=True, exist_ok=True)
    rng = random.Random(7)
    out = []
    for i in range(n):
        img, _ = draw_scene(rng, PHOTO_SIZE)  # always drawn, so photo i is the same for any n
        path = folder / f"photo-{i:03d}.jpg"
        if not path.exists():
            arr = np.asarray(img, dtype=np.int16)
            noise = np.random.default_rng(i).normal(0, 8.0, arr.shape)
            tmp = path.with_suffix(".part")
            Image.fromarray(np.clip(arr + noise, 0, 255).astype(np.uint8)).save(tmp, "JPEG", quality=JPEG_QUALITY)
            os.replace(tmp, path)
        out.append(path)
    return out


# -- running one process -------------------------------------------------------------------


@dataclass
class Run:
    seconds: float
    peak_mb: float
    captions: list[str]


def run_measured(cmd: list[str], env: dict[str, str]) -> Run:
    """Run `cmd` to completion: wall time from start to exit, and the child's own peak RSS
    (wait4's rusage is per child, unlike RUSAGE_CHILDREN's running maximum)."""
    started = time.perf_counter()
    with tempfile.TemporaryFile("w+") as out, tempfile.TemporaryFile("w+") as err:
        proc = subprocess.Popen(cmd, env=env, stdout=out, stderr=err, text=True)
        _, status, usage = os.wait4(proc.pid, 0)
        seconds = time.perf_counter() - started
        proc.returncode = os.waitstatus_to_exitcode(status)
        out.seek(0)
        err.seek(0)
        stdout, stderr = out.read(), err.read()
    if proc.returncode != 0:
        raise RuntimeError(f"{' '.join(map(str, cmd[:4]))} ... failed ({proc.returncode}):\n{stderr[-3000:]}")
    # ru_maxrss is in kilobytes on Linux, bytes on macOS.
    peak = usage.ru_maxrss / (2**20 if sys.platform == "darwin" else 2**10)
    captions = [json.loads(line).get("caption") or "" for line in stdout.splitlines() if line.startswith("{")]
    return Run(seconds, peak, captions)


def altlens_executable() -> str:
    exe = Path(sys.executable).with_name("altlens")
    if exe.is_file():
        return str(exe)
    found = shutil.which("altlens")
    if not found:
        raise SystemExit("no `altlens` command found next to this Python or on PATH; install AltLens first")
    return found


def same_words(a: str, b: str) -> bool:
    return a.lower().split() == b.lower().split()


def load_avg() -> str:
    try:
        return "/".join(f"{x:.2f}" for x in os.getloadavg())
    except OSError:
        return "n/a"


# -- the benchmark -------------------------------------------------------------------------


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--runs", type=int, default=3, help="alternating rounds (medians are reported)")
    ap.add_argument("--photos", type=int, default=24)
    ap.add_argument("--workdir", type=Path, default=Path(tempfile.gettempdir()) / "altlens-cli-bench")
    ap.add_argument("--model", type=Path, help="model folder (default: build the nlpconnect-shaped one)")
    ap.add_argument("--write", action="store_true", help=f"write the table to {RESULTS.relative_to(REPO)}")
    ap.add_argument("--cold-rounds", type=int, default=0,
                    help="extra alternating one-photo rounds after the others (single cold runs vary ~30%%, so "
                    "the cold median wants more of them than the 24-photo runs do)")
    args = ap.parse_args()

    model = args.model or ensure_model(args.workdir / "nlpconnect-shaped")
    photos = [str(p) for p in ensure_photos(args.workdir / "photos", args.photos)]
    home = args.workdir / "home"
    user_env = dict(os.environ)  # the reference: exactly the caller's environment
    alt_env = {**os.environ, "ALTLENS_HOME": str(home)}  # only where AltLens keeps its state
    alt = altlens_executable()
    ref_cmd = [sys.executable, str(REFERENCE_SCRIPT), str(model)]
    alt_cmd = [alt, "caption", "--json", "--quiet", "--beams", "4", "--model", str(model)]
    n = len(photos)
    print(f"{platform.processor() or platform.machine()}, {os.cpu_count()} CPUs, load {load_avg()}", flush=True)

    # Once per model: AltLens converts and caches its weights on the first run.
    shutil.rmtree(home, ignore_errors=True)
    first = run_measured([*alt_cmd, photos[0]], alt_env)
    print(f"AltLens first run after its cache was emptied (1 photo): {first.seconds:.1f} s", flush=True)
    # Untimed warm-up of the reference (page cache, .pyc files) so neither side pays it.
    run_measured([*ref_cmd, photos[0]], user_env)

    same_f32 = same_auto = 0
    ref_all: list[Run] = []
    alt_all: list[Run] = []
    ref_one: list[Run] = []
    alt_one: list[Run] = []
    for r in range(args.runs):
        jobs = [
            ("reference", ref_cmd, user_env, photos, ref_all),
            ("altlens", alt_cmd, alt_env, photos, alt_all),
            ("reference", ref_cmd, user_env, photos[:1], ref_one),
            ("altlens", alt_cmd, alt_env, photos[:1], alt_one),
        ]
        if r % 2:  # alternate which side goes first, so drifting load hits both alike
            jobs = [jobs[1], jobs[0], jobs[3], jobs[2]]
        for label, cmd, env, files, sink in jobs:
            res = run_measured([*cmd, *files], env)
            sink.append(res)
            print(f"  round {r + 1}: {label:9s} {len(files):2d} photo(s) {res.seconds:6.1f} s, "
                  f"peak {res.peak_mb:5.0f} MB (load {load_avg()})", flush=True)
        if r == 0:
            # Identity in float32 against round 1's reference captions (and the default
            # mode's agreement with float32, for the record).
            f32 = run_measured([*alt_cmd, "--dtype", "float32", "--no-repetition-guard", *photos], alt_env)
            same_f32 = sum(same_words(a, b) for a, b in zip(ref_all[0].captions, f32.captions, strict=True))
            auto = run_measured([*alt_cmd, "--no-repetition-guard", *photos], alt_env)
            same_auto = sum(same_words(a, b) for a, b in zip(f32.captions, auto.captions, strict=True))
        report(args, ref_all, alt_all, ref_one, alt_one, n, first.seconds, same_f32, same_auto)
    for r in range(args.cold_rounds):
        jobs = [("reference", ref_cmd, user_env, ref_one), ("altlens", alt_cmd, alt_env, alt_one)]
        for label, cmd, env, sink in jobs if r % 2 else jobs[::-1]:
            res = run_measured([*cmd, photos[0]], env)
            sink.append(res)
            print(f"  cold round {r + 1}: {label:9s} 1 photo {res.seconds:6.1f} s (load {load_avg()})", flush=True)
    if args.cold_rounds and args.runs:
        report(args, ref_all, alt_all, ref_one, alt_one, n, first.seconds, same_f32, same_auto)


def report(args: argparse.Namespace, ref_all: list[Run], alt_all: list[Run], ref_one: list[Run], alt_one: list[Run],
           n: int, first_s: float, same_f32: int, same_auto: int) -> None:
    """Print the table (after every round: a long run on a busy machine still leaves results)."""
    text = table(ref_all, alt_all, ref_one, alt_one, n, first_s, same_f32, same_auto)
    print("\n" + text + "\n", flush=True)
    if args.write:
        # The newest run first; earlier runs (other machines, earlier versions) are kept below.
        global _EARLIER
        if _EARLIER is None:
            try:
                _EARLIER = RESULTS.read_text(encoding="utf-8").split("\n", 1)[1].lstrip("\n")
            except (OSError, IndexError):
                _EARLIER = ""
        when = time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime(_STARTED))
        section = f"## {when}: `{' '.join(['python', 'benchmarks/cli_speed.py', *sys.argv[1:]])}`\n\nCPU: {cpu_model()}\n\n"
        RESULTS.write_text(f"{RESULTS_TITLE}\n\n{section}{text}\n\n{_EARLIER}", encoding="utf-8")
        print(f"wrote {RESULTS}", flush=True)


RESULTS_TITLE = "# Whole-process speed (`python benchmarks/cli_speed.py --write`)"
_EARLIER: str | None = None
_STARTED = time.time()


def cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text(encoding="utf-8").splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def table(ref_all: list[Run], alt_all: list[Run], ref_one: list[Run], alt_one: list[Run], n: int,
          first_s: float, same_f32: int, same_auto: int) -> str:
    def med(runs: list[Run], attr: str = "seconds") -> float:
        return statistics.median(getattr(x, attr) for x in runs)

    t_ref, t_alt = med(ref_all), med(alt_all)
    c_ref, c_alt = med(ref_one), med(alt_one)
    p_ref = (t_ref - c_ref) / (n - 1)
    p_alt = (t_alt - c_alt) / (n - 1)
    mem_ref, mem_alt = max(x.peak_mb for x in ref_all), max(x.peak_mb for x in alt_all)
    rows = [
        (f"{n} photos, whole process", f"{t_ref:.1f} s", f"{t_alt:.1f} s", f"{t_ref / t_alt:.1f}x faster"),
        ("each photo after the first", f"{p_ref:.2f} s", f"{p_alt:.2f} s", f"{p_ref / p_alt:.1f}x faster"),
        ("one photo from cold", f"{c_ref:.1f} s", f"{c_alt:.1f} s", f"{c_alt / c_ref:.2f} of the reference's time"),
        (f"peak memory ({n} photos)", f"{mem_ref:.0f} MB", f"{mem_alt:.0f} MB", f"{mem_alt / mem_ref:.2f} of the reference's"),
    ]
    lines = [
        f"Whole processes, medians of {len(ref_all)} alternating round(s) ({len(ref_one)} for one photo); "
        f"{n} photos {PHOTO_SIZE[0]}x{PHOTO_SIZE[1]} "
        f"JPEG q{JPEG_QUALITY}, nlpconnect-shaped random weights, beam 4, max 16 tokens.",
        f"Machine: {platform.machine()}, {os.cpu_count()} CPUs, load average at the end {load_avg()} "
        "(a load above the CPU count means other programs were running).",
        "",
        "| run | model card's code | `altlens caption` | ratio |",
        "|---|---:|---:|---|",
        *[f"| {a} | {b} | {c} | {d} |" for a, b, c, d in rows],
        "",
        f"AltLens's first run after its cache is emptied (converts and caches the weights once per model): "
        f"{first_s:.1f} s for one photo.",
        f"float32 (`--dtype float32`): {same_f32}/{n} captions word-identical to the reference's; "
        f"default mode: {same_auto}/{n} identical to float32's (random weights; the <= 2% rule is "
        "checked on the trained test model, tests/core/test_numerics.py).",
        "Runs: " + "; ".join(
            f"{name} {', '.join(f'{x.seconds:.1f}' for x in runs)} s"
            for name, runs in ((f"reference {n}", ref_all), (f"altlens {n}", alt_all), ("reference 1", ref_one),
                               ("altlens 1", alt_one))
        ) + ".",
    ]
    return "\n".join(lines)


if __name__ == "__main__":
    main()
