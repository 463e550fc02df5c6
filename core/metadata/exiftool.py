# SPDX-License-Identifier: GPL-3.0-or-later
"""One long-running ExifTool process (`exiftool -stay_open True -@ -`).

Arguments go through ExifTool's argument-file protocol on stdin, one per line, never through
a shell. Text values do not travel in arguments at all: `ValueFiles` writes each one to a
private file and the argument is `-TAG<=FILE`, so every byte arrives as it was (argument
lines lose leading spaces, and ExifTool 12.57's `#[CSTR]` lines put a backslash before `$`
and `@`). Each command ends with `-execute<N>` (N partly random); its stdout is read up to
`{ready<N>}` and its stderr up to the same marker echoed with `-echo4`, so every command gets
its own output and messages.

An `ExifTool` object is not shared between threads: the app's writer thread owns it (a lock
still guards it, so a mistake costs waiting, not crossed output).
"""

from __future__ import annotations

import ctypes
import functools
import hashlib
import json
import logging
import os
import random
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

from altlens.core.fsutil import atomic_write_text
from altlens.core.metadata.errors import ExifToolError, ExifToolMissingError, UnsupportedPathError

log = logging.getLogger(__name__)

# ExifTool in -stay_open mode keeps polling stdin after EOF, so if AltLens is killed its
# ExifTool would live on (and use CPU) forever. On Linux the kernel can signal it when its
# parent dies. The function runs between fork and exec, so it only calls the preloaded prctl.
_PR_SET_PDEATHSIG = 1
try:
    _PRCTL = ctypes.CDLL(None, use_errno=True).prctl if sys.platform.startswith("linux") else None
except (OSError, AttributeError):  # pragma: no cover - a libc without prctl
    _PRCTL = None


def _die_with_parent(parent_pid: int) -> None:
    if _PRCTL is not None:
        _PRCTL(_PR_SET_PDEATHSIG, signal.SIGTERM)
    if os.getppid() != parent_pid:  # the parent died before the signal was armed
        os._exit(1)

ENV_EXECUTABLE = "ALTLENS_EXIFTOOL"
MIN_VERSION = 12.0
NAMESPACE_URI = "https://altlens.app/ns/1.0/"
NAMESPACE_PREFIX = "altlens"

# User-defined tags of AltLens's XMP namespace. ExifTool readers without this config still
# show them (`exiftool -XMP-altlens:all`), since ExifTool reads unknown namespaces generically.
CONFIG_TEXT = """\
# Written by AltLens: its XMP namespace for provenance of alt text and captions.
%Image::ExifTool::UserDefined = (
    'Image::ExifTool::XMP::Main' => {
        altlens => {
            SubDirectory => { TagTable => 'Image::ExifTool::UserDefined::altlens' },
        },
    },
);
%Image::ExifTool::UserDefined::altlens = (
    GROUPS    => { 0 => 'XMP', 1 => 'XMP-altlens', 2 => 'Image' },
    NAMESPACE => { 'altlens' => 'https://altlens.app/ns/1.0/' },
    WRITABLE  => 'string',
    MachineSuggested => { Writable => 'boolean' },
    CaptionModel => { },
    Reviewed    => { Writable => 'boolean' },
    Edited      => { Writable => 'boolean' },
    WrittenAt   => { Writable => 'date', Groups => { 2 => 'Time' } },
    AltLensVersion => { },
    Fields      => { List => 'Bag' },
    TextDigests => { List => 'Bag' },
);
1;
"""


def bundled_exiftool() -> str | None:
    """The ExifTool shipped inside a frozen (PyInstaller) AltLens, or None. The bundle keeps it
    as a separate program in an `exiftool` folder beside the executable (Linux, Windows), in
    Contents/Resources/exiftool of a macOS .app, or in the bundle's data folder (_MEIPASS):
    `exiftool` (the perl script with its lib/) or `exiftool.exe` (the Windows build's
    `exiftool(-k).exe` renamed, with its exiftool_files/). See packaging/README.md."""
    if not getattr(sys, "frozen", False):
        return None
    exe_dir = Path(sys.executable).resolve().parent
    roots = [exe_dir / "exiftool"]
    if sys.platform == "darwin":
        roots.append(exe_dir.parent / "Resources" / "exiftool")
    meipass = getattr(sys, "_MEIPASS", None)
    if meipass:
        roots.append(Path(meipass) / "exiftool")
    names = ("exiftool.exe",) if sys.platform == "win32" else ("exiftool",)
    for root in roots:
        for name in names:
            candidate = root / name
            if candidate.is_file():
                return str(candidate)
    return None


def find_exiftool() -> str | None:
    """Path of the exiftool executable, or None. ALTLENS_EXIFTOOL wins; then, in a frozen
    bundle, the ExifTool it ships (the version it was built and tested with); then PATH; then
    the usual install places (apps started from a desktop often get a shorter PATH than a
    shell)."""
    env = os.environ.get(ENV_EXECUTABLE)
    if env:
        return env if Path(env).is_file() else None
    found = bundled_exiftool() or shutil.which("exiftool")
    if found:
        return found
    candidates = [
        "/opt/homebrew/bin/exiftool",
        "/usr/local/bin/exiftool",
        "/usr/bin/exiftool",
        "/usr/bin/vendor_perl/exiftool",  # Arch Linux
    ]
    if sys.platform == "win32":
        for base in (os.environ.get("PROGRAMFILES"), os.environ.get("LOCALAPPDATA")):
            if base:
                candidates += [
                    str(Path(base) / "ExifTool" / "ExifTool.exe"),
                    str(Path(base) / "Programs" / "ExifTool" / "ExifTool.exe"),
                ]
    for c in candidates:
        if Path(c).is_file():
            return c
    return None


def exiftool_available() -> bool:
    """Cheap check for the GUI: can captions be written on this computer?"""
    return find_exiftool() is not None


def config_file(directory: Path | None = None) -> Path:
    """Write AltLens's ExifTool config (its XMP namespace) once and return its path. The name
    carries a hash of the content, so an older AltLens's file is never reused by mistake."""
    digest = hashlib.sha256(CONFIG_TEXT.encode()).hexdigest()[:12]
    name = f"altlens-exiftool-{digest}.config"
    dirs: list[Path] = []
    if directory is not None:
        dirs.append(directory)
    else:
        try:
            from altlens.core.paths import app_dirs

            dirs.append(app_dirs().cache / "exiftool")
        except Exception:
            log.debug("no cache dir for the ExifTool config", exc_info=True)
    user = str(os.getuid()) if hasattr(os, "getuid") else "user"
    dirs.append(Path(tempfile.gettempdir()) / f"altlens-{user}")
    for d in dirs:
        path = d / name
        try:
            if path.is_file() and path.read_text(encoding="utf-8") == CONFIG_TEXT:
                return path
            atomic_write_text(path, CONFIG_TEXT)
            return path
        except OSError:
            log.debug("cannot write ExifTool config in %s", d, exc_info=True)
    raise ExifToolError("Could not write AltLens's ExifTool configuration file anywhere.")


def encode_arg(arg: str | os.PathLike[str]) -> bytes:
    """One line of ExifTool's argument file. Paths go as file-system bytes; text that a plain
    line would alter (line breaks, leading/trailing space, a leading '#', spaces after '=')
    goes as a `#[CSTR]` line with C escapes."""
    if isinstance(arg, os.PathLike):
        raw = os.fsencode(arg)
        if b"\n" in raw or b"\r" in raw or b"\0" in raw:
            raise UnsupportedPathError(
                "File names with line breaks cannot be passed to ExifTool.", path=os.fspath(arg)
            )
        return raw
    if "\0" in arg:
        raise ValueError("argument contains a NUL character")
    plain_ok = (
        arg == arg.strip()
        and not arg.startswith("#")
        and not any(ch in arg for ch in "\n\r\t\\")
        and "= " not in arg
        and " =" not in arg
    )
    if plain_ok:
        return arg.encode("utf-8", "surrogateescape")
    escaped = (arg.replace("\\", "\\\\").replace("\n", "\\n").replace("\r", "\\r")
               .replace("\t", "\\t"))
    return b"#[CSTR]" + escaped.encode("utf-8", "surrogateescape")


@dataclass
class ExifToolResult:
    stdout: bytes
    stderr: str
    warnings: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)

    @property
    def text(self) -> str:
        return self.stdout.decode("utf-8", "replace")


def parse_json(stdout: bytes) -> list[list[tuple[str, Any]]]:
    """ExifTool -j output as lists of (key, value) pairs: with -a a key may repeat, and numbers
    stay the exact text ExifTool printed (a caption "1.50" must not become 1.5)."""
    text = stdout.decode("utf-8", "surrogateescape").strip()
    if not text:
        return []
    decoder = json.JSONDecoder(
        object_pairs_hook=lambda pairs: pairs, parse_float=str, parse_int=str
    )
    data = decoder.decode(text)
    return [list(obj) for obj in data]


class _Pipe:
    """Collects one stream of the child in a thread, so stdout and stderr never block each
    other (pipes have no select() on Windows)."""

    def __init__(self, stream: IO[bytes], name: str) -> None:
        self.buf = bytearray()
        self.cond = threading.Condition()
        self.closed = False
        self._stream = stream
        self._thread = threading.Thread(target=self._run, name=f"exiftool-{name}", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        fd = self._stream.fileno()
        try:
            while True:
                chunk = os.read(fd, 65536)
                if not chunk:
                    break
                with self.cond:
                    self.buf += chunk
                    self.cond.notify_all()
        except OSError:
            pass
        finally:
            with self.cond:
                self.closed = True
                self.cond.notify_all()

    def take_until(self, marker: bytes, deadline: float) -> bytes | None:
        """Everything before `marker`, removing both; None on timeout/EOF. The marker is the
        last thing ExifTool prints for a command, and may follow output without a newline
        (`-b` values), so it is looked for at the end of what has arrived."""
        with self.cond:
            while True:
                idx = self._find_tail(marker)
                if idx >= 0:
                    out = bytes(self.buf[:idx])
                    del self.buf[:]
                    return out
                remaining = deadline - time.monotonic()
                if self.closed or remaining <= 0:
                    return None
                self.cond.wait(min(remaining, 1.0))

    def _find_tail(self, marker: bytes) -> int:
        tail = bytes(self.buf[-(len(marker) + 2):]).rstrip(b"\r\n")
        if not tail.endswith(marker) or not self.buf.rstrip(b"\r\n").endswith(marker):
            return -1
        return len(self.buf.rstrip(b"\r\n")) - len(marker)

    def drain(self) -> bytes:
        with self.cond:
            out = bytes(self.buf)
            self.buf.clear()
            return out

    def join(self, timeout: float) -> None:
        self._thread.join(timeout)


class ValueFiles:
    """Text values handed to ExifTool as files (`-TAG<=FILE`): exact bytes, no escaping.
    Lives in a private temporary folder; `close()` removes it."""

    def __init__(self) -> None:
        self._dir: Path | None = None
        self._n = 0

    def assign(self, tag: str, value: str) -> str:
        if self._dir is None:
            self._dir = Path(tempfile.mkdtemp(prefix="altlens-values-"))
        self._n += 1
        path = self._dir / f"v{self._n}.txt"
        path.write_bytes(value.encode("utf-8"))
        return f"-{tag}<={path}"

    def assign_bytes(self, tag: str, value: bytes) -> str:
        """Like assign, for a value that is bytes (a restored binary or legacy-text tag)."""
        if self._dir is None:
            self._dir = Path(tempfile.mkdtemp(prefix="altlens-values-"))
        self._n += 1
        path = self._dir / f"v{self._n}.bin"
        path.write_bytes(value)
        return f"-{tag}<={path}"

    def clear(self) -> None:
        if self._dir is not None:
            for p in self._dir.iterdir():
                p.unlink(missing_ok=True)
        self._n = 0

    def close(self) -> None:
        if self._dir is not None:
            shutil.rmtree(self._dir, ignore_errors=True)
            self._dir = None

    def __enter__(self) -> ValueFiles:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


class ExifTool:
    """A running `exiftool -stay_open` process. Start is lazy; a process that died is
    restarted before the next command. Use as a context manager or call `close()`."""

    def __init__(
        self,
        executable: str | os.PathLike[str] | None = None,
        *,
        config_path: Path | None = None,
        timeout: float = 120.0,
    ) -> None:
        self._executable = os.fspath(executable) if executable is not None else None
        self._config_path = config_path
        self.timeout = timeout
        self._proc: subprocess.Popen[bytes] | None = None
        self._out: _Pipe | None = None
        self._err: _Pipe | None = None
        self._seq = 0
        self._lock = threading.Lock()
        self.version: float | None = None
        self.starts = 0  # how many processes this object started (tests, diagnostics)

    # -- lifecycle -----------------------------------------------------------------------

    @property
    def executable(self) -> str:
        exe = self._executable or find_exiftool()
        if not exe:
            raise ExifToolMissingError()
        return exe

    @property
    def config_path(self) -> Path:
        if self._config_path is None:
            self._config_path = config_file()
        return self._config_path

    @property
    def running(self) -> bool:
        return self._proc is not None and self._proc.poll() is None

    def start(self) -> None:
        if self.running:
            return
        self._stop()
        exe = self.executable
        cmd = [
            exe,
            "-config", os.fspath(self.config_path),
            "-stay_open", "True",
            "-@", "-",
            "-common_args",
            "-charset", "utf8",
            "-charset", "filename=utf8",
            "-api", "LargeFileSupport=1",
        ]
        kwargs: dict[str, Any] = {}
        if sys.platform == "win32":
            kwargs["creationflags"] = getattr(subprocess, "CREATE_NO_WINDOW", 0)
        elif _PRCTL is not None:
            kwargs["preexec_fn"] = functools.partial(_die_with_parent, os.getpid())
        try:
            self._proc = subprocess.Popen(
                cmd,
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                **kwargs,
            )
        except FileNotFoundError as exc:
            raise ExifToolMissingError(f"ExifTool could not be started ({exc}).") from exc
        except OSError as exc:
            raise ExifToolError(f"ExifTool could not be started: {exc}") from exc
        assert self._proc.stdout is not None and self._proc.stderr is not None
        self._out = _Pipe(self._proc.stdout, "stdout")
        self._err = _Pipe(self._proc.stderr, "stderr")
        self.starts += 1
        log.debug("started exiftool pid %s (%s)", self._proc.pid, exe)
        res = self._run_locked(["-ver"], timeout=60)
        try:
            self.version = float(res.text.strip().split()[0])
        except (ValueError, IndexError) as exc:
            self._stop()
            raise ExifToolError(f"Unexpected answer from ExifTool -ver: {res.text!r}") from exc
        if self.version < MIN_VERSION:
            self._stop()
            raise ExifToolError(
                f"ExifTool {self.version} is too old; AltLens needs {MIN_VERSION} or newer."
            )

    def close(self) -> None:
        """Ask ExifTool to exit, then make sure it did."""
        with self._lock:
            self._stop()

    def _stop(self) -> None:
        proc, self._proc = self._proc, None
        if proc is None:
            return
        try:
            if proc.poll() is None and proc.stdin is not None:
                proc.stdin.write(b"-stay_open\nFalse\n")
                proc.stdin.flush()
                proc.stdin.close()
            proc.wait(timeout=5)
        except (OSError, subprocess.TimeoutExpired, ValueError):
            proc.kill()
            try:
                proc.wait(timeout=5)
            except subprocess.TimeoutExpired:
                log.warning("exiftool pid %s did not exit", proc.pid)
        for pipe in (self._out, self._err):
            if pipe is not None:
                pipe.join(2)
        for stream in (proc.stdout, proc.stderr):
            if stream is not None:
                stream.close()
        self._out = self._err = None

    def __enter__(self) -> ExifTool:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __del__(self) -> None:
        proc = getattr(self, "_proc", None)
        if proc is not None and proc.poll() is None:
            proc.kill()

    # -- commands ------------------------------------------------------------------------

    def execute(
        self, args: Sequence[str | os.PathLike[str]], *, timeout: float | None = None
    ) -> ExifToolResult:
        """Run one ExifTool command; returns its stdout and parsed stderr messages."""
        lines = [encode_arg(a) for a in args]  # before starting: bad args must not cost a start
        with self._lock:
            if not self.running:
                if self._proc is not None:
                    log.warning("exiftool exited (status %s); restarting", self._proc.returncode)
                self.start()
            return self._run_locked(lines, timeout=timeout)

    def _run_locked(
        self, args: Sequence[bytes | str], *, timeout: float | None = None
    ) -> ExifToolResult:
        assert self._proc is not None and self._proc.stdin is not None
        assert self._out is not None and self._err is not None
        self._seq += 1
        # unpredictable, so text in a value can never pose as the end of the output
        seq = self._seq * 1_000_000 + random.randrange(1_000_000)
        marker = f"{{ready{seq}}}".encode()
        payload = b"".join(
            (a if isinstance(a, bytes) else encode_arg(a)) + b"\n" for a in args
        )
        payload += b"-echo4\n" + marker + b"\n-execute" + str(seq).encode() + b"\n"
        deadline = time.monotonic() + (timeout or self.timeout)
        try:
            self._proc.stdin.write(payload)
            self._proc.stdin.flush()
        except (BrokenPipeError, OSError) as exc:
            pending = self._err.drain().decode("utf-8", "replace")
            self._stop()
            raise ExifToolError(f"ExifTool stopped unexpectedly: {exc} {pending}".strip()) from exc
        out = self._out.take_until(marker, deadline)
        # -echo4 goes out after the command; allow a moment past stdout's marker for it
        err = None
        if out is not None:
            err = self._err.take_until(marker, max(deadline, time.monotonic() + 10))
        if out is None or err is None:
            stderr = self._err.drain().decode("utf-8", "replace")
            died = not self.running
            self._stop()  # its state is unknown now; the next command starts a fresh one
            what = "stopped unexpectedly" if died else "did not answer in time"
            raise ExifToolError(f"ExifTool {what}. {stderr}".strip())
        stderr_text = err.decode("utf-8", "replace")
        warnings, errors = [], []
        for line in stderr_text.splitlines():
            if line.startswith("Warning: "):
                warnings.append(line[9:])
            elif line.startswith("Error: "):
                errors.append(line[7:])
            elif line.strip():
                errors.append(line.strip())
        return ExifToolResult(out, stderr_text, warnings, errors)

    def execute_json(
        self, args: Sequence[str | os.PathLike[str]], *, timeout: float | None = None
    ) -> tuple[list[list[tuple[str, Any]]], ExifToolResult]:
        res = self.execute(["-j", *args], timeout=timeout)
        try:
            return parse_json(res.stdout), res
        except ValueError as exc:
            raise ExifToolError(f"Could not parse ExifTool output: {exc}") from exc
