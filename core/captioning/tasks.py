# SPDX-License-Identifier: GPL-3.0-or-later
"""What a model is asked for: alt text (the default), a long description, or the text in the
image. Plain data and stdlib, so the CLI and the GUI can list tasks without importing torch.

Instruction-following models (SmolVLM2) get an instruction per task that follows accessibility
practice; task-token models (Florence-2) get their own task tokens. Answers that come back
empty, or that run to the token budget without ending (a model repeating itself), become a
per-image error instead of text a person might approve without reading to the end.
"""

from __future__ import annotations

import re
from typing import Literal

from altlens.core.captioning.text import clean_caption, postprocess
from altlens.core.errors import CaptioningError, UsageError

Task = Literal["alt", "long", "ocr"]
TASKS: tuple[str, ...] = ("alt", "long", "ocr")
TASK_LABELS: dict[str, str] = {
    "alt": "alt text",
    "long": "long description",
    "ocr": "text in the image",
}
# New tokens each task may use when the caller does not say. Alt text aims at ~125 characters
# (~30 tokens), so 64 leaves room without letting a loop run long; a long description of a
# busy photo is a paragraph or two; a sign or a page of text can be long.
DEFAULT_TOKEN_BUDGET: dict[str, int] = {"alt": 64, "long": 512, "ocr": 512}
MAX_TOKEN_BUDGET = 2048

# SmolVLM2 instructions. Alt text follows common accessibility guidance (W3C/WAI alt decision
# tree, the IPTC alt-text field's ~125-character target): say what matters, no "image of",
# transcribe short text. The long description is for the IPTC "Extended Description" field.
INSTRUCTIONS: dict[str, str] = {
    "alt": (
        "Write alt text for this image for someone who cannot see it. Use one sentence of about "
        "125 characters that says what matters most. Do not start with 'Image of' or 'Picture of'. "
        "If there is short text in the image, quote it."
    ),
    "long": (
        "Describe this image in detail for someone who cannot see it: the main subject, the "
        "setting, any people and what they are doing, colours and light, and any text, in a "
        "few plain sentences."
    ),
    "ocr": (
        "Transcribe all the text in this image exactly as written, line by line. "
        "Write nothing else."
    ),
}
# Florence-2's task tokens (transformers' Florence2Processor turns them into its prompts).
FLORENCE_TOKENS: dict[str, str] = {"alt": "<CAPTION>", "long": "<MORE_DETAILED_CAPTION>", "ocr": "<OCR>"}

# What each family can do, by config.json model_type, as plain data so a front end can enable
# "Describe in detail" / "Read text in image" without loading torch (a test checks these
# against the adapters). Families not listed write alt text only.
FAMILY_TASKS: dict[str, tuple[str, ...]] = {"florence2": TASKS, "smolvlm": TASKS}
CONTEXT_FAMILIES: frozenset[str] = frozenset({"smolvlm"})

_LINE_SPACE = re.compile(r"[ \t]+")


class EmptyAnswerError(CaptioningError):
    """The model answered with nothing usable for this image."""

    code = "empty-answer"


class RunawayAnswerError(CaptioningError):
    """The model did not finish its answer within the token budget (usually a loop)."""

    code = "runaway-answer"


def check_task(task: str) -> str:
    if task not in TASKS:
        raise UsageError(f"Unknown task {task!r}; use one of {', '.join(TASKS)} (alt text, long description, text in the image).")
    return task


def tasks_for_family(family: str) -> tuple[str, ...]:
    """The tasks a model family can do ("alt" for every family)."""
    return FAMILY_TASKS.get(family, ("alt",))


def token_budget(task: str, max_new_tokens: int | None) -> int:
    """New tokens allowed for `task`: the caller's number, else the task's default."""
    if max_new_tokens is None:
        return DEFAULT_TOKEN_BUDGET[check_task(task)]
    if not 8 <= max_new_tokens <= MAX_TOKEN_BUDGET:
        raise UsageError(f"The token budget must be between 8 and {MAX_TOKEN_BUDGET} (got {max_new_tokens}).")
    return max_new_tokens


def instruction(task: str, context: str | None = None) -> str:
    """The SmolVLM2 instruction for `task`, with the person's approved context appended."""
    text = INSTRUCTIONS[check_task(task)]
    if context:
        text += (
            "\n\nContext from the photo's folder and metadata (it may be incomplete or wrong; use "
            f"it only where it agrees with what the image shows):\n{context}"
        )
    return text


def clean_answer(text: str, task: str, *, repetition_guard: bool = True) -> str:
    """Tidy a model's answer for `task`. Alt text gets the caption clean-up (and the guard
    against repeated phrases); a long description keeps every sentence (repeating a noun
    phrase across sentences is normal there); transcribed text keeps its case and lines."""
    if task == "alt":
        return postprocess(text, repetition_guard=repetition_guard)
    if task == "long":
        return clean_caption(text)
    lines = (_LINE_SPACE.sub(" ", line).strip() for line in text.splitlines())
    return "\n".join(line for line in lines if line)


def empty_message(task: str) -> str:
    if task == "ocr":
        return "The model found no text in this image."
    return f"The model gave no {TASK_LABELS.get(task, 'answer')} for this image."


def runaway_message(task: str, budget: int) -> str:
    return (
        f"The model did not finish its {TASK_LABELS.get(task, 'answer')} within {budget} tokens "
        "(it was probably repeating itself); nothing was kept. Try again with a larger token "
        "budget (--max-tokens), beam search, or another model."
    )
