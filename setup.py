# SPDX-License-Identifier: GPL-3.0-or-later
"""Package layout only (everything else is in pyproject.toml): the source folders core/ and
desktop/ install as altlens.core and altlens.desktop, so no other package or local folder named
`core` or `desktop` can shadow AltLens."""

from setuptools import find_namespace_packages, setup

SOURCES = {"altlens.core": "core", "altlens.desktop": "desktop"}
packages = ["altlens"]
for name, folder in SOURCES.items():
    # Namespace folders too: desktop/icons and desktop/translations hold package data.
    packages += [name] + [f"{name}.{sub}" for sub in find_namespace_packages(where=folder, exclude=["*__pycache__*"])]

setup(packages=packages, package_dir={"altlens": "altlens", **SOURCES})
