# SPDX-License-Identifier: GPL-3.0-or-later
"""Which of a model's generation options the transformers-free paths reproduce.

Without torch: vitgpt2.unsupported_reason reads it before anything heavy is imported, so a
command can start decoding its first photos while torch loads.
"""

from __future__ import annotations

from typing import Any

# Generation options (non-default values in a model's generation_config) the fast path
# reproduces or that do not affect beam search and greedy decoding; anything else (repetition
# penalties, forced or banned tokens ...) falls back to transformers' generate().
_HANDLED_GENERATION_KEYS = frozenset(
    {
        "bos_token_id", "decoder_start_token_id", "eos_token_id", "pad_token_id", "max_length",
        "min_length", "num_beams", "num_return_sequences", "do_sample", "early_stopping",
        "length_penalty", "use_cache", "output_scores", "output_attentions", "output_hidden_states",
        "output_logits", "return_dict_in_generate", "transformers_version", "_from_model_config",
        "cache_implementation", "cache_config",
        # sampling-only knobs: generate() ignores them when not sampling, and so do we
        "temperature", "top_k", "top_p", "typical_p", "min_p", "top_h", "epsilon_cutoff", "eta_cutoff",
    }
)
# Options whose listed value is neutral (some configs spell the default out).
_NEUTRAL_GENERATION_VALUES: dict[str, tuple[Any, ...]] = {
    "repetition_penalty": (None, 1.0),
    "encoder_repetition_penalty": (None, 1.0),
    "no_repeat_ngram_size": (None, 0),
    "encoder_no_repeat_ngram_size": (None, 0),
    "num_beam_groups": (None, 1),
    "diversity_penalty": (None, 0.0),
    "remove_invalid_values": (None, False),
    "renormalize_logits": (None, False),
    "guidance_scale": (None, 1.0),
    "min_new_tokens": (None, 0),
    "bad_words_ids": (None,),
    "suppress_tokens": (None,),
    "begin_suppress_tokens": (None,),
    "forced_bos_token_id": (None,),
    "forced_eos_token_id": (None,),
    "sequence_bias": (None,),
    "exponential_decay_length_penalty": (None,),
    "max_new_tokens": (None,),
    "low_memory": (None, False),
}


def unsupported_generation_options(generation_config: Any) -> list[str]:
    """Non-default generation options of a model that the fast path does not reproduce."""
    try:
        diff = generation_config.to_diff_dict()
    except Exception:  # an odd config object: let generate() deal with it
        return ["unreadable generation_config"]
    return sorted(
        k
        for k, v in diff.items()
        if k not in _HANDLED_GENERATION_KEYS and not (k in _NEUTRAL_GENERATION_VALUES and v in _NEUTRAL_GENERATION_VALUES[k])
    )
