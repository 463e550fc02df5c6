# SPDX-License-Identifier: GPL-3.0-or-later
"""The library thread: everything that walks folders or hashes files for the library, so
the GUI thread never waits on the disk. It loads the library at start, expands dropped paths,
keeps the watched folders (their options in the library, their watchdog observers here) and
applies the watcher's batches.

Shutdown stops the watcher first (DESIGN.md section 2: watchers stop before anything else).
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from PySide6.QtCore import QObject, Qt, QThread, Signal, Slot

from core.images import collect_images
from core.jobs import CancelToken
from core.library import PRIORITY_WATCH, Library, norm_path
from core.service import apply_batch
from core.types import ErrorInfo
from core.watching import FolderWatcher, WatchBatch

log = logging.getLogger(__name__)

LOAD_CHUNK = 500


@dataclass(frozen=True)
class CollectedFiles:
    """The images found under dropped or opened paths. `tag` is the caller's, echoed back."""

    tag: str
    roots: tuple[Path, ...]
    files: tuple[Path, ...]
    error: ErrorInfo | None = None


class LibraryWorker(QObject):
    """Signals (queued to the GUI thread):

    records_loaded(tuple[ImageRecord])      rows of the library, at start (in chunks)
    library_loaded(int)                     all of them sent
    records_changed(tuple[ImageRecord])     rows that a scan or a watcher batch changed
    records_gone(tuple[Path])               images deleted (or moved away) on disk
    folders_changed(tuple[WatchedFolder])   the watched folders, after any change
    folder_failed(Path, ErrorInfo)          a folder could not be added or scanned
    paths_classified(str, files, folders)   collected(CollectedFiles)
    work_queued()                           the library queue has new work for the captioner
    """

    records_loaded = Signal(object)
    library_loaded = Signal(int)  # after the last chunk: how many images the library holds
    records_changed = Signal(object)
    records_gone = Signal(object)
    folders_changed = Signal(object)
    folder_failed = Signal(object, object)
    paths_classified = Signal(str, object, object)
    files_collected = Signal(object)
    work_queued = Signal()

    _requested = Signal(str, object)
    _batch_arrived = Signal(object)
    _shutdown_requested = Signal()

    def __init__(
        self,
        library: Library,
        *,
        watch: bool = True,
        debounce: float = 1.0,
        parent: QObject | None = None,
    ) -> None:
        super().__init__(parent)
        self.library = library
        self._watch = watch
        self._debounce = debounce
        self._watcher: FolderWatcher | None = None
        self._cancel = CancelToken()
        Queued = Qt.ConnectionType.QueuedConnection
        self._requested.connect(self._run, Queued)
        self._batch_arrived.connect(self._apply, Queued)
        self._shutdown_requested.connect(self._shutdown, Queued)

    # -- thread-safe API ---------------------------------------------------------------------

    def load(self) -> None:
        """Send every image of the library, then start watching and catch up with the folders."""
        self._requested.emit("load", ())

    def classify(self, tag: str, paths: Iterable[Path]) -> None:
        """Split dropped paths into files and folders (a stat each)."""
        self._requested.emit("classify", (tag, tuple(Path(p) for p in paths)))

    def collect(self, tag: str, paths: Iterable[Path], recursive: bool) -> None:
        """Expand folders into their image files (core.images.collect_images)."""
        self._requested.emit("collect", (tag, tuple(Path(p) for p in paths), recursive))

    def add_folder(self, path: Path, recursive: bool = True) -> None:
        self._requested.emit("add", (Path(path), recursive))

    def remove_folder(self, path: Path) -> None:
        self._requested.emit("remove", (Path(path),))

    def set_folder_recursive(self, path: Path, recursive: bool) -> None:
        self._requested.emit("recursive", (Path(path), recursive))

    def set_folder_paused(self, path: Path, paused: bool) -> None:
        self._requested.emit("pause", (Path(path), paused))

    def shutdown(self) -> None:
        """Stop the watcher and any scan, then end the thread."""
        self._cancel.cancel()
        self._shutdown_requested.emit()

    # -- library thread ----------------------------------------------------------------------

    @Slot(str, object)
    def _run(self, op: str, args: tuple[Any, ...]) -> None:
        if self._cancel.cancelled:
            return
        try:
            getattr(self, f"_{op}")(*args)
        except Exception as exc:  # one bad request must not stop the thread
            log.exception("library request %s failed", op)
            if op in ("add", "remove", "recursive", "pause"):
                self.folder_failed.emit(args[0], ErrorInfo.from_exception(exc))
                self.folders_changed.emit(tuple(self.library.folders()))

    def _load(self) -> None:
        records = self.library.images(include_missing=False)
        for i in range(0, len(records), LOAD_CHUNK):
            self.records_loaded.emit(tuple(records[i : i + LOAD_CHUNK]))
        self.library_loaded.emit(len(records))
        folders = self.library.folders()
        self.folders_changed.emit(tuple(folders))
        for f in folders:
            if not f.paused:
                self._start_watching(f.path, f.recursive)
        if self.library.queue_length():
            self.work_queued.emit()  # queued before the last exit, or recovered after a crash

    def _classify(self, tag: str, paths: tuple[Path, ...]) -> None:
        files: list[Path] = []
        folders: list[Path] = []
        for p in paths:
            p = norm_path(p)
            (folders if p.is_dir() else files).append(p)
        self.paths_classified.emit(tag, tuple(files), tuple(folders))

    def _collect(self, tag: str, roots: tuple[Path, ...], recursive: bool) -> None:
        try:
            files = tuple(norm_path(p) for p in collect_images(roots, recursive=recursive))
        except OSError as exc:
            log.warning("could not list %s: %s", ", ".join(map(str, roots)), exc)
            self.files_collected.emit(
                CollectedFiles(tag, roots, (), ErrorInfo("folder-unreadable", f"{exc}"))
            )
            return
        self.files_collected.emit(CollectedFiles(tag, roots, files))

    def _add(self, path: Path, recursive: bool) -> None:
        folder = self.library.add_folder(path, recursive=recursive)
        self.folders_changed.emit(tuple(self.library.folders()))
        if not folder.paused:
            self._start_watching(folder.path, folder.recursive)

    def _remove(self, path: Path) -> None:
        if self._watcher is not None:
            self._watcher.unwatch(path)
        self.library.remove_folder(path)
        self.folders_changed.emit(tuple(self.library.folders()))

    def _recursive(self, path: Path, recursive: bool) -> None:
        current = self.library.folder(path)
        self.library.add_folder(path, recursive=recursive, poll=bool(current and current.poll))
        self.folders_changed.emit(tuple(self.library.folders()))
        folder = self.library.folder(path)
        if folder is not None and not folder.paused:
            self._start_watching(folder.path, recursive)

    def _pause(self, path: Path, paused: bool) -> None:
        self.library.set_folder_paused(path, paused)
        self.folders_changed.emit(tuple(self.library.folders()))
        folder = self.library.folder(path)
        if folder is None:
            return
        if paused:
            if self._watcher is not None:
                self._watcher.unwatch(folder.path)
        else:
            self._start_watching(folder.path, folder.recursive)

    def _start_watching(self, folder: Path, recursive: bool) -> None:
        """Watch `folder` and catch up with what changed while nobody watched."""
        if self._watch:
            if self._watcher is None:
                # on_batch runs on the watcher's thread: hand the batch to this one.
                self._watcher = FolderWatcher(self._batch_arrived.emit, debounce=self._debounce)
                self._watcher.start()
            try:
                self._watcher.watch(folder, recursive=recursive)
            except Exception as exc:
                self.folder_failed.emit(folder, ErrorInfo.from_exception(exc))
                return
        try:
            report = self.library.scan_folder(
                folder, recursive=recursive, enqueue=PRIORITY_WATCH, cancel=self._cancel
            )
        except Exception as exc:
            log.warning("scanning %s failed: %s", folder, exc)
            self.folder_failed.emit(folder, ErrorInfo.from_exception(exc))
            return
        log.info("scanned %s: %d image(s), %s", folder, report.seen, report.changes)
        self._send_folder(folder)
        if report.changes:
            self.work_queued.emit()

    def _send_folder(self, folder: Path) -> None:
        present = self.library.images(under=folder, include_missing=True)
        here = tuple(r for r in present if not r.missing)
        gone = tuple(r.path for r in present if r.missing)
        for i in range(0, len(here), LOAD_CHUNK):
            self.records_changed.emit(here[i : i + LOAD_CHUNK])
        if gone:
            self.records_gone.emit(gone)

    @Slot(object)
    def _apply(self, batch: WatchBatch) -> None:
        if self._cancel.cancelled:
            return
        counts = apply_batch(self.library, batch, enqueue=PRIORITY_WATCH)
        log.info("watcher batch of %d event(s): %s", len(batch.events), counts)
        touched: list[Path] = []
        moved_from: list[Path] = []
        for e in batch.events:
            touched.append(norm_path(e.path))
            if e.kind == "moved" and e.dest is not None:
                moved_from.append(norm_path(e.path))
                touched.append(norm_path(e.dest))
        by_id = {r.id: r for r in self.library.images(paths=touched)}
        exact = {r.path for r in by_id.values()}
        for p in dict.fromkeys(touched):
            if p not in exact:  # a folder (moved, deleted, created) or a file never seen
                by_id.update((r.id, r) for r in self.library.images(under=p))
        present = tuple(r for r in by_id.values() if not r.missing)
        here = {r.path for r in present}
        gone = {r.path for r in by_id.values() if r.missing} | {
            p for p in moved_from if p not in here
        }
        if present:
            self.records_changed.emit(present)
        if gone:
            self.records_gone.emit(tuple(sorted(gone)))
        self.work_queued.emit()

    @Slot()
    def _shutdown(self) -> None:
        if self._watcher is not None:
            self._watcher.stop()
            self._watcher = None
        QThread.currentThread().quit()
