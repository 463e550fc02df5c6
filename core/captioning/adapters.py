# SPDX-License-Identifier: GPL-3.0-or-later
"""One small adapter per model family over a shared template (load -> preprocess -> generate
-> decode), looked up by the config's `model_type` in an explicit registry, never by
substring. Importing this module imports torch and transformers: the engine does so lazily.
"""

from __future__ import annotations

import json
import logging
import math
import os
import pickle
from pathlib import Path
from typing import Any, ClassVar

import torch
import transformers
from altlens.core.captioning import fast as fastpath
from altlens.core.captioning.fast import decode_candidates, run_search
from altlens.core.captioning.genoptions import unsupported_generation_options
from altlens.core.captioning.numerics import apply_mode, cross_attention_dtype, storage_dtype
from altlens.core.captioning.search import SearchResult
from altlens.core.captioning.settings import GenerationSettings
from altlens.core.errors import ModelInvalidError, ModelUnsupportedError
from altlens.core.jobs import CancelToken
from PIL import Image
from transformers import (
    AutoConfig,
    AutoImageProcessor,
    AutoModelForImageTextToText,
    AutoProcessor,
    AutoTokenizer,
    StoppingCriteria,
    StoppingCriteriaList,
)

log = logging.getLogger(__name__)
# transformers warns on every batched generate when pad == eos (GPT-2's convention); the
# engine handles that case, so the warning would only train people to ignore the log.
transformers.logging.set_verbosity_error()
transformers.utils.logging.disable_progress_bar()  # stderr belongs to our own progress bar

RawCandidate = tuple[str, float]  # (decoded text before clean-up, confidence in 0..1)


class _CancelCriterion(StoppingCriteria):
    def __init__(self, token: CancelToken) -> None:
        self.token = token

    def __call__(self, input_ids: torch.LongTensor, scores: torch.FloatTensor, **kwargs: Any) -> torch.BoolTensor:
        return torch.full((input_ids.shape[0],), self.token.cancelled, dtype=torch.bool, device=input_ids.device)  # type: ignore[return-value]


class ModelAdapter:
    """Template for a captioning model family. Subclasses set `model_types` and override the
    few steps that differ (which processor to load, how the prompt is stripped)."""

    model_types: ClassVar[tuple[str, ...]] = ()
    family: ClassVar[str] = ""

    def __init__(
        self,
        folder: Path,
        *,
        device: torch.device,
        dtype: torch.dtype | None = None,
        mode: str | None = None,
        fast: bool = True,
    ) -> None:
        """`mode` is a numeric mode from numerics.py (float32, bfloat16, float16, int8, mixed); the
        older `dtype` argument still works. `fast=False` always uses transformers' generate()."""
        self.folder = folder
        self.device = device
        if mode is None:
            mode = str(dtype or torch.float32).removeprefix("torch.")
        self.mode = mode
        self.dtype = storage_dtype(mode)  # what inputs and activations are
        if device.type == "cpu" and mode in ("bfloat16", "int8", "mixed"):
            self.dtype = torch.float32  # CPU modes change the matrix products only (numerics.py)
        self.fast = fast
        self.model = self._load_model()
        self.model.eval()
        self._load_processing()
        self.eos_token_id, self.pad_token_id = self._special_tokens()

    # -- loading ---------------------------------------------------------------------------

    def _load_model(self) -> Any:
        # On the CPU, lower-precision modes load float32 (memory-mapped, untouched) and convert
        # module by module, so the float32 file and the converted copy are never resident
        # together (numerics.apply_mode); GPUs load straight into their dtype.
        convert_after = self.device.type == "cpu" and self.mode in ("bfloat16", "int8", "mixed")
        load_dtype = torch.float32 if convert_after else self.dtype
        # Never unpickle arbitrary files: safetensors when the folder has them (a stray .bin
        # next to them is never read); otherwise torch's weights-only unpickler, which builds
        # tensors and refuses to import or call anything (see core/captioning/modelfiles.py).
        safetensors = any(self.folder.glob("*.safetensors"))
        try:
            model = AutoModelForImageTextToText.from_pretrained(
                self.folder,
                dtype=load_dtype,
                local_files_only=True,
                trust_remote_code=False,
                use_safetensors=safetensors,
                weights_only=True,
            )
        except pickle.UnpicklingError as exc:
            raise ModelInvalidError(
                "The weights file holds more than plain tensors, so AltLens refuses to unpickle it "
                f"(that could run code). Use a safetensors copy of this model. ({str(exc).splitlines()[0]})",
                path=self.folder,
            ) from None
        except (OSError, ValueError, KeyError) as exc:
            raise ModelInvalidError(f"The model could not be loaded: {exc}", path=self.folder) from None
        model = model.to(self.device)
        if convert_after:
            model = apply_mode(model.eval(), self.mode, self.folder)
        return model

    def _load_processing(self) -> None:
        self.image_processor = _image_processor(self.folder)
        self.tokenizer = AutoTokenizer.from_pretrained(self.folder, local_files_only=True, trust_remote_code=False)

    def _special_tokens(self) -> tuple[int | None, int | None]:
        gen = self.model.generation_config
        eos = gen.eos_token_id if gen.eos_token_id is not None else self.model.config.eos_token_id
        if isinstance(eos, list):
            eos = eos[0] if eos else None
        pad = gen.pad_token_id if gen.pad_token_id is not None else getattr(self.tokenizer, "pad_token_id", None)
        if pad is None:
            pad = eos  # GPT-2 convention (nlpconnect: pad = eos = bos = 50256)
        return eos, pad

    # -- the template ----------------------------------------------------------------------

    @property
    def image_size(self) -> tuple[int, int]:
        """(width, height) the processor resizes to; used to decode JPEGs at reduced scale."""
        size = getattr(self.image_processor, "size", None) or {}
        if not isinstance(size, dict):  # transformers 5: a SizeDict object, not a dict
            size = {k: getattr(size, k) for k in ("height", "width", "shortest_edge") if getattr(size, k, None) is not None}
        if isinstance(size, dict):
            if "height" in size and "width" in size:
                return int(size["width"]), int(size["height"])
            if "shortest_edge" in size:
                side = int(size["shortest_edge"])
                return side, side
        crop = getattr(self.image_processor, "crop_size", None) or {}
        if isinstance(crop, dict) and "height" in crop:
            return int(crop["width"]), int(crop["height"])
        return 224, 224

    def preprocess(self, images: list[Image.Image]) -> dict[str, torch.Tensor]:
        return self.to_inputs(self.pixel_values(images))

    def pixel_values(self, images: list[Image.Image]) -> torch.Tensor:
        """The processor's float32 CPU tensor for `images`. Thread-safe: the engine calls it on
        its decode threads, one image at a time (the processor treats images independently)."""
        return self.image_processor(images=images, return_tensors="pt")["pixel_values"]

    def to_inputs(self, pixel_values: torch.Tensor) -> dict[str, torch.Tensor]:
        return {"pixel_values": pixel_values.to(self.device, self.dtype)}

    def generation_kwargs(self, settings: GenerationSettings) -> dict[str, Any]:
        kw: dict[str, Any] = {
            "max_length": settings.max_length,
            "num_return_sequences": settings.num_candidates,
            "pad_token_id": self.pad_token_id,
            "eos_token_id": self.eos_token_id,
            "return_dict_in_generate": True,
            "output_scores": True,
        }
        if settings.min_length:
            kw["min_length"] = settings.min_length
        if settings.strategy == "beam":
            kw.update(num_beams=settings.num_beams, do_sample=False)
        elif settings.strategy == "greedy":
            kw.update(num_beams=1, do_sample=False)
        else:
            kw.update(num_beams=1, do_sample=True, top_p=settings.top_p, temperature=settings.temperature, top_k=0)
        return kw

    @torch.inference_mode()
    def generate(
        self, inputs: dict[str, torch.Tensor], settings: GenerationSettings, cancel: CancelToken | None = None
    ) -> list[list[RawCandidate]]:
        batch = next(iter(inputs.values())).shape[0]
        kw = self.generation_kwargs(settings)
        if cancel is not None:
            kw["stopping_criteria"] = StoppingCriteriaList([_CancelCriterion(cancel)])
        with _seeded(settings):
            out = self.model.generate(**inputs, **kw)
        if cancel is not None:
            cancel.raise_if_cancelled()
        sequences = self._strip_prompt(out.sequences, inputs)
        scores = self._sequence_confidence(out, sequences, settings)
        texts = self.tokenizer.batch_decode(sequences, skip_special_tokens=True)
        k = settings.num_candidates
        return [[(texts[i * k + j], scores[i * k + j]) for j in range(k)] for i in range(batch)]

    def _strip_prompt(self, sequences: torch.Tensor, inputs: dict[str, torch.Tensor]) -> torch.Tensor:
        """Encoder-decoder models return only the decoder's tokens; decoder-only families
        (GIT) echo their prompt and override this."""
        return sequences

    def _sequence_confidence(self, out: Any, sequences: torch.Tensor, settings: GenerationSettings) -> list[float]:
        scores = getattr(out, "sequences_scores", None)
        if scores is not None and settings.strategy == "beam":
            # Beam scores are log-likelihoods divided by length (length_penalty 1.0).
            return [math.exp(float(s)) for s in scores]
        steps = out.scores
        if not steps:
            return [0.0] * sequences.shape[0]
        generated = sequences[:, -len(steps):]
        logprobs = torch.stack([torch.log_softmax(s.float(), dim=-1) for s in steps], dim=1)
        chosen = logprobs.gather(-1, generated.unsqueeze(-1)).squeeze(-1)
        mask = _until_first_eos(generated, self.eos_token_id)
        mean = (chosen * mask).sum(dim=1) / mask.sum(dim=1).clamp(min=1)
        return [math.exp(float(v)) for v in mean]


def _until_first_eos(tokens: torch.Tensor, eos: int | None) -> torch.Tensor:
    """1.0 for each token up to and including the first EOS, 0.0 after it (padding, which is
    EOS again when pad == eos)."""
    if eos is None:
        return torch.ones_like(tokens, dtype=torch.float32)
    is_eos = (tokens == eos).int()
    before = torch.cumsum(is_eos, dim=1) - is_eos  # EOS tokens strictly before this position
    return (before == 0).float()


class _seeded:
    """Seed torch's global generator for one sampling call, restoring it afterwards."""

    def __init__(self, settings: GenerationSettings) -> None:
        self.seed = settings.seed if settings.strategy == "sample" else None
        self._state: torch.Tensor | None = None

    def __enter__(self) -> None:
        if self.seed is not None:
            self._state = torch.random.get_rng_state()
            torch.manual_seed(self.seed)

    def __exit__(self, *exc: object) -> None:
        if self._state is not None:
            torch.random.set_rng_state(self._state)


def _image_processor(folder: Path) -> Any:
    # Pin the PIL backend where transformers offers a choice: it is what the model card's
    # processor did, and a torchvision backend resizes slightly differently.
    try:
        return AutoImageProcessor.from_pretrained(folder, local_files_only=True, trust_remote_code=False, backend="pil")
    except TypeError:  # older transformers: no `backend` argument
        return AutoImageProcessor.from_pretrained(folder, local_files_only=True, trust_remote_code=False, use_fast=False)
    except OSError as exc:
        raise ModelInvalidError(f"The model has no usable image preprocessor config: {exc}", path=folder) from None


class VisionEncoderDecoderAdapter(ModelAdapter):
    """ViT/Swin/DeiT encoder + GPT-2/BERT-style decoder (nlpconnect/vit-gpt2-image-captioning).

    Beam search and greedy decoding with a GPT-2 decoder run on the fast path (fast.py,
    search.py): the same tokens as generate() in float32, several times faster. Sampling,
    other decoders and unusual generation options use generate().
    """

    model_types = ("vision-encoder-decoder",)
    family = "vision-encoder-decoder"

    def __init__(self, folder: Path, **kwargs: Any) -> None:
        super().__init__(folder, **kwargs)
        self._fast_model_reason = fastpath.unsupported_reason(self.model)
        options = unsupported_generation_options(self.model.generation_config)
        if self._fast_model_reason is None and options:
            self._fast_model_reason = f"generation options {', '.join(options)}"
        if self.fast and self._fast_model_reason is not None:
            log.info("fast path not used for %s: %s", folder, self._fast_model_reason)
        # On NVIDIA GPUs each batch is one CUDA graph replay (cudagraph.py); ALTLENS_CUDA_GRAPHS=0
        # turns that off, and a failed capture turns it off for the session.
        self._graphs: Any = None
        self._graphs_wanted = self.device.type == "cuda" and os.environ.get("ALTLENS_CUDA_GRAPHS", "1") != "0"

    def fast_path_reason(self, settings: GenerationSettings) -> str | None:
        """Why `settings` would not run on the fast path (None when they would)."""
        if not self.fast:
            return "the fast path is switched off (backend 'torch')"
        if self._fast_model_reason is not None:
            return self._fast_model_reason
        if settings.strategy == "sample":
            return "sampling"
        return None

    @torch.inference_mode()
    def generate(
        self, inputs: dict[str, torch.Tensor], settings: GenerationSettings, cancel: CancelToken | None = None
    ) -> list[list[RawCandidate]]:
        if self.fast_path_reason(settings) is not None:
            return super().generate(inputs, settings, cancel)
        pixel_values = inputs["pixel_values"]
        batch = pixel_values.shape[0]
        if self._graphs_wanted:
            result = self._graphed(pixel_values, settings, cancel)
            if result is not None:
                return decode_candidates(self.tokenizer, result)
        states = fastpath.encode(self.model, pixel_values)
        decoder = fastpath.Gpt2StepDecoder(self.model.decoder, states, settings.max_length,
                                           cross_dtype=cross_attention_dtype(self.mode, self.device))
        result = run_search(decoder, batch, settings, self.model.generation_config, self.model.config,
                            self.eos_token_id, self.pad_token_id, cancel)
        return decode_candidates(self.tokenizer, result)

    def _graphed(
        self, pixel_values: torch.Tensor, settings: GenerationSettings, cancel: CancelToken | None
    ) -> SearchResult | None:
        from altlens.core.captioning.cudagraph import GraphedCaptioner

        if cancel is not None:
            cancel.raise_if_cancelled()
        try:
            if self._graphs is None:
                gen, cfg, eos, pad = self.model.generation_config, self.model.config, self.eos_token_id, self.pad_token_id
                self._graphs = GraphedCaptioner(
                    self.model,
                    lambda decoder, n, s, **kw: run_search(decoder, n, s, gen, cfg, eos, pad, None, **kw),
                    # torch.compile'd decoder steps: ~25% lower single-image latency on an H200,
                    # but ~40 s of compiling before the first caption, so only when asked for.
                    compile_step=os.environ.get("ALTLENS_CUDA_COMPILE", "0") == "1",
                )
            return self._graphs.run(pixel_values, settings)
        except Exception as exc:  # capture is fragile across drivers and models; eager still works
            log.warning("CUDA graphs switched off for this session (%s: %s)", type(exc).__name__, exc)
            self._graphs_wanted = False
            self._graphs = None
            return None

    def _special_tokens(self) -> tuple[int | None, int | None]:
        eos, pad = super()._special_tokens()
        cfg = self.model.config
        if self.model.generation_config.decoder_start_token_id is None and cfg.decoder_start_token_id is None:
            # Fine-tunes often forget it; GPT-2 decoders start from BOS (= EOS).
            start = cfg.decoder.bos_token_id if cfg.decoder.bos_token_id is not None else eos
            self.model.generation_config.decoder_start_token_id = start
        return eos, pad


class ProcessorAdapter(ModelAdapter):
    """Families whose AutoProcessor bundles image processor and tokenizer (BLIP, GIT)."""

    def _load_processing(self) -> None:
        self.processor = AutoProcessor.from_pretrained(self.folder, local_files_only=True, trust_remote_code=False)
        self.image_processor = self.processor.image_processor
        self.tokenizer = self.processor.tokenizer

    def generation_kwargs(self, settings: GenerationSettings) -> dict[str, Any]:
        kw = super().generation_kwargs(settings)
        # max_length counts prompt tokens for decoder-only models; captions need the budget.
        kw["max_new_tokens"] = kw.pop("max_length")
        return kw


class BlipAdapter(ProcessorAdapter):
    """Salesforce/blip-image-captioning-base and -large (unconditional captioning)."""

    model_types = ("blip",)
    family = "blip"

    def _special_tokens(self) -> tuple[int | None, int | None]:
        # BLIP's generate() ends captions at [SEP] and pads with text_config.pad_token_id,
        # whatever text_config.eos_token_id says (2 on the hub, a token BLIP never emits).
        text = self.model.config.text_config
        return text.sep_token_id, text.pad_token_id

    def generation_kwargs(self, settings: GenerationSettings) -> dict[str, Any]:
        kw = super().generation_kwargs(settings)
        # BLIP's generate() passes both to the text decoder itself; passing them again is
        # "got multiple values for keyword argument 'pad_token_id'" (issue 12).
        del kw["pad_token_id"], kw["eos_token_id"]
        return kw


class GitAdapter(ProcessorAdapter):
    """microsoft/git-base-coco and friends: a decoder-only model that echoes its BOS prompt."""

    model_types = ("git",)
    family = "git"

    def _strip_prompt(self, sequences: torch.Tensor, inputs: dict[str, torch.Tensor]) -> torch.Tensor:
        prompt = inputs.get("input_ids")
        return sequences[:, prompt.shape[1]:] if prompt is not None else sequences


ADAPTERS: dict[str, type[ModelAdapter]] = {
    model_type: cls
    for cls in (VisionEncoderDecoderAdapter, BlipAdapter, GitAdapter)
    for model_type in cls.model_types
}


def adapter_for(folder: Path) -> type[ModelAdapter]:
    # The declared family first: AutoConfig refuses a model_type transformers does not know
    # (or one that needs remote code) with a generic error, but the user needs to hear that
    # AltLens does not run that family and which ones it does.
    declared = _declared_model_type(folder)
    if declared is not None and declared not in ADAPTERS:
        raise _unsupported(declared, folder)
    try:
        config = AutoConfig.from_pretrained(folder, local_files_only=True, trust_remote_code=False)
    except (OSError, ValueError, KeyError) as exc:
        raise ModelInvalidError(f"The model's config.json cannot be read: {exc}", path=folder) from None
    cls = ADAPTERS.get(config.model_type)
    if cls is None:
        raise _unsupported(config.model_type, folder)
    return cls


def _declared_model_type(folder: Path) -> str | None:
    try:
        value = json.loads((folder / "config.json").read_text(encoding="utf-8")).get("model_type")
    except (OSError, ValueError, AttributeError):
        return None  # AutoConfig below reports what is wrong with the file
    return value if isinstance(value, str) else None


def _unsupported(model_type: str, folder: Path) -> ModelUnsupportedError:
    return ModelUnsupportedError(
        f"AltLens cannot run '{model_type}' models; supported families: {', '.join(sorted(ADAPTERS))}.",
        path=folder,
    )


# Prompted families (Florence-2, SmolVLM2) live in vlm.py and add themselves to ADAPTERS;
# imported last because vlm.py builds on the classes above.
import altlens.core.captioning.vlm  # noqa: E402,F401
