"""What a store can and cannot do yet, and why: the findings of `gridsight doctor`, which the
console also shows once at start.

Each finding has a stable code (the console words it in the UI language from the code and the
counts), a severity (error: the console cannot dispatch; warning: it works, less well; note:
worth knowing) and the command that fixes it. Plain SQL counts over indexed columns, plus the
responders placed on the road graph (read from its cache; built once after a roads import).
"""

from __future__ import annotations

import shlex
from dataclasses import asdict, dataclass
from datetime import datetime, timedelta


from data.centre import read_centre
from data.store import Store
from data.workflow.clock import parse_iso, utc_now
from gis.roadgraph import RoadNetworkError
from gis.routing import MAX_SNAP_M, Router

SEVERITIES = ("error", "warning", "note")
# Every code a finding may have: scripts and the console (which words them) rely on them.
CODES = ("no_grids", "no_responders", "no_roads", "no_cameras", "no_departments", "grids_without_worker",
         "responders_unknown_grid", "cameras_unknown_grid", "stale_police_positions", "police_roster_positions",
         "responders_at_grid_label", "cameras_without_stream", "cameras_offline", "no_centre_name",
         "roads_unusable", "responders_off_road")
# A police unit on duty that has reported no position for this long is not where the map shows it.
POSITION_STALE = timedelta(hours=2)


@dataclass(frozen=True)
class Finding:
    severity: str  # error | warning | note
    code: str  # stable, e.g. "no_roads": what the console words in the UI language
    message: str  # English, for the CLI
    count: int | None = None  # how many things it is about
    total: int | None = None  # out of how many
    fix: str | None = None  # the command that fixes it, for this store

    def as_dict(self) -> dict:
        return asdict(self)


def _named(store: Store) -> str:
    """The store as its fix commands take it: the file, or the URL without its password (a fix
    is printed and copied around; the one who runs it gives the password as they gave it)."""
    return store.for_another_process()[0]


def examine(store: Store, now: datetime | None = None) -> list[Finding]:
    """Every finding for `store` (positions judged at `now`, default the current time), errors first."""
    now = now or utc_now()
    db = shlex.quote(_named(store))
    found: list[Finding] = []

    def add(severity: str, code: str, message: str, count=None, total=None, fix: str | None = None) -> None:
        found.append(Finding(severity, code, message, count, total, fix and fix.replace("STORE", db)))

    def scalar(sql: str, params: tuple = ()) -> int:
        return int(store.query(sql, params)[0][0])

    grids, roads, responders, cameras = (store.count(name) for name in ("grids", "roads", "responders", "cameras"))
    if not grids:
        add("error", "no_grids", "no grids: incidents cannot be placed in a grid nor dispatched by grid",
            fix="gridsight grids import FILE --db STORE")
    if not responders:
        add("error", "no_responders", "no responders: there is nobody to recommend or dispatch",
            fix="gridsight responders import FILE --db STORE")
    if not roads:
        add("warning", "no_roads", "no roads: recommendations use straight-line distance",
            fix="gridsight roads import FILE.osm.pbf --db STORE")
    if not cameras:
        add("warning", "no_cameras", "no cameras: no video near incidents", fix="gridsight cameras import FILE --db STORE")
    if not store.count("departments"):
        add("warning", "no_departments", "no departments: tickets cannot be transferred to a department by name",
            fix="gridsight departments import FILE --db STORE")
    if grids:
        leaves = scalar("SELECT count(*) FROM grids g WHERE NOT EXISTS "
                        "(SELECT 1 FROM grids c WHERE c.parent_code = g.code)")
        # The workers' codes as one list (SQLite builds it once), not a correlated search: that one
        # walked every worker of the kind index for each grid (19 s for 10,000 grids, 27,000 workers).
        unstaffed = scalar("SELECT count(*) FROM grids g WHERE NOT EXISTS (SELECT 1 FROM grids c "
                           "WHERE c.parent_code = g.code) AND g.code NOT IN "
                           "(SELECT grid_code FROM responders WHERE kind = 'grid_worker' AND grid_code IS NOT NULL)")
        if unstaffed:
            add("warning", "grids_without_worker", f"{unstaffed} of {leaves} grids have no grid worker",
                unstaffed, leaves, "gridsight responders import FILE --db STORE")
        for layer, noun in (("responders", "responders"), ("cameras", "cameras")):
            total = responders if layer == "responders" else cameras
            astray = scalar(f"SELECT count(*) FROM {layer} WHERE grid_code IS NOT NULL AND grid_code != '' "
                            "AND grid_code NOT IN (SELECT code FROM grids)")
            if astray:
                add("warning", f"{layer}_unknown_grid", f"{astray} {noun} are on grid codes the store does not have",
                    astray, total, f"gridsight {layer} import FILE --db STORE")
    if roads and responders:
        try:
            router = Router.from_store(store)
        except RoadNetworkError as err:
            add("error", "roads_unusable", f"the roads cannot be routed on: {err}",
                fix="gridsight roads import FILE.osm.pbf --db STORE --replace")
        else:
            off_road = int(router.off_network.sum())
            if off_road:
                add("warning", "responders_off_road",
                    f"{off_road} of {responders} responders are more than {MAX_SNAP_M:g} m from a connected road: "
                    "they are not ranked until their position changes", off_road, responders,
                    "gridsight responders import FILE --db STORE")
    police, stale, from_file = _police_positions(store, now)
    if stale:
        hours = f"{POSITION_STALE.total_seconds() / 3600:g} h"
        # No command brings a unit's device back: the finding says which units to call.
        add("warning", "stale_police_positions",
            f"{stale} of {police} police units on duty have reported no position for {hours}: "
            "recommendations rank them where they were last seen", stale, police)
    if from_file:
        add("note", "police_roster_positions",
            f"{from_file} of {police} police units on duty are where their roster places them: no device has "
            "reported their position yet", from_file, police)
    placed = scalar("SELECT count(*) FROM responders WHERE position_source = 'grid_label'")
    if placed:
        add("note", "responders_at_grid_label",
            f"{placed} responders have no position of their own: placed at their grid's label point",
            placed, responders, "gridsight responders import FILE --db STORE")
    if cameras:
        has_stream = "(coalesce(stream_main, '') != '' OR coalesce(stream_sub, '') != '')"
        streamless = scalar(f"SELECT count(*) FROM cameras WHERE NOT {has_stream}")
        if streamless:
            add("warning", "cameras_without_stream", f"{streamless} of {cameras} cameras have no stream",
                streamless, cameras, "gridsight cameras import FILE --db STORE")
        offline = scalar(f"SELECT count(*) FROM cameras WHERE {has_stream} AND status = 'offline'")
        if offline:
            add("note", "cameras_offline", f"{offline} cameras with a stream are marked offline",
                offline, cameras, "gridsight cameras import FILE --db STORE")
    if not read_centre(store).name:
        add("note", "no_centre_name", "the centre has no name: the console and reports cannot say whose store it is",
            fix="gridsight centre set --name NAME --db STORE")
    return sorted(found, key=lambda f: SEVERITIES.index(f.severity))


def _police_positions(store: Store, now: datetime) -> tuple[int, int, int]:
    """Police units on duty; how many of those placed by their devices (or by a store older than
    position sources) have no position or none reported since POSITION_STALE before `now`; and
    how many are at a position a roster file gave."""
    rows = store.query("SELECT geom IS NULL, position_at, position_source FROM responders "
                       "WHERE kind = 'police' AND status != 'off'")
    cutoff = now - POSITION_STALE
    stale = sum(1 for missing, at, source in rows
                if source in (None, "fix") and (missing or not _reported_since(at, cutoff)))
    return len(rows), stale, sum(1 for *_, source in rows if source == "file")


def _reported_since(at: str | None, cutoff: datetime) -> bool:
    try:
        return bool(at) and parse_iso(at) >= cutoff
    except ValueError:  # a time no one can read says nothing about when the unit was seen
        return False
