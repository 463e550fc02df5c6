# SPDX-License-Identifier: GPL-3.0-or-later
"""The controller: what each of the person's commands means, split by capability.

- intake.py         images coming in: drops, chosen files and folders, watched folders
- session.py        the review session: the open image, navigating, editing, deciding
- writing.py        preview, write and undo; what the file holds
- detail.py         the improve pass: describe in detail, read text, insert into alt text
- model_status.py   the captioning model and the run's progress, pause and cancel
- announcements.py  everything said to a screen reader, in one catalogue

ReviewController builds them on one set of Parts and connects the window's commands and the
workers' signals to them. It runs on the GUI thread and never reads or writes a file itself.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from pathlib import Path

from altlens.core.library import ImageRecord
from altlens.core.types import ErrorInfo
from altlens.desktop.controller.announcements import Announcements
from altlens.desktop.controller.detail import Detail
from altlens.desktop.controller.intake import Intake
from altlens.desktop.controller.model_status import ModelStatus
from altlens.desktop.controller.parts import Parts
from altlens.desktop.controller.session import ReviewSession, to_qimage
from altlens.desktop.controller.writing import Writing
from altlens.desktop.models.entries import ImageEntry
from altlens.desktop.models.images import ImageListModel, ReviewOrderModel
from altlens.desktop.settings import Settings
from altlens.desktop.views.main_window import MainWindow
from altlens.desktop.workers.captioner import (
    MORE_BEAMS,
    PRIORITY_DROPPED,
    SAMPLING,
    CancelQueued,
    CaptionWorker,
    LoadModel,
)
from altlens.desktop.workers.describer import DescribeWorker
from altlens.desktop.workers.images import THUMBNAIL_SIZE, ImageWorker
from altlens.desktop.workers.library import LibraryWorker
from altlens.desktop.workers.writer import WriterWorker
from PySide6.QtCore import QObject, Qt

__all__ = ["ReviewController", "to_qimage"]


class ReviewController(QObject):
    """Signals for tests and for the app: `current_changed(Path | None)` after an image is
    opened; `write_finished(Path, bool)` after a write or undo ends (ok or not)."""

    def __init__(
        self,
        *,
        settings: Settings,
        images: ImageListModel,
        order: ReviewOrderModel,
        window: MainWindow,
        captioner: CaptionWorker,
        image_worker: ImageWorker,
        library_worker: LibraryWorker,
        writer: WriterWorker | None,
        describer: DescribeWorker | None = None,
        parent: QObject | None = None,
    ) -> None:
        super().__init__(parent)
        self.parts = Parts(
            settings=settings,
            images=images,
            order=order,
            window=window,
            captioner=captioner,
            image_worker=image_worker,
            library_worker=library_worker,
            writer=writer,
            say=Announcements(window.announcer, self),
            describer=describer,
        )
        self.model = ModelStatus(self.parts, self)
        self.session = ReviewSession(self.parts, self.model, self)
        self.writing = Writing(self.parts, self.session, self)
        self.session.writing = self.writing
        self.detail = Detail(self.parts, self.session, self)
        self.session.detail = self.detail
        self.model.changed = self.session.update_actions
        self.intake = Intake(self.parts, self.session, self.model, self)
        self.announcer = window.announcer
        self.say = self.parts.say  # the announcement catalogue, for the app's own messages
        self.current_changed = self.session.current_changed
        self.write_finished = self.writing.write_finished
        self._wire()

    # -- what the app and the tests ask of it ------------------------------------------------

    @property
    def current(self) -> Path | None:
        return self.session.current

    @property
    def model_error(self) -> ErrorInfo | None:
        return self.model.error

    def entry(self) -> ImageEntry | None:
        return self.session.entry()

    def open(self, path: Path | None, focus: bool = True) -> None:
        self.session.open(path, focus)

    def set_text(self, text: str) -> None:
        self.session.set_text(text)

    def set_decorative(self, on: bool) -> None:
        self.session.set_decorative(on)

    def pick_candidate(self, n: int) -> None:
        self.session.pick_candidate(n)

    def add_paths(self, paths: Sequence[Path]) -> None:
        self.intake.add_paths(paths)

    def add_files(self, paths: Iterable[Path], priority: int = PRIORITY_DROPPED) -> list[Path]:
        return self.intake.add_files(paths, priority)

    def watch_folders(self, folders: Sequence[Path], *, recursive: bool) -> None:
        self.intake.watch_folders(folders, recursive=recursive)

    def choose_watch_folder(self) -> None:
        self.intake.choose_watch_folder()

    def use_model(self, name: str) -> None:
        self.model.use_model(name)

    # -- wiring --------------------------------------------------------------------------------

    def _wire(self) -> None:
        p, s, wr, i, m = self.parts, self.session, self.writing, self.intake, self.model
        w, a = p.window, p.window.commands
        QC = Qt.ConnectionType.QueuedConnection
        c = p.captioner
        c.model_loading.connect(m.on_loading, QC)
        c.done.connect(self._on_captioner_done, QC)
        c.failed.connect(self._on_captioner_failed, QC)
        c.progress.connect(m.on_progress, QC)
        c.idle.connect(self._on_idle, QC)
        c.batch_started.connect(s.on_batch_started, QC)
        c.caption_ready.connect(s.on_caption, QC)
        c.caption_failed.connect(s.on_caption, QC)
        c.records_changed.connect(s.apply_records, QC)
        c.not_queued.connect(s.on_not_queued, QC)
        iw = p.image_worker
        iw.done.connect(s.on_image_loaded, QC)
        iw.failed.connect(s.on_image_failed, QC)
        iw.skipped.connect(s.on_image_skipped, QC)
        lw = p.library_worker
        lw.pace_loading()
        lw.records_loaded.connect(self._on_loaded_page, QC)
        lw.records_changed.connect(s.apply_records, QC)
        lw.done.connect(i.on_done, QC)
        lw.failed.connect(i.on_failed, QC)
        lw.records_gone.connect(s.remove_gone, QC)
        lw.folder_failed.connect(i.on_folder_failed, QC)
        lw.folders_changed.connect(i.on_folders_changed, QC)
        fp = w.folders_panel
        fp.add_requested.connect(i.choose_watch_folder)
        fp.remove_requested.connect(i.remove_watched)
        fp.recursive_changed.connect(lw.set_folder_recursive)
        fp.paused_changed.connect(lw.set_folder_paused)
        p.images.thumbnail_wanted.connect(lambda path: iw.request(path, THUMBNAIL_SIZE))
        if p.writer is not None:
            wk = p.writer
            # The writer's rows answer the person's decisions: their pending overlay ends.
            # (A bound slot, not a lambda: a queued lambda would run in the writer's thread.)
            wk.records_changed.connect(s.apply_decided_records, QC)
            wk.done.connect(wr.on_done, QC)
            wk.failed.connect(wr.on_failed, QC)

        if p.describer is not None:
            d = self.detail
            p.describer.done.connect(d.on_done, QC)
            p.describer.failed.connect(d.on_failed, QC)
            p.describer.context_read.connect(d.on_context, QC)
        a.describe.triggered.connect(self.detail.describe)
        a.read_text.triggered.connect(self.detail.read_text)
        a.insert_detail.triggered.connect(self.detail.insert)
        a.cancel_detail.triggered.connect(self.detail.cancel)

        w.open_requested.connect(s.open)
        w.paths_dropped.connect(i.add_paths)
        w.review.text_edited.connect(s.set_text)
        w.review.description_edited.connect(s.set_description)
        w.review.decorative_toggled.connect(s.set_decorative)
        w.review.candidate_activated.connect(lambda row: s.pick_candidate(row + 1))
        w.review.remove_requested.connect(s.remove_open)
        w.retry_model_button.clicked.connect(m.reload_model)
        a.add_images.triggered.connect(i.choose_images)
        a.add_folder.triggered.connect(i.choose_folder)
        a.approve.triggered.connect(s.approve_and_write)
        a.preview_write.triggered.connect(wr.preview_write)
        a.approve_selected.triggered.connect(s.approve_selected)
        a.skip.triggered.connect(s.skip)
        a.reject.triggered.connect(s.reject)
        a.regenerate.triggered.connect(lambda: s.regenerate(MORE_BEAMS))
        a.regenerate_sampling.triggered.connect(lambda: s.regenerate(SAMPLING))
        a.undo_write.triggered.connect(wr.undo_last_write)
        a.retry.triggered.connect(s.retry)
        a.retry_failed.triggered.connect(s.retry_failed)
        a.remove.triggered.connect(s.remove_selected)
        for n, act in enumerate(a.picks, start=1):
            act.triggered.connect(lambda _c=False, n=n: s.pick_candidate(n))
        a.next.triggered.connect(lambda: s.step(1))
        a.previous.triggered.connect(lambda: s.step(-1))
        a.next_review.triggered.connect(lambda: s.next_needing_review(1))
        a.previous_review.triggered.connect(lambda: s.next_needing_review(-1))
        a.pause.toggled.connect(m.set_paused)
        a.cancel.triggered.connect(m.cancel_captioning)
        p.images.counts_changed.connect(s.update_actions)
        s.update_actions()

    def _on_captioner_done(self, request: object, result: object) -> None:
        match request:
            case LoadModel() if result is not None:
                self.model.on_ready(result)  # type: ignore[arg-type]
            case CancelQueued():
                self.session.on_jobs_dropped(result)  # type: ignore[arg-type]

    def _on_captioner_failed(self, request: object, error: ErrorInfo) -> None:
        match request:
            case LoadModel():
                self.model.on_failed(error)
            case _:  # the worker logged it; the queue and the library stay consistent
                pass

    def _on_loaded_page(self, records: Sequence[ImageRecord]) -> None:
        try:
            self.session.apply_records(records)
        finally:
            self.parts.library_worker.page_applied()  # the next page may come (pace_loading)

    def _on_idle(self) -> None:
        self.session.finish_run()
        self.model.on_idle()
