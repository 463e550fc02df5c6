# SPDX-License-Identifier: GPL-3.0-or-later
"""The model manager: which captioning models are on this computer, and getting them there
(download, import), checking them (verify) and removing them. Used by `altlens models` and
the GUI's model manager dialog; plain Python, no Qt, no torch.

Where models live:
- downloaded models stay in huggingface_hub's standard cache (HF_HUB_CACHE, HF_HOME, default
  ~/.cache/huggingface/hub), so a model someone already has from other tools is found and
  nothing is stored twice;
- imported model folders are copied to `app_dirs().models` (under ALTLENS_HOME when set);
- small records AltLens keeps: the hashes of each download (`app_dirs().data/manifests`), each
  import's hashes inside the imported folder, and user-added names
  (`app_dirs().config/models.json`).

Threading: every method blocks and may take minutes (download, import, verify of a 1 GB
model); call them on a worker thread. `progress` callbacks run on that thread; a CancelToken
may be cancelled from any thread. Two different models can be handled on two threads at once.
"""

from __future__ import annotations

import builtins
import json
import logging
import os
import shutil
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from altlens.core.captioning.download import (
    DownloadPlan,
    HubDownloader,
    ProgressCallback,
    free_bytes,
)
from altlens.core.captioning.errors import (
    InsufficientDiskSpaceError,
    ModelExistsError,
    ModelIncompleteError,
)
from altlens.core.captioning.hubcache import (
    Snapshot,
    blob_name,
    cached_repos,
    find_snapshot,
    hub_cache_dir,
    repo_dir,
    size_on_disk,
    snapshot_files,
)
from altlens.core.captioning.modelfiles import (
    MANIFEST_NAME,
    FolderCheck,
    check_folder,
    file_hash,
    hash_kind,
)
from altlens.core.captioning.registry import (
    COMMIT_SHA,
    DEFAULT_MODEL,
    REPO_ID,
    SUPPORTED_FAMILIES,
    ModelEntry,
    Registry,
    validate_name,
)
from altlens.core.errors import CancelledError, ModelInvalidError, ModelNotFoundError, UsageError
from altlens.core.fsutil import atomic_write_text, fsync_dir
from altlens.core.jobs import CancelToken
from altlens.core.progress import format_bytes

log = logging.getLogger(__name__)

Source = Literal["hub-cache", "imported", "not-downloaded"]
MANIFEST_VERSION = 1
STALE_STAGING_SECONDS = 6 * 3600


@dataclass(frozen=True)
class ModelRecord:
    """One model as `altlens models list` shows it. `name` is what --model accepts."""

    name: str
    repo_id: str | None
    path: Path | None  # the folder the captioner loads; None when not downloaded
    size_bytes: int | None  # on disk; for a model not downloaded yet, its approximate download size
    revision: str | None  # commit on disk (or the pinned one, when not downloaded)
    pinned_revision: str | None
    default: bool
    source: Source
    family: str | None = None
    license: str | None = None
    description: str = ""
    builtin: bool = False

    @property
    def downloaded(self) -> bool:
        return self.path is not None

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "path": str(self.path) if self.path else None,
            "size": self.size_bytes,
            "revision": self.revision,
            "default": self.default,
            "source": self.source,
            "downloaded": self.downloaded,
            "repo_id": self.repo_id,
            "pinned_revision": self.pinned_revision,
            "family": self.family,
            "license": self.license,
            "description": self.description,
        }


FileStatus = Literal["ok", "missing", "mismatch", "unverifiable", "unexpected"]


@dataclass(frozen=True)
class FileCheck:
    name: str
    status: FileStatus
    expected: str | None = None
    actual: str | None = None
    kind: str | None = None  # sha256 | git-sha1
    message: str = ""

    def to_dict(self) -> dict[str, Any]:
        return {
            "file": self.name,
            "status": self.status,
            "expected": self.expected,
            "actual": self.actual,
            "hash": self.kind,
            "message": self.message,
        }


@dataclass(frozen=True)
class VerifyReport:
    model: ModelRecord
    files: tuple[FileCheck, ...]
    hashes_from: str  # where the expected hashes come from, for people

    @property
    def problems(self) -> tuple[FileCheck, ...]:
        return tuple(f for f in self.files if f.status in ("missing", "mismatch"))

    @property
    def verified(self) -> int:
        return sum(f.status == "ok" for f in self.files)

    @property
    def ok(self) -> bool:
        """No file missing or different from its recorded hash, and at least one checked."""
        return not self.problems and self.verified > 0

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.model.name,
            "path": str(self.model.path) if self.model.path else None,
            "ok": self.ok,
            "hashes_from": self.hashes_from,
            "files": [f.to_dict() for f in self.files],
        }


@dataclass(frozen=True)
class FileProgress:
    """Progress of an import or a verify: bytes copied or hashed so far."""

    name: str
    file: str | None
    files_done: int
    files_total: int
    bytes_done: int
    bytes_total: int

    @property
    def fraction(self) -> float:
        return self.bytes_done / self.bytes_total if self.bytes_total else 1.0


FileProgressCallback = Callable[[FileProgress], None]


class ModelStore:
    """Lists, downloads, imports, verifies and removes captioning models.

    All locations can be injected (tests, the GUI, a portable install); by default they
    follow app_dirs() (ALTLENS_HOME) and huggingface_hub's cache settings, read at call time.
    """

    def __init__(
        self,
        *,
        registry: Registry | None = None,
        models_dir: Path | None = None,
        manifests_dir: Path | None = None,
        hub_cache: Path | None = None,
        endpoint: str | None = None,
        token: str | bool | None = None,
        default_model: str = DEFAULT_MODEL,
        download_timeout: float | None = None,
        download_retry_wait: float = 1.0,
    ) -> None:
        from altlens.core.paths import app_dirs

        dirs = app_dirs()
        self.registry = registry or Registry.default()
        self.models_dir = models_dir or dirs.models
        self.manifests_dir = manifests_dir or (dirs.data / "manifests")
        self._hub_cache = hub_cache
        self.endpoint = endpoint
        self.token = token
        self.default_model = default_model
        self.download_timeout = download_timeout
        self.download_retry_wait = download_retry_wait

    @property
    def hub_cache(self) -> Path:
        return self._hub_cache or hub_cache_dir()

    # -- listing ---------------------------------------------------------------------------

    def list(self) -> list[ModelRecord]:
        """Known models (downloaded or not), imported models, and other captioning models
        found in the hub cache, default first."""
        records: builtins.list[ModelRecord] = []
        imported = {p.name: p for p in self._imported_dirs()}
        used_imports: set[str] = set()
        listed_repos: set[str] = set()
        for entry in self.registry.entries():
            folder = None
            for key in (entry.name, entry.repo_id):
                if _dir_name(key) in imported:
                    folder = imported[_dir_name(key)]
                    used_imports.add(folder.name)
                    break
            listed_repos.add(entry.repo_id)
            if folder is not None:
                records.append(self._imported_record(folder, entry))
                continue
            snap = find_snapshot(self.hub_cache, entry.repo_id, entry.revision)
            records.append(self._hub_record(entry.name, entry.repo_id, snap, entry))
        for dir_name, folder in imported.items():
            if dir_name not in used_imports:
                records.append(self._imported_record(folder, None))
        for repo in cached_repos(self.hub_cache):
            if repo in listed_repos:
                continue
            snap = find_snapshot(self.hub_cache, repo)
            if snap is not None and _family(snap.path) in SUPPORTED_FAMILIES:
                records.append(self._hub_record(repo, repo, snap, None))
        records.sort(key=lambda r: (not r.default, not r.builtin, r.name.lower()))
        return records

    def get(self, name: str) -> ModelRecord:
        """The record for a name or repo id; raises ModelNotFoundError for an unknown name."""
        records = self.list()
        for key in ("name", "repo_id"):
            for r in records:
                if getattr(r, key) == name:
                    return r
        raise ModelNotFoundError(
            f"AltLens knows no model called '{name}'.",
            hint="Run `altlens models list` to see the models on this computer and those it can "
            "download.",
        )

    def _present(self, name: str) -> ModelRecord:
        record = self.get(name)
        if not record.downloaded:
            raise ModelNotFoundError(
                f"The model '{record.name}' is not on this computer.", hint=how_to_get(record.name)
            )
        return record

    def _imported_dirs(self) -> builtins.list[Path]:
        if not self.models_dir.is_dir():
            return []
        return sorted(
            p
            for p in self.models_dir.iterdir()
            if p.is_dir() and not p.name.startswith(".") and (p / "config.json").exists()
        )

    def _imported_record(self, folder: Path, entry: ModelEntry | None) -> ModelRecord:
        manifest = _read_json(folder / MANIFEST_NAME) or {}
        recorded = manifest.get("name")
        name = (
            entry.name
            if entry
            else recorded
            if isinstance(recorded, str)
            else folder.name.replace("--", "/")
        )
        return ModelRecord(
            name=name,
            repo_id=entry.repo_id if entry else manifest.get("repo_id"),
            path=folder,
            size_bytes=size_on_disk(folder),
            revision=manifest.get("revision"),
            pinned_revision=entry.revision if entry else None,
            default=self._is_default(name, entry),
            source="imported",
            family=_family(folder),
            license=entry.license if entry else None,
            description=entry.description
            if entry
            else f"imported from {manifest.get('source', 'a folder')}",
            builtin=bool(entry and entry.builtin),
        )

    def _hub_record(
        self, name: str, repo_id: str, snap: Snapshot | None, entry: ModelEntry | None
    ) -> ModelRecord:
        return ModelRecord(
            name=name,
            repo_id=repo_id,
            path=snap.path if snap else None,
            size_bytes=size_on_disk(snap.path)
            if snap
            else (entry.download_bytes if entry else None),
            revision=snap.revision if snap else (entry.revision if entry else None),
            pinned_revision=entry.revision if entry else None,
            default=self._is_default(name, entry) or repo_id == self.default_model,
            source="hub-cache" if snap else "not-downloaded",
            family=(_family(snap.path) if snap else None) or (entry.family if entry else None),
            license=entry.license if entry else None,
            description=entry.description if entry else "",
            builtin=bool(entry and entry.builtin),
        )

    def _is_default(self, name: str, entry: ModelEntry | None) -> bool:
        return self.default_model in (
            name,
            entry.name if entry else None,
            entry.repo_id if entry else None,
        )

    # -- resolving (what the captioner loads) ----------------------------------------------

    def resolve(
        self, name: str, *, allow_download: bool = False, revision: str | None = None
    ) -> Path:
        """The folder to load for a model name, imported name or repo id. Offline unless
        `allow_download`; then a missing model is downloaded (pinned, safetensors first)."""
        entry = self.registry.find(name)
        for key in dict.fromkeys([name, *([entry.name, entry.repo_id] if entry else [])]):
            imported = self.models_dir / _dir_name(key)
            if (imported / "config.json").exists():
                return imported
        repo_id = entry.repo_id if entry else name if REPO_ID.match(name) else None
        if repo_id is None:
            raise ModelNotFoundError(
                f"'{name}' is neither a model folder, a model name nor a Hugging Face model id "
                "(owner/name).",
                hint="Run `altlens models list` to see the models on this computer.",
            )
        snap = find_snapshot(
            self.hub_cache, repo_id, revision or (entry.revision if entry else None)
        )
        if snap is not None:
            return snap.path
        if not allow_download:
            raise ModelNotFoundError(
                f"The model '{name}' is not on this computer.",
                hint=how_to_get(entry.name if entry else name),
            )
        log.info("downloading %s (allowed by the caller)", name)
        record = self.download(name, revision=revision)
        assert record.path is not None
        return record.path

    # -- downloading -----------------------------------------------------------------------

    def downloader(self) -> HubDownloader:
        kw: dict[str, Any] = {
            "endpoint": self.endpoint,
            "token": self.token,
            "retry_wait": self.download_retry_wait,
        }
        if self.download_timeout is not None:
            kw["timeout"] = self.download_timeout
        return HubDownloader(self.hub_cache, **kw)

    def plan_download(self, name: str, *, revision: str | None = None) -> DownloadPlan:
        """Ask the hub (network) which files a download would fetch and how big they are."""
        repo_id, rev, _entry = self._download_target(name, revision)
        return self.downloader().plan(repo_id, rev)

    def download(
        self,
        name: str,
        *,
        revision: str | None = None,
        as_name: str | None = None,
        progress: ProgressCallback | None = None,
        cancel: CancelToken | None = None,
    ) -> ModelRecord:
        """Download a known model (by short name or repo id) or any compatible repo id into
        the hub cache, pinned to a commit; resumes an interrupted download. A repo id AltLens
        did not know is added to the user's model list (as `as_name`, default the repo id),
        pinned to the commit downloaded. Returns the model's record."""
        repo_id, rev, entry = self._download_target(name, revision)
        if as_name is not None:
            if entry is not None and entry.builtin:
                raise UsageError(
                    f"'{name}' is a built-in model; --name is for models AltLens does not know yet."
                )
            validate_name(as_name)
        if rev and COMMIT_SHA.match(rev) and self._complete(repo_id, rev):
            log.info("%s at %s is already complete; nothing to download", repo_id, rev)
            return self.get(entry.name if entry else repo_id)
        dl = self.downloader()
        plan = dl.plan(repo_id, rev)
        snapshot = dl.download(plan, progress=progress, cancel=cancel)
        self._write_manifest(plan)
        if entry is None or not entry.builtin:
            family = _family(snapshot) or "unknown"
            self.registry.add_user(
                ModelEntry(
                    name=as_name or (entry.name if entry else repo_id),
                    repo_id=repo_id,
                    revision=plan.revision,
                    family=family,
                    license=plan.license or (entry.license if entry else "unknown"),
                    download_bytes=plan.total_bytes,
                    description=entry.description if entry else "",
                )
            )
        return self.get(as_name or (entry.name if entry else repo_id))

    def _download_target(
        self, name: str, revision: str | None
    ) -> tuple[str, str | None, ModelEntry | None]:
        entry = self.registry.find(name)
        if entry is not None:
            return entry.repo_id, revision or entry.revision, entry
        if REPO_ID.match(name):
            return name, revision, None
        known = ", ".join(e.name for e in self.registry.entries())
        raise ModelNotFoundError(
            f"'{name}' is not a model AltLens knows ({known}) nor a Hugging Face id (owner/name).",
        )

    def _manifest_path(self, repo_id: str, revision: str) -> Path:
        return self.manifests_dir / f"{repo_id.replace('/', '--')}@{revision}.json"

    def _write_manifest(self, plan: DownloadPlan) -> None:
        data = {
            "version": MANIFEST_VERSION,
            "repo_id": plan.repo_id,
            "revision": plan.revision,
            "requested_revision": plan.requested_revision,
            "downloaded_at": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
            "weights_format": plan.weights_format,
            "files": [
                {"name": f.name, "size": f.size, "hash": f.hash_kind, "expected": f.etag}
                for f in plan.files
            ],
        }
        _write_json_atomic(self._manifest_path(plan.repo_id, plan.revision), data)

    def _complete(self, repo_id: str, revision: str) -> bool:
        manifest = _read_json(self._manifest_path(repo_id, revision))
        if not manifest:
            return False
        snap = repo_dir(self.hub_cache, repo_id) / "snapshots" / revision
        try:
            return all((snap / f["name"]).stat().st_size == f["size"] for f in manifest["files"])
        except (OSError, KeyError, TypeError):
            return False

    # -- importing -------------------------------------------------------------------------

    def check(self, folder: Path) -> FolderCheck:
        """Validate a model folder without copying it (what import checks first)."""
        return check_folder(Path(folder).expanduser())

    def import_folder(
        self,
        folder: Path,
        *,
        name: str | None = None,
        progress: FileProgressCallback | None = None,
        cancel: CancelToken | None = None,
    ) -> ModelRecord:
        """Copy a model folder (e.g. from another computer) into AltLens's models folder after
        checking it is complete; record each file's sha256 for `verify`. The copy appears
        atomically: an interrupted import leaves nothing half-imported."""
        folder = Path(folder).expanduser().absolute()
        check = check_folder(folder)
        if not check.ok:
            raise ModelIncompleteError(
                f"This folder is not a complete captioning model:\n{check.explain()}", path=folder
            )
        name = validate_name(name or _default_import_name(folder))
        target = self.models_dir / _dir_name(name)
        if target.exists():
            raise ModelExistsError(
                f"A model called '{name}' is already imported ({target}).",
                hint=f"Remove it first with `altlens models remove {name}`, or choose another "
                "name with --name.",
            )
        sizes = {n: (folder / n).stat().st_size for n in check.files}
        total = sum(sizes.values())
        self.models_dir.mkdir(parents=True, exist_ok=True)
        free = free_bytes(self.models_dir)
        if free < total + 64 * 1024 * 1024:
            raise InsufficientDiskSpaceError(
                f"Not enough free disk space to import {name}: it needs {format_bytes(total)} and "
                f"{format_bytes(free)} is free in {self.models_dir}."
            )
        self._clean_stale_staging()
        source_manifest = _read_json(folder / MANIFEST_NAME)
        expected = {
            f["name"]: f["sha256"]
            for f in (source_manifest or {}).get("files", [])
            if "sha256" in f
        }
        staging = self.models_dir / f".import-{uuid.uuid4().hex[:12]}"
        staging.mkdir()
        done = 0
        recorded: builtins.list[dict[str, Any]] = []
        try:
            for i, n in enumerate(check.files):
                if cancel is not None:
                    cancel.raise_if_cancelled()

                def on_bytes(k: int, n: str = n, i: int = i) -> None:
                    nonlocal done
                    done += k
                    if progress is not None:
                        progress(FileProgress(name, n, i, len(check.files), done, total))

                digest = _copy_hashing(folder / n, staging / n, on_bytes, cancel)
                if n in expected and expected[n] != digest:
                    raise ModelInvalidError(
                        f"{n} does not match the hash recorded when this model was imported "
                        "elsewhere: the copy is damaged.",
                        path=folder,
                    )
                recorded.append({"name": n, "size": sizes[n], "sha256": digest})
            recheck = check_folder(staging)
            if not recheck.ok:
                raise ModelIncompleteError(
                    f"The copied model is not complete:\n{recheck.explain()}", path=folder
                )
            _write_json_atomic(
                staging / MANIFEST_NAME,
                {
                    "version": MANIFEST_VERSION,
                    "name": name,
                    "imported_at": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
                    "source": str(folder),
                    "repo_id": _hub_repo_of(folder),
                    "revision": folder.name
                    if COMMIT_SHA.match(folder.name)
                    else (source_manifest or {}).get("revision"),
                    "weights_format": check.weights_format,
                    "files": recorded,
                },
            )
            fsync_dir(staging)
            os.rename(staging, target)  # atomic; fails rather than merging if target appeared
            fsync_dir(self.models_dir)
        except BaseException:
            shutil.rmtree(staging, ignore_errors=True)
            raise
        if progress is not None:
            progress(FileProgress(name, None, len(check.files), len(check.files), total, total))
        log.info("imported %s from %s (%s)", name, folder, format_bytes(total))
        return self.get(name)

    def _clean_stale_staging(self) -> None:
        now = time.time()
        for p in self.models_dir.glob(".import-*"):
            try:
                if now - p.stat().st_mtime > STALE_STAGING_SECONDS:
                    shutil.rmtree(p, ignore_errors=True)
            except OSError:
                pass
        for p in self.models_dir.glob(".removing-*"):
            shutil.rmtree(p, ignore_errors=True)

    # -- removing --------------------------------------------------------------------------

    def remove(self, name: str) -> ModelRecord:
        """Delete a model's files: an imported folder, or a revision in the hub cache (blobs
        other revisions still use are kept). A user-added name is forgotten too. Returns the
        record as it was."""
        record = self._present(name)
        assert record.path is not None
        if record.source == "imported":
            path = record.path
            if path.parent.resolve() != self.models_dir.resolve():
                raise UsageError(f"Refusing to delete {path}: it is not inside {self.models_dir}.")
            # Rename first, so a crash mid-delete never leaves a half model that looks whole.
            doomed = self.models_dir / f".removing-{uuid.uuid4().hex[:12]}"
            os.rename(path, doomed)
            shutil.rmtree(doomed, ignore_errors=True)
        else:
            assert record.repo_id is not None and record.revision is not None
            self._remove_hub_revision(record.repo_id, record.revision)
            self._manifest_path(record.repo_id, record.revision).unlink(missing_ok=True)
        entry = self.registry.find(record.name)
        if record.source == "hub-cache" and entry is not None and not entry.builtin:
            self.registry.remove_user(entry.name)
        log.info("removed %s (%s)", record.name, record.path)
        return record

    def _remove_hub_revision(self, repo_id: str, revision: str) -> None:
        from huggingface_hub import scan_cache_dir

        root = repo_dir(self.hub_cache, repo_id)
        info = scan_cache_dir(self.hub_cache)
        revisions = {
            rev.commit_hash
            for repo in info.repos
            if repo.repo_id == repo_id and repo.repo_type == "model"
            for rev in repo.revisions
        }
        if revision in revisions:
            info.delete_revisions(revision).execute()
        else:
            # Not a complete revision in the hub's eyes (e.g. broken links): remove the snapshot.
            shutil.rmtree(root / "snapshots" / revision, ignore_errors=True)
        snaps = root / "snapshots"
        if root.exists() and (not snaps.exists() or not any(snaps.iterdir())):
            # No revision left: partial downloads and refs of this repo go too.
            shutil.rmtree(root, ignore_errors=True)

    # -- verifying -------------------------------------------------------------------------

    def verify(
        self,
        name: str,
        *,
        progress: FileProgressCallback | None = None,
        cancel: CancelToken | None = None,
    ) -> VerifyReport:
        """Hash every file of a model and compare with the hashes the hub recorded (for a
        download) or those recorded at import. Missing and damaged files are reported, not
        raised; the report's `ok` is False when any file is missing or different."""
        record = self._present(name)
        assert record.path is not None
        if record.source == "imported":
            expected, source = self._import_expectations(record.path)
        else:
            expected, source = self._hub_expectations(record)
        present = set(snapshot_files(record.path)) - {MANIFEST_NAME}
        names = sorted(set(expected) | present)
        sizes = {n: _size(record.path / n) for n in names}
        total = sum(s for s in sizes.values() if s)
        done = 0
        checks: builtins.list[FileCheck] = []
        for i, n in enumerate(names):
            if cancel is not None:
                cancel.raise_if_cancelled()
            path = record.path / n
            exp = expected.get(n)
            if not path.exists():
                why = (
                    "the file is gone"
                    if not path.is_symlink()
                    else "its blob in the hub cache is gone"
                )
                checks.append(
                    FileCheck(
                        n, "missing", exp[1] if exp else None, None, exp[0] if exp else None, why
                    )
                )
                continue
            if exp is None:
                checks.append(
                    FileCheck(
                        n,
                        "unexpected" if record.source == "imported" else "unverifiable",
                        message="no recorded hash for this file",
                    )
                )
                continue
            kind, want = exp

            def on_bytes(k: int, n: str = n, i: int = i) -> None:
                nonlocal done
                done += k
                if progress is not None:
                    progress(FileProgress(record.name, n, i, len(names), done, total))

            try:
                got = file_hash(path, kind, on_bytes, cancel.raise_if_cancelled if cancel else None)
            except CancelledError:
                raise
            except OSError as exc:
                checks.append(
                    FileCheck(
                        n, "missing", want, None, kind, f"cannot be read: {exc.strerror or exc}"
                    )
                )
                continue
            status: FileStatus = "ok" if got == want else "mismatch"
            checks.append(
                FileCheck(
                    n,
                    status,
                    want,
                    got,
                    kind,
                    "" if status == "ok" else "the content differs from the recorded hash",
                )
            )
        for p in self._missing_parts(record.path, expected):
            checks.append(p)
        if progress is not None:
            progress(FileProgress(record.name, None, len(names), len(names), total, total))
        return VerifyReport(record, tuple(checks), source)

    def _import_expectations(self, folder: Path) -> tuple[dict[str, tuple[str, str]], str]:
        manifest = _read_json(folder / MANIFEST_NAME)
        if not manifest:
            return {}, "none (this folder has no import record)"
        return {
            f["name"]: ("sha256", f["sha256"]) for f in manifest.get("files", [])
        }, "recorded at import"

    def _hub_expectations(self, record: ModelRecord) -> tuple[dict[str, tuple[str, str]], str]:
        assert record.path is not None and record.repo_id and record.revision
        manifest = _read_json(self._manifest_path(record.repo_id, record.revision))
        expected: dict[str, tuple[str, str]] = {}
        # Blob names are the hub's hashes; they cover files other tools put in the snapshot.
        for n in snapshot_files(record.path):
            blob = blob_name(record.path / n)
            kind = hash_kind(blob) if blob else None
            if blob and kind:
                expected[n] = (kind, blob)
        if manifest:
            for f in manifest.get("files", []):
                expected[f["name"]] = (f["hash"], f["expected"])
            return expected, "the hub (recorded at download)"
        return expected, "the hub (names of the files in its cache)"

    def _missing_parts(
        self, folder: Path, expected: dict[str, tuple[str, str]]
    ) -> builtins.list[FileCheck]:
        """Parts a model needs that are not there and not already reported (e.g. config.json
        deleted from a snapshot AltLens has no download record for)."""
        out: builtins.list[FileCheck] = []
        for p in check_folder(folder).problems:
            subject = p.message.split(" ", 1)[0]
            if "." in subject and (
                subject in expected
                or (folder / subject).exists()
                or (folder / subject).is_symlink()
            ):
                continue  # reported by the hash check
            if p.part in ("config", "weights", "image preprocessor", "tokenizer"):
                out.append(
                    FileCheck(subject if "." in subject else p.part, "missing", message=p.message)
                )
        return out


# -- helpers -----------------------------------------------------------------------------


def how_to_get(name: str) -> str:
    return (
        f"Download it once with `altlens models download {name}` on a computer with internet, "
        "or copy the model folder from another computer and run `altlens models import FOLDER`."
    )


def _dir_name(name: str) -> str:
    return name.replace("/", "--")


def _family(folder: Path) -> str | None:
    data = _read_json(folder / "config.json")
    model_type = data.get("model_type") if data else None
    return str(model_type) if model_type else None


def _size(path: Path) -> int | None:
    try:
        return path.stat().st_size
    except OSError:
        return None


def _read_json(path: Path) -> dict[str, Any] | None:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return data if isinstance(data, dict) else None


def _write_json_atomic(path: Path, data: dict[str, Any]) -> None:
    atomic_write_text(path, json.dumps(data, indent=1, ensure_ascii=False) + "\n")


def _copy_hashing(
    src: Path, dst: Path, on_bytes: Callable[[int], None], cancel: CancelToken | None
) -> str:
    import hashlib

    h = hashlib.sha256()
    with src.open("rb") as fin, dst.open("wb") as fout:
        while chunk := fin.read(1 << 20):
            if cancel is not None:
                cancel.raise_if_cancelled()
            h.update(chunk)
            fout.write(chunk)
            on_bytes(len(chunk))
        fout.flush()
        os.fsync(fout.fileno())
    return h.hexdigest()


def _hub_repo_of(folder: Path) -> str | None:
    """owner/name when `folder` is a snapshot inside a hub cache "
    "(models--owner--name/snapshots/<sha>)."""
    if folder.parent.name == "snapshots" and COMMIT_SHA.match(folder.name):
        from altlens.core.captioning.hubcache import repo_id_of

        return repo_id_of(folder.parent.parent.name)
    return None


def _default_import_name(folder: Path) -> str:
    return _hub_repo_of(folder) or folder.name


__all__ = ["FileCheck", "FileProgress", "FolderCheck", "ModelRecord", "ModelStore", "VerifyReport"]
