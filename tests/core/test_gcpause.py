# SPDX-License-Identifier: GPL-3.0-or-later
"""The garbage collector pause of a command's start (core/gcpause.py): on while a model
command imports torch and loads, back on (with the start's objects frozen) once the model is
loaded or the command ends, and never touched for other callers."""

from __future__ import annotations

import gc
import json
import subprocess
import sys
from pathlib import Path

from altlens.core import gcpause

REPO = Path(__file__).resolve().parents[2]
TOY = REPO / "tests" / "models" / "toy-captioner"
SAMPLES = REPO / "tests" / "data" / "samples"


def test_pause_and_resume_in_process() -> None:
    assert gc.isenabled()
    frozen = gc.get_freeze_count()
    gcpause.resume()  # nothing paused: the collector is not touched
    assert gc.isenabled() and gc.get_freeze_count() == frozen
    try:
        gcpause.pause()
        assert not gc.isenabled() and gcpause.paused()
        gcpause.resume()
        assert gc.isenabled() and not gcpause.paused()
        assert gc.get_freeze_count() >= frozen
    finally:
        gc.unfreeze()
        gc.enable()


def test_a_collector_turned_off_by_the_caller_stays_off() -> None:
    gc.disable()
    try:
        gcpause.pause()
        gcpause.resume()
        assert not gc.isenabled()
    finally:
        gc.enable()


def test_caption_command_collects_again_once_the_model_is_loaded() -> None:
    """Seen from inside: while the model loads the collector is off; when the first photo is
    captioned it is on, with the start's objects frozen."""
    script = f"""
import gc, json, sys
from altlens.core.captioning import engine
states = {{}}
real_load, real_caption = engine.Captioner.load, engine.Captioner._run_batch
def load(self):
    states.setdefault("loading", gc.isenabled())
    return real_load(self)
def run_batch(self, *a, **k):
    states.setdefault("captioning", gc.isenabled())
    states.setdefault("frozen", gc.get_freeze_count())
    return real_caption(self, *a, **k)
engine.Captioner.load, engine.Captioner._run_batch = load, run_batch
from altlens.core.cli import main
status = main(["caption", "--json", "--quiet", "--model", {str(TOY)!r}, {str(next(SAMPLES.glob("*.jpg")))!r}])
states["after"] = gc.isenabled()
print(json.dumps(states), file=sys.stderr)
sys.exit(status)
"""
    proc = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=120, cwd=REPO)
    assert proc.returncode == 0, proc.stderr[-2000:]
    states = json.loads(proc.stderr.strip().splitlines()[-1])
    assert states["loading"] is False
    assert states["captioning"] is True and states["frozen"] > 10000
    assert states["after"] is True
    assert json.loads(proc.stdout)["caption"]


def test_other_commands_keep_the_collector(monkeypatch, capsys) -> None:  # type: ignore[no-untyped-def]
    from altlens.core import cli

    calls: list[str] = []
    monkeypatch.setattr(gcpause, "pause", lambda: calls.append("pause"))
    assert cli.main(["config", "path"]) == 0
    assert calls == [] and gc.isenabled()
    assert capsys.readouterr().out.strip()


def test_glibc_accepts_the_allocator_settings() -> None:
    """glibc accepts the allocator settings (runtime.tune_allocator) on a glibc system, and
    nothing is tried elsewhere; in a process of its own, as they last for the process."""
    import os

    script = """
from altlens.core.captioning import runtime
print(runtime.tune_allocator())
"""
    proc = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=60, cwd=REPO)
    glibc = (os.confstr("CS_GNU_LIBC_VERSION") or "").startswith("glibc") if hasattr(os, "confstr") else False
    assert proc.stdout.strip() == str(glibc), proc.stderr[-2000:]


def test_model_commands_tune_the_allocator_and_others_do_not(monkeypatch, capsys) -> None:  # type: ignore[no-untyped-def]
    from altlens.core import cli
    from altlens.core.captioning import runtime

    calls: list[str] = []
    monkeypatch.setattr(runtime, "tune_allocator", lambda: calls.append("tuned") or True)
    assert cli.main(["config", "path"]) == 0
    assert calls == []
    photo = str(next(SAMPLES.glob("*.jpg")))
    assert cli.main(["caption", "--json", "--quiet", "--model", str(TOY), photo]) == 0
    assert calls == ["tuned"]
    assert json.loads(capsys.readouterr().out.strip().splitlines()[-1])["caption"]
