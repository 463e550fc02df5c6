# SPDX-License-Identifier: GPL-3.0-or-later
"""The model-manager thread: lists, downloads, imports, verifies and removes models with
core.captioning.ModelStore, one operation at a time, so the window never waits on the disk or
the network. A download or import in progress stops when cancel() is called (from any thread).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from altlens.core.errors import CancelledError
from altlens.core.jobs import CancelToken
from altlens.desktop.workers.base import Worker
from PySide6.QtCore import QObject, Signal

log = logging.getLogger(__name__)


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
    from altlens.core.captioning.store import ModelStore

    return ModelStore()


# -- requests (answered with done(request, result) or failed(request, ErrorInfo); a cancelled
# one fails with the code "cancelled") ------------------------------------------------------


@dataclass(frozen=True)
class ListModels:
    """Result: tuple[ModelRecord]."""


@dataclass(frozen=True)
class Download:
    """Download a known model or a Hugging Face id (the only network access AltLens makes,
    and only when a person asks for it). Result: ModelRecord."""

    name: str


@dataclass(frozen=True)
class ImportFolder:
    """Result: ModelRecord."""

    folder: Path
    name: str | None = None


@dataclass(frozen=True)
class Verify:
    """Result: VerifyReport."""

    name: str


@dataclass(frozen=True)
class Remove:
    """Result: ModelRecord (as it was)."""

    name: str


ModelRequest = Download | ImportFolder | Verify | Remove


class ModelWorker(Worker):
    """Besides the base's done/failed, with core.captioning frozen values:

    started(request)                       a download, import, check or removal began
    download_progress(DownloadProgress)    file_progress(FileProgress)  (import and verify)
    models_listed(tuple[ModelRecord])      the models, after any change
    """

    started = Signal(object)
    download_progress = Signal(object)
    file_progress = Signal(object)
    models_listed = Signal(object)

    def __init__(
        self, factory: Callable[[], Any] = _default_store, parent: QObject | None = None
    ) -> None:
        super().__init__(parent)
        self._factory = factory
        self._store: Any = None
        self._cancel = CancelToken()
        self.handle(ListModels, self._list)
        for request_type in (Download, ImportFolder, Verify, Remove):
            self.handle(request_type, self._change)

    # -- thread-safe conveniences --------------------------------------------------------------

    def refresh(self) -> None:
        self.submit(ListModels())

    def download(self, name: str) -> None:
        self.submit(Download(name))

    def import_folder(self, folder: Path, name: str | None = None) -> None:
        self.submit(ImportFolder(Path(folder), name))

    def verify(self, name: str) -> None:
        self.submit(Verify(name))

    def remove(self, name: str) -> None:
        self.submit(Remove(name))

    def cancel(self) -> None:
        """Stop the download, import or verify in progress (the files stay consistent: a
        download resumes later, an import leaves nothing behind)."""
        self._cancel.cancel()

    def shutdown(self) -> None:
        self._cancel.cancel()
        super().shutdown()

    # -- worker thread -----------------------------------------------------------------------

    def _the_store(self) -> Any:
        if self._store is None:
            self._store = self._factory()
        return self._store

    def _list(self, _request: ListModels) -> tuple[Any, ...]:
        records = tuple(self._the_store().list())
        self.models_listed.emit(records)
        return records

    def _change(self, request: ModelRequest) -> Any:
        self._cancel.reset()
        self.started.emit(request)
        try:
            return self._do(request)
        except CancelledError:
            log.info("%s cancelled", request)
            raise
        finally:
            # The list after any change, also a failed or cancelled one (a partial download).
            self.models_listed.emit(tuple(self._safe_list()))

    def _do(self, request: ModelRequest) -> Any:
        store = self._the_store()
        match request:
            case Download(name=name):
                record = store.download(
                    name, progress=_throttled(self.download_progress.emit), cancel=self._cancel
                )
                log.info("downloaded model %s to %s", record.name, record.path)
                return record
            case ImportFolder(folder=folder, name=as_name):
                record = store.import_folder(
                    folder,
                    name=as_name,
                    progress=_throttled(self.file_progress.emit),
                    cancel=self._cancel,
                )
                log.info("imported model %s from %s", record.name, folder)
                return record
            case Verify(name=name):
                return store.verify(
                    name, progress=_throttled(self.file_progress.emit), cancel=self._cancel
                )
            case Remove(name=name):
                return store.remove(name)

    def _safe_list(self) -> list[Any]:
        try:
            return list(self._the_store().list())
        except Exception as exc:
            log.warning("listing models failed: %s", exc)
            return []

    def closing(self) -> None:
        self._store = None
