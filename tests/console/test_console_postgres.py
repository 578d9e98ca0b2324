"""The dispatcher's console on a store on PostgreSQL: the tiny city copied onto the server draws
every layer, and the police coverage's child process opens the same server store."""

from __future__ import annotations

import pytest

from data.store import Store
from data.storecopy import copy_store
from tests.console.tiny_city import LAYER_COUNTS, run_js


@pytest.fixture
def store(city_path, pg_store_url):
    """The tiny city on the server, opened with a password in its URL (the test server trusts any:
    what matters is that the console's child process gets it without a command line showing it)."""
    with Store.open(city_path) as city:
        copy_store(city, pg_store_url)
    with Store.open(pg_store_url.replace("postgres@", "postgres:s3cret@")) as server:
        yield server


def test_the_console_opens_on_a_postgresql_store_and_draws_every_layer(open_window, qtbot, store):
    assert store.path is None and "s3cret" not in store.location
    window, counts = open_window()
    assert counts == LAYER_COUNTS
    assert run_js(qtbot, window, "gridsightMap.featureCounts()") == LAYER_COUNTS
    failures = []
    window.map.coverageFailed.connect(failures.append)
    child = window.map._coverage.child
    assert "s3cret" not in " ".join(child.args)
    qtbot.waitUntil(lambda: child.poll() is not None, timeout=30_000)
    qtbot.wait(100)
    assert child.returncode == 0 and failures == []
