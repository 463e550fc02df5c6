# SPDX-License-Identifier: GPL-3.0-or-later
"""The review state of an image, and the only rules for changing it.

Every status change in AltLens is an `Event` applied to a `ReviewState` through `transition`
(or, for the library's bulk SQL updates, through `sql_case`, which is generated from the same
table), so the library, the CLI and the window cannot disagree about what a decision means.

Two kinds of events:

- Things that happen to an image (it is queued, captioned, unreadable, changed on disk).
  They are defined for every state (some leave the state as it is: new suggestions for an
  approved image keep the approval), so a bulk update never meets an undefined case.
- A person's decisions and AltLens's writes (approve, skip, reject, write, undo). They are
  defined only where they make sense; anything else is refused with `IllegalTransition`.
"""

from __future__ import annotations

from enum import StrEnum

from altlens.core.errors import UsageError


class ReviewState(StrEnum):
    """Where an image stands; the values are what the library stores."""

    NEW = "new"  # known, not queued
    QUEUED = "queued"  # waiting for (or in) the model
    SUGGESTED = "suggested"  # has suggestions; needs a person's review
    APPROVED = "approved"  # a person approved the text; not in the file (yet)
    WRITTEN = "written"  # the approved text is in the file
    SKIPPED = "skipped"  # a person put it aside; still needs review, after the others
    REJECTED = "rejected"  # a person decided no suggestion is usable: nothing is written
    UNDONE = "undone"  # the last write was undone: the text stays approved, not in the file
    ERROR = "error"  # could not be captioned (or read); the record says why


class Event(StrEnum):
    # What happens to an image (total: defined for every state).
    ENQUEUE = "enqueue"  # asked to caption (again)
    DEQUEUE = "dequeue"  # taken out of the queue without a result
    CAPTIONED = "captioned"  # suggestions arrived
    CAPTION_FAILED = "caption-failed"  # the model could not caption it
    UNREADABLE = "unreadable"  # the file cannot be read
    READABLE = "readable"  # the same file can be read again
    NEW_PIXELS = "new-pixels"  # the picture changed: everything starts over
    # What a person decides, and what AltLens does for them (partial: refused elsewhere).
    APPROVE = "approve"
    SKIP = "skip"
    REJECT = "reject"
    WRITE = "write"
    UNDO = "undo"


S = ReviewState

#: A decision a person made; new suggestions never take it away.
DECIDED: frozenset[ReviewState] = frozenset({S.APPROVED, S.WRITTEN, S.REJECTED, S.UNDONE})
#: Still waiting for a person's review.
NEEDS_REVIEW: frozenset[ReviewState] = frozenset({S.SUGGESTED, S.SKIPPED})

# "Back where it was before it was queued": suggested when it has suggestions, else new.
# The one target that depends on the row (see `transition` and `sql_case`).
BACK = "back"

_Target = ReviewState | str


def _total(moves: dict[ReviewState, _Target]) -> dict[ReviewState, _Target]:
    """An event defined for every state: the unlisted ones stay where they are."""
    return {s: moves.get(s, s) for s in ReviewState}


TRANSITIONS: dict[Event, dict[ReviewState, _Target]] = {
    Event.ENQUEUE: _total(
        {S.NEW: S.QUEUED, S.SUGGESTED: S.QUEUED, S.SKIPPED: S.QUEUED, S.ERROR: S.QUEUED}
    ),
    Event.DEQUEUE: _total({S.QUEUED: BACK}),
    Event.CAPTIONED: _total(
        {s: S.SUGGESTED for s in (S.NEW, S.QUEUED, S.SUGGESTED, S.SKIPPED, S.ERROR)}
    ),
    Event.CAPTION_FAILED: _total(
        {s: S.ERROR for s in (S.NEW, S.QUEUED, S.SUGGESTED, S.SKIPPED, S.ERROR)}
    ),
    Event.UNREADABLE: _total({s: S.ERROR for s in (S.NEW, S.QUEUED, S.SUGGESTED, S.SKIPPED)}),
    Event.READABLE: _total({S.ERROR: BACK}),
    Event.NEW_PIXELS: {s: S.NEW for s in ReviewState},
    # A person may approve text whatever the image's state (even before a suggestion came).
    Event.APPROVE: {s: S.APPROVED for s in ReviewState},
    Event.SKIP: {S.SUGGESTED: S.SKIPPED, S.SKIPPED: S.SKIPPED},
    # Rejecting a written image records the decision; the file keeps its text until undone.
    Event.REJECT: {s: S.REJECTED for s in ReviewState},
    # An undone write leaves the text approved: writing it again needs no new approval.
    Event.WRITE: {S.APPROVED: S.WRITTEN, S.WRITTEN: S.WRITTEN, S.UNDONE: S.WRITTEN},
    Event.UNDO: {S.WRITTEN: S.UNDONE},
}


class IllegalTransition(UsageError):
    code = "illegal-transition"


def can(state: ReviewState | str, event: Event) -> bool:
    return ReviewState(state) in TRANSITIONS[event]


def transition(
    state: ReviewState | str, event: Event, *, has_suggestions: bool = False
) -> ReviewState:
    """The state after `event`; raises IllegalTransition where the event makes no sense."""
    current = ReviewState(state)
    target = TRANSITIONS[event].get(current)
    if target is None:
        raise IllegalTransition(
            f"Cannot {event.value} an image that is {current.value}.",
            hint=f"Possible from: {', '.join(s.value for s in TRANSITIONS[event])}.",
        )
    if target == BACK:
        return S.SUGGESTED if has_suggestions else S.NEW
    return ReviewState(target)


def sql_case(event: Event, *, column: str = "status", has_suggestions: str = "0") -> str:
    """The SQL expression for `column` after `event`, for a bulk UPDATE. Only for events
    defined for every state (a partial one would have rows with no answer): those are
    applied row by row through `transition`. `has_suggestions` is an SQL condition."""
    moves = TRANSITIONS[event]
    if set(moves) != set(ReviewState):
        raise ValueError(f"{event} is not defined for every state; use transition()")
    back = f"CASE WHEN {has_suggestions} THEN '{S.SUGGESTED.value}' ELSE '{S.NEW.value}' END"
    whens = " ".join(
        f"WHEN '{s.value}' THEN " + (back if t == BACK else f"'{ReviewState(t).value}'")
        for s, t in moves.items()
        if t != s
    )
    return f"CASE {column} {whens} ELSE {column} END" if whens else column
