# SPDX-License-Identifier: GPL-3.0-or-later
"""An install without Qt (ALTLENS_HEADLESS=1) captions and writes; the window's commands say
what is missing instead of failing inside Qt. Also: no display, no abort."""

from __future__ import annotations

import importlib.util
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
SAMPLE = REPO / "tests" / "data" / "samples" / "scene-1.jpg"
TOY = REPO / "tests" / "models" / "toy-captioner"

# Run the installed entry point with every import of Qt failing, as on a machine without it.
NO_QT = """
import sys
class NoQt:
    def find_spec(self, name, path=None, target=None):
        if name.split(".")[0] in ("PySide6", "shiboken6"):
            raise ImportError(f"No module named {name!r} (blocked: a headless install)")
        return None
sys.meta_path.insert(0, NoQt())
from altlens.desktop.cli import main, gui_main
entry = gui_main if sys.argv[1] == "gui-script" else main
sys.argv = ["altlens", *sys.argv[2:]]
status = entry()
assert not any(m.split(".")[0] in ("PySide6", "shiboken6") for m in sys.modules)
sys.exit(status)
"""


def _run(*args: str, env: dict[str, str] | None = None, entry: str = "altlens") -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", NO_QT, entry, *args], capture_output=True, text=True, cwd=REPO, timeout=300,
        env={**os.environ, **(env or {})},
    )


def test_captions_and_writes_without_qt(tmp_path: Path) -> None:
    if shutil.which("exiftool") is None:
        pytest.skip("ExifTool is not installed")
    photo = tmp_path / "photo.jpg"
    shutil.copy(SAMPLE, photo)
    run = _run("caption", "--json", "-q", "--model", str(TOY), str(photo))
    assert run.returncode == 0, run.stderr
    caption = json.loads(run.stdout)["caption"]
    assert caption
    run = _run("write", str(photo), "--alt-text", caption, "--json")
    assert run.returncode == 0, run.stderr
    run = _run("read", "--json", str(photo))
    assert caption in run.stdout
    for args in (("status",), ("config", "list"), ("completion", "bash"), ("manpage",), ("--help",)):
        assert _run(*args).returncode == 0, args


@pytest.mark.parametrize("entry,args", [("altlens", ()), ("altlens", ("gui",)), ("gui-script", ())])
def test_the_window_says_it_is_not_installed(entry: str, args: tuple[str, ...]) -> None:
    run = _run(*args, entry=entry, env={"QT_QPA_PLATFORM": "offscreen"})
    assert run.returncode == 2
    assert "window is not installed" in run.stderr and "altlens[gui]" in run.stderr
    assert "altlens caption" in run.stderr  # what to use instead


def test_no_display_is_a_message_not_an_abort(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if k not in ("DISPLAY", "WAYLAND_DISPLAY", "QT_QPA_PLATFORM")}
    env["ALTLENS_HOME"] = str(tmp_path)
    run = subprocess.run([sys.executable, "-m", "altlens.desktop"], capture_output=True, text=True, cwd=REPO,
                         env=env, timeout=120)
    assert run.returncode == 2, (run.returncode, run.stderr)  # not 134/-6 (SIGABRT)
    assert "no display" in run.stderr and "DISPLAY" in run.stderr
    assert "altlens caption" in run.stderr and "Could not load the Qt platform plugin" not in run.stderr


def _setup_module():  # setup.py, without running setup()
    spec = importlib.util.spec_from_file_location("altlens_setup", REPO / "setup.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_a_headless_build_leaves_qt_out() -> None:
    setup = _setup_module()
    full = setup.install_requires({})
    headless = setup.install_requires({"ALTLENS_HEADLESS": "1"})
    assert any(r.startswith("PySide6") for r in full)
    assert not any(r.startswith("PySide6") for r in headless)
    assert set(headless) < set(full)
    with pytest.raises(SystemExit, match="ALTLENS_HEADLESS"):
        setup.install_requires({"ALTLENS_HEADLESS": "perhaps"})
