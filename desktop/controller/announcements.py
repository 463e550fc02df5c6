# SPDX-License-Identifier: GPL-3.0-or-later
"""Everything AltLens says to a screen reader, in one catalogue.

Each method is one message, named for the moment it is made; the capabilities call the
method at that moment, after the window already shows what the message says (so it is true
when spoken). Polite messages wait for the screen reader to finish; assertive ones (errors,
a write that failed) interrupt it.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from altlens.core.types import ErrorInfo
from altlens.desktop.views.a11y import Announcer
from PySide6.QtCore import QObject


class Announcements(QObject):
    def __init__(self, announcer: Announcer, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.announcer = announcer

    def _say(self, message: str, *, assertive: bool = False) -> None:
        self.announcer.announce(message, assertive=assertive)

    def say(self, message: str, *, assertive: bool = False) -> None:
        """A message made elsewhere (a check's own words)."""
        self._say(message, assertive=assertive)

    def settings_saved(self) -> None:
        self._say(self.tr("Settings saved."))

    # -- intake ----------------------------------------------------------------------------

    def looking_in_folders(self, n: int) -> None:
        self._say(self.tr("Looking for images in %n folder(s)…", "", n))

    def watching_folders(self, n: int) -> None:
        self._say(
            self.tr(
                "Watching %n folder(s); their images are captioned, and new ones as they arrive.",
                "",
                n,
            )
        )

    def stopped_watching(self, folder: Path) -> None:
        self._say(
            self.tr("Stopped watching %1; its images stay in the list.").replace("%1", str(folder))
        )

    def folder_failed(self, folder: Path, error: ErrorInfo) -> None:
        self._say(
            self.tr("Folder %1: %2").replace("%1", str(folder)).replace("%2", error.message),
            assertive=True,
        )

    def folder_unreadable(self, error: ErrorInfo) -> None:
        self._say(
            self.tr("Could not read the folder: %1").replace("%1", error.message), assertive=True
        )

    def no_images_found(self, roots: Sequence[Path]) -> None:
        self._say(
            self.tr("No images found in %1.").replace("%1", ", ".join(p.name for p in roots))
        )

    def library_loaded(self, total: int, review: int) -> None:
        if review:
            msg = self.tr("%n image(s) from earlier need(s) review. Press F8 to start.", "", review)
        else:
            msg = self.tr("Library loaded: %n image(s), none waiting for review.", "", total)
        self._say(msg)

    def library_failed(self, error: ErrorInfo) -> None:
        self._say(
            self.tr("Could not load the library: %1").replace("%1", error.message), assertive=True
        )

    def images_gone(self, n: int) -> None:
        self._say(self.tr("%n image(s) left the list: deleted or moved on disk.", "", n))

    def images_added(self, n: int, *, model_ready: bool) -> None:
        if model_ready:
            self._say(self.tr("%n image(s) added; captioning now.", "", n))
        else:
            self._say(
                self.tr("%n image(s) added; they wait until a captioning model is ready.", "", n)
            )

    def already_in_list(self) -> None:
        self._say(self.tr("These images are already in the list."))

    def removed(self, n: int) -> None:
        self._say(
            self.tr("Removed %n image(s) from the list; the files are untouched.", "", n)
        )

    # -- the model and captioning ------------------------------------------------------------

    def model_ready(self, name: str, device: str) -> None:
        self._say(self.tr("Model ready: %1 on %2.").replace("%1", name).replace("%2", device))

    def model_problem(self, title: str) -> None:
        self._say(title, assertive=True)

    def captioning_finished(self, ok: int, failed: int) -> None:
        msg = self.tr("Captioning finished: %n suggestion(s) ready for review", "", ok)
        if failed:
            msg += self.tr("; %n image(s) could not be captioned", "", failed)
        self._say(msg + ".")

    def paused(self, paused: bool) -> None:
        if paused:
            self._say(self.tr("Captioning paused; the images in the model finish first."))
        else:
            self._say(self.tr("Captioning resumed."))

    def cancelled(self) -> None:
        self._say(self.tr("Captioning cancelled; waiting images were taken out of the queue."))

    def new_suggestion(self, name: str, text: str) -> None:
        self._say(self.tr("New suggestion for %1: %2").replace("%1", name).replace("%2", text))

    def caption_failed(self, name: str, error: ErrorInfo | None) -> None:
        self._say(
            self.tr("%1 could not be captioned: %2")
            .replace("%1", name)
            .replace("%2", error.message if error else ""),
            assertive=True,
        )

    def first_suggestion(self, name: str, *, is_open: bool) -> None:
        # When it was opened for the person, F8 would move on to another image: say it is open.
        if is_open:
            msg = self.tr("First suggestion ready: %1 is open for review.")
        else:
            msg = self.tr("First suggestion ready: %1. Press F8 for the next image needing review.")
        self._say(msg.replace("%1", name))

    def regenerating(self, name: str, *, sampling: bool) -> None:
        how = self.tr("with varied wording") if sampling else self.tr("with a wider search")
        self._say(
            self.tr("Making new suggestions for %1 %2…").replace("%1", name).replace("%2", how)
        )

    def trying_again(self, n: int) -> None:
        self._say(self.tr("Trying %n image(s) again.", "", n))

    def no_errors(self) -> None:
        self._say(self.tr("No images have errors."))

    # -- the improve pass (the detail model) ------------------------------------------------

    def detail_started(self, name: str, *, ocr: bool, model: str) -> None:
        msg = (
            self.tr("Reading the text in %1 with %2… Press Escape to cancel.")
            if ocr
            else self.tr("Describing %1 in detail with %2… Press Escape to cancel.")
        )
        self._say(msg.replace("%1", name).replace("%2", model))

    def context_used(self, name: str, context: str) -> str:
        """Say (and return, for the panel) what the model is told about the photo."""
        if context:
            msg = (
                self.tr("Context given to the model for %1: %2")
                .replace("%1", name)
                .replace("%2", "; ".join(context.splitlines()))
            )
        else:
            msg = self.tr("No context found for %1; the model sees the photo only.").replace(
                "%1", name
            )
        self._say(msg)
        return msg

    def detail_ready(self, name: str) -> None:
        self._say(
            self.tr("Detailed description ready for %1, in the long description.").replace(
                "%1", name
            )
        )

    def text_found(self, name: str, text: str) -> None:
        self._say(
            self.tr("Text in %1, added to the long description: %2")
            .replace("%1", name)
            .replace("%2", text)
        )

    def no_text_found(self, name: str) -> None:
        self._say(self.tr("No text found in %1.").replace("%1", name))

    def no_description(self, name: str, error: ErrorInfo) -> None:
        self._say(
            self.tr("No detailed description for %1: %2")
            .replace("%1", name)
            .replace("%2", error.message),
            assertive=True,
        )

    def detail_failed(self, name: str, error: ErrorInfo) -> None:
        self._say(
            self.tr("The detail model could not work on %1: %2")
            .replace("%1", name)
            .replace("%2", error.message),
            assertive=True,
        )

    def detail_cancelled(self, name: str) -> None:
        self._say(self.tr("Stopped working on %1; nothing was changed.").replace("%1", name))

    def detail_busy(self, name: str) -> None:
        self._say(
            self.tr("The detail model is still working on %1; wait, or press Escape.").replace(
                "%1", name
            )
        )

    def nothing_to_insert(self) -> None:
        self._say(
            self.tr("Nothing to insert yet: use Describe in Detail or Read Text in Image first.")
        )

    def inserted(self, count: int) -> None:
        self._say(
            self.tr("Inserted into the alt text; it now has %n character(s).", "", count)
        )

    # -- the review session --------------------------------------------------------------------

    def opened(self, name: str, status: str) -> None:
        # Says which image this is; the screen reader then reads the focused field.
        self._say(self.tr("%1, %2").replace("%1", name).replace("%2", status))

    def list_empty(self) -> None:
        self._say(self.tr("The list is empty."))

    def end_of_list(self, forward: bool) -> None:
        self._say(
            self.tr("This is the last image.") if forward else self.tr("This is the first image.")
        )

    def only_the_open_one_left(self, name: str) -> None:
        self._say(
            self.tr("No other image needs review; %1, open now, still does.").replace("%1", name)
        )

    def nothing_to_review_yet(self, waiting: int) -> None:
        self._say(
            self.tr("Nothing to review yet; %n image(s) still waiting for the model.", "", waiting)
        )

    def nothing_left(self) -> None:
        self._say(self.tr("Nothing left to review."))

    def decorative(self, on: bool) -> None:
        self._say(
            self.tr("Marked as decorative.") if on else self.tr("No longer marked as decorative.")
        )

    def no_such_suggestion(self, n: int) -> None:
        self._say(self.tr("There is no suggestion %1.").replace("%1", str(n)))

    def using_suggestion(self, n: int, text: str) -> None:
        self._say(self.tr("Using suggestion %1: %2").replace("%1", str(n)).replace("%2", text))

    def nothing_open(self) -> None:
        self._say(self.tr("No image is open. Press F8 to open the next one needing review."))

    def busy_writing(self, name: str) -> None:
        self._say(self.tr("%1 is being written; wait a moment.").replace("%1", name))

    def skipped(self, name: str) -> None:
        self._say(self.tr("Skipped %1; it comes back after the others.").replace("%1", name))

    def rejected(self, name: str) -> None:
        self._say(self.tr("Rejected %1; nothing will be written.").replace("%1", name))

    def approved_decorative(self, name: str) -> None:
        self._say(
            self.tr("%1 approved as decorative; nothing is written into the file.").replace(
                "%1", name
            )
        )

    def approved_not_written(self, name: str, why: str) -> None:
        self._say(
            self.tr("Approved %1, but not written: %2").replace("%1", name).replace("%2", why),
            assertive=True,
        )

    def none_selected_ready(self) -> None:
        self._say(
            self.tr("None of the selected images has alt text ready to write."), assertive=True
        )

    # -- writing -------------------------------------------------------------------------------

    def writing_unavailable(self) -> None:
        self._say(
            self.tr("Writing into files is not available in this installation."), assertive=True
        )

    def nothing_written(self) -> None:
        self._say(self.tr("Nothing was written."))

    def cannot_write(self, name: str, error: ErrorInfo) -> None:
        self._say(
            self.tr("Cannot write %1: %2").replace("%1", name).replace("%2", error.message),
            assertive=True,
        )

    def writing_many(self, n: int) -> None:
        self._say(self.tr("Writing %n image(s)…", "", n))

    def written(self, name: str, fields: int) -> None:
        if fields:
            msg = self.tr("Written to %1: %n field(s).", "", fields).replace("%1", name)
        else:
            msg = self.tr("%1 already held this text; nothing needed writing.").replace(
                "%1", name
            )
        self._say(msg)

    def approval_not_recorded(self, name: str, error: ErrorInfo) -> None:
        self._say(
            self.tr("Could not record the approval of %1: %2")
            .replace("%1", name)
            .replace("%2", error.message),
            assertive=True,
        )

    def decision_not_recorded(self, name: str, error: ErrorInfo) -> None:
        self._say(
            self.tr("Could not record the decision about %1: %2")
            .replace("%1", name)
            .replace("%2", error.message),
            assertive=True,
        )

    def write_failed(self, name: str, error: ErrorInfo) -> None:
        self._say(
            self.tr("Could not write %1: %2").replace("%1", name).replace("%2", error.message),
            assertive=True,
        )

    def undone(self, name: str) -> None:
        self._say(
            self.tr("Undid the last write to %1; the file holds its earlier text again.").replace(
                "%1", name
            )
        )

    def undo_failed(self, name: str, error: ErrorInfo) -> None:
        self._say(
            self.tr("Could not undo the write to %1: %2")
            .replace("%1", name)
            .replace("%2", error.message),
            assertive=True,
        )
