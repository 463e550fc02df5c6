# SPDX-License-Identifier: GPL-3.0-or-later
"""Caption post-processing: tidy the model's text without changing its words, and cut the
phrase loops some captioning models fall into."""

from __future__ import annotations

import re

_SPACE = re.compile(r"\s+")
_SPACE_BEFORE_PUNCT = re.compile(r"\s+([,.;:!?])")
# Words that only join a repeated phrase to the first one ("... bed with a woman in a bed").
_JOINERS = frozenset(
    "with and or of in on at to near next by from under over behind beside while as".split()
)
_ARTICLES = frozenset(("a", "an", "the"))
_MIN_REPEAT_WORDS = 2


def clean_caption(text: str) -> str:
    """Collapse whitespace, drop spaces before punctuation, capitalise the first letter.
    Words and their order are kept exactly."""
    text = _SPACE.sub(" ", text).strip()
    text = _SPACE_BEFORE_PUNCT.sub(r"\1", text)
    if text and text[0].islower():
        text = text[0].upper() + text[1:]
    return text


def cut_repetition(text: str) -> str:
    """Remove a phrase that repeats an earlier one, and whatever follows it.

    "a woman in a hospital bed with a woman in a hospital bed" -> "a woman in a hospital bed".
    Only phrases with at least two content words count, so "a dog next to a dog" stays.
    A dangling joining word before the repeat ("with") goes too.
    """
    words = text.split(" ")
    n = len(words)
    norm = [w.lower().strip(",.;:!?") for w in words]
    # The earliest position where some phrase starting there already occurred earlier wins.
    for start in range(1, n):
        for length in range(min(start, n - start), _MIN_REPEAT_WORDS - 1, -1):
            phrase = norm[start : start + length]
            if _occurs_before(norm, phrase, start):
                kept = words[:start]
                while kept and kept[-1].lower().strip(",.;:!?") in _JOINERS:
                    kept.pop()
                if kept:
                    return " ".join(kept).rstrip(",;:")
                return text
    return text


def _occurs_before(words: list[str], phrase: list[str], end: int) -> bool:
    length = len(phrase)
    # "in a" or "a dog" recur in good captions ("a dog next to a dog" may be two dogs); a loop
    # repeats a whole description, so it needs at least two content words.
    if sum(1 for w in phrase if w not in _JOINERS and w not in _ARTICLES) < _MIN_REPEAT_WORDS:
        return False
    return any(words[i : i + length] == phrase for i in range(0, end - length + 1))


def postprocess(text: str, *, repetition_guard: bool = True) -> str:
    text = _SPACE.sub(" ", text).strip()
    if repetition_guard:
        text = cut_repetition(text)
    return clean_caption(text)
