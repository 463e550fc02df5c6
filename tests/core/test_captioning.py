# SPDX-License-Identifier: GPL-3.0-or-later
"""The captioner on the trained test model: it must say the right words on fresh,
photo-sized images, through the same loading code as the real model. Each accuracy test has
a negative control showing that the bug it guards against (wrong normalisation, a missed
EXIF rotation) really makes it fail."""

from __future__ import annotations

import json
import random
import shutil
from dataclasses import dataclass
from pathlib import Path

import pytest
from PIL import Image
from toy_scenes import draw_scene

from altlens.core.captioning import Captioner, GenerationSettings
from altlens.core.errors import CancelledError
from altlens.core.jobs import CancelToken

N_IMAGES = 50
FIRST_SEED = 90_000  # far from the seeds the training script draws from


@dataclass(frozen=True)
class Scene:
    path: Path
    caption: str


def _photo_size(rng: random.Random, fmt: str) -> tuple[int, int]:
    # Camera-sized JPEGs; PNG and WebP encoders are slow at 12 MP, so those stay a bit smaller.
    long_side = rng.randint(2400, 4000) if fmt == "JPEG" else rng.randint(1200, 2000)
    short = int(long_side * rng.choice([0.56, 0.66, 0.75]))
    return (long_side, short) if rng.random() < 0.7 else (short, long_side)


@pytest.fixture(scope="module")
def scenes(tmp_path_factory: pytest.TempPathFactory) -> list[Scene]:
    folder = tmp_path_factory.mktemp("scenes")
    out = []
    formats = [("JPEG", ".jpg", {"quality": 90}), ("PNG", ".png", {"compress_level": 1}), ("WEBP", ".webp", {"quality": 90})]
    for i in range(N_IMAGES):
        rng = random.Random(FIRST_SEED + i)
        fmt, ext, kw = formats[i % 3]
        image, caption = draw_scene(rng, _photo_size(rng, fmt))
        path = folder / f"scene_{i:02d}{ext}"
        image.save(path, format=fmt, **kw)
        out.append(Scene(path, caption))
    return out


def accuracy(captioner: Captioner, scenes: list[Scene], settings: GenerationSettings | None = None) -> float:
    results = captioner.caption([s.path for s in scenes], settings)
    assert [r.path for r in results] == [s.path for s in scenes]
    right = sum(1 for r, s in zip(results, scenes, strict=True) if r.caption and r.caption.lower() == s.caption)
    return right / len(scenes)


@pytest.fixture(scope="module")
def toy(toy_model_dir: Path) -> Captioner:
    cap = Captioner(toy_model_dir, device="cpu", batch_size=8)
    cap.load()
    return cap


def test_beam_search_says_the_right_words(toy: Captioner, scenes: list[Scene]) -> None:
    assert accuracy(toy, scenes) >= 0.9


def test_greedy_says_the_right_words(toy: Captioner, scenes: list[Scene]) -> None:
    assert accuracy(toy, scenes, GenerationSettings(strategy="greedy")) >= 0.9


def test_batch_size_does_not_change_captions(toy_model_dir: Path, toy: Captioner, scenes: list[Scene]) -> None:
    subset = [s.path for s in scenes[:12]]
    one = Captioner(toy_model_dir, device="cpu", batch_size=1).caption(subset)
    many = toy.caption(subset)
    assert [r.caption for r in one] == [r.caption for r in many]


def test_wrong_normalisation_would_fail_the_accuracy_test(toy_model_dir: Path, scenes: list[Scene], tmp_path: Path) -> None:
    """Negative control: the same model with ImageNet mean/std instead of its own 0.5/0.5."""
    broken = tmp_path / "imagenet-normalised"
    shutil.copytree(toy_model_dir, broken)
    cfg_path = broken / "preprocessor_config.json"
    cfg = json.loads(cfg_path.read_text())
    cfg["image_mean"], cfg["image_std"] = [0.485, 0.456, 0.406], [0.229, 0.224, 0.225]
    cfg_path.write_text(json.dumps(cfg))
    assert accuracy(Captioner(broken, device="cpu"), scenes[:30]) < 0.6


def test_exif_rotation_is_applied_and_would_be_missed_without_it(
    toy: Captioner, scenes: list[Scene], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    stored_as = {  # stored pixels for each orientation, so that viewers show the scene upright
        3: Image.Transpose.ROTATE_180,
        6: Image.Transpose.ROTATE_90,
        8: Image.Transpose.ROTATE_270,
        5: Image.Transpose.TRANSPOSE,
        7: Image.Transpose.TRANSVERSE,
    }
    rotated = []
    for i, scene in enumerate(scenes[:25]):
        orientation = list(stored_as)[i % len(stored_as)]
        exif = Image.Exif()
        exif[0x0112] = orientation
        path = tmp_path / f"rot_{i}.jpg"
        Image.open(scene.path).convert("RGB").transpose(stored_as[orientation]).save(path, quality=90, exif=exif)
        rotated.append(Scene(path, scene.caption))
    assert accuracy(toy, rotated) >= 0.9
    import altlens.core.images
    from altlens import core

    monkeypatch.setattr(core.images.ImageOps, "exif_transpose", lambda im: im)
    assert accuracy(toy, rotated) < 0.5


def test_bad_images_fail_alone_and_order_is_kept(toy: Captioner, scenes: list[Scene], tmp_path: Path) -> None:
    empty = tmp_path / "empty.jpg"
    empty.touch()
    text = tmp_path / "notes.png"
    text.write_text("not an image")
    cut = tmp_path / "cut.jpg"
    cut.write_bytes(scenes[0].path.read_bytes()[:5000])
    inputs = [scenes[1].path, empty, scenes[2].path, text, tmp_path / "missing.jpg", scenes[4].path, cut, scenes[5].path]
    results = toy.caption(inputs)
    assert [r.index for r in results] == list(range(len(inputs)))
    codes = [r.error.code if r.error else None for r in results]
    assert codes == [None, "corrupt-image", None, "not-an-image", "file-missing", None, "corrupt-image", None]
    expected = {0: scenes[1], 2: scenes[2], 5: scenes[4], 7: scenes[5]}
    good = sum(results[i].caption.lower() == s.caption for i, s in expected.items())  # type: ignore[union-attr]
    assert good >= 3
    for r in results:
        assert (r.caption is None) == (r.error is not None)


def test_several_candidates_with_scores(toy: Captioner, scenes: list[Scene]) -> None:
    best = toy.caption([scenes[0].path])[0]
    r = toy.caption([scenes[0].path], GenerationSettings(num_beams=5, num_candidates=3))[0]
    assert 1 <= len(r.candidates) <= 3
    texts = [c.text for c in r.candidates]
    assert len(set(texts)) == len(texts)
    scores = [c.score for c in r.candidates]
    assert scores == sorted(scores, reverse=True) and all(0 < s <= 1 for s in scores)
    assert r.caption == best.caption
    assert r.candidates[0].score > 0.5  # a trained model is confident on its own task


def test_sampling_is_repeatable_with_a_seed(toy: Captioner, scenes: list[Scene]) -> None:
    s = GenerationSettings(strategy="sample", num_candidates=3, seed=7, temperature=1.5)
    a = toy.caption([scenes[3].path], s)[0]
    b = toy.caption([scenes[3].path], s)[0]
    assert a.candidates == b.candidates


def test_cancel_between_batches(toy_model_dir: Path, scenes: list[Scene]) -> None:
    cap = Captioner(toy_model_dir, device="cpu", batch_size=4)
    token = CancelToken()
    seen = []

    def progress(done: int, total: int) -> None:
        token.cancel()

    with pytest.raises(CancelledError):
        for r in cap.iter_caption([s.path for s in scenes[:16]], cancel=token, progress=progress):
            seen.append(r)
    assert len(seen) == 4


def test_cancel_inside_generation(toy: Captioner, scenes: list[Scene]) -> None:
    token = CancelToken()
    token.cancel()
    adapter = toy.adapter
    from altlens.core.images import load_image

    inputs = adapter.preprocess([load_image(scenes[0].path, target_size=adapter.image_size)])
    with pytest.raises(CancelledError):
        adapter.generate(inputs, GenerationSettings(), token)


def test_in_memory_images(toy: Captioner, scenes: list[Scene]) -> None:
    image = Image.open(scenes[0].path)
    r = toy.caption([image])[0]
    assert r.path is None and r.caption and r.caption.lower() == scenes[0].caption


def test_lanes_give_the_same_results_in_the_same_order(toy_model_dir: Path, scenes: list[Scene], tmp_path: Path) -> None:
    """Two batches through the model at once (the command line's default on 2+ cores) must
    not change a caption, an error or the order, and must give torch its threads back."""
    import torch

    bad = tmp_path / "cut.jpg"
    bad.write_bytes(scenes[0].path.read_bytes()[:5000])
    inputs = [s.path for s in scenes[:5]] + [bad, tmp_path / "missing.jpg"] + [s.path for s in scenes[5:12]]
    one = Captioner(toy_model_dir, device="cpu", batch_size=3, lanes=1).caption(inputs)
    threads = torch.get_num_threads()
    two = Captioner(toy_model_dir, device="cpu", batch_size=3, lanes=2)
    lanes_used: set[str] = set()
    run_batch = two._run_batch

    def recording(*args, **kwargs):  # noqa: ANN002, ANN003, ANN202
        lanes_used.add(__import__("threading").current_thread().name)
        return run_batch(*args, **kwargs)

    two._run_batch = recording  # type: ignore[method-assign]
    seen = []
    results = list(two.iter_caption(inputs, progress=lambda done, total: seen.append(done)))
    assert torch.get_num_threads() == threads
    assert [(r.index, r.caption, r.error.code if r.error else None) for r in results] == [
        (r.index, r.caption, r.error.code if r.error else None) for r in one
    ]
    assert seen == [3, 6, 9, 12, 14]  # progress after each batch, in order
    assert len(lanes_used) == 2 and all(n.startswith("altlens-lane") for n in lanes_used), lanes_used
    assert sum(r.caption is not None for r in results) == 12


def test_cancel_between_batches_with_lanes(toy_model_dir: Path, scenes: list[Scene]) -> None:
    import torch

    threads = torch.get_num_threads()
    cap = Captioner(toy_model_dir, device="cpu", batch_size=4, lanes=2)
    token = CancelToken()
    seen = []
    with pytest.raises(CancelledError):
        for r in cap.iter_caption([s.path for s in scenes[:16]], cancel=token, progress=lambda d, t: token.cancel()):
            seen.append(r)
    assert len(seen) == 4
    assert torch.get_num_threads() == threads


def test_batches_are_even_and_fill_the_lanes() -> None:
    from altlens.core.captioning.engine import _split

    sizes = lambda n, b, lanes: [len(x) for x in _split(n, b, lanes)]  # noqa: E731
    assert sizes(24, 8, 1) == [8, 8, 8]  # one lane: batches as asked
    assert sizes(24, 8, 2) == [6, 6, 6, 6]  # two lanes: no third batch alone on one lane
    assert sizes(9, 8, 2) == [5, 4]
    assert sizes(1, 8, 2) == [1] and sizes(0, 8, 2) == []
    for n in range(1, 60):
        for b in (1, 3, 8):
            got = _split(n, b, 2)
            assert [i for batch in got for i in batch] == list(range(n)) and max(map(len, got)) <= b
