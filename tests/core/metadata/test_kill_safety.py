# SPDX-License-Identifier: GPL-3.0-or-later
"""Kill safety: a process writing captions into 12 MP JPEGs is killed with SIGKILL at random
moments (with its ExifTool) at least 50 times. Afterwards every file must decode fully and
hold, in every field, the caption of one and the same write (old or new, never a mix)."""

from __future__ import annotations

import hashlib
import os
import random
import select
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from altlens.core.metadata import MetadataWriter, clean_stale_temp_files, is_temp_file
from altlens.core.metadata.exiftool import ExifTool, parse_json

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(sys.platform == "win32", reason="needs SIGKILL and process groups"),
]

REPO = Path(__file__).resolve().parents[3]
CHILD = Path(__file__).with_name("kill_child.py")
KILLS = int(os.environ.get("ALTLENS_KILL_TEST_KILLS", "50"))
FILES = 3


def _make_12mp_jpegs(folder: Path) -> list[Path]:
    from PIL import Image

    folder.mkdir()
    size = (4000, 3000)
    base = Image.merge("RGB", [Image.linear_gradient("L").resize(size),
                               Image.radial_gradient("L").resize(size),
                               Image.linear_gradient("L").rotate(90).resize(size)])
    noise = Image.effect_noise(size, 40).convert("RGB")
    Image.blend(base, noise, 0.15).save(folder / "photo0.jpg", quality=88)
    data = (folder / "photo0.jpg").read_bytes()
    for i in range(1, FILES):
        (folder / f"photo{i}.jpg").write_bytes(data)
    return sorted(folder.glob("*.jpg"))


def _wait_ready(proc: subprocess.Popen[bytes], timeout: float = 60) -> None:
    assert proc.stdout is not None
    deadline = time.monotonic() + timeout
    line = b""
    while time.monotonic() < deadline:
        ready, _, _ = select.select([proc.stdout], [], [], 0.5)
        if ready:
            line += os.read(proc.stdout.fileno(), 64)
            if b"ready\n" in line:
                return
        if proc.poll() is not None:
            break
    raise AssertionError(f"child did not start: {proc.stderr.read() if proc.stderr else ''}")


def test_sigkill_never_damages_a_photo(tmp_path: Path) -> None:
    from PIL import Image

    folder = tmp_path / "photos"
    photos = _make_12mp_jpegs(folder)
    home = tmp_path / "home"
    env = dict(os.environ, ALTLENS_HOME=str(home), PYTHONPATH=str(REPO))
    rng = random.Random(20240601)
    seen: dict[Path, str] = {}
    checked = writes = stray = mid_write = 0
    states: set[str] = set()
    with ExifTool() as et:
        for kill in range(KILLS):
            proc = subprocess.Popen([sys.executable, str(CHILD), str(folder), str(kill * 1000)],
                                    cwd=REPO, env=env, stdout=subprocess.PIPE,
                                    stderr=subprocess.PIPE, start_new_session=True)
            try:
                _wait_ready(proc)
                time.sleep(rng.uniform(0.05, 1.0))
            finally:
                os.killpg(proc.pid, signal.SIGKILL)  # the app and its ExifTool, as in a crash
                proc.wait()
            assert proc.stdout is not None and proc.stderr is not None
            writes += proc.stdout.read().count(b"w\n")
            err = proc.stderr.read().decode(errors="replace")
            assert "Traceback" not in err, err
            temps = sum(1 for p in folder.iterdir() if is_temp_file(p))
            stray += temps
            mid_write += temps > 0  # killed while a new copy was being written
            for photo in photos:
                digest = hashlib.sha256(photo.read_bytes()).hexdigest()
                if seen.get(photo) == digest:
                    continue
                seen[photo] = digest
                checked += 1
                with Image.open(photo) as im:
                    im.load()  # decodes every scan; raises on a truncated file
                res = et.execute(["-j", "-n", "-G1", "-IFD0:ImageDescription",
                                  "-XMP-dc:Description", "-XMP-iptcCore:AltTextAccessibility",
                                  photo])
                fields = {k: str(v) for k, v in parse_json(res.stdout)[0] if k != "SourceFile"}
                assert not res.errors, res.errors
                if not fields:
                    states.add("original")
                    continue
                caption = fields["IFD0:ImageDescription"]
                assert caption.startswith("caption "), fields
                k = caption.removeprefix("caption ")
                assert fields == {"IFD0:ImageDescription": f"caption {k}",
                                  "XMP-dc:Description": f"caption {k}",
                                  "XMP-iptcCore:AltTextAccessibility": f"alt {k}"}, fields
                states.add(k)
    # what a crash leaves is cleaned on the next start (every writer cleans on first touch)
    leftovers = [p for p in folder.iterdir() if is_temp_file(p)]
    removed = clean_stale_temp_files(folder)
    assert sorted(removed) == sorted(leftovers)
    assert not [p for p in folder.iterdir() if is_temp_file(p)]
    with MetadataWriter(journal_path=home / "data" / "journal.sqlite3") as w:
        assert w.journal.pending() == []  # settled on open
    print(f"\nkill test: {KILLS} SIGKILLs ({mid_write} in the middle of a write), {writes} "
          f"writes completed, {checked} changed file states checked, 0 damaged, {stray} stray "
          f"temp files seen after kills (all cleaned), {len(states)} distinct caption states")
    # the kills must have hit writes in progress, and writes must have completed in between
    assert mid_write >= KILLS // 5 and writes >= KILLS // 5 and checked >= KILLS // 5
