# SPDX-License-Identifier: GPL-3.0-or-later
"""Export a ViT-GPT-2 captioning model to ONNX: an encoder and a one-token decoder step.

    encoder.onnx  pixel_values [images, 3, H, W] -> cross_key_i, cross_value_i
                  [images, heads, patches, head_dim] for every decoder layer i: the image's
                  cross-attention keys and values, computed once per image.
    decoder.onnx  input_ids [rows], position [1], past_key_i / past_value_i
                  [rows, heads, past, head_dim], cross_key_i / cross_value_i ->
                  logits [rows, vocab], present_key_i / present_value_i (past + this token).
                  Rows are grouped by image (rows / images of them per image: the beams),
                  and the beams of an image attend to its keys/values together, so
                  nothing per image is repeated per beam or per step.

optimum's export recomputes the cross-attention keys/values from the encoder states at every
step (83% of a beam-4 step's work, PERFORMANCE.md); this layout does not. int8 exports are
quantized with onnxruntime's `quantize_dynamic` (weights int8 per channel, activations at
run time).

An export is written to a temporary folder next to its destination and renamed into place
when complete, with a manifest naming the model files it came from, so an interrupted export
never looks usable and a changed model is detected.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import shutil
import tempfile
import time
import warnings
from collections.abc import Callable
from pathlib import Path
from typing import Any

from altlens.core import fsutil
from altlens.core.errors import AltLensError, ModelInvalidError, ModelUnsupportedError, UsageError
from altlens.core.paths import app_dirs

log = logging.getLogger(__name__)

FORMAT_VERSION = 1
OPSET = 17
ONNX_MODES: tuple[str, ...] = ("float32", "int8")
MANIFEST = "altlens-onnx.json"
_SOURCE_FILES = ("config.json", "generation_config.json", "model.safetensors", "pytorch_model.bin")


class OnnxExportError(AltLensError):
    code = "onnx-export-failed"


def default_onnx_root(folder: Path) -> Path:
    """Where exports of the model in `folder` live by default (one subfolder per mode)."""
    folder = Path(folder).resolve()
    # A hub snapshot folder is named by its commit; name the export after the repository.
    label = folder.parent.parent.name if folder.parent.name == "snapshots" else folder.name
    digest = hashlib.sha256(str(folder).encode("utf-8")).hexdigest()[:10]
    return app_dirs().cache / "onnx" / f"{label}-{digest}"


def source_fingerprint(folder: Path) -> dict[str, list[int]]:
    """Size and modification time of the files an export depends on."""
    out: dict[str, list[int]] = {}
    for name in _SOURCE_FILES:
        p = Path(folder) / name
        if p.is_file():
            st = p.stat()
            out[name] = [st.st_size, st.st_mtime_ns]
    return out


def read_manifest(export_dir: Path) -> dict[str, Any] | None:
    try:
        data = json.loads((export_dir / MANIFEST).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return data if isinstance(data, dict) else None


#: The steps of an export, as `progress(step, number, total)` reports them.
STEPS = ("loading the model", "exporting the encoder", "exporting the decoder", "quantizing to int8", "saving")


def export_onnx(
    folder: Path,
    out_dir: Path | None = None,
    *,
    int8: bool = False,
    overwrite: bool = True,
    progress: Callable[[str, int, int], None] | None = None,
) -> Path:
    """Export the model in `folder`; return the export folder (`out_dir`, or the default
    location under the cache, `<root>/float32` or `<root>/int8`). `progress(step, n, total)`
    is called as each of STEPS (without quantizing unless int8) begins."""
    import torch

    steps = [s for s in STEPS if int8 or s != "quantizing to int8"]

    def report(name: str) -> None:
        if progress is not None:
            progress(name, steps.index(name) + 1, len(steps))

    mode = "int8" if int8 else "float32"
    dest = Path(out_dir) if out_dir is not None else default_onnx_root(folder) / mode
    if dest.exists() and not overwrite:
        raise UsageError(f"{dest} already exists.")
    if dest.exists() and not dest.is_dir():
        raise UsageError(f"{dest} exists and is not a folder.")
    if dest.is_dir() and any(dest.iterdir()) and read_manifest(dest) is None:
        # Never delete a folder we did not write.
        raise UsageError(f"{dest} is not empty and is not an AltLens ONNX export; choose an empty folder.")
    dest.parent.mkdir(parents=True, exist_ok=True)
    started = time.perf_counter()
    report("loading the model")
    model = _load_for_export(folder)
    work = Path(tempfile.mkdtemp(prefix=".export-", dir=dest.parent))
    try:
        with torch.inference_mode(False), torch.no_grad(), warnings.catch_warnings():
            # The TorchScript exporter is deprecated in favour of the dynamo one, which needs
            # the onnxscript package AltLens does not depend on; its warnings (deprecation,
            # tracer notes about shape arithmetic) are expected and say nothing to users.
            warnings.simplefilter("ignore")
            info = _export_graphs(model, work, report)
        if int8:
            report("quantizing to int8")
            _quantize(work)
        report("saving")
        manifest = {
            "format": FORMAT_VERSION,
            "mode": mode,
            "opset": OPSET,
            "model_folder": str(Path(folder).resolve()),
            "source": source_fingerprint(folder),
            "created": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
            **info,
        }
        (work / MANIFEST).write_text(json.dumps(manifest, indent=2), encoding="utf-8")
        _fsync_dir_files(work)
        if dest.exists():
            old = dest.with_name(dest.name + f".old-{os.getpid()}")
            fsutil.replace(dest, old)
            fsutil.replace(work, dest)
            fsutil.fsync_dir(dest.parent)
            shutil.rmtree(old, ignore_errors=True)
        else:
            fsutil.replace(work, dest)
            fsutil.fsync_dir(dest.parent)
    except AltLensError:
        shutil.rmtree(work, ignore_errors=True)
        raise
    except Exception as exc:
        shutil.rmtree(work, ignore_errors=True)
        raise OnnxExportError(f"Exporting the model to ONNX failed: {type(exc).__name__}: {exc}") from exc
    log.info("exported %s to %s (%s) in %.1f s", folder, dest, mode, time.perf_counter() - started)
    return dest


def _fsync_dir_files(folder: Path) -> None:
    """Every file of the finished export, and the folder's own entries, on disk before the
    folder is renamed into place."""
    for p in folder.iterdir():
        if p.is_file():
            fsutil.fsync_file(p)
    fsutil.fsync_dir(folder)


def _load_for_export(folder: Path) -> Any:
    import torch
    from altlens.core.captioning import fast
    from transformers import AutoConfig, VisionEncoderDecoderModel

    try:
        config = AutoConfig.from_pretrained(folder, local_files_only=True, trust_remote_code=False)
    except (OSError, ValueError, KeyError) as exc:
        raise ModelInvalidError(f"The model's config.json cannot be read: {exc}", path=folder) from None
    if config.model_type != "vision-encoder-decoder":
        raise ModelUnsupportedError(
            f"ONNX export covers ViT-GPT-2 style models (vision-encoder-decoder); this one is '{config.model_type}'.",
            path=folder,
        )
    try:
        model = VisionEncoderDecoderModel.from_pretrained(
            folder, dtype=torch.float32, local_files_only=True, trust_remote_code=False, attn_implementation="eager"
        ).eval()
    except (OSError, ValueError, KeyError) as exc:
        raise ModelInvalidError(f"The model could not be loaded: {exc}", path=folder) from None
    reason = fast.unsupported_reason(model)
    if reason is not None:
        raise ModelUnsupportedError(f"ONNX export does not cover this model: {reason}.", path=folder)
    return model


def _wrappers(model: Any) -> tuple[Any, Any]:
    import torch
    from altlens.core.captioning import fast

    dec = model.decoder
    blocks = list(dec.transformer.h)

    class Encoder(torch.nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.model = model

        def forward(self, pixel_values: torch.Tensor) -> tuple[torch.Tensor, ...]:
            # The image's cross-attention keys/values, once per image (the decoder step
            # takes them as inputs and never recomputes them).
            states = fast.encode(self.model, pixel_values)
            return tuple(t for kv in fast.cross_keys_values(dec, states) for t in kv)

    class Step(torch.nn.Module):
        """fast.gpt2_step with the cache passed in and out (ONNX has no state): each layer's
        past keys/values come in, past + this token's go out. transformers' eager attention
        formula (the model is loaded with it), which exports to plain MatMul/Softmax."""

        def __init__(self) -> None:
            super().__init__()
            self.dec = dec

        def forward(self, input_ids: torch.Tensor, position: torch.Tensor, *caches: torch.Tensor) -> tuple[torch.Tensor, ...]:
            n_layers = len(blocks)
            past = caches[: 2 * n_layers]
            cross = caches[2 * n_layers :]
            presents: list[torch.Tensor] = []

            def self_attention(i: int, q: torch.Tensor, k: torch.Tensor, v: torch.Tensor, scale: float) -> torch.Tensor:
                k = torch.cat((past[2 * i], k), dim=2)
                v = torch.cat((past[2 * i + 1], v), dim=2)
                presents.extend((k, v))
                return fast.eager_attention(q, k, v, scale)

            logits = fast.gpt2_step(dec, input_ids, position[None, :], self_attention, cross[0::2], cross[1::2],
                                    fast.eager_attention)
            return (logits, *presents)

    return Encoder().eval(), Step().eval()


def _export_graphs(model: Any, work: Path, report: Callable[[str], None] = lambda step: None) -> dict[str, Any]:
    import torch

    report("exporting the encoder")
    enc, step = _wrappers(model)
    cfg = model.decoder.config
    n_layers = cfg.num_hidden_layers
    heads = cfg.num_attention_heads
    head_dim = cfg.hidden_size // heads
    size = model.config.encoder.image_size
    channels = getattr(model.config.encoder, "num_channels", 3)
    pixel = torch.zeros(2, channels, size, size)
    cross = enc(pixel)
    patches = cross[0].shape[2]
    kv_names = [f"cross_{kind}_{i}" for i in range(n_layers) for kind in ("key", "value")]
    torch.onnx.export(
        enc,
        (pixel,),
        str(work / "encoder.onnx"),
        input_names=["pixel_values"],
        output_names=kv_names,
        dynamic_axes={"pixel_values": {0: "images"}, **{k: {0: "images"} for k in kv_names}},
        opset_version=OPSET,
        dynamo=False,
        do_constant_folding=True,
    )
    report("exporting the decoder")
    rows, past_len = 4, 3  # 2 images x 2 beams, 3 tokens so far
    ids = torch.zeros(rows, dtype=torch.int64)
    position = torch.tensor([past_len], dtype=torch.int64)
    past = [torch.zeros(rows, heads, past_len, head_dim) for _ in range(2 * n_layers)]
    past_names = [f"past_{kind}_{i}" for i in range(n_layers) for kind in ("key", "value")]
    present_names = [f"present_{kind}_{i}" for i in range(n_layers) for kind in ("key", "value")]
    dyn: dict[str, dict[int, str]] = {"input_ids": {0: "rows"}, "logits": {0: "rows"}}
    dyn.update({k: {0: "rows", 2: "past"} for k in past_names})
    dyn.update({k: {0: "rows", 2: "total"} for k in present_names})
    dyn.update({k: {0: "images"} for k in kv_names})
    torch.onnx.export(
        step,
        (ids, position, *past, *cross),
        str(work / "decoder.onnx"),
        input_names=["input_ids", "position", *past_names, *kv_names],
        output_names=["logits", *present_names],
        dynamic_axes=dyn,
        opset_version=OPSET,
        dynamo=False,
        do_constant_folding=True,
    )
    return {
        "layers": n_layers,
        "heads": heads,
        "head_dim": head_dim,
        "patches": int(patches),
        "image_size": int(size),
        "vocab": int(cfg.vocab_size),
        "max_positions": int(cfg.n_positions),
    }


class _DropOnnxruntimeNotes(logging.Filter):
    """onnxruntime's quantizer logs advice and per-tensor notes on the root logger; they are
    expected for these graphs and would fill the user's log."""

    def filter(self, record: logging.LogRecord) -> bool:
        return "onnxruntime" not in record.pathname


def _quantize(work: Path) -> None:
    from onnxruntime.quantization import QuantType, quantize_dynamic

    notes = _DropOnnxruntimeNotes()
    root = logging.getLogger()
    root.addFilter(notes)
    try:
        for name in ("encoder.onnx", "decoder.onnx"):
            src = work / name
            tmp = work / f"{name}.int8"
            quantize_dynamic(str(src), str(tmp), weight_type=QuantType.QInt8, per_channel=True)
            fsutil.replace(tmp, src)  # fsync'd with the whole folder before it is renamed
    finally:
        root.removeFilter(notes)
