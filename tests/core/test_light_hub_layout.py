# SPDX-License-Identifier: GPL-3.0-or-later
"""The transformers-free ViT-GPT-2 path (vitgpt2.py) on the layout the real default model
(nlpconnect/vit-gpt2-image-captioning) ships: pytorch_model.bin or model.safetensors, no
generation_config.json (options derived from config.json as transformers derives them), a
legacy ViTFeatureExtractor preprocessor_config.json, and GPT-2's tokenizer files (with or
without tokenizer.json). It must give transformers' generate() tokens, or refuse the model to
the transformers path with a reason."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import pytest
import torch
from altlens.core.captioning import Captioner, GenerationSettings, backends, vitgpt2
from altlens.core.errors import ModelInvalidError
from PIL import Image

from tests.core.test_conformance import MAX_LENGTH, altlens_tokens, reference_tokens
from tests.tinymodels import FAMILIES, build

pytestmark = pytest.mark.usefixtures("one_torch_thread")
SPEC = FAMILIES["vision-encoder-decoder"]


@pytest.fixture(scope="module")
def hub_dirs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    root = tmp_path_factory.mktemp("light-hub")
    # vocab 257: the byte-level BPE tokenizer (vocab.json + merges.txt + tokenizer.json)
    out = {w: build("vision-encoder-decoder", root / w, seed=0, vocab=257, weights=w) for w in ("bin", "safetensors")}
    no_json = root / "bin-no-tokenizer-json"
    shutil.copytree(out["bin"], no_json)
    (no_json / "tokenizer.json").unlink()
    out["bin-no-tokenizer-json"] = no_json
    return out


@pytest.fixture(autouse=True)
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("ALTLENS_HOME", str(tmp_path / "home"))
    return tmp_path / "home"


@pytest.fixture(scope="module")
def images() -> list[Image.Image]:
    g = torch.Generator().manual_seed(11)
    return [Image.fromarray((torch.rand(40 + 9 * i, 70 + 5 * i, 3, generator=g) * 255).byte().numpy()) for i in range(8)]


def test_generation_keys_are_transformers_own() -> None:
    from transformers import GenerationConfig

    defaults = GenerationConfig().to_dict()
    for meta in ("_from_model_config", "transformers_version"):
        defaults.pop(meta, None)
    assert set(vitgpt2.GENERATION_KEYS) == set(defaults)
    assert all(v is None for v in defaults.values())  # generation_options drops Nones on that basis


def test_layout_is_the_hub_one(hub_dirs: dict[str, Path]) -> None:
    for folder in hub_dirs.values():
        assert not (folder / "generation_config.json").exists()
        proc = json.loads((folder / "preprocessor_config.json").read_text())
        assert proc["feature_extractor_type"] == "ViTFeatureExtractor" and isinstance(proc["size"], int)
    assert (hub_dirs["bin"] / "pytorch_model.bin").is_file() and not (hub_dirs["bin"] / "model.safetensors").exists()


@pytest.mark.parametrize("which", ["bin", "safetensors", "bin-no-tokenizer-json"])
def test_hub_layout_takes_the_light_path_with_transformers_pixels_and_text(
    which: str, hub_dirs: dict[str, Path], images: list[Image.Image]
) -> None:
    from altlens.core.captioning.adapters import VisionEncoderDecoderAdapter
    from transformers import AutoTokenizer

    folder = hub_dirs[which]
    assert vitgpt2.unsupported_reason(folder) is None
    light = backends.BACKENDS["auto"].load(backends.Request(folder, "cpu", "float32"))
    assert isinstance(light, vitgpt2.VitGpt2Adapter)
    ref = VisionEncoderDecoderAdapter(folder, device=torch.device("cpu"), mode="float32")
    assert light.image_size == ref.image_size
    assert torch.equal(light.pixel_values(images), ref.pixel_values(images))
    # the generation options transformers derived from config.json
    want = {k: v for k, v in ref.model.generation_config.to_diff_dict().items()
            if k not in ("transformers_version", "_from_model_config")}
    assert vitgpt2.generation_options(folder) == want
    # tokenizer: same ids and the same text back
    hf = AutoTokenizer.from_pretrained(folder)
    texts = ["a dog on a couch", " leading space", "ünïcödé and <|endoftext|> end", "x\ny"]
    tok = vitgpt2.load_tokenizer(folder)
    for t in texts:
        assert tok.encode(t).ids == hf(t)["input_ids"], t
    rows = [list(range(0, 257, 7)), [256, 65, 66, 256, 80], [100, 200, 256]]
    assert light.tokenizer.batch_decode(rows) == hf.batch_decode(rows, skip_special_tokens=True)


@pytest.mark.parametrize("weights", ["bin", "safetensors"])
@pytest.mark.parametrize("beams", [1, 4], ids=["greedy", "beam4"])
@pytest.mark.parametrize("batch_size", [1, 8], ids=["batch1", "batch8"])
def test_hub_layout_tokens_equal_generate(weights: str, beams: int, batch_size: int, hub_dirs: dict[str, Path],
                                          images: list[Image.Image]) -> None:
    folder = hub_dirs[weights]
    assert type(Captioner(folder, device="cpu", dtype="float32").adapter) is vitgpt2.VitGpt2Adapter
    settings = GenerationSettings(num_beams=beams, max_length=MAX_LENGTH, repetition_guard=False)
    got, length = altlens_tokens(SPEC, folder, images, settings, batch_size=batch_size)
    want = reference_tokens(SPEC, folder, images, beams, length, batch_size)
    assert got == want
    assert any(got)


def test_bin_converted_once_into_the_cache(hub_dirs: dict[str, Path], home: Path, images: list[Image.Image]) -> None:
    import threading

    folder = hub_dirs["bin"]
    first = vitgpt2.VitGpt2Adapter(folder, device=torch.device("cpu"), mode="bfloat16")
    for t in threading.enumerate():
        if t.name == "altlens-weight-cache":
            t.join()
    assert len(list((home / "cache" / "weights").glob("*-bfloat16-v*.safetensors"))) == 1
    second = vitgpt2.VitGpt2Adapter(folder, device=torch.device("cpu"), mode="bfloat16")
    pixels = first.pixel_values(images[:3])
    settings = GenerationSettings(num_beams=4, num_candidates=2)
    assert second.generate({"pixel_values": pixels}, settings) == first.generate({"pixel_values": pixels}, settings)


def test_bin_with_code_is_refused_without_running_it(hub_dirs: dict[str, Path], tmp_path: Path) -> None:
    folder = tmp_path / "evil"
    shutil.copytree(hub_dirs["bin"], folder)
    marker = tmp_path / "ran"

    class Evil:
        def __reduce__(self) -> Any:
            return (Path.touch, (marker,))

    torch.save({"x": Evil()}, folder / "pytorch_model.bin")
    # torch's weights-only unpickler refuses it; the person hears why, in the words the
    # transformers path uses
    with pytest.raises(ModelInvalidError, match="refuses to unpickle"):
        vitgpt2.read_checkpoint(folder / "pytorch_model.bin")
    assert not marker.exists()


def _with_config(src: Path, dst: Path, top: dict[str, Any] | None = None, decoder: dict[str, Any] | None = None) -> Path:
    shutil.copytree(src, dst)
    cfg = json.loads((dst / "config.json").read_text())
    cfg.update(top or {})
    cfg["decoder"].update(decoder or {})
    (dst / "config.json").write_text(json.dumps(cfg))
    return dst


def test_legacy_generation_keys_that_the_path_honours(hub_dirs: dict[str, Path], tmp_path: Path,
                                                      images: list[Image.Image]) -> None:
    """num_beams/max_length (the caller's settings override them, in generate() too) and
    length_penalty/early_stopping (used by beam search) at config.json's top level, and a
    decoder-level length_penalty that the top level does not override: honoured identically."""
    folder = _with_config(hub_dirs["safetensors"], tmp_path / "m",
                          top={"num_beams": 4, "max_length": 5, "length_penalty": 0.3, "early_stopping": True},
                          decoder={"length_penalty": 2.5, "no_repeat_ngram_size": 0})
    assert vitgpt2.generation_options(folder)["length_penalty"] == 0.3
    assert vitgpt2.unsupported_reason(folder) is None
    cap = Captioner(folder, device="cpu", dtype="float32")
    assert type(cap.adapter) is vitgpt2.VitGpt2Adapter
    settings = GenerationSettings(num_beams=3, max_length=MAX_LENGTH, repetition_guard=False)
    got, length = altlens_tokens(SPEC, folder, images, settings, batch_size=8)
    assert got == reference_tokens(SPEC, folder, images, 3, length, 8)
    # the decoder's own value, when the top level leaves it unset
    only_decoder = _with_config(hub_dirs["safetensors"], tmp_path / "d", decoder={"length_penalty": 2.5})
    assert vitgpt2.generation_options(only_decoder)["length_penalty"] == 2.5


@pytest.mark.parametrize(("top", "decoder", "key"), [
    ({"no_repeat_ngram_size": 3}, {}, "no_repeat_ngram_size"),
    ({}, {"repetition_penalty": 1.3}, "repetition_penalty"),
    ({"min_length": 4}, {}, "min_length"),
])
def test_legacy_generation_keys_the_path_does_not_reproduce_go_to_transformers(
    top: dict[str, Any], decoder: dict[str, Any], key: str, hub_dirs: dict[str, Path], tmp_path: Path,
) -> None:
    folder = _with_config(hub_dirs["bin"], tmp_path / "m", top=top, decoder=decoder)
    reason = vitgpt2.unsupported_reason(folder)
    assert reason is not None and key in reason
    adapter = backends.BACKENDS["auto"].load(backends.Request(folder, "cpu", "float32"))
    assert not isinstance(adapter, vitgpt2.VitGpt2Adapter)


@pytest.mark.parametrize(("top", "decoder"), [
    ({}, {}),
    ({"num_beams": 4, "max_length": 5, "no_repeat_ngram_size": 3}, {}),
    ({"length_penalty": 0.3}, {"length_penalty": 2.5, "min_length": 2, "early_stopping": True}),
    ({"force_bos_token_to_be_generated": True, "eos_token_id": None}, {"eos_token_id": 7, "top_k": 3}),
])
def test_derived_options_equal_transformers_own(top: dict[str, Any], decoder: dict[str, Any], hub_dirs: dict[str, Path],
                                               tmp_path: Path) -> None:
    """generation_options without generation_config.json: what from_pretrained derives."""
    from transformers import VisionEncoderDecoderModel

    folder = _with_config(hub_dirs["safetensors"], tmp_path / "m", top=top, decoder=decoder)
    want = VisionEncoderDecoderModel.from_pretrained(folder).generation_config.to_diff_dict()
    for meta in ("transformers_version", "_from_model_config"):
        want.pop(meta, None)
    assert vitgpt2.generation_options(folder) == want
