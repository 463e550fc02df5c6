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
EOT = "<|endoftext|>"


def build_tiny_captioner(out: Path, *, seed: int = 0) -> Path:
    """A very small ViT + GPT-2 captioner (random weights, byte-level vocabulary of 257) in
    the Hugging Face layout, with safetensors weights. Its end-of-text embedding is zeroed so
    greedy decoding runs to max_length and always yields text."""
    import torch
    from make_nlpconnect_shaped import _byte_level_alphabet
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers
    from transformers import (
        GPT2Config,
        PreTrainedTokenizerFast,
        VisionEncoderDecoderConfig,
        VisionEncoderDecoderModel,
        ViTConfig,
        ViTImageProcessor,
    )

    torch.manual_seed(seed)
    alphabet = _byte_level_alphabet()
    vocab = {ch: i for i, ch in enumerate(alphabet)}
    eot_id = len(vocab)
    vocab[EOT] = eot_id
    tok = Tokenizer(models.BPE(vocab=vocab, merges=[]))
    tok.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    tok.decoder = decoders.ByteLevel()
    tok.add_special_tokens([EOT])
    tokenizer = PreTrainedTokenizerFast(
        tokenizer_object=tok, bos_token=EOT, eos_token=EOT, unk_token=EOT, pad_token=EOT
    )
    encoder = ViTConfig(
        image_size=32,
        patch_size=16,
        hidden_size=32,
        num_hidden_layers=1,
        num_attention_heads=2,
        intermediate_size=64,
    )
    decoder = GPT2Config(
        vocab_size=eot_id + 1,
        n_positions=64,
        n_embd=32,
        n_layer=1,
        n_head=2,
        add_cross_attention=True,
        bos_token_id=eot_id,
        eos_token_id=eot_id,
        is_decoder=True,
    )
    config = VisionEncoderDecoderConfig.from_encoder_decoder_configs(encoder, decoder)
    config.decoder_start_token_id = config.pad_token_id = config.eos_token_id = (
        config.bos_token_id
    ) = eot_id
    model = VisionEncoderDecoderModel(config=config)
    with torch.no_grad():
        model.decoder.transformer.wte.weight[eot_id].zero_()
    gen = model.generation_config
    gen.decoder_start_token_id = gen.pad_token_id = gen.eos_token_id = gen.bos_token_id = eot_id
    out.mkdir(parents=True, exist_ok=True)
    model.save_pretrained(out)
    ViTImageProcessor(
        size={"height": 32, "width": 32}, image_mean=[0.5] * 3, image_std=[0.5] * 3
    ).save_pretrained(out)
    tokenizer.save_pretrained(out)
    return out


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
