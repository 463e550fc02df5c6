# SPDX-License-Identifier: GPL-3.0-or-later
"""The transformers-free ViT-GPT-2 path (core/captioning/vitgpt2.py) must compute what
transformers computes: the same pixel values, encoder states and captions bit for bit in
float32, the same captions from cached int8/bfloat16 weights as from a fresh conversion, and
the engine must pick it only where it applies."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import numpy as np
import pytest
import torch
from altlens.core.captioning import GenerationSettings, fast, vitgpt2, weightcache
from PIL import Image

from tests.tinymodels import build

pytestmark = pytest.mark.usefixtures("one_torch_thread")


@pytest.fixture(scope="module")
def tiny_dirs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    root = tmp_path_factory.mktemp("tiny-light")
    return {
        "lengths": build("vision-encoder-decoder", root / "a", seed=0, eos_scale=1.3),
        "projected": build("vision-encoder-decoder", root / "b", seed=3, encoder_hidden=32, decoder_hidden=48),
    }


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("ALTLENS_HOME", str(tmp_path / "home"))
    return tmp_path / "home"


def _images(n: int, seed: int = 0) -> list[Image.Image]:
    rng = np.random.default_rng(seed)
    sizes = [(300, 400), (224, 224), (97, 513), (1000, 750), (32, 32), (17, 900)]
    return [Image.fromarray(rng.integers(0, 255, (*sizes[i % len(sizes)], 3), dtype=np.uint8)) for i in range(n)]


def _both(folder: Path, mode: str) -> tuple[object, vitgpt2.VitGpt2Adapter]:
    from altlens.core.captioning.adapters import VisionEncoderDecoderAdapter

    cpu = torch.device("cpu")
    return VisionEncoderDecoderAdapter(folder, device=cpu, mode=mode), vitgpt2.VitGpt2Adapter(folder, device=cpu, mode=mode)


@pytest.mark.parametrize("which", ["toy", "lengths"])
def test_float32_bit_identical_to_transformers(which: str, toy_model_dir: Path, tiny_dirs: dict[str, Path], home: Path) -> None:
    folder = toy_model_dir if which == "toy" else tiny_dirs[which]
    assert vitgpt2.unsupported_reason(folder) is None
    ref, light = _both(folder, "float32")
    images = _images(6)
    pixels = ref.pixel_values(images)
    assert torch.equal(pixels, light.pixel_values(images))
    with torch.inference_mode():
        assert torch.equal(fast.encode(ref.model, pixels), fast.encode(light.model, pixels))
    for settings in (GenerationSettings(strategy="greedy", num_beams=1), GenerationSettings(num_beams=4, num_candidates=3)):
        assert light.generate({"pixel_values": pixels}, settings) == ref.generate({"pixel_values": pixels}, settings)


@pytest.mark.parametrize("mode", ["int8", "bfloat16", "mixed"])
def test_cached_conversion_gives_the_same_captions(mode: str, toy_model_dir: Path, home: Path) -> None:
    from altlens.core.captioning.numerics import int8_matmul_available

    if mode in ("int8", "mixed") and not int8_matmul_available():
        pytest.skip("this torch has no CPU int8 matrix product")
    ref, first = _both(toy_model_dir, mode)  # first: converts and writes the cache entry
    threads = [t for t in __import__("threading").enumerate() if t.name == "altlens-weight-cache"]
    for t in threads:
        t.join()
    entries = list((home / "cache" / "weights").glob(f"*-{mode}-v*.safetensors"))
    assert len(entries) == 1
    second = vitgpt2.VitGpt2Adapter(toy_model_dir, device=torch.device("cpu"), mode=mode)  # maps the entry
    pixels = ref.pixel_values(_images(6, seed=1))
    settings = GenerationSettings(num_beams=4, num_candidates=2)
    expected = ref.generate({"pixel_values": pixels}, settings)
    assert first.generate({"pixel_values": pixels}, settings) == expected
    assert second.generate({"pixel_values": pixels}, settings) == expected
    if mode == "mixed":  # the cached entry keeps each half in its own form
        kinds = {(name.split(".")[0], name.endswith("crossattention.c_attn")): type(m).__name__
                 for name, m in second.model.named_modules() if type(m).__name__ in ("_Int8Linear", "_Bf16Linear")}
        assert kinds == {("encoder", False): "_Bf16Linear", ("decoder", True): "_Bf16Linear",
                         ("decoder", False): "_Int8Linear"}, kinds


def test_damaged_cache_entry_is_replaced(toy_model_dir: Path, home: Path) -> None:
    weights = toy_model_dir / vitgpt2.WEIGHTS
    entry = weightcache.entry_path(weightcache.digest(weights), "bfloat16")
    entry.parent.mkdir(parents=True, exist_ok=True)
    entry.write_bytes(b"\x10\x00\x00\x00\x00\x00\x00\x00{}")  # a valid header, no tensors
    adapter = vitgpt2.VitGpt2Adapter(toy_model_dir, device=torch.device("cpu"), mode="bfloat16")
    pixels = adapter.pixel_values(_images(1))
    assert adapter.generate({"pixel_values": pixels}, GenerationSettings())[0][0][0]


def test_digest_is_remembered_until_the_file_changes(tmp_path: Path, home: Path) -> None:
    f = tmp_path / "w.bin"
    f.write_bytes(b"one")
    first = weightcache.digest(f)
    assert weightcache.digest(f) == first
    f.write_bytes(b"two!")
    assert weightcache.digest(f) != first


def test_unsupported_models_and_switch(tiny_dirs: dict[str, Path], toy_model_dir: Path, tmp_path: Path,
                                      monkeypatch: pytest.MonkeyPatch) -> None:
    assert "hidden sizes" in (vitgpt2.unsupported_reason(tiny_dirs["projected"]) or "")
    older = tmp_path / "older"  # no generation_config.json: its options are derived from config.json
    __import__("shutil").copytree(toy_model_dir, older)
    (older / "generation_config.json").unlink()
    config = json.loads((older / "config.json").read_text())
    config["no_repeat_ngram_size"] = 3  # an option the light path does not reproduce
    (older / "config.json").write_text(json.dumps(config))
    assert vitgpt2.unsupported_reason(older) == "generation options no_repeat_ngram_size"
    monkeypatch.setenv(vitgpt2.ENV_SWITCH, "0")
    assert vitgpt2.unsupported_reason(toy_model_dir) is not None


def test_engine_uses_it_without_importing_transformers(toy_model_dir: Path, tmp_path: Path) -> None:
    """A fresh process captions with the light path and never imports transformers."""
    import subprocess

    photo = tmp_path / "p.png"
    _images(1)[0].save(photo)
    code = (
        "import sys; from altlens.core.captioning import Captioner;"
        f"c = Captioner({str(toy_model_dir)!r}, device='cpu', dtype='float32');"
        f"r = c.caption([{str(photo)!r}]); assert r[0].ok, r[0].error;"
        "print(type(c.adapter).__name__, 'transformers' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,
                         cwd=Path(__file__).resolve().parents[2], env={**__import__("os").environ, "ALTLENS_HOME": str(tmp_path)})
    assert out.stdout.split() == ["VitGpt2Adapter", "False"]


def test_sampling_falls_back_to_transformers(toy_model_dir: Path, home: Path) -> None:
    adapter = vitgpt2.VitGpt2Adapter(toy_model_dir, device=torch.device("cpu"), mode="float32")
    pixels = adapter.pixel_values(_images(2))
    out = adapter.generate({"pixel_values": pixels}, GenerationSettings(strategy="sample", seed=3))
    assert len(out) == 2 and all(c[0][0] for c in out)


def test_failed_load_while_photos_decode_early_raises_without_hanging(toy_model_dir: Path, tmp_path: Path, home: Path) -> None:
    """The first photos decode while the model loads; a model that fails to load must end the
    call with its error, not leave the decode threads waiting."""
    import shutil

    from altlens.core.captioning import Captioner
    from altlens.core.errors import AltLensError

    broken = tmp_path / "broken"
    shutil.copytree(toy_model_dir, broken)
    config = json.loads((broken / "config.json").read_text())
    config["decoder"]["n_layer"] += 1  # a layer the weights file does not have
    (broken / "config.json").write_text(json.dumps(config))
    photo = tmp_path / "p.png"
    _images(1)[0].save(photo)
    cap = Captioner(broken, device="cpu", dtype="float32")
    assert cap._early_image_size() is not None  # the early-decode path is the one under test
    with pytest.raises(AltLensError):
        cap.caption([photo] * 3)


def test_photos_decode_while_torch_loads(toy_model_dir: Path, tmp_path: Path) -> None:
    """The checks that pick the fast path read JSON only, so a command can decode its first
    photos while torch is imported; and the first two batches (one per lane) decode before the
    model is loaded, not only the first."""
    import subprocess

    photos = []
    for i, im in enumerate(_images(5)):
        photos.append(tmp_path / f"p{i}.png")
        im.save(photos[-1])
    script = f"""
import sys, threading
from pathlib import Path
from altlens.core.captioning import vitgpt2, engine
folder = Path({str(toy_model_dir)!r})
assert vitgpt2.unsupported_reason(folder) is None and vitgpt2.image_size(folder)
assert "torch" not in sys.modules, "picking the path imported torch"
decoded_before_load = []
loaded = threading.Event()
real_to_image, real_load = engine._to_image, engine.Captioner.load
def to_image(item, size):
    if not loaded.is_set():
        decoded_before_load.append(Path(item).name)
    return real_to_image(item, size)
def load(self):
    import time
    deadline = time.monotonic() + 20  # the decode threads get the time they need
    while len(decoded_before_load) < 4 and time.monotonic() < deadline:
        time.sleep(0.01)
    info = real_load(self)
    loaded.set()
    return info
engine._to_image, engine.Captioner.load = to_image, load
cap = engine.Captioner(folder, device="cpu", dtype="float32", batch_size=2)
out = cap.caption({[str(p) for p in photos]!r})
assert all(r.ok for r in out), out
print(sorted(decoded_before_load))
"""
    proc = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr[-3000:]
    # batches of 2, 2 and 1: the first two batches' photos, and not the third's
    assert proc.stdout.strip() == str(["p0.png", "p1.png", "p2.png", "p3.png"])
