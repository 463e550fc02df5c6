# SPDX-License-Identifier: GPL-3.0-or-later
"""`altlens batch` (core/batch.py, core/batch_results.py) and its import into the library.

The first half needs no Ray: the actor class is a plain class, so its exactly-once logic
(commit a part before returning; a retried block finds its part) is checked by calling it
directly. The second half runs a local Ray (2 CPUs, no dashboard, a small object store; one
start for the module, about 5 s) and kills actors mid-run.
"""

from __future__ import annotations

import ast
import json
import os
import subprocess
import sys
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from altlens.core import batch_results as br
from altlens.core.batch import BatchOptions, CaptionWorker, run_batch
from altlens.core.captioning.settings import GenerationSettings
from altlens.core.library import Library
from PIL import Image

REPO = Path(__file__).resolve().parents[2]
SAMPLES = REPO / "tests" / "data" / "samples"


def make_photos(folder: Path, n: int) -> list[Path]:
    """`n` distinct JPEGs (one marker pixel each, so every content hash differs) in two folders."""
    base = [Image.open(p).convert("RGB") for p in sorted(SAMPLES.glob("*.jpg"))]
    out = []
    for i in range(n):
        im = base[i % len(base)].copy()
        im.putpixel((i % im.width, 0), (i * 7 % 256, i * 13 % 256, 255))
        p = folder / ("a" if i % 2 else "b") / f"photo-{i:03d}.jpg"
        p.parent.mkdir(parents=True, exist_ok=True)
        im.save(p, quality=95)
        out.append(p)
    return out


def broken_jpeg(folder: Path) -> Path:
    p = folder / "b" / "broken.jpg"
    p.parent.mkdir(parents=True, exist_ok=True)
    p.write_bytes((SAMPLES / "scene-1.jpg").read_bytes()[:2000])
    return p


def worker(toy_model_dir: Path, out: Path, *, fmt: str = "parquet", done: frozenset[str] = frozenset()) -> CaptionWorker:
    settings = GenerationSettings(num_beams=2)
    key, desc = br.settings_key(br.model_identity(toy_model_dir), settings, dtype="float32", backend="auto")
    out.mkdir(parents=True, exist_ok=True)
    return CaptionWorker(
        captioner={"model": str(toy_model_dir), "device": "cpu", "dtype": "float32", "batch_size": 4},
        settings=settings, key=key, settings_desc=desc, out=str(out), fmt=fmt, done_hashes=done,
    )


# --- without Ray -----------------------------------------------------------------------------------


@pytest.mark.parametrize("fmt", ["parquet", "jsonl"])
def test_worker_commits_a_part_and_a_retried_block_captions_nothing(
    tmp_path: Path, toy_model_dir: Path, fmt: str, monkeypatch: pytest.MonkeyPatch, one_torch_thread: None
) -> None:
    photos = [*make_photos(tmp_path / "src", 3), broken_jpeg(tmp_path / "src")]
    w = worker(toy_model_dir, tmp_path / "out", fmt=fmt)
    paths = [str(p) for p in photos]
    first = w({"path": paths})
    parts = br.part_files(tmp_path / "out")
    assert len(parts) == 1 and parts[0].suffix == f".{fmt}"
    assert first["outcome"] == ["captioned"] * 3 + ["error"]
    assert first["error_code"][3] == "corrupt-image"
    rows = br.read_part(parts[0])
    assert [r["path"] for r in rows] == paths
    assert set(rows[0]) == set(br.ROW_FIELDS)
    assert rows[0]["caption"] and rows[0]["candidates"][0]["text"] == rows[0]["caption"]
    assert rows[0]["content_hash"].startswith("jpeg:")
    assert rows[3]["error"]["code"] == "corrupt-image" and rows[3]["content_hash"]  # broken, but fingerprinted

    # Ray retries a block whose actor died after the commit: same paths (any order), same part.
    monkeypatch.setattr(w.captioner, "iter_caption", lambda *a, **k: pytest.fail("captioned a committed block again"))
    again = w({"path": list(reversed(paths))})
    assert sorted(again["outcome"]) == sorted(first["outcome"])
    assert br.part_files(tmp_path / "out") == parts and len(br.read_part(parts[0])) == 4


def test_write_part_never_replaces_a_committed_part(tmp_path: Path) -> None:
    row = {f: None for f in br.ROW_FIELDS} | {"path": "/x.jpg", "candidates": [], "settings_key": "k"}
    br.write_part(tmp_path, "part-k-1.parquet", [row | {"caption": "first"}], "parquet")
    br.write_part(tmp_path, "part-k-1.parquet", [row | {"caption": "second"}], "parquet")
    assert [r["caption"] for r in br.read_part(tmp_path / "part-k-1.parquet")] == ["first"]
    assert [p.name for p in tmp_path.iterdir()] == ["part-k-1.parquet"]  # no temporary file left
    # An attempt that died mid-write leaves only a temporary name, which readers ignore.
    (tmp_path / ".part-k-2.parquet.tmp-host-1").write_bytes(b"PAR1 half a file")
    assert br.part_files(tmp_path) == [tmp_path / "part-k-1.parquet"]


def test_one_job_per_output_folder(tmp_path: Path) -> None:
    import socket

    with br.output_lock(tmp_path):
        with pytest.raises(br.UsageError, match="Another `altlens batch`"), br.output_lock(tmp_path):
            pass
        assert (tmp_path / br.LOCK_NAME).read_text().strip() == f"{socket.gethostname()}:{os.getpid()}"
    assert not (tmp_path / br.LOCK_NAME).exists()
    # A job that died (a pid that ran and exited) left its lock: the next job takes it over.
    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True).stdout.strip()
    (tmp_path / br.LOCK_NAME).write_text(f"{socket.gethostname()}:{dead}\n")
    with br.output_lock(tmp_path):
        pass
    (tmp_path / br.LOCK_NAME).write_text("another-computer:1\n")  # cannot be checked from here
    with pytest.raises(br.UsageError, match="another-computer:1"), br.output_lock(tmp_path):
        pass


def test_done_index_by_content_and_by_stat(tmp_path: Path, toy_model_dir: Path, one_torch_thread: None) -> None:
    photos = make_photos(tmp_path / "src", 3)
    w = worker(toy_model_dir, tmp_path / "out")
    w({"path": [str(p) for p in photos]})
    idx = br.done_index(tmp_path / "out", w.key)
    assert idx.rows == 3 and idx.stat_done(str(photos[0]))
    moved = tmp_path / "elsewhere.jpg"
    photos[0].rename(moved)
    copy = tmp_path / "copy.jpg"
    copy.write_bytes(photos[1].read_bytes())
    photos[2].write_bytes(photos[2].read_bytes() + b"")  # rewritten: new mtime, same bytes
    os.utime(photos[2], ns=(1, 1))
    todo, done, skip = idx.split([str(moved), str(photos[1]), str(copy), str(photos[2])])
    # Unchanged at its done path: dropped by stat, never read. The others are read by an actor.
    assert todo == [str(moved), str(copy), str(photos[2])] and done == 1
    w2 = worker(toy_model_dir, tmp_path / "out", done=skip)
    # Moved, or touched with the same picture: skipped by content. A copy of a picture that is
    # still at its captioned path is an image of its own (as in the library): captioned.
    assert w2({"path": todo})["outcome"] == ["skipped", "captioned", "skipped"]
    assert br.done_index(tmp_path / "out", "another-key").rows == 0  # other settings: not done


def test_settings_key_follows_what_changes_captions(toy_model_dir: Path, tmp_path: Path) -> None:
    ident = br.model_identity(toy_model_dir)
    k = br.settings_key(ident, GenerationSettings(), dtype="auto", backend="auto")[0]
    assert k == br.settings_key(br.model_identity(toy_model_dir), GenerationSettings(), dtype="auto", backend="auto")[0]
    assert k != br.settings_key(ident, GenerationSettings(num_beams=2), dtype="auto", backend="auto")[0]
    assert k != br.settings_key(ident, GenerationSettings(), dtype="float32", backend="auto")[0]
    other = tmp_path / "model"
    other.mkdir()
    for f in toy_model_dir.iterdir():
        (other / f.name).write_bytes(f.read_bytes())
    cfg = json.loads((other / "config.json").read_text())
    cfg["altlens_test"] = 1
    (other / "config.json").write_text(json.dumps(cfg))
    assert k != br.settings_key(br.model_identity(other), GenerationSettings(), dtype="auto", backend="auto")[0]


def test_sources_folders_lists_and_manifests(tmp_path: Path) -> None:
    photos = make_photos(tmp_path / "src", 4)
    (tmp_path / "src" / "notes.txt").write_text("not an image")  # inside a folder: not a photo
    listed = tmp_path / "list.txt"
    listed.write_text(f"# a comment\n{photos[0]}\n\nsrc/b/photo-002.jpg\n")
    csv_manifest = tmp_path / "manifest.csv"
    csv_manifest.write_text(f"id,Path\n1,{photos[1]}\n2,src/gone.jpg\n")
    import pyarrow as pa
    import pyarrow.parquet as pq

    pq.write_table(pa.table({"path": [str(photos[3]), str(photos[0])]}), tmp_path / "m.parquet")
    assert br.collect_sources([tmp_path / "src"]) == sorted(str(p) for p in photos)
    got = br.collect_sources([listed, csv_manifest, tmp_path / "m.parquet"])
    # Each path once; a path a manifest names that does not exist stays (it gets its error row).
    assert got == [str(photos[0]), str(photos[2]), str(photos[1]), str(tmp_path / "src" / "gone.jpg"), str(photos[3])]
    bad = tmp_path / "bad.csv"
    bad.write_text("file\nx.jpg\n")
    with pytest.raises(br.UsageError, match="'path' column"):
        br.collect_sources([bad])


def test_import_into_library_matches_by_path_and_content(tmp_path: Path, toy_model_dir: Path, one_torch_thread: None) -> None:
    photos = make_photos(tmp_path / "src", 4)
    broken = broken_jpeg(tmp_path / "src")
    w = worker(toy_model_dir, tmp_path / "out", fmt="jsonl")
    w({"path": [str(p) for p in [*photos, broken]]})
    rows = {r["path"]: r for r in br.iter_rows(tmp_path / "out")}
    lib = Library(tmp_path / "lib.sqlite3")
    lib.observe(photos[1], enqueue=10)  # known to the library and waiting in its queue
    lib.observe(photos[2], enqueue=None)
    lib.approve(photos[2], "A person's text")
    photos[3].rename(tmp_path / "src" / "renamed.jpg")  # moved after the batch; the library saw the move
    lib.observe(tmp_path / "src" / "renamed.jpg", enqueue=None)
    Image.open(photos[0]).rotate(90).save(photos[0])  # different pixels since captioned

    report = br.import_into_library(lib, tmp_path / "out")
    assert report.rows == 5 and report.changed == [str(photos[0])] and report.unmatched == []
    r1 = lib.get(photos[1])
    assert r1.status == "suggested" and not r1.queued and r1.caption == rows[str(photos[1])]["caption"]
    r2 = lib.get(photos[2])
    assert r2.status == "approved" and r2.caption == "A person's text"  # a review is never undone
    assert r2.candidates[0].text == rows[str(photos[2])]["caption"]
    r3 = lib.get(tmp_path / "src" / "renamed.jpg")
    assert r3.status == "suggested" and r3.caption == rows[str(photos[3])]["caption"]
    rb = lib.get(broken)
    assert rb.status == "error" and rb.error.code == "corrupt-image"
    assert lib.get(photos[0]).status == "new"
    again = br.import_into_library(lib, tmp_path / "out")
    assert again.applied == 0 and again.unchanged == 4  # importing twice changes nothing
    lib.close()


def test_only_the_batch_module_names_ray() -> None:
    named = []
    for path in sorted((REPO / "core").rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            mods = [a.name for a in node.names] if isinstance(node, ast.Import) else (
                [node.module] if isinstance(node, ast.ImportFrom) and node.module else [])
            named += [str(path.relative_to(REPO)) for m in mods if m.split(".")[0] == "ray"]
    assert set(named) == {"core/batch.py"}
    code = "import altlens.core.cli, core.batch, core.batch_results, core.commands.batch, sys; print('ray' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=REPO, timeout=120)
    assert out.stdout.strip() == "False", out.stderr  # imported only when a batch runs


# --- on a local Ray ----------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def local_ray() -> Iterator[Any]:
    ray = pytest.importorskip("ray")
    ray.init(
        num_cpus=2, include_dashboard=False, object_store_memory=100 * 1024 * 1024,
        _node_ip_address="127.0.0.1", log_to_driver=False,
        runtime_env={"env_vars": {"OMP_NUM_THREADS": "1"}},  # tiny model: a second thread only waits
    )
    yield ray
    ray.shutdown()


def options(src: Path, out: Path, model: Path, **kw: Any) -> BatchOptions:
    base: dict[str, Any] = dict(
        sources=(str(src),), out=out, model=str(model), device="cpu", dtype="float32",
        settings=GenerationSettings(num_beams=2), batch_size=2, part_size=3, actors=2, num_cpus=1, progress=False,
    )
    return BatchOptions(**(base | kw))


@pytest.mark.slow
def test_killed_actors_lose_nothing_and_duplicate_nothing(local_ray: Any, tmp_path: Path, toy_model_dir: Path) -> None:
    photos = make_photos(tmp_path / "src", 12)
    broken = broken_jpeg(tmp_path / "src")
    markers = tmp_path / "markers"
    markers.mkdir()

    class DyingWorker(CaptionWorker):
        """Dies like an OOM-killed or preempted actor (the process exits, no cleanup), once
        after committing a part and before returning it, once in the middle of captioning a
        block. Defined here, so Ray ships it by value to its workers."""

        def _die_once(self, name: str) -> None:
            try:
                os.close(os.open(markers / name, os.O_CREAT | os.O_EXCL | os.O_WRONLY))
            except FileExistsError:
                return
            os._exit(1)

        def __call__(self, batch: dict[str, Any]) -> dict[str, list[Any]]:
            out = super().__call__(batch)
            if len(list(markers.iterdir())) == 0:
                self._die_once("after-commit")
            return out

        def caption(self, paths: list[str]) -> list[dict[str, Any]]:
            if (markers / "after-commit").exists():
                self._die_once("mid-caption")
            return super().caption(paths)

    summary = run_batch(options(tmp_path / "src", tmp_path / "out", toy_model_dir), worker_cls=DyingWorker)
    assert sorted(p.name for p in markers.iterdir()) == ["after-commit", "mid-caption"]  # both deaths happened
    rows = list(br.iter_rows(tmp_path / "out"))
    counts = Counter(r["path"] for r in rows)
    expected = {str(p) for p in [*photos, broken]}
    assert set(counts) == expected and set(counts.values()) == {1}, counts  # every image exactly once
    assert [r["error"]["code"] for r in rows if r["error"]] == ["corrupt-image"]
    assert all(r["caption"] for r in rows if r["path"] != str(broken))
    assert (summary.captioned, summary.errors, summary.done_before) == (12, 1, 0)

    # A rerun over the same source skips everything without starting an actor (stat match).
    parts = br.part_files(tmp_path / "out")
    again = run_batch(options(tmp_path / "src", tmp_path / "out", toy_model_dir))
    assert (again.captioned, again.errors, again.done_before) == (0, 0, 13)
    assert br.part_files(tmp_path / "out") == parts
    # (Moved files, skipped by content after a read: test_done_index_by_content_and_by_stat.)


@pytest.mark.slow
def test_cli_batch_then_import(local_ray: Any, tmp_path: Path, toy_model_dir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from altlens.core.cli import main

    photos = make_photos(tmp_path / "src", 5)
    out = tmp_path / "out"
    args = ["batch", str(tmp_path / "src"), "--out", str(out), "--model", str(toy_model_dir), "--device", "cpu",
            "--beams", "2", "--format", "jsonl", "--actors", "1", "--num-cpus", "1", "--part-size", "2"]
    assert main(args) == 0
    err = capsys.readouterr().err
    assert "5 captioned, 0 error(s), 0 skipped" in err and "images/s" in err
    assert all(p.suffix == ".jsonl" for p in br.part_files(out))
    lib = tmp_path / "lib.sqlite3"
    assert main(["import", str(out), "--library", str(lib)]) == 0
    assert "5 applied" in capsys.readouterr().err
    with Library(lib) as library:
        assert library.counts()["suggested"] == 5
        assert {str(r.path) for r in library.images()} == {str(p) for p in photos}
