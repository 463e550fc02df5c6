# SPDX-License-Identifier: GPL-3.0-or-later
"""File-system side of a metadata write: temp names, identities, attribute copying, stale temp
clean-up and sidecar names (fsync, hashing and the rename come from altlens.core.fsutil, shared by all
of AltLens and re-exported here).

Why this shape: only "write a new file in the same folder, fsync it, os.replace it over the
original, fsync the folder" survived kill -9 without a damaged photo (shared/METADATA.md).
A crash leaves at worst a hidden temp file (`.NAME.altlens-tmp-PID-XXXXXXXX`), which
`clean_stale_temp_files()` removes; folder watchers should ignore names for which
`is_temp_file()` is true.
"""

from __future__ import annotations

import contextlib
import logging
import os
import re
import secrets
import shutil
import stat
import threading
import time
from pathlib import Path

from altlens.core.fsutil import fsync_dir, fsync_file, replace, sha256_file
from altlens.core.metadata.errors import FileChangedError, FileMissingError
from altlens.core.metadata.types import FileIdentity, SidecarStyle
from altlens.core.processes import pid_alive

log = logging.getLogger(__name__)

__all__ = ["fsync_dir", "fsync_file", "replace", "sha256_file"]  # re-exported

TEMP_MARK = ".altlens-tmp-"
_TEMP_RE = re.compile(r"^\..*\.altlens-tmp-(\d+)-[0-9a-f]{8}(?:\.[A-Za-z0-9]+)?$", re.DOTALL)
EXIFTOOL_TMP_SUFFIX = "_exiftool_tmp"  # ExifTool's own in-place temp file
EXIFTOOL_TMP_MIN_AGE_S = 300  # younger ones may belong to an exiftool running right now
OWN_TMP_MAX_AGE_S = 3600  # even a live process does not keep a temp file this long

_in_flight: set[str] = set()  # temp files of this process that are being written now
_in_flight_lock = threading.Lock()


def temp_path(target: Path, suffix: str = "") -> Path:
    """A fresh hidden name next to `target`; registered as in flight until `release_temp`."""
    name = target.name
    raw = os.fsencode(name)
    if len(raw) > 150:  # stay well under the 255-byte name limit of common file systems
        name = os.fsdecode(raw[:150])
    path = target.with_name(f".{name}{TEMP_MARK}{os.getpid()}-{secrets.token_hex(4)}{suffix}")
    with _in_flight_lock:
        _in_flight.add(os.fspath(path))
    return path


def release_temp(path: Path, *, remove: bool = True) -> None:
    with _in_flight_lock:
        _in_flight.discard(os.fspath(path))
    if remove:
        try:
            os.unlink(path)
        except FileNotFoundError:
            pass
        except OSError:
            log.warning("could not remove temp file %s", path, exc_info=True)


def is_temp_file(path: str | os.PathLike[str]) -> bool:
    """True for AltLens's temp files and ExifTool's `*_exiftool_tmp`; watchers skip these."""
    name = os.path.basename(os.fspath(path))
    return bool(_TEMP_RE.match(name)) or name.endswith(EXIFTOOL_TMP_SUFFIX)


def clean_stale_temp_files(folder: str | os.PathLike[str]) -> list[Path]:
    """Remove temp files a crashed write left in `folder`: AltLens's own (unless the process
    that made them is still running and they are recent) and ExifTool's `*_exiftool_tmp`
    (which blocks ExifTool's next in-place write of that file) once they are a few minutes
    old. Returns what was removed."""
    removed: list[Path] = []
    now = time.time()
    try:
        entries = list(os.scandir(folder))
    except OSError:
        return removed
    me = os.getpid()
    for entry in entries:
        try:
            if not entry.is_file(follow_symlinks=False):
                continue
            age = now - entry.stat(follow_symlinks=False).st_mtime
        except OSError:
            continue
        m = _TEMP_RE.match(entry.name)
        if m:
            pid = int(m.group(1))
            with _in_flight_lock:
                if entry.path in _in_flight:
                    continue
            if pid != me and pid_alive(pid) and age < OWN_TMP_MAX_AGE_S:
                continue
        elif not (entry.name.endswith(EXIFTOOL_TMP_SUFFIX) and age > EXIFTOOL_TMP_MIN_AGE_S):
            continue
        try:
            os.unlink(entry.path)
            removed.append(Path(entry.path))
            log.info("removed stale temp file %s", entry.path)
        except FileNotFoundError:
            pass
        except OSError:
            log.warning("could not remove stale temp file %s", entry.path, exc_info=True)
    return removed




def file_identity(path: str | os.PathLike[str]) -> FileIdentity:
    """Size, mtime, inode and the sha256 of the content, taken so that a file changing while
    it is hashed is noticed (stat before and after must agree)."""
    for _ in range(3):
        try:
            st = os.stat(path)
            digest = sha256_file(path)
            st2 = os.stat(path)
        except FileNotFoundError as exc:
            raise FileMissingError("The file does not exist.", path=os.fspath(path)) from exc
        if (st.st_size, st.st_mtime_ns, st.st_ino) == (st2.st_size, st2.st_mtime_ns, st2.st_ino):
            return FileIdentity(st.st_size, st.st_mtime_ns, st.st_ino, st.st_dev, digest)
        time.sleep(0.05)
    raise FileChangedError("The file keeps changing while it is being read.",
                           path=os.fspath(path))






def copy_attributes(src_stat: os.stat_result, src: Path, dst: Path, *,
                    keep_mtime: bool) -> list[str]:
    """Give the new file the original's permissions, group/owner where allowed, extended
    attributes (Linux) and, if asked, its access/modification times. Returns warnings."""
    warnings: list[str] = []
    os.chmod(dst, stat.S_IMODE(src_stat.st_mode))
    if hasattr(os, "chown"):
        try:
            os.chown(dst, src_stat.st_uid, src_stat.st_gid)
        except PermissionError:
            with contextlib.suppress(PermissionError):
                os.chown(dst, -1, src_stat.st_gid)  # keep at least the group
            if src_stat.st_uid != os.stat(dst).st_uid:
                warnings.append("The file now belongs to you instead of its previous owner.")
    if hasattr(os, "listxattr"):
        try:
            names = os.listxattr(src)
        except OSError:
            names = []
        for name in names:
            try:
                os.setxattr(dst, name, os.getxattr(src, name))
            except OSError:
                warnings.append(f"Extended attribute {name} could not be kept.")
    if keep_mtime:
        os.utime(dst, ns=(src_stat.st_atime_ns, src_stat.st_mtime_ns))
    return warnings




def link_or_copy(src: Path, dst: Path) -> None:
    """A second name for `src` (hard link where the file system allows, else a copy)."""
    try:
        os.link(src, dst)
    except OSError:
        shutil.copyfile(src, dst)


def copy_file(src: Path, dst: Path) -> None:
    """Copy the bytes and make them durable (an undo copy must survive a power cut)."""
    shutil.copyfile(src, dst)
    fsync_file(dst)


def backup_copy(src: Path, backup_dir: Path, prefix: str) -> Path:
    backup_dir.mkdir(parents=True, exist_ok=True)
    dst = backup_dir / f"{prefix}-{src.name}"
    shutil.copy2(src, dst)
    fsync_file(dst)
    fsync_dir(backup_dir)
    return dst


def jpeg_scan_offset(path: str | os.PathLike[str]) -> int | None:
    """Offset of the first SOS marker of a JPEG: from there to the end are the compressed
    pixels (and trailers), which a metadata edit must leave byte for byte."""
    with open(path, "rb") as fh:
        if fh.read(2) != b"\xff\xd8":
            return None
        pos = 2
        while True:
            marker = fh.read(2)
            if len(marker) < 2 or marker[0] != 0xFF:
                return None
            code = marker[1]
            if code == 0xFF:  # fill byte
                fh.seek(pos + 1)
                pos += 1
                continue
            if code == 0xDA:
                return pos
            if code in (0x01, 0xD8) or 0xD0 <= code <= 0xD7:
                pos += 2
                continue
            length = fh.read(2)
            if len(length) < 2:
                return None
            pos += 2 + int.from_bytes(length, "big")
            fh.seek(pos)


def jpeg_exif_segments(path: str | os.PathLike[str]) -> list[bytes]:
    """The APP1 Exif segments of a JPEG, byte for byte (a damaged block AltLens must keep)."""
    out: list[bytes] = []
    with open(path, "rb") as fh:
        if fh.read(2) != b"\xff\xd8":
            return out
        while True:
            head = fh.read(4)
            if len(head) < 4 or head[0] != 0xFF or head[1] in (0xDA, 0xD9):
                return out
            body = fh.read(int.from_bytes(head[2:4], "big") - 2)
            if head[1] == 0xE1 and body.startswith(b"Exif\0\0"):
                out.append(head + body)


# -- sidecars ------------------------------------------------------------------------------


def existing_sidecars(photo: Path) -> list[Path]:
    """XMP sidecars of `photo` in either naming style (IMG_1.xmp, IMG_1.CR2.xmp), any case."""
    wanted = {f"{photo.stem}.xmp".casefold(), f"{photo.name}.xmp".casefold()}
    found: list[Path] = []
    try:
        with os.scandir(photo.parent) as it:
            for entry in it:
                if entry.name.casefold() in wanted and entry.is_file():
                    found.append(Path(entry.path))
    except OSError:
        pass
    return sorted(found)


def sidecar_path(photo: Path, style: SidecarStyle) -> Path:
    if style is SidecarStyle.REPLACE:
        return photo.with_name(f"{photo.stem}.xmp")
    return photo.with_name(f"{photo.name}.xmp")
