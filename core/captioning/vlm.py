# SPDX-License-Identifier: GPL-3.0-or-later
"""Prompted vision-language families: Florence-2 (task tokens) and SmolVLM2 (chat
instructions), both native transformers classes (no remote code).

They do more than alt text: a long description and the text in the image (core/captioning/
tasks.py). Each runs transformers' own processor and generate(), so their tokens are the
family's own (tests/core/test_vlm_families.py checks that against the model card's code).
The decode threads hand over decoded RGB images; the processor runs per batch in the model
thread because SmolVLM pads a batch's prompts and tiles to the longest one.

Importing this module imports torch and transformers (as adapters.py does).
"""

from __future__ import annotations

import json
import logging
from pathlib import Path
from typing import Any, ClassVar

import torch
from altlens.core.captioning.adapters import ADAPTERS, ModelAdapter, RawCandidate, _CancelCriterion, _seeded
from altlens.core.captioning.settings import GenerationSettings
from altlens.core.captioning.tasks import (
    FLORENCE_TOKENS,
    EmptyAnswerError,
    RunawayAnswerError,
    check_task,
    empty_message,
    instruction,
    runaway_message,
    token_budget,
)
from altlens.core.errors import AltLensError, ModelInvalidError, UsageError
from altlens.core.jobs import CancelToken
from PIL import Image
from transformers import AutoImageProcessor, AutoProcessor, AutoTokenizer, StoppingCriteriaList

log = logging.getLogger(__name__)

# What a prompted adapter returns per image: its candidates, or that image's own error.
Answer = list[RawCandidate] | AltLensError


class PromptedAdapter(ModelAdapter):
    """A family that is told what to do with each image (a task, maybe context)."""

    prompted: ClassVar[bool] = True
    tasks: ClassVar[tuple[str, ...]] = ("alt", "long", "ocr")
    accepts_context: ClassVar[bool] = False
    # Token sequences an encoder-decoder returns start with the decoder's start token.
    _starts_with_decoder_token: ClassVar[bool] = False

    def pixel_values(self, images: list[Image.Image]) -> Any:  # type: ignore[override]
        """On the decode threads: only decoding. The processor runs per batch (see module doc)."""
        (image,) = images
        return image

    def to_inputs(self, pixel_values: Any) -> dict[str, torch.Tensor]:
        raise UsageError(f"{self.family} models are prompted: use Captioner.describe() or caption().")

    def prompt_inputs(self, images: list[Image.Image], task: str, contexts: list[str | None]) -> dict[str, torch.Tensor]:
        """The processor's tensors for `images` asked to do `task` (each family's own prompt)."""
        raise NotImplementedError(f"{type(self).__name__} must build its prompt")

    def generation_kwargs(self, settings: GenerationSettings, budget: int | None = None) -> dict[str, Any]:
        """generate()'s keywords as this family runs them: the answer's token budget (default:
        the alt-text task's) replaces settings.max_length, which counts a caption's start
        token and would cut a prompted model's answers short."""
        kw = super().generation_kwargs(settings)
        # The budget counts new tokens only (prompt and image tokens are not the answer's).
        kw.pop("max_length", None)
        kw["max_new_tokens"] = token_budget("alt", None) if budget is None else budget
        if "min_length" in kw:  # likewise a minimum counts the answer's tokens only
            kw["min_new_tokens"] = min(kw.pop("min_length"), kw["max_new_tokens"])
        return kw

    def generation_kwargs_for(self, settings: GenerationSettings, budget: int) -> dict[str, Any]:
        return self.generation_kwargs(settings, budget)

    @torch.inference_mode()
    def generate_tokens(
        self,
        images: list[Image.Image],
        settings: GenerationSettings,
        *,
        task: str = "alt",
        contexts: list[str | None] | None = None,
        max_new_tokens: int | None = None,
        cancel: CancelToken | None = None,
    ) -> tuple[Any, torch.Tensor, int]:
        """generate()'s output for `images`, the answer tokens per returned sequence (prompt
        removed; an encoder-decoder's start token kept, as generate() returns it), and the
        token budget used."""
        check_task(task)
        if task not in self.tasks:
            raise UsageError(f"{self.family} models cannot do '{task}'; they do {', '.join(self.tasks)}.")
        contexts = contexts if contexts is not None else [None] * len(images)
        if any(contexts) and not self.accepts_context:
            raise UsageError(f"{self.family} models take no context (their tasks are fixed); drop --context.")
        budget = token_budget(task, max_new_tokens)
        inputs = self.prompt_inputs(images, task, contexts)
        kw = self.generation_kwargs_for(settings, budget)
        if cancel is not None:
            kw["stopping_criteria"] = StoppingCriteriaList([_CancelCriterion(cancel)])
        with _seeded(settings):
            out = self.model.generate(**inputs, **kw)
        if cancel is not None:
            cancel.raise_if_cancelled()
        return out, self._strip_prompt(out.sequences, inputs), budget

    def describe(
        self,
        images: list[Image.Image],
        settings: GenerationSettings,
        *,
        task: str = "alt",
        contexts: list[str | None] | None = None,
        max_new_tokens: int | None = None,
        cancel: CancelToken | None = None,
    ) -> list[Answer]:
        """Raw candidates per image, or that image's error (empty or runaway answer)."""
        out, sequences, budget = self.generate_tokens(
            images, settings, task=task, contexts=contexts, max_new_tokens=max_new_tokens, cancel=cancel
        )
        scores = self._sequence_confidence(out, sequences, settings)
        answers = sequences[:, 1:] if self._starts_with_decoder_token else sequences
        texts = self.tokenizer.batch_decode(answers, skip_special_tokens=True)
        k = settings.num_candidates
        results: list[Answer] = []
        for i in range(len(images)):
            kept: list[RawCandidate] = []
            runaway = 0
            for j in range(k):
                row = answers[i * k + j]
                if not self._finished(row, budget):
                    runaway += 1
                    continue
                if texts[i * k + j].strip():  # an immediate end token is no answer at all
                    kept.append((texts[i * k + j], scores[i * k + j]))
            if kept:
                results.append(kept)
            elif runaway:
                results.append(RunawayAnswerError(runaway_message(task, budget)))
            else:
                results.append(EmptyAnswerError(empty_message(task)))
        return results

    def _finished(self, row: torch.Tensor, budget: int) -> bool:
        """Whether the answer ended on its own before the budget ran out. generate() may force
        the end token into the last allowed position (Florence-2's forced_eos_token_id), so an
        end token there means the answer was cut, not finished."""
        eos = self._eos_ids()
        hits = [n for n, t in enumerate(row.tolist()) if t in eos]
        return bool(hits) and hits[0] < budget - 1

    def _eos_ids(self) -> set[int]:
        eos = self.model.generation_config.eos_token_id
        ids = set(eos) if isinstance(eos, list) else {eos}
        return {int(e) for e in ids if e is not None}

    @property
    def image_size(self) -> tuple[int, int]:
        size = getattr(self.image_processor, "size", None) or {}
        if isinstance(size, dict) and "longest_edge" in size:
            side = int(size["longest_edge"])
            return side, side
        return super().image_size


class Florence2Adapter(PromptedAdapter):
    """florence-community/Florence-2-base and -large (native Florence2ForConditionalGeneration,
    transformers >= 4.56): <CAPTION> for alt text, <MORE_DETAILED_CAPTION> for the long
    description, <OCR> for the text in the image. Its tasks are fixed tokens, so no context."""

    model_types = ("florence2",)
    family = "florence2"
    _starts_with_decoder_token = True

    def _load_model(self) -> Any:
        try:
            from transformers import Florence2ForConditionalGeneration  # noqa: F401
        except ImportError:
            from altlens.core.errors import ModelUnsupportedError

            raise ModelUnsupportedError(
                "Florence-2 needs transformers 4.56 or newer (its native Florence2ForConditionalGeneration); "
                "upgrade transformers.", path=self.folder,
            ) from None
        return super()._load_model()

    def _load_processing(self) -> None:
        try:
            self.processor = AutoProcessor.from_pretrained(self.folder, local_files_only=True, trust_remote_code=False)
        except (OSError, ValueError, KeyError, TypeError) as exc:
            raise ModelInvalidError(f"The Florence-2 processor could not be loaded: {exc}", path=self.folder) from None
        self.image_processor = self.processor.image_processor
        self.tokenizer = self.processor.tokenizer

    def prompt_inputs(self, images: list[Image.Image], task: str, contexts: list[str | None]) -> dict[str, torch.Tensor]:
        enc = self.processor(text=[FLORENCE_TOKENS[task]] * len(images), images=images, return_tensors="pt")
        # The model card passes input_ids and pixel_values only; the prompt is the same for
        # every image, so there is no padding for an attention mask to hide.
        return {
            "input_ids": enc["input_ids"].to(self.device),
            "pixel_values": enc["pixel_values"].to(self.device, self.dtype),
        }


class SmolVLMAdapter(PromptedAdapter):
    """HuggingFaceTB/SmolVLM2-256M/500M-Video-Instruct (native SmolVLMForConditionalGeneration):
    a chat instruction per task (tasks.INSTRUCTIONS), optionally with the person's context."""

    model_types = ("smolvlm",)
    family = "smolvlm"
    accepts_context = True

    def _load_processing(self) -> None:
        self.processor = load_smolvlm_processor(self.folder)
        self.image_processor = self.processor.image_processor
        self.tokenizer = self.processor.tokenizer

    def prompt_inputs(self, images: list[Image.Image], task: str, contexts: list[str | None]) -> dict[str, torch.Tensor]:
        prompts = [
            self.processor.apply_chat_template(chat_messages(instruction(task, ctx)), add_generation_prompt=True)
            for ctx in contexts
        ]
        # Left padding: a batch's prompts differ in length (tiles per image, context), and a
        # decoder-only model must continue every prompt from its own last token.
        self.processor.tokenizer.padding_side = "left"
        enc = self.processor(text=prompts, images=[[im] for im in images], return_tensors="pt", padding=True)
        return {k: (v.to(self.device, self.dtype) if v.is_floating_point() else v.to(self.device))
                for k, v in enc.items() if isinstance(v, torch.Tensor)}

    def _strip_prompt(self, sequences: torch.Tensor, inputs: dict[str, torch.Tensor]) -> torch.Tensor:
        return sequences[:, inputs["input_ids"].shape[1]:]


def chat_messages(text: str) -> list[dict[str, Any]]:
    """The model card's message shape: the image first, then the instruction."""
    return [{"role": "user", "content": [{"type": "image"}, {"type": "text", "text": text}]}]


def load_smolvlm_processor(folder: Path) -> Any:
    """SmolVLMProcessor for `folder`: AutoProcessor when it loads; otherwise the same class
    assembled from the folder's tokenizer, image processor, processor_config.json and chat
    template, without its video processor. transformers 5 builds that video processor only
    with torchvision, which a CPU install usually lacks, and AltLens never reads video."""
    try:
        return AutoProcessor.from_pretrained(folder, local_files_only=True, trust_remote_code=False)
    except (AttributeError, ImportError, TypeError, ValueError) as exc:
        log.info("SmolVLM processor without its video part (%s)", exc)
    from transformers import SmolVLMProcessor

    class _ImageOnlySmolVLMProcessor(SmolVLMProcessor):  # type: ignore[misc]
        def check_argument_for_proper_class(self, argument_name: str, argument: Any) -> Any:
            if argument_name == "video_processor" and argument is None:
                return None
            return super().check_argument_for_proper_class(argument_name, argument)

        def apply_chat_template(  # type: ignore[override]
            self, conversation: Any, chat_template: str | None = None, **kwargs: Any
        ) -> Any:
            # SmolVLMProcessor's own override only adds the video processor's frame defaults;
            # with no video processor the shared ProcessorMixin template rendering is the rest.
            from transformers.processing_utils import ProcessorMixin

            return ProcessorMixin.apply_chat_template(self, conversation, chat_template, **kwargs)

    try:
        tokenizer = AutoTokenizer.from_pretrained(folder, local_files_only=True, trust_remote_code=False)
        try:
            image_processor = AutoImageProcessor.from_pretrained(
                folder, local_files_only=True, trust_remote_code=False, backend="pil"
            )
        except TypeError:
            image_processor = AutoImageProcessor.from_pretrained(folder, local_files_only=True, trust_remote_code=False)
        extra = _read_json(folder / "processor_config.json")
        template = _read_json(folder / "chat_template.json").get("chat_template")
        if template is None and (folder / "chat_template.jinja").is_file():
            template = (folder / "chat_template.jinja").read_text(encoding="utf-8")
        return _ImageOnlySmolVLMProcessor(
            image_processor=image_processor, tokenizer=tokenizer, video_processor=None,
            image_seq_len=int(extra.get("image_seq_len", 169)), chat_template=template,
        )
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise ModelInvalidError(f"The SmolVLM processor could not be loaded: {exc}", path=folder) from None


def _read_json(path: Path) -> dict[str, Any]:
    if not path.is_file():
        return {}
    data = json.loads(path.read_text(encoding="utf-8"))
    return data if isinstance(data, dict) else {}


PROMPTED_ADAPTERS: tuple[type[PromptedAdapter], ...] = (Florence2Adapter, SmolVLMAdapter)
# Registered here, not in adapters.py's list, so these families stay in their own module;
# adapters.py imports this module at its end.
for _cls in PROMPTED_ADAPTERS:
    for _model_type in _cls.model_types:
        ADAPTERS[_model_type] = _cls
