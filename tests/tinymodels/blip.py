# SPDX-License-Identifier: GPL-3.0-or-later
"""BLIP captioning, laid out like Salesforce/blip-image-captioning-base and -large: config.json
as transformers 4.26 dumped it (every legacy key, no generation_config.json),
preprocessor_config.json for BlipImageProcessor at 384 px, and bert-base-uncased's tokenizer
files with [DEC] (the caption's start) and [ENC] added after the BERT vocabulary."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

from tests.tinymodels import TinyFamily
from tests.tinymodels._hub import (
    BERT_SPECIALS,
    CLIP_MEAN,
    CLIP_STD,
    RESCALE,
    legacy_dump,
    save_bert_tokenizer,
    save_weights,
    sharpen,
    word_vocab,
    write_json,
)

# shape -> (vision hidden, layers, heads, mlp, image, patch), (text hidden, layers, heads, mlp, BERT vocab)
SHAPES: dict[str, tuple[tuple[int, ...], tuple[int, ...]]] = {
    "tiny": ((32, 2, 2, 64, 32, 8), (32, 2, 2, 64, 128)),
    "hub": ((768, 12, 12, 3072, 384, 16), (768, 12, 12, 3072, 30522)),  # blip-image-captioning-base
    "hub-large": ((1024, 24, 16, 4096, 384, 16), (768, 12, 12, 3072, 30522)),  # -large
}


def build(
    out: Path, *, seed: int = 0, shape: str = "tiny", weights: str = "safetensors",
    image_scale: float | None = None, eos_bias: float | None = None, sharpness: float = 8.0,
) -> Path:
    """Save a random-weight BLIP captioner. `shape`: "tiny" (a few hundred kB), "hub"
    (blip-image-captioning-base's dimensions) or "hub-large"."""
    import torch
    from transformers import BlipConfig, BlipForConditionalGeneration

    if shape not in SHAPES:
        raise ValueError(f"unknown BLIP shape {shape!r}; use one of {', '.join(SHAPES)}")
    (v_hidden, v_layers, v_heads, v_mlp, image, patch), (t_hidden, t_layers, t_heads, t_mlp, bert) = SHAPES[shape]
    dec_id, enc_id = bert, bert + 1  # [DEC], [ENC]: added after the BERT vocabulary
    text = legacy_dump(
        {
            "attention_probs_dropout_prob": 0.0, "hidden_act": "gelu", "hidden_dropout_prob": 0.0,
            "hidden_size": t_hidden, "initializer_factor": 1.0, "initializer_range": 0.02,
            "intermediate_size": t_mlp, "layer_norm_eps": 1e-12, "max_position_embeddings": 512,
            "model_type": "blip_text_model", "num_attention_heads": t_heads, "num_hidden_layers": t_layers,
            "projection_dim": 768, "use_cache": True, "vocab_size": bert + 2,
        },
        bos_token_id=dec_id, eos_token_id=2, pad_token_id=0, sep_token_id=BERT_SPECIALS["[SEP]"], is_decoder=True,
    )
    vision = legacy_dump(
        {
            "attention_dropout": 0.0, "dropout": 0.0, "hidden_act": "gelu", "hidden_size": v_hidden,
            "image_size": image, "initializer_factor": 1.0, "initializer_range": 0.02,
            "intermediate_size": v_mlp, "layer_norm_eps": 1e-05, "model_type": "blip_vision_model",
            "num_attention_heads": v_heads, "num_channels": 3, "num_hidden_layers": v_layers,
            "patch_size": patch, "projection_dim": 512,
        }
    )
    config_json = {
        "_commit_hash": None,
        "architectures": ["BlipForConditionalGeneration"],
        "image_text_hidden_size": 256,
        "initializer_factor": 1.0,
        "logit_scale_init_value": 2.6592,
        "model_type": "blip",
        "projection_dim": 512,
        "text_config": text,
        "torch_dtype": "float32",
        "transformers_version": None,
        "vision_config": vision,
    }
    torch.manual_seed(seed)
    config = BlipConfig.from_dict({k: v for k, v in config_json.items() if not k.startswith("_")})
    model = BlipForConditionalGeneration(config).eval()
    # Random tiny models barely look at the image and never end a caption; a trained one
    # does both. Louder image features and a nudge towards [SEP] give captions that differ
    # by image and end after varied lengths, so batching and padding are really compared.
    tiny = shape == "tiny"
    with torch.no_grad():
        model.vision_model.post_layernorm.weight.mul_(image_scale if image_scale is not None else 16.0 if tiny else 1.0)
        model.text_decoder.cls.predictions.decoder.bias[BERT_SPECIALS["[SEP]"]] += eos_bias if eos_bias is not None else 1.0 if tiny else 0.0
    sharpen(model.text_decoder.cls.predictions.decoder.weight, sharpness)
    save_weights(model, out, weights=weights)
    write_json(out / "config.json", config_json)
    write_json(out / "preprocessor_config.json", {
        "do_normalize": True, "do_resize": True, "image_mean": CLIP_MEAN,
        "image_processor_type": "BlipImageProcessor", "image_std": CLIP_STD,
        "processor_class": "BlipProcessor", "resample": 3, "rescale_factor": RESCALE,
        "size": {"height": image, "width": image},
    })
    save_bert_tokenizer(
        out,
        word_vocab(bert, BERT_SPECIALS),
        {
            "cls_token": "[CLS]", "do_basic_tokenize": True, "do_lower_case": True, "mask_token": "[MASK]",
            "model_max_length": 512, "name_or_path": "bert-base-uncased", "never_split": None,
            "pad_token": "[PAD]", "processor_class": "BlipProcessor", "sep_token": "[SEP]",
            "special_tokens_map_file": None, "strip_accents": None, "tokenize_chinese_chars": True,
            "tokenizer_class": "BertTokenizer", "unk_token": "[UNK]",
        },
        {
            "additional_special_tokens": ["[ENC]"], "bos_token": "[DEC]", "cls_token": "[CLS]",
            "mask_token": "[MASK]", "pad_token": "[PAD]", "sep_token": "[SEP]", "unk_token": "[UNK]",
        },
        added={"[DEC]": dec_id, "[ENC]": enc_id},
    )
    return out


def reference(folder: Path, images: Sequence[Any], gen_kwargs: dict[str, Any]) -> list[list[int]]:
    """The model card's code: BlipProcessor -> BlipForConditionalGeneration.generate. Returns
    each caption's tokens after the [DEC] prompt, up to (not including) the first [SEP]."""
    import torch
    from transformers import BlipForConditionalGeneration, BlipProcessor

    processor = BlipProcessor.from_pretrained(folder)
    model = BlipForConditionalGeneration.from_pretrained(folder).eval()
    inputs = processor(images=list(images), return_tensors="pt")
    with torch.inference_mode():
        out = model.generate(**inputs, **gen_kwargs)
    sequences = out.sequences if hasattr(out, "sequences") else out
    eos = model.config.text_config.sep_token_id  # BLIP's generate() stops captions at [SEP]
    return [_until(row[1:].tolist(), eos) for row in sequences]


def _until(ids: list[int], eos: int) -> list[int]:
    return ids[: ids.index(eos)] if eos in ids else ids


FAMILY = TinyFamily(
    name="blip",
    build=build,
    reference=reference,
    notes="Salesforce/blip-image-captioning-base/-large layout; shape='hub'|'hub-large' for real dimensions",
)
