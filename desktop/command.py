# SPDX-License-Identifier: GPL-3.0-or-later
"""`altlens gui [--model M] [PATH...]` (and `altlens` alone): open the desktop window.
desktop/cli.py adds this command to core's CLI; Qt is imported only when it runs, so
`altlens --help` and the other commands stay light.

The options are the subset of `altlens caption`'s model options the window uses; they apply
to this session only and leave the saved settings alone (Settings changes those)."""

from __future__ import annotations

import argparse
import importlib.util
import os
import sys
from collections.abc import Mapping

CLI_HINT = (
    "The commands work without a window, for example:\n"
    "  altlens caption -r PHOTOS/            suggest alt text\n"
    "  altlens watch PHOTOS/                 caption new photos as they arrive\n"
    "  altlens export --csv review.csv       review in a spreadsheet, then `altlens import`\n"
    "  altlens apply                         write the approved text into the photos\n"
    "Run `altlens --help` for all commands."
)


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
        choices=["auto", "float32", "bfloat16", "float16", "int8", "mixed"],
        help="number format of the model weights",
    )
    g.add_argument("--beams", type=int, metavar="N", help="beam search width, 1-5; 1 means greedy")
    g.add_argument("--candidates", type=int, metavar="K", help="suggestions per image, 1-5")
    g.add_argument(
        "--max-length", type=int, metavar="T", help="maximum caption length in tokens, 8-64"
    )
    g.add_argument("--batch-size", type=int, metavar="B", help="images per model call, 1-32")
    p.set_defaults(func=run)


def why_no_window(environ: Mapping[str, str] = os.environ, platform: str = sys.platform) -> str | None:
    """Why the window cannot open here, or None. Checked before Qt starts: without a display
    Qt aborts the process (SIGABRT, a core dump) instead of returning an error."""
    try:
        installed = importlib.util.find_spec("PySide6") is not None
    except (ImportError, ValueError):
        installed = False
    if not installed:
        return (
            "The AltLens window is not installed here (an install without Qt). Add it with "
            "`pip install 'altlens[gui]'` (or `pipx inject altlens PySide6-Essentials`)."
        )
    on_x11_or_wayland = platform.startswith(("linux", "freebsd", "openbsd", "netbsd"))
    if on_x11_or_wayland and not any(environ.get(v) for v in ("DISPLAY", "WAYLAND_DISPLAY", "QT_QPA_PLATFORM")):
        return (
            "There is no display to open the AltLens window on: neither DISPLAY nor WAYLAND_DISPLAY is set "
            "(as over SSH or on a server). Log in to the desktop, use `ssh -X`, or use the commands."
        )
    return None


def run(args: argparse.Namespace) -> int:
    problem = why_no_window()
    if problem is not None:
        print(f"altlens: {problem}\n\n{CLI_HINT}", file=sys.stderr)
        return 2
    from altlens.desktop.app import check_overrides
    from altlens.desktop.app import run as run_app

    check_overrides(args)  # UsageError (exit 2) before any window opens
    return run_app(args)
