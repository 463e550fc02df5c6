# SPDX-License-Identifier: GPL-3.0-or-later
"""Shared fixtures. Qt must be headless and the hub unreachable before anything imports them."""

from __future__ import annotations

import ipaddress
import os
import socket
import sys
import tempfile
from pathlib import Path

import pytest

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
# The app's OpenMP settings (passive waiting) must be in place before any test imports torch:
# on a busy machine spinning OpenMP threads made small models ~60x slower.
from altlens.core.captioning.runtime import configure_openmp

configure_openmp()
# Tests never touch the network: the hub libraries must not even try.
os.environ["HF_HUB_OFFLINE"] = "1"
os.environ["TRANSFORMERS_OFFLINE"] = "1"
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
# huggingface_hub reads its cache location once, at import: point it away from the user's
# cache before anything imports it (tests that need a specific cache patch the constant).
os.environ["HF_HOME"] = tempfile.mkdtemp(prefix="altlens-test-hf-")
os.environ.pop("HF_HUB_CACHE", None)

REPO = Path(__file__).resolve().parent.parent
SCRIPTS = REPO / "scripts"
if str(SCRIPTS) not in sys.path:
    sys.path.insert(0, str(SCRIPTS))  # scripts/toy_scenes.py draws the test images

CORPUS = Path(os.environ.get("ALTLENS_CORPUS", REPO.parent / "shared" / "corpus"))
# ALTLENS_TOY_MODEL lets a retrained candidate model be checked against the whole suite.
TOY_MODEL = Path(os.environ.get("ALTLENS_TOY_MODEL", REPO / "tests" / "models" / "toy-captioner"))


@pytest.fixture(autouse=True)
def _isolated_home(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Every test gets its own ALTLENS_HOME and hub cache, so no test sees a user's state."""
    home = tmp_path_factory.mktemp("altlens-home")
    monkeypatch.setenv("ALTLENS_HOME", str(home))
    monkeypatch.setenv("HF_HOME", str(home / "hf"))
    return home


def _loopback(host: str) -> bool:
    """This machine: localhost or any loopback address (127.0.0.0/8, ::1)."""
    try:
        return host == "localhost" or ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


@pytest.fixture(autouse=True)
def _no_network(monkeypatch: pytest.MonkeyPatch, request: pytest.FixtureRequest) -> None:
    """Fail any test that opens a connection to anything but this machine."""
    if request.node.get_closest_marker("allow_network"):
        return
    real_connect = socket.socket.connect

    def guarded(self: socket.socket, address: object) -> object:
        host = address[0] if isinstance(address, tuple) else address
        if isinstance(host, str) and not _loopback(host) and self.family != socket.AF_UNIX:
            raise AssertionError(f"test tried to reach the network: {address!r}")
        return real_connect(self, address)

    monkeypatch.setattr(socket.socket, "connect", guarded)


@pytest.fixture(scope="session")
def corpus() -> Path:
    """The shared real-world corpus; tests that need it skip where a clone lacks it."""
    if not (CORPUS / "MANIFEST.tsv").is_file():
        pytest.skip(f"real-world corpus not found at {CORPUS} (set ALTLENS_CORPUS)")
    return CORPUS


@pytest.fixture(scope="session")
def toy_model_dir() -> Path:
    if not (TOY_MODEL / "config.json").is_file():
        pytest.fail(f"trained test model missing at {TOY_MODEL}; run scripts/train_test_model.py")
    return TOY_MODEL


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "allow_network: test may open non-loopback sockets")


@pytest.fixture(scope="session")
def nlpconnect_shaped(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A random-weight model with the exact nlpconnect/vit-gpt2-image-captioning
    configuration (about 1 GB on disk, built once per test session)."""
    from make_nlpconnect_shaped import build

    return build(tmp_path_factory.mktemp("nlpconnect-shaped") / "vit-gpt2")
