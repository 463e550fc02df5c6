# SPDX-License-Identifier: GPL-3.0-or-later
"""AltLens, installed under its own name so no other package or local folder can shadow it.

The source folders are `core/` (no Qt) and `desktop/` (Qt) at the top of the repository; they
install as `altlens.core` and `altlens.desktop` (see setup.py).

    from altlens import pipeline
    captioner = pipeline("image-to-text", model="nlpconnect/vit-gpt2-image-captioning")
"""

from __future__ import annotations

from typing import Any

from altlens.core import __version__

__all__ = ["__version__", "pipeline"]


def __getattr__(name: str) -> Any:
    # Lazily, so `import altlens` stays free of torch.
    if name == "pipeline":
        from altlens.core.captioning.api import pipeline

        return pipeline
    raise AttributeError(name)
