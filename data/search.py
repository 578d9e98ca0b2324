"""The console's search box, without Qt: grids, responders, cameras, tickets and coordinates.

One typed text is tried against every kind of thing a dispatcher looks for. Names and codes
match anywhere (LIKE, a scan of at most tens of thousands of short rows: milliseconds);
ticket ids match by prefix on their unique index, since a centre holds millions of tickets.
Positions come from each layer's box (the GeoPackage's R-tree, PostGIS's envelope; the box of a
point is the point), so no geometry is decoded. Coordinates typed as "lon,lat", optionally
prefixed by their system ("gcj02:", "bd09:"…), are converted to WGS-84, the store's system.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from gis.crs import CRS_NAMES, to_wgs84

DEFAULT_LIMIT = 10
# How well a hit matches: the whole id/code, its start, or somewhere inside.
EXACT, PREFIX, INSIDE = 0, 1, 2
# Among equally good matches: what dispatchers look for most comes first.
KIND_ORDER = {"point": 0, "ticket": 1, "grid": 2, "responder": 3, "camera": 4}
# Longest text searched: anything longer is not a name or an id.
MAX_QUERY_CHARS = 100

# "114.1,30.5", "gcj02:114.1, 30.5", "bd09 114.1 30.5", full-width separators too.
_COORDINATES = re.compile(
    r"^\s*(?:(?P<crs>[a-z][a-z0-9]*)\s*[:：]?\s*)?"
    r"(?P<a>[-+]?\d{1,3}(?:\.\d+)?)\s*(?:[,，;；]\s*|\s+)(?P<b>[-+]?\d{1,3}(?:\.\d+)?)\s*$",
    re.IGNORECASE,
)


@dataclass(frozen=True)
class Hit:
    """One search result: what it is, its id, what to show, and where it is (WGS-84)."""

    kind: str  # point, ticket, grid, responder or camera
    id: str
    title: str
    attribute: str | None  # a ticket's state, a responder's kind, a camera's class, a grid's level, a CRS
    lon: float | None
    lat: float | None
    match: int = INSIDE  # EXACT, PREFIX or INSIDE

    @property
    def rank(self) -> tuple[int, int]:
        """Sort key: how well it matches, then its kind; the query's own order breaks ties."""
        return self.match, KIND_ORDER[self.kind]


def parse_coordinates(text: str) -> tuple[float, float, str] | None:
    """(lon, lat, system) in WGS-84 from "lon,lat" with an optional system prefix, or None when
    the text is not coordinates. A pair in (lat, lon) order is recognised by its ranges."""
    found = _COORDINATES.match(text)
    if not found:
        return None
    system = (found["crs"] or "wgs84").lower()
    if system not in CRS_NAMES:
        return None
    a, b = float(found["a"]), float(found["b"])
    lon, lat = (b, a) if abs(a) <= 90 < abs(b) <= 180 else (a, b)
    if not (-180 <= lon <= 180 and -90 <= lat <= 90):
        return None
    wgs_lon, wgs_lat = to_wgs84(lon, lat, system)
    return float(wgs_lon), float(wgs_lat), system


def search(store, text: str, limit: int = DEFAULT_LIMIT) -> list[Hit]:
    """The best `limit` hits for `text`, best first."""
    text = text.strip()[:MAX_QUERY_CHARS]
    if not text:
        return []
    coordinates = parse_coordinates(text)
    if coordinates is not None:
        lon, lat, system = coordinates
        return [Hit("point", text, f"{lon:.6f}, {lat:.6f}", system, lon, lat, EXACT)]
    hits = [*_tickets(store, text, limit), *_grids(store, text, limit),
            *_points(store, text, limit, "responders", "responder_id", "responder", "kind"),
            *_points(store, text, limit, "cameras", "camera_id", "camera", "camera_class")]
    return sorted(hits, key=lambda hit: hit.rank)[:limit]


# Rows whose id or name contains the text (?1); exact matches (?2) first, then those starting
# with it (?3), then the shortest names (the least specific text is the likeliest meant); ?4 rows.
# LIKE ignores the case of Latin letters on both backends (`like` is the dialect's spelling).
_MATCHING = ("({id} {like} ?1 ESCAPE '\\' OR {name} {like} ?1 ESCAPE '\\') "
             "ORDER BY ({id} = ?2 OR {name} = ?2) DESC, "
             "({id} {like} ?3 ESCAPE '\\' OR {name} {like} ?3 ESCAPE '\\') DESC, length({name}) LIMIT ?4")


def _match_params(text: str, limit: int) -> tuple[str, str, str, int]:
    """The parameters of _MATCHING; the text's own % and _ are taken literally."""
    literal = re.sub(r"([\\%_])", r"\\\1", text)
    return f"%{literal}%", text, f"{literal}%", limit


def _match(text: str, *candidates: str | None) -> int:
    folded = text.casefold()
    values = [c.casefold() for c in candidates if c]
    if folded in values:
        return EXACT
    return PREFIX if any(v.startswith(folded) for v in values) else INSIDE


def _tickets(store, text: str, limit: int) -> list[Hit]:
    """Tickets whose id starts with `text`, newest first (a range on the unique index; ids are upper case)."""
    start = text.upper()
    join, (minx, miny, _, _) = store.dialect.box_columns("incidents", "i")
    rows = store.query(
        f"SELECT t.ticket_id, t.state, {minx}, {miny} FROM tickets t "
        f"LEFT JOIN incidents i ON i.ticket_id = t.ticket_id{join} "
        "WHERE t.ticket_id >= ? AND t.ticket_id < ? ORDER BY t.ticket_id DESC LIMIT ?",
        (start, start + "\uffff", limit))
    return [Hit("ticket", ticket_id, ticket_id, state, lon, lat, _match(text, ticket_id))
            for ticket_id, state, lon, lat in rows]


def _grids(store, text: str, limit: int) -> list[Hit]:
    join, (minx, miny, maxx, maxy) = store.dialect.box_columns("grids", "g")
    rows = store.query(
        f"SELECT g.code, g.name, g.level, {minx}, {maxx}, {miny}, {maxy} FROM grids g{join} "
        f"WHERE {_matching(store, 'g.code', 'g.name')}", _match_params(text, limit))
    return [Hit("grid", code, name, str(level), _middle(minx, maxx), _middle(miny, maxy), _match(text, code, name))
            for code, name, level, minx, maxx, miny, maxy in rows]


def _points(store, text: str, limit: int, layer: str, id_column: str, kind: str, attribute: str) -> list[Hit]:
    join, (minx, miny, _, _) = store.dialect.box_columns(layer, "p")
    rows = store.query(
        f'SELECT p."{id_column}", p.name, p."{attribute}", {minx}, {miny} FROM "{layer}" p{join} '
        f"WHERE {_matching(store, f'p.{id_column}', 'p.name')}", _match_params(text, limit))
    return [Hit(kind, point_id, name, value, lon, lat, _match(text, point_id, name))
            for point_id, name, value, lon, lat in rows]


def _matching(store, id_column: str, name_column: str) -> str:
    return _MATCHING.format(id=id_column, name=name_column, like=store.dialect.like_nocase)


def _middle(low: float | None, high: float | None) -> float | None:
    return None if low is None or high is None else (low + high) / 2
