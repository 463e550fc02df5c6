# SPDX-License-Identifier: GPL-3.0-or-later
"""Work coordination primitives shared by the CLI, the watcher and the GUI workers."""

from __future__ import annotations

import threading

from core.errors import CancelledError


class CancelToken:
    """Cooperative cancellation: set by one thread, checked by the worker between batches and
    by a generation stopping criterion, so a long generate() stops within one decoding step."""

    def __init__(self) -> None:
        self._event = threading.Event()

    def cancel(self) -> None:
        self._event.set()

    def reset(self) -> None:
        self._event.clear()

    @property
    def cancelled(self) -> bool:
        return self._event.is_set()

    def raise_if_cancelled(self) -> None:
        if self._event.is_set():
            raise CancelledError()
