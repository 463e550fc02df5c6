# SPDX-License-Identifier: GPL-3.0-or-later
"""What the window knows about one image: a frozen record, replaced (never mutated) on every
change, so a copy can be handed to another thread or compared with the last one."""

from __future__ import annotations

from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from altlens.core.library import ImageRecord
from altlens.core.review import NEEDS_REVIEW, Event, transition
from altlens.core.review import ReviewState as Status  # one enum, core's; the short name reads well here
from altlens.core.types import Candidate, CaptionResult, ErrorInfo

__all__ = ["FILTERS", "ImageEntry", "Status"]

# Filter groups shown in the window: name -> statuses. A skipped image still needs review; an
# undone write leaves the text approved.
FILTERS: dict[str, frozenset[Status]] = {
    "all": frozenset(Status),
    "review": NEEDS_REVIEW,
    "queued": frozenset({Status.NEW, Status.QUEUED}),
    "approved": frozenset({Status.APPROVED, Status.UNDONE}),
    "written": frozenset({Status.WRITTEN}),
    "rejected": frozenset({Status.REJECTED}),
    "error": frozenset({Status.ERROR}),
}


@dataclass(frozen=True, slots=True)
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
    # This session's overlay on the library's record, until the record that answers arrives:
    pending: bool = False  # a decision (approve, reject, skip) is on its way to the library
    requested: bool = False  # asked to caption (again); the library will say it is queued
    skipped: float = 0.0  # when a person last skipped it (the library's time; 0: not skipped)
    journal_id: int | None = None  # the last write of this image in this session
    on_disk: str | None = None  # alt text found in the file, when it was read
    record_id: int | None = None  # the library's row

    @property
    def name(self) -> str:
        return self.path.name

    @property
    def score(self) -> float | None:
        """The model's confidence in the first candidate (the list's sort key)."""
        return self.candidates[0].score if self.candidates else None

    @property
    def chosen_score(self) -> float | None:
        """The model's confidence in the candidate the text is (None once edited)."""
        if self.chosen is None or not 0 <= self.chosen < len(self.candidates):
            return None
        return self.candidates[self.chosen].score

    @property
    def needs_review(self) -> bool:
        return self.status in NEEDS_REVIEW

    @property
    def machine_made(self) -> bool:
        """True while the text is exactly a model suggestion no person has approved or edited."""
        return (
            bool(self.candidates)
            and not self.edited
            and self.status in (Status.SUGGESTED, Status.SKIPPED, Status.QUEUED)
        )

    def with_(self, **changes: Any) -> ImageEntry:
        """A copy with session fields changed. The status is the library's (from_record);
        an image the library has no row for changes it through core.review only."""
        if "status" in changes and self.record_id is not None:
            raise ValueError("the status of a library image comes from its record")
        return replace(self, **changes)

    # An image with no library row yet (a placeholder before its record arrives, or a file the
    # library could not take) moves through the same transitions as the library's rows.

    def failed(self, error: ErrorInfo | None) -> ImageEntry:
        return self.with_(
            status=transition(self.status, Event.CAPTION_FAILED),
            error=error,
            captioning=False,
            requested=False,
        )

    def dequeued(self) -> ImageEntry:
        return self.with_(
            status=transition(self.status, Event.DEQUEUE, has_suggestions=bool(self.candidates)),
            captioning=False,
        )

    @classmethod
    def from_record(cls, record: ImageRecord, old: ImageEntry | None = None) -> ImageEntry:
        """The entry for a library ImageRecord. What exists only in this session (text being
        edited and not yet approved, a skip, a write in flight) is carried over from `old`."""
        status = Status(record.status)
        reviewed = status in (Status.APPROVED, Status.WRITTEN, Status.UNDONE)
        candidates = tuple(record.candidates)
        chosen: int | None = None
        edited = False
        if old is not None and old.edited and not reviewed:
            text, edited = old.text, True
        elif reviewed and record.alt_text is not None:
            text = record.alt_text
            chosen = next((i for i, c in enumerate(candidates) if c.text == text), None)
            edited = chosen is None and bool(text)
        elif (
            old is not None
            and old.chosen is not None
            and old.chosen < len(candidates)
            and candidates[old.chosen].text == old.text
        ):
            text, chosen = old.text, old.chosen
        elif candidates:
            text, chosen = candidates[0].text, 0
        else:
            text = record.alt_text or ""  # a draft kept from before the pixels changed
        if old is not None and old.description and not record.long_description and not reviewed:
            description = old.description
        else:
            description = record.long_description or ""
        return cls(
            path=Path(record.path),
            status=status,
            candidates=candidates,
            text=text,
            description=description,
            decorative=bool(record.decorative) if reviewed or old is None else old.decorative,
            edited=edited,
            chosen=chosen,
            error=record.error,
            model=record.model or "",
            captioning=bool(record.in_flight),
            writing=old.writing if old is not None else False,
            pending=old.pending if old is not None else False,
            # The request ends once the library says the image is queued (or in the model).
            requested=(
                old is not None and old.requested and not (record.queued or record.in_flight)
            ),
            skipped=(record.skipped_at or 0.0) if status is Status.SKIPPED else 0.0,
            journal_id=old.journal_id if old is not None else None,
            on_disk=record.disk_caption,
            record_id=record.id,
        )

    def with_result(self, result: CaptionResult) -> ImageEntry:
        """This entry after a caption result arrived. Text a person typed is kept."""
        if not result.ok:
            return self.failed(result.error)
        keep_text = self.edited and self.text.strip()
        return self.with_(
            status=transition(self.status, Event.CAPTIONED),
            candidates=result.candidates,
            text=self.text if keep_text else result.candidates[0].text,
            chosen=self.chosen if keep_text else 0,
            error=None,
            model=result.model,
            captioning=False,
        )
