# SPDX-License-Identifier: GPL-3.0-or-later
"""Every model family AltLens offers, proven against transformers (issue 12).

For each family in the registry, a tiny random-weight model saved in that family's exact hub
layout (tests/tinymodels) is captioned by AltLens and by the family's own code as its model
card shows it (processor -> model.generate). In float32 the tokens must be equal, greedy and
beam search, one image and eight at a time; the faster numeric modes run every family, and `auto` picks one only for
families where the <= 2% rule was proven on a trained model; and `altlens caption --json --model DIR`
must caption real photos. A family that cannot pass this is not offered.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import torch
from altlens.core.captioning import Captioner, GenerationSettings, numerics
from altlens.core.captioning.registry import SUPPORTED_FAMILIES
from altlens.core.errors import ModelUnsupportedError
from PIL import Image

from tests.tinymodels import FAMILIES, TinyFamily

REPO = Path(__file__).resolve().parents[2]
SAMPLES = sorted((REPO / "tests" / "data" / "samples").glob("*.jpg"))
OFFERED = sorted(set(SUPPORTED_FAMILIES) & set(FAMILIES))
MAX_LENGTH = 12
N_NUMERIC = 50  # 2% of 50 = 1 image may differ
# "The model gave no text": a caption family says empty-caption, a prompted family (Florence-2,
# SmolVLM2) empty-answer, its code for every task.
EMPTY_CODES = ("empty-caption", "empty-answer")

pytestmark = pytest.mark.usefixtures("one_torch_thread")


def test_every_offered_family_has_a_tiny_builder() -> None:
    missing = sorted(set(SUPPORTED_FAMILIES) - set(FAMILIES))
    assert not missing, f"families offered without a conformance model in tests/tinymodels: {missing}"


@pytest.fixture(scope="module")
def tiny_models(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    root = tmp_path_factory.mktemp("conformance")
    return {name: FAMILIES[name].build(_fresh(root / name), seed=0) for name in OFFERED}


def _fresh(folder: Path) -> Path:
    folder.mkdir(parents=True)
    return folder


@pytest.fixture(scope="module")
def images() -> list[Image.Image]:
    """Eight different pictures: the sample photos plus noise, at different sizes."""
    out = [Image.open(p).convert("RGB") for p in SAMPLES]
    g = torch.Generator().manual_seed(7)
    while len(out) < 8:
        h, w = 40 + 13 * len(out), 64 + 7 * len(out)
        out.append(Image.fromarray((torch.rand(h, w, 3, generator=g) * 255).byte().numpy()))
    return out[:8]


class _TokenRecorder:
    """Stands in for an adapter's tokenizer and keeps the token rows it is asked to decode:
    what AltLens generated, before any text clean-up."""

    def __init__(self, inner: Any) -> None:
        self._inner = inner
        self.rows: list[list[int]] = []

    def batch_decode(self, sequences: Any, *args: Any, **kwargs: Any) -> Any:
        self.rows.extend(torch.as_tensor(sequences).tolist())
        return self._inner.batch_decode(sequences, *args, **kwargs)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._inner, name)


def altlens_tokens(
    family: TinyFamily, folder: Path, pictures: list[Image.Image], settings: GenerationSettings, *,
    batch_size: int, dtype: str = "float32",
) -> tuple[list[list[int]], dict[str, Any]]:
    """AltLens's tokens per image (the start/prompt tokens removed, cut at the first end
    token, as the family's reference returns them) and the length keyword it used."""
    cap = Captioner(folder, device="cpu", dtype=dtype, batch_size=batch_size)
    adapter = cap.adapter
    recorder = _TokenRecorder(adapter.tokenizer)
    adapter.tokenizer = recorder
    results = cap.caption(pictures, settings)
    assert len(recorder.rows) == len(pictures) * settings.num_candidates
    prefix = int(family.options.get("altlens_prefix", 1))  # the start token every row begins with
    eos = adapter.eos_token_id
    rows = [row[prefix:] for row in recorder.rows[:: settings.num_candidates]]
    rows = [r[: r.index(eos)] if eos in r else r for r in rows]
    for r, tokens in zip(results, rows, strict=True):
        # A caption that ends at once is the only acceptable error, and only then.
        assert r.error is None or (r.error.code in EMPTY_CODES and not tokens), r.error
    kw = adapter.generation_kwargs(settings)
    length = {k: kw[k] for k in ("max_length", "max_new_tokens") if k in kw}
    return rows, length


def reference_tokens(family: TinyFamily, folder: Path, pictures: list[Image.Image], beams: int,
                     length: dict[str, Any], batch_size: int) -> list[list[int]]:
    out: list[list[int]] = []
    for i in range(0, len(pictures), batch_size):
        out += family.reference(folder, pictures[i : i + batch_size], {"num_beams": beams, "do_sample": False, **length})
    return out


@pytest.mark.parametrize("family", OFFERED)
@pytest.mark.parametrize("beams", [1, 4], ids=["greedy", "beam4"])
@pytest.mark.parametrize("batch_size", [1, 8], ids=["batch1", "batch8"])
def test_float32_tokens_equal_the_familys_own_generate(
    family: str, beams: int, batch_size: int, tiny_models: dict[str, Path], images: list[Image.Image]
) -> None:
    spec = FAMILIES[family]
    settings = GenerationSettings(num_beams=beams, max_length=MAX_LENGTH, repetition_guard=False)
    got, length = altlens_tokens(spec, tiny_models[family], images, settings, batch_size=batch_size)
    want = reference_tokens(spec, tiny_models[family], images, beams, length, batch_size)
    assert got == want
    assert any(got), "the tiny model produced no tokens at all: the comparison would prove nothing"


@pytest.mark.parametrize("family", OFFERED)
def test_auto_picks_a_faster_mode_only_where_the_rule_was_proven(
    family: str, tiny_models: dict[str, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    """The <= 2% rule is measured on a trained model (test_numerics.py); random weights
    cannot show it (see test_random_weights_cannot_show_the_rule), so `auto` keeps float32
    for a family without that proof, even on a CPU where it would pick int8."""
    features = {"avx512": True, "avx512_bf16": True, "vnni": True, "amx": True, "int8_matmul": True}
    monkeypatch.setattr(numerics, "cpu_features", lambda: features)
    info = Captioner(tiny_models[family], device="cpu").load()
    proven = family in numerics.CPU_MODE_PROVEN_FAMILIES
    # On AMX, encoder-decoder models get the mixed mode (bfloat16 encoder, int8 decoder).
    faster = "mixed" if family in numerics.MIXED_FAMILIES else "int8"
    assert info.dtype == (faster if proven else "float32")


def test_random_weights_cannot_show_the_rule(tiny_models: dict[str, Path]) -> None:
    """Why the rule is proven on the trained toy model and not here: the family that keeps it
    there (int8 within 2% of float32 on 150 fresh scenes) breaks it on random weights, whose
    near-tied logits let any rounding pick another token."""
    if not numerics.int8_matmul_available():
        pytest.skip("this torch cannot multiply int8 matrices on the CPU")
    spec = FAMILIES["vision-encoder-decoder"]
    pictures = _noise(N_NUMERIC)
    settings = GenerationSettings(num_beams=4, max_length=MAX_LENGTH, repetition_guard=False)
    folder = tiny_models["vision-encoder-decoder"]
    exact, _ = altlens_tokens(spec, folder, pictures, settings, batch_size=16)
    fast, _ = altlens_tokens(spec, folder, pictures, settings, batch_size=16, dtype="int8")
    differ = sum(a != b for a, b in zip(exact, fast, strict=True))
    assert differ > numerics.MAX_CAPTION_DIFFERENCE * N_NUMERIC


@pytest.mark.parametrize("family", OFFERED)
@pytest.mark.parametrize("mode", ["bfloat16", "int8"])
def test_faster_modes_run_every_family(family: str, mode: str, tiny_models: dict[str, Path]) -> None:
    """Asked for explicitly, each faster mode converts every matrix product of every family
    and captions every image. What this does not check: the <= 2% rule. Random weights cannot
    show it (test_random_weights_cannot_show_the_rule); it is proven on the trained toy model
    (vision-encoder-decoder, tests/core/test_numerics.py), and `auto` uses a faster mode on a
    CPU only for the families proven so (test_auto_picks_a_faster_mode_only_where_the_rule_was_proven)."""
    from transformers.pytorch_utils import Conv1D

    if mode == "int8" and not numerics.int8_matmul_available():
        pytest.skip("this torch cannot multiply int8 matrices on the CPU")
    cap = Captioner(tiny_models[family], device="cpu", dtype=mode, batch_size=8)
    assert cap.load().dtype == mode
    left = [n for n, m in cap.adapter.model.named_modules() if type(m) in (torch.nn.Linear, Conv1D)]
    assert left == []
    results = cap.caption(_noise(8), GenerationSettings(num_beams=4, max_length=MAX_LENGTH))
    assert all(r.error is None or r.error.code in EMPTY_CODES for r in results), [r.error for r in results]
    assert any(r.caption for r in results)


def _noise(n: int) -> list[Image.Image]:
    g = torch.Generator().manual_seed(11)
    return [Image.fromarray((torch.rand(48, 48, 3, generator=g) * 255).byte().numpy()) for _ in range(n)]


@pytest.mark.parametrize("family", OFFERED)
def test_cli_captions_real_photos(family: str, tiny_models: dict[str, Path], tmp_path: Path) -> None:
    """The user's path: `altlens caption --json --model DIR photo.jpg ...` in its own process."""
    env = {**os.environ, "ALTLENS_HOME": str(tmp_path / "home")}
    proc = subprocess.run(
        [sys.executable, "-m", "altlens.core.cli", "caption", "--json", "--model", str(tiny_models[family]), *map(str, SAMPLES)],
        capture_output=True, text=True, timeout=300, cwd=REPO, env=env,
    )
    assert proc.returncode == 0, proc.stderr[-2000:]
    lines = [json.loads(line) for line in proc.stdout.splitlines() if line.strip()]
    assert [Path(r["path"]).name for r in lines] == [p.name for p in SAMPLES]
    for r in lines:
        assert r["error"] is None, r
        assert r["caption"], r


# -- what is not offered --------------------------------------------------------------------


def _copy_with_config(src: Path, dst: Path, **changes: Any) -> Path:
    dst.mkdir()
    for f in src.iterdir():
        (dst / f.name).write_bytes(f.read_bytes())
    config = json.loads((src / "config.json").read_text())
    config.update(changes)
    (dst / "config.json").write_text(json.dumps(config))
    return dst


@pytest.mark.parametrize("model_type", ["llava", "mystery-net"], ids=["known-to-transformers", "unknown"])
def test_unsupported_family_names_the_supported_ones(
    model_type: str, tiny_models: dict[str, Path], tmp_path: Path
) -> None:
    folder = _copy_with_config(tiny_models[OFFERED[0]], tmp_path / "m", model_type=model_type)
    with pytest.raises(ModelUnsupportedError) as info:
        Captioner(folder, device="cpu").load()
    message = str(info.value)
    assert f"'{model_type}'" in message
    for family in SUPPORTED_FAMILIES:
        assert family in message


def test_remote_code_is_never_run(tiny_models: dict[str, Path], tmp_path: Path) -> None:
    """A folder that ships its own modeling code (auto_map) is refused without importing it."""
    marker = tmp_path / "code-ran"
    folder = _copy_with_config(
        tiny_models[OFFERED[0]], tmp_path / "m", model_type="sneaky",
        auto_map={"AutoConfig": "modeling_sneaky.SneakyConfig", "AutoModelForImageTextToText": "modeling_sneaky.Sneaky"},
    )
    (folder / "modeling_sneaky.py").write_text(f"open({str(marker)!r}, 'w').close()\n")
    with pytest.raises(ModelUnsupportedError):
        Captioner(folder, device="cpu").load()
    assert not marker.exists()
    # Even a supported family's folder with auto_map loads transformers' own classes only.
    folder2 = _copy_with_config(
        tiny_models[OFFERED[0]], tmp_path / "m2",
        auto_map={"AutoConfig": "modeling_sneaky.SneakyConfig", "AutoModelForImageTextToText": "modeling_sneaky.Sneaky"},
    )
    (folder2 / "modeling_sneaky.py").write_text(f"open({str(marker)!r}, 'w').close()\n")
    Captioner(folder2, device="cpu", dtype="float32").load()
    assert not marker.exists()
