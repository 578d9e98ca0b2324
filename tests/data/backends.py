"""Stores on both backends for the workflow, stats and ticket CLI tests.

A fixture parametrized over BACKENDS gets the location of a fresh store with `new_location`
and makes it with `new_store`; `copy_store` puts a GeoPackage's rows in an empty store on
PostgreSQL, so that a demo city built once (a GeoPackage file) serves both backends.
"""

from __future__ import annotations

import pytest

from data import postgis
from data.schema import LAYERS, TABLES
from data.store import Store

BACKENDS = ("geopackage", "postgis")


def new_location(request: pytest.FixtureRequest, tmp_path) -> str:
    """Where the requesting fixture's store goes on its backend (request.param): a GeoPackage path
    not yet made, or the URL of an empty store on the session's PostgreSQL cluster."""
    if request.param == "geopackage":
        return str(tmp_path / "city.gpkg")
    return request.getfixturevalue("pg_store_url")


def new_store(location: str) -> Store:
    """The empty store at a `new_location`: created (a GeoPackage) or opened (already migrated)."""
    return Store.open(location) if postgis.is_url(location) else Store.create(location)


def copy_store(source: Store, target: Store) -> None:
    """Every layer and table of `source` appended to the empty store `target`, in one transaction
    (fids are the target's own, in the same order)."""
    with target.transaction() as tx:
        for name in LAYERS:
            frame = source.read_layer(name)
            if len(frame):
                tx.write_layer(name, frame.drop(columns="fid"))
        for name in TABLES:
            frame = source.read_table(name)
            if len(frame):
                tx.insert_rows(name, frame.drop(columns="fid"))
