# SPDX-License-Identifier: GPL-3.0-or-later
"""The one builder of tiny random-weight models for tests, scripts and benchmarks.

Each module in this package describes one model family the registry offers and exposes
`FAMILY: TinyFamily`: how to save a tiny random-weight model in the exact file layout of that
family's hub repositories (config, processor and tokenizer files as the real repository ships
them, legacy keys included), and how that family's own transformers code captions with it (the
reference the conformance suite compares AltLens against, token for token).

    from tests.tinymodels import build, FAMILIES
    folder = build("blip", tmp_path / "blip", seed=0)
"""

from __future__ import annotations

import importlib
import pkgutil
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

# (folder, PIL images, generate() keywords) -> token ids per image, as the family's own code
# returns them (prompt tokens removed where the family's generate() echoes them), each cut
# before its first end token. The conformance test drops options["altlens_prefix"] (default
# 1: the start token) leading tokens from the rows AltLens decodes and cuts them the same way.
ReferenceFn = Callable[[Path, Sequence[Any], dict[str, Any]], list[list[int]]]


@dataclass(frozen=True)
class TinyFamily:
    name: str  # the registry's family name (config.json model_type)
    build: Callable[..., Path]  # build(out: Path, *, seed: int = 0, **options) -> out
    reference: ReferenceFn
    notes: str = ""
    options: dict[str, Any] = field(default_factory=dict)


def _discover() -> dict[str, TinyFamily]:
    found: dict[str, TinyFamily] = {}
    for info in pkgutil.iter_modules(__path__):
        module = importlib.import_module(f"{__name__}.{info.name}")
        family = getattr(module, "FAMILY", None)
        if isinstance(family, TinyFamily):
            found[family.name] = family
    return dict(sorted(found.items()))


FAMILIES: dict[str, TinyFamily] = _discover()


def build(family: str, out: Path, *, seed: int = 0, **options: Any) -> Path:
    """Save a tiny model of `family` into `out` (created) and return `out`."""
    try:
        spec = FAMILIES[family]
    except KeyError:
        raise KeyError(f"no tiny builder for {family!r}; known: {', '.join(FAMILIES)}") from None
    out.mkdir(parents=True, exist_ok=True)
    return spec.build(out, seed=seed, **options)
