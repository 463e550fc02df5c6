#!/usr/bin/env python
# SPDX-License-Identifier: GPL-3.0-or-later
"""Time from a photo dropped on the running AltLens window to its first suggestion.

    QT_QPA_PLATFORM=offscreen python benchmarks/gui_drop_latency.py [--drops 6]

The real application (window, workers, controller, library) on the nlpconnect-shaped model
and 4000x3000 photos of benchmarks/cli_speed.py (built there once), with the app's default
caption settings. The app is started and the model loaded first (reported as "start to model
ready"); then photos are dropped one at a time, as from a file manager, and each is timed from
the drop event until its suggestion is in the window's list (status `suggested`). The GUI
keeps its loaded model, so this is the latency a person sees after the first start. State
lives in a temporary ALTLENS_HOME and settings file; the photos are copied so the library
sees new files.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "benchmarks"))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--drops", type=int, default=6)
    ap.add_argument("--workdir", type=Path, default=Path(tempfile.gettempdir()) / "altlens-cli-bench")
    args = ap.parse_args()
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

    from cli_speed import ensure_model, ensure_photos

    model = ensure_model(args.workdir / "nlpconnect-shaped")
    sources = ensure_photos(args.workdir / "photos", args.drops)
    tmp = Path(tempfile.mkdtemp(prefix="altlens-gui-bench-"))
    os.environ["ALTLENS_HOME"] = str(tmp / "home")
    # The converted-weights cache of the CLI benchmark, so this measures a usual start, not
    # the once-per-model conversion.
    cached = args.workdir / "home" / "cache" / "weights"
    if cached.is_dir():
        shutil.copytree(cached, tmp / "home" / "cache" / "weights")
    photos = []
    for i, src in enumerate(sources):
        dst = tmp / "photos" / f"drop-{i:02d}.jpg"
        dst.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(src, dst)
        photos.append(dst)

    from PySide6.QtCore import QMimeData, QPointF, Qt, QUrl
    from PySide6.QtGui import QDragEnterEvent, QDropEvent
    from PySide6.QtWidgets import QApplication

    qapp = QApplication.instance() or QApplication([])
    from altlens.desktop.app import AltLensApp
    from altlens.desktop.settings import Settings

    settings = Settings(tmp / "config" / "altlens.ini")
    settings.set_value("model/name", str(model))
    started = time.perf_counter()
    app = AltLensApp(settings)
    app.start([], show=True)

    def wait(cond, timeout: float = 300.0) -> None:
        end = time.perf_counter() + timeout
        while not cond():
            if time.perf_counter() > end:
                raise TimeoutError("the window did not get there in time")
            qapp.processEvents()
            time.sleep(0.001)

    wait(lambda: app.controller.model.ready or app.controller.model_error is not None)
    if app.controller.model_error is not None:
        raise SystemExit(f"the model did not load: {app.controller.model_error}")
    load_s = time.perf_counter() - started

    def drop(path: Path) -> None:
        mime = QMimeData()
        mime.setUrls([QUrl.fromLocalFile(str(path))])
        center = app.window.rect().center()
        a = (Qt.DropAction.CopyAction, mime, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier)
        enter = QDragEnterEvent(center, *a)
        QApplication.sendEvent(app.window, enter)
        QApplication.sendEvent(app.window, QDropEvent(QPointF(center), *a))

    def suggested(path: Path) -> bool:
        e = app.images.entry(path)
        return e is not None and e.status.value in ("suggested", "error") and not e.captioning

    times = []
    try:
        for p in photos:
            t = time.perf_counter()
            drop(p)
            wait(lambda p=p: suggested(p))
            times.append(time.perf_counter() - t)
            status = app.images.entry(p).status.value
            print(f"  {p.name}: {times[-1]:.2f} s ({status}, load {'/'.join(f'{x:.2f}' for x in os.getloadavg())})",
                  flush=True)
    finally:
        app.shutdown()
        shutil.rmtree(tmp, ignore_errors=True)
    print(f"\nGUI, offscreen: start to model ready {load_s:.1f} s; drop to first suggestion: "
          f"first {times[0]:.2f} s, median of {len(times)} {statistics.median(times):.2f} s, "
          f"min {min(times):.2f} s")


if __name__ == "__main__":
    main()
