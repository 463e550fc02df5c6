# SPDX-License-Identifier: GPL-3.0-or-later
"""`altlens read/write/undo` as a person runs them (`python -m altlens.core ...`)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from tests.core.metadata.conftest import make_jpeg
from tests.core.metadata.helpers import cli_tag, sha256

REPO = Path(__file__).resolve().parents[3]


def altlens(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "altlens.core", *args], cwd=REPO, capture_output=True,
                          text=True, env=dict(os.environ), timeout=120)


def test_write_read_undo(tmp_path: Path) -> None:
    photo = make_jpeg(tmp_path / "p.jpg")
    before = sha256(photo)
    dry = altlens("write", str(photo), "--alt-text", "A cat, \"asleep\"\non a mat", "--dry-run")
    assert dry.returncode == 0, dry.stderr
    assert "would change XMP-iptcCore:AltTextAccessibility" in dry.stdout
    assert sha256(photo) == before

    res = altlens("write", str(photo), "--alt-text", "A cat, \"asleep\"\non a mat",
                  "--description", "Our cat", "--model", "org/model", "--json")
    assert res.returncode == 0, res.stderr
    out = json.loads(res.stdout)
    assert out["journal_id"] and out["identity_after"]["sha256"] == sha256(photo)
    assert cli_tag(photo, "XMP-iptcCore:AltTextAccessibility") == "A cat, \"asleep\"\non a mat"

    read = altlens("read", str(photo), "--json")
    assert read.returncode == 0, read.stderr
    (snap,) = json.loads(read.stdout)
    assert snap["alt_text"]["value"] == "A cat, \"asleep\"\non a mat"
    assert snap["description"]["value"] == "Our cat"
    assert snap["provenance"]["model"] == "org/model"
    human = altlens("read", str(photo))
    assert "alt text:" in human.stdout and "suggested by org/model" in human.stdout

    undo = altlens("undo", str(photo))
    assert undo.returncode == 0, undo.stderr
    assert cli_tag(photo, "XMP-iptcCore:AltTextAccessibility") is None
    again = altlens("undo", str(photo))
    assert again.returncode == 1 and "no write of this file to undo" in again.stderr


def test_errors_and_usage(tmp_path: Path) -> None:
    photo = make_jpeg(tmp_path / "p.jpg")
    empty = tmp_path / "empty.jpg"
    empty.write_bytes(b"")
    res = altlens("write", str(empty), "--alt-text", "x")
    assert res.returncode == 1 and "empty" in res.stderr
    res = altlens("write", str(photo), "--alt-text", "   ")
    assert res.returncode == 2
    res = altlens("read", str(photo), str(empty), "--json")
    assert res.returncode == 1
    good, bad = json.loads(res.stdout)
    assert good["path"] == str(photo) and bad["error"]["code"] == "empty-file"


def test_read_json_into_a_closed_pipe(tmp_path: Path) -> None:
    """`altlens read --json FILE | head -1`: the reader goes away early; no traceback."""
    photos = [str(make_jpeg(tmp_path / f"p{i}.jpg")) for i in range(3)]
    proc = subprocess.Popen([sys.executable, "-m", "altlens.core", "read", "--json", *photos],
                            cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            env=dict(os.environ))
    assert proc.stdout is not None and proc.stderr is not None
    proc.stdout.read(1)
    proc.stdout.close()  # as `head -c 1` does
    err = proc.stderr.read().decode()
    proc.wait(timeout=120)
    assert "Traceback" not in err and "BrokenPipeError" not in err, err


def test_verbose_after_the_command(tmp_path: Path) -> None:
    photo = make_jpeg(tmp_path / "p.jpg")
    for args in (["read", "-v", str(photo)], ["-v", "read", str(photo)],
                 ["read", str(photo), "--verbose"]):
        res = altlens(*args)
        assert res.returncode == 0, (args, res.stderr)
    res = altlens("caption", "-v", "--help")
    assert res.returncode == 0 and "--verbose" in res.stdout
