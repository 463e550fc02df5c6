# SPDX-License-Identifier: GPL-3.0-or-later
"""Vision-encoder-decoder (ViT + GPT-2 with cross-attention), laid out like
nlpconnect/vit-gpt2-image-captioning: config.json with full encoder/decoder dumps (legacy keys,
GPT-2's task_specific_params, <|endoftext|> = bos = eos = pad = decoder start at the top
level, no generation_config.json), the legacy preprocessor_config.json of a
ViTFeatureExtractor (integer size, bilinear, mean/std 0.5), and GPT-2's tokenizer files
(vocab.json, merges.txt, tokenizer.json, tokenizer_config.json, special_tokens_map.json; no pad
token, as on the hub).

`shape="hub"` gives nlpconnect's exact dimensions (239M parameters, about 1 GB) with a
byte-level BPE of GPT-2's size and special-token layout but synthetic merges. The small
shapes keep the options the fast-path tests tune (vocab, widths, how readily captions end).
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

from tests.tinymodels import TinyFamily
from tests.tinymodels._hub import legacy_dump, save_weights, write_json

EOT = "<|endoftext|>"
GPT2_VOCAB = 50257
EOT_ID = 50256
GPT2_TASK_PARAMS = {"text-generation": {"do_sample": True, "max_length": 50}}


def build(
    out: Path,
    *,
    seed: int = 0,
    shape: str = "tiny",
    vocab: int = 40,
    tokenizer: str | None = None,
    encoder_hidden: int = 48,
    decoder_hidden: int = 48,
    layers: int = 2,
    heads: int = 4,
    patch: int = 8,
    tied: bool = False,
    eos_scale: float | None = None,
    sharpness: float = 8.0,
    weights: str = "safetensors",
) -> Path:
    """Save a random-weight ViT-GPT-2 captioner in nlpconnect's layout.

    shape: "tiny" (32 px, the sizes below) or "hub" (nlpconnect's dimensions; the size
    options are then ignored). tokenizer: "words" (w0, w1 ... and <|endoftext|> last, any
    vocab size), "bytes" (byte-level BPE, 256 bytes + <|endoftext|>) or "gpt2" (byte-level BPE
    of GPT-2's size); default "gpt2" for the hub shape, "bytes" for vocab 257, else "words".
    tied: the LM head shares the input embedding (GPT-2's default). eos_scale scales the end
    token's output row, so captions end sooner (> 1), later (< 1) or never (0); default 1.3
    for the tiny shape (captions end after varied lengths), untouched for the hub shape.
    """
    import torch
    from transformers import GPT2Config, VisionEncoderDecoderConfig, VisionEncoderDecoderModel, ViTConfig

    if shape not in ("tiny", "hub"):
        raise ValueError(f"unknown vision-encoder-decoder shape {shape!r}; use 'tiny' or 'hub'")
    if shape == "hub":
        vocab, tied, image = GPT2_VOCAB, True, 224
        eos_scale = 1.0 if eos_scale is None else eos_scale
        encoder = ViTConfig(image_size=224, patch_size=16, hidden_size=768, num_hidden_layers=12,
                            num_attention_heads=12, intermediate_size=3072)
        n_positions, n_embd, n_layer, n_head = 1024, 768, 12, 12
    else:
        image = 32
        eos_scale = 1.3 if eos_scale is None else eos_scale
        encoder = ViTConfig(image_size=32, patch_size=patch, hidden_size=encoder_hidden, num_hidden_layers=layers,
                            num_attention_heads=heads, intermediate_size=2 * encoder_hidden)
        n_positions, n_embd, n_layer, n_head = 64, decoder_hidden, layers, heads
    tokenizer = tokenizer or ("gpt2" if vocab == GPT2_VOCAB else "bytes" if vocab == 257 else "words")
    expected = {"gpt2": GPT2_VOCAB, "bytes": 257}.get(tokenizer)
    if tokenizer not in ("words", "bytes", "gpt2") or (expected is not None and vocab != expected):
        raise ValueError(f"tokenizer {tokenizer!r} does not fit a vocabulary of {vocab}")
    eos_id = vocab - 1
    decoder_kw: dict[str, Any] = {} if tied else {"tie_word_embeddings": False}
    decoder = GPT2Config(
        vocab_size=vocab, n_positions=n_positions, n_embd=n_embd, n_layer=n_layer, n_head=n_head,
        add_cross_attention=True, bos_token_id=eos_id, eos_token_id=eos_id, is_decoder=True, **decoder_kw,
    )
    config = VisionEncoderDecoderConfig.from_encoder_decoder_configs(encoder, decoder)
    for key in ("decoder_start_token_id", "pad_token_id", "eos_token_id", "bos_token_id"):
        setattr(config, key, eos_id)
    torch.manual_seed(seed)
    model = VisionEncoderDecoderModel(config=config).eval()
    with torch.no_grad():
        # Decisive logits (like a trained model), so float32 rounding never decides a tie.
        # Untied, the end token's output row can be tuned without making the start token
        # (the same id) predict itself.
        head = model.decoder.transformer.wte.weight if tied else model.decoder.lm_head.weight
        head.mul_(sharpness)
        if not tied:
            head[eos_id].mul_(eos_scale)
        elif eos_scale != 1.0:
            raise ValueError("eos_scale needs an untied LM head (tied=False)")
    save_weights(model, out, weights=weights)
    _write_config(out, config, eos_id)
    write_json(out / "preprocessor_config.json", {
        "do_normalize": True, "do_resize": True, "feature_extractor_type": "ViTFeatureExtractor",
        "image_mean": [0.5, 0.5, 0.5], "image_std": [0.5, 0.5, 0.5], "resample": 2, "size": image,
    })
    _save_tokenizer(out, tokenizer, vocab)
    return out


def _write_config(out: Path, config: Any, eos_id: int) -> None:
    encoder = config.encoder.to_dict()
    decoder = config.decoder.to_dict()
    decoder.setdefault("task_specific_params", GPT2_TASK_PARAMS)
    for sub in (encoder, decoder):
        sub.pop("transformers_version", None)
        sub.pop("dtype", None)
    write_json(out / "config.json", {
        "architectures": ["VisionEncoderDecoderModel"],
        "bos_token_id": eos_id,
        "decoder": legacy_dump(decoder, architectures=["GPT2LMHeadModel"], task_specific_params=GPT2_TASK_PARAMS),
        "decoder_start_token_id": eos_id,
        "encoder": legacy_dump(encoder, architectures=["ViTModel"]),
        "eos_token_id": eos_id,
        "is_encoder_decoder": True,
        "model_type": "vision-encoder-decoder",
        "pad_token_id": eos_id,
        "tie_word_embeddings": bool(config.decoder.tie_word_embeddings),
        "torch_dtype": "float32",
        "transformers_version": None,
    })


def byte_level_alphabet() -> list[str]:
    """GPT-2's printable stand-ins for the 256 byte values (bytes_to_unicode)."""
    bs = list(range(ord("!"), ord("~") + 1)) + list(range(ord("¡"), ord("¬") + 1)) + list(range(ord("®"), ord("ÿ") + 1))
    cs = bs[:]
    n = 0
    for b in range(256):
        if b not in bs:
            bs.append(b)
            cs.append(256 + n)
            n += 1
    table = dict(zip(bs, cs, strict=True))
    return [chr(table[b]) for b in range(256)]


def _save_tokenizer(out: Path, kind: str, vocab_size: int) -> None:
    from tokenizers import AddedToken, Tokenizer, decoders, models, pre_tokenizers

    if kind == "words":
        # Not a GPT-2 tokenizer: a word per token keeps tiny vocabularies readable.
        words = {f"w{i}": i for i in range(vocab_size - 1)}
        words[EOT] = vocab_size - 1
        tok = Tokenizer(models.WordLevel(vocab=words, unk_token=EOT))
        tok.pre_tokenizer = pre_tokenizers.WhitespaceSplit()
        tok.add_special_tokens([AddedToken(EOT, special=True)])
        tok.save(str(out / "tokenizer.json"))
        tokenizer_class = "PreTrainedTokenizerFast"
    else:
        alphabet = byte_level_alphabet()
        ids = {ch: i for i, ch in enumerate(alphabet)}
        merges: list[tuple[str, str]] = []
        # Two-character merges in a fixed order until the vocabulary has GPT-2's size.
        for a in alphabet:
            for b in alphabet:
                if len(ids) >= vocab_size - 1:
                    break
                ids[a + b] = len(ids)
                merges.append((a, b))
        ids[EOT] = vocab_size - 1
        tok = Tokenizer(models.BPE(vocab=ids, merges=merges))
        tok.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
        tok.decoder = decoders.ByteLevel()
        tok.add_special_tokens([AddedToken(EOT, special=True)])
        tok.save(str(out / "tokenizer.json"))
        tok.model.save(str(out))  # vocab.json and merges.txt, as GPT-2's repositories ship them
        tokenizer_class = "GPT2Tokenizer"
    write_json(out / "tokenizer_config.json", {
        "add_prefix_space": False, "bos_token": EOT, "eos_token": EOT, "model_max_length": 1024,
        "name_or_path": "gpt2", "special_tokens_map_file": None, "tokenizer_class": tokenizer_class,
        "unk_token": EOT,
    })
    write_json(out / "special_tokens_map.json", {"bos_token": EOT, "eos_token": EOT, "unk_token": EOT})


def reference(folder: Path, images: Sequence[Any], gen_kwargs: dict[str, Any]) -> list[list[int]]:
    """The model card's code: ViTImageProcessor -> VisionEncoderDecoderModel.generate. Returns
    each caption's tokens after the decoder start token, up to the first <|endoftext|>."""
    import torch
    from transformers import VisionEncoderDecoderModel, ViTImageProcessor

    processor = ViTImageProcessor.from_pretrained(folder)
    model = VisionEncoderDecoderModel.from_pretrained(folder).eval()
    pixel_values = processor(images=list(images), return_tensors="pt").pixel_values
    with torch.inference_mode():
        out = model.generate(pixel_values, **gen_kwargs)
    sequences = out.sequences if hasattr(out, "sequences") else out
    eos = model.config.eos_token_id
    rows = [row[1:].tolist() for row in sequences]
    return [r[: r.index(eos)] if eos in r else r for r in rows]


FAMILY = TinyFamily(
    name="vision-encoder-decoder",
    build=build,
    reference=reference,
    notes="nlpconnect/vit-gpt2-image-captioning layout; shape='hub' for its real dimensions",
)
