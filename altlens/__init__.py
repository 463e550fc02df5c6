# SPDX-License-Identifier: GPL-3.0-or-later
"""AltLens, installed under its own name so no other package or local folder can shadow it.

The source folders are `core/` (no Qt) and `desktop/` (Qt) at the top of the repository; they
install as `altlens.core` and `altlens.desktop` (see setup.py).

    from altlens import pipeline
    captioner = pipeline("image-to-text", model="nlpconnect/vit-gpt2-image-captioning")
"""

from __future__ import annotations

import os
from typing import Any

# Installed (wheel or editable), altlens.core and altlens.desktop are found by the install's
# mapping. Run from a source checkout without installing (PyInstaller's analysis, a quick
# `PYTHONPATH=. python -m altlens.core`), they are the core/ and desktop/ folders beside this
# one; an installed copy's own subfolders still come first.
_checkout = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
if os.path.isfile(os.path.join(_checkout, "core", "__init__.py")) and os.path.isfile(
    os.path.join(_checkout, "desktop", "__init__.py")
):
    __path__.append(_checkout)  # noqa: F821 (a package's __path__)

from altlens.core import __version__  # noqa: E402

__all__ = ["__version__", "pipeline"]


def __getattr__(name: str) -> Any:
    # Lazily, so `import altlens` stays free of torch.
    if name == "pipeline":
        from altlens.core.captioning.api import pipeline

        return pipeline
    raise AttributeError(name)
