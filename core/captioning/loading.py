# SPDX-License-Identifier: GPL-3.0-or-later
"""Find a model on this computer. Offline unless the caller explicitly allows a download.

A model is named by a local folder, by the name of a model imported into AltLens
(`altlens models import`), or by a Hugging Face repo id found in the hub's standard cache.
"""

from __future__ import annotations

import logging
import os
import re
from pathlib import Path

from core.errors import ModelInvalidError, ModelNotFoundError
from core.paths import app_dirs

log = logging.getLogger(__name__)

DEFAULT_MODEL = "nlpconnect/vit-gpt2-image-captioning"
_REPO_ID = re.compile(r"^[A-Za-z0-9][\w.-]*/[\w.-]+$")


def how_to_get(name: str) -> str:
    return (
        f"Download it once with `altlens models download {name}` on a computer with internet, "
        "or copy the model folder from another computer and run `altlens models import FOLDER`."
    )


def resolve_model(spec: str | os.PathLike[str] | None, *, allow_download: bool = False, revision: str | None = None) -> Path:
    """Return the local folder holding the model `spec` (default: nlpconnect ViT-GPT2).

    Never touches the network unless `allow_download` is true.
    """
    name = os.fspath(spec) if spec is not None else DEFAULT_MODEL
    candidate = Path(name).expanduser()
    looks_like_path = (
        candidate.is_absolute() or name.startswith((".", "~")) or "\\" in name or name.count("/") > 1
    )
    if candidate.is_dir():
        return _check_folder(candidate)
    if looks_like_path:
        raise ModelNotFoundError(f"There is no model folder at {candidate}.")

    imported = app_dirs().models / _safe_dir_name(name)
    if imported.is_dir():
        return _check_folder(imported)

    if not _REPO_ID.match(name):
        raise ModelNotFoundError(
            f"'{name}' is neither a model folder nor a Hugging Face model id (owner/name).",
            hint="Run `altlens models list` to see the models on this computer.",
        )
    return _from_hub_cache(name, allow_download=allow_download, revision=revision)


def _from_hub_cache(repo_id: str, *, allow_download: bool, revision: str | None) -> Path:
    try:
        from huggingface_hub import snapshot_download
        from huggingface_hub.errors import LocalEntryNotFoundError
    except ImportError as exc:  # pragma: no cover - a hard dependency
        raise ModelNotFoundError(f"The model '{repo_id}' is not on this computer ({exc}).") from None
    try:
        return Path(snapshot_download(repo_id, revision=revision, local_files_only=True))
    except LocalEntryNotFoundError:
        pass
    except Exception as exc:  # a damaged cache entry reads as "not here"
        log.debug("hub cache lookup for %s failed: %s", repo_id, exc)
    if not allow_download:
        raise ModelNotFoundError(f"The model '{repo_id}' is not on this computer.", hint=how_to_get(repo_id))
    log.info("downloading %s (allowed by the caller)", repo_id)
    path = snapshot_download(
        repo_id,
        revision=revision,
        allow_patterns=["*.json", "*.safetensors", "*.txt", "*.model", "*.tiktoken"],
    )
    return _check_folder(Path(path))


def _check_folder(folder: Path) -> Path:
    if not (folder / "config.json").is_file():
        raise ModelInvalidError(
            "This folder is not a captioning model: it has no config.json.", path=folder
        )
    return folder


def _safe_dir_name(name: str) -> str:
    return name.replace("/", "--")
