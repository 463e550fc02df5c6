# SPDX-License-Identifier: GPL-3.0-or-later
"""Captioning: the engine, its settings, per-family adapters and model lookup.
torch and transformers are imported only when a model is loaded."""

from altlens.core.captioning.context import PhotoContext, read_contexts
from altlens.core.captioning.engine import Captioner, LoadedModelInfo
from altlens.core.captioning.loading import DEFAULT_MODEL, resolve_model
from altlens.core.captioning.settings import GenerationSettings
from altlens.core.captioning.store import ModelRecord, ModelStore
from altlens.core.captioning.tasks import TASK_LABELS, TASKS

__all__ = [
    "DEFAULT_MODEL",
    "TASKS",
    "TASK_LABELS",
    "Captioner",
    "GenerationSettings",
    "LoadedModelInfo",
    "ModelRecord",
    "ModelStore",
    "PhotoContext",
    "read_contexts",
    "resolve_model",
]
