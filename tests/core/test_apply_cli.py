# SPDX-License-Identifier: GPL-3.0-or-later
"""`altlens apply`, and the whole headless flow: caption a folder into the library, export a
CSV, edit it, import it, apply it, undo one write."""

from __future__ import annotations

import csv
import io
import json
import shutil
from pathlib import Path

import pytest
from altlens.core.cli import main
from altlens.core.library import Library
from altlens.core.metadata.journal import WriteJournal
from altlens.core.metadata.types import ROLES
from altlens.core.paths import app_dirs

from tests.core.library_support import caption_model, make_images

__all__ = ["caption_model"]

pytestmark = pytest.mark.skipif(shutil.which("exiftool") is None,
                                reason="ExifTool is not installed")


def _tag(path: Path, tag: str) -> str | None:
    import subprocess

    out = subprocess.run(["exiftool", "-b", "-charset", "utf8", f"-{tag}", str(path)],
                         capture_output=True, check=True).stdout
    return out.decode() if out else None


@pytest.mark.slow
def test_caption_export_edit_import_apply(tmp_path: Path, caption_model: Path,
                                          capsys: pytest.CaptureFixture[str]) -> None:
    photos = make_images(tmp_path / "photos", 7)
    (tmp_path / "photos" / "broken.jpg").write_bytes(b"\xff\xd8\xff\xe0 truncated")
    db = tmp_path / "lib.sqlite3"
    lib_args = ["--library", str(db)]
    assert main(["watch", str(tmp_path / "photos"), "--once", "--model", str(caption_model),
                 "--beams", "1", "-q", *lib_args]) == 0
    sheet = tmp_path / "sheet.csv"
    assert main(["export", "--csv", str(sheet), *lib_args]) == 0
    rows = list(csv.DictReader(io.StringIO(sheet.read_text(encoding="utf-8-sig"), newline="")))
    by_path = {r["path"]: r for r in rows}
    edited = {str(p): f"Edited caption {i}, «ünïcödé»" for i, p in enumerate(photos[:6])}
    for path, text in edited.items():
        by_path[path]["caption"] = text
    with open(sheet, "w", encoding="utf-8-sig", newline="") as fh:
        w = csv.DictWriter(fh, fieldnames=list(rows[0]))
        w.writeheader()
        w.writerows(rows)
    assert main(["import", str(sheet), *lib_args]) == 0
    # one approved photo is damaged on disk after review: it fails, the others go on
    photos[5].write_bytes(photos[5].read_bytes()[:200])
    capsys.readouterr()

    assert main(["apply", "--dry-run", "--json", *lib_args]) == 1
    dry = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert sorted(o["status"] for o in dry) == ["failed"] + ["would-write"] * 5
    assert _tag(photos[0], "XMP-iptcCore:AltTextAccessibility") is None  # nothing written

    assert main(["apply", "--json", *lib_args]) == 1
    captured = capsys.readouterr()
    out = {o["path"]: o for o in map(json.loads, captured.out.splitlines())}
    assert "Writing" in captured.err or "apply: 1 failed, 5 written" in captured.err
    assert "apply: 1 failed, 5 written" in captured.err
    assert out[str(photos[5])]["status"] == "failed"
    assert out[str(photos[5])]["error"]["code"] in ("file-changed", "file-truncated")
    for p in photos[:5]:
        o = out[str(p)]
        assert o["status"] == "written" and o["journal_id"], o
        assert _tag(p, "XMP-iptcCore:AltTextAccessibility") == edited[str(p)]
        assert _tag(p, "IFD0:ImageDescription") == edited[str(p)]
    journal = WriteJournal(app_dirs().data / "journal.sqlite3")  # the one journal of writes
    with Library(db) as lib:
        assert lib.get(photos[0]).status == "written"
        assert lib.get(photos[5]).status == "approved"  # not written: still waiting
        assert lib.get(photos[6]).status == "suggested"  # never approved: untouched
        # each written image links exactly the journal entry its write reported, and that
        # entry holds what the write changed (the old values: none)
        for p in photos[:5]:
            assert lib.journal_ids(p) == [out[str(p)]["journal_id"]]
            [entry] = journal.entries_by_id(lib.journal_ids(p))
            assert entry.kind == "write" and entry.state == "done" and entry.undone_by is None
            fields = [c for c in entry.changes if c.role in ROLES]
            assert [c.to_dict() for c in fields] == out[str(p)]["changes"]
            assert {(c.old, c.new) for c in fields} == {(None, edited[str(p)])}
        assert lib.journal_ids(photos[5]) == lib.journal_ids(photos[6]) == []
        written = journal.entry(out[str(photos[0])]["journal_id"])
    assert _tag(photos[6], "XMP-iptcCore:AltTextAccessibility") is None
    # a second run has nothing approved left but the failed one
    assert main(["apply", *lib_args]) == 1
    assert "1 failed" in capsys.readouterr().err
    # each write is undoable from the journal: undo brings back what its entry says was there
    assert written is not None and written.changes
    assert main(["undo", str(photos[0]), *lib_args]) == 0
    for change in written.changes:
        assert _tag(change.target, change.field) == change.old, change
    assert _tag(photos[0], "XMP-iptcCore:AltTextAccessibility") is None
    with Library(db) as lib:  # review sees the undo as the window would show it
        assert lib.get(photos[0]).status == "undone"
        assert lib.get(photos[1]).status == "written"
        write_id, undo_id = lib.journal_ids(photos[0])
        assert write_id == written.id
        undo = journal.entry(undo_id)
        assert undo is not None and undo.kind == "undo" and undo.undoes == written.id
        assert journal.entry(write_id).undone_by == undo_id
        # the undo's entry is the write's, reversed, field by field
        assert {(c.field, c.old, c.new) for c in undo.changes if c.role in ROLES} == {
            (c.field, c.new, c.old) for c in written.changes if c.role in ROLES}
    journal.close()


def test_apply_without_a_library(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["apply", "--library", str(tmp_path / "none.sqlite3")]) == 2
    assert "no library here" in capsys.readouterr().err
