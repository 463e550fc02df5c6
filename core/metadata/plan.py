# SPDX-License-Identifier: GPL-3.0-or-later
"""Step 2: what a write would change. Per role, fill empty fields, camera junk and text
AltLens wrote earlier (by its provenance digests); keep a person's text unless `overwrite`;
which fields each file gets comes from its format family (formats.py) and its own state
(damaged EXIF, IIM present or not). Also the undo plan, from a journal entry."""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from altlens.core import __version__
from altlens.core.metadata import fields as F
from altlens.core.metadata import files
from altlens.core.metadata.diff import CREATED_BLOCK, SIDE_EFFECT, Restore, restore_of
from altlens.core.metadata.exiftool import ExifTool
from altlens.core.metadata.formats import family_of
from altlens.core.metadata.inspect import (
    UTF8_ESCAPE,
    _by_altlens,
    _Inspection,
    _provenance_values,
    _str_or_none,
    _Subject,
)
from altlens.core.metadata.types import (
    ROLES,
    FieldChange,
    JournalEntry,
    SkippedField,
    WritePlan,
    WriteRequest,
)

log = logging.getLogger(__name__)

PROVENANCE_FIELD = "XMP-altlens:*"  # journal pseudo-field holding the provenance record
IIM_CHARSET_FIELD = "IPTC:CodedCharacterSet"


@dataclass
class _TargetOp:
    """What to do to one file: set/delete fields and the provenance record."""

    path: Path
    inspection: _Inspection | None  # None: the file is created
    embedded: bool
    values: dict[str, str | None]  # field name -> new exact text (None: delete)
    provenance: dict[str, Any] | None  # provenance tag -> value (None value: delete)
    changes: list[FieldChange]
    old_provenance: dict[str, Any] | None = None
    delete_file: bool = False  # undo of a sidecar AltLens created
    iim_convert: bool = False  # legacy IIM values need converting to UTF-8 (-m step)
    iim_declare_utf8: bool = False  # set CodedCharacterSet=UTF8 (values already fit)
    iim_baseline_utf8: bool = False  # legacy values are UTF-8 bytes without the marker
    specs: tuple[F.FieldSpec, ...] = ()  # the fields this file gets, per profile and container
    # undo: what the write did besides the fields (tags and blocks it created or changed)
    restores: list[Restore] = field(default_factory=list)
    # write: digest of every tag before (undo proves it got back there); undo: the target
    tags_before: str | None = None
    undo_copy: Path | None = None  # write: the original's bytes, when tags cannot undo it
    restore_copy: Path | None = None  # undo: bring back these bytes instead
    restore_sha256: str | None = None  # ... which must hash to this
    expect_tags: str | None = None  # undo: the tags digest the result must have


class Planner:
    """Plans writes (same thread, same ExifTool: legacy IIM text is checked with it)."""

    def __init__(self, et: ExifTool) -> None:
        self._et = et

    def _plan(self, request: WriteRequest, subject: _Subject
              ) -> tuple[list[_TargetOp], list[SkippedField], list[str]]:
        warnings = list(subject.warnings)
        skipped: list[SkippedField] = []
        make = _str_or_none(subject.photo.dump.get("IFD0:Make"))
        model = _str_or_none(subject.photo.dump.get("IFD0:Model"))
        # the files that receive text
        targets: list[tuple[Path, _Inspection | None, bool]] = []
        creates: list[Path] = []
        if subject.format.embedded:
            targets.append((subject.path, subject.photo, True))
        elif subject.sidecars:
            targets += [(s.path, s, False) for s in subject.sidecars]
        else:
            sidecar = files.sidecar_path(subject.path, request.sidecar_style)
            targets.append((sidecar, None, False))
            creates.append(sidecar)
            others = [p for p in subject.path.parent.glob(f"{subject.path.stem}.*")
                      if p != subject.path and not p.name.lower().endswith(".xmp")]
            if request.sidecar_style.value == "replace" and others:
                warnings.append(
                    f"{sidecar.name} may also be taken as the sidecar of {others[0].name}; the "
                    "'append' sidecar style avoids that."
                )

        ops: list[_TargetOp] = []
        fam = family_of(subject.format.kind)
        for path, insp, embedded in targets:
            present = frozenset(insp.values) if insp else frozenset()
            # the family's rules (PSD/JP2/JXL: XMP only; WebP, HEIF: no IIM slot), then this
            # file's own state (damaged EXIF, EXIF only in a legacy PNG chunk)
            specs = F.fields_for(request.profile, embedded=embedded,
                                 has_iim=bool(insp and insp.has_iim and (fam is None or fam.iim)),
                                 present=present,
                                 exif=(insp is None or insp.exif_writable)
                                 and (fam is None or fam.exif))
            ops.append(_TargetOp(path=path, inspection=insp, embedded=embedded, values={},
                                 provenance=None, changes=[], specs=specs))

        warned_langs: set[str] = set()
        for role in ROLES:
            text = request.text_for(role)
            if text is None:
                continue
            slots: list[tuple[_TargetOp, F.FieldSpec, str | None, str, str | None]] = []
            for op in ops:
                for spec in op.specs:
                    if spec.role != role:
                        continue
                    current = op.inspection.values.get(spec.name) if op.inspection else None
                    new, warn = F.value_for(spec, text)
                    slots.append((op, spec, current, new, warn))
                    if spec.kind == F.XMP_LANG and op.inspection and spec.name not in warned_langs:
                        langs = sorted(n[len(spec.name) + 1:] for n in op.inspection.values
                                       if n.startswith(spec.name + "-"))
                        if langs:
                            warned_langs.add(spec.name)
                            warnings.append(f"{spec.name} also has other languages "
                                            f"({', '.join(langs)}); they stay as they are.")
            human = [
                (spec.name, cur) for op, spec, cur, new, _w in slots
                if cur is not None and cur != new
                and not F.is_placeholder(cur, make=make, model=model)
                and not _by_altlens(op.inspection.provenance if op.inspection else None,
                                    spec.name, cur)
            ]
            # text in places AltLens reads but does not write (a FotoStation trailer, ...)
            elsewhere = [
                (name, cur) for op in ops if op.inspection is not None
                for name, cur in op.inspection.values.items()
                if F.READ_ONLY_SOURCES.get(name) == role and cur != text
                and not F.is_placeholder(cur, make=make, model=model)
                and not _by_altlens(op.inspection.provenance, name, cur)
            ]
            if (human or elsewhere) and not request.overwrite:
                conflicting = {name for name, _ in human + elsewhere}
                for name, cur in human + elsewhere:
                    skipped.append(SkippedField(
                        role, name,
                        "holds text that AltLens did not write; it is kept (choose overwrite "
                        "to replace it)", cur))
                first = sorted(conflicting)[0]
                for _op, spec, current, _new, _w in slots:
                    if spec.name not in conflicting:
                        skipped.append(SkippedField(
                            role, spec.name,
                            f"not filled, so it cannot disagree with the text in {first}",
                            current))
                continue
            for name, _cur in elsewhere:
                warnings.append(f"{name} keeps its own text: AltLens does not write there.")
            for op, spec, current, new_text, warn in slots:
                if current == new_text:
                    skipped.append(SkippedField(role, spec.name, "already holds this text",
                                                current))
                    continue
                if warn and warn not in warnings:
                    warnings.append(warn)
                op.values[spec.name] = new_text
                op.changes.append(FieldChange(spec.name, current, new_text, op.path, role))

        xmp_bytes = sum(len(c.new.encode()) for op in ops for c in op.changes
                        if c.new and F.FIELDS_BY_NAME[c.field].kind == F.XMP_LANG)
        limit = fam.xmp_split_over if fam is not None else None
        if subject.format.embedded and limit is not None and xmp_bytes > limit:
            warnings.append("The text is so long that JPEG's XMP has to be split (Extended "
                            "XMP); some programs, e.g. those built on Exiv2, will not show it.")
        for op in ops:
            if not op.changes:
                continue
            insp = op.inspection
            iim_changes = any(F.FIELDS_BY_NAME[c.field].kind == F.IIM for c in op.changes)
            if insp is not None and insp.has_iim and iim_changes and not insp.iim_utf8:
                legacy_utf8 = self._iim_is_utf8(insp)
                if legacy_utf8 is None:
                    op.iim_declare_utf8 = True  # ASCII only: nothing to convert
                elif legacy_utf8:
                    op.iim_declare_utf8 = op.iim_baseline_utf8 = True
                else:
                    op.iim_convert = True
                op.changes.append(FieldChange(
                    IIM_CHARSET_FIELD,
                    _str_or_none(insp.dump.get("IPTC:CodedCharacterSet")), UTF8_ESCAPE,
                    op.path, "iim-charset"))
            op.old_provenance = _provenance_values(insp.dump) if insp else {}
            op.provenance = self._new_provenance(request, op)
        return ops, skipped, warnings

    def _iim_is_utf8(self, insp: _Inspection) -> bool | None:
        """Legacy IIM (no CodedCharacterSet): None if all ASCII, True if the bytes are valid
        UTF-8 (written by a program that forgot the marker), False if 8-bit legacy text."""
        pairs, _ = self._et.execute_json(["-b", "-G0:1:4", "-a", "-n", "-charset", "iptc=UTF8",
                                          "-IPTC:all", insp.path])
        values = [v for k, v in (pairs[0] if pairs else []) if k.startswith("IPTC:")]
        flat: list[str] = []
        for v in values:
            flat += [str(x) for x in v] if isinstance(v, list) else [str(v)]
        if any(s.startswith("base64:") for s in flat):
            return False
        if all(s.isascii() for s in flat):
            return None
        return True

    def _new_provenance(self, request: WriteRequest, op: _TargetOp) -> dict[str, Any]:
        """Provenance after this write: the request's flags, and digests of every field that
        will hold AltLens's text (written now, or written earlier and untouched since)."""
        digests: dict[str, str] = {}
        insp = op.inspection
        if insp is not None and insp.provenance is not None:
            for name, value in insp.values.items():
                if name not in op.values and _by_altlens(insp.provenance, name, value):
                    digests[name] = F.text_digest(value)
        for name, new_value in op.values.items():
            if new_value is not None:
                digests[name] = F.text_digest(new_value)
        now = datetime.now().astimezone()
        return {
            "MachineSuggested": "True" if request.model else "False",
            "CaptionModel": request.model,
            "Reviewed": "True" if request.reviewed else "False",
            "Edited": "True" if request.edited else "False",
            "WrittenAt": now.strftime("%Y:%m:%d %H:%M:%S.") + f"{now.microsecond // 1000:03d}"
            + now.strftime("%z")[:3] + ":" + now.strftime("%z")[3:],
            "AltLensVersion": __version__,
            "Fields": sorted(digests),
            "TextDigests": [f"{k}={v}" for k, v in sorted(digests.items())],
        }

    def _as_plan(self, subject: _Subject, ops: list[_TargetOp], skipped: list[SkippedField],
                 warnings: list[str]) -> WritePlan:
        return WritePlan(
            path=subject.path,
            targets=tuple(op.path for op in ops),
            changes=tuple(c for op in ops for c in op.changes if c.role in ROLES),
            skipped=tuple(skipped),
            warnings=tuple(warnings),
            identity=subject.photo.identity,
            creates=tuple(op.path for op in ops if op.inspection is None),
        )


def undo_ops(todo: JournalEntry, photo: Path, subject: _Subject,
             inspect_file: Callable[[Path], _Inspection]) -> list[_TargetOp]:
    """The operations that undo journal entry `todo`: a file it created is deleted; in the
    others the person's fields and the provenance record get their old values back, and what
    the write did on the side (tags and blocks it created, values it changed) is reverted,
    or the original's bytes come back where the write kept them."""
    holders = {h.path: h for h in subject.holders}
    info = {t: (before, tags, copy) for t, before, tags, copy in todo.undo_info}
    ops: list[_TargetOp] = []
    for target, _after, created in todo.targets:
        before_ident, tags_before, undo_copy = info.get(target, (None, None, None))
        changes = [c for c in todo.changes if c.target == target]
        insp = holders.get(target)
        if insp is None:  # a sidecar that exists but was not found as a holder
            insp = inspect_file(target)
        if created:
            ops.append(_TargetOp(path=target, inspection=insp, embedded=False, values={},
                                 provenance=None, delete_file=True,
                                 changes=[FieldChange(c.field, c.new, None, target, c.role)
                                          for c in changes if c.role in ROLES]))
            continue
        values: dict[str, str | None] = {}
        restored: list[FieldChange] = []
        old_prov: dict[str, Any] | None = None
        restores: list[Restore] = []
        for c in changes:
            if c.role in (SIDE_EFFECT, CREATED_BLOCK):
                restores.append(restore_of(c))
                continue
            if c.field == PROVENANCE_FIELD:
                old_prov = json.loads(c.old) if c.old else {}
                continue
            if c.field == IIM_CHARSET_FIELD:
                continue  # reverted as a side effect (journals before v2: the declaration stays)
            values[c.field] = c.old
            restored.append(FieldChange(c.field, insp.values.get(c.field), c.old, target,
                                        c.role))
        prov = {t: old_prov.get(t) for t in F.PROVENANCE_TAGS} if old_prov is not None else None
        op = _TargetOp(path=target, inspection=insp, embedded=target == photo,
                       values=values, provenance=prov, changes=restored,
                       restores=restores, expect_tags=tags_before)
        if undo_copy is not None and before_ident is not None:
            op.restore_copy, op.restore_sha256 = undo_copy, before_ident.sha256
        ops.append(op)
    return ops
