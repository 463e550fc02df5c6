# SPDX-License-Identifier: GPL-3.0-or-later
"""The captioning models AltLens knows, as a table for the model manager dialog."""

from __future__ import annotations

import contextlib
import json
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from altlens.core.captioning.registry import family_purpose
from altlens.core.progress import format_bytes
from PySide6.QtCore import (
    QAbstractTableModel,
    QCoreApplication,
    QModelIndex,
    QObject,
    QPersistentModelIndex,
    Qt,
)

RECORD_ROLE = Qt.ItemDataRole.UserRole + 1
_Index = QModelIndex | QPersistentModelIndex


@dataclass(frozen=True)
class ExternalModel:
    """The model in use when the store does not list it: a folder given with `--model DIR`.
    Shown so the manager always says what captions;
    AltLens never verifies or deletes a folder it does not manage."""

    name: str
    path: Path | None
    repo_id: str | None = None
    size_bytes: int | None = None
    default: bool = False
    source: str = "external"
    family: str | None = None
    license: str | None = None
    description: str = ""
    builtin: bool = False

    @property
    def downloaded(self) -> bool:
        return True  # it is in use, so it is here

    @classmethod
    def for_spec(cls, spec: str) -> ExternalModel:
        folder = Path(spec).expanduser()
        family = None
        with contextlib.suppress(OSError, ValueError, AttributeError):  # no family shown
            family = json.loads((folder / "config.json").read_text("utf-8")).get("model_type")
        return cls(name=folder.name or spec, path=folder, family=family)


class ModelCatalogModel(QAbstractTableModel):
    COLUMNS = ("name", "state", "size", "family", "good_for", "license")

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._records: list[Any] = []
        self._in_use: str = ""

    def set_records(self, records: Sequence[Any]) -> None:
        self.beginResetModel()
        self._records = [r for r in records if not isinstance(r, ExternalModel)]
        self._add_external()
        self.endResetModel()

    def set_in_use(self, name: str) -> None:
        before = [r for r in self._records if isinstance(r, ExternalModel)]
        self._in_use = name
        managed = [r for r in self._records if not isinstance(r, ExternalModel)]
        if before or (name and not any(self.in_use(r) for r in managed)):
            # The row for a model from outside the store comes or goes.
            self.beginResetModel()
            self._records = managed
            self._add_external()
            self.endResetModel()
        elif self._records:
            self.dataChanged.emit(self.index(0, 1), self.index(len(self._records) - 1, 1))

    def _add_external(self) -> None:
        # Only a folder: a store name that is not listed was removed, and is not in use.
        if (
            self._in_use
            and Path(self._in_use).expanduser().is_dir()
            and not any(self.in_use(r) for r in self._records)
        ):
            self._records.insert(0, ExternalModel.for_spec(self._in_use))

    def record(self, row: int) -> Any:
        return self._records[row] if 0 <= row < len(self._records) else None

    def row_of(self, name: str) -> int:
        return next((i for i, r in enumerate(self._records) if name in (r.name, r.repo_id)), -1)

    def in_use(self, record: Any) -> bool:
        """The model AltLens captions with (a model that is not here is not in use)."""
        if isinstance(record, ExternalModel):
            return True
        if not record.downloaded:
            return False
        if self._in_use:
            return self._in_use in (
                record.name,
                record.repo_id,
                str(record.path) if record.path else None,
            )
        return bool(record.default)

    def state_text(self, r: Any) -> str:
        if isinstance(r, ExternalModel):
            if r.path is not None:
                return QCoreApplication.translate("ModelCatalog", "In use, from %1").replace(
                    "%1", str(r.path)
                )
            return QCoreApplication.translate("ModelCatalog", "In use")
        parts = []
        if self.in_use(r):
            parts.append(QCoreApplication.translate("ModelCatalog", "in use"))
        if r.default:
            parts.append(QCoreApplication.translate("ModelCatalog", "default"))
        if r.source == "imported":
            parts.append(QCoreApplication.translate("ModelCatalog", "imported"))
        elif r.source == "hub-cache":
            parts.append(QCoreApplication.translate("ModelCatalog", "on this computer"))
        else:
            parts.append(QCoreApplication.translate("ModelCatalog", "not downloaded"))
        text = ", ".join(parts)
        return text[:1].upper() + text[1:]

    def rowCount(self, parent: _Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self._records)

    def columnCount(self, parent: _Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self.COLUMNS)

    def headerData(
        self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole
    ) -> Any:
        if (
            orientation != Qt.Orientation.Horizontal
            or role != Qt.ItemDataRole.DisplayRole
            or not 0 <= section < len(self.COLUMNS)
        ):
            return None
        return (
            QCoreApplication.translate("ModelCatalog", "Model"),
            QCoreApplication.translate("ModelCatalog", "State"),
            QCoreApplication.translate("ModelCatalog", "Size"),
            QCoreApplication.translate("ModelCatalog", "Family"),
            QCoreApplication.translate("ModelCatalog", "Good for"),
            QCoreApplication.translate("ModelCatalog", "Licence"),
        )[section]

    def data(self, index: _Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if (
            not index.isValid()
            or not 0 <= index.row() < len(self._records)
            or not 0 <= index.column() < len(self.COLUMNS)
        ):
            return None
        r = self._records[index.row()]
        col = self.COLUMNS[index.column()]
        if role == RECORD_ROLE:
            return r
        if role in (Qt.ItemDataRole.DisplayRole, Qt.ItemDataRole.AccessibleTextRole):
            if col == "name":
                return r.name
            if col == "state":
                return self.state_text(r)
            if col == "size":
                if r.size_bytes is None:
                    return ""
                size = format_bytes(r.size_bytes)
                return (
                    size
                    if r.downloaded
                    else QCoreApplication.translate("ModelCatalog", "about %1").replace("%1", size)
                )
            if col == "family":
                return r.family or ""
            if col == "good_for":
                return family_purpose(r.family or "")
            return r.license or ""
        if role == Qt.ItemDataRole.ToolTipRole:
            lines = [r.name]
            if family_purpose(r.family or ""):
                lines.append(family_purpose(r.family or ""))
            if r.description:
                lines.append(r.description)
            if r.path is not None:
                lines.append(str(r.path))
            return "\n".join(lines)
        return None

    def flags(self, index: _Index) -> Qt.ItemFlag:
        if not index.isValid():
            return Qt.ItemFlag.NoItemFlags
        return Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable
