# SPDX-License-Identifier: GPL-3.0-or-later
"""Numeric modes: how a model's weights and arithmetic are stored and computed.

    float32   the reference numerics; captions identical to the model card's code.
    bfloat16  on the CPU: every Linear/Conv1D multiplies in bfloat16 (weights stored in
              bfloat16, inputs rounded to it), while layer norms, attention, softmax and the
              residual stream stay float32 (like autocast). Fast on CPUs with AVX-512 BF16 or
              AMX; elsewhere emulated and slow. On a GPU: the whole model in bfloat16.
    float16   GPUs only: the whole model in float16.
    int8      CPU only: every Linear/Conv1D runs as an exact int8 x int8 -> int32 matrix
              product (weights int8 per output channel, activations quantized per token at
              run time), everything else stays float32 (except an encoder-decoder's image
              keys/values, bfloat16 where the CPU has it: `cross_attention_dtype`). Uses
              VNNI where the CPU has it.
    mixed     CPU only, encoder-decoder models: products over an image's patches (the
              encoder, the cross-attention keys and values) in bfloat16 as `bfloat16`, the
              decoder's per-token products in int8 as `int8` (see `mixed_matmuls`).
    auto      on a GPU: bfloat16 where supported, else float16; on a CPU: see `auto_cpu_mode`.

`auto` on a CPU picks the fastest mode that keeps caption differences from float32 within
2% of images on the trained test model (tests/core/test_numerics.py checks every mode against
that bound on fresh scenes; benchmarks/caption_speed.py measures the speed). The choice is
static per CPU capability, so the same computer always gives the same captions:
- AMX (Intel Sapphire Rapids+), for encoder-decoder models: mixed (fastest measured there);
- AVX-512 VNNI or AMX (e.g. AMD Zen 4+, Intel Ice Lake+): int8 (within bound);
- otherwise AVX-512 BF16: bfloat16;
- otherwise float32 (an unmeasured CPU keeps the exact reference numerics).
"""

from __future__ import annotations

import functools
import logging
from typing import TYPE_CHECKING, Any

from altlens.core.errors import UsageError

if TYPE_CHECKING:
    import torch

log = logging.getLogger(__name__)

MODES: tuple[str, ...] = ("auto", "float32", "bfloat16", "float16", "int8", "mixed")
#: Families `mixed` applies to: their image encoder is the model's `encoder` module.
MIXED_FAMILIES: tuple[str, ...] = ("vision-encoder-decoder",)
NO_INT8_PRODUCT = "This installation of torch cannot multiply int8 matrices on the CPU; use float32 or bfloat16."
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
        "int8_matmul": int8_matmul_available(),
    }


def auto_cpu_mode(family: str | None = None) -> str:
    """The numeric mode `auto` resolves to on this CPU for a model of `family` (see the
    module docstring; None: a family without an encoder/decoder split)."""
    f = cpu_features()
    if f["amx"] and f["int8_matmul"] and family in MIXED_FAMILIES:
        return "mixed"
    if f["int8_matmul"] and (f["vnni"] or f["amx"]):
        return "int8"
    if f["avx512_bf16"] or f["amx"]:
        return "bfloat16"
    return "float32"


#: Families whose faster CPU modes were measured within MAX_CAPTION_DIFFERENCE on a trained
#: model (the toy ViT-GPT-2, tests/core/test_numerics.py). `auto` on a CPU picks a faster
#: mode only for these: on random weights the rule cannot be checked (even this family's
#: random tiny models differ on ~12% of images in int8), and no trained BLIP or GIT model is
#: available offline, so those families keep float32 unless a person asks (issue 12).
CPU_MODE_PROVEN_FAMILIES: tuple[str, ...] = ("vision-encoder-decoder",)


def resolve_mode(requested: str, device: str, family: str | None = None) -> str:
    """Turn a requested mode into the one that will run on `device`, or a clear error.
    `family` (config.json model_type) keeps `auto` at float32 on a CPU for families whose
    faster modes are unproven."""
    import torch

    if requested == "auto" and device == "cpu" and family is not None and family not in CPU_MODE_PROVEN_FAMILIES:
        return "float32"

    check_mode(requested)
    if device == "cuda":
        if requested == "auto":
            return "bfloat16" if torch.cuda.is_bf16_supported() else "float16"
        if requested in ("int8", "mixed"):
            raise UsageError(f"The {requested} format runs on the CPU only; use --dtype float16 or bfloat16 on a GPU.")
        return requested
    if device == "mps":
        if requested == "auto":
            return "float16"
        if requested in ("int8", "mixed"):
            raise UsageError(f"The {requested} format runs on the CPU only; use --dtype float16 on Apple's GPU.")
        return requested
    if requested == "auto":
        return auto_cpu_mode(family)
    if requested == "mixed" and family is not None and family not in MIXED_FAMILIES:
        raise UsageError(f"The mixed format is for image encoder + text decoder models ({', '.join(MIXED_FAMILIES)}), "
                         f"not {family}; use int8 or bfloat16.")
    if requested == "float16":
        raise UsageError("float16 is for GPUs; on the CPU use float32, bfloat16 or int8.")
    if requested in ("int8", "mixed") and not int8_matmul_available():
        raise UsageError(NO_INT8_PRODUCT)
    if requested in ("bfloat16", "mixed") and not (cpu_features()["avx512_bf16"] or cpu_features()["amx"]):
        log.warning("this CPU has no native bfloat16 arithmetic; bfloat16 will be slow here")
    return requested


def cross_attention_dtype(mode: str, device: Any) -> torch.dtype | None:
    """How an encoder-decoder keeps its image keys/values for cross-attention (None: in the
    activations' own dtype).

    In the int8 and mixed modes on a CPU with native bfloat16, bfloat16. Every decoder step
    reads all of them (87 MB per step for 6 images in float32), and the attention over 197
    patches with 4 queries (the beams) is bound by that reading: bfloat16 halves it, and 12
    layers took 10.0 instead of 13.8 ms per step on the 2-core AMD benchmark machine. The
    queries and the output stay float32 around it. float32 mode keeps float32, as the model
    card's code does.
    """
    import torch

    if str(device) != "cpu" or mode not in ("int8", "mixed"):
        return None
    f = cpu_features()
    return torch.bfloat16 if f["avx512_bf16"] or f["amx"] else None


def storage_dtype(mode: str) -> torch.dtype:
    """The dtype weights are loaded in for `mode` (int8 is quantized after loading in float32)."""
    import torch

    return {"float32": torch.float32, "bfloat16": torch.bfloat16, "float16": torch.float16, "int8": torch.float32,
            "mixed": torch.float32}[mode]


# -- int8 ----------------------------------------------------------------------------------


_TINY = 1e-12  # scale floor, so an all-zero row or weight quantizes to zeros, not NaNs
_BIG = 1 << 16  # inputs with at least this many elements take the two-reduction row maximum


@functools.cache
def int8_matmul_available() -> bool:
    """Whether this torch can multiply int8 matrices exactly on the CPU (torch._int_mm)."""
    import torch

    mm = getattr(torch, "_int_mm", None)
    if mm is None:
        return False
    try:
        a = torch.ones((2, 8), dtype=torch.int8)
        return bool((mm(a, a.t()) == 8).all())
    except Exception:  # an op missing for this backend or shape
        return False


@functools.cache
def _make_int8_linear_class() -> type:
    import torch

    class _Int8Linear(torch.nn.Module):
        """y = x @ W.T + b with W in int8 (one scale per output channel) and x quantized to
        int8 per row (one scale per token), multiplied exactly in int32 and scaled back to
        float32. No row shares a scale with another, so an image's caption never depends on
        which images share its batch; torch.ao/fbgemm dynamic quantization uses one 7-bit
        scale per call, which made 2 of 60 toy-model captions depend on the batch size and
        had ~2x this layer's rounding error."""

        def __init__(self, weight: torch.Tensor, bias: torch.Tensor | None) -> None:
            super().__init__()
            w = weight.detach()
            qweight = torch.empty(w.shape, dtype=torch.int8)
            scale = torch.empty(w.shape[0], dtype=torch.float32)
            # A few rows at a time: float temporaries the size of an LM head (150 MB) would
            # stay in the allocator's heap after they are freed.
            step = max(1, (1 << 20) // max(1, w.shape[1]))
            for i in range(0, w.shape[0], step):
                rows = w[i : i + step].float()
                sc = torch.linalg.vector_norm(rows, ord=float("inf"), dim=1).div_(127).clamp_(min=_TINY)
                scale[i : i + step] = sc
                qweight[i : i + step] = rows.div(sc[:, None]).round_()
            self._set(qweight, scale, None if bias is None else bias.detach().float().clone())

        def _set(self, qweight: torch.Tensor, scale: torch.Tensor, bias: torch.Tensor | None) -> None:
            self.register_buffer("qweight", qweight)  # [out, in]
            self.register_buffer("scale", scale)
            self.register_buffer("bias", bias)
            self.in_features, self.out_features = qweight.shape[1], qweight.shape[0]

        @classmethod
        def from_quantized(cls, qweight: torch.Tensor, scale: torch.Tensor, bias: torch.Tensor | None) -> _Int8Linear:
            """A layer from weights quantized earlier (weightcache.py), used as they are."""
            layer = cls.__new__(cls)
            torch.nn.Module.__init__(layer)
            layer._set(qweight, scale, bias)
            return layer

        def forward(self, x: torch.Tensor) -> torch.Tensor:
            shape = x.shape
            x2 = x.reshape(-1, shape[-1]).float()
            # max |x| per row; abs().amax() is the same number as the inf-norm, ~2.4x faster
            # at encoder sizes (197 x 768: 134 vs 319 us on the 2-core benchmark machine).
            # On big inputs (the encoder's 8 x 197 rows) max(max, -min) is again the same
            # number without abs()'s full-size temporary: 1.35 vs 2.0 ms for 1576 x 3072 (one
            # thread); on a decoder step's 32 rows the two extra small ops would cost more.
            if x2.numel() >= _BIG:
                s = torch.maximum(x2.amax(dim=1, keepdim=True), x2.amin(dim=1, keepdim=True).neg_())
            else:
                s = x2.abs().amax(dim=1, keepdim=True)
            s = s.div_(127).clamp_(min=_TINY)
            xq = x2.div(s).round_().to(torch.int8)
            # int32 * float32 promotes per element exactly as .float() then * does, in one
            # pass instead of two (the LM head's 32 x 50257 output is 6 MB).
            y = torch._int_mm(xq, self.qweight.t()).mul(s)
            y.mul_(self.scale)
            if self.bias is not None:
                y.add_(self.bias)
            return y.view(*shape[:-1], self.out_features)

    return _Int8Linear


def quantize_int8(model: Any, pages: PageReleaser | None = None) -> Any:
    """Replace every Linear and GPT-2 Conv1D of `model` (in place) by an int8 version
    (`_Int8Linear`: int8 weights per output channel, activations per token).

    Embedding tables stay float32 (they are looked up, not multiplied); a tied LM head gets
    its own int8 copy. Module by module, so at most one float32 matrix per thread is in
    flight; `pages` hands the memory of replaced float32 weights back as it goes.
    """
    if not int8_matmul_available():
        raise UsageError(NO_INT8_PRODUCT)
    _quantize_layers(_matmul_layers(model, pages), pages)
    return model


def _quantize_layers(targets: list[tuple[Any, str, Any]], pages: PageReleaser | None) -> None:
    import torch

    cls = _make_int8_linear_class()

    def quantize(child: Any) -> Any:
        # Conv1D stores W as [in, out]; a Linear's weight is its transpose (a view here).
        weight = child.weight if isinstance(child, torch.nn.Linear) else child.weight.t()
        with torch.no_grad():
            q = cls(weight, child.bias)
        if pages is not None:
            pages.release(child.weight)  # nothing reads it again
        return q

    # Big matrices quantize in parallel kernels already; two at a time keeps both cores busy
    # through the many small ones.
    from concurrent.futures import ThreadPoolExecutor

    with ThreadPoolExecutor(max_workers=max(1, min(2, torch.get_num_threads()))) as pool:
        for (parent, name, _), q in zip(targets, pool.map(quantize, [c for _, _, c in targets]), strict=True):
            setattr(parent, name, q)


@functools.cache
def _make_bf16_linear_class() -> type:
    import torch
    import torch.nn.functional as F

    class _Bf16Linear(torch.nn.Module):
        """y = x @ W.T + b with W in bfloat16 and x rounded to bfloat16 for the product
        (one bfloat16 rounding per matrix product); the result, bias and everything between
        products stay float32, as under autocast."""

        def __init__(self, weight: torch.Tensor, bias: torch.Tensor | None) -> None:
            super().__init__()
            self.weight = torch.nn.Parameter(weight.to(torch.bfloat16).contiguous(), requires_grad=False)
            self.bias = None if bias is None else torch.nn.Parameter(bias.float(), requires_grad=False)
            self.out_features = self.weight.shape[0]
            self.bf16_out: torch.Tensor | bool = False  # see keep_bf16_output

        def keep_bf16_output(self) -> None:
            """Return the product in bfloat16, bias added inside it, for a consumer that
            multiplies it in bfloat16 next anyway (mixed mode's encoder, `mark_bf16_outputs`)."""
            self.bf16_out = True
            self.register_buffer("bias16", None if self.bias is None else self.bias.to(torch.bfloat16), persistent=False)

        def forward(self, x: torch.Tensor) -> torch.Tensor:
            if self.bf16_out:
                return F.linear(x.to(torch.bfloat16), self.weight, self.bias16)
            y = F.linear(x.to(torch.bfloat16), self.weight).float()
            return y if self.bias is None else y.add_(self.bias)

    return _Bf16Linear


def bf16_matmuls(model: Any, pages: PageReleaser | None = None) -> Any:
    """The CPU bfloat16 mode: every Linear/Conv1D multiplies in bfloat16 (weights stored in
    bfloat16), while layer norms, softmax, attention, embeddings and the residual stream stay
    float32. Rounding the whole model to bfloat16 (`model.to(torch.bfloat16)`) would round
    every addition and layer norm too; it ran no faster here (nlpconnect shapes), changed 5 of
    150 captions of an undertrained toy checkpoint against 3 for this scheme, and both changed
    none of 400 on the trained test model."""
    _bf16_layers(_matmul_layers(model, pages), pages)
    return model


def _bf16_layers(targets: list[tuple[Any, str, Any]], pages: PageReleaser | None) -> None:
    import torch

    cls = _make_bf16_linear_class()
    with torch.no_grad():
        for parent, name, child in targets:
            weight = child.weight if isinstance(child, torch.nn.Linear) else child.weight.t()
            setattr(parent, name, cls(weight, child.bias))
            if pages is not None:
                pages.release(child.weight)


def mixed_matmuls(model: Any, pages: PageReleaser | None = None) -> Any:
    """The CPU mixed mode, for encoder-decoder models: products over an image's patches (the
    encoder, the projection into the decoder, each cross-attention's keys and values, ~200
    rows per image) in bfloat16; products over one token per beam (the rest of the decoder)
    in int8. On AMX a bfloat16 product of the encoder's size is ~4x faster than an int8 one
    with its quantization; a decoder step's few rows are bound by reading the weights."""
    if getattr(model, "encoder", None) is None:
        raise UsageError("The mixed format needs a model with an image encoder and a text decoder; use int8 or bfloat16.")
    if not int8_matmul_available():
        raise UsageError(NO_INT8_PRODUCT)
    names = {id(m): n for n, m in model.named_modules()}
    patch_side, token_side = [], []
    for target in _matmul_layers(model, pages):
        parent, attr, _ = target
        name = f"{names[id(parent)]}.{attr}".lstrip(".")
        on_patches = name.startswith(("encoder.", "enc_to_dec_proj")) or name.endswith("crossattention.c_attn")
        (patch_side if on_patches else token_side).append(target)
    _bf16_layers(patch_side, pages)
    _quantize_layers(token_side, pages)
    mark_bf16_outputs(model)
    return model


#: Encoder products whose result only feeds another bfloat16 product (through attention or
#: the GELU): ViT's names in transformers 5 (q_proj ... mlp.fc1) and 4 (query ...
#: intermediate.dense), and the transformers-free path's (vitgpt2.py).
_BF16_FEEDS = (".q_proj", ".k_proj", ".v_proj", ".query", ".key", ".value", ".intermediate.dense", ".fc1")


def mark_bf16_outputs(model: Any) -> None:
    """Mixed mode: the encoder's query/key/value and first MLP products hand their result on
    in bfloat16 (attention and GELU then run in bfloat16), instead of widening it to float32
    only for the next product to round it back. Those conversions and the separate bias adds
    were ~30% of the encoder's time on one core (nlpconnect shapes); the residual stream and
    layer norms stay float32. ViT encoders only: others (Swin, BEiT ...) add float32 position
    biases to their attention scores, which a bfloat16 query would not survive."""
    encoder_type = getattr(getattr(getattr(model, "config", None), "encoder", None), "model_type", None)
    if encoder_type != "vit":
        return
    bf16 = _make_bf16_linear_class()
    for name, module in model.named_modules():
        if isinstance(module, bf16) and name.startswith("encoder.") and name.endswith(_BF16_FEEDS):
            module.keep_bf16_output()


def _matmul_layers(model: Any, pages: PageReleaser | None) -> list[tuple[Any, str, Any]]:
    """(parent, attribute, layer) for every Linear and GPT-2 Conv1D of `model`; tells `pages`
    that the tensors of every other module stay in use."""
    import torch

    targets = [
        (parent, name, child)
        for parent in list(model.modules())
        for name, child in list(parent.named_children())
        if type(child) is torch.nn.Linear or _is_conv1d(child)
    ]
    if pages is not None:
        replaced = {id(child) for _, _, child in targets}
        pages.keep_all(t for m in model.modules() if id(m) not in replaced for t in _own_tensors(m))
    return targets


def _own_tensors(module: Any) -> list[Any]:
    return [*module.parameters(recurse=False), *module.buffers(recurse=False)]


def convert_dtype(model: Any, dtype: Any, pages: PageReleaser | None = None) -> Any:
    """Cast floating-point parameters and buffers to `dtype` one tensor at a time, handing
    the float32 originals' memory back as it goes (`model.to(dtype)` would hold both copies)."""
    import torch

    seen: set[int] = set()
    with torch.no_grad():
        for module in model.modules():
            for tensor in _own_tensors(module):
                if id(tensor) in seen or not tensor.is_floating_point() or tensor.dtype == dtype:
                    continue
                seen.add(id(tensor))
                old = tensor.data
                tensor.data = old.to(dtype)
                if pages is not None:
                    pages.release(old)
    return model


class PageReleaser:
    """Hands the pages of float32 weights that were converted or quantized back to the OS.

    transformers memory-maps safetensors weights, so touching every weight to convert it puts
    the whole float32 file into this process's resident memory, next to the converted copy,
    and keeps it there while any tensor of the file lives. After a weight is replaced, its
    pages are dropped with madvise(MADV_DONTNEED), which for a file mapping only forgets
    clean pages that can be re-read from disk. Only page ranges inside a mapping of one of the
    model's own files, and not shared with a tensor that stays in use (tied embeddings), are
    dropped. Linux only; elsewhere this does nothing.
    """

    MADV_DONTNEED = 4

    def __init__(self, folder: Any) -> None:
        import ctypes
        import mmap
        import os
        import sys
        from pathlib import Path

        self.enabled = sys.platform.startswith("linux")
        self.page = mmap.PAGESIZE
        self.maps: list[tuple[int, int]] = []
        self.keep: list[tuple[int, int]] = []
        self.released = 0
        if not self.enabled:
            return
        files = {os.path.realpath(p) for p in Path(folder).iterdir() if p.is_file()}
        try:
            with open("/proc/self/maps", encoding="utf-8", errors="replace") as fh:
                for line in fh:
                    parts = line.split(maxsplit=5)
                    if len(parts) == 6 and parts[5].strip() in files:
                        lo, hi = (int(x, 16) for x in parts[0].split("-"))
                        self.maps.append((lo, hi))
        except OSError:
            self.enabled = False
            return
        libc = ctypes.CDLL(None, use_errno=True)
        self._madvise = libc.madvise
        self._madvise.argtypes = [ctypes.c_void_p, ctypes.c_size_t, ctypes.c_int]
        self._madvise.restype = ctypes.c_int
        self.enabled = bool(self.maps)

    def keep_all(self, tensors: Any) -> None:
        for t in tensors:
            if t.device.type == "cpu" and t.numel():
                start = t.data_ptr()
                self.keep.append((start, start + t.numel() * t.element_size()))

    def release(self, tensor: Any) -> None:
        if not self.enabled or tensor.device.type != "cpu" or not tensor.numel():
            return
        start = tensor.data_ptr()
        end = start + tensor.numel() * tensor.element_size()
        lo = -(-start // self.page) * self.page  # whole pages inside the tensor only
        hi = end // self.page * self.page
        if hi <= lo:
            return
        if not any(a <= lo and hi <= b for a, b in self.maps):
            return  # not file-backed: freeing the tensor gives the memory back anyway
        if any(lo < b and a < hi for a, b in self.keep):
            return
        if self._madvise(lo, hi - lo, self.MADV_DONTNEED) == 0:
            self.released += hi - lo


def _is_conv1d(module: Any) -> bool:
    """GPT-2's Conv1D, transformers' or the transformers-free path's (vitgpt2.py). transformers
    is only asked when it is loaded already: importing it costs ~2 s of a cold start."""
    import sys

    from altlens.core.captioning.vitgpt2 import is_conv1d

    if is_conv1d(module):
        return True
    if "transformers" not in sys.modules:
        return False
    try:
        from transformers.pytorch_utils import Conv1D
    except ImportError:  # pragma: no cover - transformers always has it
        return False
    return isinstance(module, Conv1D)


def apply_mode(model: Any, mode: str, folder: Any = None) -> Any:
    """Bring a float32 model loaded from `folder` into `mode`, in place, without holding a
    second full copy of the weights (see PageReleaser)."""
    if mode == "float32":
        return model
    pages = PageReleaser(folder) if folder is not None else None
    if mode == "int8":
        quantize_int8(model, pages)
    elif mode == "mixed":
        mixed_matmuls(model, pages)
    elif mode == "bfloat16":
        bf16_matmuls(model, pages)
    else:
        convert_dtype(model, storage_dtype(mode), pages)
    if pages is not None and pages.released:
        log.debug("released %.0f MB of float32 weight pages", pages.released / 2**20)
    _trim_heap()
    return model


def _trim_heap() -> None:
    """Give the allocator's free heap pages back to the system (glibc only): conversion
    temporaries otherwise stay counted in this process's memory for its lifetime."""
    import contextlib
    import ctypes
    import sys

    if not sys.platform.startswith("linux"):
        return
    with contextlib.suppress(OSError, AttributeError):  # musl or another libc: nothing to do
        ctypes.CDLL("libc.so.6").malloc_trim(0)

