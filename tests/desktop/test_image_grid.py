# SPDX-License-Identifier: GPL-3.0-or-later
"""The thumbnail grid as a person sees it: columns that use the width, thumbnails that keep
their shape, names cut at the end but whole for tooltips and screen readers, selection and a
focus ring on the whole cell that stands out 3:1 in the default, dark and high-contrast
palettes, and thumbnails decoded only around what is on screen, in a bounded cache."""

from __future__ import annotations

from pathlib import Path

import pytest
from altlens.desktop.models.entries import ImageEntry, Status
from altlens.desktop.models.images import ImageListModel
from altlens.desktop.views.focus import contrast_ratio, focus_color
from altlens.desktop.views.image_list import ImageListView, focus_width
from PySide6.QtCore import QPoint, QRect, Qt
from PySide6.QtGui import QColor, QImage, QPalette
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication, QLineEdit, QStyleOptionViewItem, QVBoxLayout, QWidget

LONG = "holiday_2024_beach_sunset_over_the_harbour_with_boats_0001.jpg"


def photo(name: str, status: Status = Status.QUEUED) -> ImageEntry:
    return ImageEntry(Path("/photos") / name, status)


def solid(width: int, height: int, color: QColor) -> QImage:
    image = QImage(width, height, QImage.Format.Format_RGB888)
    image.fill(color)
    return image


def make_grid(qtbot, n: int, width: int = 700, height: int = 500, names=None):
    """A grid in a window with a second control, so focus can leave the grid. The window is
    returned too: the caller holds it, or Python deletes it with the grid."""
    model = ImageListModel()
    model.add([photo(names[i] if names else f"img_{i:05d}.jpg") for i in range(n)])
    host = QWidget()
    layout = QVBoxLayout(host)
    other = QLineEdit()
    other.setAccessibleName("other")
    view = ImageListView()
    view.setModel(model)
    layout.addWidget(other)
    layout.addWidget(view)
    qtbot.addWidget(host)
    host.resize(width, height)
    host.show()
    qtbot.waitExposed(host)
    host.activateWindow()
    return model, view, other, host


def cell_rect(view: ImageListView, row: int) -> QRect:
    return view.visualRect(view.model().index(row, 0))


def pixel(view: ImageListView, point: QPoint) -> QColor:
    return view.viewport().grab().toImage().pixelColor(point)


# -- layout --------------------------------------------------------------------------------------


def test_columns_fill_the_width_and_reflow_on_resize(qtbot) -> None:
    model, view, _, _host = make_grid(qtbot, 60, width=420)
    for width in (420, 700, 1100):
        view.window().resize(width, 500)
        qtbot.waitUntil(lambda w=width: view.window().width() == w)
        QApplication.processEvents()
        cols = view.columns()
        first_row = [r for r in range(model.rowCount()) if cell_rect(view, r).top() == 0]
        assert len(first_row) == cols > 0
        # No gap wider than a pixel per column at the right: the cells share the width.
        right = cell_rect(view, first_row[-1]).right()
        assert view.viewport().width() - 1 - right <= cols
        # And no cell is narrower than its thumbnail.
        assert cell_rect(view, 0).width() >= 128
    view.window().resize(420, 500)
    qtbot.waitUntil(lambda: view.window().width() == 420)
    QApplication.processEvents()
    narrow_cols = view.columns()
    view.window().resize(1100, 500)
    qtbot.waitUntil(lambda: view.window().width() == 1100)
    QApplication.processEvents()
    assert view.columns() > narrow_cols


@pytest.mark.parametrize("size", [(160, 90), (90, 160), (160, 160)])
def test_thumbnails_keep_their_aspect_ratio(qtbot, size) -> None:
    model, view, _, _host = make_grid(qtbot, 3)
    marker = QColor(10, 200, 30)
    model.set_thumbnail(Path("/photos/img_00001.jpg"), solid(*size, marker))
    QApplication.processEvents()
    image = view.viewport().grab().toImage()
    rect = cell_rect(view, 1)
    xs, ys = [], []
    for y in range(rect.top(), rect.bottom() + 1):
        for x in range(rect.left(), rect.right() + 1):
            if image.pixelColor(x, y) == marker:
                xs.append(x)
                ys.append(y)
    assert xs, "the thumbnail is not drawn"
    w, h = max(xs) - min(xs) + 1, max(ys) - min(ys) + 1
    assert abs(w / h - size[0] / size[1]) < 0.03
    assert max(w, h) >= 120  # shown at thumbnail size, not as a postage stamp
    # Centred in its cell.
    assert abs((min(xs) + max(xs)) / 2 - rect.center().x()) <= 2


def test_names_are_cut_at_the_end_and_whole_for_tooltip_and_screen_reader(qtbot) -> None:
    _model, view, _, _host = make_grid(qtbot, 2, names=[LONG, "a.jpg"])
    idx = view.model().index(0, 0)
    delegate = view.delegate()
    option = QStyleOptionViewItem()
    option.initFrom(view)
    width = delegate.text_width(view.visualRect(idx))
    name, status = delegate.cell_lines(option, idx, width)
    assert name != LONG and name.endswith("…") and LONG.startswith(name[:-1])
    assert option.fontMetrics.horizontalAdvance(name) <= width
    assert status == "Waiting for the model"
    short_name, _ = delegate.cell_lines(option, view.model().index(1, 0), width)
    assert short_name == "a.jpg"
    assert LONG in idx.data(Qt.ItemDataRole.ToolTipRole)
    spoken = idx.data(Qt.ItemDataRole.AccessibleTextRole)
    assert spoken.startswith(LONG) and "Waiting for the model" in spoken


def test_keyboard_moves_in_two_dimensions(qtbot) -> None:
    model, view, _, _host = make_grid(qtbot, 40)
    view.setFocus()
    view.setCurrentIndex(model.index(0, 0))
    cols = view.columns()
    assert cols >= 3
    QTest.keyClick(view, Qt.Key.Key_Right)
    assert view.currentIndex().row() == 1
    QTest.keyClick(view, Qt.Key.Key_Down)
    assert view.currentIndex().row() == 1 + cols
    QTest.keyClick(view, Qt.Key.Key_Left)
    QTest.keyClick(view, Qt.Key.Key_Up)
    assert view.currentIndex().row() == 0
    QTest.keyClick(view, Qt.Key.Key_End)
    assert view.currentIndex().row() == 39
    QTest.keyClick(view, Qt.Key.Key_Home)
    assert view.currentIndex().row() == 0
    QTest.keyClick(view, Qt.Key.Key_PageDown)  # down by rows, in the same column
    assert view.currentIndex().row() >= cols and view.currentIndex().row() % cols == 0
    QTest.keyClicks(view, "img_00020")  # type-ahead finds a name
    assert view.currentIndex().row() == 20


# -- selection and focus -------------------------------------------------------------------------


def dark_palette() -> QPalette:
    p = QPalette()
    for role, color in (
        (QPalette.ColorRole.Window, "#2a2e32"),
        (QPalette.ColorRole.WindowText, "#fcfcfc"),
        (QPalette.ColorRole.Base, "#1b1e20"),
        (QPalette.ColorRole.AlternateBase, "#232629"),
        (QPalette.ColorRole.Text, "#fcfcfc"),
        (QPalette.ColorRole.Button, "#31363b"),
        (QPalette.ColorRole.ButtonText, "#fcfcfc"),
        (QPalette.ColorRole.Highlight, "#3daee9"),
        (QPalette.ColorRole.HighlightedText, "#fcfcfc"),
    ):
        p.setColor(role, QColor(color))
    return p


def high_contrast_palette() -> QPalette:
    """Windows' High Contrast Black: white on black, cyan selection with black text."""
    p = QPalette()
    for role, color in (
        (QPalette.ColorRole.Window, "#000000"),
        (QPalette.ColorRole.WindowText, "#ffffff"),
        (QPalette.ColorRole.Base, "#000000"),
        (QPalette.ColorRole.AlternateBase, "#000000"),
        (QPalette.ColorRole.Text, "#ffffff"),
        (QPalette.ColorRole.Button, "#000000"),
        (QPalette.ColorRole.ButtonText, "#ffffff"),
        (QPalette.ColorRole.Highlight, "#1aebff"),
        (QPalette.ColorRole.HighlightedText, "#000000"),
    ):
        p.setColor(role, QColor(color))
    return p


PALETTES = {
    "default": lambda: QApplication.palette(),
    "dark": dark_palette,
    "high-contrast": high_contrast_palette,
}


def ring_points(rect: QRect, width: int) -> list[QPoint]:
    """Points in the middle of the ring's stroke on each side of a cell."""
    inner = rect.adjusted(1, 1, -1, -1)  # the cell's 1 px gap to its neighbours
    mid = width // 2
    cx, cy = inner.center().x(), inner.center().y()
    return [
        QPoint(cx, inner.top() + mid),
        QPoint(cx, inner.bottom() - mid),
        QPoint(inner.left() + mid, cy),
        QPoint(inner.right() - mid, cy),
        QPoint(inner.left() + mid, inner.top() + mid),
    ]


@pytest.mark.parametrize("theme", list(PALETTES))
@pytest.mark.parametrize("selected", [False, True])
@pytest.mark.parametrize("grid", [True, False], ids=["grid", "compact list"])
def test_focus_ring_contrasts_three_to_one(qtbot, theme, selected, grid) -> None:
    model, view, other, _host = make_grid(qtbot, 6)
    view.set_grid(grid)
    view.setPalette(PALETTES[theme]())
    idx = model.index(1, 0)
    view.setFocus()
    qtbot.waitUntil(view.hasFocus)
    view.setCurrentIndex(idx)
    if not selected:
        view.clearSelection()
    QApplication.processEvents()
    rect = cell_rect(view, 1)
    option = QStyleOptionViewItem()
    option.initFrom(view)
    points = ring_points(rect, focus_width(option))
    focused = view.viewport().grab().toImage()
    other.setFocus()
    qtbot.waitUntil(lambda: not view.hasFocus())
    QApplication.processEvents()
    unfocused = view.viewport().grab().toImage()
    assert view.selectionModel().isSelected(idx) == selected
    for p in points:
        before, after = unfocused.pixelColor(p), focused.pixelColor(p)
        ratio = contrast_ratio(before, after)
        assert ratio >= 3.0, f"{theme}: {after.name()} over {before.name()} at {p}: {ratio:.2f}"


@pytest.mark.parametrize("theme", list(PALETTES))
def test_selection_covers_the_whole_cell(qtbot, theme) -> None:
    model, view, other, _host = make_grid(qtbot, 6)
    palette = PALETTES[theme]()
    view.setPalette(palette)
    view.setCurrentIndex(model.index(2, 0))
    view.selectionModel().select(model.index(2, 0), view.selectionModel().SelectionFlag.Select)
    other.setFocus()  # no focus ring: the selection alone
    QApplication.processEvents()
    image = view.viewport().grab().toImage()
    sel = cell_rect(view, 2).adjusted(3, 3, -3, -3)
    plain = cell_rect(view, 0).adjusted(3, 3, -3, -3)
    corners = lambda r: [r.topLeft(), r.topRight(), r.bottomLeft(), r.bottomRight()]  # noqa: E731
    group = QPalette.ColorGroup.Active if view.isActiveWindow() else QPalette.ColorGroup.Inactive
    highlight = palette.color(group, QPalette.ColorRole.Highlight)
    base = palette.color(group, QPalette.ColorRole.Base)
    assert all(image.pixelColor(p) == highlight for p in corners(sel))
    assert all(image.pixelColor(p) == base for p in corners(plain))


def test_ring_colour_is_the_palettes_own_when_it_is_enough() -> None:
    white, black = QColor("#ffffff"), QColor("#000000")
    p = QPalette()
    p.setColor(QPalette.ColorRole.Highlight, QColor("#0057ae"))
    p.setColor(QPalette.ColorRole.Text, black)
    assert focus_color(p, [white]) == QColor("#0057ae")
    # A highlight too close to its background: the palette's text colour takes over.
    p.setColor(QPalette.ColorRole.Highlight, QColor("#f0f0f0"))
    assert focus_color(p, [white]) == black
    assert round(contrast_ratio(white, black), 1) == 21.0
    assert contrast_ratio(QColor(48, 140, 198), QColor(49, 144, 203)) < 1.1  # the old "focus"


# -- thumbnails on demand ------------------------------------------------------------------------


def test_only_rows_near_the_screen_are_decoded_and_the_cache_stays_bounded(
    qtbot, monkeypatch
) -> None:
    import altlens.desktop.models.images as images_module

    thumb = solid(160, 120, QColor(90, 90, 200))
    one = thumb.width() * thumb.height() * 4
    bound = 40 * one
    monkeypatch.setattr(images_module, "THUMBNAIL_CACHE_BYTES", bound)
    n = 3000
    model, view, _, _host = make_grid(qtbot, n, width=700, height=500)
    asked: list[Path] = []

    def decode(path: Path) -> None:  # what the image thread would answer
        asked.append(path)

    model.thumbnail_wanted.connect(decode)
    rows_of = {Path(f"/photos/img_{i:05d}.jpg"): i for i in range(n)}

    def serve() -> None:
        while asked:
            model.set_thumbnail(asked.pop(0), thumb)
            assert model.thumbnail_bytes <= bound

    requested: set[int] = set()
    model.thumbnail_wanted.connect(lambda p: requested.add(rows_of[p]))
    for _ in range(3):
        view.prefetch_thumbnails()
        QApplication.processEvents()
        serve()
    visible = view.visible_rows()
    assert visible and visible.start == 0
    screen = len(visible)
    assert requested and max(requested) < visible.stop + screen  # one screen ahead at most
    assert len(requested) <= 2 * screen
    view.setFocus()
    view.setCurrentIndex(model.index(0, 0))
    QTest.keyClick(view, Qt.Key.Key_End)
    qtbot.waitUntil(lambda: view.visible_rows().stop == n)
    requested.clear()
    qtbot.wait(200)  # the prefetch waits for scrolling to pause
    view.prefetch_thumbnails()
    QApplication.processEvents()
    serve()
    visible = view.visible_rows()
    assert requested and min(requested) >= visible.start - screen
    assert model.thumbnail_bytes <= bound
    assert model.thumbnail_count() < n // 20
    # What scrolled away was let go: the first rows are asked for again when shown again.
    assert model.index(0, 0).data(Qt.ItemDataRole.DecorationRole).isNull()


def test_the_image_thread_drops_stale_thumbnails_but_never_a_preview(qtbot) -> None:
    import altlens.desktop.workers.images as images_worker
    from altlens.desktop.workers.images import PREVIEW_SIZE, THUMBNAIL_SIZE, ImageWorker, LoadImage

    worker = ImageWorker()
    skipped: list[LoadImage] = []
    worker.skipped.connect(skipped.append)
    preview = LoadImage(Path("/photos/open.jpg"), PREVIEW_SIZE)
    worker.run_now(preview)
    extra = 10
    for i in range(images_worker.MAX_PENDING + extra):
        worker.run_now(LoadImage(Path(f"/photos/{i}.jpg"), THUMBNAIL_SIZE))
    # One request over the bound per thumbnail beyond it; the preview waits among them.
    assert len(skipped) == extra + 1
    assert preview not in skipped
    assert [r.path for r in skipped] == [Path(f"/photos/{i}.jpg") for i in range(len(skipped))]
    worker.closing()
