"""Stores on both backends for test modules that build one store and read it in many tests.

`module_location` is where a module's store is made, once per backend (a GeoPackage path, then
an empty PostgreSQL database of the session's cluster, tests/pg.py). `copy_store` copies what
one store holds into a new store through the Store API alone (for a GeoPackage built by a
helper that writes files, such as the demo), and `dump` is every table's rows, for "nothing
changed" on a backend where comparing files' bytes means nothing.
"""

from __future__ import annotations

import pytest
import shapely

from data.schema import LAYERS, TABLES
from data.store import Store

BACKENDS = ("geopackage", "postgis")
# Kept by the store itself (a slow result read back, the template's own rows): not the centre's data.
_NOT_COPIED = {"derived_cache"}


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


def copy_store(source: Store, location: str) -> Store:
    """A new store at `location` holding every layer's and table's rows of `source`, in fid order
    (so that the fids come out the same on a new store)."""
    target = Store.create(location)
    with target.transaction() as tx:
        for name in TABLES:
            if name not in _NOT_COPIED and target.count(name) == 0:
                rows = source.read_table(name)
                if len(rows):
                    tx.insert_rows(name, rows.drop(columns=["fid"]))
        for name in LAYERS:
            frame = source.read_layer(name)
            if len(frame):
                tx.write_layer(name, frame.drop(columns=["fid"]))
    return target


def dump(store: Store) -> dict[str, list[tuple]]:
    """Every layer's and table's rows (geometry as WKB hex), to compare a store before and after."""
    tables = {name: [tuple(row) for row in store.read_table(name).itertuples(index=False)]
              for name in TABLES if name not in _NOT_COPIED}
    for name in LAYERS:
        frame = store.read_layer(name)
        shapes = [None if g is None else shapely.to_wkb(g, hex=True) for g in frame.geometry]
        rows = frame.drop(columns="geometry").itertuples(index=False)
        tables[name] = [(*row, shape) for row, shape in zip(rows, shapes)]
    return tables
