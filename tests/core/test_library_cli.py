# SPDX-License-Identifier: GPL-3.0-or-later
"""`altlens watch --once`, `status`, `export` and `import`."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pytest
from altlens.core.cli import main
from altlens.core.library import Library
from altlens.core.types import Candidate, CaptionResult

from tests.core.library_support import caption_model, make_images

__all__ = ["caption_model"]


@pytest.fixture
def populated(tmp_path: Path) -> tuple[Path, list[Path]]:
    paths = make_images(tmp_path / "photos", 3)
    db = tmp_path / "lib.sqlite3"
    with Library(db) as lib:
        lib.add_folder(tmp_path / "photos")
        lib.scan_folder(tmp_path / "photos")
        for j in lib.claim(10):
            lib.record_result(
                j,
                CaptionResult(
                    0, j.path, (Candidate('a caption, with "quotes"', 0.5),), model="toy"
                ),
            )
        lib.approve(paths[0], "Approved, ünïcödé\nsecond line")
    return db, paths


def test_status(populated, capsys: pytest.CaptureFixture[str]) -> None:
    db, _ = populated
    assert main(["status", "--library", str(db), "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert (
        out["approved"] == 1 and out["suggested"] == 2 and out["total"] == 3 and out["queue"] == 0
    )
    assert len(out["folders"]) == 1
    assert main(["status", "--library", str(db)]) == 0
    text = capsys.readouterr().out
    assert "approved" in text and "Watched folders" in text


def test_status_of_missing_library_is_a_usage_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["status", "--library", str(tmp_path / "nope.sqlite3")]) == 2
    assert "no library here" in capsys.readouterr().err


def test_default_library_from_altlens_home(capsys: pytest.CaptureFixture[str]) -> None:
    from altlens.core.paths import app_dirs

    target = app_dirs().data / "library.sqlite3"
    target.parent.mkdir(parents=True, exist_ok=True)
    # None there yet: "no images yet" is the answer, not an error.
    assert main(["status", "--json"]) == 0
    empty = json.loads(capsys.readouterr().out)
    assert empty["total"] == 0 and empty["library"] is None and not target.exists()
    assert main(["status"]) == 0
    assert "No images yet" in capsys.readouterr().out
    Library(target).close()
    assert main(["status", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["total"] == 0


def test_export_json_and_csv(populated, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    db, paths = populated
    assert main(["export", "--json", "--library", str(db)]) == 0
    data = json.loads(capsys.readouterr().out)
    assert [d["path"] for d in data] == [str(p) for p in paths]
    assert (
        data[0]["caption"] == "Approved, ünïcödé\nsecond line" and data[0]["status"] == "approved"
    )
    assert (
        data[1]["caption"] == 'a caption, with "quotes"'
        and data[1]["candidates"][0]["score"] == 0.5
    )
    assert main(["export", "--json", "--status", "approved", "--library", str(db)]) == 0
    assert len(json.loads(capsys.readouterr().out)) == 1
    out = tmp_path / "out.csv"
    assert main(["export", "--csv", str(out), "--library", str(db)]) == 0
    assert out.read_bytes().startswith(b"\xef\xbb\xbf")  # BOM: spreadsheets read it as UTF-8
    rows = list(csv.DictReader(io.StringIO(out.read_text(encoding="utf-8-sig"), newline="")))
    assert rows[0]["caption"] == "Approved, ünïcödé\nsecond line"
    assert main(["export", "--csv", "--status", "done", "--library", str(db)]) == 2


def test_import_round_trip_with_conflicts_and_dry_run(
    populated, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    db, paths = populated
    sheet = tmp_path / "sheet.csv"
    main(["export", "--csv", str(sheet), "--library", str(db)])
    rows = list(csv.DictReader(io.StringIO(sheet.read_text(encoding="utf-8-sig"), newline="")))
    rows[0]["caption"] = "Changed an approved one"
    rows[1]["caption"] = "Edited, in a spreadsheet; «quoted»"
    with open(sheet, "w", encoding="utf-8-sig", newline="") as fh:
        w = csv.DictWriter(fh, fieldnames=list(rows[0]))
        w.writeheader()
        w.writerows(rows)
    capsys.readouterr()
    assert main(["import", str(sheet), "--dry-run", "--library", str(db)]) == 1
    err = capsys.readouterr().err
    assert "would apply: 1 applied" in err and "--overwrite" in err
    with Library(db) as lib:
        assert lib.get(paths[1]).status == "suggested"  # dry run changed nothing
    assert main(["import", str(sheet), "--library", str(db)]) == 1  # one conflict reported
    with Library(db) as lib:
        assert lib.get(paths[1]).alt_text == "Edited, in a spreadsheet; «quoted»"
        assert lib.get(paths[0]).alt_text == "Approved, ünïcödé\nsecond line"
    assert main(["import", str(sheet), "--overwrite", "--library", str(db)]) == 0
    with Library(db) as lib:
        assert lib.get(paths[0]).alt_text == "Changed an approved one"


@pytest.mark.slow
def test_watch_once_captions_a_folder(
    tmp_path: Path, caption_model: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    paths = make_images(tmp_path / "photos", 6)
    (tmp_path / "photos" / "broken.jpg").write_bytes(b"\xff\xd8\xff\xe0 truncated")
    db = tmp_path / "lib.sqlite3"
    args = [
        "watch",
        str(tmp_path / "photos"),
        "--once",
        "--model",
        str(caption_model),
        "--library",
        str(db),
        "--json",
        "--beams",
        "1",
    ]
    assert main(args) == 0
    out = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert sorted(o["path"] for o in out) == sorted(
        str(p) for p in [*paths, tmp_path / "photos" / "broken.jpg"]
    )
    with Library(db) as lib:
        c = lib.counts()
        assert c["suggested"] == 6 and c["error"] == 1 and c["queued"] == 0
        assert lib.get(tmp_path / "photos" / "broken.jpg").error.code == "corrupt-image"
    assert main(args) == 0  # a second run has nothing to do
    assert capsys.readouterr().out == ""


def test_watch_rejects_a_missing_folder(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["watch", str(tmp_path / "nope"), "--library", str(tmp_path / "lib.sqlite3")]) == 2
    assert "not a folder" in capsys.readouterr().err


def test_watch_without_folders_resumes_the_librarys_own(
    tmp_path: Path, caption_model: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    db = tmp_path / "lib.sqlite3"
    assert main(["watch", "--once", "--library", str(db), "--model", str(caption_model)]) == 2
    assert "No folders to watch" in capsys.readouterr().err
    make_images(tmp_path / "a" / "deep", 2)
    make_images(tmp_path / "b", 1, seed=1)
    with Library(db) as lib:
        lib.add_folder(tmp_path / "a", recursive=True)
        lib.add_folder(tmp_path / "b")
        lib.set_folder_paused(tmp_path / "b", True)
    args = ["watch", "--once", "--library", str(db), "--model", str(caption_model), "-q"]
    assert main([*args, "--beams", "1"]) == 0
    with Library(db) as lib:
        assert [r.path.parent.name for r in lib.images()] == ["deep", "deep"]  # b is paused
