# SPDX-License-Identifier: GPL-3.0-or-later
"""Python's cyclic garbage collector, paused while a command loads its model.

Importing torch creates about a million long-lived objects, and each full collection during
the start walks all of them to find nothing to free: on the 2-core benchmark machine the
collections during `import torch` and the model load took 0.15-0.2 s of a 2 s one-photo
`altlens caption`. A command that loads a model pauses the collector until the model is
loaded, then freezes everything alive into the permanent generation (never collected, never
walked again) and turns the collector back on, so a long run collects its own garbage as
usual. Reference counting frees everything else meanwhile; the pause ends at the latest
when the command does.
"""

from __future__ import annotations

import gc
import threading

_lock = threading.Lock()
_paused = False


def pause() -> None:
    """Pause the collector (a command about to load a model)."""
    global _paused
    with _lock:
        if gc.isenabled():
            gc.disable()
            _paused = True


def resume() -> None:
    """End a pause: freeze what is alive now, turn the collector back on. A no-op without a
    pause, so the window and library callers never have their collector touched."""
    global _paused
    with _lock:
        if _paused:
            _paused = False
            gc.freeze()
            gc.enable()


def paused() -> bool:
    return _paused
