# SPDX-License-Identifier: GPL-3.0-or-later
"""Write then undo on a copy of every file in the shared corpus (corpus/ and corpus/metadata/):
each is either refused with its reason and left byte for byte, or written and then undone so
that every tag reads back exactly as before (`exiftool -G1 -a -s -n`-style dumps with binary
blocks, compared with nothing forgiven but ExifTool's own groups and data offsets).

Counts for the issue note:
    ALTLENS_CORPUS=../shared/corpus .venv/bin/python -m tests.core.metadata.test_corpus_undo
"""

from __future__ import annotations

import os
import sys
import tempfile
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import pytest
from altlens.core.metadata import MetadataWriter, WriteRequest
from altlens.core.metadata.errors import MetadataError
from altlens.core.metadata.exiftool import ExifTool, config_file

from tests.conftest import CORPUS
from tests.core.metadata.conftest import copy_in
from tests.core.metadata.helpers import CORPUS_REFUSED as REFUSED
from tests.core.metadata.helpers import NO_PIXEL_CHECK, cli_dumps, pixel_digest, sha256, strict_diff
from tests.core.metadata.helpers import corpus_files as _corpus_files

pytestmark = pytest.mark.corpus

ALT = 'Two dogs & a "cat" on the café steps — 犬と猫 🐕'
DESC = "A caption: ‏שלום‏ مرحبا, 中文"


def write_then_undo(writer: MetadataWriter, src: Path, folder: Path) -> tuple[str, str]:
    """(outcome, detail) for one file; raises AssertionError where undo is not exact."""
    orig = copy_in(src, folder / "orig")
    work = copy_in(src, folder / "work")
    try:
        result = writer.write(WriteRequest(work, alt_text=ALT, description=DESC,
                                           overwrite=True, model="test/model"))
    except MetadataError as exc:
        assert sha256(work) == sha256(orig), "a refusal must leave the file byte for byte"
        assert sorted(p.name for p in work.parent.iterdir()) == [work.name]
        return f"refused: {exc.code}", str(exc)
    assert result.changes, "nothing was written"
    entry = [e for e in writer.history(work) if e.kind == "write"][-1]
    copies = [copy for _t, _b, _d, copy in entry.undo_info if copy is not None]
    from_copy = bool(copies)
    assert all(c.is_file() for c in copies)
    writer.undo(work)
    assert not any(c.exists() for c in copies), "a kept original outlived its undo"
    assert sorted(p.name for p in work.parent.iterdir()) == [work.name], "leftover files"
    if result.targets != (work,):
        assert sha256(work) == sha256(orig), "a sidecar write must not touch the photo"
        return "written to a sidecar, undone (sidecar removed)", ""
    d0, d1 = cli_dumps(orig, work)
    diff = strict_diff(d0, d1)
    assert diff == [], f"undo is not exact: {diff[:8]}"
    if src.name not in NO_PIXEL_CHECK:
        assert pixel_digest(work) == pixel_digest(orig), "pixels changed"
    how = "from the kept original" if from_copy else "by tags"
    damaged = " (damaged EXIF: XMP only)" if any(
        "byte for byte" in w for w in result.warnings) else ""
    return f"written, undone exactly {how}{damaged}", ""


@pytest.fixture(scope="module")
def mwriter(tmp_path_factory: pytest.TempPathFactory) -> Iterator[MetadataWriter]:
    home = tmp_path_factory.mktemp("undo-home")
    et = ExifTool(config_path=config_file(home))
    w = MetadataWriter(exiftool=et, journal_path=home / "journal.sqlite3")
    yield w
    w.close()
    et.close()


@pytest.mark.parametrize("src", _corpus_files(CORPUS), ids=lambda p: p.name)
def test_write_then_undo(src: Path, tmp_path: Path, mwriter: MetadataWriter,
                         corpus: Path) -> None:
    outcome, detail = write_then_undo(mwriter, src, tmp_path)
    if src.name in REFUSED:
        assert outcome == f"refused: {REFUSED[src.name]}", detail
    else:
        assert not outcome.startswith("refused"), detail


def main() -> int:
    files = _corpus_files(CORPUS)
    if not files:
        print(f"no corpus at {CORPUS} (set ALTLENS_CORPUS)", file=sys.stderr)
        return 2
    counts: Counter[str] = Counter()
    with tempfile.TemporaryDirectory() as home:
        os.environ["ALTLENS_HOME"] = home
        with MetadataWriter(journal_path=Path(home) / "journal.sqlite3") as writer:
            for i, src in enumerate(files):
                try:
                    outcome, detail = write_then_undo(writer, src, Path(home) / str(i))
                except AssertionError as exc:
                    outcome, detail = "NOT EXACT", str(exc)
                counts[outcome.split(" (")[0] if outcome.startswith("refused") else outcome] += 1
                print(f"{src.relative_to(CORPUS)}\t{outcome}\t{detail[:160]}")
    print()
    for outcome, n in sorted(counts.items()):
        print(f"{n:4d}  {outcome}")
    print(f"{len(files):4d}  files")
    return 1 if counts["NOT EXACT"] else 0


if __name__ == "__main__":
    sys.exit(main())
