# SPDX-License-Identifier: GPL-3.0-or-later
"""Dialogs: the write preview, a dropped folder's choice, the keyboard shortcut overview,
About. Each has a title, named controls, a default button and Escape to close."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

from altlens.core import __version__
from altlens.desktop.models.presentation import field_label
from altlens.desktop.views.a11y import name
from altlens.desktop.views.actions import Actions
from PySide6.QtCore import QCoreApplication, Qt
from PySide6.QtGui import QKeySequence, QTextCursor
from PySide6.QtWidgets import (
    QAbstractItemView,
    QCheckBox,
    QDialog,
    QDialogButtonBox,
    QHeaderView,
    QLabel,
    QPlainTextEdit,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)


def _table(headers: list[str], rows: list[list[str]], accessible: str) -> QTableWidget:
    table = QTableWidget(len(rows), len(headers))
    table.setHorizontalHeaderLabels(headers)
    table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
    table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
    table.setWordWrap(True)
    table.verticalHeader().hide()
    table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Stretch)
    table.setTabKeyNavigation(False)  # Tab leaves the table; arrows move inside it
    for r, row in enumerate(rows):
        for c, text in enumerate(row):
            item = QTableWidgetItem(text)
            item.setToolTip(text)
            table.setItem(r, c, item)
    table.resizeRowsToContents()
    name(table, accessible)
    table.horizontalHeader().setAccessibleName(
        QCoreApplication.translate("Dialogs", "Column headers")
    )
    table.verticalHeader().setAccessibleName(QCoreApplication.translate("Dialogs", "Row numbers"))
    return table


def _detail_tags(table: QTableWidget) -> None:
    """The last column holds the tag name: smaller, sized to it, and also the field name's
    tooltip and accessible description."""
    last = table.columnCount() - 1
    header = table.horizontalHeader()
    header.setSectionResizeMode(last, QHeaderView.ResizeMode.ResizeToContents)
    for r in range(table.rowCount()):
        tag = table.item(r, last)
        if tag is None:
            continue
        font = tag.font()
        font.setPointSizeF(table.font().pointSizeF() * 0.9)
        tag.setFont(font)
        field = table.item(r, 0)
        if field is not None and tag.text():
            field.setToolTip(tag.text())
            field.setData(Qt.ItemDataRole.AccessibleDescriptionRole, tag.text())
    table.resizeRowsToContents()


class WritePreviewDialog(QDialog):
    """Exactly which fields a write changes, old and new value, and what it leaves alone.

    `plan` is a core.metadata WritePlan; `overwrite` says which mode it was planned with.
    """

    def __init__(
        self,
        plan: Any,
        *,
        overwrite: bool,
        always: bool,
        confirm: bool = True,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.setObjectName("write_preview")
        self.setWindowTitle(self.tr("Preview write: %1").replace("%1", Path(plan.path).name))
        layout = QVBoxLayout(self)
        targets = ", ".join(str(t) for t in plan.targets) or str(plan.path)
        if plan.has_changes:
            intro = self.tr("AltLens will write these fields in %1:").replace("%1", targets)
        else:
            intro = self.tr(
                "Nothing would change in %1: every field already has this text, or is left "
                "alone (below)."
            ).replace("%1", targets)
        self.intro = QLabel(intro)
        self.intro.setWordWrap(True)
        layout.addWidget(self.intro)
        none = self.tr("(empty)")
        # Fields by the names people know, with ExifTool's tag name as the detail column.
        rows = [
            [
                field_label(c.field, c.role),
                c.old if c.old is not None else none,
                c.new if c.new is not None else none,
                c.field,
            ]
            for c in plan.changes
        ]
        self.changes = _table(
            [self.tr("Field"), self.tr("Now"), self.tr("After writing"), self.tr("Tag")],
            rows,
            self.tr("Fields that will change"),
        )
        self.changes.setObjectName("write_changes")
        _detail_tags(self.changes)
        layout.addWidget(self.changes)
        if plan.creates:
            created = QLabel(
                self.tr("New sidecar file: %1").replace(
                    "%1", ", ".join(str(p) for p in plan.creates)
                )
            )
            created.setWordWrap(True)
            layout.addWidget(created)
        if plan.skipped:
            label = QLabel(self.tr("Left alone:"))
            layout.addWidget(label)
            skipped = _table(
                [self.tr("Field"), self.tr("Now"), self.tr("Why"), self.tr("Tag")],
                [
                    [field_label(s.field, s.role), s.current or none, s.reason, s.field or ""]
                    for s in plan.skipped
                ],
                self.tr("Fields left alone"),
            )
            skipped.setObjectName("write_skipped")
            _detail_tags(skipped)
            label.setBuddy(skipped)
            layout.addWidget(skipped)
        for warning in plan.warnings:
            w = QLabel(self.tr("Warning: %1").replace("%1", warning))
            w.setWordWrap(True)
            layout.addWidget(w)
        mode = (
            self.tr("Mode: replace existing text (change in Settings).")
            if overwrite
            else self.tr(
                "Mode: fill empty fields only; text a person wrote is kept (change in Settings)."
            )
        )
        self.mode = QLabel(mode)
        self.mode.setWordWrap(True)
        layout.addWidget(self.mode)
        self.always = QCheckBox(self.tr("&Show this before every write"))
        self.always.setChecked(always)
        name(
            self.always,
            self.tr("Show this before every write"),
            self.tr(
                "Otherwise it is shown before the first write of each session, and with "
                "Preview Write (Ctrl+P)."
            ),
        )
        layout.addWidget(self.always)
        if confirm:
            buttons = QDialogButtonBox()
            self.write_button = buttons.addButton(
                self.tr("&Write"), QDialogButtonBox.ButtonRole.AcceptRole
            )
            self.write_button.setEnabled(bool(plan.has_changes))
            name(
                self.write_button, self.tr("Write"), self.tr("Write these fields into the file now")
            )
            cancel = buttons.addButton(QDialogButtonBox.StandardButton.Cancel)
            name(cancel, self.tr("Cancel"), self.tr("Write nothing"))
            self.write_button.setDefault(True)
        else:
            buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
            close = buttons.button(QDialogButtonBox.StandardButton.Close)
            name(close, self.tr("Close"))
            close.setDefault(True)
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        layout.addWidget(buttons)
        self.resize(760, 420)
        self.changes.setFocus()


class FolderDropDialog(QDialog):
    """A folder was dropped or chosen: caption its images once, or watch it."""

    ONCE = 1
    WATCH = 2

    def __init__(
        self, folders: list[Path], *, can_watch: bool, parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self.setObjectName("folder_drop")
        self.setWindowTitle(self.tr("Add folder"))
        self.choice = 0
        layout = QVBoxLayout(self)
        names = "\n".join(str(f) for f in folders)
        text = QLabel(
            self.tr("What should AltLens do with the images in:\n%1").replace("%1", names)
        )
        text.setWordWrap(True)
        layout.addWidget(text)
        self.recursive = QCheckBox(self.tr("Include &subfolders"))
        self.recursive.setChecked(True)
        name(self.recursive, self.tr("Include subfolders"))
        layout.addWidget(self.recursive)
        buttons = QDialogButtonBox()
        self.once = buttons.addButton(
            self.tr("Caption &Once"), QDialogButtonBox.ButtonRole.AcceptRole
        )
        name(
            self.once,
            self.tr("Caption once"),
            self.tr("Caption the images there now, ahead of watched folders"),
        )
        self.watch = buttons.addButton(
            self.tr("&Watch Folder"), QDialogButtonBox.ButtonRole.AcceptRole
        )
        name(
            self.watch,
            self.tr("Watch folder"),
            self.tr("Caption them, and new images as they arrive"),
        )
        self.watch.setEnabled(can_watch)
        cancel = buttons.addButton(QDialogButtonBox.StandardButton.Cancel)
        name(cancel, self.tr("Cancel"))
        self.once.setDefault(True)
        self.once.clicked.connect(lambda: self._done(self.ONCE))
        self.watch.clicked.connect(lambda: self._done(self.WATCH))
        buttons.rejected.connect(self.reject)
        layout.addWidget(buttons)

    def _done(self, choice: int) -> None:
        self.choice = choice
        self.accept()


class ShortcutsDialog(QDialog):
    """Every command with its keys, as a table a screen reader can walk."""

    def __init__(self, actions: Actions, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("shortcuts")
        self.setWindowTitle(self.tr("Keyboard shortcuts"))
        rows = []
        for action in actions.all.values():
            keys = ", ".join(
                s.toString(QKeySequence.SequenceFormat.NativeText) for s in action.shortcuts()
            )
            if action.objectName().startswith("action_pick_"):
                alt, plain = (
                    s.toString(QKeySequence.SequenceFormat.NativeText) for s in action.shortcuts()
                )
                keys = self.tr("%1 anywhere; %2 outside text fields").replace("%1", alt)
                keys = keys.replace("%2", plain)
            if keys:
                rows.append([action.text().replace("&", "").rstrip("…"), keys, action.statusTip()])
        rows.append([self.tr("Open the selected image"), self.tr("Enter (in the image list)"), ""])
        rows.append([self.tr("Go to a field"), self.tr("Alt + the underlined letter"), ""])
        layout = QVBoxLayout(self)
        self.table = _table(
            [self.tr("Command"), self.tr("Keys"), self.tr("What it does")],
            rows,
            self.tr("Keyboard shortcuts"),
        )
        self.table.setObjectName("shortcut_table")
        self.table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        self.table.horizontalHeader().setStretchLastSection(True)
        layout.addWidget(self.table)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        name(buttons.button(QDialogButtonBox.StandardButton.Close), self.tr("Close"))
        buttons.rejected.connect(self.reject)
        layout.addWidget(buttons)
        self.resize(820, 560)


class MessagesDialog(QDialog):
    """Every message the status line showed in this session, in full, newest last: the
    status line shortens long ones to one line."""

    def __init__(self, announcer: Any, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("messages")
        self.setWindowTitle(self.tr("Messages"))
        layout = QVBoxLayout(self)
        label = QLabel(self.tr("&Messages of this session, newest last:"))
        self.view = QPlainTextEdit()
        self.view.setObjectName("message_history")
        self.view.setReadOnly(True)
        self.view.setTabChangesFocus(True)
        self.view.setLineWrapMode(QPlainTextEdit.LineWrapMode.WidgetWidth)
        name(self.view, self.tr("Messages"), self.tr("Every message of this session, newest last"))
        label.setBuddy(self.view)
        for when, message in zip(announcer.times, announcer.history, strict=True):
            self._add(when, message)
        announcer.announced.connect(self._on_announced)
        layout.addWidget(label)
        layout.addWidget(self.view)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        close = buttons.button(QDialogButtonBox.StandardButton.Close)
        name(close, self.tr("Close"))
        close.setDefault(True)
        buttons.rejected.connect(self.reject)
        layout.addWidget(buttons)
        self.resize(640, 400)
        self.view.moveCursor(QTextCursor.MoveOperation.End)
        self.view.setFocus()

    def _add(self, when: float, message: str) -> None:
        stamp = time.strftime("%H:%M:%S", time.localtime(when))
        self.view.appendPlainText(f"{stamp}  {message}")

    def _on_announced(self, message: str, _assertive: bool) -> None:
        self._add(time.time(), message)


class AboutDialog(QDialog):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("about")
        self.setWindowTitle(self.tr("About AltLens"))
        layout = QVBoxLayout(self)
        text = QLabel(
            self.tr(
                "AltLens %1\n\nSuggests alt text and captions for your photos, on this computer. "
                "Nothing is written into a photo until you approve it, and every write can be "
                "undone.\n\n"
                "Licensed under the GNU General Public License, version 3 or later."
            ).replace("%1", __version__)
        )
        text.setWordWrap(True)
        text.setTextInteractionFlags(
            Qt.TextInteractionFlag.TextSelectableByMouse
            | Qt.TextInteractionFlag.TextSelectableByKeyboard
        )
        layout.addWidget(text)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        name(buttons.button(QDialogButtonBox.StandardButton.Close), self.tr("Close"))
        buttons.rejected.connect(self.reject)
        layout.addWidget(buttons)


class CrashDialog(QDialog):
    """Shown after an unexpected error: where the report is, and that nothing was lost."""

    def __init__(self, summary: str, report: Path | None, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("crash")
        self.setWindowTitle(self.tr("AltLens hit an unexpected error"))
        layout = QVBoxLayout(self)
        where = str(report) if report else self.tr("(the report could not be saved)")
        text = QLabel(
            self.tr(
                "Something went wrong inside AltLens. Your settings, your library and your photos "
                "are unchanged. A report was saved to:\n%1"
            ).replace("%1", where)
        )
        text.setWordWrap(True)
        layout.addWidget(text)
        details = QPlainTextEdit(summary)
        details.setReadOnly(True)
        name(details, self.tr("Error details"))
        layout.addWidget(details)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok)
        ok: QPushButton = buttons.button(QDialogButtonBox.StandardButton.Ok)
        name(ok, self.tr("OK"))
        buttons.accepted.connect(self.accept)
        layout.addWidget(buttons)
