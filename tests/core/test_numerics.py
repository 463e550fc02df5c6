# SPDX-License-Identifier: GPL-3.0-or-later
"""Numeric modes: every mode keeps caption differences from float32 within the agreed bound
on the trained test model (fresh scenes), float32 on the fast path is identical, and `auto`
follows its documented rule."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
import torch
from altlens.core.captioning import Captioner, GenerationSettings, numerics
from altlens.core.captioning.numerics import MAX_CAPTION_DIFFERENCE, auto_cpu_mode, resolve_mode
from altlens.core.errors import UsageError

N_SCENES = 150  # 2% of 150 = 3 captions


@pytest.fixture(scope="module")
def scenes() -> list[tuple[object, str]]:
    from toy_scenes import make_scenes

    # Fresh scenes: a seed the trainer never used, sizes up to photo-like, half recompressed.
    return list(make_scenes(seed=424242, n=N_SCENES, long_side=(160, 900)))


@pytest.fixture(scope="module")
def float32_captions(toy_model_dir: Path, scenes: list[tuple[object, str]]) -> list[str]:
    # transformers' generate() in float32: the reference numerics.
    cap = Captioner(toy_model_dir, device="cpu", dtype="float32", backend="torch", batch_size=16)
    return [r.caption for r in cap.caption([img for img, _ in scenes], _settings())]


def _settings() -> GenerationSettings:
    return GenerationSettings(num_beams=4, max_length=16, repetition_guard=False)


def _differences(a: list[str], b: list[str]) -> list[tuple[str, str]]:
    return [(x, y) for x, y in zip(a, b, strict=True) if x != y]


@pytest.mark.slow
@pytest.mark.parametrize("mode", ["float32", "bfloat16", "int8", "mixed"])
def test_mode_agrees_with_float32_on_the_toy_model(
    mode: str, toy_model_dir: Path, scenes: list[tuple[object, str]], float32_captions: list[str]
) -> None:
    if mode in ("int8", "mixed") and not numerics.int8_matmul_available():
        pytest.skip("this torch cannot multiply int8 matrices on the CPU")
    torch.set_num_threads(min(2, os.cpu_count() or 1))
    images = [img for img, _ in scenes]
    got = [r.caption for r in Captioner(toy_model_dir, device="cpu", dtype=mode, batch_size=16).caption(images, _settings())]
    diff = _differences(got, float32_captions)
    if mode == "float32":
        assert diff == [], diff[:5]  # the fast path in float32 says exactly what generate() says
    else:
        assert len(diff) <= MAX_CAPTION_DIFFERENCE * N_SCENES, f"{mode}: {len(diff)}/{N_SCENES} differ: {diff[:5]}"
    # The model is trained: nearly every caption is the scene's true caption.
    truth = [c for _, c in scenes]
    correct = sum(g.lower() == t for g, t in zip(got, truth, strict=True))
    assert correct >= 0.9 * N_SCENES, f"{mode}: only {correct}/{N_SCENES} correct"


@pytest.mark.slow
def test_int8_captions_do_not_depend_on_batch_size(toy_model_dir: Path, scenes: list[tuple[object, str]]) -> None:
    """int8 activations are quantized per token, never per batch: a photo gets the same
    caption alone or among others."""
    if not numerics.int8_matmul_available():
        pytest.skip("this torch cannot multiply int8 matrices on the CPU")
    images = [img for img, _ in scenes[:60]]
    by_size = {
        bs: [r.caption for r in Captioner(toy_model_dir, device="cpu", dtype="int8", batch_size=bs).caption(images, _settings())]
        for bs in (1, 7, 32)
    }
    for bs in (7, 32):
        assert _differences(by_size[bs], by_size[1]) == []


def test_auto_rule(monkeypatch: pytest.MonkeyPatch) -> None:
    def features(**on: bool) -> dict[str, bool]:
        base = {"avx512": False, "avx512_bf16": False, "vnni": False, "amx": False, "int8_matmul": True}
        base.update(on)
        return base

    cases = [
        (features(vnni=True, avx512_bf16=True), "int8"),
        (features(vnni=True), "int8"),
        (features(amx=True), "int8"),
        (features(avx512_bf16=True), "bfloat16"),
        (features(avx512_bf16=True, vnni=True, int8_matmul=False), "bfloat16"),
        (features(), "float32"),
    ]
    for feats, want in cases:
        monkeypatch.setattr(numerics, "cpu_features", lambda feats=feats: feats)
        assert auto_cpu_mode() == want, feats
        assert resolve_mode("auto", "cpu") == want
    # Encoder-decoder models on AMX: bfloat16 encoder, int8 decoder; without int8 products
    # or AMX the rule above holds for them too.
    ved = "vision-encoder-decoder"
    for feats, want in [
        (features(amx=True), "mixed"),
        (features(amx=True, vnni=True, avx512_bf16=True), "mixed"),
        (features(amx=True, int8_matmul=False), "bfloat16"),
        (features(vnni=True, avx512_bf16=True), "int8"),
    ]:
        monkeypatch.setattr(numerics, "cpu_features", lambda feats=feats: feats)
        assert resolve_mode("auto", "cpu", ved) == want, feats


def test_explicit_modes_and_errors() -> None:
    assert resolve_mode("float32", "cpu") == "float32"
    assert resolve_mode("bfloat16", "cpu") == "bfloat16"
    with pytest.raises(UsageError):
        resolve_mode("float16", "cpu")
    with pytest.raises(UsageError):
        resolve_mode("int9", "cpu")
    with pytest.raises(UsageError, match="mixed"):
        resolve_mode("mixed", "cpu", "blip")
    with pytest.raises(UsageError, match="CPU only"):
        resolve_mode("mixed", "cuda")
    with pytest.raises(UsageError):
        Captioner(dtype="int9")


def test_int8_replaces_every_matrix_product(tmp_path: Path) -> None:
    from transformers import VisionEncoderDecoderModel
    from transformers.pytorch_utils import Conv1D

    from tests.tinymodels import build

    if not numerics.int8_matmul_available():
        pytest.skip("this torch cannot multiply int8 matrices on the CPU")
    folder = build("vision-encoder-decoder", tmp_path / "m", encoder_hidden=32, decoder_hidden=48, eos_scale=1.0)
    float_model = VisionEncoderDecoderModel.from_pretrained(folder).eval()
    model = numerics.quantize_int8(VisionEncoderDecoderModel.from_pretrained(folder).eval())
    left = [n for n, m in model.named_modules() if type(m) in (torch.nn.Linear, Conv1D)]
    assert left == []
    # Each product stays close to the float one, and a row's result ignores the other rows.
    x = torch.randn(5, 3, 48)
    with torch.inference_mode():
        want = float_model.decoder.transformer.h[0].mlp.c_fc(x)
        got = model.decoder.transformer.h[0].mlp.c_fc(x)
        alone = model.decoder.transformer.h[0].mlp.c_fc(x[2:3])
    assert float((got - want).norm() / want.norm()) < 0.02
    assert torch.equal(alone, got[2:3])
    # Embedding tables stay float32 (looked up, not multiplied).
    assert model.decoder.transformer.wte.weight.dtype == torch.float32


def test_released_weight_pages_read_back_unchanged(tmp_path: Path) -> None:
    """Dropping the pages of a memory-mapped weight must never change what it reads as."""
    import sys

    from transformers import VisionEncoderDecoderModel

    from tests.tinymodels import build

    folder = build("vision-encoder-decoder", tmp_path / "m", decoder_hidden=256, vocab=400, eos_scale=1.0)
    model = VisionEncoderDecoderModel.from_pretrained(folder).eval()
    weight = model.decoder.lm_head.weight
    before = weight.detach().clone()
    pages = numerics.PageReleaser(folder)
    pages.keep_all([model.decoder.transformer.wte.weight])
    pages.release(weight)
    if sys.platform.startswith("linux"):  # transformers memory-maps safetensors there
        assert pages.maps and pages.released > 0
    assert torch.equal(weight, before)
    # A tensor that is not file-backed is never touched.
    anon = torch.randn(4096)
    copy = anon.clone()
    released = pages.released
    pages.release(anon)
    assert pages.released == released and torch.equal(anon, copy)


def test_lower_precision_loads_leave_no_float32_matrices(tmp_path: Path) -> None:
    from altlens.core.captioning.adapters import VisionEncoderDecoderAdapter

    from tests.tinymodels import build

    folder = build("vision-encoder-decoder", tmp_path / "m", eos_scale=1.0)
    from transformers.pytorch_utils import Conv1D

    bf16 = VisionEncoderDecoderAdapter(folder, device=torch.device("cpu"), mode="bfloat16")
    assert not [m for m in bf16.model.modules() if type(m) in (torch.nn.Linear, Conv1D)]
    products = [m.weight for m in bf16.model.modules() if type(m).__name__ == "_Bf16Linear"]
    assert products and {w.dtype for w in products} == {torch.bfloat16}
    # Everything else (layer norms, embeddings, biases) and the activations stay float32.
    assert bf16.model.decoder.transformer.ln_f.weight.dtype == torch.float32
    assert bf16.dtype == torch.float32
    if numerics.int8_matmul_available():
        mixed = VisionEncoderDecoderAdapter(folder, device=torch.device("cpu"), mode="mixed")
        assert not [m for m in mixed.model.modules() if type(m) in (torch.nn.Linear, Conv1D)]
        assert {type(m).__name__ for m in mixed.model.encoder.modules()} >= {"_Bf16Linear"}
        assert "_Int8Linear" not in {type(m).__name__ for m in mixed.model.encoder.modules()}
        # The decoder's per-token products are int8; its cross-attention keys/values, computed
        # from the image's patches, are bfloat16.
        for name, m in mixed.model.decoder.named_modules():
            if type(m).__name__ in ("_Int8Linear", "_Bf16Linear"):
                want = "_Bf16Linear" if name.endswith("crossattention.c_attn") else "_Int8Linear"
                assert type(m).__name__ == want, name
        assert mixed.dtype == torch.float32
        # The encoder's query/key/value and first MLP products hand bfloat16 on (four per layer).
        layers = mixed.model.config.encoder.num_hidden_layers
        assert sum(bool(getattr(m, "bf16_out", False)) for m in mixed.model.modules()) == 4 * layers


def test_cross_attention_keys_in_bfloat16_only_where_native(monkeypatch: pytest.MonkeyPatch) -> None:
    """int8/mixed on a CPU with native bfloat16 keep the image keys/values in bfloat16 (half
    the memory each decoder step reads); float32, GPUs and CPUs without it keep their own."""
    on = {"avx512": True, "avx512_bf16": True, "vnni": True, "amx": False, "int8_matmul": True}
    monkeypatch.setattr(numerics, "cpu_features", lambda: on)
    assert numerics.cross_attention_dtype("int8", "cpu") == torch.bfloat16
    assert numerics.cross_attention_dtype("mixed", torch.device("cpu")) == torch.bfloat16
    assert numerics.cross_attention_dtype("float32", "cpu") is None
    assert numerics.cross_attention_dtype("bfloat16", "cuda") is None
    monkeypatch.setattr(numerics, "cpu_features", lambda: {**on, "avx512_bf16": False})
    assert numerics.cross_attention_dtype("int8", "cpu") is None


def test_bfloat16_keys_change_the_logits_only_by_rounding(toy_model_dir: Path) -> None:
    from altlens.core.captioning import fast
    from transformers import VisionEncoderDecoderModel

    model = VisionEncoderDecoderModel.from_pretrained(toy_model_dir).eval()
    torch.manual_seed(0)
    with torch.inference_mode():
        states = fast.encode(model, torch.randn(3, 3, *_image_size(model)))
        start = torch.full((3,), model.config.decoder_start_token_id, dtype=torch.long)
        plain = fast.Gpt2StepDecoder(model.decoder, states, 8)
        rounded = fast.Gpt2StepDecoder(model.decoder, states, 8, cross_dtype=torch.bfloat16)
        assert rounded.cross[0][0].dtype == torch.bfloat16 and rounded.cross[0][0].is_contiguous()
        a, b = plain.begin(start), rounded.begin(start)
        # the self-attention cache follows the image keys (with its spare buffers, the
        # larger of the decoder's per-batch memories)
        assert rounded.keys[0].dtype == torch.bfloat16 and plain.keys[0].dtype == torch.float32
    assert b.dtype == torch.float32
    assert not torch.equal(a, b)  # the rounding is really there
    torch.testing.assert_close(b, a, rtol=0.05, atol=0.05 * float(a.abs().max()))
    assert torch.equal(a.argmax(-1), b.argmax(-1))


def _image_size(model: object) -> tuple[int, int]:
    size = model.config.encoder.image_size  # type: ignore[attr-defined]
    return (size, size) if isinstance(size, int) else tuple(size)
