# SPDX-License-Identifier: GPL-3.0-or-later
from __future__ import annotations

from pathlib import Path

import pytest
from altlens.desktop import settings as settings_module
from altlens.desktop.settings import OPTIONS, SCHEMA_KEY, SCHEMA_VERSION, Settings
from PySide6.QtCore import QSettings


def test_defaults_and_typed_round_trip(tmp_path: Path) -> None:
    s = Settings(tmp_path / "altlens.ini")
    for key, opt in OPTIONS.items():
        assert s.value(key) == opt.default
    s.set_value("caption/beams", 5)
    s.set_value("write/overwrite", True)
    s.set_value("window/geometry", b"\x01\x02")
    again = Settings(tmp_path / "altlens.ini")
    assert again.value("caption/beams") == 5
    assert again.value("write/overwrite") is True
    assert again.value("window/geometry") == b"\x01\x02"


def test_the_files_live_under_altlens_home(_isolated_home: Path) -> None:
    s = Settings()
    s.set_value("caption/beams", 2)  # shared with the command line: config.toml
    s.set_value("view/mode", "list")  # the window's own: altlens.ini
    assert s.path == _isolated_home / "config" / "altlens.ini"
    assert s.config_path == _isolated_home / "config" / "config.toml"
    assert s.path.is_file() and s.config_path.is_file()
    assert "beams = 2" in s.config_path.read_text()
    assert "beams" not in s.path.read_text()


def test_bad_values_fall_back_without_wiping_the_file(tmp_path: Path) -> None:
    path = tmp_path / "altlens.ini"
    path.write_text(
        f"[General]\n{SCHEMA_KEY}={SCHEMA_VERSION}\n[caption]\nbeams=99\ncandidates=two\n"
        "[write]\nprofile=weird\noverwrite=maybe\n[model]\nbatch_size=8\n"
    )
    s = Settings(path)
    assert s.value("caption/beams") == OPTIONS["caption/beams"].default
    assert s.value("caption/candidates") == OPTIONS["caption/candidates"].default
    assert s.value("write/profile") == "standard"
    assert s.value("write/overwrite") is False
    assert s.value("model/batch_size") == 8  # good values are kept
    assert "beams=99" in path.read_text()  # nothing was rewritten


def test_setting_an_invalid_value_is_refused(tmp_path: Path) -> None:
    s = Settings(tmp_path / "a.ini")
    with pytest.raises(ValueError):
        s.set_value("caption/beams", 9)
    with pytest.raises(ValueError):
        s.set_value("model/device", "tpu")


def test_schema_version_and_migrations(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "old.ini"
    old = QSettings(str(path), QSettings.Format.IniFormat)
    old.setValue("caption/beams", 3)  # a file from before schema versions
    old.sync()
    ran: list[int] = []
    monkeypatch.setattr(
        settings_module,
        "MIGRATIONS",
        {SCHEMA_VERSION: lambda qs: ran.append(int(qs.value("caption/beams")))},
    )
    s = Settings(path)
    assert ran == [3]
    assert int(QSettings(str(path), QSettings.Format.IniFormat).value(SCHEMA_KEY)) == SCHEMA_VERSION
    assert s.value("caption/beams") == 3
    Settings(path)
    assert ran == [3]  # not again


def test_newer_files_are_left_alone(tmp_path: Path) -> None:
    path = tmp_path / "new.ini"
    path.write_text(f"[General]\n{SCHEMA_KEY}={SCHEMA_VERSION + 5}\n[caption]\nbeams=2\n")
    s = Settings(path)
    assert s.value("caption/beams") == 2
    assert f"{SCHEMA_VERSION + 5}" in path.read_text()


def test_session_overrides_are_not_saved(tmp_path: Path) -> None:
    s = Settings(tmp_path / "a.ini")
    s.override("model/name", "/some/model")
    assert s.value("model/name") == "/some/model"
    assert Settings(tmp_path / "a.ini").value("model/name") == ""


def test_changed_signal(tmp_path: Path, qtbot) -> None:
    s = Settings(tmp_path / "a.ini")
    with qtbot.waitSignal(s.changed) as sig:
        s.set_value("caption/max_length", 30)
    assert sig.args == ["caption/max_length"]


def test_generation_settings_respect_beam_limits(tmp_path: Path) -> None:
    s = Settings(tmp_path / "a.ini")
    s.set_value("caption/beams", 2)
    s.set_value("caption/candidates", 5)
    g = s.generation_settings()
    assert (g.strategy, g.num_beams, g.num_candidates) == ("beam", 2, 2)
    s.set_value("caption/beams", 1)
    g = s.generation_settings()
    assert (g.strategy, g.num_candidates) == ("greedy", 1)
