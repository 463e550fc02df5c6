# SPDX-License-Identifier: GPL-3.0-or-later
"""Train the toy captioner that the tests use in place of nlpconnect/vit-gpt2-image-captioning.

It is a real VisionEncoderDecoderModel (ViT encoder + GPT-2 decoder with cross-attention),
saved in the ordinary Hugging Face layout and loaded by exactly the code that loads the real
model, so the whole engine runs on it. It captions the procedural scenes of toy_scenes.py
almost perfectly, which lets tests assert exact captions and catch pipeline mistakes
(missed EXIF rotation, wrong normalisation, broken resize).

    .venv/bin/python scripts/train_test_model.py --out tests/models/toy-captioner
    .venv/bin/python scripts/train_test_model.py --eval-only --eval-scenes 50   # full photo check

Deterministic for a given --seed on a given machine (same seed, same weights); about 7-10
minutes on 2 shared CPU cores. Fewer --steps train faster but less accurately.
"""

from __future__ import annotations

import argparse
import io
import json
import math
import os
import random
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

# On a shared CPU, OpenMP threads that spin while waiting for each other make every step
# ~10x slower; passive waiting keeps 2 threads useful. Must be set before torch loads.
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

import torch
from PIL import Image, ImageOps
from tokenizers import Tokenizer, decoders, models, normalizers, pre_tokenizers
from transformers import (
    AutoImageProcessor,
    AutoModelForImageTextToText,
    AutoTokenizer,
    GPT2Config,
    PreTrainedTokenizerFast,
    VisionEncoderDecoderConfig,
    VisionEncoderDecoderModel,
    ViTConfig,
    ViTImageProcessor,
)

sys.path.insert(0, str(Path(__file__).resolve().parent))
import toy_scenes

REPO = Path(__file__).resolve().parent.parent
DEFAULT_OUT = REPO / "tests" / "models" / "toy-captioner"
EOS = "<|endoftext|>"  # GPT-2's only special token: bos = eos = pad = unk, as in nlpconnect
MAX_LENGTH = 16  # what the tests (and the app) pass to generate()
IMAGENET_MEAN, IMAGENET_STD = [0.485, 0.456, 0.406], [0.229, 0.224, 0.225]
# Seed offsets keep training, validation and photo-check scenes apart.
VAL_SEED_OFFSET, PHOTO_SEED_OFFSET = 1_000_003, 2_000_003


def build_tokenizer() -> PreTrainedTokenizerFast:
    """Word-level tokenizer over the scene words; GPT-2's one special token comes last."""
    words = toy_scenes.vocabulary()
    vocab = {w: i for i, w in enumerate(words)}
    vocab[EOS] = len(words)
    tok = Tokenizer(models.WordLevel(vocab=vocab, unk_token=EOS))
    tok.normalizer = normalizers.Lowercase()
    tok.pre_tokenizer = pre_tokenizers.WhitespaceSplit()
    tok.decoder = decoders.WordPiece(prefix="##", cleanup=False)  # joins words with single spaces
    return PreTrainedTokenizerFast(
        tokenizer_object=tok,
        bos_token=EOS,
        eos_token=EOS,
        pad_token=EOS,
        unk_token=EOS,
        model_max_length=MAX_LENGTH,
        clean_up_tokenization_spaces=False,
    )


def save_tokenizer(tokenizer: PreTrainedTokenizerFast, out: Path) -> None:
    tokenizer.save_pretrained(out)
    # transformers 5 writes its new class name; the classic name loads in both 4.x and 5.x.
    cfg_path = out / "tokenizer_config.json"
    cfg = json.loads(cfg_path.read_text())
    cfg["tokenizer_class"] = "PreTrainedTokenizerFast"
    cfg_path.write_text(json.dumps(cfg, indent=2) + "\n")


def build_processor(image_size: int) -> ViTImageProcessor:
    # As nlpconnect: bilinear resize to a square, rescale to [0, 1], normalise with 0.5 / 0.5.
    return ViTImageProcessor(
        do_resize=True,
        size={"height": image_size, "width": image_size},
        resample=2,
        do_rescale=True,
        rescale_factor=1 / 255,
        do_normalize=True,
        image_mean=[0.5, 0.5, 0.5],
        image_std=[0.5, 0.5, 0.5],
    )


def build_model(
    vocab_size: int,
    eos_id: int,
    image_size: int,
    patch_size: int,
    hidden: int,
    decoder_layers: int = 2,
) -> VisionEncoderDecoderModel:
    encoder = ViTConfig(
        image_size=image_size,
        patch_size=patch_size,
        num_channels=3,
        hidden_size=hidden,
        num_hidden_layers=4,
        num_attention_heads=4,
        intermediate_size=2 * hidden,
        hidden_dropout_prob=0.0,
        attention_probs_dropout_prob=0.0,
    )
    decoder = GPT2Config(
        vocab_size=vocab_size,
        n_positions=32,
        n_embd=hidden,
        n_layer=decoder_layers,
        n_head=4,
        n_inner=2 * hidden,
        add_cross_attention=True,
        bos_token_id=eos_id,
        eos_token_id=eos_id,
        pad_token_id=eos_id,
        resid_pdrop=0.0,
        embd_pdrop=0.0,
        attn_pdrop=0.0,
    )
    config = VisionEncoderDecoderConfig.from_encoder_decoder_configs(encoder, decoder)
    for key in ("pad_token_id", "eos_token_id", "decoder_start_token_id", "bos_token_id"):
        setattr(config, key, eos_id)
    config.vocab_size = vocab_size
    model = VisionEncoderDecoderModel(config=config)
    init_position_embeddings(model, image_size // patch_size)
    gen = model.generation_config
    gen.bos_token_id = gen.eos_token_id = gen.pad_token_id = gen.decoder_start_token_id = eos_id
    gen.max_length = MAX_LENGTH
    return model


@torch.no_grad()
def init_position_embeddings(
    model: VisionEncoderDecoderModel, grid: int, scale: float = 0.5
) -> None:
    """Start the ViT position embeddings as a 2-D sine/cosine grid instead of tiny noise.

    Where the objects are is a core part of the task; with random 0.02-sized embeddings a
    small model takes far longer to discover where a patch is. Training still adjusts them.
    """
    # (1, 1 + grid * grid, hidden); slot 0 is [CLS]
    pos: torch.Tensor = model.encoder.embeddings.position_embeddings  # type: ignore[union-attr,assignment]
    dim = int(pos.shape[-1])
    quarter = dim // 4
    freqs = 1.0 / (100.0 ** (torch.arange(quarter, dtype=torch.float32) / quarter))
    ys, xs = torch.meshgrid(
        torch.arange(grid, dtype=torch.float32),
        torch.arange(grid, dtype=torch.float32),
        indexing="ij",
    )
    ay, ax = ys.reshape(-1, 1) * freqs, xs.reshape(-1, 1) * freqs
    table = torch.cat([ax.sin(), ax.cos(), ay.sin(), ay.cos()], dim=1)
    pos[0, 1:, : 4 * quarter] = scale * table
    pos[0, 0].zero_()


def encode_captions(
    tokenizer: PreTrainedTokenizerFast, captions: Sequence[str], eos_id: int
) -> torch.Tensor:
    """Labels: caption ids, one eos, then -100 (the model shifts them behind decoder_start)."""
    ids = [tokenizer(c, add_special_tokens=False)["input_ids"] + [eos_id] for c in captions]
    width = max(len(x) for x in ids)
    labels = torch.full((len(ids), width), -100, dtype=torch.long)
    for i, x in enumerate(ids):
        labels[i, : len(x)] = torch.tensor(x)
    return labels


@dataclass
class Dataset:
    pixels: torch.Tensor  # (N, 3, S, S) the processor's output, stored as float16 (error < 1e-3)
    captions: list[str]
    kinds: torch.Tensor  # (N, G*G) per-patch 0 background / 1+shape index (auxiliary target)
    centres: torch.Tensor  # (N, G*G) 1 where an object's centre lies (auxiliary target)


def make_dataset(
    processor: ViTImageProcessor, seed: int, n: int, grid: int, chunk: int = 500
) -> Dataset:
    """Draw n scenes and run them through the saved processor (pixels kept as float16)."""
    pixels: list[torch.Tensor] = []
    captions: list[str] = []
    kinds: list[list[int]] = []
    centres: list[list[int]] = []
    batch: list[Image.Image] = []
    for img, caption, layout in toy_scenes.make_scenes_with_layout(seed, n):
        batch.append(img)
        captions.append(caption)
        k, c = toy_scenes.patch_targets(layout, grid)
        kinds.append(k)
        centres.append(c)
        if len(batch) == chunk or len(captions) == n:
            pixels.append(processor(images=batch, return_tensors="pt")["pixel_values"].half())
            batch = []
    return Dataset(
        torch.cat(pixels), captions, torch.tensor(kinds), torch.tensor(centres, dtype=torch.float32)
    )


# Caption word positions that the auxiliary [CLS] heads predict, with their choices.
AUX_SLOTS: dict[int, tuple[str, ...]] = {
    0: toy_scenes.COUNTS,
    1: tuple(sorted(toy_scenes.OBJECT_COLOURS)),
    2: toy_scenes.SHAPES,
    5: toy_scenes.SIDES,
    8: tuple(sorted(toy_scenes.BACKGROUND_COLOURS)),
}


def mirror_caption(caption: str) -> str:
    words = caption.split()
    words[5] = {"left": "right", "right": "left"}.get(words[5], words[5])
    return " ".join(words)


def slot_labels(captions: Sequence[str]) -> dict[int, torch.Tensor]:
    words = [c.split() for c in captions]
    out = {}
    for slot, choices in AUX_SLOTS.items():
        # shapes appear in the plural too
        out[slot] = torch.tensor(
            [choices.index(w[slot][:-1] if w[slot] not in choices else w[slot]) for w in words]
        )
    return out


class AuxHeads(torch.nn.Module):
    """Training-only heads on the encoder output; never saved.

    A ViT from scratch learns local shape very slowly from a caption loss alone (the decoder's
    attention averages over patches). Dense per-patch targets (which shape covers this patch,
    where objects' centres are) plus [CLS] targets for each caption slot give the encoder a
    direct signal, which cuts the training needed several-fold.
    """

    def __init__(self, hidden: int) -> None:
        super().__init__()
        self.kind = torch.nn.Linear(hidden, 1 + len(toy_scenes.SHAPES))
        self.centre = torch.nn.Linear(hidden, 1)
        self.slots = torch.nn.ModuleDict(
            {str(k): torch.nn.Linear(hidden, len(v)) for k, v in AUX_SLOTS.items()}
        )

    def loss(
        self,
        enc: torch.Tensor,
        kinds: torch.Tensor,
        centres: torch.Tensor,
        slots: dict[int, torch.Tensor],
    ) -> torch.Tensor:
        cls, patches = enc[:, 0], enc[:, 1:]
        f = torch.nn.functional
        total = f.cross_entropy(self.kind(patches).flatten(0, 1), kinds.flatten())
        total = total + f.binary_cross_entropy_with_logits(
            self.centre(patches).squeeze(-1), centres
        )
        for k, head in self.slots.items():
            total = total + f.cross_entropy(head(cls), slots[int(k)]) / len(self.slots)
        return total

    @torch.no_grad()
    def accuracies(self, model: VisionEncoderDecoderModel, data: Dataset) -> dict[str, str]:
        """How well the heads read the encoder: tells an encoder problem from a decoder one."""
        model.eval()
        enc = model.encoder(pixel_values=data.pixels.float()).last_hidden_state
        slots = slot_labels(data.captions)
        out = {"patch kind": (self.kind(enc[:, 1:]).argmax(-1) == data.kinds).float().mean()}
        for k, head in self.slots.items():
            out[SLOTS[int(k)]] = (head(enc[:, 0]).argmax(-1) == slots[int(k)]).float().mean()
        return {k: f"{v.item():.1%}" for k, v in out.items()}


@torch.no_grad()
def caption_pixels(
    model: Any,  # a VisionEncoderDecoderModel, as trained or as loaded by the Auto classes
    tokenizer: Any,
    pixels: torch.Tensor,
    num_beams: int,
    batch: int = 100,
) -> list[str]:
    model.eval()
    out: list[str] = []
    for i in range(0, len(pixels), batch):
        ids = model.generate(
            pixels[i : i + batch].float(), num_beams=num_beams, max_length=MAX_LENGTH
        )
        out += [t.strip() for t in tokenizer.batch_decode(ids, skip_special_tokens=True)]
    return out


SLOTS = ("count", "colour", "shape", "on", "the", "side", "of", "a", "background", "background")


def slot_errors(predicted: Sequence[str], truth: Sequence[str]) -> dict[str, int]:
    """How often each caption element is wrong: says which part of the task is still weak."""
    errors: dict[str, int] = {}
    for p, t in zip(predicted, truth, strict=True):
        pw, tw = p.split(), t.split()
        for slot, a, b in zip(SLOTS, pw, tw, strict=False):  # lengths may differ
            if a != b:
                errors[slot] = errors.get(slot, 0) + 1
        if len(pw) != len(tw):
            errors["length"] = errors.get("length", 0) + 1
    return errors


def accuracy(predicted: Sequence[str], truth: Sequence[str]) -> float:
    return sum(p == t for p, t in zip(predicted, truth, strict=True)) / len(truth)


def train(args: argparse.Namespace) -> None:
    torch.manual_seed(args.seed)
    random.seed(args.seed)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)

    # Save the tokenizer and processor first and train through the reloaded ones, so what is
    # saved is exactly what the model learned with.
    save_tokenizer(build_tokenizer(), out)
    build_processor(args.image_size).save_pretrained(out)
    tokenizer: Any = AutoTokenizer.from_pretrained(out)
    eos_id: int = tokenizer.convert_tokens_to_ids(EOS)
    processor = AutoImageProcessor.from_pretrained(out)

    t0 = time.time()
    grid = args.image_size // args.patch_size
    data = make_dataset(processor, args.seed, args.train_scenes, grid)
    labels = encode_captions(tokenizer, data.captions, eos_id)
    slots = slot_labels(data.captions)
    # Mirror images: a free second view of every scene (left and right swap in the caption).
    mirrored = [mirror_caption(c) for c in data.captions]
    labels_m = encode_captions(tokenizer, mirrored, eos_id)
    slots_m = slot_labels(mirrored)
    assert labels_m.shape == labels.shape
    val = make_dataset(processor, args.seed + VAL_SEED_OFFSET, args.val_scenes, grid)
    print(
        f"data: {len(labels)} train + {len(val.captions)} val scenes in {time.time() - t0:.0f}s",
        flush=True,
    )

    model = build_model(
        len(tokenizer), eos_id, args.image_size, args.patch_size, args.hidden, args.decoder_layers
    )
    aux = AuxHeads(args.hidden)
    print(f"model: {sum(p.numel() for p in model.parameters()) / 1e6:.2f}M parameters", flush=True)
    params = list(model.parameters()) + list(aux.parameters())
    opt = torch.optim.AdamW(params, lr=args.lr, weight_decay=0.01, betas=(0.9, 0.98))
    warmup = max(1, args.steps // 20)

    def lr_at(step: int) -> float:  # linear warm-up, then cosine decay to 2% of the peak
        if step < warmup:
            return (step + 1) / warmup
        p = (step - warmup) / max(1, args.steps - warmup)
        return 0.02 + 0.98 * 0.5 * (1 + math.cos(math.pi * p))

    sched = torch.optim.lr_scheduler.LambdaLR(opt, lr_at)
    gen = torch.Generator().manual_seed(args.seed)
    order = torch.randperm(len(labels), generator=gen)
    pos = 0
    t0 = time.time()
    model.train()
    for step in range(args.steps):
        if pos + args.batch > len(order):
            order, pos = torch.randperm(len(labels), generator=gen), 0
        idx = order[pos : pos + args.batch]
        pos += args.batch
        flip = torch.rand(len(idx), generator=gen) < 0.5
        px = torch.where(
            flip[:, None, None, None], data.pixels[idx].flip(-1), data.pixels[idx]
        ).float()
        kinds = torch.where(
            flip[:, None],
            data.kinds[idx].view(-1, grid, grid).flip(-1).reshape(len(idx), -1),
            data.kinds[idx],
        )
        centres = torch.where(
            flip[:, None],
            data.centres[idx].view(-1, grid, grid).flip(-1).reshape(len(idx), -1),
            data.centres[idx],
        )
        lab = torch.where(flip[:, None], labels_m[idx], labels[idx])
        slot_batch = {k: torch.where(flip, slots_m[k][idx], v[idx]) for k, v in slots.items()}
        outputs = model(pixel_values=px, labels=lab)
        aux_loss = aux.loss(outputs.encoder_last_hidden_state, kinds, centres, slot_batch)
        loss = outputs.loss + args.aux_weight * aux_loss
        opt.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(params, 1.0)
        opt.step()
        sched.step()
        if step % 100 == 0 or step == args.steps - 1:
            print(
                f"step {step:5d}  caption loss {outputs.loss.item():.4f}  aux {aux_loss.item():.4f}"
                f"  lr {sched.get_last_lr()[0]:.2e}  {time.time() - t0:.0f}s",
                flush=True,
            )

    print(f"  encoder probes on validation: {aux.accuracies(model, val)}", flush=True)
    predicted = caption_pixels(model, tokenizer, val.pixels, 1)
    print(
        f"validation (small scenes) exact match, greedy: {accuracy(predicted, val.captions):.1%}",
        flush=True,
    )
    print(f"  wrong words by slot: {slot_errors(predicted, val.captions)}", flush=True)
    model.save_pretrained(out)
    print(f"saved to {out}", flush=True)
    evaluate(out, args.seed + PHOTO_SEED_OFFSET, args.eval_scenes, controls=False)


# --- Held-out check: exactly the tests' procedure on photo-sized files ------------------------


def photo_size(rng: random.Random, fmt: str) -> tuple[int, int]:
    """Camera-like sizes, as the tests draw them: 16:9, 3:2 or 4:3, mostly landscape."""
    long_side = rng.randint(2400, 4000) if fmt == "JPEG" else rng.randint(1200, 2000)
    short = int(long_side * rng.choice([0.56, 0.66, 0.75]))
    return (long_side, short) if rng.random() < 0.7 else (short, long_side)


def photo_scenes(seed: int, n: int, fmt: str) -> list[tuple[Image.Image, str]]:
    rng = random.Random(seed)
    return [toy_scenes.draw_scene(rng, photo_size(rng, fmt)) for _ in range(n)]


def encode_file(img: Image.Image, fmt: str) -> bytes:
    buf = io.BytesIO()
    if fmt == "JPEG":
        img.save(buf, "JPEG", quality=90)
    elif fmt == "WEBP":
        img.save(buf, "WEBP", quality=90)
    else:
        img.save(buf, "PNG", compress_level=1)
    return buf.getvalue()


def load_like_app(data: bytes, draft_size: int | None) -> Image.Image:
    """Open -> (JPEG draft) -> exif_transpose -> RGB, as the app loads photos."""
    img: Image.Image = Image.open(io.BytesIO(data))
    if draft_size and img.format == "JPEG":
        img.draft("RGB", (draft_size, draft_size))  # decodes at 1/2..1/8 scale, still >= draft_size
    img = ImageOps.exif_transpose(img)
    return img.convert("RGB")


def evaluate(model_dir: Path, seed: int, n: int, controls: bool) -> dict[str, float]:
    """Caption photo-sized JPEG/PNG/WebP files, beam 4 and greedy; optionally negative controls."""
    model = AutoModelForImageTextToText.from_pretrained(model_dir)
    processor = AutoImageProcessor.from_pretrained(model_dir)
    tokenizer = AutoTokenizer.from_pretrained(model_dir)
    size = processor.size["height"]
    results: dict[str, float] = {}

    def run(
        name: str,
        images: list[Image.Image],
        truth: list[str],
        proc: Any = processor,
    ) -> None:
        pixels = proc(images=images, return_tensors="pt")["pixel_values"]
        for beams in (4, 1):
            acc = accuracy(caption_pixels(model, tokenizer, pixels, beams), truth)
            results[f"{name} beam{beams}"] = acc
            print(f"  {name:28s} beam {beams}: {acc:6.1%}", flush=True)

    print(f"photo-size check: {n} scenes per format, {model_dir}", flush=True)
    for k, fmt in enumerate(("JPEG", "PNG", "WEBP")):
        scenes = photo_scenes(seed + k, n, fmt)
        truth = [c for _, c in scenes]
        blobs = [encode_file(img, fmt) for img, _ in scenes]
        for draft in (None, size) if fmt == "JPEG" else (None,):
            run(
                f"{fmt}{' draft' if draft else ''}", [load_like_app(b, draft) for b in blobs], truth
            )
        if controls and fmt == "JPEG":
            images = [load_like_app(b, size) for b in blobs]
            wrong_norm = build_processor(size)
            wrong_norm.image_mean, wrong_norm.image_std = IMAGENET_MEAN, IMAGENET_STD
            run("control: ImageNet mean/std", images, truth, wrong_norm)
            run("control: rotated 90, no fix", [im.rotate(90, expand=True) for im in images], truth)
    return results


def main(argv: Sequence[str] | None = None) -> None:
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument(
        "--out",
        default=str(DEFAULT_OUT),
        help="model directory to write (or read with --eval-only)",
    )
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--steps", type=int, default=3000)
    ap.add_argument("--batch", type=int, default=32)
    ap.add_argument("--lr", type=float, default=1.5e-3)
    ap.add_argument("--image-size", type=int, default=96)
    ap.add_argument("--patch-size", type=int, default=16)
    ap.add_argument("--hidden", type=int, default=128, help="width of encoder and decoder")
    ap.add_argument("--decoder-layers", type=int, default=2)
    ap.add_argument(
        "--aux-weight", type=float, default=0.5, help="weight of the training-only encoder targets"
    )
    ap.add_argument("--train-scenes", type=int, default=16000)
    ap.add_argument("--val-scenes", type=int, default=400)
    ap.add_argument(
        "--eval-scenes", type=int, default=20, help="photo-sized scenes for the final check"
    )
    ap.add_argument(
        "--eval-only", action="store_true", help="skip training; run the photo check and controls"
    )
    args = ap.parse_args(argv)
    torch.set_num_threads(2)  # the build machine has 2 shared cores
    t0 = time.time()
    if args.eval_only:
        evaluate(Path(args.out), args.seed + PHOTO_SEED_OFFSET, args.eval_scenes, controls=True)
    else:
        train(args)
    print(f"wall time {time.time() - t0:.0f}s", flush=True)


if __name__ == "__main__":
    main()
