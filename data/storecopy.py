"""Moving a centre between stores: a GeoPackage to PostgreSQL when it outgrows one seat, and back
(or one server to another). No Qt.

Everything a centre is travels: every layer and table of data.schema (grid history, users with
their password hashes as they are, centre settings, the derived cache) and the migrations'
record. Rows are streamed in fid order, CHUNK_ROWS at a time, so a city of a million tickets
never sits in memory whole; on PostgreSQL they go in with COPY. Table rows keep their fids (the
timeline and audit sequences the live feed reads by); layer features are numbered again in the
same order (the layer writers number them, and nothing refers to a feature by its fid).

The target ends complete or untouched: on PostgreSQL the whole copy is one transaction; a
GeoPackage is built beside its final path and moved into place (data.storefile). Afterwards each
table's rows are counted on both sides and a digest of their content compared: the digest reads
values as both backends give them back (numbers as numbers, geometries as 2D WKB), so it agrees
across backends when the content does.
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import geopandas as gpd
import pandas as pd
import shapely

from data import auth, postgis
from data.migrations import MIGRATIONS_TABLE
from data.schema import LAYERS, STORAGE_SRID, TABLES, Table
from data.store import Store, StoreError, Transaction
from data.storefile import store_built_beside

CHUNK_ROWS = 50_000
# A store holds a centre once it has any of these (an empty, migrated store does not).
CENTRE_TABLES = ("grids", "responders", "tickets")


class CopyRefused(StoreError):
    """The copy was not made (the target holds a centre, the copy would overwrite its source);
    nothing was changed."""


class CopyFailed(StoreError):
    """The copy did not match its source once written; it was not kept."""


@dataclass
class CopyReport:
    source: str
    target: str
    schema_version: int
    seconds: float = 0.0
    tables: dict[str, dict] = field(default_factory=dict)  # name -> {"rows": n, "digest": hex}

    @property
    def rows(self) -> int:
        return sum(t["rows"] for t in self.tables.values())


def holds_centre(store: Store) -> bool:
    return any(store.count(name) for name in CENTRE_TABLES)


def copy_store(source: Store, target: str, force: bool = False, session: auth.Session | None = None,
               progress: Callable[[str, int], None] | None = None) -> CopyReport:
    """Copy everything in `source` to the store at `target` (a GeoPackage path or a postgresql://
    URL), made if it does not exist; refused (CopyRefused) when `target` already holds a centre,
    unless `force`, which replaces it. A source with users needs an admin `session` (the copy
    carries their password hashes). `progress(table, rows so far)` is told as chunks land."""
    if auth.has_users(source):
        auth.check(source, session, "users.manage")
    if _same_place(source, target):
        raise CopyRefused(f"{source.location} is the source itself")
    started = time.perf_counter()
    report = CopyReport(source.location, target, source.schema_version)
    if postgis.is_url(target):
        _copy_to_server(source, target, force, report, progress)
    else:
        _copy_to_file(source, Path(target), force, report, progress)
    report.seconds = round(time.perf_counter() - started, 2)
    return report


def _same_place(source: Store, target: str) -> bool:
    if postgis.is_url(target):
        return source.path is None and postgis.shown(target) == source.location
    return source.path is not None and Path(target).resolve() == Path(source.path).resolve()


def _copy_to_server(source: Store, url: str, force: bool, report: CopyReport, progress) -> None:
    try:
        store = Store.open(url)
    except StoreError as err:
        if "is not a gridsight store" not in str(err):
            raise
        store = Store.create(url)
    with store:
        report.target = store.location
        _refuse_centre(store, force)
        # One transaction: the writers' lock keeps seats out, and a failure leaves the store as it was.
        # What is there goes (a centre only when forced; else an empty store's first admin or name).
        with store.transaction() as tx:
            names = ", ".join(f'"{n}"' for n in (*LAYERS, *TABLES))
            tx.execute(f"TRUNCATE {names} RESTART IDENTITY")
            _copy_rows(source, tx, report, progress)
            for name in TABLES:  # new rows after the copied fids
                tx.execute(f"SELECT setval(pg_get_serial_sequence('\"{name}\"', 'fid'), "
                           f'coalesce((SELECT max(fid) FROM "{name}"), 0) + 1, false)')
            _verify(tx, store.dialect, report)


def _copy_to_file(source: Store, path: Path, force: bool, report: CopyReport, progress) -> None:
    if path.exists():
        try:
            with Store.open(path) as existing:
                _refuse_centre(existing, force)
        except CopyRefused:
            raise
        except StoreError as err:
            if not force:
                raise CopyRefused(f"{path} exists and is not an empty gridsight store ({err}); "
                                  "--force replaces it") from None
    with store_built_beside(path) as store:
        with store.transaction() as tx:
            _copy_rows(source, tx, report, progress)
            _verify(tx, store.dialect, report)
    report.target = str(path)


def _refuse_centre(store: Store, force: bool) -> None:
    if not force and holds_centre(store):
        counts = ", ".join(f"{store.count(n)} {n}" for n in CENTRE_TABLES)
        raise CopyRefused(f"{store.location} already holds a centre ({counts}); --force replaces it")


def _copy_rows(source: Store, tx: Transaction, report: CopyReport, progress) -> None:
    tx.execute(f'DELETE FROM "{MIGRATIONS_TABLE}"')
    tx.conn.exec_driver_sql(f'INSERT INTO "{MIGRATIONS_TABLE}" VALUES (?, ?, ?)',
                            source.query(f'SELECT * FROM "{MIGRATIONS_TABLE}" ORDER BY version'))
    on_server = tx.conn.dialect.name == "postgresql"
    for name, layer in LAYERS.items():
        tally = _Tally(layer, source.dialect)
        for chunk in _layer_chunks(source.query, source.dialect, name):
            geoms = tally.add_features(chunk)
            frame = gpd.GeoDataFrame(pd.DataFrame.from_records([r[2:] for r in chunk], columns=layer.column_names),
                                     geometry=geoms, crs=f"EPSG:{STORAGE_SRID}")
            tx.write_layer(name, frame)
            if progress:
                progress(name, tally.rows)
        report.tables[name] = tally.result()
    for name, table in TABLES.items():
        tally = _Tally(table, source.dialect)
        for chunk in _table_chunks(source.query, name):
            tally.add_rows(chunk)
            if on_server:
                _copy_in(tx, table, chunk)
            else:
                marks = ", ".join("?" * (len(table.column_names) + 1))
                tx.conn.exec_driver_sql(f'INSERT INTO "{name}" (fid, {_columns(table)}) VALUES ({marks})', chunk)
            if progress:
                progress(name, tally.rows)
        report.tables[name] = tally.result()


def _columns(table: Table) -> str:
    return ", ".join(f'"{c}"' for c in table.column_names)


def _copy_in(tx: Transaction, table: Table, rows: list[tuple]) -> None:
    with tx.conn.connection.dbapi_connection.cursor() as cursor, \
            cursor.copy(f'COPY "{table.name}" (fid, {_columns(table)}) FROM STDIN') as copy:
        for row in rows:
            copy.write_row(row)


Query = Callable[[str, tuple], list[tuple]]


def _chunks(query: Query, select: str) -> Iterator[list[tuple]]:
    """Rows of `select` (which ends in `WHERE t.fid > ?`) in fid order, CHUNK_ROWS at a time (keyset paging)."""
    last = -1
    while True:
        rows = query(f"{select} ORDER BY t.fid LIMIT ?", (last, CHUNK_ROWS))
        if not rows:
            return
        yield rows
        last = rows[-1][0]


def _layer_chunks(query: Query, dialect, name: str) -> Iterator[list[tuple]]:
    columns = ", ".join(f't."{c}"' for c in LAYERS[name].column_names)
    return _chunks(query, f'SELECT t.fid, {dialect.geometry("t.geom")}, {columns} FROM "{name}" t WHERE t.fid > ?')


def _table_chunks(query: Query, name: str) -> Iterator[list[tuple]]:
    columns = ", ".join(f't."{c}"' for c in TABLES[name].column_names)
    return _chunks(query, f'SELECT t.fid, {columns} FROM "{name}" t WHERE t.fid > ?')


class _Tally:
    """Rows and a content digest of one table, fed chunk by chunk: values as the schema types them
    whichever backend gave them back, geometries as 2D WKB; a table's fids count, a layer's do not."""

    def __init__(self, table: Table, dialect):
        self.table, self.dialect = table, dialect
        self.rows = 0
        self._digest = hashlib.blake2b(digest_size=16)

    def add_features(self, chunk: list[tuple]):
        """Counts the features of `chunk` (fid, geometry, values...); returns their shapely geometries."""
        geoms = self.dialect.decode_geometries([r[1] for r in chunk])
        wkb = shapely.to_wkb(shapely.force_2d(geoms), byte_order=1)
        for row, shape in zip(chunk, wkb.tolist()):
            self._digest.update(repr((self._plain(row[2:]), shape)).encode())
        self.rows += len(chunk)
        return geoms

    def add_rows(self, chunk: list[tuple]) -> None:
        for row in chunk:
            self._digest.update(repr((row[0], self._plain(row[1:]))).encode())
        self.rows += len(chunk)

    def _plain(self, values: tuple) -> tuple:
        return tuple(value if value is None or column.sql_type == "TEXT"
                     else int(value) if column.sql_type == "INTEGER" else float(value)
                     for value, column in zip(values, self.table.columns))

    def result(self) -> dict:
        return {"rows": self.rows, "digest": self._digest.hexdigest()}


def table_digests(query: Query, dialect) -> dict[str, dict]:
    """Rows and content digest of every layer and table, read through `query` (a store's, or a
    transaction's to see what it has not committed yet)."""
    found = {}
    for name, layer in LAYERS.items():
        tally = _Tally(layer, dialect)
        for chunk in _layer_chunks(query, dialect, name):
            tally.add_features(chunk)
        found[name] = tally.result()
    for name, table in TABLES.items():
        tally = _Tally(table, dialect)
        for chunk in _table_chunks(query, name):
            tally.add_rows(chunk)
        found[name] = tally.result()
    return found


def _verify(tx: Transaction, dialect, report: CopyReport) -> None:
    """Compare every table of the copy, before it commits, with its source (the report's tallies)."""
    copied = table_digests(lambda sql, params: tx.conn.exec_driver_sql(sql, params).cursor.fetchall(), dialect)
    differ = [name for name in copied if copied[name] != report.tables.get(name)]
    if differ:
        detail = "; ".join(f"{n}: {report.tables[n]['rows']} rows in the source, {copied[n]['rows']} in the copy"
                           for n in differ)
        raise CopyFailed(f"the copy differs from its source, nothing was kept ({detail})")
