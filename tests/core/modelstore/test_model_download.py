# SPDX-License-Identifier: GPL-3.0-or-later
"""The real download path (huggingface_hub's session, model API, resolve URLs, its cache)
against a fake hub on 127.0.0.1: pinned revisions, safetensors only, resume after a dropped
connection and after a cancel, the hub's error answers, no network, verify, remove, and
captioning offline afterwards."""

from __future__ import annotations

import itertools
import json
import threading
from pathlib import Path

import pytest
from altlens.core.captioning import Captioner
from altlens.core.captioning import download as download_module
from altlens.core.captioning.download import DownloadProgress
from altlens.core.captioning.errors import (
    GatedModelError,
    HubRepoNotFoundError,
    HubRevisionNotFoundError,
    InsufficientDiskSpaceError,
    NetworkUnavailableError,
)
from altlens.core.captioning.registry import ModelEntry, Registry
from altlens.core.captioning.store import ModelStore
from altlens.core.errors import CancelledError, ModelUnsupportedError
from altlens.core.jobs import CancelToken
from altlens.core.paths import app_dirs
from PIL import Image

from tests.core.modelstore.fake_hub import FakeHub

REPO_ID = "altlens-test/toy-captioner"


def make_store(hub: FakeHub, **kw: object) -> ModelStore:
    return ModelStore(endpoint=hub.url, download_retry_wait=0.02, download_timeout=5, **kw)  # type: ignore[arg-type]


def snapshot_names(path: Path) -> set[str]:
    return {p.name for p in path.iterdir()}


def test_download_then_caption_offline(
    fake_hub: FakeHub, hub_cache: Path, served_model: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    sha = fake_hub.add_repo(
        REPO_ID,
        served_model,
        extra={
            "pytorch_model.bin": b"PICKLE" * 100,  # must never be fetched: safetensors exist
            "tf_model.h5": b"HDF" * 100,
            "onnx/encoder_model.onnx": b"ONNX" * 100,
        },
    )
    seen: list[DownloadProgress] = []
    record = make_store(fake_hub).download(REPO_ID, as_name="toy", progress=seen.append)

    assert record.name == "toy" and record.source == "hub-cache" and record.revision == sha
    assert record.path == hub_cache / "models--altlens-test--toy-captioner" / "snapshots" / sha
    files = snapshot_names(record.path)
    assert "model.safetensors" in files and "config.json" in files
    assert not {"pytorch_model.bin", "tf_model.h5", "onnx"} & files
    assert not fake_hub.gets("pytorch_model.bin") and not fake_hub.gets("tf_model.h5")
    # Progress: bytes only grow, end complete, with a speed and file counts.
    total = sum(len(fake_hub.file(REPO_ID, n).data) for n in files)
    assert seen[-1].phase == "done" and seen[-1].bytes_done == seen[-1].bytes_total == total
    assert all(a.bytes_done <= b.bytes_done for a, b in itertools.pairwise(seen))
    assert seen[-1].files_done == seen[-1].files_total == len(files)
    # The hub's own cache layout: blobs named by the hub's hashes, linked from the snapshot.
    weights = record.path / "model.safetensors"
    assert (
        weights.is_symlink()
        and weights.resolve().name == fake_hub.file(REPO_ID, "model.safetensors").sha256
    )

    # Offline from here on: the hub is gone and huggingface_hub may not even try.
    fake_hub.stop()
    import huggingface_hub.constants as c

    monkeypatch.setattr(c, "HF_HUB_OFFLINE", True)
    results = Captioner("toy", device="cpu").caption([Image.new("RGB", (64, 48), (200, 40, 40))])
    assert results[0].ok and results[0].model == "toy"
    # The user-added name survives in the user's model list, pinned to the commit.
    saved = json.loads((app_dirs().config / "models.json").read_text())
    assert saved["models"][0] == saved["models"][0] | {
        "name": "toy",
        "repo_id": REPO_ID,
        "revision": sha,
    }
    listed = {r.name: r for r in ModelStore().list()}
    assert listed["toy"].downloaded and listed["toy"].size_bytes == total


def test_known_models_download_their_pinned_commit(
    fake_hub: FakeHub, hub_cache: Path, tiny_model: Path
) -> None:
    pinned = fake_hub.add_repo(REPO_ID, tiny_model)
    newer = fake_hub.add_repo(REPO_ID, tiny_model, extra={"README.md": b"a newer commit on main"})
    assert fake_hub.repos[REPO_ID].refs["main"] == newer != pinned
    registry = Registry(
        [ModelEntry("toy", REPO_ID, pinned, "vision-encoder-decoder", "mit", builtin=True)]
    )
    store = make_store(fake_hub, registry=registry)
    record = store.download("toy")
    assert record.revision == pinned and record.builtin
    assert any(r.path == f"/api/models/{REPO_ID}/revision/{pinned}" for r in fake_hub.requests)
    # Asking again costs no network: the download record says every file is there.
    before = len(fake_hub.requests)
    assert store.download("toy").path == record.path
    assert len(fake_hub.requests) == before


def test_a_dropped_connection_resumes_with_a_range_request(
    fake_hub: FakeHub, hub_cache: Path, tiny_model: Path
) -> None:
    fake_hub.add_repo(REPO_ID, tiny_model)
    weights = fake_hub.file(REPO_ID, "model.safetensors")
    fake_hub.drop_once["model.safetensors"] = 40_000
    record = make_store(fake_hub).download(REPO_ID)
    cdn = [r for r in fake_hub.gets("model.safetensors") if r.server == "cdn"]
    assert [r.range for r in cdn] == [None, "bytes=40000-"]
    assert (record.path / "model.safetensors").read_bytes() == weights.data
    assert make_store(fake_hub).verify(REPO_ID).ok


def test_a_cancelled_download_keeps_its_part_and_resumes(
    fake_hub: FakeHub, hub_cache: Path, tiny_model: Path
) -> None:
    fake_hub.add_repo(REPO_ID, tiny_model)
    weights = fake_hub.file(REPO_ID, "model.safetensors")
    fake_hub.throttle["model.safetensors"] = (16_384, 0.01)
    token = CancelToken()

    def cancel_midway(p: DownloadProgress) -> None:
        if (
            p.file == "model.safetensors"
            and p.bytes_done - p.bytes_total + len(weights.data) > 50_000
        ):
            token.cancel()

    store = make_store(fake_hub)
    with pytest.raises(CancelledError):
        store.download(REPO_ID, progress=cancel_midway, cancel=token)
    part = (
        hub_cache / "models--altlens-test--toy-captioner" / "blobs" / f"{weights.sha256}.incomplete"
    )
    kept = part.stat().st_size
    assert 50_000 <= kept < len(weights.data)
    assert REPO_ID not in {r.name for r in store.list() if r.downloaded}  # never used half-done

    fake_hub.throttle.clear()
    seen: list[DownloadProgress] = []
    record = store.download(REPO_ID, progress=seen.append)
    assert fake_hub.gets("model.safetensors")[-1].range == f"bytes={kept}-"
    assert seen[-1].resumed_bytes >= kept
    assert (record.path / "model.safetensors").read_bytes() == weights.data and not part.exists()


def test_a_damaged_transfer_is_caught_and_fetched_again(
    fake_hub: FakeHub, hub_cache: Path, tiny_model: Path
) -> None:
    fake_hub.add_repo(REPO_ID, tiny_model)
    fake_hub.corrupt_once.add("model.safetensors")
    record = make_store(fake_hub).download(REPO_ID)
    assert len([r for r in fake_hub.gets("model.safetensors") if r.server == "cdn"]) == 2
    assert make_store(fake_hub).verify(REPO_ID).ok and record.downloaded


@pytest.mark.parametrize("status", [404, 401])
def test_a_missing_repo_is_reported(fake_hub: FakeHub, hub_cache: Path, status: int) -> None:
    fake_hub.missing_repo_status = (
        status  # the hub answers 401 to anonymous requests for unknown repos
    )
    with pytest.raises(HubRepoNotFoundError, match="There is no model 'nobody/nothing'"):
        make_store(fake_hub).download("nobody/nothing")
    assert not (hub_cache / "models--nobody--nothing").exists()


def test_a_missing_revision_is_reported(
    fake_hub: FakeHub, hub_cache: Path, tiny_model: Path
) -> None:
    fake_hub.add_repo(REPO_ID, tiny_model)
    with pytest.raises(HubRevisionNotFoundError, match="no revision 'v9'"):
        make_store(fake_hub).download(REPO_ID, revision="v9")


@pytest.mark.parametrize("status", [401, 403])
def test_a_gated_repo_says_what_to_do(
    fake_hub: FakeHub, hub_cache: Path, tiny_model: Path, status: int
) -> None:
    fake_hub.add_repo(REPO_ID, tiny_model, gated="manual", gated_status=status)
    with pytest.raises(GatedModelError) as info:
        make_store(fake_hub).download(REPO_ID)
    text = str(info.value)
    assert (
        "gated" in text
        and "accept" in text
        and "hf auth login" in text
        and f"{fake_hub.url}/{REPO_ID}" in text
    )
    assert not fake_hub.gets("model.safetensors")


def test_no_network_is_a_clear_error(hub_cache: Path) -> None:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]  # closed again at once: nothing listens there
    store = ModelStore(endpoint=f"http://127.0.0.1:{port}")
    with pytest.raises(NetworkUnavailableError, match="connection refused") as info:
        store.download("vit-gpt2")
    assert "internet connection" in str(info.value)


def test_offline_mode_blocks_downloads(hub_cache: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import huggingface_hub.constants as c

    monkeypatch.setattr(c, "HF_HUB_OFFLINE", True)
    with pytest.raises(NetworkUnavailableError, match="HF_HUB_OFFLINE"):
        ModelStore(endpoint="http://127.0.0.1:9").download("vit-gpt2")


def test_an_unsupported_model_stops_after_its_config(
    fake_hub: FakeHub, hub_cache: Path, tiny_model: Path
) -> None:
    files = {p.name: p.read_bytes() for p in tiny_model.iterdir()}
    files["config.json"] = json.dumps({"model_type": "bert"}).encode()
    fake_hub.add_repo(REPO_ID, files)
    with pytest.raises(ModelUnsupportedError, match="'bert' model"):
        make_store(fake_hub).download(REPO_ID)
    assert not fake_hub.gets("model.safetensors")


def test_the_disk_is_checked_before_downloading(
    fake_hub: FakeHub, hub_cache: Path, tiny_model: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    fake_hub.add_repo(REPO_ID, tiny_model)
    monkeypatch.setattr(download_module, "free_bytes", lambda path: 10_000)
    with pytest.raises(InsufficientDiskSpaceError, match=r"needs .* more and 10 kB is free"):
        make_store(fake_hub).download(REPO_ID)
    assert not [r for r in fake_hub.requests if "/resolve/" in r.path]


def test_verify_catches_damage_and_remove_frees_the_space(
    fake_hub: FakeHub, hub_cache: Path, tiny_model: Path
) -> None:
    fake_hub.add_repo(REPO_ID, tiny_model)
    store = make_store(fake_hub)
    record = store.download(REPO_ID, as_name="toy")
    report = store.verify("toy")
    assert (
        report.ok
        and report.verified == len(snapshot_names(record.path))
        and "hub" in report.hashes_from
    )

    blob = (record.path / "model.safetensors").resolve()
    data = bytearray(blob.read_bytes())
    data[len(data) // 2] ^= 0x01
    blob.write_bytes(bytes(data))
    (record.path / "tokenizer_config.json").resolve().unlink()
    report = store.verify("toy")
    assert not report.ok
    assert {(f.name, f.status) for f in report.problems} == {
        ("model.safetensors", "mismatch"),
        ("tokenizer_config.json", "missing"),
    }

    removed = store.remove("toy")
    assert removed.path == record.path
    assert not (hub_cache / "models--altlens-test--toy-captioner").exists()
    assert store.registry.find("toy") is None  # a user-added name goes with its files


def test_captioner_may_download_when_allowed(
    fake_hub: FakeHub, hub_cache: Path, tiny_model: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import huggingface_hub.constants as c

    fake_hub.add_repo(REPO_ID, tiny_model)
    monkeypatch.setattr(c, "ENDPOINT", fake_hub.url)
    monkeypatch.setattr(
        c, "HUGGINGFACE_CO_URL_TEMPLATE", fake_hub.url + "/{repo_id}/resolve/{revision}/{filename}"
    )
    info = Captioner(REPO_ID, device="cpu", allow_download=True).load()
    assert info.folder.parent.parent.name == "models--altlens-test--toy-captioner"


def test_progress_can_be_watched_from_another_thread(
    fake_hub: FakeHub, hub_cache: Path, tiny_model: Path
) -> None:
    """How the GUI uses it: the download runs on a worker thread, the GUI thread cancels."""
    fake_hub.add_repo(REPO_ID, tiny_model)
    fake_hub.throttle["model.safetensors"] = (8_192, 0.02)
    token = CancelToken()
    started = threading.Event()
    outcome: list[BaseException | None] = []

    def worker() -> None:
        def progress(p: DownloadProgress) -> None:
            if p.file == "model.safetensors" and p.phase == "downloading":
                started.set()

        try:
            make_store(fake_hub).download(REPO_ID, progress=progress, cancel=token)
            outcome.append(None)
        except BaseException as exc:
            outcome.append(exc)

    t = threading.Thread(target=worker)
    t.start()
    assert started.wait(10)
    token.cancel()
    t.join(5)
    assert not t.is_alive() and isinstance(outcome[0], CancelledError)
