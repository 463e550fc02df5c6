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
