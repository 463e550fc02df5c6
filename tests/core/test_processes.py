# SPDX-License-Identifier: GPL-3.0-or-later
"""core/processes.py: a process that has ended is not alive, even before its parent reaps it;
a process's children are found."""

from __future__ import annotations

import os
import subprocess
import sys
import time

import pytest
from altlens.core.processes import child_pids, pid_alive

pytestmark = pytest.mark.skipif(not os.path.isdir("/proc"), reason="reads /proc (Linux)")


def test_a_running_child_is_alive_and_listed_and_an_ended_one_is_not():
    child = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(30)"])
    try:
        assert pid_alive(child.pid)
        assert child.pid in child_pids(os.getpid())
        child.kill()
        deadline = time.monotonic() + 10
        while pid_alive(child.pid) and time.monotonic() < deadline:
            time.sleep(0.02)
        assert not pid_alive(child.pid)  # a zombie: ended, not yet reaped by this process
        assert os.path.exists(f"/proc/{child.pid}")
    finally:
        child.kill()
        child.wait()
    assert not pid_alive(child.pid)
    assert child.pid not in child_pids(os.getpid())


def test_no_process_and_bad_ids():
    assert not pid_alive(0) and not pid_alive(-1)
    assert child_pids(2**22 + 12345) == []
