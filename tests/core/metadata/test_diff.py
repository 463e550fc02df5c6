# SPDX-License-Identifier: GPL-3.0-or-later
"""The dump comparison behind verification and exact undo (core.metadata.diff), on
hand-made rows: no ExifTool needed."""

from __future__ import annotations

from altlens.core.metadata.diff import Restore, differences, tags_digest, undo_restores

BEFORE = [
    ("File", "System", "FileSize", "100"),
    ("ExifTool", "ExifTool", "Warning", "[minor] Unrecognized MakerNotes"),
    ("XMP", "XMP-x", "XMPToolkit", "Adobe XMP Core 5.6"),
    ("XMP", "XMP-dc", "Creator", "Ann"),
    ("IPTC", "IPTC", "Keywords", "harbour"),
    ("EXIF", "ExifIFD", "MakerNoteUnknown", "base64:QUNNRQ=="),
]


def test_what_the_write_did_on_the_side_is_undone() -> None:
    after = [r for r in BEFORE if r[2] not in ("XMPToolkit", "Warning")] + [
        ("ExifTool", "ExifTool", "Warning", "[minor] Unrecognized MakerNoteUnknown"),
        ("XMP", "XMP-x", "XMPToolkit", "Image::ExifTool 12.57"),
        ("XMP", "XMP-dc", "Description", "new text"),  # the person's field: not a side effect
        ("IPTC", "IPTC", "ApplicationRecordVersion", "4"),
        ("EXIF", "IFD0", "ImageDescription", "new text"),
        ("EXIF", "IFD0", "XResolution", "72"),
        ("EXIF", "ExifIFD", "MakerNoteCanon", "base64:AAAA"),  # relocated raw block: ignored
    ]
    before = [r for r in BEFORE if r[1] != "ExifIFD"]
    own = {("XMP-dc", "Description"), ("IFD0", "ImageDescription")}
    assert undo_restores(before, after, own) == [
        Restore("EXIF", None, block=True),  # no EXIF before: the whole block goes
        Restore("IPTC:ApplicationRecordVersion", None),
        Restore("XMP-x:XMPToolkit", b"Adobe XMP Core 5.6"),
    ]


def test_what_tags_cannot_express_needs_the_original_bytes() -> None:
    dropped = [r for r in BEFORE if r[2] != "Creator"]  # e.g. an empty structure ExifTool drops
    assert undo_restores(BEFORE, dropped, set()) is None
    # a list value the write changed (a bag ExifTool re-ordered or merged)
    bag = [*BEFORE, ("XMP", "XMP-dc", "Subject", ["a", "b"])]
    merged = [*BEFORE, ("XMP", "XMP-dc", "Subject", ["a"])]
    assert undo_restores(bag, merged, set()) is None


def test_digest_sees_content_not_warnings_or_layout() -> None:
    same = [(f0, f1, t, v) for f0, f1, t, v in BEFORE if f0 != "ExifTool"] + [
        ("EXIF", "IFD1", "ThumbnailOffset", "999"), ("File", "System", "FileSize", "120")]
    assert tags_digest(same) == tags_digest(BEFORE)
    changed = [*BEFORE[:-1], ("EXIF", "ExifIFD", "MakerNoteUnknown", "base64:QUNNRg==")]
    assert tags_digest(changed) != tags_digest(BEFORE)
    assert differences(BEFORE, changed) == [
        'EXIF:ExifIFD:MakerNoteUnknown lost or changed (was "base64:QUNNRQ==")',
        'EXIF:ExifIFD:MakerNoteUnknown appeared ("base64:QUNNRg==")']
