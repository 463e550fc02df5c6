# SPDX-License-Identifier: GPL-3.0-or-later
"""ViT + GPT-2 captioning models (nlpconnect/vit-gpt2-image-captioning and its fine-tunes) in
plain torch, loaded straight from their files without importing transformers.

Why: on a 2-core machine `import transformers` and the modules a VisionEncoderDecoderModel
pulls in (torch.distributed, dynamo, the processing utilities) took ~2 s of a ~6.5 s cold
`altlens caption` of one photo, more than the model's own work on it (~0.7 s), and the int8
conversion another ~1.5 s on every start (benchmarks/CLI_RESULTS.md). Here:
- the modules mirror transformers' ViTModel and GPT-2 blocks (same attribute names, so the
  fast path in fast.py and the numeric modes in numerics.py apply unchanged) and compute the
  same float32 numbers (tests/core/test_light_path.py compares them bit for bit);
- weights are memory-mapped from model.safetensors, or from pytorch_model.bin through torch's
  weights-only unpickler (no code from the file runs), never copied;
- converted weights (int8, bfloat16) are kept in AltLens's cache keyed by the weights' SHA-256
  (weightcache.py), so conversion happens once per model, not once per start;
- generation options come from generation_config.json or, where a model has none (nlpconnect),
  from config.json as GenerationConfig.from_model_config derives them;
- pixels and text use the model's own preprocessor settings (legacy ViTFeatureExtractor ones
  too) and tokenizer.json, or vocab.json + merges.txt (the `tokenizers` package), as
  ViTImageProcessor (PIL backend) and the fast tokenizer do.

Anything outside what is checked in `unsupported_reason` (other encoders or decoders, sharded
weights, unusual generation options, sampling) goes through transformers.
"""

from __future__ import annotations

import json
import logging
import math
import os
from pathlib import Path
from types import SimpleNamespace
from typing import TYPE_CHECKING, Any

from altlens.core.errors import ModelInvalidError

if TYPE_CHECKING:
    import torch
    from PIL import Image

log = logging.getLogger(__name__)

WEIGHTS = "model.safetensors"
#: the pickled state dict older repositories ship instead (nlpconnect/vit-gpt2-image-captioning)
LEGACY_WEIGHTS = "pytorch_model.bin"
#: ALTLENS_LIGHT=0 sends every model through transformers (for comparisons and bug hunts).
ENV_SWITCH = "ALTLENS_LIGHT"


# -- what this path covers -------------------------------------------------------------------


def _read_json(path: Path) -> dict[str, Any]:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


def unsupported_reason(folder: Path) -> str | None:
    """Why the model in `folder` cannot run on this path (None when it can). Reads only the
    small JSON files: cheap enough to call before deciding whether to import transformers."""
    if os.environ.get(ENV_SWITCH, "1") == "0":
        return f"{ENV_SWITCH}=0"
    folder = Path(folder)
    cfg = _read_json(folder / "config.json")
    if cfg.get("model_type") != "vision-encoder-decoder":
        return "not a vision-encoder-decoder model"
    enc, dec = cfg.get("encoder") or {}, cfg.get("decoder") or {}
    if enc.get("model_type") != "vit":
        return f"encoder {enc.get('model_type')!r}"
    if dec.get("model_type") != "gpt2" or not dec.get("add_cross_attention"):
        return "not a GPT-2 decoder with cross-attention"
    checks = {
        "encoder activation": enc.get("hidden_act", "gelu") == "gelu",
        "decoder activation": dec.get("activation_function", "gelu_new") == "gelu_new",
        "attention scaling": dec.get("scale_attn_weights", True) and not dec.get("scale_attn_by_inverse_layer_idx")
        and not dec.get("reorder_and_upcast_attn"),
        "hidden sizes": enc.get("hidden_size", 768) == dec.get("n_embd", 768),
        "position embedding": not enc.get("interpolate_pos_encoding", False),
    }
    bad = [k for k, ok in checks.items() if not ok]
    if bad:
        return "unusual " + ", ".join(bad)
    if weights_file(folder) is None:
        return f"no single {WEIGHTS} or {LEGACY_WEIGHTS}"
    if not (folder / "tokenizer.json").is_file() and not (
        (folder / "vocab.json").is_file() and (folder / "merges.txt").is_file()
    ):
        return "no tokenizer.json (nor vocab.json and merges.txt)"
    proc = _read_json(folder / "preprocessor_config.json")
    kind = proc.get("image_processor_type")
    if kind is None and proc.get("feature_extractor_type") == "ViTFeatureExtractor":
        kind = "ViTFeatureExtractor"  # legacy name: transformers loads it as ViTImageProcessor
    if kind not in ("ViTImageProcessor", "ViTImageProcessorFast", "ViTImageProcessorPil", "ViTFeatureExtractor"):
        return f"image processor {kind!r}"
    if proc.get("do_resize", True) and _size_dict(proc.get("size")) is None:
        return "image size not given as height and width (or one integer)"
    from altlens.core.captioning.genoptions import unsupported_generation_options

    gen = generation_options(folder)
    opts = unsupported_generation_options(_DictConfig(gen))
    if gen.get("min_length") not in (None, 0):
        # generate() applies it unless the caller sets one; the fast path uses the caller's only
        opts.append("min_length")
    if opts:
        return f"generation options {', '.join(sorted(opts))}"
    return None


def weights_file(folder: Path) -> Path | None:
    """model.safetensors, else pytorch_model.bin (as transformers prefers them); None if neither."""
    for name in (WEIGHTS, LEGACY_WEIGHTS):
        if (Path(folder) / name).is_file():
            return Path(folder) / name
    return None


def _size_dict(size: Any) -> dict[str, int] | None:
    """preprocessor_config.json's size as {"height", "width"}: a dict with both, or one integer
    (legacy ViTFeatureExtractor configs), which ViTImageProcessor reads as a square."""
    if isinstance(size, int) and not isinstance(size, bool):
        return {"height": size, "width": size}
    if size is None:
        return {"height": 224, "width": 224}
    if isinstance(size, dict) and "height" in size and "width" in size:
        return {"height": int(size["height"]), "width": int(size["width"])}
    return None


#: GenerationConfig's attributes (transformers 5; tests/core/test_light_path.py checks the list
#: against the installed transformers). All default to None.
GENERATION_KEYS = (
    "max_length", "max_new_tokens", "min_length", "min_new_tokens", "early_stopping", "max_time", "stop_strings",
    "do_sample", "num_beams", "use_mtp", "use_cache", "cache_implementation", "cache_config", "max_cache_len",
    "temperature", "top_k", "top_p", "min_p", "top_h", "typical_p", "epsilon_cutoff", "eta_cutoff",
    "repetition_penalty", "encoder_repetition_penalty", "length_penalty", "no_repeat_ngram_size", "bad_words_ids",
    "renormalize_logits", "forced_bos_token_id", "forced_eos_token_id", "remove_invalid_values",
    "exponential_decay_length_penalty", "suppress_tokens", "begin_suppress_tokens", "sequence_bias",
    "token_healing", "guidance_scale", "watermarking_config", "num_return_sequences", "output_attentions",
    "output_hidden_states", "output_scores", "output_logits", "return_dict_in_generate", "pad_token_id",
    "bos_token_id", "eos_token_id", "encoder_no_repeat_ngram_size", "decoder_start_token_id", "is_assistant",
    "num_assistant_tokens", "num_assistant_tokens_schedule", "assistant_confidence_threshold",
    "prompt_lookup_num_tokens", "max_matching_ngram_size", "assistant_early_exit", "assistant_lookbehind",
    "target_lookbehind", "assistant_ensemble_weight", "speculation_type", "compile_config", "disable_compile",
    "continuous_batching_config", "low_memory", "penalty_alpha", "dola_layers", "diversity_penalty",
    "num_beam_groups", "constraints", "force_words_ids", "prefill_chunk_size",
)


def generation_options(folder: Path) -> dict[str, Any]:
    """The model's generation options that differ from GenerationConfig's defaults (all None),
    as transformers loads them: generation_config.json when present; otherwise derived from
    config.json the way GenerationConfig.from_model_config does for a config dict (what
    from_pretrained falls back to): the top-level generation keys that are not None, then,
    for those still unset, the decoder's (or generator's, text_config's) own keys."""
    folder = Path(folder)
    if (folder / "generation_config.json").is_file():
        gen = _read_json(folder / "generation_config.json")
        return {k: v for k, v in gen.items() if k not in ("transformers_version", "_from_model_config")}
    cfg = _read_json(folder / "config.json")
    out = {k: cfg[k] for k in GENERATION_KEYS if cfg.get(k) is not None}
    if cfg.get("force_bos_token_to_be_generated", False):
        out["forced_bos_token_id"] = out.get("bos_token_id")
    for name in ("decoder", "generator", "text_config"):
        sub = cfg.get(name)
        if sub:
            for k in GENERATION_KEYS:
                if out.get(k) is None and k in sub:
                    out[k] = sub[k]
            break
    return {k: v for k, v in out.items() if v is not None}


class _DictConfig:
    """generation_config.json as genoptions.unsupported_generation_options reads it (the file holds
    only non-default values, which is what to_diff_dict gives)."""

    def __init__(self, data: dict[str, Any]) -> None:
        self.data = data

    def to_diff_dict(self) -> dict[str, Any]:
        return dict(self.data)


def image_size(folder: Path) -> tuple[int, int]:
    """(width, height) of the model's input, from preprocessor_config.json."""
    size = _size_dict(_read_json(Path(folder) / "preprocessor_config.json").get("size")) or {}
    return int(size.get("width", 224)), int(size.get("height", 224))


# -- safetensors, memory-mapped --------------------------------------------------------------


_DTYPES = {"F32": "float32", "F16": "float16", "BF16": "bfloat16", "I8": "int8", "I64": "int64", "I32": "int32",
           "U8": "uint8", "BOOL": "bool"}


def mmap_safetensors(path: Path) -> dict[str, torch.Tensor]:
    """Every tensor of a safetensors file as a view of one private memory map of it: nothing
    is read until used, pages are shared with the OS's file cache, and a tensor that is never
    written costs no memory of its own (copy-on-write)."""
    import mmap

    import torch

    with open(path, "rb") as fh:
        buf = mmap.mmap(fh.fileno(), 0, access=mmap.ACCESS_COPY)
    header_len = int.from_bytes(buf[:8], "little")
    header = json.loads(buf[8 : 8 + header_len])
    base = 8 + header_len
    whole = torch.frombuffer(buf, dtype=torch.uint8)  # keeps the map alive through its views
    out: dict[str, torch.Tensor] = {}
    for name, meta in header.items():
        if name == "__metadata__":
            continue
        dtype = getattr(torch, _DTYPES[meta["dtype"]])
        start, end = meta["data_offsets"]
        raw = whole[base + start : base + end]
        out[name] = raw.view(dtype).view(meta["shape"]) if end > start else torch.empty(meta["shape"], dtype=dtype)
    return out


def read_checkpoint(path: Path) -> dict[str, torch.Tensor]:
    """The tensors of a model.safetensors (memory-mapped) or pytorch_model.bin. A .bin is a
    pickle: it is read with torch's weights-only unpickler, which builds tensors and plain
    containers and refuses anything else (no code from the file runs), and memory-mapped
    where its format allows (the zip format torch has written since 1.6)."""
    import torch

    path = Path(path)
    if path.suffix == ".safetensors":
        return mmap_safetensors(path)
    import pickle

    try:
        try:
            state = torch.load(path, map_location="cpu", weights_only=True, mmap=True)
        except RuntimeError as exc:
            if "mmap" not in str(exc):  # anything but the pre-1.6 format (which cannot be mapped)
                raise
            state = torch.load(path, map_location="cpu", weights_only=True)
    except pickle.UnpicklingError as exc:
        # The same refusal, in the same words, as the transformers path (adapters.py).
        raise ModelInvalidError(
            "The weights file holds more than plain tensors, so AltLens refuses to unpickle it "
            f"(that could run code). Use a safetensors copy of this model. ({str(exc).splitlines()[0]})",
            path=path.parent,
        ) from None
    if isinstance(state, dict) and "state_dict" in state and isinstance(state["state_dict"], dict):
        state = state["state_dict"]
    if not isinstance(state, dict) or not all(isinstance(k, str) and isinstance(v, torch.Tensor) for k, v in state.items()):
        raise ValueError(f"{path.name} is not a state dict of tensors")
    return state


# -- the modules ------------------------------------------------------------------------------


def _modules() -> SimpleNamespace:
    """The module classes (built on first use so that importing this file stays torch-free)."""
    global _MODULES
    if _MODULES is not None:
        return _MODULES
    import torch
    import torch.nn.functional as F
    from torch import nn

    class Conv1D(nn.Module):
        """GPT-2's transposed linear layer, computed exactly as transformers' Conv1D."""

        def __init__(self, nf: int, nx: int) -> None:
            super().__init__()
            self.nf, self.nx = nf, nx
            self.weight = nn.Parameter(torch.empty(nx, nf), requires_grad=False)
            self.bias = nn.Parameter(torch.empty(nf), requires_grad=False)

        def forward(self, x: torch.Tensor) -> torch.Tensor:
            size_out = x.size()[:-1] + (self.nf,)
            return torch.addmm(self.bias, x.view(-1, x.size(-1)), self.weight).view(size_out)

    def gelu_new(x: torch.Tensor) -> torch.Tensor:
        # transformers' NewGELUActivation, operation for operation (the same float32 result).
        return 0.5 * x * (1.0 + torch.tanh(math.sqrt(2.0 / math.pi) * (x + 0.044715 * torch.pow(x, 3.0))))

    class GPT2MLP(nn.Module):
        def __init__(self, inner: int, embed: int) -> None:
            super().__init__()
            self.c_fc = Conv1D(inner, embed)
            self.c_proj = Conv1D(embed, inner)

        def forward(self, x: torch.Tensor) -> torch.Tensor:
            return self.c_proj(gelu_new(self.c_fc(x)))

    class SelfAttention(nn.Module):
        def __init__(self, embed: int, heads: int) -> None:
            super().__init__()
            self.c_attn = Conv1D(3 * embed, embed)
            self.c_proj = Conv1D(embed, embed)
            self.scaling = (embed // heads) ** -0.5

    class CrossAttention(nn.Module):
        def __init__(self, embed: int, heads: int) -> None:
            super().__init__()
            self.q_attn = Conv1D(embed, embed)
            self.c_attn = Conv1D(2 * embed, embed)
            self.c_proj = Conv1D(embed, embed)
            self.scaling = (embed // heads) ** -0.5

    class GPT2Block(nn.Module):
        def __init__(self, embed: int, heads: int, inner: int, eps: float) -> None:
            super().__init__()
            self.ln_1 = nn.LayerNorm(embed, eps=eps)
            self.attn = SelfAttention(embed, heads)
            self.ln_cross_attn = nn.LayerNorm(embed, eps=eps)
            self.crossattention = CrossAttention(embed, heads)
            self.ln_2 = nn.LayerNorm(embed, eps=eps)
            self.mlp = GPT2MLP(inner, embed)

    class GPT2Transformer(nn.Module):
        def __init__(self, c: Any) -> None:
            super().__init__()
            self.wte = nn.Embedding(c.vocab_size, c.hidden_size)
            self.wpe = nn.Embedding(c.n_positions, c.hidden_size)
            self.h = nn.ModuleList(GPT2Block(c.hidden_size, c.num_attention_heads, c.n_inner, c.eps)
                                   for _ in range(c.n_layer))
            self.ln_f = nn.LayerNorm(c.hidden_size, eps=c.eps)

    class GPT2Decoder(nn.Module):
        """GPT2LMHeadModel's modules (the fast path runs them step by step, fast.py)."""

        def __init__(self, c: Any) -> None:
            super().__init__()
            self.config = c
            self.transformer = GPT2Transformer(c)
            self.lm_head = nn.Linear(c.hidden_size, c.vocab_size, bias=False)
            if c.tie_word_embeddings:
                self.lm_head.weight = self.transformer.wte.weight

    class ViTLayer(nn.Module):
        def __init__(self, embed: int, heads: int, inner: int, eps: float, qkv_bias: bool) -> None:
            super().__init__()
            self.heads, self.head_dim = heads, embed // heads
            self.scaling = self.head_dim ** -0.5
            self.layernorm_before = nn.LayerNorm(embed, eps=eps)
            self.query = nn.Linear(embed, embed, bias=qkv_bias)
            self.key = nn.Linear(embed, embed, bias=qkv_bias)
            self.value = nn.Linear(embed, embed, bias=qkv_bias)
            self.attn_out = nn.Linear(embed, embed)
            self.layernorm_after = nn.LayerNorm(embed, eps=eps)
            self.fc1 = nn.Linear(embed, inner)
            self.fc2 = nn.Linear(inner, embed)

        def forward(self, x: torch.Tensor) -> torch.Tensor:
            # transformers' ViTLayer with sdpa attention (its default), step for step.
            residual = x
            h = self.layernorm_before(x)
            shape = (*h.shape[:-1], -1, self.head_dim)
            q = self.query(h).view(shape).transpose(1, 2)
            k = self.key(h).view(shape).transpose(1, 2)
            v = self.value(h).view(shape).transpose(1, 2)
            a = F.scaled_dot_product_attention(q, k, v, attn_mask=None, dropout_p=0.0, scale=self.scaling, is_causal=False)
            a = a.reshape(a.shape[0], -1, q.shape[2], v.shape[-1]).transpose(1, 2).contiguous()
            a = a.reshape(*h.shape[:-1], -1).contiguous()
            x = self.attn_out(a) + residual
            residual = x
            h = self.fc2(F.gelu(self.fc1(self.layernorm_after(x))))
            return h + residual

    class ViTEncoder(nn.Module):
        def __init__(self, c: Any) -> None:
            super().__init__()
            self.config = c
            e = c.hidden_size
            self.patch = nn.Conv2d(c.num_channels, e, kernel_size=c.patch_size, stride=c.patch_size)
            self.cls_token = nn.Parameter(torch.empty(1, 1, e), requires_grad=False)
            patches = (c.image_size // c.patch_size) ** 2
            self.position_embeddings = nn.Parameter(torch.empty(1, patches + 1, e), requires_grad=False)
            self.layer = nn.ModuleList(
                ViTLayer(e, c.num_attention_heads, c.intermediate_size, c.layer_norm_eps, c.qkv_bias)
                for _ in range(c.num_hidden_layers)
            )
            self.layernorm = nn.LayerNorm(e, eps=c.layer_norm_eps)

        def forward(self, pixel_values: torch.Tensor, return_dict: bool = True) -> SimpleNamespace:
            pixel_values = pixel_values.to(self.patch.weight.dtype)
            x = self.patch(pixel_values).flatten(2).transpose(1, 2)
            x = torch.cat((self.cls_token.expand(x.shape[0], -1, -1), x), dim=1)
            x = x + self.position_embeddings
            for layer in self.layer:
                x = layer(x)
            return SimpleNamespace(last_hidden_state=self.layernorm(x))

    class VitGpt2(nn.Module):
        """encoder + decoder, with the attributes fast.py and the adapters read."""

        def __init__(self, config: Any, generation_config: Any) -> None:
            super().__init__()
            self.config = config
            self.generation_config = generation_config
            self.encoder = ViTEncoder(config.encoder)
            self.decoder = GPT2Decoder(config.decoder)
            self.enc_to_dec_proj = None

    _MODULES = SimpleNamespace(Conv1D=Conv1D, VitGpt2=VitGpt2)
    return _MODULES


_MODULES: SimpleNamespace | None = None


def is_conv1d(module: Any) -> bool:
    """Whether `module` is this file's Conv1D (numerics.py converts it like transformers')."""
    return _MODULES is not None and isinstance(module, _MODULES.Conv1D)


def _empty_model(config: Any, generation: Any) -> Any:
    """The module tree with uninitialised (never touched, so never resident) tensors, which
    the caller replaces. Building on the meta device instead imports torch's symbolic-shape
    machinery (sympy, dynamo) on the first meta init: 1.7 s of a cold start."""
    import contextlib

    import torch

    names = ("uniform_", "normal_", "kaiming_uniform_", "ones_", "zeros_", "trunc_normal_")
    with contextlib.ExitStack() as stack:
        for n in names:
            original = getattr(torch.nn.init, n)
            setattr(torch.nn.init, n, lambda t, *a, **k: t)
            stack.callback(setattr, torch.nn.init, n, original)
        return _modules().VitGpt2(config, generation)


# Checkpoint names (transformers' ViT layout) -> this file's module names.
_VIT_RENAMES = (
    ("encoder.embeddings.patch_embeddings.projection.", "encoder.patch."),
    ("encoder.embeddings.cls_token", "encoder.cls_token"),
    ("encoder.embeddings.position_embeddings", "encoder.position_embeddings"),
    ("encoder.encoder.layer.", "encoder.layer."),
    (".attention.attention.query.", ".query."),
    (".attention.attention.key.", ".key."),
    (".attention.attention.value.", ".value."),
    (".attention.output.dense.", ".attn_out."),
    (".intermediate.dense.", ".fc1."),
    (".output.dense.", ".fc2."),
)


def checkpoint_name(name: str) -> str | None:
    """This file's parameter name for a checkpoint tensor (None: not used, e.g. the pooler)."""
    if name.startswith("encoder.pooler.") or name.endswith(".attn.bias") or name.endswith(".attn.masked_bias"):
        return None
    for old, new in _VIT_RENAMES:
        name = name.replace(old, new)
    return name


def configs(folder: Path) -> tuple[SimpleNamespace, SimpleNamespace]:
    """(model config, generation config) with the fields the modules and the search read."""
    cfg = _read_json(Path(folder) / "config.json")
    enc, dec = cfg["encoder"], cfg["decoder"]
    embed = int(dec.get("n_embd", 768))
    decoder = SimpleNamespace(
        model_type="gpt2", hidden_size=embed, num_attention_heads=int(dec.get("n_head", 12)),
        n_layer=int(dec.get("n_layer", 12)), n_positions=int(dec.get("n_positions", 1024)),
        vocab_size=int(dec.get("vocab_size", 50257)), n_inner=int(dec.get("n_inner") or 4 * embed),
        eps=float(dec.get("layer_norm_epsilon", 1e-5)), add_cross_attention=True, _attn_implementation="sdpa",
        bos_token_id=dec.get("bos_token_id"), eos_token_id=dec.get("eos_token_id"),
        num_hidden_layers=int(dec.get("n_layer", 12)), tie_word_embeddings=bool(dec.get("tie_word_embeddings", True)),
    )
    encoder = SimpleNamespace(
        model_type="vit", hidden_size=int(enc.get("hidden_size", 768)), num_attention_heads=int(enc.get("num_attention_heads", 12)),
        num_hidden_layers=int(enc.get("num_hidden_layers", 12)), intermediate_size=int(enc.get("intermediate_size", 3072)),
        layer_norm_eps=float(enc.get("layer_norm_eps", 1e-12)), image_size=int(enc.get("image_size", 224)),
        patch_size=int(enc.get("patch_size", 16)), num_channels=int(enc.get("num_channels", 3)),
        qkv_bias=bool(enc.get("qkv_bias", True)),
    )
    config = SimpleNamespace(
        model_type="vision-encoder-decoder", encoder=encoder, decoder=decoder,
        decoder_start_token_id=cfg.get("decoder_start_token_id"), eos_token_id=cfg.get("eos_token_id"),
        pad_token_id=cfg.get("pad_token_id"),
    )
    gen = generation_options(folder)
    generation = SimpleNamespace(
        decoder_start_token_id=gen.get("decoder_start_token_id"), eos_token_id=gen.get("eos_token_id"),
        pad_token_id=gen.get("pad_token_id"), length_penalty=gen.get("length_penalty", 1.0),
        early_stopping=gen.get("early_stopping", False), data=gen,
    )
    generation.to_diff_dict = lambda: dict(gen)
    return config, generation


def build(folder: Path, tensors: dict[str, torch.Tensor]) -> Any:
    """The model, its parameters pointing at `tensors` (checkpoint names), nothing copied."""
    import torch

    config, generation = configs(folder)
    model = _empty_model(config, generation)
    tied = config.decoder.tie_word_embeddings
    own = dict(model.named_parameters(remove_duplicate=False))
    missing = set(own) - ({"decoder.lm_head.weight"} if tied else set())
    for name, tensor in tensors.items():
        target = checkpoint_name(name)
        if target is None:
            continue
        if target == "decoder.lm_head.weight" and tied:
            continue  # transformers ties it to the token embedding and ignores the copy
        if target not in own:
            raise KeyError(f"unexpected tensor {name!r} in the weights file")
        if tuple(own[target].shape) != tuple(tensor.shape):
            raise ValueError(f"{name}: shape {tuple(tensor.shape)}, expected {tuple(own[target].shape)}")
        module_name, _, attr = target.rpartition(".")
        module = model.get_submodule(module_name)
        setattr(module, attr, torch.nn.Parameter(tensor, requires_grad=False))
        missing.discard(target)
    if missing:
        raise KeyError(f"the weights file lacks {', '.join(sorted(missing)[:5])}")
    if tied:
        model.decoder.lm_head.weight = model.decoder.transformer.wte.weight
    return model.eval()


# -- pixels and text -------------------------------------------------------------------------


class ImagePreprocessor:
    """ViTImageProcessor (PIL backend) for one model: resize with PIL, rescale, normalize, in
    the same order and float types, so the pixel values are bit-identical."""

    def __init__(self, folder: Path) -> None:
        p = _read_json(Path(folder) / "preprocessor_config.json")
        self.do_resize = p.get("do_resize", True)
        size = _size_dict(p.get("size")) or {"height": 224, "width": 224}
        self.size = (int(size["width"]), int(size["height"]))
        self.resample = int(p.get("resample", 2))
        self.do_rescale = p.get("do_rescale", True)
        self.rescale_factor = float(p.get("rescale_factor", 1 / 255))
        self.do_normalize = p.get("do_normalize", True)
        # transformers' attribute names, which callers inspecting a processor read
        self.image_mean = self.mean = p.get("image_mean", [0.5, 0.5, 0.5])
        self.image_std = self.std = p.get("image_std", [0.5, 0.5, 0.5])

    def __call__(self, images: list[Image.Image]) -> torch.Tensor:
        import numpy as np
        import torch

        out = []
        for im in images:
            if im.mode != "RGB":
                im = im.convert("RGB")
            if self.do_resize and im.size != self.size:
                im = im.resize(self.size, resample=self.resample)
            a = np.asarray(im).transpose(2, 0, 1)  # channels first, as the processor works
            if self.do_rescale:
                a = (a.astype(np.float64) * self.rescale_factor).astype(np.float32)
            if self.do_normalize:
                a = a.astype(np.float32)
                mean = np.array(self.mean, dtype=a.dtype)[:, None, None]
                std = np.array(self.std, dtype=a.dtype)[:, None, None]
                a = (a - mean) / std
            out.append(torch.from_numpy(np.ascontiguousarray(a, dtype=np.float32)))
        return torch.stack(out)


class TextDecoder:
    """tokenizer.json's decoder with skip_special_tokens, as transformers' fast tokenizer's
    batch_decode: including its optional space clean-up ("word ." -> "word."), which
    transformers skips for BPE tokenizers unless told to corrupt them anyway."""

    def __init__(self, folder: Path) -> None:
        folder = Path(folder)
        cfg = _read_json(folder / "tokenizer_config.json")
        self.tokenizer = load_tokenizer(folder, cfg)
        bpe = type(self.tokenizer.model).__name__ == "BPE"
        self.clean_up = bool(cfg.get("clean_up_tokenization_spaces", False)) and (
            not bpe or bool(cfg.get("clean_up_tokenization_spaces_for_bpe_even_though_it_will_corrupt_output"))
        )

    def batch_decode(self, sequences: Any, skip_special_tokens: bool = True) -> list[str]:
        rows = sequences.tolist() if hasattr(sequences, "tolist") else sequences
        texts = self.tokenizer.decode_batch(rows, skip_special_tokens=skip_special_tokens)
        return [_clean_up(t) for t in texts] if self.clean_up else texts


def _token_content(value: Any) -> str | None:
    if isinstance(value, dict):  # AddedToken as tokenizer_config.json spells it
        value = value.get("content")
    return value if isinstance(value, str) else None


def load_tokenizer(folder: Path, cfg: dict[str, Any] | None = None) -> Any:
    """tokenizer.json, else GPT-2's vocab.json + merges.txt built into the byte-level BPE that
    transformers' GPT-2 tokenizer builds from them: ByteLevel pre-tokenizer (add_prefix_space
    from tokenizer_config.json), ByteLevel decoder, no post-processing, and the special tokens
    of tokenizer_config.json / special_tokens_map.json, plus added_tokens.json."""
    from tokenizers import AddedToken, Tokenizer, decoders, models, pre_tokenizers

    folder = Path(folder)
    if (folder / "tokenizer.json").is_file():
        return Tokenizer.from_file(str(folder / "tokenizer.json"))
    cfg = cfg if cfg is not None else _read_json(folder / "tokenizer_config.json")
    tok = Tokenizer(models.BPE.from_file(str(folder / "vocab.json"), str(folder / "merges.txt")))
    tok.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=bool(cfg.get("add_prefix_space", False)))
    tok.decoder = decoders.ByteLevel()
    added = _read_json(folder / "added_tokens.json")
    if added:
        tok.add_tokens([t for t, _ in sorted(added.items(), key=lambda kv: kv[1])])
    specials = {**_read_json(folder / "special_tokens_map.json"), **cfg}
    names = ("bos_token", "eos_token", "unk_token", "pad_token")
    found = [_token_content(specials.get(n)) for n in names]
    extra = [_token_content(t) for t in specials.get("additional_special_tokens") or []]
    seen: list[str] = []
    for t in [*found, *extra]:
        if t and t not in seen:
            seen.append(t)
    tok.add_special_tokens([AddedToken(t, special=True) for t in seen])
    return tok


def _clean_up(text: str) -> str:
    # transformers' PreTrainedTokenizerBase.clean_up_tokenization, replacement for replacement.
    for old, new in ((" .", "."), (" ?", "?"), (" !", "!"), (" ,", ","), (" ' ", "'"), (" n't", "n't"),
                     (" 'm", "'m"), (" 's", "'s"), (" 've", "'ve"), (" 're", "'re")):
        text = text.replace(old, new)
    return text


# -- loading, with the converted-weights cache ------------------------------------------------


def load_model(folder: Path, mode: str) -> Any:
    """The model in `mode` (float32, bfloat16, int8 or mixed on the CPU). float32 maps the checkpoint
    itself; other modes map their converted copy from the cache, converting (and caching)
    on the first run."""
    from altlens.core.captioning import numerics, weightcache

    folder = Path(folder)
    weights = weights_file(folder)
    if weights is None:
        raise FileNotFoundError(f"no {WEIGHTS} or {LEGACY_WEIGHTS} in {folder}")
    if mode == "float32":
        return build(folder, read_checkpoint(weights))
    entry: Path | None = None
    try:
        entry = weightcache.entry_path(weightcache.digest(weights), mode)
    except OSError as exc:
        log.debug("no weight cache for %s: %s", weights, exc)
    if entry is not None and entry.is_file():
        try:
            return _from_cache(folder, entry, mode)
        except Exception as exc:  # a damaged or foreign entry: convert again and replace it
            log.warning("ignoring cached weights %s (%s: %s)", entry, type(exc).__name__, exc)
    model = build(folder, read_checkpoint(weights))
    numerics.apply_mode(model, mode, folder)
    if entry is not None:
        weightcache.save_in_background(entry, weightcache.converted_tensors(model))
    return model


def _from_cache(folder: Path, entry: Path, mode: str) -> Any:
    import torch
    from altlens.core.captioning import numerics

    tensors = mmap_safetensors(entry)
    config, generation = configs(folder)
    model = _empty_model(config, generation)
    names = {id(m): n for n, m in model.named_modules()}
    if mode not in ("int8", "bfloat16", "mixed"):
        raise ValueError(f"no cached form for mode {mode!r}")
    int8 = numerics._make_int8_linear_class()
    bf16 = numerics._make_bf16_linear_class()

    def make(n: str) -> Any:
        # Each layer is stored in its own form (mixed: bfloat16 encoder, int8 decoder).
        if f"{n}.qweight" in tensors:
            return int8.from_quantized(tensors[f"{n}.qweight"], tensors[f"{n}.scale"], tensors.get(f"{n}.bias"))
        return bf16(tensors[f"{n}.weight"], tensors.get(f"{n}.bias"))
    for parent, attr, child in numerics._matmul_layers(model, None):
        setattr(parent, attr, make(names[id(child)]))
    if mode == "mixed":
        numerics.mark_bf16_outputs(model)
    converted = {id(p) for m in model.modules() if isinstance(m, (int8, bf16)) for p in m.parameters()}
    for name, param in list(model.named_parameters()):
        if id(param) not in converted:
            module_name, _, attr = name.rpartition(".")
            setattr(model.get_submodule(module_name), attr, torch.nn.Parameter(tensors[name], requires_grad=False))
    return model.eval()


# -- the adapter -------------------------------------------------------------------------------


class VitGpt2Adapter:
    """The engine's adapter (the interface of adapters.ModelAdapter) for models this file
    covers, on the CPU. Beam search and greedy decoding run on the fast path; sampling, which
    needs transformers' generate(), loads the transformers adapter on first use."""

    family = "vision-encoder-decoder"

    def __init__(self, folder: Path, *, device: Any, mode: str) -> None:
        import threading

        import torch

        self.folder = Path(folder)
        self.device = device
        self.mode = mode
        self.dtype = torch.float32  # CPU modes change the matrix products only (numerics.py)
        self.fast = True
        # The tokenizer (~0.2 s of JSON) loads on a helper thread while the weights map.
        box: dict[str, Any] = {}

        def load_tokenizer() -> None:
            try:
                box["tok"] = TextDecoder(self.folder)
            except Exception as exc:  # re-raised on the caller's thread below
                box["error"] = exc

        helper = threading.Thread(target=load_tokenizer, name="altlens-tokenizer")
        helper.start()
        self.model = load_model(self.folder, mode)
        self.image_processor = ImagePreprocessor(self.folder)
        helper.join()
        if "error" in box:
            raise box["error"]
        self.tokenizer = box["tok"]
        cfg, gen = self.model.config, self.model.generation_config
        eos = gen.eos_token_id if gen.eos_token_id is not None else cfg.eos_token_id
        self.eos_token_id = eos[0] if isinstance(eos, list) else eos
        pad = gen.pad_token_id if gen.pad_token_id is not None else cfg.pad_token_id
        self.pad_token_id = pad if pad is not None else self.eos_token_id
        if gen.decoder_start_token_id is None and cfg.decoder_start_token_id is None:
            # Fine-tunes often forget it; GPT-2 decoders start from BOS (= EOS), as in adapters.py.
            bos = cfg.decoder.bos_token_id
            gen.decoder_start_token_id = bos if bos is not None else self.eos_token_id
        self._full: Any = None

    @property
    def image_size(self) -> tuple[int, int]:
        return self.image_processor.size

    def pixel_values(self, images: list[Image.Image]) -> torch.Tensor:
        return self.image_processor(images)

    def to_inputs(self, pixel_values: torch.Tensor) -> dict[str, torch.Tensor]:
        return {"pixel_values": pixel_values.to(self.device, self.dtype)}

    def preprocess(self, images: list[Image.Image]) -> dict[str, torch.Tensor]:
        return self.to_inputs(self.pixel_values(images))

    def generation_kwargs(self, settings: Any) -> dict[str, Any]:
        """What transformers' generate() would be given for `settings` (the transformers
        adapter's keywords; comparisons with generate() read the length from it)."""
        kw: dict[str, Any] = {"max_length": settings.max_length, "num_return_sequences": settings.num_candidates,
                              "pad_token_id": self.pad_token_id, "eos_token_id": self.eos_token_id,
                              "return_dict_in_generate": True, "output_scores": True}
        if settings.min_length:
            kw["min_length"] = settings.min_length
        if settings.strategy == "sample":
            kw.update(num_beams=1, do_sample=True, top_p=settings.top_p, temperature=settings.temperature, top_k=0)
        else:
            kw.update(num_beams=settings.num_beams if settings.strategy == "beam" else 1, do_sample=False)
        return kw

    def fast_path_reason(self, settings: Any) -> str | None:
        return "sampling" if settings.strategy == "sample" else None

    def generate(self, inputs: dict[str, torch.Tensor], settings: Any, cancel: Any = None) -> list[list[tuple[str, float]]]:
        import torch
        from altlens.core.captioning import fast, numerics

        if settings.strategy == "sample":
            return self._transformers_adapter().generate(inputs, settings, cancel)
        pixel_values = inputs["pixel_values"]
        with torch.inference_mode():
            states = fast.encode(self.model, pixel_values)
            decoder = fast.Gpt2StepDecoder(self.model.decoder, states, settings.max_length,
                                           cross_dtype=numerics.cross_attention_dtype(self.mode, self.device))
            result = fast.run_search(decoder, pixel_values.shape[0], settings, self.model.generation_config,
                                     self.model.config, self.eos_token_id, self.pad_token_id, cancel)
        return fast.decode_candidates(self.tokenizer, result)

    def _transformers_adapter(self) -> Any:
        if self._full is None:
            from altlens.core.captioning.adapters import VisionEncoderDecoderAdapter

            log.info("loading %s through transformers for sampling", self.folder)
            self._full = VisionEncoderDecoderAdapter(self.folder, device=self.device, mode=self.mode, fast=True)
        return self._full
