# SPDX-License-Identifier: GPL-3.0-or-later
"""Find a model on this computer. Offline unless the caller explicitly allows a download.

A model is named by a local folder, by a name from `altlens models list` (a built-in short
name such as `blip-base`, a name given at import or download), or by a Hugging Face repo id
found in the hub's standard cache. The model store (core/captioning/store.py) does the look-up
for names; this module adds folder paths and the load-time checks.
"""

from __future__ import annotations

import logging
import os
from pathlib import Path

from altlens.core.captioning.modelfiles import check_folder
from altlens.core.captioning.registry import DEFAULT_MODEL
from altlens.core.captioning.store import how_to_get
from altlens.core.errors import ModelInvalidError, ModelNotFoundError

log = logging.getLogger(__name__)

__all__ = ["DEFAULT_MODEL", "how_to_get", "resolve_model"]


def resolve_model(
    spec: str | os.PathLike[str] | None,
    *,
    allow_download: bool = False,
    revision: str | None = None,
) -> Path:
    """Return the local folder holding the model `spec` (default: nlpconnect ViT-GPT2).

    Never touches the network unless `allow_download` is true.
    """
    from altlens.core.captioning.store import ModelStore

    name = os.fspath(spec) if spec is not None else DEFAULT_MODEL
    candidate = Path(name).expanduser()
    looks_like_path = (
        candidate.is_absolute()
        or name.startswith((".", "~"))
        or "\\" in name
        or name.count("/") > 1
    )
    if candidate.is_dir() and (looks_like_path or (candidate / "config.json").exists()):
        return _check_folder(candidate)
    if looks_like_path:
        raise ModelNotFoundError(f"There is no model folder at {candidate}.")
    folder = ModelStore().resolve(name, allow_download=allow_download, revision=revision)
    return _check_folder(folder)


def _check_folder(folder: Path) -> Path:
    """Fail early, with a message naming the missing part, when a folder cannot be a model.
    Only the config and weights are fatal here: transformers gives precise errors for the
    processor and tokenizer, and some models load without every file an import demands."""
    if not (folder / "config.json").is_file():
        raise ModelInvalidError(
            "This folder is not a captioning model: it has no config.json.", path=folder
        )
    check = check_folder(folder)
    # An unsupported family is reported by the adapter look-up (ModelUnsupportedError).
    fatal = [
        p
        for p in check.problems
        if p.part in ("config", "weights") and not p.message.startswith("this is a '")
    ]
    if fatal:
        raise ModelInvalidError(
            "This model cannot be loaded:\n" + "\n".join(f"- {p.part}: {p.message}" for p in fatal),
            path=folder,
        )
    for p in check.problems:
        log.warning("%s: %s: %s", folder, p.part, p.message)
    return folder
