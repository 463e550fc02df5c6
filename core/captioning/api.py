# SPDX-License-Identifier: GPL-3.0-or-later
"""A drop-in for the Hugging Face image-to-text pipeline.

    from transformers import pipeline          ->   from altlens import pipeline
    captioner = pipeline("image-to-text", model="nlpconnect/vit-gpt2-image-captioning")
    captioner("photo.jpg")  # [{'generated_text': 'A dog running on a beach', 'score': 0.61, ...}]

Same call shape: one image (path or PIL image) in gives a list of dicts; a list of images gives
a list of such lists, in input order. Each dict has `generated_text` plus AltLens's `score`,
`candidates` and `error` (None, or {"code", "message"}); a bad image gives
`generated_text: None` with its error instead of stopping the batch. Unlike the pipeline it
never downloads unless `allow_download=True`, and it never fetches URLs.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from typing import Any

from altlens.core.captioning.engine import DEFAULT_BATCH_SIZE, Captioner, ImageInput
from altlens.core.captioning.settings import GenerationSettings
from altlens.core.errors import UsageError
from altlens.core.types import CaptionResult
from PIL import Image

SUPPORTED_TASKS = ("image-to-text", "image-captioning")
# generate() keywords the pipeline forwards and what they mean here.
_GENERATE_KEYS = {"max_new_tokens", "max_length", "num_beams", "do_sample", "top_p", "temperature", "num_return_sequences", "seed"}


class CaptionPipeline:
    def __init__(self, captioner: Captioner) -> None:
        self.captioner = captioner

    @property
    def model(self) -> Any:
        """The underlying transformers model (loaded on first access)."""
        return self.captioner.adapter.model

    def __call__(
        self,
        inputs: ImageInput | Sequence[ImageInput],
        *,
        max_new_tokens: int | None = None,
        generate_kwargs: dict[str, Any] | None = None,
        batch_size: int | None = None,
        **kwargs: Any,
    ) -> list[dict[str, Any]] | list[list[dict[str, Any]]]:
        gen = dict(generate_kwargs or {})
        for key in list(kwargs):
            if key in _GENERATE_KEYS:
                gen[key] = kwargs.pop(key)
        if kwargs:
            raise UsageError(f"Unsupported argument(s): {', '.join(sorted(kwargs))}.")
        if max_new_tokens is not None:
            gen["max_new_tokens"] = max_new_tokens
        settings = self._settings(gen)
        single = isinstance(inputs, (str, os.PathLike, Image.Image))
        items: list[ImageInput] = [inputs] if single else list(inputs)  # type: ignore[list-item]
        if batch_size is not None:
            self.captioner.batch_size = max(1, int(batch_size))
        results = self.captioner.caption(items, settings)
        shaped = [_as_pipeline_output(r) for r in results]
        return shaped[0] if single else shaped

    def _settings(self, gen: dict[str, Any]) -> GenerationSettings:
        unknown = set(gen) - _GENERATE_KEYS
        if unknown:
            raise UsageError(f"Unsupported generate_kwargs: {', '.join(sorted(unknown))}.")
        base = self.captioner.settings
        max_length = gen.get("max_length")
        if "max_new_tokens" in gen:
            max_length = int(gen["max_new_tokens"]) + 1  # + the decoder start token
        sample = bool(gen.get("do_sample", False))
        beams = gen.get("num_beams")
        if beams is None and not sample:
            beams = base.num_beams if base.strategy == "beam" else 1
        return GenerationSettings.from_options(
            beams=beams,
            candidates=gen.get("num_return_sequences", base.num_candidates),
            max_length=max_length or base.max_length,
            sample=sample,
            top_p=gen.get("top_p"),
            temperature=gen.get("temperature"),
            repetition_guard=base.repetition_guard,
            seed=gen.get("seed"),
        )


def _as_pipeline_output(result: CaptionResult) -> list[dict[str, Any]]:
    error = result.error.to_dict() if result.error else None
    if not result.candidates:
        return [{"generated_text": None, "score": None, "candidates": [], "error": error}]
    candidates = [c.to_dict() for c in result.candidates]
    # Like the pipeline with num_return_sequences: one dict per returned sequence.
    return [
        {"generated_text": c.text, "score": c.score, "candidates": candidates, "error": None}
        for c in result.candidates
    ]


def pipeline(
    task: str = "image-to-text",
    model: str | os.PathLike[str] | None = None,
    *,
    device: str = "auto",
    dtype: str = "auto",
    allow_download: bool = False,
    batch_size: int = DEFAULT_BATCH_SIZE,
    backend: str = "auto",
    **settings: Any,
) -> CaptionPipeline:
    """Create a captioning pipeline. `settings` are GenerationSettings fields (num_beams,
    max_length, num_candidates, strategy ...). `device` also accepts an int or "cuda:0"
    like the transformers pipeline. `dtype` is a numeric mode (auto, float32, bfloat16,
    float16, int8) and `backend` one of auto, torch, reference, onnx (see Captioner)."""
    if task not in SUPPORTED_TASKS:
        raise UsageError(f"AltLens only provides the {SUPPORTED_TASKS[0]!r} task (got {task!r}).")
    dev = str(device)
    if isinstance(device, int) or dev.isdigit() or dev == "-1":
        dev = "cpu" if dev == "-1" else "cuda"
    dev = dev.split(":")[0]
    return CaptionPipeline(
        Captioner(
            model,
            device=dev,
            dtype=dtype,
            allow_download=allow_download,
            settings=GenerationSettings(**settings),
            batch_size=batch_size,
            backend=backend,
        )
    )
