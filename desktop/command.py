# SPDX-License-Identifier: GPL-3.0-or-later
"""`altlens gui [--model M] [PATH...]` (and `altlens` alone): open the desktop window.
desktop/cli.py adds this command to core's CLI; Qt is imported only when it runs, so
`altlens --help` and the other commands stay light.

The options are the subset of `altlens caption`'s model options the window uses; they apply
to this session only and leave the saved settings alone (Settings changes those)."""

from __future__ import annotations

import argparse


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "gui",
        help="open the AltLens window (the default with no command)",
        description=(
            "Open the AltLens window to review suggestions and write approved alt text. "
            "Files and folders given are added as if dropped on the window. The options "
            "apply to this session only; Settings keeps the saved ones."
        ),
    )
    p.add_argument("paths", nargs="*", metavar="PATH", help="images or folders to caption now")
    g = p.add_argument_group("model (this session only)")
    g.add_argument(
        "--model", "-m", metavar="M", help="model folder, imported model name or Hugging Face id"
    )
    g.add_argument("--device", choices=["auto", "cpu", "cuda", "mps"], help="where the model runs")
    g.add_argument(
        "--dtype",
        choices=["auto", "float32", "bfloat16", "float16"],
        help="number format of the model weights",
    )
    g.add_argument("--beams", type=int, metavar="N", help="beam search width, 1-5; 1 means greedy")
    g.add_argument("--candidates", type=int, metavar="K", help="suggestions per image, 1-5")
    g.add_argument(
        "--max-length", type=int, metavar="T", help="maximum caption length in tokens, 8-64"
    )
    g.add_argument("--batch-size", type=int, metavar="B", help="images per model call, 1-32")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from altlens.desktop.app import check_overrides
    from altlens.desktop.app import run as run_app

    check_overrides(args)  # UsageError (exit 2) before any window opens
    return run_app(args)
