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

from altlens.core.images import load_image
from altlens.desktop.workers.base import Worker
from PySide6.QtCore import QObject, Qt, Signal, Slot

log = logging.getLogger(__name__)

THUMBNAIL_SIZE = 160  # decoded once at this size; the grid shows 128 px icons
PREVIEW_SIZE = 1024
# Requests waiting at most; older ones are dropped (and reported as `skipped`) when more
# arrive: scrolling through a large library must not queue a decode for every row passed.
MAX_PENDING = 256


@dataclass(frozen=True)
class DecodedImage:
    """An upright RGB image scaled to fit `size` x `size`; `data` is packed RGB888 rows."""

    path: Path
    size: int
    width: int
    height: int
    data: bytes


@dataclass(frozen=True)
class LoadImage:
    """Decode `path` to fit a `size` square. Result: DecodedImage."""

    path: Path
    size: int


class ImageWorker(Worker):
    """Answers LoadImage with the base's done(request, DecodedImage) / failed(request, error).

    Unlike the other workers it does not run requests in order: the newest is served first
    (the image a person just opened, the thumbnails just scrolled into view) and a request
    made again while waiting is merged with the earlier one."""

    skipped = Signal(object)  # LoadImage dropped before its turn; ask again if still wanted
    _work_available = Signal()

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._pending: OrderedDict[LoadImage, None] = OrderedDict()
        self._scheduled = False
        self._work_available.connect(self._next, Qt.ConnectionType.QueuedConnection)
        self.handle(LoadImage, self._load)

    def request(self, path: Path, size: int) -> None:
        self.submit(LoadImage(Path(path), int(size)))

    # -- image thread --------------------------------------------------------------------------

    def run_now(self, request: object) -> None:
        # Arriving requests wait in `_pending` (newest last, duplicates merged); `_next`
        # answers them one per event-loop turn, so a new request can overtake the backlog.
        assert isinstance(request, LoadImage)
        self._pending.pop(request, None)
        self._pending[request] = None
        if len(self._pending) > MAX_PENDING:
            # Oldest thumbnails first; a preview (the image a person opened) is never dropped.
            stale = [r for r in self._pending if r.size < PREVIEW_SIZE]
            for old in stale[: len(self._pending) - MAX_PENDING]:
                del self._pending[old]
                self.skipped.emit(old)
        if not self._scheduled:
            self._scheduled = True
            self._work_available.emit()

    @Slot()
    def _next(self) -> None:
        self._scheduled = False
        if not self._pending:
            return
        request, _ = self._pending.popitem(last=True)
        super().run_now(request)
        if self._pending:
            self._scheduled = True
            self._work_available.emit()

    def _load(self, request: LoadImage) -> DecodedImage:
        return decode(request.path, request.size)

    def closing(self) -> None:
        self._pending.clear()


def decode(path: Path, size: int) -> DecodedImage:
    """Decode `path` upright and scale it to fit a `size` square."""
    image = load_image(path, target_size=(size, size))
    image.thumbnail((size, size))
    if image.mode != "RGB":
        image = image.convert("RGB")
    return DecodedImage(path, size, image.width, image.height, image.tobytes())
