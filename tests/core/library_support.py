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
    """A random ViT + GPT-2 with GPT-2's vocabulary and tokenizer layout, 1 layer of width 32
    (tests/tinymodels/ved.py)."""
    from tests.tinymodels import build

    return build(
        "vision-encoder-decoder", out, seed=0, vocab=50257, encoder_hidden=32, decoder_hidden=32,
        layers=1, heads=2, eos_scale=1.0,
    )
