# SPDX-License-Identifier: GPL-3.0-or-later
"""`altlens models ...` end to end: the command a person types, its output and exit status."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import types
from pathlib import Path

import pytest
from altlens.core.cli import main
from altlens.core.commands import models as models_cmd

from tests.core.modelstore.fake_hub import FakeHub

REPO = Path(__file__).resolve().parents[3]
REPO_ID = "altlens-test/toy-captioner"


def run_cli(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "altlens.core", *args],
        capture_output=True,
        text=True,
        cwd=REPO,
        env=env,
        timeout=120,
    )


def test_download_verify_remove_from_the_command_line(
    fake_hub: FakeHub, tiny_model: Path, tmp_path: Path
) -> None:
    fake_hub.add_repo(REPO_ID, tiny_model)
    env = {
        k: v for k, v in os.environ.items() if k not in ("HF_HUB_OFFLINE", "TRANSFORMERS_OFFLINE")
    }
    env.update(
        HF_ENDPOINT=fake_hub.url,
        HF_HUB_CACHE=str(tmp_path / "cache"),
        HF_HUB_DISABLE_XET="1",
        PYTHONPATH=str(REPO),
    )

    out = run_cli("models", "download", REPO_ID, "--name", "toy", env=env)
    assert out.returncode == 0, out.stderr
    assert "Downloading [" in out.stderr and "/s" in out.stderr  # the bytes progress bar
    assert "toy is ready" in out.stdout

    out = run_cli("models", "list", "--json", env=env)
    rows = {r["name"]: r for r in json.loads(out.stdout)}
    toy = rows["toy"]
    assert (
        toy["downloaded"]
        and toy["source"] == "hub-cache"
        and toy["size"] > 0
        and not toy["default"]
    )
    assert Path(toy["path"]).is_dir() and len(toy["revision"]) == 40
    assert rows["vit-gpt2"]["default"] and rows["vit-gpt2"]["path"] is None
    assert set(toy) >= {"name", "path", "size", "revision", "default"}

    assert run_cli("models", "verify", "toy", env=env).returncode == 0
    blob = (Path(toy["path"]) / "config.json").resolve()
    blob.write_text(blob.read_text().replace("{", "{ ", 1))
    out = run_cli("models", "verify", "toy", env=env)
    assert out.returncode == 1 and "MISMATCH: config.json" in out.stdout

    out = run_cli("models", "remove", "toy", env=env)
    assert out.returncode == 0 and "Removed toy" in out.stdout

    out = run_cli("models", "download", REPO_ID, "--name", "toy", "--json", "-q", env=env)
    assert out.returncode == 0, out.stderr
    got = json.loads(out.stdout)  # stdout is the JSON object alone
    assert got["name"] == "toy" and got["downloaded"] and got["size"] > 0 and len(got["revision"]) == 40
    out = run_cli("models", "remove", "toy", "--json", env=env)
    gone = json.loads(out.stdout)
    assert out.returncode == 0 and gone["removed"] is True and gone["name"] == "toy"
    out = run_cli("models", "verify", "toy", env=env)
    assert out.returncode == 1 and "knows no model called 'toy'" in out.stderr


def test_import_from_the_command_line(
    tiny_model: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    broken = shutil.copytree(tiny_model, tmp_path / "broken")
    (broken / "preprocessor_config.json").unlink()
    (broken / "tokenizer_config.json").unlink()
    assert main(["models", "import", str(broken)]) == 1
    err = capsys.readouterr().err
    assert (
        "preprocessor_config.json is missing" in err and "tokenizer_config.json is missing" in err
    )

    assert main(["models", "import", str(tiny_model), "--name", "mine", "-q"]) == 0
    assert "Imported mine" in capsys.readouterr().out
    assert main(["models", "import", str(tiny_model), "--name", "again", "-q", "--json"]) == 0
    again = json.loads(capsys.readouterr().out)
    assert again["name"] == "again" and again["source"] == "imported" and isinstance(again["skipped"], list)
    assert main(["models", "list", "--json"]) == 0
    rows = {r["name"]: r for r in json.loads(capsys.readouterr().out)}
    assert rows["mine"]["source"] == "imported"
    assert main(["models", "verify", "mine", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["ok"] is True


def test_model_names_work_with_caption(
    hub_cache: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from PIL import Image

    img = tmp_path / "a.png"
    Image.new("RGB", (20, 20)).save(img)
    assert main(["caption", str(img), "--model", "blip-large"]) == 1
    assert "altlens models download blip-large" in capsys.readouterr().err


def test_unknown_names_and_plain_list(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["models", "download", "not a name"]) == 1
    assert "not a model AltLens knows" in capsys.readouterr().err
    assert main(["models", "list"]) == 0
    out = capsys.readouterr().out
    assert (
        out.splitlines()[0].split()[:2] == ["NAME", "SIZE"]
        and "* " in out
        and "not downloaded" in out
    )


def test_extra_subcommand_modules_plug_in(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    plugin = types.ModuleType("altlens_test_models_plugin")

    def register(msub: object) -> None:
        p = msub.add_parser("export-onnx", help="test plug-in")  # type: ignore[attr-defined]
        p.set_defaults(func=lambda args: print("exported") or 0)

    plugin.register = register  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, plugin.__name__, plugin)
    monkeypatch.setattr(models_cmd, "EXTRA_SUBCOMMAND_MODULES", [plugin.__name__])
    assert main(["models", "export-onnx"]) == 0
    assert capsys.readouterr().out.strip() == "exported"


def test_a_killed_download_resumes_in_the_next_process(
    fake_hub: FakeHub, tiny_model: Path, tmp_path: Path
) -> None:
    """kill -9 in the middle of the weights: the next `altlens models download` continues
    from the bytes already on disk instead of starting over."""
    import signal
    import time

    fake_hub.add_repo(REPO_ID, tiny_model)
    weights = fake_hub.file(REPO_ID, "model.safetensors")
    fake_hub.throttle["model.safetensors"] = (8_192, 0.05)  # about 160 kB/s
    cache = tmp_path / "cache"
    env = {
        k: v for k, v in os.environ.items() if k not in ("HF_HUB_OFFLINE", "TRANSFORMERS_OFFLINE")
    }
    env.update(
        HF_ENDPOINT=fake_hub.url,
        HF_HUB_CACHE=str(cache),
        HF_HUB_DISABLE_XET="1",
        PYTHONPATH=str(REPO),
    )
    part = cache / "models--altlens-test--toy-captioner" / "blobs" / f"{weights.sha256}.incomplete"
    proc = subprocess.Popen(
        [sys.executable, "-m", "altlens.core", "models", "download", REPO_ID, "-q"],
        cwd=REPO,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 60
        while not (part.exists() and part.stat().st_size > 40_000):
            assert proc.poll() is None and time.monotonic() < deadline, (
                "download ended before it could be killed"
            )
            time.sleep(0.02)
        proc.send_signal(signal.SIGKILL)
    finally:
        proc.wait(10)
    kept = part.stat().st_size
    assert 40_000 < kept < len(weights.data)

    fake_hub.throttle.clear()
    out = run_cli("models", "download", REPO_ID, "-q", env=env)
    assert out.returncode == 0, out.stderr
    assert fake_hub.gets("model.safetensors")[-1].range == f"bytes={kept}-"
    assert run_cli("models", "verify", REPO_ID, env=env).returncode == 0
