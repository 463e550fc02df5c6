# SPDX-License-Identifier: GPL-3.0-or-later
"""One long-running ExifTool: reused for every command, restarted when it died, and a clear
error (never an import failure) when it is not installed."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
from pathlib import Path

import pytest
from altlens.core.metadata import MetadataWriter, WriteRequest
from altlens.core.metadata.errors import ExifToolMissingError, UnsupportedPathError, install_hint
from altlens.core.metadata.exiftool import ExifTool, encode_arg

from tests.core.metadata.conftest import make_jpeg

REPO = Path(__file__).resolve().parents[3]


def test_one_process_for_many_commands(tmp_path: Path, writer: MetadataWriter) -> None:
    photos = [make_jpeg(tmp_path / f"p{i}.jpg") for i in range(5)]
    for p in photos:
        writer.read(p)
        writer.write(WriteRequest(p, alt_text=f"photo {p.name}"))
    writer.undo(photos[0])
    assert writer.exiftool.starts == 1


def test_restarts_after_exiftool_died(tmp_path: Path, writer: MetadataWriter) -> None:
    photo = make_jpeg(tmp_path / "p.jpg")
    writer.read(photo)
    proc = writer.exiftool._proc
    assert proc is not None
    proc.kill()
    proc.wait()
    writer.write(WriteRequest(photo, alt_text="after a restart"))
    assert writer.exiftool.starts == 2
    assert writer.read(photo).text("alt_text") == "after a restart"


def test_messages_belong_to_their_command(tmp_path: Path) -> None:
    photo = make_jpeg(tmp_path / "p.jpg")
    with ExifTool() as et:
        bad = et.execute([tmp_path / "missing.jpg"])
        good = et.execute(["-s3", "-FileType", photo])
    assert any("File not found" in e for e in bad.errors)
    assert good.errors == [] and good.text.strip() == "JPEG"


def test_missing_exiftool_is_a_clear_error(tmp_path: Path) -> None:
    photo = make_jpeg(tmp_path / "p.jpg")
    with (MetadataWriter(exiftool=ExifTool(executable=tmp_path / "no-exiftool")) as w,
          pytest.raises(ExifToolMissingError) as info):
        w.read(photo)
    assert info.value.code == "exiftool-missing"
    assert "apt install libimage-exiftool-perl" in install_hint("linux")
    assert "brew install exiftool" in install_hint("darwin")
    assert "exiftool.org" in install_hint("win32")


def test_app_imports_and_cli_explains_without_exiftool(tmp_path: Path) -> None:
    photo = make_jpeg(tmp_path / "p.jpg")
    env = dict(os.environ, PATH=str(tmp_path), ALTLENS_EXIFTOOL=str(tmp_path / "none"))
    code = ("import altlens.core.metadata as m, sys; print(m.exiftool_available()); "
            "print(sorted(k for k in sys.modules if k.startswith(('PySide6', 'torch'))))")
    out = subprocess.run([sys.executable, "-c", code], cwd=REPO, env=env, capture_output=True,
                         text=True, check=True).stdout.splitlines()
    assert out == ["False", "[]"]
    res = subprocess.run([sys.executable, "-m", "altlens.core", "read", str(photo)], cwd=REPO, env=env,
                         capture_output=True, text=True)
    assert res.returncode == 1
    assert "ExifTool was not found" in res.stderr and "exiftool" in res.stderr.lower()


def test_writer_is_confined_to_one_thread(tmp_path: Path, writer: MetadataWriter) -> None:
    photo = make_jpeg(tmp_path / "p.jpg")
    writer.read(photo)
    errors: list[BaseException] = []

    def other() -> None:
        try:
            writer.read(photo)
        except BaseException as exc:
            errors.append(exc)

    t = threading.Thread(target=other)
    t.start()
    t.join()
    assert len(errors) == 1 and isinstance(errors[0], RuntimeError)


def test_argument_encoding() -> None:
    assert encode_arg("-j") == b"-j"
    assert encode_arg("a\nb").startswith(b"#[CSTR]")
    assert encode_arg(" lead") == b"#[CSTR] lead"
    assert encode_arg(Path("/tmp/caf\u00e9.jpg")) == "/tmp/caf\u00e9.jpg".encode()
    with pytest.raises(UnsupportedPathError):
        encode_arg(Path("/tmp/bad\nname.jpg"))


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="parent-death signal is Linux-only")
def test_exiftool_does_not_outlive_a_killed_app(tmp_path: Path) -> None:
    """ExifTool in -stay_open mode keeps polling stdin after EOF; if the app is killed it must
    not linger (an earlier build left one process per crash, each using CPU forever)."""
    import signal
    import time

    code = (
        "import sys, time\n"
        "from altlens.core.metadata.exiftool import ExifTool\n"
        "et = ExifTool(); et.start(); print(et._proc.pid, flush=True); time.sleep(600)\n"
    )
    env = dict(os.environ, PYTHONPATH=str(REPO))
    child = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, text=True, env=env, cwd=REPO)
    try:
        assert child.stdout is not None
        exiftool_pid = int(child.stdout.readline())
        os.kill(exiftool_pid, 0)  # running
    finally:
        child.send_signal(signal.SIGKILL)
        child.wait()
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        try:
            os.kill(exiftool_pid, 0)
        except ProcessLookupError:
            return
        time.sleep(0.1)
    os.kill(exiftool_pid, signal.SIGKILL)
    pytest.fail("ExifTool kept running after the app that started it was killed")
