# SPDX-License-Identifier: GPL-3.0-or-later
"""Decoding options, validated once so every front end (CLI, GUI, Python API) gets the same
clear errors."""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any, Literal

from altlens.core.errors import UsageError

Strategy = Literal["beam", "greedy", "sample"]
STRATEGIES: tuple[str, ...] = ("beam", "greedy", "sample")
MAX_BEAMS = 5
MAX_CANDIDATES = 5


@dataclass(frozen=True)
class GenerationSettings:
    """How captions are decoded. Defaults follow the nlpconnect model card
    (beam search, 4 beams, max_length 16 tokens counting the start token)."""

    strategy: Strategy = "beam"
    num_beams: int = 4
    max_length: int = 16
    num_candidates: int = 1
    top_p: float = 0.9
    temperature: float = 1.0
    repetition_guard: bool = True
    seed: int | None = None  # sampling only; None draws a fresh seed
    # The end token is not allowed before this many tokens (start token included), like
    # generate's `min_length`. 0 = no minimum; benchmarks set it to max_length so every
    # caption does the same work.
    min_length: int = 0

    def __post_init__(self) -> None:
        if self.strategy not in STRATEGIES:
            raise UsageError(f"Unknown decoding strategy {self.strategy!r}; use one of {', '.join(STRATEGIES)}.")
        if not 1 <= self.num_beams <= MAX_BEAMS:
            raise UsageError(f"Beams must be between 1 and {MAX_BEAMS} (got {self.num_beams}).")
        if not 1 <= self.num_candidates <= MAX_CANDIDATES:
            raise UsageError(f"Candidates must be between 1 and {MAX_CANDIDATES} (got {self.num_candidates}).")
        if self.strategy == "beam" and self.num_candidates > self.num_beams:
            raise UsageError(
                f"Beam search with {self.num_beams} beams can return at most {self.num_beams} "
                f"candidates (asked for {self.num_candidates}); raise --beams."
            )
        if self.strategy == "greedy" and self.num_candidates > 1:
            raise UsageError("Greedy decoding gives one caption; use beam search or sampling for several candidates.")
        if not 2 <= self.max_length <= 128:
            raise UsageError(f"Maximum length must be between 2 and 128 tokens (got {self.max_length}).")
        if not 0 <= self.min_length <= self.max_length:
            raise UsageError(
                f"Minimum length must be between 0 and the maximum length {self.max_length} (got {self.min_length})."
            )
        if not 0.0 < self.top_p <= 1.0:
            raise UsageError(f"top-p must be in (0, 1] (got {self.top_p}).")
        if not 0.0 < self.temperature <= 5.0:
            raise UsageError(f"Temperature must be in (0, 5] (got {self.temperature}).")

    @property
    def beams(self) -> int:
        """Beams actually used: greedy and sampling decode one sequence per candidate."""
        return self.num_beams if self.strategy == "beam" else 1

    def with_(self, **changes: Any) -> GenerationSettings:
        return replace(self, **changes)

    @classmethod
    def from_options(
        cls,
        *,
        beams: int | None = None,
        candidates: int | None = None,
        max_length: int | None = None,
        sample: bool = False,
        top_p: float | None = None,
        temperature: float | None = None,
        repetition_guard: bool = True,
        seed: int | None = None,
    ) -> GenerationSettings:
        """Build from front-end options: beams=1 means greedy, `sample` means nucleus sampling."""
        kw: dict[str, Any] = {"repetition_guard": repetition_guard, "seed": seed}
        if sample:
            kw["strategy"] = "sample"
        elif beams == 1:
            kw["strategy"] = "greedy"
        if beams is not None:
            kw["num_beams"] = beams
        if candidates is not None:
            kw["num_candidates"] = candidates
        if max_length is not None:
            kw["max_length"] = max_length
        if top_p is not None:
            kw["top_p"] = top_p
        if temperature is not None:
            kw["temperature"] = temperature
        return cls(**kw)
