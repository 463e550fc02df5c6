# SPDX-License-Identifier: GPL-3.0-or-later
"""The watched folders, as a list for the folders panel."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

from PySide6.QtCore import (
    QAbstractListModel,
    QCoreApplication,
    QModelIndex,
    QObject,
    QPersistentModelIndex,
    Qt,
)

FOLDER_ROLE = Qt.ItemDataRole.UserRole + 1
_Index = QModelIndex | QPersistentModelIndex


class FolderListModel(QAbstractListModel):
    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._folders: list[Any] = []

    def set_folders(self, folders: Sequence[Any]) -> None:
        self.beginResetModel()
        self._folders = list(folders)
        self.endResetModel()

    def folder(self, row: int) -> Any:
        return self._folders[row] if 0 <= row < len(self._folders) else None

    def row_of(self, path: Path) -> int:
        return next((i for i, f in enumerate(self._folders) if Path(f.path) == Path(path)), -1)

    def rowCount(self, parent: _Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self._folders)

    def data(self, index: _Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid() or not 0 <= index.row() < len(self._folders) or index.column() != 0:
            return None
        f = self._folders[index.row()]
        if role in (
            Qt.ItemDataRole.DisplayRole,
            Qt.ItemDataRole.AccessibleTextRole,
            Qt.ItemDataRole.ToolTipRole,
        ):
            notes = [
                QCoreApplication.translate("Folders", "with subfolders")
                if f.recursive
                else QCoreApplication.translate("Folders", "this folder only")
            ]
            if f.paused:
                notes.append(QCoreApplication.translate("Folders", "paused"))
            return f"{f.path} ({', '.join(notes)})"
        if role == FOLDER_ROLE:
            return f
        return None

    def flags(self, index: _Index) -> Qt.ItemFlag:
        if not index.isValid():
            return Qt.ItemFlag.NoItemFlags
        return Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable
