# SPDX-License-Identifier: GPL-3.0-or-later
"""A focus indicator people can see: a ring at least 2 px thick whose colour contrasts at
least 3:1 with what it covers (WCAG 2.2, 2.4.13 Focus Appearance), in any palette.

The colour is chosen from the palette at paint time, never fixed, so the platform's light,
dark and high-contrast themes all get a ring that stands out from the pixels it replaces.
`FocusStyle` draws it for the current item of every item view and around focused text
editors; custom delegates (the thumbnail grid) call `paint_focus_ring` themselves.
"""

from __future__ import annotations

from collections.abc import Iterable

from PySide6.QtCore import QRect, QRectF
from PySide6.QtGui import QColor, QPainter, QPalette, QPen
from PySide6.QtWidgets import (
    QApplication,
    QLineEdit,
    QPlainTextEdit,
    QProxyStyle,
    QStyle,
    QStyleFactory,
    QStyleOption,
    QStyleOptionFocusRect,
    QTextEdit,
    QWidget,
)

#: Thickness of the ring in device-independent pixels (WCAG's minimum area is a 2 px
#: perimeter).
FOCUS_WIDTH = 2
#: The contrast WCAG 2.2 asks of a focus indicator against its unfocused state.
MIN_CONTRAST = 3.0


def relative_luminance(color: QColor) -> float:
    """WCAG 2.x relative luminance of an sRGB colour (0 black .. 1 white)."""

    def channel(c: float) -> float:
        return c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4

    return (
        0.2126 * channel(color.redF())
        + 0.7152 * channel(color.greenF())
        + 0.0722 * channel(color.blueF())
    )


def contrast_ratio(a: QColor, b: QColor) -> float:
    """WCAG contrast ratio of two colours, 1 (same) .. 21 (black on white)."""
    la, lb = relative_luminance(a), relative_luminance(b)
    hi, lo = max(la, lb), min(la, lb)
    return (hi + 0.05) / (lo + 0.05)


def focus_color(palette: QPalette, backgrounds: Iterable[QColor],
                group: QPalette.ColorGroup = QPalette.ColorGroup.Active) -> QColor:
    """The ring colour for `palette` over `backgrounds` (the pixels the ring covers when the
    widget is not focused). The theme's accent comes first where it contrasts enough, then
    its text colours, then black or white, whichever contrasts best."""
    over = [QColor(c) for c in backgrounds]
    candidates = [
        palette.color(group, QPalette.ColorRole.Highlight),
        palette.color(group, QPalette.ColorRole.Text),
        palette.color(group, QPalette.ColorRole.WindowText),
        palette.color(group, QPalette.ColorRole.HighlightedText),
        QColor(0, 0, 0),
        QColor(255, 255, 255),
        QColor(118, 118, 118),  # 4.5:1 against both black and white, for mixed grounds
    ]
    if not over:
        return candidates[1]

    def worst(c: QColor) -> float:
        return min(contrast_ratio(c, b) for b in over)

    for c in candidates:
        if worst(c) >= MIN_CONTRAST:
            return c
    return max(candidates, key=worst)


def item_backgrounds(palette: QPalette, selected: bool) -> list[QColor]:
    """What an item view's row shows under the ring when the view is not focused: the
    selection colour (active and inactive, as themes differ) or the view's base."""
    roles = (
        [QPalette.ColorRole.Highlight]
        if selected
        else [QPalette.ColorRole.Base, QPalette.ColorRole.AlternateBase]
    )
    return [
        palette.color(group, role)
        for role in roles
        for group in (QPalette.ColorGroup.Active, QPalette.ColorGroup.Inactive)
    ]


def editor_backgrounds(palette: QPalette) -> list[QColor]:
    """What a text field's edge shows when it is not focused: its base and its frame line
    (styles draw the frame from the window colour, darker)."""
    window = palette.color(QPalette.ColorRole.Window)
    return [palette.color(QPalette.ColorRole.Base), window, window.darker(140)]


def paint_focus_ring(painter: QPainter, rect: QRect, color: QColor, width: int = FOCUS_WIDTH) -> None:
    """Draw a `width` px ring just inside `rect`."""
    painter.save()
    painter.setRenderHint(QPainter.RenderHint.Antialiasing, False)
    pen = QPen(color)
    pen.setWidth(width)
    pen.setJoinStyle(pen.joinStyle().MiterJoin)
    painter.setPen(pen)
    painter.setBrush(QColor(0, 0, 0, 0))
    half = width / 2
    painter.drawRect(QRectF(rect).adjusted(half, half, -half, -half))
    painter.restore()


def _is_text_editor(widget: QWidget | None) -> bool:
    return isinstance(widget, (QPlainTextEdit, QTextEdit)) or (
        isinstance(widget, QLineEdit) and widget.hasFrame()
    )


class FocusStyle(QProxyStyle):
    """The platform style, plus a visible focus ring on item views' current item and on text
    editors. Everything else is the base style's own drawing."""

    def drawPrimitive(
        self,
        element: QStyle.PrimitiveElement,
        option: QStyleOption,
        painter: QPainter,
        widget: QWidget | None = None,
    ) -> None:
        PE = QStyle.PrimitiveElement
        has_focus = bool(option.state & QStyle.StateFlag.State_HasFocus)
        if (
            element == PE.PE_FrameFocusRect
            and isinstance(option, QStyleOptionFocusRect)
            and option.state & QStyle.StateFlag.State_Item
        ):
            # The current item of a focused item view (list, table, grid).
            selected = bool(option.state & QStyle.StateFlag.State_Selected)
            color = focus_color(option.palette, item_backgrounds(option.palette, selected))
            paint_focus_ring(painter, option.rect, color)
            return
        super().drawPrimitive(element, option, painter, widget)
        if (
            element in (PE.PE_Frame, PE.PE_PanelLineEdit)
            and has_focus
            and _is_text_editor(widget)
            and widget is not None
        ):
            color = focus_color(option.palette, editor_backgrounds(option.palette))
            paint_focus_ring(painter, widget.rect(), color)

    def pixelMetric(
        self,
        metric: QStyle.PixelMetric,
        option: QStyleOption | None = None,
        widget: QWidget | None = None,
    ) -> int:
        value = super().pixelMetric(metric, option, widget)
        # Text editors' frames make room for the whole ring, so their viewport (which paints
        # over the frame's inside) does not hide half of it.
        if metric == QStyle.PixelMetric.PM_DefaultFrameWidth and isinstance(
            widget, (QPlainTextEdit, QTextEdit, QLineEdit)
        ):
            return max(value, FOCUS_WIDTH)
        return value


def install_focus_style(app: QApplication) -> None:
    """Wrap the application's style in FocusStyle once (idempotent)."""
    if isinstance(app.style(), FocusStyle):
        return
    base = QStyleFactory.create(app.style().name()) or QStyleFactory.create("Fusion")
    app.setStyle(FocusStyle(base))
