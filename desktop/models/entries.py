# SPDX-License-Identifier: GPL-3.0-or-later
"""What the window knows about one image: a frozen record, replaced (never mutated) on every
change, so a copy can be handed to another thread or compared with the last one."""

from __future__ import annotations

from dataclasses import dataclass, replace
from enum import StrEnum
from pathlib import Path
from typing import Any

from core.types import Candidate, CaptionResult, ErrorInfo


class Status(StrEnum):
    """Review state of an image (the library's states)."""

    NEW = "new"  # known, not queued yet
    QUEUED = "queued"  # waiting for (or in) the model
    SUGGESTED = "suggested"  # has machine suggestions; needs a person's review
    APPROVED = "approved"  # a person approved the text; not in the file (yet)
    WRITTEN = "written"  # the approved text is in the file
    REJECTED = "rejected"  # a person decided no suggestion is usable
    ERROR = "error"  # could not be captioned (or written); `error` says why


# Filter groups shown in the window: name -> statuses.
FILTERS: dict[str, frozenset[Status]] = {
    "all": frozenset(Status),
    "review": frozenset({Status.SUGGESTED}),
    "queued": frozenset({Status.NEW, Status.QUEUED}),
    "approved": frozenset({Status.APPROVED}),
    "written": frozenset({Status.WRITTEN}),
    "rejected": frozenset({Status.REJECTED}),
    "error": frozenset({Status.ERROR}),
}


@dataclass(frozen=True)
class ImageEntry:
    path: Path
    status: Status = Status.NEW
    candidates: tuple[Candidate, ...] = ()
    text: str = ""  # the alt text as it stands (a suggestion until `edited` or `reviewed`)
    description: str = ""  # optional long description
    decorative: bool = False
    edited: bool = False  # a person changed the text
    chosen: int | None = None  # which candidate the text came from (0-based), None if typed
    error: ErrorInfo | None = None
    model: str = ""
    captioning: bool = False  # in the model right now
    writing: bool = False  # a write or undo is in flight
    skipped: int = 0  # when a person last skipped it (a counter, for "next needing review")
    journal_id: int | None = None  # the last write of this image in this session
    on_disk: str | None = None  # alt text found in the file, when it was read

    @property
    def name(self) -> str:
        return self.path.name

    @property
    def score(self) -> float | None:
        """The model's confidence in the first candidate."""
        return self.candidates[0].score if self.candidates else None

    @property
    def machine_made(self) -> bool:
        """True while the text is exactly a model suggestion no person has approved or edited."""
        return bool(self.candidates) and not self.edited and self.status in (Status.SUGGESTED, Status.QUEUED)

    def with_(self, **changes: Any) -> ImageEntry:
        return replace(self, **changes)

    def with_result(self, result: CaptionResult) -> ImageEntry:
        """This entry after a caption result arrived. Text a person typed is kept."""
        if not result.ok:
            return self.with_(status=Status.ERROR, error=result.error, captioning=False)
        keep_text = self.edited and self.text.strip()
        return self.with_(
            status=Status.SUGGESTED,
            candidates=result.candidates,
            text=self.text if keep_text else result.candidates[0].text,
            chosen=self.chosen if keep_text else 0,
            error=None,
            model=result.model,
            captioning=False,
        )
