# SPDX-License-Identifier: GPL-3.0-or-later
"""Build a random-weight model with the exact configuration of
nlpconnect/vit-gpt2-image-captioning (ViT-B/16 at 224 + GPT-2 124M with cross-attention,
239M parameters) and save it in the Hugging Face layout.

The hub is not reachable from tests or CI, so this stands in for the real download when
checking loading conventions, shapes, speed and memory. Its captions are noise; the
tokenizer is a byte-level BPE with GPT-2's size (50257) and special-token layout
(<|endoftext|> = 50256 = bos = eos = pad = decoder start) but synthetic merges.

    python scripts/make_nlpconnect_shaped.py OUT_DIR [--seed 0]
"""

from __future__ import annotations

import argparse
from pathlib import Path

GPT2_VOCAB = 50257
EOT = "<|endoftext|>"
EOT_ID = 50256


def _byte_level_alphabet() -> list[str]:
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


def build_tokenizer():  # -> PreTrainedTokenizerFast
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers
    from transformers import PreTrainedTokenizerFast

    alphabet = _byte_level_alphabet()
    vocab = {ch: i for i, ch in enumerate(alphabet)}
    merges: list[tuple[str, str]] = []
    # Two-character merges in a fixed order until the vocabulary has GPT-2's size.
    for a in alphabet:
        for b in alphabet:
            if len(vocab) >= EOT_ID:
                break
            vocab[a + b] = len(vocab)
            merges.append((a, b))
    vocab[EOT] = EOT_ID
    tok = Tokenizer(models.BPE(vocab=vocab, merges=merges))
    tok.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    tok.decoder = decoders.ByteLevel()
    tok.add_special_tokens([EOT])
    return PreTrainedTokenizerFast(
        tokenizer_object=tok, bos_token=EOT, eos_token=EOT, unk_token=EOT, pad_token=EOT, model_max_length=1024
    )


def build(out: Path, seed: int = 0) -> Path:
    import torch
    from transformers import (
        GPT2Config,
        VisionEncoderDecoderConfig,
        VisionEncoderDecoderModel,
        ViTConfig,
        ViTImageProcessor,
    )

    torch.manual_seed(seed)
    encoder = ViTConfig(image_size=224, patch_size=16, hidden_size=768, num_hidden_layers=12, num_attention_heads=12, intermediate_size=3072)
    decoder = GPT2Config(
        vocab_size=GPT2_VOCAB, n_positions=1024, n_embd=768, n_layer=12, n_head=12,
        add_cross_attention=True, bos_token_id=EOT_ID, eos_token_id=EOT_ID, is_decoder=True,
    )
    config = VisionEncoderDecoderConfig.from_encoder_decoder_configs(encoder, decoder)
    config.decoder_start_token_id = EOT_ID
    config.pad_token_id = EOT_ID
    config.eos_token_id = EOT_ID
    config.bos_token_id = EOT_ID
    model = VisionEncoderDecoderModel(config=config)
    # Random init gives logits so flat that every step is a near tie; scale the output
    # embedding's effect so greedy and beam search make decisive, stable choices like a
    # trained model does (ties make float32 vs. reordered-sum comparisons meaningless).
    with torch.no_grad():
        model.decoder.transformer.wte.weight.mul_(8.0)
    gen = model.generation_config
    gen.decoder_start_token_id = EOT_ID
    gen.pad_token_id = EOT_ID
    gen.eos_token_id = EOT_ID
    gen.bos_token_id = EOT_ID
    out.mkdir(parents=True, exist_ok=True)
    model.save_pretrained(out)
    ViTImageProcessor(
        do_resize=True, size={"height": 224, "width": 224}, resample=2, do_rescale=True,
        do_normalize=True, image_mean=[0.5, 0.5, 0.5], image_std=[0.5, 0.5, 0.5],
    ).save_pretrained(out)
    build_tokenizer().save_pretrained(out)
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("out", type=Path)
    ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args()
    build(args.out, args.seed)
    print(args.out)


if __name__ == "__main__":
    main()
