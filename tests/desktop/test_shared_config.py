# SPDX-License-Identifier: GPL-3.0-or-later
"""The window and the `altlens` command share one settings file (config.toml): what is set in
the Settings dialog is what the commands use, and `altlens config set` shows in the window."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from altlens.desktop.settings import SHARED, Settings
from altlens.desktop.views.settings_dialog import SettingsDialog
from PySide6.QtWidgets import QDialogButtonBox

REPO = Path(__file__).resolve().parents[2]


def _altlens(*args: str, home: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "ALTLENS_HOME": str(home)}
    return subprocess.run(
        [sys.executable, "-m", "altlens.desktop", *args], capture_output=True, text=True, env=env, cwd=REPO, timeout=120
    )


def test_set_in_the_window_is_what_the_commands_use(qtbot, _isolated_home: Path, toy_model_dir: Path, tmp_path: Path) -> None:
    settings = Settings()
    dialog = SettingsDialog(settings, models=[])
    qtbot.addWidget(dialog)
    dialog.model.setEditText(str(toy_model_dir))
    dialog._widgets["caption/beams"].setValue(2)
    dialog._widgets["caption/max_length"].setValue(12)
    dialog._widgets["model/device"].setCurrentIndex(dialog._widgets["model/device"].findData("cpu"))
    assert set(dialog.apply()) >= {"model/name", "caption/beams", "caption/max_length", "model/device"}

    listed = json.loads(_altlens("config", "list", "--json", home=_isolated_home).stdout)
    assert listed["path"] == str(settings.config_path)
    assert listed["values"]["model.name"] == str(toy_model_dir)
    assert listed["values"]["caption.beams"] == 2 and listed["values"]["caption.max_length"] == 12
    assert _altlens("config", "get", "model.device", home=_isolated_home).stdout == "cpu\n"

    # A command run without options uses the model chosen in the window (here the toy model:
    # no other model is on this computer, so a caption proves it), the window's candidates
    # cut to what 2 beams give.
    settings.set_value("caption/candidates", 5)
    image = REPO / "tests" / "data" / "samples" / "scene-1.jpg"
    run = _altlens("-v", "caption", "--json", "-q", str(image), home=_isolated_home)
    assert run.returncode == 0, run.stderr
    row = json.loads(run.stdout)
    assert row["model"] == str(toy_model_dir) and row["caption"]
    assert len(row["candidates"]) == 2
    assert "from the settings file" in run.stderr and "beams=2" in run.stderr
    # A flag still wins over the file.
    run = _altlens("caption", "--json", "-q", "--beams", "1", "--candidates", "1", str(image), home=_isolated_home)
    assert len(json.loads(run.stdout)["candidates"]) == 1


def test_altlens_config_set_shows_in_the_window(qtbot, _isolated_home: Path) -> None:
    settings = Settings()  # open while the command changes the file
    assert settings.value("caption/beams") == 4
    # The window notices by itself, and says what changed (the app reloads the model on it).
    with qtbot.waitSignal(settings.changed, timeout=10_000) as changed:
        assert _altlens("config", "set", "caption.beams", "3", home=_isolated_home).returncode == 0
    assert changed.args == ["caption/beams"]
    for key, value in (("model.dtype", "int8"), ("detail.model", "smolvlm2-256m"), ("write.profile", "windows")):
        run = _altlens("config", "set", key, value, home=_isolated_home)
        assert run.returncode == 0, run.stderr
    assert settings.value("caption/beams") == 3
    assert settings.value("model/dtype") == "int8"
    assert settings.value("write/profile") == "windows"
    dialog = SettingsDialog(settings, models=[])
    qtbot.addWidget(dialog)
    assert dialog._widgets["caption/beams"].value() == 3
    assert dialog._widgets["model/dtype"].currentData() == "int8"
    # Unset: back to the window's own default.
    _altlens("config", "unset", "caption.beams", home=_isolated_home)
    assert settings.value("caption/beams") == 4
    assert dialog.values()["detail/model"] == "smolvlm2-256m"
    dialog.findChild(QDialogButtonBox)  # the dialog was built with the file's values
    dialog.close()


def test_choices_made_in_the_window_before_are_moved_once(tmp_path: Path) -> None:
    ini = tmp_path / "altlens.ini"
    ini.write_text(
        "[General]\nschema_version=1\n[model]\nname=/models/blip\ndevice=cpu\n[caption]\nbeams=2\ncandidates=9\n"
        "[view]\nmode=list\n"
    )
    s = Settings(ini)
    text = (tmp_path / "config.toml").read_text()
    assert 'name = "/models/blip"' in text and 'device = "cpu"' in text and "beams = 2" in text
    assert "candidates" not in text  # 9 is out of range: left behind, the default is used
    assert s.value("caption/candidates") == 3
    assert s.value("view/mode") == "list"  # window-only keys stay where they were
    s.set_value("caption/beams", 5)
    assert Settings(ini).value("caption/beams") == 5  # not migrated again over the new value
    assert "beams=2" in ini.read_text()  # the old file is never rewritten


def test_every_shared_option_is_a_config_key() -> None:
    from altlens.core.config import KEYS
    from altlens.desktop.settings import OPTIONS

    for window_key, name in SHARED.items():
        option, key = OPTIONS[window_key], KEYS[name]
        assert (option.minimum, option.maximum) == (key.minimum, key.maximum), name
        assert set(option.choices) == set(key.choices), name
        if key.gui_default.isdigit() or key.choices:
            assert str(option.default) == key.gui_default, name
