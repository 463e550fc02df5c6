# SPDX-License-Identifier: GPL-3.0-or-later
"""The model in a process of its own (core/captioning/modelprocess.py), as the window runs it:
the same captions as in process, the same errors, cancel, a killed child, and no torch in the
caller's process."""

from __future__ import annotations

import logging
import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest
from altlens.core.captioning.engine import Captioner
from altlens.core.captioning.modelprocess import ModelProcessError, ProcessCaptioner, _unpack_error
from altlens.core.errors import CancelledError, CorruptImageError, ModelNotFoundError
from altlens.core.jobs import CancelToken
from altlens.core.processes import pid_alive

REPO = Path(__file__).resolve().parents[2]
TOY = REPO / "tests" / "models" / "toy-captioner"
# Files this project did not make (tests/data/README.md): camera JPEGs from ExifTool's suite.
PHOTOS = [REPO / "tests" / "data" / "et_Canon.jpg", REPO / "tests" / "data" / "et_PhotoMechanic.jpg"]


@pytest.fixture(scope="module")
def remote():
    captioner = ProcessCaptioner(str(TOY), threads=1, batch_size=2)
    yield captioner
    captioner.close()


def _texts(results):
    return [(r.candidates, r.error) for r in results]


def test_captions_and_errors_match_the_in_process_captioner(remote, tmp_path):
    broken = tmp_path / "broken.jpg"
    broken.write_bytes(PHOTOS[0].read_bytes()[:600])  # a JPEG cut short
    inputs = [*PHOTOS, tmp_path / "missing.jpg", broken, PHOTOS[0]]
    here = Captioner(str(TOY), batch_size=2).caption(inputs)
    there = remote.caption(inputs)
    assert _texts(there) == _texts(here)
    assert [r.index for r in there] == list(range(len(inputs)))
    assert there[0].ok and there[2].error.code == "file-missing"
    assert remote.info is not None and remote.info.family == "vision-encoder-decoder"
    assert remote.pid is not None and remote.pid != os.getpid()


def test_describe_reports_progress_on_the_callers_thread(remote):
    seen: list[tuple[int, int]] = []
    results = remote.describe(PHOTOS, "alt", progress=lambda done, total: seen.append((done, total)))
    assert [r.ok for r in results] == [True, True]
    assert seen and seen[-1] == (2, 2)
    assert remote.accepts_context is False  # a captioning model takes no context


def test_a_cancelled_call_raises_and_the_next_one_is_clean(remote):
    token = CancelToken()
    token.cancel()
    with pytest.raises(CancelledError):
        list(remote.iter_caption(PHOTOS * 4, cancel=token))
    assert [r.ok for r in remote.caption(PHOTOS)] == [True, True]


def test_a_call_left_half_read_does_not_leak_into_the_next(remote):
    for result in remote.iter_caption(PHOTOS * 3):
        assert result.index == 0
        break  # the rest of that call is cancelled and read off the pipe
    again = remote.caption(PHOTOS[::-1])
    assert [r.path for r in again] == PHOTOS[::-1]


def test_load_errors_keep_their_class_and_message(tmp_path):
    missing = tmp_path / "no-such-model"
    with pytest.raises(ModelNotFoundError) as in_process:
        Captioner(str(missing)).load()
    captioner = ProcessCaptioner(str(missing), threads=1)
    try:
        with pytest.raises(ModelNotFoundError) as remote_error:
            captioner.load()
        assert str(remote_error.value) == str(in_process.value)
        assert remote_error.value.code == "model-not-found"
    finally:
        captioner.close()


def test_a_killed_model_process_fails_the_call_and_the_next_call_starts_a_new_one():
    captioner = ProcessCaptioner(str(TOY), threads=1, batch_size=1)
    try:
        captioner.load()
        first = captioner.pid
        results = captioner.iter_caption(PHOTOS * 10)
        assert next(results).ok
        os.kill(first, signal.SIGKILL)
        with pytest.raises(ModelProcessError, match="SIGKILL"):
            list(results)
        assert captioner.info is None
        assert [r.ok for r in captioner.caption(PHOTOS)] == [True, True]
        assert captioner.pid not in (None, first)
    finally:
        captioner.close()


def test_close_ends_the_process_and_can_be_repeated():
    captioner = ProcessCaptioner(str(TOY), threads=1)
    captioner.load()
    pid = captioner.pid
    assert pid is not None and pid_alive(pid)
    captioner.close()
    captioner.close()
    assert captioner.pid is None
    assert not pid_alive(pid)  # ended and reaped


def test_the_callers_process_never_imports_torch(tmp_path):
    script = tmp_path / "caller.py"
    script.write_text(textwrap.dedent(f"""
        import sys
        from altlens.core.captioning.modelprocess import ProcessCaptioner

        if __name__ == "__main__":
            captioner = ProcessCaptioner({str(TOY)!r}, threads=1)
            results = captioner.caption([{str(PHOTOS[0])!r}])
            captioner.close()
            print(results[0].ok, "torch" in sys.modules, "transformers" in sys.modules)
    """))
    out = subprocess.run([sys.executable, str(script)], capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    assert out.stdout.split() == ["True", "False", "False"]


def test_errors_from_the_child_are_rebuilt_without_importing_the_runtime():
    corrupt = _unpack_error("altlens.core.errors", "CorruptImageError", "a.jpg: The file is damaged.")
    assert isinstance(corrupt, CorruptImageError) and str(corrupt) == "a.jpg: The file is damaged."
    assert corrupt.code == "corrupt-image"
    memory = _unpack_error("builtins", "MemoryError", "")
    assert isinstance(memory, MemoryError)
    foreign = _unpack_error("torch.cuda", "OutOfMemoryError", "CUDA out of memory")
    assert isinstance(foreign, RuntimeError) and str(foreign) == "OutOfMemoryError: CUDA out of memory"
    odd = _unpack_error("altlens.core.nothing_here", "Missing", "text")
    assert str(odd) == "Missing: text"


def test_the_model_process_leaves_when_its_parent_is_killed(tmp_path):
    """The window killed outright (no close, no pipe drained): its model process goes too."""
    script = tmp_path / "parent.py"
    script.write_text(textwrap.dedent(f"""
        import sys, time
        from altlens.core.captioning.modelprocess import ProcessCaptioner

        if __name__ == "__main__":
            captioner = ProcessCaptioner({str(TOY)!r}, threads=1)
            captioner.load()
            print(captioner.pid, flush=True)
            time.sleep(120)
    """))
    parent = subprocess.Popen([sys.executable, str(script)], stdout=subprocess.PIPE, text=True)
    try:
        child = int(parent.stdout.readline())
        assert pid_alive(child)
    finally:
        parent.kill()
        parent.wait()
    deadline = time.monotonic() + 10
    while pid_alive(child) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not pid_alive(child)


def test_close_lets_the_converted_weights_finish_writing(tmp_path, monkeypatch):
    """The first int8 load writes its converted weights in the background; closing the model
    right after must not cut that write off (the next start would convert again)."""
    monkeypatch.setenv("ALTLENS_HOME", str(tmp_path / "home"))  # an empty weight cache
    captioner = ProcessCaptioner(str(TOY), threads=1, dtype="int8")
    captioner.load()
    captioner.close()
    written = list((tmp_path / "home").rglob("*.safetensors"))
    assert written, "no converted weights in the cache"
    assert not list((tmp_path / "home").rglob("*.tmp*"))


def test_the_model_process_logs_into_the_callers_log(caplog):
    """What the model's process logs reaches the window's log file and panel."""
    caplog.set_level(logging.INFO)
    captioner = ProcessCaptioner(str(TOY), threads=1)
    try:
        captioner.load()
    finally:
        captioner.close()
    loading = [r for r in caplog.records if r.name == "altlens.core.captioning.engine"]
    assert any(r.getMessage().startswith("loading ") and r.levelno == logging.INFO for r in loading)
