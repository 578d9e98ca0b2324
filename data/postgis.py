"""The store on PostgreSQL + PostGIS, for centres where many seats share one truth.

The same tables as the GeoPackage (data.schema), built by the same migrations: PostGIS
geometry columns in EPSG:4326 with GiST indexes instead of GeoPackage blobs and R-trees, `fid`
an identity key, and the ticket fact triggers as plpgsql. Geometry goes in and out as EWKB.

Writers queue as they do on the GeoPackage (BEGIN IMMEDIATE): every write transaction first
takes one transaction-scoped advisory lock, at READ COMMITTED, so each statement sees what the
writers before it committed and the workflow's read-check-update steps (optimistic `version`s)
need no retry. REPEATABLE READ would take its snapshot before the lock is granted and miss the
previous writer's commit. Readers never wait. A conflict with a client that does not take the
lock (QGIS editing a layer) can still end in a deadlock the server breaks: `Store.run_in_transaction`
runs such a transaction again from the start.
"""

from __future__ import annotations

import shapely
from sqlalchemy import create_engine, event
from sqlalchemy.engine import Connection, Engine, make_url
from sqlalchemy.exc import ArgumentError, DBAPIError

from data import dialect
from data.schema import _FACTS as TICKET_FACTS  # the incident columns tickets keep copies of
from data.schema import STORAGE_SRID, TICKET_DAY_SQL, TICKET_STATS_INDEXES, Layer, Table, column_ddl

SCHEMES = ("postgresql", "postgres", "postgresql+psycopg")
# pg_advisory_xact_lock key of the store's writers ("grid" in ASCII).
WRITER_LOCK = 0x67726964
# How long a writer waits for the one before it, as the GeoPackage's busy timeout.
LOCK_TIMEOUT = "30s"
CONNECT_TIMEOUT_S = 10
# SQLSTATEs of a transaction the server aborted to let another go on; run again, it can succeed.
RETRYABLE = {"40001", "40P01"}  # serialization_failure, deadlock_detected

# Where every committed ticket change is announced (data.listener): the trigger below notifies
# on each insert into these logs, and the server delivers it when the transaction commits.
CHANGES_CHANNEL = "gridsight_ticket_changes"
NOTIFYING_TABLES = ("ticket_timeline", "audit_log")

# Text compares and sorts by code point as in SQLite (ticket id ranges, ORDER BY), whatever the
# database's locale.
_SQL_TYPES = {"TEXT": 'text COLLATE "C"', "INTEGER": "bigint", "REAL": "double precision"}
_GEOMETRY_TYPES = {"POINT": "Point", "LINESTRING": "LineString", "MULTIPOLYGON": "MultiPolygon"}


def is_url(location) -> bool:
    return isinstance(location, str) and location.split("://", 1)[0].lower() in SCHEMES


def engine_url(location: str):
    """The SQLAlchemy URL (psycopg 3 driver) of a `postgresql://` store URL."""
    try:
        url = make_url(location)
    except ArgumentError as err:
        raise ValueError(f"not a PostgreSQL URL: {err}") from None
    if not url.database:
        raise ValueError("the URL names no database: postgresql://user@host:port/DBNAME")
    return url.set(drivername="postgresql+psycopg")


def shown(location: str) -> str:
    """The URL as it may be shown and logged: the password masked."""
    return make_url(location).render_as_string(hide_password=True)


def _number_loader():
    """A loader of PostgreSQL `numeric` (sum and avg of integers) as SQLite gives such values back:
    int when whole-typed, else float (not Decimal)."""
    from psycopg.adapt import Loader

    class NumberLoader(Loader):
        def load(self, data) -> int | float:
            text = bytes(data)
            return float(text) if b"." in text or b"N" in text else int(text)

    return NumberLoader


def make_engine(location: str) -> Engine:
    # psycopg is imported here, not with the module: a GeoPackage seat or command need not pay for it.
    import psycopg

    number_loader = _number_loader()
    engine = create_engine(
        engine_url(location),
        connect_args={
            # Client-side binding: values are sent as literals, typed by PostgreSQL from where
            # they stand, as SQLite's dynamic typing takes them (`? IS NULL`, `sum(x < ?)`).
            "cursor_factory": psycopg.ClientCursor,
            "connect_timeout": CONNECT_TIMEOUT_S,
            "options": f"-c TimeZone=UTC -c lock_timeout={LOCK_TIMEOUT}",
        },
        pool_pre_ping=True,
    )

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn, _record):
        dbapi_conn.adapters.register_loader("numeric", number_loader)

    @event.listens_for(engine, "before_cursor_execute", retval=True)
    def _translate(conn, cursor, statement, parameters, context, executemany):
        if context is not None and context.compiled is not None:
            return statement, parameters  # SQLAlchemy's own SQL is already psycopg's
        statement, order = dialect.translate(statement)
        if executemany:
            return statement, [dialect.reorder(p, order) for p in parameters]
        return statement, dialect.reorder(parameters, order) if parameters is not None else ()

    return engine


def lock_writers(conn: Connection) -> None:
    """Queue behind the store's other writers until this transaction ends."""
    conn.exec_driver_sql(f"SELECT pg_advisory_xact_lock({WRITER_LOCK})")


def sqlstate(err: Exception) -> str | None:
    return getattr(getattr(err, "orig", err), "sqlstate", None)


# The store's own SQL functions (data.dialect.PostgresDialect) and the layers' change stamps.
# Times are ISO 8601 strings in UTC ('Z', an offset or none: UTC), as SQLite's date functions read them.
FUNCTIONS_DDL = [
    # Text that is no such time is NULL, as SQLite's date functions answer, not an error.
    """CREATE FUNCTION gridsight_utc(t text) RETURNS timestamp LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
       SET TimeZone = 'UTC' RETURN CASE WHEN t ~ '^\\d{4}-(0[1-9]|1[0-2])-(0[1-9]|[12]\\d|3[01])'
         '([ T]([01]\\d|2[0-3]):[0-5]\\d(:[0-5]\\d(\\.\\d+)?)?)?(Z|[+-]\\d\\d(:?\\d\\d)?)?$'
         THEN t::timestamptz AT TIME ZONE 'UTC' END""",
    """CREATE FUNCTION gridsight_day(t text, hours integer) RETURNS text LANGUAGE sql IMMUTABLE STRICT
       PARALLEL SAFE RETURN to_char(gridsight_utc(t) + make_interval(hours => hours), 'YYYY-MM-DD')""",
    """CREATE FUNCTION gridsight_hour(t text, hours integer) RETURNS integer LANGUAGE sql IMMUTABLE STRICT
       PARALLEL SAFE RETURN extract(hour FROM gridsight_utc(t) + make_interval(hours => hours))::integer""",
    """CREATE FUNCTION gridsight_julianday(t text) RETURNS double precision LANGUAGE sql IMMUTABLE STRICT
       PARALLEL SAFE RETURN extract(epoch FROM gridsight_utc(t))::double precision / 86400 + 2440587.5""",
    # What gpkg_contents.last_change is on the GeoPackage: when a layer last changed. Kept by a
    # statement trigger, so any write counts, not only the store's own.
    f"CREATE TABLE {dialect.POSTGRES.layer_changes} (table_name text PRIMARY KEY, last_change text NOT NULL)",
    f"""CREATE FUNCTION gridsight_touch_layer() RETURNS trigger LANGUAGE plpgsql AS $$
       BEGIN
         INSERT INTO {dialect.POSTGRES.layer_changes} VALUES
           (TG_TABLE_NAME, to_char(clock_timestamp() AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"'))
           ON CONFLICT (table_name) DO UPDATE SET last_change = excluded.last_change;
         RETURN NULL;
       END $$""",
    # One notification per writing statement (the server folds repeats within a transaction);
    # the payload names the log, but readers read past their cursors whatever it says.
    f"""CREATE FUNCTION gridsight_notify_change() RETURNS trigger LANGUAGE plpgsql AS $$
       BEGIN PERFORM pg_notify('{CHANGES_CHANNEL}', TG_TABLE_NAME); RETURN NULL; END $$""",
]


def create_functions(conn: Connection) -> None:
    for ddl in FUNCTIONS_DDL:
        conn.exec_driver_sql(ddl)


def sql_type(sqlite_type: str) -> str:
    """The PostgreSQL type of a schema column type (SQLite integers are 64-bit, its reals double,
    its text compared byte by byte)."""
    return _SQL_TYPES[sqlite_type]


def create_table(conn: Connection, table: Table) -> None:
    conn.exec_driver_sql(
        f'CREATE TABLE "{table.name}" (fid bigint GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY, '
        f"{column_ddl(table, sql_type)})"
    )
    if table.name in NOTIFYING_TABLES:
        conn.exec_driver_sql(
            f'CREATE TRIGGER "gridsight_notify_{table.name}" AFTER INSERT ON "{table.name}" '
            "FOR EACH STATEMENT EXECUTE FUNCTION gridsight_notify_change()"
        )


def create_layer(conn: Connection, layer: Layer) -> None:
    """A feature table with its PostGIS geometry column, GiST index and change stamp."""
    geometry = f"geometry({_GEOMETRY_TYPES[layer.geometry_type]}, {STORAGE_SRID})"
    conn.exec_driver_sql(
        f'CREATE TABLE "{layer.name}" (fid bigint GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY, '
        f"geom {geometry}, {column_ddl(layer, sql_type)})"
    )
    conn.exec_driver_sql(f'CREATE INDEX "idx_{layer.name}_geom" ON "{layer.name}" USING gist (geom)')
    conn.exec_driver_sql(
        f'CREATE TRIGGER "gridsight_touch_{layer.name}" AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE '
        f'ON "{layer.name}" FOR EACH STATEMENT EXECUTE FUNCTION gridsight_touch_layer()'
    )


def create_ticket_fact_triggers(conn: Connection) -> None:
    """data.schema.TICKET_FACT_TRIGGERS in plpgsql: the same names, events and effects."""
    facts = ", ".join(TICKET_FACTS)
    copy = ", ".join(f"{c} = NEW.{c}" for c in TICKET_FACTS)
    conn.exec_driver_sql(
        "CREATE FUNCTION gridsight_ticket_facts_from_incident() RETURNS trigger LANGUAGE plpgsql AS $$ "
        f"BEGIN UPDATE tickets SET {copy} WHERE ticket_id = NEW.ticket_id; RETURN NULL; END $$"
    )
    conn.exec_driver_sql(
        "CREATE FUNCTION gridsight_ticket_facts_of_ticket() RETURNS trigger LANGUAGE plpgsql AS $$ "
        f"BEGIN UPDATE tickets SET ({facts}) = (SELECT {facts} FROM incidents WHERE ticket_id = NEW.ticket_id) "
        "WHERE fid = NEW.fid; RETURN NULL; END $$"
    )
    conn.exec_driver_sql(
        'CREATE TRIGGER "trg_tickets_facts_incident_insert" AFTER INSERT ON incidents '
        "FOR EACH ROW EXECUTE FUNCTION gridsight_ticket_facts_from_incident()"
    )
    conn.exec_driver_sql(
        f'CREATE TRIGGER "trg_tickets_facts_incident_update" AFTER UPDATE OF ticket_id, {facts} ON incidents '
        "FOR EACH ROW EXECUTE FUNCTION gridsight_ticket_facts_from_incident()"
    )
    conn.exec_driver_sql(
        'CREATE TRIGGER "trg_tickets_facts_ticket_insert" AFTER INSERT ON tickets '
        "FOR EACH ROW WHEN (NEW.reported_at IS NULL) EXECUTE FUNCTION gridsight_ticket_facts_of_ticket()"
    )


# Each ticket's Beijing day, kept in a column computed on write. An index on the expression, as the
# GeoPackage has, serves a range of days, but the planner still calls gridsight_day for every row it
# groups (about 20 us a call: 4 s for 300,000 tickets where reading the column takes 0.1 s).
TICKET_DAY_COLUMN = "reported_day"


def create_ticket_stats_indexes(conn: Connection) -> None:
    """data.schema.TICKET_STATS_INDEXES, the day key being TICKET_DAY_COLUMN (data.workflow.stats)."""
    conn.exec_driver_sql(
        f'ALTER TABLE tickets ADD COLUMN {TICKET_DAY_COLUMN} text COLLATE "C" '
        f"GENERATED ALWAYS AS ({dialect.POSTGRES.day('reported_at')}) STORED")
    for name, columns in TICKET_STATS_INDEXES.items():
        conn.exec_driver_sql(f'CREATE INDEX "{name}" ON tickets ({columns.replace(TICKET_DAY_SQL, TICKET_DAY_COLUMN)})')


def write_features(conn: Connection, layer: Layer, geoms, values: list[tuple], replace: bool) -> None:
    """Insert features after emptying the layer when `replace`; the identity numbers their fids.

    COPY, with the geometries as hex EWKB (SRID 4326): one round trip for any number of rows,
    twenty times faster than row-by-row INSERTs at 20,000 features."""
    if replace:
        conn.exec_driver_sql(f'DELETE FROM "{layer.name}"')
    if not values:
        return
    ewkb = shapely.to_wkb(shapely.set_srid(geoms, STORAGE_SRID), hex=True, include_srid=True, flavor="extended")
    columns = ", ".join(f'"{c}"' for c in ("geom", *layer.column_names))
    import psycopg

    statement = f'COPY "{layer.name}" ({columns}) FROM STDIN'
    try:
        with conn.connection.dbapi_connection.cursor() as cursor, cursor.copy(statement) as copy:
            for geometry, row in zip(ewkb.tolist(), values):
                copy.write_row((geometry, *row))
    except psycopg.Error as err:  # as SQLAlchemy reports what it executes itself (IntegrityError...)
        raise DBAPIError.instance(statement, None, err, psycopg.Error) from None

