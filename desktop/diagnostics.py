# SPDX-License-Identifier: GPL-3.0-or-later
"""Logging for the app (a file under app_dirs().logs and the log panel) and the crash
handler. A crash writes a report and tells the person; it never touches settings, the
library or photos, and never redirects sys.stdout."""

from __future__ import annotations

import contextlib
import logging
import logging.handlers
import platform
import sys
import threading
import traceback
from collections import deque
from datetime import datetime
from pathlib import Path
from types import TracebackType

from altlens.core import __version__
from altlens.core.paths import app_dirs
from PySide6.QtCore import QObject, Signal

log = logging.getLogger(__name__)

LOG_FORMAT = "%(asctime)s %(levelname)s %(threadName)s %(name)s: %(message)s"
RECENT_LINES = 500


class _LogSignals(QObject):
    record_logged = Signal(str, int)  # formatted line, level


class LogBridge(logging.Handler):
    """A logging handler that re-emits records as a Qt signal (`signals.record_logged`).
    Records logged on worker threads reach the log panel through Qt's queued delivery, so
    the panel is only touched on the GUI thread. The last lines are kept for crash reports."""

    def __init__(self) -> None:
        super().__init__(level=logging.INFO)
        self.signals = _LogSignals()
        self.setFormatter(
            logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s", "%H:%M:%S")
        )
        self.recent: deque[str] = deque(maxlen=RECENT_LINES)

    def emit(self, record: logging.LogRecord) -> None:
        try:
            line = self.format(record)
        except Exception:  # a bad log call must never break the app
            return
        self.recent.append(line)
        with contextlib.suppress(RuntimeError):  # the QObject is gone at interpreter exit
            self.signals.record_logged.emit(line, record.levelno)


def setup_logging(bridge: LogBridge, *, verbose: int = 0) -> Path | None:
    """Log to app_dirs().logs/altlens.log (rotated) and to `bridge`. Returns the log file."""
    root = logging.getLogger()
    root.setLevel(logging.DEBUG if verbose > 1 else logging.INFO)
    root.addHandler(bridge)
    path: Path | None = None
    try:
        logs = app_dirs().logs
        logs.mkdir(parents=True, exist_ok=True)
        path = logs / "altlens.log"
        handler = logging.handlers.RotatingFileHandler(
            path, maxBytes=2_000_000, backupCount=3, encoding="utf-8"
        )
        handler.setFormatter(logging.Formatter(LOG_FORMAT))
        root.addHandler(handler)
    except OSError as exc:
        log.warning("cannot write a log file: %s", exc)
        path = None
    return path


class CrashHandler(QObject):
    """Catches exceptions nobody handled (GUI thread and Python threads), writes a report to
    app_dirs().logs/crash-*.log and emits `crashed(summary, report_path)` on the GUI thread."""

    crashed = Signal(str, object)

    def __init__(self, bridge: LogBridge | None = None, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.bridge = bridge
        self._previous_hook = sys.excepthook
        self._previous_thread_hook = threading.excepthook
        self.reports: list[Path] = []

    def install(self) -> None:
        sys.excepthook = self._hook
        threading.excepthook = self._thread_hook

    def uninstall(self) -> None:
        sys.excepthook = self._previous_hook
        threading.excepthook = self._previous_thread_hook

    def _thread_hook(self, args: threading.ExceptHookArgs) -> None:
        if args.exc_type is SystemExit or args.exc_value is None:
            return
        self._hook(
            args.exc_type,
            args.exc_value,
            args.exc_traceback,
            args.thread.name if args.thread else "?",
        )

    def _hook(
        self,
        exc_type: type[BaseException],
        exc: BaseException,
        tb: TracebackType | None,
        thread: str | None = None,
    ) -> None:
        if issubclass(exc_type, KeyboardInterrupt):
            self._previous_hook(exc_type, exc, tb)
            return
        text = "".join(traceback.format_exception(exc_type, exc, tb))
        log.critical("unhandled error in %s:\n%s", thread or threading.current_thread().name, text)
        report = self.write_report(text, thread)
        summary = f"{exc_type.__name__}: {exc}"
        with contextlib.suppress(RuntimeError):  # the QObject is gone at interpreter exit
            self.crashed.emit(summary, report)

    def write_report(self, text: str, thread: str | None = None) -> Path | None:
        try:
            logs = app_dirs().logs
            logs.mkdir(parents=True, exist_ok=True)
            stamp = datetime.now().strftime("%Y%m%d-%H%M%S-%f")
            path = logs / f"crash-{stamp}.log"
            recent = "\n".join(self.bridge.recent) if self.bridge is not None else ""
            path.write_text(
                f"AltLens {__version__} crash report\n"
                f"time: {datetime.now().isoformat(timespec='seconds')}\n"
                f"thread: {thread or threading.current_thread().name}\n"
                f"python: {sys.version.split()[0]} on {platform.platform()}\n\n"
                f"{text}\n--- recent log ---\n{recent}\n",
                encoding="utf-8",
            )
        except OSError as exc:
            log.error("could not write the crash report: %s", exc)
            return None
        self.reports.append(path)
        return path
