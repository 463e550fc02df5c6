# SPDX-License-Identifier: GPL-3.0-or-later
"""A small text progress bar with ETA for the command line (stderr only, so stdout stays
machine-readable)."""

from __future__ import annotations

import shutil
import sys
import time
from collections.abc import Callable
from typing import TextIO

from altlens.core.rate import RateMeter

MIN_BAR = 8


def terminal_width(stream: TextIO | None = None) -> int:
    """Columns of the terminal (COLUMNS wins, as shells and tests set it); 80 when unknown."""
    return shutil.get_terminal_size(fallback=(80, 24)).columns


def fit(label: str, bar_width: int, frac: float, parts: list[str], width: int) -> str:
    """`label [###---] part, part, ...` in at most width-1 columns (a line that reaches the
    last column wraps on many terminals, and a redrawn line then scrolls). The bar narrows
    first, then the later parts are dropped, then the line is cut."""
    limit = max(20, width - 1)

    def line(n_parts: int, bw: int) -> str:
        filled = int(bw * min(1.0, max(0.0, frac)))
        head = f"{label} [{'#' * filled}{'-' * (bw - filled)}] "
        return head + ", ".join(parts[:n_parts])

    n, bw = len(parts), bar_width
    while bw > 12 and len(line(n, bw)) > limit:
        bw -= 1
    while n > 1 and len(line(n, bw)) > limit:
        n -= 1
    while bw > MIN_BAR and len(line(n, bw)) > limit:
        bw -= 1
    text = line(n, bw)
    return text if len(text) <= limit else text[: limit - 1] + "…"


def format_duration(seconds: float) -> str:
    seconds = max(0, int(round(seconds)))
    h, rem = divmod(seconds, 3600)
    m, s = divmod(rem, 60)
    return f"{h}:{m:02d}:{s:02d}" if h else f"{m}:{s:02d}"


class ProgressBar:
    """Redraws one line on a terminal; on a pipe or log file it prints a line at most every
    `log_every` seconds so logs stay short."""

    def __init__(self, total: int, *, stream: TextIO | None = None, label: str = "Captioning", log_every: float = 5.0,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.total = total
        self.stream = stream or sys.stderr
        self.label = label
        self.clock = clock
        self.started = clock()
        # The pace of recent results, not done/elapsed: the start is model loading (core/rate.py).
        self.meter = RateMeter(clock=clock)
        self.tty = bool(getattr(self.stream, "isatty", lambda: False)())
        self.log_every = log_every
        self._last_log = 0.0
        self.done = 0

    def update(self, done: int, failed: int = 0) -> None:
        self.done = done
        now = self.clock()
        self.meter.update(done, now)
        if not self.tty and done < self.total and now - self._last_log < self.log_every:
            return
        self._last_log = now
        line = self.render(done, failed, now)
        if self.tty:
            self.stream.write("\r" + line + "\x1b[K")
        else:
            self.stream.write(line + "\n")
        self.stream.flush()

    def render(self, done: int, failed: int = 0, now: float | None = None) -> str:
        elapsed = (now or self.clock()) - self.started
        frac = done / self.total if self.total else 1.0
        rate = self.meter.rate
        if rate is None and done >= self.total and done and elapsed > 0:
            rate = done / elapsed  # a run too short to measure a pace: its overall rate
        left = self.meter.seconds_left(done, self.total)
        eta = format_duration(left) if left is not None else ("0:00" if done >= self.total else "--:--")
        # In the order they give way when the terminal is narrow (the last first).
        parts = [f"{done}/{self.total} ({frac:.0%})"] + ([f"{failed} failed"] if failed else [])
        parts += [f"ETA {eta}", f"{rate:.2f} img/s" if rate is not None else "-- img/s", f"elapsed {format_duration(elapsed)}"]
        if not self.tty:
            return fit(self.label, 24, frac, parts, 10_000)  # a log line: all of it
        return fit(self.label, 24, frac, parts, terminal_width(self.stream))

    def close(self) -> None:
        if self.tty:
            self.stream.write("\n")
            self.stream.flush()


def format_bytes(n: float) -> str:
    """Decimal units, as download sizes are usually quoted (1 GB = 1000 MB)."""
    for unit in ("B", "kB", "MB", "GB"):
        if abs(n) < 1000 or unit == "GB":
            if unit == "GB":
                return f"{n:.2f} GB"
            return f"{n:.1f} {unit}" if unit != "B" and abs(n) < 10 else f"{n:.0f} {unit}"
        n /= 1000
    return f"{n:.2f} GB"  # pragma: no cover


class TransferBar:
    """A bytes progress bar (downloads, imports, verification) on stderr: amount, speed and
    ETA. Like ProgressBar it redraws one line on a terminal and logs a line every few seconds
    on a pipe."""

    def __init__(self, label: str, *, stream: TextIO | None = None, log_every: float = 5.0) -> None:
        self.label = label
        self.stream = stream or sys.stderr
        self.tty = bool(getattr(self.stream, "isatty", lambda: False)())
        self.log_every = log_every
        self._last_log = 0.0
        self._drawn = False

    def update(self, done: int, total: int, *, speed: float | None = None, eta: float | None = None,
               detail: str = "", final: bool = False) -> None:
        now = time.monotonic()
        if not self.tty and not final and now - self._last_log < self.log_every:
            return
        self._last_log = now
        line = self.render(done, total, speed=speed, eta=eta, detail=detail)
        if self.tty:
            self.stream.write("\r" + line + "\x1b[K")
        else:
            self.stream.write(line + "\n")
        self._drawn = True
        self.stream.flush()

    def render(self, done: int, total: int, *, speed: float | None = None, eta: float | None = None, detail: str = "") -> str:
        frac = done / total if total else 1.0
        parts = [f"{format_bytes(done)}/{format_bytes(total)} ({frac:.0%})"]
        if eta is not None:
            parts.append(f"ETA {format_duration(eta)}")
        if speed is not None:
            parts.append(f"{format_bytes(speed)}/s")
        if detail:
            parts.append(detail)
        return fit(self.label, 24, frac, parts, terminal_width(self.stream) if self.tty else 10_000)

    def close(self) -> None:
        if self.tty and self._drawn:
            self.stream.write("\n")
            self.stream.flush()


class StepProgress:
    """Progress of a job made of a few long steps (an ONNX export): one line per step on
    stderr with the time so far, since the steps themselves give no finer progress."""

    def __init__(self, label: str, *, stream: TextIO | None = None) -> None:
        self.label = label
        self.stream = stream or sys.stderr
        self.started = time.monotonic()
        self.tty = bool(getattr(self.stream, "isatty", lambda: False)())

    def step(self, name: str, number: int, total: int) -> None:
        elapsed = format_duration(time.monotonic() - self.started)
        self._write(f"{self.label}: step {number} of {total}, {name} (elapsed {elapsed})")

    def close(self) -> None:
        if self.tty:
            self._write(f"{self.label}: finished after {format_duration(time.monotonic() - self.started)}")

    def _write(self, line: str) -> None:
        if self.tty:
            width = terminal_width(self.stream) - 1
            line = line if len(line) <= width else line[: width - 1] + "…"
        self.stream.write(line + "\n")
        self.stream.flush()
