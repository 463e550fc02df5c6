# SPDX-License-Identifier: GPL-3.0-or-later
"""Numeric modes: how a model's weights and arithmetic are stored and computed.

    float32   the reference numerics; captions identical to the model card's code.
    bfloat16  weights and activations in bfloat16 (8-bit mantissa). Fast on CPUs with
              AVX-512 BF16 or AMX and on recent GPUs; elsewhere it is emulated and slow.
    float16   GPUs only.
    int8      CPU only: every Linear/Conv1D layer runs as a dynamically quantized int8 matrix
              product (weights int8 per output channel, activations quantized per call);
              layer norms, attention and softmax stay float32. Uses VNNI where the CPU has it.
    auto      on a GPU: bfloat16 where supported, else float16; on a CPU: see `auto_cpu_mode`.

`auto` on a CPU picks the fastest mode that keeps caption differences from float32 within
2% of images on the trained test model (tests/core/test_numerics.py checks every mode against
that bound on fresh scenes; benchmarks/caption_speed.py measures the speed). The choice is
static per CPU capability, so the same computer always gives the same captions:
- AVX-512 VNNI or AMX (e.g. AMD Zen 4+, Intel Ice Lake+): int8 (fastest measured, within bound);
- otherwise AVX-512 BF16: bfloat16;
- otherwise float32 (an unmeasured CPU keeps the exact reference numerics).
"""

from __future__ import annotations

import functools
import logging
from typing import TYPE_CHECKING, Any

from core.errors import UsageError

if TYPE_CHECKING:
    import torch

log = logging.getLogger(__name__)

MODES: tuple[str, ...] = ("auto", "float32", "bfloat16", "float16", "int8")
#: The caption-agreement bound a faster mode must keep on the trained test model.
MAX_CAPTION_DIFFERENCE = 0.02


def check_mode(mode: str) -> str:
    if mode not in MODES:
        raise UsageError(f"Unknown number format {mode!r}; use one of {', '.join(MODES)}.")
    return mode


@functools.cache
def cpu_features() -> dict[str, bool]:
    """What this CPU offers for fast low-precision arithmetic, as torch sees it."""
    import torch

    def has(name: str) -> bool:
        probe = getattr(torch.cpu, name, None)
        try:
            return bool(probe()) if probe is not None else False
        except Exception:  # a probe that fails means "not usable", never a crash
            return False

    return {
        "avx512": has("_is_avx512_supported"),
        "avx512_bf16": has("_is_avx512_bf16_supported"),
        "vnni": has("_is_vnni_supported"),
        "amx": has("_is_amx_tile_supported"),
        "int8_engine": _int8_engine() is not None,
    }


def _int8_engine() -> str | None:
    import torch

    engines = list(getattr(torch.backends.quantized, "supported_engines", []))
    for name in ("x86", "fbgemm"):
        if name in engines:
            return name
    return None


def auto_cpu_mode() -> str:
    """The numeric mode `auto` resolves to on this CPU (see the module docstring)."""
    f = cpu_features()
    if f["int8_engine"] and (f["vnni"] or f["amx"]):
        return "int8"
    if f["avx512_bf16"] or f["amx"]:
        return "bfloat16"
    return "float32"


def resolve_mode(requested: str, device: str) -> str:
    """Turn a requested mode into the one that will run on `device`, or a clear error."""
    import torch

    check_mode(requested)
    if device == "cuda":
        if requested == "auto":
            return "bfloat16" if torch.cuda.is_bf16_supported() else "float16"
        if requested == "int8":
            raise UsageError("The int8 format runs on the CPU only; use --dtype float16 or bfloat16 on a GPU.")
        return requested
    if device == "mps":
        if requested == "auto":
            return "float16"
        if requested == "int8":
            raise UsageError("The int8 format runs on the CPU only; use --dtype float16 on Apple's GPU.")
        return requested
    if requested == "auto":
        return auto_cpu_mode()
    if requested == "float16":
        raise UsageError("float16 is for GPUs; on the CPU use float32, bfloat16 or int8.")
    if requested == "int8" and _int8_engine() is None:
        raise UsageError("This installation of torch has no int8 (fbgemm/x86) engine; use float32 or bfloat16.")
    if requested == "bfloat16" and not (cpu_features()["avx512_bf16"] or cpu_features()["amx"]):
        log.warning("this CPU has no native bfloat16 arithmetic; bfloat16 will be slow here")
    return requested


def storage_dtype(mode: str) -> torch.dtype:
    """The dtype weights are loaded in for `mode` (int8 is quantized after loading in float32)."""
    import torch

    return {"float32": torch.float32, "bfloat16": torch.bfloat16, "float16": torch.float16, "int8": torch.float32}[mode]


# -- int8 ----------------------------------------------------------------------------------


@functools.cache
def _make_quantized_conv1d_class() -> type:
    import torch

    class _QuantizedConv1D(torch.nn.Module):
        def __init__(self, linear: torch.nn.Module, nf: int) -> None:
            super().__init__()
            self.linear = linear
            self.nf = nf

        def forward(self, x: torch.Tensor) -> torch.Tensor:
            shape = (*x.shape[:-1], self.nf)
            return self.linear(x.reshape(-1, x.shape[-1])).view(shape)

    return _QuantizedConv1D


def quantize_int8(model: Any) -> Any:
    """Replace every Linear and GPT-2 Conv1D of `model` (in place) by an int8 dynamic version.

    Weights are quantized per output channel: per-tensor scales changed noticeably more
    captions on the trained test model. Embedding tables stay float32 (they are looked up,
    not multiplied); a tied LM head gets its own int8 copy.
    """
    import warnings

    import torch
    from torch.ao.quantization import per_channel_dynamic_qconfig, quantize_dynamic

    engine = _int8_engine()
    if engine is None:
        raise UsageError("This installation of torch has no int8 engine.")
    torch.backends.quantized.engine = engine
    conv_cls = _conv1d_class()
    wrapper = _make_quantized_conv1d_class()
    with warnings.catch_warnings():
        # torch marks its eager quantization API deprecated in favour of torchao; it is the
        # only int8 path in this torch build and works, so the warnings would only be noise.
        warnings.simplefilter("ignore")
        if conv_cls is not None:
            for parent in list(model.modules()):
                for name, child in list(parent.named_children()):
                    if isinstance(child, conv_cls):
                        lin = torch.nn.Linear(child.weight.shape[0], child.nf, bias=child.bias is not None)
                        with torch.no_grad():
                            lin.weight.copy_(child.weight.t())
                            if child.bias is not None:
                                lin.bias.copy_(child.bias)
                        q = quantize_dynamic(
                            torch.nn.Sequential(lin), {torch.nn.Linear: per_channel_dynamic_qconfig}, dtype=torch.qint8
                        )[0]
                        setattr(parent, name, wrapper(q, child.nf))
        quantize_dynamic(model, {torch.nn.Linear: per_channel_dynamic_qconfig}, dtype=torch.qint8, inplace=True)
    return model


def _conv1d_class() -> type | None:
    try:
        from transformers.pytorch_utils import Conv1D
    except ImportError:  # pragma: no cover - transformers always has it
        return None
    return Conv1D


def apply_mode(model: Any, mode: str) -> Any:
    """Bring a loaded float model into `mode` (in place where possible) and return it."""
    if mode == "int8":
        return quantize_int8(model)
    return model.to(storage_dtype(mode))


def is_low_precision(mode: str) -> bool:
    return mode != "float32"
