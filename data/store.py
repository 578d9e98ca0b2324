"""The store: the map layers and the ticket tables, in one GeoPackage file or on PostgreSQL.

A GeoPackage path opens the embedded store, for one seat and for the demo; a URL
`postgresql://user@host:port/dbname` (or `postgresql:///dbname?host=/socket/dir`) opens the
same tables on PostgreSQL + PostGIS, for many seats (data.postgis). Both go through SQLAlchemy
and take the same SQL from callers, SQLite-style (data.dialect); what is GeoPackage-specific
(geometry blobs, R-tree maintenance) stays in `data.geopackage` and here.

Every write is one transaction: on the GeoPackage in WAL mode with full sync, so a crash at
any moment leaves either the whole change or none of it; on PostgreSQL the server's own.
Writers queue on both (BEGIN IMMEDIATE; an advisory lock on PostgreSQL).
"""

from __future__ import annotations

import sqlite3
import time
from collections.abc import Callable, Iterator
from contextlib import closing, contextmanager
from datetime import datetime, timezone
from pathlib import Path
from typing import TypeVar

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from sqlalchemy import create_engine, event
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.exc import DBAPIError, OperationalError, SQLAlchemyError

from data import geopackage, migrations, postgis
from data.dialect import POSTGRES, SQLITE, SqliteDialect
from data.schema import LAYERS, STORAGE_SRID, TABLES, Layer, Table

# Appends smaller than this go through the R-tree triggers; larger writes drop the
# triggers and fill the index in one pass, which is an order of magnitude faster.
BULK_ROWS = 2000

_POINT, _LINESTRING, _POLYGON, _MULTIPOLYGON = (
    shapely.GeometryType.POINT, shapely.GeometryType.LINESTRING,
    shapely.GeometryType.POLYGON, shapely.GeometryType.MULTIPOLYGON,
)
# Geometry types a layer takes; polygons are promoted to multipolygons on write.
_ACCEPTED_TYPES = {
    "POINT": {_POINT},
    "LINESTRING": {_LINESTRING},
    "MULTIPOLYGON": {_POLYGON, _MULTIPOLYGON},
}


# Attempts of a write transaction the server aborted to let another go on (PostgreSQL only).
RETRY_ATTEMPTS = 5
T = TypeVar("T")


class StoreError(Exception):
    """The store cannot do what was asked; the message says why, nothing was changed."""


class StoreBusy(StoreError):
    """The server aborted a write transaction to let a conflicting one go on (a deadlock or a
    serialization failure); nothing was changed, and the same work run again can succeed."""


class Transaction:
    """Writes that land together or not at all."""

    def __init__(self, conn: Connection):
        self.conn = conn

    def write_layer(self, name: str, frame: gpd.GeoDataFrame, mode: str = "append") -> int:
        """Write features into a spatial layer; `replace` empties the layer first."""
        layer = _layer(name)
        if mode not in ("append", "replace"):
            raise StoreError(f"unknown write mode {mode!r}: use 'append' or 'replace'")
        geoms, values = _conform_features(layer, frame)
        if self.conn.dialect.name == "postgresql":
            postgis.write_features(self.conn, layer, geoms, values, replace=mode == "replace")
        else:
            _write_features(self.conn, layer, geoms, values, replace=mode == "replace")
        return len(geoms)

    def insert_rows(self, name: str, rows: pd.DataFrame | list[dict]) -> int:
        """Append rows to an application table."""
        table = _table(name)
        frame = rows if isinstance(rows, pd.DataFrame) else pd.DataFrame(list(rows))
        values = _conform_attributes(table, frame)
        if not values:
            return 0
        columns = ", ".join(f'"{c}"' for c in table.column_names)
        marks = ", ".join("?" * len(table.column_names))
        self.conn.exec_driver_sql(f'INSERT INTO "{name}" ({columns}) VALUES ({marks})', values)
        return len(values)

    def execute(self, sql: str, params=()):
        """Run one SQL statement inside this transaction (for the workflow's own updates)."""
        return self.conn.exec_driver_sql(sql, params)


class Store:
    """A gridsight store in one GeoPackage file or in a PostgreSQL database.

    `path` is the GeoPackage file (None on PostgreSQL); `location` names the store either way,
    as it may be shown (a URL's password masked); `dialect` spells what the two SQLs spell apart.
    """

    def __init__(self, path: Path | None, engine: Engine, dialect: SqliteDialect = SQLITE,
                 location: str | None = None):
        self.path = path
        self.location = location if location is not None else str(path)
        self.dialect = dialect
        self._engine = engine

    @classmethod
    def create(cls, path: str | Path) -> "Store":
        """A new store: a GeoPackage file that must not exist yet, or an existing PostgreSQL database
        that holds no store yet (PostGIS is enabled in it when the account may)."""
        if postgis.is_url(path):
            return cls._connect_postgres(path, new=True)
        path = Path(path)
        if path.exists():
            raise StoreError(f"{path} already exists; refusing to overwrite it")
        if not path.parent.is_dir():
            raise StoreError(f"folder {path.parent} does not exist")
        return cls._connect(path)

    @classmethod
    def open(cls, path: str | Path) -> "Store":
        """An existing store (a GeoPackage path or a PostgreSQL URL), migrated to this gridsight's schema."""
        if postgis.is_url(path):
            return cls._connect_postgres(path, new=False)
        path = Path(path)
        if not path.is_file():
            raise StoreError(f"store {path} does not exist")
        # Look before connecting for real: the engine switches the file to WAL, which a
        # file we then refuse must not undergo.
        try:
            with closing(sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True)) as probe:
                tables = {r[0] for r in probe.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
        except sqlite3.DatabaseError as err:
            raise StoreError(f"{path} is not a GeoPackage/SQLite file ({err})") from None
        if migrations.MIGRATIONS_TABLE not in tables:
            raise StoreError(f"{path} is not a gridsight store (no {migrations.MIGRATIONS_TABLE} table)")
        store = cls(path, _make_engine(path))
        store._migrate()
        return store

    @classmethod
    def _connect(cls, path: Path) -> "Store":
        store = cls(path, _make_engine(path))
        store._migrate()
        return store

    @classmethod
    def _connect_postgres(cls, url: str, new: bool) -> "Store":
        try:
            engine = postgis.make_engine(url)
            location = postgis.shown(url)
        except ValueError as err:
            raise StoreError(f"cannot use that store URL: {err}") from None  # it may hold a password
        store = cls(None, engine, POSTGRES, location)
        try:
            with engine.connect() as conn:
                has_store = conn.exec_driver_sql(
                    "SELECT to_regclass(?) IS NOT NULL", (migrations.MIGRATIONS_TABLE,)).scalar_one()
                has_postgis = conn.exec_driver_sql(
                    "SELECT count(*) FROM pg_extension WHERE extname = 'postgis'").scalar_one()
            if new and has_store:
                raise StoreError(f"{location} already holds a gridsight store; refusing to overwrite it")
            if not new and not has_store:
                raise StoreError(f"{location} is not a gridsight store (no {migrations.MIGRATIONS_TABLE} table)")
            if not has_postgis:
                with engine.begin() as conn:
                    conn.exec_driver_sql("CREATE EXTENSION IF NOT EXISTS postgis")
            store._migrate()
        except DBAPIError as err:
            store.close()
            raise StoreError(f"cannot open the store {location}: {_reason(err)}") from None
        except StoreError:
            store.close()
            raise
        return store

    def _migrate(self) -> None:
        with self.transaction() as tx:
            migrations.ensure_migrations_table(tx.conn)
            version = migrations.current_version(tx.conn)
            if version > migrations.LATEST_VERSION:
                raise StoreError(
                    f"{self.location} has schema version {version}, newer than this gridsight "
                    f"({migrations.LATEST_VERSION}); upgrade gridsight"
                )
            applied = migrations.apply_pending(tx.conn)
        if applied and not self._on_server:
            # GDAL reads the GeoPackage header straight from the main file, not the WAL.
            with self._engine.connect() as conn:
                conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")

    @property
    def _on_server(self) -> bool:
        return self.dialect is POSTGRES

    @property
    def schema_version(self) -> int:
        with self._engine.connect() as conn:
            return migrations.current_version(conn)

    @contextmanager
    def transaction(self) -> Iterator[Transaction]:
        """One write transaction (BEGIN IMMEDIATE, or the writers' lock on PostgreSQL: writers queue
        instead of deadlocking). A generator cannot run its block twice, so a transaction the
        server aborted raises StoreBusy here; `run_in_transaction` runs the work again."""
        try:
            with self._engine.connect().execution_options(gridsight_write=True) as conn:
                with conn.begin():
                    if self._on_server:
                        postgis.lock_writers(conn)
                    yield Transaction(conn)
        except sqlite3.IntegrityError as err:
            raise StoreError(f"refused by the store: {err}") from None
        except SQLAlchemyError as err:
            if self._on_server and postgis.sqlstate(err) in postgis.RETRYABLE:
                raise StoreBusy(f"store write failed, nothing was changed: {_reason(err)}") from None
            raise StoreError(f"store write failed, nothing was changed: {_reason(err)}") from None

    def run_in_transaction(self, work: Callable[[Transaction], T], attempts: int = RETRY_ATTEMPTS) -> T:
        """`work(tx)` in one write transaction; run again from the start, a little later each time,
        when the server aborted it for a conflicting writer (StoreBusy). `work` must do nothing
        outside the transaction that it could not do twice."""
        for attempt in range(attempts):
            try:
                with self.transaction() as tx:
                    return work(tx)
            except StoreBusy:
                if attempt == attempts - 1:
                    raise
                time.sleep(0.05 * 2 ** attempt)
        raise AssertionError("unreachable")

    def write_layer(self, name: str, frame: gpd.GeoDataFrame, mode: str = "append") -> int:
        return self.run_in_transaction(lambda tx: tx.write_layer(name, frame, mode))

    def insert_rows(self, name: str, rows) -> int:
        return self.run_in_transaction(lambda tx: tx.insert_rows(name, rows))

    def read_layer(
        self,
        name: str,
        bbox: tuple[float, float, float, float] | None = None,
        where: str | None = None,
        params: tuple = (),
    ) -> gpd.GeoDataFrame:
        """Read a spatial layer, optionally only features whose box meets `bbox` (lon/lat)."""
        layer = _layer(name)
        columns = ", ".join(f't."{c}"' for c in layer.column_names)
        sql = f'SELECT t.fid, {self.dialect.geometry("t.geom")}, {columns} FROM "{name}" t'
        clauses, args = [], []  # the box's placeholders come first, then those of `where`
        if bbox is not None:
            clauses.append(self.dialect.in_box(name, "t"))
            args += [float(v) for v in bbox]
        if where:
            clauses.append(f"({where})")
            args += params
        if clauses:
            sql += " WHERE " + " AND ".join(clauses)
        sql += " ORDER BY t.fid"
        rows = self.query(sql, tuple(args))
        frame = pd.DataFrame.from_records(rows, columns=["fid", "geom", *layer.column_names])
        geometry = self.dialect.decode_geometries(frame.pop("geom").to_numpy())
        return gpd.GeoDataFrame(frame, geometry=geometry, crs=f"EPSG:{STORAGE_SRID}")

    def read_table(self, name: str, where: str | None = None, params: tuple = ()) -> pd.DataFrame:
        table = _table(name)
        columns = ", ".join(f'"{c}"' for c in table.column_names)
        sql = f'SELECT fid, {columns} FROM "{name}"' + (f" WHERE {where}" if where else "")
        rows = self.query(sql + " ORDER BY fid", params)
        return pd.DataFrame.from_records(rows, columns=["fid", *table.column_names])

    def cached(self, name: str, inputs: str) -> str | None:
        """What `keep` kept under `name`, if it was computed from the same `inputs`; else None."""
        rows = self.query("SELECT content FROM derived_cache WHERE name = ? AND inputs = ?", (name, inputs))
        return rows[0][0] if rows else None

    def keep(self, name: str, inputs: str, content: str) -> None:
        """Keep `content`, computed from `inputs` (a digest of them), under `name`, in place of what
        was kept there: a slow result read back by `cached` until its inputs change."""
        made_at = datetime.now(timezone.utc).isoformat(timespec="seconds")
        self.run_in_transaction(lambda tx: tx.execute(
            "INSERT INTO derived_cache (name, inputs, made_at, content) VALUES (?, ?, ?, ?) "
            "ON CONFLICT (name) DO UPDATE SET inputs = excluded.inputs, made_at = excluded.made_at,"
            " content = excluded.content", (name, inputs, made_at, content)))

    def layer_stamp(self, name: str) -> str | None:
        """When a layer last changed (ISO 8601 UTC), for caches of what is derived from it; None
        when it never did. The GeoPackage's gpkg_contents.last_change, PostgreSQL's own stamp."""
        _layer(name)
        rows = self.query(f"SELECT last_change FROM {self.dialect.layer_changes} WHERE table_name = ?", (name,))
        return rows[0][0] if rows else None

    def count(self, name: str) -> int:
        _layer_or_table(name)
        with self._engine.connect() as conn:
            return conn.exec_driver_sql(f'SELECT count(*) FROM "{name}"').scalar_one()

    def query(self, sql: str, params: tuple = ()) -> list[tuple]:
        """Run a read-only query; plain DBAPI tuples, which pandas reads far faster than Row objects."""
        try:
            with self._engine.connect() as conn:
                return conn.exec_driver_sql(sql, params).cursor.fetchall()
        except OperationalError as err:
            if not self._on_server:
                raise
            raise StoreError(f"cannot read the store {self.location}: {_reason(err)}") from None

    def for_another_process(self) -> tuple[str, dict[str, str]]:
        """How another process opens this store: its file, or its URL without the password (a
        command line and a printed fix are visible to others), and the environment variables that
        carry the password there (PGPASSWORD; empty when there is none)."""
        if self.path is not None:
            return str(self.path), {}
        url = self._engine.url
        shown = url._replace(drivername="postgresql", password=None).render_as_string(hide_password=False)
        return shown, ({"PGPASSWORD": url.password} if url.password else {})

    def listener_connection(self):
        """A psycopg connection of its own for LISTEN (PostgreSQL only; data.listener): outside the
        pool, in autocommit, with TCP keepalives so that a server gone away is noticed in seconds."""
        if not self._on_server:
            raise StoreError("only a PostgreSQL store announces its changes")
        import psycopg

        url = self._engine.url.set(drivername="postgresql").render_as_string(hide_password=False)
        try:
            return psycopg.connect(url, autocommit=True, connect_timeout=postgis.CONNECT_TIMEOUT_S,
                                   keepalives=1, keepalives_idle=5, keepalives_interval=2, keepalives_count=2)
        except psycopg.Error as err:
            raise StoreError(f"cannot reach the store {self.location}: {str(err).splitlines()[0]}") from None

    def close(self) -> None:
        self._engine.dispose()

    def __enter__(self) -> "Store":
        return self

    def __exit__(self, *exc) -> None:
        self.close()


def _reason(err: Exception) -> str:
    orig = getattr(err, "orig", None)
    return str(orig if orig is not None else err).splitlines()[0]


def _make_engine(path: Path) -> Engine:
    engine = create_engine(
        f"sqlite:///{path}",
        connect_args={"check_same_thread": False, "timeout": 30},
    )

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn, _record):
        # We issue BEGIN ourselves (pysqlite's implicit transactions skip DDL).
        dbapi_conn.isolation_level = None
        geopackage.register_functions(dbapi_conn)
        for pragma in ("journal_mode = WAL", "synchronous = FULL", "foreign_keys = ON", "cache_size = -262144"):
            dbapi_conn.execute(f"PRAGMA {pragma}")

    @event.listens_for(engine, "begin")
    def _on_begin(conn):
        write = conn.get_execution_options().get("gridsight_write", False)
        conn.exec_driver_sql("BEGIN IMMEDIATE" if write else "BEGIN")

    return engine


def _layer(name: str) -> Layer:
    if name not in LAYERS:
        raise StoreError(f"no layer {name!r}; layers are {', '.join(LAYERS)}")
    return LAYERS[name]


def _table(name: str) -> Table:
    if name not in TABLES:
        raise StoreError(f"no table {name!r}; tables are {', '.join(TABLES)}")
    return TABLES[name]


def _layer_or_table(name: str) -> Table:
    return LAYERS.get(name) or _table(name)


# Below this many rows, values are converted one by one: pandas' per-call overhead would
# dominate a single ticket's write. Both ways follow the same rules (tests compare them).
SMALL_FRAME_ROWS = 32


def _sql_value(value, sql_type: str, column: str):
    """One value as SQLite takes it; the rules of _column_values, for a handful of rows."""
    if value is None or (not isinstance(value, str) and pd.isna(value)):
        return None
    if sql_type == "TEXT":
        return value if isinstance(value, str) else str(value)
    number = pd.to_numeric(value, errors="coerce") if isinstance(value, str) else value
    try:
        number = float(number)
    except (TypeError, ValueError):
        number = float("nan")
    if not np.isfinite(number) and not (np.isinf(number) and sql_type == "REAL"):
        raise StoreError(f"column {column!r} needs {'whole ' if sql_type == 'INTEGER' else ''}numbers, "
                         f"got {value!r}")
    if sql_type == "REAL":
        return number
    if number % 1:
        raise StoreError(f"column {column!r} needs whole numbers")
    return int(number)


def _column_values(series: pd.Series, sql_type: str) -> list:
    """Plain Python values for SQLite (numpy scalars are not accepted), NaN/NA as NULL."""
    if len(series) <= SMALL_FRAME_ROWS:
        return [_sql_value(v, sql_type, series.name) for v in series.tolist()]
    missing = series.isna().to_numpy()
    if sql_type == "INTEGER":
        numbers = pd.to_numeric(series, errors="coerce")
        bad = numbers.isna().to_numpy() & ~missing
        if bad.any():
            raise StoreError(f"column {series.name!r} needs whole numbers, got {series[bad].iloc[0]!r}")
        if not np.all(np.mod(numbers.fillna(0).to_numpy(dtype=float), 1) == 0):
            raise StoreError(f"column {series.name!r} needs whole numbers")
        values = numbers.fillna(0).astype("int64").tolist()
    elif sql_type == "REAL":
        numbers = pd.to_numeric(series, errors="coerce")
        bad = numbers.isna().to_numpy() & ~missing
        if bad.any():
            raise StoreError(f"column {series.name!r} needs numbers, got {series[bad].iloc[0]!r}")
        values = numbers.fillna(0.0).astype(float).tolist()
    else:
        values = series.astype(object).tolist()
        values = [v if isinstance(v, str) else (None if m else str(v)) for v, m in zip(values, missing)]
    if missing.any():
        values = [None if m else v for v, m in zip(values, missing)]
    return values


def _conform_attributes(table: Table, frame: pd.DataFrame) -> list[tuple]:
    columns = []
    for col in table.columns:
        if col.name in frame.columns:
            values = _column_values(frame[col.name], col.sql_type)
        else:
            values = [None] * len(frame)
        if not col.nullable and any(v is None for v in values):
            raise StoreError(f"{table.name}: column {col.name!r} must be given for every row")
        columns.append(values)
    return list(zip(*columns))


def _conform_features(layer: Layer, frame: gpd.GeoDataFrame) -> tuple[np.ndarray, list[tuple]]:
    if not isinstance(frame, gpd.GeoDataFrame):
        raise StoreError(f"{layer.name}: expected a GeoDataFrame")
    if frame.crs is not None and frame.crs.to_epsg() not in (STORAGE_SRID, 4490):
        frame = frame.to_crs(STORAGE_SRID)
    geoms = np.asarray(frame.geometry.values, dtype=object)
    type_ids = shapely.get_type_id(geoms)  # -1 where missing
    found = {shapely.GeometryType(t) for t in np.unique(type_ids[type_ids >= 0]).tolist()}
    wrong = found - _ACCEPTED_TYPES[layer.geometry_type]
    if wrong:
        raise StoreError(
            f"{layer.name}: geometries must be {layer.geometry_type}, got {sorted(t.name for t in wrong)}"
        )
    if layer.geometry_type == "MULTIPOLYGON" and _POLYGON in found:
        geoms = geoms.copy()
        polygons = type_ids == _POLYGON
        geoms[polygons] = shapely.multipolygons(geoms[polygons], indices=np.arange(polygons.sum()))
    return geoms, _conform_attributes(layer, frame)


def _write_features(conn: Connection, layer: Layer, geoms: np.ndarray, values: list[tuple], replace: bool) -> None:
    name = layer.name
    rtree = geopackage.rtree_name(name)
    bulk = replace or len(geoms) >= BULK_ROWS
    if bulk:
        for trigger in geopackage.rtree_trigger_names(name):
            conn.exec_driver_sql(f'DROP TRIGGER IF EXISTS "{trigger}"')
    if replace:
        conn.exec_driver_sql(f'DELETE FROM "{name}"')
        conn.exec_driver_sql(f'DELETE FROM "{rtree}"')
    start = conn.exec_driver_sql(f'SELECT coalesce(max(fid), 0) FROM "{name}"').scalar_one()
    start = max(start, conn.exec_driver_sql(
        "SELECT coalesce(max(seq), 0) FROM sqlite_sequence WHERE name = ?", (name,)).scalar_one())
    fids = np.arange(start + 1, start + 1 + len(geoms))
    blobs = geopackage.encode(geoms, STORAGE_SRID)
    columns = ", ".join(f'"{c}"' for c in layer.column_names)
    marks = ", ".join("?" * (len(layer.column_names) + 2))
    rows = [(int(f), b, *v) for f, b, v in zip(fids, blobs, values)]
    if rows:
        conn.exec_driver_sql(f'INSERT INTO "{name}" (fid, geom, {columns}) VALUES ({marks})', rows)
    if bulk:
        indexed = ~(shapely.is_missing(geoms) | shapely.is_empty(geoms))
        bounds = shapely.bounds(geoms[indexed])
        boxes = np.column_stack([fids[indexed], bounds[:, 0], bounds[:, 2], bounds[:, 1], bounds[:, 3]])
        if len(boxes):
            conn.exec_driver_sql(
                f'INSERT INTO "{rtree}" VALUES (?, ?, ?, ?, ?)',
                [(int(r[0]), *map(float, r[1:])) for r in boxes],
            )
        for ddl in geopackage.rtree_trigger_ddl(name):
            conn.exec_driver_sql(ddl)
    _update_contents(conn, name)


def _update_contents(conn: Connection, name: str) -> None:
    rtree = geopackage.rtree_name(name)
    conn.exec_driver_sql(
        f'UPDATE gpkg_contents SET last_change = ?, '
        f'min_x = (SELECT min(minx) FROM "{rtree}"), max_x = (SELECT max(maxx) FROM "{rtree}"), '
        f'min_y = (SELECT min(miny) FROM "{rtree}"), max_y = (SELECT max(maxy) FROM "{rtree}") '
        f"WHERE table_name = ?",
        (datetime.now(timezone.utc).isoformat(timespec="milliseconds").replace("+00:00", "Z"), name),
    )
