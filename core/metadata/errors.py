# SPDX-License-Identifier: GPL-3.0-or-later
"""Errors of the metadata writer. Every refusal has its own stable `code`, so the GUI and the
library can tell "this file changed since you reviewed it" from "ExifTool is not installed".

Where a shared class in core.errors means the same thing (unsupported format, corrupt or
missing file), the class here derives from both, so `except core.errors.CorruptImageError`
and `except MetadataError` both catch it.
"""

from __future__ import annotations

import sys

from altlens.core import errors

# Shown with ExifToolMissingError: the one thing a person must do to enable writing.
INSTALL_HINTS = {
    "linux": "Install ExifTool: `sudo apt install libimage-exiftool-perl` (Debian/Ubuntu), "
    "`sudo dnf install perl-Image-ExifTool` (Fedora) or your distribution's exiftool package.",
    "darwin": "Install ExifTool: `brew install exiftool`, or the macOS package from "
    "https://exiftool.org/.",
    "win32": "Install ExifTool: download the Windows executable from https://exiftool.org/, "
    "rename `exiftool(-k).exe` to `exiftool.exe` and put it on PATH (or set ALTLENS_EXIFTOOL "
    "to its full path).",
}


def install_hint(platform: str | None = None) -> str:
    plat = platform or sys.platform
    for prefix, hint in INSTALL_HINTS.items():
        if plat.startswith(prefix):
            return hint
    return INSTALL_HINTS["linux"]


class MetadataError(errors.AltLensError):
    """Base of everything the metadata writer refuses or fails at."""

    code = "metadata-error"


class ExifToolMissingError(MetadataError):
    code = "exiftool-missing"

    def __init__(self, message: str | None = None, *, hint: str | None = None) -> None:
        super().__init__(
            message or "ExifTool was not found, so captions cannot be read from or written "
            "into files. Suggesting captions still works.",
            hint=hint or install_hint(),
        )


class ExifToolError(MetadataError):
    """ExifTool failed, hung or died; the file was not changed."""

    code = "exiftool-failed"


class UnsupportedFormatError(MetadataError, errors.UnsupportedFormatError):
    code = "unsupported-format"


class UnsupportedPathError(MetadataError):
    """A file name ExifTool's argument protocol cannot carry (a line break in the name)."""

    code = "unsupported-path"


class FileMissingError(MetadataError, errors.FileMissingError):
    code = "file-missing"


class CorruptFileError(MetadataError, errors.CorruptImageError):
    code = "corrupt-file"


class TruncatedFileError(CorruptFileError):
    code = "file-truncated"


class EmptyFileError(CorruptFileError):
    code = "empty-file"


class FileChangedError(MetadataError):
    """The file is not what was read or reviewed; writing now could lose someone's change."""

    code = "file-changed"


class FileReadOnlyError(MetadataError):
    code = "file-readonly"


class WriteVerificationError(MetadataError):
    """The rewritten copy did not read back as intended; the original was left untouched."""

    code = "write-verification-failed"


class UndoRefusedError(MetadataError):
    code = "undo-refused"


class NothingToUndoError(MetadataError):
    code = "nothing-to-undo"


class JournalError(MetadataError):
    code = "journal-error"
