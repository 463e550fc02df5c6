# SPDX-License-Identifier: GPL-3.0-or-later
"""`altlens gui` and `altlens` alone, and the crash handler."""

from __future__ import annotations

import logging
import subprocess
import sys
from pathlib import Path

import pytest

from core import cli
from desktop.diagnostics import CrashHandler, LogBridge

REPO = Path(__file__).resolve().parents[2]


def test_altlens_alone_means_gui(monkeypatch: pytest.MonkeyPatch) -> None:
    seen = {}

    def fake_run(args):
        seen.update(vars(args))
        return 0

    import desktop.app

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
        [sys.executable, "-c", "import sys; from core.cli import main; main(['gui', '--help'])"],
        capture_output=True,
        text=True,
        cwd=REPO,
        timeout=60,
    )
    assert "Open the AltLens window" in out.stdout
    code = "import sys, core.commands.gui; print(any(m.startswith('PySide6') for m in sys.modules))"
    check = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, cwd=REPO, timeout=60
    )
    assert check.stdout.strip() == "False"


def test_crash_report_is_written_and_settings_are_untouched(
    tmp_path: Path, _isolated_home: Path
) -> None:
    from desktop.settings import Settings

    s = Settings()
    s.set_value("caption/beams", 2)
    before = s.path.read_bytes()
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
    assert s.path.read_bytes() == before
