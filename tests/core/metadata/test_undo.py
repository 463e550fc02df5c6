# SPDX-License-Identifier: GPL-3.0-or-later
"""Undo restores the previous values exactly, also from a new writer days later, and is
refused once the file was changed by something else."""

from __future__ import annotations

from pathlib import Path

import pytest
from altlens.core.metadata import MetadataWriter, WriteRequest
from altlens.core.metadata.errors import MetadataError
from altlens.core.metadata.journal import WriteJournal
from altlens.core.metadata.types import ROLES
from altlens.core.paths import app_dirs

from tests.core.metadata.conftest import make_jpeg
from tests.core.metadata.helpers import cli_dumps, cli_tag, cli_write, compare, sha256

ROLE_TAGS = ("IFD0:ImageDescription", "XMP-dc:Description", "XMP-iptcCore:AltTextAccessibility",
             "XMP-dc:Title", "IPTC:Caption-Abstract", "IPTC:ObjectName", "XPTitle", "XPComment")


def _values(photo: Path) -> dict[str, str | None]:
    return {t: cli_tag(photo, t) for t in ROLE_TAGS} | {
        "altlens": cli_tag(photo, "XMP-altlens:TextDigests")}


def test_undo_restores_exactly(data_copy, writer: MetadataWriter) -> None:
    photo = data_copy("et_PhotoMechanic.jpg")
    orig = data_copy("et_PhotoMechanic.jpg", "orig.jpg")
    cli_write(photo, "-IFD0:ImageDescription=SONY DSC  ", "-XPComment=old comment")
    cli_write(orig, "-IFD0:ImageDescription=SONY DSC  ", "-XPComment=old comment")
    before = _values(photo)
    writer.write(WriteRequest(photo, alt_text="Ein Bild 😀", description="Neu: 東京",
                              title="T", overwrite=True, model="m"))
    assert _values(photo) != before
    result = writer.undo(photo)
    assert _values(photo) == before
    assert {c.field for c in result.changes} >= {"IFD0:ImageDescription", "XMP-dc:Description"}
    # and nothing else moved: compared tag by tag with the untouched copy
    d0, d1 = cli_dumps(orig, photo)
    lost, gained = compare(d0, d1, set())
    assert lost == [] and gained == []


def test_multi_level_undo(tmp_path: Path, writer: MetadataWriter) -> None:
    photo = make_jpeg(tmp_path / "p.jpg")
    writer.write(WriteRequest(photo, alt_text="one"))
    writer.write(WriteRequest(photo, alt_text="two"))
    assert cli_tag(photo, "XMP-iptcCore:AltTextAccessibility") == "two"
    writer.undo(photo)
    assert cli_tag(photo, "XMP-iptcCore:AltTextAccessibility") == "one"
    writer.undo(photo)
    assert cli_tag(photo, "XMP-iptcCore:AltTextAccessibility") is None
    assert cli_tag(photo, "XMP-altlens:TextDigests") is None
    with pytest.raises(MetadataError) as info:
        writer.undo(photo)
    assert info.value.code == "nothing-to-undo"
    kinds = [e.kind for e in writer.history(photo)]
    assert kinds == ["write", "write", "undo", "undo"]


def test_entries_by_id_read_what_a_library_links(tmp_path: Path, writer: MetadataWriter) -> None:
    """The library keeps only journal ids; the entries, with every field's old and new value,
    come from the journal, in order, whatever order or duplicates the ids came in."""
    photo = make_jpeg(tmp_path / "p.jpg")
    first = writer.write(WriteRequest(photo, alt_text="one"))
    second = writer.write(WriteRequest(photo, alt_text="two"))
    undo = writer.undo(photo)
    assert first.journal_id and second.journal_id and undo.journal_id
    ids = [undo.journal_id, first.journal_id, second.journal_id, first.journal_id, 10_000]
    entries = writer.journal.entries_by_id(ids)
    assert [e.id for e in entries] == [first.journal_id, second.journal_id, undo.journal_id]
    assert entries == writer.history(photo)
    one, two, back = entries
    assert tuple(c for c in one.changes if c.role in ROLES) == first.changes
    assert tuple(c for c in two.changes if c.role in ROLES) == second.changes
    assert {c.old for c in first.changes} == {None}  # fields the first write created
    assert "XMP" in {c.field for c in one.changes if c.role == "created-block"}  # and a block
    assert not [c for c in two.changes if c.role == "created-block"]
    alt = "XMP-iptcCore:AltTextAccessibility"
    assert [(c.old, c.new) for c in two.changes if c.field == alt] == [("one", "two")]
    assert two.undone_by == back.id and back.undoes == two.id and one.undone_by is None
    # the undo brought back exactly what the entry says was there
    assert cli_tag(photo, alt) == "one"
    assert writer.journal.entries_by_id([]) == []


def test_undo_refused_after_outside_change(tmp_path: Path, writer: MetadataWriter) -> None:
    photo = make_jpeg(tmp_path / "p.jpg")
    writer.write(WriteRequest(photo, alt_text="mine"))
    cli_write(photo, "-XMP-dc:Creator=Someone else")
    before = sha256(photo)
    with pytest.raises(MetadataError) as info:
        writer.undo(photo)
    assert info.value.code == "undo-refused"
    assert sha256(photo) == before


def test_undo_days_later_from_a_new_writer(tmp_path: Path) -> None:
    photo = make_jpeg(tmp_path / "p.jpg")
    with MetadataWriter() as first:
        first.write(WriteRequest(photo, alt_text="written last week"))
    assert (app_dirs().data / "journal.sqlite3").is_file()
    with MetadataWriter() as later:
        assert [e.kind for e in later.history(photo)] == ["write"]
        later.undo(photo)
    assert cli_tag(photo, "XMP-iptcCore:AltTextAccessibility") is None


def test_undo_of_a_new_sidecar_removes_it(data_copy, writer: MetadataWriter) -> None:
    raw = data_copy("et_CanonRaw.cr2")
    before = sha256(raw)
    result = writer.write(WriteRequest(raw, alt_text="a camera"))
    sidecar = raw.with_name(raw.name + ".xmp")
    assert result.targets == (sidecar,) and sidecar.is_file()
    writer.undo(raw)
    assert not sidecar.exists()
    assert sha256(raw) == before


def test_no_journal_entry_without_a_write(tmp_path: Path, writer: MetadataWriter) -> None:
    photo = make_jpeg(tmp_path / "p.jpg")
    with pytest.raises(MetadataError) as info:
        writer.undo(photo)
    assert info.value.code == "nothing-to-undo"


def test_crash_between_journal_and_rename_is_settled(tmp_path: Path) -> None:
    """A pending entry (the app died around the rename) is settled on the next start."""
    photo = make_jpeg(tmp_path / "p.jpg")
    with MetadataWriter() as w:
        w.write(WriteRequest(photo, alt_text="done"))
    path = app_dirs().data / "journal.sqlite3"
    journal = WriteJournal(path)
    entry = journal.entries(photo)[0]
    # as if a second write had been journaled but its rename never happened
    target, after, _ = entry.targets[0]
    assert after is not None
    fake_after = type(after)(after.size + 1, 0, 0, 0, "0" * 64)
    op = journal.begin(photo, "write", [], [(target, False, after, fake_after, None)])
    journal.close()
    with MetadataWriter() as w:
        states = {e.id: e.state for e in w.journal.entries(photo, states=("done", "failed"))}
    assert states[op] == "failed"
    assert states[entry.id] == "done"


def test_backup_and_mtime_options(tmp_path: Path, writer: MetadataWriter) -> None:
    import os

    photo = make_jpeg(tmp_path / "p.jpg")
    os.utime(photo, ns=(10**18, 10**18))
    original = photo.read_bytes()
    result = writer.write(WriteRequest(photo, alt_text="with a backup", backup=True,
                                       keep_mtime=False))
    (copy,) = result.backups
    assert copy.read_bytes() == original
    assert copy.is_relative_to(app_dirs().data / "backups")
    assert os.stat(photo).st_mtime_ns != 10**18  # the person asked for a fresh mtime


def test_journal_of_an_older_version_is_upgraded(tmp_path: Path) -> None:
    """A v1 journal (no tags digest, no undo copies) opens, is upgraded in place, and a write
    recorded in it carries what an exact undo needs."""
    import sqlite3

    from altlens.core.metadata import journal as J

    photo = make_jpeg(tmp_path / "p.jpg")
    path = tmp_path / "old.sqlite3"
    db = sqlite3.connect(path)
    db.executescript(J._SCHEMA)
    db.execute("PRAGMA user_version=1")
    db.close()
    with MetadataWriter(journal_path=path) as w:
        w.write(WriteRequest(photo, alt_text="after the upgrade"))
        (entry,) = w.history(photo)
        assert entry.undo_info and entry.undo_info[0][2].startswith("sha256:")
        w.undo(photo)
    assert cli_tag(photo, "XMP-iptcCore:AltTextAccessibility") is None
    assert sqlite3.connect(path).execute("PRAGMA user_version").fetchone()[0] == J.SCHEMA_VERSION
