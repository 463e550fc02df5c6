# SPDX-License-Identifier: GPL-3.0-or-later
"""`python -m altlens.desktop`: the full `altlens` command, window included."""

from altlens.desktop.cli import run

run()
