# SPDX-License-Identifier: GPL-3.0-or-later
"""Florence-2 in the layout of florence-community/Florence-2-base and -large (the native
Florence2ForConditionalGeneration conversion; no remote code, no auto_map).

Those repositories were written by transformers' convert_florence2_original_pytorch_to_hf.py:
`model.save_pretrained` + `Florence2Processor.save_pretrained`, i.e. config.json (florence2 with
a BART `text_config` and a DaViT `vision_config`, image_token_id = the added `<image>` token),
generation_config.json, model.safetensors, preprocessor_config.json (CLIPImageProcessor with
`image_seq_length`, a hard 768x768 resize, ImageNet mean/std), processor_config.json (the
post-processor's task rules) and a BART byte-level BPE tokenizer with the `<image>` token
named in `extra_special_tokens`. The tiny copy keeps every key and shrinks the dimensions:
a 64x64 image gives (64/32)^2 + 1 = 5 image tokens where the real 768x768 gives 577.

The reference is the model card's code: processor(text=task token, images) -> generate().
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from tests.tinymodels import TinyFamily
from tests.tinymodels._hub import favour_words

# The real task tokens and a few location tokens: the real tokenizer has <loc_0>..<loc_999>.
_ADDED = ["<od>", "</od>", "<ocr>", "</ocr>", "<cap>", "</cap>", "<dcap>", "</dcap>",
          "<ncap>", "</ncap>", "<loc_0>", "<loc_1>", "<loc_2>", "<loc_3>"]
EOS_SCALE = 3.0
SHARPNESS = 1.5
REST = 0.3
_WORDS = ["the", "a", "an", "of", "on", "in", "with", "and", "is", "dog", "cat", "car", "red",
          "blue", "green", "street", "beach", "man", "woman", "sign", "text", "reads", "open",
          "stop", "tree", "sky", "house", "image", "shows", "two", "small", "large", "park"]

# The real repository's post-processor rules (processor_config.json), trimmed of the long list
# of banned grounding words; only the keys matter to loading.
_POST_PROCESSOR = {
    "ocr": {
        "pattern": r"(.+?)<loc_(\d+)><loc_(\d+)><loc_(\d+)><loc_(\d+)><loc_(\d+)><loc_(\d+)><loc_(\d+)><loc_(\d+)>",
        "area_threshold": 0.0,
    },
    "phrase_grounding": {"banned_grounding_tokens": ["the image"]},
    "pure_text": {},
    "description_with_bboxes": {},
    "description_with_polygons": {},
    "polygons": {},
    "bboxes": {},
    "description_with_bboxes_or_polygons": {},
}

# Dimensions of the real checkpoints, for benchmarks that time the real shapes (random weights).
HUB_SHAPES: dict[str, dict[str, Any]] = {
    "base": dict(image=768, embed_dim=(128, 256, 512, 1024), depths=(1, 1, 9, 1),
                 num_heads=(4, 8, 16, 32), d_model=768, layers=6, heads=12, ffn=3072, vocab=51289),
    "large": dict(image=768, embed_dim=(256, 512, 1024, 2048), depths=(1, 1, 9, 1),
                  num_heads=(8, 16, 32, 64), d_model=1024, layers=12, heads=16, ffn=4096, vocab=51289),
}


def _tokenizer(out: Path, vocab_size: int | None) -> Any:
    from tokenizers import pre_tokenizers
    from transformers import AddedToken, BartTokenizer

    vocab: dict[str, int] = {"<s>": 0, "<pad>": 1, "</s>": 2, "<unk>": 3}
    for ch in sorted(pre_tokenizers.ByteLevel.alphabet()):
        vocab[ch] = len(vocab)
    merges: list[tuple[str, str]] = []
    # Whole words (with and without the byte-level space marker) so captions decode to words.
    for word in _WORDS:
        for form in (word, "Ġ" + word):
            parts = list(form)
            while len(parts) > 1:
                merged = parts[0] + parts[1]
                merges.append((parts[0], parts[1]))
                if merged not in vocab:
                    vocab[merged] = len(vocab)
                parts = [merged, *parts[2:]]
    vocab["<mask>"] = len(vocab)
    if vocab_size is not None:
        while len(vocab) < vocab_size - len(_ADDED) - 1:  # hub shapes: pad to the real vocab
            vocab[f"<unused_{len(vocab)}>"] = len(vocab)
    # As the conversion script does: the task tokens, then the image placeholder as one more
    # special token, named in `extra_special_tokens` so the processor finds it.
    tok = BartTokenizer(vocab=vocab, merges=list(dict.fromkeys(merges)),
                        extra_special_tokens={"image_token": "<image>"}, model_max_length=1024)
    tok.add_tokens([AddedToken(t, special=True, normalized=False) for t in _ADDED], special_tokens=True)
    tok.add_tokens(AddedToken("<image>", special=True, normalized=False), special_tokens=True)
    return tok


def build(out: Path, *, seed: int = 0, shape: str | None = None, sharpness: float = SHARPNESS,
          eos_scale: float = EOS_SCALE, rest: float = REST) -> Path:
    """Save a tiny random Florence-2 (or, with `shape="base"`/"large", one with the real
    checkpoint's dimensions, for timing) in the florence-community layout."""
    import torch
    from transformers import (
        BartConfig,
        CLIPImageProcessor,
        Florence2Config,
        Florence2ForConditionalGeneration,
        Florence2Processor,
        Florence2VisionConfig,
    )

    torch.manual_seed(seed)
    dims = HUB_SHAPES[shape] if shape else dict(
        image=64, embed_dim=(8, 16, 16, 32), depths=(1, 1, 1, 1), num_heads=(1, 2, 2, 4),
        d_model=32, layers=2, heads=4, ffn=64, vocab=None,
    )
    tok = _tokenizer(out, dims["vocab"])
    vocab = len(tok)
    text = BartConfig(
        vocab_size=vocab, d_model=dims["d_model"], encoder_layers=dims["layers"],
        decoder_layers=dims["layers"], encoder_attention_heads=dims["heads"],
        decoder_attention_heads=dims["heads"], encoder_ffn_dim=dims["ffn"], decoder_ffn_dim=dims["ffn"],
        max_position_embeddings=1024, pad_token_id=1, bos_token_id=0, eos_token_id=2,
        decoder_start_token_id=2, forced_bos_token_id=0, forced_eos_token_id=2,
        scale_embedding=False, is_encoder_decoder=True, tie_word_embeddings=True, init_std=0.2,
    )
    vision = Florence2VisionConfig(
        embed_dim=list(dims["embed_dim"]), depths=list(dims["depths"]), num_heads=list(dims["num_heads"]),
        num_groups=list(dims["num_heads"]), projection_dim=dims["d_model"], window_size=12,
        drop_path_rate=0.0,
    )
    config = Florence2Config(text_config=text.to_dict(), vision_config=vision.to_dict(),
                             image_token_id=tok.convert_tokens_to_ids("<image>"))
    model = Florence2ForConditionalGeneration(config).eval()
    if not shape:
        with torch.no_grad():
            # Decisive logits in whole words, as a trained model has (float32 rounding never
            # decides a tie, answers decode to words); eos_scale sets how soon answers end.
            words = [tok.convert_tokens_to_ids("Ġ" + w) for w in _WORDS]
            favour_words(model.lm_head.weight, words, 2, sharpness=sharpness, eos_scale=eos_scale, rest=rest)
    side = dims["image"]
    with torch.no_grad():
        n_tokens = model.model.get_image_features(torch.zeros(1, 3, side, side)).pooler_output.shape[1]
    # The real generation_config.json: BART's beam defaults carried over by the conversion.
    gen = model.generation_config
    gen.num_beams, gen.no_repeat_ngram_size, gen.early_stopping = 3, 3, True
    gen.bos_token_id, gen.eos_token_id, gen.pad_token_id = 0, 2, 1
    gen.decoder_start_token_id, gen.forced_bos_token_id, gen.forced_eos_token_id = 2, 0, 2
    image_processor = CLIPImageProcessor(
        do_resize=True, size={"height": side, "width": side}, resample=3, do_center_crop=False,
        crop_size={"height": side, "width": side}, do_rescale=True, rescale_factor=1 / 255,
        do_normalize=True, image_mean=[0.485, 0.456, 0.406], image_std=[0.229, 0.224, 0.225],
        do_convert_rgb=True,
    )
    image_processor.image_seq_length = n_tokens
    processor = Florence2Processor(image_processor=image_processor, tokenizer=tok,
                                   post_processor_config=_POST_PROCESSOR)
    model.save_pretrained(out)
    processor.save_pretrained(out)
    _split_processor_config(out, "Florence2Processor")
    # The hub's 4.56 tokenizer_config.json: BartTokenizer, the image token named in a dict.
    cfg = out / "tokenizer_config.json"
    data = json.loads(cfg.read_text(encoding="utf-8"))
    data.update(tokenizer_class="BartTokenizer", extra_special_tokens={"image_token": "<image>"})
    data.pop("backend", None)
    cfg.write_text(json.dumps(data, indent=2) + "\n", encoding="utf-8")
    return out


def _split_processor_config(out: Path, processor_class: str) -> None:
    """transformers 5 nests the image processor inside processor_config.json; the hub
    repositories (saved with 4.x) keep it in preprocessor_config.json, which is what AltLens
    meets in the wild, so write that layout."""
    import json

    path = out / "processor_config.json"
    data = json.loads(path.read_text(encoding="utf-8"))
    image = data.pop("image_processor", None)
    if image is not None:
        image.setdefault("processor_class", processor_class)
        image["image_processor_type"] = image.get("image_processor_type", "").removesuffix("Pil") or "CLIPImageProcessor"
        (out / "preprocessor_config.json").write_text(json.dumps(image, indent=2) + "\n", encoding="utf-8")
    data["processor_class"] = processor_class
    path.write_text(json.dumps(data, indent=2) + "\n", encoding="utf-8")


def reference(folder: Path, images: Sequence[Any], gen_kwargs: dict[str, Any]) -> list[list[int]]:
    """The conformance contract (tests/tinymodels/__init__.py): each answer's tokens after the
    decoder start token (the forced <s> kept: AltLens decodes it too), up to the first </s>."""
    eos = 2
    rows = [row[1:] for row in generate_rows(folder, images, gen_kwargs)]
    return [r[: r.index(eos)] if eos in r else r for r in rows]


def generate_rows(folder: Path, images: Sequence[Any], gen_kwargs: dict[str, Any]) -> list[list[int]]:
    """The model card's code: `processor(text=task, images)` then `generate()`. `gen_kwargs`
    may hold `task` (default "<CAPTION>"); the decoder's own tokens come back whole (start token
    included, padding after the end, as generate() returns them for an encoder-decoder)."""
    import torch
    from transformers import AutoProcessor, Florence2ForConditionalGeneration

    kwargs = dict(gen_kwargs)
    task = kwargs.pop("task", "<CAPTION>")
    model = Florence2ForConditionalGeneration.from_pretrained(folder).eval()
    processor = AutoProcessor.from_pretrained(folder)
    inputs = processor(text=[task] * len(images), images=list(images), return_tensors="pt")
    with torch.inference_mode():
        out = model.generate(**inputs, **kwargs)
    sequences = out.sequences if hasattr(out, "sequences") else out
    return [row.tolist() for row in sequences]


FAMILY = TinyFamily(
    name="florence2",
    build=build,
    reference=reference,
    notes="florence-community/Florence-2-base and -large layout; "
    "gen_kwargs may carry task=<CAPTION>|<MORE_DETAILED_CAPTION>|<OCR>",
    # AltLens decodes the answer without the decoder start token: nothing more to drop.
    options={"shape": ("base", "large"), "altlens_prefix": 0},
)
