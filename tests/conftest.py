"""Test-session set-up shared by every test package.

Qt runs headless (offscreen, Chromium without its sandbox as root), and QtWebEngine is
imported before pytest-qt creates the QApplication, as QtWebEngine requires.
"""

import PySide6.QtWebEngineWidgets  # noqa: F401  (must come before any QApplication)

from console.app import prepare_environment

prepare_environment(headless=True)
