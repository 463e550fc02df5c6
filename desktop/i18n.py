# SPDX-License-Identifier: GPL-3.0-or-later
"""Translations. User-facing text goes through Qt's tr() with real plural forms (`%n image(s)`
becomes `1 image` / `2 images`), so even English needs its compiled catalogue: numerus forms
live in the .qm file, never in the source string.

Sources are resources/translations/altlens_<lang>.ts (update with scripts/update_translations.py);
the compiled .qm files ship inside the package, in desktop/translations/.
"""

from __future__ import annotations

import logging
from pathlib import Path

from PySide6.QtCore import QCoreApplication, QLibraryInfo, QLocale, QTranslator

log = logging.getLogger(__name__)

TRANSLATIONS = Path(__file__).resolve().parent / "translations"
_installed: list[QTranslator] = []  # QCoreApplication does not own translators: keep them alive


def install_translators(app: QCoreApplication, locale: QLocale | None = None) -> list[str]:
    """Install Qt's own and AltLens's catalogues for `locale` (default: the system's), with
    English underneath as the fallback for plural forms. Returns the catalogues loaded."""
    locale = locale or QLocale.system()
    loaded: list[str] = []

    def add(translator: QTranslator, label: str) -> None:
        app.installTranslator(translator)
        _installed.append(translator)
        loaded.append(label)

    english = QTranslator()
    if english.load(str(TRANSLATIONS / "altlens_en.qm")):
        add(english, "altlens_en")
    else:
        log.warning("English catalogue missing from %s; plural forms will read '(s)'", TRANSLATIONS)
    qt = QTranslator()
    if qt.load(locale, "qtbase", "_", QLibraryInfo.path(QLibraryInfo.LibraryPath.TranslationsPath)):
        add(qt, "qtbase")
    ours = QTranslator()
    if locale.language() != QLocale.Language.English and ours.load(
        locale, "altlens", "_", str(TRANSLATIONS)
    ):
        add(ours, f"altlens_{locale.name()}")
    return loaded
