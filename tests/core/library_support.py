# SPDX-License-Identifier: GPL-3.0-or-later
"""Helpers for the library, watcher and queue tests: toy-scene image files with unique
pixels, a captioner wrapper that counts real model results, and ExifTool edits."""

from __future__ import annotations

import collections
import random
import shutil
import subprocess
import threading
from pathlib import Path
from typing import Any

import pytest
from toy_scenes import draw_scene

EXIFTOOL = shutil.which("exiftool")
needs_exiftool = pytest.mark.skipif(EXIFTOOL is None, reason="ExifTool is not installed")


def make_images(
    folder: Path, n: int, *, seed: int = 0, size: tuple[int, int] = (48, 40), ext: str = ".jpg"
) -> list[Path]:
    """n toy scenes as files; a per-file pixel stamp makes every picture unique, so content
    hashes never collide by chance."""
    folder.mkdir(parents=True, exist_ok=True)
    rng = random.Random(seed)
    out = []
    for i in range(n):
        im, _caption = draw_scene(rng, size)
        im.putpixel((0, 0), (i % 256, (i // 256) % 256, (seed * 7) % 256))
        p = folder / f"img_{seed}_{i:04d}{ext}"
        im.save(p, quality=90) if ext in (".jpg", ".jpeg") else im.save(p)
        out.append(p)
    return out


def exiftool(*args: str | Path) -> None:
    assert EXIFTOOL is not None
    subprocess.run(
        [EXIFTOOL, "-q", "-q", "-overwrite_original", *map(str, args)], check=True, timeout=60
    )


class CountingCaptioner:
    """A real Captioner that also counts, per path, the successful results it produced."""

    def __init__(self, inner: Any) -> None:
        self.inner = inner
        self.batch_size = inner.batch_size
        self.ok: collections.Counter[str] = collections.Counter()
        self.failed: collections.Counter[str] = collections.Counter()
        self._lock = threading.Lock()

    def load(self) -> Any:
        return self.inner.load()

    def iter_caption(self, images: Any, settings: Any = None, **kw: Any) -> Any:
        for r in self.inner.iter_caption(images, settings, **kw):
            with self._lock:
                (self.ok if r.ok else self.failed)[str(r.path)] += 1
            yield r


@pytest.fixture(scope="session")
def caption_model(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The trained toy captioner when present (tests/models/toy-captioner), else a tiny
    random-weight ViT + GPT-2 built here (its captions are noise, which these tests never
    read: they count results and check state)."""
    from tests.conftest import TOY_MODEL

    if (TOY_MODEL / "config.json").is_file():
        return TOY_MODEL
    return build_tiny_model(tmp_path_factory.mktemp("tiny-captioner"))


def build_tiny_model(out: Path) -> Path:
    import torch
    from make_nlpconnect_shaped import EOT_ID, GPT2_VOCAB, build_tokenizer
    from transformers import (
        GPT2Config,
        VisionEncoderDecoderConfig,
        VisionEncoderDecoderModel,
        ViTConfig,
        ViTImageProcessor,
    )

    torch.manual_seed(0)
    enc = ViTConfig(
        image_size=32,
        patch_size=8,
        hidden_size=32,
        num_hidden_layers=1,
        num_attention_heads=2,
        intermediate_size=64,
    )
    dec = GPT2Config(
        vocab_size=GPT2_VOCAB,
        n_positions=64,
        n_embd=32,
        n_layer=1,
        n_head=2,
        add_cross_attention=True,
        bos_token_id=EOT_ID,
        eos_token_id=EOT_ID,
        is_decoder=True,
    )
    cfg = VisionEncoderDecoderConfig.from_encoder_decoder_configs(enc, dec)
    model = VisionEncoderDecoderModel(config=cfg)
    for conf in (model.config, model.generation_config):
        conf.decoder_start_token_id = conf.pad_token_id = conf.eos_token_id = conf.bos_token_id = (
            EOT_ID
        )
    model.save_pretrained(out)
    ViTImageProcessor(
        do_resize=True,
        size={"height": 32, "width": 32},
        do_rescale=True,
        do_normalize=True,
        image_mean=[0.5] * 3,
        image_std=[0.5] * 3,
    ).save_pretrained(out)
    build_tokenizer().save_pretrained(out)
    return out
