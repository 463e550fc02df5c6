# SPDX-License-Identifier: GPL-3.0-or-later
"""A message strip across the top of the window: the model is loading, missing or broken,
or ExifTool is missing. It has an icon and words (never colour alone) and its buttons are
ordinary focusable buttons."""

from __future__ import annotations

from altlens.desktop.views.a11y import name
from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QFrame,
    QHBoxLayout,
    QLabel,
    QProgressBar,
    QPushButton,
    QSizePolicy,
    QStyle,
    QVBoxLayout,
    QWidget,
)


class Banner(QFrame):
    def __init__(self, object_name: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName(object_name)
        self.setFrameShape(QFrame.Shape.StyledPanel)
        self.setAutoFillBackground(True)
        self.setBackgroundRole(self.palette().ColorRole.AlternateBase)
        self.icon = QLabel()
        self.icon.setSizePolicy(QSizePolicy.Policy.Fixed, QSizePolicy.Policy.Fixed)
        self.title = QLabel()
        font = self.title.font()
        font.setBold(True)
        self.title.setFont(font)
        self.title.setWordWrap(True)
        self.text = QLabel()
        self.text.setWordWrap(True)
        self.text.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Preferred)
        self.text.setTextInteractionFlags(
            Qt.TextInteractionFlag.TextSelectableByMouse
            | Qt.TextInteractionFlag.TextSelectableByKeyboard
        )
        self.busy = QProgressBar()
        self.busy.setRange(0, 0)
        self.busy.setTextVisible(False)
        self.busy.setMaximumHeight(self.fontMetrics().height())
        self.busy.hide()
        self.buttons = QHBoxLayout()
        self.buttons.addStretch(1)  # buttons go before it, on the left
        texts = QVBoxLayout()
        texts.addWidget(self.title)
        texts.addWidget(self.text)
        texts.addWidget(self.busy)
        texts.addLayout(self.buttons)
        row = QHBoxLayout(self)
        row.addWidget(self.icon, 0, Qt.AlignmentFlag.AlignTop)
        row.addLayout(texts, 1)
        self.hide()

    def show_message(
        self, title: str, text: str, *, icon: QStyle.StandardPixmap, busy: bool = False
    ) -> None:
        self.icon.setPixmap(self.style().standardIcon(icon).pixmap(32, 32))
        self.icon.setAccessibleName(title)
        self.title.setText(title)
        self.text.setText(text)
        self.busy.setVisible(busy)
        name(self.busy, title)
        self.setAccessibleName(title)
        self.setAccessibleDescription(text)
        self.show()

    def add_button(self, text: str, description: str) -> QPushButton:
        b = QPushButton(text)
        name(b, text.replace("&", "").rstrip("…"), description)
        self.buttons.insertWidget(self.buttons.count() - 1, b)
        return b
