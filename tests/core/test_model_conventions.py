# SPDX-License-Identifier: GPL-3.0-or-later
"""Loading conventions with a model of the exact nlpconnect shape (random weights): the
default model must load offline from the hub cache, take its preprocessing from its own
config and follow GPT-2's special tokens."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from altlens.core.captioning import Captioner, GenerationSettings, resolve_model
from altlens.core.captioning.loading import DEFAULT_MODEL
from altlens.core.errors import ModelNotFoundError
from PIL import Image

pytestmark = pytest.mark.slow


def test_shapes_and_special_tokens(nlpconnect_shaped: Path) -> None:
    # float32 explicitly: `auto` may pick a quantized format on this CPU (numerics.py), and
    # the parameter count below is of the float model.
    cap = Captioner(nlpconnect_shaped, device="cpu", dtype="float32")
    info = cap.load()
    assert info.family == "vision-encoder-decoder" and info.dtype == "float32"
    adapter = cap.adapter
    model = adapter.model
    n_params = sum(p.numel() for p in model.parameters())
    assert 235e6 < n_params < 245e6, n_params
    assert model.config.encoder.hidden_size == 768 and model.config.encoder.patch_size == 16
    assert model.config.decoder.n_layer == 12 and model.config.decoder.add_cross_attention
    assert adapter.eos_token_id == adapter.pad_token_id == 50256
    assert model.generation_config.decoder_start_token_id == 50256
    # Preprocessing comes from the model's own config: 224x224, mean = std = 0.5.
    assert adapter.image_size == (224, 224)
    assert list(adapter.image_processor.image_mean) == [0.5, 0.5, 0.5]
    assert list(adapter.image_processor.image_std) == [0.5, 0.5, 0.5]
    inputs = adapter.preprocess([Image.new("RGB", (640, 480), (255, 255, 255)), Image.new("RGB", (300, 500))])
    pv = inputs["pixel_values"]
    assert tuple(pv.shape) == (2, 3, 224, 224)
    assert float(pv[0].min()) == pytest.approx(1.0) and float(pv[1].max()) == pytest.approx(-1.0)


def test_generates_with_gpt2_conventions(nlpconnect_shaped: Path) -> None:
    cap = Captioner(nlpconnect_shaped, device="cpu", batch_size=2)
    images = [Image.new("RGB", (320, 240), c) for c in [(200, 30, 30), (30, 30, 200), (30, 200, 30)]]
    results = cap.caption(images, GenerationSettings(num_beams=2, num_candidates=2, max_length=6, repetition_guard=False))
    assert [r.index for r in results] == [0, 1, 2]
    for r in results:
        assert r.ok, r.error
        assert 1 <= len(r.candidates) <= 2
        assert all(0.0 < c.score <= 1.0 for c in r.candidates)
        assert list(r.candidates) == sorted(r.candidates, key=lambda c: -c.score)


def _install_in_hub_cache(model_dir: Path, hf_home: Path, repo_id: str) -> Path:
    """Lay the folder out the way huggingface_hub's cache does (blobs linked from a snapshot)."""
    repo = hf_home / "hub" / ("models--" + repo_id.replace("/", "--"))
    commit = "0" * 40
    snap = repo / "snapshots" / commit
    snap.mkdir(parents=True)
    (repo / "refs").mkdir()
    (repo / "refs" / "main").write_text(commit)
    for f in model_dir.iterdir():
        os.symlink(f, snap / f.name)
    return snap


def test_default_model_is_found_offline_in_the_hub_cache(nlpconnect_shaped: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    hf_home = tmp_path / "hf"
    monkeypatch.setenv("HF_HOME", str(hf_home))
    monkeypatch.delenv("HF_HUB_CACHE", raising=False)
    import huggingface_hub.constants as c

    monkeypatch.setattr(c, "HF_HUB_CACHE", str(hf_home / "hub"))
    with pytest.raises(ModelNotFoundError) as info:
        resolve_model(None)
    assert "altlens models download" in str(info.value)
    snap = _install_in_hub_cache(nlpconnect_shaped, hf_home, DEFAULT_MODEL)
    assert resolve_model(None) == snap
    assert Captioner(None, device="cpu").load().folder == snap
