# SPDX-License-Identifier: GPL-3.0-or-later
"""GIT captioning, laid out like microsoft/git-base-coco: config.json as transformers 4.26
dumped it (legacy keys, a CLIP-style vision_config, no generation_config.json),
preprocessor_config.json for CLIPImageProcessor (shortest edge 224, centre crop 224) with
processor_class GitProcessor, and bert-base-uncased's tokenizer files ([CLS] = 101 starts a
caption, [SEP] = 102 ends it)."""

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

# shape -> (vision hidden, layers, heads, mlp, image, patch), (text hidden, layers, heads, mlp, vocab)
SHAPES: dict[str, tuple[tuple[int, ...], tuple[int, ...]]] = {
    "tiny": ((32, 2, 2, 64, 32, 8), (32, 2, 2, 64, 128)),
    "hub": ((768, 12, 12, 3072, 224, 16), (768, 6, 12, 3072, 30522)),  # git-base-coco
}


def build(
    out: Path, *, seed: int = 0, shape: str = "tiny", weights: str = "safetensors",
    image_scale: float | None = None, eos_bias: float | None = None, sharpness: float = 8.0,
) -> Path:
    """Save a random-weight GIT captioner: "tiny" or "hub" (git-base-coco's dimensions)."""
    import torch
    from transformers import GitConfig, GitForCausalLM

    if shape not in SHAPES:
        raise ValueError(f"unknown GIT shape {shape!r}; use one of {', '.join(SHAPES)}")
    (v_hidden, v_layers, v_heads, v_mlp, image, patch), (t_hidden, t_layers, t_heads, t_mlp, vocab) = SHAPES[shape]
    vision = legacy_dump(
        {
            "attention_dropout": 0.0, "dropout": 0.0, "hidden_act": "quick_gelu", "hidden_size": v_hidden,
            "image_size": image, "initializer_factor": 1.0, "initializer_range": 0.02,
            "intermediate_size": v_mlp, "layer_norm_eps": 1e-05, "model_type": "git_vision_model",
            "num_attention_heads": v_heads, "num_channels": 3, "num_hidden_layers": v_layers,
            "patch_size": patch, "projection_dim": 512,
        }
    )
    config_json = {
        "architectures": ["GitForCausalLM"],
        "attention_probs_dropout_prob": 0.1,
        "bos_token_id": BERT_SPECIALS["[CLS]"],
        "classifier_dropout": None,
        "eos_token_id": BERT_SPECIALS["[SEP]"],
        "hidden_act": "gelu",
        "hidden_dropout_prob": 0.1,
        "hidden_size": t_hidden,
        "initializer_range": 0.02,
        "intermediate_size": t_mlp,
        "layer_norm_eps": 1e-12,
        "max_position_embeddings": 1024,
        "model_type": "git",
        "num_attention_heads": t_heads,
        "num_hidden_layers": t_layers,
        "num_image_with_embedding": None,
        "pad_token_id": BERT_SPECIALS["[PAD]"],
        "position_embedding_type": "absolute",
        "tie_word_embeddings": False,
        "torch_dtype": "float32",
        "transformers_version": "4.26.0.dev0",
        "use_cache": True,
        "vision_config": vision,
        "vocab_size": vocab,
    }
    torch.manual_seed(seed)
    model = GitForCausalLM(GitConfig.from_dict(dict(config_json))).eval()
    # Random tiny models barely look at the image and never end a caption; a trained one
    # does both. Louder image features and a nudge towards [SEP] give captions that differ
    # by image and end after varied lengths, so batching and padding are really compared.
    tiny = shape == "tiny"
    with torch.no_grad():
        model.git.visual_projection.visual_projection[1].weight.mul_(image_scale if image_scale is not None else 16.0 if tiny else 1.0)
        model.output.bias[BERT_SPECIALS["[SEP]"]] += eos_bias if eos_bias is not None else 1.0 if tiny else 0.0
    sharpen(model.output.weight, sharpness)
    save_weights(model, out, weights=weights)
    write_json(out / "config.json", config_json)
    write_json(out / "preprocessor_config.json", {
        "crop_size": {"height": image, "width": image}, "do_center_crop": True, "do_convert_rgb": True,
        "do_normalize": True, "do_rescale": True, "do_resize": True, "image_mean": CLIP_MEAN,
        "image_processor_type": "CLIPImageProcessor", "image_std": CLIP_STD,
        "processor_class": "GitProcessor", "resample": 3, "rescale_factor": RESCALE,
        "size": {"shortest_edge": image},
    })
    save_bert_tokenizer(
        out,
        word_vocab(vocab, BERT_SPECIALS),
        {
            "cls_token": "[CLS]", "do_basic_tokenize": True, "do_lower_case": True, "mask_token": "[MASK]",
            "model_max_length": 512, "name_or_path": "bert-base-uncased", "never_split": None,
            "pad_token": "[PAD]", "processor_class": "GitProcessor", "sep_token": "[SEP]",
            "special_tokens_map_file": None, "strip_accents": None, "tokenize_chinese_chars": True,
            "tokenizer_class": "BertTokenizer", "unk_token": "[UNK]",
        },
        {"cls_token": "[CLS]", "mask_token": "[MASK]", "pad_token": "[PAD]", "sep_token": "[SEP]", "unk_token": "[UNK]"},
    )
    return out


def reference(folder: Path, images: Sequence[Any], gen_kwargs: dict[str, Any]) -> list[list[int]]:
    """The model card's code: AutoProcessor -> AutoModelForCausalLM.generate(pixel_values=...).
    GIT echoes its [CLS] prompt; returns each caption's tokens after it, up to the first [SEP]."""
    import torch
    from transformers import AutoModelForCausalLM, AutoProcessor

    processor = AutoProcessor.from_pretrained(folder)
    model = AutoModelForCausalLM.from_pretrained(folder).eval()
    pixel_values = processor(images=list(images), return_tensors="pt").pixel_values
    with torch.inference_mode():
        out = model.generate(pixel_values=pixel_values, **gen_kwargs)
    sequences = out.sequences if hasattr(out, "sequences") else out
    eos = model.config.eos_token_id
    rows = [row[1:].tolist() for row in sequences]
    return [r[: r.index(eos)] if eos in r else r for r in rows]


FAMILY = TinyFamily(
    name="git",
    build=build,
    reference=reference,
    notes="microsoft/git-base-coco layout; shape='hub' for real dimensions",
)
