# SPDX-License-Identifier: GPL-3.0-or-later
"""Beam search and greedy decoding over a step-wise decoder, token for token what
transformers' `generate()` returns for the same logits.

The search is written against a small protocol (`StepDecoder`) so the same code drives the
PyTorch fast path and the ONNX Runtime back end. It mirrors transformers' vectorised beam
search (`GenerationMixin._beam_search`, transformers 4.50+): the same top-2k candidate
selection, the same length-normalised finished hypotheses, the same early-stopping heuristic
and the same float32 arithmetic on the scores, so equal logits give equal tokens and scores.

Two things differ from `generate()`, neither of which changes a result:
- an image whose hypotheses can no longer change (generate keeps computing it and then
  ignores the result) is dropped from the batch, so the decoder works only on live images;
- the first step runs once per image and is then copied to each beam (all beams start from
  the same token, so generate computes the same row `num_beams` times).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol

import torch

NEG = -1.0e9  # transformers' "impossible" score for beams that must not be chosen


class StepDecoder(Protocol):
    """What the search needs from a decoder that keeps its own key/value cache.

    Rows are sequences being decoded; images own `group` consecutive rows each (1 for greedy,
    the beam count after `expand`).
    """

    def begin(self, start_ids: torch.Tensor) -> torch.Tensor:
        """Run the start token, one row per image; return float logits [images, vocab]."""
        ...

    def expand(self, group: int) -> None:
        """Copy every row `group` times (row i becomes rows i*group .. i*group+group-1)."""
        ...

    def step(self, tokens: torch.Tensor) -> torch.Tensor:
        """Feed one token per row; return float logits [rows, vocab]."""
        ...

    def select(self, rows: torch.Tensor, images: torch.Tensor | None) -> None:
        """Keep the cache rows `rows` (in that order) and, when given, only the images
        `images` (indices into the current images, ascending)."""
        ...


@dataclass(frozen=True)
class SearchResult:
    sequences: torch.Tensor  # [images, candidates, max_length] int64, start token first
    scores: torch.Tensor  # [images, candidates] float32 log-scores (see the functions)


def _mask_eos(log_probs: torch.Tensor, eos_id: int | None, cur_len: int, min_length: int) -> torch.Tensor:
    # transformers' MinLengthLogitsProcessor: while the sequence (start token included) is
    # shorter than min_length, the end token is impossible.
    if eos_id is not None and cur_len < min_length:
        log_probs = log_probs.clone()
        log_probs[:, eos_id] = -float("inf")
    return log_probs


def beam_search(
    decoder: StepDecoder,
    *,
    batch_size: int,
    start_id: int,
    eos_id: int | None,
    pad_id: int | None,
    num_beams: int,
    max_length: int,
    num_return: int = 1,
    length_penalty: float = 1.0,
    early_stopping: bool | str = False,
    min_length: int = 0,
    check_cancel: Callable[[], None] | None = None,
    device: torch.device | None = None,
    static: bool = False,
) -> SearchResult:
    """Beam search. Scores are transformers' `sequences_scores`: the summed token
    log-probabilities divided by (generated length ** length_penalty).

    `static=True` runs every step on every image with no host synchronisation, so the whole
    search can be captured in a CUDA graph (cudagraph.py). Results are the same: a settled
    image's finished hypotheses can no longer change (every slot is finished and real-valued,
    and new candidates carry the NEG penalty), so computing it on is wasted work, not a
    different answer."""
    n, k, L = batch_size, num_beams, max_length
    n_keep = max(2, 1 + (1 if eos_id is not None else 0)) * k
    fill = (pad_id or eos_id) if eos_id is not None else -1

    logits = decoder.begin(torch.full((n,), start_id, dtype=torch.int64, device=device))
    dev = logits.device
    decoder.expand(k)
    top_mask = torch.arange(n_keep, device=dev) < k
    out_seq = torch.full((n, k, L), fill, dtype=torch.int64, device=dev)
    out_scores = torch.full((n, k), NEG, dtype=torch.float32, device=dev)
    active = torch.arange(n, device=dev)  # original index of every image still being decoded

    run_seq = torch.full((n, k, L), fill, dtype=torch.int64, device=dev)
    run_seq[:, :, 0] = start_id
    seq = run_seq.clone()
    run_scores = torch.zeros((n, k), dtype=torch.float32, device=dev)
    run_scores[:, 1:] = NEG
    beam_scores = torch.full((n, k), NEG, dtype=torch.float32, device=dev)
    finished = torch.zeros((n, k), dtype=torch.bool, device=dev)
    improvable = torch.ones((n, 1), dtype=torch.bool, device=dev)

    logits = logits.repeat_interleave(k, dim=0)
    cur_len = 1
    while True:
        m = active.numel()
        log_probs = torch.log_softmax(logits.float(), dim=-1)
        log_probs = _mask_eos(log_probs, eos_id, cur_len, min_length)
        vocab = log_probs.shape[-1]
        log_probs = (log_probs.view(m, k, vocab) + run_scores[:, :, None]).reshape(m, k * vocab)

        # Top 2k continuations over all beams of each image.
        topk_lp, topk_idx = torch.topk(log_probs, k=n_keep)
        src = topk_idx // vocab
        ids = topk_idx % vocab
        topk_seq = torch.take_along_dim(run_seq, src[:, :, None], dim=1)
        topk_seq[:, :, cur_len] = ids
        hits = ids == eos_id if eos_id is not None else torch.zeros_like(ids, dtype=torch.bool)
        if cur_len + 1 >= L:
            hits = torch.ones_like(hits)

        # The best k that did not just end keep running.
        run_lp = topk_lp + hits.to(torch.float32) * NEG
        nxt = torch.topk(run_lp, k=k)[1]
        run_seq = torch.take_along_dim(topk_seq, nxt[:, :, None], dim=1)
        run_scores = torch.take_along_dim(run_lp, nxt, dim=1)
        run_src = torch.take_along_dim(src, nxt, dim=1)

        # Hypotheses that just ended join the finished ones if they beat them.
        just = hits & top_mask[None, :]
        fin_lp = topk_lp / ((cur_len + 1 - 1) ** length_penalty)
        full = torch.all(finished, dim=-1, keepdim=True) & (early_stopping is True)
        fin_lp = fin_lp + full.to(torch.float32) * NEG
        fin_lp = fin_lp + (~improvable).to(torch.float32) * NEG
        fin_lp = fin_lp + (~just) * NEG
        merged_seq = torch.cat((seq, topk_seq), dim=1)
        merged_scores = torch.cat((beam_scores, fin_lp), dim=1)
        merged_fin = torch.cat((finished, just), dim=1)
        best = torch.topk(merged_scores, k=k)[1]
        seq = torch.take_along_dim(merged_seq, best[:, :, None], dim=1)
        beam_scores = torch.take_along_dim(merged_scores, best, dim=1)
        finished = torch.take_along_dim(merged_fin, best, dim=1)

        cur_len += 1
        best_len = L - 1 if early_stopping == "never" and length_penalty > 0.0 else cur_len - 1
        best_running = run_scores[:, :1] / (best_len**length_penalty)
        worst_finished = torch.where(finished, torch.min(beam_scores, dim=1, keepdim=True)[0], NEG)
        improvable = improvable & torch.any(best_running > worst_finished, dim=-1, keepdim=True)

        if static:
            if cur_len >= L:  # the step above forced every running hypothesis to end
                out_seq, out_scores = seq, beam_scores
                break
            rows = (torch.arange(m, device=dev)[:, None] * k + run_src).reshape(-1)
            decoder.select(rows, None)
            logits = decoder.step(run_seq[:, :, cur_len - 1].reshape(-1))
            continue
        go_on = bool(torch.any(improvable)) and not (bool(torch.all(finished)) and early_stopping is True)
        go_on = go_on and not bool(torch.all(hits))
        # An image is settled when nothing can enter its finished set any more.
        settled = ~improvable[:, 0]
        if early_stopping is True:
            settled = settled | torch.all(finished, dim=-1)
        if not go_on:
            settled = torch.ones_like(settled)
        if bool(settled.any()):
            out_seq[active[settled]] = seq[settled]
            out_scores[active[settled]] = beam_scores[settled]
        if not go_on:
            break
        if check_cancel is not None:
            check_cancel()

        rows = (torch.arange(m, device=dev)[:, None] * k + run_src).reshape(-1)
        live = ~settled
        keep_images: torch.Tensor | None = None
        if bool(settled.any()):
            keep_images = live.nonzero().view(-1)
            rows = rows.view(m, k)[keep_images].reshape(-1)
            active = active[keep_images]
            run_seq, run_scores, seq = run_seq[keep_images], run_scores[keep_images], seq[keep_images]
            beam_scores, finished, improvable = beam_scores[keep_images], finished[keep_images], improvable[keep_images]
        decoder.select(rows, keep_images)
        logits = decoder.step(run_seq[:, :, cur_len - 1].reshape(-1))

    return SearchResult(out_seq[:, :num_return], out_scores[:, :num_return])


def greedy_search(
    decoder: StepDecoder,
    *,
    batch_size: int,
    start_id: int,
    eos_id: int | None,
    pad_id: int | None,
    max_length: int,
    min_length: int = 0,
    check_cancel: Callable[[], None] | None = None,
    device: torch.device | None = None,
    static: bool = False,
) -> SearchResult:
    """Greedy decoding. The score is the mean log-probability of the chosen tokens up to and
    including the first end token (what the engine computes from generate's `scores`).

    `static=True`: every row runs every step and ended rows are masked instead of dropped, with
    no host synchronisation (for CUDA graphs); the results are the same."""
    n, L = batch_size, max_length
    pad = pad_id if pad_id is not None else (eos_id if eos_id is not None else 0)
    logits = decoder.begin(torch.full((n,), start_id, dtype=torch.int64, device=device))
    dev = logits.device
    out = torch.full((n, L), pad, dtype=torch.int64, device=dev)
    out[:, 0] = start_id
    total = torch.zeros(n, dtype=torch.float32, device=dev)
    count = torch.zeros(n, dtype=torch.float32, device=dev)
    active = torch.arange(n, device=dev)
    cur_len = 1
    if static:
        alive = torch.ones(n, dtype=torch.bool, device=dev)
        while True:
            scores = _mask_eos(logits.float(), eos_id, cur_len, min_length)
            tokens = torch.argmax(scores, dim=-1)
            chosen = torch.log_softmax(scores, dim=-1).gather(-1, tokens[:, None])[:, 0]
            out[:, cur_len] = torch.where(alive, tokens, pad)
            total += torch.where(alive, chosen, 0.0)
            count += alive.to(torch.float32)
            if eos_id is not None:
                alive = alive & (tokens != eos_id)
            cur_len += 1
            if cur_len >= L:
                break
            logits = decoder.step(tokens)
        return SearchResult(out[:, None, :], (total / count.clamp(min=1))[:, None])
    while True:
        scores = _mask_eos(logits.float(), eos_id, cur_len, min_length)
        tokens = torch.argmax(scores, dim=-1)
        chosen = torch.log_softmax(scores, dim=-1).gather(-1, tokens[:, None])[:, 0]
        out[active, cur_len] = tokens
        total[active] += chosen
        count[active] += 1
        cur_len += 1
        done = tokens == eos_id if eos_id is not None else torch.zeros_like(tokens, dtype=torch.bool)
        if cur_len >= L or bool(done.all()):
            break
        if check_cancel is not None:
            check_cancel()
        keep = (~done).nonzero().view(-1)
        if keep.numel() < active.numel():
            decoder.select(keep, keep)
            active, tokens = active[keep], tokens[keep]
        logits = decoder.step(tokens)
    return SearchResult(out[:, None, :], (total / count.clamp(min=1))[:, None])
