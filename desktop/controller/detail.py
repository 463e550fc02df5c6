# SPDX-License-Identifier: GPL-3.0-or-later
"""The improve pass: "Describe in detail" and "Read text in image" ask the detail model (a
larger prompted model, settings key detail/model) about the open image on its own thread;
the answer fills the image's long description draft, which the person edits and which is
written to XMP-iptcCore:ExtDescrAccessibility on approval with the alt text. "Insert into alt
text" puts the last answer at the alt text's cursor.

One request at a time: the person asked about one image and waits for it (Escape cancels).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from altlens.core.alttext import character_count
from altlens.core.types import CaptionResult, ErrorInfo
from altlens.desktop.controller.parts import Parts
from altlens.desktop.workers.describer import Describe
from PySide6.QtCore import QObject

if TYPE_CHECKING:
    from altlens.desktop.controller.session import ReviewSession


@dataclass(frozen=True)
class _Answer:
    path: Path
    task: str
    text: str


class Detail(QObject):
    def __init__(self, parts: Parts, session: ReviewSession, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.p = parts
        self.say = parts.say
        self.session = session
        self.pending: Describe | None = None
        self._answers: dict[Path, _Answer] = {}  # the last answer per image, for Insert
        self._filled: dict[Path, str] = {}  # the description as the last answer left it

    @property
    def available(self) -> bool:
        return self.p.describer is not None

    def model_name(self) -> str:
        return str(self.p.settings.value("detail/model") or "florence-2-base")

    # -- commands ------------------------------------------------------------------------------

    def describe(self) -> None:
        self._ask("long")

    def read_text(self) -> None:
        self._ask("ocr")

    def _ask(self, task: str) -> None:
        entry = self.session.entry()
        if entry is None:
            self.say.nothing_open()
            return
        if self.pending is not None:
            self.say.detail_busy(self.pending.path.name)
            return
        if self.p.describer is None:
            return
        model = self.model_name()
        settings = self.p.settings
        use_context = bool(settings.value("detail/context"))
        request = Describe(
            entry.path,
            task,
            model,
            device=settings.value("model/device"),
            use_context=use_context,
            people=use_context and bool(settings.value("detail/context_people")),
        )
        self.pending = request
        ocr = task == "ocr"
        what = (
            self.tr("Reading the text in %1…") if ocr else self.tr("Describing %1 in detail…")
        ).replace("%1", entry.name)
        self.p.window.review.set_detail_busy(what)
        self.session.update_actions()
        self.say.detail_started(entry.name, ocr=ocr, model=model)
        self.p.describer.submit(request)

    def on_context(self, request: object, context: str) -> None:
        """The context is shown and said before the model's answer uses it."""
        if not isinstance(request, Describe) or request != self.pending:
            return
        message = self.say.context_used(request.path.name, context)
        self.p.window.review.detail_status.setText(message)

    def cancel(self) -> None:
        if self.pending is not None and self.p.describer is not None:
            self.p.describer.cancel()

    def insert(self) -> None:
        entry = self.session.entry()
        answer = self._answers.get(entry.path) if entry is not None else None
        if entry is None or answer is None:
            self.say.nothing_to_insert()
            return
        text = f"“{answer.text}”" if answer.task == "ocr" else answer.text
        review = self.p.window.review
        review.insert_into_alt_text(text)
        self.say.inserted(character_count(review.text_edit.text()))

    # -- answers -------------------------------------------------------------------------------

    def on_done(self, request: object, result: object) -> None:
        if not isinstance(request, Describe) or not isinstance(result, CaptionResult):
            return
        self._finish()
        entry = self.p.images.entry(request.path)
        if entry is None:
            return  # removed from the list meanwhile
        ocr = request.task == "ocr"
        if not result.ok or not (result.caption or "").strip():
            error = result.error or ErrorInfo("empty-answer", "The model gave no answer.")
            if ocr and error.code == "empty-answer":
                self.say.no_text_found(entry.name)
            else:
                self.say.no_description(entry.name, error)
            return
        text = (result.caption or "").strip()
        previous = self._answers.get(request.path)
        self._answers[request.path] = _Answer(request.path, request.task, text)
        self.session.update_actions()
        mine = entry.description.strip()
        if (
            not ocr
            and previous is not None
            and previous.task == "long"
            and mine == self._filled.get(request.path)
            and mine.endswith(previous.text)
        ):
            # Nobody touched the last detailed description: the new one takes its place.
            mine = mine[: len(mine) - len(previous.text)].rstrip()
        if ocr:
            line = self.tr("Text in the image: “%1”").replace("%1", text)
            description = f"{mine}\n{line}" if mine else line
        else:
            # Never replace what the person wrote (or what Read Text added): add after it.
            description = f"{mine}\n\n{text}" if mine else text
        self._filled[request.path] = description
        self.p.images.update(entry.with_(description=description))
        if request.path == self.session.current:
            self.session.show_current()
        if ocr:
            self.say.text_found(entry.name, text)
        else:
            self.say.detail_ready(entry.name)

    def on_failed(self, request: object, error: ErrorInfo) -> None:
        if not isinstance(request, Describe):
            return
        self._finish()
        name = request.path.name
        if error.code == "cancelled":
            self.say.detail_cancelled(name)
        else:
            self.say.detail_failed(name, error)

    def _finish(self) -> None:
        self.pending = None
        self.p.window.review.set_detail_busy(None)
        self.session.update_actions()

    # -- action state --------------------------------------------------------------------------

    def update_actions(self, has: bool) -> None:
        a = self.p.window.commands
        idle = self.pending is None
        a.describe.setEnabled(self.available and has and idle)
        a.read_text.setEnabled(self.available and has and idle)
        entry = self.session.entry()
        a.insert_detail.setEnabled(
            has
            and entry is not None
            and entry.path in self._answers
            and not entry.decorative
        )
        a.cancel_detail.setEnabled(not idle)
