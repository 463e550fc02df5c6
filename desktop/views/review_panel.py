# SPDX-License-Identifier: GPL-3.0-or-later
"""The review panel: the open image large, its suggestions, the alt-text field with live
character count and hints, the optional long description, the decorative flag and the
decision buttons. It shows an ImageEntry and reports what the person did; the controller
decides what that means."""

from __future__ import annotations

import itertools
from pathlib import Path

from altlens.core.alttext import (
    MAX_LENGTH,
    TARGET_LENGTH,
    Hint,
    Severity,
    character_count,
    check_alt_text,
    clean_text,
)
from altlens.desktop.models.candidates import CandidateListModel
from altlens.desktop.models.entries import ImageEntry, Status
from altlens.desktop.models.presentation import (
    confidence_text,
    error_explanation,
    file_unreadable,
    status_icon,
    status_text,
)
from altlens.desktop.views.a11y import name
from altlens.desktop.views.actions import Actions
from altlens.desktop.views.flow import flow_row
from altlens.desktop.views.labels import ElidedLabel
from PySide6.QtCore import QEvent, QObject, QPoint, QSize, Qt, QTimer, QUrl, Signal
from PySide6.QtGui import QDesktopServices, QFont, QImage, QKeyEvent, QPixmap, QResizeEvent, QTextCursor
from PySide6.QtWidgets import (
    QAbstractItemView,
    QApplication,
    QCheckBox,
    QFrame,
    QHBoxLayout,
    QLabel,
    QListView,
    QPlainTextEdit,
    QProgressBar,
    QPushButton,
    QScrollArea,
    QSizePolicy,
    QSplitter,
    QStyle,
    QToolButton,
    QVBoxLayout,
    QWidget,
)


class AltTextEdit(QPlainTextEdit):
    """One paragraph of alt text: Return does not add a line break (alt text is read as one
    line), Tab moves the focus on, pasted line breaks become spaces."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setTabChangesFocus(True)
        self.setLineWrapMode(QPlainTextEdit.LineWrapMode.WidgetWidth)

    def keyPressEvent(self, event: QKeyEvent) -> None:
        if event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter) and not event.modifiers():
            event.ignore()
            return
        super().keyPressEvent(event)

    def insertFromMimeData(self, source) -> None:
        if source.hasText():
            self.insertPlainText(clean_text(source.text()))
        else:
            super().insertFromMimeData(source)

    def text(self) -> str:
        return " ".join(self.toPlainText().split("\n"))

    def set_text(self, text: str) -> None:
        if self.text() != text:
            self.setPlainText(text)
            self.moveCursor(QTextCursor.MoveOperation.End)

    def sizeHint(self) -> QSize:
        fm = self.fontMetrics()
        return QSize(super().sizeHint().width(), fm.lineSpacing() * 3 + 12)


class PreviewLabel(QLabel):
    """The open image, scaled to the space available, never up-scaled."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._pixmap: QPixmap | None = None
        self.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.setWordWrap(True)  # a long "no preview" reason wraps inside the frame
        self.setMinimumSize(160, 72)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)
        self.setFrameShape(QFrame.Shape.StyledPanel)

    def set_image(self, image: QImage | None, placeholder: str = "") -> None:
        self._pixmap = QPixmap.fromImage(image) if image is not None else None
        if image is None:
            self.setText(placeholder)  # replaces any pixmap shown
        self._rescale()

    def resizeEvent(self, event: QResizeEvent) -> None:
        super().resizeEvent(event)
        self._rescale()

    def _rescale(self) -> None:
        if self._pixmap is None or self._pixmap.isNull():
            return  # the placeholder text stays (setPixmap would clear it)
        ratio = self.devicePixelRatioF()
        area = self.contentsRect().size() * ratio
        pix = self._pixmap
        if pix.width() > area.width() or pix.height() > area.height():
            pix = pix.scaled(
                area, Qt.AspectRatioMode.KeepAspectRatio, Qt.TransformationMode.SmoothTransformation
            )
        pix.setDevicePixelRatio(ratio)
        self.setPixmap(pix)

    def sizeHint(self) -> QSize:
        return QSize(400, 260)


class ReviewPanel(QWidget):
    text_edited = Signal(str)
    description_edited = Signal(str)
    decorative_toggled = Signal(bool)
    candidate_activated = Signal(int)  # 0-based row
    remove_requested = Signal()  # take the open image off the list

    def __init__(self, actions: Actions, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("review_panel")
        self.commands = actions
        self._entry: ImageEntry | None = None
        self._updating = False
        self.buttons: dict[str, QToolButton] = {}  # the decision buttons, in tab order

        self.title = ElidedLabel()
        self.title.setObjectName("review_title")
        font = QFont(self.title.font())
        font.setPointSizeF(font.pointSizeF() * 1.3)  # relative: follows the system font size
        font.setBold(True)
        self.title.setFont(font)
        self.title.setFocusPolicy(Qt.FocusPolicy.NoFocus)

        self.badge_icon = QLabel()
        self.badge_icon.setAccessibleName(self.tr("Status icon"))
        self.badge = QLabel()
        self.badge.setObjectName("review_badge")
        self.badge.setWordWrap(True)

        self.preview = PreviewLabel()
        self.preview.setObjectName("review_preview")

        self.error_box = QFrame()
        self.error_box.setFrameShape(QFrame.Shape.StyledPanel)
        self.error_icon = QLabel()
        self.error_icon.setPixmap(
            self.style().standardIcon(QStyle.StandardPixmap.SP_MessageBoxWarning).pixmap(32, 32)
        )
        self.error_icon.setAccessibleName(self.tr("Error"))
        # The error once: what happened in words, what to do, and the technical detail in a
        # smaller line; with the three things a person can do about it.
        self.error_text = QLabel()
        self.error_text.setObjectName("error_text")
        bold = QFont(self.error_text.font())
        bold.setBold(True)
        self.error_text.setFont(bold)
        self.error_help = QLabel()
        self.error_help.setObjectName("error_help")
        self.error_detail = QLabel()
        self.error_detail.setObjectName("error_detail")
        small = QFont(self.error_detail.font())
        small.setPointSizeF(small.pointSizeF() * 0.9)
        self.error_detail.setFont(small)
        for label in (self.error_text, self.error_help, self.error_detail):
            label.setWordWrap(True)
            label.setTextFormat(Qt.TextFormat.PlainText)
            label.setTextInteractionFlags(
                Qt.TextInteractionFlag.TextSelectableByMouse
                | Qt.TextInteractionFlag.TextSelectableByKeyboard
            )
        self.retry_button = self._button("retry", decision=False)
        self.remove_button = QPushButton(self.tr("Remove from List"))
        self.remove_button.setObjectName("button_remove_open")
        name(
            self.remove_button,
            self.tr("Remove from list"),
            self.tr("Take this image out of the list; the file is not touched"),
        )
        self.remove_button.clicked.connect(self.remove_requested)
        self.folder_button = QPushButton(self.tr("Ope&n Containing Folder"))
        self.folder_button.setObjectName("button_open_folder")
        name(
            self.folder_button,
            self.tr("Open containing folder"),
            self.tr("Show the folder that holds this file in the file manager"),
        )
        self.folder_button.clicked.connect(self.open_folder)
        texts = QVBoxLayout()
        texts.addWidget(self.error_text)
        texts.addWidget(self.error_help)
        texts.addWidget(self.error_detail)
        texts.addWidget(flow_row(self.retry_button, self.remove_button, self.folder_button))
        eb = QHBoxLayout(self.error_box)
        eb.addWidget(self.error_icon, 0, Qt.AlignmentFlag.AlignTop)
        eb.addLayout(texts, 1)

        self.candidates_label = QLabel(self.tr("&Suggestions (Alt+1 to Alt+5):"))
        self.candidate_model = CandidateListModel(self)
        self.candidates = QListView()
        self.candidates.setObjectName("candidates")
        self.candidates.setModel(self.candidate_model)
        self.candidates.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.candidates.setWordWrap(True)
        self.candidates.setUniformItemSizes(False)
        self.candidates.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Preferred)
        self.candidates.setVerticalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAsNeeded)
        name(
            self.candidates,
            self.tr("Suggestions"),
            self.tr(
                "Captions suggested by the model, best first, with its confidence. Press Enter "
                "or the number key (here, or Alt and the number anywhere) to use one."
            ),
        )
        self.candidates_label.setBuddy(self.candidates)
        self.candidates.activated.connect(lambda idx: self.candidate_activated.emit(idx.row()))

        self.text_label = QLabel(self.tr("&Alt text:"))
        self.text_edit = AltTextEdit()
        self.text_edit.setObjectName("alt_text")
        name(
            self.text_edit,
            self.tr("Alt text"),
            self.tr(
                "The text a screen reader reads for this image. Target %1 characters, at most %2."
            )
            .replace("%1", str(TARGET_LENGTH))
            .replace("%2", str(MAX_LENGTH)),
        )
        self.text_label.setBuddy(self.text_edit)
        self.text_edit.textChanged.connect(self._on_text_changed)

        self.count = QLabel()
        self.count.setObjectName("character_count")
        self.hints = QLabel()
        self.hints.setObjectName("hints")
        self.hints.setWordWrap(True)
        self.hints.setTextFormat(Qt.TextFormat.PlainText)

        self.description_label = QLabel(self.tr("Long &description (optional):"))
        self.description_edit = QPlainTextEdit()
        self.description_edit.setObjectName("description")
        self.description_edit.setTabChangesFocus(True)
        self.description_edit.setMaximumHeight(self.fontMetrics().lineSpacing() * 4 + 12)
        name(
            self.description_edit,
            self.tr("Long description"),
            self.tr(
                "Optional detail that does not fit in the alt text, for images such as charts or "
                "maps."
            ),
        )
        self.description_label.setBuddy(self.description_edit)
        self.description_edit.textChanged.connect(self._on_description_changed)

        # The improve pass: a larger model describes the image or reads its text; its answer
        # fills the long description (editable) and can be inserted into the alt text.
        self.detail_buttons: dict[str, QToolButton] = {
            n: self._button(n, decision=False) for n in ("describe", "read_text", "insert_detail")
        }
        self.detail_progress = QProgressBar()
        self.detail_progress.setObjectName("detail_progress")
        self.detail_progress.setTextVisible(True)
        name(self.detail_progress, self.tr("Detail progress"))
        self.detail_cancel = self._button("cancel_detail", decision=False)
        self.detail_status = QLabel()
        self.detail_status.setObjectName("detail_status")
        self.detail_status.setWordWrap(True)
        self.detail_status.setTextInteractionFlags(
            Qt.TextInteractionFlag.TextSelectableByMouse
            | Qt.TextInteractionFlag.TextSelectableByKeyboard
        )
        self.set_detail_busy(None)

        self.decorative = QCheckBox(self.tr("D&ecorative image: screen readers skip it"))
        self.decorative.setObjectName("decorative")
        name(
            self.decorative,
            self.tr("Decorative image"),
            self.tr("Mark images that add nothing to the content, such as ornaments or spacers."),
        )
        self.decorative.toggled.connect(self._on_decorative)

        self.on_disk = QLabel()
        self.on_disk.setObjectName("on_disk")
        self.on_disk.setWordWrap(True)
        self.on_disk.setTextInteractionFlags(
            Qt.TextInteractionFlag.TextSelectableByMouse
            | Qt.TextInteractionFlag.TextSelectableByKeyboard
        )

        # The decisions sit below the scrolling form, always on screen, and wrap onto a
        # second row rather than run off a narrow window's edge.
        self.action_bar = flow_row(
            *[
                self._button(action_name)
                for action_name in (
                    "approve",
                    "preview_write",
                    "skip",
                    "reject",
                    "regenerate",
                    "undo_write",
                )
            ]
        )
        self.action_bar.setObjectName("review_actions")

        content = QWidget()
        form = QVBoxLayout(content)
        head = QHBoxLayout()
        head.addWidget(self.badge_icon, 0, Qt.AlignmentFlag.AlignTop)
        head.addWidget(self.badge, 1)
        form.addWidget(self.error_box)
        form.addWidget(self.candidates_label)
        form.addWidget(self.candidates)
        form.addWidget(self.text_label)
        form.addWidget(self.text_edit)
        form.addWidget(self.count)
        form.addWidget(self.hints)
        form.addWidget(self.description_label)
        form.addWidget(self.description_edit)
        self.detail_row = flow_row(*self.detail_buttons.values())
        form.addWidget(self.detail_row)
        busy_row = QHBoxLayout()
        busy_row.addWidget(self.detail_progress, 1)
        busy_row.addWidget(self.detail_cancel)
        form.addLayout(busy_row)
        form.addWidget(self.detail_status)
        form.addWidget(self.decorative)
        form.addWidget(self.on_disk)
        form.addStretch(1)

        scroll = QScrollArea()
        scroll.setObjectName("review_form")
        scroll.setWidget(content)
        scroll.setWidgetResizable(True)
        scroll.setFrameShape(QFrame.Shape.NoFrame)
        scroll.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        # Everything in the form wraps to the width it gets; it never scrolls sideways.
        scroll.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.form_scroll = scroll
        # The preview above, the form below; the person can move the divider. The form gets
        # the room it needs first, so the text and buttons are visible without scrolling.
        self.splitter = QSplitter(Qt.Orientation.Vertical)
        self.splitter.setObjectName("review_splitter")
        self.splitter.setChildrenCollapsible(False)
        self.splitter.addWidget(self.preview)
        self.splitter.addWidget(scroll)
        # Growing and shrinking goes to the preview: the form keeps the height it needs
        # while there is room for it.
        self.splitter.setStretchFactor(0, 1)
        self.splitter.setStretchFactor(1, 0)
        outer = QVBoxLayout(self)
        outer.setContentsMargins(0, 0, 0, 0)
        outer.addWidget(self.title)
        outer.addLayout(head)
        outer.addWidget(self.splitter, 1)
        outer.addWidget(self.action_bar)

        # Tab order follows the work: read suggestions, edit the text, add detail, decide.
        order: list[QWidget] = [
            self.candidates,
            self.text_edit,
            self.description_edit,
            *self.detail_buttons.values(),
            self.detail_cancel,
            self.decorative,
            *self.buttons.values(),
            self.retry_button,
            self.remove_button,
            self.folder_button,
        ]
        for first, second in itertools.pairwise(order):
            QWidget.setTabOrder(first, second)
        self.show_entry(None)
        # A control that gets the focus inside the scrolling form is scrolled into view, as
        # Tab does, also when a command or the app moves the focus there.
        app = QApplication.instance()
        if isinstance(app, QApplication):
            app.focusChanged.connect(self._reveal_focus)
        self.form_scroll.installEventFilter(self)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if watched is self.form_scroll and event.type() == QEvent.Type.Resize:
            # The form got shorter (a banner, a panel opened): keep the focused field in view.
            QTimer.singleShot(0, self, self._reveal_current_focus)
        return super().eventFilter(watched, event)

    def _reveal_current_focus(self) -> None:
        self._reveal_focus(None, QApplication.focusWidget())

    def _reveal_focus(self, _old: QWidget | None, new: QWidget | None) -> None:
        content = self.form_scroll.widget()
        if new is None or content is None or not content.isAncestorOf(new):
            return
        # The whole control, not just its text cursor (what ensureWidgetVisible shows).
        top = new.mapTo(content, QPoint(0, 0)).y()
        bottom = top + new.height()
        bar = self.form_scroll.verticalScrollBar()
        view = self.form_scroll.viewport().height()
        value = bar.value()
        if bottom > value + view:
            value = bottom - view
        if top < value:
            value = top
        # The field's label above it too, where both fit.
        label_top = max(0, top - new.fontMetrics().lineSpacing() * 2)
        if label_top < value and bottom - label_top <= view:
            value = label_top
        bar.setValue(value)

    def _button(self, action_name: str, decision: bool = True) -> QToolButton:
        b = QToolButton()
        b.setObjectName(f"button_{action_name}")
        b.setDefaultAction(self.commands.all[action_name])
        b.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextBesideIcon)
        b.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        b.setAccessibleName(self.commands.all[action_name].text().replace("&", ""))
        b.setAccessibleDescription(self.commands.all[action_name].statusTip())
        if decision:
            self.buttons[action_name] = b
        return b

    # -- showing -----------------------------------------------------------------------------

    @property
    def entry(self) -> ImageEntry | None:
        return self._entry

    def show_entry(self, entry: ImageEntry | None) -> None:
        """Show `entry` (None: nothing open). Text the person is typing is not replaced when
        the same image is shown again with the same text."""
        same = entry is not None and self._entry is not None and entry.path == self._entry.path
        self._entry = entry
        self._updating = True
        try:
            enabled = entry is not None
            for w in (self.candidates, self.text_edit, self.description_edit, self.decorative):
                w.setEnabled(enabled)
            if entry is None:
                self.title.setText(self.tr("No image open"))
                self.badge.setText(
                    self.tr(
                        "Choose an image in the list and press Enter, or press F8 for the next one "
                        "needing review."
                    )
                )
                self.badge_icon.clear()
                self.preview.set_image(None, self.tr("No image open"))
                self.preview.setAccessibleName(self.tr("Preview"))
                self.candidate_model.set_candidates(())
                self.text_edit.set_text("")
                self.description_edit.setPlainText("")
                self.decorative.setChecked(False)
                self.error_box.hide()
                self._set_form_visible(True)
                self.on_disk.setText("")
                self.on_disk.hide()
                self._update_count_and_hints()
                return
            self.title.setText(entry.name)
            self.title.setAccessibleName(self.tr("Open image: %1").replace("%1", entry.name))
            self.badge.setText(self._badge_text(entry))
            self.badge_icon.setPixmap(status_icon(entry).pixmap(24, 24))
            self.badge_icon.setAccessibleName(status_text(entry))
            self.preview.setAccessibleName(self.tr("Preview of %1").replace("%1", entry.name))
            self.preview.setAccessibleDescription(entry.text)
            if not same:
                self.preview.set_image(None, self.tr("Loading preview…"))
            self.candidate_model.set_candidates(entry.candidates, entry.chosen)
            self.candidates.setEnabled(bool(entry.candidates))
            self.mark_chosen(entry.chosen)
            self._fit_candidates()
            self.text_edit.set_text(entry.text)
            if self.description_edit.toPlainText() != entry.description:
                self.description_edit.setPlainText(entry.description)
            self.decorative.setChecked(entry.decorative)
            self.text_edit.setEnabled(not entry.decorative)
            if entry.status is Status.ERROR and entry.error is not None:
                plain, todo = error_explanation(entry.error.code)
                self.error_text.setText(plain)
                self.error_help.setText(todo)
                self.error_detail.setText(
                    self.tr("Details: %1").replace("%1", entry.error.message)
                )
                self.error_box.setAccessibleName(self.tr("Error: %1").replace("%1", plain))
                self.error_box.setAccessibleDescription(f"{todo} {self.error_detail.text()}")
                self.error_box.show()
            else:
                self.error_box.hide()
            # A file that cannot be read has nothing to describe or write: the editing
            # form gives way to the error and what to do about it.
            self._set_form_visible(not file_unreadable(entry))
            if entry.on_disk:
                self.on_disk.setText(self.tr("In the file now: “%1”").replace("%1", entry.on_disk))
            else:
                self.on_disk.setText("")
            self.on_disk.setVisible(bool(entry.on_disk))
            self._update_count_and_hints()
            QTimer.singleShot(0, self, self._fit_form)  # this image's form may be taller
        finally:
            self._updating = False

    def refresh_badge(self, entry: ImageEntry) -> None:
        """Update the status line while the person types (the rest of the panel stays)."""
        self._entry = entry
        self.badge.setText(self._badge_text(entry))

    def _badge_text(self, e: ImageEntry) -> str:
        # The confidence of the suggestion in use, not of the first one (they differ once the
        # person picks another).
        score = confidence_text(e.chosen_score)
        if e.writing:
            return self.tr("Writing to the file…")
        if e.captioning or e.requested or e.status in (Status.QUEUED, Status.NEW):
            return self.tr("Waiting for a suggestion from the model…")
        if e.status is Status.ERROR:
            return self.tr("This image could not be captioned.")
        if e.status is Status.WRITTEN:
            return self.tr("Written to the file. Undo with Ctrl+Shift+Backspace.")
        if e.status is Status.APPROVED:
            if e.decorative:
                return self.tr("Approved as decorative; nothing needs writing.")
            return self.tr("Approved by you; not written to the file yet.")
        if e.status is Status.UNDONE:
            return self.tr("Write undone: the text stays approved and is no longer in the file.")
        if e.status is Status.REJECTED:
            return self.tr("Rejected: nothing will be written.")
        if e.status is Status.SKIPPED:
            return self.tr("Skipped earlier; it still needs review.")
        if e.edited:
            return self.tr("Edited by you; not approved yet.")
        if e.chosen is not None and e.chosen > 0:
            return (
                self.tr("Machine suggestion %1 (%2), chosen by you; not reviewed yet.")
                .replace("%1", str(e.chosen + 1))
                .replace("%2", score)
            )
        return self.tr(
            "Machine suggestion (%1), not reviewed yet. Check it before approving."
        ).replace("%1", score)

    def mark_chosen(self, row: int | None) -> None:
        """Show which suggestion the text is (none once the person has edited it)."""
        self.candidate_model.set_chosen(row)
        if row is None:
            self.candidates.selectionModel().clearSelection()
        else:
            self.candidates.setCurrentIndex(self.candidate_model.index(row, 0))

    def _fit_candidates(self) -> None:
        """Make the list as tall as its (up to five) suggestions at the current width, so
        wrapped ones are read whole without a scrollbar."""
        view, model = self.candidates, self.candidate_model
        rows = min(5, model.rowCount())
        frame = view.frameWidth() * 2 + 4
        line = self.fontMetrics().lineSpacing()
        if rows == 0:
            view.setFixedHeight(line + frame)
            return
        view.doItemsLayout()
        first = view.visualRect(model.index(0, 0))
        last = view.visualRect(model.index(rows - 1, 0))
        height = last.bottom() - first.top() + 1 if first.isValid() and last.isValid() else 0
        view.setFixedHeight(max(height, line * rows) + frame)
        QTimer.singleShot(0, self, self._reveal_current_focus)

    def resizeEvent(self, event: QResizeEvent) -> None:
        super().resizeEvent(event)
        if event.size().width() != event.oldSize().width():
            # Suggestions wrap differently at the new width; measure after the relayout.
            QTimer.singleShot(0, self, self._fit_candidates)
        QTimer.singleShot(0, self, self._fit_form)

    def _fit_form(self) -> None:
        """When the window changes size, give the form the height it needs before the
        preview gets more (the person's own divider position holds until then)."""
        content = self.form_scroll.widget()
        sizes = self.splitter.sizes()
        if content is None or len(sizes) != 2 or sum(sizes) <= 0:
            return
        width = self.form_scroll.viewport().width()
        needed = content.heightForWidth(width) if content.hasHeightForWidth() else -1
        if needed < 0:
            needed = content.sizeHint().height()
        total = sum(sizes)
        form = min(needed, total - self.preview.minimumHeight())
        if form > sizes[1]:
            self.splitter.setSizes([total - form, form])

    def set_preview(self, path: Path, image: QImage | None, error: str = "") -> None:
        if self._entry is not None and self._entry.path == path:
            if file_unreadable(self._entry):
                error = ""  # the error box below says why, once
            self.preview.set_image(image, error or self.tr("No preview"))

    def _set_form_visible(self, on: bool) -> None:
        for w in (
            self.candidates_label,
            self.candidates,
            self.text_label,
            self.text_edit,
            self.count,
            self.description_label,
            self.description_edit,
            self.detail_row,
            self.decorative,
        ):
            w.setVisible(on)
        if not on:
            self.hints.hide()

    def open_folder(self) -> None:
        """Show the open image's folder (or the nearest one still there) in the file manager."""
        if self._entry is None:
            return
        folder = self._entry.path.parent
        while not folder.exists() and folder != folder.parent:
            folder = folder.parent
        QDesktopServices.openUrl(QUrl.fromLocalFile(str(folder)))

    def set_detail_busy(self, what: str | None) -> None:
        """Show that the detail model is working (`what` says on what), or that it is not."""
        busy = what is not None
        # A busy indicator: one image's answer has no steps a bar could count honestly.
        self.detail_progress.setRange(0, 0 if busy else 1)
        self.detail_progress.setFormat(what or "")
        self.detail_progress.setAccessibleDescription(what or "")
        self.detail_progress.setVisible(busy)
        self.detail_cancel.setVisible(busy)
        self.detail_status.setText(what or "")
        self.detail_status.setVisible(busy)

    def insert_into_alt_text(self, text: str) -> None:
        """Insert `text` at the alt text's cursor (as typing would) and put the focus there."""
        if not self.text_edit.isEnabled():
            return
        text = clean_text(text)
        before = self.text_edit.toPlainText()[: self.text_edit.textCursor().position()]
        if before and not before.endswith(" "):
            text = " " + text
        self.text_edit.insertPlainText(text)
        self.text_edit.setFocus(Qt.FocusReason.OtherFocusReason)

    def focus_text(self) -> None:
        target = self.text_edit if self.text_edit.isEnabled() else self.decorative
        target.setFocus(Qt.FocusReason.OtherFocusReason)

    # -- reporting ---------------------------------------------------------------------------

    def _on_text_changed(self) -> None:
        self._update_count_and_hints()
        if not self._updating:
            self.text_edited.emit(self.text_edit.text())

    def _on_description_changed(self) -> None:
        if not self._updating:
            self.description_edited.emit(self.description_edit.toPlainText())

    def _on_decorative(self, on: bool) -> None:
        self.text_edit.setEnabled(not on)
        self._update_count_and_hints()
        if not self._updating:
            self.decorative_toggled.emit(on)

    def current_hints(self) -> tuple[Hint, ...]:
        if self._entry is None:
            return ()
        return check_alt_text(self.text_edit.text(), decorative=self.decorative.isChecked())

    def _update_count_and_hints(self) -> None:
        n = character_count(self.text_edit.text())
        if n > MAX_LENGTH:
            words = self.tr("%1 characters: %2 over the maximum of %3")
            words = (
                words.replace("%1", str(n))
                .replace("%2", str(n - MAX_LENGTH))
                .replace("%3", str(MAX_LENGTH))
            )
        elif n > TARGET_LENGTH:
            words = self.tr("%1 of %2 characters: over the target (maximum %3)")
            words = (
                words.replace("%1", str(n))
                .replace("%2", str(TARGET_LENGTH))
                .replace("%3", str(MAX_LENGTH))
            )
        else:
            words = self.tr("%1 of %2 characters (maximum %3)")
            words = (
                words.replace("%1", str(n))
                .replace("%2", str(TARGET_LENGTH))
                .replace("%3", str(MAX_LENGTH))
            )
        self.count.setText(words)
        self.count.setAccessibleName(self.tr("Character count: %1").replace("%1", words))
        hints = self.current_hints()
        prefix = {
            Severity.ERROR: self.tr("Problem:"),
            Severity.WARNING: self.tr("Hint:"),
            Severity.INFO: self.tr("Note:"),
        }
        text = "\n".join(f"{prefix[h.severity]} {h.message}" for h in hints)
        self.hints.setText(text)
        # After a failure the empty-text hint is beside the point until the person types.
        quiet = (
            self._entry is not None
            and self._entry.status is Status.ERROR
            and not self.text_edit.text()
        )
        self.hints.setVisible(bool(text) and self.text_edit.isVisibleTo(self) and not quiet)
        self.hints.setAccessibleName(text or self.tr("No hints"))
        # Accessible description of the field carries the hints, so they are read with it.
        base = self.tr(
            "The text a screen reader reads for this image. Target %1 characters, at most %2."
        )
        base = base.replace("%1", str(TARGET_LENGTH)).replace("%2", str(MAX_LENGTH))
        if self._entry is not None and self._entry.machine_made:
            base = self.tr("Machine suggestion, not reviewed yet.") + " " + base
        self.text_edit.setAccessibleDescription(f"{base} {words}. {text}".strip())
