# SPDX-License-Identifier: GPL-3.0-or-later
"""An image that failed: the error is said once, in words, with what the person can do
(retry, remove, open the folder) as working buttons, and what cannot apply is disabled."""

from __future__ import annotations

from pathlib import Path

import pytest
from altlens.desktop.models.entries import Status
from PySide6.QtCore import QObject, QUrl, Slot
from PySide6.QtGui import QDesktopServices
from PySide6.QtWidgets import QLabel

from tests.desktop.conftest import answer_next_dialog, wait_statuses


class UrlCatcher(QObject):
    """Stands in for the file manager: records the URLs the app asks the desktop to open."""

    def __init__(self) -> None:
        super().__init__()
        self.urls: list[QUrl] = []

    @Slot(QUrl)
    def open(self, url: QUrl) -> None:
        self.urls.append(url)


@pytest.fixture
def broken_open(qtbot, make_app, sample_images, tmp_path: Path):
    good = sample_images(1)
    broken = tmp_path / "photos" / "broken.jpg"
    broken.write_bytes(good[0].read_bytes()[:600])  # a copy cut short
    app = make_app([good[0], broken])
    wait_statuses(qtbot, app, [good[0], broken], {"suggested", "error"})
    assert app.images.entry(broken).status is Status.ERROR
    app.controller.open(broken, focus=True)
    qtbot.wait(100)  # the preview's own failure arrives from the image thread
    return app, broken


def visible_texts(root) -> list[str]:
    return [w.text() for w in root.findChildren(QLabel) if w.isVisible() and w.text()]


def test_the_error_is_said_once_in_words(qtbot, broken_open) -> None:
    app, broken = broken_open
    r = app.window.review
    error = app.images.entry(broken).error
    assert error.code == "corrupt-image"
    assert r.error_text.text() == "The file is damaged or cut short, so the picture cannot be read."
    assert "retry" in r.error_help.text() and "remove" in r.error_help.text()
    # The technical message appears once, in the details line, not in the preview too.
    shown = visible_texts(app.window)
    assert sum(error.message in t for t in shown) == 1, shown
    assert r.preview.text() == "No preview"
    # No editing hint about empty alt text for a file that cannot be read.
    assert not r.hints.isVisible()
    assert not r.text_edit.isVisible() and not r.candidates.isVisible()
    assert r.error_box.accessibleName().startswith("Error: The file is damaged")


def test_what_cannot_apply_is_disabled(broken_open) -> None:
    app, _broken = broken_open
    a = app.window.commands
    for name in ("approve", "preview_write", "regenerate", "describe", "read_text", *[f"pick_{n}" for n in range(1, 6)]):
        assert not a.all[name].isEnabled(), name
    assert a.retry.isEnabled() and a.reject.isEnabled()
    r = app.window.review
    assert r.retry_button.isEnabled() and r.remove_button.isEnabled()
    assert r.folder_button.isEnabled()


def test_open_containing_folder(qtbot, broken_open) -> None:
    app, broken = broken_open
    catcher = UrlCatcher()
    QDesktopServices.setUrlHandler("file", catcher, "open")
    try:
        app.window.review.folder_button.click()
    finally:
        QDesktopServices.unsetUrlHandler("file")
    assert [Path(u.toLocalFile()) for u in catcher.urls] == [broken.parent]


def test_remove_from_list(qtbot, broken_open) -> None:
    app, broken = broken_open
    answer_next_dialog(lambda box: box.button(box.StandardButton.Yes).click())
    app.window.review.remove_button.click()
    assert app.images.entry(broken) is None and broken.exists()
    assert app.controller.current is None


def test_retry_after_fixing_the_file(qtbot, broken_open, sample_images) -> None:
    app, broken = broken_open
    broken.write_bytes(sample_images(1, prefix="fresh")[0].read_bytes())
    app.window.review.retry_button.click()
    wait_statuses(qtbot, app, [broken], {"suggested"})
    r = app.window.review
    qtbot.waitUntil(lambda: not r.error_box.isVisible())
    assert r.text_edit.isVisible() and app.window.commands.approve.isEnabled()
