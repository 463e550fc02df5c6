# SPDX-License-Identifier: GPL-3.0-or-later
"""The write journal: every write and undo AltLens does, with the old and new value of every
field and the identity of each written file afterwards, so a write can be undone days later
as long as the file is still exactly what AltLens left.

SQLite (stdlib) in WAL mode under app_dirs().data. An entry is recorded as "pending" before
the rename and marked "done" after it; after a crash in between, `reconcile()` settles it by
comparing the file's content with the recorded identity.
"""

from __future__ import annotations

import json
import logging
import os
import sqlite3
from collections.abc import Iterable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from altlens.core.metadata.errors import JournalError
from altlens.core.metadata.types import FieldChange, FileIdentity, JournalEntry

log = logging.getLogger(__name__)

SCHEMA_VERSION = 2

# v2: per target, the digest of every tag before the write (undo proves it got back there)
# and, where tags alone cannot undo a write, a copy of the original's bytes.
_V2 = """
ALTER TABLE targets ADD COLUMN tags_before TEXT;
ALTER TABLE targets ADD COLUMN undo_copy TEXT;
"""

_SCHEMA = """
CREATE TABLE IF NOT EXISTS operations (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    path        TEXT NOT NULL,          -- the photo (absolute)
    kind        TEXT NOT NULL,          -- 'write' | 'undo'
    state       TEXT NOT NULL,          -- 'pending' | 'done' | 'failed'
    created_at  TEXT NOT NULL,
    undoes      INTEGER REFERENCES operations(id),
    undone_by   INTEGER REFERENCES operations(id),
    request     TEXT                    -- JSON: profile, model, reviewed, edited
);
CREATE INDEX IF NOT EXISTS operations_path ON operations(path, id);
CREATE TABLE IF NOT EXISTS targets (
    op_id       INTEGER NOT NULL REFERENCES operations(id),
    target      TEXT NOT NULL,          -- the file written: the photo or a sidecar
    created     INTEGER NOT NULL,       -- 1: this operation created the file (a new sidecar)
    deleted     INTEGER NOT NULL DEFAULT 0, -- 1: this operation removed it (undo of a creation)
    identity_before TEXT,               -- JSON FileIdentity or NULL
    identity_after  TEXT,               -- JSON FileIdentity or NULL (deleted)
    backup      TEXT,
    PRIMARY KEY (op_id, target)
);
CREATE TABLE IF NOT EXISTS changes (
    op_id       INTEGER NOT NULL REFERENCES operations(id),
    target      TEXT NOT NULL,
    field       TEXT NOT NULL,
    role        TEXT,
    old_value   TEXT,                   -- NULL: the field was absent
    new_value   TEXT                    -- NULL: the field was removed
);
CREATE INDEX IF NOT EXISTS changes_op ON changes(op_id);
"""


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="milliseconds")


def _ident_json(identity: FileIdentity | None) -> str | None:
    return None if identity is None else json.dumps(identity.to_dict())


def _ident(data: str | None) -> FileIdentity | None:
    return None if data is None else FileIdentity.from_dict(json.loads(data))


class WriteJournal:
    """Owned by the writer thread, like the writer itself."""

    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self._db = sqlite3.connect(os.fspath(self.path), isolation_level=None, timeout=30)
            self._db.execute("PRAGMA journal_mode=WAL")
            self._db.execute("PRAGMA synchronous=FULL")  # a journaled write must survive power loss
            self._db.execute("PRAGMA foreign_keys=ON")
            version = self._db.execute("PRAGMA user_version").fetchone()[0]
            if version > SCHEMA_VERSION:
                raise JournalError(
                    f"The write journal {self.path} was made by a newer AltLens "
                    f"(schema {version}); undo is unavailable with this version."
                )
            self._db.executescript(_SCHEMA)
            columns = {r[1] for r in self._db.execute("PRAGMA table_info(targets)")}
            if "tags_before" not in columns:
                self._db.executescript(_V2)
            self._db.execute(f"PRAGMA user_version={SCHEMA_VERSION}")
        except sqlite3.Error as exc:
            raise JournalError(f"Cannot open the write journal {self.path}: {exc}") from exc

    def close(self) -> None:
        self._db.close()

    # -- recording -------------------------------------------------------------------------

    def begin(
        self,
        path: Path,
        kind: str,
        changes: Iterable[FieldChange],
        targets: Iterable[tuple[Any, ...]],
        *,
        request: dict[str, Any] | None = None,
        undoes: int | None = None,
    ) -> int:
        """Record an operation as pending, before any file is replaced. `targets` are
        (file, created, identity_before, identity_after, backup[, tags_before, undo_copy])."""
        try:
            with self._tx():
                cur = self._db.execute(
                    "INSERT INTO operations(path, kind, state, created_at, undoes, request) "
                    "VALUES (?, ?, 'pending', ?, ?, ?)",
                    (os.fspath(path), kind, _now(), undoes,
                     json.dumps(request) if request is not None else None),
                )
                op_id = int(cur.lastrowid or 0)
                for row in targets:
                    target, created, before, after, backup = row[:5]
                    tags_before, undo_copy = (*row[5:7], None, None)[:2]
                    self._db.execute(
                        "INSERT INTO targets(op_id, target, created, deleted, identity_before, "
                        "identity_after, backup, tags_before, undo_copy) "
                        "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                        (op_id, os.fspath(target), int(created), int(after is None),
                         _ident_json(before), _ident_json(after),
                         os.fspath(backup) if backup else None, tags_before,
                         os.fspath(undo_copy) if undo_copy else None),
                    )
                self._db.executemany(
                    "INSERT INTO changes(op_id, target, field, role, old_value, new_value) "
                    "VALUES (?, ?, ?, ?, ?, ?)",
                    [(op_id, os.fspath(c.target), c.field, c.role, c.old, c.new) for c in changes],
                )
            return op_id
        except sqlite3.Error as exc:
            raise JournalError(f"Cannot record the write in the journal: {exc}") from exc

    def update_target(self, op_id: int, target: Path, identity_after: FileIdentity | None) -> None:
        with self._tx():
            self._db.execute(
                "UPDATE targets SET identity_after=? WHERE op_id=? AND target=?",
                (_ident_json(identity_after), op_id, os.fspath(target)),
            )

    def finish(self, op_id: int, state: str = "done") -> None:
        try:
            with self._tx():
                self._db.execute("UPDATE operations SET state=? WHERE id=?", (state, op_id))
                if state == "done":
                    row = self._db.execute(
                        "SELECT undoes FROM operations WHERE id=?", (op_id,)
                    ).fetchone()
                    if row and row[0] is not None:
                        self._db.execute(
                            "UPDATE operations SET undone_by=? WHERE id=?", (op_id, row[0])
                        )
        except sqlite3.Error as exc:
            raise JournalError(f"Cannot update the write journal: {exc}") from exc

    def _tx(self) -> _Tx:
        return _Tx(self._db)

    # -- queries ---------------------------------------------------------------------------

    def entries(self, path: Path, *, states: tuple[str, ...] = ("done",)) -> list[JournalEntry]:
        """Operations on `path`, oldest first."""
        marks = ",".join("?" * len(states))
        rows = self._db.execute(
            f"SELECT id, path, kind, state, created_at, undoes, undone_by FROM operations "
            f"WHERE path=? AND state IN ({marks}) ORDER BY id",
            (os.fspath(path), *states),
        ).fetchall()
        return [self._entry(row) for row in rows]

    def entry(self, op_id: int) -> JournalEntry | None:
        row = self._db.execute(
            "SELECT id, path, kind, state, created_at, undoes, undone_by FROM operations "
            "WHERE id=?", (op_id,)
        ).fetchone()
        return self._entry(row) if row else None

    def entries_by_id(self, ids: Iterable[int]) -> list[JournalEntry]:
        """The entries with these ids (as the library links them to an image: see
        Library.journal_ids), oldest first, in any state; ids this journal lacks are left out."""
        wanted = sorted({int(i) for i in ids})
        entries = []
        for start in range(0, len(wanted), 500):  # within SQLite's limit on parameters
            chunk = wanted[start:start + 500]
            rows = self._db.execute(
                f"SELECT id, path, kind, state, created_at, undoes, undone_by FROM operations "
                f"WHERE id IN ({','.join('?' * len(chunk))}) ORDER BY id", chunk,
            ).fetchall()
            entries.extend(self._entry(row) for row in rows)
        return entries

    def _entry(self, row: tuple[Any, ...]) -> JournalEntry:
        op_id = row[0]
        changes = tuple(
            FieldChange(field=f, old=o, new=n, target=Path(t), role=r)
            for t, f, r, o, n in self._db.execute(
                "SELECT target, field, role, old_value, new_value FROM changes "
                "WHERE op_id=? ORDER BY rowid", (op_id,)
            )
        )
        targets = []
        backups = []
        undo_info = []
        for t, created, before, after, backup, tags_before, undo_copy in self._db.execute(
            "SELECT target, created, identity_before, identity_after, backup, tags_before, "
            "undo_copy FROM targets WHERE op_id=? ORDER BY rowid", (op_id,)
        ):
            targets.append((Path(t), _ident(after), bool(created)))
            if backup:
                backups.append(Path(backup))
            undo_info.append((Path(t), _ident(before), tags_before,
                              Path(undo_copy) if undo_copy else None))
        return JournalEntry(
            id=op_id, path=Path(row[1]), kind=row[2], state=row[3], created_at=row[4],
            undoes=row[5], undone_by=row[6], changes=changes, targets=tuple(targets),
            backups=tuple(backups), undo_info=tuple(undo_info),
        )

    def pending(self) -> list[JournalEntry]:
        rows = self._db.execute(
            "SELECT id, path, kind, state, created_at, undoes, undone_by FROM operations "
            "WHERE state='pending' ORDER BY id"
        ).fetchall()
        return [self._entry(row) for row in rows]

    def reconcile(self, identity_of: Any) -> int:
        """Settle operations a crash left pending: "done" when every target is what the
        operation would have left (content compared), else "failed" (the rename never
        happened). `identity_of(path)` returns a FileIdentity or None if the file is gone.
        Returns how many were settled."""
        settled = 0
        for entry in self.pending():
            ok = True
            for target, after, _created in entry.targets:
                current = identity_of(target)
                ok = ok and (current is None if after is None else after.same_content(current))
            self.finish(entry.id, "done" if ok else "failed")
            settled += 1
            log.info("journal entry %s for %s settled as %s", entry.id, entry.path,
                     "done" if ok else "failed")
        return settled


class _Tx:
    def __init__(self, db: sqlite3.Connection) -> None:
        self._db = db

    def __enter__(self) -> None:
        self._db.execute("BEGIN IMMEDIATE")

    def __exit__(self, exc_type: object, *_: object) -> None:
        self._db.execute("COMMIT" if exc_type is None else "ROLLBACK")
