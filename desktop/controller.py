# SPDX-License-Identifier: GPL-3.0-or-later
"""The review controller: what each action means.

It keeps the image records in the list model up to date from the workers' signals, decides
what the person's commands do (approve and write, skip, reject, regenerate, undo, navigate),
hands work to the workers and tells the person (and their screen reader) what happened.
It runs on the GUI thread and never reads or writes a file itself.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

from PySide6.QtCore import QObject, Qt, Signal
from PySide6.QtGui import QImage
from PySide6.QtWidgets import QFileDialog, QMessageBox, QStyle

from core.alttext import blocking, check_alt_text, clean_text
from core.types import CaptionJob, CaptionResult, ErrorInfo
from desktop.models.entries import ImageEntry, Status
from desktop.models.images import ImageListModel, ReviewOrderModel
from desktop.models.presentation import status_text
from desktop.settings import Settings
from desktop.views.dialogs import FolderDropDialog, WritePreviewDialog
from desktop.views.main_window import MainWindow
from desktop.workers.captioner import (
    MORE_BEAMS,
    PRIORITY_DROPPED,
    PRIORITY_NOW,
    SAMPLING,
    CaptionWorker,
    Progress,
)
from desktop.workers.images import PREVIEW_SIZE, THUMBNAIL_SIZE, DecodedImage, ImageWorker
from desktop.workers.library import CollectedFiles, LibraryWorker
from desktop.workers.writer import Approval, WriterWorker

log = logging.getLogger(__name__)

MODEL_MISSING_CODES = {"model-not-found"}


def to_qimage(decoded: DecodedImage) -> QImage:
    image = QImage(
        decoded.data, decoded.width, decoded.height, decoded.width * 3, QImage.Format.Format_RGB888
    )
    return image.copy()  # own the pixels: `decoded.data` may be freed


class ReviewController(QObject):
    """Signals for tests and for the app: `current_changed(Path | None)` after an image is
    opened; `write_finished(Path, bool)` after a write or undo ends (ok or not)."""

    current_changed = Signal(object)
    write_finished = Signal(object, bool)

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
        writer: WriterWorker,
        parent: QObject | None = None,
    ) -> None:
        super().__init__(parent)
        self.settings = settings
        self.images = images
        self.order = order
        self.window = window
        self.captioner = captioner
        self.image_worker = image_worker
        self.library_worker = library_worker
        self.writer = writer
        self.announcer = window.announcer
        self.current: Path | None = None
        self.model_ready = False
        self.model_error: ErrorInfo | None = None
        self.writer_error: ErrorInfo | None = None
        self._previewed = False  # a write preview was confirmed this session
        self._preview_queue: dict[
            Path, tuple[Any, list[Any], bool]
        ] = {}  # request -> (request, more, confirm)
        self._run_ok = 0
        self._run_failed = 0
        self._announced_first = False
        self._tags = 0
        self._pending_drop_tags: set[str] = set()
        self._wire()

    # -- wiring --------------------------------------------------------------------------------

    def _wire(self) -> None:
        w, a = self.window, self.window.commands
        c, iw = self.captioner, self.image_worker
        QC = Qt.ConnectionType.QueuedConnection
        c.model_loading.connect(self._on_model_loading, QC)
        c.model_ready.connect(self._on_model_ready, QC)
        c.model_failed.connect(self._on_model_failed, QC)
        c.batch_started.connect(self._on_batch_started, QC)
        c.caption_ready.connect(self._on_caption, QC)
        c.caption_failed.connect(self._on_caption, QC)
        c.progress.connect(self._on_progress, QC)
        c.jobs_dropped.connect(self._on_jobs_dropped, QC)
        c.idle.connect(self._on_idle, QC)
        c.records_changed.connect(self._apply_records, QC)
        c.not_queued.connect(self._on_not_queued, QC)
        iw.image_loaded.connect(self._on_image_loaded, QC)
        iw.image_failed.connect(self._on_image_failed, QC)
        lw = self.library_worker
        lw.records_loaded.connect(self._apply_records, QC)
        lw.records_changed.connect(self._apply_records, QC)
        lw.library_loaded.connect(self._on_library_loaded, QC)
        lw.records_gone.connect(self._remove_gone, QC)
        lw.files_collected.connect(self._on_files_collected, QC)
        lw.paths_classified.connect(self._on_paths_classified, QC)
        lw.folder_failed.connect(self._on_folder_failed, QC)
        lw.folders_changed.connect(self._on_folders_changed, QC)
        fp = w.folders_panel
        fp.add_requested.connect(self.choose_watch_folder)
        fp.remove_requested.connect(self._remove_watched)
        fp.recursive_changed.connect(self.library_worker.set_folder_recursive)
        fp.paused_changed.connect(self.library_worker.set_folder_paused)
        self.images.thumbnail_wanted.connect(lambda p: iw.request(p, THUMBNAIL_SIZE))
        if self.writer is not None:
            wr = self.writer
            wr.records_changed.connect(self._apply_records, QC)
            wr.approve_failed.connect(self._on_approve_failed, QC)
            wr.unavailable.connect(self._on_writer_unavailable, QC)
            wr.metadata_read.connect(self._on_metadata_read, QC)
            wr.read_failed.connect(self._on_read_failed, QC)
            wr.preview_ready.connect(self._on_preview_ready, QC)
            wr.preview_failed.connect(self._on_preview_failed, QC)
            wr.written.connect(self._on_written, QC)
            wr.write_failed.connect(self._on_write_failed, QC)
            wr.undone.connect(self._on_undone, QC)
            wr.undo_failed.connect(self._on_undo_failed, QC)

        w.open_requested.connect(self.open)
        w.paths_dropped.connect(self.add_paths)
        w.review.text_edited.connect(self.set_text)
        w.review.description_edited.connect(self.set_description)
        w.review.decorative_toggled.connect(self.set_decorative)
        w.review.candidate_activated.connect(lambda row: self.pick_candidate(row + 1))
        w.retry_model_button.clicked.connect(self.reload_model)
        a.add_images.triggered.connect(self.choose_images)
        a.add_folder.triggered.connect(self.choose_folder)
        a.approve.triggered.connect(self.approve_and_write)
        a.preview_write.triggered.connect(self.preview_write)
        a.approve_selected.triggered.connect(self.approve_selected)
        a.skip.triggered.connect(self.skip)
        a.reject.triggered.connect(self.reject)
        a.regenerate.triggered.connect(lambda: self.regenerate(MORE_BEAMS))
        a.regenerate_sampling.triggered.connect(lambda: self.regenerate(SAMPLING))
        a.undo_write.triggered.connect(self.undo_last_write)
        a.retry.triggered.connect(self.retry)
        a.retry_failed.triggered.connect(self.retry_failed)
        a.remove.triggered.connect(self.remove_selected)
        for n, act in enumerate(a.picks, start=1):
            act.triggered.connect(lambda _c=False, n=n: self.pick_candidate(n))
        a.next.triggered.connect(lambda: self.step(1))
        a.previous.triggered.connect(lambda: self.step(-1))
        a.next_review.triggered.connect(lambda: self.next_needing_review(1))
        a.previous_review.triggered.connect(lambda: self.next_needing_review(-1))
        a.pause.toggled.connect(self.set_paused)
        a.cancel.triggered.connect(self.cancel_captioning)
        self.images.counts_changed.connect(self.update_actions)
        self.update_actions()

    # -- adding images -------------------------------------------------------------------------

    def _tag(self) -> str:
        self._tags += 1
        return f"t{self._tags}"

    def add_paths(self, paths: Sequence[Path]) -> None:
        """Dropped or given on the command line: files are captioned at once; for folders the
        person chooses between captioning once and watching."""
        tag = self._tag()
        self._pending_drop_tags.add(tag)
        self.library_worker.classify(tag, paths)

    def _on_paths_classified(
        self, tag: str, files: tuple[Path, ...], folders: tuple[Path, ...]
    ) -> None:
        if tag not in self._pending_drop_tags:
            return
        self._pending_drop_tags.discard(tag)
        if files:
            self.add_files(files, PRIORITY_DROPPED)
        if folders:
            self.ask_about_folders(folders)

    def ask_about_folders(self, folders: Sequence[Path]) -> None:
        dialog = FolderDropDialog(list(folders), can_watch=True, parent=self.window)
        accepted = dialog.exec()
        dialog.deleteLater()
        if not accepted:
            return
        recursive = dialog.recursive.isChecked()
        if dialog.choice == FolderDropDialog.ONCE:
            self.add_folders(folders, recursive=recursive)
        elif dialog.choice == FolderDropDialog.WATCH:
            self.watch_folders(folders, recursive=recursive)

    def add_folders(self, folders: Sequence[Path], *, recursive: bool) -> None:
        self.announcer.announce(self.tr("Looking for images in %n folder(s)…", "", len(folders)))
        self.library_worker.collect(self._tag(), folders, recursive)

    def watch_folders(self, folders: Sequence[Path], *, recursive: bool) -> None:
        for f in folders:
            self.library_worker.add_folder(f, recursive)
        self.announcer.announce(
            self.tr(
                "Watching %n folder(s); their images are captioned, and new ones as they arrive.",
                "",
                len(folders),
            )
        )

    def choose_watch_folder(self) -> None:
        folder = QFileDialog.getExistingDirectory(
            self.window, self.tr("Watch folder"), self.settings.value("folders/last")
        )
        if folder:
            self.settings.set_value("folders/last", folder)
            self.watch_folders([Path(folder)], recursive=True)

    def _on_folders_changed(self, folders: tuple[Any, ...]) -> None:
        self.window.folders_panel.set_folders(folders)
        if folders and not self.window.folders_dock.isVisible():
            self.window.folders_dock.show()

    def _remove_watched(self, folder: Path) -> None:
        self.library_worker.remove_folder(folder)
        self.announcer.announce(
            self.tr("Stopped watching %1; its images stay in the list.").replace("%1", str(folder))
        )

    def _on_folder_failed(self, folder: Path, error: ErrorInfo) -> None:
        self.announcer.announce(
            self.tr("Folder %1: %2").replace("%1", str(folder)).replace("%2", error.message),
            assertive=True,
        )

    def _on_files_collected(self, collected: CollectedFiles) -> None:
        if collected.error is not None:
            self.announcer.announce(
                self.tr("Could not read the folder: %1").replace("%1", collected.error.message),
                assertive=True,
            )
            return
        if not collected.files:
            self.announcer.announce(
                self.tr("No images found in %1.").replace(
                    "%1", ", ".join(p.name for p in collected.roots)
                )
            )
            return
        self.add_files(collected.files, PRIORITY_DROPPED)

    # -- the library's records ------------------------------------------------------------------

    def _apply_records(self, records: tuple[Any, ...]) -> None:
        """Bring the list up to date with library rows (from any worker)."""
        new: list[ImageEntry] = []
        gone: list[Path] = []
        touched_current = False
        for r in records:
            path = Path(r.path)
            if r.missing:
                gone.append(path)
                continue
            old = self.images.entry(path)
            entry = ImageEntry.from_record(r, old)
            if old is None:
                new.append(entry)
            else:
                self.images.update(entry)
            touched_current |= path == self.current
        if new:
            self.images.add(new)
        if gone:
            self._remove_gone(tuple(gone))
        if touched_current:
            self._show_current()
        self.update_actions()

    def _on_library_loaded(self, total: int) -> None:
        if not total:
            return
        review = self.images.counts()["review"]
        if review:
            msg = self.tr("%n image(s) from earlier need(s) review. Press F8 to start.", "", review)
        else:
            msg = self.tr("Library loaded: %n image(s), none waiting for review.", "", total)
        self.announcer.announce(msg)

    def _remove_gone(self, paths: tuple[Path, ...]) -> None:
        """Images deleted or moved away on disk leave the list (the library keeps their rows)."""
        present = [p for p in paths if self.images.entry(p) is not None]
        if not present:
            return
        self.images.remove(present)
        if self.current in present:
            self.open(None)
        self.announcer.announce(
            self.tr("%n image(s) left the list: deleted or moved on disk.", "", len(present))
        )

    def _on_not_queued(self, path: Path, error: ErrorInfo) -> None:
        entry = self.images.entry(path) or ImageEntry(path)
        if entry.record_id is None:  # a file the library could not take: show why, here only
            if self.images.entry(path) is None:
                self.images.add([entry.with_(status=Status.ERROR, error=error)])
            else:
                self.images.update(entry.with_(status=Status.ERROR, error=error, captioning=False))
            if path == self.current:
                self._show_current()

    def add_files(self, paths: Iterable[Path], priority: int = PRIORITY_DROPPED) -> list[Path]:
        """Put images in the list and queue those without a decision. Returns the queued paths."""
        queue: list[Path] = []
        new: list[ImageEntry] = []
        for p in paths:
            p = Path(p).absolute()
            entry = self.images.entry(p)
            if entry is None:
                new.append(ImageEntry(p, Status.QUEUED))
                queue.append(p)
            elif entry.status in (Status.NEW, Status.ERROR):
                self.images.update(entry.with_(status=Status.QUEUED, error=None))
                queue.append(p)
        self.images.add(new)
        if queue:
            self.captioner.enqueue(CaptionJob(p, priority) for p in queue)
            self._announced_first = False
            if self.model_ready:
                msg = self.tr("%n image(s) added; captioning now.", "", len(queue))
            else:
                msg = self.tr(
                    "%n image(s) added; they wait until a captioning model is ready.",
                    "",
                    len(queue),
                )
            self.announcer.announce(msg)
        else:
            self.announcer.announce(self.tr("These images are already in the list."))
        return queue

    def choose_images(self) -> None:
        from core.images import CAPTIONABLE_EXTENSIONS

        patterns = " ".join(f"*{e}" for e in sorted(CAPTIONABLE_EXTENSIONS))
        files, _ = QFileDialog.getOpenFileNames(
            self.window,
            self.tr("Add images"),
            self.settings.value("folders/last"),
            self.tr("Images (%1);;All files (*)").replace("%1", patterns),
        )
        if files:
            self.settings.set_value("folders/last", str(Path(files[0]).parent))
            self.add_paths([Path(f) for f in files])

    def choose_folder(self) -> None:
        folder = QFileDialog.getExistingDirectory(
            self.window, self.tr("Add folder"), self.settings.value("folders/last")
        )
        if folder:
            self.settings.set_value("folders/last", folder)
            self.ask_about_folders([Path(folder)])

    # -- the model -----------------------------------------------------------------------------

    def reload_model(self) -> None:
        self.captioner.load_model(self.settings.model_spec())

    def use_model(self, name: str) -> None:
        self.settings.set_value("model/name", name)
        self.reload_model()

    def _on_model_loading(self, name: str) -> None:
        self.model_ready = False
        self.window.model_banner.show_message(
            self.tr("Loading the captioning model…"),
            self.tr(
                "%1 is loading. You can add images meanwhile; they are captioned when it is ready."
            ).replace("%1", name),
            icon=QStyle.StandardPixmap.SP_BrowserReload,
            busy=True,
        )
        for b in (
            self.window.manager_button,
            self.window.import_button,
            self.window.retry_model_button,
        ):
            b.hide()

    def _on_model_ready(self, info: Any) -> None:
        self.model_ready = True
        self.model_error = None
        self.window.model_banner.hide()
        self.announcer.announce(
            self.tr("Model ready: %1 on %2.").replace("%1", info.name).replace("%2", info.device)
        )
        self.update_actions()

    def _on_model_failed(self, error: ErrorInfo) -> None:
        self.model_ready = False
        self.model_error = error
        if error.code in MODEL_MISSING_CODES:
            title = self.tr("No captioning model is installed")
            text = self.tr(
                "%1\n\nOpen the model manager to download one, or import a model folder copied "
                "from another computer. Images you add wait until a model is ready."
            ).replace("%1", error.message)
        else:
            title = self.tr("The captioning model could not be loaded")
            text = self.tr(
                "%1\n\nChoose another model in Settings or the model manager, or try again."
            ).replace("%1", error.message)
        self.window.model_banner.show_message(
            title, text, icon=QStyle.StandardPixmap.SP_MessageBoxWarning
        )
        self.window.manager_button.setVisible(self.window.commands.model_manager.isEnabled())
        self.window.import_button.show()
        self.window.retry_model_button.show()
        self.announcer.announce(title, assertive=True)
        self.update_actions()

    # -- captioning results --------------------------------------------------------------------

    def _on_batch_started(self, paths: tuple[Path, ...]) -> None:
        for p in paths:
            e = self.images.entry(p)
            if e is not None:
                self.images.update(e.with_(captioning=True))
                if p == self.current:
                    self._show_current()

    def _on_caption(self, result: CaptionResult) -> None:
        path = result.path
        entry = self.images.entry(path) if path is not None else None
        if entry is None:
            return  # removed from the list meanwhile
        if entry.record_id is None:  # not from the library (no record arrived): keep it current
            entry = entry.with_result(result)
            self.images.update(entry)
        if result.ok:
            self._run_ok += 1
        else:
            self._run_failed += 1
        if path == self.current:
            self._show_current()
            if result.ok:
                self.announcer.announce(
                    self.tr("New suggestion for %1: %2")
                    .replace("%1", entry.name)
                    .replace("%2", entry.text)
                )
            else:
                self.announcer.announce(
                    self.tr("%1 could not be captioned: %2")
                    .replace("%1", entry.name)
                    .replace("%2", result.error.message if result.error else ""),
                    assertive=True,
                )
        elif result.ok and not self._announced_first:
            # One announcement per run, not one per image: a batch of 500 would drown the
            # screen reader. The first one is shown at once if nothing is open, and then the
            # announcement says so (F8 would move on to another image).
            self._announced_first = True
            if self.current is None:
                self.open(path, focus=False)
            if self.current == path:
                msg = self.tr("First suggestion ready: %1 is open for review.")
            else:
                msg = self.tr(
                    "First suggestion ready: %1. Press F8 for the next image needing review."
                )
            self.announcer.announce(msg.replace("%1", entry.name))
        self.update_actions()

    def _on_progress(self, p: Progress) -> None:
        self.window.progress.set_progress(p.done, p.total, p.failed, self.captioner.paused)

    def _on_jobs_dropped(self, paths: tuple[Path, ...]) -> None:
        # The records of these images already arrived; only placeholders need resetting.
        for p in paths:
            e = self.images.entry(p)
            if e is not None and e.record_id is None and e.status is Status.QUEUED:
                self.images.update(e.with_(status=Status.NEW, captioning=False))
        self._show_current()

    def _on_idle(self) -> None:
        if self._run_ok or self._run_failed:
            msg = self.tr(
                "Captioning finished: %n suggestion(s) ready for review", "", self._run_ok
            )
            if self._run_failed:
                msg += self.tr("; %n image(s) could not be captioned", "", self._run_failed)
            self.announcer.announce(msg + ".")
        self._run_ok = self._run_failed = 0
        if self.captioner.paused:
            self.window.progress.bar.setFormat(self.window.progress.bar.format())
        else:
            self.window.progress.set_idle()

    def set_paused(self, paused: bool) -> None:
        if paused:
            self.captioner.pause()
            self.announcer.announce(
                self.tr("Captioning paused; the images in the model finish first.")
            )
        else:
            self.captioner.resume()
            self.announcer.announce(self.tr("Captioning resumed."))
        self.window.commands.pause.setText(
            self.tr("Resume Captioning") if paused else self.tr("&Pause Captioning")
        )

    def cancel_captioning(self) -> None:
        self.captioner.cancel()
        self.announcer.announce(
            self.tr("Captioning cancelled; waiting images were taken out of the queue.")
        )

    # -- images and previews -------------------------------------------------------------------

    def _on_image_loaded(self, decoded: DecodedImage) -> None:
        image = to_qimage(decoded)
        if decoded.size == THUMBNAIL_SIZE:
            self.images.set_thumbnail(decoded.path, image)
        if decoded.size == PREVIEW_SIZE:
            self.window.review.set_preview(decoded.path, image)

    def _on_image_failed(self, path: Path, size: int, error: ErrorInfo) -> None:
        if size == THUMBNAIL_SIZE:
            self.images.thumbnail_failed(path)
        else:
            self.window.review.set_preview(
                path, None, self.tr("No preview: %1").replace("%1", error.message)
            )

    # -- opening and navigating ----------------------------------------------------------------

    def entry(self) -> ImageEntry | None:
        return self.images.entry(self.current) if self.current is not None else None

    def open(self, path: Path | None, focus: bool = True) -> None:
        """Show `path` in the review panel; with `focus`, put the cursor in the alt text."""
        self.current = Path(path) if path is not None else None
        entry = self.entry()
        if entry is None:
            self.current = None
        self.window.select(self.current)
        self.window.review.show_entry(entry)
        if entry is not None:
            self.image_worker.request(entry.path, PREVIEW_SIZE)
            if self.writer is not None and self.writer_error is None:
                self.writer.read(entry.path)
            if focus:
                self.window.review.focus_text()
                # Say which image this is; the screen reader then reads the focused field.
                self.announcer.announce(
                    self.tr("%1, %2").replace("%1", entry.name).replace("%2", status_text(entry))
                )
        self.update_actions()
        self.current_changed.emit(self.current)

    def _show_current(self) -> None:
        self.window.review.show_entry(self.entry())
        self.update_actions()

    def step(self, delta: int) -> None:
        paths = self.order.paths()
        if not paths:
            self.announcer.announce(self.tr("The list is empty."))
            return
        i = (
            paths.index(self.current)
            if self.current in paths
            else (-1 if delta > 0 else len(paths))
        )
        j = i + delta
        if not 0 <= j < len(paths):
            self.announcer.announce(
                self.tr("This is the last image.")
                if delta > 0
                else self.tr("This is the first image.")
            )
            return
        self.open(paths[j], focus=True)

    def _sorted_entries(self) -> list[ImageEntry]:
        """Every image in the list's sort order, whatever the filter."""
        entries = self.images.entries()  # arrival order
        if self.order.sort_by_confidence:
            arrival = {e.path: i for i, e in enumerate(entries)}
            entries.sort(key=lambda e: (e.score is None, e.score or 0.0, arrival[e.path]))
        return entries

    def next_needing_review(self, step: int = 1) -> bool:
        """Open the next image needing review after the current one in the list's order
        (wrapping around), images that were skipped last. Returns False (and says so) when
        there is none."""
        full = self._sorted_entries()
        candidates = [
            e for e in full if e.needs_review and not e.writing and e.path != self.current
        ]
        if not candidates:
            waiting = self.images.counts()["queued"]
            current = self.entry()
            if current is not None and current.needs_review and not current.writing:
                # Say what is true: the open image is the one left.
                self.announcer.announce(
                    self.tr("No other image needs review; %1, open now, still does.").replace(
                        "%1", current.name
                    )
                )
            elif waiting:
                self.announcer.announce(
                    self.tr(
                        "Nothing to review yet; %n image(s) still waiting for the model.",
                        "",
                        waiting,
                    )
                )
            else:
                self.announcer.announce(self.tr("Nothing left to review."))
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
        src = self.images.index_of(target.path)
        if not self.order.filterAcceptsRow(src.row(), src.parent()):
            self.window.set_filter("review")
        self.open(target.path, focus=True)
        return True

    def _advance(self) -> None:
        if self.settings.value("review/advance"):
            self.next_needing_review(1)

    # -- editing -------------------------------------------------------------------------------

    def set_text(self, text: str) -> None:
        entry = self.entry()
        if entry is None or entry.text == text:
            return
        match = next((i for i, c in enumerate(entry.candidates) if c.text == text), None)
        updated = entry.with_(text=text, chosen=match, edited=match is None)
        self.images.update(updated)
        self.window.review.refresh_badge(updated)
        self.window.review.mark_chosen(match)

    def set_description(self, text: str) -> None:
        entry = self.entry()
        if entry is not None and entry.description != text:
            self.images.update(entry.with_(description=text))

    def set_decorative(self, on: bool) -> None:
        entry = self.entry()
        if entry is not None and entry.decorative != on:
            self.images.update(entry.with_(decorative=on))
            self.announcer.announce(
                self.tr("Marked as decorative.")
                if on
                else self.tr("No longer marked as decorative.")
            )

    def pick_candidate(self, n: int) -> None:
        entry = self.entry()
        if entry is None or not 1 <= n <= len(entry.candidates):
            self.announcer.announce(self.tr("There is no suggestion %1.").replace("%1", str(n)))
            return
        cand = entry.candidates[n - 1]
        self.images.update(
            entry.with_(text=cand.text, chosen=n - 1, edited=False, decorative=False)
        )
        self._show_current()
        self.announcer.announce(
            self.tr("Using suggestion %1: %2").replace("%1", str(n)).replace("%2", cand.text)
        )

    # -- decisions -----------------------------------------------------------------------------

    def _check_text(self, entry: ImageEntry) -> bool:
        problems = blocking(check_alt_text(clean_text(entry.text), decorative=entry.decorative))
        if problems:
            self.announcer.announce(problems[0].message, assertive=True)
            if entry.path == self.current:
                self.window.review.focus_text()
            return False
        return True

    def _request(self, entry: ImageEntry) -> Any:
        from core.metadata import WriteRequest

        description = "\n".join(clean_text(line) for line in entry.description.splitlines()).strip()
        return WriteRequest(
            path=entry.path,
            alt_text=clean_text(entry.text),
            long_description=description or None,
            profile=self.settings.value("write/profile"),
            overwrite=self.settings.value("write/overwrite"),
            model=entry.model or None,
            reviewed=True,
            edited=entry.edited,
            keep_mtime=self.settings.value("write/keep_mtime"),
            backup=self.settings.value("write/backup"),
            sidecar_style=self.settings.value("write/sidecar_style"),
        )

    def _writing_available(self) -> bool:
        if self.writer is None:
            self.announcer.announce(
                self.tr("Writing into files is not available in this installation."), assertive=True
            )
            return False
        if self.writer_error is not None:
            self.announcer.announce(self.writer_error.message, assertive=True)
            return False
        return True

    def _ready_to_decide(self, entry: ImageEntry | None) -> bool:
        if entry is None:
            self.announcer.announce(
                self.tr("No image is open. Press F8 to open the next one needing review.")
            )
            return False
        if entry.writing:
            self.announcer.announce(
                self.tr("%1 is being written; wait a moment.").replace("%1", entry.name)
            )
            return False
        return True

    def approve_and_write(self) -> None:
        entry = self.entry()
        if entry is None or not self._ready_to_decide(entry) or not self._check_text(entry):
            return
        if entry.decorative:
            # Decorative images need no alt text; the metadata writer cannot record
            # "decorative" (it needs non-empty alt text), so the decision lives in the library.
            self._decide(entry, None)
            self.announcer.announce(
                self.tr("%1 approved as decorative; nothing is written into the file.").replace(
                    "%1", entry.name
                )
            )
            self._after_decision()
            return
        if self.writer_error is not None:
            self._decide(entry, None)
            self.announcer.announce(
                self.tr("Approved %1, but not written: %2")
                .replace("%1", entry.name)
                .replace("%2", self.writer_error.message),
                assertive=True,
            )
            self._after_decision()
            return
        self._write_with_preview([self._request(entry)])

    def _decide(self, entry: ImageEntry, request: Any) -> None:
        """Record the approval in the library (on the writer thread) and, with a request,
        write it into the file right after."""
        text = "" if entry.decorative else clean_text(entry.text)
        description = (
            "\n".join(clean_text(line) for line in entry.description.splitlines()).strip() or None
        )
        self.images.update(
            entry.with_(status=Status.APPROVED, writing=request is not None, error=None)
        )
        self.writer.approve(Approval(entry.path, text, description, entry.decorative, request))

    def approve_selected(self) -> None:
        paths = self.window.selected_paths() or ([self.current] if self.current else [])
        eligible, left = [], 0
        for p in paths:
            e = self.images.entry(p)
            if (
                e is None
                or e.writing
                or e.decorative
                or e.status not in (Status.SUGGESTED, Status.SKIPPED, Status.APPROVED, Status.UNDONE)
                or blocking(check_alt_text(clean_text(e.text)))
            ):
                left += 1
                continue
            eligible.append(e)
        if not eligible:
            self.announcer.announce(
                self.tr("None of the selected images has alt text ready to write."), assertive=True
            )
            return
        if not self._writing_available():
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
            self.window,
        )
        box.setDefaultButton(QMessageBox.StandardButton.No)
        if box.exec() != QMessageBox.StandardButton.Yes:
            return
        self._write_with_preview([self._request(e) for e in eligible])

    def _write_with_preview(self, requests: list[Any]) -> None:
        first, more = requests[0], requests[1:]
        if self.settings.value("write/preview") == "always" or not self._previewed:
            self._preview_queue[first.path] = (first, more, True)
            self.writer.preview(first)  # type: ignore[union-attr]
            return
        self._commit(requests)

    def preview_write(self) -> None:
        """Show exactly which fields a write would change (Ctrl+P), and offer to write."""
        entry = self.entry()
        if (
            entry is None
            or not self._ready_to_decide(entry)
            or not self._check_text(entry)
            or not self._writing_available()
        ):
            return
        request = self._request(entry)
        self._preview_queue[request.path] = (request, [], True)
        self.writer.preview(request)  # type: ignore[union-attr]

    def _on_preview_ready(self, request: Any, plan: Any) -> None:
        pending = self._preview_queue.pop(request.path, None)
        if pending is None:
            return
        _req, more, confirm = pending
        dialog = WritePreviewDialog(
            plan,
            overwrite=request.overwrite,
            always=self.settings.value("write/preview") == "always",
            confirm=confirm,
            parent=self.window,
        )
        accepted = dialog.exec()
        self.settings.set_value("write/preview", "always" if dialog.always.isChecked() else "first")
        dialog.deleteLater()
        self.window.activateWindow()  # back to the review, where the focus is about to go
        if not accepted or not confirm:
            self.announcer.announce(self.tr("Nothing was written."))
            return
        self._previewed = True
        self._commit([request, *more])

    def _on_preview_failed(self, request: Any, error: ErrorInfo) -> None:
        self._preview_queue.pop(request.path, None)
        self._handle_writer_error(error)
        self.announcer.announce(
            self.tr("Cannot write %1: %2")
            .replace("%1", request.path.name)
            .replace("%2", error.message),
            assertive=True,
        )

    def _commit(self, requests: list[Any]) -> None:
        for request in requests:
            entry = self.images.entry(request.path)
            if entry is None:
                continue
            self._decide(entry, request)
        if len(requests) > 1:
            self.announcer.announce(self.tr("Writing %n image(s)…", "", len(requests)))
        self._after_decision()

    def _after_decision(self) -> None:
        self._show_current()
        self._advance()

    def _on_written(self, request: Any, result: Any) -> None:
        entry = self.images.entry(request.path)
        if entry is not None:
            self.images.update(
                entry.with_(
                    status=Status.WRITTEN,
                    writing=False,
                    journal_id=result.journal_id,
                    on_disk=request.alt_text,
                    error=None,
                )
            )
        n = len(result.changes)
        if n:
            msg = self.tr("Written to %1: %n field(s).", "", n).replace("%1", request.path.name)
        else:
            msg = self.tr("%1 already held this text; nothing needed writing.").replace(
                "%1", request.path.name
            )
        self.announcer.announce(msg)
        if request.path == self.current:
            self._show_current()
        self.write_finished.emit(request.path, True)

    def _on_approve_failed(self, approval: Approval, error: ErrorInfo) -> None:
        entry = self.images.entry(approval.path)
        if entry is not None:
            self.images.update(entry.with_(writing=False, error=error))
        self.announcer.announce(
            self.tr("Could not record the approval of %1: %2")
            .replace("%1", approval.path.name)
            .replace("%2", error.message),
            assertive=True,
        )
        if approval.path == self.current:
            self._show_current()
        self.write_finished.emit(approval.path, False)

    def _on_write_failed(self, request: Any, error: ErrorInfo) -> None:
        entry = self.images.entry(request.path)
        if entry is not None:
            self.images.update(entry.with_(status=Status.APPROVED, writing=False, error=error))
        self._handle_writer_error(error)
        self.announcer.announce(
            self.tr("Could not write %1: %2")
            .replace("%1", request.path.name)
            .replace("%2", error.message),
            assertive=True,
        )
        if request.path == self.current:
            self._show_current()
        self.write_finished.emit(request.path, False)

    def skip(self) -> None:
        entry = self.entry()
        if not self._ready_to_decide(entry):
            return
        assert entry is not None
        if entry.needs_review:
            # The library records the skip (it outlives the session); the time here only keeps
            # the order right until its record arrives.
            self.images.update(entry.with_(skipped=time.time()))
            self.writer.skip(entry.path)
            self.announcer.announce(
                self.tr("Skipped %1; it comes back after the others.").replace("%1", entry.name)
            )
        self.next_needing_review(1)

    def reject(self) -> None:
        entry = self.entry()
        if not self._ready_to_decide(entry):
            return
        assert entry is not None
        self.images.update(entry.with_(status=Status.REJECTED, error=None))
        self.writer.reject(entry.path)
        self.announcer.announce(
            self.tr("Rejected %1; nothing will be written.").replace("%1", entry.name)
        )
        self._after_decision()

    def regenerate(self, mode: str = MORE_BEAMS) -> None:
        entry = self.entry()
        if not self._ready_to_decide(entry):
            return
        assert entry is not None
        if entry.status in (Status.NEW, Status.SUGGESTED, Status.SKIPPED, Status.ERROR):
            self.images.update(entry.with_(status=Status.QUEUED, error=None))
        self.captioner.enqueue([CaptionJob(entry.path, PRIORITY_NOW, settings_key=mode)])
        how = self.tr("with varied wording") if mode == SAMPLING else self.tr("with a wider search")
        self.announcer.announce(
            self.tr("Making new suggestions for %1 %2…")
            .replace("%1", entry.name)
            .replace("%2", how)
        )
        self._show_current()

    def retry(self) -> None:
        entry = self.entry()
        if entry is None:
            return
        self._requeue([entry])

    def retry_failed(self) -> None:
        failed = [e for e in self.images.entries() if e.status is Status.ERROR]
        if not failed:
            self.announcer.announce(self.tr("No images have errors."))
            return
        self._requeue(failed)

    def _requeue(self, entries: list[ImageEntry]) -> None:
        for e in entries:
            self.images.update(e.with_(status=Status.QUEUED, error=None))
        self.captioner.enqueue([CaptionJob(e.path, PRIORITY_NOW) for e in entries])
        self.announcer.announce(self.tr("Trying %n image(s) again.", "", len(entries)))
        self._show_current()

    def remove_selected(self) -> None:
        paths = self.window.selected_paths()
        busy = [p for p in paths if (e := self.images.entry(p)) is not None and e.writing]
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
            self.window,
        )
        box.setDefaultButton(QMessageBox.StandardButton.No)
        if box.exec() != QMessageBox.StandardButton.Yes:
            return
        self.captioner.forget(paths)
        self.writer.forget(
            p for p in paths if (e := self.images.entry(p)) is not None and e.record_id is not None
        )
        self.images.remove(paths)
        if self.current in paths:
            self.open(None)
        self.announcer.announce(
            self.tr("Removed %n image(s) from the list; the files are untouched.", "", len(paths))
        )

    def undo_last_write(self) -> None:
        entry = self.entry()
        if not self._ready_to_decide(entry) or not self._writing_available():
            return
        assert entry is not None
        self.images.update(entry.with_(writing=True))
        self.writer.undo(entry.path)  # type: ignore[union-attr]
        self._show_current()

    def _on_undone(self, path: Path, result: Any) -> None:
        entry = self.images.entry(path)
        if entry is not None:  # its record (approved, no longer written) arrived just before
            self.images.update(
                entry.with_(writing=False, journal_id=None, on_disk=None, error=None)
            )
        self.announcer.announce(
            self.tr("Undid the last write to %1; the file holds its earlier text again.").replace(
                "%1", path.name
            )
        )
        if path == self.current:
            self._show_current()
            if self.writer is not None:
                self.writer.read(path)
        self.write_finished.emit(path, True)

    def _on_undo_failed(self, path: Path, error: ErrorInfo) -> None:
        entry = self.images.entry(path)
        if entry is not None:
            self.images.update(entry.with_(writing=False))
        self._handle_writer_error(error)
        self.announcer.announce(
            self.tr("Could not undo the write to %1: %2")
            .replace("%1", path.name)
            .replace("%2", error.message),
            assertive=True,
        )
        if path == self.current:
            self._show_current()
        self.write_finished.emit(path, False)

    # -- metadata on disk ----------------------------------------------------------------------

    def _on_metadata_read(self, snapshot: Any) -> None:
        entry = self.images.entry(snapshot.path)
        if entry is None:
            return
        value = snapshot.alt_text or snapshot.description
        text = value.value if value is not None and not value.empty else None
        self.images.update(entry.with_(on_disk=text))
        if snapshot.path == self.current:
            self._show_current()

    def _on_read_failed(self, path: Path, error: ErrorInfo) -> None:
        self._handle_writer_error(error)

    def _handle_writer_error(self, error: ErrorInfo) -> None:
        if error.code in ("exiftool-missing", "metadata-unavailable"):
            self._on_writer_unavailable(error)

    def _on_writer_unavailable(self, error: ErrorInfo) -> None:
        self.writer_error = error
        self.window.writer_banner.show_message(
            self.tr("Captions cannot be written into files"),
            self.tr(
                "%1\n\nSuggestions still work, and you can approve them; approved text is "
                "written with Approve and Write Selected once writing works."
            ).replace("%1", error.message),
            icon=QStyle.StandardPixmap.SP_MessageBoxWarning,
        )
        self.update_actions()

    # -- action state --------------------------------------------------------------------------

    def update_actions(self) -> None:
        a = self.window.commands
        entry = self.entry()
        has = entry is not None and not entry.writing
        status = entry.status if entry is not None else None
        can_write = self.writer_error is None
        decidable = has and status in (
            Status.SUGGESTED,
            Status.SKIPPED,
            Status.APPROVED,
            Status.UNDONE,
            Status.REJECTED,
            Status.WRITTEN,
            Status.ERROR,
        )
        for act in (a.approve, a.preview_write):
            act.setEnabled(bool(decidable))
        a.preview_write.setEnabled(bool(decidable) and can_write)
        a.skip.setEnabled(has)
        a.reject.setEnabled(bool(decidable))
        a.regenerate.setEnabled(has and self.model_error is None)
        a.regenerate_sampling.setEnabled(has and self.model_error is None)
        a.undo_write.setEnabled(has and can_write and status is Status.WRITTEN)
        a.retry.setEnabled(has and status is Status.ERROR)
        n = len(entry.candidates) if entry is not None else 0
        for i, act in enumerate(a.picks, start=1):
            act.setEnabled(i <= n)
        counts = self.images.counts()
        a.approve_selected.setEnabled(can_write and counts["review"] + counts["approved"] > 0)
        a.retry_failed.setEnabled(counts["error"] > 0)
        a.next_review.setEnabled(True)
