"""Versioned schema migrations of the store, on either backend.

Each migration runs inside the transaction that records it, so a store is always at
exactly one schema version. New versions append to MIGRATIONS; a released migration is
never edited, so that every existing store walks the same path. Each builds the GeoPackage
shape or, on PostgreSQL, the PostGIS one (data.postgis) from the same schema description.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timezone

from sqlalchemy.engine import Connection

from data import geopackage, postgis
from data.schema import (
    LAYERS, STORAGE_SRID, TABLES, TICKET_FACT_TRIGGERS, TICKET_STATS_INDEXES, Layer, Table, column_ddl,
)

MIGRATIONS_TABLE = "gridsight_migrations"


def _create_indexes(conn: Connection, table: Table, only: set[str] | None = None) -> None:
    """The table's single-column indexes (`only` these columns, when given)."""
    for column in table.indexed:
        if only is not None and column not in only:
            continue
        conn.exec_driver_sql(
            f'CREATE INDEX "idx_{table.name}_{column}" ON "{table.name}" ("{column}")'
        )


def _register_contents(conn: Connection, table: Table, data_type: str) -> None:
    conn.exec_driver_sql(
        "INSERT INTO gpkg_contents (table_name, data_type, identifier, description, srs_id)"
        " VALUES (?, ?, ?, ?, ?)",
        (table.name, data_type, table.name, table.description,
         STORAGE_SRID if data_type == "features" else None),
    )


def _on_postgres(conn: Connection) -> bool:
    return conn.dialect.name == "postgresql"


def create_layer(conn: Connection, layer: Layer) -> None:
    """Create a GeoPackage feature table with its R-tree index and triggers (on PostgreSQL, a
    PostGIS one with its GiST index)."""
    if _on_postgres(conn):
        postgis.create_layer(conn, layer)
        _create_indexes(conn, layer)
        return
    conn.exec_driver_sql(
        f'CREATE TABLE "{layer.name}" (fid INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL, '
        f'geom {layer.geometry_type}, {column_ddl(layer)})'
    )
    _register_contents(conn, layer, "features")
    conn.exec_driver_sql(
        "INSERT INTO gpkg_geometry_columns VALUES (?, 'geom', ?, ?, 0, 0)",
        (layer.name, layer.geometry_type, STORAGE_SRID),
    )
    rtree = geopackage.rtree_name(layer.name)
    conn.exec_driver_sql(f'CREATE VIRTUAL TABLE "{rtree}" USING rtree(id, minx, maxx, miny, maxy)')
    conn.exec_driver_sql(
        "INSERT INTO gpkg_extensions VALUES (?, 'geom', 'gpkg_rtree_index', "
        "'http://www.geopackage.org/spec120/#extension_rtree', 'write-only')",
        (layer.name,),
    )
    for ddl in geopackage.rtree_trigger_ddl(layer.name):
        conn.exec_driver_sql(ddl)
    _create_indexes(conn, layer)


def create_table(conn: Connection, table: Table) -> None:
    """Create an application table, registered as GeoPackage 'attributes' so GIS tools list it."""
    if _on_postgres(conn):
        postgis.create_table(conn, table)
        _create_indexes(conn, table)
        return
    conn.exec_driver_sql(
        f'CREATE TABLE "{table.name}" (fid INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL, '
        f"{column_ddl(table)})"
    )
    _register_contents(conn, table, "attributes")
    _create_indexes(conn, table)


def _initial_schema(conn: Connection) -> None:
    if _on_postgres(conn):
        postgis.create_functions(conn)  # PostGIS itself knows EPSG:4326
    else:
        conn.exec_driver_sql(f"PRAGMA application_id = {geopackage.APPLICATION_ID}")
        conn.exec_driver_sql(f"PRAGMA user_version = {geopackage.USER_VERSION}")
        for ddl in geopackage.CORE_DDL:
            conn.exec_driver_sql(ddl)
        conn.exec_driver_sql(
            "INSERT OR IGNORE INTO gpkg_spatial_ref_sys VALUES (?, ?, ?, ?, ?, ?)",
            geopackage.SPATIAL_REF_ROWS,
        )
    # The schema describes the latest version; this migration builds version 1 of it.
    for layer in LAYERS.values():
        if layer.since == 1:
            create_layer(conn, layer.at_version(1))
    for table in TABLES.values():
        if table.since == 1:
            create_table(conn, table.at_version(1))


def _workflow_schema(conn: Connection) -> None:
    """Version 2, for the ticket workflow engine (data.workflow).

    Adds the columns and tables marked `since=2` in data.schema: new tables are created
    whole, new columns of existing tables are added with ALTER TABLE (all nullable, so
    existing rows simply have no value), then their indexes. The tickets' copies of
    their incidents' channel, category, grid and time are filled for existing tickets
    and kept by triggers from then on; the statistics indexes cover them.
    """
    _add_version(conn, 2)
    conn.exec_driver_sql(
        "UPDATE tickets SET channel = i.channel, category = i.category, grid_code = i.grid_code, "
        "reported_at = i.reported_at FROM incidents i WHERE i.ticket_id = tickets.ticket_id"
    )
    if _on_postgres(conn):
        postgis.create_ticket_fact_triggers(conn)
        postgis.create_ticket_stats_indexes(conn)
        return
    for name, body in TICKET_FACT_TRIGGERS.items():
        conn.exec_driver_sql(f'CREATE TRIGGER "{name}" {body}')
    for name, columns in TICKET_STATS_INDEXES.items():
        conn.exec_driver_sql(f'CREATE INDEX "{name}" ON tickets ({columns})')


def _grid_history_schema(conn: Connection) -> None:
    """Version 3, for the grid editor's versioning (data.gridversions): the tables marked `since=3`."""
    _add_version(conn, 3)


def _campaigns_schema(conn: Connection) -> None:
    """Version 4: the campaigns layer (the big-screen wall's special actions) and ticket attachments."""
    _add_version(conn, 4)


def _derived_cache_schema(conn: Connection) -> None:
    """Version 5: the cache of results derived from the store (the map's police coverage)."""
    _add_version(conn, 5)


def _own_centre_schema(conn: Connection) -> None:
    """Version 6, for stores built from a centre's own files: the departments layer, the centre's
    name and timezone, and where each responder's position came from."""
    _add_version(conn, 6)


def _users_schema(conn: Connection) -> None:
    """Version 7, for sign-in and roles: the users table, and the seat of every audit row."""
    _add_version(conn, 7)


def _add_version(conn: Connection, version: int) -> None:
    """Create the layers and tables marked `since=version` whole, and add that version's new
    columns to older layers and tables (all nullable: existing rows simply have no value) with their indexes."""
    for table in (*LAYERS.values(), *TABLES.values()):
        if table.since == version:
            if isinstance(table, Layer):
                create_layer(conn, table.at_version(version))
            else:
                create_table(conn, table.at_version(version))
            continue
        added = [column for column in table.columns if column.since == version]
        for column in added:
            sql_type = postgis.sql_type(column.sql_type) if _on_postgres(conn) else column.sql_type
            conn.exec_driver_sql(f'ALTER TABLE "{table.name}" ADD COLUMN "{column.name}" {sql_type}')
        _create_indexes(conn, table, only={column.name for column in added})


# (version, description, function). Append only.
MIGRATIONS: list[tuple[int, str, Callable[[Connection], None]]] = [
    (1, "GeoPackage core, spatial layers and ticket tables", _initial_schema),
    (2, "Ticket workflow: dead letters, mediation, supervision notices, ticket columns", _workflow_schema),
    (3, "Grid versioning: change-sets and grid history", _grid_history_schema),
    (4, "Campaigns layer and ticket attachments", _campaigns_schema),
    (5, "Cache of derived results", _derived_cache_schema),
    (6, "Departments layer, centre settings and responders' position source", _own_centre_schema),
    (7, "Users and roles; the seat of each audit row", _users_schema),
]

LATEST_VERSION = MIGRATIONS[-1][0]


def current_version(conn: Connection) -> int:
    row = conn.exec_driver_sql(f'SELECT max(version) FROM "{MIGRATIONS_TABLE}"').fetchone()
    return row[0] or 0


def ensure_migrations_table(conn: Connection) -> None:
    conn.exec_driver_sql(
        f'CREATE TABLE IF NOT EXISTS "{MIGRATIONS_TABLE}" ('
        "version INTEGER PRIMARY KEY, description TEXT NOT NULL, applied_at TEXT NOT NULL)"
    )


def apply_pending(conn: Connection) -> list[int]:
    """Apply every migration newer than the store's version; return the versions applied."""
    applied = []
    have = current_version(conn)
    for version, description, function in MIGRATIONS:
        if version <= have:
            continue
        function(conn)
        conn.exec_driver_sql(
            f'INSERT INTO "{MIGRATIONS_TABLE}" VALUES (?, ?, ?)',
            (version, description, datetime.now(timezone.utc).isoformat(timespec="seconds")),
        )
        applied.append(version)
    return applied
