# SPDX-License-Identifier: GPL-3.0-or-later
"""`altlens models`: list, download, import, remove and verify captioning models.

Downloads need the internet once; everything else, and captioning afterwards, works offline.
Progress goes to stderr; results (the list, JSON) to stdout.
"""

from __future__ import annotations

import argparse
import importlib
import json
import sys
from typing import Any

# Modules adding more `altlens models` subcommands; each has `register(models_subparsers)`.
EXTRA_SUBCOMMAND_MODULES: list[str] = ["altlens.core.commands.models_onnx"]


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "models",
        help="list, download, import, remove and verify captioning models",
        description=(
            "Manage the captioning models on this computer. Downloaded models live in the "
            "Hugging Face cache (shared with other tools; HF_HUB_CACHE moves it); imported "
            "folders are copied into AltLens's data folder. After a download AltLens works offline."
        ),
    )
    msub = p.add_subparsers(dest="models_command", metavar="ACTION")
    p.set_defaults(func=lambda args: _help(p))

    ls = msub.add_parser("list", help="models on this computer and those AltLens can download")
    ls.add_argument(
        "--json", action="store_true", help="a JSON array: name, path, size, revision, default, ..."
    )
    ls.set_defaults(func=run_list)

    dl = msub.add_parser(
        "download",
        help="download a model (needs the internet once)",
        description=(
            "Download a model by name (see `altlens models list`) or any compatible Hugging Face "
            "repo id (owner/name). Interrupted downloads resume when run again."
        ),
    )
    dl.add_argument(
        "name",
        metavar="NAME",
        help="a name from `altlens models list` or a Hugging Face id owner/name",
    )
    dl.add_argument(
        "--revision",
        metavar="REV",
        help="branch, tag or commit (default: the pinned commit for known models, else main)",
    )
    dl.add_argument(
        "--name",
        dest="as_name",
        metavar="SHORT",
        help="a short name to use with --model (repo ids AltLens does not know)",
    )
    dl.add_argument("-q", "--quiet", action="store_true", help="no progress bar")
    dl.add_argument("--json", action="store_true",
                    help="print the downloaded model as a JSON object (the fields of `models list --json`)")
    dl.set_defaults(func=run_download)

    im = msub.add_parser(
        "import",
        help="import a model folder copied from another computer",
        description=(
            "Check that a folder holds a complete captioning model (config, weights, image "
            "preprocessor, tokenizer), then copy it into AltLens's models folder."
        ),
    )
    im.add_argument("folder", metavar="DIR", help="the model folder")
    im.add_argument(
        "--name", metavar="NAME", help="name to use with --model (default: the folder's name)"
    )
    im.add_argument("-q", "--quiet", action="store_true", help="no progress bar")
    im.add_argument("--json", action="store_true",
                    help="print the imported model as a JSON object (the fields of `models list --json`, "
                    "with notes and skipped files)")
    im.set_defaults(func=run_import)

    rm = msub.add_parser("remove", help="delete a model's files from this computer")
    rm.add_argument("name", metavar="NAME")
    rm.add_argument("--json", action="store_true", help="print the removed model as a JSON object, with \"removed\": true")
    rm.set_defaults(func=run_remove)

    vf = msub.add_parser(
        "verify",
        help="check a model's files against their recorded hashes",
        description="Hash every file and compare with the hub's recorded hashes (or those "
        "recorded at import). Exits 1 when a file is missing or damaged.",
    )
    vf.add_argument("name", metavar="NAME")
    vf.add_argument("--json", action="store_true", help="the report as JSON")
    vf.add_argument("-q", "--quiet", action="store_true", help="no progress bar")
    vf.set_defaults(func=run_verify)

    for module in EXTRA_SUBCOMMAND_MODULES:
        importlib.import_module(module).register(msub)


def _help(p: argparse.ArgumentParser) -> int:
    p.print_help(sys.stderr)
    return 2


def _store() -> Any:
    from altlens.core.captioning.store import ModelStore

    return ModelStore()


def run_list(args: argparse.Namespace) -> int:
    records = _store().list()
    if args.json:
        print(json.dumps([r.to_dict() for r in records], indent=2, ensure_ascii=False))
        return 0
    from altlens.core.progress import format_bytes

    rows = []
    for r in records:
        size = "" if r.size_bytes is None else format_bytes(r.size_bytes)
        if not r.downloaded and size:
            size = "~" + size
        status = {
            "hub-cache": "downloaded",
            "imported": "imported",
            "not-downloaded": "not downloaded",
        }[r.source]
        rows.append(
            (
                "*" if r.default else " ",
                r.name,
                size,
                status,
                (r.revision or "")[:7],
                r.family or "",
                str(r.path or ""),
            )
        )
    header = (" ", "NAME", "SIZE", "STATUS", "REVISION", "FAMILY", "PATH")
    widths = [max(len(row[i]) for row in [header, *rows]) for i in range(len(header) - 1)]
    for row in [header, *rows]:
        print("  ".join(c.ljust(w) for c, w in zip(row[:-1], widths, strict=True)) + "  " + row[-1])
    print(
        "\n* = default. Download with `altlens models download NAME`; use with `--model NAME`.",
        file=sys.stderr,
    )
    return 0


def run_download(args: argparse.Namespace) -> int:
    from altlens.core.captioning.download import DownloadProgress
    from altlens.core.errors import CancelledError
    from altlens.core.jobs import CancelToken
    from altlens.core.progress import TransferBar, format_bytes

    store = _store()
    bar = None if args.quiet else TransferBar("Downloading")

    def on_progress(p: DownloadProgress) -> None:
        if bar is not None and p.bytes_total:
            detail = f"{p.file} ({p.files_done}/{p.files_total} files)" if p.file else ""
            if p.phase == "verifying":
                detail = f"checking {p.file}"
            bar.update(
                p.bytes_done,
                p.bytes_total,
                speed=p.bytes_per_second or None,
                eta=p.eta_seconds,
                detail=detail,
                final=p.phase == "done",
            )

    cancel = CancelToken()
    try:
        record = store.download(
            args.name,
            revision=args.revision,
            as_name=args.as_name,
            progress=on_progress,
            cancel=cancel,
        )
    except (KeyboardInterrupt, CancelledError):
        if bar is not None:
            bar.close()
        print(
            f"altlens: download interrupted; run `altlens models download {args.name}` again to "
            "resume.",
            file=sys.stderr,
        )
        return 130
    finally:
        if bar is not None:
            bar.close()
    if args.json:
        print(json.dumps(record.to_dict(), indent=2, ensure_ascii=False))
        return 0
    size = format_bytes(record.size_bytes or 0)
    print(
        f"{record.name} is ready ({size}, revision {(record.revision or '')[:12]}): {record.path}"
    )
    if not record.default:
        print(f"Use it with `--model {record.name}`.", file=sys.stderr)
    return 0


def run_import(args: argparse.Namespace) -> int:
    from pathlib import Path

    from altlens.core.progress import TransferBar, format_bytes

    store = _store()
    check = store.check(Path(args.folder))
    for note in check.notes:
        print(f"note: {note}", file=sys.stderr)
    bar = None if args.quiet else TransferBar("Copying")
    try:
        record = store.import_folder(Path(args.folder), name=args.name, progress=_file_progress(bar))
    finally:
        if bar is not None:
            bar.close()
    if args.json:
        out = {**record.to_dict(), "notes": list(check.notes), "skipped": list(check.skipped)}
        print(json.dumps(out, indent=2, ensure_ascii=False))
        return 0
    if check.skipped:
        print(f"Not copied (not needed): {', '.join(check.skipped)}", file=sys.stderr)
    print(f"Imported {record.name} ({format_bytes(record.size_bytes or 0)}): {record.path}")
    print(f"Use it with `--model {record.name}`.", file=sys.stderr)
    return 0


def _file_progress(bar: Any) -> Any:
    """A store progress callback (file by file) drawing on `bar`, or None without a bar."""
    if bar is None:
        return None
    return lambda p: bar.update(p.bytes_done, p.bytes_total, detail=p.file or "", final=p.file is None)


def run_remove(args: argparse.Namespace) -> int:
    from altlens.core.progress import format_bytes

    record = _store().remove(args.name)
    if args.json:
        print(json.dumps({**record.to_dict(), "removed": True}, indent=2, ensure_ascii=False))
        return 0
    where = "the Hugging Face cache" if record.source == "hub-cache" else "AltLens's models folder"
    print(f"Removed {record.name} ({format_bytes(record.size_bytes or 0)}) from {where}.")
    if record.default:
        print(
            "That was the default model: download or import it again before captioning.",
            file=sys.stderr,
        )
    return 0


def run_verify(args: argparse.Namespace) -> int:
    from altlens.core.progress import TransferBar

    bar = None if (args.quiet or args.json) else TransferBar("Verifying")
    try:
        report = _store().verify(args.name, progress=_file_progress(bar))
    finally:
        if bar is not None:
            bar.close()
    if args.json:
        print(json.dumps(report.to_dict(), indent=2, ensure_ascii=False))
        return 0 if report.ok else 1
    for f in report.files:
        if f.status in ("missing", "mismatch"):
            detail = (
                f" (expected {f.kind} {f.expected}, found {f.actual})"
                if f.status == "mismatch"
                else ""
            )
            print(f"{f.status.upper()}: {f.name}: {f.message}{detail}")
        elif f.status in ("unverifiable", "unexpected"):
            print(f"not checked: {f.name}: {f.message}", file=sys.stderr)
    if report.ok:
        print(
            f"{report.model.name}: all {report.verified} files match the hashes from "
            f"{report.hashes_from}."
        )
        return 0
    if not report.problems:
        print(
            f"{report.model.name}: no file could be checked: there are no recorded hashes "
            f"({report.hashes_from})."
        )
        return 1
    n = len(report.problems)
    print(
        f"{report.model.name}: {n} file{'s' if n != 1 else ''} missing or damaged. "
        f"Remove the model and download or import it again."
    )
    return 1
