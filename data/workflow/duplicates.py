"""Repeat and duplicate detection across channels.

The seeds found their repeated calls by place, kind and time: the same problem reported
again nearby within a few days, whatever the channel. A new ticket is compared with the
earlier tickets of its category within a radius and a time window (through the incidents
layer's spatial index, R-tree or GiST, so the cost does not grow with the store); the closest
in wording, then in distance, is suggested for a person to merge. Repeat callers and repeat
places are counted in SQL.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime, timedelta
from difflib import SequenceMatcher

from data.workflow.clock import iso
from data.workflow.masking import reporter_view

_METRES_PER_DEGREE = 111_320.0


@dataclass(frozen=True)
class DuplicateRule:
    radius_m: float = 150.0
    window_hours: float = 72.0


def _distance_m(lon1: float, lat1: float, lon2: float, lat2: float) -> float:
    """Equirectangular distance: exact enough within a few hundred metres."""
    dx = (lon2 - lon1) * math.cos(math.radians((lat1 + lat2) / 2)) * _METRES_PER_DEGREE
    dy = (lat2 - lat1) * _METRES_PER_DEGREE
    return math.hypot(dx, dy)


def find_duplicate(execute, dialect, ticket_id: str, lon: float, lat: float, category: str, description: str | None,
                   reported_at: datetime, rule: DuplicateRule) -> str | None:
    """The earlier ticket (not itself merged) this one most likely repeats, or None.

    `execute(sql, params)` runs inside the caller's transaction, so tickets written
    earlier in the same intake batch are seen; `dialect` is the store's (data.dialect).
    """
    dlat = rule.radius_m / _METRES_PER_DEGREE
    dlon = dlat / max(math.cos(math.radians(lat)), 1e-6)
    since = iso(reported_at - timedelta(hours=rule.window_hours))
    join, (x, y, _, _) = dialect.box_columns("incidents", "i")
    rows = execute(
        # Incidents through the spatial index first, so the cost stays that of the few points nearby
        # however many tickets share the category or time; CROSS JOIN keeps tickets after them
        # (SQLite never reorders it).
        f"SELECT i.ticket_id, {x}, {y}, t.description FROM incidents i{join} CROSS JOIN tickets t "
        f"WHERE t.ticket_id = i.ticket_id AND {dialect.in_box('incidents', 'i')} "
        "AND i.category = ? AND i.reported_at >= ? "
        "AND (i.reported_at < ? OR (i.reported_at = ? AND i.ticket_id < ?)) AND t.state != 'merged'",
        (lon - dlon, lat - dlat, lon + dlon, lat + dlat, category, since, iso(reported_at), iso(reported_at),
         ticket_id),
    ).fetchall()
    best, best_key = None, None
    for other_id, other_lon, other_lat, other_text in rows:
        distance = _distance_m(lon, lat, other_lon, other_lat)
        if distance > rule.radius_m:
            continue
        likeness = SequenceMatcher(None, description or "", other_text or "").ratio()
        key = (-likeness, distance, other_id)
        if best_key is None or key < best_key:
            best, best_key = other_id, key
    return best


def repeat_callers(store, since: datetime, min_calls: int = 3, role: str | None = None) -> list[dict]:
    """Phones that called at least `min_calls` times since `since`, masked unless the role may see them."""
    rows = store.query(
        "SELECT t.reporter_phone, count(*) AS calls FROM tickets t JOIN incidents i ON i.ticket_id = t.ticket_id "
        "WHERE i.reported_at >= ? AND t.reporter_phone IS NOT NULL "
        "GROUP BY t.reporter_phone HAVING count(*) >= ? ORDER BY calls DESC, t.reporter_phone",
        (iso(since), min_calls),
    )
    return [{"phone": reporter_view(None, phone, None, role)["phone"], "calls": calls} for phone, calls in rows]


def repeat_places(store, since: datetime, min_tickets: int = 3) -> list[dict]:
    """Grids with at least `min_tickets` tickets of one category since `since`."""
    rows = store.query(
        "SELECT grid_code, category, count(*) AS n FROM incidents WHERE reported_at >= ? AND grid_code IS NOT NULL "
        "GROUP BY grid_code, category HAVING count(*) >= ? ORDER BY n DESC, grid_code, category",
        (iso(since), min_tickets),
    )
    return [{"grid": grid, "category": category, "tickets": n} for grid, category, n in rows]
