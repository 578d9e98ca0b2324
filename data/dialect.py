"""What differs between the store's two SQL dialects, SQLite (GeoPackage) and PostgreSQL (PostGIS).

Callers write SQL once, in the SQLite style the store has always taken: `?` placeholders (also
numbered, `?1`), and the fragments below for what the two databases spell differently (a day
in Beijing time, hours, Julian days, two-argument min/max, null-safe comparison, string
aggregation, geometry in and out). `store.dialect` is the dialect of an open store.

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
        return f"min({a}, {b})"

    def greatest(self, a: str, b: str) -> str:
        return f"max({a}, {b})"

    def distinct(self, a: str, b: str) -> str:
        """True when a and b differ, NULL counting as a value (SQLite's `IS NOT`)."""
        return f"{a} IS NOT {b}"

    def group_concat(self, expression: str, separator: str = ",") -> str:
        return f"group_concat({expression}, '{separator}')"

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

    def geometry(self, column: str) -> str:
        return f"ST_AsEWKB({column})"

    def decode_geometries(self, values) -> np.ndarray:
        return shapely.from_wkb(np.array([None if v is None else bytes(v) for v in values], dtype=object))


SQLITE = SqliteDialect()
POSTGRES = PostgresDialect()
