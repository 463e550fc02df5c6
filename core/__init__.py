# SPDX-License-Identifier: GPL-3.0-or-later
"""AltLens core: captioning, metadata, library state. Never imports Qt."""

__version__ = "0.1.0"

__all__ = ["__version__", "pipeline"]


def __getattr__(name: str):
    if name == "pipeline":
        from altlens.core.captioning.api import pipeline

        return pipeline
    raise AttributeError(name)
