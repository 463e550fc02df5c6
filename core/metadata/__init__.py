# SPDX-License-Identifier: GPL-3.0-or-later
"""Reading and writing alt text and captions in photos, through ExifTool, without ever
damaging a file.

Roles and where they go (profile "standard"; "windows" adds the XP tags):

=================  ====================================================================
alt_text           XMP Iptc4xmpCore:AltTextAccessibility (x-default)
description        EXIF IFD0:ImageDescription, XMP dc:description (x-default), IIM
                   2:120 Caption-Abstract (only where an IIM block exists; UTF-8, 2000
                   bytes, IPTCDigest kept current). Defaults to the alt text.
long_description   XMP Iptc4xmpCore:ExtDescrAccessibility (x-default)
title              XMP dc:title (x-default), IIM 2:05 ObjectName (where IIM exists)
windows            EXIF XPTitle (= caption, as Explorer's "Title") and XPComment (= alt text);
                   also kept in step under "standard" when the file already has them
provenance         XMP-altlens (https://altlens.app/ns/1.0/): MachineSuggested, CaptionModel,
                   Reviewed, Edited, WrittenAt, AltLensVersion, Fields, TextDigests
=================  ====================================================================

Formats (by content; rules per family in formats.py): JPEG/MPO, PNG, TIFF, DNG, WebP,
HEIC/HEIF, AVIF are written inside the file; PSD, JPEG 2000 and JPEG XL get XMP inside the
file; RAW, BMP, GIF and bare JPEG XL codestreams get an XMP sidecar (existing ones of both
naming styles are updated; a new one is named per `SidecarStyle`). A file whose EXIF block
ExifTool will not rewrite without repairing it gets XMP only, the block kept byte for byte.
Everything else raises UnsupportedFormatError (code "unsupported-format").

Undo is exact: the journal keeps, per write, the old value of every field, what the write
created or changed on the side, and a digest of every tag before; the undo is proven on the
new copy before the write replaces the file, and the original's bytes are kept where tags
alone cannot bring it back.

Who uses what:

- ``MetadataWriter``: owned by the app's single writer thread (and by the CLI). ``read(path)``
  -> ``MetadataSnapshot``; ``preview(WriteRequest)`` -> ``WritePlan``; ``write(WriteRequest)``
  -> ``WriteResult``; ``undo(path)`` -> ``WriteResult``; ``history(path)`` ->
  ``[JournalEntry]``; ``clean_folder(folder)``; ``close()`` (or use it as a context manager).
- Frozen values crossing threads: ``WriteRequest``, ``WritePlan``, ``WriteResult``,
  ``MetadataSnapshot``, ``FieldValue``, ``FieldChange``, ``SkippedField``, ``FileIdentity``,
  ``Provenance``, ``FormatInfo``, ``JournalEntry``.
- ``exiftool_available()`` for the GUI to explain why writing is off; ``is_temp_file(path)``
  for folder watchers; ``clean_stale_temp_files(folder)``.
- Errors (core.metadata.errors), each with a stable ``code``: exiftool-missing,
  exiftool-failed, unsupported-format, unsupported-path, file-missing, empty-file,
  file-truncated, corrupt-file, file-changed, file-readonly, write-verification-failed,
  undo-refused, nothing-to-undo, journal-error.

Usage (in the writer thread; the GUI hands over frozen WriteRequests)::

    with MetadataWriter() as writer:
        snap = writer.read(path)                      # what the file holds now
        request = WriteRequest(path, alt_text=text, model="org/model", edited=False,
                               expected_identity=snap.identity)
        plan = writer.preview(request)                # [(field, old, new)], skipped, warnings
        result = writer.write(request)                # verified, atomic, journaled
        writer.undo(path)                             # back to the values before

Behaviour worth knowing: symlinks are followed (the photo is written, the link stays);
a file with several hard links gets a warning (only this name sees the new file); xattrs
are copied on Linux (not on macOS/Windows); embedded writes keep the photo's mtime unless
``keep_mtime=False``, sidecar writes never do (so darktable/digiKam notice the change).

Nothing here imports Qt, torch or third-party packages; importing works without ExifTool
(ExifToolMissingError is raised on first use, with install instructions).
"""

from altlens.core.metadata.errors import (
    CorruptFileError,
    EmptyFileError,
    ExifToolError,
    ExifToolMissingError,
    FileChangedError,
    FileMissingError,
    FileReadOnlyError,
    JournalError,
    MetadataError,
    NothingToUndoError,
    TruncatedFileError,
    UndoRefusedError,
    UnsupportedFormatError,
    UnsupportedPathError,
    WriteVerificationError,
)
from altlens.core.metadata.exiftool import ExifTool, exiftool_available, find_exiftool
from altlens.core.metadata.files import clean_stale_temp_files, is_temp_file
from altlens.core.metadata.types import (
    FieldChange,
    FieldValue,
    FileIdentity,
    FormatInfo,
    JournalEntry,
    MetadataSnapshot,
    Profile,
    Provenance,
    SidecarStyle,
    SkippedField,
    WritePlan,
    WriteRequest,
    WriteResult,
)
from altlens.core.metadata.writer import MetadataWriter

__all__ = [
    "CorruptFileError", "EmptyFileError", "ExifTool", "ExifToolError", "ExifToolMissingError",
    "FieldChange", "FieldValue", "FileChangedError", "FileIdentity", "FileMissingError",
    "FileReadOnlyError", "FormatInfo", "JournalEntry", "JournalError", "MetadataError",
    "MetadataSnapshot", "MetadataWriter", "NothingToUndoError", "Profile", "Provenance",
    "SidecarStyle", "SkippedField", "TruncatedFileError", "UndoRefusedError",
    "UnsupportedFormatError", "UnsupportedPathError", "WritePlan", "WriteRequest",
    "WriteResult", "WriteVerificationError", "clean_stale_temp_files", "exiftool_available",
    "find_exiftool", "is_temp_file",
]
