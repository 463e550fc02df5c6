# SPDX-License-Identifier: GPL-3.0-or-later
"""Fixtures for the model manager tests: a fake hub on 127.0.0.1, a hub cache of the test's
own, and small models to serve. (A conftest of this folder's own, so the shared one stays
untouched.)"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.core.modelstore.fake_hub import FakeHub

REPO = Path(__file__).resolve().parents[3]
TOY_MODEL = REPO / "tests" / "models" / "toy-captioner"


def build_tiny_captioner(out: Path, *, seed: int = 0) -> Path:
    """A very small ViT + GPT-2 captioner (random weights, byte-level vocabulary of 257) in
    nlpconnect's layout with safetensors weights (tests/tinymodels/ved.py). Its end-of-text
    logit is zeroed, so greedy decoding runs to max_length and always yields text."""
    from tests.tinymodels import build

    return build(
        "vision-encoder-decoder", out, seed=seed, vocab=257, encoder_hidden=32, decoder_hidden=32,
        layers=1, heads=2, patch=16, eos_scale=0.0,
    )


@pytest.fixture(scope="session")
def tiny_model(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_tiny_captioner(tmp_path_factory.mktemp("tiny") / "tiny-captioner")


@pytest.fixture(scope="session")
def served_model(tiny_model: Path) -> Path:
    """The model the fake hub serves: the repository's trained test model when present."""
    return TOY_MODEL if (TOY_MODEL / "config.json").is_file() else tiny_model


@pytest.fixture
def hub_cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A hub cache of this test's own, and huggingface_hub allowed to reach the fake hub (the
    autouse guard still refuses anything but loopback)."""
    import huggingface_hub.constants as c

    cache = tmp_path / "hf-cache"
    monkeypatch.setattr(c, "HF_HUB_CACHE", str(cache))
    monkeypatch.setattr(c, "HF_HUB_OFFLINE", False)
    monkeypatch.setattr(c, "HF_HUB_DISABLE_XET", True)
    monkeypatch.setenv("HF_HUB_DISABLE_XET", "1")
    return cache


@pytest.fixture
def fake_hub() -> Iterator[FakeHub]:
    hub = FakeHub().start()
    try:
        yield hub
    finally:
        hub.stop()
