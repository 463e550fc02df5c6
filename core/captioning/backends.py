# SPDX-License-Identifier: GPL-3.0-or-later
"""The registry of backends (`--backend`), beside the registry of adapters.

An adapter (adapters.ADAPTERS, looked up by config.json's `model_type`) knows one model
family; a backend decides which code runs a loaded model: AltLens's own fast path,
transformers' generate(), the model card's reference code, or an ONNX export. Each entry says
what it needs (a device, a numeric mode) and builds the adapter; the engine only looks the
name up. Stdlib only at import: the CLI reads the names without importing torch.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any


@dataclass(frozen=True)
class Request:
    folder: Path
    device: str  # "cpu", "cuda", "mps"
    mode: str  # a numeric mode from numerics.py, already resolved for the device
    onnx_dir: Path | None = None


@dataclass(frozen=True)
class Backend:
    name: str
    help: str
    label: str = ""  # the name in messages
    #: the only device it runs on (None: any)
    device: str | None = None
    #: the only numeric mode it runs in (None: any)
    mode: str | None = None
    load: Callable[[Request], Any] = lambda request: None

    def __post_init__(self) -> None:
        if not self.label:
            object.__setattr__(self, "label", self.name)


def _family_adapter(request: Request, *, fast: bool) -> Any:
    # Imports transformers (~2 s on a small CPU): only for what the light path does not cover.
    import torch
    from altlens.core.captioning.adapters import adapter_for

    cls = adapter_for(request.folder)
    return cls(request.folder, device=torch.device(request.device), mode=request.mode, fast=fast)


def _auto(request: Request) -> Any:
    # ViT-GPT-2 models on the CPU run without transformers (vitgpt2.py): its import and the
    # per-start weight conversion were most of a cold start.
    from altlens.core.captioning import vitgpt2

    if request.device == "cpu" and vitgpt2.unsupported_reason(request.folder) is None:
        import torch

        return vitgpt2.VitGpt2Adapter(request.folder, device=torch.device("cpu"), mode=request.mode)
    return _family_adapter(request, fast=True)


def _onnx(request: Request) -> Any:
    from altlens.core.captioning.onnx_backend import OnnxAdapter

    return OnnxAdapter(request.folder, mode=request.mode, onnx_dir=request.onnx_dir)


BACKENDS: dict[str, Backend] = {
    b.name: b
    for b in (
        Backend("auto", "AltLens's fast path where it covers the model, transformers' generate() elsewhere", load=_auto),
        Backend("torch", "always transformers' generate()", load=lambda r: _family_adapter(r, fast=False)),
        Backend("reference", "the model card's code: full-size decode, one image per call, float32",
                mode="float32", load=lambda r: _family_adapter(r, fast=False)),
        Backend("onnx", "an exported ONNX encoder/decoder run by onnxruntime", label="ONNX", device="cpu", load=_onnx),
    )
}
