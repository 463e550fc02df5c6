# SPDX-License-Identifier: GPL-3.0-or-later
"""The list of images: a thumbnail grid or a compact list, each row with its status in words
and as an icon (never colour alone). Rows can be dragged out to other programs as files."""

from __future__ import annotations

from altlens.desktop.models.images import Role
from PySide6.QtCore import QModelIndex, QPersistentModelIndex, QRect, QSize, Qt, Signal
from PySide6.QtGui import QKeyEvent, QPainter
from PySide6.QtWidgets import (
    QAbstractItemView,
    QListView,
    QStyledItemDelegate,
    QStyleOptionViewItem,
    QWidget,
)

THUMB = 128


class ImageDelegate(QStyledItemDelegate):
    """Adds the status words under the name and the status icon over the thumbnail's corner.
    Everything is drawn by the style with the palette, so high-contrast themes apply."""

    def initStyleOption(
        self, option: QStyleOptionViewItem, index: QModelIndex | QPersistentModelIndex
    ) -> None:
        super().initStyleOption(option, index)
        status = index.data(Role.STATUS_TEXT)
        if status:
            option.text = (
                f"{option.text}\u2028{status}"  # LINE SEPARATOR: a line break in item text
            )
        view = self.parent()
        if isinstance(view, QListView):
            # Reserve the thumbnail's room before it is decoded, so rows do not jump.
            option.decorationSize = view.iconSize()
            option.features |= QStyleOptionViewItem.ViewItemFeature.HasDecoration

    def sizeHint(
        self, option: QStyleOptionViewItem, index: QModelIndex | QPersistentModelIndex
    ) -> QSize:
        view = self.parent()
        if (
            isinstance(view, QListView)
            and view.viewMode() == QListView.ViewMode.IconMode
            and view.gridSize().isValid()
        ):
            return view.gridSize() - QSize(8, 8)
        return super().sizeHint(option, index)

    def paint(
        self,
        painter: QPainter,
        option: QStyleOptionViewItem,
        index: QModelIndex | QPersistentModelIndex,
    ) -> None:
        super().paint(painter, option, index)
        icon = index.data(Role.STATUS_ICON)
        if icon is None:
            return
        side = max(16, option.fontMetrics.height())
        rect = QRect(option.rect.left() + 4, option.rect.top() + 4, side, side)
        icon.paint(painter, rect)


class ImageListView(QListView):
    opened = Signal(QModelIndex)  # Enter or double click: open for review

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("image_list")
        self.setItemDelegate(ImageDelegate(self))
        self.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
        self.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.setDragEnabled(True)
        self.setDragDropMode(QAbstractItemView.DragDropMode.DragOnly)
        self.setDefaultDropAction(Qt.DropAction.CopyAction)
        self.setUniformItemSizes(True)
        self.setWordWrap(True)
        self.setTextElideMode(Qt.TextElideMode.ElideMiddle)
        self.activated.connect(self.opened)
        self.set_grid(True)

    def set_grid(self, grid: bool) -> None:
        fm = self.fontMetrics()
        if grid:
            self.setViewMode(QListView.ViewMode.IconMode)
            self.setIconSize(QSize(THUMB, THUMB))
            self.setGridSize(QSize(THUMB + 40, THUMB + fm.lineSpacing() * 3 + 12))
            self.setResizeMode(QListView.ResizeMode.Adjust)
            self.setMovement(QListView.Movement.Static)
            self.setFlow(QListView.Flow.LeftToRight)
            self.setWrapping(True)
        else:
            self.setViewMode(QListView.ViewMode.ListMode)
            self.setIconSize(QSize(fm.lineSpacing() * 2, fm.lineSpacing() * 2))
            self.setGridSize(QSize())
            self.setFlow(QListView.Flow.TopToBottom)
            self.setWrapping(False)
        self.setDragEnabled(True)
        self.setDragDropMode(QAbstractItemView.DragDropMode.DragOnly)

    def keyPressEvent(self, event: QKeyEvent) -> None:
        # Enter opens the image even when the platform style would not emit `activated`.
        enter = event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter) and not event.modifiers()
        if enter and self.currentIndex().isValid():
            self.opened.emit(self.currentIndex())
            event.accept()
            return
        super().keyPressEvent(event)
