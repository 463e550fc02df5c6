# SPDX-License-Identifier: GPL-3.0-or-later
"""The review state machine (core/review.py) and the library keeping its states: legal and
refused moves, the SQL the library runs being the same table, skip and undo persisted, and
the upgrade of an existing library to the new states."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pytest
from altlens.core.library import MIGRATIONS, STATUSES, Library
from altlens.core.review import (
    BACK,
    TRANSITIONS,
    Event,
    IllegalTransition,
    ReviewState,
    sql_case,
    transition,
)
from altlens.core.types import Candidate, CaptionResult

from tests.core.library_support import make_images

S = ReviewState


def test_every_state_is_stored_by_the_library() -> None:
    assert STATUSES == tuple(s.value for s in ReviewState)
    assert {s.value for s in ReviewState} == {
        "new", "queued", "suggested", "approved", "written", "skipped", "rejected", "undone",
        "error",
    }  # fmt: skip


@pytest.mark.parametrize(
    ("state", "event", "after"),
    [
        (S.NEW, Event.ENQUEUE, S.QUEUED),
        (S.QUEUED, Event.CAPTIONED, S.SUGGESTED),
        (S.SUGGESTED, Event.SKIP, S.SKIPPED),
        (S.SKIPPED, Event.APPROVE, S.APPROVED),
        (S.APPROVED, Event.WRITE, S.WRITTEN),
        (S.WRITTEN, Event.UNDO, S.UNDONE),
        (S.UNDONE, Event.APPROVE, S.APPROVED),
        (S.WRITTEN, Event.CAPTIONED, S.WRITTEN),  # new suggestions keep a decision
        (S.SKIPPED, Event.CAPTION_FAILED, S.ERROR),
        (S.REJECTED, Event.NEW_PIXELS, S.NEW),
    ],
)
def test_legal_moves(state: ReviewState, event: Event, after: ReviewState) -> None:
    assert transition(state, event) is after


@pytest.mark.parametrize(
    ("state", "event"),
    [
        (S.APPROVED, Event.SKIP),
        (S.QUEUED, Event.SKIP),
        (S.SUGGESTED, Event.WRITE),
        (S.UNDONE, Event.UNDO),
        (S.APPROVED, Event.UNDO),
        (S.REJECTED, Event.WRITE),
    ],
)
def test_illegal_moves_are_refused(state: ReviewState, event: Event) -> None:
    with pytest.raises(IllegalTransition, match=f"Cannot {event.value}"):
        transition(state, event)


def test_back_depends_on_suggestions() -> None:
    assert transition(S.QUEUED, Event.DEQUEUE, has_suggestions=True) is S.SUGGESTED
    assert transition(S.QUEUED, Event.DEQUEUE, has_suggestions=False) is S.NEW
    assert transition(S.ERROR, Event.READABLE, has_suggestions=True) is S.SUGGESTED


@pytest.mark.parametrize("event", [e for e in Event if set(TRANSITIONS[e]) == set(ReviewState)])
def test_sql_case_is_the_same_table(event: Event) -> None:
    """The library's bulk updates give, for every state, what `transition` gives."""
    c = sqlite3.connect(":memory:")
    for state in ReviewState:
        for has in (False, True):
            expr = sql_case(event, column="?1", has_suggestions=str(int(has)))
            got = c.execute(f"SELECT {expr}", (state.value,)).fetchone()[0]
            assert got == transition(state, event, has_suggestions=has).value, (state, has)


def test_sql_case_refuses_a_partial_event() -> None:
    with pytest.raises(ValueError, match="not defined for every state"):
        sql_case(Event.UNDO)
    assert BACK not in {t for t in TRANSITIONS[Event.UNDO].values()}


@pytest.fixture
def lib(tmp_path: Path):
    library = Library(tmp_path / "lib.sqlite3")
    yield library
    library.close()


def _suggested(lib: Library, tmp_path: Path, n: int) -> list[Path]:
    paths = make_images(tmp_path / "photos", n)
    lib.enqueue(paths)
    for job in lib.claim(n):
        lib.record_result(job, CaptionResult(0, job.path, (Candidate("a shape", 0.8),), model="toy"))
    return paths


def test_skip_is_kept_and_refused_where_it_makes_no_sense(lib: Library, tmp_path: Path) -> None:
    a, b = _suggested(lib, tmp_path, 2)
    rec = lib.skip(a)
    assert rec.status == "skipped" and rec.skipped_at is not None
    assert lib.counts()["skipped"] == 1
    lib.approve(b, "a shape")
    with pytest.raises(IllegalTransition):
        lib.skip(b)
    assert lib.get(b).status == "approved"  # a refused move changes nothing
    # Regenerating a skipped image makes it need review again, as any fresh suggestion does.
    lib.enqueue([a])
    assert lib.get(a).status == "queued"


def test_undo_is_a_state_of_its_own(lib: Library, tmp_path: Path) -> None:
    (a,) = _suggested(lib, tmp_path, 1)
    with pytest.raises(IllegalTransition):
        lib.record_undo(a, disk_caption=None)
    lib.approve(a, "a shape")
    st = a.stat()
    lib.record_write(
        a, journal_id=7, size=st.st_size, mtime_ns=st.st_mtime_ns, sha256="s", text="a shape"
    )
    rec = lib.record_undo(a, disk_caption=None, journal_id=8)
    assert rec.status == "undone" and rec.alt_text == "a shape" and rec.disk_caption is None
    assert rec.caption == "a shape"  # the approved text, still
    assert lib.journal_ids(a) == [7, 8]  # the write's and the undo's journal entries
    with pytest.raises(IllegalTransition):
        lib.record_undo(a, disk_caption=None, journal_id=9)  # nothing left to undo
    assert lib.journal_ids(a) == [7, 8]  # a refused undo links nothing
    assert lib.approve(a, "a shape").status == "approved"


def test_a_schema_2_library_is_upgraded_with_its_search(tmp_path: Path) -> None:
    db = tmp_path / "old.sqlite3"
    c = sqlite3.connect(db, isolation_level=None)
    c.execute("BEGIN")
    MIGRATIONS[0](c)
    MIGRATIONS[1](c)
    c.execute("PRAGMA user_version = 2")
    c.execute(
        "INSERT INTO images (path, status, candidates, alt_text, written_text, created_at, "
        "updated_at, size, mtime_ns, inode, sha256, content_hash) VALUES "
        "(?, 'written', ?, 'A dog in the snow', 'A dog in the snow', 0, 0, 1, 1, 1, 'x', 'y')",
        (str(tmp_path / "dog.jpg"), json.dumps([{"text": "a dog", "score": 0.7}])),
    )
    c.execute(
        "INSERT INTO writes (image_id, path, at, new_text) VALUES (1, ?, 0, 'A dog in the snow')",
        (str(tmp_path / "dog.jpg"),),
    )
    c.execute("COMMIT")
    c.close()
    with Library(db) as lib:
        assert lib.schema_version == len(MIGRATIONS) == 4
        rec = lib.get(tmp_path / "dog.jpg")
        assert rec.id == 1 and rec.status == "written" and rec.skipped_at is None
        assert rec.written_text == "A dog in the snow"
        # v4: the old copy of the write is dropped (the metadata journal has the write itself);
        # the image links no journal entry until its next write.
        assert lib.journal_ids(rec.id) == []
        assert [r.path.name for r in lib.search("snow")] == ["dog.jpg"]
        # The search index still follows changes (its triggers came back with the table).
        assert lib.record_undo(rec.id, disk_caption=None).status == "undone"
        lib.approve(rec.id, "A cat on a wall")
        assert [r.path.name for r in lib.search("cat")] == ["dog.jpg"]
        fk = sqlite3.connect(db).execute("PRAGMA foreign_key_check").fetchall()
        assert fk == []


def test_a_schema_3_library_drops_its_copy_of_the_writes_and_links_new_ones(
    tmp_path: Path,
) -> None:
    db = tmp_path / "v3.sqlite3"
    c = sqlite3.connect(db, isolation_level=None)
    c.execute("BEGIN")
    for step in MIGRATIONS[:3]:
        step(c)
    c.execute("PRAGMA user_version = 3")
    dog, cat = tmp_path / "dog.jpg", tmp_path / "cat.jpg"
    for path, status in ((dog, "written"), (cat, "undone")):
        c.execute(
            "INSERT INTO images (path, status, candidates, alt_text, written_text, created_at, "
            "updated_at, size, mtime_ns, inode, sha256, content_hash) VALUES "
            "(?, ?, '[]', 'old text', 'old text', 0, 0, 1, 1, 1, 'x', ?)",
            (str(path), status, path.name),
        )
    c.execute("INSERT INTO writes (image_id, path, at, new_text) VALUES (1, ?, 0, 'old text')",
              (str(dog),))
    c.execute("INSERT INTO writes (image_id, path, at, new_text) VALUES (2, ?, 0, 'old text')",
              (str(cat),))
    c.execute("COMMIT")
    c.close()
    with Library(db) as lib:
        assert lib.schema_version == 4
        tables = {r[0] for r in sqlite3.connect(db).execute(
            "SELECT name FROM sqlite_master WHERE type = 'table'")}
        assert "writes" not in tables and "image_journal" in tables
        assert [(r.path.name, r.status) for r in lib.images()] == [
            ("cat.jpg", "undone"), ("dog.jpg", "written")]
        assert lib.journal_ids(dog) == lib.journal_ids(cat) == []
        # The upgraded library goes on: a new write of the undone image links its entry.
        assert lib.approve(cat, "new text").status == "approved"
        lib.record_write(cat, journal_id=42, size=2, mtime_ns=2, sha256="z", text="new text")
        assert lib.journal_ids(cat) == [42] and lib.get(cat).written_text == "new text"
        lib.forget(dog)
        assert sqlite3.connect(db).execute("PRAGMA foreign_key_check").fetchall() == []
