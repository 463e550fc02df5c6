# SPDX-License-Identifier: GPL-3.0-or-later
"""The library thread: everything that walks folders or hashes files for the library, so
the GUI thread never waits on the disk. It loads the library at start, expands dropped paths,
keeps the watched folders (their options in the library, their watchdog observers here) and
applies the watcher's batches.

Shutdown stops the watcher first (DESIGN.md section 2: watchers stop before anything else).
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from altlens.core.images import collect_images
from altlens.core.jobs import CancelToken
from altlens.core.library import PRIORITY_WATCH, Library, WatchedFolder, norm_path
from altlens.core.service import apply_batch
from altlens.core.types import ErrorInfo
from altlens.core.watching import FolderWatcher, WatchBatch
from altlens.desktop.workers.base import Worker
from PySide6.QtCore import QObject, Qt, Signal, Slot

log = logging.getLogger(__name__)

LOAD_CHUNK = 500  # the first rows sent, and the rows sent at once after a folder scan
LOAD_PAGE = 500  # the rows sent at once after the first, while the library loads
#: Pages of the first load that may wait in the window's event queue at once (see
#: pace_loading): a key pressed while the list fills is handled after at most this many.
PAGES_IN_FLIGHT = 1


@dataclass(frozen=True)
class CollectedFiles:
    """The images found under dropped or opened paths. `tag` is the caller's, echoed back."""

    tag: str
    roots: tuple[Path, ...]
    files: tuple[Path, ...]
    error: ErrorInfo | None = None


# -- requests (answered with done(request, result) or failed(request, ErrorInfo)) -------------


@dataclass(frozen=True)
class LoadLibrary:
    """Send every image (records_loaded, in chunks), then watch and catch up with the
    folders. Result: how many images the library holds."""


@dataclass(frozen=True)
class Classify:
    """Split dropped paths into files and folders (a stat each). Result: Classified."""

    tag: str
    paths: tuple[Path, ...]


@dataclass(frozen=True)
class Classified:
    files: tuple[Path, ...]
    folders: tuple[Path, ...]


@dataclass(frozen=True)
class Collect:
    """Expand folders into their image files. Result: CollectedFiles (with its error)."""

    tag: str
    roots: tuple[Path, ...]
    recursive: bool


@dataclass(frozen=True)
class AddFolder:
    """Watch a folder. Result (as for every folder request): the watched folders after it."""

    path: Path
    recursive: bool = True


@dataclass(frozen=True)
class RemoveFolder:
    path: Path


@dataclass(frozen=True)
class SetRecursive:
    path: Path
    recursive: bool


@dataclass(frozen=True)
class SetPaused:
    path: Path
    paused: bool


FolderRequest = AddFolder | RemoveFolder | SetRecursive | SetPaused


class LibraryWorker(Worker):
    """Answers requests with the base's done/failed; besides, as things happen:

    records_loaded(tuple[ImageRecord])      rows of the library, at start (in chunks)
    records_changed(tuple[ImageRecord])     rows that a scan or a watcher batch changed
    records_gone(tuple[Path])               images deleted (or moved away) on disk
    folders_changed(tuple[WatchedFolder])   the watched folders, after any change
    folder_failed(Path, ErrorInfo)          a folder could not be watched or scanned
    work_queued()                           the library queue has new work for the captioner
    """

    records_loaded = Signal(object)
    records_gone = Signal(object)
    folders_changed = Signal(object)
    folder_failed = Signal(object, object)
    work_queued = Signal()

    _batch_arrived = Signal(object)

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
        self._page_slots: threading.Semaphore | None = None
        self._batch_arrived.connect(self._apply, Qt.ConnectionType.QueuedConnection)
        self.handle(LoadLibrary, self._load)
        self.handle(Classify, self._classify)
        self.handle(Collect, self._collect)
        for folder_request in (AddFolder, RemoveFolder, SetRecursive, SetPaused):
            self.handle(folder_request, self._folder)

    # -- thread-safe conveniences --------------------------------------------------------------

    def load(self) -> None:
        self.submit(LoadLibrary())

    def classify(self, tag: str, paths: Iterable[Path]) -> None:
        self.submit(Classify(tag, tuple(Path(p) for p in paths)))

    def collect(self, tag: str, paths: Iterable[Path], recursive: bool) -> None:
        self.submit(Collect(tag, tuple(Path(p) for p in paths), recursive))

    def add_folder(self, path: Path, recursive: bool = True) -> None:
        self.submit(AddFolder(Path(path), recursive))

    def remove_folder(self, path: Path) -> None:
        self.submit(RemoveFolder(Path(path)))

    def set_folder_recursive(self, path: Path, recursive: bool) -> None:
        self.submit(SetRecursive(Path(path), recursive))

    def set_folder_paused(self, path: Path, paused: bool) -> None:
        self.submit(SetPaused(Path(path), paused))

    def pace_loading(self, pages: int = PAGES_IN_FLIGHT) -> None:
        """From now on the first load sends a page only while fewer than `pages` sent ones wait
        to be applied; the receiver calls page_applied() after each records_loaded page.

        Unpaced, the load posted every page at once and the window worked through them before
        anything posted later: with 3,000 photos a key pressed as the first rows appeared waited
        about 0.5 s, behind 2,500 rows (and longer with more photos)."""
        self._page_slots = threading.Semaphore(pages)

    def page_applied(self) -> None:
        """A records_loaded page has been applied (any thread)."""
        if self._page_slots is not None:
            self._page_slots.release()

    def shutdown(self) -> None:
        """Stop the watcher and any scan, then end the thread."""
        self._cancel.cancel()
        super().shutdown()

    # -- library thread ----------------------------------------------------------------------

    def run_now(self, request: object) -> None:
        if not self._cancel.cancelled:  # shutting down: what is left is not needed any more
            super().run_now(request)

    def _load(self, _request: LoadLibrary) -> int:
        # Page by page from one query: the window lists the first rows while the rest are
        # still read (reading 100,000 rows first kept the list empty for seconds).
        count = 0
        for page in self.library.image_pages(
            LOAD_PAGE, first=LOAD_CHUNK, include_missing=False
        ):
            if not self._wait_for_page_slot():
                return count  # shutting down
            count += len(page)
            self.records_loaded.emit(tuple(page))
        folders = self.library.folders()
        self.folders_changed.emit(tuple(folders))
        for f in folders:
            if not f.paused:
                self._start_watching(f.path, f.recursive)
        if self.library.queue_length():
            self.work_queued.emit()  # queued before the last exit, or recovered after a crash
        return count

    def _wait_for_page_slot(self) -> bool:
        slots = self._page_slots
        if slots is None:
            return True
        while not slots.acquire(timeout=0.05):
            if self._cancel.cancelled:
                return False
        return True

    def _classify(self, request: Classify) -> Classified:
        files: list[Path] = []
        folders: list[Path] = []
        for p in request.paths:
            p = norm_path(p)
            (folders if p.is_dir() else files).append(p)
        return Classified(tuple(files), tuple(folders))

    def _collect(self, request: Collect) -> CollectedFiles:
        tag, roots = request.tag, request.roots
        try:
            files = tuple(norm_path(p) for p in collect_images(roots, recursive=request.recursive))
        except OSError as exc:
            log.warning("could not list %s: %s", ", ".join(map(str, roots)), exc)
            return CollectedFiles(tag, roots, (), ErrorInfo("folder-unreadable", f"{exc}"))
        return CollectedFiles(tag, roots, files)

    def _folder(self, request: FolderRequest) -> tuple[WatchedFolder, ...]:
        try:
            self._change_folder(request)
        finally:
            # Also after a failure: the panel shows what the library really holds.
            self.folders_changed.emit(tuple(self.library.folders()))
        return tuple(self.library.folders())

    def _change_folder(self, request: FolderRequest) -> None:
        match request:
            case AddFolder(path=path, recursive=recursive):
                folder = self.library.add_folder(path, recursive=recursive)
                if not folder.paused:
                    self._start_watching(folder.path, folder.recursive)
            case RemoveFolder(path=path):
                if self._watcher is not None:
                    self._watcher.unwatch(path)
                self.library.remove_folder(path)
            case SetRecursive(path=path, recursive=recursive):
                current = self.library.folder(path)
                poll = bool(current and current.poll)
                self.library.add_folder(path, recursive=recursive, poll=poll)
                found = self.library.folder(path)
                if found is not None and not found.paused:
                    self._start_watching(found.path, recursive)
            case SetPaused(path=path, paused=paused):
                self.library.set_folder_paused(path, paused)
                found = self.library.folder(path)
                if found is None:
                    return
                if paused:
                    if self._watcher is not None:
                        self._watcher.unwatch(found.path)
                else:
                    self._start_watching(found.path, found.recursive)

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

    def closing(self) -> None:
        if self._watcher is not None:
            self._watcher.stop()
            self._watcher = None
