# SPDX-License-Identifier: GPL-3.0-or-later
"""Backends and their options: --backend and --dtype on the CLI, the reference backend is the
model card's computation, and the decode threads feed the model."""

from __future__ import annotations

import argparse
from pathlib import Path

import pytest
import torch
from altlens.core.captioning import Captioner, GenerationSettings
from altlens.core.captioning.engine import BACKENDS, DTYPES
from altlens.core.commands import caption as caption_cmd
from altlens.core.errors import UsageError
from PIL import Image

from tests.tinymodels import build

pytestmark = pytest.mark.usefixtures("one_torch_thread")


@pytest.fixture(scope="module")
def tiny(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build("vision-encoder-decoder", tmp_path_factory.mktemp("tiny-backends") / "m", seed=0, eos_scale=1.3)


@pytest.fixture(scope="module")
def photos(tmp_path_factory: pytest.TempPathFactory) -> list[Path]:
    """JPEGs big enough that draft-mode decoding kicks in (1/8 scale)."""
    folder = tmp_path_factory.mktemp("photos")
    g = torch.Generator().manual_seed(4)
    out = []
    for i in range(3):
        small = (torch.rand(60, 80, 3, generator=g) * 255).byte().numpy()
        p = folder / f"p{i}.jpg"
        Image.fromarray(small).resize((1600, 1200), Image.Resampling.BICUBIC).save(p, quality=90)
        out.append(p)
    return out


def test_cli_choices_match_the_engine() -> None:
    assert caption_cmd.DTYPE_CHOICES == DTYPES
    assert caption_cmd.BACKEND_CHOICES == BACKENDS


def test_cli_options_reach_the_captioner(tmp_path: Path) -> None:
    parser = argparse.ArgumentParser()
    caption_cmd.add_model_options(parser)
    args = parser.parse_args(["--backend", "onnx", "--dtype", "int8", "--onnx-dir", str(tmp_path)])
    cap = caption_cmd.captioner_from_args(args)
    assert (cap.backend, cap.requested_dtype, cap.onnx_dir) == ("onnx", "int8", tmp_path)
    args = parser.parse_args([])
    cap = caption_cmd.captioner_from_args(args)
    assert (cap.backend, cap.requested_dtype, cap.onnx_dir) == ("auto", "auto", None)
    with pytest.raises(SystemExit):
        parser.parse_args(["--backend", "fastest"])


def test_reference_backend_is_the_model_card_code(tiny: Path, photos: list[Path]) -> None:
    from transformers import AutoTokenizer, VisionEncoderDecoderModel, ViTImageProcessor

    settings = GenerationSettings(num_beams=4, max_length=12, repetition_guard=False)
    cap = Captioner(tiny, device="cpu", backend="reference", batch_size=8)
    got = [r.caption for r in cap.caption(photos, settings)]
    assert cap.info is not None and cap.info.dtype == "float32" and cap.info.backend == "reference"

    model = VisionEncoderDecoderModel.from_pretrained(tiny)
    feature_extractor = ViTImageProcessor.from_pretrained(tiny)
    tokenizer = AutoTokenizer.from_pretrained(tiny)
    want = []
    for path in photos:
        image = Image.open(path)
        if image.mode != "RGB":
            image = image.convert(mode="RGB")
        pixel_values = feature_extractor(images=[image], return_tensors="pt").pixel_values
        output_ids = model.generate(pixel_values, max_length=12, num_beams=4)
        text = tokenizer.batch_decode(output_ids, skip_special_tokens=True)[0].strip()
        want.append(text[:1].upper() + text[1:])
    assert got == want


def test_reference_backend_is_float32_only(tiny: Path) -> None:
    with pytest.raises(UsageError):
        Captioner(tiny, backend="reference", dtype="bfloat16")
    with pytest.raises(UsageError):
        Captioner(tiny, backend="quick")


def test_cli_caption_with_each_torch_backend(tiny: Path, photos: list[Path], capsys: pytest.CaptureFixture[str]) -> None:
    from altlens.core.cli import main

    outputs = {}
    for backend in ("auto", "torch", "reference"):
        code = main(["caption", "-q", "--model", str(tiny), "--device", "cpu", "--dtype", "float32",
                     "--backend", backend, "--beams", "3", *map(str, photos)])
        assert code == 0
        outputs[backend] = capsys.readouterr().out.splitlines()
    assert len(outputs["auto"]) == len(photos)
    # Same decode path and numerics: auto and torch agree line for line.
    assert outputs["auto"] == outputs["torch"]


def test_bad_images_still_fail_one_by_one_on_the_fast_path(tiny: Path, photos: list[Path], tmp_path: Path) -> None:
    broken = tmp_path / "broken.jpg"
    broken.write_bytes(b"\xff\xd8\xff\xe0" + b"\x00" * 100)
    missing = tmp_path / "gone.jpg"
    results = Captioner(tiny, device="cpu", batch_size=2).caption([photos[0], broken, missing, photos[1]])
    assert [r.ok for r in results] == [True, False, False, True]
    assert results[1].error is not None and results[2].error is not None
    assert results[2].error.code == "file-missing"


def test_openmp_defaults_apply_before_torch_only(monkeypatch: pytest.MonkeyPatch) -> None:
    import os
    import sys

    from altlens.core.captioning import runtime

    monkeypatch.delenv("OMP_WAIT_POLICY", raising=False)
    assert "torch" in sys.modules  # this test module imports it: too late to change anything
    assert runtime.configure_openmp() is False and "OMP_WAIT_POLICY" not in os.environ
    monkeypatch.delitem(sys.modules, "torch")
    monkeypatch.setenv("OMP_WAIT_POLICY", "ACTIVE")
    assert runtime.configure_openmp() is True
    assert os.environ["OMP_WAIT_POLICY"] == "ACTIVE"  # the user's choice stays
    monkeypatch.delenv("OMP_WAIT_POLICY")
    assert runtime.configure_openmp() is True
    assert os.environ["OMP_WAIT_POLICY"] == "PASSIVE"


def test_cli_process_runs_with_passive_openmp_wait(tiny: Path, photos: list[Path]) -> None:
    import os
    import subprocess
    import sys

    code = (
        "import os, sys; from altlens.core.captioning import Captioner; "
        f"Captioner({str(tiny)!r}, device='cpu').load(); print(os.environ.get('OMP_WAIT_POLICY'))"
    )
    env = {k: v for k, v in os.environ.items() if k != "OMP_WAIT_POLICY"}
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, timeout=300,
                         cwd=Path(__file__).resolve().parents[2])
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip().splitlines()[-1] == "PASSIVE"
