# SPDX-License-Identifier: GPL-3.0-or-later
"""`altlens batch`: caption a large archive on Ray Data, on this machine or on a Ray cluster.

The only module of AltLens that imports ray (lazily, in `run_batch` and in the worker's
process): `pip install altlens[scale]`.

Shape of the job:

    driver: sources -> absolute paths -> drop those done before (stat match, see
            core/batch_results.DoneIndex.split) -> ray.data.from_items -> map_batches(CaptionWorker,
            concurrency=N actors, num_cpus/num_gpus per actor) -> count the outcome rows
    actor:  one Captioner (one model) per actor, loaded once; each call gets a block of
            `part_size` paths, fingerprints them, skips pictures done before (by content
            hash), captions the rest with the same engine and settings as `altlens caption`
            (its own batches of `batch_size`, decoding the next batch while the model runs),
            and commits the block's rows as one part file, atomically, before returning.

Exactly once: a part is committed before its call returns, and its name is a function of the
block's paths and the settings. If an actor dies before the commit, Ray restarts it and runs
the block again (Ray Data's actor pools use max_restarts=-1, max_task_retries=-1): nothing
was written, nothing is lost. If it dies after the commit, the rerun of the block finds its
part and reports it without captioning again: nothing is written twice. If the whole job dies
(the driver, the machine), a rerun reads the committed parts and skips their pictures.
"""

from __future__ import annotations

import importlib.util
import logging
import math
import os
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from altlens.core.batch_results import (
    DoneIndex,
    collect_sources,
    done_index,
    model_identity,
    output_lock,
    part_name,
    read_part,
    settings_key,
    write_part,
)
from altlens.core.captioning.settings import GenerationSettings
from altlens.core.errors import UsageError

log = logging.getLogger(__name__)

DEFAULT_PART_SIZE = 128  # images per actor call and per output part
# Data blocks here are lists of paths and small outcome rows (captions go straight to the part
# files), so a small object store is plenty and leaves the memory to the models.
LOCAL_OBJECT_STORE_BYTES = 256 * 1024 * 1024


@dataclass(frozen=True)
class BatchOptions:
    sources: tuple[str, ...]
    out: Path
    model: str | None = None
    device: str = "auto"
    dtype: str = "auto"
    backend: str = "auto"
    onnx_dir: str | None = None
    allow_download: bool = False
    settings: GenerationSettings = field(default_factory=GenerationSettings)
    batch_size: int = 12
    part_size: int = DEFAULT_PART_SIZE
    fmt: str = "parquet"
    address: str | None = None  # None: a local Ray on this machine
    actors: int | None = None  # None: as many as the cluster's CPUs/GPUs hold
    num_cpus: float | None = None  # per actor; None: see _actor_resources
    num_gpus: float = 0.0  # per actor
    local_cpus: int | None = None  # logical CPUs of the local Ray (default: this machine's)
    progress: bool = True


@dataclass
class BatchSummary:
    sources: int = 0  # images named by the sources
    done_before: int = 0  # skipped: captioned with these settings by an earlier run
    captioned: int = 0
    errors: int = 0
    seconds: float = 0.0  # the whole job, Ray start and model loading included
    actors: int = 0
    errors_seen: list[tuple[str, str, str]] = field(default_factory=list)  # path, code, message

    @property
    def images_per_s(self) -> float:
        return (self.captioned + self.errors) / self.seconds if self.seconds > 0 else 0.0

    def line(self) -> str:
        return (
            f"{self.captioned + self.errors} image(s) in {self.seconds:.1f} s ({self.images_per_s:.2f} images/s, "
            f"{self.actors} actor(s)): {self.captioned} captioned, {self.errors} error(s), "
            f"{self.done_before} skipped (done before with the same model and settings)"
        )


class CaptionWorker:
    """One model per actor; Ray Data calls it with a block of paths (`{"path": array}`) and
    gets one outcome row per path back (the captions themselves go into the part file)."""

    def __init__(
        self,
        *,
        captioner: dict[str, Any],
        settings: GenerationSettings,
        key: str,
        settings_desc: str,
        out: str,
        fmt: str,
        done_hashes: frozenset[str],
    ) -> None:
        from altlens.core.captioning.engine import DECODE_NICE, Captioner

        self.settings = settings
        self.key = key
        self.settings_desc = settings_desc
        self.out = Path(out)
        self.fmt = fmt
        self.done_hashes = done_hashes
        self.captioner = Captioner(settings=settings, **captioner)
        if sys.platform.startswith("linux"):
            # Ray runs workers at niceness 15 and the engine puts its decode threads at an
            # absolute 10, which would rank decoding above the model (the opposite of
            # `altlens caption`, where decoding takes only idle CPU); keep the order.
            self.captioner.decode_nice = min(19, os.getpriority(os.PRIO_PROCESS, 0) + DECODE_NICE)
        self.captioner.load()  # now, so a model that cannot load fails the job at once

    def __call__(self, batch: dict[str, Any]) -> dict[str, list[Any]]:
        paths = [str(p) for p in batch["path"]]
        name = part_name(self.key, paths, self.fmt)
        if (self.out / name).exists():
            # This block was committed by an attempt that died before Ray heard back.
            log.info("%s: committed before; not captioned again", name)
            rows = read_part(self.out / name, ("path", "error"))
        else:
            rows = self.caption(paths)
            if rows:
                write_part(self.out, name, rows, self.fmt)
        return _outcomes(paths, rows, name)

    def caption(self, paths: list[str]) -> list[dict[str, Any]]:
        from altlens.core.fingerprint import fingerprint

        fps: dict[str, Any] = {}
        for p in paths:
            try:
                fps[p] = fingerprint(p)
            except OSError:
                fps[p] = None  # missing or unreadable: the captioner reports it with its usual error code
        todo = [p for p in paths if fps[p] is None or fps[p].content_hash not in self.done_hashes]
        rows = []
        for result in self.captioner.iter_caption(todo, self.settings):
            row = result.to_dict()
            row["path"] = todo[result.index]
            fp = fps[todo[result.index]]
            row.update(
                size=fp.size if fp else None,
                mtime_ns=fp.mtime_ns if fp else None,
                inode=fp.inode if fp else None,
                sha256=fp.sha256 if fp else None,
                content_hash=fp.content_hash if fp else None,
                disk_caption=fp.disk_caption if fp else None,
                settings_key=self.key,
                settings=self.settings_desc,
                captioned_at=time.time(),
            )
            rows.append(row)
        return rows


def _outcomes(paths: list[str], rows: list[dict[str, Any]], part: str) -> dict[str, list[Any]]:
    by_path = {r["path"]: r for r in rows}
    outcome, code, message = [], [], []
    for p in paths:
        r = by_path.get(p)
        err = r.get("error") if r else None
        outcome.append("skipped" if r is None else "error" if err else "captioned")
        code.append(err["code"] if err else "")
        message.append(err["message"] if err else "")
    return {"path": paths, "outcome": outcome, "error_code": code, "error_message": message, "part": [part] * len(paths)}


def _actor_resources(opts: BatchOptions, cluster: dict[str, float], local: bool) -> tuple[int, float, float]:
    """(actors, CPUs per actor, GPUs per actor). Locally without GPUs the default is one actor
    with every CPU, which is what `altlens caption` uses; on a cluster 4 CPUs per CPU actor and
    8 per GPU actor (JPEG decoding feeds the GPU; see docs/scale-plan.md)."""
    cpus = cluster.get("CPU", 0.0)
    gpus = cluster.get("GPU", 0.0)
    if opts.num_gpus and opts.num_gpus > gpus:
        raise UsageError(f"Each actor asks for {opts.num_gpus:g} GPU(s) but the Ray cluster has {gpus:g}.")
    if opts.num_cpus is not None:
        per_cpu = opts.num_cpus
    elif local and not opts.num_gpus:
        per_cpu = cpus
    else:
        per_cpu = min(cpus, 8.0 if opts.num_gpus else 4.0)
    if per_cpu > cpus:
        raise UsageError(f"Each actor asks for {per_cpu:g} CPU(s) but the Ray cluster has {cpus:g}.")
    if opts.actors is not None:
        n = opts.actors
    else:
        fits = [math.floor(cpus / per_cpu) if per_cpu else 1 << 30]
        if opts.num_gpus:
            fits.append(math.floor(gpus / opts.num_gpus))
        n = max(1, min(fits))
    return n, per_cpu, opts.num_gpus


def run_batch(opts: BatchOptions, *, worker_cls: type = CaptionWorker) -> BatchSummary:
    """Run the job; returns its summary. Joins the running Ray (a test's, or `ray.init` by the
    caller) if there is one, else the cluster at `opts.address`, else starts a local Ray and
    stops it at the end. `worker_cls` is the actor class (tests pass one that dies)."""
    started = time.perf_counter()
    if opts.fmt not in ("parquet", "jsonl"):
        raise UsageError(f"Unknown output format {opts.fmt!r}; use parquet or jsonl.")
    if opts.part_size < 1:
        raise UsageError(f"The part size must be at least 1 (got {opts.part_size}).")
    if importlib.util.find_spec("ray") is None:
        raise UsageError("`altlens batch` needs Ray Data, which is not installed.", hint="pip install 'altlens[scale]'")
    from altlens.core.captioning.loading import resolve_model

    folder = resolve_model(opts.model, allow_download=opts.allow_download)  # fail before starting Ray
    key, desc = settings_key(model_identity(folder), opts.settings, dtype=opts.dtype, backend=opts.backend)
    paths = collect_sources(opts.sources)
    opts.out.mkdir(parents=True, exist_ok=True)
    with output_lock(opts.out):
        return _run_locked(opts, worker_cls, started, key, desc, paths)


def _run_locked(
    opts: BatchOptions, worker_cls: type, started: float, key: str, desc: str, paths: list[str]
) -> BatchSummary:
    import ray

    summary = BatchSummary(sources=len(paths))
    done: DoneIndex = done_index(opts.out, key)
    todo, summary.done_before, skip_hashes = done.split(paths)
    if not todo:
        summary.seconds = time.perf_counter() - started
        return summary

    started_here = False
    if not ray.is_initialized():
        if opts.address:
            try:
                ray.init(address=opts.address, log_to_driver=True)
            except (ConnectionError, RuntimeError) as exc:
                raise UsageError(
                    f"Could not join the Ray cluster at {opts.address}: {str(exc).splitlines()[0]}",
                    hint="Check the address (`ray status` on the cluster); a cluster with token authentication "
                    "also needs RAY_AUTH_MODE=token and its token (~/.ray/auth_token or RAY_AUTH_TOKEN).",
                ) from exc
        else:
            ray.init(
                num_cpus=opts.local_cpus or os.cpu_count() or 1,
                include_dashboard=False,
                object_store_memory=LOCAL_OBJECT_STORE_BYTES,
            )
        started_here = True
    try:
        import ray.data

        ctx = ray.data.DataContext.get_current()
        ctx.enable_progress_bars = opts.progress
        local = started_here and not opts.address
        n_actors, per_cpu, per_gpu = _actor_resources(opts, ray.cluster_resources(), local)
        summary.actors = n_actors
        captioner = {
            "model": opts.model,
            "device": opts.device,
            "dtype": opts.dtype,
            "backend": opts.backend,
            "onnx_dir": opts.onnx_dir,
            "allow_download": False,  # the driver resolved the model; actors never download
            "batch_size": opts.batch_size,
        }
        ds = ray.data.from_items(
            [{"path": p} for p in todo], override_num_blocks=max(1, math.ceil(len(todo) / opts.part_size))
        )
        results = ds.map_batches(
            worker_cls,
            fn_constructor_kwargs={
                "captioner": captioner,
                "settings": opts.settings,
                "key": key,
                "settings_desc": desc,
                "out": str(opts.out.absolute()),
                "fmt": opts.fmt,
                "done_hashes": skip_hashes,
            },
            batch_size=opts.part_size,
            # A fixed pool: every actor loads the model once; Ray Data restarts one that dies
            # (max_restarts=-1) and retries its block (max_task_retries=-1).
            compute=ray.data.ActorPoolStrategy(size=n_actors),
            num_cpus=per_cpu,
            num_gpus=per_gpu or None,
            batch_format="numpy",
        )
        for b in results.iter_batches(batch_size=None, batch_format="numpy"):
            for p, o, c, m in zip(b["path"], b["outcome"], b["error_code"], b["error_message"], strict=True):
                if o == "captioned":
                    summary.captioned += 1
                elif o == "error":
                    summary.errors += 1
                    summary.errors_seen.append((str(p), str(c), str(m)))
                else:
                    summary.done_before += 1
    finally:
        if started_here:
            ray.shutdown()
    summary.seconds = time.perf_counter() - started
    return summary
