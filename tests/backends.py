"""Stores on both backends for the search, doctor and CLI test modules.

`module_location` is where a module's store is made, once per backend (a GeoPackage path, then
an empty PostgreSQL database of the session's cluster, tests/pg.py); a GeoPackage a helper
built (the demo) goes to the server with data.storecopy, once into a `server_template` that each
test clones. `dump` stands for a store's content,
for "nothing changed" on a backend where comparing files' bytes means nothing.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager

import pytest

from data.storecopy import table_digests
from data.store import Store
from tests.data.backends import BACKENDS


@pytest.fixture(scope="module", params=BACKENDS)
def module_location(request, tmp_path_factory):
    """Where a module's store can be made: a GeoPackage path, then the URL of an empty PostgreSQL
    database (PostGIS only) dropped when the module is done."""
    if request.param == "geopackage":
        yield str(tmp_path_factory.mktemp("store") / "city.gpkg")
        return
    cluster = request.getfixturevalue("pg_cluster")
    name = cluster.new_database()
    try:
        yield cluster.url(name)
    finally:
        cluster.drop_database(name)


@contextmanager
def server_template(cluster, fill: Callable[[str], None]) -> Iterator[str]:
    """The name of a database `fill(url)` filled once, for tests to clone a store from (about 0.1 s,
    where filling it again takes longer): cluster.new_database(template=name). Dropped afterwards."""
    name = cluster.new_database()
    try:
        fill(cluster.url(name))
        yield name
    finally:
        cluster.drop_database(name)


def dump(store: Store) -> dict[str, dict]:
    """Every layer's and table's row count and content digest (store copy's own check)."""
    return table_digests(store.query, store.dialect)
