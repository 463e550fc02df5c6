# SPDX-License-Identifier: GPL-3.0-or-later
"""Smaller parts of the main window: the captioning progress strip, the log panel and the
watched-folders panel."""

from __future__ import annotations

import logging
from typing import Any

from altlens.core.rate import RateMeter
from altlens.desktop.models.folders import FolderListModel
from altlens.desktop.views.a11y import name
from altlens.desktop.views.actions import Actions
from altlens.desktop.views.flow import flow_row
from PySide6.QtCore import QLocale, QSize, Qt, Signal
from PySide6.QtGui import QFont
from PySide6.QtWidgets import (
    QAbstractItemView,
    QCheckBox,
    QHBoxLayout,
    QLabel,
    QListView,
    QPlainTextEdit,
    QProgressBar,
    QPushButton,
    QToolButton,
    QVBoxLayout,
    QWidget,
)


class ProgressStrip(QWidget):
    """Captioning progress with count, rate and time left (from the measured pace, see
    core.rate), and the pause and cancel buttons."""

    def __init__(self, actions: Actions, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("progress_strip")
        self.meter = RateMeter()
        self.bar = QProgressBar()
        self.bar.setObjectName("caption_progress")
        self.bar.setTextVisible(True)
        self.bar.setMinimumWidth(self.fontMetrics().averageCharWidth() * 40)
        name(self.bar, self.tr("Captioning progress"))
        self.pause = QToolButton()
        self.pause.setDefaultAction(actions.pause)
        self.pause.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        name(self.pause, self.tr("Pause captioning"), actions.pause.statusTip())
        self.cancel = QToolButton()
        self.cancel.setDefaultAction(actions.cancel)
        self.cancel.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        name(self.cancel, self.tr("Cancel captioning"), actions.cancel.statusTip())
        row = QHBoxLayout(self)
        row.setContentsMargins(0, 0, 0, 0)
        row.addWidget(self.bar, 1)
        row.addWidget(self.pause)
        row.addWidget(self.cancel)
        self.set_idle()

    def set_progress(self, done: int, total: int, failed: int = 0, paused: bool = False) -> None:
        if paused:
            self.meter.pause()  # time spent paused is not slowness
        else:
            self.meter.update(done)
        self.bar.setRange(0, max(total, 1))
        self.bar.setValue(done)
        text = self.tr("Captioned %1 of %2").replace("%1", str(done)).replace("%2", str(total))
        if failed:
            text += self.tr(", %n failed", "", failed)
        rate = self.meter.rate
        left = self.meter.seconds_left(done, total)
        if paused:
            text += self.tr(" (paused)")
        else:
            if rate is not None:
                text += " — " + self.format_rate(rate)
            if left is not None:
                text += " — " + self.format_duration(left)
        self.bar.setFormat(text)
        self.bar.setAccessibleName(self.tr("Captioning progress"))
        self.bar.setAccessibleDescription(text)
        self.show()

    def set_paused(self, paused: bool) -> None:
        if paused:
            self.meter.pause()

    def format_rate(self, per_second: float) -> str:
        """Images per second, with the locale's decimal sign; two decimals below one."""
        number = QLocale().toString(per_second, "f", 1 if per_second >= 1 else 2)
        return self.tr("%1 images/s").replace("%1", number)

    def format_duration(self, seconds: float) -> str:
        """Time left in words, rounded the way a person would say it. (Counts are computed
        first: pyside6-lupdate only sees plural forms in tr() calls with a plain argument.)"""
        if seconds < 60:
            secs = max(1, round(seconds))
            return self.tr("about %n second(s) left", "", secs)
        minutes = round(seconds / 60)
        if minutes < 90:
            return self.tr("about %n minute(s) left", "", minutes)
        hours = round(minutes / 60)
        return self.tr("about %n hour(s) left", "", hours)

    def set_idle(self) -> None:
        self.meter.reset()
        self.bar.setRange(0, 1)
        self.bar.setValue(0)
        self.bar.setFormat(self.tr("Captioning idle"))
        self.bar.setAccessibleDescription(self.tr("Captioning idle"))


class LogPanel(QWidget):
    """What AltLens did and what went wrong, for people who want to know (View > Show Log)."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("log_panel")
        self.view = QPlainTextEdit()
        self.view.setObjectName("log_view")
        self.view.setReadOnly(True)
        self.view.setMaximumBlockCount(5000)
        self.view.setTabChangesFocus(True)
        mono = QFont(self.view.font())
        mono.setStyleHint(QFont.StyleHint.Monospace)
        mono.setFamily("monospace")
        self.view.setFont(mono)
        name(self.view, self.tr("Log"), self.tr("Messages from AltLens, newest last"))
        self.errors_only = QCheckBox(self.tr("Show &problems only"))
        name(self.errors_only, self.tr("Show problems only"))
        self.clear = QPushButton(self.tr("C&lear"))
        name(self.clear, self.tr("Clear the log view"), self.tr("The log file on disk is kept"))
        self.clear.clicked.connect(self.view.clear)
        top = QHBoxLayout()
        top.addWidget(self.errors_only)
        top.addStretch(1)
        top.addWidget(self.clear)
        lay = QVBoxLayout(self)
        lay.addLayout(top)
        lay.addWidget(self.view)

    def append(self, line: str, level: int) -> None:
        if self.errors_only.isChecked() and level < logging.WARNING:
            return
        self.view.appendPlainText(line)


class FoldersPanel(QWidget):
    """Watched folders: add, remove, include subfolders, pause."""

    add_requested = Signal()
    remove_requested = Signal(object)  # Path
    recursive_changed = Signal(object, bool)
    paused_changed = Signal(object, bool)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("folders_panel")
        self.view = QListView()
        self.view.setObjectName("folder_list")
        self.view.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.view.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        name(
            self.view,
            self.tr("Watched folders"),
            self.tr("New images in these folders are captioned as they arrive"),
        )
        self.empty = QLabel(
            self.tr("No watched folders. Add one to caption new photos as they arrive.")
        )
        self.empty.setWordWrap(True)
        self.add = QPushButton(self.tr("Add…"))
        name(self.add, self.tr("Add watched folder"))
        self.remove = QPushButton(self.tr("Remove"))
        name(
            self.remove,
            self.tr("Stop watching the selected folder"),
            self.tr("Its images stay in the list and nothing is deleted"),
        )
        self.recursive = QCheckBox(self.tr("Subfolders"))
        name(self.recursive, self.tr("Include subfolders of the selected folder"))
        self.paused = QCheckBox(self.tr("Paused"))
        name(self.paused, self.tr("Pause watching the selected folder"))
        lay = QVBoxLayout(self)
        lay.addWidget(self.empty)
        lay.addWidget(self.view)
        # Wraps in a narrow dock instead of widening the window.
        lay.addWidget(flow_row(self.add, self.remove, self.recursive, self.paused))
        self.model = FolderListModel(self)
        self.view.setModel(self.model)
        self.add.clicked.connect(self.add_requested)
        self.remove.clicked.connect(lambda: self._emit_for_selected(self.remove_requested))
        # clicked, not toggled: only a person's change is a request (updates set the box too).
        self.recursive.clicked.connect(
            lambda on: self._emit_for_selected(self.recursive_changed, on)
        )
        self.paused.clicked.connect(lambda on: self._emit_for_selected(self.paused_changed, on))
        self.view.selectionModel().currentChanged.connect(lambda *_: self._sync())
        self._sync()

    def sizeHint(self) -> QSize:
        # The dock opens narrow (a list view would ask for 256 px), leaving the room to the
        # review panel; the person can widen it.
        hint = super().sizeHint()
        return QSize(min(hint.width(), self.fontMetrics().averageCharWidth() * 26), hint.height())

    def selected(self) -> Any:
        idx = self.view.currentIndex()
        return self.model.folder(idx.row()) if idx.isValid() else None

    def _emit_for_selected(self, signal: Any, *args: object) -> None:
        folder = self.selected()
        if folder is not None:
            signal.emit(folder.path, *args)

    def set_folders(self, folders: Any) -> None:
        keep = self.selected()
        self.model.set_folders(folders)
        row = self.model.row_of(keep.path) if keep is not None else (0 if folders else -1)
        if row >= 0:
            self.view.setCurrentIndex(self.model.index(row, 0))
        self.empty.setVisible(not folders)
        self._sync()

    def _sync(self) -> None:
        folder = self.selected()
        for w in (self.remove, self.recursive, self.paused):
            w.setEnabled(folder is not None)
        self.recursive.setChecked(bool(folder and folder.recursive))
        self.paused.setChecked(bool(folder and folder.paused))
