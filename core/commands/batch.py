# SPDX-License-Identifier: GPL-3.0-or-later
"""`altlens batch`: caption a large archive on Ray Data (a local Ray, or a cluster) into
Parquet or JSON-lines files that `altlens import` brings into the library. Needs the `scale`
extra (ray[data]); see core/batch.py."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from altlens.core.commands.caption import add_model_options, settings_from_args


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "batch",
        help="caption a large archive with Ray (this machine or a cluster) into Parquet/JSON files",
        description=(
            "Caption every image of folder trees, path lists (.txt, one per line) or manifests "
            "(.csv or .parquet with a 'path' column) with Ray Data: one model per Ray actor, the "
            "same engine and settings as `altlens caption`. Results (the fields of `caption "
            "--json` plus each file's fingerprint) go into DIR as part files committed one by "
            "one; running again skips what is already captioned with the same model and "
            "settings, wherever the file now is. Bring them into the library with "
            "`altlens import DIR`. Needs `pip install 'altlens[scale]'`."
        ),
    )
    p.add_argument("sources", nargs="+", metavar="SOURCE", help="folders (walked with subfolders), images, path lists, manifests")
    p.add_argument("--out", "-o", required=True, type=Path, metavar="DIR", help="output folder (shared storage on a cluster)")
    p.add_argument("--format", dest="fmt", choices=["parquet", "jsonl"], default="parquet", help="part files (default: parquet)")
    p.add_argument(
        "--address", metavar="ADDRESS",
        help="join this Ray cluster ('auto', 'ray://head:10001', 'head:6379'); without it a local Ray starts on this machine",
    )
    p.add_argument("--actors", type=int, metavar="N", help="model copies (Ray actors) to run (default: as many as fit)")
    p.add_argument(
        "--num-cpus", type=float, metavar="C",
        help="CPUs per actor (default: every CPU of the local Ray; 4 per actor on a cluster, 8 with --num-gpus)",
    )
    p.add_argument("--num-gpus", type=float, default=0.0, metavar="G", help="GPUs per actor, e.g. 1 or 0.5 (default: 0)")
    p.add_argument("--part-size", type=int, default=128, metavar="P", help="images per actor call and output part (default: 128)")
    p.add_argument("-q", "--quiet", action="store_true", help="no progress bars or summary")
    add_model_options(p)
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from altlens.core.batch import BatchOptions, run_batch
    from altlens.core.errors import UsageError

    if args.num_gpus < 0 or (args.num_cpus is not None and args.num_cpus <= 0) or (args.actors is not None and args.actors < 1):
        raise UsageError("--actors must be at least 1, --num-cpus above 0 and --num-gpus 0 or more.")
    opts = BatchOptions(
        sources=tuple(args.sources),
        out=args.out,
        model=args.model,
        device=args.device,
        dtype=args.dtype,
        backend=args.backend,
        onnx_dir=args.onnx_dir,
        allow_download=args.allow_download,
        settings=settings_from_args(args),
        batch_size=args.batch_size,
        part_size=args.part_size,
        fmt=args.fmt,
        address=args.address,
        actors=args.actors,
        num_cpus=args.num_cpus,
        num_gpus=args.num_gpus,
        progress=not args.quiet,
    )
    summary = run_batch(opts)
    if not args.quiet:
        for path, code, message in summary.errors_seen[:20]:
            print(f"{path}\tERROR {code}: {message}", file=sys.stderr)
        if len(summary.errors_seen) > 20:
            print(f"... and {len(summary.errors_seen) - 20} more errors (rows with an error in {args.out})", file=sys.stderr)
        print(f"altlens batch: {summary.line()}; results in {args.out}", file=sys.stderr)
    if summary.sources == 0:
        print("altlens: no images found in the given sources.", file=sys.stderr)
        return 1
    # As `caption`: failure only when nothing could be captioned (errors are rows, not failures).
    return 0 if summary.captioned or summary.done_before else 1
