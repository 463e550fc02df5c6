# SPDX-License-Identifier: GPL-3.0-or-later
"""Advice on alt text, as pure functions: the review panel shows it live, the CLI can print it.

The rules follow common accessibility guidance (WCAG techniques, WebAIM): screen readers
already announce "image", so an opening such as "Image of" wastes the listener's time; about
125 characters is what many screen readers and platforms handle comfortably; 250 characters
is AltLens's maximum for alt text, and longer detail belongs in the long description.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from enum import StrEnum

from altlens.core.captioning.text import cut_repetition

TARGET_LENGTH = 125
MAX_LENGTH = 250


class Severity(StrEnum):
    INFO = "info"  # worth knowing
    WARNING = "warning"  # probably worth changing
    ERROR = "error"  # AltLens will not write this as alt text


@dataclass(frozen=True)
class Hint:
    """One piece of advice. `code` is stable (tests, the CLI's JSON); `message` is for people."""

    code: str
    severity: Severity
    message: str

    @property
    def blocking(self) -> bool:
        return self.severity is Severity.ERROR


# "Image of", "A photo showing", "Picture depicting", "Screenshot of" ... at the start.
_REDUNDANT_OPENING = re.compile(
    r"^\s*(?:(?:an?|the|this|this is an?|here is an?)\s+)?"
    r"(?:(?:close-?up|black and white|colou?r|digital|stock)\s+)?"
    r"(?P<word>image|picture|photo|photograph|pic|graphic|illustration|snapshot|shot)"
    r"\s+(?:of|showing|shows|that shows|depicting|with|from)\b",
    re.IGNORECASE,
)
# A camera or phone file name used as the text ("IMG_1234.JPG", "DSC01234", "photo.png").
_FILE_NAME = re.compile(
    r"^\s*(?:(?:IMG|DSC|DSCN|DSCF|PXL|P|MVIMG|VID|Screenshot)[\s_-]?[\w-]*\d[\w-]*"
    r"|[\w-]+\.(?:jpe?g|png|gif|tiff?|webp|heic|heif|avif|bmp|dng|cr2|nef|arw))\s*$",
    re.IGNORECASE,
)
_DOUBLED_WORD = re.compile(r"\b(\w+)\s+\1\b", re.IGNORECASE)
# Control characters (C0 but tab/newline, DEL, C1): invisible, and XMP cannot store them.
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")


def clean_text(text: str) -> str:
    """Alt text as it should be stored: one line, single spaces, no invisible control
    characters, composed Unicode (NFC)."""
    text = _CONTROL.sub("", text)
    return unicodedata.normalize("NFC", " ".join(text.split()))


def character_count(text: str) -> int:
    """Characters as a person counts them: composed (NFC) code points, so "é" typed as e plus
    an accent counts once. Surrounding white space does not count."""
    return len(unicodedata.normalize("NFC", text.strip()))


def check_alt_text(text: str, *, decorative: bool = False) -> tuple[Hint, ...]:
    """Every hint that applies to `text`, most important first.

    A decorative image needs no alt text (screen readers skip it), so emptiness is fine then,
    and any text given is pointless: that is said instead.
    """
    stripped = text.strip()
    hints: list[Hint] = []
    if decorative:
        if stripped:
            hints.append(
                Hint(
                    "decorative-with-text",
                    Severity.INFO,
                    "This image is marked decorative, so screen readers skip it "
                    "and this text is not used as alt text.",
                )
            )
        return tuple(hints)
    if not stripped:
        return (
            Hint(
                "empty",
                Severity.ERROR,
                "The alt text is empty. Describe what the image shows, or mark it as "
                "decorative if it adds nothing to the page.",
            ),
        )
    count = character_count(stripped)
    if count > MAX_LENGTH:
        hints.append(
            Hint(
                "too-long",
                Severity.ERROR,
                f"The alt text has {count} characters, over the maximum of "
                f"{MAX_LENGTH}. Shorten it and put the detail in the long "
                "description.",
            )
        )
    elif count > TARGET_LENGTH:
        hints.append(
            Hint(
                "long",
                Severity.WARNING,
                f"The alt text has {count} characters; up to {TARGET_LENGTH} is "
                "easier to listen to. Consider moving detail to the long "
                "description.",
            )
        )
    m = _REDUNDANT_OPENING.match(stripped)
    if m:
        hints.append(
            Hint(
                "redundant-opening",
                Severity.WARNING,
                f'Starts with "{m.group(0).strip()}": screen readers already say '
                "it is an image. Start with what it shows.",
            )
        )
    if _FILE_NAME.match(stripped):
        hints.append(
            Hint(
                "file-name",
                Severity.WARNING,
                "This looks like a file name, which tells a listener nothing about the image.",
            )
        )
    if repeated_phrase(stripped):
        hints.append(
            Hint(
                "repeated-phrase",
                Severity.WARNING,
                "A phrase is repeated; the model may have looped. Check the wording.",
            )
        )
    return tuple(hints)


def repeated_phrase(text: str) -> bool:
    """True when a phrase of two or more content words repeats an earlier one, or a word is
    doubled ("the the")."""
    cleaned = " ".join(text.split())
    if _DOUBLED_WORD.search(cleaned):
        return True
    return cut_repetition(cleaned) != cleaned


def blocking(hints: tuple[Hint, ...]) -> tuple[Hint, ...]:
    return tuple(h for h in hints if h.blocking)
