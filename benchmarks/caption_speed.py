#!/usr/bin/env python
# SPDX-License-Identifier: GPL-3.0-or-later
"""Model throughput on the CPU: the model card's code against AltLens, on the same model and
the same 12-megapixel JPEGs, interleaved in one process, decoding included on both sides.

Not the user-facing comparison: the reference shares this process (and AltLens's OpenMP
settings) with loaded AltLens models, which roughly halves its speed, and start-up is not
timed. Whole processes as users run them: benchmarks/cli_speed.py. This script remains for
comparing AltLens's own modes and paths.

    python benchmarks/caption_speed.py            # full run, writes benchmarks/RESULTS.md
    python benchmarks/caption_speed.py --quick    # fewer photos and modes, a few minutes
    python benchmarks/caption_speed.py --onnx     # also the ONNX backend (exports once, cached)

The reference is the nlpconnect/vit-gpt2-image-captioning model card snippet: PIL open,
full decode, ViTImageProcessor, `model.generate(pixel_values, max_length=16, num_beams=4)`,
one image at a time, float32. AltLens is `Captioner(...).caption(paths)` with its defaults
(fast path, batches of 8, JPEGs decoded at reduced scale on helper threads).

Models:
  (a) random weights with the exact nlpconnect shapes (scripts/make_nlpconnect_shaped.py);
      every caption is forced to 16 tokens on both sides (min_length = max_length), so both
      do exactly the work a trained model does on a 15-word caption;
  (b) the trained test model (tests/models/toy-captioner), captions compared word for word
      with the reference's, and with the scenes' true captions.
Also: single-photo latency (greedy, decode included), model load time and peak memory
(RSS high-water mark) of each side, each measured in its own subprocess.

The machine may be shared: the load average is printed with every table. Ratios measured
interleaved are robust to slow drifts in load, absolute figures are not.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import random
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "scripts"))

PHOTO_SIZE = (4032, 3024)  # a 12 MP phone photo
# ALTLENS_TOY_MODEL points at another candidate, as in the test suite.
TOY_MODEL = Path(os.environ.get("ALTLENS_TOY_MODEL", REPO / "tests" / "models" / "toy-captioner"))
RESULTS = REPO / "benchmarks" / "RESULTS.md"


# -- photos ------------------------------------------------------------------------------


def make_photos(folder: Path, n: int, seed: int, noise: float) -> list[tuple[Path, str]]:
    """`n` 12 MP JPEGs of toy scenes (true captions known), with sensor-like noise so the
    files are as large as camera JPEGs (3-5 MB) and cost as much to decode. Cached."""
    import numpy as np
    from PIL import Image
    from toy_scenes import draw_scene

    folder.mkdir(parents=True, exist_ok=True)
    rng = random.Random(seed)
    out: list[tuple[Path, str]] = []
    for i in range(n):
        img, caption = draw_scene(rng, PHOTO_SIZE)
        path = folder / f"photo-{seed}-{i:03d}-n{noise:g}.jpg"
        if not path.exists():
            if noise:
                arr = np.asarray(img, dtype=np.int16)
                jitter = np.random.default_rng(seed * 1000 + i).normal(0, noise, arr.shape)
                img = Image.fromarray(np.clip(arr + jitter, 0, 255).astype(np.uint8))
            tmp = path.with_suffix(".part")
            img.save(tmp, "JPEG", quality=90)
            os.replace(tmp, path)
        out.append((path, caption))
    return out


# -- the two sides ----------------------------------------------------------------------


class Reference:
    """The model card's code, verbatim apart from the paths."""

    def __init__(self, folder: Path) -> None:
        import torch
        from transformers import AutoTokenizer, VisionEncoderDecoderModel, ViTImageProcessor

        self.torch = torch
        self.model = VisionEncoderDecoderModel.from_pretrained(folder)
        self.feature_extractor = ViTImageProcessor.from_pretrained(folder)
        self.tokenizer = AutoTokenizer.from_pretrained(folder)
        self.device = torch.device("cpu")
        self.model.to(self.device)

    def predict_step(self, image_paths: list[Path], gen_kwargs: dict[str, Any]) -> list[str]:
        from PIL import Image

        images = []
        for image_path in image_paths:
            i_image = Image.open(image_path)
            if i_image.mode != "RGB":
                i_image = i_image.convert(mode="RGB")
            images.append(i_image)
        pixel_values = self.feature_extractor(images=images, return_tensors="pt").pixel_values
        pixel_values = pixel_values.to(self.device)
        output_ids = self.model.generate(pixel_values, **gen_kwargs)
        preds = self.tokenizer.batch_decode(output_ids, skip_special_tokens=True)
        return [pred.strip() for pred in preds]


def altlens(folder: Path, mode: str, backend: str = "auto", batch_size: int = 8, onnx_dir: Path | None = None) -> Any:
    from altlens.core.captioning import Captioner

    cap = Captioner(folder, device="cpu", dtype=mode, backend=backend, batch_size=batch_size, onnx_dir=onnx_dir)
    cap.load()
    return cap


def altlens_texts(cap: Any, paths: list[Path], settings: Any) -> list[str]:
    out = []
    for r in cap.caption(paths, settings):
        if not r.ok:
            raise RuntimeError(f"{r.path}: {r.error}")
        out.append(r.caption)
    return out


def same_words(a: str, b: str) -> bool:
    return a.lower().split() == b.lower().split()


# -- measurements ------------------------------------------------------------------------


@dataclass
class Side:
    label: str
    seconds: float = 0.0
    images: int = 0
    texts: list[str] = field(default_factory=list)
    chunks: list[float] = field(default_factory=list)  # seconds per image, chunk by chunk

    def add(self, seconds: float, images: int) -> None:
        self.seconds += seconds
        self.images += images
        self.chunks.append(seconds / images)

    @property
    def per_image_ms(self) -> float:
        """Median over chunks: one chunk hit by someone else's burst of work does not decide
        the figure (the chunks of both sides ran side by side)."""
        if not self.chunks:
            return 0.0
        return 1000 * statistics.median(self.chunks)

    @property
    def images_per_s(self) -> float:
        return 1000 / self.per_image_ms if self.chunks else 0.0


def load_avg() -> str:
    try:
        return "/".join(f"{x:.2f}" for x in os.getloadavg())
    except OSError:
        return "n/a"


def throughput(
    reference: Reference,
    configs: dict[str, Any],
    photos: list[Path],
    *,
    gen_kwargs: dict[str, Any],
    settings: Any,
    chunk: int,
) -> tuple[Side, dict[str, Side]]:
    """Interleave: for each chunk of photos, the reference one photo at a time, then every
    AltLens configuration on the same chunk (their order rotating from chunk to chunk)."""
    from altlens.core.captioning.text import postprocess

    ref = Side("reference")
    sides = {name: Side(name) for name in configs}
    # Warm-up (first-call kernel selection, thread pools), not timed.
    reference.predict_step(photos[:1], gen_kwargs)
    for cap in configs.values():
        altlens_texts(cap, photos[:1], settings)
    names = list(configs)
    for n, start in enumerate(range(0, len(photos), chunk)):
        part = photos[start : start + chunk]
        t = time.perf_counter()
        for p in part:
            ref.texts += [postprocess(x, repetition_guard=False) for x in reference.predict_step([p], gen_kwargs)]
        ref.add(time.perf_counter() - t, len(part))
        order = names[n % len(names) :] + names[: n % len(names)]
        for name in order:
            t = time.perf_counter()
            texts = altlens_texts(configs[name], part, settings)
            sides[name].add(time.perf_counter() - t, len(part))
            sides[name].texts += texts
        print(f"  chunk {n + 1} ms/img: reference {1000 * ref.chunks[-1]:.0f}, "
              + ", ".join(f"{k} {1000 * v.chunks[-1]:.0f}" for k, v in sides.items()) + f" (load {load_avg()})", flush=True)
    return ref, sides


def latency(
    reference: Reference, cap: Any, photos: list[Path], max_length: int, min_length: int = 0
) -> tuple[list[float], list[float]]:
    """One dropped photo at a time, greedy, decoding included, alternating sides."""
    from altlens.core.captioning import GenerationSettings

    settings = GenerationSettings(
        strategy="greedy", num_beams=1, max_length=max_length, min_length=min_length, repetition_guard=False
    )
    gen = {"max_length": max_length, "num_beams": 1, "min_length": min_length}
    reference.predict_step(photos[:1], gen)
    cap.caption(photos[:1], settings)
    ref_t, alt_t = [], []
    for p in photos:
        t = time.perf_counter()
        reference.predict_step([p], gen)
        ref_t.append(time.perf_counter() - t)
        t = time.perf_counter()
        r = cap.caption([p], settings)
        alt_t.append(time.perf_counter() - t)
        assert r[0].ok, r[0].error
    return ref_t, alt_t


def overlap(cap: Any, photos: list[Path], settings: Any) -> dict[str, float]:
    """Does decoding the next batch hide behind the model? Time, per photo: JPEG decode and
    preprocessing alone (one thread, as one decode worker does it), the model alone on
    already-decoded images, and the real pipeline from files."""
    from altlens.core.images import load_image

    size = cap.adapter.image_size
    t = time.perf_counter()
    decoded = [load_image(p, target_size=size) for p in photos]
    for im in decoded:
        cap.adapter.pixel_values([im])
    decode_s = (time.perf_counter() - t) / len(photos)
    cap.caption(decoded[:1], settings)
    t = time.perf_counter()
    cap.caption(decoded, settings)
    model_s = (time.perf_counter() - t) / len(photos)
    t = time.perf_counter()
    cap.caption(photos, settings)
    pipeline_s = (time.perf_counter() - t) / len(photos)
    return {"decode": decode_s, "model": model_s, "pipeline": pipeline_s}


def probe(side: str, folder: Path, mode: str, photos: list[Path], forced: bool) -> dict[str, float]:
    """Load time and peak RSS of one side, in a fresh process (see `_probe_main`)."""
    cmd = [sys.executable, str(Path(__file__).resolve()), "--probe", side, str(folder), mode, "1" if forced else "0",
           *map(str, photos)]
    out = subprocess.run(cmd, capture_output=True, text=True, check=False)
    if out.returncode != 0:
        raise RuntimeError(f"memory probe failed: {out.stderr[-2000:]}")
    return json.loads(out.stdout.strip().splitlines()[-1])


def _probe_main(argv: list[str]) -> None:
    side, folder, mode, forced, *paths = argv
    photos = [Path(p) for p in paths]
    kwargs: dict[str, Any] = {"max_length": 16, "num_beams": 4}
    if forced == "1":
        kwargs["min_length"] = 16
    t = time.perf_counter()
    if side == "reference":
        ref = Reference(Path(folder))
        load_s = time.perf_counter() - t
        for p in photos:
            ref.predict_step([p], kwargs)
    else:
        from altlens.core.captioning import GenerationSettings

        cap = altlens(Path(folder), mode)
        load_s = time.perf_counter() - t
        settings = GenerationSettings(num_beams=4, max_length=16, min_length=kwargs.get("min_length", 0))
        altlens_texts(cap, photos, settings)
    print(json.dumps({"load_s": load_s, "peak_rss_mb": peak_rss_mb()}))


def peak_rss_mb() -> float:
    """This process's RSS high-water mark. VmHWM, because getrusage's ru_maxrss survives
    exec() and would report the (larger) parent benchmark process."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return kb / (1024 * 1024) if sys.platform == "darwin" else kb / 1024


# -- report ------------------------------------------------------------------------------


def machine() -> str:
    import torch

    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    from altlens.core.captioning.numerics import auto_cpu_mode, cpu_features

    feats = ",".join(k for k, v in cpu_features().items() if v)
    return (f"{cpu}, {os.cpu_count()} logical CPUs ({feats}), torch {torch.__version__} "
            f"({torch.get_num_threads()} threads, OMP_WAIT_POLICY={os.environ.get('OMP_WAIT_POLICY', 'unset')}), "
            f"auto mode here = {auto_cpu_mode()}")


def table(ref: Side, sides: dict[str, Side], truth: list[str] | None = None) -> list[str]:
    rows = ["| path | ms/image (median of chunks) | images/s | speed-up | captions = reference |" + (" correct |" if truth else ""),
            "|---|---:|---:|---:|---:|" + ("---:|" if truth else "")]

    def correct(texts: list[str]) -> str:
        assert truth is not None
        ok = sum(same_words(a, b) for a, b in zip(texts, truth, strict=True))
        return f" {ok}/{len(truth)} |"

    rows.append(f"| reference (model card, fp32, 1 at a time) | {ref.per_image_ms:.0f} | {ref.images_per_s:.2f} | 1.00x | - |"
                + (correct(ref.texts) if truth else ""))
    for name, s in sides.items():
        same = sum(same_words(a, b) for a, b in zip(s.texts, ref.texts, strict=True))
        rows.append(f"| altlens {name} | {s.per_image_ms:.0f} | {s.images_per_s:.2f} | "
                    f"{ref.per_image_ms / s.per_image_ms:.2f}x | {same}/{len(ref.texts)} |"
                    + (correct(s.texts) if truth else ""))
    return rows


def main() -> None:
    # AltLens's process-wide thread settings, before torch loads: both sides run under them.
    from altlens.core.captioning.runtime import configure_openmp

    configure_openmp()
    if len(sys.argv) > 1 and sys.argv[1] == "--probe":
        _probe_main(sys.argv[2:])
        return
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--quick", action="store_true", help="fewer photos and modes (a few minutes)")
    ap.add_argument("--onnx", action="store_true", help="also run the ONNX backend (exports once into the work folder)")
    ap.add_argument("--workdir", type=Path, default=Path(tempfile.gettempdir()) / "altlens-bench",
                    help="where the photos and the random-weight model are made and kept")
    ap.add_argument("--photos", type=int, help="photos for the throughput runs (default 24, quick 8)")
    ap.add_argument("--no-write", action="store_true", help="do not write benchmarks/RESULTS.md")
    ap.add_argument("--threads", type=int, help="torch threads for both sides (default: torch's choice)")
    args = ap.parse_args()
    if args.threads:
        import torch

        torch.set_num_threads(args.threads)

    from altlens.core.captioning import GenerationSettings

    quick = args.quick
    n_photos = args.photos or (8 if quick else 24)
    work = args.workdir
    lines: list[str] = []

    def say(text: str = "") -> None:
        print(text, flush=True)
        lines.append(text)

    say(f"# Model throughput, in one process (`{' '.join(['python benchmarks/caption_speed.py', *sys.argv[1:]])}`)")
    say()
    say("**Not the figure users see.** Both sides run in this one process, after start-up, with AltLens's "
        "OpenMP settings (OMP_WAIT_POLICY=PASSIVE) applied to the reference too and several AltLens models "
        "loaded beside it, which slows the reference (~2.9 s per photo here against ~1.5 s in its own "
        "process). Use it to compare AltLens's numeric modes and paths with each other. Whole processes as a "
        "user runs them (start-up included, the reference in its own default environment): "
        "`python benchmarks/cli_speed.py` (benchmarks/CLI_RESULTS.md), whose figures the README quotes.")
    say()
    say("What differs between the two sides: the reference decodes each 12 MP photo fully, resizes it with "
        "ViTImageProcessor and runs `generate()` on one image. AltLens decodes JPEGs at 1/8 scale (draft mode) "
        "on helper threads while the model works on the previous batch of 8, and decodes with its own beam "
        "search over the decoder's KV cache, with each image's cross-attention keys/values computed once "
        "(core/captioning/fast.py, search.py); `auto` picks the numeric mode (core/captioning/numerics.py).")
    say()
    say(f"Machine: {machine()}. Load average at start: {load_avg()}.")
    say(f"Photos: {PHOTO_SIZE[0]}x{PHOTO_SIZE[1]} JPEGs (quality 90, ~4 MB), decoded on both sides and timed.")
    say()

    # (a) nlpconnect-shaped random model, 16 tokens forced.
    from make_nlpconnect_shaped import build

    shaped = work / "nlpconnect-shaped"
    if not (shaped / "model.safetensors").is_file():
        print(f"building the nlpconnect-shaped model in {shaped} ...", flush=True)
        build(shaped)
    photos = [p for p, _ in make_photos(work / "photos", n_photos, seed=1, noise=8.0)]
    modes = ["auto", "float32"] if quick else ["auto", "float32", "bfloat16", "int8"]
    t = time.perf_counter()
    reference = Reference(shaped)
    ref_load = time.perf_counter() - t
    configs: dict[str, Any] = {}
    loads: dict[str, float] = {}
    for m in modes:
        t = time.perf_counter()
        configs[m] = altlens(shaped, m)
        loads[m] = time.perf_counter() - t
    if args.onnx:
        from altlens.core.captioning.onnx_export import export_onnx, read_manifest

        for m in ("float32", "int8"):
            d = work / "onnx" / m
            if read_manifest(d) is None:
                print(f"exporting ONNX {m} to {d} ...", flush=True)
                export_onnx(shaped, d, int8=m == "int8")
            t = time.perf_counter()
            configs[f"onnx {m}"] = altlens(shaped, m, backend="onnx", onnx_dir=d)
            loads[f"onnx {m}"] = time.perf_counter() - t
    gen = {"max_length": 16, "num_beams": 4, "min_length": 16}
    settings = GenerationSettings(num_beams=4, max_length=16, min_length=16, repetition_guard=False)
    say(f"## (a) nlpconnect-shaped model (239M parameters, random weights), beam 4, every caption 16 tokens, {n_photos} photos")
    print("interleaved throughput ...", flush=True)
    ref, sides = throughput(reference, configs, photos, gen_kwargs=gen, settings=settings, chunk=8)
    say()
    say("\n".join(table(ref, sides)))
    say()
    say(f"Load average after: {load_avg()}. 'captions = reference': identical words (the random model's "
        "text is noise, so this shows where pixels or numerics moved a token).")
    say()

    # Single-photo latency, greedy (default numeric mode, batch of one).
    n_lat = 3 if quick else 6
    print("single-photo latency ...", flush=True)
    ref_t, alt_t = latency(reference, configs["auto"], photos[:n_lat], 16, 16)
    say("### Single dropped photo, greedy, 16 tokens, decode included (median of "
        f"{n_lat}, alternating)")
    say()
    say("| path | median ms | min ms |")
    say("|---|---:|---:|")
    say(f"| reference | {1000 * statistics.median(ref_t):.0f} | {1000 * min(ref_t):.0f} |")
    say(f"| altlens auto | {1000 * statistics.median(alt_t):.0f} | {1000 * min(alt_t):.0f} |")
    say(f"\nLatency ratio (altlens / reference): {statistics.median(alt_t) / statistics.median(ref_t):.2f} "
        f"(load {load_avg()}).")
    say()
    print("decode/model overlap ...", flush=True)
    ov = overlap(configs["auto"], photos, settings)
    hidden = (ov["decode"] + ov["model"] - ov["pipeline"]) / ov["decode"] if ov["decode"] else 0.0
    say("### Does JPEG decoding of the next batch hide behind the model? (altlens auto, beam 4, per photo)")
    say()
    say("| decode + preprocess alone (1 thread) | model alone (decoded images in) | pipeline from files | decode time hidden |")
    say("|---:|---:|---:|---:|")
    say(f"| {1000 * ov['decode']:.0f} ms | {1000 * ov['model']:.0f} ms | {1000 * ov['pipeline']:.0f} ms | {100 * hidden:.0f}% |")
    say(f"\n(load {load_avg()})")
    say()
    del reference, configs
    import gc

    gc.collect()

    # Memory and load time, each side alone in a fresh process.
    print("memory probes ...", flush=True)
    probe_photos = photos[: 4 if quick else 8]
    say(f"### Load time and peak memory (fresh process per row; loads the model, captions {len(probe_photos)} photos)")
    say()
    say("| path | load s | peak RSS MB |")
    say("|---|---:|---:|")
    probes = {"reference": probe("reference", shaped, "float32", probe_photos, True)}
    for m in (["auto"] if quick else ["auto", "float32", "bfloat16", "int8"]):
        probes[f"altlens {m}"] = probe("altlens", shaped, m, probe_photos, True)
    for name, pr in probes.items():
        say(f"| {name} | {pr['load_s']:.1f} | {pr['peak_rss_mb']:.0f} |")
    say(f"\nIn the main process: reference load {ref_load:.1f} s; altlens " +
        ", ".join(f"{k} {v:.1f} s" for k, v in loads.items()) + ".")
    say()

    # (b) the trained toy model: word-for-word agreement.
    if (TOY_MODEL / "config.json").is_file():
        n_toy = 16 if quick else 48
        toy = make_photos(work / "toy-photos", n_toy, seed=7, noise=0.0)
        toy_paths = [p for p, _ in toy]
        truth = [c for _, c in toy]
        reference = Reference(TOY_MODEL)
        configs = {m: altlens(TOY_MODEL, m) for m in (["auto", "float32"] if quick else ["auto", "float32", "bfloat16", "int8"])}
        if args.onnx:
            from altlens.core.captioning.onnx_export import export_onnx, read_manifest

            for m in ("float32", "int8"):
                d = work / "onnx-toy" / m
                if read_manifest(d) is None:
                    export_onnx(TOY_MODEL, d, int8=m == "int8")
                configs[f"onnx {m}"] = altlens(TOY_MODEL, m, backend="onnx", onnx_dir=d)
        gen = {"max_length": 16, "num_beams": 4}
        settings = GenerationSettings(num_beams=4, max_length=16, repetition_guard=False)
        print("toy model ...", flush=True)
        ref, sides = throughput(reference, configs, toy_paths, gen_kwargs=gen, settings=settings, chunk=8)
        say(f"## (b) trained test model ({TOY_MODEL.name}), beam 4, {n_toy} photos, captions compared word for word")
        say()
        say("\n".join(table(ref, sides, truth)))
        say(f"\nLoad average after: {load_avg()}.")
    else:
        say(f"## (b) trained test model: not found at {TOY_MODEL}; skipped")
    say()
    say("Numeric modes (`--dtype`): float32 = the reference numerics; bfloat16 = matrix products in bfloat16, "
        "everything between them float32; int8 = exact int8 matrix products, weights per output channel, "
        "activations per token (so a photo's caption never depends on its batch). `auto` on a CPU: int8 where the "
        "CPU has VNNI or AMX, else bfloat16 where it has AVX-512 BF16 or AMX, else float32; each mode is held "
        "to <= 2% changed captions against float32 on 150 fresh scenes of the trained test model "
        "(tests/core/test_numerics.py).")
    say()
    if not args.no_write and not quick:
        RESULTS.write_text("\n".join(lines) + "\n", encoding="utf-8")
        print(f"wrote {RESULTS}")


if __name__ == "__main__":
    main()
