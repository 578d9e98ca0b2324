"""What differs between the store's two SQL dialects, SQLite (GeoPackage) and PostgreSQL (PostGIS).

Callers write SQL once, in the SQLite style the store has always taken: `?` placeholders (also
numbered, `?1`), and the fragments below for what the two databases spell differently (a day
in Beijing time, hours, Julian days, two-argument min/max, null-safe comparison, string
aggregation, case-blind LIKE, geometry out, a layer's boxes). `store.dialect` is the dialect of
an open store. What both take alike needs no fragment: `INSERT ... ON CONFLICT`, `coalesce`,
`sum(CASE WHEN cond THEN 1 ELSE 0 END)` for SQLite's `sum(cond)`, HAVING on the aggregate
itself rather than on its alias, `JOIN ... ON` (SQLite also takes `CROSS JOIN ... ON`), and an
alias on every subquery in FROM (PostgreSQL 15 requires one).

On PostgreSQL every statement that did not come from SQLAlchemy's compiler passes through
`translate` (an engine hook in data.store), which turns `?` into psycopg's `%s` outside string
literals, quoted names and comments, and doubles every literal `%` as psycopg requires.
"""

from __future__ import annotations

import re
from functools import lru_cache

import numpy as np
import shapely

from data import geopackage
from data.schema import STORAGE_SRID

# The centres count days in Beijing time; times are stored in UTC.
BEIJING_HOURS = 8

_TOKENS = re.compile(r"""'(?:[^']|'')*'|"(?:[^"]|"")*"|--[^\n]*|/\*.*?\*/|\?(\d*)|%""", re.S)


@lru_cache(maxsize=4096)
def translate(sql: str) -> tuple[str, tuple[int, ...] | None]:
    """SQLite-style SQL as psycopg takes it, and the order to pass the parameters in (None: as given).

    `?NNN` placeholders may repeat or come out of order (SQLite's numbered parameters); psycopg's
    `%s` are positional, so the parameters are repeated and reordered to match."""
    order: list[int] = []
    numbered = False
    largest = 0

    def replace(match: re.Match) -> str:
        nonlocal numbered, largest
        token = match.group(0)
        if token == "%":
            return "%%"
        if token[0] != "?":
            return token.replace("%", "%%")  # literal, quoted name or comment: kept, only % doubled
        if match.group(1):
            numbered = True
            index = int(match.group(1))
        else:
            index = largest + 1
        largest = max(largest, index)
        order.append(index - 1)
        return "%s"

    text = _TOKENS.sub(replace, sql)
    return text, tuple(order) if numbered else None


def reorder(params, order: tuple[int, ...] | None):
    """`params` in the order `translate` asked for."""
    if order is None or params is None:
        return params
    return tuple(params[i] for i in order)


class SqliteDialect:
    """SQLite as the GeoPackage store runs it (the reference: its SQL is what callers write)."""

    name = "sqlite"
    # LIKE that ignores the case of Latin letters (SQLite's LIKE does; PostgreSQL's ILIKE).
    like_nocase = "LIKE"
    # The table of each layer's last change (table_name, last_change: ISO 8601 UTC).
    layer_changes = "gpkg_contents"

    def day(self, column: str, hours: int = BEIJING_HOURS) -> str:
        """The calendar day ('YYYY-MM-DD') of an ISO 8601 UTC time, `hours` ahead of UTC."""
        return f"date({column}, '+{hours} hours')"

    def hour(self, column: str, hours: int = BEIJING_HOURS) -> str:
        """The hour of the day (0-23, an integer) of an ISO 8601 UTC time, `hours` ahead of UTC."""
        return f"CAST(strftime('%H', {column}, '+{hours} hours') AS INTEGER)"

    def julian_days(self, column: str) -> str:
        """An ISO 8601 time as (fractional) Julian days: subtract two for a duration in days."""
        return f"julianday({column})"

    def least(self, a: str, b: str) -> str:
        """The smaller of two values (NULL when either is on SQLite; PostgreSQL's skips a NULL)."""
        return f"min({a}, {b})"

    def greatest(self, a: str, b: str) -> str:
        return f"max({a}, {b})"

    def distinct(self, a: str, b: str) -> str:
        """True when a and b differ, NULL counting as a value (SQLite's `IS NOT`)."""
        return f"{a} IS NOT {b}"

    def group_concat(self, expression: str, separator: str = ",") -> str:
        return f"group_concat({expression}, '{separator}')"

    def unindexed(self, column: str) -> str:
        """The column, kept from the planner's indexes (SQLite's unary +; PostgreSQL plans alone)."""
        return f"+{column}"

    def in_box(self, layer: str, alias: str) -> str:
        """Rows of `layer` (as `alias`) whose geometry's box meets a box given as four parameters
        in the order west, south, east, north: a lookup in the layer's spatial index."""
        return (f'{alias}.fid IN (SELECT id FROM "{geopackage.rtree_name(layer)}" '
                "WHERE maxx >= ? AND maxy >= ? AND minx <= ? AND miny <= ?)")

    def box_columns(self, layer: str, alias: str, box: str = "r") -> tuple[str, tuple[str, str, str, str]]:
        """A join to add after `layer AS alias` (may be empty) and the expressions of each row's
        (minx, miny, maxx, maxy), NULL for a row without geometry; `box` names the join."""
        join = f' LEFT JOIN "{geopackage.rtree_name(layer)}" {box} ON {box}.id = {alias}.fid'
        return join, (f"{box}.minx", f"{box}.miny", f"{box}.maxx", f"{box}.maxy")

    def geometry(self, column: str) -> str:
        """A geometry column as selected for `decode_geometries`."""
        return column

    def decode_geometries(self, values) -> np.ndarray:
        """Shapely geometries (None stays None) from values selected with `geometry`."""
        return geopackage.decode(values)


class PostgresDialect(SqliteDialect):
    """PostgreSQL with PostGIS; the time functions are the store's own (data.postgis), IMMUTABLE so
    that the statistics index on the ticket's day can use them."""

    name = "postgresql"
    like_nocase = "ILIKE"
    layer_changes = "gridsight_layer_changes"

    def day(self, column: str, hours: int = BEIJING_HOURS) -> str:
        return f"gridsight_day({column}, {hours})"

    def hour(self, column: str, hours: int = BEIJING_HOURS) -> str:
        return f"gridsight_hour({column}, {hours})"

    def julian_days(self, column: str) -> str:
        return f"gridsight_julianday({column})"

    def least(self, a: str, b: str) -> str:
        return f"least({a}, {b})"

    def greatest(self, a: str, b: str) -> str:
        return f"greatest({a}, {b})"

    def distinct(self, a: str, b: str) -> str:
        return f"{a} IS DISTINCT FROM {b}"

    def group_concat(self, expression: str, separator: str = ",") -> str:
        return f"string_agg(({expression})::text, '{separator}')"

    def unindexed(self, column: str) -> str:
        return column

    def in_box(self, layer: str, alias: str) -> str:
        return f"{alias}.geom && ST_MakeEnvelope(?, ?, ?, ?, {STORAGE_SRID})"

    def box_columns(self, layer: str, alias: str, box: str = "r") -> tuple[str, tuple[str, str, str, str]]:
        return "", tuple(f"{f}({alias}.geom)" for f in ("ST_XMin", "ST_YMin", "ST_XMax", "ST_YMax"))

    def geometry(self, column: str) -> str:
        return f"ST_AsEWKB({column})"

    def decode_geometries(self, values) -> np.ndarray:
        return shapely.from_wkb(np.array([None if v is None else bytes(v) for v in values], dtype=object))


SQLITE = SqliteDialect()
POSTGRES = PostgresDialect()
