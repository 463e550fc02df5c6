# SPDX-License-Identifier: GPL-3.0-or-later
"""Intake: images coming into the list. Dropped or chosen files and folders (captioned once
or watched), folders found by the library worker, and the library's records when it loads."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from pathlib import Path

from altlens.core.library import WatchedFolder
from altlens.core.review import Event, transition
from altlens.core.types import CaptionJob, ErrorInfo
from altlens.desktop.controller.model_status import ModelStatus
from altlens.desktop.controller.parts import Parts
from altlens.desktop.controller.session import ReviewSession
from altlens.desktop.models.entries import ImageEntry, Status
from altlens.desktop.views.dialogs import FolderDropDialog
from altlens.desktop.workers.captioner import PRIORITY_DROPPED
from altlens.desktop.workers.library import (
    AddFolder,
    Classified,
    Classify,
    Collect,
    CollectedFiles,
    LoadLibrary,
    RemoveFolder,
    SetPaused,
    SetRecursive,
)
from PySide6.QtCore import QObject
from PySide6.QtWidgets import QFileDialog


class Intake(QObject):
    def __init__(
        self,
        parts: Parts,
        session: ReviewSession,
        model: ModelStatus,
        parent: QObject | None = None,
    ) -> None:
        super().__init__(parent)
        self.p = parts
        self.say = parts.say
        self.session = session
        self.model = model
        self._tags = 0
        self._pending_drop_tags: set[str] = set()

    # -- the library worker's answers ------------------------------------------------------------

    def on_done(self, request: object, result: object) -> None:
        match request:
            case LoadLibrary():
                self.on_library_loaded(result)  # type: ignore[arg-type]
            case Classify(tag=tag):
                assert isinstance(result, Classified)
                self.on_paths_classified(tag, result.files, result.folders)
            case Collect():
                self.on_files_collected(result)  # type: ignore[arg-type]
            case AddFolder() | RemoveFolder() | SetRecursive() | SetPaused():
                pass  # folders_changed came first and showed them

    def on_failed(self, request: object, error: ErrorInfo) -> None:
        match request:
            case AddFolder(path=path) | RemoveFolder(path=path):
                self.on_folder_failed(path, error)
            case SetRecursive(path=path) | SetPaused(path=path):
                self.on_folder_failed(path, error)
            case Classify(tag=tag):
                self._pending_drop_tags.discard(tag)
                self.say.folder_unreadable(error)
            case Collect():
                self.say.folder_unreadable(error)
            case LoadLibrary():
                self.say.library_failed(error)

    def _tag(self) -> str:
        self._tags += 1
        return f"t{self._tags}"

    # -- dropped and chosen paths --------------------------------------------------------------

    def add_paths(self, paths: Sequence[Path]) -> None:
        """Dropped or given on the command line: files are captioned at once; for folders the
        person chooses between captioning once and watching."""
        tag = self._tag()
        self._pending_drop_tags.add(tag)
        self.p.library_worker.classify(tag, paths)

    def on_paths_classified(
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
        dialog = FolderDropDialog(list(folders), can_watch=True, parent=self.p.window)
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
        self.say.looking_in_folders(len(folders))
        self.p.library_worker.collect(self._tag(), folders, recursive)

    def on_files_collected(self, collected: CollectedFiles) -> None:
        if collected.error is not None:
            self.say.folder_unreadable(collected.error)
            return
        if not collected.files:
            self.say.no_images_found(collected.roots)
            return
        self.add_files(collected.files, PRIORITY_DROPPED)

    def add_files(self, paths: Iterable[Path], priority: int = PRIORITY_DROPPED) -> list[Path]:
        """Put images in the list and queue those without a decision. Returns the queued paths."""
        queue: list[Path] = []
        new: list[ImageEntry] = []
        for p in paths:
            p = Path(p).absolute()
            entry = self.p.images.entry(p)
            if entry is None:
                # A placeholder until the library's record arrives, already where ENQUEUE
                # takes a new image.
                new.append(ImageEntry(p, transition(Status.NEW, Event.ENQUEUE)))
                queue.append(p)
            elif entry.status in (Status.NEW, Status.ERROR):
                self.p.images.update(entry.with_(requested=True))
                queue.append(p)
        self.p.images.add(new)
        if queue:
            self.p.captioner.enqueue(CaptionJob(p, priority) for p in queue)
            self.session.start_run()
            self.say.images_added(len(queue), model_ready=self.model.ready)
        else:
            self.say.already_in_list()
        return queue

    def choose_images(self) -> None:
        from altlens.core.images import CAPTIONABLE_EXTENSIONS

        patterns = " ".join(f"*{e}" for e in sorted(CAPTIONABLE_EXTENSIONS))
        files, _ = QFileDialog.getOpenFileNames(
            self.p.window,
            self.tr("Add images"),
            self.p.settings.value("folders/last"),
            self.tr("Images (%1);;All files (*)").replace("%1", patterns),
        )
        if files:
            self.p.settings.set_value("folders/last", str(Path(files[0]).parent))
            self.add_paths([Path(f) for f in files])

    def choose_folder(self) -> None:
        folder = QFileDialog.getExistingDirectory(
            self.p.window, self.tr("Add folder"), self.p.settings.value("folders/last")
        )
        if folder:
            self.p.settings.set_value("folders/last", folder)
            self.ask_about_folders([Path(folder)])

    # -- watched folders -----------------------------------------------------------------------

    def watch_folders(self, folders: Sequence[Path], *, recursive: bool) -> None:
        for f in folders:
            self.p.library_worker.add_folder(f, recursive)
        self.say.watching_folders(len(folders))

    def choose_watch_folder(self) -> None:
        folder = QFileDialog.getExistingDirectory(
            self.p.window, self.tr("Watch folder"), self.p.settings.value("folders/last")
        )
        if folder:
            self.p.settings.set_value("folders/last", folder)
            self.watch_folders([Path(folder)], recursive=True)

    def on_folders_changed(self, folders: tuple[WatchedFolder, ...]) -> None:
        self.p.window.show_folders(folders)

    def remove_watched(self, folder: Path) -> None:
        self.p.library_worker.remove_folder(folder)
        self.say.stopped_watching(folder)

    def on_folder_failed(self, folder: Path, error: ErrorInfo) -> None:
        self.say.folder_failed(folder, error)

    # -- the library ---------------------------------------------------------------------------

    def on_library_loaded(self, total: int) -> None:
        if total:
            self.say.library_loaded(total, self.p.images.counts()["review"])
