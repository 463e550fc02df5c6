# SPDX-License-Identifier: GPL-3.0-or-later
"""Errors of the model manager (download, import, verify). The shared model errors
(not found, invalid, unsupported) live in core/errors.py; these are specific to getting a
model onto this computer and keeping it intact."""

from __future__ import annotations

from altlens.core.errors import ModelError, ModelInvalidError, ModelNotFoundError


class DownloadError(ModelError):
    """A download could not finish (the hub answered with an error, a file arrived damaged)."""

    code = "download-failed"


class NetworkUnavailableError(DownloadError):
    """The hub cannot be reached: no connection, DNS failure, timeout, or offline mode."""

    code = "network-unavailable"


class HubRepoNotFoundError(ModelNotFoundError):
    """The hub has no such repository (or it is private and we are not logged in)."""

    code = "hub-repo-not-found"


class HubRevisionNotFoundError(ModelNotFoundError):
    code = "hub-revision-not-found"


class GatedModelError(DownloadError):
    """The repository is gated: its owner asks people to accept conditions first."""

    code = "model-gated"


class InsufficientDiskSpaceError(ModelError):
    code = "disk-full"


class ModelIncompleteError(ModelInvalidError):
    """A model folder lacks a part AltLens needs (config, weights, preprocessor, tokenizer)."""

    code = "model-incomplete"


class ModelExistsError(ModelError):
    code = "model-exists"
