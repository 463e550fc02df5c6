# SPDX-License-Identifier: GPL-3.0-or-later
"""Converted weights (int8, bfloat16) kept in AltLens's cache, so a model is converted once,
not at every start.

Converting the nlpconnect-shaped model to int8 took ~1.5 s of every cold `altlens caption`
on the 2-core benchmark machine; memory-mapping the converted file takes milliseconds and
only the pages a run touches are read. Entries are named by the SHA-256 of the weights file
(so a changed, replaced or re-downloaded model never meets a stale entry, and two copies of
one model share an entry), the numeric mode and this file's format version. Hashing ~1 GB
costs about a second, so the digest is remembered per file under its size, modification
time and inode, the way build tools and git's index avoid rereading unchanged files.

Entries are written to a temporary name and renamed into place, so a crash never leaves a
half-written entry that looks usable. A cache that cannot be written (read-only, full disk)
only costs the conversion at the next start.
"""

from __future__ import annotations

import json
import logging
import threading
from pathlib import Path
from typing import TYPE_CHECKING, Any

from altlens.core.fsutil import atomic_path, sha256_file
from altlens.core.paths import app_dirs

if TYPE_CHECKING:
    import torch

log = logging.getLogger(__name__)

FORMAT = 1
INDEX = "digests.json"


def cache_dir() -> Path:
    return app_dirs().cache / "weights"


def _stat_key(path: Path) -> str:
    st = path.stat()
    return f"{st.st_size}:{st.st_mtime_ns}:{st.st_ino}"


def digest(path: Path) -> str:
    """SHA-256 of the file at `path`, remembered under its size, mtime and inode."""
    path = Path(path).resolve()
    key = _stat_key(path)
    index_file = cache_dir() / INDEX
    try:
        index = json.loads(index_file.read_text(encoding="utf-8"))
        if not isinstance(index, dict):
            index = {}
    except (OSError, ValueError):
        index = {}
    entry = index.get(str(path))
    if isinstance(entry, dict) and entry.get("stat") == key and isinstance(entry.get("sha256"), str):
        return entry["sha256"]
    value = sha256_file(path)
    index[str(path)] = {"stat": key, "sha256": value}
    _write_atomic(index_file, json.dumps(index, indent=1).encode("utf-8"))
    return value


def entry_path(weights_digest: str, mode: str) -> Path:
    return cache_dir() / f"{weights_digest[:32]}-{mode}-v{FORMAT}.safetensors"


def _write_atomic(dest: Path, data: bytes | None = None, tensors: dict[str, torch.Tensor] | None = None) -> bool:
    try:
        with atomic_path(dest) as tmp:
            if tensors is not None:
                from safetensors.torch import save_file

                save_file(tensors, str(tmp), metadata={"format": "pt", "altlens": str(FORMAT)})
            else:
                tmp.write_bytes(data or b"")
        return True
    except OSError as exc:
        log.debug("could not write %s: %s", dest, exc)
        return False


def save_in_background(dest: Path, tensors: dict[str, torch.Tensor]) -> threading.Thread:
    """Write an entry on a (non-daemon) thread, so the first captions need not wait for the
    disk; the interpreter waits for it before exiting."""
    t = threading.Thread(target=_write_atomic, args=(dest, None, tensors), name="altlens-weight-cache")
    t.start()
    return t


def converted_tensors(model: Any) -> dict[str, torch.Tensor]:
    """Every tensor of a converted model under its module path, each stored once: converted
    layers keep their own tensors (int8: qweight/scale/bias; bfloat16: weight/bias)."""
    out: dict[str, torch.Tensor] = {}
    seen: set[int] = set()
    for name, module in model.named_modules():
        for attr, t in [*module.named_parameters(recurse=False), *module.named_buffers(recurse=False)]:
            if t is None or id(t) in seen:
                continue
            seen.add(id(t))
            out[f"{name}.{attr}" if name else attr] = t.detach().contiguous()
    return out
