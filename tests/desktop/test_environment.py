# SPDX-License-Identifier: GPL-3.0-or-later
"""The Qt binding AltLens runs on must not corrupt the interpreter."""

from __future__ import annotations

import sys

from PySide6.QtCore import QObject, Signal


class _Emitter(QObject):
    fired = Signal(int)


def test_signal_emit_keeps_reference_counts() -> None:
    # PySide6 6.12.0 drops a reference to True on every SignalInstance.emit(); an app that
    # emits a few hundred signals then aborts with "bool_dealloc". pyproject excludes it.
    e = _Emitter()
    e.fired.connect(lambda _n: None)
    before = sys.getrefcount(True), sys.getrefcount(False), sys.getrefcount(None)
    for i in range(200):
        e.fired.emit(i)
    after = sys.getrefcount(True), sys.getrefcount(False), sys.getrefcount(None)
    assert all(abs(a - b) < 50 for a, b in zip(before, after, strict=True)), (before, after)
