# SPDX-License-Identifier: GPL-3.0-or-later
"""`altlens gui` and `altlens` alone, and the crash handler."""

from __future__ import annotations

import logging
import subprocess
import sys
from pathlib import Path

import pytest

from altlens.desktop import cli
from altlens.desktop.diagnostics import CrashHandler, LogBridge

REPO = Path(__file__).resolve().parents[2]


def test_altlens_alone_means_gui(monkeypatch: pytest.MonkeyPatch) -> None:
    seen = {}

    def fake_run(args):
        seen.update(vars(args))
        return 0

    import altlens.desktop.app
    from altlens import desktop

    monkeypatch.setattr(desktop.app, "run", fake_run)
    assert cli.main([]) == 0
    assert seen["command"] == "gui" and seen["paths"] == []
    assert cli.main(["gui", "--model", "/m", "a.jpg", "folder"]) == 0
    assert seen["model"] == "/m" and seen["paths"] == ["a.jpg", "folder"]


def test_bad_options_exit_2_before_any_window(capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main(["gui", "--beams", "9"]) == 2
    assert "--beams" in capsys.readouterr().err
    assert cli.main(["gui", "--max-length", "500"]) == 2


def test_help_runs_without_qt() -> None:
    out = subprocess.run(
        [sys.executable, "-c", "import sys; from altlens.desktop.cli import main; main(['gui', '--help'])"],
        capture_output=True,
        text=True,
        cwd=REPO,
        timeout=60,
    )
    assert "Open the AltLens window" in out.stdout
    code = "import sys, desktop.cli, desktop.command; print(any(m.startswith('PySide6') for m in sys.modules))"
    check = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, cwd=REPO, timeout=60
    )
    assert check.stdout.strip() == "False"


def test_crash_report_is_written_and_settings_are_untouched(
    tmp_path: Path, _isolated_home: Path
) -> None:
    from altlens.desktop.settings import Settings

    s = Settings()
    s.set_value("caption/beams", 2)
    s.set_value("view/mode", "list")
    before = (s.path.read_bytes(), s.config_path.read_bytes())
    bridge = LogBridge()
    logging.getLogger("test").addHandler(bridge)
    logging.getLogger("test").warning("something happened before")
    handler = CrashHandler(bridge)
    reports: list[tuple[str, object]] = []
    handler.crashed.connect(lambda summary, path: reports.append((summary, path)))
    try:
        raise ValueError("boom")
    except ValueError:
        handler._hook(*sys.exc_info())
    finally:
        logging.getLogger("test").removeHandler(bridge)
    summary, report = reports[0]
    assert summary == "ValueError: boom"
    assert report.parent == _isolated_home / "logs"
    text = report.read_text()
    assert "ValueError: boom" in text and "something happened before" in text
    assert (s.path.read_bytes(), s.config_path.read_bytes()) == before


def test_sigterm_closes_the_app_cleanly(tmp_path: Path, toy_model_dir: Path, sample_images) -> None:
    """`kill` (SIGTERM) closes the window the normal way: exit status 0, the library closed
    and no ExifTool left behind."""
    import os
    import signal
    import sqlite3
    import time

    images = sample_images(2)
    home = tmp_path / "home"
    env = dict(
        os.environ, ALTLENS_HOME=str(home), QT_QPA_PLATFORM="offscreen", PYTHONPATH=str(REPO)
    )
    proc = subprocess.Popen(
        [sys.executable, "-m", "altlens.desktop", "gui", "--model", str(toy_model_dir), *map(str, images)],
        cwd=REPO,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    db = home / "data" / "library.sqlite3"
    try:
        deadline = time.monotonic() + 180
        done = 0
        while time.monotonic() < deadline and done < 2 and proc.poll() is None:
            if db.exists():
                try:
                    with sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=5) as con:
                        done = con.execute(
                            "SELECT count(*) FROM images WHERE status = 'suggested'"
                        ).fetchone()[0]
                except sqlite3.Error:
                    done = 0
            time.sleep(0.2)  # polling another process; nothing here to wait on
        assert done == 2, "the app did not caption in time"
        from altlens.core.processes import child_pids

        # The model ran in a process of its own: torch is mapped there, not in the window's.
        assert not _maps_torch(proc.pid)
        models = [pid for pid in child_pids(proc.pid) if _maps_torch(pid)]
        assert len(models) == 1, child_pids(proc.pid)
        proc.send_signal(signal.SIGTERM)
        _, err = proc.communicate(timeout=120)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait(30)
    assert proc.returncode == 0, err[-2000:]
    left = subprocess.run(["pgrep", "-f", f"exiftool.*{home}"], capture_output=True, text=True)
    assert left.stdout.strip() == "", "an ExifTool process outlived the app"
    assert not Path(f"/proc/{models[0]}").exists(), "the model's process outlived the app"


def _maps_torch(pid: int) -> bool:
    try:
        return "libtorch" in Path(f"/proc/{pid}/maps").read_text()
    except OSError:
        return False
