# SPDX-License-Identifier: GPL-3.0-or-later
from __future__ import annotations

import pytest
from altlens.core.alttext import (
    MAX_LENGTH,
    TARGET_LENGTH,
    Severity,
    blocking,
    character_count,
    check_alt_text,
    clean_text,
    repeated_phrase,
)


def codes(text: str, **kw: bool) -> list[str]:
    return [h.code for h in check_alt_text(text, **kw)]


def test_good_text_has_no_hints() -> None:
    assert codes("A brown dog catching a red ball on a beach") == []


@pytest.mark.parametrize(
    "text",
    [
        "Image of a dog",
        "image of a dog",
        "A picture of two cats",
        "Photo showing a boat",
        "An illustration depicting a map",
        "This is a photo of my garden",
        "  photograph of a bridge",
        "A black and white photo of a street",
    ],
)
def test_redundant_openings(text: str) -> None:
    hints = check_alt_text(text)
    assert [h.code for h in hints] == ["redundant-opening"]
    assert hints[0].severity is Severity.WARNING
    assert "screen readers already say" in hints[0].message


@pytest.mark.parametrize(
    "text",
    [
        "Imagery of the coast at dawn",
        "Photographers at a wedding",
        "A picture frame on a wall",
        "Pictures on a wall",
    ],
)
def test_words_that_only_start_like_an_opening_are_fine(text: str) -> None:
    assert "redundant-opening" not in codes(text)


def test_empty_blocks_unless_decorative() -> None:
    for text in ("", "   ", "\n\t"):
        hints = check_alt_text(text)
        assert [h.code for h in hints] == ["empty"] and blocking(hints)
    assert check_alt_text("", decorative=True) == ()
    assert codes("A dog", decorative=True) == ["decorative-with-text"]
    assert not blocking(check_alt_text("A dog", decorative=True))


def test_length_target_and_maximum() -> None:
    assert codes("a" * TARGET_LENGTH) == []
    long = check_alt_text("a" * (TARGET_LENGTH + 1))
    assert [h.code for h in long] == ["long"] and not blocking(long)
    assert str(TARGET_LENGTH + 1) in long[0].message
    assert codes("a" * MAX_LENGTH) == ["long"]
    over = check_alt_text("a" * (MAX_LENGTH + 1))
    assert [h.code for h in over] == ["too-long"] and blocking(over)


def test_character_count_is_what_a_person_sees() -> None:
    assert character_count("  cafe\u0301 ") == 4  # e + combining accent is one character
    assert character_count("日本の犬") == 4


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("A man in a hat with a man in a hat", True),
        ("The the dog", True),
        ("A dog next to a dog", False),
        ("Two red circles on the left of a blue background", False),
    ],
)
def test_repeated_phrases(text: str, expected: bool) -> None:
    assert repeated_phrase(text) is expected
    assert ("repeated-phrase" in codes(text)) is expected


@pytest.mark.parametrize(
    "text", ["IMG_1234.JPG", "DSC01234", "holiday.jpeg", "PXL_20240101_123456"]
)
def test_file_names(text: str) -> None:
    assert "file-name" in codes(text)


def test_several_hints_together() -> None:
    text = "Image of " + "a dog in a park with a dog in a park " * 8
    assert set(codes(text)) == {"too-long", "redundant-opening", "repeated-phrase"}


def test_clean_text_for_storage() -> None:
    assert clean_text("  A dog\n on\ta  beach \x00\x0e\x7f") == "A dog on a beach"
    assert clean_text("cafe\u0301") == "caf\u00e9"
    assert clean_text("\x85") == ""
