# SPDX-License-Identifier: GPL-3.0-or-later
"""Folder watching: watchdog observers turned into debounced batches of complete files.

`FolderWatcher` knows nothing about the library or Qt: it calls `on_batch(WatchBatch)` from
its own thread ("altlens-watch") with the changes that are ready, in the order they happened.
The headless service (core/service.py) applies batches to the library; the GUI turns the
callback into a signal.

A created or modified file is held back until it is complete: no event for `debounce` seconds,
the same size and modification time as at its last event, and, for JPEG and PNG, a container
that parses to its end marker (a copy that stalled for a while is not mistaken for a finished
one; after `max_hold` seconds it is delivered anyway, so a truly truncated file gets its error).
Renames, moves and deletions are delivered on the next tick. Hidden files and folders,
temporary names and non-image extensions are ignored.
"""

from __future__ import annotations

import contextlib
import logging
import os
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path

from altlens.core.fingerprint import looks_complete
from altlens.core.images import is_captionable_name

log = logging.getLogger(__name__)

DEFAULT_DEBOUNCE = 1.0
DEFAULT_POLL_INTERVAL = 2.0
DEFAULT_MAX_HOLD = 120.0


@dataclass(frozen=True)
class WatchEvent:
    kind: str  # "changed" (created or modified, complete), "moved", "deleted" (a file or a folder)
    path: Path
    dest: Path | None = None  # for "moved"


@dataclass(frozen=True)
class WatchBatch:
    """Changes ready to apply, in order. Folder moves and deletions come as one event for the
    folder (`path` is the folder), not one per file."""

    events: tuple[WatchEvent, ...]

    @property
    def changed(self) -> list[Path]:
        return [e.path for e in self.events if e.kind == "changed"]

    @property
    def moved(self) -> list[tuple[Path, Path]]:
        return [(e.path, e.dest) for e in self.events if e.kind == "moved" and e.dest is not None]

    @property
    def deleted(self) -> list[Path]:
        return [e.path for e in self.events if e.kind == "deleted"]

    def __len__(self) -> int:
        return len(self.events)


@dataclass
class _Pending:
    first_event: float
    last_event: float
    stat: tuple[int, int] | None


@dataclass
class WatchStats:
    raw_events: int = 0  # watchdog events seen (before filtering)
    batches: int = 0
    delivered: int = 0  # events delivered in batches


def _hidden_below(root: str, path: str) -> bool:
    rel = os.path.relpath(path, root)
    return any(part.startswith(".") for part in rel.split(os.sep) if part not in ("", os.curdir))


def _stat(path: str) -> tuple[int, int] | None:
    try:
        st = os.stat(path)
    except OSError:
        return None
    return (st.st_size, st.st_mtime_ns)


class FolderWatcher:
    """Watch folders; deliver complete changes as batches to `on_batch` (called from the
    watcher's own thread; it must not block for long, and exceptions are logged)."""

    def __init__(
        self,
        on_batch: Callable[[WatchBatch], None],
        *,
        debounce: float = DEFAULT_DEBOUNCE,
        poll: bool = False,
        poll_interval: float = DEFAULT_POLL_INTERVAL,
        max_hold: float = DEFAULT_MAX_HOLD,
        max_batch: int = 1000,
    ) -> None:
        self.on_batch = on_batch
        self.debounce = debounce
        self.poll = poll
        self.poll_interval = poll_interval
        self.max_hold = max_hold
        self.max_batch = max_batch
        self.stats = WatchStats()
        self._lock = threading.Lock()
        self._wake = threading.Condition(self._lock)
        self._pending: dict[str, _Pending] = {}
        self._ops: list[WatchEvent] = []  # moves and deletions, in order
        self._watches: dict[str, tuple[object, bool]] = {}  # root -> (ObservedWatch, recursive)
        self._observer: object | None = None
        self._thread: threading.Thread | None = None
        self._stopping = False
        self._delivering = False

    # -- lifecycle ---------------------------------------------------------------------------

    def _make_observer(self) -> object:
        if self.poll:
            from watchdog.observers.polling import PollingObserver

            return PollingObserver(timeout=self.poll_interval)
        from watchdog.observers import Observer

        return Observer()

    def start(self) -> None:
        if self._thread is not None:
            return
        self._stopping = False
        self._observer = self._make_observer()
        for root, (_, recursive) in list(self._watches.items()):
            self._schedule(root, recursive)
        self._observer.start()  # type: ignore[attr-defined]
        self._thread = threading.Thread(target=self._run, name="altlens-watch", daemon=True)
        self._thread.start()

    def stop(self, timeout: float = 10.0) -> None:
        """Stop observing and the delivery thread. Changes not yet delivered are dropped: the
        start-up scan of the next run finds them."""
        obs, self._observer = self._observer, None
        if obs is not None:
            obs.stop()  # type: ignore[attr-defined]
            obs.join(timeout)  # type: ignore[attr-defined]
        with self._lock:
            self._stopping = True
            self._wake.notify_all()
        if self._thread is not None:
            self._thread.join(timeout)
            self._thread = None

    @property
    def running(self) -> bool:
        return self._thread is not None

    def watch(self, folder: str | os.PathLike[str], *, recursive: bool = True) -> Path:
        """Start watching a folder (works before or after start())."""
        root = os.path.realpath(os.fspath(folder))
        if not os.path.isdir(root):
            from altlens.core.errors import UsageError

            raise UsageError("This is not a folder (or it does not exist).", path=root)
        if root in self._watches:
            self.unwatch(root)
        self._watches[root] = (None, recursive)
        if self._observer is not None:
            self._schedule(root, recursive)
        return Path(root)

    def unwatch(self, folder: str | os.PathLike[str]) -> None:
        root = os.path.realpath(os.fspath(folder))
        entry = self._watches.pop(root, None)
        if entry is not None and entry[0] is not None and self._observer is not None:
            with contextlib.suppress(KeyError):  # already gone with its folder
                self._observer.unschedule(entry[0])  # type: ignore[attr-defined]

    @property
    def folders(self) -> list[Path]:
        return [Path(r) for r in self._watches]

    def _schedule(self, root: str, recursive: bool) -> None:
        handler = _Handler(self, root, recursive)
        watch = self._observer.schedule(handler, root, recursive=recursive)  # type: ignore[attr-defined]
        self._watches[root] = (watch, recursive)
        log.info(
            "watching %s%s%s",
            root,
            " and its subfolders" if recursive else "",
            " (polling)" if self.poll else "",
        )

    # -- events (watchdog's threads) ---------------------------------------------------------

    def _changed(self, path: str) -> None:
        now = time.monotonic()
        st = _stat(path)
        with self._lock:
            p = self._pending.get(path)
            if p is None:
                self._pending[path] = _Pending(now, now, st)
            else:
                p.last_event, p.stat = now, st

    def _moved(self, src: str, dest: str, *, src_ok: bool, dest_ok: bool, is_dir: bool) -> None:
        with self._lock:
            if is_dir:
                # Pending files inside the folder moved with it.
                sp = src.rstrip(os.sep) + os.sep
                for k in [k for k in self._pending if k.startswith(sp)]:
                    self._pending[dest.rstrip(os.sep) + os.sep + k[len(sp) :]] = self._pending.pop(
                        k
                    )
                self._ops.append(WatchEvent("moved", Path(src), Path(dest)))
                self._wake.notify_all()
                return
            pending = self._pending.pop(src, None)
            if dest_ok and not src_ok:
                pending = None  # "x.jpg.part" -> "x.jpg": a new complete file appears
            elif src_ok and dest_ok:
                self._ops.append(WatchEvent("moved", Path(src), Path(dest)))
            elif src_ok and not dest_ok:
                self._ops.append(WatchEvent("deleted", Path(src)))
            self._wake.notify_all()
        if dest_ok and (pending is not None or not src_ok):
            self._changed(dest)

    def _deleted(self, path: str) -> None:
        with self._lock:
            self._pending.pop(path, None)
            prefix = path.rstrip(os.sep) + os.sep
            for k in [k for k in self._pending if k.startswith(prefix)]:
                del self._pending[k]
            self._ops.append(WatchEvent("deleted", Path(path)))
            self._wake.notify_all()

    def _walk_new_dir(self, root: str, folder: str, recursive: bool) -> None:
        """A folder appeared (created or moved in): its images are new files too. watchdog
        reports some of them itself on some platforms; duplicates merge in the pending set."""
        for dirpath, dirs, files in os.walk(folder):
            dirs[:] = [d for d in dirs if not d.startswith(".")] if recursive else []
            for name in files:
                if is_captionable_name(name):
                    self._changed(os.path.join(dirpath, name))

    # -- delivery (our thread) ---------------------------------------------------------------

    def _run(self) -> None:
        tick = max(0.05, min(0.5, self.debounce / 4))
        while True:
            with self._lock:
                if self._stopping:
                    return
                self._wake.wait(tick)
                if self._stopping:
                    return
            try:
                batch = self._collect()
            except Exception:  # a bug here must not stop watching
                log.exception("watcher: collecting events failed")
                continue
            if batch is None:
                continue
            self.stats.batches += 1
            self.stats.delivered += len(batch)
            try:
                self.on_batch(batch)
            except Exception:
                log.exception("watcher: handling a batch of %d change(s) failed", len(batch))
            finally:
                with self._lock:
                    self._delivering = False

    def _collect(self) -> WatchBatch | None:
        now = time.monotonic()
        with self._lock:
            due = [(k, p) for k, p in self._pending.items() if now - p.last_event >= self.debounce]
        ready: list[str] = []
        for path, p in due:
            st = _stat(path)
            if st is None:
                with self._lock:  # gone before it settled; a delete/move event tells the rest
                    if self._pending.get(path) is p:
                        del self._pending[path]
                continue
            held = now - p.first_event
            if st != p.stat:
                with self._lock:  # written without an event (some file systems): wait again
                    p.stat, p.last_event = st, now
                continue
            if held < self.max_hold and not looks_complete(path):
                with self._lock:
                    p.last_event = now  # look again after another debounce
                continue
            ready.append(path)
        with self._lock:
            ops, self._ops = self._ops, []
            events = list(ops)
            for path in ready[: self.max_batch]:
                p = self._pending.get(path)
                if p is not None and now - p.last_event >= self.debounce:
                    del self._pending[path]
                    events.append(WatchEvent("changed", Path(path)))
            if not events:
                return None
            self._delivering = True
        return WatchBatch(tuple(events))

    def idle(self) -> bool:
        """Nothing waiting to settle or be delivered (for tests and status displays)."""
        with self._lock:
            return not self._pending and not self._ops and not self._delivering

    def pending_count(self) -> int:
        with self._lock:
            return len(self._pending)


class _Handler:
    """watchdog event handler for one watched root (duck-typed: watchdog calls dispatch)."""

    def __init__(self, watcher: FolderWatcher, root: str, recursive: bool) -> None:
        self.w = watcher
        self.root = root
        self.recursive = recursive

    def _relevant(self, path: str) -> bool:
        return is_captionable_name(path) and not _hidden_below(self.root, path)

    def dispatch(self, event: object) -> None:
        try:
            self._dispatch(event)
        except Exception:  # never let one odd event kill watchdog's thread
            log.exception("watcher: cannot handle %r", event)

    def _dispatch(self, event: object) -> None:
        self.w.stats.raw_events += 1
        etype: str = getattr(event, "event_type", "")
        src = os.fsdecode(getattr(event, "src_path", ""))
        dest = os.fsdecode(getattr(event, "dest_path", "") or "")
        is_dir = bool(getattr(event, "is_directory", False))
        if is_dir:
            if etype == "created" and src and self.recursive and not _hidden_below(self.root, src):
                self.w._walk_new_dir(self.root, src, self.recursive)
            elif etype == "moved":
                if dest and _hidden_below(self.root, dest):
                    self.w._deleted(src)
                elif src and _hidden_below(self.root, src):
                    if self.recursive:
                        self.w._walk_new_dir(self.root, dest, self.recursive)
                else:
                    self.w._moved(src, dest, src_ok=True, dest_ok=True, is_dir=True)
                    if self.recursive:
                        self.w._walk_new_dir(self.root, dest, self.recursive)
            elif etype == "deleted" and src:
                self.w._deleted(src)
            return
        if etype in ("created", "modified", "closed", "attrib"):  # attrib: chmod made it readable
            if self._relevant(src):
                self.w._changed(src)
        elif etype == "moved":
            src_ok, dest_ok = self._relevant(src), bool(dest) and self._relevant(dest)
            if src_ok or dest_ok:
                self.w._moved(src, dest, src_ok=src_ok, dest_ok=dest_ok, is_dir=False)
        elif etype == "deleted" and self._relevant(src):
            self.w._deleted(src)


def batch_paths(batch: WatchBatch) -> Iterable[Path]:
    """Every path a batch touches (for logging and the GUI's refresh)."""
    for e in batch.events:
        yield e.path
        if e.dest is not None:
            yield e.dest
