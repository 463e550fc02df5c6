# SPDX-License-Identifier: GPL-3.0-or-later
"""The image thread: decodes thumbnails and previews, so the GUI thread never waits on the
disk (folders are walked by the library thread, so a big scan never delays a preview).

Requests are served newest first (the image a person just opened, the thumbnails just
scrolled into view) and duplicates are merged. Decoded pixels cross to the GUI thread as a
frozen `DecodedImage` (bytes), which the GUI wraps in a QImage.
"""

from __future__ import annotations

import logging
from collections import OrderedDict
from dataclasses import dataclass
from pathlib import Path

from PySide6.QtCore import QObject, Qt, QThread, Signal, Slot

from core.images import load_image
from core.types import ErrorInfo

log = logging.getLogger(__name__)

THUMBNAIL_SIZE = 160  # decoded once at this size; the grid shows 128 px icons
PREVIEW_SIZE = 1024


@dataclass(frozen=True)
class DecodedImage:
    """An upright RGB image scaled to fit `size` x `size`; `data` is packed RGB888 rows."""

    path: Path
    size: int
    width: int
    height: int
    data: bytes


class ImageWorker(QObject):
    image_loaded = Signal(object)  # DecodedImage
    image_failed = Signal(object, int, object)  # path, size, ErrorInfo

    _load_requested = Signal(object, int)
    _shutdown_requested = Signal()
    _work_available = Signal()

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._pending: OrderedDict[tuple[Path, int], None] = OrderedDict()
        self._scheduled = False
        Queued = Qt.ConnectionType.QueuedConnection
        self._load_requested.connect(self._add, Queued)
        self._shutdown_requested.connect(self._shutdown, Queued)
        self._work_available.connect(self._next, Queued)

    # -- thread-safe API ---------------------------------------------------------------------

    def request(self, path: Path, size: int) -> None:
        self._load_requested.emit(Path(path), int(size))

    def shutdown(self) -> None:
        self._shutdown_requested.emit()

    # -- worker thread -----------------------------------------------------------------------

    @Slot(object, int)
    def _add(self, path: Path, size: int) -> None:
        key = (path, size)
        self._pending.pop(key, None)
        self._pending[key] = None  # newest last; served first
        if not self._scheduled:
            self._scheduled = True
            self._work_available.emit()

    @Slot()
    def _next(self) -> None:
        self._scheduled = False
        if not self._pending:
            return
        (path, size), _ = self._pending.popitem(last=True)
        try:
            decoded = decode(path, size)
        except (
            Exception
        ) as exc:  # load_image raises typed errors; anything else is a bug, still per file
            self.image_failed.emit(path, size, ErrorInfo.from_exception(exc))
        else:
            self.image_loaded.emit(decoded)
        if self._pending:
            self._scheduled = True
            self._work_available.emit()

    @Slot()
    def _shutdown(self) -> None:
        self._pending.clear()
        QThread.currentThread().quit()


def decode(path: Path, size: int) -> DecodedImage:
    """Decode `path` upright and scale it to fit a `size` square."""
    image = load_image(path, target_size=(size, size))
    image.thumbnail((size, size))
    if image.mode != "RGB":
        image = image.convert("RGB")
    return DecodedImage(path, size, image.width, image.height, image.tobytes())
