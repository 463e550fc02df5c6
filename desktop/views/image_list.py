# SPDX-License-Identifier: GPL-3.0-or-later
"""The list of images: a thumbnail grid that fills the width, or a compact list. Every cell
shows the thumbnail (aspect kept), the name (cut at the end, whole in the tooltip and the
accessible name) and the status in words with an icon (never colour alone). Selection covers
the whole cell and keyboard focus is a ring of at least 3:1 contrast. Rows can be dragged out
to other programs as files.

Thumbnails are asked for only for the rows on screen and a screen's worth around them; the
model keeps a bounded cache of them."""

from __future__ import annotations

from altlens.desktop.models.images import Role
from altlens.desktop.views.focus import focus_color
from PySide6.QtCore import (
    QModelIndex,
    QPersistentModelIndex,
    QPoint,
    QRect,
    QSize,
    Qt,
    QTimer,
    Signal,
)
from PySide6.QtGui import QColor, QIcon, QKeyEvent, QPainter, QPalette, QPen, QResizeEvent
from PySide6.QtWidgets import (
    QAbstractItemView,
    QListView,
    QStyle,
    QStyledItemDelegate,
    QStyleOptionViewItem,
    QWidget,
)

THUMB = 128
_Index = QModelIndex | QPersistentModelIndex


def focus_width(option: QStyleOptionViewItem) -> int:
    """Thick enough to see at any font size (WCAG 2.4.13 asks for a 2 px perimeter at least)."""
    return max(2, round(option.fontMetrics.height() / 8))


def _group(option: QStyleOptionViewItem) -> QPalette.ColorGroup:
    if not option.state & QStyle.StateFlag.State_Enabled:
        return QPalette.ColorGroup.Disabled
    if option.state & QStyle.StateFlag.State_Active:
        return QPalette.ColorGroup.Active
    return QPalette.ColorGroup.Inactive


def cell_background(option: QStyleOptionViewItem) -> QColor:
    """What a cell shows behind its content without focus: the selection colour or the base."""
    role = (
        QPalette.ColorRole.Highlight
        if option.state & QStyle.StateFlag.State_Selected
        else QPalette.ColorRole.Base
    )
    return option.palette.color(_group(option), role)


def draw_focus_ring(painter: QPainter, option: QStyleOptionViewItem, rect: QRect) -> None:
    """A solid ring just inside `rect`, in a colour that contrasts 3:1 with the pixels it
    covers when the cell has no focus."""
    width = focus_width(option)
    color = focus_color(option.palette, [cell_background(option)], _group(option))
    painter.save()
    pen = QPen(color, width)
    pen.setJoinStyle(Qt.PenJoinStyle.MiterJoin)
    painter.setPen(pen)
    painter.setBrush(Qt.BrushStyle.NoBrush)
    half = width // 2
    painter.drawRect(rect.adjusted(half, half, -(width - half), -(width - half)))
    painter.restore()


class ImageDelegate(QStyledItemDelegate):
    """Draws a grid cell itself (thumbnail, status icon, name, status words), and leaves a
    compact row to the style. Colours come from the palette only, so dark and high-contrast
    themes apply."""

    PAD = 6  # room around the thumbnail; more than the focus ring, which stays clear of it

    def _view(self) -> QListView | None:
        view = self.parent()
        return view if isinstance(view, QListView) else None

    def _grid(self) -> bool:
        view = self._view()
        return view is not None and view.viewMode() == QListView.ViewMode.IconMode

    def initStyleOption(self, option: QStyleOptionViewItem, index: _Index) -> None:
        super().initStyleOption(option, index)
        status = index.data(Role.STATUS_TEXT)
        if status:
            option.text = (
                f"{option.text}\u2028{status}"  # LINE SEPARATOR: a line break in item text
            )
        view = self._view()
        if view is not None:
            # Reserve the thumbnail's room before it is decoded, so rows do not jump.
            option.decorationSize = view.iconSize()
            option.features |= QStyleOptionViewItem.ViewItemFeature.HasDecoration

    def cell_size(self, option: QStyleOptionViewItem) -> QSize:
        """The smallest grid cell: the thumbnail and two lines of text, with padding."""
        line = option.fontMetrics.lineSpacing()
        return QSize(THUMB + 2 * self.PAD + 8, THUMB + 2 * line + 3 * self.PAD)

    def sizeHint(self, option: QStyleOptionViewItem, index: _Index) -> QSize:
        view = self._view()
        if self._grid() and view is not None and view.gridSize().isValid():
            return view.gridSize()
        return super().sizeHint(option, index)

    def paint(self, painter: QPainter, option: QStyleOptionViewItem, index: _Index) -> None:
        if self._grid():
            self._paint_cell(painter, option, index)
        else:
            self._paint_row(painter, option, index)

    def _paint_row(self, painter: QPainter, option: QStyleOptionViewItem, index: _Index) -> None:
        # The style draws the row without its own (faint, dotted) focus; the ring replaces it.
        opt = QStyleOptionViewItem(option)
        focused = bool(opt.state & QStyle.StateFlag.State_HasFocus)
        opt.state &= ~QStyle.StateFlag.State_HasFocus
        super().paint(painter, opt, index)
        self._paint_status_icon(painter, option, index, option.rect.topLeft() + QPoint(2, 2))
        if focused:
            draw_focus_ring(painter, option, option.rect.adjusted(1, 1, -1, -1))

    def _paint_cell(self, painter: QPainter, option: QStyleOptionViewItem, index: _Index) -> None:
        state = option.state
        selected = bool(state & QStyle.StateFlag.State_Selected)
        group = _group(option)
        cell = option.rect.adjusted(1, 1, -1, -1)
        painter.save()
        painter.setClipRect(option.rect)
        if selected:
            painter.fillRect(cell, cell_background(option))
        elif state & QStyle.StateFlag.State_MouseOver:
            hover = QColor(option.palette.color(group, QPalette.ColorRole.Highlight))
            hover.setAlpha(40)
            painter.fillRect(cell, hover)

        pad = self.PAD
        thumb = QRect(cell.left() + pad, cell.top() + pad, cell.width() - 2 * pad, THUMB)
        icon = index.data(Qt.ItemDataRole.DecorationRole)
        if isinstance(icon, QIcon) and not icon.isNull():
            # QIcon.paint scales down to fit and centres: the aspect ratio is kept. The photo
            # is not tinted when selected: the cell around it shows the selection.
            icon.paint(painter, thumb, Qt.AlignmentFlag.AlignCenter)
        self._paint_status_icon(painter, option, index, thumb.topLeft())

        fm = option.fontMetrics
        painter.setFont(option.font)
        text_role = QPalette.ColorRole.HighlightedText if selected else QPalette.ColorRole.Text
        painter.setPen(option.palette.color(group, text_role))
        width = self.text_width(option.rect)
        line = fm.lineSpacing()
        top = thumb.bottom() + 1 + pad // 2
        center = Qt.AlignmentFlag.AlignHCenter | Qt.AlignmentFlag.AlignVCenter
        for n, text in enumerate(self.cell_lines(option, index, width)):
            painter.drawText(QRect(cell.left() + pad, top + n * line, width, line), center, text)
        painter.restore()
        if state & QStyle.StateFlag.State_HasFocus:
            draw_focus_ring(painter, option, cell)

    def cell_lines(self, option: QStyleOptionViewItem, index: _Index, width: int) -> list[str]:
        """The name and the status words as a grid cell shows them in `width` pixels. The end
        is cut, not the middle: a name reads from its start, as file managers show it; the
        whole name is in the tooltip and the accessible name."""
        fm = option.fontMetrics
        name = str(index.data(Qt.ItemDataRole.DisplayRole) or "")
        status = str(index.data(Role.STATUS_TEXT) or "")
        return [fm.elidedText(t, Qt.TextElideMode.ElideRight, width) for t in (name, status)]

    def text_width(self, rect: QRect) -> int:
        """Room for text in a grid cell drawn in `rect`."""
        return rect.width() - 2 - 2 * self.PAD

    def _paint_status_icon(
        self, painter: QPainter, option: QStyleOptionViewItem, index: _Index, at: QPoint
    ) -> None:
        icon = index.data(Role.STATUS_ICON)
        if isinstance(icon, QIcon) and not icon.isNull():
            side = max(16, option.fontMetrics.height())
            icon.paint(painter, QRect(at.x() + 2, at.y() + 2, side, side))


class ImageListView(QListView):
    opened = Signal(QModelIndex)  # Enter or double click: open for review

    # Rows beyond the visible ones whose thumbnails are asked for ahead, in screens.
    PREFETCH_SCREENS = 1

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
        # Laid out a few thousand rows per event-loop turn: while a large library arrives
        # the window keeps answering keys, and the first rows show at once.
        self.setLayoutMode(QListView.LayoutMode.Batched)
        self.setBatchSize(5000)
        self.setWordWrap(True)
        self.setTextElideMode(Qt.TextElideMode.ElideRight)
        self.setMouseTracking(True)  # hover feedback on grid cells
        self.activated.connect(self.opened)
        # Asks for the thumbnails around the visible rows once scrolling pauses.
        self._prefetch = QTimer(self)
        self._prefetch.setSingleShot(True)
        self._prefetch.setInterval(120)
        self._prefetch.timeout.connect(self.prefetch_thumbnails)
        self.verticalScrollBar().valueChanged.connect(lambda _v: self._prefetch.start())
        self.set_grid(True)

    def delegate(self) -> ImageDelegate:
        d = self.itemDelegate()
        assert isinstance(d, ImageDelegate)
        return d

    def set_grid(self, grid: bool) -> None:
        fm = self.fontMetrics()
        if grid:
            self.setViewMode(QListView.ViewMode.IconMode)
            self.setIconSize(QSize(THUMB, THUMB))
            self.setResizeMode(QListView.ResizeMode.Adjust)
            self.setMovement(QListView.Movement.Static)
            self.setFlow(QListView.Flow.LeftToRight)
            self.setWrapping(True)
            self.setSpacing(0)
            # By pixels, not by rows of cells: the wheel and the scroll bar move smoothly.
            self.setVerticalScrollMode(QAbstractItemView.ScrollMode.ScrollPerPixel)
            # Always there, so the number of columns does not flip as rows come and go.
            self.setVerticalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOn)
            self.fit_grid()
        else:
            self.setViewMode(QListView.ViewMode.ListMode)
            self.setIconSize(QSize(fm.lineSpacing() * 2, fm.lineSpacing() * 2))
            self.setGridSize(QSize())
            self.setFlow(QListView.Flow.TopToBottom)
            self.setWrapping(False)
            self.setVerticalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAsNeeded)
            self.setVerticalScrollMode(QAbstractItemView.ScrollMode.ScrollPerItem)
        self.setDragEnabled(True)
        self.setDragDropMode(QAbstractItemView.DragDropMode.DragOnly)

    def columns(self) -> int:
        """How many cells fit side by side in the grid (1 in the compact list)."""
        if self.viewMode() != QListView.ViewMode.IconMode or not self.gridSize().isValid():
            return 1
        return max(1, self.viewport().width() // self.gridSize().width())

    def fit_grid(self) -> None:
        """As many columns as fit, widened to share the whole width: no gap at the right."""
        if self.viewMode() != QListView.ViewMode.IconMode:
            return
        option = QStyleOptionViewItem()
        option.initFrom(self)
        smallest = self.delegate().cell_size(option)
        # One pixel kept free: the layout starts a new row when a cell touches the edge.
        width = max(1, self.viewport().width() - 1)
        columns = max(1, width // smallest.width())
        size = QSize(max(smallest.width(), width // columns), smallest.height())
        if size != self.gridSize():
            self.setGridSize(size)

    def resizeEvent(self, event: QResizeEvent) -> None:
        super().resizeEvent(event)
        self.fit_grid()
        self._prefetch.start()

    def visible_rows(self) -> range:
        """The rows with a cell on screen (an empty range when there are none)."""
        model = self.model()
        if model is None or model.rowCount() == 0:
            return range(0)
        vp = self.viewport().rect()
        grid = self.gridSize() if self.gridSize().isValid() else QSize(8, 8)
        first = self.indexAt(vp.topLeft() + QPoint(1, 1))
        # The last cell on screen: scanning from the bottom right, by half cells, past the
        # spare pixels at the right and a last row that is only partly filled.
        last = QModelIndex()
        for y in range(vp.bottom() - 1, vp.top() - 1, -max(1, grid.height() // 2)):
            for x in range(vp.right() - 1, vp.left() - 1, -max(1, grid.width() // 2)):
                last = self.indexAt(QPoint(x, y))
                if last.isValid():
                    break
            if last.isValid():
                break
        if not last.isValid():
            last = model.index(model.rowCount() - 1, 0)
        start = first.row() if first.isValid() else 0
        return range(start, max(start, last.row()) + 1)

    def prefetch_thumbnails(self) -> None:
        """Ask for the thumbnails of the rows a screen above and below the visible ones, so
        they are ready when scrolled to; nothing further away is asked for."""
        model = self.model()
        rows = self.visible_rows()
        if model is None or not rows:
            return
        ahead = len(rows) * self.PREFETCH_SCREENS
        for row in range(max(0, rows.start - ahead), min(model.rowCount(), rows.stop + ahead)):
            model.index(row, 0).data(Qt.ItemDataRole.DecorationRole)

    def keyPressEvent(self, event: QKeyEvent) -> None:
        # Enter opens the image even when the platform style would not emit `activated`.
        enter = event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter) and not event.modifiers()
        if enter and self.currentIndex().isValid():
            self.opened.emit(self.currentIndex())
            event.accept()
            return
        super().keyPressEvent(event)
