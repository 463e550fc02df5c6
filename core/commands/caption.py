# SPDX-License-Identifier: GPL-3.0-or-later
"""`altlens caption`: suggest captions for files and folders, headless. Nothing is written
into the photos; results go to stdout as text, JSON lines or CSV."""

from __future__ import annotations

import argparse
import csv
import json
import sys
from collections.abc import Callable, Iterable
from typing import Any, TextIO

from altlens.core.types import CaptionResult

PROGRESS_THRESHOLD = 5  # more images than this get a progress bar on stderr
# Kept here rather than imported from the engine so `altlens --help` does not import PIL/torch;
# tests check they match core.captioning.engine.DTYPES / BACKENDS.
DTYPE_CHOICES: tuple[str, ...] = ("auto", "float32", "bfloat16", "float16", "int8", "mixed")
BACKEND_CHOICES: tuple[str, ...] = ("auto", "torch", "reference", "onnx")


def add_model_options(p: argparse.ArgumentParser) -> None:
    """Model and decoding options shared by every command that captions (caption, watch, gui)."""
    g = p.add_argument_group("model")
    g.add_argument("--model", "-m", metavar="M", help="a name from `altlens models list` (vit-gpt2, blip-base, ...), a model folder or a Hugging Face id (default: vit-gpt2, i.e. nlpconnect/vit-gpt2-image-captioning)")
    g.add_argument("--device", default="auto", choices=["auto", "cpu", "cuda", "mps"], help="where the model runs (default: auto)")
    g.add_argument(
        "--dtype", default="auto", choices=list(DTYPE_CHOICES), metavar="{" + ",".join(DTYPE_CHOICES) + "}",
        help="number format: float32 gives the reference captions; bfloat16, int8 and mixed (bfloat16 image encoder, "
        "int8 text decoder) are faster and may word a few captions differently; auto (default) picks the fastest format that keeps within 2%% of float32's captions "
        "on this computer (float16 is for GPUs)",
    )
    g.add_argument(
        "--backend", default="auto", choices=list(BACKEND_CHOICES),
        help="auto (default): AltLens's fast path where it covers the model; torch: transformers' generate(); "
        "reference: the model card's code (slow; the benchmark baseline); onnx: an ONNX export run by onnxruntime "
        "(see `altlens models export-onnx`)",
    )
    g.add_argument("--onnx-dir", metavar="DIR", help="ONNX export to use with --backend onnx (default: where export-onnx writes)")
    g.add_argument("--allow-download", action="store_true", help="download the model if it is not on this computer (off by default: AltLens works offline)")
    d = p.add_argument_group("decoding")
    d.add_argument("--beams", type=int, default=4, metavar="N", help="beam search width, 1-5; 1 means greedy (default: 4)")
    d.add_argument("--candidates", type=int, default=1, metavar="K", help="captions to suggest per image, 1-5 (default: 1)")
    d.add_argument("--max-length", type=int, default=16, metavar="T", help="maximum caption length in tokens (default: 16)")
    d.add_argument("--sample", action="store_true", help="nucleus sampling instead of beam search (varied wording)")
    d.add_argument("--top-p", type=float, default=None, metavar="P", help="nucleus sampling probability mass (default: 0.9)")
    d.add_argument("--temperature", type=float, default=None, help="sampling temperature (default: 1.0)")
    d.add_argument("--seed", type=int, default=None, help="random seed for --sample, for repeatable output")
    d.add_argument("--no-repetition-guard", action="store_true", help="keep captions that repeat a phrase ('a man in a hat with a man in a hat')")
    d.add_argument("--batch-size", type=int, default=12, metavar="B", help="images per model call (default: 12)")


def settings_from_args(args: argparse.Namespace) -> Any:
    from altlens.core.captioning.settings import GenerationSettings

    candidates = args.candidates
    if "candidates" in getattr(args, "from_config", ()) and not args.sample:
        # As the window does: a saved number of suggestions is cut to what the search gives.
        candidates = min(candidates, args.beams) if args.beams > 1 else 1
    return GenerationSettings.from_options(
        beams=args.beams,
        candidates=candidates,
        max_length=args.max_length,
        sample=args.sample,
        top_p=args.top_p,
        temperature=args.temperature,
        repetition_guard=not args.no_repetition_guard,
        seed=args.seed,
    )


def captioner_from_args(args: argparse.Namespace) -> Any:
    from altlens.core.captioning.engine import Captioner

    return Captioner(
        args.model,
        device=args.device,
        dtype=args.dtype,
        allow_download=args.allow_download,
        settings=settings_from_args(args),
        batch_size=args.batch_size,
        backend=getattr(args, "backend", "auto"),
        onnx_dir=getattr(args, "onnx_dir", None),
        lanes=0,  # a command runs nothing else: two batches side by side where there are cores for them
    )


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "caption",
        help="suggest captions for images (writes nothing into them)",
        description=(
            "Suggest alt text for image files and folders. Each image gets one result; a file "
            "that cannot be read gets an error and the others go on. Nothing is written into "
            "the photos (see `altlens write`)."
        ),
    )
    p.add_argument("paths", nargs="+", metavar="PATH", help="image files and folders")
    p.add_argument("-r", "--recursive", action="store_true", help="include images in subfolders")
    out = p.add_mutually_exclusive_group()
    out.add_argument("--json", action="store_true", help="one JSON object per image per line")
    out.add_argument("--csv", action="store_true", help="CSV with a header row")
    p.add_argument("-q", "--quiet", action="store_true", help="no progress bar or summary on stderr")
    add_model_options(p)
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from altlens.core.images import collect_images

    settings = settings_from_args(args)  # validate options before loading anything
    paths = collect_images(args.paths, recursive=args.recursive)
    if not paths:
        print("altlens: no images found in the given paths.", file=sys.stderr)
        return 1
    captioner = captioner_from_args(args)
    writer = _Writer(sys.stdout, "json" if args.json else "csv" if args.csv else "text")
    ok, failed = emit_results(captioner.iter_caption(paths, settings), len(paths), writer.write, quiet=args.quiet)
    if not args.quiet:
        summary = f"Captioned {ok} of {len(paths)} image{'s' if len(paths) != 1 else ''}"
        summary += f"; {failed} could not be captioned (see their errors)." if failed else "."
        print(summary, file=sys.stderr)
    return 0 if ok else 1


def emit_results(
    results: Iterable[CaptionResult], total: int, emit: Callable[[CaptionResult], None], *, quiet: bool
) -> tuple[int, int]:
    """Hand each result to `emit` as it arrives, with a progress bar on stderr for long runs;
    returns (ok, failed)."""
    from altlens.core.progress import ProgressBar

    bar = ProgressBar(total) if total > PROGRESS_THRESHOLD and not quiet else None
    ok = failed = 0
    try:
        for result in results:
            emit(result)
            ok += result.ok
            failed += not result.ok
            if bar is not None:
                bar.update(ok + failed, failed)
    finally:
        if bar is not None:
            bar.close()
    return ok, failed


class _Writer:
    def __init__(self, stream: TextIO, fmt: str) -> None:
        self.stream = stream
        self.fmt = fmt
        self._csv: Any = None
        if fmt == "csv":
            self._csv = csv.writer(stream)
            self._csv.writerow(["path", "caption", "score", "candidates", "error_code", "error_message"])

    def write(self, r: CaptionResult) -> None:
        if self.fmt == "json":
            self.stream.write(json.dumps(r.to_dict(), ensure_ascii=False) + "\n")
        elif self.fmt == "csv":
            self._csv.writerow([
                str(r.path) if r.path else "",
                r.caption or "",
                f"{r.score:.4f}" if r.score is not None else "",
                json.dumps([c.to_dict() for c in r.candidates], ensure_ascii=False),
                r.error.code if r.error else "",
                r.error.message if r.error else "",
            ])
        else:
            if r.error:
                self.stream.write(f"{r.path}\tERROR {r.error.code}: {r.error.message}\n")
            else:
                extra = "".join(f"\n\t  alt {n}: {c.text} ({c.score:.2f})" for n, c in enumerate(r.candidates[1:], 2))
                self.stream.write(f"{r.path}\t{r.caption} ({r.score:.2f}){extra}\n")
        self.stream.flush()
