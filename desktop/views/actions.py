# SPDX-License-Identifier: GPL-3.0-or-later
"""Every command of the window as a QAction with its menu text, shortcuts and a description.

One place defines them, so menus, tool buttons, the shortcut overview and the tests agree.
Shortcuts avoid the keys text fields use (the caption field has focus most of the time):
Ctrl+K/D/U/E are line editing on X11, Ctrl+Shift+Z is redo, plain digits type digits; so
candidates are picked with 1-5 outside text fields and Alt+1-5 everywhere.
"""

from __future__ import annotations

from dataclasses import dataclass

from altlens.desktop.models.entries import FILTERS
from PySide6.QtCore import QCoreApplication, QObject
from PySide6.QtGui import QAction, QActionGroup, QIcon, QKeySequence
from PySide6.QtWidgets import QApplication, QStyle

SP = QStyle.StandardPixmap


@dataclass(frozen=True)
class _Spec:
    name: str
    text: str
    shortcuts: tuple[str, ...] = ()
    tip: str = ""
    icon: SP | None = None
    checkable: bool = False


def _specs() -> list[_Spec]:
    return [
        # File
        _Spec(
            "add_images",
            QCoreApplication.translate("Actions", "&Add Images…"),
            ("Ctrl+O",),
            QCoreApplication.translate("Actions", "Choose image files to caption now"),
            SP.SP_DialogOpenButton,
        ),
        _Spec(
            "add_folder",
            QCoreApplication.translate("Actions", "Add &Folder…"),
            ("Ctrl+Shift+O",),
            QCoreApplication.translate(
                "Actions", "Caption every image in a folder once, or watch it"
            ),
            SP.SP_DirOpenIcon,
        ),
        _Spec(
            "watch_folder",
            QCoreApplication.translate("Actions", "&Watch Folder…"),
            (),
            QCoreApplication.translate("Actions", "Caption new images in a folder as they arrive"),
            SP.SP_DirLinkIcon,
        ),
        _Spec(
            "model_manager",
            QCoreApplication.translate("Actions", "&Models…"),
            ("Ctrl+Shift+M",),
            QCoreApplication.translate(
                "Actions", "See, download, import or remove captioning models"
            ),
            SP.SP_DriveHDIcon,
        ),
        _Spec(
            "import_model",
            QCoreApplication.translate("Actions", "&Import Model Folder…"),
            (),
            QCoreApplication.translate(
                "Actions", "Use a model folder copied from another computer"
            ),
        ),
        _Spec(
            "settings",
            QCoreApplication.translate("Actions", "&Settings…"),
            ("Ctrl+,",),
            QCoreApplication.translate("Actions", "Model, decoding and writing options"),
            SP.SP_FileDialogDetailedView,
        ),
        _Spec(
            "quit",
            QCoreApplication.translate("Actions", "&Quit"),
            ("Ctrl+Q",),
            QCoreApplication.translate("Actions", "Close AltLens; approved writes finish first"),
        ),
        # Review
        _Spec(
            "approve",
            QCoreApplication.translate("Actions", "Approve and &Write"),
            ("Ctrl+Return", "Ctrl+Enter"),
            QCoreApplication.translate("Actions", "Write this alt text into the image's metadata"),
            SP.SP_DialogSaveButton,
        ),
        _Spec(
            "preview_write",
            QCoreApplication.translate("Actions", "&Preview Write…"),
            ("Ctrl+P",),
            QCoreApplication.translate(
                "Actions", "Show which fields would be written, with their old and new values"
            ),
            SP.SP_FileDialogContentsView,
        ),
        _Spec(
            "approve_selected",
            QCoreApplication.translate("Actions", "Approve and Write &Selected"),
            ("Ctrl+Shift+Return", "Ctrl+Shift+Enter"),
            QCoreApplication.translate(
                "Actions", "Approve the text of every selected image and write it"
            ),
            SP.SP_DialogApplyButton,
        ),
        _Spec(
            "skip",
            QCoreApplication.translate("Actions", "S&kip for Now"),
            ("Ctrl+L",),
            QCoreApplication.translate(
                "Actions", "Leave this image undecided and go to the next one needing review"
            ),
            SP.SP_MediaSkipForward,
        ),
        _Spec(
            "reject",
            QCoreApplication.translate("Actions", "&Reject"),
            ("Ctrl+J",),
            QCoreApplication.translate("Actions", "No suggestion is usable; write nothing"),
            SP.SP_DialogCancelButton,
        ),
        _Spec(
            "regenerate",
            QCoreApplication.translate("Actions", "Re&generate"),
            ("Ctrl+R", "F5"),
            QCoreApplication.translate(
                "Actions", "Caption this image again with a wider beam search and more suggestions"
            ),
            SP.SP_BrowserReload,
        ),
        _Spec(
            "regenerate_sampling",
            QCoreApplication.translate("Actions", "Regenerate with &Varied Wording"),
            ("Ctrl+Shift+R", "Shift+F5"),
            QCoreApplication.translate(
                "Actions", "Caption this image again by sampling, for different wording"
            ),
        ),
        _Spec(
            "describe",
            QCoreApplication.translate("Actions", "&Describe in Detail"),
            ("Ctrl+Shift+D",),
            QCoreApplication.translate(
                "Actions", "Ask the detail model for a long description of this image"
            ),
            SP.SP_FileDialogInfoView,
        ),
        _Spec(
            "read_text",
            QCoreApplication.translate("Actions", "Read Te&xt in Image"),
            ("Ctrl+Shift+E",),
            QCoreApplication.translate(
                "Actions", "Ask the detail model for the text in this image (signs, labels, pages)"
            ),
        ),
        _Spec(
            "insert_detail",
            QCoreApplication.translate("Actions", "&Insert into Alt Text"),
            ("Ctrl+Shift+I",),
            QCoreApplication.translate(
                "Actions", "Put the detail model's last answer into the alt text at the cursor"
            ),
        ),
        _Spec(
            "cancel_detail",
            QCoreApplication.translate("Actions", "Cancel &Detail"),
            ("Escape",),
            QCoreApplication.translate(
                "Actions", "Stop describing or reading text in this image"
            ),
            SP.SP_MediaStop,
        ),
        _Spec(
            "undo_write",
            QCoreApplication.translate("Actions", "&Undo Last Write"),
            ("Ctrl+Shift+Backspace",),
            QCoreApplication.translate(
                "Actions", "Put back what the file held before AltLens's last write to it"
            ),
            SP.SP_ArrowBack,
        ),
        _Spec(
            "retry",
            QCoreApplication.translate("Actions", "Re&try"),
            (),
            QCoreApplication.translate("Actions", "Caption this image again after an error"),
            SP.SP_BrowserReload,
        ),
        _Spec(
            "remove",
            QCoreApplication.translate("Actions", "Remove from &List"),
            ("Delete",),
            QCoreApplication.translate(
                "Actions", "Take the selected images off the list and out of the library; files are not touched"
            ),
        ),
        *[
            _Spec(
                f"pick_{n}",
                QCoreApplication.translate("Actions", "Use Suggestion &%1").replace("%1", str(n)),
                # Alt+n first: it works everywhere, so menus show it. Bare n reaches the
                # action only where no text field takes it as typing.
                (f"Alt+{n}", str(n)),
                QCoreApplication.translate(
                    "Actions", "Put suggestion %1 into the alt text field"
                ).replace("%1", str(n)),
            )
            for n in range(1, 6)
        ],
        # Go
        _Spec(
            "next",
            QCoreApplication.translate("Actions", "&Next Image"),
            ("Ctrl+PgDown",),
            QCoreApplication.translate("Actions", "Open the next image in the list"),
            SP.SP_ArrowDown,
        ),
        _Spec(
            "previous",
            QCoreApplication.translate("Actions", "&Previous Image"),
            ("Ctrl+PgUp",),
            QCoreApplication.translate("Actions", "Open the previous image in the list"),
            SP.SP_ArrowUp,
        ),
        _Spec(
            "next_review",
            QCoreApplication.translate("Actions", "Next &Needing Review"),
            ("F8",),
            QCoreApplication.translate(
                "Actions", "Open the next image whose suggestion nobody has reviewed"
            ),
            SP.SP_MediaSeekForward,
        ),
        _Spec(
            "previous_review",
            QCoreApplication.translate("Actions", "Previous Needing Re&view"),
            ("Shift+F8",),
            QCoreApplication.translate("Actions", "Open the previous image needing review"),
            SP.SP_MediaSeekBackward,
        ),
        _Spec(
            "next_pane",
            QCoreApplication.translate("Actions", "Next &Pane"),
            ("F6",),
            QCoreApplication.translate("Actions", "Move the focus to the next part of the window"),
        ),
        _Spec(
            "previous_pane",
            QCoreApplication.translate("Actions", "Previous P&ane"),
            ("Shift+F6",),
            QCoreApplication.translate(
                "Actions", "Move the focus to the previous part of the window"
            ),
        ),
        # Captioning
        _Spec(
            "pause",
            QCoreApplication.translate("Actions", "&Pause Captioning"),
            ("Ctrl+Shift+P",),
            QCoreApplication.translate("Actions", "Finish the images in the model, then wait"),
            SP.SP_MediaPause,
            checkable=True,
        ),
        _Spec(
            "cancel",
            QCoreApplication.translate("Actions", "&Cancel Captioning"),
            ("Ctrl+Shift+C",),
            QCoreApplication.translate("Actions", "Stop now and empty the queue"),
            SP.SP_MediaStop,
        ),
        _Spec(
            "retry_failed",
            QCoreApplication.translate("Actions", "Retry &Failed Images"),
            ("Ctrl+Shift+T",),
            QCoreApplication.translate("Actions", "Caption every image with an error again"),
        ),
        # View
        _Spec(
            "sort_confidence",
            QCoreApplication.translate("Actions", "Sort by &Confidence, Lowest First"),
            (),
            QCoreApplication.translate(
                "Actions", "Review first the images the model is least sure about"
            ),
            checkable=True,
        ),
        _Spec(
            "grid_view",
            QCoreApplication.translate("Actions", "&Thumbnail Grid"),
            (),
            QCoreApplication.translate(
                "Actions", "Show images as a grid of thumbnails instead of a list"
            ),
            checkable=True,
        ),
        _Spec(
            "show_log",
            QCoreApplication.translate("Actions", "Show &Log"),
            ("Ctrl+Shift+L",),
            QCoreApplication.translate("Actions", "Show what AltLens did and any problems"),
            checkable=True,
        ),
        _Spec(
            "show_messages",
            QCoreApplication.translate("Actions", "&Messages…"),
            ("Ctrl+Shift+H",),
            QCoreApplication.translate(
                "Actions", "Every message of this session in full, newest last"
            ),
        ),
        # Help
        _Spec(
            "shortcuts",
            QCoreApplication.translate("Actions", "&Keyboard Shortcuts"),
            ("F1",),
            QCoreApplication.translate("Actions", "List every command and its keys"),
        ),
        _Spec("about", QCoreApplication.translate("Actions", "&About AltLens"), ()),
    ]


FILTER_SHORTCUTS = {name: f"Ctrl+{i}" for i, name in enumerate(FILTERS, start=1)}


class Actions(QObject):
    """The window's QActions, as attributes named like the specs (`commands.approve` ...)."""

    add_images: QAction
    add_folder: QAction
    watch_folder: QAction
    model_manager: QAction
    import_model: QAction
    settings: QAction
    quit: QAction
    approve: QAction
    preview_write: QAction
    approve_selected: QAction
    skip: QAction
    reject: QAction
    regenerate: QAction
    regenerate_sampling: QAction
    describe: QAction
    read_text: QAction
    insert_detail: QAction
    cancel_detail: QAction
    undo_write: QAction
    retry: QAction
    remove: QAction
    next: QAction
    previous: QAction
    next_review: QAction
    previous_review: QAction
    next_pane: QAction
    previous_pane: QAction
    pause: QAction
    cancel: QAction
    retry_failed: QAction
    sort_confidence: QAction
    grid_view: QAction
    show_log: QAction
    show_messages: QAction
    shortcuts: QAction
    about: QAction

    def __init__(self, parent: QObject) -> None:
        super().__init__(parent)
        self.all: dict[str, QAction] = {}
        style = QApplication.style()
        for spec in _specs():
            action = QAction(spec.text, parent)
            action.setObjectName(f"action_{spec.name}")
            if spec.shortcuts:
                action.setShortcuts([QKeySequence(s) for s in spec.shortcuts])
            if spec.tip:
                action.setStatusTip(spec.tip)
                action.setToolTip(_tip(spec))
                action.setWhatsThis(spec.tip)
            if spec.icon is not None:
                action.setIcon(style.standardIcon(spec.icon))
            action.setCheckable(spec.checkable)
            self.all[spec.name] = action
            setattr(self, spec.name, action)
        self.filter_group = QActionGroup(self)
        self.filters: dict[str, QAction] = {}
        from altlens.desktop.models.presentation import filter_text

        for name in FILTERS:
            action = QAction(filter_text(name), parent)
            action.setObjectName(f"action_filter_{name}")
            action.setCheckable(True)
            action.setShortcut(QKeySequence(FILTER_SHORTCUTS[name]))
            action.setData(name)
            action.setStatusTip(
                QCoreApplication.translate("Actions", "Show only: %1").replace(
                    "%1", filter_text(name)
                )
            )
            self.filter_group.addAction(action)
            self.filters[name] = action
            self.all[f"filter_{name}"] = action

    @property
    def picks(self) -> list[QAction]:
        return [self.all[f"pick_{n}"] for n in range(1, 6)]

    def icon(self, name: str) -> QIcon:
        return self.all[name].icon()


def _tip(spec: _Spec) -> str:
    plain = spec.text.replace("&", "").rstrip("…")
    keys = ", ".join(
        QKeySequence(s).toString(QKeySequence.SequenceFormat.NativeText) for s in spec.shortcuts
    )
    return f"{plain} ({keys})\n{spec.tip}" if keys else f"{plain}\n{spec.tip}"
