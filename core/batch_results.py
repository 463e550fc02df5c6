# SPDX-License-Identifier: GPL-3.0-or-later
"""The output folder of `altlens batch`: result rows, their part files, and what is done.

A batch writes one part file per block of images (`part-<settings>-<digest>.parquet` or
`.jsonl`), each committed atomically: written under a temporary name, flushed to disk, then
renamed. A part that exists is complete; a temporary file is an attempt that died and is
ignored. The part name is derived from the block's paths and the settings, so a block that Ray
retries (its actor was killed after the rename but before Ray heard back) finds its part
already there and writes nothing twice.

A row has the fields of `altlens caption --json` (path, caption, score, candidates, error,
model) plus the file's fingerprint (core/fingerprint.py) and the settings key. A rerun over the
same sources skips every picture whose content hash already has a row with the same settings
key, wherever the file now lives (by content, not path); a file whose path, size and
modification time match a done row is skipped without being read.

Reading needs pyarrow for Parquet parts (it comes with the `scale` extra); JSON-lines parts
need nothing. This module never imports ray: `altlens import` reads batch output on computers
that never ran Ray.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import logging
import os
import socket
from collections.abc import Iterable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from altlens.core import fsutil
from altlens.core.errors import UsageError

log = logging.getLogger(__name__)

FORMATS: tuple[str, ...] = ("parquet", "jsonl")
PART_PREFIX = "part-"
TMP_MARK = ".tmp-"
#: The fields of `altlens caption --json`, then the fingerprint and where the row came from.
CAPTION_FIELDS: tuple[str, ...] = ("path", "caption", "score", "candidates", "error", "model")
FINGERPRINT_FIELDS: tuple[str, ...] = ("size", "mtime_ns", "inode", "sha256", "content_hash", "disk_caption")
ROW_FIELDS: tuple[str, ...] = (*CAPTION_FIELDS, *FINGERPRINT_FIELDS, "settings_key", "settings", "captioned_at")


def arrow_schema() -> Any:
    """The Parquet schema, explicit so a part of error rows alone still has typed columns."""
    import pyarrow as pa

    return pa.schema([
        ("path", pa.string()),
        ("caption", pa.string()),
        ("score", pa.float64()),
        ("candidates", pa.list_(pa.struct([("text", pa.string()), ("score", pa.float64())]))),
        ("error", pa.struct([("code", pa.string()), ("message", pa.string())])),
        ("model", pa.string()),
        ("size", pa.int64()),
        ("mtime_ns", pa.int64()),
        ("inode", pa.int64()),
        ("sha256", pa.string()),
        ("content_hash", pa.string()),
        ("disk_caption", pa.string()),
        ("settings_key", pa.string()),
        ("settings", pa.string()),
        ("captioned_at", pa.float64()),
    ])


# --- the settings key ------------------------------------------------------------------------------


def model_identity(folder: Path) -> dict[str, Any]:
    """What tells one model folder from another without hashing gigabytes of weights: the
    config files' contents and every file's name and size."""
    h = hashlib.sha256()
    files = []
    for p in sorted(folder.iterdir()):
        if not p.is_file():
            continue
        files.append((p.name, p.stat().st_size))
        if p.suffix == ".json" and p.stat().st_size < 1 << 20:
            h.update(p.name.encode() + b"\0" + p.read_bytes() + b"\0")
    h.update(json.dumps(files).encode())
    return {"folder": folder.name, "files": h.hexdigest()[:16]}


def settings_key(model: dict[str, Any], generation: Any, *, dtype: str, backend: str) -> tuple[str, str]:
    """(key, description): the key changes whenever the captions could. The batch size is not
    part of it (it changes speed, not text); dtype and backend are, as the user asked for them."""
    desc = json.dumps(
        {"model": model, "generation": asdict(generation), "dtype": dtype, "backend": backend},
        sort_keys=True,
        ensure_ascii=False,
    )
    return hashlib.sha256(desc.encode()).hexdigest()[:16], desc


# --- writing parts ---------------------------------------------------------------------------------


def part_name(key: str, paths: Sequence[str], fmt: str) -> str:
    """Deterministic in the block's paths: a retried block maps onto the same part."""
    digest = hashlib.sha256("\n".join(sorted(paths)).encode()).hexdigest()[:24]
    return f"{PART_PREFIX}{key}-{digest}.{fmt}"


def write_part(out: Path, name: str, rows: list[dict[str, Any]], fmt: str) -> Path:
    """Write `rows` as the part `name`, atomically. Never replaces an existing part (a retried
    block whose first attempt got as far as the rename)."""
    final = out / name
    tmp = out / f".{name}{TMP_MARK}{socket.gethostname()}-{os.getpid()}"
    if fmt == "parquet":
        import pyarrow as pa
        import pyarrow.parquet as pq

        pq.write_table(pa.Table.from_pylist(rows, schema=arrow_schema()), tmp)
        fsutil.fsync_file(tmp)
    elif fmt == "jsonl":
        with open(tmp, "w", encoding="utf-8") as fh:
            for r in rows:
                fh.write(json.dumps(r, ensure_ascii=False) + "\n")
        fsutil.fsync_file(tmp)
    else:
        raise UsageError(f"Unknown output format {fmt!r}; use one of {', '.join(FORMATS)}.")
    try:
        # link() fails when the target exists, unlike replace(): the first complete attempt
        # wins and a second one (a retry that raced it) changes nothing.
        os.link(tmp, final)
    except FileExistsError:
        log.info("%s already committed by an earlier attempt", name)
    except OSError:  # file systems without hard links (some network mounts)
        if not final.exists():
            fsutil.replace(tmp, final)
    finally:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
    fsutil.fsync_dir(out)
    return final


# --- one job per folder ------------------------------------------------------------------------------

LOCK_NAME = ".altlens-batch.lock"


@contextlib.contextmanager
def output_lock(out: Path) -> Iterator[None]:
    """Hold the output folder for one job. Two jobs over overlapping sources into one folder
    would each caption what the other has not committed yet, and both rows would stay. A lock
    left by a dead process on this computer is taken over; one from another computer is
    reported (its job may still run there)."""
    from altlens.core.processes import pid_alive

    lock = out / LOCK_NAME
    me = f"{socket.gethostname()}:{os.getpid()}"
    while True:
        try:
            fd = os.open(lock, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o644)
        except FileExistsError:
            try:
                owner = lock.read_text(encoding="utf-8").strip()
            except FileNotFoundError:
                continue  # released meanwhile
            host, _, pid = owner.rpartition(":")
            if host == socket.gethostname() and pid.isdigit() and not pid_alive(int(pid)):
                log.info("taking over the lock of a job that is gone (%s)", owner)
                with contextlib.suppress(FileNotFoundError):
                    lock.unlink()
                continue
            raise UsageError(
                f"Another `altlens batch` ({owner}) is writing into this folder.",
                path=out,
                hint=f"Wait for it, or delete {LOCK_NAME} there if that job is gone.",
            ) from None
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(me + "\n")
        break
    try:
        yield
    finally:
        with contextlib.suppress(FileNotFoundError):
            lock.unlink()


# --- reading ---------------------------------------------------------------------------------------


def part_files(source: Path) -> list[Path]:
    """The committed parts of an output folder (or the one file named)."""
    if source.is_dir():
        return sorted(
            p for p in source.iterdir()
            if p.name.startswith(PART_PREFIX) and p.suffix in (".parquet", ".jsonl") and TMP_MARK not in p.name
        )
    if source.is_file():
        return [source]
    raise UsageError("There is no batch output here.", path=source)


def read_part(path: Path, columns: Sequence[str] | None = None) -> list[dict[str, Any]]:
    if path.suffix == ".parquet":
        import pyarrow.parquet as pq

        return pq.read_table(path, columns=list(columns) if columns else None).to_pylist()
    rows = []
    with open(path, encoding="utf-8") as fh:
        for line in fh:
            if line.strip():
                r = json.loads(line)
                rows.append({c: r.get(c) for c in columns} if columns else r)
    return rows


def iter_rows(source: Path, columns: Sequence[str] | None = None) -> Iterator[dict[str, Any]]:
    for p in part_files(source):
        yield from read_part(p, columns)


STAT_THREADS = 32


@dataclass
class DoneIndex:
    """What earlier runs with the same settings key finished."""

    content_hashes: set[str] = field(default_factory=set)
    stats: dict[tuple[str, int, int], str] = field(default_factory=dict)  # (path, size, mtime_ns) -> content hash
    rows: int = 0

    def stat_done(self, path: str) -> str | None:
        """The content hash of the done row for this very file, unchanged since; else None."""
        try:
            st = os.stat(path)
        except OSError:
            return None
        return self.stats.get((path, st.st_size, st.st_mtime_ns))

    def split(self, paths: Sequence[str]) -> tuple[list[str], int, frozenset[str]]:
        """(paths to hand to the actors, how many are done, the content hashes the actors must
        still skip). Files unchanged at their done path are dropped here, by one stat each;
        the actors then only need the pictures that were done at a path not seen unchanged in
        this run (moved, renamed, or captioned from another source), which on a plain rerun is
        almost none: no actor holds millions of hashes. A copy of a picture that is still at
        its captioned path is captioned for its own path, as the library keeps it as an image
        of its own."""
        if not self.stats:  # a first run: no stat calls at all
            return list(paths), 0, frozenset(self.content_hashes)
        todo: list[str] = []
        matched: set[str] = set()
        # stat() waits on the file system (a network mount: ~1 ms each) and releases the GIL,
        # so threads overlap the waits; order is kept.
        with ThreadPoolExecutor(max_workers=STAT_THREADS) as pool:
            for start in range(0, len(paths), 4096):  # map() makes a future per item: in slices
                chunk = paths[start : start + 4096]
                for p, h in zip(chunk, pool.map(self.stat_done, chunk), strict=True):
                    if h is None:
                        todo.append(p)
                    else:
                        matched.add(h)
        return todo, len(paths) - len(todo), frozenset(self.content_hashes - matched)


def done_index(out: Path, key: str) -> DoneIndex:
    """Every picture with a row for `key`. An error row counts as done when the file could be
    fingerprinted (the same bytes and model give the same error); a file that could not even be
    read has no content hash and is tried again."""
    idx = DoneIndex()
    if not out.is_dir():
        return idx
    cols = ("path", "size", "mtime_ns", "content_hash", "settings_key")
    for p in part_files(out):
        if f"{PART_PREFIX}{key}-" not in p.name:
            continue  # parts are named by their settings key: other settings' parts are not read
        for r in read_part(p, cols):
            if r["settings_key"] != key or not r["content_hash"]:
                continue
            idx.rows += 1
            idx.content_hashes.add(r["content_hash"])
            if r["size"] is not None and r["mtime_ns"] is not None:
                idx.stats[(r["path"], r["size"], r["mtime_ns"])] = r["content_hash"]
    return idx


# --- sources ---------------------------------------------------------------------------------------

MANIFEST_SUFFIXES = (".csv", ".parquet", ".txt", ".lst")


def collect_sources(sources: Iterable[str | os.PathLike[str]]) -> list[str]:
    """Absolute paths of the images to caption, in a stable order, each once.

    A folder is walked with its subfolders (captionable names only); a `.csv` or `.parquet`
    file is a manifest with a `path` column; a `.txt`/`.lst` file lists one path per line;
    anything else is an image (a broken one gets its error row). Relative paths in a manifest
    are relative to the manifest's folder.
    """
    from altlens.core.images import collect_images

    out: list[str] = []
    seen: set[str] = set()

    def add(p: str | os.PathLike[str]) -> None:
        a = os.path.abspath(os.fspath(p))
        if a not in seen:
            seen.add(a)
            out.append(a)

    for raw in sources:
        p = Path(raw)
        if p.is_file() and p.suffix.lower() in MANIFEST_SUFFIXES:
            for entry in _manifest_paths(p):
                add(entry if os.path.isabs(entry) else p.absolute().parent / entry)
        elif p.is_dir():
            for img in collect_images([p], recursive=True):
                add(img)
        elif not p.exists():
            raise UsageError("No such file or folder.", path=p)
        else:
            add(p)
    return out


def _manifest_paths(p: Path) -> list[str]:
    suffix = p.suffix.lower()
    if suffix in (".txt", ".lst"):
        lines = p.read_text(encoding="utf-8-sig").splitlines()
        return [line.strip() for line in lines if line.strip() and not line.lstrip().startswith("#")]
    if suffix == ".parquet":
        import pyarrow.parquet as pq

        table = pq.read_table(p)
        if "path" not in table.column_names:
            raise UsageError("The manifest has no 'path' column.", path=p)
        return [str(v) for v in table.column("path").to_pylist() if v]
    import csv

    with open(p, encoding="utf-8-sig", newline="") as fh:
        reader = csv.DictReader(fh)
        fields = {f.strip().lower(): f for f in reader.fieldnames or []}
        if "path" not in fields:
            raise UsageError("The manifest has no 'path' column.", path=p)
        return [row[fields["path"]].strip() for row in reader if (row.get(fields["path"]) or "").strip()]



# --- into the library ------------------------------------------------------------------------------


@dataclass
class BatchImportReport:
    applied: int = 0
    unchanged: int = 0
    changed: list[str] = field(default_factory=list)  # the file is another picture now
    unmatched: list[str] = field(default_factory=list)  # gone, and the library knows no copy
    rows: int = 0

    def summary(self) -> str:
        return (
            f"{self.rows} batch row(s): {self.applied} applied, {self.unchanged} unchanged, "
            f"{len(self.changed)} changed since captioned, {len(self.unmatched)} matched no image"
        )


IMPORT_CHUNK = 500  # rows per library transaction: one commit per photo would dominate


def import_into_library(library: Any, source: Path) -> BatchImportReport:
    """Bring batch results into the library as suggestions (status "suggested"), so review and
    writing take over. Each picture is matched by path and content hash: a file changed since
    it was captioned is left alone, a file moved since is found by its content. When an output
    folder holds several rows for one path (other settings), the newest wins."""
    from altlens.core.fingerprint import Fingerprint
    from altlens.core.types import Candidate, CaptionResult, ErrorInfo

    newest: dict[str, dict[str, Any]] = {}
    report = BatchImportReport()
    for r in iter_rows(source):
        report.rows += 1
        old = newest.get(r["path"])
        if old is None or (r.get("captioned_at") or 0) >= (old.get("captioned_at") or 0):
            newest[r["path"]] = r
    items = list(newest.values())
    for start in range(0, len(items), IMPORT_CHUNK):
        with library._write():
            for r in items[start : start + IMPORT_CHUNK]:
                if not r.get("content_hash"):
                    report.unmatched.append(r["path"])  # never read: nothing to say about it
                    continue
                err = r.get("error")
                result = CaptionResult(
                    0,
                    Path(r["path"]),
                    candidates=tuple(Candidate(c["text"], c["score"]) for c in r.get("candidates") or ()),
                    error=ErrorInfo(err["code"], err["message"]) if err else None,
                    model=r.get("model") or "",
                )
                fp = None
                try:
                    st = os.stat(r["path"])
                    if (st.st_size, st.st_mtime_ns, st.st_ino) == (r["size"], r["mtime_ns"], r["inode"]):
                        fp = Fingerprint(
                            r["size"], r["mtime_ns"], r["inode"], r["sha256"], r["content_hash"], r.get("disk_caption")
                        )
                except OSError:
                    pass
                outcome = library.record_external_result(r["path"], r["content_hash"], result, fp)
                if outcome == "applied":
                    report.applied += 1
                elif outcome == "unchanged":
                    report.unchanged += 1
                elif outcome == "changed":
                    report.changed.append(r["path"])
                else:
                    report.unmatched.append(r["path"])
    return report
