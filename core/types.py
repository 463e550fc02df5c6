# SPDX-License-Identifier: GPL-3.0-or-later
"""Plain, frozen data that crosses threads and process boundaries (CLI output, the library,
Qt signals). No behaviour beyond conversions; never holds a model, widget or file handle."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from altlens.core.errors import AltLensError


@dataclass(frozen=True)
class ErrorInfo:
    """An error as data: `code` is stable (see core/errors.py), `message` is for people."""

    code: str
    message: str

    @classmethod
    def from_exception(cls, exc: BaseException) -> ErrorInfo:
        if isinstance(exc, AltLensError):
            return cls(exc.code, str(exc))
        return cls("internal-error", f"Unexpected error: {type(exc).__name__}: {exc}")

    def to_dict(self) -> dict[str, str]:
        return {"code": self.code, "message": self.message}


@dataclass(frozen=True)
class Candidate:
    """One suggested caption. `score` is the model's confidence in 0..1: the geometric mean of
    the per-token probabilities (exp of the length-normalised log-likelihood), so captions of
    different lengths compare fairly. Higher is more confident."""

    text: str
    score: float

    def to_dict(self) -> dict[str, Any]:
        return {"text": self.text, "score": round(self.score, 4)}


@dataclass(frozen=True)
class CaptionResult:
    """The outcome for one input image, in input order. Exactly one of `candidates` (non-empty)
    and `error` is set."""

    index: int
    path: Path | None
    candidates: tuple[Candidate, ...] = ()
    error: ErrorInfo | None = None
    model: str = ""
    seconds: float = 0.0  # wall time of the batch this image was in, divided by its size

    @property
    def ok(self) -> bool:
        return self.error is None and bool(self.candidates)

    @property
    def caption(self) -> str | None:
        return self.candidates[0].text if self.candidates else None

    @property
    def score(self) -> float | None:
        return self.candidates[0].score if self.candidates else None

    def to_dict(self) -> dict[str, Any]:
        return {
            "path": str(self.path) if self.path is not None else None,
            "caption": self.caption,
            "score": round(self.score, 4) if self.score is not None else None,
            "candidates": [c.to_dict() for c in self.candidates],
            "error": self.error.to_dict() if self.error else None,
            "model": self.model or None,
        }


@dataclass(frozen=True)
class CaptionJob:
    """A request to caption one file. Lower `priority` runs first (dropped files before
    watched-folder work)."""

    path: Path
    priority: int = 10
    settings_key: str = ""  # which GenerationSettings the job wants (regenerate uses others)
    extra: dict[str, Any] = field(default_factory=dict, compare=False, hash=False)
    # Set by the library queue (core.library.Library.claim): the row, the claim that must still
    # be held when the result is recorded, and the file's sha256 when it was claimed.
    image_id: int | None = None
    token: str = ""
    sha256: str | None = None
