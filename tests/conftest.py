"""Test-session set-up shared by every test package.

Qt runs headless (offscreen, Chromium without its sandbox as root), and QtWebEngine is
imported before pytest-qt creates the QApplication, as QtWebEngine requires.
"""

import os
import sys

import PySide6.QtWebEngineWidgets  # noqa: F401  (must come before any QApplication)
import pytest

from console.app import prepare_environment

prepare_environment(headless=True)
_EXIT_STATUS = pytest.StashKey[int]()


def pytest_sessionfinish(session, exitstatus):
    session.config.stash[_EXIT_STATUS] = int(exitstatus)


def pytest_unconfigure(config):
    """Leave without the interpreter's teardown once everything is reported: at that point
    QtWebEngine may destroy its profile while a page still awaits deletion and crash with
    SIGSEGV, which would turn a passing run into a failed one."""
    if _EXIT_STATUS in config.stash:
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(config.stash[_EXIT_STATUS])
