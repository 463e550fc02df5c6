# SPDX-License-Identifier: GPL-3.0-or-later
"""Captioning: the engine, its settings, per-family adapters and model lookup.
torch and transformers are imported only when a model is loaded."""

from core.captioning.engine import Captioner, LoadedModelInfo
from core.captioning.loading import DEFAULT_MODEL, resolve_model
from core.captioning.settings import GenerationSettings
from core.captioning.store import ModelRecord, ModelStore

__all__ = [
    "DEFAULT_MODEL",
    "Captioner",
    "GenerationSettings",
    "LoadedModelInfo",
    "ModelRecord",
    "ModelStore",
    "resolve_model",
]
