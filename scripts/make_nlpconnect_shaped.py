# SPDX-License-Identifier: GPL-3.0-or-later
"""Build a random-weight model with the exact configuration of
nlpconnect/vit-gpt2-image-captioning (ViT-B/16 at 224 + GPT-2 124M with cross-attention,
239M parameters) and save it in that repository's layout.

The hub is not reachable from tests or CI, so this stands in for the real download when
checking loading conventions, shapes, speed and memory. Its captions are noise; the
tokenizer is a byte-level BPE with GPT-2's size (50257) and special-token layout
(<|endoftext|> = 50256 = bos = eos = pad = decoder start) but synthetic merges.

A thin command line over the shared builder (tests/tinymodels/ved.py, shape="hub"):

    python scripts/make_nlpconnect_shaped.py OUT_DIR [--seed 0]
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))  # tests.tinymodels, when run as a script

from tests.tinymodels.ved import EOT, EOT_ID, GPT2_VOCAB  # noqa: E402  (re-exported for importers)

__all__ = ["EOT", "EOT_ID", "GPT2_VOCAB", "build", "main"]


def build(out: Path, seed: int = 0) -> Path:
    from tests.tinymodels import build as build_family

    return build_family("vision-encoder-decoder", Path(out), seed=seed, shape="hub")


def main() -> None:
    ap = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    ap.add_argument("out", type=Path)
    ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args()
    build(args.out, args.seed)
    print(args.out)


if __name__ == "__main__":
    main()
