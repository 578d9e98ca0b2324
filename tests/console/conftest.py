"""Fixtures shared by the console tests: the tiny city's store and an opened console window."""

from __future__ import annotations

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
def store(city_path):
    with Store.open(city_path) as store:
        yield store


@pytest.fixture
def open_window(qtbot, store):
    """Open the console window in a language and wait until its map has drawn every layer."""

    def open_(language: str = "zh_CN", on: Store | None = None, feed=None):
        application(language, headless=True)
        window = ConsoleWindow(on or store, feed)
        qtbot.addWidget(window)
        window.resize(1200, 800)
        with qtbot.waitSignal(window.mapReady, timeout=20_000) as drawn:
            window.show()
        # Settled: the first incident's recommendations shown and the map zoomed onto them, so
        # that nothing moves the map under a test's clicks.
        if window.details.ticket is not None:
            qtbot.waitUntil(lambda: window.recommendations_done and not window.map.selection_pending,
                            timeout=10_000)
        return window, drawn.args[0]

    return open_
