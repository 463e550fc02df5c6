# SPDX-License-Identifier: GPL-3.0-or-later
"""The photo library: what AltLens knows about every image it has seen, in SQLite.

One row per image (path, file identity, review status, suggestions, approved text, error),
the watched folders, the persistent caption queue, and which entries of the metadata writer's
journal (core/metadata/journal.py, the one journal of AltLens's writes and undos) belong to
each image. The library keeps no copy of what a write changed: undo and history read that
journal.

Threads: every thread gets its own connection (created on first use); writes are short
`BEGIN IMMEDIATE` transactions, so the GUI thread, the watcher and the captioner can use one
`Library` object at once, and several processes can share one file (WAL mode).

Crash safety: every change is committed before the call returns (synchronous=FULL, so an
approved caption survives even a power cut once `approve()` has returned). Work that was in
flight when a process died (claimed queue rows) is handed back to the queue on the next open.

Identity (see core/fingerprint.py): a file is matched by path and stat first; a changed file
is hashed. Same content hash = same picture (a tag edit by anyone keeps the review state); a
new path with the content hash of a vanished row = a move/rename (the row follows the file);
a different content hash at a known path = new pixels (captioned again; approved text is kept
as the starting draft). A deleted file's row is marked missing, never dropped.
"""

from __future__ import annotations

import contextlib
import csv
import io
import json
import logging
import os
import re
import socket
import sqlite3
import threading
import time
import uuid
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path
from typing import Any, TextIO

from altlens.core.errors import AltLensError, UsageError
from altlens.core.fingerprint import Fingerprint, fingerprint, stat_identity
from altlens.core.paths import app_dirs
from altlens.core.processes import pid_alive
from altlens.core.review import DECIDED, Event, ReviewState, sql_case, transition
from altlens.core.types import Candidate, CaptionJob, CaptionResult, ErrorInfo

log = logging.getLogger(__name__)

DB_NAME = "library.sqlite3"
# The states and their rules live in core/review.py; these are their stored names.
STATUSES: tuple[str, ...] = tuple(s.value for s in ReviewState)
REVIEWED: frozenset[str] = frozenset(s.value for s in DECIDED)
#: Lower runs first: what a person dropped or selected goes before watched-folder work.
PRIORITY_USER = 0
PRIORITY_WATCH = 10


class LibraryError(AltLensError):
    code = "library"


class LibraryVersionError(LibraryError):
    code = "library-version"


class Change(StrEnum):
    """What `Library.observe` / `move` / `mark_missing` found."""

    NEW = "new"  # first time seen (queued when the caller asked for it)
    UNCHANGED = "unchanged"  # same file (maybe touched, maybe back from missing)
    METADATA = "metadata"  # tags changed, pixels did not: review state kept
    PIXELS = "pixels"  # the picture changed: captioned again
    MOVED = "moved"  # a known picture at a new path: captions and status kept
    MISSING = "missing"  # the file is gone; the row is marked
    IGNORED = "ignored"  # not a regular file, or unreadable (logged)


# --- schema -----------------------------------------------------------------------------------

_V1 = """
CREATE TABLE folders (
    id        INTEGER PRIMARY KEY,
    path      TEXT NOT NULL UNIQUE,
    recursive INTEGER NOT NULL DEFAULT 1,
    paused    INTEGER NOT NULL DEFAULT 0,
    poll      INTEGER NOT NULL DEFAULT 0,
    added_at  REAL NOT NULL
);
CREATE TABLE images (
    id               INTEGER PRIMARY KEY,
    path             TEXT NOT NULL,
    size             INTEGER,
    mtime_ns         INTEGER,
    inode            INTEGER,
    sha256           TEXT,
    content_hash     TEXT,
    status           TEXT NOT NULL DEFAULT 'new'
                     CHECK (status IN ('new','queued','suggested','approved','written','rejected','error')),
    missing_since    REAL,
    queue_priority   INTEGER,
    queued_at        REAL,
    claim            TEXT,
    claimed_at       REAL,
    candidates       TEXT NOT NULL DEFAULT '[]',
    model            TEXT,
    suggested_at     REAL,
    caption_runs     INTEGER NOT NULL DEFAULT 0,
    alt_text         TEXT,
    long_description TEXT,
    decorative       INTEGER NOT NULL DEFAULT 0,
    approved_at      REAL,
    written_at       REAL,
    written_text     TEXT,
    error_code       TEXT,
    error_message    TEXT,
    created_at       REAL NOT NULL,
    updated_at       REAL NOT NULL,
    -- "queued" always means "in the queue", so no row can be stuck queued with no way out.
    CHECK (status != 'queued' OR queue_priority IS NOT NULL),
    CHECK (claim IS NULL OR queue_priority IS NOT NULL)
);
-- Only one live row per path; rows of deleted files keep their last path for the record.
CREATE UNIQUE INDEX images_live_path ON images(path) WHERE missing_since IS NULL;
CREATE INDEX images_path ON images(path);
CREATE INDEX images_content ON images(content_hash);
CREATE INDEX images_status ON images(status);
CREATE INDEX images_queue ON images(queue_priority, queued_at, id) WHERE queue_priority IS NOT NULL;
"""

# v2: the caption found in the file when scanned, search, and the journal of our own writes.
_V2 = """
ALTER TABLE images ADD COLUMN disk_caption TEXT;
CREATE TABLE writes (
    id            INTEGER PRIMARY KEY,
    image_id      INTEGER NOT NULL REFERENCES images(id),
    path          TEXT NOT NULL,
    at            REAL NOT NULL,
    old_text      TEXT,
    new_text      TEXT,
    old_long      TEXT,
    new_long      TEXT,
    size          INTEGER,
    mtime_ns      INTEGER,
    inode         INTEGER,
    sha256        TEXT
);
CREATE INDEX writes_image ON writes(image_id);
"""


def _search_expr(row: str) -> str:
    """SQL for the searchable text of an image: every caption text it has."""
    return f"""trim(coalesce({row}.alt_text, '') || ' ' || coalesce({row}.long_description, '') || ' ' ||
         coalesce({row}.disk_caption, '') || ' ' ||
         coalesce((SELECT group_concat(json_extract(value, '$.text'), ' ')
                   FROM json_each({row}.candidates)), ''))"""


# A full-text index with its own copy of the text (not external content), kept by triggers, so
# no code path can forget to update it and a delete can never desynchronise it.
_V2_FTS = f"""
CREATE VIRTUAL TABLE images_fts USING fts5(search_text, tokenize='unicode61 remove_diacritics 2');
CREATE TRIGGER images_fts_ins AFTER INSERT ON images BEGIN
    INSERT INTO images_fts(rowid, search_text) VALUES (new.id, {_search_expr("new")});
END;
CREATE TRIGGER images_fts_upd
AFTER UPDATE OF alt_text, long_description, disk_caption, candidates ON images BEGIN
    DELETE FROM images_fts WHERE rowid = old.id;
    INSERT INTO images_fts(rowid, search_text) VALUES (new.id, {_search_expr("new")});
END;
CREATE TRIGGER images_fts_del AFTER DELETE ON images BEGIN
    DELETE FROM images_fts WHERE rowid = old.id;
END;
INSERT INTO images_fts(rowid, search_text) SELECT id, {_search_expr("images")} FROM images;
"""


def _fts5_available(c: sqlite3.Connection) -> bool:
    try:
        c.execute("CREATE VIRTUAL TABLE temp._altlens_fts_probe USING fts5(x)")
        c.execute("DROP TABLE temp._altlens_fts_probe")
        return True
    except sqlite3.OperationalError:
        return False


def _migrate_v1(c: sqlite3.Connection) -> None:
    _run_script(c, _V1)


def _migrate_v2(c: sqlite3.Connection) -> None:
    _run_script(c, _V2)
    if _fts5_available(c):
        _run_script(c, _V2_FTS)
    else:
        log.info("SQLite has no FTS5; library search falls back to LIKE")


# v3: the states "skipped" and "undone" (core/review.py), and when an image was skipped.
# SQLite cannot change a CHECK constraint in place, so the table is rebuilt (the documented
# 12-step way: foreign keys are off during migrations, see Library._migrate); the rows keep
# their ids, so the journal and the search index still point at them.
_V3_IMAGES = """
CREATE TABLE images_v3 (
    id               INTEGER PRIMARY KEY,
    path             TEXT NOT NULL,
    size             INTEGER,
    mtime_ns         INTEGER,
    inode            INTEGER,
    sha256           TEXT,
    content_hash     TEXT,
    status           TEXT NOT NULL DEFAULT 'new'
                     CHECK (status IN ('new','queued','suggested','approved','written','skipped',
                                       'rejected','undone','error')),
    missing_since    REAL,
    queue_priority   INTEGER,
    queued_at        REAL,
    claim            TEXT,
    claimed_at       REAL,
    candidates       TEXT NOT NULL DEFAULT '[]',
    model            TEXT,
    suggested_at     REAL,
    caption_runs     INTEGER NOT NULL DEFAULT 0,
    alt_text         TEXT,
    long_description TEXT,
    decorative       INTEGER NOT NULL DEFAULT 0,
    approved_at      REAL,
    written_at       REAL,
    written_text     TEXT,
    error_code       TEXT,
    error_message    TEXT,
    created_at       REAL NOT NULL,
    updated_at       REAL NOT NULL,
    disk_caption     TEXT,
    skipped_at       REAL,
    CHECK (status != 'queued' OR queue_priority IS NOT NULL),
    CHECK (claim IS NULL OR queue_priority IS NOT NULL)
);
INSERT INTO images_v3 (id, path, size, mtime_ns, inode, sha256, content_hash, status,
    missing_since, queue_priority, queued_at, claim, claimed_at, candidates, model, suggested_at,
    caption_runs, alt_text, long_description, decorative, approved_at, written_at, written_text,
    error_code, error_message, created_at, updated_at, disk_caption)
SELECT id, path, size, mtime_ns, inode, sha256, content_hash, status,
    missing_since, queue_priority, queued_at, claim, claimed_at, candidates, model, suggested_at,
    caption_runs, alt_text, long_description, decorative, approved_at, written_at, written_text,
    error_code, error_message, created_at, updated_at, disk_caption FROM images;
DROP TABLE images;
ALTER TABLE images_v3 RENAME TO images;
CREATE UNIQUE INDEX images_live_path ON images(path) WHERE missing_since IS NULL;
CREATE INDEX images_path ON images(path);
CREATE INDEX images_content ON images(content_hash);
CREATE INDEX images_status ON images(status);
CREATE INDEX images_queue ON images(queue_priority, queued_at, id) WHERE queue_priority IS NOT NULL;
"""

# Dropping the old table dropped its triggers; the index table itself (images_fts) stays.
_V3_FTS_TRIGGERS = f"""
CREATE TRIGGER images_fts_ins AFTER INSERT ON images BEGIN
    INSERT INTO images_fts(rowid, search_text) VALUES (new.id, {_search_expr("new")});
END;
CREATE TRIGGER images_fts_upd
AFTER UPDATE OF alt_text, long_description, disk_caption, candidates ON images BEGIN
    DELETE FROM images_fts WHERE rowid = old.id;
    INSERT INTO images_fts(rowid, search_text) VALUES (new.id, {_search_expr("new")});
END;
CREATE TRIGGER images_fts_del AFTER DELETE ON images BEGIN
    DELETE FROM images_fts WHERE rowid = old.id;
END;
"""


def _migrate_v3(c: sqlite3.Connection) -> None:
    has_fts = (
        c.execute("SELECT 1 FROM sqlite_master WHERE name = 'images_fts'").fetchone() is not None
    )
    _run_script(c, _V3_IMAGES)
    if has_fts:
        _run_script(c, _V3_FTS_TRIGGERS)
    bad = c.execute("PRAGMA foreign_key_check").fetchall()
    if bad:
        raise LibraryError(f"The library upgrade broke {len(bad)} journal reference(s).")


# v4: one journal. The metadata writer's journal (core/metadata/journal.py) records every write
# and undo once, with the old and new value of every field and which files it created; undo
# reads only it. The library now keeps just the link from an image to its entries there
# (operations.id in journal.sqlite3, in order). The v2 `writes` table, a second and poorer copy
# of the same writes that nothing but tests read, is dropped: each of its rows describes a
# write the metadata writer also journaled (it was filled only after that writer's write), so
# no history is lost, and no row of it can be linked to its journal entry (it never kept the id).
_V4 = """
CREATE TABLE image_journal (
    image_id   INTEGER NOT NULL REFERENCES images(id),
    journal_id INTEGER NOT NULL,    -- operations.id in the metadata journal: a write or undo
    at         REAL NOT NULL,
    PRIMARY KEY (image_id, journal_id)
) WITHOUT ROWID;
CREATE INDEX image_journal_entry ON image_journal(journal_id);
DROP TABLE writes;
"""


def _migrate_v4(c: sqlite3.Connection) -> None:
    _run_script(c, _V4)


def _run_script(c: sqlite3.Connection, script: str) -> None:
    # executescript() would COMMIT our transaction; run statement by statement instead.
    buf = ""
    for line in script.splitlines(keepends=True):
        buf += line
        if sqlite3.complete_statement(buf):
            if buf.strip():
                c.execute(buf)
            buf = ""
    if buf.strip():
        c.execute(buf)


#: Index i upgrades a database from user_version i to i + 1. Append only; never edit a
#: released step (databases in the wild were made by it).
MIGRATIONS: tuple[Callable[[sqlite3.Connection], None], ...] = (
    _migrate_v1,
    _migrate_v2,
    _migrate_v3,
    _migrate_v4,
)
SCHEMA_VERSION = len(MIGRATIONS)


# --- records -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class ImageRecord:
    """A snapshot of one image's row; safe to hand to any thread."""

    id: int
    path: Path
    status: str
    missing: bool
    size: int | None
    mtime_ns: int | None
    sha256: str | None
    content_hash: str | None
    candidates: tuple[Candidate, ...]
    model: str | None
    alt_text: str | None
    long_description: str | None
    decorative: bool
    error: ErrorInfo | None
    disk_caption: str | None
    queued: bool
    in_flight: bool
    priority: int | None
    caption_runs: int
    created_at: float
    updated_at: float
    suggested_at: float | None
    approved_at: float | None
    written_at: float | None
    written_text: str | None
    skipped_at: float | None = None  # when a person last skipped it (while it is skipped)

    @property
    def review_state(self) -> ReviewState:
        return ReviewState(self.status)

    @property
    def caption(self) -> str | None:
        """The approved text once reviewed, else the best suggestion (else a kept draft)."""
        if self.status in ("approved", "written", "undone"):
            return self.alt_text if self.alt_text is not None else ""
        if self.candidates:
            return self.candidates[0].text
        return self.alt_text

    @property
    def score(self) -> float | None:
        return self.candidates[0].score if self.candidates else None

    def to_dict(self) -> dict[str, Any]:
        return {
            "path": str(self.path),
            "status": self.status,
            "missing": self.missing,
            "caption": self.caption,
            "alt_text": self.alt_text,
            "long_description": self.long_description,
            "decorative": self.decorative,
            "score": round(self.score, 4) if self.score is not None else None,
            "candidates": [c.to_dict() for c in self.candidates],
            "model": self.model,
            "disk_caption": self.disk_caption,
            "error": self.error.to_dict() if self.error else None,
            "queued": self.queued,
            "caption_runs": self.caption_runs,
            "updated_at": _iso(self.updated_at),
        }


@dataclass(frozen=True)
class WatchedFolder:
    id: int
    path: Path
    recursive: bool
    paused: bool
    poll: bool


@dataclass(frozen=True)
class ScanReport:
    folder: Path
    seen: int = 0
    changes: dict[str, int] = field(default_factory=dict)
    seconds: float = 0.0


@dataclass
class ImportReport:
    applied: list[Path] = field(default_factory=list)
    unchanged: int = 0
    unmatched: list[tuple[int, str]] = field(default_factory=list)  # (line, path)
    conflicts: list[tuple[int, Path, str, str]] = field(
        default_factory=list
    )  # line, path, current, csv
    invalid: list[tuple[int, str]] = field(default_factory=list)  # (line, why)

    def summary(self) -> str:
        return (
            f"{len(self.applied)} applied, {self.unchanged} unchanged, {len(self.unmatched)} "
            f"matched no image, {len(self.conflicts)} conflicts, {len(self.invalid)} invalid"
        )


def _iso(t: float | None) -> str | None:
    if t is None:
        return None
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(t))


def norm_path(path: str | os.PathLike[str]) -> Path:
    """The library's key for a path: absolute, with the folder's symlinks resolved (watchers on
    some platforms report real paths) but the file name kept (the file may be gone)."""
    p = os.path.abspath(os.fspath(path))
    head, tail = os.path.split(p)
    return Path(os.path.join(os.path.realpath(head), tail)) if tail else Path(os.path.realpath(p))


# Library instances alive in this process, so recovery never steals a claim from a sibling.
_LIVE_OWNERS: set[str] = set()
_LIVE_LOCK = threading.Lock()
_HOST = socket.gethostname()
# Claims from another computer (a library on a shared drive) cannot be checked for liveness;
# after this long they are taken as abandoned.
FOREIGN_CLAIM_TIMEOUT = 3600.0

_COLUMNS = (
    "id, path, status, missing_since, size, mtime_ns, inode, sha256, content_hash, candidates, "
    "model, alt_text, long_description, decorative, error_code, error_message, disk_caption, "
    "queue_priority, claim, caption_runs, created_at, updated_at, suggested_at, approved_at, "
    "written_at, written_text, skipped_at"
)


def _close_quietly(conn: sqlite3.Connection) -> None:
    try:
        conn.close()
    except sqlite3.Error as exc:  # pragma: no cover - closing never matters for data
        log.debug("closing a connection: %s", exc)


class Library:
    """The library database. Pass the database path (tests, the GUI, `--library`), or None
    for `app_dirs().data / "library.sqlite3"`."""

    def __init__(self, path: str | os.PathLike[str] | None = None) -> None:
        self.path = Path(path) if path is not None else app_dirs().data / DB_NAME
        self.path.parent.mkdir(parents=True, exist_ok=True)
        # Each thread's connection by thread id (see _conn).
        self._conns: dict[int, sqlite3.Connection] = {}
        self._conns_lock = threading.Lock()
        self._closed = False
        self._claim_seq = 0
        self._claim_lock = threading.Lock()
        self.owner = f"{_HOST}:{os.getpid()}:{uuid.uuid4().hex[:12]}"
        with _LIVE_LOCK:
            _LIVE_OWNERS.add(self.owner)
        try:
            self._migrate()
            self.has_fts = (
                self._conn()
                .execute("SELECT 1 FROM sqlite_master WHERE name = 'images_fts'")
                .fetchone()
                is not None
            )
            released = self.recover()
            if released:
                log.info(
                    "requeued %d image(s) that were being captioned when AltLens stopped", released
                )
        except BaseException:
            self.close()
            raise

    # -- connections ---------------------------------------------------------------------------

    def _conn(self) -> sqlite3.Connection:
        if self._closed:
            raise LibraryError("The library is closed.", path=self.path)
        # By thread id, not threading.local: a Qt worker thread calling into Python gets a
        # fresh Python thread state per call, which empties a threading.local, so every
        # batch the window captioned opened a connection and kept it (~100 KB per photo).
        # current_thread() also registers a Qt thread with Python (as a "dummy" thread that
        # stays listed), so its connection is never taken for an ended thread's below.
        ident = threading.current_thread().ident or threading.get_ident()
        c = self._conns.get(ident)
        if c is None:
            try:
                c = sqlite3.connect(
                    self.path, timeout=30.0, isolation_level=None, check_same_thread=False
                )
                c.execute("PRAGMA busy_timeout = 30000")
                mode = c.execute("PRAGMA journal_mode = WAL").fetchone()[0]
                if mode.lower() != "wal":
                    log.warning(
                        "%s: SQLite refused WAL mode (%s); concurrent use will be slower",
                        self.path,
                        mode,
                    )
                # FULL: a committed approval survives power loss, not only a killed process.
                c.execute("PRAGMA synchronous = FULL")
                c.execute("PRAGMA foreign_keys = ON")
            except sqlite3.DatabaseError as exc:
                raise LibraryError(
                    f"The library database cannot be opened: {exc}.",
                    path=self.path,
                    hint="If it was damaged, move it away and AltLens will start a new one.",
                ) from exc
            c.row_factory = sqlite3.Row
            with self._conns_lock:
                # Connections of Python threads that have ended are closed here.
                live = {t.ident for t in threading.enumerate()}
                ended = [conn for i, conn in self._conns.items() if i not in live]
                self._conns = {i: conn for i, conn in self._conns.items() if i in live}
                self._conns[ident] = c
            for conn in ended:
                _close_quietly(conn)
        return c

    @contextlib.contextmanager
    def _write(self, *, durable: bool = True) -> Iterator[sqlite3.Connection]:
        """One short write transaction (nested calls join the outer one).

        `durable=False` skips the fsync at commit, for state that is re-derived from the files
        if a power cut loses it (scans, queue claims, suggestions): a killed process loses
        nothing either way in WAL mode, and a first scan of a big folder is not one fsync per
        photo. Approvals, writes and imports are always durable."""
        c = self._conn()
        if c.in_transaction:
            yield c
            return
        if not durable:
            c.execute("PRAGMA synchronous = NORMAL")
        try:
            c.execute("BEGIN IMMEDIATE")
            try:
                yield c
            except BaseException:
                c.execute("ROLLBACK")
                raise
            c.execute("COMMIT")
        finally:
            if not durable:
                c.execute("PRAGMA synchronous = FULL")

    @contextlib.contextmanager
    def _read(self) -> Iterator[sqlite3.Connection]:
        """A consistent snapshot for several SELECTs."""
        c = self._conn()
        if c.in_transaction:
            yield c
            return
        c.execute("BEGIN")
        try:
            yield c
        finally:
            c.execute("COMMIT")

    def close(self) -> None:
        """Close every thread's connection. Safe to call twice."""
        self._closed = True
        with _LIVE_LOCK:
            _LIVE_OWNERS.discard(self.owner)
        with self._conns_lock:
            conns, self._conns = self._conns, {}
        for c in conns.values():
            _close_quietly(c)

    def __enter__(self) -> Library:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _migrate(self) -> None:
        c = self._conn()
        # A table rebuild (v3) drops and renames `images`, which the journal references: foreign
        # keys are off meanwhile (they cannot change inside a transaction) and checked after.
        c.execute("PRAGMA foreign_keys = OFF")
        try:
            self._migrate_in_transaction(c)
        finally:
            c.execute("PRAGMA foreign_keys = ON")

    def _migrate_in_transaction(self, c: sqlite3.Connection) -> None:
        with self._write():
            version = c.execute("PRAGMA user_version").fetchone()[0]
            if version > SCHEMA_VERSION:
                raise LibraryVersionError(
                    f"This library was made by a newer AltLens (schema {version}; this version "
                    f"knows up to {SCHEMA_VERSION}).",
                    path=self.path,
                    hint="Update AltLens, or open another library with --library.",
                )
            for target in range(version, SCHEMA_VERSION):
                log.info("%s: upgrading library schema %d -> %d", self.path, target, target + 1)
                MIGRATIONS[target](c)
                c.execute(f"PRAGMA user_version = {target + 1}")

    @property
    def schema_version(self) -> int:
        return int(self._conn().execute("PRAGMA user_version").fetchone()[0])

    # -- rows --------------------------------------------------------------------------------------

    def _record(self, r: sqlite3.Row) -> ImageRecord:
        try:
            cands = tuple(
                Candidate(str(d["text"]), float(d["score"]))
                for d in json.loads(r["candidates"] or "[]")
            )
        except (ValueError, TypeError, KeyError):
            cands = ()
        return ImageRecord(
            id=r["id"],
            path=Path(r["path"]),
            status=r["status"],
            missing=r["missing_since"] is not None,
            size=r["size"],
            mtime_ns=r["mtime_ns"],
            sha256=r["sha256"],
            content_hash=r["content_hash"],
            candidates=cands,
            model=r["model"],
            alt_text=r["alt_text"],
            long_description=r["long_description"],
            decorative=bool(r["decorative"]),
            error=ErrorInfo(r["error_code"], r["error_message"] or "") if r["error_code"] else None,
            disk_caption=r["disk_caption"],
            queued=r["queue_priority"] is not None,
            in_flight=r["claim"] is not None,
            priority=r["queue_priority"],
            caption_runs=r["caption_runs"],
            created_at=r["created_at"],
            updated_at=r["updated_at"],
            suggested_at=r["suggested_at"],
            approved_at=r["approved_at"],
            written_at=r["written_at"],
            written_text=r["written_text"],
            skipped_at=r["skipped_at"],
        )

    def _row(self, c: sqlite3.Connection, key: str | int | os.PathLike[str]) -> sqlite3.Row | None:
        """By id, or by path: the live row, else the most recent missing row at that path."""
        if isinstance(key, int):
            return c.execute(f"SELECT {_COLUMNS} FROM images WHERE id = ?", (key,)).fetchone()
        p = str(norm_path(key))
        return c.execute(
            f"SELECT {_COLUMNS} FROM images WHERE path = ? "
            "ORDER BY missing_since IS NOT NULL, missing_since DESC LIMIT 1",
            (p,),
        ).fetchone()

    def _require(self, c: sqlite3.Connection, key: str | int | os.PathLike[str]) -> sqlite3.Row:
        r = self._row(c, key)
        if r is None:
            raise LibraryError("This image is not in the library.", path=str(key))
        return r

    def get(self, key: str | int | os.PathLike[str]) -> ImageRecord | None:
        """One image by id or path (None if unknown)."""
        r = self._row(self._conn(), key)
        return self._record(r) if r is not None else None

    def images(
        self,
        *,
        status: str | Iterable[str] | None = None,
        paths: Iterable[str | os.PathLike[str]] | None = None,
        under: str | os.PathLike[str] | None = None,
        include_missing: bool = True,
        limit: int | None = None,
        offset: int = 0,
    ) -> list[ImageRecord]:
        """Images ordered by path; filters combine. `status` may also be "missing"."""
        where, args = self._filters(status, paths, under, include_missing)
        sql = f"SELECT {_COLUMNS} FROM images {where} ORDER BY path, id"
        if limit is not None:
            sql += " LIMIT ? OFFSET ?"
            args += [limit, offset]
        return [self._record(r) for r in self._conn().execute(sql, args)]

    def image_pages(
        self, size: int = 500, *, first: int | None = None, include_missing: bool = True
    ) -> Iterator[list[ImageRecord]]:
        """Every image ordered by path, in lists of `size` (the first of `first`), read from
        one query as they are wanted: the first page is ready at once, however large the
        library, and the whole library is never held twice."""
        where, args = self._filters(None, None, None, include_missing)
        cursor = self._conn().execute(
            f"SELECT {_COLUMNS} FROM images {where} ORDER BY path, id", args
        )
        try:
            n = first if first is not None else size
            while rows := cursor.fetchmany(max(1, n)):
                yield [self._record(r) for r in rows]
                n = size
        finally:
            cursor.close()

    def _filters(
        self,
        status: str | Iterable[str] | None,
        paths: Iterable[str | os.PathLike[str]] | None,
        under: str | os.PathLike[str] | None,
        include_missing: bool,
    ) -> tuple[str, list[Any]]:
        clauses: list[str] = []
        args: list[Any] = []
        if status is not None:
            wanted = [status] if isinstance(status, str) else list(status)
            bad = [s for s in wanted if s not in (*STATUSES, "missing")]
            if bad:
                raise UsageError(
                    f"Unknown status {bad[0]!r}; use one of {', '.join((*STATUSES, 'missing'))}."
                )
            parts = []
            real = [s for s in wanted if s != "missing"]
            if real:
                parts.append(f"(status IN ({','.join('?' * len(real))}) AND missing_since IS NULL)")
                args += real
            if "missing" in wanted:
                parts.append("missing_since IS NOT NULL")
            clauses.append("(" + " OR ".join(parts) + ")")
        if paths is not None:
            plist = [str(norm_path(p)) for p in paths]
            if not plist:
                clauses.append("0")
            else:
                clauses.append(f"path IN ({','.join('?' * len(plist))})")
                args += plist
        if under is not None:
            clauses.append("(path = ? OR substr(path, 1, ?) = ?)")
            prefix = str(norm_path(under)).rstrip(os.sep) + os.sep
            args += [prefix.rstrip(os.sep), len(prefix), prefix]
        if not include_missing:
            clauses.append("missing_since IS NULL")
        return ("WHERE " + " AND ".join(clauses)) if clauses else "", args

    def counts(self) -> dict[str, int]:
        """Images per status (present files only), plus "missing", "in_flight" and "total"."""
        c = self._conn()
        out = {s: 0 for s in STATUSES}
        for r in c.execute(
            "SELECT status, count(*) FROM images WHERE missing_since IS NULL GROUP BY status"
        ):
            out[r[0]] = r[1]
        out["missing"] = c.execute(
            "SELECT count(*) FROM images WHERE missing_since IS NOT NULL"
        ).fetchone()[0]
        out["in_flight"] = c.execute(
            "SELECT count(*) FROM images WHERE claim IS NOT NULL"
        ).fetchone()[0]
        out["total"] = sum(out[s] for s in STATUSES) + out["missing"]
        return out

    # -- identity: what is on disk ---------------------------------------------------------------

    def observe(
        self,
        path: str | os.PathLike[str],
        *,
        enqueue: int | None = PRIORITY_WATCH,
        fp: Fingerprint | None = None,
    ) -> Change:
        """Bring the row of `path` up to date with the file on disk.

        `enqueue` is the queue priority for a picture that needs captioning (new or changed
        pixels); None only records it (status "new"). Reads the file only when its stat
        identity changed. Does file I/O: call it from a worker thread, not the GUI thread.
        """
        p = norm_path(path)
        try:
            st = stat_identity(p)
        except FileNotFoundError:
            return self.mark_missing(p)
        except OSError as exc:
            log.warning("%s: cannot read file information: %s", p, exc)
            return Change.IGNORED
        if not os.path.isfile(p):
            return Change.IGNORED
        c = self._conn()
        row = c.execute(
            "SELECT size, mtime_ns, inode FROM images WHERE path = ? AND missing_since IS NULL",
            (str(p),),
        ).fetchone()
        if row is not None and (row["size"], row["mtime_ns"], row["inode"]) == (
            st.size,
            st.mtime_ns,
            st.inode,
        ):
            return Change.UNCHANGED
        if fp is None:
            try:
                fp = fingerprint(p)  # outside the transaction: may take a while
            except FileNotFoundError:
                return self.mark_missing(p)
            except OSError as exc:
                return self._record_unreadable(p, exc)
        with self._write(durable=False) as c:
            return self._apply_fingerprint(c, p, fp, enqueue)

    def _record_unreadable(self, p: Path, exc: OSError) -> Change:
        """The file is there but cannot be read (permissions, a lock, an I/O error): show it
        with that error rather than leave it out. Its stat identity is cleared so every later
        event or scan tries again; its hashes and review are kept, so a file that becomes
        readable unchanged keeps its state."""
        if isinstance(exc, PermissionError):
            message = "AltLens is not allowed to read this file (permission denied)."
        else:
            message = f"The file cannot be read: {exc.strerror or exc}."
        log.warning("%s: %s", p, message)
        now = time.time()
        with self._write(durable=False) as c:
            row = c.execute(
                "SELECT id, status FROM images WHERE path = ? AND missing_since IS NULL", (str(p),)
            ).fetchone()
            if row is None:
                c.execute(
                    "INSERT INTO images (path, status, error_code, error_message, created_at, "
                    "updated_at) VALUES (?, 'error', 'file-unreadable', ?, ?, ?)",
                    (str(p), f"{p}: {message}", now, now),
                )
                return Change.NEW
            self._dequeue_rows(c, [row["id"]])
            c.execute(
                "UPDATE images SET size = NULL, mtime_ns = NULL, inode = NULL, "
                "error_code = 'file-unreadable', error_message = ?, updated_at = ?, "
                f"status = {sql_case(Event.UNREADABLE)} WHERE id = ?",
                (f"{p}: {message}", now, row["id"]),
            )
        return Change.IGNORED

    def _apply_fingerprint(
        self, c: sqlite3.Connection, p: Path, fp: Fingerprint, enqueue: int | None
    ) -> Change:
        now = time.time()
        row = c.execute(
            f"SELECT {_COLUMNS} FROM images WHERE path = ? AND missing_since IS NULL", (str(p),)
        ).fetchone()
        stat_cols = "size = ?, mtime_ns = ?, inode = ?, sha256 = ?, content_hash = ?, disk_caption = ?, updated_at = ?"
        stat_args = [
            fp.size,
            fp.mtime_ns,
            fp.inode,
            fp.sha256,
            fp.content_hash,
            fp.disk_caption,
            now,
        ]
        if row is not None:
            if row["sha256"] == fp.sha256 or row["content_hash"] == fp.content_hash:
                c.execute(f"UPDATE images SET {stat_cols} WHERE id = ?", [*stat_args, row["id"]])
                if row["error_code"] == "file-unreadable":  # readable again, same picture
                    self._clear_unreadable(c, row, enqueue, now)
                return Change.UNCHANGED if row["sha256"] == fp.sha256 else Change.METADATA
            self._reset_for_new_pixels(c, row["id"], row["status"], enqueue, now)
            c.execute(f"UPDATE images SET {stat_cols} WHERE id = ?", [*stat_args, row["id"]])
            log.info("%s: pixels changed; captioning again", p)
            return Change.PIXELS
        # A new path. Is it a picture we already know whose file is gone (moved, renamed,
        # or deleted and then restored)? Prefer a row at this very path, then the newest.
        for cand in c.execute(
            "SELECT id, path, missing_since, status, queue_priority FROM images WHERE content_hash = ? "
            "ORDER BY path = ? DESC, missing_since IS NULL, updated_at DESC",
            (fp.content_hash, str(p)),
        ).fetchall():
            if cand["missing_since"] is None and os.path.lexists(cand["path"]):
                continue  # a copy of a picture that is still there: a new image of its own
            c.execute(
                f"UPDATE images SET path = ?, missing_since = NULL, {stat_cols} WHERE id = ?",
                [str(p), *stat_args, cand["id"]],
            )
            if cand["status"] == "new" and enqueue is not None:
                self._enqueue_rows(c, [cand["id"]], enqueue, now)
            log.info("%s: known picture (was %s)", p, cand["path"])
            return Change.MOVED
        c.execute(
            "INSERT INTO images (path, size, mtime_ns, inode, sha256, content_hash, disk_caption, "
            "status, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, 'new', ?, ?)",
            (
                str(p),
                fp.size,
                fp.mtime_ns,
                fp.inode,
                fp.sha256,
                fp.content_hash,
                fp.disk_caption,
                now,
                now,
            ),
        )
        new_id = c.execute("SELECT last_insert_rowid()").fetchone()[0]
        if enqueue is not None:
            self._enqueue_rows(c, [new_id], enqueue, now)
        return Change.NEW

    def _clear_unreadable(
        self, c: sqlite3.Connection, row: sqlite3.Row, enqueue: int | None, now: float
    ) -> None:
        has_suggestion = row["candidates"] not in (None, "", "[]")
        c.execute(
            "UPDATE images SET error_code = NULL, error_message = NULL, updated_at = ?, "
            f"status = {sql_case(Event.READABLE, has_suggestions=str(int(has_suggestion)))} "
            "WHERE id = ?",
            (now, row["id"]),
        )
        if not has_suggestion and row["status"] == "error" and enqueue is not None:
            self._enqueue_rows(c, [row["id"]], enqueue, now)

    def _reset_for_new_pixels(
        self, c: sqlite3.Connection, image_id: int, status: str, enqueue: int | None, now: float
    ) -> None:
        # The old suggestions describe another picture: drop them. Approved text is kept as the
        # draft the reviewer starts from (it is often still right after a crop), but the image
        # needs review again, so it is no longer "approved"/"written".
        c.execute(
            "UPDATE images SET candidates = '[]', model = NULL, suggested_at = NULL, error_code = NULL, "
            "error_message = NULL, claim = NULL, claimed_at = NULL, queue_priority = NULL, "
            f"queued_at = NULL, skipped_at = NULL, status = {sql_case(Event.NEW_PIXELS)}, "
            "updated_at = ? WHERE id = ?",
            (now, image_id),
        )
        if enqueue is not None:
            self._enqueue_rows(c, [image_id], enqueue, now)

    def move(
        self,
        src: str | os.PathLike[str],
        dest: str | os.PathLike[str],
        *,
        enqueue: int | None = PRIORITY_WATCH,
    ) -> Change:
        """A file (or a folder, with everything in it) was renamed or moved from src to dest."""
        s, d = norm_path(src), norm_path(dest)
        if os.path.isdir(d):
            return self._move_tree(s, d, enqueue)
        with self._write(durable=False) as c:
            row = c.execute(
                "SELECT id FROM images WHERE path = ? AND missing_since IS NULL", (str(s),)
            ).fetchone()
            if row is not None:
                clash = c.execute(
                    "SELECT id FROM images WHERE path = ? AND missing_since IS NULL", (str(d),)
                ).fetchone()
                if clash is not None:  # the move replaced another image: that picture is gone
                    c.execute(
                        "UPDATE images SET missing_since = ?, updated_at = ? WHERE id = ?",
                        (time.time(), time.time(), clash["id"]),
                    )
                    self._dequeue_rows(c, [clash["id"]])
                c.execute(
                    "UPDATE images SET path = ?, updated_at = ? WHERE id = ?",
                    (str(d), time.time(), row["id"]),
                )
        change = self.observe(d, enqueue=enqueue)  # checks the file is the one we knew
        return Change.MOVED if row is not None and change is Change.UNCHANGED else change

    def _move_tree(self, s: Path, d: Path, enqueue: int | None) -> Change:
        sp, dp = str(s).rstrip(os.sep) + os.sep, str(d).rstrip(os.sep) + os.sep
        with self._write(durable=False) as c:
            rows = c.execute(
                "SELECT id, path FROM images WHERE missing_since IS NULL AND substr(path, 1, ?) = ?",
                (len(sp), sp),
            ).fetchall()
            now = time.time()
            for r in rows:
                c.execute(
                    "UPDATE images SET path = ?, updated_at = ? WHERE id = ?",
                    (dp + r["path"][len(sp) :], now, r["id"]),
                )
        for r in rows:
            self.observe(dp + r["path"][len(sp) :], enqueue=enqueue)
        return Change.MOVED

    def mark_missing(self, path: str | os.PathLike[str]) -> Change:
        """The file (or folder) at `path` is gone: mark its rows missing, unless it is back."""
        p = norm_path(path)
        prefix = str(p).rstrip(os.sep) + os.sep
        with self._write(durable=False) as c:
            rows = c.execute(
                "SELECT id, path FROM images WHERE missing_since IS NULL AND (path = ? OR substr(path, 1, ?) = ?)",
                (str(p), len(prefix), prefix),
            ).fetchall()
            gone = [r["id"] for r in rows if not os.path.lexists(r["path"])]
            if not gone:
                return Change.UNCHANGED
            now = time.time()
            c.executemany(
                "UPDATE images SET missing_since = ?, updated_at = ? WHERE id = ?",
                [(now, now, i) for i in gone],
            )
            self._dequeue_rows(c, gone)
        return Change.MISSING

    def scan_folder(
        self,
        folder: str | os.PathLike[str],
        *,
        recursive: bool = True,
        enqueue: int | None = PRIORITY_WATCH,
        cancel: Any = None,
    ) -> ScanReport:
        """Catch up with a folder: new, changed, moved and deleted images since last time.
        Costs one stat per file when nothing changed."""
        from altlens.core.images import is_captionable_name

        started = time.perf_counter()
        root = norm_path(folder)
        found: set[str] = set()
        changes: dict[str, int] = {}
        for dirpath, dirs, files in os.walk(root):
            dirs[:] = sorted(d for d in dirs if not d.startswith(".")) if recursive else []
            for name in sorted(files):
                if not is_captionable_name(name):
                    continue
                if cancel is not None and cancel.cancelled:
                    return ScanReport(root, len(found), changes, time.perf_counter() - started)
                p = os.path.join(dirpath, name)
                found.add(p)
                ch = self.observe(p, enqueue=enqueue)
                changes[ch.value] = changes.get(ch.value, 0) + 1
        # Known images under the folder that the walk did not find are gone.
        prefix = str(root).rstrip(os.sep) + os.sep
        for r in (
            self._conn()
            .execute(
                "SELECT path FROM images WHERE missing_since IS NULL AND substr(path, 1, ?) = ?",
                (len(prefix), prefix),
            )
            .fetchall()
        ):
            rel = r["path"][len(prefix) :]
            if r["path"] in found or (not recursive and os.sep in rel):
                continue
            if self.mark_missing(r["path"]) is Change.MISSING:
                changes["missing"] = changes.get("missing", 0) + 1
        return ScanReport(root, len(found), changes, time.perf_counter() - started)

    # -- the queue -------------------------------------------------------------------------------

    def _enqueue_rows(
        self, c: sqlite3.Connection, ids: Sequence[int], priority: int, now: float
    ) -> None:
        # Already queued: keep one entry, at the more urgent priority (duplicates merge); one
        # that moves up joins the end of its new priority's line.
        c.executemany(
            "UPDATE images SET "
            "queued_at = CASE WHEN queue_priority IS NULL OR ? < queue_priority THEN ? ELSE queued_at END, "
            "queue_priority = min(coalesce(queue_priority, ?), ?), "
            f"status = {sql_case(Event.ENQUEUE)}, updated_at = ? "
            "WHERE id = ? AND missing_since IS NULL",
            [(priority, now, priority, priority, now, i) for i in ids],
        )

    def _dequeue_rows(self, c: sqlite3.Connection, ids: Sequence[int]) -> None:
        c.executemany(
            "UPDATE images SET queue_priority = NULL, queued_at = NULL, claim = NULL, claimed_at = NULL, "
            "status = "
            + sql_case(Event.DEQUEUE, has_suggestions="caption_runs > 0 AND candidates != '[]'")
            + " WHERE id = ?",
            [(i,) for i in ids],
        )

    def enqueue(
        self, paths: Iterable[str | os.PathLike[str]], priority: int = PRIORITY_USER
    ) -> int:
        """Queue images for (re)captioning; unknown files are added first. Reviewed images keep
        their status and approved text (only their suggestions are refreshed). Returns how many
        images are now queued by this call (a file that is gone or unreadable is skipped)."""
        n = 0
        for path in paths:
            p = norm_path(path)
            if self.observe(p, enqueue=priority) in (Change.MISSING, Change.IGNORED):
                continue
            with self._write() as c:
                r = c.execute(
                    "SELECT id FROM images WHERE path = ? AND missing_since IS NULL", (str(p),)
                ).fetchone()
                if r is None:
                    continue
                self._enqueue_rows(c, [r["id"]], priority, time.time())
                n += 1
        return n

    def dequeue(self, paths: Iterable[str | os.PathLike[str]]) -> None:
        """Take images off the queue (a person cancelled them)."""
        with self._write() as c:
            ids = [r["id"] for p in paths if (r := self._row(c, p)) is not None]
            self._dequeue_rows(c, ids)

    def queue_length(self, *, include_in_flight: bool = True) -> int:
        sql = (
            "SELECT count(*) FROM images WHERE queue_priority IS NOT NULL AND missing_since IS NULL"
        )
        if not include_in_flight:
            sql += " AND claim IS NULL"
        return int(self._conn().execute(sql).fetchone()[0])

    def claim(self, limit: int = 1) -> list[CaptionJob]:
        """Take up to `limit` of the most urgent queued images for captioning. Each stays in the
        queue, marked in flight, until `record_result` or `release`; if this process dies, the
        next open hands it back."""
        with self._claim_lock:
            self._claim_seq += 1
            token = f"{self.owner}:{self._claim_seq}"
        now = time.time()
        with self._write(durable=False) as c:
            rows = c.execute(
                "SELECT id, path, queue_priority, sha256 FROM images WHERE queue_priority IS NOT NULL "
                "AND claim IS NULL AND missing_since IS NULL ORDER BY queue_priority, queued_at, id LIMIT ?",
                (limit,),
            ).fetchall()
            c.executemany(
                "UPDATE images SET claim = ?, claimed_at = ? WHERE id = ?",
                [(token, now, r["id"]) for r in rows],
            )
        return [
            CaptionJob(
                Path(r["path"]),
                r["queue_priority"],
                image_id=r["id"],
                token=token,
                sha256=r["sha256"],
            )
            for r in rows
        ]

    def release(self, jobs: Iterable[CaptionJob]) -> None:
        """Give claimed jobs back to the queue unfinished (cancelled, stopping)."""
        with self._write(durable=False) as c:
            c.executemany(
                "UPDATE images SET claim = NULL, claimed_at = NULL WHERE id = ? AND claim = ?",
                [(j.image_id, j.token) for j in jobs],
            )

    def record_result(self, job: CaptionJob, result: CaptionResult) -> bool:
        """Store the captioner's result for a claimed job. Returns False (and stores nothing)
        when the claim is stale: the picture changed, was dequeued or was recovered meanwhile."""
        now = time.time()
        with self._write(durable=False) as c:
            row = c.execute(
                "SELECT id, path, status, claim FROM images WHERE id = ?", (job.image_id,)
            ).fetchone()
            if row is None or row["claim"] != job.token:
                log.debug("%s: result dropped (claim no longer held)", job.path)
                return False
            if result.error is not None and result.error.code == "file-missing":
                # Renamed or deleted while it was being captioned. If the watcher has already
                # followed a rename, try again at the new path; otherwise it is gone.
                if row["path"] != str(job.path) and os.path.exists(row["path"]):
                    c.execute(
                        "UPDATE images SET claim = NULL, claimed_at = NULL WHERE id = ?",
                        (row["id"],),
                    )
                    return False
                if not os.path.lexists(row["path"]):
                    c.execute(
                        "UPDATE images SET missing_since = ?, updated_at = ? WHERE id = ?",
                        (now, now, row["id"]),
                    )
                    self._dequeue_rows(c, [row["id"]])
                    return False
            if result.ok:
                new_status = transition(row["status"], Event.CAPTIONED)
                c.execute(
                    "UPDATE images SET candidates = ?, model = ?, suggested_at = ?, error_code = NULL, "
                    "error_message = NULL, status = ?, queue_priority = NULL, queued_at = NULL, claim = NULL, "
                    "claimed_at = NULL, caption_runs = caption_runs + 1, updated_at = ? WHERE id = ?",
                    (
                        json.dumps([c_.to_dict() for c_ in result.candidates], ensure_ascii=False),
                        result.model or None,
                        now,
                        new_status,
                        now,
                        row["id"],
                    ),
                )
            else:
                err = result.error or ErrorInfo(
                    "empty-caption", "The model produced no text for this image."
                )
                c.execute(
                    "UPDATE images SET error_code = ?, error_message = ?, status = ?, queue_priority = NULL, "
                    "queued_at = NULL, claim = NULL, claimed_at = NULL, caption_runs = caption_runs + 1, "
                    "updated_at = ? WHERE id = ?",
                    (
                        err.code,
                        err.message,
                        transition(row["status"], Event.CAPTION_FAILED),
                        now,
                        row["id"],
                    ),
                )
        return True

    def record_external_result(
        self, path: str | os.PathLike[str], content_hash: str, result: CaptionResult, fp: Fingerprint | None = None
    ) -> str:
        """Store a result made outside the library (`altlens batch`) for the picture with
        `content_hash`, at `path` or, if that file is gone, wherever the library now has that
        picture. `fp` is the file's fingerprint when the caller knows it is current (saves a
        read). Like `record_result`, reviewed images keep their status and text; an error is
        only recorded for an image without suggestions. Returns "applied", "unchanged",
        "changed" (the file is another picture now) or "unmatched"."""
        p = norm_path(path)
        if os.path.isfile(p):
            self.observe(p, enqueue=None, fp=fp)
        now = time.time()
        with self._write(durable=False) as c:
            row = c.execute(f"SELECT {_COLUMNS} FROM images WHERE path = ? AND missing_since IS NULL", (str(p),)).fetchone()
            if row is None:  # moved since: the library follows pictures by content
                row = c.execute(
                    f"SELECT {_COLUMNS} FROM images WHERE content_hash = ? AND missing_since IS NULL ORDER BY updated_at DESC",
                    (content_hash,),
                ).fetchone()
            if row is None:
                return "unmatched"
            if row["content_hash"] != content_hash:
                return "changed"
            reviewed = row["status"] in REVIEWED
            if result.ok:
                cands = json.dumps([c_.to_dict() for c_ in result.candidates], ensure_ascii=False)
                if cands == row["candidates"] and (result.model or None) == row["model"]:
                    return "unchanged"
                c.execute(
                    "UPDATE images SET candidates = ?, model = ?, suggested_at = ?, error_code = NULL, error_message = NULL, "
                    "status = ?, queue_priority = NULL, queued_at = NULL, claim = NULL, claimed_at = NULL, "
                    "caption_runs = caption_runs + 1, updated_at = ? WHERE id = ?",
                    (cands, result.model or None, now, transition(row["status"], Event.CAPTIONED), now, row["id"]),
                )
                return "applied"
            err = result.error or ErrorInfo("empty-caption", "The model produced no text for this image.")
            if reviewed or row["candidates"] not in (None, "", "[]") or row["error_code"] == err.code:
                return "unchanged"
            c.execute(
                "UPDATE images SET error_code = ?, error_message = ?, status = ?, queue_priority = NULL, "
                "queued_at = NULL, claim = NULL, claimed_at = NULL, caption_runs = caption_runs + 1, updated_at = ? WHERE id = ?",
                (err.code, err.message, transition(row["status"], Event.CAPTION_FAILED), now, row["id"]),
            )
            return "applied"

    def recover(self) -> int:
        """Hand back to the queue the work whose process is gone. Runs on open."""
        released = 0
        with self._write() as c:
            for r in c.execute(
                "SELECT DISTINCT claim, min(claimed_at) AS t FROM images WHERE claim IS NOT NULL GROUP BY claim"
            ).fetchall():
                host, _, rest = r["claim"].partition(":")
                pid_s, _, inst = rest.partition(":")
                owner = f"{host}:{pid_s}:{inst.split(':')[0]}"
                if host == _HOST:
                    pid = int(pid_s) if pid_s.isdigit() else -1
                    if pid == os.getpid():
                        with _LIVE_LOCK:
                            alive = owner in _LIVE_OWNERS
                    else:
                        alive = pid_alive(pid)
                else:
                    alive = time.time() - (r["t"] or 0) < FOREIGN_CLAIM_TIMEOUT
                if not alive:
                    released += c.execute(
                        "UPDATE images SET claim = NULL, claimed_at = NULL WHERE claim = ?",
                        (r["claim"],),
                    ).rowcount
        return released

    # -- review ----------------------------------------------------------------------------------

    def approve(
        self,
        key: str | int | os.PathLike[str],
        text: str,
        *,
        long_description: str | None = None,
        decorative: bool = False,
    ) -> ImageRecord:
        """A person approved `text` as the alt text (empty only when `decorative`). Committed
        to disk before this returns."""
        text = text.strip()
        if not text and not decorative:
            raise UsageError("Alt text cannot be empty; mark the image as decorative instead.")
        now = time.time()
        with self._write() as c:
            r = self._require(c, key)
            c.execute(
                "UPDATE images SET alt_text = ?, long_description = ?, decorative = ?, status = ?, "
                "approved_at = ?, updated_at = ? WHERE id = ?",
                (
                    text,
                    (long_description or "").strip() or None,
                    int(decorative),
                    transition(r["status"], Event.APPROVE),
                    now,
                    now,
                    r["id"],
                ),
            )
            if r["queue_priority"] is not None and r["status"] == "queued":
                # Approved while still waiting for a suggestion: no need to caption it now.
                self._dequeue_rows(c, [r["id"]])
            return self._record(self._require(c, r["id"]))

    def reject(self, key: str | int | os.PathLike[str]) -> ImageRecord:
        """A person rejected the suggestions (and wants none written)."""
        now = time.time()
        with self._write() as c:
            r = self._require(c, key)
            status = transition(r["status"], Event.REJECT)
            if r["status"] == "queued":
                self._dequeue_rows(c, [r["id"]])
            c.execute(
                "UPDATE images SET status = ?, updated_at = ? WHERE id = ?",
                (status, now, r["id"]),
            )
            return self._record(self._require(c, r["id"]))

    def skip(self, key: str | int | os.PathLike[str]) -> ImageRecord:
        """A person put an image needing review aside: it still needs review, after the
        others (the oldest skip first). Refused for an image that does not need review."""
        now = time.time()
        with self._write() as c:
            r = self._require(c, key)
            c.execute(
                "UPDATE images SET status = ?, skipped_at = ?, updated_at = ? WHERE id = ?",
                (transition(r["status"], Event.SKIP), now, now, r["id"]),
            )
            return self._record(self._require(c, r["id"]))

    def record_undo(
        self,
        key: str | int | os.PathLike[str],
        *,
        disk_caption: str | None,
        journal_id: int | None = None,
    ) -> ImageRecord:
        """AltLens undid its last write into the file: the text stays approved, no longer in
        the file (`disk_caption` is what the file holds now). Refused unless it was written.
        `journal_id`: the undo's entry in the metadata journal (WriteResult.journal_id), linked
        to the image like its writes."""
        now = time.time()
        with self._write() as c:
            r = self._require(c, key)
            c.execute(
                "UPDATE images SET status = ?, disk_caption = ?, updated_at = ? WHERE id = ?",
                (transition(r["status"], Event.UNDO), disk_caption, now, r["id"]),
            )
            self._link_journal(c, r["id"], journal_id, now)
            return self._record(self._require(c, r["id"]))

    @staticmethod
    def _link_journal(c: sqlite3.Connection, image_id: int, journal_id: int | None, now: float) -> None:
        if journal_id is not None:
            c.execute(
                "INSERT OR IGNORE INTO image_journal (image_id, journal_id, at) VALUES (?, ?, ?)",
                (image_id, int(journal_id), now),
            )

    def record_write(
        self,
        path: str | os.PathLike[str],
        *,
        journal_id: int | None,
        size: int,
        mtime_ns: int,
        sha256: str,
        text: str,
        inode: int | None = None,
        long_description: str | None = None,
    ) -> ImageRecord:
        """AltLens wrote `text` into the file: mark it written, link the write's entry in the
        metadata journal (`journal_id`, from WriteResult.journal_id; None when the write had
        nothing to change, so nothing was journaled), and take the file's new identity (as
        reported by the writer), so the watcher's event for this write is recognised as ours and
        nothing is queued again. What the write changed is in that journal entry only."""
        p = norm_path(path)
        now = time.time()
        with self._write() as c:
            r = self._require(c, p)
            status = transition(r["status"], Event.WRITE)
            old_content = r["content_hash"]
            self._link_journal(c, r["id"], journal_id, now)
            if inode is None:
                try:
                    inode = os.stat(p).st_ino
                except OSError:
                    inode = r["inode"]
            # A metadata write never changes the pixels, so the content hash stays. The stat
            # identity and sha256 are the writer's, so a later scan sees "unchanged".
            c.execute(
                "UPDATE images SET status = ?, written_text = ?, written_at = ?, alt_text = ?, "
                "long_description = coalesce(?, long_description), size = ?, mtime_ns = ?, inode = ?, sha256 = ?, "
                "content_hash = ?, disk_caption = ?, updated_at = ? WHERE id = ?",
                (
                    status,
                    text,
                    now,
                    text,
                    long_description,
                    size,
                    mtime_ns,
                    inode,
                    sha256,
                    old_content,
                    text,
                    now,
                    r["id"],
                ),
            )
            if r["queue_priority"] is not None and r["claim"] is None and r["status"] == "queued":
                self._dequeue_rows(c, [r["id"]])
            return self._record(self._require(c, r["id"]))

    def journal_ids(self, key: str | int | os.PathLike[str]) -> list[int]:
        """The metadata journal's entries (writes and undos) of this image, oldest first: read
        them with WriteJournal.entries_by_id. They follow the image through moves, which the
        journal, keyed by path, cannot."""
        c = self._conn()
        r = self._require(c, key)
        return [
            int(j)
            for (j,) in c.execute(
                "SELECT journal_id FROM image_journal WHERE image_id = ? ORDER BY journal_id",
                (r["id"],),
            )
        ]

    def forget(self, key: str | int | os.PathLike[str]) -> None:
        """Remove an image's row for good (a person asked to; never done automatically). The
        metadata journal keeps its entries: the file's writes stay undoable."""
        with self._write() as c:
            r = self._require(c, key)
            c.execute("DELETE FROM image_journal WHERE image_id = ?", (r["id"],))
            c.execute("DELETE FROM images WHERE id = ?", (r["id"],))

    # -- watched folders ------------------------------------------------------------------------

    def add_folder(
        self, path: str | os.PathLike[str], *, recursive: bool = True, poll: bool = False
    ) -> WatchedFolder:
        """Watch a folder (or update its options). Its images are found by the next scan."""
        p = norm_path(path)
        if not p.is_dir():
            raise UsageError("This is not a folder (or it does not exist).", path=p)
        with self._write() as c:
            c.execute(
                "INSERT INTO folders (path, recursive, poll, added_at) VALUES (?, ?, ?, ?) "
                "ON CONFLICT(path) DO UPDATE SET recursive = excluded.recursive, poll = excluded.poll",
                (str(p), int(recursive), int(poll), time.time()),
            )
        f = self.folder(p)
        assert f is not None
        return f

    def remove_folder(self, path: str | os.PathLike[str]) -> None:
        """Stop watching; the images and their captions stay in the library."""
        with self._write() as c:
            c.execute("DELETE FROM folders WHERE path = ?", (str(norm_path(path)),))

    def set_folder_paused(self, path: str | os.PathLike[str], paused: bool) -> None:
        with self._write() as c:
            c.execute(
                "UPDATE folders SET paused = ? WHERE path = ?", (int(paused), str(norm_path(path)))
            )

    def folder(self, path: str | os.PathLike[str]) -> WatchedFolder | None:
        r = (
            self._conn()
            .execute("SELECT * FROM folders WHERE path = ?", (str(norm_path(path)),))
            .fetchone()
        )
        return _folder(r) if r is not None else None

    def folders(self) -> list[WatchedFolder]:
        return [_folder(r) for r in self._conn().execute("SELECT * FROM folders ORDER BY path")]

    # -- search ----------------------------------------------------------------------------------

    def search(
        self, text: str, *, limit: int = 200, include_missing: bool = False
    ) -> list[ImageRecord]:
        """Images whose suggestions, approved text, long description or on-disk caption contain
        every word of `text` (word prefixes match: "dog" finds "dogs"). Best matches first."""
        words = re.findall(r"\w+", text, flags=re.UNICODE)
        if not words:
            return []
        c = self._conn()
        cols = ", ".join(f"images.{col.strip()}" for col in _COLUMNS.split(","))
        missing = "" if include_missing else "AND images.missing_since IS NULL"
        if self.has_fts:
            query = " ".join('"' + w.replace('"', '""') + '"*' for w in words)
            rows = c.execute(
                f"SELECT {cols} FROM images_fts JOIN images ON images.id = images_fts.rowid "
                f"WHERE images_fts MATCH ? {missing} ORDER BY images_fts.rank LIMIT ?",
                (query, limit),
            ).fetchall()
        else:
            clauses = " AND ".join(f"{_search_expr('images')} LIKE ? ESCAPE '\\'" for _ in words)
            args = [
                "%" + w.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
                for w in words
            ]
            rows = c.execute(
                f"SELECT {cols} FROM images WHERE {clauses} {missing} ORDER BY images.path LIMIT ?",
                [*args, limit],
            ).fetchall()
        return [self._record(r) for r in rows]

    # -- export / import -------------------------------------------------------------------------

    EXPORT_FIELDS: tuple[str, ...] = (
        "path",
        "status",
        "caption",
        "alt_text",
        "long_description",
        "decorative",
        "score",
        "candidates",
        "model",
        "disk_caption",
        "error_code",
        "error_message",
        "missing",
        "updated_at",
    )

    def export_records(
        self,
        *,
        status: str | Iterable[str] | None = None,
        paths: Iterable[str | os.PathLike[str]] | None = None,
    ) -> list[ImageRecord]:
        return self.images(status=status, paths=paths)

    def export_json(self, stream: TextIO, **filters: Any) -> int:
        """A JSON array, one object per image (see ImageRecord.to_dict). Returns the count."""
        recs = self.export_records(**filters)
        json.dump([r.to_dict() for r in recs], stream, ensure_ascii=False, indent=1)
        stream.write("\n")
        return len(recs)

    def export_csv(self, stream: TextIO, **filters: Any) -> int:
        """CSV with a header row (EXPORT_FIELDS); `caption` is the column to edit for import.
        Returns the count. Open files with newline="" (the csv module's rule)."""
        recs = self.export_records(**filters)
        w = csv.writer(stream)
        w.writerow(self.EXPORT_FIELDS)
        for r in recs:
            d = r.to_dict()
            w.writerow(
                [_csv_cell(v) for v in (
                    d["path"],
                    d["status"],
                    d["caption"] or "",
                    d["alt_text"] or "",
                    d["long_description"] or "",
                    "yes" if r.decorative else "",
                    f"{r.score:.4f}" if r.score is not None else "",
                    json.dumps(d["candidates"], ensure_ascii=False),
                    d["model"] or "",
                    d["disk_caption"] or "",
                    r.error.code if r.error else "",
                    r.error.message if r.error else "",
                    "yes" if r.missing else "",
                    d["updated_at"] or "",
                )]
            )
        return len(recs)

    def import_csv(
        self,
        source: str | os.PathLike[str] | TextIO,
        *,
        overwrite: bool = False,
        base_dir: str | os.PathLike[str] | None = None,
    ) -> ImportReport:
        """Apply edited captions from a CSV (as written by export_csv, or any CSV with `path`
        and `caption` columns; `long_description`, `decorative` and `status` are optional).

        A row whose caption differs from what the library has, or whose status cell says
        "approved", is applied as approved text (a person reviewed it in the spreadsheet); a row
        whose status says "rejected" rejects the image; an unedited row changes nothing. Images
        already approved or written with a different text are conflicts and left alone unless
        `overwrite`. Rows are matched by path (relative paths against `base_dir`, by default the
        CSV's folder). All applied rows are committed together.
        """
        if isinstance(source, (str, os.PathLike)):
            base = Path(base_dir) if base_dir is not None else Path(source).absolute().parent
            try:
                with open(source, encoding="utf-8-sig", newline="") as fh:
                    return self._import_rows(fh, base, overwrite)
            except FileNotFoundError:
                raise UsageError("The CSV file does not exist.", path=source) from None
            except UnicodeDecodeError as exc:
                raise UsageError(
                    f"The CSV file is not UTF-8 text ({exc.reason} at byte {exc.start}).",
                    path=source,
                    hint="Save it from your spreadsheet as 'CSV UTF-8'.",
                ) from None
        return self._import_rows(
            source, Path(base_dir) if base_dir is not None else Path.cwd(), overwrite
        )

    def _import_rows(self, fh: TextIO, base: Path, overwrite: bool) -> ImportReport:
        report = ImportReport()
        reader = csv.DictReader(fh)
        fields = [f.strip().lower() for f in (reader.fieldnames or [])]
        reader.fieldnames = fields
        if "path" not in fields or "caption" not in fields:
            raise UsageError(
                "The CSV needs a header row with at least the columns 'path' and 'caption'."
            )
        now = time.time()
        with self._write() as c:
            for row in reader:
                line = reader.line_num
                raw_path = _csv_value(row.get("path"))
                if not raw_path:
                    report.invalid.append((line, "no path"))
                    continue
                text = _csv_value(row.get("caption"))
                long_desc = _csv_value(row.get("long_description")) or None
                decorative = (row.get("decorative") or "").strip().lower() in (
                    "yes",
                    "true",
                    "1",
                    "x",
                )
                wanted = (row.get("status") or "").strip().lower()
                p = Path(raw_path) if os.path.isabs(raw_path) else base / raw_path
                r = self._row(c, p)
                if r is None:
                    report.unmatched.append((line, raw_path))
                    continue
                rec = self._record(r)
                if wanted == "rejected":
                    if rec.status == "rejected":
                        report.unchanged += 1
                    elif rec.status in ("approved", "written", "undone") and not overwrite:
                        report.conflicts.append((line, rec.path, rec.caption or "", "(rejected)"))
                    else:
                        if rec.queued and rec.status == "queued":
                            self._dequeue_rows(c, [rec.id])
                        c.execute(
                            "UPDATE images SET status = ?, updated_at = ? WHERE id = ?",
                            (transition(rec.status, Event.REJECT), now, rec.id),
                        )
                        report.applied.append(rec.path)
                    continue
                if not text and not decorative:
                    if wanted == "approved":
                        report.invalid.append(
                            (line, "approved with an empty caption (mark it decorative instead)")
                        )
                    else:
                        report.unchanged += 1
                    continue
                same_text = text == (rec.caption or "")
                same_extra = long_desc == rec.long_description and decorative == rec.decorative
                if rec.status in ("approved", "written", "undone"):
                    if same_text and (
                        same_extra or (long_desc is None and "long_description" not in fields)
                    ):
                        report.unchanged += 1
                        continue
                    if not overwrite:
                        report.conflicts.append((line, rec.path, rec.caption or "", text))
                        continue
                elif same_text and wanted != "approved":
                    report.unchanged += 1  # an unedited suggestion is not a review
                    continue
                c.execute(
                    "UPDATE images SET alt_text = ?, long_description = ?, decorative = ?, status = ?, "
                    "approved_at = ?, updated_at = ? WHERE id = ?",
                    (
                        text,
                        long_desc,
                        int(decorative),
                        transition(rec.status, Event.APPROVE),
                        now,
                        now,
                        rec.id,
                    ),
                )
                if rec.status == "queued":
                    self._dequeue_rows(c, [rec.id])
                report.applied.append(rec.path)
        return report


# Spreadsheets run a cell that starts with one of these as a formula ("CSV injection"); a
# caption is untrusted model output, so such cells are exported behind an apostrophe, which
# spreadsheets show as text and import strips again.
_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def _csv_cell(value: str) -> str:
    return "'" + value if value.startswith(_FORMULA_STARTS) else value


def _csv_value(cell: str | None) -> str:
    text = (cell or "").strip()
    if text.startswith("'") and text[1:].startswith(_FORMULA_STARTS):
        text = text[1:]
    return text


def _folder(r: sqlite3.Row) -> WatchedFolder:
    return WatchedFolder(
        r["id"], Path(r["path"]), bool(r["recursive"]), bool(r["paused"]), bool(r["poll"])
    )


def export_text(library: Library, fmt: str, **filters: Any) -> str:
    """Export to a string ("csv" or "json"), for callers that want no stream."""
    buf = io.StringIO(newline="")
    (library.export_csv if fmt == "csv" else library.export_json)(buf, **filters)
    return buf.getvalue()
