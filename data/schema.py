"""The store's tables, described once for every backend.

Spatial layers become GeoPackage feature tables (or PostGIS tables later); the
application tables hold the ticket workflow. Keeping the description as data lets the
migrations, the GeoPackage writer, the importers and the demo generator agree on one
set of column names.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace

# Every geometry is stored in WGS-84 lon/lat; other Chinese systems are converted on entry.
STORAGE_SRID = 4326


@dataclass(frozen=True)
class Column:
    name: str
    sql_type: str  # one of TEXT, INTEGER, REAL (GeoPackage core types)
    nullable: bool = True
    unique: bool = False
    # Schema version (data.migrations) that added the column: migrations build each
    # version's shape from this, so older stores can be walked forward step by step.
    since: int = 1


@dataclass(frozen=True)
class Table:
    """A table: attribute columns, plus the columns queries filter or group by."""

    name: str
    columns: tuple[Column, ...]
    description: str
    indexed: tuple[str, ...] = ()
    since: int = 1  # schema version that added the table

    @property
    def column_names(self) -> list[str]:
        return [c.name for c in self.columns]

    def at_version(self, version: int) -> "Table":
        """The table as it was at schema `version`: only the columns (and indexes) it had then."""
        columns = tuple(c for c in self.columns if c.since <= version)
        names = {c.name for c in columns}
        return replace(self, columns=columns, indexed=tuple(i for i in self.indexed if i in names))


@dataclass(frozen=True)
class Layer(Table):
    """A spatial feature table: a Table plus one geometry column `geom`."""

    geometry_type: str = "GEOMETRY"  # GeoPackage geometry type name, e.g. MULTIPOLYGON


def column_ddl(table: Table, type_name: Callable[[str], str] = str) -> str:
    """The columns of CREATE TABLE for `table`, each type as `type_name` spells the schema's
    (GeoPackage) type in the backend's SQL."""
    parts = []
    for col in table.columns:
        spec = f'"{col.name}" {type_name(col.sql_type)}'
        if not col.nullable:
            spec += " NOT NULL"
        if col.unique:
            spec += " UNIQUE"
        parts.append(spec)
    return ", ".join(parts)


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
        # Added by schema version 6: where the position came from: "fix" (a device's report),
        # "file" (an imported roster), "grid_label" (no position given: placed at its grid's label point).
        ("position_source", "TEXT", True, False, 6),
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

CAMPAIGNS = Layer(
    "campaigns",
    _cols(
        ("campaign_id", "TEXT", False, True),
        ("name", "TEXT", False),
        ("focus", "TEXT"),  # comma-separated ticket categories the campaign targets
        ("starts_at", "TEXT", False),  # ISO 8601 UTC
        ("ends_at", "TEXT", False),
        ("description", "TEXT"),
    ),
    "Special actions (seasonal or at key places): a time window, an area and the categories in focus",
    ("starts_at",),
    geometry_type="MULTIPOLYGON",
    since=4,
)

DEPARTMENTS = Layer(
    "departments",
    _cols(
        ("department_id", "TEXT", False, True),  # what tickets.department holds while transferred
        ("name", "TEXT", False),
        ("phone", "TEXT"),
        ("grid_code", "TEXT"),  # the area it serves; empty = the whole territory
        ("report_hours", "REAL"),  # its usual time to report back on a transferred ticket
    ),
    "Departments that tickets are transferred to (whistle and report), at their office when known",
    geometry_type="POINT",
    since=6,
)

LAYERS: dict[str, Layer] = {
    layer.name: layer
    for layer in (GRIDS, ROADS, WATER, RESPONDERS, CAMERAS, PATROL_ROUTES, CHECKPOINTS, INCIDENTS, CAMPAIGNS,
                  DEPARTMENTS)
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
        # Added by schema version 2 (the workflow engine).
        ("reporter_id_number", "TEXT", True, False, 2),
        ("department", "TEXT", True, False, 2),  # set while transferred to a department
        ("merged_into", "TEXT", True, False, 2),
        ("duplicate_of", "TEXT", True, False, 2),  # suggested at intake, for a person to merge
        ("warning_level", "INTEGER", True, False, 2),  # 0 none, 1 yellow, 2 orange, 3 red (overdue)
        ("escalation_level", "INTEGER", True, False, 2),  # 0 grid, 1 village, 2 township, 3 county centre
        ("mediation_outcome", "TEXT", True, False, 2),  # disputes: mediated, referred, failed
        # Added by schema version 4: JSON list of files kept with the ticket (an alert's snapshot, a clip).
        ("attachments", "TEXT", True, False, 4),
        # Copies of the ticket's incidents row, kept by triggers (TICKET_FACT_TRIGGERS), so that
        # statistics over a million tickets read one covering index instead of joining two tables.
        ("channel", "TEXT", True, False, 2),
        ("category", "TEXT", True, False, 2),
        ("grid_code", "TEXT", True, False, 2),
        ("reported_at", "TEXT", True, False, 2),
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
        ("seat", "TEXT", True, False, 2),  # the console seat (workstation) the change came from
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
        ("seat", "TEXT", True, False, 7),  # the workstation the change came from
    ),
    "Append-only log of every change made through gridsight",
    ("subject",),
)

# The Beijing calendar day of a ticket, as the centres count days (times are stored in UTC), in
# SQLite's spelling: the GeoPackage's released migrations built the day index on it. Queries spell
# the day with the store's dialect (data.workflow.stats.ticket_day), which gives this same text on
# SQLite; on PostgreSQL the day is a column of its own (data.postgis TICKET_DAY_COLUMN).
TICKET_DAY_SQL = "date(reported_at, '+8 hours')"
# What ticket statistics measure per group; each grouping key leads one covering index.
_TICKET_MEASURES = "state, closed_at, deadline, rating, reported_at"
TICKET_STATS_INDEXES = {
    f"idx_tickets_stats_{name}": f"{key}, {_TICKET_MEASURES}"
    for name, key in (("grid", "grid_code"), ("channel", "channel"), ("category", "category"),
                      ("day", TICKET_DAY_SQL))
}
_FACTS = ("channel", "category", "grid_code", "reported_at")
_COPY_FROM_INCIDENT = (
    f"UPDATE tickets SET {', '.join(f'{c} = NEW.{c}' for c in _FACTS)} WHERE ticket_id = NEW.ticket_id;"
)
# Whoever writes tickets and incidents, in whichever order, the copies stay right.
TICKET_FACT_TRIGGERS = {
    "trg_tickets_facts_incident_insert": f"AFTER INSERT ON incidents BEGIN {_COPY_FROM_INCIDENT} END",
    "trg_tickets_facts_incident_update": (
        f"AFTER UPDATE OF ticket_id, {', '.join(_FACTS)} ON incidents BEGIN {_COPY_FROM_INCIDENT} END"),
    "trg_tickets_facts_ticket_insert": (
        f"AFTER INSERT ON tickets WHEN NEW.reported_at IS NULL BEGIN UPDATE tickets SET ({', '.join(_FACTS)}) = "
        f"(SELECT {', '.join(_FACTS)} FROM incidents WHERE ticket_id = NEW.ticket_id) WHERE fid = NEW.fid; END"),
}

DEAD_LETTERS = Table(
    "intake_dead_letters",
    _cols(
        ("channel", "TEXT", False),
        ("record_id", "TEXT"),
        ("received_at", "TEXT", False),
        ("reason", "TEXT", False),
        ("payload", "TEXT"),  # the record as received, for a person to fix and resubmit
    ),
    "Intake records that were refused, with the reason",
    ("channel",),
    since=2,
)

MEDIATION_STEPS = Table(
    "mediation_steps",
    _cols(
        ("ticket_id", "TEXT", False),
        ("step", "TEXT", False),
        ("at", "TEXT", False),
        ("by", "TEXT", False),
        ("note", "TEXT"),
    ),
    "The mediation steps taken on each dispute, in order",
    ("ticket_id",),
    since=2,
)

SUPERVISION_NOTICES = Table(
    "supervision_notices",
    _cols(
        ("ticket_id", "TEXT", False),
        ("level", "TEXT", False),  # yellow, orange, red, escalated
        ("at", "TEXT", False),
        ("message", "TEXT", False),
    ),
    "SLA warnings and escalations sent to supervisors",
    ("ticket_id", "at"),
    since=2,
)

GRID_CHANGESETS = Table(
    "grid_changesets",
    _cols(
        ("changeset_id", "INTEGER", False, True),
        ("at", "TEXT", False),
        ("by", "TEXT", False),
        ("why", "TEXT", False),
        ("operation", "TEXT", False),
        ("rolls_back", "INTEGER"),  # the change-set this one undid, for rollbacks
        ("reassigned", "TEXT"),  # JSON {table: {row id: [old grid_code, new grid_code]}} of the rows moved
    ),
    "Every saved change of the grid layout: who, when and why",
    since=3,
)

GRID_HISTORY = Table(
    "grid_history",
    _cols(
        ("changeset_id", "INTEGER", False),
        ("code", "TEXT", False),
        ("change", "TEXT", False),  # created, modified, deleted
        ("old_version", "INTEGER"),
        ("new_version", "INTEGER"),
        # JSON of the grid's row (name, level, parent_code, households, chief_id, geometry as hex WKB)
        ("old_state", "TEXT"),
        ("new_state", "TEXT"),
    ),
    "The grids a change-set touched, as they were and as they became",
    ("changeset_id", "code"),
    since=3,
)

DERIVED_CACHE = Table(
    "derived_cache",
    _cols(
        ("name", "TEXT", False, True),  # what was computed, e.g. the map's police coverage
        ("inputs", "TEXT", False),  # a digest of what it was computed from
        ("made_at", "TEXT", False),
        ("content", "TEXT", False),
    ),
    "Results computed from the store's own data (slow to compute), kept while their inputs are unchanged",
    since=5,
)

CENTRE = Table(
    "centre",
    _cols(
        ("key", "TEXT", False, True),  # name, timezone
        ("value", "TEXT"),
    ),
    "The centre this store belongs to: its name and timezone",
    since=6,
)

USERS = Table(
    "users",
    _cols(
        ("username", "TEXT", False, True),
        ("role", "TEXT", False),  # dispatcher, supervisor, leader, analyst, admin
        ("password_hash", "TEXT", False),  # argon2id; the password itself is never stored
        ("disabled", "INTEGER", False),  # 1: cannot sign in
        ("failed_signins", "INTEGER", False),  # in a row, since the last successful one
        ("locked_until", "TEXT"),  # ISO 8601 UTC, after too many failed sign-ins
        ("created_at", "TEXT", False),
        ("changed_at", "TEXT"),
    ),
    "The people who sign in to the console, wall, editor and command line, each with one role",
    since=7,
)

TABLES: dict[str, Table] = {
    t.name: t
    for t in (TICKETS, TICKET_TIMELINE, AUDIT_LOG, DEAD_LETTERS, MEDIATION_STEPS, SUPERVISION_NOTICES,
              GRID_CHANGESETS, GRID_HISTORY, DERIVED_CACHE, CENTRE, USERS)
}

# Grid levels named as the centres name them.
GRID_LEVEL_NAMES = {1: "township", 2: "village", 3: "grid"}
