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


#: Errors that mean the file itself cannot be read: nothing can be described, previewed or
#: written until the file is fixed. Other errors (the model failed) leave the file usable,
#: so a person can still write the alt text by hand.
FILE_ERRORS = frozenset(
    {
        "image-error",
        "file-missing",
        "file-unreadable",
        "not-an-image",
        "corrupt-image",
        "unsupported-format",
        "image-too-large",
    }
)


def file_unreadable(entry: ImageEntry | None) -> bool:
    """The open image failed because its file cannot be read."""
    return (
        entry is not None
        and entry.status is Status.ERROR
        and entry.error is not None
        and entry.error.code in FILE_ERRORS
    )


def error_explanation(code: str) -> tuple[str, str]:
    """What went wrong in plain words, and what the person can do about it."""
    t = QCoreApplication.translate
    check = t(
        "Errors",
        "Open the folder to check or replace the file, then retry; or remove it from the list.",
    )
    plain = {
        "file-missing": t(
            "Errors", "The file is not there any more: it was moved, renamed or deleted."
        ),
        "file-unreadable": t(
            "Errors", "AltLens may not read this file, or the disk could not be read."
        ),
        "not-an-image": t("Errors", "This file is not a picture AltLens can open."),
        "corrupt-image": t(
            "Errors", "The file is damaged or cut short, so the picture cannot be read."
        ),
        "unsupported-format": t("Errors", "AltLens cannot open pictures of this kind."),
        "image-too-large": t("Errors", "The picture is too large to open safely."),
        "image-error": t("Errors", "The picture could not be read."),
    }
    if code in plain:
        return plain[code], check
    return (
        t("Errors", "The captioning model could not describe this picture."),
        t(
            "Errors",
            "Retry, or write the alt text yourself: the file is fine and can be written.",
        ),
    )


def field_label(field: str, role: str | None = None) -> str:
    """A metadata field as people call it ("Alt text (IPTC accessibility field)"), for the
    ExifTool tag name `field`; the tag itself is shown beside it as detail."""
    t = QCoreApplication.translate
    known = {
        "XMP-iptcCore:AltTextAccessibility": t("Fields", "Alt text (IPTC accessibility field)"),
        "IFD0:XPComment": t("Fields", "Alt text (Windows Comments)"),
        "IFD0:ImageDescription": t("Fields", "Description (EXIF ImageDescription)"),
        "XMP-dc:Description": t("Fields", "Description (XMP Dublin Core)"),
        "IPTC:Caption-Abstract": t("Fields", "Description (IPTC caption)"),
        "IPTC2:Caption-Abstract": t("Fields", "Description (IPTC caption, outside the header)"),
        "IFD0:XPTitle": t("Fields", "Description (Windows Title)"),
        "XMP-iptcCore:ExtDescrAccessibility": t(
            "Fields", "Long description (IPTC accessibility field)"
        ),
        "XMP-dc:Title": t("Fields", "Title (XMP Dublin Core)"),
        "IPTC:ObjectName": t("Fields", "Title (IPTC object name)"),
        "IPTC2:ObjectName": t("Fields", "Title (IPTC object name, outside the header)"),
        "XMP-photoshop:Headline": t("Fields", "Headline (Photoshop XMP)"),
        "IPTC:Headline": t("Fields", "Headline (IPTC)"),
    }
    if field in known:
        return known[field]
    roles = {
        "alt_text": t("Fields", "Alt text"),
        "description": t("Fields", "Description"),
        "long_description": t("Fields", "Long description"),
        "title": t("Fields", "Title"),
    }
    if role in roles:
        return t("Fields", "%1 (%2)").replace("%1", roles[role]).replace("%2", field or role)
    return field
