#!/usr/bin/env python
# SPDX-License-Identifier: GPL-3.0-or-later
"""Where a float32 caption can differ from the model card's: the pixels, never the search.

caption_speed.py compares whole pipelines, and on the random-weight nlpconnect-shaped model an
occasional caption differs in float32. This script separates the two causes on the same
12 MP photos: (1) AltLens's fast path fed the reference's own pixel values, token for token
against `generate()`; (2) how far AltLens's pixels (JPEG draft-mode decoding at reduced scale,
which the engine issue asks for) are from the reference's full decode + ViTImageProcessor.

    python benchmarks/float32_identity.py [--photos 24]
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "scripts"))
sys.path.insert(0, str(REPO / "benchmarks"))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--photos", type=int, default=24)
    ap.add_argument("--workdir", type=Path, default=Path(tempfile.gettempdir()) / "altlens-bench")
    args = ap.parse_args()

    from altlens.core.captioning.runtime import configure_openmp

    configure_openmp()
    import torch
    from PIL import Image
    from transformers import ViTImageProcessor

    from caption_speed import make_photos
    from altlens.core.captioning import Captioner, GenerationSettings, fast
    from altlens.core.captioning.adapters import run_search
    from altlens.core.images import load_image
    from make_nlpconnect_shaped import build

    folder = args.workdir / "nlpconnect-shaped"
    if not (folder / "model.safetensors").is_file():
        build(folder)
    photos = [p for p, _ in make_photos(args.workdir / "photos", args.photos, seed=1, noise=8.0)]
    proc = ViTImageProcessor.from_pretrained(folder)
    cap = Captioner(folder, device="cpu", dtype="float32")
    cap.load()
    ad = cap.adapter
    model = ad.model
    settings = GenerationSettings(num_beams=4, max_length=16, min_length=16, repetition_guard=False)
    same, diffs = 0, []
    for p in photos:
        with Image.open(p) as im:
            pv_ref = proc(images=[im.convert("RGB")], return_tensors="pt").pixel_values
        pv_alt = ad.preprocess([load_image(p, target_size=224)])["pixel_values"]
        diffs.append(float((pv_ref - pv_alt).abs().mean()))
        with torch.inference_mode():
            ref = model.generate(pv_ref, max_length=16, min_length=16, num_beams=4)
            dec = fast.Gpt2StepDecoder(model.decoder, fast.encode(model, pv_ref), 16)
            ours = run_search(dec, 1, settings, model.generation_config, model.config, ad.eos_token_id, ad.pad_token_id, None)
        same += int(torch.equal(ours.sequences[0, 0, : ref.shape[1]], ref[0]))
    print(f"fast float32 path on the reference's own pixels: {same}/{len(photos)} token-identical to generate()")
    print(f"mean |pixel difference|, reference vs AltLens preprocessing (draft decode), normalised units "
          f"(2.0 = black to white): {sum(diffs) / len(diffs):.4f} per photo on average, {max(diffs):.4f} at most")


if __name__ == "__main__":
    main()
