# SPDX-License-Identifier: GPL-3.0-or-later
"""`altlens apply`: write the approved text of every approved image in the library into the
photos, headless, so caption -> export CSV -> edit -> import -> apply needs no window.

Each image is its own write (verified, atomic, journaled, undoable with `altlens undo`); a
failure is reported and the run goes on. A written image is marked through the library's
own `record_write`, the same call the desktop's writer makes, so the review state has one
owner; the library links the write's entry in the metadata journal, which alone records what
the write changed."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from altlens.core.commands.library import _add_library_option, _open
from altlens.core.errors import AltLensError

PROGRESS_THRESHOLD = 5  # more images than this get a progress bar on stderr


def register(sub: Any) -> None:
    a = sub.add_parser(
        "apply",
        help="write the approved text of the library's approved images into the photos",
        description="Write every approved image's text into the photo (or its sidecar), "
        "verified and undoable, and mark it written in the library. Failures are reported "
        "per image and the others go on; the exit status is 1 if any image failed.",
    )
    a.add_argument("--image", action="append", metavar="PATH",
                   help="only this image (repeatable)")
    a.add_argument("--dry-run", action="store_true",
                   help="show what each write would change; change nothing")
    a.add_argument("--json", action="store_true",
                   help="one JSON object per image on stdout (the journal id of each write)")
    a.add_argument("--profile", choices=["standard", "windows"], default="standard",
                   help="field set: standard, or windows (adds XPTitle/XPComment)")
    a.add_argument("--overwrite", action="store_true",
                   help="replace text in the files that AltLens did not write")
    a.add_argument("--backup", action="store_true",
                   help="keep a copy of each original in AltLens's data folder")
    a.add_argument("-q", "--quiet", action="store_true",
                   help="no progress bar or summary on stderr")
    _add_library_option(a)
    a.set_defaults(func=run_apply)


def _request(record: Any, args: argparse.Namespace) -> Any:
    from altlens.core.metadata import FileIdentity, WriteRequest

    suggested = {c.text for c in record.candidates}
    expected = None
    if record.size is not None and record.sha256:
        # the file must still be the one that was reviewed (content compared, not stat)
        expected = FileIdentity(record.size, record.mtime_ns or 0, 0, 0, record.sha256)
    return WriteRequest(
        record.path,
        alt_text=record.alt_text,
        long_description=record.long_description or None,
        profile=args.profile,
        overwrite=args.overwrite,
        model=record.model,
        reviewed=True,
        edited=record.alt_text not in suggested,
        backup=args.backup,
        expected_identity=expected,
    )


def _outcome(path: Path, status: str, **extra: Any) -> dict[str, Any]:
    return {"path": str(path), "status": status, "changes": [], "warnings": [],
            "journal_id": None, "error": None} | extra


def _apply_one(writer: Any, library: Any, record: Any, args: argparse.Namespace
               ) -> dict[str, Any]:
    if record.decorative or not (record.alt_text or "").strip():
        return _outcome(record.path, "skipped",
                        reason="marked decorative: there is no text to write")
    try:
        request = _request(record, args)
        if args.dry_run:
            plan = writer.preview(request)
            return _outcome(record.path, "would-write" if plan.changes else "unchanged",
                            changes=[c.to_dict() for c in plan.changes],
                            warnings=list(plan.warnings))
        result = writer.write(request)
        ident = result.identity_after
        if ident is not None:
            library.record_write(record.path, journal_id=result.journal_id,
                                 size=ident.size, mtime_ns=ident.mtime_ns,
                                 sha256=ident.sha256, inode=ident.inode,
                                 text=request.alt_text,
                                 long_description=request.long_description)
    except AltLensError as exc:
        if getattr(exc, "code", "") == "exiftool-missing":
            raise  # no image can be written: stop with the install hint
        return _outcome(record.path, "failed", error=exc.to_dict())
    except ValueError as exc:  # text the file formats cannot carry (control characters)
        return _outcome(record.path, "failed",
                        error={"code": "invalid-text", "message": str(exc)})
    return _outcome(record.path, "written" if result.changes else "unchanged",
                    changes=[c.to_dict() for c in result.changes],
                    warnings=list(result.warnings), journal_id=result.journal_id,
                    targets=[str(t) for t in result.targets])


def _print_line(out: dict[str, Any]) -> None:
    if out["status"] == "failed":
        print(f"{out['path']}\tFAILED {out['error']['code']}: {out['error']['message']}")
        return
    detail = out.get("reason") or ", ".join(c["field"] for c in out["changes"]) or "-"
    print(f"{out['path']}\t{out['status']}\t{detail}")
    for w in out["warnings"]:
        print(f"\tnote: {w}")


def run_apply(args: argparse.Namespace) -> int:
    from altlens.core.metadata import MetadataWriter
    from altlens.core.progress import ProgressBar

    library = _open(args, create=False)
    try:
        records = library.images(status="approved", paths=args.image, include_missing=False)
        bar = (ProgressBar(len(records), label="Writing")
               if len(records) > PROGRESS_THRESHOLD and not args.quiet else None)
        counts: dict[str, int] = {}
        with MetadataWriter() as writer:
            for n, record in enumerate(records, 1):
                out = _apply_one(writer, library, record, args)
                counts[out["status"]] = counts.get(out["status"], 0) + 1
                if args.json:
                    print(json.dumps(out, ensure_ascii=False), flush=True)
                else:
                    _print_line(out)
                if bar is not None:
                    bar.update(n, counts.get("failed", 0))
        if bar is not None:
            bar.close()
    finally:
        library.close()
    if not args.quiet:
        summary = ", ".join(f"{v} {k}" for k, v in sorted(counts.items())) or "nothing approved"
        prefix = "apply (dry run)" if args.dry_run else "apply"
        print(f"altlens: {prefix}: {summary}.", file=sys.stderr)
    return 1 if counts.get("failed") else 0
