"""The store's tables, described once for every backend.

Spatial layers become GeoPackage feature tables (or PostGIS tables later); the
application tables hold the ticket workflow. Keeping the description as data lets the
migrations, the GeoPackage writer, the importers and the demo generator agree on one
set of column names.
"""

from __future__ import annotations

from dataclasses import dataclass

# Every geometry is stored in WGS-84 lon/lat; other Chinese systems are converted on entry.
STORAGE_SRID = 4326


@dataclass(frozen=True)
class Column:
    name: str
    sql_type: str  # one of TEXT, INTEGER, REAL (GeoPackage core types)
    nullable: bool = True
    unique: bool = False


@dataclass(frozen=True)
class Table:
    """A table: attribute columns, plus the columns queries filter or group by."""

    name: str
    columns: tuple[Column, ...]
    description: str
    indexed: tuple[str, ...] = ()

    @property
    def column_names(self) -> list[str]:
        return [c.name for c in self.columns]


@dataclass(frozen=True)
class Layer(Table):
    """A spatial feature table: a Table plus one geometry column `geom`."""

    geometry_type: str = "GEOMETRY"  # GeoPackage geometry type name, e.g. MULTIPOLYGON


def _cols(*spec: tuple) -> tuple[Column, ...]:
    return tuple(Column(*s) for s in spec)


GRIDS = Layer(
    "grids",
    _cols(
        ("code", "TEXT", False, True),
        ("name", "TEXT", False),
        ("level", "INTEGER", False),  # 1 township/street, 2 village/community, 3 grid, ...
        ("parent_code", "TEXT"),
        ("households", "INTEGER"),
        ("chief_id", "TEXT"),
        ("version", "INTEGER", False),
    ),
    "Grid hierarchy: township/street > village/community > grid",
    ("parent_code", "level"),
    geometry_type="MULTIPOLYGON",
)

ROADS = Layer(
    "roads",
    _cols(
        ("road_class", "TEXT", False),  # expressway, arterial, collector, local, village
        ("name", "TEXT"),
        ("speed_kph", "REAL", False),
        ("oneway", "INTEGER", False),  # 1 = only in digitised direction
        ("bridge", "INTEGER", False),
    ),
    "Road network with classes, speeds and one-way streets",
    geometry_type="LINESTRING",
)

WATER = Layer(
    "water",
    _cols(("kind", "TEXT", False), ("name", "TEXT")),
    "Rivers and lakes, drawn under everything on the offline base map",
    geometry_type="MULTIPOLYGON",
)

RESPONDERS = Layer(
    "responders",
    _cols(
        ("responder_id", "TEXT", False, True),
        ("name", "TEXT", False),
        ("kind", "TEXT", False),  # grid_worker, police, department
        ("role", "TEXT", False),  # grid_chief, grid_member, police_station, patrol_car, team
        ("grid_code", "TEXT"),
        ("phone", "TEXT"),
        ("status", "TEXT", False),  # on_duty, busy, off
        ("skills", "TEXT"),  # comma-separated
        ("position_at", "TEXT"),  # ISO 8601 time of the last position
    ),
    "Grid workers, police units and department teams at their last known position",
    ("grid_code", "kind", "status"),
    geometry_type="POINT",
)

CAMERAS = Layer(
    "cameras",
    _cols(
        ("camera_id", "TEXT", False, True),
        ("name", "TEXT", False),
        ("camera_class", "TEXT", False),  # A (police/Skynet), B (social/Sharp Eyes), rural, private
        ("owner", "TEXT"),
        ("heading_deg", "REAL"),
        ("fov_deg", "REAL"),
        ("stream_main", "TEXT"),
        ("stream_sub", "TEXT"),
        ("status", "TEXT", False),  # online, offline
        ("grid_code", "TEXT"),
    ),
    "Public video cameras of every class and owner",
    ("grid_code", "status"),
    geometry_type="POINT",
)

PATROL_ROUTES = Layer(
    "patrol_routes",
    _cols(
        ("route_id", "TEXT", False, True),
        ("name", "TEXT", False),
        ("unit_id", "TEXT"),
        ("grid_code", "TEXT"),
    ),
    "Patrol routes along roads",
    geometry_type="LINESTRING",
)

CHECKPOINTS = Layer(
    "checkpoints",
    _cols(
        ("checkpoint_id", "TEXT", False, True),
        ("name", "TEXT", False),
        ("kind", "TEXT", False),
    ),
    "Electronic checkpoints at the territory's entries",
    geometry_type="POINT",
)

INCIDENTS = Layer(
    "incidents",
    _cols(
        ("ticket_id", "TEXT", False, True),
        ("channel", "TEXT", False),
        ("category", "TEXT", False),
        ("priority", "INTEGER", False),
        ("reported_at", "TEXT", False),
        ("grid_code", "TEXT"),
    ),
    "Where each ticket happened; the ticket itself lives in the tickets table",
    ("reported_at", "grid_code", "channel", "category"),
    geometry_type="POINT",
)

LAYERS: dict[str, Layer] = {
    layer.name: layer
    for layer in (GRIDS, ROADS, WATER, RESPONDERS, CAMERAS, PATROL_ROUTES, CHECKPOINTS, INCIDENTS)
}


TICKETS = Table(
    "tickets",
    _cols(
        ("ticket_id", "TEXT", False, True),
        ("record_id", "TEXT"),  # the channel's own id, for idempotent intake
        ("state", "TEXT", False),
        ("version", "INTEGER", False),
        ("description", "TEXT"),
        ("address", "TEXT"),
        ("reporter_name", "TEXT"),
        ("reporter_phone", "TEXT"),
        ("lead_id", "TEXT"),
        ("helper_ids", "TEXT"),
        ("deadline", "TEXT"),
        ("closed_at", "TEXT"),
        ("outcome", "TEXT"),
        ("rating", "INTEGER"),
    ),
    "The ticket of each incident with its current state; history is in ticket_timeline",
    ("state", "record_id"),
)

TICKET_TIMELINE = Table(
    "ticket_timeline",
    _cols(
        ("ticket_id", "TEXT", False),
        ("state", "TEXT", False),
        ("at", "TEXT", False),
        ("by", "TEXT", False),
        ("note", "TEXT"),
    ),
    "Every state change of every ticket, in order",
    ("ticket_id",),
)

AUDIT_LOG = Table(
    "audit_log",
    _cols(
        ("at", "TEXT", False),
        ("actor", "TEXT", False),
        ("action", "TEXT", False),
        ("subject", "TEXT"),
        ("detail", "TEXT"),
    ),
    "Append-only log of every change made through gridsight",
    ("subject",),
)

TABLES: dict[str, Table] = {t.name: t for t in (TICKETS, TICKET_TIMELINE, AUDIT_LOG)}

# Grid levels named as the centres name them.
GRID_LEVEL_NAMES = {1: "township", 2: "village", 3: "grid"}
