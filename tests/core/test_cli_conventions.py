# SPDX-License-Identifier: GPL-3.0-or-later
"""What a person expects of a command-line tool: progress that fits the terminal, -v anywhere,
shell completion and a man page generated from the same parser, `altlens config`."""

from __future__ import annotations

import io
import json
import os
import pty
import re
import select
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from altlens.core import clidoc
from altlens.core.cli import build_parser, main
from altlens.core.progress import ProgressBar, StepProgress, TransferBar

REPO = Path(__file__).resolve().parents[2]
TOY = REPO / "tests" / "models" / "toy-captioner"
SAMPLES = REPO / "tests" / "data" / "samples"
EXTRA = ["altlens.desktop.command"]  # the installed `altlens` also has `gui`


class _Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def _screen_lines(text: str) -> list[str]:
    """What a terminal shows line by line: \\r starts the line again, escapes take no room."""
    text = re.sub(r"\x1b\[[0-9;]*[A-Za-z]", "", text)
    return [seg for line in text.split("\n") for seg in line.split("\r")]


@pytest.mark.parametrize("columns", [40, 80, 120])
def test_progress_bars_fit_the_terminal(columns: int, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("COLUMNS", str(columns))
    bar = ProgressBar(123_456, stream=_Terminal())
    bar.started -= 3600
    lines = [bar.render(done, failed) for done, failed in ((0, 0), (7, 0), (60_000, 1234), (123_456, 99_999))]
    transfer = TransferBar("Downloading", stream=_Terminal())
    lines += [transfer.render(n, 1_900_000_000, speed=12_345_678, eta=7200, detail="model.safetensors (3/12 files)")
              for n in (0, 1_000_000_000)]
    assert all(len(line) < columns for line in lines), [(len(x), x) for x in lines]
    # What matters most survives: the count and the ETA at 80 columns.
    if columns >= 80:
        assert "60000/123456 (49%)" in lines[2] and "ETA" in lines[2]


def test_a_log_line_is_never_cut(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("COLUMNS", "40")
    line = ProgressBar(10, stream=io.StringIO()).render(5, 1)  # a pipe: every field
    assert "img/s" in line and "elapsed" in line and "1 failed" in line


def test_caption_progress_on_an_80_column_terminal(tmp_path: Path) -> None:
    """The real command on a pseudo-terminal: no redrawn line reaches the 80th column."""
    images = tmp_path / "photos"
    images.mkdir()
    for n in range(8):
        shutil.copy(sorted(SAMPLES.glob("*.jpg"))[n % 6], images / f"long-file-name-{n:03d}.jpg")
    master, slave = pty.openpty()
    env = {**os.environ, "COLUMNS": "80", "ALTLENS_HOME": str(tmp_path / "home")}
    proc = subprocess.Popen(
        [sys.executable, "-m", "altlens.core", "caption", "--model", str(TOY), "--batch-size", "1", str(images)],
        stdout=subprocess.DEVNULL, stderr=slave, cwd=REPO, env=env,
    )
    os.close(slave)
    chunks = []
    while True:
        ready, _, _ = select.select([master], [], [], 120)
        if not ready:
            proc.kill()
            break
        try:
            data = os.read(master, 4096)
        except OSError:  # the child closed its end
            break
        if not data:
            break
        chunks.append(data)
    os.close(master)
    assert proc.wait(60) == 0
    screen = _screen_lines(b"".join(chunks).decode())
    drawn = [line for line in screen if line.startswith("Captioning [")]
    assert drawn, screen
    assert max(len(line) for line in screen) < 80, [line for line in screen if len(line) >= 80]


def test_export_steps_fit_a_narrow_terminal(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("COLUMNS", "50")
    out = _Terminal()
    steps = StepProgress("Exporting blip-large-with-a-long-name to ONNX (int8)", stream=out)
    steps.step("exporting the decoder", 3, 5)
    steps.close()
    assert all(len(line) < 50 for line in out.getvalue().splitlines())


def test_verbose_before_or_after_the_command() -> None:
    parser = build_parser(EXTRA)
    assert parser.parse_args(["-v", "status"]).verbose == 1
    assert parser.parse_args(["status", "-vv"]).verbose == 2
    assert parser.parse_args(["models", "list", "-v"]).verbose == 1
    assert parser.parse_args(["status"]).verbose == 0


# --- completion and man page ---------------------------------------------------------------------


def _complete(script: str, words: list[str]) -> list[str]:
    """Ask bash itself: source the script, set COMP_WORDS/COMP_CWORD, run the function."""
    quoted = " ".join("'" + w.replace("'", "'\\''") + "'" for w in words)
    program = f"""source "$1"
COMP_WORDS=({quoted}); COMP_CWORD={len(words) - 1}; COMPREPLY=()
_altlens
printf '%s\\n' "${{COMPREPLY[@]}}"
"""
    path = Path(os.environ.get("TMPDIR", "/tmp")) / f"altlens-completion-{os.getpid()}.bash"
    path.write_text(script)
    try:
        run = subprocess.run(["bash", "-c", program, "bash", str(path)], capture_output=True, text=True, timeout=30)
    finally:
        path.unlink()
    assert run.returncode == 0 and not run.stderr, run.stderr
    return [w for w in run.stdout.splitlines() if w]


@pytest.mark.skipif(shutil.which("bash") is None, reason="bash is not installed")
def test_bash_completion_completes_commands_options_and_choices(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["completion", "bash"], extra_modules=EXTRA) == 0
    script = capsys.readouterr().out
    top = _complete(script, ["altlens", ""])
    assert {"caption", "watch", "models", "config", "completion", "gui"} <= set(top)
    assert _complete(script, ["altlens", "ca"]) == ["caption"]
    assert _complete(script, ["altlens", "caption", "--max"]) == ["--max-length"]
    assert _complete(script, ["altlens", "caption", "--device", ""]) == ["auto", "cpu", "cuda", "mps"]
    # A value is skipped when finding the command, options before the command are allowed.
    assert _complete(script, ["altlens", "-v", "caption", "--model", "m", "--be"]) == ["--beams"]
    assert "export-onnx" in _complete(script, ["altlens", "models", ""])
    assert "--json" in _complete(script, ["altlens", "models", "download", "--"])
    assert "caption.beams" in _complete(script, ["altlens", "config", "set", ""])
    assert _complete(script, ["altlens", "completion", ""]) == ["bash", "zsh", "fish"]


def test_zsh_and_fish_scripts_cover_every_command(capsys: pytest.CaptureFixture[str]) -> None:
    parser = build_parser(EXTRA)
    zsh = clidoc.zsh(parser)
    assert zsh.startswith("#compdef altlens") and "bashcompinit" in zsh and "complete -F _altlens altlens" in zsh
    fish = clidoc.fish(parser)
    for cmd in clidoc.commands(parser):
        for name in cmd.subcommands:
            assert f"-a {name} " in fish, name
    assert "-l max-length -r" in fish and "-a 'auto cpu cuda mps'" in fish
    if shutil.which("fish"):
        check = subprocess.run(["fish", "--no-execute"], input=fish, capture_output=True, text=True, timeout=30)
        assert check.returncode == 0, check.stderr


@pytest.mark.skipif(shutil.which("groff") is None, reason="groff is not installed")
def test_the_man_page_renders_without_warnings(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["manpage"], extra_modules=EXTRA) == 0
    page = capsys.readouterr().out
    assert page.startswith(".TH ALTLENS 1")
    run = subprocess.run(["groff", "-man", "-Tutf8", "-ww", "-rLL=80n"], input=page, capture_output=True,
                         text=True, timeout=60)
    assert run.returncode == 0 and run.stderr == "", run.stderr
    text = re.sub(r".\x08", "", run.stdout)  # bold and underline overstrikes
    for expected in ("altlens - offline alt text", "COMMANDS", "models export-onnx", "config set",
                     "--max-length T", "EXIT STATUS", "ALTLENS_HOME"):
        assert expected in text.replace("\u2010", "-").replace("\u2212", "-"), expected


# --- config ----------------------------------------------------------------------------------------


def test_config_set_get_unset_and_errors(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["config", "get", "caption.beams"]) == 1  # not set
    assert main(["config", "set", "caption.beams", "2"]) == 0
    assert main(["config", "set", "model.name", "blip-base"]) == 0
    capsys.readouterr()
    assert main(["config", "get", "caption.beams"]) == 0 and capsys.readouterr().out == "2\n"
    assert main(["config", "set", "caption.beams", "9"]) == 2
    assert "caption.beams must be between 1 and 5 (got 9)" in capsys.readouterr().err
    assert main(["config", "set", "model.device", "tpu"]) == 2
    assert "must be one of auto, cpu, cuda, mps" in capsys.readouterr().err
    assert main(["config", "set", "caption.beams", "two"]) == 2
    assert "whole number" in capsys.readouterr().err
    with pytest.raises(SystemExit):
        main(["config", "set", "caption.beam", "2"])  # unknown key: argparse lists the keys
    assert "caption.beams" in capsys.readouterr().err
    assert main(["config", "list", "--json"]) == 0
    listed = json.loads(capsys.readouterr().out)
    assert listed["values"] == {"caption.beams": 2, "model.name": "blip-base"}
    assert listed["keys"]["caption.candidates"]["set"] is False
    assert main(["config", "unset", "caption.beams"]) == 0 and main(["config", "get", "caption.beams"]) == 1
    capsys.readouterr()
    assert main(["config", "path"]) == 0
    path = Path(capsys.readouterr().out.strip())
    assert path.name == "config.toml" and 'name = "blip-base"' in path.read_text()


def test_a_broken_settings_file_stops_commands_but_not_config(capsys: pytest.CaptureFixture[str]) -> None:
    from altlens.core.config import config_path

    path = config_path()
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("[caption]\nbeams = 7\nmystery = 1\n")
    assert main(["caption", str(SAMPLES / "scene-1.jpg"), "--model", str(TOY)]) == 2
    err = capsys.readouterr().err
    assert "caption.beams must be between 1 and 5 (got 7)" in err and "altlens config unset caption.beams" in err
    assert main(["config", "set", "caption.max_length", "20"]) == 0  # still works, keeps what it cannot read
    text = path.read_text()
    assert "beams = 7" in text and "mystery = 1" in text and "max_length = 20" in text
    assert main(["config", "unset", "caption.beams"]) == 0
    assert main(["caption", "-q", str(SAMPLES / "scene-1.jpg"), "--model", str(TOY)]) == 0
    path.write_text("[caption\n")
    assert main(["status"]) == 0  # commands that read no settings are not stopped
    assert main(["caption", str(SAMPLES / "scene-1.jpg")]) == 2
    assert "not valid TOML" in capsys.readouterr().err


def test_the_settings_file_round_trips_any_text(tmp_path: Path) -> None:
    from altlens.core.config import Config

    odd = 'C:\\Models\\"blip" ünï\tcödé, [x] = 1\n# not a comment'
    config = Config(tmp_path / "config.toml")
    config.set("model.name", odd)
    config.set("caption.beams", "3")
    config.unknown["future.flag"] = True
    config.save()
    again = Config.load(tmp_path / "config.toml")
    assert again.values == {"model.name": odd.strip(), "caption.beams": 3}
    assert again.unknown == {"future.flag": True}


def test_the_windows_older_settings_are_moved_without_qt(tmp_path: Path) -> None:
    """The window kept these in altlens.ini before; a command finds them the first time."""
    from altlens.core.config import Config

    (tmp_path / "altlens.ini").write_text(
        '[model]\nname="/models/a, b"\ndevice=cuda\nbatch_size=64\n[caption]\nbeams=2\n[view]\nmode=list\n'
    )
    config = Config.load(tmp_path / "config.toml")
    assert config.values == {"model.name": "/models/a, b", "model.device": "cuda", "caption.beams": 2}
    assert (tmp_path / "config.toml").is_file()  # once: from now on the file is the record


def test_eta_follows_the_measured_pace_not_the_model_load() -> None:
    """30 s of model loading, then two photos a second: the estimate must say about 5 s for
    the 11 left, where done/elapsed (9 in 34 s) would have said 41 s."""
    now = [0.0]
    bar = ProgressBar(20, stream=io.StringIO(), clock=lambda: now[0])
    for t, done in ((30.0, 1), (32.0, 5), (34.0, 9)):
        now[0] = t
        bar.update(done)
    line = bar.render(9, 0, now[0])
    assert "ETA 0:06" in line or "ETA 0:05" in line, line
    assert "2.00 img/s" in line, line
    fresh = ProgressBar(20, stream=io.StringIO(), clock=lambda: 0.0)
    assert "ETA --:--" in fresh.render(0, 0, 0.0) and "-- img/s" in fresh.render(0, 0, 0.0)
    short = ProgressBar(6, stream=io.StringIO(), clock=lambda: 0.0)
    assert "3.00 img/s" in short.render(6, 0, 2.0)  # too short for a pace: the whole run's rate


def test_a_finished_command_exits_without_teardown_but_loses_nothing(tmp_path: Path) -> None:
    """exit_fast skips the interpreter's teardown once torch is loaded, but everything printed
    arrives, atexit handlers run, the status is kept, and a command with a thread still
    running, or whose caller asks for the teardown (the window), gets the normal exit."""
    script = """
import atexit, sys, threading, time
import torch  # a command that ran a model
from altlens.core.cli import exit_fast
atexit.register(lambda: print("atexit ran", file=sys.stderr))
class Kept:
    def __del__(self):
        print("torn down", file=sys.stderr)
kept = Kept()  # destroyed only by the interpreter's teardown
if sys.argv[1] == "thread":
    threading.Thread(target=lambda: (time.sleep(0.5), print("thread done", flush=True))).start()
sys.stdout.write("x" * 100000)  # more than a pipe's buffer: it must all be flushed
sys.stdout.write("\\nend")
exit_fast(3, teardown=sys.argv[1] == "teardown")
"""
    for mode in ("plain", "thread", "teardown"):
        proc = subprocess.run([sys.executable, "-c", script, mode], capture_output=True, text=True, timeout=60)
        assert proc.returncode == 3, proc.stderr[-2000:]
        assert "atexit ran" in proc.stderr
        assert proc.stdout.count("x") == 100000 and "end" in proc.stdout
        assert ("thread done" in proc.stdout) == (mode == "thread")
        assert ("torn down" in proc.stderr) == (mode != "plain")


def test_the_installed_command_uses_the_fast_exit() -> None:
    import tomllib

    scripts = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]["scripts"]
    assert scripts["altlens"] == "altlens.desktop.cli:run"
    proc = subprocess.run(
        [sys.executable, "-m", "altlens.core", "caption", "--json", "--quiet", "--model", str(TOY),
         str(next(SAMPLES.glob("*.jpg")))],
        capture_output=True, text=True, timeout=120, cwd=REPO,
    )
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert json.loads(proc.stdout)["caption"]
