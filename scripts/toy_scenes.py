# SPDX-License-Identifier: GPL-3.0-or-later
"""Procedural toy scenes with exact captions, for training and testing the toy captioner.

Every scene reads "{count} {colour} {shape(s)} on the {side} of a {background} background".
Each element guards part of the image pipeline in the tests:
- the side changes when an EXIF rotation is missed (a 90 degree turn moves left to top/bottom);
- the colours are close enough (red/orange/yellow, grey/white) that the wrong normalisation
  (ImageNet mean/std instead of 0.5) reads as another colour;
- shapes and counts need the pixels themselves, not just the colour statistics.
Scenes come at any size and aspect ratio, so the squashing of a square resize is part of the task;
object sizes follow sqrt(width * height), so each shape covers the same share of the picture at
any aspect ratio.
"""

from __future__ import annotations

import io
import math
import random
from collections.abc import Iterator
from dataclasses import dataclass

from PIL import Image, ImageDraw

COUNTS: tuple[str, ...] = ("one", "two", "three")
# Base RGB values; each scene jitters them a little, so the model learns a region, not a value.
OBJECT_COLOURS: dict[str, tuple[int, int, int]] = {
    "red": (205, 35, 40),
    "orange": (240, 135, 25),
    "yellow": (235, 215, 45),
    "green": (45, 155, 65),
    "blue": (40, 80, 200),
}
# Backgrounds start with a consonant so "a {background} background" stays grammatical.
BACKGROUND_COLOURS: dict[str, tuple[int, int, int]] = {
    "blue": (45, 90, 185),
    "green": (55, 140, 70),
    "grey": (128, 128, 128),
    "white": (236, 236, 236),
}
SHAPES: tuple[str, ...] = ("circle", "square", "triangle")
SIDES: tuple[str, ...] = ("left", "right", "top", "bottom")

COLOUR_JITTER = 10  # per channel, +-; small so colours stay separable under the right normalisation
OBJECT_SIZE = 0.24  # object box side as a fraction of sqrt(width * height)
MAX_SUPERSAMPLE = 4  # anti-aliasing factor for small shapes
MAX_MASK_SIDE = 1024  # big shapes need no supersampling; keeps 4000 px scenes fast


def plural(shape: str, count: int) -> str:
    return shape if count == 1 else shape + "s"


def caption_for(count: int, colour: str, shape: str, side: str, background: str) -> str:
    objects = f"{COUNTS[count - 1]} {colour} {plural(shape, count)}"
    return f"{objects} on the {side} of a {background} background"


def vocabulary() -> list[str]:
    """Every word any caption can contain, sorted (the tokenizer's word list)."""
    words = set(COUNTS) | set(OBJECT_COLOURS) | set(BACKGROUND_COLOURS) | set(SIDES)
    words |= set(SHAPES) | {s + "s" for s in SHAPES}
    words |= {"on", "the", "of", "a", "background"}
    return sorted(words)


def _jitter(
    rng: random.Random, rgb: tuple[int, int, int], amount: int = COLOUR_JITTER
) -> tuple[int, int, int]:
    return tuple(max(0, min(255, c + rng.randint(-amount, amount))) for c in rgb)  # type: ignore[return-value]


def _place(
    rng: random.Random, w: int, h: int, count: int, side: str
) -> list[tuple[float, float, float]]:
    """Non-overlapping square boxes (x0, y0, s) all inside the named half.

    The first box straddles the other axis' midline, so "left" can never also read as "top".
    """
    # Sizes follow sqrt(w*h), so after the square resize an object covers the same area at any
    # aspect ratio; with only small size jitter, area alone already separates the three shapes
    # (triangle ~0.47, circle ~0.71, square 1.0 of s*s) and makes counting robust.
    g = math.sqrt(w * h)
    margin = 0.04 * min(w, h)
    gap = 0.08 * g  # wide enough that two objects never blur into one at 96 px
    frac = OBJECT_SIZE * rng.uniform(0.95, 1.05)
    for _attempt in range(50):
        boxes: list[tuple[float, float, float]] = []
        for i in range(count):
            s = g * frac * rng.uniform(0.96, 1.04)
            # Half-region, leaving a band around the midline so the side is never ambiguous.
            if side == "left":
                xr, yr = (margin, 0.45 * w - s), (margin, h - margin - s)
            elif side == "right":
                xr, yr = (0.55 * w, w - margin - s), (margin, h - margin - s)
            elif side == "top":
                xr, yr = (margin, w - margin - s), (margin, 0.45 * h - s)
            else:
                xr, yr = (margin, w - margin - s), (0.55 * h, h - margin - s)
            if i == 0:  # anchor: centred on the perpendicular midline, +-25% of its size
                if side in ("left", "right"):
                    yr = (h / 2 - 0.75 * s, h / 2 - 0.25 * s)
                else:
                    xr = (w / 2 - 0.75 * s, w / 2 - 0.25 * s)
            if xr[1] < xr[0] or yr[1] < yr[0]:
                break
            for _try in range(60):
                x0, y0 = rng.uniform(*xr), rng.uniform(*yr)
                if all(
                    x0 + s + gap <= bx
                    or bx + bs + gap <= x0
                    or y0 + s + gap <= by
                    or by + bs + gap <= y0
                    for bx, by, bs in boxes
                ):
                    boxes.append((x0, y0, s))
                    break
            else:
                break
        if len(boxes) == count:
            return boxes
        frac *= 0.93  # crowded: shrink and retry
    raise RuntimeError(f"cannot place {count} objects on the {side} of {w}x{h}")


def _shape_points(
    shape: str, cx: float, cy: float, s: float, angle: float
) -> list[tuple[float, float]]:
    if shape == "square":
        r = 0.5 * s * math.sqrt(2)  # fills its box: corners are what tell it from a circle at 96 px
        return [
            (
                cx + r * math.cos(angle + k * math.pi / 2 + math.pi / 4),
                cy + r * math.sin(angle + k * math.pi / 2 + math.pi / 4),
            )
            for k in range(4)
        ]
    # Equilateral triangle pointing up, apex at the top of the box (base 1.04 s wide).
    r = 0.6 * s
    cy += 0.1 * s
    return [
        (
            cx + r * math.cos(angle - math.pi / 2 + k * 2 * math.pi / 3),
            cy + r * math.sin(angle - math.pi / 2 + k * 2 * math.pi / 3),
        )
        for k in range(3)
    ]


def _draw_shape(
    img: Image.Image,
    rng: random.Random,
    shape: str,
    box: tuple[float, float, float],
    rgb: tuple[int, int, int],
) -> None:
    """Draw one anti-aliased shape: supersampled mask around it, shrunk, pasted in its colour."""
    x0, y0, s = box
    pad = 0.05 * s + 2  # the triangle's base pokes out of its box a little
    left, top = math.floor(x0 - pad), math.floor(y0 - pad)
    mw, mh = math.ceil(x0 + s + pad) - left, math.ceil(y0 + s + pad) - top
    f = max(1, min(MAX_SUPERSAMPLE, MAX_MASK_SIDE // max(mw, mh)))
    mask = Image.new("L", (mw * f, mh * f), 0)
    draw = ImageDraw.Draw(mask)
    cx, cy = (x0 + s / 2 - left) * f, (y0 + s / 2 - top) * f
    ss = s * f
    if shape == "circle":
        ry = 0.475 * ss
        rx = ry * rng.uniform(0.97, 1.03)
        draw.ellipse((cx - rx, cy - ry, cx + rx, cy + ry), fill=255)
    else:
        # Squares stay axis-aligned (a tilted square drifts towards a circle at low resolution).
        angle = math.radians(rng.uniform(-8.0, 8.0)) if shape == "triangle" else 0.0
        draw.polygon(_shape_points(shape, cx, cy, ss, angle), fill=255)
    if f > 1:
        mask = mask.resize((mw, mh), Image.Resampling.BOX)
    img.paste(rgb, (left, top, left + mw, top + mh), mask)


@dataclass(frozen=True)
class Layout:
    """Where a scene's objects are, in pixels: training uses it for per-patch targets."""

    width: int
    height: int
    shape: str
    boxes: tuple[tuple[float, float, float], ...]  # (x0, y0, side) of each object's square box


def draw_scene(rng: random.Random, size: tuple[int, int]) -> tuple[Image.Image, str]:
    """Draw one random scene at `size` (width, height); return the RGB image and exact caption."""
    img, caption, _layout = draw_scene_with_layout(rng, size)
    return img, caption


def draw_scene_with_layout(
    rng: random.Random, size: tuple[int, int]
) -> tuple[Image.Image, str, Layout]:
    """draw_scene, plus the object layout (same random stream, so the same scene)."""
    w, h = size
    count = rng.randint(1, len(COUNTS))
    colour = rng.choice(sorted(OBJECT_COLOURS))
    shape = rng.choice(SHAPES)
    side = rng.choice(SIDES)
    background = rng.choice([b for b in sorted(BACKGROUND_COLOURS) if b != colour])
    img = Image.new("RGB", (w, h), _jitter(rng, BACKGROUND_COLOURS[background]))
    scene_rgb = _jitter(rng, OBJECT_COLOURS[colour])
    boxes = _place(rng, w, h, count, side)
    for box in boxes:
        _draw_shape(img, rng, shape, box, _jitter(rng, scene_rgb, 3))
    return (
        img,
        caption_for(count, colour, shape, side, background),
        Layout(w, h, shape, tuple(boxes)),
    )


def patch_targets(layout: Layout, grid: int, sub: int = 4) -> tuple[list[int], list[int]]:
    """Per-patch labels on the square-resized image's grid x grid patches, row-major.

    Returns (kind, centre): kind is 0 for background or 1 + SHAPES.index(shape) where at least a
    quarter of the patch is covered; centre is 1 for the patch holding an object's centre.
    """
    w, h = layout.width, layout.height
    kind_id = 1 + SHAPES.index(layout.shape)
    kinds, centres = [0] * (grid * grid), [0] * (grid * grid)
    for x0, y0, s in layout.boxes:
        cx, cy = x0 + s / 2, y0 + s / 2
        centres[min(grid - 1, int(cy / h * grid)) * grid + min(grid - 1, int(cx / w * grid))] = 1
        # Only patches that can touch the box (the triangle's base pokes out a little).
        rows = range(
            max(0, int((y0 - 0.05 * s) / h * grid)), min(grid, int((y0 + 1.05 * s) / h * grid) + 1)
        )
        cols = range(
            max(0, int((x0 - 0.05 * s) / w * grid)), min(grid, int((x0 + 1.05 * s) / w * grid) + 1)
        )
        for row in rows:
            for col in cols:
                inside = 0
                for i in range(sub):
                    for j in range(sub):
                        x = (col + (j + 0.5) / sub) / grid * w
                        y = (row + (i + 0.5) / sub) / grid * h
                        inside += _inside(layout.shape, x - cx, y - cy, s)
                if inside * 4 >= sub * sub:
                    kinds[row * grid + col] = kind_id
    return kinds, centres


def _inside(shape: str, dx: float, dy: float, s: float) -> bool:
    """Whether offset (dx, dy) from a box centre falls in the drawn shape (tilt ignored)."""
    if shape == "circle":
        return dx * dx + dy * dy <= (0.475 * s) ** 2
    if shape == "square":
        return abs(dx) <= s / 2 and abs(dy) <= s / 2
    # triangle: apex at dy = -0.5 s, base at dy = +0.4 s, half-width 0.52 s at the base
    return -0.5 * s <= dy <= 0.4 * s and abs(dx) <= 0.52 * s * (dy + 0.5 * s) / (0.9 * s)


# Aspect ratios of real photos, both ways round; training also draws ratios in between.
PHOTO_ASPECTS: tuple[float, ...] = (4 / 3, 3 / 4, 3 / 2, 2 / 3, 16 / 9, 9 / 16)


def random_size(rng: random.Random, long_side: tuple[int, int]) -> tuple[int, int]:
    """A random (width, height) with its long side in `long_side` and a photo-like aspect ratio."""
    if rng.random() < 0.75:  # most capacity where photos are
        aspect = rng.choice(PHOTO_ASPECTS)
    else:
        aspect = math.exp(rng.uniform(math.log(0.5), math.log(2.0)))
    long_px = rng.randint(*long_side)
    if aspect >= 1:
        return long_px, max(16, round(long_px / aspect))
    return max(16, round(long_px * aspect)), long_px


def recompress(rng: random.Random, img: Image.Image) -> Image.Image:
    """Lossy round trip (JPEG q75-95, sometimes WebP) so compressed photos look familiar."""
    buf = io.BytesIO()
    if rng.random() < 0.8:
        img.save(buf, "JPEG", quality=rng.randint(75, 95))
    else:
        img.save(buf, "WEBP", quality=rng.randint(75, 95))
    buf.seek(0)
    with Image.open(buf) as out:
        return out.convert("RGB")


def make_scenes(
    seed: int, n: int, long_side: tuple[int, int] = (144, 384), lossy: float = 0.5
) -> Iterator[tuple[Image.Image, str]]:
    """`n` deterministic scenes from `seed`; a `lossy` fraction goes through JPEG/WebP."""
    for img, caption, _layout in make_scenes_with_layout(seed, n, long_side, lossy):
        yield img, caption


def make_scenes_with_layout(
    seed: int, n: int, long_side: tuple[int, int] = (144, 384), lossy: float = 0.5
) -> Iterator[tuple[Image.Image, str, Layout]]:
    """make_scenes with each scene's layout."""
    rng = random.Random(seed)
    for _ in range(n):
        img, caption, layout = draw_scene_with_layout(rng, random_size(rng, long_side))
        if rng.random() < lossy:
            img = recompress(rng, img)
        yield img, caption, layout
