# SPDX-License-Identifier: GPL-3.0-or-later
"""The candidate captions of the open image, numbered as the keys 1-5 that pick them."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from altlens.core.types import Candidate
from altlens.desktop.models.presentation import confidence_text
from PySide6.QtCore import QAbstractListModel, QModelIndex, QObject, QPersistentModelIndex, Qt

CANDIDATE_ROLE = Qt.ItemDataRole.UserRole + 1
SCORE_ROLE = Qt.ItemDataRole.UserRole + 2


class CandidateListModel(QAbstractListModel):
    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._candidates: tuple[Candidate, ...] = ()
        self._chosen: int | None = None

    def set_candidates(self, candidates: Sequence[Candidate], chosen: int | None = None) -> None:
        candidates = tuple(candidates)
        if candidates == self._candidates:
            self.set_chosen(chosen)
            return
        self.beginResetModel()
        self._candidates = candidates
        self._chosen = chosen
        self.endResetModel()

    def set_chosen(self, chosen: int | None) -> None:
        if chosen == self._chosen:
            return
        old = self._chosen
        self._chosen = chosen
        for row in (old, chosen):
            if row is not None and 0 <= row < len(self._candidates):
                idx = self.index(row, 0)
                self.dataChanged.emit(idx, idx)

    def candidate(self, row: int) -> Candidate | None:
        return self._candidates[row] if 0 <= row < len(self._candidates) else None

    def rowCount(self, parent: QModelIndex | QPersistentModelIndex = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self._candidates)

    def data(
        self, index: QModelIndex | QPersistentModelIndex, role: int = Qt.ItemDataRole.DisplayRole
    ) -> Any:
        if (
            not index.isValid()
            or not 0 <= index.row() < len(self._candidates)
            or index.column() != 0
        ):
            return None
        row = index.row()
        cand = self._candidates[row]
        chosen = row == self._chosen
        if role == Qt.ItemDataRole.DisplayRole:
            mark = "\N{CHECK MARK} " if chosen else ""
            return f"{row + 1}. {mark}{cand.text}  ({confidence_text(cand.score)})"
        if role == Qt.ItemDataRole.AccessibleTextRole:
            text = self.tr("Suggestion %1: %2, %3").replace("%1", str(row + 1))
            text = text.replace("%2", cand.text).replace("%3", confidence_text(cand.score))
            if chosen:
                text += self.tr(", in use")
            return text
        if role == Qt.ItemDataRole.ToolTipRole:
            return self.tr("Press Alt+%1 (or %1 in this list) to use this suggestion").replace(
                "%1", str(row + 1)
            )
        if role == CANDIDATE_ROLE:
            return cand
        if role == SCORE_ROLE:
            return cand.score
        return None

    def flags(self, index: QModelIndex | QPersistentModelIndex) -> Qt.ItemFlag:
        if not index.isValid():
            return Qt.ItemFlag.NoItemFlags
        return Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable
