# SPDX-License-Identifier: GPL-3.0-or-later
"""The window at its smallest supported size (800x600): with the watched-folders panel open,
the loading banner showing and a long status message, every action for the open image is
on screen without scrolling, nothing scrolls sideways, and the filter's text is whole."""

from __future__ import annotations

import pytest
from PySide6.QtCore import QPoint, QRect
from PySide6.QtWidgets import QAbstractScrollArea, QComboBox, QStyle, QStyleOptionComboBox, QWidget

from tests.desktop.conftest import wait_statuses

LONG_MESSAGE = (
    "Could not undo the last write to IMG_2041.jpg: the file changed on disk after AltLens "
    "wrote it (another program edited it), so putting back the old values would lose that "
    "program's changes. Nothing was changed; open the file's folder to check it, or write "
    "again to replace what is there now."
)


def on_screen(widget: QWidget) -> bool:
    """`widget` is shown and no ancestor clips any part of it (no scrolling needed)."""
    if not widget.isVisible():
        return False
    window = widget.window()
    top_left = widget.mapTo(window, QPoint(0, 0))
    rect = QRect(top_left, widget.size())
    w: QWidget | None = widget.parentWidget()
    while w is not None:
        visible = QRect(w.mapTo(window, QPoint(0, 0)), w.size())
        if not visible.contains(rect):
            return False
        if w is window:
            break
        w = w.parentWidget()
    return True


def scrolled_areas(root: QWidget) -> list[str]:
    """Scroll areas of the review side that would need scrolling sideways, and the review
    panel's own scrollbars."""
    out = []
    for area in root.findChildren(QAbstractScrollArea):
        if not area.isVisible():
            continue
        if area.horizontalScrollBar().isVisible():
            out.append(f"{area.objectName() or type(area).__name__} scrolls sideways")
    return out


def combo_text_fits(combo: QComboBox) -> bool:
    opt = QStyleOptionComboBox()
    combo.initStyleOption(opt)
    field = combo.style().subControlRect(
        QStyle.ComplexControl.CC_ComboBox, opt, QStyle.SubControl.SC_ComboBoxEditField, combo
    )
    return combo.fontMetrics().horizontalAdvance(combo.currentText()) <= field.width()


@pytest.fixture
def small_window(qtbot, make_app, sample_images):
    images = sample_images(3)
    app = make_app(images)
    wait_statuses(qtbot, app, images, {"suggested"})
    w = app.window
    w.resize(800, 600)
    app.controller.open(images[0], focus=True)
    qtbot.waitUntil(lambda: w.width() == 800 and w.height() == 600)
    return app


STATES = {
    "plain": lambda app: None,
    "folders panel": lambda app: app.window.folders_dock.show(),
    "loading banner": lambda app: app.window.show_model_loading("toy-captioner"),
    "long message": lambda app: app.window.announcer.announce(LONG_MESSAGE, assertive=True),
    "everything": lambda app: (
        app.window.folders_dock.show(),
        app.window.show_model_loading("toy-captioner"),
        app.window.announcer.announce(LONG_MESSAGE, assertive=True),
    ),
}


@pytest.mark.parametrize("state", list(STATES))
def test_every_action_is_visible_at_800x600(qtbot, small_window, state: str) -> None:
    app = small_window
    w = app.window
    STATES[state](app)
    qtbot.wait(50)  # layouts settle on the next pass of the event loop
    assert w.minimumSizeHint().width() <= 800 and w.minimumSizeHint().height() <= 600
    assert (w.width(), w.height()) == (800, 600), "the window grew to fit its contents"
    hidden = [n for n, b in w.review.buttons.items() if not on_screen(b)]
    assert hidden == [], f"{state}: not on screen: {hidden}"
    # The field with the focus is scrolled into view whole once the layout has settled.
    assert w.review.text_edit.hasFocus()
    qtbot.waitUntil(lambda: on_screen(w.review.text_edit), timeout=2000)
    assert scrolled_areas(w) == []
    assert combo_text_fits(w.filter), f"{state}: {w.filter.currentText()!r} is cut"
    # The status line stays one line, whatever the message.
    line = w.status_label
    assert line.height() <= line.fontMetrics().lineSpacing() * 2


def test_long_messages_are_elided_kept_and_spoken_in_full(qtbot, small_window) -> None:
    from altlens.desktop.views.a11y import Announcer

    w = small_window.window
    with qtbot.waitSignal(w.announcer.announced) as sig:
        w.announcer.announce(LONG_MESSAGE, assertive=True)
    assert sig.args == [LONG_MESSAGE, True]
    label = w.status_label
    assert label.accessibleName() == LONG_MESSAGE  # what a screen reader reads
    shown = label.displayed_text()
    assert shown != LONG_MESSAGE and shown.endswith("…")
    assert label.fontMetrics().horizontalAdvance(shown) <= label.contentsRect().width()
    assert LONG_MESSAGE in label.toolTip()
    # The full text is in the message history the person can open from the menu.
    assert isinstance(w.announcer, Announcer)
    dialog = w.show_messages()
    qtbot.addWidget(dialog)
    assert LONG_MESSAGE in dialog.view.toPlainText()
    dialog.close()
