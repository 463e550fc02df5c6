# SPDX-License-Identifier: GPL-3.0-or-later
"""The model manager dialog: which captioning models are on this computer, and getting one
(download with progress and cancel, or import of a folder copied from another computer),
checking it, removing it, and choosing the one AltLens uses. The work runs on the model
thread (desktop.workers.models); the dialog only shows it."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from altlens.core.captioning.registry import family_purpose
from altlens.core.progress import format_bytes
from altlens.core.types import ErrorInfo
from altlens.desktop.models.catalog import ExternalModel, ModelCatalogModel
from altlens.desktop.views.a11y import Announcer, name
from altlens.desktop.workers.models import (
    Download,
    ImportFolder,
    ModelWorker,
    Remove,
    Verify,
)
from PySide6.QtCore import QItemSelectionModel, Qt, QTimer, Signal
from PySide6.QtWidgets import (
    QAbstractItemView,
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QMessageBox,
    QProgressBar,
    QPushButton,
    QTableView,
    QVBoxLayout,
    QWidget,
)


class ModelManagerDialog(QDialog):
    """`model_chosen(name)` when the person picks the model AltLens should use."""

    model_chosen = Signal(str)

    def __init__(self, worker: ModelWorker, *, in_use: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("model_manager")
        self.setWindowTitle(self.tr("Models"))
        self.worker = worker
        self.catalog = ModelCatalogModel(self)
        self.catalog.set_in_use(in_use)
        self._busy = ""

        intro = QLabel(
            self.tr(
                "AltLens captions with a model stored on this computer. Download one once "
                "(the only time AltLens uses the internet), or import a model folder copied "
                "from another computer; then everything works offline. Each family is good for "
                "something else: the small ones caption many photos fast; Florence-2 and "
                "SmolVLM2 describe in detail and read text (Settings, detail model)."
            )
        )
        intro.setWordWrap(True)

        self.table = QTableView()
        self.table.setObjectName("model_table")
        self.table.setModel(self.catalog)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setTabKeyNavigation(False)
        self.table.verticalHeader().hide()
        self.table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        self.table.horizontalHeader().setStretchLastSection(True)
        self.table.horizontalHeader().setAccessibleName(self.tr("Column headers"))
        self.table.verticalHeader().setAccessibleName(self.tr("Row numbers"))
        name(
            self.table,
            self.tr("Models"),
            self.tr("Captioning models AltLens knows; select one to act on it"),
        )
        self.details = QLabel()
        self.details.setObjectName("model_details")
        self.details.setWordWrap(True)
        self.details.setTextInteractionFlags(
            Qt.TextInteractionFlag.TextSelectableByMouse
            | Qt.TextInteractionFlag.TextSelectableByKeyboard
        )

        self.use_button = self._button(
            self.tr("&Use This Model"), self.tr("Caption with the selected model from now on")
        )
        self.download_button = self._button(
            self.tr("&Download"), self.tr("Download the selected model from Hugging Face")
        )
        self.verify_button = self._button(
            self.tr("&Verify"), self.tr("Check the model's files against their recorded hashes")
        )
        self.remove_button = self._button(
            self.tr("&Remove"), self.tr("Delete the selected model's files from this computer")
        )
        self.import_button = self._button(
            self.tr("&Import Folder…"),
            self.tr("Copy a model folder from another computer into AltLens"),
        )
        row = QHBoxLayout()
        for b in (self.use_button, self.download_button, self.verify_button, self.remove_button):
            row.addWidget(b)
        row.addStretch(1)
        row.addWidget(self.import_button)

        self.other_label = QLabel(self.tr("Other &model (Hugging Face id):"))
        self.other = QLineEdit()
        self.other.setObjectName("other_model")
        self.other.setPlaceholderText("owner/model-name")
        name(
            self.other,
            self.tr("Other model, as a Hugging Face id"),
            self.tr(
                "Any image captioning model of a supported family, for example "
                "Salesforce/blip-image-captioning-base"
            ),
        )
        self.other_label.setBuddy(self.other)
        self.other_button = self._button(
            self.tr("Download &Other"), self.tr("Download the model named in the field")
        )
        other_row = QHBoxLayout()
        other_row.addWidget(self.other_label)
        other_row.addWidget(self.other, 1)
        other_row.addWidget(self.other_button)

        self.progress = QProgressBar()
        self.progress.setObjectName("model_progress")
        self.progress.setTextVisible(True)
        name(self.progress, self.tr("Model progress"))
        self.cancel_button = self._button(
            self.tr("&Cancel"), self.tr("Stop the download, import or check in progress")
        )
        progress_row = QHBoxLayout()
        progress_row.addWidget(self.progress, 1)
        progress_row.addWidget(self.cancel_button)
        self.progress.hide()
        self.cancel_button.hide()

        self.status = QLabel()
        self.status.setObjectName("model_status")
        self.status.setWordWrap(True)
        self.status.setTextInteractionFlags(
            Qt.TextInteractionFlag.TextSelectableByMouse
            | Qt.TextInteractionFlag.TextSelectableByKeyboard
        )
        name(self.status, self.tr("Status"))
        self.announcer = Announcer(self.status, self)

        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        close = buttons.button(QDialogButtonBox.StandardButton.Close)
        name(close, self.tr("Close"), self.tr("A download goes on after the dialog closes"))
        buttons.rejected.connect(self.reject)

        layout = QVBoxLayout(self)
        layout.addWidget(intro)
        layout.addWidget(self.table, 1)
        layout.addWidget(self.details)
        layout.addLayout(row)
        layout.addLayout(other_row)
        layout.addLayout(progress_row)
        layout.addWidget(self.status)
        layout.addWidget(buttons)
        self.resize(820, 520)

        self.table.selectionModel().currentRowChanged.connect(lambda *_: self._update())
        self.use_button.clicked.connect(self._use)
        self.download_button.clicked.connect(lambda: self._start(Download))
        self.other_button.clicked.connect(self._download_other)
        self.other.returnPressed.connect(self._download_other)
        self.verify_button.clicked.connect(lambda: self._start(Verify))
        self.remove_button.clicked.connect(self._remove)
        self.import_button.clicked.connect(self.choose_import)
        self.cancel_button.clicked.connect(self.worker.cancel)
        Q = Qt.ConnectionType.QueuedConnection
        # Bound methods, not lambdas: a queued lambda would run in the worker's thread.
        worker.models_listed.connect(self._on_listed, Q)
        worker.started.connect(self._on_started, Q)
        worker.download_progress.connect(self._on_download_progress, Q)
        worker.file_progress.connect(self._on_file_progress, Q)
        worker.done.connect(self._on_done, Q)
        worker.failed.connect(self._on_failed, Q)
        self._update()
        worker.refresh()

    def _button(self, text: str, description: str) -> QPushButton:
        b = QPushButton(text)
        name(b, text.replace("&", "").rstrip("…"), description)
        return b

    # -- state ---------------------------------------------------------------------------------

    def _selected(self) -> Any:
        idx = self.table.currentIndex()
        return self.catalog.record(idx.row()) if idx.isValid() else None

    def _selected_name(self) -> str:
        r = self._selected()
        return r.name if r is not None else ""

    def _update(self) -> None:
        r = self._selected()
        idle = not self._busy
        # A folder given with --model is not AltLens's to check against hashes or delete.
        managed = r is not None and not isinstance(r, ExternalModel)
        self.use_button.setEnabled(
            idle and r is not None and r.downloaded and not self.catalog.in_use(r)
        )
        self.download_button.setEnabled(idle and managed and not r.downloaded)
        self.verify_button.setEnabled(idle and managed and r.downloaded)
        self.remove_button.setEnabled(idle and managed and r.downloaded)
        self.import_button.setEnabled(idle)
        self.other_button.setEnabled(idle)
        self.other.setEnabled(idle)
        if r is None:
            self.details.setText(self.tr("Select a model to see what it is."))
        else:
            lines = [f"{r.name} — {self.catalog.state_text(r)}"]
            purpose = family_purpose(r.family or "")
            if purpose:
                lines.append(self.tr("Good for: %1").replace("%1", purpose))
            if r.description:
                lines.append(r.description)
            if isinstance(r, ExternalModel):
                lines.append(
                    self.tr(
                        "Given when AltLens was started (--model); AltLens does not manage this "
                        "folder. Choose another model to use one from this list."
                    )
                )
            elif r.path is not None:
                lines.append(self.tr("Stored in %1").replace("%1", str(r.path)))
            self.details.setText("\n".join(lines))
        self.details.setAccessibleName(self.details.text())

    def _on_listed(self, records: tuple[Any, ...]) -> None:
        keep = self._selected_name()
        self.catalog.set_records(records)
        row = (
            self.catalog.row_of(keep)
            if keep
            else next(
                (
                    i
                    for i in range(self.catalog.rowCount())
                    if self.catalog.in_use(self.catalog.record(i))
                ),
                0,
            )
        )
        if self.catalog.rowCount():
            self.table.selectionModel().setCurrentIndex(
                self.catalog.index(max(row, 0), 0),
                QItemSelectionModel.SelectionFlag.ClearAndSelect
                | QItemSelectionModel.SelectionFlag.Rows,
            )
        self.table.resizeColumnsToContents()
        # The model in use, selected above, is in view however long the list (once the rows
        # have their heights).
        QTimer.singleShot(0, self, lambda: self.table.scrollTo(self.table.currentIndex()))
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(self.catalog.columnCount() - 1, QHeaderView.ResizeMode.Stretch)
        self._update()

    def _start(self, request_type: type[Download] | type[Verify]) -> None:
        model = self._selected_name()
        if model:
            self.worker.submit(request_type(model))

    def _download_other(self) -> None:
        text = self.other.text().strip()
        if not text:
            self.announcer.announce(
                self.tr("Type a Hugging Face model id first, such as owner/model-name."),
                assertive=True,
            )
            self.other.setFocus()
            return
        self.worker.download(text)

    def _use(self) -> None:
        r = self._selected()
        if r is None or not r.downloaded:
            return
        self.catalog.set_in_use(r.name)
        row = self.catalog.row_of(r.name)
        if row >= 0:
            self.table.selectRow(row)  # the list may have lost its row from outside the store
        self.model_chosen.emit(r.name)
        self.announcer.announce(self.tr("AltLens now captions with %1.").replace("%1", r.name))
        self._update()

    def _remove(self) -> None:
        r = self._selected()
        if r is None:
            return
        answer = QMessageBox.question(
            self,
            self.tr("Remove model"),
            self.tr(
                "Delete the files of %1 (%2) from this computer? You can download or import it "
                "again later."
            )
            .replace("%1", r.name)
            .replace("%2", format_bytes(r.size_bytes or 0)),
            QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.No,
            QMessageBox.StandardButton.No,
        )
        if answer == QMessageBox.StandardButton.Yes:
            self.worker.remove(r.name)

    def choose_import(self) -> None:
        folder = QFileDialog.getExistingDirectory(self, self.tr("Choose a model folder to import"))
        if folder:
            self.worker.import_folder(Path(folder))

    # -- progress ------------------------------------------------------------------------------

    def _on_started(self, request: Download | ImportFolder | Verify | Remove) -> None:
        match request:
            case Download(name=model):
                what, self._busy = self.tr("Downloading %1…"), "download"
            case ImportFolder(folder=folder, name=as_name):
                what, self._busy = self.tr("Importing %1…"), "import"
                model = as_name or str(folder)
            case Verify(name=model):
                what, self._busy = self.tr("Checking %1…"), "verify"
            case Remove(name=model):
                what, self._busy = self.tr("Removing %1…"), "remove"
        self.announcer.announce(what.replace("%1", model))
        self.progress.setRange(0, 0)
        self.progress.setFormat(what.replace("%1", model))
        self.progress.show()
        self.cancel_button.setVisible(not isinstance(request, Remove))
        self._update()

    def _on_download_progress(self, p: Any) -> None:
        if p.bytes_total:
            self.progress.setRange(0, 1000)
            self.progress.setValue(int(1000 * p.fraction))
        text = (
            self.tr("%1: %2 of %3")
            .replace("%1", p.repo_id)
            .replace("%2", format_bytes(p.bytes_done))
            .replace("%3", format_bytes(p.bytes_total))
        )
        if p.bytes_per_second:
            text += self.tr(", %1/s").replace("%1", format_bytes(p.bytes_per_second))
        if p.eta_seconds is not None and p.phase == "downloading":
            minutes = round(p.eta_seconds / 60)
            text += ", " + (
                self.tr("about %n minute(s) left", "", minutes)
                if minutes
                else self.tr("less than a minute left")
            )
        if p.phase == "verifying":
            text += self.tr(" — checking the files")
        self.progress.setFormat(text)
        self.progress.setAccessibleDescription(text)

    def _on_file_progress(self, p: Any) -> None:
        if p.bytes_total:
            self.progress.setRange(0, 1000)
            self.progress.setValue(int(1000 * p.fraction))
        text = (
            self.tr("%1: %2 of %3")
            .replace("%1", p.name)
            .replace("%2", format_bytes(p.bytes_done))
            .replace("%3", format_bytes(p.bytes_total))
        )
        self.progress.setFormat(text)
        self.progress.setAccessibleDescription(text)

    def _finished(self, message: str, select: str = "") -> None:
        self._busy = ""
        self.progress.hide()
        self.cancel_button.hide()
        self.announcer.announce(message)
        if select:
            row = self.catalog.row_of(select)
            if row >= 0:
                self.table.selectRow(row)
        self._update()

    def _on_verified(self, report: Any) -> None:
        if report.ok:
            msg = self.tr(
                "%1: all %n file(s) match their recorded hashes.", "", report.verified
            ).replace("%1", report.model.name)
        else:
            bad = ", ".join(f"{f.name} ({f.status})" for f in report.problems)
            msg = (
                self.tr("%1 is damaged: %2. Download or import it again.")
                .replace("%1", report.model.name)
                .replace("%2", bad)
            )
        self._finished(msg)

    def _on_done(self, request: object, result: Any) -> None:
        match request:
            case Download():
                self._finished(
                    self.tr("Downloaded %1; it works offline now.").replace("%1", result.name),
                    result.name,
                )
            case ImportFolder():
                self._finished(self.tr("Imported %1.").replace("%1", result.name), result.name)
            case Verify():
                self._on_verified(result)
            case Remove():
                self._finished(self.tr("Removed %1 from this computer.").replace("%1", result.name))

    def _on_failed(self, request: object, error: ErrorInfo) -> None:
        if error.code == "cancelled":
            self._finished(self.tr("Stopped. Nothing half-finished was kept in use."))
            return
        self._busy = ""
        self.progress.hide()
        self.cancel_button.hide()
        self.announcer.announce(error.message, assertive=True)
        self._update()
