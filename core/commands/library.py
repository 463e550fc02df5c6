# SPDX-License-Identifier: GPL-3.0-or-later
"""`altlens watch`, `status`, `export` and `import`: the photo library from the command line.

The library is `--library PATH`, else the one in AltLens's data folder (ALTLENS_HOME)."""

from __future__ import annotations

import argparse
import json
import os
import signal
import sys
import threading
from pathlib import Path
from typing import Any

from altlens.core.commands.caption import add_model_options, captioner_from_args
from altlens.core.errors import UsageError
from altlens.core.fsutil import atomic_open


def _add_library_option(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--library",
        metavar="PATH",
        type=Path,
        help="library database file (default: library.sqlite3 in AltLens's data folder)",
    )


def _open(args: argparse.Namespace, *, create: bool) -> Any:
    from altlens.core.library import DB_NAME, Library
    from altlens.core.paths import app_dirs

    path = args.library if args.library is not None else app_dirs().data / DB_NAME
    if not create and not Path(path).exists():
        raise UsageError(
            "There is no library here yet.",
            path=path,
            hint="Run `altlens watch FOLDER` first, or pass the right --library.",
        )
    return Library(path)


def register(sub: argparse._SubParsersAction) -> None:
    w = sub.add_parser(
        "watch",
        help="watch folders and suggest captions for new photos (headless)",
        description=(
            "Watch folders and caption every new or changed image into the library until "
            "stopped (Ctrl+C or SIGTERM). Images that changed while AltLens was not running are "
            "found by a scan at start. Nothing is written into the photos."
        ),
    )
    w.add_argument(
        "folders",
        nargs="*",
        metavar="FOLDER",
        help="folders to watch (default: the library's watched folders that are not paused)",
    )
    w.add_argument("-r", "--recursive", action="store_true", help="watch subfolders too")
    w.add_argument(
        "--poll",
        action="store_true",
        help="poll for changes (network drives, where change events do not arrive)",
    )
    w.add_argument(
        "--poll-interval",
        type=float,
        default=2.0,
        metavar="S",
        help="seconds between polls (default: 2)",
    )
    w.add_argument(
        "--debounce",
        type=float,
        default=1.0,
        metavar="S",
        help="quiet seconds before a new file counts as complete (default: 1)",
    )
    w.add_argument(
        "--once",
        action="store_true",
        help="scan, caption everything queued, then exit (no watching)",
    )
    w.add_argument("--json", action="store_true", help="print one JSON object per captioned image")
    w.add_argument("-q", "--quiet", action="store_true", help="print nothing per image")
    _add_library_option(w)
    add_model_options(w)
    w.set_defaults(func=run_watch)

    s = sub.add_parser(
        "status",
        help="how many images are in each state",
        description="Counts of images per review state, the queue and the watched folders.",
    )
    s.add_argument("--json", action="store_true", help="print a JSON object")
    _add_library_option(s)
    s.set_defaults(func=run_status)

    e = sub.add_parser(
        "export",
        help="export captions to CSV or JSON",
        description="Export the library's images with their suggestions and approved text. Edit the `caption` column of the CSV and bring it back with `altlens import`.",
    )
    fmt = e.add_mutually_exclusive_group(required=True)
    fmt.add_argument("--csv", action="store_true", help="CSV with a header row (UTF-8)")
    fmt.add_argument("--json", action="store_true", help="a JSON array, one object per image")
    e.add_argument(
        "--status",
        action="append",
        metavar="S",
        help="only images in this state (repeatable; also 'missing')",
    )
    e.add_argument("--image", action="append", metavar="PATH", help="only this image (repeatable)")
    e.add_argument(
        "file", nargs="?", type=Path, metavar="FILE", help="write here instead of standard output"
    )
    _add_library_option(e)
    e.set_defaults(func=run_export)

    i = sub.add_parser(
        "import",
        help="apply captions edited in a CSV, or bring in `altlens batch` results",
        description=(
            "Apply captions from a CSV (as made by `altlens export --csv`). Edited captions, and "
            "rows whose status says approved, become approved text; unedited rows change "
            "nothing. Images already approved or written are not changed unless --overwrite. "
            "Given the output folder of `altlens batch` (or one of its .parquet/.jsonl parts), "
            "its captions become suggestions waiting for review, matched by path and content; "
            "a file changed since it was captioned is left alone."
        ),
    )
    i.add_argument("file", type=Path, metavar="FILE.csv|BATCH_DIR")
    i.add_argument(
        "--overwrite",
        action="store_true",
        help="also replace approved or written captions that differ",
    )
    i.add_argument(
        "--dry-run", action="store_true", help="report what would change, change nothing"
    )
    _add_library_option(i)
    i.set_defaults(func=run_import)


# --- watch -------------------------------------------------------------------------------------


def run_watch(args: argparse.Namespace) -> int:
    from altlens.core.service import WatchService

    for f in args.folders:
        if not os.path.isdir(f):
            raise UsageError("This is not a folder (or it does not exist).", path=f)
    captioner = captioner_from_args(args)  # validates options before anything starts
    library = _open(args, create=True)
    # Folder -> recursive. Without FOLDER arguments, resume the library's own folders.
    folders: dict[str, bool] = {f: args.recursive for f in args.folders}
    if not folders:
        folders = {str(f.path): f.recursive for f in library.folders() if not f.paused}
        if not folders:
            library.close()
            raise UsageError(
                "No folders to watch: name one or more (this library watches none yet)."
            )
    lock = threading.Lock()

    def show(job: Any, result: Any, recorded: bool) -> None:
        if args.quiet or not recorded:
            return
        with lock:
            if args.json:
                line = json.dumps(result.to_dict(), ensure_ascii=False)
            elif result.ok:
                line = f"{job.path}\t{result.caption} ({result.score:.2f})"
            else:
                line = f"{job.path}\tERROR {result.error.code}: {result.error.message}"
            print(line, flush=True)

    stop = threading.Event()
    svc = WatchService(
        library,
        captioner,
        debounce=args.debounce,
        poll=args.poll,
        poll_interval=args.poll_interval,
        on_result=show,
    )
    previous = {
        sig: signal.signal(sig, lambda *_: stop.set()) for sig in (signal.SIGINT, signal.SIGTERM)
    }
    try:
        for f, recursive in folders.items():
            svc.add_folder(f, recursive=recursive)
        if args.once:
            svc.start(watch=False)
            while not stop.is_set() and not svc.wait_idle(0.5, settle=0.2):
                pass
        else:
            svc.start()
            if not args.quiet:
                print(
                    f"altlens: watching {len(folders)} folder(s); Ctrl+C to stop.",
                    file=sys.stderr,
                    flush=True,
                )
            while not stop.wait(0.5):
                pass
    finally:
        svc.stop()
        for sig, handler in previous.items():
            signal.signal(sig, handler)
        counts = library.counts()
        library.close()
    if not args.quiet:
        st = svc.stats
        print(
            f"altlens: captioned {st.captions_ok} image(s), {st.captions_failed} failed; "
            f"library: {_counts_line(counts)}.",
            file=sys.stderr,
        )
    return 0


# --- status ------------------------------------------------------------------------------------


def _counts_line(counts: dict[str, int]) -> str:
    from altlens.core.library import STATUSES

    parts = [f"{counts[s]} {s}" for s in (*STATUSES, "missing") if counts.get(s)]
    return ", ".join(parts) if parts else "empty"


def run_status(args: argparse.Namespace) -> int:
    from altlens.core.library import DB_NAME, STATUSES
    from altlens.core.paths import app_dirs

    if args.library is None and not (app_dirs().data / DB_NAME).exists():
        # Nothing captioned on this computer yet: an answer, not an error.
        if args.json:
            out: dict[str, Any] = {s: 0 for s in (*STATUSES, "missing")}
            out.update(total=0, in_flight=0, queue=0, library=None, folders=[])
            print(json.dumps(out, ensure_ascii=False, indent=1))
        else:
            print("No images yet. Caption a folder into the library with `altlens watch FOLDER` (or open the window).")
        return 0
    library = _open(args, create=False)
    try:
        counts = library.counts()
        queued = library.queue_length()
        folders = library.folders()
        if args.json:
            out = dict(counts)
            out["queue"] = queued
            out["library"] = str(library.path)
            out["folders"] = [
                {"path": str(f.path), "recursive": f.recursive, "paused": f.paused, "poll": f.poll}
                for f in folders
            ]
            print(json.dumps(out, ensure_ascii=False, indent=1))
            return 0
        print(f"Library: {library.path}")
        width = max(len(s) for s in (*STATUSES, "missing"))
        for s in (*STATUSES, "missing"):
            print(f"  {s:<{width}}  {counts[s]:>7}")
        print(f"  {'total':<{width}}  {counts['total']:>7}")
        print(
            f"Queue: {queued} image(s) waiting for a suggestion ({counts['in_flight']} in progress)"
        )
        if folders:
            print("Watched folders:")
            for f in folders:
                opts = [
                    o
                    for o, on in (
                        ("recursive", f.recursive),
                        ("paused", f.paused),
                        ("polling", f.poll),
                    )
                    if on
                ]
                print(f"  {f.path}" + (f" ({', '.join(opts)})" if opts else ""))
    finally:
        library.close()
    return 0


# --- export / import ---------------------------------------------------------------------------


def run_export(args: argparse.Namespace) -> int:
    library = _open(args, create=False)
    statuses = [s.strip() for v in (args.status or []) for s in v.split(",") if s.strip()] or None
    filters: dict[str, Any] = {"status": statuses, "paths": args.image}
    try:
        if args.file is None:
            n = (library.export_json if args.json else library.export_csv)(sys.stdout, **filters)
        else:
            # BOM in CSV files so spreadsheet programs read them as UTF-8.
            with atomic_open(args.file, "w", encoding="utf-8-sig" if args.csv else "utf-8",
                             newline="") as fh:
                n = (library.export_json if args.json else library.export_csv)(fh, **filters)
            print(f"altlens: exported {n} image(s) to {args.file}", file=sys.stderr)
    finally:
        library.close()
    return 0


def _is_batch_output(path: Path) -> bool:
    return path.is_dir() or path.suffix.lower() in (".parquet", ".jsonl")


def run_import(args: argparse.Namespace) -> int:
    if _is_batch_output(args.file):
        return _run_batch_import(args)
    library = _open(args, create=False)
    try:
        if args.dry_run:
            report = _dry_run(library, lambda: library.import_csv(args.file, overwrite=args.overwrite))
        else:
            report = library.import_csv(args.file, overwrite=args.overwrite)
    finally:
        library.close()
    for line, path in report.unmatched:
        print(f"altlens: line {line}: no image in the library at {path}", file=sys.stderr)
    for line, path, current, new in report.conflicts:
        print(
            f"altlens: line {line}: {path} already has approved text {current!r}; not replaced by "
            f"{new!r} (use --overwrite)",
            file=sys.stderr,
        )
    for line, why in report.invalid:
        print(f"altlens: line {line}: {why}", file=sys.stderr)
    prefix = "would apply" if args.dry_run else "import"
    print(f"altlens: {prefix}: {report.summary()}.", file=sys.stderr)
    return 0 if not (report.unmatched or report.conflicts or report.invalid) else 1


def _run_batch_import(args: argparse.Namespace) -> int:
    from altlens.core.batch_results import import_into_library

    # A batch usually comes before any library exists: its import creates one.
    library = _open(args, create=True)
    try:
        if args.dry_run:
            report = _dry_run(library, lambda: import_into_library(library, args.file))
        else:
            report = import_into_library(library, args.file)
    finally:
        library.close()
    for path in report.changed:
        print(f"altlens: {path} changed since it was captioned; not imported (caption it again)", file=sys.stderr)
    for path in report.unmatched:
        print(f"altlens: {path}: no such image here (moved, deleted, or never readable)", file=sys.stderr)
    prefix = "would apply" if args.dry_run else "import"
    print(f"altlens: {prefix}: {report.summary()}.", file=sys.stderr)
    return 0 if report.applied or report.unchanged or not report.rows else 1


def _dry_run(library: Any, do_import: Any) -> Any:
    """Run the import inside a transaction that is rolled back."""

    class _Rollback(Exception):
        pass

    result: list[Any] = []
    try:
        with library._write():
            result.append(do_import())
            raise _Rollback
    except _Rollback:
        pass
    return result[0]
