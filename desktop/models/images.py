# SPDX-License-Identifier: GPL-3.0-or-later
"""Qt item models of the images: the list itself, and the filtered, sorted review order.

Rows are ImageEntry records keyed by path. The model asks for thumbnails it lacks through
`thumbnail_wanted` (the image worker decodes them) and never reads a file itself.
"""

from __future__ import annotations

import contextlib
import itertools
from collections import Counter, OrderedDict
from collections.abc import Iterable, Iterator
from enum import IntEnum
from pathlib import Path
from typing import Any

from altlens.desktop.models.entries import FILTERS, ImageEntry, Status
from altlens.desktop.models.presentation import confidence_text, spoken_summary, status_icon, status_text
from PySide6.QtCore import (
    QAbstractListModel,
    QByteArray,
    QMimeData,
    QModelIndex,
    QObject,
    QPersistentModelIndex,
    QSortFilterProxyModel,
    Qt,
    QUrl,
    Signal,
)
from PySide6.QtGui import QIcon, QImage, QPixmap
from PySide6.QtWidgets import QApplication, QStyle

_Index = QModelIndex | QPersistentModelIndex


# Thumbnails kept decoded, in bytes of pixels: about 800 of 160 px, several screens of the
# grid even on a large monitor. Anything scrolled further away is dropped and decoded again
# when it comes back, so the memory does not grow with the library.
THUMBNAIL_CACHE_BYTES = 64 * 1024 * 1024


class Role(IntEnum):
    ENTRY = Qt.ItemDataRole.UserRole + 1
    PATH = Qt.ItemDataRole.UserRole + 2
    STATUS = Qt.ItemDataRole.UserRole + 3
    SCORE = Qt.ItemDataRole.UserRole + 4
    STATUS_TEXT = Qt.ItemDataRole.UserRole + 5
    STATUS_ICON = Qt.ItemDataRole.UserRole + 6
    ORDER = Qt.ItemDataRole.UserRole + 7


class ImageListModel(QAbstractListModel):
    thumbnail_wanted = Signal(object)  # Path
    counts_changed = Signal()

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._entries: list[ImageEntry] = []
        self._rows: dict[Path, int] = {}
        self._order: dict[Path, int] = {}
        self._seq = itertools.count()
        # Most recently shown thumbnails with their size in bytes, least recent first.
        self._thumbs: OrderedDict[Path, tuple[QIcon, int]] = OrderedDict()
        self._thumb_bytes = 0
        self._by_status: Counter[Status] = Counter()  # kept up to date: counts() is O(1)
        self._wanted: set[Path] = set()
        self._changing = 0

    @property
    def changing(self) -> bool:
        """True while this model is adding, updating or removing entries. A view whose current
        row moves meanwhile (the row left its filter, or was re-sorted) moved because of the
        data, not because the person moved: it must not open another image."""
        return self._changing > 0

    @contextlib.contextmanager
    def _change(self) -> Iterator[None]:
        self._changing += 1
        try:
            yield
        finally:
            self._changing -= 1

    # -- Qt model interface ------------------------------------------------------------------

    def rowCount(self, parent: _Index = QModelIndex()) -> int:  # noqa: B008 - Qt's signature
        return 0 if parent.isValid() else len(self._entries)

    def data(self, index: _Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid() or index.row() >= len(self._entries) or index.column() != 0:
            return None
        entry = self._entries[index.row()]
        if role == Qt.ItemDataRole.DisplayRole:
            return entry.name
        if role == Qt.ItemDataRole.DecorationRole:
            return self._thumbnail(entry.path)
        if role == Qt.ItemDataRole.ToolTipRole:
            lines = [str(entry.path), status_text(entry)]
            if entry.score is not None:
                lines.append(confidence_text(entry.score))
            if entry.error is not None:
                lines.append(entry.error.message)
            elif entry.text:
                lines.append(entry.text)
            return "\n".join(lines)
        if role == Qt.ItemDataRole.AccessibleTextRole:
            return spoken_summary(entry)
        if role == Qt.ItemDataRole.AccessibleDescriptionRole:
            return str(entry.path.parent)
        if role == Role.ENTRY:
            return entry
        if role == Role.PATH:
            return str(entry.path)
        if role == Role.STATUS:
            return entry.status.value
        if role == Role.SCORE:
            return entry.score
        if role == Role.STATUS_TEXT:
            return status_text(entry)
        if role == Role.STATUS_ICON:
            return status_icon(entry)
        if role == Role.ORDER:
            return self._order[entry.path]
        return None

    def flags(self, index: _Index) -> Qt.ItemFlag:
        if not index.isValid():
            return Qt.ItemFlag.NoItemFlags
        return (
            Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable | Qt.ItemFlag.ItemIsDragEnabled
        )

    def roleNames(self) -> dict[int, QByteArray]:
        names = super().roleNames()
        names.update({int(r): QByteArray(r.name.lower().encode()) for r in Role})
        return names

    # Thumbnails can be dragged out to other programs as files.
    def mimeTypes(self) -> list[str]:
        return ["text/uri-list"]

    def mimeData(self, indexes: Iterable[QModelIndex]) -> QMimeData:
        mime = QMimeData()
        paths = sorted({self._entries[i.row()].path for i in indexes if i.isValid()})
        mime.setUrls([QUrl.fromLocalFile(str(p)) for p in paths])
        return mime

    def supportedDragActions(self) -> Qt.DropAction:
        return Qt.DropAction.CopyAction

    # -- entries -----------------------------------------------------------------------------

    def add(self, entries: Iterable[ImageEntry]) -> list[ImageEntry]:
        """Append entries for paths not in the model; returns the ones added."""
        new = []
        seen: set[Path] = set()
        for e in entries:
            if e.path not in self._rows and e.path not in seen:
                seen.add(e.path)
                new.append(e)
        if not new:
            return []
        first = len(self._entries)
        with self._change():
            self.beginInsertRows(QModelIndex(), first, first + len(new) - 1)
            for e in new:
                self._rows[e.path] = len(self._entries)
                self._order[e.path] = next(self._seq)
                self._entries.append(e)
                self._by_status[e.status] += 1
            self.endInsertRows()
        self.counts_changed.emit()
        return new

    def update(self, entry: ImageEntry) -> bool:
        """Replace the entry with the same path; False when the path is not in the model."""
        row = self._rows.get(entry.path)
        if row is None:
            return False
        old = self._entries[row]
        if old == entry:
            return True
        self._entries[row] = entry
        self._by_status[old.status] -= 1
        self._by_status[entry.status] += 1
        idx = self.index(row, 0)
        with self._change():
            self.dataChanged.emit(idx, idx)
        if old.status != entry.status:
            self.counts_changed.emit()
        return True

    def remove(self, paths: Iterable[Path]) -> None:
        rows = sorted({self._rows[p] for p in paths if p in self._rows}, reverse=True)
        for row in rows:
            with self._change():
                self.beginRemoveRows(QModelIndex(), row, row)
                entry = self._entries.pop(row)
                self._by_status[entry.status] -= 1
                self._order.pop(entry.path, None)
                self._drop_thumbnail(entry.path)
                self._wanted.discard(entry.path)
                self.endRemoveRows()
        if rows:
            self._rows = {e.path: i for i, e in enumerate(self._entries)}
            self.counts_changed.emit()

    def entry(self, path: Path) -> ImageEntry | None:
        row = self._rows.get(Path(path))
        return self._entries[row] if row is not None else None

    def entries(self) -> list[ImageEntry]:
        return list(self._entries)

    def entry_at(self, row: int) -> ImageEntry:
        return self._entries[row]

    def order_of(self, entry: ImageEntry) -> int:
        """When the entry arrived, relative to the others (the list's default order)."""
        return self._order[entry.path]

    def index_of(self, path: Path) -> QModelIndex:
        row = self._rows.get(Path(path))
        return self.index(row, 0) if row is not None else QModelIndex()

    def counts(self) -> dict[str, int]:
        """Images per filter group (see entries.FILTERS)."""
        return {
            name: sum(self._by_status[s] for s in statuses) for name, statuses in FILTERS.items()
        }

    # -- thumbnails --------------------------------------------------------------------------

    def _thumbnail(self, path: Path) -> QIcon:
        # A QIcon, not a QPixmap: views scale icons to their iconSize, pixmaps keep their size.
        cached = self._thumbs.get(path)
        if cached is not None:
            self._thumbs.move_to_end(path)
            return cached[0]
        if path not in self._wanted:
            self._wanted.add(path)
            self.thumbnail_wanted.emit(path)
        return QIcon()

    @property
    def thumbnail_bytes(self) -> int:
        """Bytes of pixels held by the thumbnail cache (never above THUMBNAIL_CACHE_BYTES
        once a thumbnail is stored)."""
        return self._thumb_bytes

    def thumbnail_count(self) -> int:
        return len(self._thumbs)

    def set_thumbnail(self, path: Path, image: QImage) -> None:
        row = self._rows.get(path)
        if row is None:
            self._wanted.discard(path)
            return
        pixmap = QPixmap.fromImage(image)
        size = pixmap.width() * pixmap.height() * max(1, pixmap.depth() // 8)
        self._store_thumbnail(path, QIcon(pixmap), size)
        idx = self.index(row, 0)
        self.dataChanged.emit(idx, idx, [Qt.ItemDataRole.DecorationRole])

    def _store_thumbnail(self, path: Path, icon: QIcon, size: int) -> None:
        self._drop_thumbnail(path)
        self._thumbs[path] = (icon, size)
        self._thumb_bytes += size
        while self._thumb_bytes > THUMBNAIL_CACHE_BYTES and len(self._thumbs) > 1:
            old, _ = next(iter(self._thumbs.items()))
            self._drop_thumbnail(old)
            self._wanted.discard(old)  # asked for again when it is shown again

    def _drop_thumbnail(self, path: Path) -> None:
        cached = self._thumbs.pop(path, None)
        if cached is not None:
            self._thumb_bytes -= cached[1]

    def thumbnail_skipped(self, path: Path) -> None:
        """The image thread dropped the request (it scrolled away before its turn): ask
        again when the row is shown again."""
        if path not in self._thumbs:
            self._wanted.discard(path)

    def thumbnail_failed(self, path: Path) -> None:
        """Show a warning sign instead of the picture; not asked for again while the sign is
        in the cache."""
        self._wanted.add(path)
        row = self._rows.get(path)
        if row is None:
            return
        icon = QApplication.style().standardIcon(QStyle.StandardPixmap.SP_MessageBoxWarning)
        self._store_thumbnail(path, icon, 64)  # a shared style icon: a token size
        idx = self.index(row, 0)
        self.dataChanged.emit(idx, idx, [Qt.ItemDataRole.DecorationRole])


class ReviewOrderModel(QSortFilterProxyModel):
    """The images of one filter group, in the order a person reviews them: by the model's
    confidence, lowest first (so time goes where the model is unsure), or in the order the
    images arrived."""

    def __init__(self, source: ImageListModel, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._filter = "all"
        self._by_confidence = False
        self._source = source
        self.setSourceModel(source)
        self.setDynamicSortFilter(True)
        # The source's rows are already in arrival order: no sorting at all until the
        # confidence order is asked for (sorting 100,000 rows by arrival cost seconds).
        self.sort(-1)

    @property
    def filter_name(self) -> str:
        return self._filter

    def set_filter(self, name: str) -> None:
        if name not in FILTERS:
            raise ValueError(f"unknown filter {name!r}")
        if name != self._filter:
            self.beginFilterChange()
            self._filter = name
            self.endFilterChange()

    def set_sort_by_confidence(self, on: bool) -> None:
        if on != self._by_confidence:
            self._by_confidence = on
            self.invalidate()
            self.sort(0 if on else -1)

    @property
    def sort_by_confidence(self) -> bool:
        return self._by_confidence

    def _accepts(self, entry: ImageEntry) -> bool:
        return entry.status in FILTERS[self._filter]

    def _confidence_key(self, entry: ImageEntry) -> tuple[bool, float, int]:
        # Images without a score (waiting, errors) go after the scored ones.
        score = entry.score
        return (score is None, score if score is not None else 0.0, self._source.order_of(entry))

    # Both are called once per row or per comparison: they read the source's entries
    # directly rather than through data(), which costs several times more per call.
    def filterAcceptsRow(self, source_row: int, source_parent: _Index) -> bool:
        if source_parent.isValid() or not 0 <= source_row < self._source.rowCount():
            return False
        return self._filter == "all" or self._accepts(self._source.entry_at(source_row))

    def lessThan(self, left: _Index, right: _Index) -> bool:
        le, re = self._source.entry_at(left.row()), self._source.entry_at(right.row())
        if self._by_confidence:
            return self._confidence_key(le) < self._confidence_key(re)
        return self._source.order_of(le) < self._source.order_of(re)

    def paths(self) -> list[Path]:
        """Paths in the current (filtered, sorted) order: the proxy's own rule applied to the
        entries in Python, as asking the proxy row by row takes most of a second at 100,000."""
        entries = [e for e in self._source.entries() if self._accepts(e)]
        if self._by_confidence:
            entries.sort(key=self._confidence_key)
        return [e.path for e in entries]


def statuses_for(name: str) -> frozenset[Status]:
    return FILTERS[name]
