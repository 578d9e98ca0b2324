"""A new store built whole or not at all: a file written beside its final path and moved into
place once complete, so that a failed build leaves no half-written file (and an old one
untouched); a store on PostgreSQL dropped again when its build fails."""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from data import migrations, postgis
from data.dialect import POSTGRES
from data.schema import LAYERS, TABLES
from data.store import Store


@contextmanager
def store_built_beside(path: str | os.PathLike) -> Iterator[Store]:
    """A new, empty store at a hidden partial path beside `path`; when the block ends without an
    error it replaces whatever is at `path`, and on any error it is deleted."""
    path = Path(path)
    partial = path.with_name(f".{path.name}.partial")
    remove_database(partial)
    store = Store.create(partial)
    try:
        yield store
    except BaseException:
        store.close()
        remove_database(partial)
        raise
    store.close()
    remove_database(path)
    os.replace(partial, path)


def remove_database(path: str | os.PathLike) -> None:
    """Delete an SQLite file with its WAL and shared-memory files (a stale WAL would corrupt a new file)."""
    for suffix in ("", "-wal", "-shm"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)


@contextmanager
def store_built_in(url: str, replace: bool = False) -> Iterator[Store]:
    """A new store in the PostgreSQL database at `url` (which must hold none unless `replace`: then
    the old one is dropped first). A server database cannot be moved into place as a file is:
    on any error in the block, every table and function the store made is dropped again, so
    nothing half-built is left for a console to open."""
    if replace:
        drop_server_store(url)
    store = Store.create(url)
    try:
        yield store
    except BaseException:
        store.close()
        drop_server_store(url)
        raise
    store.close()


def drop_server_store(url: str) -> None:
    """Drop a store's tables and functions from a PostgreSQL database (PostGIS stays)."""
    engine = postgis.make_engine(url)
    try:
        with engine.begin() as conn:
            names = [*LAYERS, *TABLES, migrations.MIGRATIONS_TABLE, POSTGRES.layer_changes]
            conn.exec_driver_sql("DROP TABLE IF EXISTS " + ", ".join(f'"{name}"' for name in names) + " CASCADE")
            functions = conn.exec_driver_sql(
                "SELECT p.oid::regprocedure::text FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace "
                "WHERE n.nspname = current_schema() AND starts_with(p.proname, 'gridsight_')").scalars().all()
            for signature in functions:
                conn.exec_driver_sql(f"DROP FUNCTION IF EXISTS {signature} CASCADE")
    finally:
        engine.dispose()
