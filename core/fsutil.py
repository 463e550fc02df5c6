# SPDX-License-Identifier: GPL-3.0-or-later
"""The file-system helpers every part of AltLens uses: atomic replacement of a file, fsync of
files and folders, hashing. One copy, so a fix (a Windows sharing violation, a network mount
that refuses to fsync a folder) reaches every writer.

Why this shape: only "write a new file in the same folder, fsync it, os.replace it over the
old one, fsync the folder" survived kill -9 without a damaged file (shared/METADATA.md).
"""

from __future__ import annotations

import errno
import hashlib
import os
import secrets
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO

HASH_CHUNK = 1 << 20


def sha256_file(path: str | os.PathLike[str], offset: int = 0, *,
                on_bytes: Callable[[int], None] | None = None,
                check: Callable[[], None] | None = None) -> str:
    """Hex sha256 of a file from `offset` to the end. `on_bytes(n)` after each chunk (progress);
    `check()` before each (it may raise to cancel)."""
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        if offset:
            fh.seek(offset)
        while chunk := fh.read(HASH_CHUNK):
            if check is not None:
                check()
            h.update(chunk)
            if on_bytes is not None:
                on_bytes(len(chunk))
    return h.hexdigest()


def fsync_file(path: str | os.PathLike[str]) -> None:
    flags = os.O_RDWR | getattr(os, "O_BINARY", 0)  # Windows cannot flush a read-only handle
    fd = os.open(path, flags)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def fsync_dir(path: str | os.PathLike[str]) -> None:
    """Make a rename durable. Windows has no directory handles to flush (NTFS journals it)."""
    if sys.platform == "win32":
        return
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    except OSError as exc:  # some file systems (e.g. certain network mounts) refuse
        if exc.errno not in (errno.EINVAL, errno.ENOTSUP, errno.EBADF):
            raise
    finally:
        os.close(fd)


def replace(src: str | os.PathLike[str], dst: str | os.PathLike[str]) -> None:
    """os.replace, retried on Windows while another program holds the file open (never
    delete-then-rename: that would leave a moment with no file at all)."""
    for attempt in range(8):
        try:
            os.replace(src, dst)
            return
        except PermissionError:
            if sys.platform != "win32" or attempt == 7:
                raise
            time.sleep(0.05 * 2**attempt)


def temp_path_for(path: str | os.PathLike[str]) -> Path:
    """A hidden, unique temp name next to `path` (same folder, so the rename stays atomic)."""
    target = Path(path)
    return target.with_name(f".{target.name}.{os.getpid()}-{secrets.token_hex(4)}.tmp")


def commit(src: str | os.PathLike[str], dst: str | os.PathLike[str]) -> None:
    """Make the finished file `src` the file `dst`: fsync it, replace `dst` by it, fsync the
    folder. `src` must be in the same folder (or at least on the same file system)."""
    fsync_file(src)
    replace(src, dst)
    fsync_dir(Path(dst).parent)


@contextmanager
def atomic_path(path: str | os.PathLike[str]) -> Iterator[Path]:
    """For writers that want a file name (pyarrow, safetensors): yields a temp path next to
    `path`; when the block ends normally it is committed over `path` (fsync, replace, folder
    fsync); when it raises, the temp file is removed and `path` is untouched."""
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = temp_path_for(target)
    try:
        yield tmp
        commit(tmp, target)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


@contextmanager
def atomic_open(path: str | os.PathLike[str], mode: str = "wb", **kwargs) -> Iterator[IO]:
    """`open(path, mode)` for streaming writes that replace `path` only on success (see
    atomic_path); `mode` must be a write mode ("w", "wb", ...), kwargs go to open()."""
    if not mode.startswith("w"):
        raise ValueError(f"atomic_open writes a new file; mode {mode!r} is not a write mode")
    with atomic_path(path) as tmp, open(tmp, mode, **kwargs) as fh:
        yield fh  # closed here; atomic_path's commit fsyncs it


def atomic_write_bytes(path: str | os.PathLike[str], data: bytes) -> None:
    """Replace `path` by `data` so that a crash leaves the old content or the new, never a
    mix: a hidden temp file in the same folder, fsync'd, renamed over it, folder fsync'd."""
    with atomic_open(path, "wb") as fh:
        fh.write(data)


def atomic_write_text(path: str | os.PathLike[str], text: str) -> None:
    atomic_write_bytes(path, text.encode("utf-8"))
