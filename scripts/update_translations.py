# SPDX-License-Identifier: GPL-3.0-or-later
"""Refresh the translation catalogues from the source and compile them.

    python scripts/update_translations.py

1. pyside6-lupdate extracts every tr()/translate() string of desktop/ into
   resources/translations/altlens_<lang>.ts (existing translations are kept).
2. English plural forms are filled in from the "(s)" convention of the source strings
   ("%n image(s)" -> "%n image" / "%n images"); other languages are left to translators.
3. pyside6-lrelease compiles each .ts into desktop/translations/altlens_<lang>.qm, which
   ships inside the package.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
SOURCES = REPO / "resources" / "translations"
COMPILED = REPO / "desktop" / "translations"

# Words whose English plural is not "+s", as (singular, plural) for "word(s)".
IRREGULAR = {"need(s)": ("needs", "need")}
_PLURAL = re.compile(r"(\w+)\(s\)")


def tool(name: str) -> str:
    here = Path(sys.executable).parent / name
    found = str(here) if here.exists() else shutil.which(name)
    if not found:
        raise SystemExit(
            f"{name} not found; it comes with PySide6 (pip install PySide6-Essentials)"
        )
    return found


def english_forms(source: str) -> tuple[str, str]:
    singular, plural = source, source
    for token, (one, many) in IRREGULAR.items():
        singular, plural = singular.replace(token, one), plural.replace(token, many)
    singular = _PLURAL.sub(r"\1", singular)
    plural = _PLURAL.sub(r"\1s", plural)
    return singular, plural


def fill_english(ts: Path) -> int:
    tree = ET.parse(ts)
    filled = 0
    for message in tree.iter("message"):
        if message.get("numerus") != "yes":
            continue
        source = message.findtext("source") or ""
        translation = message.find("translation")
        if translation is None:
            translation = ET.SubElement(message, "translation")
        for child in list(translation):
            translation.remove(child)
        for form in english_forms(source):
            ET.SubElement(translation, "numerusform").text = form
        translation.attrib.pop("type", None)
        filled += 1
    ET.indent(tree)
    tree.write(ts, encoding="utf-8", xml_declaration=True)
    return filled


def main() -> int:
    SOURCES.mkdir(parents=True, exist_ok=True)
    COMPILED.mkdir(parents=True, exist_ok=True)
    py_files = sorted(str(p) for p in (REPO / "desktop").rglob("*.py"))
    catalogues = sorted(SOURCES.glob("altlens_*.ts")) or [SOURCES / "altlens_en.ts"]
    for ts in catalogues:
        subprocess.run(
            [
                tool("pyside6-lupdate"),
                *py_files,
                "-locations",
                "none",
                "-no-obsolete",
                "-source-language",
                "en",
                "-target-language",
                ts.stem.split("_", 1)[1],
                "-ts",
                str(ts),
            ],
            check=True,
        )
        if ts.stem == "altlens_en":
            print(f"{ts.name}: filled {fill_english(ts)} English plural forms")
        qm = COMPILED / (ts.stem + ".qm")
        subprocess.run([tool("pyside6-lrelease"), str(ts), "-qm", str(qm)], check=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
