# SPDX-License-Identifier: GPL-3.0-or-later
"""`altlens models export-onnx NAME [--int8] [--out DIR]`: write an ONNX encoder and decoder
that `altlens caption --backend onnx` runs with onnxruntime.

The `models` command group lives in core/commands/models.py; it calls `register` with its
subparsers so this subcommand joins the group.
"""

from __future__ import annotations

import argparse
import json
import time


def register(models_sub: argparse._SubParsersAction) -> None:
    p = models_sub.add_parser(
        "export-onnx",
        help="export a model to ONNX for `altlens caption --backend onnx`",
        description=(
            "Export a ViT-GPT-2 captioning model (such as the default nlpconnect model) to an ONNX "
            "encoder and a decoder with past key/values, for onnxruntime. By default the export goes "
            "under AltLens's cache folder, where `--backend onnx` finds it; --int8 also quantizes it "
            "(smaller and faster on the CPU; a few captions may be worded differently)."
        ),
    )
    p.add_argument("name", metavar="NAME", help="model folder, imported model name or Hugging Face id")
    p.add_argument("--int8", action="store_true", help="quantize weights to int8 (onnxruntime dynamic quantization)")
    p.add_argument("--out", metavar="DIR", help="write the export to this folder instead of the cache")
    p.add_argument("--json", action="store_true", help="print the result as a JSON object: model, path, mode, files, seconds")
    p.add_argument("-q", "--quiet", action="store_true", help="no progress on stderr")
    p.set_defaults(func=run_export)


def run_export(args: argparse.Namespace) -> int:
    from pathlib import Path

    from altlens.core.captioning.loading import resolve_model
    from altlens.core.captioning.onnx_export import export_onnx
    from altlens.core.progress import StepProgress

    folder = resolve_model(args.name)
    kind = "int8" if args.int8 else "float32"
    steps = None if args.quiet else StepProgress(f"Exporting {args.name} to ONNX ({kind})")
    started = time.monotonic()
    try:
        dest = export_onnx(folder, Path(args.out) if args.out else None, int8=args.int8,
                           progress=steps.step if steps is not None else None)
    finally:
        if steps is not None:
            steps.close()
    if args.json:
        files = sorted(p for p in dest.iterdir() if p.is_file())
        print(json.dumps({
            "model": args.name, "source": str(folder), "path": str(dest), "mode": kind,
            "files": [{"name": p.name, "size": p.stat().st_size} for p in files],
            "seconds": round(time.monotonic() - started, 1),
        }, ensure_ascii=False, indent=1))
    else:
        print(dest)
    return 0
