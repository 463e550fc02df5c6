# SPDX-License-Identifier: GPL-3.0-or-later
"""Typed errors. Each class has a stable `code` (for JSON output, the library and the GUI)
and a message written for the person using the app, naming the file where there is one.

Subsystems define their own subclasses next to their code (core/metadata/errors.py ...);
what is shared by several lives here.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, ClassVar


class AltLensError(Exception):
    """Base of every error AltLens reports to a person."""

    code: ClassVar[str] = "error"

    def __init__(self, message: str, *, path: str | Path | None = None, hint: str | None = None):
        self.message = message
        self.path = Path(path) if path is not None else None
        self.hint = hint
        super().__init__(self.__str__())

    def __str__(self) -> str:
        text = f"{self.path}: {self.message}" if self.path is not None else self.message
        return f"{text} {self.hint}" if self.hint else text

    def to_dict(self) -> dict[str, Any]:
        """Stable JSON shape: `code` never changes for a class, `message` is for people."""
        return {"code": self.code, "message": str(self)}


class UsageError(AltLensError):
    """Wrong arguments or options; the CLI exits with status 2."""

    code = "usage"


class CancelledError(AltLensError):
    code = "cancelled"

    def __init__(self, message: str = "Cancelled.") -> None:
        super().__init__(message)


# --- images ---------------------------------------------------------------------------


class ImageError(AltLensError):
    code = "image-error"


class FileMissingError(ImageError):
    code = "file-missing"


class FileUnreadableError(ImageError):
    code = "file-unreadable"


class NotAnImageError(ImageError):
    code = "not-an-image"


class CorruptImageError(ImageError):
    code = "corrupt-image"


class UnsupportedFormatError(ImageError):
    code = "unsupported-format"


class ImageTooLargeError(ImageError):
    code = "image-too-large"


# --- models ---------------------------------------------------------------------------


class ModelError(AltLensError):
    code = "model-error"


class ModelNotFoundError(ModelError):
    code = "model-not-found"


class ModelInvalidError(ModelError):
    code = "model-invalid"


class ModelUnsupportedError(ModelError):
    code = "model-unsupported"


class DeviceUnavailableError(ModelError):
    code = "device-unavailable"


class CaptioningError(AltLensError):
    """The model failed on an input it had accepted (out of memory, a runtime error)."""

    code = "captioning-failed"
