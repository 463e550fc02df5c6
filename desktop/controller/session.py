# SPDX-License-Identifier: GPL-3.0-or-later
"""The review session: which image is open, moving between images, editing its text and
deciding about it (approve, skip, reject, regenerate, retry, remove).

What the window shows of an image is the library's record (its ReviewState) plus this
session's overlay on the ImageEntry: the draft text, a decision or a caption request on its
way to the library (`pending`, `requested`), a write in flight. No status is set here: the
library applies every decision through core.review and its record comes back to the list.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from altlens.core.alttext import blocking, check_alt_text, clean_text
from altlens.core.library import ImageRecord
from altlens.core.types import CaptionJob, CaptionResult, ErrorInfo
from altlens.desktop.controller.parts import Parts
from altlens.desktop.models.entries import ImageEntry, Status
from altlens.desktop.models.presentation import file_unreadable, status_text
from altlens.desktop.workers.captioner import MORE_BEAMS, PRIORITY_NOW, SAMPLING
from altlens.desktop.workers.images import PREVIEW_SIZE, THUMBNAIL_SIZE, DecodedImage, LoadImage
from PySide6.QtCore import QObject, Signal
from PySide6.QtGui import QImage
from PySide6.QtWidgets import QMessageBox

if TYPE_CHECKING:
    from altlens.desktop.controller.detail import Detail
    from altlens.desktop.controller.model_status import ModelStatus
    from altlens.desktop.controller.writing import Writing


def to_qimage(decoded: DecodedImage) -> QImage:
    image = QImage(
        decoded.data, decoded.width, decoded.height, decoded.width * 3, QImage.Format.Format_RGB888
    )
    return image.copy()  # own the pixels: `decoded.data` may be freed


# States in which a person can decide about an image (approve, reject, preview a write).
DECIDABLE = frozenset(
    {
        Status.SUGGESTED,
        Status.SKIPPED,
        Status.APPROVED,
        Status.REJECTED,
        Status.WRITTEN,
        Status.UNDONE,
        Status.ERROR,
    }
)


class ReviewSession(QObject):
    """`current_changed(Path | None)` after an image is opened."""

    current_changed = Signal(object)

    def __init__(self, parts: Parts, model: ModelStatus, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.p = parts
        self.say = parts.say
        self.model = model
        self.writing: Writing | None = None  # set by ReviewController (they call each other)
        self.detail: Detail | None = None  # the improve pass, set by ReviewController
        self.current: Path | None = None
        self._run_ok = 0
        self._run_failed = 0
        self._announced_first = False

    # -- the library's records, and this session's overlay ------------------------------------

    def apply_records(self, records: Sequence[ImageRecord], *, decided: bool = False) -> None:
        """Bring the list up to date with library rows (from any worker). `decided`: these
        rows answer the person's decisions (the writer's), so their `pending` overlay ends."""
        new: list[ImageEntry] = []
        gone: list[Path] = []
        touched_current = False
        for r in records:
            path = Path(r.path)
            if r.missing:
                gone.append(path)
                continue
            old = self.p.images.entry(path)
            entry = ImageEntry.from_record(r, old)
            if decided:
                entry = entry.with_(pending=False)
            if old is None:
                new.append(entry)
            else:
                self.p.images.update(entry)
            touched_current |= path == self.current
        if new:
            self.p.images.add(new)
        if gone:
            self.remove_gone(tuple(gone))
        if touched_current:
            self.show_current()
        self.update_actions()

    def apply_decided_records(self, records: Sequence[ImageRecord]) -> None:
        self.apply_records(records, decided=True)

    def remove_gone(self, paths: Sequence[Path]) -> None:
        """Images deleted or moved away on disk leave the list (the library keeps their rows)."""
        present = [p for p in paths if self.p.images.entry(p) is not None]
        if not present:
            return
        self.p.images.remove(present)
        if self.current in present:
            self.open(None)
        self.say.images_gone(len(present))

    def start_run(self) -> None:
        """New images were queued: the next suggestion is the first of a run again."""
        self._announced_first = False

    # -- captioning results --------------------------------------------------------------------

    def on_batch_started(self, paths: tuple[Path, ...]) -> None:
        for p in paths:
            e = self.p.images.entry(p)
            if e is not None:
                self.p.images.update(e.with_(captioning=True))
                if p == self.current:
                    self.show_current()

    def on_caption(self, result: CaptionResult) -> None:
        path = result.path
        entry = self.p.images.entry(path) if path is not None else None
        if entry is None:
            return  # removed from the list meanwhile
        if entry.record_id is None:  # not from the library (no record arrived): keep it current
            entry = entry.with_result(result)
            self.p.images.update(entry)
        if result.ok:
            self._run_ok += 1
        else:
            self._run_failed += 1
        if path == self.current:
            self.show_current()
            if result.ok:
                self.say.new_suggestion(entry.name, entry.text)
            else:
                self.say.caption_failed(entry.name, result.error)
        elif result.ok and not self._announced_first:
            # One announcement per run, not one per image: a batch of 500 would drown the
            # screen reader. The first one is shown at once if nothing is open.
            self._announced_first = True
            if self.current is None:
                self.open(path, focus=False)
            self.say.first_suggestion(entry.name, is_open=self.current == path)
        self.update_actions()

    def finish_run(self) -> None:
        """The queue ran dry: say how the run went, once."""
        if self._run_ok or self._run_failed:
            self.say.captioning_finished(self._run_ok, self._run_failed)
        self._run_ok = self._run_failed = 0

    def on_jobs_dropped(self, paths: tuple[Path, ...]) -> None:
        # The records of these images already arrived; only placeholders (no library row) and
        # requests still marked in flight need resetting.
        for p in paths:
            e = self.p.images.entry(p)
            if e is not None and e.record_id is None and e.status is Status.QUEUED:
                self.p.images.update(e.dequeued())
            elif e is not None and e.requested:
                self.p.images.update(e.with_(requested=False, captioning=False))
        self.show_current()

    def on_not_queued(self, path: Path, error: ErrorInfo) -> None:
        entry = self.p.images.entry(path)
        if entry is None:  # a file the library could not take: show why, here only
            self.p.images.add([ImageEntry(path).failed(error)])
        elif entry.record_id is None:
            self.p.images.update(entry.failed(error))
        else:  # the library has its record; only the request ends
            self.p.images.update(entry.with_(requested=False, captioning=False))
        if path == self.current:
            self.show_current()

    # -- images and previews -------------------------------------------------------------------

    def on_image_loaded(self, request: LoadImage, decoded: DecodedImage) -> None:
        image = to_qimage(decoded)
        if request.size == THUMBNAIL_SIZE:
            self.p.images.set_thumbnail(request.path, image)
        if request.size == PREVIEW_SIZE:
            self.p.window.show_preview(request.path, image)

    def on_image_skipped(self, request: LoadImage) -> None:
        if request.size == THUMBNAIL_SIZE:
            self.p.images.thumbnail_skipped(request.path)

    def on_image_failed(self, request: LoadImage, error: ErrorInfo) -> None:
        if request.size == THUMBNAIL_SIZE:
            self.p.images.thumbnail_failed(request.path)
        else:
            self.p.window.show_preview(
                request.path, None, self.tr("No preview: %1").replace("%1", error.message)
            )

    # -- opening and navigating ----------------------------------------------------------------

    def entry(self) -> ImageEntry | None:
        return self.p.images.entry(self.current) if self.current is not None else None

    def open(self, path: Path | None, focus: bool = True) -> None:
        """Show `path` in the review panel; with `focus`, put the cursor in the alt text."""
        self.current = Path(path) if path is not None else None
        entry = self.entry()
        if entry is None:
            self.current = None
        self.p.window.select(self.current)
        self.p.window.show_entry(entry)
        if entry is not None:
            self.p.image_worker.request(entry.path, PREVIEW_SIZE)
            if self.writing is not None:
                self.writing.read_on_disk(entry.path)
            if focus:
                self.p.window.focus_alt_text()
                self.say.opened(entry.name, status_text(entry))
        self.update_actions()
        self.current_changed.emit(self.current)

    def show_current(self) -> None:
        self.p.window.show_entry(self.entry())
        self.update_actions()

    def step(self, delta: int) -> None:
        paths = self.p.order.paths()
        if not paths:
            self.say.list_empty()
            return
        i = (
            paths.index(self.current)
            if self.current in paths
            else (-1 if delta > 0 else len(paths))
        )
        j = i + delta
        if not 0 <= j < len(paths):
            self.say.end_of_list(delta > 0)
            return
        self.open(paths[j], focus=True)

    def _sorted_entries(self) -> list[ImageEntry]:
        """Every image in the list's sort order, whatever the filter."""
        entries = self.p.images.entries()  # arrival order
        if self.p.order.sort_by_confidence:
            arrival = {e.path: i for i, e in enumerate(entries)}
            entries.sort(key=lambda e: (e.score is None, e.score or 0.0, arrival[e.path]))
        return entries

    def next_needing_review(self, step: int = 1) -> bool:
        """Open the next image needing review after the current one in the list's order
        (wrapping around), images that were skipped last. Returns False (and says so) when
        there is none."""
        full = self._sorted_entries()
        candidates = [
            e
            for e in full
            if e.needs_review and not e.writing and not e.pending and e.path != self.current
        ]
        if not candidates:
            current = self.entry()
            if current is not None and current.needs_review and not current.pending:
                # Say what is true: the open image is the one left.
                self.say.only_the_open_one_left(current.name)
            elif waiting := self.p.images.counts()["queued"]:
                self.say.nothing_to_review_yet(waiting)
            else:
                self.say.nothing_left()
            return False
        pos = {e.path: i for i, e in enumerate(full)}
        n = len(full)
        cur = (
            pos.get(self.current, -1 if step > 0 else n)
            if self.current is not None
            else (-1 if step > 0 else n)
        )
        # Skipped images last (the longest skipped first); otherwise the distance going
        # `step`-wards from the current position, wrapping: 1 .. n.
        target = min(
            candidates,
            key=lambda e: (e.skipped > 0, e.skipped, ((pos[e.path] - cur) * step) % (n + 1)),
        )
        src = self.p.images.index_of(target.path)
        if not self.p.order.filterAcceptsRow(src.row(), src.parent()):
            self.p.window.set_filter("review")
        self.open(target.path, focus=True)
        return True

    def after_decision(self) -> None:
        self.show_current()
        if self.p.settings.value("review/advance"):
            self.next_needing_review(1)

    # -- editing -------------------------------------------------------------------------------

    def set_text(self, text: str) -> None:
        entry = self.entry()
        if entry is None or entry.text == text:
            return
        match = next((i for i, c in enumerate(entry.candidates) if c.text == text), None)
        updated = entry.with_(text=text, chosen=match, edited=match is None)
        self.p.images.update(updated)
        self.p.window.show_text_state(updated)

    def set_description(self, text: str) -> None:
        entry = self.entry()
        if entry is not None and entry.description != text:
            self.p.images.update(entry.with_(description=text))

    def set_decorative(self, on: bool) -> None:
        entry = self.entry()
        if entry is not None and entry.decorative != on:
            self.p.images.update(entry.with_(decorative=on))
            self.say.decorative(on)

    def pick_candidate(self, n: int) -> None:
        entry = self.entry()
        if entry is None or not 1 <= n <= len(entry.candidates):
            self.say.no_such_suggestion(n)
            return
        cand = entry.candidates[n - 1]
        self.p.images.update(
            entry.with_(text=cand.text, chosen=n - 1, edited=False, decorative=False)
        )
        self.show_current()
        self.say.using_suggestion(n, cand.text)

    # "Describe in detail" and "Read text in image" live in detail.py (the improve pass):
    # they ask the detail model's own thread and fill the entry's description draft.

    # -- decisions -----------------------------------------------------------------------------

    def check_text(self, entry: ImageEntry) -> bool:
        problems = blocking(check_alt_text(clean_text(entry.text), decorative=entry.decorative))
        if problems:
            self.say.say(problems[0].message, assertive=True)
            if entry.path == self.current:
                self.p.window.focus_alt_text()
            return False
        return True

    def ready_to_decide(self, entry: ImageEntry | None) -> bool:
        if entry is None:
            self.say.nothing_open()
            return False
        if entry.writing:
            self.say.busy_writing(entry.name)
            return False
        return True

    def approve_and_write(self) -> None:
        entry = self.entry()
        if entry is None or not self.ready_to_decide(entry) or not self.check_text(entry):
            return
        assert self.writing is not None
        self.writing.approve(entry)

    def approve_selected(self) -> None:
        paths = self.p.window.selected_paths() or ([self.current] if self.current else [])
        eligible, left = [], 0
        for p in paths:
            e = self.p.images.entry(p)
            if (
                e is None
                or e.writing
                or e.pending
                or e.decorative
                or e.status not in (Status.SUGGESTED, Status.SKIPPED, Status.APPROVED, Status.UNDONE)
                or blocking(check_alt_text(clean_text(e.text)))
            ):
                left += 1
                continue
            eligible.append(e)
        if not eligible:
            self.say.none_selected_ready()
            return
        assert self.writing is not None
        if not self.writing.available():
            return
        question = self.tr("Approve and write the alt text of %n image(s)?", "", len(eligible))
        if left:
            question += "\n" + self.tr(
                "%n selected image(s) will be left alone (no usable text, or already decided).",
                "",
                left,
            )
        box = QMessageBox(
            QMessageBox.Icon.Question,
            self.tr("Approve selected"),
            question,
            QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.No,
            self.p.window,
        )
        box.setDefaultButton(QMessageBox.StandardButton.No)
        if box.exec() != QMessageBox.StandardButton.Yes:
            return
        self.writing.write_many(eligible)

    def skip(self) -> None:
        entry = self.entry()
        if not self.ready_to_decide(entry):
            return
        assert entry is not None
        if entry.needs_review and self.p.writer is not None:
            # The library records the skip (it outlives the session); the time here only keeps
            # the order right until its record arrives.
            self.p.images.update(entry.with_(skipped=time.time()))
            self.p.writer.skip(entry.path)
            self.say.skipped(entry.name)
        self.next_needing_review(1)

    def reject(self) -> None:
        entry = self.entry()
        if not self.ready_to_decide(entry):
            return
        assert entry is not None
        if self.p.writer is None:
            self.say.writing_unavailable()
            return
        self.p.images.update(entry.with_(pending=True, error=None))
        self.p.writer.reject(entry.path)
        self.say.rejected(entry.name)
        self.after_decision()

    def regenerate(self, mode: str = MORE_BEAMS) -> None:
        entry = self.entry()
        if not self.ready_to_decide(entry):
            return
        assert entry is not None
        self.p.images.update(entry.with_(requested=True))
        self.p.captioner.enqueue([CaptionJob(entry.path, PRIORITY_NOW, settings_key=mode)])
        self.say.regenerating(entry.name, sampling=mode == SAMPLING)
        self.show_current()

    def retry(self) -> None:
        entry = self.entry()
        if entry is None:
            return
        self._requeue([entry])

    def retry_failed(self) -> None:
        failed = [e for e in self.p.images.entries() if e.status is Status.ERROR]
        if not failed:
            self.say.no_errors()
            return
        self._requeue(failed)

    def _requeue(self, entries: list[ImageEntry]) -> None:
        for e in entries:
            self.p.images.update(e.with_(requested=True))
        self.p.captioner.enqueue([CaptionJob(e.path, PRIORITY_NOW) for e in entries])
        self.say.trying_again(len(entries))
        self.show_current()

    def remove_selected(self) -> None:
        self.remove(self.p.window.selected_paths())

    def remove_open(self) -> None:
        """Remove the open image (the error view's Remove from List)."""
        if self.current is not None:
            self.remove([self.current])

    def remove(self, paths: list[Path]) -> None:
        busy = [p for p in paths if (e := self.p.images.entry(p)) is not None and e.writing]
        paths = [p for p in paths if p not in busy]
        if not paths:
            return
        box = QMessageBox(
            QMessageBox.Icon.Question,
            self.tr("Remove from list"),
            self.tr(
                "Remove %n image(s) from the list? AltLens forgets their suggestions and "
                "decisions; the files and any text already written stay as they are.",
                "",
                len(paths),
            ),
            QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.No,
            self.p.window,
        )
        box.setDefaultButton(QMessageBox.StandardButton.No)
        if box.exec() != QMessageBox.StandardButton.Yes:
            return
        self.p.captioner.forget(paths)
        if self.p.writer is not None:
            self.p.writer.forget(
                p
                for p in paths
                if (e := self.p.images.entry(p)) is not None and e.record_id is not None
            )
        self.p.images.remove(paths)
        if self.current in paths:
            self.open(None)
        self.say.removed(len(paths))

    # -- action state --------------------------------------------------------------------------

    def update_actions(self) -> None:
        a = self.p.window.commands
        entry = self.entry()
        has = entry is not None and not entry.writing and not entry.pending
        status = entry.status if entry is not None else None
        can_write = self.writing is not None and self.writing.error is None
        # A file that cannot be read can be retried, removed or rejected; nothing else applies.
        unreadable = file_unreadable(entry)
        decidable = has and status in DECIDABLE and not unreadable
        a.approve.setEnabled(bool(decidable))
        a.preview_write.setEnabled(bool(decidable) and can_write)
        a.skip.setEnabled(has)
        a.reject.setEnabled(has and status in DECIDABLE)
        a.regenerate.setEnabled(has and self.model.error is None and not unreadable)
        a.regenerate_sampling.setEnabled(has and self.model.error is None and not unreadable)
        a.undo_write.setEnabled(has and can_write and status is Status.WRITTEN)
        a.retry.setEnabled(has and status is Status.ERROR)
        n = len(entry.candidates) if entry is not None else 0
        for i, act in enumerate(a.picks, start=1):
            act.setEnabled(i <= n)
        counts = self.p.images.counts()
        a.approve_selected.setEnabled(can_write and counts["review"] + counts["approved"] > 0)
        a.retry_failed.setEnabled(counts["error"] > 0)
        a.next_review.setEnabled(True)
        if self.detail is not None:
            self.detail.update_actions(has and not unreadable)
