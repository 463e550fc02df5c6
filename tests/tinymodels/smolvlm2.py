# SPDX-License-Identifier: GPL-3.0-or-later
"""SmolVLM2 in the layout of HuggingFaceTB/SmolVLM2-256M-Video-Instruct and -500M-Video-Instruct.

The real repositories hold config.json (`smolvlm`: a SigLIP `smolvlm_vision` tower of 512x512
tiles, patch 16, pixel shuffle `scale_factor` 4, and a Llama `text_config`; image_token_id 49190),
generation_config.json, model.safetensors, preprocessor_config.json (SmolVLMImageProcessor:
`do_image_splitting`, `size` longest_edge 2048, `max_image_size` longest_edge 512, mean/std 0.5,
resample 1, video_sampling), processor_config.json (`image_seq_len` 64), chat_template.json
(the Idefics3-style "User:<image>...<end_of_utterance>\\nAssistant:" template) and a byte-level
BPE tokenizer whose added tokens are `<global-img>`, `<row_R_col_C>` (6x6),
`<fake_token_around_image>`, `<image>` and `<end_of_utterance>` (the end of every answer).
The tiny copy keeps those keys: 32x32 tiles, patch 8, scale factor 2 -> 4 image tokens per
tile, images split into up to 2x2 tiles plus the global view.

The reference is the model card's code: a chat message holding the image and the instruction,
`processor.apply_chat_template(add_generation_prompt=True)` -> `processor(text, images)` ->
`generate()`, returning the tokens after the prompt. Batches are padded on the left, as
transformers asks for batched generation with a decoder-only model.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from tests.tinymodels import TinyFamily
from tests.tinymodels._hub import favour_words

CHAT_TEMPLATE = (
    "<|im_start|>{% for message in messages %}{{message['role'] | capitalize}}"
    "{% if message['content'][0]['type'] == 'image' %}{{':'}}{% else %}{{': '}}{% endif %}"
    "{% for line in message['content'] %}{% if line['type'] == 'text' %}{{line['text']}}"
    "{% elif line['type'] == 'image' %}{{ '<image>' }}{% endif %}{% endfor %}<end_of_utterance>\n"
    "{% endfor %}{% if add_generation_prompt %}{{ 'Assistant:' }}{% endif %}"
)
_WORDS = ["the", "a", "of", "on", "in", "with", "and", "is", "dog", "cat", "car", "red", "blue",
          "green", "street", "beach", "man", "woman", "sign", "reads", "open", "tree", "sky",
          "house", "two", "small", "park", "photo", "Describe", "image", "text", "alt"]
EOS_SCALE = 2.0
SHARPNESS = 1.0
REST = 1.0

# Dimensions of the real checkpoints, for benchmarks that time the real shapes (random weights).
HUB_SHAPES: dict[str, dict[str, Any]] = {
    "256m": dict(tile=512, patch=16, scale=4, v_hidden=768, v_layers=12, v_heads=12, v_ffn=3072,
                 hidden=576, layers=30, heads=9, kv=3, ffn=1536, longest=2048, vocab=49280),
    "500m": dict(tile=512, patch=16, scale=4, v_hidden=768, v_layers=12, v_heads=12, v_ffn=3072,
                 hidden=960, layers=32, heads=15, kv=5, ffn=2560, longest=2048, vocab=49280),
}


def _tokenizer(vocab_size: int | None) -> Any:
    from tokenizers import AddedToken, Tokenizer, decoders, models, pre_tokenizers
    from transformers import PreTrainedTokenizerFast

    vocab: dict[str, int] = {"<|endoftext|>": 0, "<|im_start|>": 1, "<|im_end|>": 2}
    for ch in sorted(pre_tokenizers.ByteLevel.alphabet()):
        vocab[ch] = len(vocab)
    merges: list[tuple[str, str]] = []
    for word in _WORDS:
        for form in (word, "Ġ" + word):
            parts = list(form)
            while len(parts) > 1:
                merged = parts[0] + parts[1]
                merges.append((parts[0], parts[1]))
                vocab.setdefault(merged, len(vocab))
                parts = [merged, *parts[2:]]
    for word in ("User", "Assistant", ":"):
        vocab.setdefault(word, len(vocab))
    if vocab_size is not None:
        while len(vocab) < vocab_size - 128:  # hub shapes: pad to the real base vocabulary
            vocab[f"<unused_{len(vocab)}>"] = len(vocab)
    core = Tokenizer(models.BPE(vocab=vocab, merges=list(dict.fromkeys(merges))))
    core.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    core.decoder = decoders.ByteLevel()
    added = ["<global-img>", *[f"<row_{r}_col_{c}>" for r in range(1, 7) for c in range(1, 7)],
             "<fake_token_around_image>", "<image>", "<end_of_utterance>"]
    core.add_special_tokens([AddedToken(t, special=True, normalized=False) for t in added])
    return PreTrainedTokenizerFast(
        tokenizer_object=core, bos_token="<|im_start|>", eos_token="<end_of_utterance>",
        pad_token="<|im_end|>", unk_token="<|endoftext|>", model_max_length=8192,
        extra_special_tokens={
            "fake_image_token": "<fake_token_around_image>", "image_token": "<image>",
            "global_image_token": "<global-img>", "end_of_utterance_token": "<end_of_utterance>",
        },
        clean_up_tokenization_spaces=False, truncation_side="left",
    )


def build(out: Path, *, seed: int = 0, shape: str | None = None, sharpness: float = SHARPNESS,
          eos_scale: float = EOS_SCALE, rest: float = REST) -> Path:
    """Save a tiny random SmolVLM2 (or, with `shape="256m"`/"500m", one with the real
    checkpoint's dimensions, for timing) in the HuggingFaceTB layout."""
    import torch
    from transformers import (
        LlamaConfig,
        SmolVLMConfig,
        SmolVLMForConditionalGeneration,
        SmolVLMImageProcessor,
        SmolVLMVisionConfig,
    )

    torch.manual_seed(seed)
    d = HUB_SHAPES[shape] if shape else dict(
        tile=32, patch=8, scale=2, v_hidden=32, v_layers=2, v_heads=4, v_ffn=64,
        hidden=32, layers=2, heads=4, kv=2, ffn=64, longest=64, vocab=None,
    )
    tok = _tokenizer(d["vocab"])
    vocab = len(tok)
    eos = tok.convert_tokens_to_ids("<end_of_utterance>")
    image_token_id = tok.convert_tokens_to_ids("<image>")
    text = LlamaConfig(
        vocab_size=vocab, hidden_size=d["hidden"], intermediate_size=d["ffn"], num_hidden_layers=d["layers"],
        num_attention_heads=d["heads"], num_key_value_heads=d["kv"], head_dim=d["hidden"] // d["heads"],
        max_position_embeddings=8192, rms_norm_eps=1e-5, rope_theta=100000.0, pad_token_id=2,
        tie_word_embeddings=False, initializer_range=0.2 if not shape else 0.02,
    )
    vision = SmolVLMVisionConfig(
        hidden_size=d["v_hidden"], intermediate_size=d["v_ffn"], num_hidden_layers=d["v_layers"],
        num_attention_heads=d["v_heads"], image_size=d["tile"], patch_size=d["patch"],
    )
    config = SmolVLMConfig(text_config=text.to_dict(), vision_config=vision.to_dict(),
                           scale_factor=d["scale"], image_token_id=image_token_id, pad_token_id=2,
                           tie_word_embeddings=False)
    model = SmolVLMForConditionalGeneration(config).eval()
    if not shape:
        with torch.no_grad():
            # The end token a little more likely, so answers end after a varied number of tokens.
            # Favouring whole words (sharpness > 1, rest < 1) makes this tiny Llama loop on one
            # word past the budget or end at once on some photos, so by default only the end
            # token is tuned and answers mix words with byte tokens.
            words = [tok.convert_tokens_to_ids("Ġ" + w) for w in _WORDS]
            favour_words(model.lm_head.weight, words, eos, sharpness=sharpness, eos_scale=eos_scale, rest=rest)
    gen = model.generation_config
    gen.bos_token_id, gen.eos_token_id, gen.pad_token_id = 1, eos, 2
    image_seq_len = (d["tile"] // d["patch"]) ** 2 // d["scale"] ** 2
    image_processor = SmolVLMImageProcessor(
        do_convert_rgb=True, do_image_splitting=True, do_normalize=True, do_pad=True, do_rescale=True,
        do_resize=True, image_mean=[0.5, 0.5, 0.5], image_std=[0.5, 0.5, 0.5],
        max_image_size={"longest_edge": d["tile"]}, resample=1, rescale_factor=1 / 255,
        size={"longest_edge": d["longest"]},
    )
    model.save_pretrained(out)
    # Written piece by piece, as the 4.x-era hub files are: transformers 5's SmolVLMProcessor
    # cannot be built without torchvision (its video processor), which the CPU install lacks.
    tok.save_pretrained(out)
    image_processor.save_pretrained(out)
    pre = out / "preprocessor_config.json"
    data = json.loads(pre.read_text(encoding="utf-8"))
    data["image_processor_type"] = "SmolVLMImageProcessor"
    data["processor_class"] = "SmolVLMProcessor"
    data["video_sampling"] = {"fps": 1, "max_frames": 64, "video_size": {"longest_edge": d["tile"]}}
    pre.write_text(json.dumps(data, indent=2) + "\n", encoding="utf-8")
    cfg = out / "tokenizer_config.json"
    data = json.loads(cfg.read_text(encoding="utf-8"))
    # The hub's 4.x tokenizer_config.json: a GPT-2 tokenizer class, the named special tokens as a
    # dict in extra_special_tokens and the three that mark images as additional special tokens.
    named = {k: data[k] for k in ("end_of_utterance_token", "fake_image_token", "global_image_token", "image_token")}
    data.update(processor_class="SmolVLMProcessor", tokenizer_class="GPT2Tokenizer", extra_special_tokens=named,
                additional_special_tokens=["<fake_token_around_image>", "<image>", "<end_of_utterance>"])
    data.pop("backend", None)
    cfg.write_text(json.dumps(data, indent=2) + "\n", encoding="utf-8")
    (out / "processor_config.json").write_text(
        json.dumps({"image_seq_len": image_seq_len, "processor_class": "SmolVLMProcessor"}, indent=2) + "\n",
        encoding="utf-8")
    (out / "chat_template.json").write_text(json.dumps({"chat_template": CHAT_TEMPLATE}) + "\n", encoding="utf-8")
    return out


def alt_instruction() -> str:
    from altlens.core.captioning.tasks import instruction

    return instruction("alt")


def messages(instruction: str) -> list[dict[str, Any]]:
    """The model card's message: the image first, then the instruction."""
    return [{"role": "user", "content": [{"type": "image"}, {"type": "text", "text": instruction}]}]


def reference(folder: Path, images: Sequence[Any], gen_kwargs: dict[str, Any]) -> list[list[int]]:
    """The conformance contract (tests/tinymodels/__init__.py): each answer's tokens after the
    prompt, up to the first <end_of_utterance>."""
    from transformers import AutoTokenizer

    eos = AutoTokenizer.from_pretrained(folder).convert_tokens_to_ids("<end_of_utterance>")
    rows = generate_rows(folder, images, gen_kwargs)
    return [r[: r.index(eos)] if eos in r else r for r in rows]


def generate_rows(folder: Path, images: Sequence[Any], gen_kwargs: dict[str, Any]) -> list[list[int]]:
    """The model card's code. `gen_kwargs` may hold `instruction` (a str, or one per image;
    default: AltLens's alt-text instruction);
    the tokens after the prompt come back (padding included, as generate() returns them)."""
    import torch
    from altlens.core.captioning.vlm import load_smolvlm_processor
    from transformers import AutoModelForImageTextToText

    kwargs = dict(gen_kwargs)
    # Default: the instruction AltLens uses for alt text, so a generic comparison of alt text
    # against this reference compares like with like.
    instruction = kwargs.pop("instruction", None) or alt_instruction()
    instructions = [instruction] * len(images) if isinstance(instruction, str) else list(instruction)
    model = AutoModelForImageTextToText.from_pretrained(folder).eval()
    # The card's AutoProcessor.from_pretrained, except that the processor is built without
    # its video part when torchvision is absent (see load_smolvlm_processor): the same class,
    # tokenizer, image processor and chat template.
    processor = load_smolvlm_processor(folder)
    prompts = [processor.apply_chat_template(messages(text), add_generation_prompt=True) for text in instructions]
    processor.tokenizer.padding_side = "left"
    inputs = processor(text=prompts, images=[[im] for im in images], return_tensors="pt", padding=True)
    with torch.inference_mode():
        out = model.generate(**inputs, **kwargs)
    sequences = out.sequences if hasattr(out, "sequences") else out
    return [row.tolist() for row in sequences[:, inputs["input_ids"].shape[1]:]]


FAMILY = TinyFamily(
    name="smolvlm",
    build=build,
    reference=reference,
    notes="HuggingFaceTB/SmolVLM2-256M/500M-Video-Instruct layout; gen_kwargs may carry instruction=...",
    # AltLens decodes the tokens after the prompt: nothing more to drop.
    options={"shape": ("256m", "500m"), "altlens_prefix": 0},
)
