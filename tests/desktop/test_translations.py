# SPDX-License-Identifier: GPL-3.0-or-later
"""Plural forms are real (from the compiled English catalogue) and the catalogue is current."""

from __future__ import annotations

import shutil
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
from PySide6.QtCore import QCoreApplication

REPO = Path(__file__).resolve().parents[2]


def test_plural_forms() -> None:
    tr = QCoreApplication.translate
    assert (
        tr("Announcements", "%n image(s) added; captioning now.", "", 1)
        == "1 image added; captioning now."
    )
    assert (
        tr("Announcements", "%n image(s) added; captioning now.", "", 3)
        == "3 images added; captioning now."
    )
    assert tr("MainWindow", "AltLens — %n need(s) review", "", 1) == "AltLens — 1 needs review"
    assert tr("MainWindow", "AltLens — %n need(s) review", "", 2) == "AltLens — 2 need review"
    assert tr("ProgressStrip", "about %n minute(s) left", "", 1) == "about 1 minute left"


def _numerus_sources(ts: Path) -> set[tuple[str, str]]:
    root = ET.parse(ts).getroot()
    out = set()
    for ctx in root.iter("context"):
        name = ctx.findtext("name") or ""
        for m in ctx.iter("message"):
            if m.get("numerus") == "yes":
                out.add((name, m.findtext("source") or ""))
    return out


def test_every_plural_string_has_english_forms(tmp_path: Path) -> None:
    lupdate = Path(sys.executable).parent / "pyside6-lupdate"
    if not lupdate.exists() and not shutil.which("pyside6-lupdate"):
        pytest.skip("pyside6-lupdate is not installed")
    fresh = tmp_path / "fresh.ts"
    files = sorted(str(p) for p in (REPO / "desktop").rglob("*.py"))
    subprocess.run(
        [
            str(lupdate) if lupdate.exists() else "pyside6-lupdate",
            *files,
            "-locations",
            "none",
            "-ts",
            str(fresh),
        ],
        check=True,
        capture_output=True,
        timeout=120,
    )
    committed = REPO / "resources" / "translations" / "altlens_en.ts"
    missing = _numerus_sources(fresh) - _numerus_sources(committed)
    assert not missing, f"run scripts/update_translations.py; new plural strings: {sorted(missing)}"


def test_no_plural_string_escapes_the_catalogue() -> None:
    """lupdate silently skips some call shapes; every tr()/translate() text with "%n" in the
    source must still be a plural entry of the catalogue."""
    import ast

    in_source: set[str] = set()
    for path in (REPO / "desktop").rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Call) and getattr(
                node.func, "attr", getattr(node.func, "id", "")
            ) in ("tr", "translate"):
                texts = [
                    a.value
                    for a in node.args[:2]
                    if isinstance(a, ast.Constant) and isinstance(a.value, str)
                ]
                in_source.update(t for t in texts if "%n" in t)
    catalogue = {
        src for _ctx, src in _numerus_sources(REPO / "resources" / "translations" / "altlens_en.ts")
    }
    assert in_source and in_source <= catalogue, sorted(in_source - catalogue)
