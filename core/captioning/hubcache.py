# SPDX-License-Identifier: GPL-3.0-or-later
"""Reading huggingface_hub's standard cache without the network.

The cache layout is the hub's documented one:
`<cache>/models--owner--name/{blobs/<etag>, snapshots/<commit>/<file> -> ../../blobs/<etag>,
refs/<branch>}`. Blobs are named by the hash the hub records for the file (the LFS sha256, or
the git blob sha1 for small files), which is what `verify` checks them against.
"""

from __future__ import annotations

import logging
import os
from dataclasses import dataclass
from pathlib import Path

from altlens.core.captioning.modelfiles import weights_complete
from altlens.core.captioning.registry import COMMIT_SHA

log = logging.getLogger(__name__)


def hub_cache_dir() -> Path:
    """The hub cache in use (HF_HUB_CACHE / HF_HOME / ~/.cache/huggingface/hub), read at call
    time so a test or the GUI can point huggingface_hub elsewhere."""
    from huggingface_hub import constants

    return Path(constants.HF_HUB_CACHE)


def repo_dir(cache: Path, repo_id: str) -> Path:
    return cache / ("models--" + repo_id.replace("/", "--"))


def repo_id_of(folder_name: str) -> str | None:
    if not folder_name.startswith("models--"):
        return None
    parts = folder_name[len("models--") :].split("--")
    return "/".join(parts) if len(parts) == 2 and all(parts) else None


@dataclass(frozen=True)
class Snapshot:
    repo_id: str
    revision: str  # commit sha
    path: Path


def find_snapshot(cache: Path, repo_id: str, revision: str | None = None) -> Snapshot | None:
    """The snapshot to use for `repo_id`: the requested revision (commit sha or a ref such as
    `main`) when it is here; otherwise what `main` points to; otherwise the most recently
    written complete snapshot (a model downloaded by another tool at another commit is still
    this model). Only snapshots with a config.json and all their weights count, so a download
    in progress is never used."""
    root = repo_dir(cache, repo_id)
    snaps = root / "snapshots"
    if not snaps.is_dir():
        return None
    tried: list[str] = []
    for rev in (revision, "main"):
        if not rev:
            continue
        sha = rev if COMMIT_SHA.match(rev) else _read_ref(root, rev)
        if sha and sha not in tried:
            tried.append(sha)
            if weights_complete(snaps / sha):
                return Snapshot(repo_id, sha, snaps / sha)
    candidates = [p for p in snaps.iterdir() if p.is_dir() and weights_complete(p)]
    if not candidates:
        return None
    best = max(candidates, key=lambda p: p.stat().st_mtime)
    return Snapshot(repo_id, best.name, best)


def _read_ref(root: Path, ref: str) -> str | None:
    try:
        sha = (root / "refs" / ref).read_text(encoding="utf-8").strip()
    except OSError:
        return None
    return sha if COMMIT_SHA.match(sha) else None


def cached_repos(cache: Path) -> list[str]:
    if not cache.is_dir():
        return []
    out = []
    for p in sorted(cache.iterdir()):
        repo = repo_id_of(p.name)
        if repo and p.is_dir():
            out.append(repo)
    return out


def snapshot_files(snapshot: Path) -> list[str]:
    """Relative paths (with '/') of the files in a snapshot, including dangling links."""
    out: list[str] = []
    for dirpath, _dirs, files in os.walk(snapshot):
        for name in files:
            full = Path(dirpath) / name
            out.append(full.relative_to(snapshot).as_posix())
    return sorted(out)


def blob_name(pointer: Path) -> str | None:
    """The blob a snapshot entry points to (its hub hash), when it is a symlink."""
    if not pointer.is_symlink():
        return None
    return Path(os.readlink(pointer)).name


def size_on_disk(folder: Path) -> int:
    """Bytes used by the files of a folder, counting a blob linked twice once."""
    seen: set[tuple[int, int]] = set()
    total = 0
    for dirpath, _dirs, files in os.walk(folder):
        for name in files:
            try:
                st = (Path(dirpath) / name).stat()
            except OSError:
                continue  # dangling link: a missing blob, reported by verify
            key = (st.st_dev, st.st_ino)
            if key not in seen:
                seen.add(key)
                total += st.st_size
    return total
