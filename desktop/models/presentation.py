# SPDX-License-Identifier: GPL-3.0-or-later
"""How states are shown and spoken: translated words and a standard icon for every status,
so nothing is told by colour alone."""

from __future__ import annotations

from altlens.desktop.models.entries import ImageEntry, Status
from PySide6.QtCore import QCoreApplication
from PySide6.QtGui import QIcon
from PySide6.QtWidgets import QApplication, QStyle


def status_text(entry: ImageEntry) -> str:
    """Short status words for a badge, a list row and a screen reader."""
    if entry.writing:
        return QCoreApplication.translate("Status", "Writing…")
    if entry.captioning:
        return QCoreApplication.translate("Status", "Captioning…")
    if entry.requested:  # asked for; the library's record follows in a moment
        return QCoreApplication.translate("Status", "Waiting for the model")
    return {
        Status.NEW: QCoreApplication.translate("Status", "New"),
        Status.QUEUED: QCoreApplication.translate("Status", "Waiting for the model"),
        Status.SUGGESTED: QCoreApplication.translate("Status", "Needs review"),
        Status.SKIPPED: QCoreApplication.translate("Status", "Skipped, needs review"),
        Status.UNDONE: QCoreApplication.translate("Status", "Write undone, approved, not in the file"),
        Status.APPROVED: QCoreApplication.translate("Status", "Approved, not written"),
        Status.WRITTEN: QCoreApplication.translate("Status", "Written to file"),
        Status.REJECTED: QCoreApplication.translate("Status", "Rejected"),
        Status.ERROR: QCoreApplication.translate("Status", "Error"),
    }[entry.status]


def filter_text(name: str) -> str:
    return {
        "all": QCoreApplication.translate("Status", "All images"),
        "review": QCoreApplication.translate("Status", "Needs review"),
        "queued": QCoreApplication.translate("Status", "Waiting"),
        "approved": QCoreApplication.translate("Status", "Approved"),
        "written": QCoreApplication.translate("Status", "Written"),
        "rejected": QCoreApplication.translate("Status", "Rejected"),
        "error": QCoreApplication.translate("Status", "Errors"),
    }[name]


def confidence_text(score: float | None) -> str:
    if score is None:
        return ""
    return QCoreApplication.translate("Status", "confidence %1%").replace(
        "%1", str(round(score * 100))
    )


_ICONS: dict[Status, QStyle.StandardPixmap] = {
    Status.NEW: QStyle.StandardPixmap.SP_FileIcon,
    Status.QUEUED: QStyle.StandardPixmap.SP_BrowserReload,
    Status.SUGGESTED: QStyle.StandardPixmap.SP_MessageBoxQuestion,
    Status.SKIPPED: QStyle.StandardPixmap.SP_MediaSkipForward,
    Status.UNDONE: QStyle.StandardPixmap.SP_ArrowBack,
    Status.APPROVED: QStyle.StandardPixmap.SP_DialogApplyButton,
    Status.WRITTEN: QStyle.StandardPixmap.SP_DialogSaveButton,
    Status.REJECTED: QStyle.StandardPixmap.SP_DialogCancelButton,
    Status.ERROR: QStyle.StandardPixmap.SP_MessageBoxWarning,
}


def status_icon(entry: ImageEntry) -> QIcon:
    style = QApplication.style()
    if entry.captioning or entry.writing:
        return style.standardIcon(QStyle.StandardPixmap.SP_BrowserReload)
    return style.standardIcon(_ICONS[entry.status])


def spoken_summary(entry: ImageEntry) -> str:
    """What a screen reader says for a row: name, state, then the text or the error."""
    parts = [entry.name, status_text(entry)]
    if entry.status is Status.ERROR and entry.error is not None:
        parts.append(entry.error.message)
    elif entry.text:
        parts.append(entry.text)
        if entry.machine_made and entry.chosen_score is not None:
            parts.append(
                QCoreApplication.translate("Status", "machine suggestion, %1").replace(
                    "%1", confidence_text(entry.chosen_score)
                )
            )
    return ", ".join(parts)
