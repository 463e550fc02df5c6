# SPDX-License-Identifier: GPL-3.0-or-later
"""Library state: identity rules, queue, review, crash safety, migrations, search, CSV/JSON."""

from __future__ import annotations

import csv
import io
import json
import os
import shutil
import signal
import sqlite3
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
from PIL import Image

from altlens.core.errors import UsageError
from altlens.core.jobs import CancelToken, JobQueue
from altlens.core.library import (
    MIGRATIONS,
    PRIORITY_USER,
    PRIORITY_WATCH,
    SCHEMA_VERSION,
    Change,
    Library,
    LibraryVersionError,
    export_text,
)
from altlens.core.metadata.types import ROLES
from altlens.core.types import Candidate, CaptionResult, ErrorInfo
from tests.core.library_support import exiftool, make_images, needs_exiftool

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture
def lib(tmp_path: Path):
    library = Library(tmp_path / "lib.sqlite3")
    yield library
    library.close()


def _suggest(
    lib: Library, text: str = "two red circles on the left of a blue background", n: int = 100
) -> int:
    """Play the captioner: claim what is queued and record a suggestion for each."""
    done = 0
    while jobs := lib.claim(n):
        for j in jobs:
            assert lib.record_result(
                j, CaptionResult(0, j.path, (Candidate(text, 0.9),), model="toy")
            )
            done += 1
    return done


def test_default_location_and_schema(tmp_path: Path) -> None:
    from altlens.core.paths import app_dirs

    with Library() as library:
        assert library.path == app_dirs().data / "library.sqlite3"
        assert library.schema_version == SCHEMA_VERSION
        mode = sqlite3.connect(library.path).execute("PRAGMA journal_mode").fetchone()[0]
        assert mode == "wal"


def test_new_images_are_queued_and_suggested(lib: Library, tmp_path: Path) -> None:
    paths = make_images(tmp_path / "photos", 3)
    report = lib.scan_folder(tmp_path / "photos")
    assert report.seen == 3 and report.changes == {"new": 3}
    assert lib.counts()["queued"] == 3
    assert _suggest(lib) == 3
    rec = lib.get(paths[0])
    assert rec is not None and rec.status == "suggested" and rec.caption.startswith("two red")
    assert rec.caption_runs == 1 and not rec.queued
    # A second scan of an unchanged folder reads no file and changes nothing.
    assert lib.scan_folder(tmp_path / "photos").changes == {"unchanged": 3}


def test_rename_keeps_captions_and_status(lib: Library, tmp_path: Path) -> None:
    [p] = make_images(tmp_path / "photos", 1)
    lib.observe(p)
    _suggest(lib)
    lib.approve(p, "Two red circles")
    q = p.with_name("renamed.jpg")
    os.rename(p, q)
    assert lib.move(p, q) is Change.MOVED
    rec = lib.get(q)
    assert rec.status == "approved" and rec.alt_text == "Two red circles" and rec.caption_runs == 1
    assert lib.get(p) is None  # the old path is no longer a row of its own
    # Moved out of sight (delete + create, as from another folder): matched by content.
    other = tmp_path / "elsewhere"
    other.mkdir()
    r = other / "moved.jpg"
    shutil.move(q, r)
    assert lib.observe(r) is Change.MOVED
    assert lib.mark_missing(q) is Change.UNCHANGED  # nothing left at the old path
    rec = lib.get(r)
    assert rec.status == "approved" and not rec.missing
    assert lib.counts()["total"] == 1


def test_folder_rename_moves_every_row(lib: Library, tmp_path: Path) -> None:
    paths = make_images(tmp_path / "a" / "sub", 3)
    lib.scan_folder(tmp_path / "a")
    _suggest(lib)
    os.rename(tmp_path / "a" / "sub", tmp_path / "a" / "renamed")
    assert lib.move(tmp_path / "a" / "sub", tmp_path / "a" / "renamed") is Change.MOVED
    for p in paths:
        rec = lib.get(tmp_path / "a" / "renamed" / p.name)
        assert rec is not None and rec.status == "suggested" and not rec.missing
    assert lib.queue_length() == 0


def test_delete_marks_missing_and_return_restores(lib: Library, tmp_path: Path) -> None:
    p, keep = make_images(tmp_path / "photos", 2)
    lib.scan_folder(tmp_path / "photos")
    _suggest(lib)
    lib.approve(p, "Approved before it was deleted")
    data = p.read_bytes()
    p.unlink()
    assert lib.scan_folder(tmp_path / "photos").changes == {"unchanged": 1, "missing": 1}
    rec = lib.get(p)
    assert (
        rec.missing
        and rec.status == "approved"
        and rec.alt_text == "Approved before it was deleted"
    )
    assert lib.counts()["missing"] == 1 and lib.counts()["approved"] == 0
    assert [r.path for r in lib.images(status="missing")] == [p]
    p.write_bytes(data)  # restored from the bin
    assert lib.observe(p) is Change.MOVED
    assert lib.get(p).status == "approved" and not lib.get(p).missing
    # A different picture saved under a deleted image's name is a new image; the old row stays.
    p.unlink()
    lib.mark_missing(p)
    shutil.copy(keep, tmp_path / "tmp.jpg")
    make_images(tmp_path / "other", 1, seed=9)[0].replace(p)
    assert lib.observe(p) is Change.NEW
    assert lib.counts()["missing"] == 1 and lib.get(p).status == "queued"


@needs_exiftool
def test_metadata_only_change_keeps_review_state(lib: Library, tmp_path: Path) -> None:
    p, q = make_images(tmp_path / "photos", 2)
    lib.scan_folder(tmp_path / "photos")
    _suggest(lib)
    lib.approve(p, "Approved text")
    exiftool(
        "-XMP-dc:Subject=holiday", "-XMP-dc:Description-x-default=Someone else's caption", p, q
    )
    assert lib.observe(p) is Change.METADATA
    assert lib.observe(q) is Change.METADATA
    assert lib.get(p).status == "approved" and lib.get(p).alt_text == "Approved text"
    assert lib.get(q).status == "suggested" and lib.get(q).disk_caption == "Someone else's caption"
    assert lib.queue_length() == 0


@needs_exiftool
def test_own_write_is_recognised_and_linked_to_its_journal_entry(
    lib: Library, tmp_path: Path
) -> None:
    from altlens.core.metadata import MetadataWriter, WriteRequest

    [p] = make_images(tmp_path / "photos", 1)
    lib.observe(p)
    _suggest(lib)
    lib.approve(p, "Zwei rote Kreise")
    with MetadataWriter(journal_path=tmp_path / "journal.sqlite3") as writer:
        result = writer.write(WriteRequest(p, alt_text="Zwei rote Kreise"))
        ident = result.identity_after
        assert result.journal_id is not None and ident is not None
        rec = lib.record_write(
            p,
            journal_id=result.journal_id,
            size=ident.size,
            mtime_ns=ident.mtime_ns,
            sha256=ident.sha256,
            text="Zwei rote Kreise",
            inode=ident.inode,
        )
        assert rec.status == "written" and rec.written_text == "Zwei rote Kreise"
        # The watcher's event for that write, and later scans, see our own file: nothing queued.
        assert lib.observe(p) is Change.UNCHANGED
        assert lib.scan_folder(tmp_path / "photos").changes == {"unchanged": 1}
        assert lib.get(p).status == "written" and lib.queue_length() == 0
        # The library links exactly the writer's entry; what changed is in that entry only.
        assert lib.journal_ids(p) == [result.journal_id]
        [entry] = writer.journal.entries_by_id(lib.journal_ids(p))
        assert entry.kind == "write" and entry.state == "done"
        # every field the write reported, with its old value (none: the write created it),
        # and the blocks it created (a plain JPEG had no XMP), which undo removes again
        assert tuple(c for c in entry.changes if c.role in ROLES) == result.changes
        assert {(c.old, c.new) for c in result.changes} == {(None, "Zwei rote Kreise")}
        assert "XMP" in {c.field for c in entry.changes if c.role == "created-block"}
        assert entry.targets[0][1] is not None and entry.targets[0][1].sha256 == ident.sha256
        # Its undo is linked too, after the write; forgetting the image drops only the links.
        undo = writer.undo(p)
        lib.record_undo(p, disk_caption=writer.read(p).caption, journal_id=undo.journal_id)
        assert lib.journal_ids(p) == [result.journal_id, undo.journal_id]
        assert [e.kind for e in writer.journal.entries_by_id(lib.journal_ids(p))] == [
            "write",
            "undo",
        ]
        lib.forget(p)
        assert [e.id for e in writer.history(p)] == [result.journal_id, undo.journal_id]
    assert lib.get(p) is None
    assert sqlite3.connect(lib.path).execute("SELECT count(*) FROM image_journal").fetchone() == (0,)


@needs_exiftool
def test_own_write_seen_before_it_is_recorded_does_not_requeue(
    lib: Library, tmp_path: Path
) -> None:
    """The watcher may see the write before the writer thread reports it."""
    [p] = make_images(tmp_path / "photos", 1)
    lib.observe(p)
    _suggest(lib)
    lib.approve(p, "Text")
    exiftool("-XMP-dc:Description-x-default=Text", p)
    assert lib.observe(p) is Change.METADATA
    assert lib.get(p).status == "approved" and lib.queue_length() == 0
    st = p.stat()
    import hashlib

    lib.record_write(
        p,
        journal_id=None,  # ExifTool stands in for core/metadata: nothing was journaled
        size=st.st_size,
        mtime_ns=st.st_mtime_ns,
        sha256=hashlib.sha256(p.read_bytes()).hexdigest(),
        text="Text",
    )
    assert lib.get(p).status == "written" and lib.journal_ids(p) == []


def test_pixel_change_requeues_and_keeps_approved_text_as_draft(
    lib: Library, tmp_path: Path
) -> None:
    [p] = make_images(tmp_path / "photos", 1)
    lib.observe(p)
    _suggest(lib)
    lib.approve(p, "Old approved text")
    with Image.open(p) as im:
        im = im.convert("RGB").rotate(90)
    im.save(p, quality=90)
    assert lib.observe(p) is Change.PIXELS
    rec = lib.get(p)
    assert rec.status == "queued" and rec.candidates == () and rec.alt_text == "Old approved text"
    assert rec.caption == "Old approved text"  # the draft the reviewer starts from
    _suggest(lib, "a new suggestion")
    rec = lib.get(p)
    assert rec.status == "suggested" and rec.caption == "a new suggestion" and rec.caption_runs == 2


def test_copy_of_a_picture_is_an_image_of_its_own(lib: Library, tmp_path: Path) -> None:
    [p] = make_images(tmp_path / "photos", 1)
    lib.observe(p)
    _suggest(lib)
    shutil.copy(p, tmp_path / "photos" / "copy.jpg")
    assert lib.observe(tmp_path / "photos" / "copy.jpg") is Change.NEW
    assert lib.get(p).status == "suggested"


def test_queue_priority_order_and_duplicates_merge(lib: Library, tmp_path: Path) -> None:
    watched = make_images(tmp_path / "w", 3)
    dropped = make_images(tmp_path / "d", 2, seed=1)
    for p in watched:
        lib.observe(p, enqueue=PRIORITY_WATCH)
    q = JobQueue(lib)
    assert q.put([*dropped, dropped[0]], PRIORITY_USER) == 3  # asked three times ...
    assert len(q) == 5  # ... queued once
    q.put([watched[2]])  # a person selected a watched image: it jumps ahead
    order = [j.path for j in q.get(max_items=10, timeout=0)]
    assert order[:3] == [*dropped, watched[2]] and set(order[3:]) == set(watched[:2])
    assert q.get(max_items=10, timeout=0) == []  # all claimed


def test_queue_get_blocks_until_put_and_wakes_on_cancel(lib: Library, tmp_path: Path) -> None:
    [p] = make_images(tmp_path / "photos", 1)
    q = JobQueue(lib, poll_interval=30)
    got: list[object] = []
    t = threading.Thread(target=lambda: got.extend(q.get(timeout=20)))
    t.start()
    time.sleep(0.2)
    q.put([p])
    t.join(5)
    assert not t.is_alive() and [j.path for j in got] == [p]
    token = CancelToken()
    t = threading.Thread(target=lambda: got.append(q.get(timeout=None, cancel=token)))
    t.start()
    time.sleep(0.2)
    token.cancel()
    t.join(5)
    assert not t.is_alive() and got[-1] == []


def test_queue_survives_restart_and_in_flight_work_is_requeued(tmp_path: Path) -> None:
    paths = make_images(tmp_path / "photos", 4)
    db = tmp_path / "lib.sqlite3"
    lib = Library(db)
    lib.scan_folder(tmp_path / "photos")
    jobs = lib.claim(2)
    assert lib.counts()["in_flight"] == 2
    # Simulate the process dying: its claims carry a pid that no longer runs.
    dead = subprocess.run(
        [sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True
    ).stdout.strip()
    with sqlite3.connect(db) as c:
        c.execute(
            "UPDATE images SET claim = 'x:' || ? || ':' || 'dead:1' WHERE claim IS NOT NULL",
            (dead,),
        )
        c.execute(
            "UPDATE images SET claim = replace(claim, 'x:', ?)",
            (__import__("socket").gethostname() + ":",),
        )
    lib.close()
    lib = Library(db)
    try:
        c = lib.counts()
        assert c["in_flight"] == 0 and c["queued"] == 4
        # A stale claim's late result is refused.
        assert not lib.record_result(
            jobs[0], CaptionResult(0, jobs[0].path, (Candidate("late", 0.5),))
        )
        assert _suggest(lib) == 4
        assert {r.caption_runs for r in lib.images()} == {1}
        assert len(paths) == 4
    finally:
        lib.close()


def test_live_sibling_claims_are_not_stolen(tmp_path: Path) -> None:
    make_images(tmp_path / "photos", 2)
    a = Library(tmp_path / "lib.sqlite3")
    a.scan_folder(tmp_path / "photos")
    jobs = a.claim(1)
    b = Library(tmp_path / "lib.sqlite3")  # e.g. the CLI's export while the GUI captions
    assert b.counts()["in_flight"] == 1
    assert a.record_result(jobs[0], CaptionResult(0, jobs[0].path, (Candidate("x", 0.5),)))
    a.close()
    b.close()


def test_errors_are_recorded_and_leave_the_queue(lib: Library, tmp_path: Path) -> None:
    bad = tmp_path / "photos" / "broken.jpg"
    bad.parent.mkdir()
    bad.write_bytes(b"\xff\xd8\xff\xe0 not really a jpeg")
    lib.observe(bad)
    [job] = lib.claim(5)
    lib.record_result(
        job,
        CaptionResult(0, bad, error=ErrorInfo("corrupt-image", "broken.jpg: The file is damaged.")),
    )
    rec = lib.get(bad)
    assert rec.status == "error" and rec.error.code == "corrupt-image" and not rec.queued
    # Fixed by the person: new content, captioned again.
    make_images(tmp_path / "x", 1)[0].replace(bad)
    assert lib.observe(bad) is Change.PIXELS and lib.get(bad).status == "queued"


def test_file_deleted_while_captioning_is_marked_not_failed(lib: Library, tmp_path: Path) -> None:
    [p] = make_images(tmp_path / "photos", 1)
    lib.observe(p)
    [job] = lib.claim()
    p.unlink()
    assert not lib.record_result(job, CaptionResult(0, p, error=ErrorInfo("file-missing", "gone")))
    rec = lib.get(p)
    assert rec.missing and rec.status == "new" and rec.error is None and lib.queue_length() == 0


def test_file_renamed_while_captioning_is_retried_at_its_new_path(
    lib: Library, tmp_path: Path
) -> None:
    [p] = make_images(tmp_path / "photos", 1)
    lib.observe(p)
    [job] = lib.claim()
    q = p.with_name("new name.jpg")
    os.rename(p, q)
    lib.move(p, q)
    assert not lib.record_result(job, CaptionResult(0, p, error=ErrorInfo("file-missing", "gone")))
    [again] = lib.claim()
    assert again.path == q


def test_review_actions(lib: Library, tmp_path: Path) -> None:
    a, b, c = make_images(tmp_path / "photos", 3)
    lib.scan_folder(tmp_path / "photos")
    _suggest(lib)
    with pytest.raises(UsageError):
        lib.approve(a, "   ")
    rec = lib.approve(a, "", decorative=True)
    assert rec.status == "approved" and rec.decorative and rec.caption == ""
    rec = lib.approve(b, " Alt ", long_description="A longer description.")
    assert rec.alt_text == "Alt" and rec.long_description == "A longer description."
    assert lib.reject(c).status == "rejected"
    # Regenerating suggestions for a reviewed image keeps its review.
    lib.enqueue([b])
    _suggest(lib, "another suggestion")
    rec = lib.get(b)
    assert (
        rec.status == "approved"
        and rec.alt_text == "Alt"
        and rec.candidates[0].text == "another suggestion"
    )


def test_approved_captions_survive_kill_9(tmp_path: Path) -> None:
    """Every approve() that returned is on disk, whatever moment the process dies."""
    make_images(tmp_path / "photos", 40)
    db = tmp_path / "lib.sqlite3"
    with Library(db) as lib:
        lib.scan_folder(tmp_path / "photos")
        _suggest(lib)
    code = (
        "import sys; from altlens.core.library import Library\n"
        "lib = Library(sys.argv[1])\n"
        "for i, r in enumerate(lib.images()):\n"
        "    lib.approve(r.path, f'approved {i} ünïcödé')\n"
        "    print(r.path, flush=True)\n"
        "import time; time.sleep(60)\n"
    )
    proc = subprocess.Popen(
        [sys.executable, "-c", code, str(db)], stdout=subprocess.PIPE, text=True, cwd=REPO
    )
    assert proc.stdout is not None
    printed = [proc.stdout.readline().strip() for _ in range(15)]
    proc.send_signal(signal.SIGKILL)
    proc.wait(10)
    with Library(db) as lib:
        for p in printed:
            assert lib.get(p).status == "approved"
        assert lib.counts()["approved"] >= 15
        assert (
            "PRAGMA integrity_check"
            and lib._conn().execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        )


def test_concurrent_use_from_two_threads(lib: Library, tmp_path: Path) -> None:
    """The GUI thread reviews while a worker thread captions; nothing is lost or locked."""
    make_images(tmp_path / "photos", 60)
    lib.scan_folder(tmp_path / "photos")
    errors: list[BaseException] = []

    def worker() -> None:
        try:
            while jobs := lib.claim(3):
                for j in jobs:
                    lib.record_result(j, CaptionResult(0, j.path, (Candidate("suggested", 0.5),)))
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)

    def reviewer() -> None:
        try:
            for _ in range(200):
                for r in lib.images(status="suggested", limit=5):
                    lib.approve(r.path, f"approved {r.id}")
                lib.counts()
                lib.search("approved")
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [
        threading.Thread(target=worker),
        threading.Thread(target=worker),
        threading.Thread(target=reviewer),
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join(120)
    assert not errors
    c = lib.counts()
    assert c["queued"] == 0 and c["in_flight"] == 0 and c["suggested"] + c["approved"] == 60
    assert {r.caption_runs for r in lib.images()} == {1}


def test_migration_from_schema_1(tmp_path: Path) -> None:
    db = tmp_path / "old.sqlite3"
    c = sqlite3.connect(db, isolation_level=None)
    c.execute("BEGIN")
    MIGRATIONS[0](c)
    c.execute("PRAGMA user_version = 1")
    c.execute(
        "INSERT INTO images (path, status, candidates, alt_text, created_at, updated_at, size, mtime_ns, inode, "
        "sha256, content_hash) VALUES (?, 'approved', ?, 'Ein Hund im Schnee', 0, 0, 1, 1, 1, 'x', 'y')",
        (str(tmp_path / "dog.jpg"), json.dumps([{"text": "a dog in the snow", "score": 0.7}])),
    )
    c.execute("INSERT INTO folders (path, added_at) VALUES (?, 0)", (str(tmp_path),))
    c.execute("COMMIT")
    c.close()
    with Library(db) as lib:
        assert lib.schema_version == SCHEMA_VERSION == 4
        rec = lib.get(tmp_path / "dog.jpg")
        assert (
            rec.status == "approved"
            and rec.alt_text == "Ein Hund im Schnee"
            and rec.disk_caption is None
        )
        assert [r.path.name for r in lib.search("snow")] == ["dog.jpg"]  # old rows are indexed
        assert [r.path.name for r in lib.search("hund")] == ["dog.jpg"]
        assert [f.path for f in lib.folders()] == [tmp_path]


def test_library_from_a_newer_version_is_refused(tmp_path: Path) -> None:
    db = tmp_path / "new.sqlite3"
    Library(db).close()
    with sqlite3.connect(db) as c:
        c.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 1}")
    with pytest.raises(LibraryVersionError, match="newer AltLens"):
        Library(db)


def test_damaged_database_gives_a_clear_error(tmp_path: Path) -> None:
    db = tmp_path / "junk.sqlite3"
    db.write_bytes(b"this is not a database" * 100)
    with pytest.raises(Exception, match=r"cannot be opened|not a database"):
        Library(db)


@pytest.mark.parametrize("fts", [True, False])
def test_search(lib: Library, tmp_path: Path, fts: bool) -> None:
    a, b, c = make_images(tmp_path / "photos", 3)
    lib.scan_folder(tmp_path / "photos")
    for j in lib.claim(3):
        text = {a: "a dog running on the beach", b: "two dogs in a park", c: "a café in Zürich"}[
            j.path
        ]
        lib.record_result(
            j, CaptionResult(0, j.path, (Candidate(text, 0.9), Candidate("alternative words", 0.2)))
        )
    lib.approve(b, "Two brown dogs playing fetch")
    lib.has_fts = fts and lib.has_fts
    assert {r.path for r in lib.search("dog")} == {a, b}  # prefix: "dog" finds "dogs"
    assert [r.path for r in lib.search("fetch")] == [b]
    assert [r.path for r in lib.search("running beach")] == [a]
    assert [r.path for r in lib.search("alternative")] != []  # every candidate is searchable
    assert lib.search("") == [] and lib.search("%") == []
    if fts:  # accents folded by the full-text index
        assert [r.path for r in lib.search("zurich cafe")] == [c]
    assert [r.path for r in lib.search("Zürich")] == [c]
    c.unlink()
    lib.mark_missing(c)
    assert lib.search("Zürich") == [] and len(lib.search("Zürich", include_missing=True)) == 1


TRICKY = [
    "Zwei Hunde, \"Max\" & 'Bella', im Schnee",
    "line one\nline two, with a comma",
    "Ελληνικά, 日本語の説明, emoji 🐕",
    "=SUM(A1) is just text",
]


def test_csv_and_json_export_import_round_trip(lib: Library, tmp_path: Path) -> None:
    paths = make_images(tmp_path / "photos, with comma", 5)
    lib.scan_folder(paths[0].parent)
    _suggest(lib, 'a suggestion, "quoted"')
    lib.approve(paths[4], "Already approved")
    out = tmp_path / "export.csv"
    with open(out, "w", encoding="utf-8-sig", newline="") as fh:
        assert lib.export_csv(fh) == 5
    with open(out, encoding="utf-8-sig", newline="") as fh:
        rows = list(csv.DictReader(fh))
    assert [r["path"] for r in rows] == [str(p) for p in paths]
    assert rows[0]["caption"] == 'a suggestion, "quoted"' and rows[0]["status"] == "suggested"
    assert json.loads(rows[0]["candidates"])[0]["text"] == 'a suggestion, "quoted"'
    # Re-importing an unedited export changes nothing (a suggestion is not a review).
    report = lib.import_csv(out)
    assert report.applied == [] and report.unchanged == 5 and not report.conflicts
    # The team edits captions in a spreadsheet.
    for r, text in zip(rows, TRICKY, strict=False):
        r["caption"] = text
    rows[4]["caption"] = "Edited an approved caption"
    rows.append({**rows[0], "path": str(tmp_path / "not in library.jpg")})
    with open(out, "w", encoding="utf-8-sig", newline="") as fh:
        w = csv.DictWriter(fh, fieldnames=list(rows[0]))
        w.writeheader()
        w.writerows(rows)
    report = lib.import_csv(out)
    assert report.applied == paths[:4]
    assert [p for _, p, _, _ in report.conflicts] == [paths[4]]
    assert [p for _, p in report.unmatched] == [str(tmp_path / "not in library.jpg")]
    for p, text in zip(paths, TRICKY, strict=False):
        rec = lib.get(p)
        assert rec.status == "approved" and rec.alt_text == text
    assert lib.get(paths[4]).alt_text == "Already approved"  # not overwritten silently
    assert lib.import_csv(out, overwrite=True).applied == [paths[4]]
    assert lib.get(paths[4]).alt_text == "Edited an approved caption"
    # JSON carries the same text exactly.
    data = json.loads(export_text(lib, "json"))
    assert [d["caption"] for d in data[:4]] == TRICKY
    assert {"path", "status", "caption", "candidates"} <= set(data[0])
    # A second export keeps the text; a cell a spreadsheet would run as a formula is
    # exported behind an apostrophe, and importing it gives the exact text back.
    again = export_text(lib, "csv")
    cells = [r["caption"] for r in csv.DictReader(io.StringIO(again, newline=""))][:4]
    assert cells == [*TRICKY[:3], "'" + TRICKY[3]]
    sheet = tmp_path / "again.csv"
    sheet.write_text(again, encoding="utf-8", newline="")
    report = lib.import_csv(sheet)
    assert report.applied == [] and not report.conflicts
    assert lib.get(paths[3]).alt_text == TRICKY[3]


def test_import_relative_paths_status_column_and_bad_files(lib: Library, tmp_path: Path) -> None:
    a, b = make_images(tmp_path / "photos", 2)
    lib.scan_folder(tmp_path / "photos")
    _suggest(lib, "suggested text")
    sheet = tmp_path / "review.csv"
    sheet.write_text(
        "Path,Caption,Status,Long_Description\n"
        f"photos/{a.name},suggested text,approved,A longer one\n"
        f"photos/{b.name},,rejected,\n"
        ",orphan,,\n",
        encoding="utf-8",
    )
    report = lib.import_csv(sheet)
    assert report.applied == [a, b] and [line for line, _ in report.invalid] == [4]
    assert lib.get(a).status == "approved" and lib.get(a).long_description == "A longer one"
    assert lib.get(b).status == "rejected"
    (tmp_path / "latin1.csv").write_bytes("path,caption\nx.jpg,caf\xe9\n".encode("latin-1"))
    with pytest.raises(UsageError, match="not UTF-8"):
        lib.import_csv(tmp_path / "latin1.csv")
    (tmp_path / "noheader.csv").write_text("a,b\n1,2\n")
    with pytest.raises(UsageError, match="'path' and 'caption'"):
        lib.import_csv(tmp_path / "noheader.csv")


def test_export_filters(lib: Library, tmp_path: Path) -> None:
    a, b, c = make_images(tmp_path / "photos", 3)
    lib.scan_folder(tmp_path / "photos")
    _suggest(lib)
    lib.approve(a, "ok")
    assert [r.path for r in lib.export_records(status="approved")] == [a]
    assert [r.path for r in lib.export_records(status=["approved", "suggested"])] == [a, b, c]
    assert [r.path for r in lib.export_records(paths=[c])] == [c]
    with pytest.raises(UsageError, match="Unknown status"):
        lib.export_records(status="done")


def test_watched_folders(lib: Library, tmp_path: Path) -> None:
    (tmp_path / "a").mkdir()
    f = lib.add_folder(tmp_path / "a", recursive=False)
    assert not f.recursive and not f.paused
    lib.add_folder(tmp_path / "a", recursive=True, poll=True)
    lib.set_folder_paused(tmp_path / "a", True)
    [f] = lib.folders()
    assert f.recursive and f.poll and f.paused
    with pytest.raises(UsageError):
        lib.add_folder(tmp_path / "nope")
    lib.remove_folder(tmp_path / "a")
    assert lib.folders() == []


def test_non_recursive_scan_ignores_subfolders_and_hidden(lib: Library, tmp_path: Path) -> None:
    top = make_images(tmp_path / "photos", 1)
    make_images(tmp_path / "photos" / "sub", 1, seed=2)
    make_images(tmp_path / "photos" / ".hidden", 1, seed=3)
    (tmp_path / "photos" / "notes.txt").write_text("x")
    (tmp_path / "photos" / "copying.jpg.part").write_bytes(b"x")
    assert lib.scan_folder(tmp_path / "photos", recursive=False).seen == 1
    assert [r.path for r in lib.images()] == top
    assert lib.scan_folder(tmp_path / "photos", recursive=True).seen == 2


def test_queue_recovers_jobs_of_a_process_that_died_meanwhile(
    lib: Library, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import socket

    import altlens.core.jobs
    from altlens import core

    make_images(tmp_path / "photos", 1)
    lib.scan_folder(tmp_path / "photos")
    dead = subprocess.run(
        [sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True
    ).stdout.strip()
    with sqlite3.connect(lib.path) as c:  # another process claimed it, then died
        c.execute(
            "UPDATE images SET claim = ?, claimed_at = 0", (f"{socket.gethostname()}:{dead}:x:1",)
        )
    monkeypatch.setattr(core.jobs, "RECOVER_INTERVAL", 0.0)
    q = JobQueue(lib, poll_interval=0.05)
    assert len(q.get(timeout=5)) == 1


def test_unreadable_file_is_listed_with_its_error_and_retried(
    lib: Library, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Tests run as root, where chmod 000 does not stop reading: make the read fail instead.
    import altlens.core.library
    from altlens import core

    a, b = make_images(tmp_path / "photos", 2)
    lib.observe(b)
    _suggest(lib)
    lib.approve(b, "Approved")
    real = core.library.fingerprint

    def denied(p: object) -> object:
        raise PermissionError(13, "Permission denied")

    monkeypatch.setattr(core.library, "fingerprint", denied)
    assert lib.observe(a) is Change.NEW
    rec = lib.get(a)
    assert rec.status == "error" and rec.error.code == "file-unreadable" and not rec.queued
    assert "permission denied" in rec.error.message
    os.utime(b, ns=(1, 1))  # b changes and cannot be read: its review is kept
    lib.observe(b)
    assert lib.get(b).status == "approved" and lib.get(b).error.code == "file-unreadable"
    monkeypatch.setattr(core.library, "fingerprint", real)
    assert lib.observe(a) is Change.PIXELS and lib.get(a).status == "queued"  # first real look
    assert lib.observe(b) is Change.UNCHANGED
    assert lib.get(b).status == "approved" and lib.get(b).error is None
