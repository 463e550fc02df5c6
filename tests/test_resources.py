# SPDX-License-Identifier: GPL-3.0-or-later
"""The desktop integration files in resources/ (icon, .desktop entry, AppStream metainfo):
they pass the freedesktop validators where those are installed (scripts/bootstrap.sh installs
desktop-file-utils and appstream), agree with pyproject.toml and core.__version__, and the icon
PNGs have their sizes and ship inside the package for the window."""

from __future__ import annotations

import configparser
import fnmatch
import shutil
import subprocess
import tomllib
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
from PIL import Image

import altlens.core
from altlens import core

ROOT = Path(__file__).resolve().parent.parent
APP_ID = "org.altlens.AltLens"
RES = ROOT / "resources"
DESKTOP_FILE = RES / f"{APP_ID}.desktop"
METAINFO = RES / f"{APP_ID}.metainfo.xml"
SVG = RES / "icons" / "hicolor" / "scalable" / "apps" / f"{APP_ID}.svg"
SIZES = (16, 24, 32, 48, 64, 128, 256, 512)


def _pyproject() -> dict:
    return tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))


def _desktop_entry() -> configparser.SectionProxy:
    parser = configparser.ConfigParser(interpolation=None, delimiters=("=",))
    parser.optionxform = str  # keys are case-sensitive
    parser.read(DESKTOP_FILE, encoding="utf-8")
    return parser["Desktop Entry"]


def _run_validator(cmd: list[str]) -> subprocess.CompletedProcess[str]:
    if shutil.which(cmd[0]) is None:
        pytest.skip(f"{cmd[0]} is not installed (apt: desktop-file-utils / appstream)")
    return subprocess.run(cmd, capture_output=True, text=True, timeout=60, check=False)


def test_desktop_file_validates() -> None:
    res = _run_validator(["desktop-file-validate", str(DESKTOP_FILE)])
    # desktop-file-validate prints errors and hints; any output at all is a problem to fix.
    assert res.returncode == 0 and not res.stdout.strip(), res.stdout + res.stderr


def test_metainfo_validates() -> None:
    res = _run_validator(["appstreamcli", "validate", "--no-net", "--explain", str(METAINFO)])
    assert res.returncode == 0, res.stdout + res.stderr
    # Warnings fail too ("validation was successful" is also printed with warnings).
    assert "\nW: " not in "\n" + res.stdout, res.stdout


def test_desktop_file_matches_the_package() -> None:
    entry = _desktop_entry()
    gui_scripts = _pyproject()["project"]["gui-scripts"]
    assert entry["Exec"].split()[0] in gui_scripts
    assert entry["TryExec"] in gui_scripts
    assert entry["Icon"] == APP_ID == DESKTOP_FILE.stem
    mime = entry["MimeType"].rstrip(";").split(";")
    assert {"image/jpeg", "image/png", "image/tiff", "image/webp", "image/heif"} <= set(mime)


def test_metainfo_matches_the_package_and_version() -> None:
    root = ET.parse(METAINFO).getroot()
    project = _pyproject()["project"]
    assert root.findtext("id") == APP_ID
    assert root.findtext("launchable") == DESKTOP_FILE.name
    assert root.findtext("project_license") == project["license"]
    binaries = {b.text for b in root.iter("binary")}
    assert binaries == set(project["scripts"]) | set(project["gui-scripts"])
    releases = [r.get("version") for r in root.iter("release")]
    assert releases and releases[0] == core.__version__, (
        f"add a <release> for {core.__version__} (newest first) to {METAINFO.name}"
    )
    newest = root.find("releases/release")
    assert newest is not None and newest.find("description") is not None
    # No guessed web addresses: the project has no home page, tracker or screenshot host of
    # its own yet, so the file names none (add them here once it has).
    assert [u.text for u in root.iter("url")] == []
    assert [i.text for i in root.iter("image")] == []


def test_svg_is_square_and_parses() -> None:
    root = ET.parse(SVG).getroot()
    _x, _y, w, h = (float(v) for v in root.get("viewBox", "").split())
    assert w == h


@pytest.mark.parametrize("size", SIZES)
def test_icon_png_sizes(size: int) -> None:
    theme = RES / "icons" / "hicolor" / f"{size}x{size}" / "apps" / f"{APP_ID}.png"
    packaged = ROOT / "desktop" / "icons" / f"altlens-{size}.png"
    with Image.open(theme) as im:
        assert im.format == "PNG" and im.size == (size, size)
        assert im.mode == "RGBA"
        assert im.getchannel("A").getextrema() == (0, 255)  # transparent corners, opaque tile
    # The package's copy is the same rendering (scripts/render_icons.py writes both).
    assert packaged.read_bytes() == theme.read_bytes(), "run scripts/render_icons.py"


def test_package_data_covers_the_data_files() -> None:
    """Every non-Python file inside the packages matches pyproject's package-data, so a wheel
    (pipx install) carries the icons and compiled translations the window loads."""
    package_data = _pyproject()["tool"]["setuptools"]["package-data"]
    patterns = [p for globs in package_data.values() for p in globs]
    files = [
        f for pkg in ("core", "desktop") for f in (ROOT / pkg).rglob("*")
        if f.is_file() and f.suffix not in {".py", ".pyc"} and "__pycache__" not in f.parts
    ]
    assert any(f.suffix == ".qm" for f in files) and any(f.suffix == ".png" for f in files)
    missing = [
        str(f.relative_to(ROOT))
        for f in files
        if not any(fnmatch.fnmatch(f.name, p) for p in patterns)
    ]
    assert not missing, f"not in [tool.setuptools.package-data]: {missing}"


def test_window_icon_has_every_size(qapp: object) -> None:  # qapp: pytest-qt's QApplication
    from PySide6.QtCore import QSize

    from altlens.desktop.app import ICON_SIZES, app_icon

    assert tuple(ICON_SIZES) == SIZES
    icon = app_icon()
    assert not icon.isNull()
    assert {s.width() for s in icon.availableSizes()} == set(SIZES)
    assert icon.pixmap(QSize(16, 16)).width() == 16
