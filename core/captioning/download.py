# SPDX-License-Identifier: GPL-3.0-or-later
"""Download a model from the Hugging Face Hub into huggingface_hub's standard cache.

Why not just `snapshot_download`: since huggingface_hub 1.x an interrupted file download
starts over from zero (its temporary files are per-process and deleted on failure), and its
progress and cancellation hooks are tqdm bars. A 1 GB model on a slow or flaky connection
must resume where it stopped, show bytes/speed/ETA and stop within a moment when a person
presses Cancel. So each file is fetched here, through huggingface_hub's own HTTP session,
headers and error types:

1. `HfApi.model_info(files_metadata=True)` resolves the revision to a commit and lists the
   files with sizes and the hashes the hub recorded (LFS sha256, git blob sha1).
2. Each file streams into `blobs/<hash>.incomplete` (the name huggingface_hub's cache tools
   know as an interrupted download) with an HTTP Range request when part of it is already
   there; a dropped connection is retried from where it stopped.
3. The finished file is checked against its recorded hash, then moved to `blobs/<hash>`.
4. `hf_hub_download` links it into `snapshots/<commit>/` itself (it finds the blob and only
   creates the pointer), so the cache stays exactly what huggingface_hub and transformers
   expect, and models people already have are reused.

Everything blocks the calling thread; run it on a worker thread. `progress` is called on that
thread; `cancel` may be set from any thread and is honoured within one network read.
"""

from __future__ import annotations

import errno
import importlib
import logging
import shutil
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from altlens.core.captioning.errors import (
    DownloadError,
    GatedModelError,
    HubRepoNotFoundError,
    HubRevisionNotFoundError,
    InsufficientDiskSpaceError,
    NetworkUnavailableError,
)
from altlens.core.captioning.hubcache import repo_dir
from altlens.core.captioning.modelfiles import WeightsFormat, file_hash, select_files
from altlens.core.captioning.registry import SUPPORTED_FAMILIES
from altlens.core.errors import AltLensError, CancelledError, ModelUnsupportedError
from altlens.core.fsutil import commit
from altlens.core.jobs import CancelToken
from altlens.core.progress import format_bytes

log = logging.getLogger(__name__)

DEFAULT_TIMEOUT = 20.0  # seconds without a byte before a read counts as a dropped connection
DISK_RESERVE = 200 * 1024 * 1024  # never fill the disk to the last byte
PROGRESS_INTERVAL = 0.1
SPEED_WINDOW = 5.0

Phase = Literal["connecting", "downloading", "verifying", "done"]


@dataclass(frozen=True)
class RemoteFile:
    name: str
    size: int
    sha256: str | None  # LFS files: the content's sha256
    blob_id: str | None  # git blob sha1 (of the content for small files)

    @property
    def etag(self) -> str:
        """The hub's ETag for the file, which names its blob in the cache."""
        etag = self.sha256 or self.blob_id
        assert etag, self.name
        return etag

    @property
    def hash_kind(self) -> str:
        return "sha256" if self.sha256 else "git-sha1"


@dataclass(frozen=True)
class DownloadPlan:
    repo_id: str
    requested_revision: str
    revision: str  # the commit sha the files come from
    files: tuple[RemoteFile, ...]
    weights_format: WeightsFormat
    skipped: tuple[str, ...]  # repo files AltLens does not need (other formats, pickles, docs)
    gated: bool = False
    license: str | None = None  # from the model card, when it says

    @property
    def total_bytes(self) -> int:
        return sum(f.size for f in self.files)


@dataclass(frozen=True)
class DownloadProgress:
    """A snapshot of a download, for a progress bar. Counts include bytes resumed from an
    earlier attempt; speed and ETA use only bytes moved in this run."""

    repo_id: str
    phase: Phase
    file: str | None
    files_done: int
    files_total: int
    bytes_done: int
    bytes_total: int
    bytes_per_second: float
    eta_seconds: float | None
    resumed_bytes: int = 0

    @property
    def fraction(self) -> float:
        return self.bytes_done / self.bytes_total if self.bytes_total else 1.0


ProgressCallback = Callable[[DownloadProgress], None]


def http_client() -> Any:
    """The HTTP library behind huggingface_hub's session, whose errors and timeouts AltLens
    uses: httpx2 for huggingface_hub 2.x, httpx for 1.x (the same API under two names). Asked
    of the session itself, since both libraries may be installed side by side."""
    from huggingface_hub.utils import get_session

    return importlib.import_module(type(get_session()).__module__.partition(".")[0])


def free_bytes(path: Path) -> int:
    """Free space on the disk that holds `path` (or its nearest existing parent)."""
    for p in (path, *path.parents):
        try:
            return shutil.disk_usage(p).free
        except OSError:
            continue
    return 0


def ensure_online() -> None:
    from huggingface_hub import constants

    if constants.is_offline_mode():
        raise NetworkUnavailableError(
            "Downloads are switched off on this computer (HF_HUB_OFFLINE is set).",
            hint="Unset HF_HUB_OFFLINE to download, or import a model folder with `altlens models "
            "import`.",
        )


class HubDownloader:
    """Fetches one repository revision into the hub cache at `cache`."""

    def __init__(
        self,
        cache: Path,
        *,
        endpoint: str | None = None,
        token: str | bool | None = None,
        timeout: float = DEFAULT_TIMEOUT,
        retries: int = 5,
        retry_wait: float = 1.0,
    ) -> None:
        self.cache = cache
        self.endpoint = endpoint.rstrip("/") if endpoint else None
        self.token = token
        self.timeout = timeout
        self.retries = retries
        self.retry_wait = retry_wait

    @property
    def endpoint_url(self) -> str:
        from huggingface_hub import constants

        return self.endpoint or constants.ENDPOINT

    # -- planning --------------------------------------------------------------------------

    def plan(self, repo_id: str, revision: str | None = None) -> DownloadPlan:
        """Ask the hub which commit `revision` is and which files AltLens needs from it."""
        from altlens.core import __version__
        from huggingface_hub import HfApi

        ensure_online()
        requested = revision or "main"
        api = HfApi(
            endpoint=self.endpoint,
            token=self.token,
            library_name="altlens",
            library_version=__version__,
        )
        try:
            info = api.model_info(
                repo_id, revision=requested, files_metadata=True, timeout=self.timeout
            )
        except Exception as exc:
            raise self._error(exc, repo_id, requested) from None
        if not info.sha:
            raise DownloadError(f"The hub did not say which commit '{requested}' of {repo_id} is.")
        remote: dict[str, RemoteFile] = {}
        for s in info.siblings or []:
            lfs = s.lfs
            sha256 = lfs.sha256 if lfs else None
            size = lfs.size if lfs else s.size
            if size is None or not (sha256 or s.blob_id):
                continue  # without size and hash a file cannot be checked; AltLens skips it
            remote[s.rfilename] = RemoteFile(s.rfilename, int(size), sha256, s.blob_id)
        selection = select_files(remote)
        if "config.json" not in selection.files:
            raise ModelUnsupportedError(
                f"{repo_id} has no config.json, so it is not a transformers model AltLens can run."
            )
        # config.json first: the family check happens before gigabytes move.
        ordered = sorted(selection.files, key=lambda n: (n != "config.json", remote[n].size))
        return DownloadPlan(
            repo_id=repo_id,
            requested_revision=requested,
            revision=info.sha,
            files=tuple(remote[n] for n in ordered),
            weights_format=selection.weights_format,
            skipped=selection.skipped,
            gated=bool(info.gated),
            license=_license(info),
        )

    # -- state of the cache ----------------------------------------------------------------

    def storage(self, repo_id: str) -> Path:
        return repo_dir(self.cache, repo_id)

    def pointer(self, plan: DownloadPlan, f: RemoteFile) -> Path:
        return self.storage(plan.repo_id) / "snapshots" / plan.revision / f.name

    def blob(self, repo_id: str, f: RemoteFile) -> Path:
        return self.storage(repo_id) / "blobs" / f.etag

    def partial(self, repo_id: str, f: RemoteFile) -> Path:
        return self.storage(repo_id) / "blobs" / f"{f.etag}.incomplete"

    def is_present(self, plan: DownloadPlan, f: RemoteFile) -> bool:
        p = self.pointer(plan, f)
        return p.exists() and p.stat().st_size == f.size

    def bytes_to_fetch(self, plan: DownloadPlan) -> int:
        need = 0
        for f in plan.files:
            if self.is_present(plan, f) or self.blob(plan.repo_id, f).exists():
                continue
            part = self.partial(plan.repo_id, f)
            have = part.stat().st_size if part.exists() else 0
            need += f.size - min(have, f.size)
        return need

    def check_disk(self, plan: DownloadPlan) -> None:
        need = self.bytes_to_fetch(plan)
        if need == 0:
            return
        free = free_bytes(self.cache)
        if free < need + DISK_RESERVE:
            raise InsufficientDiskSpaceError(
                f"Not enough free disk space for {plan.repo_id}: it needs {format_bytes(need)} "
                f"more and {format_bytes(free)} is free on the disk holding {self.cache} "
                f"(AltLens keeps {format_bytes(DISK_RESERVE)} spare).",
                hint="Free some space, or set HF_HUB_CACHE to a folder on a larger disk.",
            )

    # -- downloading -----------------------------------------------------------------------

    def download(
        self,
        plan: DownloadPlan,
        *,
        progress: ProgressCallback | None = None,
        cancel: CancelToken | None = None,
        check_family: bool = True,
    ) -> Path:
        """Fetch every file of `plan` that is not in the cache yet; return the snapshot folder.

        Raises CancelledError when cancelled (finished files and the partial file are kept,
        so the next call resumes), typed DownloadError subclasses otherwise."""
        self.check_disk(plan)
        meter = _Meter(plan, progress)
        for f in plan.files:
            if self.is_present(plan, f):
                meter.file_done(f, resumed=f.size)
                continue
            if cancel is not None:
                cancel.raise_if_cancelled()
            self._fetch_one(plan, f, meter, cancel)
            if f.name == "config.json" and check_family:
                self._check_family(plan)
        meter.finish()
        return self.storage(plan.repo_id) / "snapshots" / plan.revision

    def _check_family(self, plan: DownloadPlan) -> None:
        import json

        path = self.storage(plan.repo_id) / "snapshots" / plan.revision / "config.json"
        try:
            model_type = json.loads(path.read_text(encoding="utf-8")).get("model_type")
        except (OSError, ValueError, AttributeError):
            model_type = None
        if model_type not in SUPPORTED_FAMILIES:
            raise ModelUnsupportedError(
                f"{plan.repo_id} is a '{model_type}' model; AltLens runs "
                f"{', '.join(SUPPORTED_FAMILIES)} captioning models, so nothing more was "
                "downloaded."
            )

    def _fetch_one(
        self, plan: DownloadPlan, f: RemoteFile, meter: _Meter, cancel: CancelToken | None
    ) -> None:
        from huggingface_hub.utils import WeakFileLock

        blob = self.blob(plan.repo_id, f)
        blob.parent.mkdir(parents=True, exist_ok=True)
        lock = self.cache / ".locks" / self.storage(plan.repo_id).name / f"{f.etag}.lock"
        lock.parent.mkdir(parents=True, exist_ok=True)
        # The same lock huggingface_hub takes for this blob, so another program filling the
        # same cache never writes the same file at the same time.
        with WeakFileLock(lock):
            if blob.exists() and blob.stat().st_size == f.size:
                meter.file_started(f, resumed=f.size)
            else:
                self._transfer_and_check(plan, f, meter, cancel)
        self._link(plan, f)
        meter.file_done(f)

    def _transfer_and_check(
        self, plan: DownloadPlan, f: RemoteFile, meter: _Meter, cancel: CancelToken | None
    ) -> None:
        part = self.partial(plan.repo_id, f)
        for attempt in (1, 2):
            have = part.stat().st_size if part.exists() else 0
            if have > f.size:
                part.unlink()
                have = 0
            meter.file_started(f, resumed=have)
            self._transfer(plan, f, part, meter, cancel)
            meter.phase("verifying", f)
            actual = file_hash(
                part, f.hash_kind, check=cancel.raise_if_cancelled if cancel else None
            )
            if actual == f.etag:
                # The .part file stays put between runs (resume); only the finished, verified
                # file is committed: fsync'd, renamed to the blob, folder fsync'd.
                commit(part, self.blob(plan.repo_id, f))
                return
            # A resumed file can be damaged by whatever interrupted it: start this file over once.
            log.warning(
                "%s: checksum mismatch (got %s, hub says %s); attempt %d",
                f.name,
                actual,
                f.etag,
                attempt,
            )
            part.unlink(missing_ok=True)
            meter.rewind(f)
        raise DownloadError(
            f"{f.name} of {plan.repo_id} arrived damaged twice (its checksum does not match the "
            "hub's).",
            hint="Try again later or on another network.",
        )

    def _transfer(
        self,
        plan: DownloadPlan,
        f: RemoteFile,
        part: Path,
        meter: _Meter,
        cancel: CancelToken | None,
    ) -> None:
        from altlens.core import __version__
        from huggingface_hub import errors as he
        from huggingface_hub import hf_hub_url
        from huggingface_hub.utils import build_hf_headers, get_session, hf_raise_for_status

        httpx2 = http_client()
        url = hf_hub_url(plan.repo_id, f.name, revision=plan.revision, endpoint=self.endpoint)
        base = build_hf_headers(
            token=self.token, library_name="altlens", library_version=__version__
        )
        # Byte offsets only mean something on the file itself, not on a compressed stream.
        base["Accept-Encoding"] = "identity"
        failures = 0
        while True:
            have = part.stat().st_size if part.exists() else 0
            if have == f.size:
                return
            headers = dict(base)
            if have:
                headers["Range"] = f"bytes={have}-"
            got = 0
            try:
                with get_session().stream(
                    "GET",
                    url,
                    headers=headers,
                    timeout=httpx2.Timeout(self.timeout),
                    follow_redirects=True,
                ) as resp:
                    if resp.status_code == 416 and have:
                        # The server says the range is past the end: our partial file is not
                        # a prefix of this file. Start over.
                        part.unlink(missing_ok=True)
                        meter.rewind(f)
                        continue
                    if resp.status_code >= 400:
                        resp.read()
                        hf_raise_for_status(resp)
                    start = _range_start(resp) if resp.status_code == 206 else 0
                    if start != have:
                        if start != 0:
                            raise DownloadError(
                                f"The server sent {f.name} from byte {start}, not {have}."
                            )
                        have = 0  # the server ignored the Range header: take the whole file
                        meter.rewind(f)
                    with part.open("r+b" if have else "wb") as out:
                        out.seek(have)
                        out.truncate()
                        for (
                            chunk
                        ) in resp.iter_bytes():  # as the bytes arrive, so a drop loses nothing
                            if cancel is not None and cancel.cancelled:
                                raise CancelledError("Download cancelled; run it again to resume.")
                            out.write(chunk)
                            got += len(chunk)
                            meter.add(len(chunk), f)
            except (CancelledError, AltLensError):
                raise
            except (he.HfHubHTTPError, he.OfflineModeIsEnabled) as exc:
                raise self._error(exc, plan.repo_id, plan.requested_revision) from None
            except httpx2.TransportError as exc:
                failures = 0 if got else failures + 1
                if failures > self.retries:
                    raise self._error(exc, plan.repo_id, plan.requested_revision) from None
                wait = self.retry_wait * (2 ** max(0, failures - 1))
                log.warning(
                    "%s: connection lost after %d new bytes (%s); resuming in %.1fs",
                    f.name,
                    got,
                    exc,
                    wait,
                )
                _sleep(wait, cancel)
                continue
            except OSError as exc:  # writing the partial file
                if exc.errno == errno.ENOSPC:
                    raise InsufficientDiskSpaceError(
                        f"The disk filled up while downloading {f.name}; the part downloaded so "
                        "far is kept.",
                        hint="Free some space and run the same command again to resume.",
                    ) from None
                raise DownloadError(f"Cannot write {part}: {exc.strerror or exc}") from None
            except Exception as exc:
                raise self._error(exc, plan.repo_id, plan.requested_revision) from None
            if part.exists() and part.stat().st_size >= f.size:
                return
            # The body ended early without an error (a proxy closing the connection): resume.
            failures = 0 if got else failures + 1
            if failures > self.retries:
                raise NetworkUnavailableError(
                    f"The connection keeps closing before {f.name} is complete."
                )
            _sleep(self.retry_wait, cancel)

    def _link(self, plan: DownloadPlan, f: RemoteFile) -> None:
        """Let huggingface_hub create snapshots/<commit>/<file> for the blob now in place."""
        from huggingface_hub import hf_hub_download

        if self.is_present(plan, f):
            return
        try:
            path = hf_hub_download(
                plan.repo_id,
                f.name,
                revision=plan.revision,
                cache_dir=str(self.cache),
                endpoint=self.endpoint,
                token=self.token,
                etag_timeout=self.timeout,
            )
        except Exception as exc:
            raise self._error(exc, plan.repo_id, plan.requested_revision) from None
        if Path(path).resolve() != self.blob(plan.repo_id, f).resolve():
            log.warning(
                "huggingface_hub stored %s at %s, not the blob AltLens fetched", f.name, path
            )

    def _error(self, exc: BaseException, repo_id: str, revision: str) -> AltLensError:
        return hub_error(exc, repo_id, revision, self.endpoint_url)


def hub_error(exc: BaseException, repo_id: str, revision: str, endpoint: str) -> AltLensError:
    """Translate huggingface_hub and HTTP failures into errors a person can act on."""
    from huggingface_hub import errors as he

    httpx2 = http_client()
    if isinstance(exc, AltLensError):
        return exc
    page = f"{endpoint}/{repo_id}"
    if isinstance(exc, he.OfflineModeIsEnabled):
        return NetworkUnavailableError(
            "Downloads are switched off on this computer (HF_HUB_OFFLINE is set).",
            hint="Unset HF_HUB_OFFLINE to download.",
        )
    if isinstance(exc, he.GatedRepoError):
        return GatedModelError(
            f"{repo_id} is a gated model: its owner asks everyone to accept their conditions "
            "before downloading.",
            hint=f"Open {page} in a browser, accept the conditions, log in on this computer with "
            "`hf auth login`, then run the download again.",
        )
    if isinstance(exc, he.RevisionNotFoundError):
        return HubRevisionNotFoundError(f"{repo_id} has no revision '{revision}' on {endpoint}.")
    if isinstance(exc, he.RepositoryNotFoundError):
        return HubRepoNotFoundError(
            f"There is no model '{repo_id}' on {endpoint} (or it is private).",
            hint="Check the spelling (owner/name); `altlens models list` shows the models AltLens "
            "knows.",
        )
    if isinstance(exc, he.RemoteEntryNotFoundError):
        return DownloadError(f"A file of {repo_id} is no longer on the hub at revision {revision}.")
    if isinstance(exc, he.HfHubHTTPError):
        status = exc.response.status_code if exc.response is not None else 0
        if status in (401, 403):
            return DownloadError(
                f"The hub refused access to {repo_id} (HTTP {status}).",
                hint="If the model is private or gated, log in with `hf auth login` using an "
                "account that has access.",
            )
        if status == 429:
            return DownloadError(
                "The hub is limiting requests from this computer (HTTP 429).",
                hint="Wait a few minutes and try again.",
            )
        if status >= 500:
            return DownloadError(
                f"The hub had a problem (HTTP {status}).",
                hint="Try again in a few minutes; finished files are kept.",
            )
        return DownloadError(f"The hub answered HTTP {status} for {repo_id}: {exc}")
    if isinstance(exc, httpx2.ConnectError):
        text = str(exc).lower()
        why = (
            "connection refused"
            if "refused" in text
            else "the name could not be resolved"
            if ("name" in text and ("resolution" in text or "known" in text))
            or "getaddrinfo" in text
            else str(exc) or "cannot connect"
        )
        return NetworkUnavailableError(
            f"Cannot reach {endpoint} ({why}).",
            hint="Check this computer's internet connection and proxy, then run the same command "
            "again; "
            "finished files are kept and a partial file resumes.",
        )
    if isinstance(exc, httpx2.TimeoutException):
        return NetworkUnavailableError(
            f"{endpoint} stopped answering (timed out).",
            hint="Run the same command again; the download resumes where it stopped.",
        )
    if isinstance(exc, httpx2.TransportError | ConnectionError):
        return NetworkUnavailableError(
            f"The connection to {endpoint} was lost ({exc}).",
            hint="Run the same command again; the download resumes where it stopped.",
        )
    return DownloadError(f"The download of {repo_id} failed: {type(exc).__name__}: {exc}")


def _license(info: Any) -> str | None:
    card = getattr(info, "card_data", None)
    value = getattr(card, "license", None) if card is not None else None
    if isinstance(value, str) and value:
        return value
    for tag in getattr(info, "tags", None) or []:
        if isinstance(tag, str) and tag.startswith("license:"):
            return tag.split(":", 1)[1]
    return None


def _range_start(resp: Any) -> int:
    value = resp.headers.get("Content-Range", "")
    try:
        unit, rest = value.split(" ", 1)
        return int(rest.split("-", 1)[0]) if unit == "bytes" else -1
    except ValueError:
        return -1


def _sleep(seconds: float, cancel: CancelToken | None) -> None:
    end = time.monotonic() + seconds
    while (left := end - time.monotonic()) > 0:
        if cancel is not None:
            cancel.raise_if_cancelled()
        time.sleep(min(0.05, left))


class _Meter:
    """Counts bytes and turns them into throttled DownloadProgress snapshots."""

    def __init__(self, plan: DownloadPlan, callback: ProgressCallback | None) -> None:
        self.plan = plan
        self.callback = callback
        self.total = plan.total_bytes
        self.done_files = 0
        self.finished = 0  # bytes of completed files
        self.current = 0  # bytes of the file in flight
        self.resumed = 0
        self.samples: list[tuple[float, int]] = [(time.monotonic(), 0)]
        self.moved = 0  # bytes transferred in this run
        self.last_emit = 0.0
        self._phase: Phase = "connecting"
        self._file: str | None = None
        self.emit(force=True)

    def file_started(self, f: RemoteFile, resumed: int) -> None:
        self._file, self._phase = f.name, "downloading"
        self.current = resumed
        self.resumed += resumed
        self.emit(force=True)

    def add(self, n: int, f: RemoteFile) -> None:
        self.current += n
        self.moved += n
        self.emit()

    def rewind(self, f: RemoteFile) -> None:
        self.resumed -= min(self.resumed, self.current)
        self.current = 0
        self.emit(force=True)

    def phase(self, phase: Phase, f: RemoteFile) -> None:
        self._phase, self._file = phase, f.name
        self.emit(force=True)

    def file_done(self, f: RemoteFile, resumed: int = 0) -> None:
        self.resumed += resumed
        self.finished += f.size
        self.current = 0
        self.done_files += 1
        self._phase, self._file = "downloading", f.name
        self.emit(force=True)

    def finish(self) -> None:
        self._phase, self._file = "done", None
        self.emit(force=True)

    def speed(self, now: float) -> float:
        self.samples.append((now, self.moved))
        while len(self.samples) > 2 and now - self.samples[1][0] > SPEED_WINDOW:
            self.samples.pop(0)
        t0, b0 = self.samples[0]
        return (self.moved - b0) / (now - t0) if now - t0 > 0.2 else 0.0

    def emit(self, force: bool = False) -> None:
        if self.callback is None:
            return
        now = time.monotonic()
        if not force and now - self.last_emit < PROGRESS_INTERVAL:
            return
        self.last_emit = now
        done = min(self.total, self.finished + self.current)
        speed = self.speed(now)
        eta = (self.total - done) / speed if speed > 0 else None
        self.callback(
            DownloadProgress(
                repo_id=self.plan.repo_id,
                phase=self._phase,
                file=self._file,
                files_done=self.done_files,
                files_total=len(self.plan.files),
                bytes_done=done,
                bytes_total=self.total,
                bytes_per_second=speed,
                eta_seconds=eta,
                resumed_bytes=self.resumed,
            )
        )
