# SPDX-License-Identifier: GPL-3.0-or-later
"""Colour contrast as WCAG 2.2 defines it, and a focus-ring colour taken from the palette that
stands out at least 3:1 against what the same pixels show without focus (success criterion
1.4.11 and 2.4.13, focus appearance). No colour is fixed: a theme's or a high-contrast
palette's own colours are preferred, black or white only when none of them is enough."""

from __future__ import annotations

from PySide6.QtGui import QColor, QPalette

FOCUS_CONTRAST = 3.0


def _channel(c: float) -> float:
    c /= 255.0
    return c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4


def relative_luminance(color: QColor) -> float:
    """WCAG relative luminance of an sRGB colour (0 black .. 1 white)."""
    return (
        0.2126 * _channel(color.red())
        + 0.7152 * _channel(color.green())
        + 0.0722 * _channel(color.blue())
    )


def contrast_ratio(a: QColor, b: QColor) -> float:
    """WCAG contrast ratio of two colours, 1.0 (the same) .. 21.0 (black on white)."""
    la, lb = relative_luminance(a), relative_luminance(b)
    hi, lo = max(la, lb), min(la, lb)
    return (hi + 0.05) / (lo + 0.05)


def focus_ring_color(
    palette: QPalette,
    background: QColor,
    group: QPalette.ColorGroup = QPalette.ColorGroup.Active,
) -> QColor:
    """The colour to draw a focus ring over `background` (the pixels it covers when the item
    is not focused): the first of the palette's own accent and text colours that reaches 3:1,
    else black or white, whichever contrasts more (one of them always reaches 4.5:1)."""
    roles = (
        QPalette.ColorRole.Highlight,
        QPalette.ColorRole.Text,
        QPalette.ColorRole.HighlightedText,
        QPalette.ColorRole.WindowText,
    )
    for role in roles:
        color = palette.color(group, role)
        if contrast_ratio(color, background) >= FOCUS_CONTRAST:
            return color
    black, white = QColor(0, 0, 0), QColor(255, 255, 255)
    if contrast_ratio(black, background) >= contrast_ratio(white, background):
        return black
    return white
