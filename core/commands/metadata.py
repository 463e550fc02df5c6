# SPDX-License-Identifier: GPL-3.0-or-later
"""`altlens read`, `altlens write` and `altlens undo`: the metadata writer from the command
line. With ALTLENS_HOME set, the write journal (and backups) live there."""

from __future__ import annotations

import argparse
import json
import logging
import sys
from pathlib import Path
from typing import Any

from altlens.core.errors import AltLensError, UsageError

log = logging.getLogger(__name__)

_ROLE_LABELS = (
    ("alt_text", "alt text"),
    ("description", "caption"),
    ("long_description", "long description"),
    ("title", "title"),
)


def register(sub: Any) -> None:
    p = sub.add_parser(
        "read",
        help="show the alt text and captions stored in photos",
        description="Show the alt text, caption, long description and title stored in each "
        "photo (EXIF, XMP, IPTC, Windows tags and XMP sidecars), with the field each came from.",
    )
    p.add_argument("files", nargs="+", type=Path, metavar="FILE")
    p.add_argument("--json", action="store_true", help="print JSON")
    p.set_defaults(func=run_read)

    w = sub.add_parser(
        "write",
        help="write alt text (and a caption) into a photo",
        description="Write approved alt text into a photo, safely: a verified copy replaces the "
        "file, and the write can be undone with `altlens undo`. Text a person wrote is kept "
        "unless --overwrite is given.",
    )
    w.add_argument("file", type=Path, metavar="FILE")
    w.add_argument("--alt-text", required=True, metavar="TEXT", help="the alt text")
    w.add_argument("--description", metavar="TEXT",
                   help="the caption (default: the alt text)")
    w.add_argument("--long-description", metavar="TEXT", help="an extended description")
    w.add_argument("--title", metavar="TEXT", help="a title")
    w.add_argument("--profile", choices=["standard", "windows"], default="standard",
                   help="field set: standard, or windows (adds XPTitle/XPComment)")
    w.add_argument("--overwrite", action="store_true",
                   help="replace text that AltLens did not write")
    w.add_argument("--dry-run", action="store_true",
                   help="only show what would change (field, old, new)")
    w.add_argument("--model", metavar="ID",
                   help="record that the text was suggested by this model")
    w.add_argument("--edited", action="store_true",
                   help="record that a person edited the suggestion")
    w.add_argument("--touch", action="store_true",
                   help="update the file's modification time (default: keep it)")
    w.add_argument("--backup", action="store_true",
                   help="keep a copy of the original in AltLens's data folder")
    w.add_argument("--sidecar-style", choices=["append", "replace"], default="append",
                   help="name of a new XMP sidecar for RAW/BMP/GIF: photo.cr2.xmp (append, "
                   "default) or photo.xmp (replace)")
    w.add_argument("--json", action="store_true", help="print JSON")
    w.set_defaults(func=run_write)

    u = sub.add_parser(
        "undo",
        help="undo AltLens's last write to a photo",
        description="Restore the values a photo had before AltLens's most recent write to it; "
        "refused if the file was changed since.",
    )
    u.add_argument("file", type=Path, metavar="FILE")
    u.add_argument("--json", action="store_true", help="print JSON")
    u.add_argument("--library", metavar="PATH", type=Path,
                   help="library to mark the image undone in (default: AltLens's library, if it has the image)")
    u.set_defaults(func=run_undo)


def _indent(text: str) -> str:
    return text.replace("\n", "\n" + " " * 20)


def _print_snapshot(snap: Any) -> None:
    print(f"{snap.path} ({snap.format.label}, {snap.format.strategy})")
    for role, label in _ROLE_LABELS:
        value = getattr(snap, role)
        if value is None:
            print(f"  {label + ':':17} -")
        else:
            where = value.field
            if value.source != snap.path:
                where += f" in {value.source.name}"
            print(f"  {label + ':':17} {_indent(value.value)}  [{where}]")
    prov = snap.provenance
    if prov is not None:
        origin = f"suggested by {prov.model}" if prov.machine_suggested else "written by a person"
        flags = ", ".join(
            f for f, on in (("reviewed", prov.reviewed), ("edited", prov.edited)) if on)
        print(f"  {'AltLens:':17} {origin}" + (f", {flags}" if flags else "")
              + (f", {prov.written_at}" if prov.written_at else ""))
    for warning in snap.warnings:
        print(f"  note: {warning}")


def run_read(args: argparse.Namespace) -> int:
    from altlens.core.metadata import MetadataWriter

    status = 0
    out: list[dict[str, Any]] = []
    with MetadataWriter() as writer:
        for path in args.files:
            try:
                snap = writer.read(path)
            except AltLensError as exc:
                if getattr(exc, "code", "") == "exiftool-missing":
                    raise
                status = 1
                if args.json:
                    out.append({"path": str(path), "error": exc.to_dict()})
                else:
                    print(f"altlens: {exc}", file=sys.stderr)
                continue
            if args.json:
                out.append(snap.to_dict())
            else:
                _print_snapshot(snap)
    if args.json:
        json.dump(out, sys.stdout, ensure_ascii=False, indent=2)
        print()
    return status


def _print_changes(changes: Any, skipped: Any, warnings: Any, *, dry_run: bool) -> None:
    verb = "would change" if dry_run else "changed"
    if not changes:
        print("nothing to change")
    for c in changes:
        old = "-" if c.old is None else repr(c.old)
        new = "-" if c.new is None else repr(c.new)
        print(f"{verb} {c.field} in {c.target.name}: {old} -> {new}")
    for s in skipped:
        print(f"kept {s.field or s.role}: {s.reason}")
    for w in warnings:
        print(f"note: {w}")


def run_write(args: argparse.Namespace) -> int:
    from altlens.core.metadata import MetadataWriter, WriteRequest

    try:
        request = WriteRequest(
            path=args.file,
            alt_text=args.alt_text,
            description=args.description,
            long_description=args.long_description,
            title=args.title,
            profile=args.profile,
            overwrite=args.overwrite,
            model=args.model,
            reviewed=True,  # a person typed or approved it on the command line
            edited=args.edited,
            keep_mtime=not args.touch,
            backup=args.backup,
            sidecar_style=args.sidecar_style,
        )
    except ValueError as exc:
        raise UsageError(str(exc)) from exc
    with MetadataWriter() as writer:
        if args.dry_run:
            plan = writer.preview(request)
            if args.json:
                print(json.dumps(plan.to_dict(), ensure_ascii=False, indent=2))
            else:
                _print_changes(plan.changes, plan.skipped, plan.warnings, dry_run=True)
            return 0
        result = writer.write(request)
    if args.json:
        print(json.dumps(result.to_dict(), ensure_ascii=False, indent=2))
    else:
        _print_changes(result.changes, result.skipped, result.warnings, dry_run=False)
    return 0


def run_undo(args: argparse.Namespace) -> int:
    from altlens.core.metadata import MetadataWriter

    with MetadataWriter() as writer:
        result = writer.undo(args.file)
        _record_undo_in_library(args, Path(args.file), writer, result.journal_id)
    if args.json:
        print(json.dumps(result.to_dict(), ensure_ascii=False, indent=2))
    else:
        _print_changes(result.changes, (), result.warnings, dry_run=False)
    return 0


def _record_undo_in_library(
    args: argparse.Namespace, path: Path, writer: Any, journal_id: int | None
) -> None:
    """The file is restored; tell the library (if it knows the image) so review shows it as
    undone, as the window does. A library problem never turns a done undo into a failure."""
    from altlens.core.library import DB_NAME, Library
    from altlens.core.paths import app_dirs

    db = getattr(args, "library", None) or app_dirs().data / DB_NAME
    if not Path(db).exists():
        return
    try:
        library = Library(db)
    except Exception as exc:
        log.warning("the library at %s could not be opened to record the undo: %s", db, exc)
        return
    try:
        if library.get(path) is not None:
            library.record_undo(
                path, disk_caption=writer.read(path).caption, journal_id=journal_id
            )
    except Exception as exc:
        log.warning("recording the undo of %s in the library failed: %s", path, exc)
    finally:
        library.close()
