# SPDX-License-Identifier: GPL-3.0-or-later
"""AltLens's resumable model download against huggingface_hub's own snapshot_download, on
the same files from a local fake hub (tests/core/modelstore/fake_hub.py) over loopback.

Loopback has no network latency or bandwidth limit, so this measures the client's own
overhead (per-file requests, writing, the hash check AltLens adds); on a real connection
both are bound by the line. Prints seconds, MB/s and the ratio AltLens / huggingface_hub.

    python benchmarks/model_download.py [--mb 200] [--repeat 3]
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--mb", type=int, default=200, help="size of the weights file (default 200)")
    ap.add_argument("--repeat", type=int, default=3)
    args = ap.parse_args()
    os.environ["HF_HUB_DISABLE_XET"] = "1"
    os.environ["HF_HUB_DISABLE_PROGRESS_BARS"] = "1"
    os.environ.pop("HF_HUB_OFFLINE", None)

    import huggingface_hub.constants as c
    from huggingface_hub import snapshot_download

    from altlens.core.captioning.store import ModelStore
    from altlens.core.paths import app_dirs
    from tests.core.modelstore.fake_hub import FakeHub

    c.HF_HUB_OFFLINE = False
    c.HF_HUB_DISABLE_XET = True
    files = {
        "config.json": b'{"model_type": "vision-encoder-decoder"}',
        "preprocessor_config.json": b"{}",
        "tokenizer_config.json": b"{}",
        "tokenizer.json": os.urandom(2_000_000).hex().encode()[:2_000_000],
        "model.safetensors": os.urandom(args.mb * 1_000_000),
    }
    hub = FakeHub().start()
    hub.add_repo("bench/model", files)
    names = [n for n in files]
    ours, theirs = [], []
    try:
        for _ in range(args.repeat):
            with tempfile.TemporaryDirectory() as tmp:
                os.environ["ALTLENS_HOME"] = str(Path(tmp) / "home")
                store = ModelStore(
                    hub_cache=Path(tmp) / "a", manifests_dir=app_dirs().data / "m", endpoint=hub.url
                )
                t = time.perf_counter()
                store.downloader().download(
                    store.downloader().plan("bench/model"), check_family=False
                )
                ours.append(time.perf_counter() - t)
                t = time.perf_counter()
                snapshot_download(
                    "bench/model",
                    cache_dir=str(Path(tmp) / "b"),
                    endpoint=hub.url,
                    allow_patterns=names,
                )
                theirs.append(time.perf_counter() - t)
    finally:
        hub.stop()
    total_mb = sum(len(v) for v in files.values()) / 1e6
    a, b = statistics.median(ours), statistics.median(theirs)
    print(f"payload {total_mb:.0f} MB, {args.repeat} runs, median seconds")
    print(f"altlens ModelStore download   {a:6.2f} s  {total_mb / a:7.1f} MB/s")
    print(f"huggingface_hub snapshot_dl   {b:6.2f} s  {total_mb / b:7.1f} MB/s")
    print(f"ratio altlens / hub           {a / b:6.2f}")


if __name__ == "__main__":
    main()
