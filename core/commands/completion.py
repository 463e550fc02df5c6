# SPDX-License-Identifier: GPL-3.0-or-later
"""`altlens completion bash|zsh|fish` and `altlens manpage`: generated from this version's
own argument parser (core/clidoc.py)."""

from __future__ import annotations

import argparse
import sys

SHELLS = ("bash", "zsh", "fish")


def register(sub: argparse._SubParsersAction) -> None:
    c = sub.add_parser(
        "completion",
        help="print a shell completion script (bash, zsh, fish)",
        description=(
            "Print the completion script for a shell. Install it with, for bash: "
            "`altlens completion bash > ~/.local/share/bash-completion/completions/altlens`; zsh: "
            "`altlens completion zsh > ~/.zfunc/_altlens` (with ~/.zfunc in fpath); fish: "
            "`altlens completion fish > ~/.config/fish/completions/altlens.fish`."
        ),
    )
    c.add_argument("shell", choices=SHELLS, help="the shell")
    c.set_defaults(func=run_completion)
    m = sub.add_parser(
        "manpage",
        help="print the man page (roff)",
        description="Print the altlens(1) man page. Read it with `altlens manpage | man -l -`, or install it with "
        "`altlens manpage > ~/.local/share/man/man1/altlens.1`.",
    )
    m.set_defaults(func=run_manpage)


def run_completion(args: argparse.Namespace) -> int:
    from altlens.core import clidoc

    sys.stdout.write(getattr(clidoc, args.shell)(args.parser))
    return 0


def run_manpage(args: argparse.Namespace) -> int:
    from altlens.core import clidoc

    sys.stdout.write(clidoc.manpage(args.parser))
    return 0
