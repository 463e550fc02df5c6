# SPDX-License-Identifier: GPL-3.0-or-later
from __future__ import annotations

import pytest
from altlens.core.captioning.settings import GenerationSettings
from altlens.core.errors import UsageError


def test_defaults_follow_the_model_card() -> None:
    s = GenerationSettings()
    assert (s.strategy, s.num_beams, s.max_length, s.num_candidates) == ("beam", 4, 16, 1)


@pytest.mark.parametrize(
    ("kwargs", "fragment"),
    [
        ({"num_beams": 0}, "Beams"),
        ({"num_beams": 6}, "Beams"),
        ({"num_candidates": 6}, "Candidates"),
        ({"num_beams": 2, "num_candidates": 3}, "at most 2"),
        ({"strategy": "greedy", "num_candidates": 2}, "Greedy"),
        ({"max_length": 1}, "length"),
        ({"top_p": 0.0}, "top-p"),
        ({"temperature": 0.0}, "Temperature"),
        ({"strategy": "nope"}, "strategy"),
    ],
)
def test_invalid_settings_are_explained(kwargs: dict, fragment: str) -> None:
    with pytest.raises(UsageError, match=fragment):
        GenerationSettings(**kwargs)


def test_from_options() -> None:
    assert GenerationSettings.from_options(beams=1).strategy == "greedy"
    s = GenerationSettings.from_options(beams=3, candidates=3, max_length=20)
    assert (s.strategy, s.num_beams, s.num_candidates, s.max_length) == ("beam", 3, 3, 20)
    sample = GenerationSettings.from_options(sample=True, candidates=4, top_p=0.8, temperature=0.7, seed=3)
    assert (sample.strategy, sample.beams, sample.num_candidates, sample.seed) == ("sample", 1, 4, 3)
