"""Fixtures shared by the console tests: the tiny city's store, changed copies of it, and windows
opened headless."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from console.app import ConsoleWindow, application
from data.store import Store
from tests.console.tiny_city import build_tiny_city


@pytest.fixture(scope="module")
def city_path(tmp_path_factory):
    path = tmp_path_factory.mktemp("city") / "tiny.gpkg"
    build_tiny_city(path).close()
    return path


@pytest.fixture
def city_copy(city_path, tmp_path):
    """A writable copy of the tiny city at tmp_path/`name`, changed by SQL `statements` in one transaction."""

    def copy(name: str, *statements: str) -> Path:
        path = tmp_path / name
        shutil.copy(city_path, path)
        with Store.open(path) as store, store.transaction() as tx:
            for statement in statements:
                tx.execute(statement)
        return path

    return copy


@pytest.fixture
def store_path(city_path):
    """The store `store` opens; a test module overrides it to work on a changed copy."""
    return city_path


@pytest.fixture
def store(store_path):
    with Store.open(store_path) as store:
        yield store


@pytest.fixture
def show_window(qtbot):
    """Show a window headless in a language and wait for its `ready` signal; the window and the
    signal's arguments."""

    def show(language: str, make_window, ready: str, size: tuple[int, int]):
        application(language, headless=True)  # before the window: it needs the application
        window = make_window()
        qtbot.addWidget(window)
        window.resize(*size)
        with qtbot.waitSignal(getattr(window, ready), timeout=20_000) as fired:
            window.show()
        return window, fired.args

    return show


@pytest.fixture
def open_window(qtbot, show_window, store):
    """Open the console window in a language and wait until its map has drawn every layer."""

    def open_(language: str = "zh_CN", on: Store | None = None, feed=None):
        window, (counts,) = show_window(language, lambda: ConsoleWindow(on or store, feed), "mapReady", (1200, 800))
        # Settled: the first incident's recommendations shown and the map zoomed onto them, so
        # that nothing moves the map under a test's clicks.
        if window.details.ticket is not None:
            qtbot.waitUntil(lambda: window.recommendations_done and not window.map.selection_pending,
                            timeout=10_000)
        return window, counts

    return open_
