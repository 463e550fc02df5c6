# SPDX-License-Identifier: GPL-3.0-or-later
"""What a screen reader gets: every interactive control of every window and dialog has an
accessible name, every command is in a menu with its keys, keys do not clash, and the tab
order follows the work."""

from __future__ import annotations

from pathlib import Path

import pytest
from altlens.core.metadata import FieldChange, SkippedField, WritePlan
from altlens.core.types import ErrorInfo
from altlens.desktop.models.images import Role
from PySide6.QtCore import Qt
from PySide6.QtGui import QAccessible, QKeySequence
from PySide6.QtTest import QTest
from PySide6.QtWidgets import (
    QAbstractButton,
    QAbstractItemView,
    QAbstractSlider,
    QAbstractSpinBox,
    QApplication,
    QComboBox,
    QLineEdit,
    QMenu,
    QPlainTextEdit,
    QScrollBar,
    QTabBar,
    QTextEdit,
    QWidget,
)

from tests.desktop.conftest import wait_statuses

INTERACTIVE = (
    QAbstractButton,
    QComboBox,
    QLineEdit,
    QTextEdit,
    QPlainTextEdit,
    QAbstractSpinBox,
    QAbstractSlider,
    QAbstractItemView,
    QTabBar,
)


def accessible_name(w: QWidget) -> str:
    iface = QAccessible.queryAccessibleInterface(w)
    return (
        iface.text(QAccessible.Text.Name).strip() if iface is not None and iface.isValid() else ""
    )


def unnamed_controls(root: QWidget) -> list[str]:
    """Interactive widgets under `root` (shown or not: hidden ones appear later) whose
    accessible interface has no name."""
    missing = []
    for w in [root, *root.findChildren(QWidget)]:
        if not isinstance(w, INTERACTIVE):
            continue
        # Scroll bars inside scroll areas take no focus; screen readers use their role.
        # Qt's own parts (the toolbar's "»" button, a dock's close button) are checked too.
        # A spin box's text part is drawn inside it and read as the (named) spin box.
        if isinstance(w, QScrollBar) or w.objectName() == "qt_spinbox_lineedit":
            continue
        if not accessible_name(w):
            parent = w.parent()
            where = f"{type(parent).__name__} {parent.objectName()!r}"
            missing.append(f"{type(w).__name__} {w.objectName()!r} (in {where})")
    return missing


def write_plan(path: Path) -> WritePlan:
    """A real plan, as the writer's preview gives it: one change, one field left alone."""
    change = FieldChange(
        field="XMP-iptcCore:AltTextAccessibility",
        old=None,
        new="Two red circles",
        target=path,
        role="alt_text",
    )
    skipped = SkippedField(
        role="description",
        field="IFD0:ImageDescription",
        reason="a person wrote it",
        current="My holiday",
    )
    return WritePlan(
        path=path,
        targets=(path,),
        changes=(change,),
        skipped=(skipped,),
        warnings=("A warning",),
    )


@pytest.fixture
def reviewed_app(qtbot, make_app, sample_images):
    images = sample_images(2)
    app = make_app(images)
    wait_statuses(qtbot, app, images, {"suggested"})
    app.controller.open(images[0], focus=True)
    # Show the banners and the error box too, so their controls are walked while visible.
    app.controller.model.on_failed(ErrorInfo("model-not-found", "No model here."))
    app.window.review.error_box.show()
    app.window.log_dock.show()
    app.window.folders_dock.show()
    return app


def test_every_control_of_the_main_window_has_a_name(reviewed_app) -> None:
    assert unnamed_controls(reviewed_app.window) == []


def test_every_dialog_control_has_a_name(qtbot, reviewed_app, tmp_path: Path) -> None:
    from altlens.desktop.views.dialogs import (
        AboutDialog,
        CrashDialog,
        FolderDropDialog,
        ShortcutsDialog,
        WritePreviewDialog,
    )
    from altlens.desktop.views.settings_dialog import SettingsDialog

    w = reviewed_app.window
    dialogs = [
        SettingsDialog(reviewed_app.settings, models=["some/model"], parent=w),
        WritePreviewDialog(write_plan(tmp_path / "a.jpg"), overwrite=False, always=False, parent=w),
        WritePreviewDialog(
            write_plan(tmp_path / "a.jpg"), overwrite=True, always=True, confirm=False, parent=w
        ),
        FolderDropDialog([tmp_path], can_watch=True, parent=w),
        ShortcutsDialog(w.commands, w),
        AboutDialog(w),
        CrashDialog("ValueError: boom", tmp_path / "crash.log", w),
    ]
    for d in dialogs:
        qtbot.addWidget(d)
        d.show()
        assert d.windowTitle(), type(d).__name__
        assert unnamed_controls(d) == [], type(d).__name__
        d.close()


def test_every_command_is_in_a_menu_with_unique_keys(reviewed_app) -> None:
    w = reviewed_app.window
    in_menus = set()
    for menu in w.menuBar().findChildren(QMenu):
        for action in menu.actions():
            if not action.isSeparator():
                assert action.text().replace("&", "").strip(), (
                    f"unnamed menu entry in {menu.title()}"
                )
                in_menus.add(action)
    actions = w.commands.all
    assert set(actions.values()) <= in_menus, sorted(
        n for n, a in actions.items() if a not in in_menus
    )
    # Every review command the issue names has a shortcut.
    for name in (
        "approve",
        "skip",
        "reject",
        "regenerate",
        "undo_write",
        "next",
        "previous",
        "next_review",
        "approve_selected",
        "pick_1",
        "pick_5",
        "preview_write",
        "pause",
        "cancel",
    ):
        assert actions[name].shortcuts(), name
    seen: dict[str, str] = {}
    for name, action in actions.items():
        for seq in action.shortcuts():
            key = seq.toString(QKeySequence.SequenceFormat.PortableText)
            assert key not in seen, f"{key} is used by both {seen.get(key)} and {name}"
            seen[key] = name


def test_tab_order_follows_the_review(reviewed_app) -> None:
    r = reviewed_app.window.review
    expected = [r.candidates, r.text_edit, r.description_edit, r.decorative, *r.buttons.values()]
    chain = []
    w = r.candidates
    for _ in range(60):
        if w in expected and w not in chain:
            chain.append(w)
        w = w.nextInFocusChain()
    assert chain == expected


def test_opening_an_image_puts_the_cursor_in_the_alt_text(qtbot, reviewed_app) -> None:
    w = reviewed_app.window
    r = w.review
    w.activateWindow()
    qtbot.waitActive(w)
    w.list.setFocus()
    w.list.setCurrentIndex(w.order.index(1, 0))  # arrowing through the list moves no focus
    assert w.list.hasFocus() and reviewed_app.controller.current == Path(
        w.order.index(1, 0).data(Role.PATH)
    )
    QTest.keyClick(w.list, Qt.Key.Key_Return)  # Enter opens it for review
    qtbot.waitUntil(lambda: r.text_edit.hasFocus())
    assert accessible_name(r.text_edit) == "Alt text"
    assert "characters" in r.text_edit.accessibleDescription()


def test_status_is_never_colour_alone(reviewed_app) -> None:
    from altlens.desktop.models.images import Role

    order = reviewed_app.order
    for row in range(order.rowCount()):
        idx = order.index(row, 0)
        assert idx.data(Role.STATUS_TEXT)
        assert not idx.data(Role.STATUS_ICON).isNull()
        assert idx.data(Role.STATUS_TEXT) in idx.data(Qt.ItemDataRole.AccessibleTextRole)
    badge = reviewed_app.window.review.badge
    assert "Machine suggestion" in badge.text()


def test_announcements_reach_the_live_region(qtbot, reviewed_app) -> None:
    ann = reviewed_app.window.announcer
    with qtbot.waitSignal(ann.announced) as sig:
        reviewed_app.controller.pick_candidate(1)
    message, assertive = sig.args
    assert message.startswith("Using suggestion 1") and not assertive
    label = reviewed_app.window.status_label
    assert label.text() == message and accessible_name(label) == message


def mnemonics(root: QWidget) -> dict[str, list[str]]:
    """Alt+letter keys of labels (with buddies), buttons and the menu bar under `root`."""
    import re

    from PySide6.QtWidgets import QLabel, QMenuBar

    found: dict[str, list[str]] = {}

    def add(text: str, what: str) -> None:
        m = re.search(r"&([^&\s])", text.replace("&&", ""))
        if m:
            found.setdefault(m.group(1).lower(), []).append(what)

    for w in root.findChildren(QWidget):
        if w.window() is not root:
            continue  # a dialog parented to this window has its own keys
        if isinstance(w, QLabel) and w.buddy() is not None:
            add(w.text(), f"label {w.text()!r}")
        elif isinstance(w, QAbstractButton) and not w.objectName().startswith("qt_"):
            if getattr(w, "defaultAction", lambda: None)() is None:
                add(w.text(), f"button {w.text()!r}")
        elif isinstance(w, QMenuBar):
            for a in w.actions():
                add(a.text(), f"menu {a.text()!r}")
    return found


def test_alt_keys_do_not_clash(qtbot, reviewed_app, tmp_path: Path) -> None:
    from altlens.desktop.views.dialogs import FolderDropDialog, WritePreviewDialog
    from altlens.desktop.views.settings_dialog import SettingsDialog

    w = reviewed_app.window
    roots = [
        w,
        SettingsDialog(reviewed_app.settings, parent=w),
        WritePreviewDialog(write_plan(tmp_path / "a.jpg"), overwrite=False, always=False, parent=w),
        FolderDropDialog([tmp_path], can_watch=True, parent=w),
    ]
    for root in roots:
        clashes = {k: v for k, v in mnemonics(root).items() if len(v) > 1}
        assert not clashes, f"{type(root).__name__}: {clashes}"


def test_system_fonts_and_colours_are_respected(reviewed_app, tmp_path: Path) -> None:
    """No style sheet, no fixed pixel font size, no explicit colours: the platform's theme,
    font size and high-contrast palette reach every widget."""
    from altlens.desktop.views.settings_dialog import SettingsDialog

    roots = [reviewed_app.window, SettingsDialog(reviewed_app.settings, parent=reviewed_app.window)]
    for root in roots:
        for w in [root, *root.findChildren(QWidget)]:
            assert not w.styleSheet(), f"{type(w).__name__} {w.objectName()!r} has a style sheet"
            assert w.font().pixelSize() == -1, (
                f"{type(w).__name__} {w.objectName()!r} has a pixel font size"
            )
            assert not w.testAttribute(Qt.WidgetAttribute.WA_SetPalette), (
                f"{type(w).__name__} {w.objectName()!r} sets its own palette"
            )


def test_remove_from_list_asks_first_and_keeps_files(qtbot, reviewed_app) -> None:
    from tests.desktop.conftest import answer_next_dialog

    w = reviewed_app.window
    w.set_filter("all")
    path = Path(w.order.index(0, 0).data(Role.PATH))
    w.list.setCurrentIndex(w.order.index(0, 0))
    answer_next_dialog(lambda box: box.button(box.StandardButton.No).click())
    w.commands.remove.trigger()
    assert reviewed_app.images.entry(path) is not None
    answer_next_dialog(lambda box: box.button(box.StandardButton.Yes).click())
    w.commands.remove.trigger()
    assert reviewed_app.images.entry(path) is None and path.exists()


def test_the_toolbar_overflow_button_is_named(qtbot, reviewed_app) -> None:
    from PySide6.QtWidgets import QToolButton

    w = reviewed_app.window
    w.resize(800, 600)
    ext = w.toolbar.findChild(QToolButton, "qt_toolbar_ext_button")
    qtbot.waitUntil(lambda: ext.isVisible())  # some commands do not fit at 800 px
    assert accessible_name(ext) == "More toolbar commands"
    assert ext.toolTip()


def test_the_window_name_carries_the_count_and_the_title_names_the_app_once(
    qtbot, reviewed_app
) -> None:
    w = reviewed_app.window
    review = reviewed_app.images.counts()["review"]
    assert review >= 1
    assert accessible_name(w) == f"AltLens — {review} need{'s' if review == 1 else ''} review"
    title = w.windowTitle()
    assert title.count("AltLens") == 1 and title.endswith("— AltLens")
    # Qt appends the application display name to a title unless it already ends with it
    # (QPlatformWindow::formatWindowTitle), so the title shown stays the same.
    assert title.endswith(QApplication.applicationDisplayName()) or (
        QApplication.applicationDisplayName() != "AltLens"
    )


def test_the_write_preview_names_fields_as_people_know_them(qtbot, reviewed_app, tmp_path) -> None:
    from altlens.desktop.views.dialogs import WritePreviewDialog

    d = WritePreviewDialog(
        write_plan(tmp_path / "a.jpg"), overwrite=False, always=False, parent=reviewed_app.window
    )
    qtbot.addWidget(d)
    headers = [d.changes.horizontalHeaderItem(c).text() for c in range(d.changes.columnCount())]
    assert headers == ["Field", "Now", "After writing", "Tag"]
    field, tag = d.changes.item(0, 0), d.changes.item(0, 3)
    assert field.text() == "Alt text (IPTC accessibility field)"
    assert tag.text() == "XMP-iptcCore:AltTextAccessibility"
    assert field.toolTip() == tag.text()
    assert field.data(Qt.ItemDataRole.AccessibleDescriptionRole) == tag.text()
    skipped = d.findChild(QWidget, "write_skipped")
    assert skipped.item(0, 0).text() == "Description (EXIF ImageDescription)"
    assert skipped.item(0, 3).text() == "IFD0:ImageDescription"


def ask_like_a_screen_reader(root: QWidget) -> int:
    """Ask, for every widget under `root`, where it sits in its accessible parent and read its
    name and role, as the AT-SPI bridge does whenever a widget is shown, hidden or created.
    Qt logs a warning when an interface cannot answer (the autouse guard fails the test)."""
    asked = 0
    for w in [root, *root.findChildren(QWidget)]:
        iface = QAccessible.queryAccessibleInterface(w)
        if iface is None or not iface.isValid():
            continue
        iface.text(QAccessible.Text.Name)
        iface.role()
        parent = iface.parent()
        if parent is not None and parent.isValid():
            parent.indexOfChild(iface)
            asked += 1
        # And down: every child the interface lists is found again at its index.
        for i in range(iface.childCount()):
            child = iface.child(i)
            if child is not None and child.isValid():
                assert iface.indexOfChild(child) == i, (w.objectName(), i)
    return asked


def test_no_accessibility_warnings_in_the_main_flows(qtbot, reviewed_app, tmp_path) -> None:
    from altlens.desktop.views.dialogs import MessagesDialog, ShortcutsDialog, WritePreviewDialog

    app = reviewed_app
    w = app.window
    w.set_filter("all")
    w.list.setFocus()
    w.list.setCurrentIndex(w.order.index(1, 0))
    app.controller.pick_candidate(2)
    w.resize(800, 600)  # scroll bars come and go, the toolbar overflows
    qtbot.wait(50)
    dialogs = [
        ShortcutsDialog(w.commands, w),
        WritePreviewDialog(write_plan(tmp_path / "a.jpg"), overwrite=False, always=False, parent=w),
        MessagesDialog(w.announcer, w),
        app.show_model_manager(),
    ]
    qtbot.waitUntil(lambda: app.model_manager.catalog.rowCount() > 0)
    asked = ask_like_a_screen_reader(w)
    for d in dialogs:
        qtbot.addWidget(d)
        d.show()
        asked += ask_like_a_screen_reader(d)
        d.close()
    assert asked > 100  # the walk reached the tables' and lists' inner widgets
