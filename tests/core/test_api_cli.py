# SPDX-License-Identifier: GPL-3.0-or-later
"""The pipeline-compatible Python API and `altlens caption`."""

from __future__ import annotations

import csv
import io
import json
import os
import random
import subprocess
import sys
from pathlib import Path

import pytest
from altlens.core.errors import UsageError
from PIL import Image
from toy_scenes import draw_scene

from altlens import pipeline

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def two_scenes(tmp_path_factory: pytest.TempPathFactory) -> list[tuple[Path, str]]:
    folder = tmp_path_factory.mktemp("api")
    out = []
    for i in range(2):
        image, caption = draw_scene(random.Random(70_000 + i), (1600, 1200))
        path = folder / f"s{i}.jpg"
        image.save(path, quality=92)
        out.append((path, caption))
    return out


def test_pipeline_call_shape_matches_transformers(toy_model_dir: Path, two_scenes: list[tuple[Path, str]]) -> None:
    captioner = pipeline("image-to-text", model=toy_model_dir, device="cpu")
    (path, caption), (path2, caption2) = two_scenes
    single = captioner(str(path))
    assert isinstance(single, list) and len(single) == 1
    assert single[0]["generated_text"].lower() == caption
    assert 0 < single[0]["score"] <= 1 and single[0]["error"] is None
    batch = captioner([path, Image.open(path2), path.parent / "missing.jpg"])
    assert [len(x) for x in batch] == [1, 1, 1]
    assert batch[1][0]["generated_text"].lower() == caption2
    assert batch[2][0]["generated_text"] is None and batch[2][0]["error"]["code"] == "file-missing"
    several = captioner(path, generate_kwargs={"num_beams": 4, "num_return_sequences": 3})
    assert 1 <= len(several) <= 3 and several[0]["generated_text"] == single[0]["generated_text"]
    greedy = captioner(path, max_new_tokens=15, num_beams=1)
    assert greedy[0]["generated_text"].lower() == caption


def test_pipeline_validates_loudly(toy_model_dir: Path, two_scenes: list[tuple[Path, str]]) -> None:
    with pytest.raises(UsageError):
        pipeline("object-detection", model=toy_model_dir)
    captioner = pipeline(model=toy_model_dir, device="cpu")
    with pytest.raises(UsageError, match="frobnicate"):
        captioner(two_scenes[0][0], generate_kwargs={"frobnicate": 1})
    url = captioner("https://example.com/cat.jpg")
    assert url[0]["error"]["code"] == "usage" and "offline" in url[0]["error"]["message"]


def run_cli(*args: str, cwd: Path = REPO) -> subprocess.CompletedProcess[str]:
    env = dict(os.environ)
    env["PYTHONPATH"] = str(REPO)
    return subprocess.run([sys.executable, "-m", "altlens.core", *args], capture_output=True, text=True, cwd=cwd, env=env, timeout=600)


def test_cli_version_and_help() -> None:
    from altlens.core import __version__

    out = run_cli("--version")
    assert out.returncode == 0 and __version__ in out.stdout
    helptext = run_cli("caption", "--help").stdout
    for option in ("--recursive", "--model", "--device", "--beams", "--candidates", "--json", "--csv"):
        assert option in helptext


@pytest.mark.slow
def test_cli_captions_the_corpus_and_reports_each_broken_file(toy_model_dir: Path, corpus: Path) -> None:
    out = run_cli("caption", str(corpus), "--model", str(toy_model_dir), "--json")
    assert out.returncode == 0, out.stderr
    rows = [json.loads(line) for line in out.stdout.splitlines()]
    by_name = {Path(r["path"]).name: r for r in rows}
    for r in rows:
        assert set(r) >= {"path", "caption", "candidates", "error"}
        assert (r["caption"] is None) == (r["error"] is not None)
        if r["error"]:
            assert set(r["error"]) == {"code", "message"} and r["error"]["message"]
        else:
            assert r["candidates"][0]["text"] == r["caption"] and 0 < r["candidates"][0]["score"] <= 1
    expected_errors = {
        "empty_zero_bytes.jpg": "corrupt-image",
        "corrupt_broken.png": "corrupt-image",
        "truncated_baseline_60pct.jpg": "corrupt-image",
        "truncated_progressive.jpg": "corrupt-image",
        "bomb_declared_65535x66601.gif": "image-too-large",
    }
    for name, code in expected_errors.items():
        assert by_name[name]["error"]["code"] == code, name
    ok = [r for r in rows if r["caption"]]
    assert len(ok) == len(rows) - len(expected_errors)
    for name in ("street_town_riverside.heic", "garden_palace.avif", "huge_20000x10000_200MP.jpg", "webp_with_jpg_extension.jpg"):
        assert by_name[name]["caption"], name
    assert "Captioned" in out.stderr and "could not be captioned" in out.stderr
    assert "ETA" in out.stderr  # more than a handful of images: a progress bar on stderr


def test_cli_csv_and_exit_codes(toy_model_dir: Path, two_scenes: list[tuple[Path, str]], tmp_path: Path) -> None:
    (path, caption), _ = two_scenes
    out = run_cli("caption", str(path), str(tmp_path / "missing.jpg"), "--model", str(toy_model_dir), "--csv", "--candidates", "2")
    assert out.returncode == 0, out.stderr
    rows = list(csv.DictReader(io.StringIO(out.stdout)))
    assert rows[0]["caption"].lower() == caption and rows[0]["error_code"] == ""
    assert rows[1]["error_code"] == "file-missing" and rows[1]["caption"] == ""
    # Nothing captioned: status 1. Wrong arguments: status 2.
    assert run_cli("caption", str(tmp_path / "missing.jpg"), "--model", str(toy_model_dir)).returncode == 1
    bad = run_cli("caption", str(path), "--model", str(toy_model_dir), "--beams", "9")
    assert bad.returncode == 2 and "Beams must be between 1 and 5" in bad.stderr
    nomodel = run_cli("caption", str(path), "--model", "someone/not-downloaded")
    assert nomodel.returncode == 1 and "altlens models download" in nomodel.stderr


def test_cli_folder_walk(toy_model_dir: Path, two_scenes: list[tuple[Path, str]], tmp_path: Path) -> None:
    sub = tmp_path / "album" / "day2"
    sub.mkdir(parents=True)
    (tmp_path / "album" / "a.jpg").write_bytes(two_scenes[0][0].read_bytes())
    (sub / "b.jpg").write_bytes(two_scenes[1][0].read_bytes())
    (tmp_path / "album" / "readme.txt").write_text("skip me")
    flat = run_cli("caption", str(tmp_path / "album"), "--model", str(toy_model_dir), "--json", "-q")
    assert [Path(json.loads(x)["path"]).name for x in flat.stdout.splitlines()] == ["a.jpg"]
    deep = run_cli("caption", str(tmp_path / "album"), "-r", "--model", str(toy_model_dir), "--json", "-q")
    assert [Path(json.loads(x)["path"]).name for x in deep.stdout.splitlines()] == ["a.jpg", "b.jpg"]
    assert deep.stderr == ""
