# SPDX-License-Identifier: GPL-3.0-or-later
"""Accessibility helpers: naming widgets, and telling screen readers what just happened.

Announcements use QAccessibleAnnouncementEvent (Qt 6.8+), which the platform bridges pass
on as a real announcement (AT-SPI `Object:announcement`, UIA notification, NSAccessibility
announcement). The same text also goes into a visible status label whose accessible name
changes with a NameChanged event, so a screen reader that ignores announcements still finds
the latest message in one known place, and sighted users see it too.
"""

from __future__ import annotations

import logging
import time

from PySide6.QtCore import QCoreApplication, QObject, Signal
from PySide6.QtGui import (
    QAccessible,
    QAccessibleAnnouncementEvent,
    QAccessibleEvent,
    QAccessibleInterface,
)
from PySide6.QtWidgets import (
    QAbstractButton,
    QAbstractItemView,
    QAccessibleWidget,
    QComboBox,
    QLabel,
    QTableView,
    QWidget,
)

log = logging.getLogger(__name__)


def name(widget: QWidget, accessible_name: str, description: str = "") -> QWidget:
    """Set a widget's accessible name (and description, where its purpose is not obvious)."""
    widget.setAccessibleName(accessible_name)
    if isinstance(widget, QComboBox):
        widget.view().setAccessibleName(accessible_name)  # the pop-up list is read on its own
        line = widget.lineEdit()
        if line is not None:
            line.setAccessibleName(accessible_name)
    if isinstance(widget, QTableView):
        # Qt's corner button (select all) has no name of its own.
        corner = widget.findChild(QAbstractButton, "qt_tableview_cornerbutton")
        if corner is not None:
            corner.setAccessibleName(QCoreApplication.translate("a11y", "Select all"))
    if description:
        widget.setAccessibleDescription(description)
        if not widget.toolTip():
            widget.setToolTip(description)
    return widget


class _ViewPart(QAccessibleWidget):
    """An item view's own child widget (viewport, scroll bar holder, header, corner button).

    Qt's item view interfaces (QAccessibleTable and QAccessibleList) list cells and header
    cells as their children, not these widgets, and log "QAccessibleTable::indexOfChild Fix my
    children" whenever the AT-SPI bridge asks where such a widget sits (it does so each time
    one is shown, hidden or created). Their parent here is the view's own parent instead, so
    the question goes to an interface that answers it quietly; the view's tree is unchanged.
    """

    def parent(self) -> QAccessibleInterface | None:
        host = self.widget().parentWidget()
        while isinstance(host, QAbstractItemView):
            host = host.parentWidget()
        return QAccessible.queryAccessibleInterface(host) if host is not None else None


def _view_part_factory(_class_name: str, obj: QObject) -> QAccessibleInterface | None:
    if isinstance(obj, QWidget) and isinstance(obj.parent(), QAbstractItemView):
        return _ViewPart(obj)
    return None  # Qt's own interface


_factory_installed = False  # QAccessible's factories are process-wide; install once


def install_accessibility_fixes() -> None:
    """Register the item-view child fix with QAccessible (idempotent)."""
    global _factory_installed
    if not _factory_installed:
        QAccessible.installFactory(_view_part_factory)
        _factory_installed = True


class Announcer(QObject):
    """Speaks short messages through the screen reader and shows them in `label`."""

    announced = Signal(str, bool)  # message, assertive (tests and the log panel listen)

    def __init__(self, label: QLabel, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.label = label
        self.history: list[str] = []
        self.times: list[float] = []  # when each message of `history` was said

    def announce(self, message: str, *, assertive: bool = False) -> None:
        """Polite messages wait for the screen reader to finish; assertive ones (errors, a
        write that failed) interrupt it."""
        self.history.append(message)
        self.times.append(time.time())
        del self.history[:-500], self.times[:-500]
        self.label.setText(message)
        self.label.setAccessibleName(message)
        QAccessible.updateAccessibility(QAccessibleEvent(self.label, QAccessible.Event.NameChanged))
        event = QAccessibleAnnouncementEvent(self.label, message)
        event.setPoliteness(
            QAccessible.AnnouncementPoliteness.Assertive
            if assertive
            else QAccessible.AnnouncementPoliteness.Polite
        )
        QAccessible.updateAccessibility(event)
        log.info("announced: %s", message)
        self.announced.emit(message, assertive)
