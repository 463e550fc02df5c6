# SPDX-License-Identifier: GPL-3.0-or-later
"""The captioner: images in, candidate captions out, in input order, in batches.

One Captioner is used by one thread at a time (the GUI's captioner thread, the CLI's main
thread). Images for the next batch are decoded on helper threads while the model works on
the current one; JPEG decoding and resizing release the GIL.
"""

from __future__ import annotations

import json
import logging
import os
import sys
import threading
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from altlens.core import gcpause
from altlens.core.captioning.backends import BACKENDS as BACKEND_REGISTRY
from altlens.core.captioning.backends import Request as BackendRequest
from altlens.core.captioning.loading import resolve_model
from altlens.core.captioning.numerics import MODES, resolve_mode
from altlens.core.captioning.settings import GenerationSettings
from altlens.core.captioning.tasks import FAMILY_TASKS
from altlens.core.errors import (
    AltLensError,
    CancelledError,
    CaptioningError,
    DeviceUnavailableError,
    UsageError,
)
from altlens.core.images import load_image
from altlens.core.jobs import CancelToken
from altlens.core.types import Candidate, CaptionResult, ErrorInfo
from PIL import Image

if TYPE_CHECKING:
    import torch
    from altlens.core.captioning.adapters import ModelAdapter

log = logging.getLogger(__name__)

Device = Literal["auto", "cpu", "cuda", "mps"]
DType = Literal["auto", "float32", "bfloat16", "float16", "int8", "mixed"]
Backend = Literal["auto", "torch", "reference", "onnx"]
DEVICES: tuple[str, ...] = ("auto", "cpu", "cuda", "mps")
DTYPES: tuple[str, ...] = MODES  # numeric modes, see numerics.py
#: The backends' names, from their registry (backends.py): auto, torch, reference, onnx.
BACKENDS: tuple[str, ...] = tuple(BACKEND_REGISTRY)
ImageInput = str | os.PathLike[str] | Image.Image
ProgressCallback = Callable[[int, int], None]  # (done, total)
# Two lanes of 12 images: a decoder step then multiplies 48 rows (12 images x 4 beams) by each
# weight matrix instead of 32, and the 124 MB of int8 decoder weights streamed from memory
# per step serve 12 images instead of 8: 24 photos took 5.8 instead of 6.2 s as a whole
# `altlens caption` on the 2-core benchmark machine, peak memory 1.38 instead of 0.97 GB
# (the model card's code: 1.6 GB). The window keeps its own, smaller default.
DEFAULT_BATCH_SIZE = 12
DECODE_NICE = 10


@dataclass(frozen=True)
class LoadedModelInfo:
    name: str  # what the user asked for (repo id, name or folder)
    folder: Path
    family: str
    device: str
    dtype: str  # the numeric mode that runs (float32, bfloat16, float16, int8, mixed)
    load_seconds: float
    backend: str = "auto"


class Captioner:
    """Caption images with a local Hugging Face image-to-text model.

    >>> cap = Captioner("tests/models/toy-captioner")          # doctest: +SKIP
    >>> cap.caption(["photo.jpg"])[0].caption                    # doctest: +SKIP
    'Two red circles on the left of a blue background'
    """

    def __init__(
        self,
        model: str | os.PathLike[str] | None = None,
        *,
        device: Device | str = "auto",
        dtype: DType | str = "auto",
        allow_download: bool = False,
        settings: GenerationSettings | None = None,
        batch_size: int = DEFAULT_BATCH_SIZE,
        decode_workers: int | None = None,
        backend: Backend | str = "auto",
        onnx_dir: str | os.PathLike[str] | None = None,
        lanes: int = 1,
    ) -> None:
        """`lanes`: how many batches go through the model at once on the CPU, each with its
        share of the cores (0: one per two cores where that pays, see `_lane_count`). A
        long-lived host that runs other models beside this one (the window) keeps 1."""
        if device not in DEVICES:
            raise UsageError(f"Unknown device {device!r}; use one of {', '.join(DEVICES)}.")
        if dtype not in DTYPES:
            raise UsageError(f"Unknown dtype {dtype!r}; use one of {', '.join(DTYPES)}.")
        if backend not in BACKENDS:
            raise UsageError(f"Unknown backend {backend!r}; use one of {', '.join(BACKENDS)}.")
        if backend == "reference" and dtype not in ("auto", "float32"):
            raise UsageError("The reference backend is the model card's float32 code; drop --dtype or use float32.")
        if batch_size < 1:
            raise UsageError(f"Batch size must be at least 1 (got {batch_size}).")
        if lanes < 0:
            raise UsageError(f"Lanes must be 0 (automatic) or more (got {lanes}).")
        self.lanes = lanes
        self.model_name = os.fspath(model) if model is not None else None
        self.requested_device = device
        self.requested_dtype = dtype
        self.allow_download = allow_download
        self.settings = settings or GenerationSettings()
        self.batch_size = batch_size
        self.backend = backend
        self.onnx_dir = Path(onnx_dir) if onnx_dir is not None else None
        self.decode_workers = decode_workers or min(4, os.cpu_count() or 1)
        # Niceness of the decode threads (Linux): above the model's threads, so decoding the
        # next batch takes idle CPU instead of preempting a matrix product that both cores
        # must finish (see benchmarks/RESULTS.md, "overlap").
        self.decode_nice = DECODE_NICE
        self._adapter: ModelAdapter | None = None
        self._folder: Path | None = None
        self.info: LoadedModelInfo | None = None

    # -- loading ---------------------------------------------------------------------------

    @property
    def loaded(self) -> bool:
        return self._adapter is not None

    def load(self) -> LoadedModelInfo:
        """Load the model now (otherwise the first caption call does). Raises ModelError
        subclasses with a readable message; nothing is downloaded unless allowed."""
        if self.info is not None:
            return self.info
        started = time.perf_counter()
        # resolved already when the first photos started decoding early (its checks parse
        # every JSON file of the model, ~0.1 s)
        folder = self._folder or resolve_model(self.model_name, allow_download=self.allow_download)
        from altlens.core.captioning.runtime import configure_openmp

        configure_openmp()  # before torch loads its OpenMP runtime (pick_device imports it)
        backend = BACKEND_REGISTRY[self.backend]
        device = pick_device(self.requested_device)
        if backend.device is not None and device != backend.device:
            if self.requested_device != "auto":
                raise UsageError(f"The {backend.label} backend runs on the {backend.device.upper()}; "
                                 f"use --device {backend.device} or another backend.")
            device = backend.device
        family = _declared_family(folder)
        if self.backend == "onnx" and family in FAMILY_TASKS:
            raise UsageError(f"The ONNX backend has no export for {family} models; use --backend auto or torch.")
        mode = backend.mode or resolve_mode(self.requested_dtype, device, family)
        log.info("loading %s (%s) on %s as %s, backend %s", folder, family, device, mode, backend.name)
        try:
            self._adapter = backend.load(BackendRequest(folder, device, mode, self.onnx_dir))
        except AltLensError:
            raise
        except Exception as exc:
            raise CaptioningError(f"The model could not be loaded: {type(exc).__name__}: {exc}") from exc
        finally:
            gcpause.resume()  # a command's start is over (gcpause.py)
        log.info("loaded with %s", type(self._adapter).__name__)
        self.info = LoadedModelInfo(
            name=self.model_name or folder.name,
            folder=folder,
            family=self._adapter.family,
            device=device,
            dtype=mode,
            load_seconds=time.perf_counter() - started,
            backend=self.backend,
        )
        return self.info

    @property
    def tasks(self) -> tuple[str, ...]:
        """What the loaded model can do: ("alt",) or ("alt", "long", "ocr"). Loads the model."""
        from altlens.core.captioning.tasks import tasks_for_family

        return tasks_for_family(self.load().family)

    @property
    def accepts_context(self) -> bool:
        """Whether describe() may pass `contexts` to this model. Loads the model."""
        from altlens.core.captioning.tasks import CONTEXT_FAMILIES

        return self.load().family in CONTEXT_FAMILIES

    @property
    def adapter(self) -> ModelAdapter:
        self.load()
        assert self._adapter is not None
        return self._adapter

    # -- captioning ------------------------------------------------------------------------

    def caption(
        self,
        images: Sequence[ImageInput],
        settings: GenerationSettings | None = None,
        *,
        cancel: CancelToken | None = None,
        progress: ProgressCallback | None = None,
    ) -> list[CaptionResult]:
        """Caption every image; a bad image yields a result with `error` and the rest go on."""
        return list(self.iter_caption(images, settings, cancel=cancel, progress=progress))

    def describe(
        self,
        images: Sequence[ImageInput],
        task: str = "alt",
        *,
        contexts: Sequence[str | None] | None = None,
        settings: GenerationSettings | None = None,
        max_new_tokens: int | None = None,
        cancel: CancelToken | None = None,
        progress: ProgressCallback | None = None,
    ) -> list[CaptionResult]:
        """Alt text, a long description ("long") or the text in the image ("ocr") for every
        image, with prompted models (Florence-2, SmolVLM2; see core/captioning/tasks.py).

        `contexts`, one per image (None for none), is text the person has seen and approved
        (core/captioning/context.py builds it); only instruction-following models take it.
        `max_new_tokens` is the answer's token budget (default: the task's). An empty answer
        or one that runs out of budget is that image's error (codes "empty-answer",
        "runaway-answer"); the rest go on.
        """
        return list(self.iter_caption(images, settings, cancel=cancel, progress=progress, task=task,
                                      contexts=contexts, max_new_tokens=max_new_tokens))

    def iter_caption(
        self,
        images: Iterable[ImageInput],
        settings: GenerationSettings | None = None,
        *,
        cancel: CancelToken | None = None,
        progress: ProgressCallback | None = None,
        task: str = "alt",
        contexts: Sequence[str | None] | None = None,
        max_new_tokens: int | None = None,
    ) -> Iterator[CaptionResult]:
        """Yield one CaptionResult per input, in input order, batch by batch.

        Cancellation is checked between batches and inside generation; a cancelled run
        raises CancelledError after yielding the batches that finished. `task`, `contexts`
        and `max_new_tokens`: see describe().
        """
        from altlens.core.captioning.tasks import check_task

        settings = settings or self.settings
        items = list(images)
        check_task(task)
        if contexts is not None and len(contexts) != len(items):
            raise UsageError(f"Got {len(contexts)} contexts for {len(items)} images; give one per image (None for none).")
        request = _Request(task, list(contexts) if contexts is not None else [None] * len(items), max_new_tokens)
        # A task or context the model may refuse is checked against the loaded model first.
        plain = task == "alt" and not (contexts is not None and any(contexts)) and max_new_tokens is None
        reference = self.backend == "reference"
        # Where the input size is known before the model loads, the first batch of photos is
        # decoded on the helper threads while this thread imports torch and maps the weights.
        early_size = None if self.loaded or reference or not items or not plain else self._early_image_size()
        ready = threading.Event()
        if early_size is None:
            self.load()
            ready.set()
            self._check_request(request, max_new_tokens)
        # The reference decodes every photo at full size and runs one image per call, as the
        # model card's code does; everything else decodes JPEGs at reduced scale (draft mode).
        size: tuple[int, int] | None = None if reference else early_size or self.adapter.image_size
        batch_size = 1 if reference else self.batch_size
        batches = _split(len(items), batch_size, 1 if self.lanes == 1 or reference else 2)
        done = 0
        with ThreadPoolExecutor(
            max_workers=self.decode_workers, thread_name_prefix="altlens-decode", initializer=_decode_thread_setup,
            initargs=(self.decode_nice,),
        ) as pool:

            def submit(batch: list[int]) -> list[Future[torch.Tensor | Image.Image]]:
                return [pool.submit(self._prepare, ready, items[i], size) for i in batch]

            # Batch number -> its photos being decoded. Two batches start at once: while the
            # model loads, or the first two lanes would wait for the second batch's photos.
            decoding = {n: submit(batches[n]) for n in range(min(2, len(batches)))}
            if not ready.is_set():
                try:
                    self.load()
                finally:
                    ready.set()  # decode threads waiting for the model go on (or fail) now
                self._check_request(request, max_new_tokens)
            model_label = self.info.name if self.info else ""
            lanes = self._lane_count(len(batches), plain)
            if lanes > 1:
                runs = self._in_lanes(lanes, items, batches, decoding, submit, settings, cancel, model_label, request)
                for batch, results in zip(batches, runs, strict=True):
                    yield from results
                    done += len(batch)
                    if progress is not None:
                        progress(done, len(items))
                return
            for n, batch in enumerate(batches):
                if cancel is not None:
                    cancel.raise_if_cancelled()
                futures = decoding.pop(n)
                # Decode the next batch while this one runs through the model.
                if n + 1 < len(batches) and n + 1 not in decoding:
                    decoding[n + 1] = submit(batches[n + 1])
                yield from self._run_batch(items, batch, futures, settings, cancel, model_label, request)
                done += len(batch)
                if progress is not None:
                    progress(done, len(items))

    def _lane_count(self, n_batches: int, plain: bool) -> int:
        """Lanes for this run. Automatic: two on a CPU with 2+ cores, for the fast path's alt
        text with more than one batch, each lane with half of torch's threads. A decoder step
        is ~1,000 small operations, most too small for torch to split across threads, so one
        model call keeps about one core busy; two calls side by side keep two. On the 2-core
        benchmark machine: 0.22 instead of 0.33 s per photo (in one process, 24 photos)."""
        if n_batches < 2 or self.info is None or self.info.device != "cpu" or not plain:
            return 1
        if self.lanes:
            return min(self.lanes, n_batches)
        if getattr(self._adapter, "prompted", False) or self.backend != "auto":
            return 1
        return 2 if (os.cpu_count() or 1) >= 2 else 1

    def _in_lanes(
        self,
        lanes: int,
        items: list[ImageInput],
        batches: list[list[int]],
        decoded: dict[int, list[Future[torch.Tensor | Image.Image]]],
        submit: Callable[[list[int]], list[Future[torch.Tensor | Image.Image]]],
        settings: GenerationSettings,
        cancel: CancelToken | None,
        model_label: str,
        request: _Request,
    ) -> Iterator[list[CaptionResult]]:
        """Each batch's results, in order, with up to `lanes` batches in the model at once and
        the photos of one more being decoded (never more: a big run's decoded photos would
        not fit in memory). torch's threads are shared out between the lanes for the run and
        given back after."""
        import torch

        def run(n: int) -> list[CaptionResult]:
            futures = decoded.pop(n)
            return list(self._run_batch(items, batches[n], futures, settings, cancel, model_label, request))

        def start(n: int) -> Future[list[CaptionResult]]:
            for m in range(n, min(n + 2, len(batches))):  # this batch and the next one decode
                if m not in decoded:
                    decoded[m] = submit(batches[m])
            return pool.submit(run, n)

        threads = torch.get_num_threads()
        torch.set_num_threads(max(1, threads // lanes))
        try:
            with ThreadPoolExecutor(max_workers=lanes, thread_name_prefix="altlens-lane") as pool:
                running = [start(n) for n in range(min(lanes, len(batches)))]
                for n in range(len(batches)):
                    if cancel is not None and cancel.cancelled:
                        for f in running:
                            f.cancel()  # not started yet: never starts; running: stops at its next check
                        cancel.raise_if_cancelled()
                    results = running.pop(0).result()  # a batch cancelled while running raises CancelledError
                    if n + lanes < len(batches):
                        running.append(start(n + lanes))
                    yield results
        finally:
            torch.set_num_threads(threads)

    def _check_request(self, request: _Request, max_new_tokens: int | None) -> None:
        """Refuse a task, context or budget the loaded model cannot take (before any work)."""
        from altlens.core.captioning.tasks import token_budget

        adapter = self.adapter
        task, contexts = request.task, request.contexts
        if getattr(adapter, "prompted", False):
            token_budget(task, max_new_tokens)  # a bad budget is the caller's error, before any work
            if task not in adapter.tasks:  # type: ignore[attr-defined]
                raise UsageError(f"This model ({adapter.family}) cannot do '{task}'.")
            if any(contexts) and not adapter.accepts_context:  # type: ignore[attr-defined]
                raise UsageError(f"This model ({adapter.family}) takes no context; its tasks are fixed. Drop the context.")
            return
        if task != "alt":
            raise UsageError(
                f"This model ({adapter.family}) writes alt text only; long descriptions and text in the "
                "image need a prompted model (florence-2-base, florence-2-large, smolvlm2-256m, smolvlm2-500m)."
            )
        if any(contexts):
            raise UsageError(f"This model ({adapter.family}) takes no context; use a SmolVLM2 model for that.")

    def _early_image_size(self) -> tuple[int, int] | None:
        """The model's input size, read from its preprocessor config without loading it, for
        models the transformers-free path runs (None: decode after loading, as before)."""
        if self.backend != "auto" or self.requested_device not in ("auto", "cpu"):
            return None
        try:
            folder = self._folder = resolve_model(self.model_name, allow_download=False)
        except AltLensError:
            return None  # load() reports it, with the download it may be allowed
        from altlens.core.captioning import vitgpt2

        return vitgpt2.image_size(folder) if vitgpt2.unsupported_reason(folder) is None else None

    def _prepare(self, ready: threading.Event, item: ImageInput, size: tuple[int, int] | None) -> torch.Tensor | Image.Image:
        """Decode one image and, with the model loaded, preprocess it; on a decode thread. A
        photo decoded while the model still loads is handed on as it is (its batch preprocesses
        it): a decode thread that waited for the model would decode no other photo meanwhile."""
        image = _to_image(item, size)
        if not ready.is_set():
            return image
        if self._adapter is None:
            raise CaptioningError("The model could not be loaded.")
        return self._adapter.pixel_values([image])

    def _run_batch(
        self,
        items: list[ImageInput],
        batch: list[int],
        futures: list[Future[torch.Tensor | Image.Image]],
        settings: GenerationSettings,
        cancel: CancelToken | None,
        model_label: str,
        request: _Request | None = None,
    ) -> Iterator[CaptionResult]:
        request = request or _Request("alt", [None] * len(items), None)
        started = time.perf_counter()
        decoded: dict[int, torch.Tensor] = {}
        errors: dict[int, ErrorInfo] = {}
        for i, fut in zip(batch, futures, strict=True):
            try:
                value = fut.result()
                decoded[i] = self.adapter.pixel_values([value]) if isinstance(value, Image.Image) else value
            except Exception as exc:  # every failure becomes this image's error, never the batch's
                errors[i] = ErrorInfo.from_exception(exc)
        captions: dict[int, tuple[Candidate, ...] | AltLensError] = {}
        if decoded:
            order = list(decoded)
            try:
                captions = dict(zip(order, self._caption_images([decoded[i] for i in order], settings, cancel,
                                                                request.for_images(order)), strict=True))
            except CancelledError:
                raise
            except Exception as exc:
                # One image can break a batch (a model that rejects its shape, out of memory):
                # retry one by one so only that image fails.
                log.warning("batch of %d failed (%s); retrying images one by one", len(order), exc)
                for i in order:
                    try:
                        captions[i] = self._caption_images([decoded[i]], settings, cancel, request.for_images([i]))[0]
                    except CancelledError:
                        raise
                    except Exception as one_exc:
                        errors[i] = ErrorInfo.from_exception(_as_captioning_error(one_exc))
        for i, cands in captions.items():
            if isinstance(cands, AltLensError):  # a prompted model's per-image error (empty, runaway)
                errors[i] = ErrorInfo(cands.code, f"{_name(items[i], i)}: {cands}")
            elif not cands and i not in errors:
                if request.task != "alt" or getattr(self._adapter, "prompted", False):
                    from altlens.core.captioning.tasks import EmptyAnswerError, empty_message

                    errors[i] = ErrorInfo(EmptyAnswerError.code, f"{_name(items[i], i)}: {empty_message(request.task)}")
                else:
                    errors[i] = ErrorInfo("empty-caption", f"{_name(items[i], i)}: The model produced no text for this image.")
        per_image = (time.perf_counter() - started) / max(1, len(batch))
        for i in batch:
            path = Path(items[i]) if isinstance(items[i], (str, os.PathLike)) else None
            if i in errors:
                yield CaptionResult(i, path, error=errors[i], model=model_label, seconds=per_image)
            else:
                cands = captions[i]
                assert not isinstance(cands, AltLensError)
                yield CaptionResult(i, path, candidates=cands, model=model_label, seconds=per_image)

    def _caption_images(
        self,
        pixels: list[Any],
        settings: GenerationSettings,
        cancel: CancelToken | None,
        request: _Request | None = None,
    ) -> list[tuple[Candidate, ...] | AltLensError]:
        import torch

        adapter = self.adapter
        request = request or _Request("alt", [None] * len(pixels), None)
        if getattr(adapter, "prompted", False):
            # Prompted families get the decoded images and process them per batch (vlm.py).
            answers = adapter.describe(  # type: ignore[attr-defined]
                pixels, settings, task=request.task, contexts=request.contexts,
                max_new_tokens=request.max_new_tokens, cancel=cancel,
            )
            return [a if isinstance(a, AltLensError) else _candidates(a, settings, request.task) for a in answers]
        inputs = adapter.to_inputs(torch.cat(pixels, dim=0))
        raw = adapter.generate(inputs, settings, cancel)
        return [_candidates(cands, settings) for cands in raw]


@dataclass(frozen=True)
class _Request:
    """What a describe() call asks of every image: the task, each image's context, the budget."""

    task: str
    contexts: list[str | None]
    max_new_tokens: int | None

    def for_images(self, indices: list[int]) -> _Request:
        return _Request(self.task, [self.contexts[i] for i in indices], self.max_new_tokens)


def _split(n: int, batch_size: int, lanes: int) -> list[list[int]]:
    """Indices 0..n-1 in batches of at most `batch_size`, as even as possible and, with more
    than one lane, as many as a multiple of the lanes: 24 photos in batches of 8 on 2 lanes
    would leave one lane idle for the third batch, 4 batches of 6 keep both busy."""
    count = -(-n // batch_size)
    size = batch_size
    if lanes > 1 and count > 1:
        size = -(-n // min(n, count + (-count) % lanes))
    return [list(range(i, min(i + size, n))) for i in range(0, n, size)]


def _candidates(raw: list[tuple[str, float]], settings: GenerationSettings, task: str = "alt") -> tuple[Candidate, ...]:
    """Clean up, then merge candidates that became the same text (keeping the best score)."""
    from altlens.core.captioning.tasks import clean_answer

    best: dict[str, float] = {}
    for text, score in raw:
        clean = clean_answer(text, task, repetition_guard=settings.repetition_guard)
        if clean and (clean not in best or score > best[clean]):
            best[clean] = score
    ordered = sorted(best.items(), key=lambda kv: -kv[1])
    return tuple(Candidate(text, score) for text, score in ordered)


def _name(item: ImageInput, index: int) -> str:
    """How an error message names an input: its path, or for an in-memory image its position
    in the call (a PIL repr with a memory address tells a person nothing)."""
    if isinstance(item, (str, os.PathLike)):
        return os.fspath(item)
    return f"Image {index + 1} of the input"


def _decode_thread_setup(nice: int) -> None:
    if nice and sys.platform.startswith("linux"):
        try:  # Linux applies setpriority to a single thread when given its id
            os.setpriority(os.PRIO_PROCESS, threading.get_native_id(), nice)
        except OSError as exc:
            log.debug("could not lower the decode thread's priority: %s", exc)


def _to_image(item: ImageInput, size: tuple[int, int] | None) -> Image.Image:
    if isinstance(item, Image.Image):
        from altlens.core.images import to_rgb

        return to_rgb(item)
    if isinstance(item, str) and item.startswith(("http://", "https://")):
        raise UsageError(f"{item}: AltLens works offline and does not fetch URLs; download the image first.")
    return load_image(item, target_size=size)


def _as_captioning_error(exc: BaseException) -> AltLensError:
    if isinstance(exc, AltLensError):
        return exc
    if isinstance(exc, MemoryError) or "out of memory" in str(exc).lower():
        return CaptioningError("Not enough memory to caption this image; try a smaller batch or the CPU.")
    return CaptioningError(f"The model failed on this image: {type(exc).__name__}: {exc}")


def pick_device(requested: str) -> str:
    import torch

    if requested == "auto":
        if torch.cuda.is_available():
            return "cuda"
        if getattr(torch.backends, "mps", None) is not None and torch.backends.mps.is_available():
            return "mps"
        return "cpu"
    if requested == "cuda" and not torch.cuda.is_available():
        raise DeviceUnavailableError(
            "No usable NVIDIA GPU was found (CUDA is not available to this installation of torch).",
            hint="Use --device cpu, or install a CUDA build of torch.",
        )
    if requested == "mps" and not (getattr(torch.backends, "mps", None) is not None and torch.backends.mps.is_available()):
        raise DeviceUnavailableError("Apple's Metal (MPS) device is not available on this computer.", hint="Use --device cpu.")
    return requested


def _declared_family(folder: Path) -> str | None:
    """config.json's model_type, read without torch (the adapters check it properly)."""
    try:
        value = json.loads((folder / "config.json").read_text(encoding="utf-8")).get("model_type")
    except (OSError, ValueError, AttributeError):
        return None
    return value if isinstance(value, str) else None
