# SPDX-License-Identifier: GPL-3.0-or-later
"""Step 4: read the new copy back and compare it with the original, every tag's value and
every binary block (dump comparison rules: diff.py); the fields AltLens meant to change are
the only differences allowed, and an undo must read back exactly as before the write."""

from __future__ import annotations

import logging
from collections import Counter
from pathlib import Path
from typing import Any

from altlens.core.metadata import fields as F
from altlens.core.metadata import files
from altlens.core.metadata.diff import is_layout, tags_digest
from altlens.core.metadata.errors import WriteVerificationError
from altlens.core.metadata.exiftool import ExifTool
from altlens.core.metadata.formats import family_of
from altlens.core.metadata.inspect import (
    _BOOKKEEPING,
    _CORRUPT,
    _DUMP_ARGS,
    _EXIF_CREATED,
    _IIM_CREATED,
    _OFFSET_FAMILY0,
    _OFFSET_TAG,
    _QUICKTIME_LAYOUT,
    _TRUNCATED,
    _WEBP_CREATED,
    Inspector,
    _Dump,
    _norm_prov,
    _provenance_values,
    _Subject,
    _validate_args,
)
from altlens.core.metadata.plan import _TargetOp

log = logging.getLogger(__name__)


class Verifier:
    def __init__(self, et: ExifTool, inspector: Inspector) -> None:
        self._et = et
        self._inspector = inspector

    def _dump_of(self, path: Path, subject: _Subject, op: _TargetOp) -> _Dump:
        """Full dump of `path`, read exactly as the original was (same arguments)."""
        kind = subject.format.kind if op.embedded else "xmp"
        pairs, _ = self._et.execute_json([*_DUMP_ARGS, *_validate_args(kind), path])
        return _Dump(pairs[0] if pairs else [])

    def _verify(self, op: _TargetOp, tmp: Path, subject: _Subject) -> _Dump:
        """Read the new copy back and compare it with the original, every tag's value and
        every binary block; raise on any difference but the fields AltLens meant to change.
        Returns the new copy's dump."""
        if op.restore_copy is not None:
            return _Dump([])  # the original's own bytes, checked by their hash
        kind = subject.format.kind if op.embedded else "xmp"
        after = self._dump_of(tmp, subject, op)
        problems: list[str] = []
        if after.errors:
            problems.append("ExifTool error reading it back: " + "; ".join(after.errors))
        if op.expect_tags is not None:
            # undo: the result must read back exactly as the file did before the write
            if tags_digest(after.rows) != op.expect_tags:
                problems.append("it would not read back exactly as before the write")
            self._raise_problems(op, problems)
            return after
        before = op.inspection.dump if op.inspection else _Dump([])
        if op.iim_baseline_utf8 and op.inspection is not None:
            # compare legacy IIM values as the UTF-8 they really are
            pairs0, _ = self._et.execute_json([*_DUMP_ARGS, *_validate_args(kind), "-charset",
                                               "iptc=UTF8", op.inspection.path])
            before = _Dump(pairs0[0] if pairs0 else [])
        # Warning text is no difference: ExifTool words the same unparsable maker note
        # differently in a file and its rewrite. Only a new sign of damage counts.
        new_warnings = Counter(after.warnings) - Counter(before.warnings)
        for w in new_warnings:
            if _TRUNCATED.search(w) or _CORRUPT.search(w):
                problems.append(f"ExifTool now finds it damaged: {w}")
            else:
                log.info("%s: exiftool warns after the write: %s", op.path, w)
        # the intended values, exactly
        actual = self._inspector._role_values(tmp, after)
        for name, value in op.values.items():
            if actual.get(name) != value:
                problems.append(f"{name} reads back as {actual.get(name)!r}, not {value!r}")
        if op.provenance is not None:
            got = _provenance_values(after)
            for tag, value in op.provenance.items():
                if _norm_prov(got.get(tag)) != _norm_prov(value):
                    problems.append(f"provenance {tag} reads back as {got.get(tag)!r}")
        # every other tag unchanged
        specs = [F.FIELDS_BY_NAME[n] for n in op.values]
        written = {(spec.family0, spec.group1, spec.tag) for spec in specs}
        iim_touched = any(F.FIELDS_BY_NAME[n].kind == F.IIM for n in op.values)

        def skip(f0: str, f1: str, tag: str, value: Any) -> bool:
            if f1 == "XMP-altlens" or (f1, tag) in _BOOKKEEPING:
                return True
            for w0, w1, wtag in written:
                if tag == wtag and (f1 == w1 or (w0 == "IPTC" and f0 == "IPTC")):
                    return True
            if iim_touched and (f1, tag) == ("Photoshop", "IPTCDigest"):
                return True
            if (op.iim_convert or op.iim_declare_utf8) and f0 == "IPTC" and tag == (
                    "CodedCharacterSet"):
                return True
            if f0 in _OFFSET_FAMILY0 and (_OFFSET_TAG.search(tag) or tag in _QUICKTIME_LAYOUT):
                return True
            if is_layout(f0, tag):
                return True
            return f0 == "ExifTool"

        c0, c1 = before.comparable(skip), after.comparable(skip)
        before_keys = {k for k, _ in c0}
        lost = c0 - c1
        lost_keys = {k for k, _ in lost}
        had_ifd0 = before.has_family1("IFD0")
        for (key, value), _n in lost.items():
            if key.startswith("XMP:") and value == '""':
                continue  # an empty XMP list/struct, which ExifTool drops when rewriting
            problems.append(f"{key} lost or changed (was {value[:80]})")
        for (key, value), _n in (c1 - c0).items():
            if key in lost_keys:
                continue  # reported above as changed
            f0, f1, tag = key.split(":", 2)
            if f0 == "EXIF" and f1 == "IFD0" and tag in _EXIF_CREATED and not had_ifd0:
                continue  # mandatory tags of an EXIF block ExifTool created
            if iim_touched and f0 == "IPTC" and tag in _IIM_CREATED and key not in before_keys:
                continue  # record version numbers ExifTool adds to records it writes
            if f0 == "RIFF" and tag in _WEBP_CREATED and not before.has("RIFF", "WebP_Flags"):
                continue
            problems.append(f"{key} appeared ({value[:80]})")
        fam = family_of(subject.format.kind)
        scan_check = op.embedded and fam is not None and fam.scan_data_check
        if (scan_check and op.inspection is not None and op.inspection.exif_damage is not None
                and files.jpeg_exif_segments(op.inspection.path) != files.jpeg_exif_segments(tmp)):
            problems.append("the damaged EXIF block did not stay byte for byte")
        if scan_check and op.inspection is not None:
            o0 = files.jpeg_scan_offset(op.inspection.path)
            o1 = files.jpeg_scan_offset(tmp)
            if o0 is None or o1 is None or (
                    files.sha256_file(op.inspection.path, o0) != files.sha256_file(tmp, o1)):
                problems.append("JPEG image data is not byte-identical")
        self._raise_problems(op, problems)
        return after

    @staticmethod
    def _raise_problems(op: _TargetOp, problems: list[str]) -> None:
        if problems:
            log.error("verification of %s failed: %s", op.path, problems)
            raise WriteVerificationError(
                "The rewritten copy did not check out, so the original was left untouched: "
                + "; ".join(problems[:5]) + ("" if len(problems) <= 5 else " ..."),
                path=op.path,
            )
