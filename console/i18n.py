"""UI language: Qt translators for gridsight's own strings and for Qt's built-in ones.

Source strings are English; Simplified Chinese is the default language and comes from
resources/translations/gridsight_zh_CN.ts, compiled to .qm by scripts/install.sh.
Qt is imported inside the functions so that the CLI can offer the languages without it.
"""

from __future__ import annotations

from pathlib import Path

TRANSLATIONS_DIR = Path(__file__).resolve().parents[1] / "resources" / "translations"
LANGUAGES = ("zh_CN", "en")
DEFAULT_LANGUAGE = "zh_CN"
SOURCE_LANGUAGE = "en"  # needs no catalogue


class TranslationsMissing(RuntimeError):
    """The compiled catalogue for a language is not there (set-up was not run)."""


def use_language(app, language: str) -> None:
    """Switch the QApplication's language, replacing translators installed by an earlier call."""
    from PySide6.QtCore import QLibraryInfo, QLocale, QTranslator

    if language not in LANGUAGES:
        raise ValueError(f"unknown language {language!r}: use one of {', '.join(LANGUAGES)}")
    for old in app.findChildren(QTranslator, "gridsight"):
        app.removeTranslator(old)
        old.deleteLater()
    QLocale.setDefault(QLocale(language))
    if language == SOURCE_LANGUAGE:
        return
    _install(app, TRANSLATIONS_DIR / f"gridsight_{language}.qm", required=True)
    qt_catalogues = Path(QLibraryInfo.path(QLibraryInfo.LibraryPath.TranslationsPath))
    _install(app, qt_catalogues / f"qtbase_{language}.qm", required=False)


def _install(app, qm_file: Path, required: bool) -> None:
    from PySide6.QtCore import QTranslator

    translator = QTranslator(app)
    translator.setObjectName("gridsight")  # found again by the next use_language()
    if translator.load(str(qm_file)):
        app.installTranslator(translator)
        return
    translator.deleteLater()
    if required:
        raise TranslationsMissing(f"{qm_file} is missing or unreadable; run scripts/install.sh to build it")
