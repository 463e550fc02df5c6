# SPDX-License-Identifier: GPL-3.0-or-later
"""Fixtures for the desktop tests: the app built on the trained test model, sample images,
and autouse guards that fail a test leaking a thread or logging a Qt warning."""

from __future__ import annotations

import random
import shutil
import threading
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

pytest.importorskip("pytestqt")

from PySide6.QtCore import QCoreApplication, QObject, Qt, Signal, SignalInstance
from pytestqt.exceptions import TimeoutError as pytestqt_timeout

REPO_ROOT = Path(__file__).resolve().parents[2]

# Qt messages that say nothing about AltLens: the offscreen platform cannot resize windows to
# their size hints, and has no real input method or accessibility bus.
IGNORED_QT_MESSAGES = [
    "propagateSizeHints",
    "QStandardPaths: ",
    "does not support raise",
]


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    here = Path(__file__).parent
    for item in items:
        if here in Path(item.fspath).parents or Path(item.fspath).parent == here:
            # Any Qt warning (a bad connection, a missing slot, an item model error) fails.
            item.add_marker(pytest.mark.qt_log_level_fail("WARNING"))
            item.add_marker(pytest.mark.qt_log_ignore(*IGNORED_QT_MESSAGES))


@pytest.fixture(scope="session", autouse=True)
def _translations(qapp: QCoreApplication) -> None:
    from altlens.desktop.i18n import install_translators

    install_translators(qapp)


@pytest.fixture(autouse=True)
def _no_leaked_threads(qtbot) -> Iterator[None]:
    """Fail a test that leaves a worker QThread or a Python thread running."""
    from altlens.desktop.workers import running_threads

    before = {t.ident for t in threading.enumerate()}
    yield
    try:
        qtbot.waitUntil(lambda: not running_threads(), timeout=20_000)
    except (AssertionError, TimeoutError, pytestqt_timeout):
        names = [t.objectName() for t in running_threads()]
        pytest.fail(f"worker threads still running after the test: {names}")

    def python_leftovers() -> list[str]:
        return [
            t.name
            for t in threading.enumerate()
            if t.ident not in before and t.is_alive() and not isinstance(t, threading._DummyThread)
        ]

    try:
        qtbot.waitUntil(lambda: not python_leftovers(), timeout=10_000)
    except (AssertionError, TimeoutError, pytestqt_timeout):
        pytest.fail(f"Python threads still running after the test: {python_leftovers()}")


@pytest.fixture
def exiftool_installed() -> None:
    """Fail (never skip) a write test on a machine without ExifTool."""
    if shutil.which("exiftool") is None:
        pytest.fail("ExifTool is not installed; run scripts/bootstrap.sh (apt: libimage-exiftool-perl)")


@pytest.fixture
def sample_images(tmp_path: Path) -> Callable[[int], list[Path]]:
    """Write `n` toy-scene JPEGs (the scenes the test model was trained on), with a camera's
    EXIF block like photos have."""
    from PIL import Image
    from toy_scenes import draw_scene

    exif = Image.Exif()
    exif[0x010F] = "AltLens Test Camera"  # Make
    exif[0x0110] = "Toy 1"  # Model

    def make(n: int, size: tuple[int, int] = (240, 180), prefix: str = "scene") -> list[Path]:
        rng = random.Random(n)
        folder = tmp_path / "photos"
        folder.mkdir(exist_ok=True)
        out = []
        for i in range(n):
            image, _caption = draw_scene(rng, size)
            path = folder / f"{prefix}{i:02d}.jpg"
            image.save(path, quality=90, exif=exif)
            out.append(path)
        return out

    return make


@pytest.fixture
def settings(tmp_path: Path, toy_model_dir: Path):
    from altlens.desktop.settings import Settings

    s = Settings(tmp_path / "config" / "altlens.ini")
    s.set_value("model/name", str(toy_model_dir))
    s.set_value("model/batch_size", 4)
    s.set_value("caption/beams", 3)
    s.set_value("caption/candidates", 3)
    s.set_value("caption/max_length", 20)
    return s


def in_process_captioner(spec, settings):
    """The caption worker's model in this process (the app's default runs it in a child)."""
    from altlens.core.captioning.engine import Captioner

    return Captioner(spec.name, device=spec.device, dtype=spec.dtype, settings=settings,
                     batch_size=spec.batch_size)


def in_process_describer(model: str, device: str):
    from altlens.core.captioning.engine import Captioner

    return Captioner(model, device=device, batch_size=1)


@pytest.fixture
def make_app(qtbot, settings, record) -> Iterator[Callable[..., object]]:
    """Build the whole app (window, workers, controller) on the test model; shut it down at
    the end of the test in the app's own order."""
    from altlens.desktop.app import AltLensApp

    apps: list[AltLensApp] = []

    def make(
        paths: list[Path] | None = None,
        *,
        wait_model: bool = True,
        model_process: bool = False,
        **kw: object,
    ) -> AltLensApp:
        """`model_process`: run the model in its own process, as the installed app does; by
        default the tests run the same Captioner in the test's process, which spares each
        test the model process's start (about 1.5 s of torch import on two cores)."""
        for earlier in apps:
            earlier.shutdown()  # one app at a time owns the library, as in real use
        if not model_process:
            kw.setdefault("captioner_factory", in_process_captioner)
            kw.setdefault("describer_factory", in_process_describer)
        app = AltLensApp(settings, **kw)
        apps.append(app)
        qtbot.addWidget(app.window)
        if wait_model:
            from altlens.desktop.workers.captioner import LoadModel

            ready = record(app.caption_worker.done)
            with qtbot.waitSignal(
                ready.fired,
                timeout=120_000,
                check_params_cb=lambda a: isinstance(a[0], LoadModel) and a[1] is not None,
            ):
                app.start(paths or [], show=True)
        else:
            app.start(paths or [], show=True)
        return app

    yield make
    for app in apps:
        assert app.shutdown(), "a worker thread did not stop"


class Recorder(QObject):
    """Receives a worker's signal on the GUI thread (queued) and re-emits it as `fired`.

    pytest-qt's blockers are not QObjects, so a signal from another thread would run their
    slot on that thread; wait on `recorder.fired` instead. `calls` keeps every argument tuple.
    """

    fired = Signal(object)

    def __init__(self, signal: SignalInstance) -> None:
        super().__init__()
        self.calls: list[tuple[object, ...]] = []
        signal.connect(self._received, Qt.ConnectionType.QueuedConnection)

    def _received(self, *args: object) -> None:
        self.calls.append(args)
        self.fired.emit(args)

    @property
    def values(self) -> list[object]:
        """The first argument of every call."""
        return [c[0] for c in self.calls]


@pytest.fixture
def record() -> Callable[[SignalInstance], Recorder]:
    recorders: list[Recorder] = []

    def make(signal: SignalInstance) -> Recorder:
        r = Recorder(signal)
        recorders.append(r)
        return r

    return make


def wait_statuses(
    qtbot, app, paths: list[Path], statuses: set[str], timeout: int = 120_000
) -> None:
    """Wait (processing events, never sleeping) until every path has one of `statuses`."""

    def done() -> bool:
        entries = [app.images.entry(p) for p in paths]
        return all(
            e is not None and e.status.value in statuses and not e.captioning for e in entries
        )

    qtbot.waitUntil(done, timeout=timeout)


def open_image(app) -> Path | None:
    """The image the review panel shows (its title), as the person sees it."""
    title = app.window.review.title.text()
    return next((e.path for e in app.images.entries() if e.name == title), None)


def spoken_row(app, path: Path) -> str:
    """What a screen reader says for `path`'s row in the list (whatever the filter)."""
    from PySide6.QtCore import Qt

    return app.images.index_of(path).data(Qt.ItemDataRole.AccessibleTextRole)


def drop_on(widget, paths: list[Path]) -> None:
    """Drop files from another program (a file manager) on `widget`."""
    from PySide6.QtCore import QMimeData, QPointF, QUrl
    from PySide6.QtGui import QDragEnterEvent, QDropEvent
    from PySide6.QtWidgets import QApplication

    mime = QMimeData()
    mime.setUrls([QUrl.fromLocalFile(str(p)) for p in paths])
    center = widget.rect().center()
    args = (
        Qt.DropAction.CopyAction,
        mime,
        Qt.MouseButton.LeftButton,
        Qt.KeyboardModifier.NoModifier,
    )
    enter = QDragEnterEvent(center, *args)
    QApplication.sendEvent(widget, enter)
    assert enter.isAccepted(), "the window refused the drag"
    drop = QDropEvent(QPointF(center), *args)
    QApplication.sendEvent(widget, drop)
    assert drop.isAccepted(), "the window refused the drop"


def answer_next_dialog(callback) -> None:
    """Run `callback(dialog)` on the next modal dialog once it is open (dialogs run their own
    event loop, so the test arranges the answer before triggering them)."""
    from PySide6.QtCore import QTimer
    from PySide6.QtWidgets import QApplication

    def poll() -> None:
        dialog = QApplication.activeModalWidget()
        if dialog is None:
            QTimer.singleShot(20, poll)
            return
        callback(dialog)

    QTimer.singleShot(0, poll)
