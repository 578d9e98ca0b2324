"""Test-session set-up shared by every test package.

Qt runs headless (offscreen, Chromium without its sandbox as root), and QtWebEngine is
imported before pytest-qt creates the QApplication, as QtWebEngine requires.
"""

import json
import os
import sys

import PySide6.QtWebEngineWidgets  # noqa: F401  (must come before any QApplication)
import pytest

from console.app import prepare_environment
from data import coveragemap
from data.store import Store
from tests.pg import pg_cluster, pg_store_url, pg_url, store_location  # noqa: F401  (PostgreSQL fixtures)

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


@pytest.fixture
def kept_coverage(monkeypatch):
    """A function of a store's path giving the reached shares of its kept police coverage; the
    test fails if the coverage has to be computed instead of read back."""
    def computed_again(*_):
        raise AssertionError("the coverage was computed again")

    def reached_shares(path) -> list[float]:
        monkeypatch.setattr(coveragemap, "_coverage_bands", computed_again)
        with Store.open(path) as store:
            return [feature["properties"]["reached_share"] for part in coveragemap.coverage_parts(store)
                    for feature in json.loads(part)["features"]]

    return reached_shares
