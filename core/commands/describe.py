# SPDX-License-Identifier: GPL-3.0-or-later
"""`altlens describe`: alt text, a long description or the text in the image, from a
prompted model (Florence-2, SmolVLM2). Nothing is written into the photos; an approved long
description goes in with `altlens write FILE --alt-text ALT --long-description TEXT`
(XMP-iptcCore:ExtDescrAccessibility)."""

from __future__ import annotations

import argparse
import csv
import json
import sys
from typing import Any, TextIO

from altlens.core.commands.caption import add_model_options, emit_results
from altlens.core.types import CaptionResult

TASK_CHOICES: tuple[str, ...] = ("alt", "long", "ocr")  # tests check this equals tasks.TASKS
DEFAULT_DESCRIBE_MODEL = "florence-2-base"


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "describe",
        help="alt text, a long description or the text in an image (Florence-2, SmolVLM2)",
        description=(
            "Describe image files and folders with a prompted model: --task alt (alt text, the "
            "default), long (a detailed description for the IPTC Extended Description field) or "
            f"ocr (the text in the image). The model defaults to {DEFAULT_DESCRIBE_MODEL}; SmolVLM2 "
            "models (smolvlm2-256m, smolvlm2-500m) also take --context. Nothing is written into "
            "the photos; approve a long description with `altlens write FILE --alt-text ALT --long-description TEXT`."
        ),
    )
    p.add_argument("paths", nargs="+", metavar="PATH", help="image files and folders")
    p.add_argument("-r", "--recursive", action="store_true", help="include images in subfolders")
    p.add_argument("--task", choices=list(TASK_CHOICES), default="alt",
                   help="alt: alt text (default); long: a detailed description; ocr: the text in the image")
    p.add_argument("--max-tokens", type=int, default=None, metavar="N",
                   help="token budget of each answer (default: 64 for alt, 512 for long and ocr); an answer "
                   "that does not end within it is reported as an error")
    c = p.add_argument_group("context (SmolVLM2 only; off by default)")
    c.add_argument("--context", action="store_true",
                   help="tell the model the folder name and the file's keywords, headline and location "
                   "(read with ExifTool); the context is printed to stderr before it is used")
    c.add_argument("--context-people", action="store_true",
                   help="also the names of people the file's metadata names (implies --context)")
    c.add_argument("--show-context", action="store_true",
                   help="print the context each image would get, then stop (no model is loaded)")
    out = p.add_mutually_exclusive_group()
    out.add_argument("--json", action="store_true", help="one JSON object per image per line")
    out.add_argument("--csv", action="store_true", help="CSV with a header row")
    p.add_argument("-q", "--quiet", action="store_true", help="no progress bar, context or summary on stderr")
    add_model_options(p)
    p.set_defaults(func=run, model=DEFAULT_DESCRIBE_MODEL, beams=3)


def run(args: argparse.Namespace) -> int:
    from altlens.core.commands.caption import captioner_from_args, settings_from_args
    from altlens.core.images import collect_images

    settings = settings_from_args(args)  # validate options before loading anything
    if args.max_tokens is not None:
        from altlens.core.captioning.tasks import token_budget

        token_budget(args.task, args.max_tokens)
    paths = collect_images(args.paths, recursive=args.recursive)
    if not paths:
        print("altlens: no images found in the given paths.", file=sys.stderr)
        return 1
    prompts: list[str | None] = [None] * len(paths)
    if args.context or args.context_people or args.show_context:
        from altlens.core.captioning.context import read_contexts

        contexts = read_contexts(paths, include_people=args.context_people)
        prompts = [c.prompt_text() for c in contexts]
        if args.show_context:
            for ctx in contexts:
                print(json.dumps(ctx.to_dict(), ensure_ascii=False) if args.json else _context_block(ctx))
            return 0
        if not args.quiet:
            # Shown before use: the person sees exactly what the model will be told.
            for ctx in contexts:
                print(_context_block(ctx), file=sys.stderr)
    captioner = captioner_from_args(args)
    writer = _Writer(sys.stdout, "json" if args.json else "csv" if args.csv else "text", args.task)
    results = captioner.iter_caption(paths, settings, task=args.task, contexts=prompts, max_new_tokens=args.max_tokens)
    ok, failed = emit_results(results, len(paths), lambda r: writer.write(r, prompts[r.index]), quiet=args.quiet)
    if not args.quiet:
        summary = f"Described {ok} of {len(paths)} image{'s' if len(paths) != 1 else ''}"
        summary += f"; {failed} failed (see their errors)." if failed else "."
        if args.task == "long" and ok:
            summary += " Approve one with `altlens write FILE --alt-text ALT --long-description TEXT`."
        print(summary, file=sys.stderr)
    return 0 if ok else 1


def _context_block(ctx: Any) -> str:
    text = ctx.prompt_text()
    lines = [f"Context for {ctx.path}:" + ("" if text else " (none)")]
    lines += [f"  {line}" for line in (text or "").splitlines()]
    if ctx.note:
        lines.append(f"  note: {ctx.note}")
    return "\n".join(lines)


class _Writer:
    def __init__(self, stream: TextIO, fmt: str, task: str) -> None:
        self.stream = stream
        self.fmt = fmt
        self.task = task
        self._csv: Any = None
        if fmt == "csv":
            self._csv = csv.writer(stream)
            self._csv.writerow(["path", "task", "text", "score", "error_code", "error_message"])

    def write(self, r: CaptionResult, context: str | None) -> None:
        if self.fmt == "json":
            row = {**r.to_dict(), "task": self.task, "text": r.caption, "context": context}
            self.stream.write(json.dumps(row, ensure_ascii=False) + "\n")
        elif self.fmt == "csv":
            self._csv.writerow([
                str(r.path) if r.path else "", self.task, r.caption or "",
                f"{r.score:.4f}" if r.score is not None else "",
                r.error.code if r.error else "", r.error.message if r.error else "",
            ])
        elif r.error:
            self.stream.write(f"{r.path}\tERROR {r.error.code}: {r.error.message}\n")
        else:
            self.stream.write(f"{r.path}\t{r.caption} ({r.score:.2f})\n")
        self.stream.flush()
