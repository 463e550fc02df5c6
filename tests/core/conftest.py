# SPDX-License-Identifier: GPL-3.0-or-later
"""Fixtures shared by the core tests."""

from __future__ import annotations

from collections.abc import Iterator

import pytest


@pytest.fixture
def one_torch_thread() -> Iterator[None]:
    """Tiny models gain nothing from threads, and on a shared machine a second OpenMP thread
    waiting for a busy core makes every tiny matrix product slow."""
    import torch

    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)
