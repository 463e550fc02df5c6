# SPDX-License-Identifier: GPL-3.0-or-later
"""Settings: the model and where it runs, how suggestions are made, what a write does.
Every control has a label (its buddy, with a mnemonic) and an accessible name."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from altlens.core.captioning.loading import DEFAULT_MODEL
from altlens.core.captioning.registry import BUILTIN_MODELS, family_purpose
from altlens.core.captioning.tasks import FAMILY_TASKS
from altlens.desktop.settings import OPTIONS, Settings
from altlens.desktop.views.a11y import name
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QRadioButton,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)


class SettingsDialog(QDialog):
    def __init__(
        self, settings: Settings, *, models: Sequence[str] = (), parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self.setObjectName("settings_dialog")
        self.setWindowTitle(self.tr("Settings"))
        self.settings = settings
        self._widgets: dict[str, QWidget] = {}
        layout = QVBoxLayout(self)

        # -- model --
        box = QGroupBox(self.tr("Model"))
        form = QFormLayout(box)
        self.model = QComboBox()
        self.model.setEditable(True)
        self.model.addItem(self.tr("Default (%1)").replace("%1", DEFAULT_MODEL), "")
        for m in models:
            if m and m != DEFAULT_MODEL:
                self.model.addItem(m, m)
        current = settings.value("model/name")
        if current and self.model.findData(current) < 0:
            self.model.addItem(current, current)
        self.model.setCurrentIndex(max(0, self.model.findData(current)))
        name(
            self.model,
            self.tr("Model"),
            self.tr("An installed model's name, a Hugging Face id, or a model folder"),
        )
        browse = QPushButton(self.tr("&Browse…"))
        name(browse, self.tr("Browse for a model folder"))
        browse.clicked.connect(self._browse)
        row = QHBoxLayout()
        row.addWidget(self.model, 1)
        row.addWidget(browse)
        self._add(form, self.tr("&Model:"), self.model, row)
        # The improve pass's model: the families that describe in detail and read text.
        self.detail_model = QComboBox()
        detail_current = settings.value("detail/model")
        for entry in BUILTIN_MODELS:
            if entry.family in FAMILY_TASKS:
                self.detail_model.addItem(entry.name, entry.name)
        if detail_current and self.detail_model.findData(detail_current) < 0:
            self.detail_model.addItem(detail_current, detail_current)  # a folder, say
        self.detail_model.setCurrentIndex(max(0, self.detail_model.findData(detail_current)))
        self._widgets["detail/model"] = self.detail_model
        self.detail_purpose = QLabel()
        self.detail_purpose.setObjectName("detail_purpose")
        self.detail_purpose.setWordWrap(True)
        detail_box = QVBoxLayout()
        detail_box.addWidget(self.detail_model)
        detail_box.addWidget(self.detail_purpose)
        self._add(
            form,
            self.tr("Det&ail model:"),
            self.detail_model,
            detail_box,
            self.tr(
                "The larger model used by Describe in Detail and Read Text in Image; loaded only "
                "when first asked for"
            ),
        )
        self.detail_context = self._check(
            "detail/context",
            self.tr(
                "Tell the detail model the photo's folder name, keywords, headline and location "
                "(SmolVLM2 only; shown to you when used)"
            ),
        )
        self.detail_people = self._check(
            "detail/context_people",
            self.tr("Also the names of people the photo's metadata mentions"),
        )
        self.detail_people.setEnabled(self.detail_context.isChecked())
        self.detail_context.toggled.connect(self.detail_people.setEnabled)
        detail_box.addWidget(self.detail_context)
        detail_box.addWidget(self.detail_people)
        self.detail_model.currentIndexChanged.connect(lambda _i: self._show_detail_purpose())
        self._show_detail_purpose()
        self.device = self._combo(
            "model/device",
            {
                "auto": self.tr("Automatic (GPU if available)"),
                "cpu": self.tr("CPU"),
                "cuda": self.tr("NVIDIA GPU (CUDA)"),
                "mps": self.tr("Apple GPU (Metal)"),
            },
        )
        self._add(form, self.tr("&Device:"), self.device)
        self.dtype = self._combo(
            "model/dtype",
            {
                "auto": self.tr("Automatic"),
                "float32": self.tr("Full (float32)"),
                "bfloat16": self.tr("Half (bfloat16)"),
                "float16": self.tr("Half (float16)"),
                "int8": self.tr("8-bit integers (int8)"),
                "mixed": self.tr("Half for the image, 8-bit for the text (mixed)"),
            },
        )
        self._add(form, self.tr("&Precision:"), self.dtype)
        self.batch = self._spin("model/batch_size")
        self._add(form, self.tr("Images per ba&tch:"), self.batch)
        layout.addWidget(box)

        # -- suggestions --
        box = QGroupBox(self.tr("Suggestions"))
        form = QFormLayout(box)
        self.beams = self._spin("caption/beams")
        self._add(
            form,
            self.tr("Beam search &width:"),
            self.beams,
            description=self.tr("More beams: better captions, slower. 1 means greedy decoding."),
        )
        self.candidates = self._spin("caption/candidates")
        self._add(
            form,
            self.tr("Suggestions per &image:"),
            self.candidates,
            description=self.tr("At most the beam width"),
        )
        self.max_length = self._spin("caption/max_length")
        self._add(form, self.tr("Maximum &length (tokens):"), self.max_length)
        layout.addWidget(box)

        # -- writing --
        box = QGroupBox(self.tr("Writing"))
        form = QFormLayout(box)
        self.profile = self._combo(
            "write/profile",
            {
                "standard": self.tr("Standard (IPTC alt text, XMP, EXIF description)"),
                "windows": self.tr("Standard plus Windows Explorer's title and comment"),
            },
        )
        self._add(form, self.tr("&Fields to write:"), self.profile)
        self.fill_empty = QRadioButton(self.tr("Fill &empty fields only; keep text a person wrote"))
        self.overwrite = QRadioButton(self.tr("&Replace existing text"))
        name(self.fill_empty, self.tr("Fill empty fields only"))
        name(self.overwrite, self.tr("Replace existing text"))
        (self.overwrite if settings.value("write/overwrite") else self.fill_empty).setChecked(True)
        form.addRow(self.fill_empty)
        form.addRow(self.overwrite)
        self.keep_mtime = self._check(
            "write/keep_mtime", self.tr("&Keep the files' modification dates")
        )
        form.addRow(self.keep_mtime)
        self.backup = self._check(
            "write/backup", self.tr("Keep a backup &copy of each file before its first write")
        )
        form.addRow(self.backup)
        self.sidecar = self._combo(
            "write/sidecar_style",
            {
                "append": self.tr("photo.CR2.xmp (darktable, digiKam)"),
                "replace": self.tr("photo.xmp (Lightroom, Bridge, Capture One)"),
            },
        )
        self._add(
            form,
            self.tr("New &sidecar names:"),
            self.sidecar,
            description=self.tr(
                "Used for RAW, BMP and GIF files, whose metadata goes in an XMP file beside them"
            ),
        )
        self.preview_always = QCheckBox(self.tr("Show the fields bef&ore every write"))
        self.preview_always.setChecked(settings.value("write/preview") == "always")
        name(
            self.preview_always,
            self.tr("Show the fields before every write"),
            self.tr("Otherwise they are shown before the first write of each session"),
        )
        form.addRow(self.preview_always)
        layout.addWidget(box)

        # -- review --
        box = QGroupBox(self.tr("Reviewing"))
        form = QFormLayout(box)
        self.advance = self._check(
            "review/advance", self.tr("After a decision, open the &next image needing review")
        )
        form.addRow(self.advance)
        layout.addWidget(box)

        buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok
            | QDialogButtonBox.StandardButton.Cancel
            | QDialogButtonBox.StandardButton.RestoreDefaults
        )
        for role, text in (
            (QDialogButtonBox.StandardButton.Ok, self.tr("OK")),
            (QDialogButtonBox.StandardButton.Cancel, self.tr("Cancel")),
            (QDialogButtonBox.StandardButton.RestoreDefaults, self.tr("Restore defaults")),
        ):
            name(buttons.button(role), text)
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        buttons.button(QDialogButtonBox.StandardButton.RestoreDefaults).clicked.connect(
            self.restore_defaults
        )
        layout.addWidget(buttons)

    # -- building ----------------------------------------------------------------------------

    def _add(
        self,
        form: QFormLayout,
        label: str,
        widget: QWidget,
        field: Any = None,
        description: str = "",
    ) -> None:
        lab = QLabel(label)
        lab.setBuddy(widget)
        if not widget.accessibleName():
            name(widget, label.replace("&", "").rstrip(":"), description)
        elif description:
            widget.setAccessibleDescription(description)
            widget.setToolTip(description)
        form.addRow(lab, field if field is not None else widget)

    def _combo(self, key: str, labels: dict[str, str]) -> QComboBox:
        combo = QComboBox()
        for value in OPTIONS[key].choices:
            combo.addItem(labels.get(value, value), value)
        combo.setCurrentIndex(max(0, combo.findData(self.settings.value(key))))
        self._widgets[key] = combo
        return combo

    def _spin(self, key: str) -> QSpinBox:
        opt = OPTIONS[key]
        spin = QSpinBox()
        spin.setRange(opt.minimum or 0, opt.maximum or 999)
        spin.setValue(self.settings.value(key))
        self._widgets[key] = spin
        return spin

    def _check(self, key: str, text: str) -> QCheckBox:
        box = QCheckBox(text)
        box.setChecked(bool(self.settings.value(key)))
        name(box, text.replace("&", ""))
        self._widgets[key] = box
        return box

    def _show_detail_purpose(self) -> None:
        """What the chosen detail model is good for, next to it (and read with it)."""
        chosen = self.detail_model.currentData() or ""
        entry = next((e for e in BUILTIN_MODELS if e.name == chosen), None)
        text = (
            f"{family_purpose(entry.family)}. {entry.description}."
            if entry is not None
            else self.tr("A model folder of the Florence-2 or SmolVLM2 family")
        )
        self.detail_purpose.setText(text)
        self.detail_model.setAccessibleDescription(text)

    def _browse(self) -> None:
        folder = QFileDialog.getExistingDirectory(self, self.tr("Choose a model folder"))
        if folder:
            self.model.setEditText(folder)

    # -- results -----------------------------------------------------------------------------

    def values(self) -> dict[str, Any]:
        out: dict[str, Any] = {}
        text = self.model.currentText().strip()
        idx = self.model.findText(text)
        out["model/name"] = (
            "" if idx == 0 or not text else self.model.itemData(idx) if idx > 0 else text
        )
        for key, w in self._widgets.items():
            if isinstance(w, QComboBox):
                out[key] = w.currentData()
            elif isinstance(w, QSpinBox):
                out[key] = w.value()
            elif isinstance(w, QCheckBox):
                out[key] = w.isChecked()
        out["write/overwrite"] = self.overwrite.isChecked()
        out["write/preview"] = "always" if self.preview_always.isChecked() else "first"
        # A beam search cannot return more candidates than beams; say so by adjusting.
        if out["caption/beams"] > 1:
            out["caption/candidates"] = min(out["caption/candidates"], out["caption/beams"])
        return out

    def apply(self) -> list[str]:
        """Store the values; returns the keys that changed."""
        changed = []
        for key, value in self.values().items():
            if self.settings.value(key) != value:
                self.settings.set_value(key, value)
                changed.append(key)
        return changed

    def restore_defaults(self) -> None:
        for key, w in self._widgets.items():
            default = OPTIONS[key].default
            if isinstance(w, QComboBox):
                w.setCurrentIndex(max(0, w.findData(default)))
            elif isinstance(w, QSpinBox):
                w.setValue(default)
            elif isinstance(w, QCheckBox):
                w.setChecked(default)
        self.model.setCurrentIndex(0)
        self.fill_empty.setChecked(not OPTIONS["write/overwrite"].default)
        self.overwrite.setChecked(OPTIONS["write/overwrite"].default)
        self.preview_always.setChecked(OPTIONS["write/preview"].default == "always")
