# SPDX-License-Identifier: GPL-3.0-or-later
from __future__ import annotations

import pytest
from altlens.core.captioning.text import clean_caption, cut_repetition, postprocess


@pytest.mark.parametrize(
    ("raw", "clean"),
    [
        ("  a man   riding a wave on top of a surfboard ", "A man riding a wave on top of a surfboard"),
        ("a dog , running", "A dog, running"),
        ("already Capital", "Already Capital"),
        ("", ""),
        ("élan vital", "Élan vital"),
    ],
)
def test_clean_caption_keeps_words(raw: str, clean: str) -> None:
    assert clean_caption(raw) == clean
    assert clean_caption(raw).lower().replace(",", "").split() == raw.lower().replace(",", "").split()


@pytest.mark.parametrize(
    ("raw", "cut"),
    [
        ("a woman in a hospital bed with a woman in a hospital bed", "a woman in a hospital bed"),
        ("a man on a skateboard and a man on a skateboard doing a trick", "a man on a skateboard"),
        ("a plate of food with a plate of food", "a plate of food"),
        ("a kitchen with a stove and a kitchen with a stove and a sink", "a kitchen with a stove"),
    ],
)
def test_repetition_guard_cuts_loops(raw: str, cut: str) -> None:
    assert cut_repetition(raw) == cut


@pytest.mark.parametrize(
    "good",
    [
        "a dog sitting on a bench next to a dog",  # may be two dogs: one content word only
        "a man in a hat in a car",
        "a red double decker bus driving down a street",
        "two red circles on the left of a blue background",
    ],
)
def test_repetition_guard_leaves_ordinary_captions(good: str) -> None:
    assert cut_repetition(good) == good


def test_postprocess_guard_can_be_disabled() -> None:
    raw = "a woman in a bed with a woman in a bed"
    assert postprocess(raw) == "A woman in a bed"
    assert postprocess(raw, repetition_guard=False) == "A woman in a bed with a woman in a bed"
