# SPDX-License-Identifier: GPL-3.0-or-later
"""The captioner worker on its own thread, with the real engine and the trained test model."""

from __future__ import annotations

import os
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from altlens.core.captioning.settings import GenerationSettings
from altlens.core.library import Library
from altlens.core.types import CaptionJob
from altlens.desktop.settings import ModelSpec
from altlens.desktop.workers import start_worker
from altlens.desktop.workers.captioner import (
    MORE_BEAMS,
    PRIORITY_DROPPED,
    PRIORITY_WATCHED,
    SAMPLING,
    CancelQueued,
    CaptionWorker,
    LoadModel,
    settings_for,
)
from PySide6.QtCore import QThread

LOAD_TIMEOUT = 120_000
RUN_TIMEOUT = 60_000


@pytest.fixture
def library(tmp_path: Path) -> Iterator[Library]:
    lib = Library(tmp_path / "library.sqlite3")
    yield lib
    lib.close()


@pytest.fixture
def worker(qtbot, library: Library) -> Iterator[CaptionWorker]:
    w = CaptionWorker(library, GenerationSettings(num_beams=3, num_candidates=3, max_length=20))
    thread = start_worker(w, "test-captioner")
    yield w
    w.shutdown()
    assert thread.wait(30_000)


def load(qtbot, record, worker: CaptionWorker, model: Path, batch_size: int = 4) -> object:
    ready = record(worker.done)
    with qtbot.waitSignal(
        ready.fired, timeout=LOAD_TIMEOUT, check_params_cb=lambda a: isinstance(a[0], LoadModel)
    ):
        worker.load_model(ModelSpec(str(model), batch_size=batch_size))
    return ready.calls[-1][1]


def test_settings_for_regeneration() -> None:
    base = GenerationSettings(num_beams=3, num_candidates=1)
    more = settings_for(MORE_BEAMS, base)
    assert (more.strategy, more.num_beams, more.num_candidates) == ("beam", 5, 5)
    sample = settings_for(SAMPLING, base)
    assert (sample.strategy, sample.num_candidates) == ("sample", 3)
    assert settings_for("", base) == base


def test_load_caption_and_report_errors(
    qtbot,
    record,
    worker: CaptionWorker,
    library: Library,
    toy_model_dir: Path,
    sample_images,
    tmp_path: Path,
) -> None:
    info = load(qtbot, record, worker, toy_model_dir, batch_size=2)
    assert info.folder == toy_model_dir
    images = sample_images(3)
    broken = tmp_path / "broken.jpg"
    broken.write_bytes(b"\xff\xd8\xff\xe0 this is not really a jpeg")
    ok, failed, idle = (
        record(worker.caption_ready),
        record(worker.caption_failed),
        record(worker.idle),
    )
    progress = record(worker.progress)
    with qtbot.waitSignal(
        idle.fired,
        timeout=RUN_TIMEOUT,
        check_params_cb=lambda _a: len(ok.calls) + len(failed.calls) == 4,
    ):
        worker.enqueue(CaptionJob(p) for p in [images[0], broken, *images[1:]])
    assert sorted(r.path for r in ok.values) == images
    assert all(1 <= len(r.candidates) <= 3 for r in ok.values)
    assert [r.path for r in failed.values] == [broken] and failed.values[
        0
    ].error.code == "corrupt-image"
    last = progress.values[-1]
    assert (last.done, last.total, last.failed) == (4, 4, 1)
    # Every result is in the library as soon as it arrived: a new connection sees them.
    again = Library(library.path)
    try:
        assert {r.path: r.status for r in again.images()} == {
            **dict.fromkeys(images, "suggested"),
            broken: "error",
        }
        assert all(len(r.candidates) >= 1 for r in again.images(status="suggested"))
    finally:
        again.close()


def test_dropped_files_go_before_watched_ones(
    qtbot, record, worker: CaptionWorker, toy_model_dir: Path, sample_images
) -> None:
    load(qtbot, record, worker, toy_model_dir, batch_size=1)
    watched = sample_images(4, prefix="watched")
    dropped = sample_images(2, prefix="dropped")
    ok = record(worker.caption_ready)
    worker.pause()
    worker.enqueue(CaptionJob(p, PRIORITY_WATCHED) for p in watched)
    worker.enqueue(CaptionJob(p, PRIORITY_DROPPED) for p in dropped)
    with qtbot.waitSignal(
        ok.fired, timeout=RUN_TIMEOUT, check_params_cb=lambda _a: len(ok.calls) == 6
    ):
        worker.resume()
    order = [r.path for r in ok.values]
    assert order[:2] == dropped and sorted(order[2:]) == watched


def test_cancel_empties_the_queue_and_the_worker_goes_on(
    qtbot, record, worker: CaptionWorker, library: Library, toy_model_dir: Path, sample_images
) -> None:
    load(qtbot, record, worker, toy_model_dir, batch_size=1)
    images = sample_images(6)
    ok, answered = record(worker.caption_ready), record(worker.done)
    worker.pause()
    worker.enqueue(CaptionJob(p) for p in images)
    with qtbot.waitSignal(
        answered.fired, timeout=30_000, check_params_cb=lambda a: isinstance(a[0], CancelQueued)
    ):
        worker.cancel()
    worker.resume()
    dropped = next(result for request, result in answered.calls if request == CancelQueued())
    assert sorted(dropped) == images and ok.calls == []
    assert {r.status for r in library.images()} == {"new"}
    with qtbot.waitSignal(ok.fired, timeout=RUN_TIMEOUT):
        worker.enqueue([CaptionJob(images[0])])


def test_a_missing_model_is_reported_and_jobs_wait(
    qtbot, record, worker: CaptionWorker, tmp_path: Path, sample_images
) -> None:
    failed = record(worker.failed)
    with qtbot.waitSignal(failed.fired, timeout=LOAD_TIMEOUT):
        worker.load_model(ModelSpec(None))  # the default model is not in the empty test hub cache
    request, error = failed.calls[0]
    assert request == LoadModel(ModelSpec(None)) and error.code == "model-not-found"
    assert "altlens models" in error.message
    with qtbot.waitSignal(failed.fired, timeout=LOAD_TIMEOUT):
        worker.load_model(ModelSpec(str(tmp_path / "nowhere")))
    assert failed.calls[1][1].code == "model-not-found"
    bad, changed = record(worker.caption_failed), record(worker.records_changed)
    with qtbot.waitSignal(changed.fired, timeout=10_000):
        worker.enqueue([CaptionJob(sample_images(1)[0])])
    assert changed.values[0][0].status == "queued"
    assert bad.calls == []  # it waits for a model instead of failing
    # A file that is not there is said so, not queued.
    gone = record(worker.not_queued)
    with qtbot.waitSignal(gone.fired, timeout=10_000):
        worker.enqueue([CaptionJob(tmp_path / "nothing.jpg")])
    assert gone.calls[0][1].code == "file-missing"


def test_the_model_runs_in_its_own_process_driven_from_the_worker_thread(
    qtbot,
    record,
    worker: CaptionWorker,
    toy_model_dir: Path,
    sample_images,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from altlens.core.captioning.modelprocess import ProcessCaptioner
    from altlens.core.processes import pid_alive

    calls: list[tuple[str, bool]] = []
    gui = QThread.currentThread()

    def spy(name: str, real):
        def wrapper(self, *a, **kw):
            on_gui = (
                QThread.currentThread() is gui
                or threading.current_thread() is threading.main_thread()
            )
            calls.append((name, on_gui))
            return real(self, *a, **kw)

        return wrapper

    monkeypatch.setattr(ProcessCaptioner, "load", spy("load", ProcessCaptioner.load))
    monkeypatch.setattr(ProcessCaptioner, "iter_caption", spy("caption", ProcessCaptioner.iter_caption))
    load(qtbot, record, worker, toy_model_dir)
    ok = record(worker.caption_ready)
    with qtbot.waitSignal(ok.fired, timeout=RUN_TIMEOUT):
        worker.enqueue([CaptionJob(sample_images(1)[0])])
    assert {n for n, _ in calls} == {"load", "caption"}
    assert not any(on_gui for _, on_gui in calls), calls
    model_pid = worker._captioner.pid
    assert model_pid is not None and model_pid != os.getpid() and pid_alive(model_pid)
    thread = worker.thread()
    worker.shutdown()
    assert thread.wait(30_000)
    assert not pid_alive(model_pid), "the model's process outlived the worker"


def test_a_model_process_killed_while_idle_is_started_again_for_the_next_image(
    qtbot, record, worker: CaptionWorker, toy_model_dir: Path, sample_images
) -> None:
    """The out-of-memory killer (or a person with `kill`) ends the idle model's process: the
    next image still gets its suggestion, from a new process."""
    import signal

    from altlens.core.processes import pid_alive

    load(qtbot, record, worker, toy_model_dir)
    first = worker._captioner.pid
    os.kill(first, signal.SIGKILL)
    qtbot.waitUntil(lambda: not pid_alive(first), timeout=10_000)
    ok = record(worker.caption_ready)
    with qtbot.waitSignal(ok.fired, timeout=RUN_TIMEOUT):
        worker.enqueue([CaptionJob(sample_images(1)[0])])
    assert ok.calls[0][0].ok
    assert worker._captioner.pid not in (None, first)

