# SPDX-License-Identifier: GPL-3.0-or-later
"""The focus indicator meets WCAG 2.2's Focus Appearance: rendered focused and unfocused, the
pixels that change contrast at least 3:1 with what they were, over at least the area of a
2 px perimeter, in a light, a dark and a high-contrast palette."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest
from altlens.desktop.views.focus import (
    MIN_CONTRAST,
    contrast_ratio,
    editor_backgrounds,
    focus_color,
    item_backgrounds,
)
from PySide6.QtCore import QRect
from PySide6.QtGui import QColor, QImage, QPalette
from PySide6.QtWidgets import QApplication, QWidget

from tests.desktop.conftest import wait_statuses

R = QPalette.ColorRole


def _palette(colors: dict[QPalette.ColorRole, str]) -> QPalette:
    p = QPalette(QApplication.style().standardPalette())
    for role, value in colors.items():
        for group in (QPalette.ColorGroup.Active, QPalette.ColorGroup.Inactive):
            p.setColor(group, role, QColor(value))
    return p


def palettes() -> dict[str, QPalette]:
    return {
        "default": QApplication.style().standardPalette(),
        # Like Breeze Dark / Adwaita dark.
        "dark": _palette(
            {
                R.Window: "#2a2e32",
                R.WindowText: "#fcfcfc",
                R.Base: "#1b1e20",
                R.AlternateBase: "#232629",
                R.Text: "#fcfcfc",
                R.Button: "#31363b",
                R.ButtonText: "#fcfcfc",
                R.Highlight: "#3daee9",
                R.HighlightedText: "#fcfcfc",
                R.Mid: "#41474d",
            }
        ),
        # Like Windows' "High Contrast Black" (bright selection, black ground).
        "high-contrast": _palette(
            {
                R.Window: "#000000",
                R.WindowText: "#ffffff",
                R.Base: "#000000",
                R.AlternateBase: "#000000",
                R.Text: "#ffffff",
                R.Button: "#000000",
                R.ButtonText: "#ffffff",
                R.Highlight: "#1aebff",
                R.HighlightedText: "#000000",
                R.Mid: "#ffffff",
            }
        ),
    }


@pytest.fixture
def app_palette(qapp) -> Iterator[None]:
    before = QPalette(qapp.palette())
    yield
    qapp.setPalette(before)


def settle(qtbot) -> None:
    qtbot.wait(30)


def strong_pixels(before: QImage, after: QImage, area: QRect) -> int:
    """How many pixels in `area` changed with at least the contrast WCAG asks of focus."""
    n = 0
    for y in range(area.top(), area.bottom() + 1):
        for x in range(area.left(), area.right() + 1):
            a, b = before.pixelColor(x, y), after.pixelColor(x, y)
            if a != b and contrast_ratio(a, b) >= MIN_CONTRAST:
                n += 1
    return n


def perimeter_area(rect: QRect) -> int:
    """WCAG's minimum indicator area: a 2 px thick perimeter of the unfocused component."""
    return 2 * 2 * (rect.width() + rect.height()) - 16


def focus_difference(
    qtbot, widget: QWidget, elsewhere: QWidget, prepare: Callable[[], None] = lambda: None
) -> tuple[QImage, QImage]:
    """`widget` rendered without and with the focus; `prepare` sets the same state before
    each (the app may update the view between the two)."""
    elsewhere.setFocus()
    qtbot.waitUntil(lambda: elsewhere.hasFocus())
    prepare()
    settle(qtbot)
    unfocused = widget.grab().toImage()
    widget.setFocus()
    qtbot.waitUntil(lambda: widget.hasFocus())
    prepare()
    settle(qtbot)
    focused = widget.grab().toImage()
    return unfocused, focused


def test_focus_colour_contrasts_with_what_it_covers() -> None:
    for name, pal in palettes().items():
        grounds = {
            "row": item_backgrounds(pal, False),
            "selected row": item_backgrounds(pal, True),
            "text field": editor_backgrounds(pal),
        }
        for what, over in grounds.items():
            c = focus_color(pal, over)
            worst = min(contrast_ratio(c, b) for b in over)
            assert worst >= MIN_CONTRAST, (name, what, c.name(), worst)


def test_focus_is_visible_in_every_theme(qtbot, make_app, sample_images, app_palette, qapp) -> None:
    images = sample_images(1)
    app = make_app(images)
    wait_statuses(qtbot, app, images, {"suggested"})
    w = app.window
    w.resize(1000, 700)
    w.activateWindow()
    qtbot.waitActive(w)
    app.controller.open(images[0], focus=True)
    r = w.review
    assert r.candidate_model.rowCount() >= 2
    for name, pal in palettes().items():
        qapp.setPalette(pal)
        settle(qtbot)
        # The suggestion in use (selected) and one that is not.
        for row in (0, 1):
            index = r.candidate_model.index(row, 0)
            before, after = focus_difference(
                qtbot, r.candidates, w.filter, lambda i=index: r.candidates.setCurrentIndex(i)
            )
            item = r.candidates.visualRect(r.candidate_model.index(row, 0))
            item.translate(r.candidates.viewport().pos())
            found = strong_pixels(before, after, item)
            # The row's own text may touch the ring in places (the same dark glyph pixels in
            # both states), hence 95% of the perimeter rather than all of it.
            assert found >= 0.95 * perimeter_area(item), (name, row, found, perimeter_area(item))
        for editor in (r.text_edit, r.description_edit):
            before, after = focus_difference(qtbot, editor, w.filter)
            found = strong_pixels(before, after, editor.rect())
            assert found >= perimeter_area(editor.rect()), (name, editor.objectName(), found)
