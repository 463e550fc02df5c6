# SPDX-License-Identifier: GPL-3.0-or-later
"""The model-manager thread: lists, downloads, imports, verifies and removes models with
core.captioning.ModelStore, one operation at a time, so the window never waits on the disk or
the network. A download or import in progress stops when cancel() is called (from any thread).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from PySide6.QtCore import QObject, Qt, QThread, Signal, Slot

from core.errors import CancelledError
from core.jobs import CancelToken
from core.types import ErrorInfo

log = logging.getLogger(__name__)

# Operation names, echoed in `busy` and `failed`.
LIST, DOWNLOAD, IMPORT, VERIFY, REMOVE = "list", "download", "import", "verify", "remove"


def _throttled(emit: Callable[[Any], None], interval: float = 0.1) -> Callable[[Any], None]:
    """At most one progress signal per `interval` seconds (a download reports every chunk),
    but always the last one of a phase."""
    last = [0.0]

    def report(value: Any) -> None:
        now = time.monotonic()
        final = getattr(value, "phase", None) == "done" or getattr(value, "file", "") is None
        if final or now - last[0] >= interval:
            last[0] = now
            emit(value)

    return report


def _default_store() -> Any:
    from core.captioning.store import ModelStore

    return ModelStore()


class ModelWorker(QObject):
    """Signals (queued to the GUI thread), with core.captioning frozen values:

    models_listed(tuple[ModelRecord])
    busy(str op, str name)                 an operation started
    download_progress(DownloadProgress)    file_progress(FileProgress)  (import and verify)
    downloaded(ModelRecord)  imported(ModelRecord)  verified(VerifyReport)  removed(ModelRecord)
    cancelled(str op, str name)
    failed(str op, str name, ErrorInfo)
    """

    models_listed = Signal(object)
    busy = Signal(str, str)
    download_progress = Signal(object)
    file_progress = Signal(object)
    downloaded = Signal(object)
    imported = Signal(object)
    verified = Signal(object)
    removed = Signal(object)
    cancelled = Signal(str, str)
    failed = Signal(str, str, object)

    _requested = Signal(str, object)
    _shutdown_requested = Signal()

    def __init__(
        self, factory: Callable[[], Any] = _default_store, parent: QObject | None = None
    ) -> None:
        super().__init__(parent)
        self._factory = factory
        self._store: Any = None
        self._cancel = CancelToken()
        Queued = Qt.ConnectionType.QueuedConnection
        self._requested.connect(self._run, Queued)
        self._shutdown_requested.connect(self._shutdown, Queued)

    # -- thread-safe API ---------------------------------------------------------------------

    def refresh(self) -> None:
        self._requested.emit(LIST, ())

    def download(self, name: str) -> None:
        """Download a known model or a Hugging Face id (the only network access AltLens makes,
        and only when a person asks for it)."""
        self._requested.emit(DOWNLOAD, (name,))

    def import_folder(self, folder: Path, name: str | None = None) -> None:
        self._requested.emit(IMPORT, (Path(folder), name))

    def verify(self, name: str) -> None:
        self._requested.emit(VERIFY, (name,))

    def remove(self, name: str) -> None:
        self._requested.emit(REMOVE, (name,))

    def cancel(self) -> None:
        """Stop the download, import or verify in progress (the files stay consistent: a
        download resumes later, an import leaves nothing behind)."""
        self._cancel.cancel()

    def shutdown(self) -> None:
        self._cancel.cancel()
        self._shutdown_requested.emit()

    # -- worker thread -----------------------------------------------------------------------

    def _the_store(self) -> Any:
        if self._store is None:
            self._store = self._factory()
        return self._store

    @Slot(str, object)
    def _run(self, op: str, args: tuple[Any, ...]) -> None:
        name = str(args[0]) if args else ""
        self._cancel.reset()
        if op != LIST:
            self.busy.emit(op, name)
        try:
            store = self._the_store()
            if op == LIST:
                self.models_listed.emit(tuple(store.list()))
                return
            if op == DOWNLOAD:
                record = store.download(
                    name, progress=_throttled(self.download_progress.emit), cancel=self._cancel
                )
                log.info("downloaded model %s to %s", record.name, record.path)
                self.downloaded.emit(record)
            elif op == IMPORT:
                folder, as_name = args
                record = store.import_folder(
                    folder,
                    name=as_name,
                    progress=_throttled(self.file_progress.emit),
                    cancel=self._cancel,
                )
                log.info("imported model %s from %s", record.name, folder)
                self.imported.emit(record)
            elif op == VERIFY:
                self.verified.emit(
                    store.verify(
                        name, progress=_throttled(self.file_progress.emit), cancel=self._cancel
                    )
                )
            elif op == REMOVE:
                self.removed.emit(store.remove(name))
        except CancelledError:
            log.info("%s of %s cancelled", op, name)
            self.cancelled.emit(op, name)
        except Exception as exc:  # every failure is reported with its message; the thread goes on
            if not hasattr(exc, "code"):
                log.exception("model %s of %s failed", op, name)
            self.failed.emit(op, name, ErrorInfo.from_exception(exc))
        if op != LIST:
            self.models_listed.emit(tuple(self._safe_list()))

    def _safe_list(self) -> list[Any]:
        try:
            return list(self._the_store().list())
        except Exception as exc:
            log.warning("listing models failed: %s", exc)
            return []

    @Slot()
    def _shutdown(self) -> None:
        self._store = None
        QThread.currentThread().quit()
