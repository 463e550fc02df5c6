#!/usr/bin/env python
# SPDX-License-Identifier: GPL-3.0-or-later
"""AltLens's window on a library of 100,000 photos: time to a usable window, scrolling from
top to bottom, key response while captioning runs, and memory.

    QT_QPA_PLATFORM=offscreen python benchmarks/library_scale.py [--photos 100000]

The photos (64x48 JPEGs in folders of 1,000, each with pixels of its own) and their library
are made once under --workdir and reused; the library is registered with the library's own
folder scan, as watching a folder does. Each run copies the library and starts the real app
in a fresh process with the trained test model
(tests/models/toy-captioner), then prints:

- usable window: from the start of the process (before Qt and AltLens are imported) until
  the window is shown, the list has painted its first rows and a key press posted to the
  list has been handled; and until every row is in the list;
- scrolling: End pressed in the grid until the last row is painted, then every page from the
  top to the bottom painted in turn (the total and the slowest page);
- keys while captioning: --captions images are queued and, while the model captions them,
  --keys arrow-key presses are posted to the grid, each timed from posting to the list's
  handling of it (median and max);
- memory: the window's process's peak resident size (VmHWM) against the goal of the model's
  size on disk plus 300 MB, the model's process's peak beside it (the model runs in a process
  of its own, core/captioning/modelprocess.py), and the resident size of each at each step,
  including idle after captioning.
"""

from __future__ import annotations

import argparse
import io
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

STARTED = time.perf_counter()

REPO = Path(__file__).resolve().parent.parent
MODEL = REPO / "tests" / "models" / "toy-captioner"
PER_FOLDER = 1000


def status_kb(field: str, pid: int | str = "self") -> int:
    try:
        lines = Path(f"/proc/{pid}/status").read_text().splitlines()
    except OSError:  # that process has ended
        return 0
    for line in lines:
        if line.startswith(field + ":"):
            return int(line.split()[1])
    return 0


def children() -> list[int]:
    """This process's child processes (the model's process, once it runs)."""
    from altlens.core.processes import child_pids

    return child_pids(os.getpid())


def model_kb(field: str) -> int:
    return sum(status_kb(field, pid) for pid in children())


def mb(kb: int) -> float:
    return kb / 1024


# -- the photos and their library (made once) -------------------------------------------------


def photo_bytes(i: int) -> bytes:
    """A small JPEG with pixels of its own: a colour and a shape from `i`, and `i` itself as
    a row of black and white squares. Real libraries seldom hold thousands of copies of one
    picture, and the library matches copies by their pixels, so each photo differs."""
    from PIL import Image, ImageDraw

    size = (64, 48) if i % 3 else (48, 64)
    img = Image.new("RGB", size, ((i * 67) % 256, (i * 131) % 256, (i * 29) % 256))
    d = ImageDraw.Draw(img)
    d.ellipse((8, 8, 8 + 4 * (i % 8) + 12, 8 + 3 * (i % 5) + 12), fill=(255 - i % 200, 200, 40))
    for bit in range(17):
        shade = 255 if i >> bit & 1 else 0
        x = 2 + (bit % 9) * 4
        y = size[1] - 10 + (bit // 9) * 4
        d.rectangle((x, y, x + 3, y + 3), fill=(shade, shade, shade))
    buf = io.BytesIO()
    img.save(buf, "JPEG", quality=80)
    return buf.getvalue()


def ensure_library(workdir: Path, n: int) -> tuple[Path, Path]:
    photos = workdir / f"photos-{n}"
    db = workdir / f"library-{n}.sqlite3"
    done_mark = workdir / f"library-{n}.done"
    if done_mark.exists():
        return photos, db
    if photos.exists():
        shutil.rmtree(photos)
    db.unlink(missing_ok=True)
    t = time.perf_counter()
    for i in range(n):
        folder = photos / f"d{i // PER_FOLDER:04d}"
        if i % PER_FOLDER == 0:
            folder.mkdir(parents=True, exist_ok=True)
        (folder / f"photo_{i:06d}.jpg").write_bytes(photo_bytes(i))
    print(f"wrote {n} photos in {time.perf_counter() - t:.1f} s", flush=True)
    t = time.perf_counter()
    sys.path.insert(0, str(REPO))
    from altlens.core.library import Library

    lib = Library(db)
    report = lib.scan_folder(photos, recursive=True, enqueue=None)
    lib.close()
    print(f"registered {report.seen} photos in {time.perf_counter() - t:.1f} s", flush=True)
    done_mark.write_text(str(n))
    return photos, db


# -- the measured run (a fresh process) -------------------------------------------------------


def child(args: argparse.Namespace) -> None:
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    rss: dict[str, float] = {"process start": mb(status_kb("VmRSS"))}
    model_rss: dict[str, float] = {"process start": 0.0}
    from PySide6.QtCore import QCoreApplication, QEvent, QObject, Qt
    from PySide6.QtGui import QKeyEvent
    from PySide6.QtWidgets import QApplication

    qapp = QApplication.instance() or QApplication([])
    from altlens.core.library import Library
    from altlens.desktop.app import AltLensApp
    from altlens.desktop.settings import Settings

    home = Path(args.tmp)
    settings = Settings(home / "config" / "altlens.ini")
    settings.set_value("model/name", str(MODEL))
    settings.set_value("view/mode", "grid")
    settings.set_value("review/filter", "all")  # the new photos are in no other group
    library = Library(args.db)
    app = AltLensApp(settings, library=library)
    window, view = app.window, app.window.list
    window.resize(1280, 800)

    class Watch(QObject):
        """Times paints of the grid and key presses reaching it."""

        def __init__(self) -> None:
            super().__init__()
            self.painted_rows = 0.0
            self.key_handled: list[float] = []

        def eventFilter(self, obj: QObject, event: QEvent) -> bool:
            if event.type() == QEvent.Type.Paint and obj is view.viewport():
                if view.model() is not None and view.model().rowCount() and not self.painted_rows:
                    self.painted_rows = time.perf_counter()
            elif event.type() == QEvent.Type.KeyPress and obj is view:
                self.key_handled.append(time.perf_counter())
            return False

    watch = Watch()
    view.viewport().installEventFilter(watch)
    view.installEventFilter(watch)

    def wait(cond, timeout: float, what: str) -> None:
        end = time.perf_counter() + timeout
        while not cond():
            if time.perf_counter() > end:
                raise SystemExit(f"timed out waiting for {what}")
            qapp.processEvents()
            time.sleep(0.001)

    def press(key: Qt.Key) -> float:
        """Post a key press to the grid; seconds until the grid handled it."""
        n = len(watch.key_handled)
        posted = time.perf_counter()
        QCoreApplication.postEvent(
            view, QKeyEvent(QEvent.Type.KeyPress, key, Qt.KeyboardModifier.NoModifier)
        )
        QCoreApplication.postEvent(
            view, QKeyEvent(QEvent.Type.KeyRelease, key, Qt.KeyboardModifier.NoModifier)
        )
        wait(lambda: len(watch.key_handled) > n, 30, "a key press")
        return watch.key_handled[-1] - posted

    app.start([], show=True)
    window.activateWindow()
    view.setFocus()
    wait(lambda: window.isVisible(), 30, "the window")
    wait(lambda: watch.painted_rows, 120, "the first rows")
    view.setCurrentIndex(app.order.index(0, 0))
    first_key = press(Qt.Key.Key_Right)
    usable = time.perf_counter() - STARTED
    wait(lambda: app.images.rowCount() >= args.photos, 600, "every row")
    all_rows = time.perf_counter() - STARTED
    wait(lambda: app.controller.model.ready or app.controller.model_error is not None, 300, "the model")
    qapp.processEvents()
    rss["window usable, all rows listed"] = mb(status_kb("VmRSS"))
    model_rss["window usable, all rows listed"] = mb(model_kb("VmRSS"))

    # -- scrolling ----------------------------------------------------------------------------
    t = time.perf_counter()
    press(Qt.Key.Key_End)
    view.viewport().repaint()
    end_key = time.perf_counter() - t
    bar = view.verticalScrollBar()
    bar.setValue(0)
    qapp.processEvents()
    pages, slowest = 0, 0.0
    t = time.perf_counter()
    while True:
        p0 = time.perf_counter()
        view.viewport().repaint()
        slowest = max(slowest, time.perf_counter() - p0)
        pages += 1
        if bar.value() >= bar.maximum():
            break
        bar.setValue(bar.value() + bar.pageStep())
        qapp.processEvents()
    scroll_all = time.perf_counter() - t
    qapp.processEvents()
    rss["after scrolling every page"] = mb(status_kb("VmRSS"))
    model_rss["after scrolling every page"] = mb(model_kb("VmRSS"))

    # -- keys while captioning ----------------------------------------------------------------
    press(Qt.Key.Key_Home)
    paths = [e.path for e in app.images.entries()[: args.captions]]
    progress: list[int] = []
    app.caption_worker.progress.connect(lambda p: progress.append(p.done))
    app.library.enqueue(paths)
    app.caption_worker.nudge()
    wait(lambda: progress, 300, "captioning to start")
    if args.diagnose:
        import gc
        from collections import Counter

        gc.collect()
        objects0 = Counter(type(o).__name__ for o in gc.get_objects())
    delays = []
    for i in range(args.keys):
        delays.append(press(Qt.Key.Key_Right if i % 10 < 8 else Qt.Key.Key_Down))
        pause_until = time.perf_counter() + 0.05
        while time.perf_counter() < pause_until:
            qapp.processEvents()
            time.sleep(0.002)
    during = progress[-1] if progress else 0
    rss["after the keys, captioning"] = mb(status_kb("VmRSS"))
    model_rss["after the keys, captioning"] = mb(model_kb("VmRSS"))
    wait(lambda: progress and progress[-1] >= len(paths), 1200, "captioning to finish")
    captioned = progress[-1]
    rate_text = window.progress.bar.format()
    for _ in range(100):  # idle for a moment
        qapp.processEvents()
        time.sleep(0.01)
    rss["idle after captioning"] = mb(status_kb("VmRSS"))
    model_rss["idle after captioning"] = mb(model_kb("VmRSS"))
    if args.diagnose:
        import ctypes

        gc.collect()
        objects1 = Counter(type(o).__name__ for o in gc.get_objects())
        grown = (objects1 - objects0).most_common(8)
        print("Python objects that grew while captioning:", grown or "none")
        gc.collect()
        ctypes.CDLL("libc.so.6").malloc_trim(0)
        print(f"resident after gc and malloc_trim: {mb(status_kb('VmRSS')):.0f} MB")
    out = {
        "usable": usable,
        "first_key": first_key,
        "all_rows": all_rows,
        "end_key": end_key,
        "scroll_all": scroll_all,
        "pages": pages,
        "slowest_page": slowest,
        "key_median": statistics.median(delays),
        "key_max": max(delays),
        "keys": len(delays),
        "captioned_during_keys": during,
        "captioned": captioned,
        "progress_text": rate_text,
        "thumbnails_cached": app.images.thumbnail_count(),
        "thumbnail_bytes": app.images.thumbnail_bytes,
        "rss": rss,
        "hwm": mb(status_kb("VmHWM")),
        "model_rss": model_rss,
        "model_hwm": mb(model_kb("VmHWM")),
        "model_processes": len(children()),
    }
    app.quit()
    Path(args.out).write_text(json.dumps(out))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--photos", type=int, default=100_000)
    ap.add_argument("--captions", type=int, default=300, help="images captioned while keys are timed")
    ap.add_argument("--keys", type=int, default=50)
    ap.add_argument(
        "--workdir", type=Path, default=Path(tempfile.gettempdir()) / "altlens-scale-bench"
    )
    ap.add_argument("--diagnose", action="store_true",
                    help="count Python objects before and after captioning, and the resident size "
                    "once freed memory is handed back to the system (malloc_trim)")
    ap.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    ap.add_argument("--db", help=argparse.SUPPRESS)
    ap.add_argument("--tmp", help=argparse.SUPPRESS)
    ap.add_argument("--out", help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.child:
        child(args)
        return
    args.workdir.mkdir(parents=True, exist_ok=True)
    _photos, db = ensure_library(args.workdir, args.photos)
    tmp = Path(tempfile.mkdtemp(prefix="altlens-scale-"))
    try:
        run_db = tmp / "library.sqlite3"
        shutil.copy(db, run_db)  # the run captions some photos: keep the made library as is
        out = tmp / "result.json"
        env = dict(os.environ, ALTLENS_HOME=str(tmp / "home"))
        env.setdefault("QT_QPA_PLATFORM", "offscreen")
        cmd = [sys.executable, __file__, "--child", "--photos", str(args.photos),
               "--captions", str(args.captions), "--keys", str(args.keys),
               "--db", str(run_db), "--tmp", str(tmp), "--out", str(out)]
        if args.diagnose:
            cmd.append("--diagnose")
        subprocess.run(cmd, check=True, env=env)
        r = json.loads(out.read_text())
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    model_mb = sum(f.stat().st_size for f in MODEL.rglob("*") if f.is_file()) / 2**20
    goal = model_mb + 300
    load = os.getloadavg()
    print(f"library of {args.photos:,} photos, model {MODEL.name} ({model_mb:.1f} MB); "
          f"load average {load[0]:.2f} {load[1]:.2f} {load[2]:.2f}; {os.cpu_count()} CPUs")
    print(f"usable window (shown, first rows painted, a key handled): {r['usable']:.2f} s "
          f"(goal < 3 s){'' if r['usable'] < 3 else '  OVER'}; that key took "
          f"{r['first_key'] * 1000:.0f} ms")
    print(f"every row listed: {r['all_rows']:.2f} s")
    print(f"End key to the last row painted: {r['end_key'] * 1000:.0f} ms")
    print(f"scrolling top to bottom, every page painted: {r['scroll_all']:.2f} s for "
          f"{r['pages']} pages (slowest page {r['slowest_page'] * 1000:.1f} ms)")
    print(f"keys while captioning ({r['keys']} presses, {r['captioned_during_keys']} images "
          f"captioned meanwhile): median {r['key_median'] * 1000:.1f} ms, max "
          f"{r['key_max'] * 1000:.1f} ms (goal < 100 ms){'' if r['key_max'] < 0.1 else '  OVER'}")
    print(f"captioned {r['captioned']}; progress read: {r['progress_text']!r}")
    print(f"thumbnails cached at the end: {r['thumbnails_cached']} "
          f"({r['thumbnail_bytes'] / 2**20:.1f} MB)")
    print("resident memory (the window's process / the model's process):")
    for what, value in r["rss"].items():
        print(f"  {what}: {value:.0f} / {r['model_rss'].get(what, 0):.0f} MB")
    print(f"peak resident memory of the window's process (VmHWM): {r['hwm']:.0f} MB; goal model + "
          f"300 MB = {goal:.0f} MB{'' if r['hwm'] < goal else '  OVER'}")
    print(f"peak resident memory of the model's process{'es' if r['model_processes'] > 1 else ''} "
          f"(torch, the model, its buffers): {r['model_hwm']:.0f} MB; both peaks together "
          f"{r['hwm'] + r['model_hwm']:.0f} MB")


if __name__ == "__main__":
    main()
