# SPDX-License-Identifier: GPL-3.0-or-later
"""Whole-caption CUDA graphs for the fast ViT-GPT-2 path on NVIDIA GPUs.

Measured on an H200 (benchmarks/gpu_speed.py): with eager PyTorch one decoder step costs
about 7 ms whatever the batch, because the ~300 small kernels of a step are launched one by
one from Python. The GPU itself needs well under a millisecond for them. So the encoder, the
decoder and the search (search.py with `static=True`: fixed shapes, no host synchronisation)
are captured once per batch size and settings into one CUDA graph, and each batch is then a
single replay. Batches are padded up to the next captured size (powers of two), so a folder
needs only a few captures.

Anything that cannot be captured (an odd model, an old driver) raises here; the adapter then
logs it and goes on with the eager fast path for the rest of the session.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import torch
from altlens.core.captioning import fast as fastpath
from altlens.core.captioning.search import SearchResult
from altlens.core.captioning.settings import GenerationSettings

log = logging.getLogger(__name__)

MAX_GRAPH_BATCH = 1024  # larger batches are split by the caller's batch size anyway


def bucket(n: int) -> int:
    """The captured batch size that serves `n` images (next power of two)."""
    if n < 1:
        raise ValueError("a batch needs at least one image")
    return 1 << (n - 1).bit_length()


@dataclass
class _Graph:
    graph: torch.cuda.CUDAGraph
    pixels: torch.Tensor  # static input [bucket, 3, H, W]
    result: SearchResult  # static outputs, overwritten by every replay


class GraphedCaptioner:
    """Captures and replays `encode + search` for one model on one CUDA device."""

    def __init__(self, model: Any, search: Callable[..., SearchResult], compile_step: bool = False) -> None:
        # search(decoder, batch, settings, *, static, device) -> SearchResult; the adapter
        # passes run_search bound to the model's generation config and special tokens.
        # compile_step: decode with fixed-shape steps compiled by torch.compile (inductor), which
        # fuses a step's small kernels; the first batch of each size then waits for the compiler.
        self.model = model
        self.search = search
        self._step_fn: Any = None
        if compile_step:
            self._step_fn = torch.compile(fastpath.make_static_step(model.decoder), fullgraph=True, dynamic=False)
        self.device = next(model.parameters()).device
        if self.device.type != "cuda":
            raise ValueError("CUDA graphs need a model on a CUDA device")
        self._graphs: dict[tuple[Any, ...], _Graph] = {}
        self._pool: Any = None  # one memory pool shared by every captured size

    def _key(self, size: int, pixels: torch.Tensor, settings: GenerationSettings) -> tuple[Any, ...]:
        return (size, tuple(pixels.shape[1:]), pixels.dtype, settings.beams, settings.max_length,
                settings.min_length, settings.num_candidates)

    def _body(self, pixels: torch.Tensor, settings: GenerationSettings) -> SearchResult:
        states = fastpath.encode(self.model, pixels)
        decoder: Any
        if self._step_fn is not None:
            decoder = fastpath.StaticGpt2StepDecoder(self.model.decoder, states, settings.max_length, self._step_fn)
        else:
            decoder = fastpath.Gpt2StepDecoder(self.model.decoder, states, settings.max_length, static=True)
        return self.search(decoder, pixels.shape[0], settings, static=True, device=self.device)

    def _capture(self, size: int, like: torch.Tensor, settings: GenerationSettings) -> _Graph:
        pixels = torch.zeros((size, *like.shape[1:]), dtype=like.dtype, device=self.device)
        # Warm up on a side stream first: cuBLAS/cuDNN pick and allocate their workspaces
        # there, which must not happen during capture.
        side = torch.cuda.Stream(self.device)
        side.wait_stream(torch.cuda.current_stream(self.device))
        with torch.cuda.stream(side):
            for _ in range(2):
                self._body(pixels, settings)
        torch.cuda.current_stream(self.device).wait_stream(side)
        graph = torch.cuda.CUDAGraph()
        if self._pool is None:
            self._pool = torch.cuda.graph_pool_handle()
        with torch.cuda.graph(graph, pool=self._pool):
            result = self._body(pixels, settings)
        log.info("captured a CUDA graph for %d images (%s beams, %d tokens)", size, settings.beams, settings.max_length)
        return _Graph(graph, pixels, result)

    @torch.inference_mode()
    def run(self, pixels: torch.Tensor, settings: GenerationSettings) -> SearchResult:
        n = pixels.shape[0]
        size = bucket(n)
        if size > MAX_GRAPH_BATCH:
            raise ValueError(f"batches of more than {MAX_GRAPH_BATCH} images are not captured")
        key = self._key(size, pixels, settings)
        entry = self._graphs.get(key)
        if entry is None:
            entry = self._graphs[key] = self._capture(size, pixels, settings)
        entry.pixels[:n].copy_(pixels, non_blocking=True)
        if n < size:
            entry.pixels[n:].zero_()
        entry.graph.replay()
        # Outputs live in the graph's memory and the next replay overwrites them: copy out.
        return SearchResult(entry.result.sequences[:n].clone(), entry.result.scores[:n].clone())
