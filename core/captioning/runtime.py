# SPDX-License-Identifier: GPL-3.0-or-later
"""Process-wide settings for torch's CPU threads, applied before torch is first imported.

OpenMP worker threads (torch, MKL, oneDNN, fbgemm all use GNU OpenMP in torch's wheels) spin
at the end of every parallel region by default. When another program, or AltLens's own JPEG
decode threads, hold one of the cores, the spinning thread keeps its core while the thread
it waits for cannot get one, so every one of the ~1,600 parallel regions of a batch waits a
scheduler time slice. On the 2-core benchmark machine that made the int8 path ~14x slower
(3.4 s instead of ~0.24 s per photo) whenever another process was busy. Passive waiting
(threads sleep at once) gave ~0.46 s under the same load and cost ~8% on a quiet machine
(benchmarks/RESULTS.md), so AltLens asks for it unless the user set a policy.
"""

from __future__ import annotations

import ctypes
import logging
import os
import sys

log = logging.getLogger(__name__)

_DEFAULTS = {"OMP_WAIT_POLICY": "PASSIVE"}


def configure_openmp() -> bool:
    """Set AltLens's OpenMP defaults in the environment if torch is not imported yet (the
    OpenMP runtime reads them once, when torch loads it). Values the user set are kept.
    Returns whether the settings can still take effect."""
    if "torch" in sys.modules:
        return False
    for key, value in _DEFAULTS.items():
        if key not in os.environ:
            os.environ[key] = value
            log.debug("%s=%s", key, value)
    return True


# glibc's mallopt parameters (malloc.h).
_M_TRIM_THRESHOLD, _M_TOP_PAD, _M_MMAP_THRESHOLD = -1, -2, -3
#: Blocks up to this size come from the heap (glibc's largest allowed), so an encoder
#: activation (12 images x 197 patches x 3072 in float32 = 29 MB) is reused, not mapped anew.
_MMAP_THRESHOLD = 32 << 20
_TOP_PAD = 64 << 20  # grow a heap in steps of this much, not a page at a time
_TRIM_THRESHOLD = 512 << 20  # hand freed memory back only past this much


def tune_allocator() -> bool:
    """For a command that runs a model to the end: glibc's allocator keeps the memory of big
    tensors for the next ones instead of returning it to the system after every step.

    With the default dynamic thresholds, the lanes' heaps shrank and grew again every few
    operations: `altlens caption` of 24 photos took 420,000 page faults and 1.0 s of system
    time, 230,000 and 0.6 s with these settings (5.2 instead of 5.4 s in all, peak memory
    1.32 instead of 1.38 GB, on the 2-core benchmark machine). Setting any of them turns
    glibc's dynamic threshold off, so all three are set together. Only glibc has mallopt;
    elsewhere nothing changes. Returns whether the settings took effect."""
    try:
        libc = os.confstr("CS_GNU_LIBC_VERSION") or ""
    except (AttributeError, ValueError, OSError):  # not a glibc system
        return False
    if not libc.startswith("glibc"):
        return False
    try:
        mallopt = ctypes.CDLL(None).mallopt
    except (OSError, AttributeError):
        return False
    mallopt.argtypes = [ctypes.c_int, ctypes.c_int]
    ok = all(mallopt(param, value) == 1 for param, value in (
        (_M_MMAP_THRESHOLD, _MMAP_THRESHOLD), (_M_TOP_PAD, _TOP_PAD), (_M_TRIM_THRESHOLD, _TRIM_THRESHOLD)))
    log.debug("allocator settings %s", "applied" if ok else "refused")
    return ok
