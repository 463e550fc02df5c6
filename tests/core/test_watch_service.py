# SPDX-License-Identifier: GPL-3.0-or-later
"""The whole chain with real file-system events and a real model: watcher -> library ->
queue -> Captioner. Bursts, slow copies, renames and deletions mid-run, own metadata writes,
and kill -9 of `python -m altlens.core watch` followed by a restart."""

from __future__ import annotations

import hashlib
import json
import os
import random
import shutil
import signal
import sqlite3
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
from altlens.core.captioning.engine import Captioner
from altlens.core.captioning.settings import GenerationSettings
from altlens.core.library import Library
from altlens.core.service import WatchService
from PIL import Image

from tests.core.library_support import (
    CountingCaptioner,
    caption_model,
    exiftool,
    make_images,
    needs_exiftool,
)

__all__ = ["caption_model"]  # the fixture, imported for pytest

REPO = Path(__file__).resolve().parents[2]
DEBOUNCE = 0.5
FAST = GenerationSettings(strategy="greedy", num_beams=1, max_length=12)


def _service(
    tmp_path: Path, model: Path, folder: Path
) -> tuple[Library, CountingCaptioner, WatchService]:
    lib = Library(tmp_path / "lib.sqlite3")
    cap = CountingCaptioner(Captioner(model, settings=FAST, batch_size=16, decode_workers=2))
    svc = WatchService(lib, cap, debounce=DEBOUNCE)
    svc.add_folder(folder, recursive=True)
    return lib, cap, svc


def _write_slowly(
    data: bytes, target: Path, chunks: int = 5, pause: float = DEBOUNCE * 0.4
) -> None:
    with open(target, "wb") as fh:
        for i in range(chunks):
            fh.write(data[i * len(data) // chunks : (i + 1) * len(data) // chunks])
            fh.flush()
            time.sleep(pause)


@pytest.mark.slow
def test_500_files_in_bursts_with_slow_copies_renames_and_deletes(
    tmp_path: Path, caption_model: Path
) -> None:
    rng = random.Random(4)
    staging = make_images(tmp_path / "staging", 500, size=(40, 32))
    folder = tmp_path / "watched"
    (folder / "sub").mkdir(parents=True)
    lib, cap, svc = _service(tmp_path, caption_model, folder)
    svc.start()
    started = time.monotonic()
    slow = set(rng.sample(range(500), 40))
    placed: dict[int, Path] = {}
    deleted: list[Path] = []
    renamed: dict[Path, Path] = {}
    writers: list[threading.Thread] = []
    try:
        for burst in range(10):
            for i in range(burst * 50, burst * 50 + 50):
                target = folder / ("sub" if i % 3 == 0 else "") / staging[i].name
                placed[i] = target
                if i in slow:
                    t = threading.Thread(
                        target=_write_slowly, args=(staging[i].read_bytes(), target)
                    )
                    t.start()
                    writers.append(t)
                else:
                    shutil.copy(staging[i], target)
            time.sleep(0.3)
            if burst in (3, 6):
                # Mid-way: rename and delete files the library already knows, some captioned
                # and some still queued or in flight.
                want = burst * 25
                assert _wait(lambda want=want: lib.counts()["suggested"] >= want, 120)
                known = [
                    i
                    for i in placed
                    if i not in slow
                    and placed[i] not in renamed.values()
                    and lib.get(placed[i]) is not None
                ]
                assert len(known) >= 30
                for i in rng.sample(known, 15):
                    if i % 2:  # renamed in place
                        new = placed[i].with_name("renamed_" + placed[i].name)
                    else:  # moved to the other folder
                        new = (folder / "sub" if placed[i].parent == folder else folder) / (
                            "moved_" + placed[i].name
                        )
                    os.rename(placed[i], new)
                    renamed[placed[i]] = new
                    placed[i] = new
                for i in rng.sample([i for i in known if placed[i] not in renamed.values()], 15):
                    placed[i].unlink()
                    deleted.append(placed.pop(i))
        for t in writers:
            t.join()
        assert svc.wait_idle(600, settle=DEBOUNCE * 4), f"not idle: {lib.counts()}"
        elapsed = time.monotonic() - started
    finally:
        svc.stop()
    on_disk = {p for p in folder.rglob("*.jpg")}
    assert on_disk == set(placed.values()) and len(on_disk) == 470
    live = {r.path: r for r in lib.images(include_missing=False)}
    assert set(live) == on_disk  # one row per remaining file, none extra
    bad = {
        p: (r.status, r.caption_runs)
        for p, r in live.items()
        if r.status != "suggested" or r.caption_runs != 1
    }
    assert not bad, f"{len(bad)} images not captioned exactly once: {list(bad.items())[:5]}"
    for old in renamed:  # the old names are not rows of their own: the rows moved
        assert lib.get(old) is None
    for p in deleted:
        rec = lib.get(p)
        assert rec is not None and rec.missing  # marked, not forgotten
    # The model produced exactly one successful result per picture that was recorded, and no
    # path was captioned twice (renamed pictures were not captioned again).
    assert max(cap.ok.values()) == 1
    recorded = sum(r.caption_runs for r in lib.images())
    # The only model work not recorded is for pictures deleted while in flight (their
    # result arrives after the row was marked missing and is dropped).
    current = {str(old): new for old, new in renamed.items()}
    wasted = [p for p in cap.ok if (r := lib.get(current.get(p, p))) is None or r.caption_runs == 0]
    assert set(wasted) <= {str(p) for p in deleted}
    assert sum(cap.ok.values()) == recorded + len(wasted)
    assert set(cap.failed) <= {
        str(p) for p in (*renamed, *deleted)
    }  # only files that vanished mid-batch
    counts = lib.counts()
    figures = {
        "files_copied": 500,
        "slow_copies": len(slow),
        "renamed": len(renamed),
        "deleted": len(deleted),
        "remaining": len(on_disk),
        "seconds_to_idle": round(elapsed, 1),
        "raw_events": svc.watcher.stats.raw_events,
        "batches": svc.watcher.stats.batches,
        "events_delivered": svc.watcher.stats.delivered,
        "model_results_ok": sum(cap.ok.values()),
        "results_dropped_deleted_in_flight": len(wasted),
        "model_results_failed": sum(cap.failed.values()),
        "rows_missing": counts["missing"],
        "library_changes": svc.stats.changes,
    }
    print("\n500-file run:", json.dumps(figures))
    lib.close()


@needs_exiftool
@pytest.mark.slow
def test_identity_through_the_watcher(tmp_path: Path, caption_model: Path) -> None:
    """Own writes are not requeued; another program's tag edit keeps the review; a pixel edit
    is captioned again; a rename keeps captions; a delete is marked."""
    folder = tmp_path / "watched"
    folder.mkdir()
    a, b, c, d, e = (folder / s.name for s in make_images(tmp_path / "staging", 5))
    for s in make_images(tmp_path / "staging", 5):
        shutil.copy(s, folder / s.name)
    lib, cap, svc = _service(tmp_path, caption_model, folder)
    svc.start()
    try:
        assert svc.wait_idle(120, settle=DEBOUNCE * 3)
        assert {r.status for r in lib.images()} == {"suggested"}
        # a: approved, then written by AltLens (ExifTool standing in for core/metadata).
        lib.approve(a, "Approved and written")
        exiftool("-XMP-dc:Description-x-default=Approved and written", a)
        st = a.stat()
        lib.record_write(
            a,
            journal_id=None,  # ExifTool stands in for core/metadata: nothing journaled
            size=st.st_size,
            mtime_ns=st.st_mtime_ns,
            sha256=hashlib.sha256(a.read_bytes()).hexdigest(),
            text="Approved and written",
            inode=st.st_ino,
        )
        # b: approved; another program adds tags and a description.
        lib.approve(b, "Approved by a person")
        exiftool(
            "-XMP-dc:Subject=holiday",
            "-XMP-dc:Description-x-default=Other program",
            "-IPTC:Keywords=beach",
            b,
        )
        # c: pixels edited.
        with Image.open(c) as im:
            im = im.convert("RGB").transpose(Image.Transpose.FLIP_LEFT_RIGHT)
        im.save(c, quality=90)
        # d: renamed; e: deleted.
        os.rename(d, folder / "renamed.jpg")
        e.unlink()
        time.sleep(DEBOUNCE * 2)
        assert svc.wait_idle(120, settle=DEBOUNCE * 4)
    finally:
        svc.stop()
    assert lib.get(a).status == "written" and lib.get(a).caption_runs == 1
    rb = lib.get(b)
    assert (
        rb.status == "approved" and rb.alt_text == "Approved by a person" and rb.caption_runs == 1
    )
    assert rb.disk_caption == "Other program"
    assert lib.get(c).status == "suggested" and lib.get(c).caption_runs == 2
    assert lib.get(folder / "renamed.jpg").caption_runs == 1 and lib.get(d) is None
    assert lib.get(e).missing
    assert cap.ok[str(c)] == 2 and sum(cap.ok.values()) == 6  # 5 new + c again, nothing else
    lib.close()


def _db_counts(db: Path) -> dict[str, int]:
    try:
        c = sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=5)
    except sqlite3.OperationalError:
        return {}
    try:
        rows = c.execute(
            "SELECT status, missing_since IS NOT NULL, claim IS NOT NULL, count(*) FROM images GROUP BY 1, 2, 3"
        ).fetchall()
    except sqlite3.OperationalError:
        return {}
    finally:
        c.close()
    out: dict[str, int] = {}
    for status, missing, claimed, n in rows:
        key = "missing" if missing else status
        out[key] = out.get(key, 0) + n
        if claimed:
            out["in_flight"] = out.get("in_flight", 0) + n
    return out


def _wait(pred, timeout: float, proc: subprocess.Popen | None = None) -> bool:  # type: ignore[type-arg]
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if pred():
            return True
        if proc is not None and proc.poll() is not None:
            raise AssertionError(f"watch process exited early with {proc.returncode}")
        time.sleep(0.02)
    return False


@pytest.mark.slow
def test_kill_9_mid_run_then_restart(tmp_path: Path, caption_model: Path) -> None:
    staging = make_images(tmp_path / "staging", 120, size=(160, 120))
    folder = tmp_path / "watched"
    folder.mkdir()
    db = tmp_path / "lib.sqlite3"
    cmd = [
        sys.executable,
        "-m",
        "altlens.core",
        "watch",
        str(folder),
        "--recursive",
        "--model",
        str(caption_model),
        "--library",
        str(db),
        "--debounce",
        "0.3",
        "--batch-size",
        "4",
        "--beams",
        "2",
    ]
    log = open(tmp_path / "watch.log", "ab")  # noqa: SIM115 - shared by both runs, closed below
    proc = subprocess.Popen(cmd, cwd=REPO, stdout=subprocess.DEVNULL, stderr=log)
    started = time.monotonic()
    try:
        assert _wait(lambda: (tmp_path / "watch.log").read_text().find("watching") >= 0, 180, proc)
        for s in staging[:70]:
            shutil.copy(s, folder / s.name)
        # Kill while it is working: some captioned, some still waiting, ideally some in flight.
        assert (
            _wait(
                lambda: (
                    _db_counts(db).get("suggested", 0) >= 10
                    and _db_counts(db).get("in_flight", 0) > 0
                ),
                120,
                proc,
            )
            or _db_counts(db).get("queued", 0) > 0
        )
        proc.send_signal(signal.SIGKILL)
        proc.wait(30)
    finally:
        if proc.poll() is None:
            proc.kill()
    at_kill = _db_counts(db)
    assert at_kill.get("queued", 0) > 0, f"the run finished before the kill: {at_kill}"
    # While it is down: more photos arrive, some captioned ones are renamed or deleted.
    with sqlite3.connect(f"file:{db}?mode=ro", uri=True) as c:
        captioned = [
            Path(p)
            for (p,) in c.execute(
                "SELECT path FROM images WHERE status = 'suggested' ORDER BY path"
            )
        ]
    for s in staging[70:]:
        shutil.copy(s, folder / s.name)
    renamed = {p: p.with_name("renamed_" + p.name) for p in captioned[:5]}
    for old, new in renamed.items():
        os.rename(old, new)
    deleted = captioned[5:10]
    for p in deleted:
        p.unlink()
    proc = subprocess.Popen(cmd, cwd=REPO, stdout=subprocess.DEVNULL, stderr=log)
    try:
        expected = 120 - len(deleted)
        assert _wait(
            lambda: (
                _db_counts(db).get("suggested", 0) == expected and not _db_counts(db).get("queued")
            ),
            300,
            proc,
        ), _db_counts(db)
        time.sleep(1.0)  # let late watcher events arrive; nothing may change
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(60) == 0  # clean stop
    finally:
        if proc.poll() is None:
            proc.kill()
        log.close()
    elapsed = time.monotonic() - started
    with Library(db) as lib:
        on_disk = set(folder.glob("*.jpg"))
        live = {r.path: r for r in lib.images(include_missing=False)}
        assert set(live) == on_disk and len(on_disk) == 115
        assert {(r.status, r.caption_runs) for r in live.values()} == {("suggested", 1)}
        for p in deleted:
            assert lib.get(p).missing
        for new in renamed.values():
            assert lib.get(new).caption_runs == 1
        c = lib.counts()
        assert c["in_flight"] == 0 and c["queued"] == 0 and c["missing"] == 5
        assert lib._conn().execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    print(
        "\nkill -9 run:",
        json.dumps(
            {
                "files": 120,
                "at_kill": at_kill,
                "renamed_while_down": 5,
                "deleted_while_down": 5,
                "final": {"suggested": c["suggested"], "missing": c["missing"]},
                "seconds_total": round(elapsed, 1),
            }
        ),
    )
