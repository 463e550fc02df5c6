# SPDX-License-Identifier: GPL-3.0-or-later
"""The fast PyTorch path for VisionEncoderDecoder models with a GPT-2 decoder
(nlpconnect/vit-gpt2-image-captioning and its fine-tunes).

What it does differently from `generate()`, none of which changes the tokens in float32:
- the cross-attention keys and values of each image are computed once, not once per beam,
  and are never copied when beams are reordered (generate expands the image states to every
  beam and reorders that cache at every step: ~40% of a beam-4 step on the CPU);
- beams of one image attend to their image's keys/values as one small matrix product;
- the self-attention cache is preallocated and only its filled part is reordered;
- images whose result can no longer change leave the batch (search.py);
- no per-step Python model plumbing (cache objects, masks, output dataclasses).

It runs the model's own modules (layer norms, projections, MLPs, embeddings, LM head), so a
numeric mode applied to the model (bfloat16, int8; numerics.py) applies here too.
"""

from __future__ import annotations

import logging
import math
from typing import Any

import torch
import torch.nn.functional as F
from altlens.core.captioning.search import SearchResult, beam_search, greedy_search
from altlens.core.captioning.settings import GenerationSettings
from altlens.core.errors import ModelInvalidError
from altlens.core.jobs import CancelToken

log = logging.getLogger(__name__)


def unsupported_reason(model: Any) -> str | None:
    """Why the fast path cannot run `model` (None when it can)."""
    cfg = getattr(model, "config", None)
    if cfg is None or getattr(cfg, "model_type", None) != "vision-encoder-decoder":
        return "not a vision-encoder-decoder model"
    dec = cfg.decoder
    if getattr(dec, "model_type", None) != "gpt2":
        return f"decoder type {getattr(dec, 'model_type', None)!r} (the fast path covers GPT-2 decoders)"
    if not getattr(dec, "add_cross_attention", False):
        return "the decoder has no cross-attention"
    impl = getattr(dec, "_attn_implementation", None) or "eager"
    if impl not in ("sdpa", "eager"):
        return f"attention implementation {impl!r}"
    if impl == "eager" and getattr(dec, "reorder_and_upcast_attn", False):
        return "reorder_and_upcast_attn"
    if not hasattr(model.decoder, "lm_head") or not hasattr(model.decoder, "transformer"):
        return "unexpected decoder layout"
    return None


def cross_keys_values(
    decoder: Any, encoder_states: torch.Tensor, dtype: torch.dtype | None = None
) -> list[tuple[torch.Tensor, torch.Tensor]]:
    """Cross-attention keys and values of every layer, once per image:
    [(keys, values)] with each [images, heads, seq, head_dim], stored as `dtype` (default:
    the states' own)."""
    cfg = decoder.config
    heads = cfg.num_attention_heads
    n_img, seq_len, _ = encoder_states.shape
    shape = (n_img, seq_len, heads, cfg.hidden_size // heads)
    out = []
    for block in decoder.transformer.h:
        k, v = block.crossattention.c_attn(encoder_states).split(cfg.hidden_size, dim=2)
        # Contiguous once per image: every step's attention reads them (as strided views,
        # sdpa on 2 threads took 3.4 instead of 1.9 ms per layer for 8 images; same numbers).
        as_stored = {"dtype": dtype or k.dtype, "memory_format": torch.contiguous_format}
        out.append((k.view(shape).transpose(1, 2).to(**as_stored), v.view(shape).transpose(1, 2).to(**as_stored)))
    return out


class Gpt2StepDecoder:
    """A GPT-2 decoder with cross-attention, one token per row per step (search.StepDecoder)."""

    def __init__(self, decoder: Any, encoder_states: torch.Tensor, max_length: int, static: bool = False,
                 cross_dtype: torch.dtype | None = None) -> None:
        # static: never ask the device whether a reorder is the identity (a host sync, not
        # allowed while a CUDA graph is being captured); always gather instead.
        # cross_dtype: how the image keys/values are kept (numerics.cross_attention_dtype).
        self.static = static
        self.decoder = decoder
        cfg = decoder.config
        self.blocks = list(decoder.transformer.h)
        self.embed = cfg.hidden_size
        self.heads = cfg.num_attention_heads
        self.head_dim = self.embed // self.heads
        self.eager = (getattr(cfg, "_attn_implementation", None) or "eager") == "eager"
        self.max_length = max_length
        self.dtype = encoder_states.dtype
        self.device = encoder_states.device
        self.cross = cross_keys_values(decoder, encoder_states, cross_dtype)
        # Lower-precision image keys are kept transposed, [images, heads, head_dim, patches]:
        # the attention is then two plain batched products, 13.4 instead of 20.5 ms for 12
        # layers of 12 images in bfloat16 (sdpa's kernel is slow for 4 queries per image).
        self.rounded_cross = cross_dtype is not None and cross_dtype != encoder_states.dtype
        if self.rounded_cross:
            self.cross = [(k.transpose(-1, -2).contiguous(), v) for k, v in self.cross]
        self._spare_keys: list[torch.Tensor] | None = None
        self._spare_values: list[torch.Tensor] | None = None
        self.keys: list[torch.Tensor] = []
        self.values: list[torch.Tensor] = []
        self.pos = 0
        self.group = 1

    # -- search.StepDecoder ----------------------------------------------------------------

    # The self-attention cache is time-major, [max_length, rows, heads, head_dim] per layer,
    # so the filled part is one contiguous block: a beam reorder gathers it straight into the
    # layer's spare buffer (no new tensor per step), and the buffers then swap. Allocating and
    # filling fresh caches took 10.5 of a 122 ms step (48 rows) on the 2-core benchmark
    # machine, the gather into spares 2.8 ms.

    def begin(self, start_ids: torch.Tensor) -> torch.Tensor:
        start_ids = start_ids.to(self.device)
        rows = start_ids.shape[0]
        shape = (self.max_length, rows, self.heads, self.head_dim)
        kv_dtype = self._kv_dtype()
        self.keys = [torch.empty(shape, dtype=kv_dtype, device=self.device) for _ in self.blocks]
        self.values = [torch.empty(shape, dtype=kv_dtype, device=self.device) for _ in self.blocks]
        self._spare_keys = self._spare_values = None
        self.pos = 0
        self.group = 1
        return self.step(start_ids)

    def expand(self, group: int) -> None:
        p = self.pos
        self.keys = [self._grow(k, group, p) for k in self.keys]
        self.values = [self._grow(v, group, p) for v in self.values]
        self._spare_keys = self._spare_values = None
        self.group *= group

    def select(self, rows: torch.Tensor, images: torch.Tensor | None) -> None:
        p = self.pos
        identity = not self.static and rows.numel() == self.keys[0].shape[1] and bool(
            torch.equal(rows, torch.arange(rows.numel(), device=rows.device))
        )
        if not identity:
            self.keys, self._spare_keys = self._gather(self.keys, self._spare_keys, rows, p)
            self.values, self._spare_values = self._gather(self.values, self._spare_values, rows, p)
        if images is not None:
            self.cross = [(k.index_select(0, images), v.index_select(0, images)) for k, v in self.cross]

    def step(self, tokens: torch.Tensor) -> torch.Tensor:
        p = self.pos
        if p >= self.max_length:
            raise RuntimeError("decoder cache is full")  # a search bug, never user input
        position = torch.full((1, 1), p, dtype=torch.int64, device=self.device)

        def self_attention(i: int, q: torch.Tensor, k: torch.Tensor, v: torch.Tensor, scale: float) -> torch.Tensor:
            # Write this token into the preallocated cache; attend over its filled part, seen
            # as [rows, heads, positions, head_dim].
            self.keys[i][p] = k[:, :, 0].to(self.keys[i].dtype)
            self.values[i][p] = v[:, :, 0].to(self.values[i].dtype)
            filled_k, filled_v = self.keys[i][: p + 1], self.values[i][: p + 1]
            if self.rounded_cross:  # the cache is kept like the image keys (see _kv_dtype)
                return _rounded_attention(q, filled_k.permute(1, 2, 3, 0), filled_v.permute(1, 2, 0, 3), scale)
            return self._attend(q, filled_k.permute(1, 2, 0, 3), filled_v.permute(1, 2, 0, 3), scale)

        ck = [k for k, _ in self.cross]
        cv = [v for _, v in self.cross]
        logits = gpt2_step(self.decoder, tokens, position, self_attention, ck, cv, self._attend_image)
        self.pos = p + 1
        return logits.to(torch.float32)

    # -- helpers ---------------------------------------------------------------------------

    def _kv_dtype(self) -> torch.dtype:
        # bfloat16/float16 keep their own type. int8 modes keep float32 activations, and keep
        # this cache in the image keys' lower precision where they have one: with its spare
        # buffers it held 113 MB per lane of 12 images in float32.
        if self.rounded_cross:
            return self.cross[0][0].dtype
        return self.dtype if self.dtype in (torch.bfloat16, torch.float16) else torch.float32

    def _attend(self, q: torch.Tensor, k: torch.Tensor, v: torch.Tensor, scale: float) -> torch.Tensor:
        # Models loaded with eager attention get transformers' eager formula.
        return eager_attention(q, k, v, scale) if self.eager else _sdpa(q, k, v, scale)

    def _attend_image(self, q: torch.Tensor, k: torch.Tensor, v: torch.Tensor, scale: float) -> torch.Tensor:
        if not self.rounded_cross:
            return self._attend(q, k, v, scale)
        return _rounded_attention(q, k, v, scale)  # k is transposed (see __init__)

    def _grow(self, cache: torch.Tensor, group: int, filled: int) -> torch.Tensor:
        max_length, rows = cache.shape[:2]
        out = torch.empty((max_length, rows * group, *cache.shape[2:]), dtype=cache.dtype, device=cache.device)
        out[:filled] = cache[:filled].repeat_interleave(group, dim=1)
        return out

    @staticmethod
    def _gather(
        caches: list[torch.Tensor], spares: list[torch.Tensor] | None, rows: torch.Tensor, filled: int
    ) -> tuple[list[torch.Tensor], list[torch.Tensor] | None]:
        """Each layer's cache with its rows reordered as `rows` says, written into that layer's
        spare; returns (the new caches, the old ones as the next spares)."""
        out = []
        for i, cache in enumerate(caches):
            spare = spares[i] if spares is not None else None
            if spare is None or spare.shape[1] != rows.numel():
                spare = torch.empty((cache.shape[0], rows.numel(), *cache.shape[2:]), dtype=cache.dtype, device=cache.device)
            torch.index_select(cache[:filled], 1, rows, out=spare[:filled])
            out.append(spare)
        return out, caches


SelfAttention = Any  # (layer, q, k, v, scale) -> attention output [rows, heads, 1, head_dim]


def _rounded_attention(q: torch.Tensor, kt: torch.Tensor, v: torch.Tensor, scale: float) -> torch.Tensor:
    """Attention over keys/values kept in a lower precision: the two products in their dtype,
    scores and softmax in float32, the output in q's dtype. `kt` is the keys transposed,
    [..., head_dim, positions]."""
    weights = torch.softmax(torch.matmul(q.to(kt.dtype), kt).float().mul_(scale), dim=-1)
    return torch.matmul(weights.to(v.dtype), v).to(q.dtype)


def _sdpa(q: torch.Tensor, k: torch.Tensor, v: torch.Tensor, scale: float) -> torch.Tensor:
    return F.scaled_dot_product_attention(q, k, v, scale=scale)


def eager_attention(q: torch.Tensor, k: torch.Tensor, v: torch.Tensor, scale: float) -> torch.Tensor:
    """transformers' eager_attention_forward (softmax in the inputs' dtype, float32 here)."""
    w = torch.matmul(q, k.transpose(-1, -2)) * scale
    w = torch.softmax(w, dim=-1).type(v.dtype)
    return torch.matmul(w, v)


def gpt2_step(decoder: Any, tokens: torch.Tensor, position: torch.Tensor, self_attention: SelfAttention,
              cross_k: Any, cross_v: Any, attend: Any) -> torch.Tensor:
    """One GPT-2 decoder step with cross-attention, one token per row: the logits [rows, vocab].

    The one definition of the step, shared by the eager fast path (Gpt2StepDecoder), the
    fixed-shape step inside CUDA graphs (make_static_step) and the ONNX export
    (onnx_export.py). They differ only in how the self-attention cache is kept, which
    `self_attention(layer, q, k, v, scale)` does: it stores this token's keys and values
    ([rows, heads, 1, head_dim]) in the caller's cache and returns the attention output.
    `cross_k[i]`/`cross_v[i]` are layer i's image keys/values [images, heads, patches,
    head_dim], computed once per image (cross_keys_values); the rows of one image (its beams)
    are that image's queries, so nothing per image is repeated per beam. `attend(q, k, v,
    scale)` computes the cross-attention. `position` is [1, 1].
    """
    t = decoder.transformer
    cfg = decoder.config
    e = cfg.hidden_size
    h = cfg.num_attention_heads
    d = e // h
    n = tokens.shape[0]
    x = t.wte(tokens[:, None]) + t.wpe(position)
    for i, block in enumerate(t.h):
        residual = x
        q, k, v = block.attn.c_attn(block.ln_1(x)).split(e, dim=2)
        q, k, v = (y.view(n, 1, h, d).transpose(1, 2) for y in (q, k, v))
        a = self_attention(i, q, k, v, block.attn.scaling)
        x = block.attn.c_proj(a.transpose(1, 2).reshape(n, 1, e)) + residual
        residual = x
        ck, cv = cross_k[i], cross_v[i]
        qc = block.crossattention.q_attn(block.ln_cross_attn(x))
        qc = qc.reshape(ck.shape[0], -1, h, d).transpose(1, 2)
        a = attend(qc, ck, cv, block.crossattention.scaling)
        x = residual + block.crossattention.c_proj(a.transpose(1, 2).reshape(n, 1, e))
        x = x + block.mlp(block.ln_2(x))
    return decoder.lm_head(t.ln_f(x))[:, -1]


def encode(model: Any, pixel_values: torch.Tensor) -> torch.Tensor:
    """The image states the decoder cross-attends to, as VisionEncoderDecoderModel computes them."""
    states = model.encoder(pixel_values=pixel_values, return_dict=True).last_hidden_state
    if getattr(model, "enc_to_dec_proj", None) is not None and (
        model.encoder.config.hidden_size != model.decoder.config.hidden_size
        and getattr(model.decoder.config, "cross_attention_hidden_size", None) is None
    ):
        states = model.enc_to_dec_proj(states)
    return states


class StaticGpt2StepDecoder:
    """Gpt2StepDecoder with fixed tensor shapes at every step, for torch.compile + CUDA graphs.

    The self-attention cache is one zeroed [layers, rows, heads, max_length, head_dim] tensor
    per keys/values, every step attends over all of it with a mask (positions not written yet
    are zeros and masked out), and the position is a tensor: one compiled step serves all
    positions, so inductor can fuse the small kernels of a step (layer norms, GELU, residual
    adds, masking) that otherwise bound single-image latency on a GPU. Same search protocol
    (search.StepDecoder, static mode); numerically the same computation up to the order of
    floating-point sums in attention.
    """

    def __init__(self, decoder: Any, encoder_states: torch.Tensor, max_length: int, step_fn: Any = None) -> None:
        cfg = decoder.config
        self.layers = cfg.n_layer
        self.heads = cfg.num_attention_heads
        self.head_dim = cfg.hidden_size // self.heads
        self.max_length = max_length
        self.dtype = encoder_states.dtype
        self.device = encoder_states.device
        self.step_fn = step_fn if step_fn is not None else make_static_step(decoder)
        cross = cross_keys_values(decoder, encoder_states)
        self.cross_k = torch.stack([k for k, _ in cross])  # [layers, images, heads, seq, head_dim]
        self.cross_v = torch.stack([v for _, v in cross])
        self.keys = torch.empty(0)
        self.values = torch.empty(0)
        self.positions = torch.arange(max_length, device=self.device)
        self.pos = 0

    def begin(self, start_ids: torch.Tensor) -> torch.Tensor:
        shape = (self.layers, start_ids.shape[0], self.heads, self.max_length, self.head_dim)
        self.keys = torch.zeros(shape, dtype=self.dtype, device=self.device)
        self.values = torch.zeros(shape, dtype=self.dtype, device=self.device)
        self.pos = 0
        return self.step(start_ids.to(self.device))

    def expand(self, group: int) -> None:
        self.keys = self.keys.repeat_interleave(group, dim=1)
        self.values = self.values.repeat_interleave(group, dim=1)

    def select(self, rows: torch.Tensor, images: torch.Tensor | None) -> None:
        if images is not None:
            raise RuntimeError("the static decoder keeps every image")  # only the static search uses it
        self.keys = self.keys.index_select(1, rows)
        self.values = self.values.index_select(1, rows)

    def step(self, tokens: torch.Tensor) -> torch.Tensor:
        if self.pos >= self.max_length:
            raise RuntimeError("decoder cache is full")
        pos = self.positions[self.pos : self.pos + 1]
        logits = self.step_fn(tokens, pos, self.positions, self.keys, self.values, self.cross_k, self.cross_v)
        self.pos += 1
        return logits


def make_static_step(decoder: Any) -> Any:
    """The step function of StaticGpt2StepDecoder for one GPT-2 decoder (the modules are
    closed over, so a torch.compile of it guards on tensor shapes only)."""

    def step(tokens: torch.Tensor, pos: torch.Tensor, positions: torch.Tensor, keys: torch.Tensor,
             values: torch.Tensor, cross_k: torch.Tensor, cross_v: torch.Tensor) -> torch.Tensor:
        visible = (positions <= pos)[None, None, None, :]  # [1, 1, 1, max_length]

        def self_attention(i: int, q: torch.Tensor, k: torch.Tensor, v: torch.Tensor, scale: float) -> torch.Tensor:
            # Fixed shapes: write at `pos` (a tensor), attend over the whole cache, masked.
            keys[i].index_copy_(2, pos, k.to(keys.dtype))
            values[i].index_copy_(2, pos, v.to(values.dtype))
            return F.scaled_dot_product_attention(q, keys[i], values[i], attn_mask=visible, scale=scale)

        logits = gpt2_step(decoder, tokens, pos[None, :], self_attention, cross_k, cross_v, _sdpa)
        return logits.to(torch.float32)

    return step


def run_search(
    decoder: Any,
    batch: int,
    settings: GenerationSettings,
    generation_config: Any,
    model_config: Any,
    eos: int | None,
    pad: int | None,
    cancel: CancelToken | None,
    *,
    static: bool = False,
    device: torch.device | None = None,
) -> SearchResult:
    """Beam search or greedy decoding with generate()'s semantics for this model's
    generation config (start token, length penalty, early stopping). `static`: see search.py."""
    start = generation_config.decoder_start_token_id
    if start is None:
        start = model_config.decoder_start_token_id
    if start is None:
        raise ModelInvalidError("The model does not say which token starts a caption (decoder_start_token_id).")
    check = cancel.raise_if_cancelled if cancel is not None else None
    if settings.beams > 1:
        return beam_search(
            decoder,
            batch_size=batch,
            start_id=int(start),
            eos_id=eos,
            pad_id=pad,
            num_beams=settings.beams,
            max_length=settings.max_length,
            num_return=settings.num_candidates,
            length_penalty=float(generation_config.length_penalty if generation_config.length_penalty is not None else 1.0),
            early_stopping=generation_config.early_stopping if generation_config.early_stopping is not None else False,
            min_length=settings.min_length,
            check_cancel=check,
            device=device,
            static=static,
        )
    return greedy_search(
        decoder,
        batch_size=batch,
        start_id=int(start),
        eos_id=eos,
        pad_id=pad,
        max_length=settings.max_length,
        min_length=settings.min_length,
        check_cancel=check,
        device=device,
        static=static,
    )


def decode_candidates(tokenizer: Any, result: SearchResult) -> list[list[tuple[str, float]]]:
    batch, per_image, length = result.sequences.shape
    texts = tokenizer.batch_decode(result.sequences.reshape(batch * per_image, length).cpu(), skip_special_tokens=True)
    scores = result.scores.reshape(-1).tolist()
    return [
        [(texts[i * per_image + j], math.exp(scores[i * per_image + j])) for j in range(per_image)]
        for i in range(batch)
    ]
