# SPDX-License-Identifier: GPL-3.0-or-later
"""What every family's hub repository has in common: configs written by transformers 4.2x
(every PretrainedConfig attribute dumped, generation settings included, no
generation_config.json), BERT-style WordPiece tokenizers, and the weights file.

Imported by the family modules; torch and transformers are imported inside functions only.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

# The attributes transformers 4.26 wrote into every (sub-)config, with their defaults; the
# hub repositories of all three families carry them (e.g. Salesforce/blip-image-captioning-base
# config.json, dumped by 4.26.0.dev0). transformers 5 treats the generation ones as legacy.
LEGACY_CONFIG_KEYS: dict[str, Any] = {
    "_name_or_path": "",
    "add_cross_attention": False,
    "architectures": None,
    "bad_words_ids": None,
    "begin_suppress_tokens": None,
    "bos_token_id": None,
    "chunk_size_feed_forward": 0,
    "cross_attention_hidden_size": None,
    "decoder_start_token_id": None,
    "diversity_penalty": 0.0,
    "do_sample": False,
    "early_stopping": False,
    "encoder_no_repeat_ngram_size": 0,
    "eos_token_id": None,
    "exponential_decay_length_penalty": None,
    "finetuning_task": None,
    "forced_bos_token_id": None,
    "forced_eos_token_id": None,
    "id2label": {"0": "LABEL_0", "1": "LABEL_1"},
    "is_decoder": False,
    "is_encoder_decoder": False,
    "label2id": {"LABEL_0": 0, "LABEL_1": 1},
    "length_penalty": 1.0,
    "max_length": 20,
    "min_length": 0,
    "no_repeat_ngram_size": 0,
    "num_beam_groups": 1,
    "num_beams": 1,
    "num_return_sequences": 1,
    "output_attentions": False,
    "output_hidden_states": False,
    "output_scores": False,
    "pad_token_id": None,
    "prefix": None,
    "problem_type": None,
    "pruned_heads": {},
    "remove_invalid_values": False,
    "repetition_penalty": 1.0,
    "return_dict": True,
    "return_dict_in_generate": False,
    "sep_token_id": None,
    "suppress_tokens": None,
    "task_specific_params": None,
    "temperature": 1.0,
    "tf_legacy_loss": False,
    "tie_encoder_decoder": False,
    "tie_word_embeddings": True,
    "tokenizer_class": None,
    "top_k": 50,
    "top_p": 1.0,
    "torch_dtype": None,
    "torchscript": False,
    "transformers_version": "4.26.0.dev0",
    "typical_p": 1.0,
    "use_bfloat16": False,
}

CLIP_MEAN = [0.48145466, 0.4578275, 0.40821073]
CLIP_STD = [0.26862954, 0.26130258, 0.27577711]
RESCALE = 0.00392156862745098

# BERT's special tokens at bert-base-uncased's ids (BLIP and GIT keep them), so the tiny
# configs can carry the real repositories' token ids.
BERT_SPECIALS = {"[PAD]": 0, "[UNK]": 100, "[CLS]": 101, "[SEP]": 102, "[MASK]": 103}


def legacy_dump(model_specific: dict[str, Any], **overrides: Any) -> dict[str, Any]:
    """A sub-config as transformers 4.2x saved it: every common attribute, then the
    model's own keys, then `overrides`; keys sorted like save_pretrained sorts them."""
    out = {**LEGACY_CONFIG_KEYS, **model_specific, **overrides}
    return dict(sorted(out.items()))


def write_json(path: Path, data: dict[str, Any]) -> None:
    path.write_text(json.dumps(data, indent=2, sort_keys=True) + "\n", encoding="utf-8")


def save_weights(model: Any, out: Path, *, weights: str = "safetensors") -> None:
    """Save only the weights file the hub repository ships (`safetensors` or `bin`); the
    JSON files are written by the family module as the repository has them."""
    import torch

    if weights not in ("safetensors", "bin"):
        raise ValueError(f"weights must be 'safetensors' or 'bin', not {weights!r}")
    tmp = out / ".save-tmp"
    model.save_pretrained(tmp)
    if weights == "safetensors":
        shutil.move(str(tmp / "model.safetensors"), out / "model.safetensors")
    else:
        # A plain state dict of tensors, like the 2022-era pytorch_model.bin files (readable
        # by torch's weights-only unpickler), under the checkpoint names save_pretrained
        # writes: the hub's names, not the renamed modules of a newer transformers in memory.
        from safetensors.torch import load_file

        state = {k: v.contiguous().clone() for k, v in load_file(tmp / "model.safetensors").items()}
        torch.save(state, out / "pytorch_model.bin")
    shutil.rmtree(tmp)


def word_vocab(size: int, specials: dict[str, int]) -> list[str]:
    """A WordPiece vocabulary of `size` entries: `specials` at their ids, "[unusedN]" filling
    the gaps below the last special, lower-case words w0, w1 ... after it."""
    vocab: list[str] = []
    top = max(specials.values())
    by_id = {i: t for t, i in specials.items()}
    unused = 0
    for i in range(top + 1):
        if i in by_id:
            vocab.append(by_id[i])
        else:
            vocab.append(f"[unused{unused}]")
            unused += 1
    word = 0
    while len(vocab) < size:
        vocab.append(f"w{word}")
        word += 1
    return vocab[:size]


def save_bert_tokenizer(out: Path, vocab: list[str], tokenizer_config: dict[str, Any],
                        special_tokens_map: dict[str, Any], added: dict[str, int] | None = None) -> None:
    """vocab.txt + tokenizer.json (bert-base-uncased's pipeline: BertNormalizer lower-casing,
    BertPreTokenizer, [CLS] $A [SEP], WordPiece decoder) + the repository's
    tokenizer_config.json and special_tokens_map.json."""
    from tokenizers import AddedToken, Tokenizer, decoders, models, normalizers, pre_tokenizers, processors

    (out / "vocab.txt").write_text("".join(t + "\n" for t in vocab), encoding="utf-8")
    ids = {t: i for i, t in enumerate(vocab)}
    tok = Tokenizer(models.WordPiece(vocab=ids, unk_token="[UNK]", max_input_chars_per_word=100))
    tok.normalizer = normalizers.BertNormalizer(clean_text=True, handle_chinese_chars=True, strip_accents=None, lowercase=True)
    tok.pre_tokenizer = pre_tokenizers.BertPreTokenizer()
    tok.post_processor = processors.TemplateProcessing(
        single="[CLS] $A [SEP]", pair="[CLS] $A [SEP] $B:1 [SEP]:1",
        special_tokens=[("[CLS]", ids["[CLS]"]), ("[SEP]", ids["[SEP]"])],
    )
    tok.decoder = decoders.WordPiece(prefix="##")
    tok.add_special_tokens([AddedToken(t, special=True) for t in BERT_SPECIALS])
    for token in sorted(added or {}, key=lambda t: (added or {})[t]):
        tok.add_special_tokens([AddedToken(token, special=True)])
    tok.save(str(out / "tokenizer.json"))
    write_json(out / "tokenizer_config.json", tokenizer_config)
    write_json(out / "special_tokens_map.json", special_tokens_map)


def sharpen(lm_head_weight: Any, factor: float = 8.0) -> None:
    """Random init gives logits so flat that every step is a near tie; a trained model's are
    decisive. Scaling the output projection makes float32 rounding never decide a token
    (8: tokens chosen with ~10-20% probability; 32 and up: the confidence of a trained
    captioner, whose tokens are chosen with ~99%)."""
    import torch

    with torch.no_grad():
        lm_head_weight.mul_(factor)


def favour_words(lm_head_weight: Any, words: list[int], eos: int, *, sharpness: float, eos_scale: float,
                 rest: float) -> None:
    """Make a tiny random model answer in whole words, as a trained one does: the output rows
    of the vocabulary's whole-word tokens scaled by `sharpness` (decisive logits), the end
    token's by `sharpness * eos_scale` (how readily answers end), every other row (bytes,
    word pieces, special tokens) by `rest` (< 1: rarely chosen)."""
    import torch

    keep = torch.zeros(lm_head_weight.shape[0], dtype=torch.bool)
    keep[list(words)] = True
    keep[eos] = False
    with torch.no_grad():
        eos_row = lm_head_weight[eos] * sharpness * eos_scale
        lm_head_weight[~keep] *= rest
        lm_head_weight[keep] *= sharpness
        lm_head_weight[eos] = eos_row
