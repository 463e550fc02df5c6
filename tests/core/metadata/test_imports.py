# SPDX-License-Identifier: GPL-3.0-or-later
"""The metadata package and its CLI commands import cheaply: no Qt, no torch."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[3]


def test_no_heavy_imports() -> None:
    code = (
        "import sys, core.metadata, core.commands.metadata, core.metadata.writer; "
        "bad = [m for m in sys.modules if m.split('.')[0] in "
        "('PySide6', 'torch', 'transformers', 'PIL', 'exiv2', 'numpy')]; print(bad)"
    )
    out = subprocess.run([sys.executable, "-c", code], cwd=REPO, capture_output=True,
                         text=True, check=True).stdout.strip()
    assert out == "[]"
