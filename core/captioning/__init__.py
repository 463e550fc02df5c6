# SPDX-License-Identifier: GPL-3.0-or-later
"""Captioning: the engine, its settings, per-family adapters and model lookup.
torch and transformers are imported only when a model is loaded."""

from core.captioning.context import PhotoContext, read_contexts
from core.captioning.engine import Captioner, LoadedModelInfo
from core.captioning.loading import DEFAULT_MODEL, resolve_model
from core.captioning.settings import GenerationSettings
from core.captioning.store import ModelRecord, ModelStore
from core.captioning.tasks import TASK_LABELS, TASKS

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
