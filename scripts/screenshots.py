# SPDX-License-Identifier: GPL-3.0-or-later
"""Screenshots of the main states of the window, for the README and for review.

    xvfb-run -a -s "-screen 0 1440x960x24" .venv/bin/python scripts/screenshots.py \
        --model tests/models/toy-captioner --out docs/screenshots

Under X it starts openbox (apt: openbox) when no window manager runs, so windows get their
real sizes and the keyboard focus, as on a desktop; without one the focus ring does not show.

Runs the real app (its own ALTLENS_HOME in a temporary folder, so no user state is read or
written) on toy scenes drawn by scripts/toy_scenes.py, plus one broken file, and saves:

  01-no-model.png        first start without a model: what to do about it
  02-queue.png           the list with suggestions and status badges, lowest confidence first
  03-review.png          the review panel: preview, candidates, alt text with count and hints
  04-write-preview.png   the fields a write would change, old and new values
  05-settings.png        the settings dialog
  06-error.png           an image that could not be captioned, with its error and Retry
  07-shortcuts.png       the keyboard shortcut overview (F1)
  08-models.png          the model manager: models on this computer and those it can download
  09-small-window.png    800x600 with the watched folders, the loading banner and a long
                         message: every action still on screen, the message on one line
  10-focus.png           the focus ring on the suggestion in use (keyboard focus in the list)
  11-messages.png        View > Messages: every message of the session in full
"""

from __future__ import annotations

import argparse
import os
import random
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--model", type=Path, default=REPO / "tests" / "models" / "toy-captioner")
    ap.add_argument("--out", type=Path, default=REPO / "docs" / "screenshots")
    ap.add_argument("--images", type=int, default=8)
    args = ap.parse_args()

    wm = start_window_manager()
    home = Path(tempfile.mkdtemp(prefix="altlens-shots-"))
    os.environ["ALTLENS_HOME"] = str(home)
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ["HF_HOME"] = str(
        home / "hf"
    )  # an empty hub cache: the default model is "not installed"
    sys.path[:0] = [str(REPO), str(REPO / "scripts")]
    args.out.mkdir(parents=True, exist_ok=True)
    try:
        return shoot(args, home)
    finally:
        shutil.rmtree(home, ignore_errors=True)
        if wm is not None:
            wm.terminate()
            wm.wait(10)


def start_window_manager() -> subprocess.Popen[bytes] | None:
    """openbox on the X display, if there is a display and openbox is installed."""
    if not os.environ.get("DISPLAY") or shutil.which("openbox") is None:
        return None
    wm = subprocess.Popen(
        ["openbox", "--sm-disable"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    time.sleep(1.0)  # let it take over the screen before the first window maps
    return wm


def shoot(args: argparse.Namespace, home: Path) -> int:
    from altlens.desktop.app import AltLensApp
    from altlens.desktop.i18n import install_translators
    from altlens.desktop.models.entries import Status
    from altlens.desktop.settings import Settings
    from PySide6.QtCore import QEventLoop, QTimer
    from PySide6.QtWidgets import QApplication, QDialog, QWidget
    from toy_scenes import draw_scene

    app = QApplication(["altlens"])
    app.setApplicationName("AltLens")
    install_translators(app)

    photos = home / "Photos"
    photos.mkdir()
    rng = random.Random(7)
    paths = []
    for i in range(args.images):
        image, _ = draw_scene(rng, (rng.choice([640, 800]), rng.choice([480, 600])))
        p = photos / f"IMG_{2040 + i}.jpg"
        image.save(p, quality=90)
        paths.append(p)
    broken = photos / "IMG_2099.jpg"
    broken.write_bytes(paths[0].read_bytes()[:600])  # a copy that was cut short

    def pump(until: Callable[[], bool], timeout: float = 180.0) -> None:
        end = time.monotonic() + timeout
        while not until():
            if time.monotonic() > end:
                raise SystemExit("timed out waiting for the app")
            app.processEvents(QEventLoop.ProcessEventsFlag.AllEvents, 50)

    def settle(ms: int = 400) -> None:
        end = time.monotonic() + ms / 1000
        while time.monotonic() < end:
            app.processEvents(QEventLoop.ProcessEventsFlag.AllEvents, 20)

    def save(widget: QWidget, name: str) -> None:
        settle()
        widget.grab().save(str(args.out / name))
        print(args.out / name)

    # 1. No model installed.
    settings = Settings()
    altlens = AltLensApp(settings)
    altlens.window.resize(1400, 900)
    altlens.start([])
    pump(lambda: altlens.controller.model_error is not None)
    save(altlens.window, "01-no-model.png")
    altlens.shutdown()
    altlens.window.close_for_real()
    altlens.window.deleteLater()
    settle()

    # 2-7 with the model, imported as a user would (`altlens models import`), so the
    # screenshots show a model name rather than a folder on the developer's machine.
    from altlens.core.captioning.store import ModelStore

    record = ModelStore().import_folder(args.model, name=args.model.name)
    settings.set_value("model/name", record.name)
    altlens = AltLensApp(settings)
    w, c = altlens.window, altlens.controller
    w.resize(1400, 900)
    altlens.start([*paths, broken])
    pump(
        lambda: (
            len(altlens.images.entries()) == len(paths) + 1
            and all(e.status in (Status.SUGGESTED, Status.ERROR) for e in altlens.images.entries())
        )
    )
    pump(lambda: all(altlens.images._thumbs.get(p) for p in paths))
    w.set_filter("all")
    c.open(c.session._sorted_entries()[0].path, focus=True)
    save(w, "02-queue.png")

    target = next(e for e in c.session._sorted_entries() if e.status is Status.SUGGESTED)
    c.open(target.path, focus=True)
    w.review.text_edit.set_text("Image of " + target.text[0].lower() + target.text[1:])
    c.set_text(w.review.text_edit.text())
    w.review.description_edit.setPlainText("")
    save(w, "03-review.png")

    if altlens.writer_worker is not None:
        from altlens.desktop.views.dialogs import WritePreviewDialog

        shown: list[QDialog] = []
        original = WritePreviewDialog.exec

        def capture(self: QDialog) -> int:
            shown.append(self)
            self.show()
            save(self, "04-write-preview.png")
            return 0

        WritePreviewDialog.exec = capture  # type: ignore[method-assign]
        c.pick_candidate(1)
        c.writing.preview_write()
        pump(lambda: bool(shown), timeout=60)
        WritePreviewDialog.exec = original  # type: ignore[method-assign]
    else:
        print("skipped 04-write-preview.png: no metadata writer in this build")

    from altlens.desktop.views.dialogs import ShortcutsDialog
    from altlens.desktop.views.settings_dialog import SettingsDialog

    dialog = SettingsDialog(settings, parent=w)
    dialog.show()
    save(dialog, "05-settings.png")
    dialog.close()

    c.open(broken, focus=True)
    save(w, "06-error.png")

    shortcuts = ShortcutsDialog(w.commands, w)
    shortcuts.show()
    save(shortcuts, "07-shortcuts.png")
    shortcuts.close()

    manager = altlens.show_model_manager()
    pump(lambda: manager.catalog.rowCount() > 0, timeout=60)
    save(manager, "08-models.png")
    manager.close()

    # The smallest window AltLens supports, with everything open at once.
    target = next(e for e in c.session._sorted_entries() if e.status is Status.SUGGESTED)
    c.open(target.path, focus=True)
    w.resize(800, 600)
    w.folders_dock.show()
    w.show_model_loading(args.model.name)
    w.announcer.announce(
        "Could not undo the last write to IMG_2041.jpg: the file changed on disk after AltLens "
        "wrote it (another program edited it), so putting back the old values would lose that "
        "program's changes. Nothing was changed.",
        assertive=True,
    )
    settle(800)
    save(w, "09-small-window.png")
    w.show_model_ready()
    w.folders_dock.hide()
    w.resize(1400, 900)

    w.activateWindow()
    w.raise_()
    settle()
    w.review.candidates.setFocus()
    w.review.candidates.setCurrentIndex(w.review.candidate_model.index(0, 0))
    save(w, "10-focus.png")

    messages = w.show_messages()
    # Opened from the menu, the dialog is activated by the person's click; opened from a script
    # the window manager may leave the focus on the main window, and no focus ring is drawn.
    messages.activateWindow()
    save(messages, "11-messages.png")
    messages.close()

    altlens.shutdown()
    altlens.window.close_for_real()
    QTimer.singleShot(0, app.quit)
    return 0


if __name__ == "__main__":
    sys.exit(main())
