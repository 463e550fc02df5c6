# SPDX-License-Identifier: GPL-3.0-or-later
"""Run an ONNX export (onnx_export.py) with onnxruntime on the CPU.

The search (beam or greedy) is the same code the PyTorch fast path uses (search.py), driving
`OnnxStepDecoder`; tokenizer and image preprocessing come from the model's own folder, so
an export needs the original model next to it.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

import numpy as np
import torch
from altlens.core.captioning.numerics import cpu_features
from altlens.core.captioning.onnx_export import (
    FORMAT_VERSION,
    ONNX_MODES,
    default_onnx_root,
    read_manifest,
    source_fingerprint,
)
from altlens.core.captioning.search import SearchResult
from altlens.core.captioning.settings import GenerationSettings
from altlens.core.errors import ModelInvalidError, ModelNotFoundError, UsageError
from altlens.core.jobs import CancelToken
from PIL import Image

log = logging.getLogger(__name__)


def find_export(folder: Path, mode: str, onnx_dir: Path | None) -> Path:
    """The export folder to use for `mode` ("auto" picks int8 where this CPU runs it well and
    an int8 export exists, else float32)."""
    if onnx_dir is not None:
        candidates = [Path(onnx_dir)]
        if read_manifest(Path(onnx_dir)) is None:  # a root holding float32/ and int8/
            candidates = [Path(onnx_dir) / m for m in _preference(mode)]
    else:
        candidates = [default_onnx_root(folder) / m for m in _preference(mode)]
    for c in candidates:
        manifest = read_manifest(c)
        if manifest is None:
            continue
        if mode in ONNX_MODES and manifest.get("mode") != mode:
            continue
        return c
    wanted = "an int8" if mode == "int8" else "a float32" if mode == "float32" else "an"
    flag = " --int8" if mode == "int8" else ""
    raise ModelNotFoundError(
        f"There is no {wanted} ONNX export of this model at {candidates[0]}.",
        path=folder,
        hint=f"Create one with `altlens models export-onnx MODEL{flag}`, or pass --onnx-dir.",
    )


def _preference(mode: str) -> list[str]:
    if mode == "auto" or mode not in ONNX_MODES:
        f = cpu_features()
        return ["int8", "float32"] if (f["vnni"] or f["amx"]) else ["float32", "int8"]
    return [mode]


class OnnxAdapter:
    """Caption with an ONNX export; the same interface the engine uses for torch adapters."""

    family = "vision-encoder-decoder"

    def __init__(self, folder: Path, *, mode: str = "auto", onnx_dir: Path | None = None, threads: int | None = None) -> None:
        import onnxruntime as ort
        from altlens.core.captioning.adapters import _image_processor
        from transformers import AutoConfig, AutoTokenizer, GenerationConfig

        if mode not in ("auto", *ONNX_MODES):
            raise UsageError(f"ONNX exports come as float32 or int8, not {mode}.")
        self.folder = Path(folder)
        self.export_dir = find_export(self.folder, mode, onnx_dir)
        manifest = read_manifest(self.export_dir) or {}
        if manifest.get("format") != FORMAT_VERSION:
            raise ModelInvalidError(
                "This ONNX export was made by another version of AltLens; export it again.", path=self.export_dir
            )
        if manifest.get("source") and manifest["source"] != source_fingerprint(self.folder):
            raise ModelInvalidError(
                "The model changed since this ONNX export was made; export it again "
                "(`altlens models export-onnx MODEL`).",
                path=self.export_dir,
            )
        self.mode = str(manifest.get("mode", "float32"))
        self.layers = int(manifest["layers"])
        self.heads = int(manifest["heads"])
        self.head_dim = int(manifest["head_dim"])
        self.device = torch.device("cpu")
        self.dtype = torch.float32
        self.image_processor = _image_processor(self.folder)
        self.tokenizer = AutoTokenizer.from_pretrained(self.folder, local_files_only=True, trust_remote_code=False)
        self.model_config = AutoConfig.from_pretrained(self.folder, local_files_only=True, trust_remote_code=False)
        try:
            self.generation_config = GenerationConfig.from_pretrained(self.folder, local_files_only=True)
        except OSError:
            self.generation_config = GenerationConfig.from_model_config(self.model_config)
        gen, cfg = self.generation_config, self.model_config
        eos = gen.eos_token_id if gen.eos_token_id is not None else cfg.decoder.eos_token_id
        if isinstance(eos, list):
            eos = eos[0] if eos else None
        pad = gen.pad_token_id if gen.pad_token_id is not None else getattr(self.tokenizer, "pad_token_id", None)
        self.eos_token_id, self.pad_token_id = eos, (pad if pad is not None else eos)
        if gen.decoder_start_token_id is None and cfg.decoder_start_token_id is None:
            gen.decoder_start_token_id = cfg.decoder.bos_token_id if cfg.decoder.bos_token_id is not None else eos
        opts = ort.SessionOptions()
        opts.intra_op_num_threads = threads or torch.get_num_threads()
        opts.inter_op_num_threads = 1
        opts.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
        providers = ["CPUExecutionProvider"]
        try:
            self.encoder = ort.InferenceSession(str(self.export_dir / "encoder.onnx"), opts, providers=providers)
            self.decoder = ort.InferenceSession(str(self.export_dir / "decoder.onnx"), opts, providers=providers)
        except Exception as exc:  # onnxruntime raises its own exception types
            raise ModelInvalidError(f"The ONNX export cannot be loaded: {exc}", path=self.export_dir) from None

    @property
    def image_size(self) -> tuple[int, int]:
        size = getattr(self.image_processor, "size", None) or {}
        if isinstance(size, dict) and "height" in size and "width" in size:
            return int(size["width"]), int(size["height"])
        return 224, 224

    def pixel_values(self, images: list[Image.Image]) -> torch.Tensor:
        return self.image_processor(images=images, return_tensors="pt")["pixel_values"]

    def to_inputs(self, pixel_values: torch.Tensor) -> dict[str, torch.Tensor]:
        return {"pixel_values": pixel_values.to(torch.float32)}

    def preprocess(self, images: list[Image.Image]) -> dict[str, torch.Tensor]:
        return self.to_inputs(self.pixel_values(images))

    def generate(
        self, inputs: dict[str, torch.Tensor], settings: GenerationSettings, cancel: CancelToken | None = None
    ) -> list[list[tuple[str, float]]]:
        from altlens.core.captioning.adapters import decode_candidates, run_search

        if settings.strategy == "sample":
            raise UsageError("The ONNX backend decodes with beam search or greedily; sampling needs --backend auto or torch.")
        pixel = np.ascontiguousarray(inputs["pixel_values"].numpy(), dtype=np.float32)
        cross = self.encoder.run(None, {"pixel_values": pixel})
        decoder = OnnxStepDecoder(self, cross)
        result: SearchResult = run_search(
            decoder, pixel.shape[0], settings, self.generation_config, self.model_config,
            self.eos_token_id, self.pad_token_id, cancel,
        )
        return decode_candidates(self.tokenizer, result)


class OnnxStepDecoder:
    """search.StepDecoder over the exported decoder graph; caches are numpy arrays."""

    def __init__(self, adapter: OnnxAdapter, cross: list[np.ndarray]) -> None:
        self.session = adapter.decoder
        self.layers = adapter.layers
        self.heads = adapter.heads
        self.head_dim = adapter.head_dim
        self.cross = list(cross)
        self.past: list[np.ndarray] = []
        self.pos = 0
        names = [f"cross_{kind}_{i}" for i in range(self.layers) for kind in ("key", "value")]
        self.cross_names = names
        self.past_names = [f"past_{kind}_{i}" for i in range(self.layers) for kind in ("key", "value")]

    def begin(self, start_ids: torch.Tensor) -> torch.Tensor:
        rows = start_ids.shape[0]
        empty = np.zeros((rows, self.heads, 0, self.head_dim), dtype=np.float32)
        self.past = [empty] * (2 * self.layers)
        self.pos = 0
        return self.step(start_ids)

    def expand(self, group: int) -> None:
        self.past = [np.repeat(p, group, axis=0) for p in self.past]

    def select(self, rows: torch.Tensor, images: torch.Tensor | None) -> None:
        idx = rows.cpu().numpy()
        if not (idx.shape[0] == self.past[0].shape[0] and np.array_equal(idx, np.arange(idx.shape[0]))):
            self.past = [p[idx] for p in self.past]
        if images is not None:
            keep = images.cpu().numpy()
            self.cross = [c[keep] for c in self.cross]

    def step(self, tokens: torch.Tensor) -> torch.Tensor:
        feed: dict[str, Any] = {
            "input_ids": np.ascontiguousarray(tokens.cpu().numpy(), dtype=np.int64),
            "position": np.array([self.pos], dtype=np.int64),
        }
        feed.update(zip(self.past_names, self.past, strict=True))
        feed.update(zip(self.cross_names, self.cross, strict=True))
        out = self.session.run(None, feed)
        self.past = out[1:]
        self.pos += 1
        return torch.from_numpy(out[0])


def onnx_available() -> bool:
    try:
        import onnxruntime  # noqa: F401
    except ImportError:
        return False
    return True


__all__ = ["OnnxAdapter", "OnnxStepDecoder", "find_export", "onnx_available"]
