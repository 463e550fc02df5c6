# SPDX-License-Identifier: GPL-3.0-or-later
"""Which files make a captioning model, which of them AltLens fetches or copies, whether a
folder is complete, and the hashes used to check files.

Weights policy (never unpickle arbitrary files):
- safetensors weights are preferred; when a model has them, pickle-based weight files
  (`*.bin`, `*.pt`, `*.ckpt`, `*.pth`, `*.pkl`) are never downloaded, copied or read;
- a model that has only `pytorch_model.bin` (the default nlpconnect model at its pinned
  revision is one) is accepted and loaded with `torch.load(weights_only=True)`, torch's
  restricted unpickler that builds tensors and plain containers and refuses to import or call
  anything else;
- TensorFlow, Flax, ONNX and other formats are skipped.

Plain stdlib; cheap to import.
"""

from __future__ import annotations

import hashlib
import json
import struct
import zipfile
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from altlens.core import fsutil
from altlens.core.captioning.registry import SUPPORTED_FAMILIES

WeightsFormat = Literal["safetensors", "pytorch"]

SAFETENSORS = "model.safetensors"
SAFETENSORS_INDEX = "model.safetensors.index.json"
PYTORCH = "pytorch_model.bin"
PYTORCH_INDEX = "pytorch_model.bin.index.json"
PICKLE_SUFFIXES = (".bin", ".pt", ".pth", ".ckpt", ".pkl", ".pickle")

# Everything besides the weights that loading a model, its processor and tokenizer may read,
# plus the model card and licence so they travel with the weights.
SUPPORT_FILES = frozenset(
    {
        "config.json",
        "generation_config.json",
        "preprocessor_config.json",
        "processor_config.json",
        "image_processor_config.json",
        "tokenizer.json",
        "tokenizer_config.json",
        "special_tokens_map.json",
        "added_tokens.json",
        "vocab.json",
        "vocab.txt",
        "merges.txt",
        "spiece.model",
        "sentencepiece.bpe.model",
        "tokenizer.model",
        "chat_template.json",
        "chat_template.jinja",
        "README.md",
        "LICENSE",
        "LICENSE.txt",
        "LICENSE.md",
    }
)

MANIFEST_NAME = ".altlens-manifest.json"
HASH_CHUNK = 1 << 20


@dataclass(frozen=True)
class Selection:
    """The files to fetch or copy out of a repository or folder listing."""

    files: tuple[str, ...]
    weights_format: WeightsFormat
    weight_files: tuple[str, ...]
    skipped: tuple[str, ...]


def select_files(names: Iterable[str], *, index: dict[str, Any] | None = None) -> Selection:
    """Choose config, processor, tokenizer and one set of weights from the repo's file names.

    Only top-level files count: sub-folders hold other formats (onnx/, tf/, coreml/) or
    unrelated checkpoints. `index` is the parsed `*.index.json` of sharded weights, when the
    caller has it; otherwise every shard named like `model-00001-of-00003.safetensors` is taken.
    Raises ModelUnsupportedError when there are no usable PyTorch weights.
    """
    from altlens.core.errors import ModelUnsupportedError

    all_names = sorted(set(names))
    top = [n for n in all_names if "/" not in n]
    top_set = set(top)
    weights: list[str]
    fmt: WeightsFormat
    if SAFETENSORS_INDEX in top_set:
        fmt = "safetensors"
        weights = [SAFETENSORS_INDEX, *_shards(top, index, ".safetensors")]
    elif SAFETENSORS in top_set:
        fmt, weights = "safetensors", [SAFETENSORS]
    elif PYTORCH_INDEX in top_set:
        fmt = "pytorch"
        weights = [PYTORCH_INDEX, *_shards(top, index, ".bin")]
    elif PYTORCH in top_set:
        fmt, weights = "pytorch", [PYTORCH]
    else:
        others = [
            n
            for n in top
            if n.endswith((".h5", ".msgpack", ".onnx", ".gguf", ".ckpt", ".pt", ".pth"))
        ]
        found = f" (it has {', '.join(others)})" if others else ""
        raise ModelUnsupportedError(
            "This model has no PyTorch weights in safetensors or pytorch_model.bin form"
            f"{found}; AltLens cannot run it."
        )
    support = [n for n in top if n in SUPPORT_FILES]
    files = tuple(dict.fromkeys([*support, *weights]))
    skipped = tuple(n for n in all_names if n not in files and not n.startswith("."))
    return Selection(files=files, weights_format=fmt, weight_files=tuple(weights), skipped=skipped)


def _shards(top: list[str], index: dict[str, Any] | None, suffix: str) -> list[str]:
    if index is not None and isinstance(index.get("weight_map"), dict):
        return sorted({str(v) for v in index["weight_map"].values()})
    stem = "model-" if suffix == ".safetensors" else "pytorch_model-"
    return [n for n in top if n.startswith(stem) and "-of-" in n and n.endswith(suffix)]


def weights_complete(folder: Path) -> bool:
    """Whether a folder has a config and all its weights (every shard of a sharded model):
    what makes a hub snapshot usable rather than a download still in progress."""
    if not (folder / "config.json").exists():
        return False
    for index_name, single in ((SAFETENSORS_INDEX, SAFETENSORS), (PYTORCH_INDEX, PYTORCH)):
        index = folder / index_name
        if index.exists():
            try:
                shards = set(json.loads(index.read_text(encoding="utf-8"))["weight_map"].values())
            except (OSError, ValueError, KeyError, TypeError, AttributeError):
                return False
            return bool(shards) and all((folder / str(s)).exists() for s in shards)
        if (folder / single).exists():
            return True
    return False


# -- checking a folder -------------------------------------------------------------------


@dataclass(frozen=True)
class Problem:
    part: str  # "config", "weights", "image preprocessor", "tokenizer"
    message: str

    def to_dict(self) -> dict[str, str]:
        return {"part": self.part, "message": self.message}


@dataclass(frozen=True)
class FolderCheck:
    folder: Path
    problems: tuple[Problem, ...]
    family: str | None = None
    weights_format: WeightsFormat | None = None
    files: tuple[str, ...] = ()  # what an import copies
    skipped: tuple[str, ...] = ()  # present but not needed (other formats, training state)
    notes: tuple[str, ...] = field(default=())

    @property
    def ok(self) -> bool:
        return not self.problems

    def explain(self) -> str:
        lines = [f"- {p.part}: {p.message}" for p in self.problems]
        return "\n".join(lines)


def check_folder(folder: Path) -> FolderCheck:
    """Check that `folder` holds everything AltLens needs to load a captioning model, without
    importing torch: config (with a supported model_type), complete weights (safetensors
    headers match the file size; every shard present), an image preprocessor config and a
    tokenizer. Each missing or damaged part gets its own message saying what to copy."""
    problems: list[Problem] = []
    notes: list[str] = []
    if not folder.is_dir():
        return FolderCheck(folder, (Problem("folder", f"{folder} is not a folder."),))
    names = sorted(p.name for p in folder.iterdir() if p.is_file())
    have = set(names)

    family = _check_config(folder, have, problems)

    selection: Selection | None = None
    try:
        index = _read_index(folder, have)
        selection = select_files(names, index=index)
    except Exception as exc:  # ModelUnsupportedError: no usable weights
        problems.append(
            Problem(
                "weights",
                f"{getattr(exc, 'message', exc)} Copy model.safetensors (or pytorch_model.bin) "
                "from the original model folder.",
            )
        )
    if selection is not None:
        for w in selection.weight_files:
            if w not in have:
                problems.append(
                    Problem(
                        "weights",
                        f"{w} is missing (the weights are split into shards; copy every shard).",
                    )
                )
            else:
                damage = weights_damage(folder / w)
                if damage:
                    problems.append(Problem("weights", f"{w} {damage}"))
        if selection.weights_format == "pytorch":
            notes.append(
                "The weights are in PyTorch's pickle format (no safetensors file); AltLens loads "
                "them with torch's restricted weights-only unpickler."
            )

    _check_preprocessor(folder, have, problems)
    _check_tokenizer(folder, have, problems)
    for n in names:
        damaged = n.endswith(".json") and n in SUPPORT_FILES and not _is_json(folder / n)
        if damaged and not any(p.message.startswith(n) for p in problems):
            problems.append(
                Problem(_part_of(n), f"{n} is not valid JSON (a damaged or truncated copy?).")
            )
    return FolderCheck(
        folder,
        tuple(problems),
        family=family,
        weights_format=selection.weights_format if selection else None,
        files=selection.files if selection else (),
        skipped=selection.skipped if selection else (),
        notes=tuple(notes),
    )


def _check_config(folder: Path, have: set[str], problems: list[Problem]) -> str | None:
    if "config.json" not in have:
        problems.append(
            Problem(
                "config",
                "config.json is missing: it describes the model's architecture. Copy it from the "
                "original model folder.",
            )
        )
        return None
    try:
        config = json.loads((folder / "config.json").read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        problems.append(
            Problem(
                "config", f"config.json is not valid JSON (a damaged or truncated copy?): {exc}"
            )
        )
        return None
    model_type = config.get("model_type") if isinstance(config, dict) else None
    if not model_type:
        problems.append(
            Problem("config", "config.json has no model_type, so the model family is unknown.")
        )
        return None
    if model_type not in SUPPORTED_FAMILIES:
        problems.append(
            Problem(
                "config",
                f"this is a '{model_type}' model; AltLens runs {', '.join(SUPPORTED_FAMILIES)} "
                "captioning models.",
            )
        )
    return str(model_type)


def _check_preprocessor(folder: Path, have: set[str], problems: list[Problem]) -> None:
    if "preprocessor_config.json" in have:
        return
    if "processor_config.json" in have:
        try:
            data = json.loads((folder / "processor_config.json").read_text(encoding="utf-8"))
        except (OSError, ValueError):
            data = {}
        if isinstance(data, dict) and "image_processor" in data:
            return
    problems.append(
        Problem(
            "image preprocessor",
            "preprocessor_config.json is missing: it says how photos are resized and normalised "
            "for this model. Copy it from the original model folder.",
        )
    )


def _check_tokenizer(folder: Path, have: set[str], problems: list[Problem]) -> None:
    if "tokenizer_config.json" not in have:
        problems.append(
            Problem(
                "tokenizer",
                "tokenizer_config.json is missing: it says which tokenizer turns the model's "
                "output into words. "
                "Copy it from the original model folder.",
            )
        )
    if "tokenizer.json" in have or "vocab.txt" in have or any(n.endswith(".model") for n in have):
        return
    if "vocab.json" in have and "merges.txt" in have:
        return
    if "vocab.json" in have:
        problems.append(
            Problem(
                "tokenizer",
                "merges.txt is missing (this tokenizer needs vocab.json and merges.txt). Copy it "
                "from the original model folder.",
            )
        )
    elif "merges.txt" in have:
        problems.append(
            Problem(
                "tokenizer",
                "vocab.json is missing (this tokenizer needs vocab.json and merges.txt). Copy it "
                "from the original model folder.",
            )
        )
    else:
        problems.append(
            Problem(
                "tokenizer",
                "the tokenizer's vocabulary is missing: copy tokenizer.json (or vocab.json and "
                "merges.txt, "
                "or vocab.txt) from the original model folder.",
            )
        )


def _part_of(name: str) -> str:
    if name == "config.json" or name == "generation_config.json":
        return "config"
    if "processor" in name:
        return "image preprocessor"
    if name.endswith(".index.json"):
        return "weights"
    return "tokenizer" if ("token" in name or "vocab" in name) else "config"


def _is_json(path: Path) -> bool:
    try:
        json.loads(path.read_text(encoding="utf-8"))
        return True
    except (OSError, ValueError):
        return False


def _read_index(folder: Path, have: set[str]) -> dict[str, Any] | None:
    for name in (SAFETENSORS_INDEX, PYTORCH_INDEX):
        if name in have:
            try:
                data = json.loads((folder / name).read_text(encoding="utf-8"))
                return data if isinstance(data, dict) else None
            except (OSError, ValueError):
                return None
    return None


def weights_damage(path: Path) -> str | None:
    """A short description of why a weights file cannot be complete, or None if it looks whole.
    Cheap: reads the safetensors header or the zip directory, not the tensors."""
    try:
        size = path.stat().st_size
    except OSError as exc:
        return f"cannot be read ({exc.strerror})."
    if size == 0:
        return "is empty."
    if path.name.endswith(".index.json"):
        return None if _is_json(path) else "is not valid JSON (a damaged or truncated copy?)."
    if path.suffix == ".safetensors":
        try:
            with path.open("rb") as f:
                raw = f.read(8)
                if len(raw) < 8:
                    return "is truncated."
                (n,) = struct.unpack("<Q", raw)
                if n > min(size - 8, 100 << 20):
                    return "is damaged or truncated (its header is cut off)."
                header = json.loads(f.read(n))
        except (OSError, ValueError, UnicodeDecodeError):
            return "is damaged (its header cannot be read)."
        ends = [
            v["data_offsets"][1]
            for k, v in header.items()
            if k != "__metadata__" and isinstance(v, dict) and "data_offsets" in v
        ]
        expected = 8 + n + (max(ends) if ends else 0)
        if size < expected:
            return f"is truncated ({size} of {expected} bytes; copy it again)."
        return None
    if path.suffix == ".bin":
        # Current torch checkpoints are zip archives whose directory sits at the end, so a
        # truncated copy fails this test. Files from torch < 1.6 are a bare pickle stream
        # (starting with the PROTO opcode) that cannot be checked this cheaply.
        if zipfile.is_zipfile(path):
            return None
        with path.open("rb") as f:
            legacy = f.read(1) == b"\x80"
        return None if legacy else "is damaged or truncated (not a complete PyTorch checkpoint)."
    return None


# -- hashes ------------------------------------------------------------------------------

HashCallback = Callable[[int], None]  # bytes just hashed


def sha256_file(
    path: Path, on_bytes: HashCallback | None = None, check: Callable[[], None] | None = None
) -> str:
    return fsutil.sha256_file(path, on_bytes=on_bytes, check=check)


def git_blob_sha1(
    path: Path, on_bytes: HashCallback | None = None, check: Callable[[], None] | None = None
) -> str:
    """The id git (and so the hub's ETag) gives a file stored directly in the repository."""
    h = hashlib.sha1(usedforsecurity=False)
    h.update(b"blob %d\0" % path.stat().st_size)
    _feed(path, h, on_bytes, check)
    return h.hexdigest()


def _feed(
    path: Path, h: Any, on_bytes: HashCallback | None, check: Callable[[], None] | None
) -> None:
    with path.open("rb") as f:
        while chunk := f.read(HASH_CHUNK):
            if check is not None:
                check()
            h.update(chunk)
            if on_bytes is not None:
                on_bytes(len(chunk))


def hash_kind(expected: str) -> Literal["sha256", "git-sha1"] | None:
    """The hub names blobs by LFS sha256 (64 hex) or git blob sha1 (40 hex)."""
    if len(expected) == 64 and all(c in "0123456789abcdef" for c in expected):
        return "sha256"
    if len(expected) == 40 and all(c in "0123456789abcdef" for c in expected):
        return "git-sha1"
    return None


def file_hash(
    path: Path,
    kind: str,
    on_bytes: HashCallback | None = None,
    check: Callable[[], None] | None = None,
) -> str:
    if kind == "sha256":
        return sha256_file(path, on_bytes, check)
    if kind == "git-sha1":
        return git_blob_sha1(path, on_bytes, check)
    raise ValueError(f"unknown hash kind {kind!r}")
