# SPDX-License-Identifier: GPL-3.0-or-later
"""The installed `altlens` and `altlens-gui` entry points: core's command line plus the
desktop window's `gui` command, which `altlens` with no arguments runs."""

from __future__ import annotations

import sys
from collections.abc import Sequence
from typing import NoReturn

from altlens.core import cli

COMMAND_MODULES = ["altlens.desktop.command"]


def main(argv: Sequence[str] | None = None) -> int:
    return cli.main(argv, extra_modules=COMMAND_MODULES, default="gui")


def run() -> NoReturn:
    """The installed `altlens` command: main(), then the fast exit of a finished command."""
    status = main()
    cli.exit_fast(status, teardown="PySide6.QtCore" in sys.modules)


def gui_main() -> int:
    """Entry point of the GUI launcher (no console window on Windows)."""
    return main(["gui", *sys.argv[1:]])
