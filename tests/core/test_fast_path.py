# SPDX-License-Identifier: GPL-3.0-or-later
"""The fast path must give exactly generate()'s tokens in float32: every beam width, several
candidates, batch sizes, captions that end early (EOS = pad, GPT-2's convention) and ones cut
by max_length, forced minimum lengths, length penalties and early-stopping settings."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch
from altlens.core.captioning import Captioner, GenerationSettings
from altlens.core.captioning.adapters import decode_candidates, run_search
from altlens.core.captioning.fast import Gpt2StepDecoder, encode, unsupported_reason
from altlens.core.captioning.genoptions import unsupported_generation_options
from altlens.core.errors import CancelledError
from altlens.core.jobs import CancelToken
from PIL import Image

from tests.tinymodels import build

pytestmark = pytest.mark.usefixtures("one_torch_thread")


@pytest.fixture(scope="module")
def tiny_dirs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    root = tmp_path_factory.mktemp("tiny")
    return {
        # ends after varied lengths with greedy decoding
        "greedy-lengths": build("vision-encoder-decoder", root / "a", seed=0, eos_scale=1.0),
        # ends after varied lengths with beam search
        "beam-lengths": build("vision-encoder-decoder", root / "b", seed=0, eos_scale=1.3),
        # encoder and decoder widths differ: the enc_to_dec projection is used
        "projected": build("vision-encoder-decoder", root / "c", seed=3, encoder_hidden=32, decoder_hidden=48, eos_scale=3.0),
        # loaded with eager attention below (the fast path then uses the eager formula)
        "eager": build("vision-encoder-decoder", root / "d", seed=5, eos_scale=1.2),
    }


def _load(folder: Path, **kw: object) -> torch.nn.Module:
    from transformers import VisionEncoderDecoderModel

    return VisionEncoderDecoderModel.from_pretrained(folder, **kw).eval()


def _generate_both(model: torch.nn.Module, pixel: torch.Tensor, settings: GenerationSettings) -> tuple[object, object]:
    gen = model.generation_config
    eos = pad = gen.eos_token_id
    kw = dict(
        max_length=settings.max_length, num_beams=settings.beams, num_return_sequences=settings.num_candidates,
        do_sample=False, return_dict_in_generate=True, output_scores=True, pad_token_id=pad, eos_token_id=eos,
    )
    if settings.min_length:
        kw["min_length"] = settings.min_length
    with torch.inference_mode():
        ref = model.generate(pixel_values=pixel, **kw)
        decoder = Gpt2StepDecoder(model.decoder, encode(model, pixel), settings.max_length)
        fast = run_search(decoder, pixel.shape[0], settings, gen, model.config, eos, pad, None)
    return ref, fast


def _caption_lengths(sequences: torch.Tensor, eos: int) -> list[int]:
    """Tokens before the first end token (all of them when there is none)."""
    body = sequences[:, 1:] != eos
    return [int(x) for x in body.int().cumprod(dim=1).sum(dim=1)]


def _assert_same_tokens(ref: object, fast: object, eos: int) -> None:
    seqs = fast.sequences.reshape(-1, fast.sequences.shape[-1])  # type: ignore[attr-defined]
    want = ref.sequences  # type: ignore[attr-defined]
    # generate() crops to the longest returned sequence; beyond it ours holds only padding.
    assert torch.equal(seqs[:, : want.shape[1]], want)
    assert bool((seqs[:, want.shape[1]:] == eos).all())


@pytest.mark.parametrize("model_key", ["greedy-lengths", "beam-lengths", "projected", "eager"])
def test_same_tokens_as_generate(tiny_dirs: dict[str, Path], model_key: str) -> None:
    model = _load(tiny_dirs[model_key], **({"attn_implementation": "eager"} if model_key == "eager" else {}))
    eos = model.generation_config.eos_token_id
    assert unsupported_reason(model) is None
    gen = torch.Generator().manual_seed(11)
    lengths_seen: set[int] = set()
    for batch in (1, 3, 6):
        pixel = torch.randn(batch, 3, 32, 32, generator=gen)
        for beams in (1, 2, 3, 4, 5):
            for max_length in (5, 12):
                cands = sorted({1, beams})
                for k in cands:
                    settings = GenerationSettings(
                        strategy="beam" if beams > 1 else "greedy", num_beams=beams, num_candidates=k, max_length=max_length
                    )
                    ref, fast = _generate_both(model, pixel, settings)
                    _assert_same_tokens(ref, fast, eos)
                    if beams > 1:
                        torch.testing.assert_close(fast.scores.reshape(-1), ref.sequences_scores, rtol=1e-5, atol=1e-5)
                    lengths_seen.update(_caption_lengths(ref.sequences, eos))
    # The inputs must exercise both early ends and captions cut at max_length.
    assert len(lengths_seen) >= 2, lengths_seen


def test_forced_length_and_minimum(tiny_dirs: dict[str, Path]) -> None:
    model = _load(tiny_dirs["beam-lengths"])
    eos = model.generation_config.eos_token_id
    pixel = torch.randn(4, 3, 32, 32, generator=torch.Generator().manual_seed(3))
    for beams in (1, 4):
        for min_length in (6, 10):
            s = GenerationSettings(strategy="beam" if beams > 1 else "greedy", num_beams=beams, max_length=10, min_length=min_length)
            ref, fast = _generate_both(model, pixel, s)
            _assert_same_tokens(ref, fast, eos)
            # No end token before min_length (start token included).
            assert not bool((ref.sequences[:, 1 : min_length - 1] == eos).any())


@pytest.mark.parametrize(
    ("length_penalty", "early_stopping"), [(1.0, True), (1.0, "never"), (0.6, False), (2.0, "never"), (-0.5, False)]
)
def test_length_penalty_and_early_stopping(tiny_dirs: dict[str, Path], length_penalty: float, early_stopping: object) -> None:
    model = _load(tiny_dirs["beam-lengths"])
    model.generation_config.length_penalty = length_penalty
    model.generation_config.early_stopping = early_stopping
    assert unsupported_generation_options(model.generation_config) == []
    eos = model.generation_config.eos_token_id
    pixel = torch.randn(5, 3, 32, 32, generator=torch.Generator().manual_seed(8))
    for beams, k in ((3, 2), (5, 5)):
        ref, fast = _generate_both(model, pixel, GenerationSettings(num_beams=beams, num_candidates=k, max_length=12))
        _assert_same_tokens(ref, fast, eos)
        torch.testing.assert_close(fast.scores.reshape(-1), ref.sequences_scores, rtol=1e-5, atol=1e-5)


def test_captioner_fast_and_torch_backends_agree(tiny_dirs: dict[str, Path]) -> None:
    rng = torch.Generator().manual_seed(2)
    images = [Image.fromarray((torch.rand(40, 56, 3, generator=rng) * 255).byte().numpy()) for _ in range(7)]
    for settings in (
        GenerationSettings(num_beams=4, num_candidates=3, max_length=12, repetition_guard=False),
        GenerationSettings(strategy="greedy", num_beams=1, max_length=12, repetition_guard=False),
    ):
        fast = Captioner(tiny_dirs["beam-lengths"], device="cpu", dtype="float32", batch_size=3).caption(images, settings)
        slow = Captioner(tiny_dirs["beam-lengths"], device="cpu", dtype="float32", batch_size=3, backend="torch").caption(images, settings)
        assert [r.ok for r in fast] == [True] * len(images)
        assert [[c.text for c in r.candidates] for r in fast] == [[c.text for c in r.candidates] for r in slow]
        for a, b in zip(fast, slow, strict=True):
            assert [c.score for c in a.candidates] == pytest.approx([c.score for c in b.candidates], rel=1e-4)


def test_fast_path_is_used_and_falls_back(tiny_dirs: dict[str, Path], tmp_path: Path) -> None:
    cap = Captioner(tiny_dirs["beam-lengths"], device="cpu", dtype="float32")
    assert cap.adapter.fast_path_reason(GenerationSettings()) is None
    assert cap.adapter.fast_path_reason(GenerationSettings(strategy="sample", seed=1)) == "sampling"
    torch_cap = Captioner(tiny_dirs["beam-lengths"], device="cpu", dtype="float32", backend="torch")
    assert "switched off" in str(torch_cap.adapter.fast_path_reason(GenerationSettings()))

    # A model whose generation config asks for something the fast path does not reproduce
    # runs on generate(), with the same results as the torch backend.
    import shutil

    from transformers import AutoConfig, GenerationConfig

    folder = tmp_path / "ngram"
    shutil.copytree(tiny_dirs["beam-lengths"], folder)
    # nlpconnect's layout has no generation_config.json: add one to what config.json implies.
    gen = GenerationConfig.from_model_config(AutoConfig.from_pretrained(folder))
    gen.no_repeat_ngram_size = 2
    gen.save_pretrained(folder)
    odd = Captioner(folder, device="cpu", dtype="float32")
    assert "no_repeat_ngram_size" in str(odd.adapter.fast_path_reason(GenerationSettings()))
    images = [Image.new("RGB", (40, 30), (9, 99, 199)), Image.new("RGB", (30, 40), (199, 9, 9))]
    settings = GenerationSettings(num_beams=3, max_length=10, repetition_guard=False)
    via_generate = Captioner(folder, device="cpu", dtype="float32", backend="torch").caption(images, settings)
    assert [r.caption for r in odd.caption(images, settings)] == [r.caption for r in via_generate]


def test_cancel_stops_within_the_search(tiny_dirs: dict[str, Path]) -> None:
    cap = Captioner(tiny_dirs["beam-lengths"], device="cpu", dtype="float32")
    adapter = cap.adapter

    class CancelAfter(CancelToken):
        def __init__(self, checks: int) -> None:
            super().__init__()
            self.left = checks

        def raise_if_cancelled(self) -> None:
            self.left -= 1
            if self.left <= 0:
                self.cancel()
            super().raise_if_cancelled()

    inputs = adapter.preprocess([Image.new("RGB", (32, 32), (200, 10, 10))] * 2)
    token = CancelAfter(3)
    with pytest.raises(CancelledError):
        adapter.generate(inputs, GenerationSettings(num_beams=3, max_length=12, min_length=12), token)
    assert token.left == 0  # stopped at the third step, not at the end


def test_decode_candidates_shapes(tiny_dirs: dict[str, Path]) -> None:
    from altlens.core.captioning.search import SearchResult
    from transformers import AutoTokenizer

    tok = AutoTokenizer.from_pretrained(tiny_dirs["beam-lengths"])
    eos = tok.eos_token_id
    seqs = torch.tensor([[[eos, 1, 2, eos], [eos, 3, eos, eos]], [[eos, 4, 4, 4], [eos, 5, eos, eos]]])
    out = decode_candidates(tok, SearchResult(seqs, torch.log(torch.tensor([[0.5, 0.25], [0.8, 0.1]]))))
    assert [[t for t, _ in c] for c in out] == [["w1 w2", "w3"], ["w4 w4 w4", "w5"]]
    assert out[0][0][1] == pytest.approx(0.5) and out[1][1][1] == pytest.approx(0.1)


@pytest.mark.parametrize(("length_penalty", "early_stopping"), [(1.0, False), (1.0, True), (0.6, "never")])
def test_static_search_for_cuda_graphs_matches(tiny_dirs: dict[str, Path], length_penalty: float, early_stopping: object) -> None:
    """The search captured in CUDA graphs (every image runs every step, nothing is dropped, no
    host synchronisation) returns the same tokens and scores as the dynamic search."""
    model = _load(tiny_dirs["beam-lengths"])
    model.generation_config.length_penalty = length_penalty
    model.generation_config.early_stopping = early_stopping
    gen = model.generation_config
    eos = pad = gen.eos_token_id
    pixel = torch.randn(6, 3, 32, 32, generator=torch.Generator().manual_seed(21))
    lengths: set[int] = set()
    for beams, k, min_length in ((1, 1, 0), (1, 1, 7), (2, 2, 0), (4, 3, 0), (5, 1, 6)):
        settings = GenerationSettings(
            strategy="beam" if beams > 1 else "greedy", num_beams=beams, num_candidates=k, max_length=12, min_length=min_length
        )
        with torch.inference_mode():
            states = encode(model, pixel)
            dynamic = run_search(Gpt2StepDecoder(model.decoder, states, 12), 6, settings, gen, model.config, eos, pad, None)
            static_decoder = Gpt2StepDecoder(model.decoder, states, 12, static=True)
            static = run_search(static_decoder, 6, settings, gen, model.config, eos, pad, None, static=True)
        assert torch.equal(static.sequences, dynamic.sequences), (beams, k)
        torch.testing.assert_close(static.scores, dynamic.scores, rtol=1e-6, atol=1e-6)
        lengths.update(_caption_lengths(dynamic.sequences.reshape(-1, 12), eos))
    assert len(lengths) >= 2, lengths  # early ends happened, so masking ended rows was exercised


def test_static_search_never_synchronises(tiny_dirs: dict[str, Path], monkeypatch: pytest.MonkeyPatch) -> None:
    """A host sync (Tensor.__bool__/item/nonzero) during CUDA graph capture is an error; the
    static search must not make any."""
    model = _load(tiny_dirs["beam-lengths"])
    gen = model.generation_config
    eos = pad = gen.eos_token_id
    pixel = torch.randn(3, 3, 32, 32, generator=torch.Generator().manual_seed(4))

    def trap(*_: object, **__: object) -> object:
        raise AssertionError("host synchronisation in the static search")

    with torch.inference_mode():
        states = encode(model, pixel)
        for beams in (1, 3):
            settings = GenerationSettings(strategy="beam" if beams > 1 else "greedy", num_beams=beams, max_length=10)
            decoder = Gpt2StepDecoder(model.decoder, states, 10, static=True)
            with monkeypatch.context() as m:
                for name in ("__bool__", "item", "nonzero", "tolist"):
                    m.setattr(torch.Tensor, name, trap)
                run_search(decoder, 3, settings, gen, model.config, eos, pad, None, static=True)


def test_cuda_graph_buckets() -> None:
    from altlens.core.captioning.cudagraph import bucket

    assert [bucket(n) for n in (1, 2, 3, 4, 5, 100, 128, 129)] == [1, 2, 4, 4, 8, 128, 128, 256]
    with pytest.raises(ValueError):
        bucket(0)


def test_fixed_shape_decoder_matches(tiny_dirs: dict[str, Path]) -> None:
    """StaticGpt2StepDecoder (masked attention over the whole cache, position as a tensor: what
    torch.compile and CUDA graphs need) gives the dynamic decoder's tokens."""
    from altlens.core.captioning.fast import StaticGpt2StepDecoder

    model = _load(tiny_dirs["beam-lengths"])
    gen = model.generation_config
    eos = pad = gen.eos_token_id
    pixel = torch.randn(5, 3, 32, 32, generator=torch.Generator().manual_seed(17))
    for beams, k in ((1, 1), (3, 2), (4, 4)):
        settings = GenerationSettings(strategy="beam" if beams > 1 else "greedy", num_beams=beams, num_candidates=k, max_length=12)
        with torch.inference_mode():
            states = encode(model, pixel)
            want = run_search(Gpt2StepDecoder(model.decoder, states, 12), 5, settings, gen, model.config, eos, pad, None)
            got = run_search(StaticGpt2StepDecoder(model.decoder, states, 12), 5, settings, gen, model.config, eos, pad, None,
                             static=True)
        assert torch.equal(got.sequences, want.sequences), beams
        torch.testing.assert_close(got.scores, want.scores, rtol=1e-5, atol=1e-5)
