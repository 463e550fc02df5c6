# SPDX-License-Identifier: GPL-3.0-or-later
"""Package layout and the install's dependencies (everything else is in pyproject.toml).

The source folders core/ and desktop/ install as altlens.core and altlens.desktop, so no other
package or local folder named `core` or `desktop` can shadow AltLens.

The dependencies are pyproject.toml's [tool.altlens] dependencies plus the `gui` extra (Qt),
except when ALTLENS_HEADLESS=1 is set while building: servers and batch machines that never
open a window then install AltLens without Qt (`ALTLENS_HEADLESS=1 pipx install .`)."""

from __future__ import annotations

import os
import tomllib
from collections.abc import Mapping
from pathlib import Path

HERE = Path(__file__).resolve().parent
SOURCES = {"altlens.core": "core", "altlens.desktop": "desktop"}
HEADLESS_ENV = "ALTLENS_HEADLESS"


def install_requires(environ: Mapping[str, str] = os.environ) -> list[str]:
    """The install's requirements: core's, plus the GUI's unless the build is headless."""
    project = tomllib.loads((HERE / "pyproject.toml").read_text(encoding="utf-8"))
    requires = list(project["tool"]["altlens"]["dependencies"])
    flag = environ.get(HEADLESS_ENV, "").strip().lower()
    if flag not in ("", "0", "1", "no", "yes", "false", "true"):
        raise SystemExit(f"{HEADLESS_ENV}={environ[HEADLESS_ENV]!r}: use 1 for an install without the GUI, or leave it unset.")
    if flag not in ("1", "yes", "true"):
        requires += project["project"]["optional-dependencies"]["gui"]
    return requires


def packages() -> list[str]:
    from setuptools import find_namespace_packages

    out = ["altlens"]
    for name, folder in SOURCES.items():
        # Namespace folders too: desktop/icons and desktop/translations hold package data.
        out += [name] + [f"{name}.{sub}" for sub in find_namespace_packages(where=str(HERE / folder), exclude=["*__pycache__*"])]
    return out


if __name__ == "__main__":
    from setuptools import setup

    setup(packages=packages(), package_dir={"altlens": "altlens", **SOURCES}, install_requires=install_requires())
