"""Stores on both backends for the workflow, stats and ticket CLI tests.

A fixture parametrized over BACKENDS gets the location of a fresh store with `new_location`
and makes it with `new_store`; `server_store` is an empty store on PostgreSQL for a wider
fixture (a demo city built once as a GeoPackage is copied into it with data.storecopy);
`full_scans` asks either planner whether a query reads a whole table.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import pytest

from data import postgis
from data.store import Store
from tests.pg import STORE_TEMPLATE, PgCluster

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


@contextmanager
def server_store(cluster: PgCluster) -> Iterator[str]:
    """The URL of an empty store on the session's cluster for a fixture wider than one test
    (pg_store_url lasts one test); dropped afterwards."""
    name = cluster.new_database(STORE_TEMPLATE)
    try:
        yield cluster.url(name)
    finally:
        cluster.drop_database(name)


def full_scans(store: Store, sql: str, params: tuple = ()) -> list[str]:
    """The tables a query would read row by row when it could use an index instead. SQLite: its
    plan's SCAN steps of a table. PostgreSQL: Seq Scan nodes left with sequential scans switched
    off (the planner still takes one only when no index serves; on the test's small tables it
    would otherwise prefer them anyway)."""
    if store.dialect.name == "sqlite":
        plan = [row[-1] for row in store.query(f"EXPLAIN QUERY PLAN {sql}", params)]
        # A subquery in FROM is named by its alias; reading it back is no table scan.
        subqueries = {step.split()[1] for step in plan if step.startswith(("CO-ROUTINE", "MATERIALIZE"))}
        return [step for step in plan if step.startswith("SCAN") and "INDEX" not in step
                and not step.startswith("SCAN rtree") and "subquery" not in step.lower()
                and step.split()[1] not in subqueries]
    with store.transaction() as tx:  # SET LOCAL ends with it
        tx.execute("SET LOCAL enable_seqscan = off")
        plan = tx.execute(f"EXPLAIN (FORMAT JSON) {sql}", params).scalar()
    nodes, scans = [plan[0]["Plan"]], []
    while nodes:
        node = nodes.pop()
        if node["Node Type"] == "Seq Scan":
            scans.append(f"Seq Scan on {node['Relation Name']}")
        nodes += node.get("Plans", [])
    return scans
