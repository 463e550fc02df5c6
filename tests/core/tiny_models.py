# SPDX-License-Identifier: GPL-3.0-or-later
"""Tiny random-weight ViT-GPT-2 captioning models (a few hundred kB) for checking the fast
path against transformers' generate() token for token: they load in milliseconds, so a test
can afford many beam widths, batch sizes and lengths."""

from __future__ import annotations

from pathlib import Path

EOS = "<|endoftext|>"


def build_tiny(
    out: Path,
    *,
    seed: int = 0,
    vocab: int = 40,
    encoder_hidden: int = 48,
    decoder_hidden: int = 48,
    eos_scale: float = 1.0,
) -> Path:
    """Save a random VisionEncoderDecoder (ViT 32x32 + GPT-2 with cross-attention) with a
    word-level tokenizer and a ViT processor; EOS = pad = start = the last token id.

    `eos_scale` lengthens or shortens the end token's embedding, so captions end after a
    varied number of tokens instead of always at once or never."""
    import torch
    from tokenizers import Tokenizer, models, pre_tokenizers
    from transformers import (
        GPT2Config,
        PreTrainedTokenizerFast,
        VisionEncoderDecoderConfig,
        VisionEncoderDecoderModel,
        ViTConfig,
        ViTImageProcessor,
    )

    torch.manual_seed(seed)
    eos_id = vocab - 1
    encoder = ViTConfig(
        image_size=32, patch_size=8, hidden_size=encoder_hidden, num_hidden_layers=2,
        num_attention_heads=4, intermediate_size=2 * encoder_hidden,
    )
    decoder = GPT2Config(
        vocab_size=vocab, n_positions=64, n_embd=decoder_hidden, n_layer=2, n_head=4,
        add_cross_attention=True, bos_token_id=eos_id, eos_token_id=eos_id, is_decoder=True,
        tie_word_embeddings=False,
    )
    config = VisionEncoderDecoderConfig.from_encoder_decoder_configs(encoder, decoder)
    for key in ("decoder_start_token_id", "pad_token_id", "eos_token_id", "bos_token_id"):
        setattr(config, key, eos_id)
    model = VisionEncoderDecoderModel(config=config)
    with torch.no_grad():
        # Decisive logits (like a trained model), so float32 rounding never decides a tie.
        # The LM head is not tied to the input embedding, so the end token's output row can
        # be tuned without making the start token (the same id) predict itself.
        model.decoder.lm_head.weight.mul_(8.0)
        model.decoder.lm_head.weight[eos_id].mul_(eos_scale)
    for key in ("decoder_start_token_id", "pad_token_id", "eos_token_id", "bos_token_id"):
        setattr(model.generation_config, key, eos_id)
    out.mkdir(parents=True, exist_ok=True)
    model.save_pretrained(out)
    ViTImageProcessor(
        do_resize=True, size={"height": 32, "width": 32}, resample=2, do_rescale=True,
        do_normalize=True, image_mean=[0.5, 0.5, 0.5], image_std=[0.5, 0.5, 0.5],
    ).save_pretrained(out)
    words = {f"w{i}": i for i in range(vocab - 1)}
    words[EOS] = eos_id
    tok = Tokenizer(models.WordLevel(vocab=words, unk_token=EOS))
    tok.pre_tokenizer = pre_tokenizers.WhitespaceSplit()
    PreTrainedTokenizerFast(
        tokenizer_object=tok, bos_token=EOS, eos_token=EOS, unk_token=EOS, pad_token=EOS
    ).save_pretrained(out)
    return out
