# SPDX-License-Identifier: GPL-3.0-or-later
"""How AltLens finds ExifTool in a frozen (PyInstaller) bundle: the copy shipped beside the
executable wins over PATH, ALTLENS_EXIFTOOL wins over both, and an ordinary install never
looks for a bundled copy. No ExifTool is run here."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
from altlens.core.metadata import exiftool as et


def _fake_program(path: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("#!/bin/sh\necho 13.00\n")
    path.chmod(0o755)
    return path


def _name() -> str:
    return "exiftool.exe" if sys.platform == "win32" else "exiftool"


@pytest.fixture
def frozen(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    """Pretend to be a one-folder bundle at tmp_path/bundle with a PATH that has its own
    exiftool, so a test can tell which one was chosen."""
    bundle = tmp_path / "bundle"
    bundle.mkdir()
    monkeypatch.setattr(sys, "frozen", True, raising=False)
    monkeypatch.setattr(sys, "executable", str(bundle / "altlens"))
    monkeypatch.setattr(sys, "_MEIPASS", str(bundle / "_internal"), raising=False)
    monkeypatch.delenv(et.ENV_EXECUTABLE, raising=False)
    on_path = _fake_program(tmp_path / "bin" / _name())
    monkeypatch.setenv("PATH", str(on_path.parent))
    return bundle


def test_bundled_copy_beside_the_executable_wins_over_path(frozen: Path) -> None:
    shipped = _fake_program(frozen / "exiftool" / _name())
    assert et.bundled_exiftool() == str(shipped)
    assert et.find_exiftool() == str(shipped)


def test_bundled_copy_in_the_data_folder_is_found(frozen: Path) -> None:
    shipped = _fake_program(frozen / "_internal" / "exiftool" / _name())
    assert et.find_exiftool() == str(shipped)


def test_frozen_without_a_bundled_copy_uses_path(frozen: Path, tmp_path: Path) -> None:
    assert et.bundled_exiftool() is None
    assert et.find_exiftool() == str(tmp_path / "bin" / _name())


def test_environment_variable_wins_over_the_bundled_copy(
    frozen: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _fake_program(frozen / "exiftool" / _name())
    chosen = _fake_program(tmp_path / "elsewhere" / _name())
    monkeypatch.setenv(et.ENV_EXECUTABLE, str(chosen))
    assert et.find_exiftool() == str(chosen)


def test_a_folder_named_exiftool_is_not_a_program(frozen: Path, tmp_path: Path) -> None:
    (frozen / "exiftool" / _name()).mkdir(parents=True)  # a directory, not the program
    assert et.bundled_exiftool() is None
    assert et.find_exiftool() == str(tmp_path / "bin" / _name())


@pytest.mark.skipif(sys.platform != "darwin", reason="the .app layout is macOS only")
def test_macos_app_resources(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    app = tmp_path / "AltLens.app" / "Contents"
    monkeypatch.setattr(sys, "frozen", True, raising=False)
    monkeypatch.setattr(sys, "executable", str(app / "MacOS" / "altlens"))
    (app / "MacOS").mkdir(parents=True)
    shipped = _fake_program(app / "Resources" / "exiftool" / "exiftool")
    assert et.bundled_exiftool() == str(shipped)


def test_not_frozen_ignores_a_folder_beside_python(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """An installed AltLens runs under python: an `exiftool` folder next to the interpreter is
    nobody's bundle and must not be picked up."""
    monkeypatch.delattr(sys, "frozen", raising=False)
    monkeypatch.setattr(sys, "executable", str(tmp_path / "python"))
    _fake_program(tmp_path / "exiftool" / _name())
    assert et.bundled_exiftool() is None
