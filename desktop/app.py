# SPDX-License-Identifier: GPL-3.0-or-later
"""The composition root: builds the settings, models, window, workers and controller, starts
the worker threads, and shuts everything down in order.

Shutdown order (DESIGN.md section 2): stop watchers, cancel captioning, let the writer finish
the approved writes already queued, then quit and wait for every thread.
"""

from __future__ import annotations

import argparse
import importlib.resources
import logging
import signal
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from altlens.core.library import Library
from altlens.desktop.controller import ReviewController
from altlens.desktop.diagnostics import CrashHandler, LogBridge, setup_logging
from altlens.desktop.models.images import ImageListModel, ReviewOrderModel
from altlens.desktop.settings import Settings
from altlens.desktop.views.a11y import install_accessibility_fixes
from altlens.desktop.views.dialogs import AboutDialog, CrashDialog, ShortcutsDialog
from altlens.desktop.views.focus import install_focus_style
from altlens.desktop.views.main_window import MainWindow
from altlens.desktop.views.model_manager import ModelManagerDialog
from altlens.desktop.views.settings_dialog import SettingsDialog
from altlens.desktop.workers import start_worker
from altlens.desktop.workers.captioner import CaptionWorker
from altlens.desktop.workers.describer import DescribeWorker
from altlens.desktop.workers.images import ImageWorker
from altlens.desktop.workers.library import LibraryWorker
from altlens.desktop.workers.models import Download, ImportFolder, ModelWorker
from altlens.desktop.workers.writer import WriterWorker
from PySide6.QtCore import QObject, Qt, QThread, QTimer
from PySide6.QtGui import QIcon, QPixmap
from PySide6.QtWidgets import QApplication

log = logging.getLogger(__name__)

SHUTDOWN_WAIT_MS = 60_000  # an approved write is never abandoned for less

#: The freedesktop application id: the .desktop file, AppStream metainfo and icon are named after
#: it, and Wayland compositors match the window to its .desktop entry (and icon) by it.
APP_ID = "org.altlens.AltLens"
#: PNG renderings of resources/icons/.../org.altlens.AltLens.svg shipped in desktop/icons/
#: (scripts/render_icons.py); PNGs need no SVG image plugin, which some Qt builds lack.
ICON_SIZES = (16, 24, 32, 48, 64, 128, 256, 512)


class AltLensApp(QObject):
    """Everything the window needs, wired together. Tests build one with their own settings
    (and, where needed, worker factories); `run()` builds one for real."""

    def __init__(
        self,
        settings: Settings,
        *,
        library: Library | None = None,
        captioner_factory: Callable[..., Any] | None = None,
        writer_factory: Callable[[], Any] | None = None,
        store_factory: Callable[[], Any] | None = None,
        describer_factory: Callable[..., Any] | None = None,
        watch_debounce: float = 1.0,
        log_bridge: LogBridge | None = None,
        parent: QObject | None = None,
    ) -> None:
        super().__init__(parent)
        self.settings = settings
        # The library is the record of every decision; each thread uses its own connection.
        self.library = library if library is not None else Library()
        self.images = ImageListModel(self)
        self.order = ReviewOrderModel(self.images, self)
        qapp = QApplication.instance()
        if isinstance(qapp, QApplication):
            install_focus_style(qapp)  # a visible focus ring in every theme
        install_accessibility_fixes()
        self.window = MainWindow(settings, self.images, self.order)

        self.caption_worker = (
            CaptionWorker(self.library, settings.generation_settings(), factory=captioner_factory)
            if captioner_factory is not None
            else CaptionWorker(self.library, settings.generation_settings())
        )
        self.image_worker = ImageWorker()
        self.library_worker = LibraryWorker(self.library, debounce=watch_debounce)
        self.model_worker = (
            ModelWorker(store_factory) if store_factory is not None else ModelWorker()
        )
        self.writer_worker = (
            WriterWorker(self.library, writer_factory)
            if writer_factory is not None
            else WriterWorker(self.library)
        )

        # The improve pass's larger model, loaded only when first asked for.
        self.describe_worker = (
            DescribeWorker(describer_factory) if describer_factory is not None else DescribeWorker()
        )

        self.threads: dict[str, QThread] = {
            "library": start_worker(self.library_worker, "altlens-library"),
            "captioner": start_worker(self.caption_worker, "altlens-captioner"),
            "images": start_worker(self.image_worker, "altlens-images"),
            "models": start_worker(self.model_worker, "altlens-models"),
            "writer": start_worker(self.writer_worker, "altlens-writer"),
            "describer": start_worker(self.describe_worker, "altlens-describer"),
        }

        self.controller = ReviewController(
            settings=settings,
            images=self.images,
            order=self.order,
            window=self.window,
            captioner=self.caption_worker,
            image_worker=self.image_worker,
            library_worker=self.library_worker,
            writer=self.writer_worker,
            describer=self.describe_worker,
            parent=self,
        )
        self.library_worker.work_queued.connect(self.caption_worker.nudge)

        if log_bridge is not None:
            log_bridge.signals.record_logged.connect(self.window.log_panel.append)
            for line in log_bridge.recent:
                self.window.log_panel.append(line, logging.INFO)

        a = self.window.commands
        a.settings.triggered.connect(self.show_settings)
        a.shortcuts.triggered.connect(lambda: ShortcutsDialog(a, self.window).exec())
        a.about.triggered.connect(lambda: AboutDialog(self.window).exec())
        self.model_manager: ModelManagerDialog | None = None
        self.installed_models: list[str] = []
        a.model_manager.triggered.connect(self.show_model_manager)
        a.import_model.triggered.connect(self.import_model)
        Q = Qt.ConnectionType.QueuedConnection
        self.model_worker.models_listed.connect(self._on_models_listed, Q)
        self.model_worker.done.connect(self._on_model_request_done, Q)
        a.watch_folder.triggered.connect(self.controller.choose_watch_folder)
        self.window.close_requested.connect(self.quit)
        settings.changed.connect(self._on_setting_changed)
        self._shut_down = False
        # run() sets this: closing the window then ends the QApplication too. Tests, which
        # share one QApplication across tests, leave it off.
        self.quit_app_on_close = False

    # -- lifecycle -----------------------------------------------------------------------------

    def start(self, paths: Sequence[Path] = (), *, show: bool = True) -> None:
        self.library_worker.load()
        self.caption_worker.load_model(self.settings.model_spec())
        self.model_worker.refresh()
        self.writer_worker.check()
        if paths:
            self.controller.add_paths([Path(p) for p in paths])
        if show:
            self.window.show()

    def quit(self) -> None:
        """Close the window for good after shutting the workers down."""
        self.shutdown()
        self.window.close_for_real()
        app = QApplication.instance()
        if app is not None and self.quit_app_on_close:
            QTimer.singleShot(0, app.quit)

    def shutdown(self) -> bool:
        """Stop every worker in order and wait for its thread. Idempotent. Returns True when
        every thread ended."""
        if self._shut_down:
            return True
        self._shut_down = True
        self.settings.sync()
        ok = True

        def wait(name: str) -> None:
            nonlocal ok
            if not self.threads[name].wait(SHUTDOWN_WAIT_MS):
                log.error("the %s thread did not stop in time", name)
                ok = False

        # (1) Watchers stop first, so nothing new is queued.
        self.library_worker.shutdown()
        wait("library")
        # (2) Cancel captioning: interrupts the batch in the model within a decoding step; what
        # was not captioned goes back to the library's queue for next time.
        self.caption_worker.shutdown()
        self.describe_worker.cancel()  # stops a long answer within a decoding step
        self.describe_worker.shutdown()
        self.image_worker.shutdown()
        self.model_worker.shutdown()  # a download stops here and resumes next time
        # (3) The writer's shutdown is queued behind the approvals and writes already requested.
        self.writer_worker.shutdown()
        for name in ("captioner", "describer", "images", "models", "writer"):
            wait(name)
        # (4) Every thread has stopped: nothing uses the library any more.
        if ok:
            self.library.close()
        return ok

    # -- dialogs -------------------------------------------------------------------------------

    def show_model_manager(self) -> ModelManagerDialog:
        """The model manager stays open (not modal) while a download runs."""
        if self.model_manager is None:
            self.model_manager = ModelManagerDialog(
                self.model_worker, in_use=self.settings.value("model/name"), parent=self.window
            )
            self.model_manager.model_chosen.connect(self.controller.use_model)
        else:
            self.model_worker.refresh()
        self.model_manager.show()
        self.model_manager.raise_()
        self.model_manager.activateWindow()
        return self.model_manager

    def import_model(self) -> None:
        self.show_model_manager().choose_import()

    def _on_models_listed(self, records: tuple[Any, ...]) -> None:
        self.installed_models = [r.name for r in records if r.downloaded]

    def _on_model_request_done(self, request: object, result: Any) -> None:
        if isinstance(request, Download | ImportFolder):
            self._on_model_added(result)

    def _on_model_added(self, record: Any) -> None:
        # Someone without a working model just got one: use it straight away.
        if self.controller.model_error is not None and record.downloaded:
            if self.model_manager is not None:
                self.model_manager.catalog.set_in_use(record.name)
            self.controller.use_model(record.name)

    def show_crash(self, summary: str, report: Path | None) -> None:
        CrashDialog(summary, report, self.window).exec()

    def show_settings(self) -> None:
        dialog = SettingsDialog(self.settings, models=self.installed_models, parent=self.window)
        if dialog.exec():
            changed = dialog.apply()
            if changed:
                self.controller.say.settings_saved()

    def _on_setting_changed(self, key: str) -> None:
        if key.startswith("model/"):
            self.caption_worker.load_model(self.settings.model_spec())
        elif key.startswith("caption/"):
            self.caption_worker.set_generation_settings(self.settings.generation_settings())


# -- entry point -------------------------------------------------------------------------------


def app_icon() -> QIcon:
    """The application icon in every shipped size, read through importlib.resources so it is
    found in a wheel install, an editable checkout and a PyInstaller bundle alike."""
    icon = QIcon()
    folder = importlib.resources.files("altlens.desktop") / "icons"
    for size in ICON_SIZES:
        try:
            data = (folder / f"altlens-{size}.png").read_bytes()
        except OSError:
            continue
        pixmap = QPixmap()
        if pixmap.loadFromData(data, "PNG"):
            icon.addPixmap(pixmap)
    if icon.isNull():
        log.warning("application icon missing from %s", folder)
    return icon


def _install_translators(app: QApplication) -> None:
    from altlens.desktop.i18n import install_translators

    install_translators(app)


def run(args: argparse.Namespace) -> int:
    """`altlens gui`: open the window. Returns the exit status."""
    existing = QApplication.instance()
    app = existing if isinstance(existing, QApplication) else QApplication(sys.argv[:1])
    app.setApplicationName("AltLens")
    app.setApplicationDisplayName("AltLens")
    app.setOrganizationName("AltLens")
    app.setDesktopFileName(APP_ID)
    app.setWindowIcon(app_icon())
    _install_translators(app)
    bridge = LogBridge()
    log_file = setup_logging(bridge, verbose=getattr(args, "verbose", 0))
    crash = CrashHandler(bridge)
    crash.install()
    settings = Settings()
    for key, value in _overrides(args).items():
        settings.override(key, value)
    altlens = AltLensApp(settings, log_bridge=bridge)
    altlens.quit_app_on_close = True
    # Queued: an error on a worker thread is reported there, the dialog opens on this one.
    crash.crashed.connect(altlens.show_crash, Qt.ConnectionType.QueuedConnection)
    log.info("AltLens window opening (log file %s)", log_file)
    _quit_on_signals(altlens)
    altlens.start([Path(p) for p in getattr(args, "paths", []) or []])
    try:
        status = app.exec()
    finally:
        altlens.shutdown()
        crash.uninstall()
    return int(status)


def _quit_on_signals(altlens: AltLensApp) -> None:
    """SIGTERM (logout, `kill`) and Ctrl+C close the window the normal way: captioning stops,
    approved writes finish, ExifTool is closed. Python only runs signal handlers when it gets
    control, so a timer hands it control twice a second while Qt waits for events."""

    def handler(signum: int, _frame: object) -> None:
        log.info("signal %d: closing", signum)
        QTimer.singleShot(0, altlens.quit)

    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, handler)
    tick = QTimer(altlens)
    tick.timeout.connect(lambda: None)
    tick.start(500)


def check_overrides(args: argparse.Namespace) -> dict[str, Any]:
    """Validate the command-line options against the settings' declared ranges."""
    from altlens.core.errors import UsageError
    from altlens.desktop.settings import OPTIONS

    out = _overrides(args)
    for key, value in out.items():
        try:
            OPTIONS[key].coerce(value)
        except ValueError as exc:
            opt = OPTIONS[key]
            limits = f" ({opt.minimum}-{opt.maximum})" if opt.minimum is not None else ""
            raise UsageError(f"--{key.split('/')[1].replace('_', '-')}: {exc}{limits}.") from None
    return out


def _overrides(args: argparse.Namespace) -> dict[str, Any]:
    """Command-line options that apply to this session only."""
    mapping = {
        "model": "model/name",
        "device": "model/device",
        "dtype": "model/dtype",
        "beams": "caption/beams",
        "candidates": "caption/candidates",
        "max_length": "caption/max_length",
        "batch_size": "model/batch_size",
    }
    out = {}
    for attr, key in mapping.items():
        value = getattr(args, attr, None)
        if value is not None:
            out[key] = value
    return out
