# SPDX-License-Identifier: GPL-3.0-or-later
"""Model status: loading, ready or missing, and the captioning run (progress, pause, cancel)."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from altlens.core.types import ErrorInfo
from altlens.desktop.controller.parts import Parts
from altlens.desktop.workers.captioner import Progress
from PySide6.QtCore import QObject

if TYPE_CHECKING:  # the engine module stays unloaded until the captioner thread needs it
    from altlens.core.captioning.engine import LoadedModelInfo

MODEL_MISSING_CODES = {"model-not-found"}


class ModelStatus(QObject):
    def __init__(self, parts: Parts, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.p = parts
        self.say = parts.say
        self.ready = False
        self.error: ErrorInfo | None = None
        # Called when what the person can do changes (set by ReviewController).
        self.changed: Callable[[], None] = lambda: None

    def reload_model(self) -> None:
        self.p.captioner.load_model(self.p.settings.model_spec())

    def use_model(self, name: str) -> None:
        self.p.settings.set_value("model/name", name)
        self.reload_model()

    def on_loading(self, name: str) -> None:
        self.ready = False
        self.p.window.show_model_loading(name)

    def on_ready(self, info: LoadedModelInfo) -> None:
        self.ready = True
        self.error = None
        self.p.window.show_model_ready()
        self.say.model_ready(info.name, info.device)
        self.changed()

    def on_failed(self, error: ErrorInfo) -> None:
        self.ready = False
        self.error = error
        if error.code in MODEL_MISSING_CODES:
            title = self.tr("No captioning model is installed")
            text = self.tr(
                "%1\n\nOpen the model manager to download one, or import a model folder copied "
                "from another computer. Images you add wait until a model is ready."
            ).replace("%1", error.message)
        else:
            title = self.tr("The captioning model could not be loaded")
            text = self.tr(
                "%1\n\nChoose another model in Settings or the model manager, or try again."
            ).replace("%1", error.message)
        self.p.window.show_model_problem(title, text)
        self.say.model_problem(title)
        self.changed()

    # -- the captioning run --------------------------------------------------------------------

    def on_progress(self, progress: Progress) -> None:
        self.p.window.show_progress(
            progress.done, progress.total, progress.failed, self.p.captioner.paused
        )

    def on_idle(self) -> None:
        self.p.window.show_captioning_idle(self.p.captioner.paused)

    def set_paused(self, paused: bool) -> None:
        if paused:
            self.p.captioner.pause()
        else:
            self.p.captioner.resume()
        self.p.window.show_paused(paused)
        self.say.paused(paused)

    def cancel_captioning(self) -> None:
        self.p.captioner.cancel()
        self.say.cancelled()
