# SPDX-License-Identifier: GPL-3.0-or-later
"""ONNX export and the onnxruntime backend: same captions as the torch path in float32,
int8 within the agreed bound on the trained test model, safe export folders, clear errors."""

from __future__ import annotations

import argparse
import json
import os
import shutil
from pathlib import Path

import pytest
import torch
from altlens.core.captioning import Captioner, GenerationSettings
from altlens.core.captioning.numerics import MAX_CAPTION_DIFFERENCE
from altlens.core.captioning.onnx_export import MANIFEST, default_onnx_root, export_onnx
from altlens.core.errors import ModelInvalidError, ModelNotFoundError, ModelUnsupportedError, UsageError
from PIL import Image

from tests.tinymodels import build

pytest.importorskip("onnxruntime")


pytestmark = pytest.mark.usefixtures("one_torch_thread")


@pytest.fixture(scope="module")
def tiny(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build("vision-encoder-decoder", tmp_path_factory.mktemp("tiny-onnx") / "m", seed=0, eos_scale=1.3)


def _images(n: int, seed: int) -> list[Image.Image]:
    g = torch.Generator().manual_seed(seed)
    return [Image.fromarray((torch.rand(36, 48, 3, generator=g) * 255).byte().numpy()) for _ in range(n)]


def _models_parser() -> argparse.ArgumentParser:
    from altlens.core.commands import models_onnx

    parser = argparse.ArgumentParser(prog="altlens")
    sub = parser.add_subparsers(dest="command")
    models = sub.add_parser("models")
    models_onnx.register(models.add_subparsers(dest="models_command"))
    return parser


def test_float32_export_gives_the_torch_captions(tiny: Path, tmp_path: Path) -> None:
    out = export_onnx(tiny, tmp_path / "fp32")
    manifest = json.loads((out / MANIFEST).read_text())
    assert manifest["mode"] == "float32" and (out / "encoder.onnx").is_file() and (out / "decoder.onnx").is_file()
    images = _images(9, 1)
    for settings in (
        GenerationSettings(num_beams=4, num_candidates=2, max_length=12, repetition_guard=False),
        GenerationSettings(strategy="greedy", num_beams=1, max_length=12, repetition_guard=False),
        GenerationSettings(num_beams=3, max_length=10, min_length=10, repetition_guard=False),
    ):
        onnx = Captioner(tiny, dtype="float32", backend="onnx", onnx_dir=out, batch_size=4).caption(images, settings)
        ref = Captioner(tiny, device="cpu", dtype="float32", batch_size=4).caption(images, settings)
        assert [[c.text for c in r.candidates] for r in onnx] == [[c.text for c in r.candidates] for r in ref]
        for a, b in zip(onnx, ref, strict=True):
            assert [c.score for c in a.candidates] == pytest.approx([c.score for c in b.candidates], rel=1e-3)


def test_export_command_int8_and_default_location(tiny: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    parser = _models_parser()
    args = parser.parse_args(["models", "export-onnx", str(tiny), "--int8"])
    assert args.func(args) == 0
    out = capsys.readouterr()
    printed = Path(out.out.strip())
    assert printed == default_onnx_root(tiny) / "int8"
    # Progress, step by step, on stderr.
    steps = [line for line in out.err.splitlines() if ": step " in line]
    assert [s.split(", ")[1].split(" (")[0] for s in steps] == [
        "loading the model", "exporting the encoder", "exporting the decoder", "quantizing to int8", "saving"]
    assert steps[0].endswith("(elapsed 0:00)") and "step 5 of 5" in steps[-1]
    assert json.loads((printed / MANIFEST).read_text())["mode"] == "int8"
    # `--backend onnx` finds it there without --onnx-dir; auto prefers int8 on VNNI CPUs only,
    # so ask for int8 explicitly.
    results = Captioner(tiny, dtype="int8", backend="onnx").caption(_images(3, 2), GenerationSettings(max_length=8))
    assert all(r.ok for r in results)
    assert Captioner(tiny, dtype="int8", backend="onnx").load().dtype == "int8"
    # Exporting again replaces the export atomically (no leftovers next to it).
    args = parser.parse_args(["models", "export-onnx", str(tiny), "--int8", "--out", str(tmp_path / "x")])
    assert args.func(args) == 0
    capsys.readouterr()
    args = parser.parse_args(["models", "export-onnx", str(tiny), "--int8", "--out", str(tmp_path / "x"), "--json", "-q"])
    assert args.func(args) == 0
    out = capsys.readouterr()
    result = json.loads(out.out)
    assert out.err == ""  # -q: no progress
    assert result["path"] == str(tmp_path / "x") and result["mode"] == "int8"
    assert {f["name"] for f in result["files"]} >= {"encoder.onnx", "decoder.onnx", MANIFEST}
    assert sorted(p.name for p in tmp_path.iterdir()) == ["x"]


def test_missing_export_says_how_to_make_one(tiny: Path) -> None:
    with pytest.raises(ModelNotFoundError) as info:
        Captioner(tiny, dtype="float32", backend="onnx").load()
    assert "export-onnx" in (info.value.hint or "")


def test_changed_model_needs_a_new_export(tiny: Path, tmp_path: Path) -> None:
    model = tmp_path / "model"
    shutil.copytree(tiny, model)
    out = export_onnx(model, tmp_path / "e")
    Captioner(model, dtype="float32", backend="onnx", onnx_dir=out).load()
    cfg = model / "config.json"
    cfg.write_text(cfg.read_text() + "\n")
    with pytest.raises(ModelInvalidError, match="changed since"):
        Captioner(model, dtype="float32", backend="onnx", onnx_dir=out).load()


def test_export_never_clobbers_a_foreign_folder(tiny: Path, tmp_path: Path) -> None:
    foreign = tmp_path / "photos"
    foreign.mkdir()
    (foreign / "holiday.jpg").write_bytes(b"not ours")
    with pytest.raises(UsageError):
        export_onnx(tiny, foreign)
    assert (foreign / "holiday.jpg").read_bytes() == b"not ours"


def test_export_refuses_other_families(tmp_path: Path) -> None:
    from transformers import GitConfig

    GitConfig().save_pretrained(tmp_path / "git")
    with pytest.raises(ModelUnsupportedError):
        export_onnx(tmp_path / "git", tmp_path / "out")
    assert not (tmp_path / "out").exists()


def test_onnx_backend_refuses_sampling_and_gpu_numbers(tiny: Path, tmp_path: Path) -> None:
    out = export_onnx(tiny, tmp_path / "e")
    cap = Captioner(tiny, dtype="float32", backend="onnx", onnx_dir=out)
    res = cap.caption(_images(1, 3), GenerationSettings(strategy="sample", seed=1))
    assert not res[0].ok and "sampling" in res[0].error.message
    with pytest.raises(UsageError):
        Captioner(tiny, dtype="bfloat16", backend="onnx", onnx_dir=out).load()


@pytest.mark.slow
def test_toy_model_onnx_agrees_with_torch(toy_model_dir: Path, tmp_path: Path) -> None:
    """float32 ONNX gives the torch path's captions; int8 ONNX stays within the bound."""
    from toy_scenes import make_scenes

    images = [img for img, _ in make_scenes(seed=6606, n=120, long_side=(160, 640))]
    settings = GenerationSettings(num_beams=4, max_length=16, repetition_guard=False)
    torch.set_num_threads(min(2, os.cpu_count() or 1))
    want = [r.caption for r in Captioner(toy_model_dir, device="cpu", dtype="float32").caption(images, settings)]
    for mode in ("float32", "int8"):
        out = export_onnx(toy_model_dir, tmp_path / mode, int8=mode == "int8")
        got = [r.caption for r in Captioner(toy_model_dir, dtype=mode, backend="onnx", onnx_dir=out).caption(images, settings)]
        differ = sum(a != b for a, b in zip(got, want, strict=True))
        if mode == "float32":
            assert differ == 0, [(a, b) for a, b in zip(got, want, strict=True) if a != b][:5]
        else:
            assert differ <= MAX_CAPTION_DIFFERENCE * len(images), f"int8 ONNX changed {differ} of {len(images)} captions"
