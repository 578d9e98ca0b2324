"""Editing operations on the standard grid GeoDataFrame, each checked by the topology rules.

Every operation is a pure function: it takes the grids (as `gis.gridfile` reads them or
the store returns them), and returns an `Edit`, the new frame plus a `Change` naming the
rows before and after. The change is checked with `gis.topology.validate`, the same
rules as `gridsight grids validate`, but only on the grids it can affect (the changed
grids, their parents, siblings and children), so that an edit at city scale costs
milliseconds. Operations that cannot keep the hierarchy valid by construction (moving a
vertex) report the problems in the change; `EditSession` refuses such changes.

Shapes stay in lon/lat so that shared edges stay exactly shared; where an edit puts a new
vertex on a boundary (a split line crossing it, a drawn grid touching it), every other
grid whose edge passes through that point gets the vertex too, so that the next vertex
move drags both sides.

Split, merge, delete and draw work on grids without children of their own (edit the
children first); re-parenting and code edits carry the descendants along. Moving a vertex
or an edge of a parent moves it in every grid of every level that has that point on its
boundary, so the children's outer edges follow the parent's and stay inside it.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from functools import lru_cache
from typing import NamedTuple

import numpy as np
import pandas as pd
import shapely
from geopandas import GeoDataFrame
from pyproj import Transformer
from shapely.ops import split as split_geometry

from gis.topology import DEFAULT_TOLERANCE_M2, Problem, as_multipolygons, validate

# How far (degrees, ~0.1 mm) a point may be from an edge and still lie on it.
ON_EDGE_DEG = 1e-9
# How far (degrees, ~1 cm) two grids' edges may be apart and still count as shared.
SHARED_EDGE_DEG = 1e-7
# Default snapping distance of a drawn grid to the edges around it.
DEFAULT_SNAP_M = 2.0
# Pieces of a sibling left smaller than this by a drawn grid go to the drawn grid.
DEFAULT_SLIVER_M2 = 50.0
_METRES_PER_DEGREE = 111_320.0


# Why an edit cannot be made: EditError.kind and its English words, filled from EditError.params.
# The CLI and the logs show the English; the editor words each kind in the UI language.
EDIT_ERRORS = {
    "no_grid": "no grid with code {code}",
    "has_children": "cannot {operation} {code}: it has grids of its own; edit those first",
    "split_parts": "the line must cut grid {code} into exactly two parts, not {parts}",
    "with_itself": "cannot {operation} {code} with itself",
    "not_siblings": "{absorbed} and {code} are not siblings (parents {absorbed_parent} and {parent})",
    "no_shared_edge": "{absorbed} and {code} do not share an edge",
    "edge_points": "an edge needs two different end points",
    "no_vertex": "no grid has a vertex at {lon:.7f},{lat:.7f}",
    "drawn_outside": "the drawn grid does not lie inside {parent}",
    "drawn_over_parent": "the drawn grid overlaps {code}, which has grids of its own",
    "drawn_over_all": "the drawn grid would cover all of {code}; merge or delete it instead",
    "already_under": "{code} is already under {parent}",
    "parent_level": "{parent} is level {parent_level}; {code} needs a level {level} parent",
    "not_inside_nor_bordering": "{code} neither lies inside {parent} nor borders it within the same parent",
    "whole_parent": "{code} is all of {parent}; merge {parent} instead",
    "empty_code": "a grid code cannot be empty",
    "code_used": "code {code} is already used",
    "code_prefix": "code {code} must start with its parent's code {parent}",
    "empty_name": "a grid name cannot be empty",
    "negative_households": "households must be 0 or more, not {households}",
    "no_worker_grid": "no grid with code {code} for worker {worker}",
    "top_level_code": "top-level grids get their codes from the administration, not from the editor",
    "broken_rules": "the edit breaks topology rules: {problems}",
}


class EditError(Exception):
    """The edit cannot be made as asked: `kind` (a key of EDIT_ERRORS) says why, `params` which
    grids and numbers; str() is the English message."""

    def __init__(self, kind: str, **params):
        super().__init__(EDIT_ERRORS[kind].format(**params))
        self.kind = kind
        self.params = params


class EditRefused(EditError):
    """The edit would break topology rules; `problems` says which."""

    def __init__(self, problems: Sequence[Problem]):
        self.problems = tuple(problems)
        super().__init__("broken_rules", problems="; ".join(f"{p.kind} {p.code}: {p.message}" for p in problems[:3]))


@dataclass(frozen=True)
class Change:
    """What an edit did: the affected rows before and after, and where their workers go.

    Rows are identified by code, so a recoded grid is its old row in `before` and its new
    one in `after`. `reassigned` maps every code that no longer exists (deleted, merged,
    recoded) to the code its workers (responders.grid_code) move to; `workers` names single
    workers moved between grids (responder_id: (from code, to code)). Tickets keep the
    code they had.
    """

    operation: str
    summary: str
    before: GeoDataFrame  # affected rows as they were; no row for a created grid
    after: GeoDataFrame  # affected rows as they are now; no row for a deleted grid
    reassigned: dict[str, str] = field(default_factory=dict)
    problems: tuple[Problem, ...] = ()
    workers: dict[str, tuple[str | None, str]] = field(default_factory=dict)

    @property
    def codes(self) -> set[str]:
        return set(self.before["code"]) | set(self.after["code"])

    def inverse(self) -> Change:
        """The change that undoes this one: single workers go back, those of a gone grid stay
        where the edit sent them."""
        return Change(f"undo {self.operation}", f"undo: {self.summary}", self.after, self.before,
                      workers={rid: (to, source) for rid, (source, to) in self.workers.items()})


class Edit(NamedTuple):
    grids: GeoDataFrame
    change: Change


def apply_change(grids: GeoDataFrame, change: Change) -> GeoDataFrame:
    """`grids` with the change's before rows replaced by its after rows.

    A change that keeps the same codes (reshaping, attributes: most edits) overwrites those
    rows in a copy, in place: at city scale that is several times cheaper than rebuilding.
    """
    before, after = change.before["code"], change.after["code"]
    rows = np.flatnonzero(grids["code"].isin(before).to_numpy())
    if len(rows) == len(after) and set(before) == set(after) and after.is_unique:
        position = dict(zip(grids["code"].to_numpy()[rows], rows))
        order = [position[code] for code in after]
        replaced = grids.copy()
        for column in change.after.columns:
            if column not in replaced.columns:
                replaced[column] = pd.Series(None, index=replaced.index, dtype=object)
            replaced.iloc[order, replaced.columns.get_loc(column)] = change.after[column].to_numpy()
        return replaced
    kept = grids[~grids["code"].isin(before)]
    return GeoDataFrame(pd.concat([kept, change.after], ignore_index=True), crs=grids.crs)


# ---------------------------------------------------------------------------- operations


def split(grids: GeoDataFrame, code: str, line) -> Edit:
    """Cut a grid in two along a line; the larger part keeps the code, the other gets a new one."""
    row = _leaf_row(grids, code, "split")
    pieces = shapely.get_parts(split_geometry(row.geometry, line))
    if len(pieces) != 2:
        raise EditError("split_parts", code=code, parts=len(pieces))
    areas = area_m2(pieces)
    keep, other = np.argsort(-areas)
    new_code = next_child_code(grids, row.parent_code)
    kept_households, new_households = _share(row.get("households"), areas[[keep, other]])
    created = {"code": new_code, "name": f"{row['name']} ({new_code})", "level": row.level,
               "parent_code": row.parent_code, "households": new_households, "geometry": pieces[other]}
    return _edit(
        grids, "split", f"split {code} into {code} and {new_code}",
        updates={code: {"geometry": pieces[keep], "households": kept_households}},
        created=[created],
    )


def merge(grids: GeoDataFrame, code: str, absorbed: str) -> Edit:
    """Merge sibling `absorbed` into `code`, which keeps its code; they must share an edge."""
    return _absorb(grids, code, absorbed, "merge", f"merged {absorbed} into {code}")


def delete(grids: GeoDataFrame, code: str, receiver: str) -> Edit:
    """Delete a grid, giving its area, households and workers to an adjacent sibling."""
    return _absorb(grids, receiver, code, "delete", f"deleted {code}, its area went to {receiver}")


def move_vertex(grids: GeoDataFrame, old_xy: tuple[float, float], new_xy: tuple[float, float]) -> Edit:
    """Move a boundary vertex; every grid with that point on its boundary follows."""
    return move_vertices(grids, [(old_xy, new_xy)], "move_vertex")


def move_edge(grids: GeoDataFrame, start: tuple[float, float], end: tuple[float, float],
              offset: tuple[float, float]) -> Edit:
    """Shift the edge from `start` to `end` by `offset` (degrees); the grids on both sides follow."""
    if tuple(start) == tuple(end):
        raise EditError("edge_points")
    moves = [(xy, (xy[0] + offset[0], xy[1] + offset[1])) for xy in (start, end)]
    return move_vertices(grids, moves, "move_edge")


def move_vertices(grids: GeoDataFrame, moves: Sequence[tuple[tuple[float, float], tuple[float, float]]],
                  operation: str = "move_vertex") -> Edit:
    """Move boundary points together. A grid whose edge passes through a moved point without a
    vertex there (a T-junction, a parent's long edge under its children's vertices) gets the
    vertex first, so that it follows instead of opening a gap or an overlap."""
    geoms = np.asarray(grids.geometry.array, dtype=object)
    olds = np.array([old for old, _ in moves], dtype=float)
    news = np.array([new for _, new in moves], dtype=float)
    points = shapely.points(olds)
    point_rows, grid_rows = shapely.STRtree(geoms).query(points, predicate="dwithin", distance=ON_EDGE_DEG)
    holders, carried, found = set(), set(), set()
    for p, g in zip(point_rows, grid_rows):
        if (shapely.get_coordinates(geoms[g]) == olds[p]).all(axis=1).any():
            holders.add(g)
            found.add(p)
        elif shapely.distance(shapely.boundary(geoms[g]), points[p]) < ON_EDGE_DEG:
            carried.add(g)
    if len(found) < len(olds):
        lon, lat = olds[min(set(range(len(olds))) - found)]
        raise EditError("no_vertex", lon=float(lon), lat=float(lat))

    def moved(xy: np.ndarray) -> np.ndarray:
        result = xy.copy()
        for old, new in zip(olds, news):
            result[(xy == old).all(axis=1)] = new
        return result

    codes = grids["code"].to_numpy()
    touched = sorted(holders | carried)
    shapes = {i: insert_vertices(geoms[i], olds) if i in carried else geoms[i] for i in touched}
    what = "an edge" if operation == "move_edge" else "a vertex"
    return _edit(
        grids, operation, f"moved {what} of {', '.join(codes[sorted(holders)])}",
        updates={codes[i]: {"geometry": shapely.transform(shapes[i], moved)} for i in touched},
        share_vertices=False,
    )


def draw(grids: GeoDataFrame, parent_code: str, polygon, name: str | None = None,
         snap_m: float = DEFAULT_SNAP_M, sliver_m2: float = DEFAULT_SLIVER_M2) -> Edit:
    """Add a grid drawn inside a parent, snapped to the edges around it and carved out of its siblings."""
    parent = _row(grids, parent_code)
    siblings = grids[grids["parent_code"] == parent_code]
    tolerance = snap_m / _METRES_PER_DEGREE
    edges = shapely.union_all(shapely.boundary([parent.geometry, *siblings.geometry]))
    shape = _snap_to_edges(shapely.make_valid(polygon), edges, tolerance)
    shape = _polygonal(shapely.intersection(shape, parent.geometry))
    if shape is None:
        raise EditError("drawn_outside", parent=parent_code)

    overlapped = siblings[shapely.area(shapely.intersection(siblings.geometry.array, shape)) > 0]
    updates = {}
    for sibling in overlapped.itertuples():
        if (grids["parent_code"] == sibling.code).any():
            raise EditError("drawn_over_parent", code=sibling.code)
        rest = shapely.get_parts(shapely.difference(sibling.geometry, shape))
        rest = rest[shapely.get_type_id(rest) == shapely.GeometryType.POLYGON]
        slivers = area_m2(rest) < sliver_m2
        shape = shapely.union_all([shape, *rest[slivers]])
        if slivers.all():
            raise EditError("drawn_over_all", code=sibling.code)
        updates[sibling.code] = {"geometry": shapely.multipolygons(rest[~slivers])}
    overlapped_geoms = overlapped.geometry.to_numpy()
    taken = area_m2(shapely.intersection(overlapped_geoms, shape)) / area_m2(overlapped_geoms)
    households = 0
    for sibling_households, code, share in zip(overlapped.get("households", [None] * len(overlapped)),
                                               overlapped["code"], taken):
        if not pd.isna(sibling_households):
            moved = round(sibling_households * share)
            updates[code]["households"] = sibling_households - moved
            households += moved

    new_code = next_child_code(grids, parent_code)
    created = {"code": new_code, "name": name or new_code, "level": parent.level + 1,
               "parent_code": parent_code, "households": households, "geometry": shape}
    return _edit(grids, "draw", f"drew {new_code} in {parent_code}", updates=updates, created=[created])


def reparent(grids: GeoDataFrame, code: str, new_parent_code: str) -> Edit:
    """Move a grid (with its descendants) under another parent, recoded to the parent's prefix.

    The grid must lie inside the new parent, or border it with both parents under one
    grandparent: then the grid's area moves from the old parent to the new one.
    """
    row = _row(grids, code)
    new_parent = _row(grids, new_parent_code)
    if new_parent_code == row.parent_code:
        raise EditError("already_under", code=code, parent=new_parent_code)
    if new_parent.level != row.level - 1:
        raise EditError("parent_level", parent=new_parent_code, parent_level=int(new_parent.level), code=code,
                        level=int(row.level) - 1)
    updates = _recode(grids, code, next_child_code(grids, new_parent_code), new_parent_code)
    if area_m2([shapely.difference(row.geometry, new_parent.geometry)])[0] > DEFAULT_TOLERANCE_M2:
        old_parent = _row(grids, row.parent_code)
        if old_parent.parent_code != new_parent.parent_code or not _share_edge(row.geometry, new_parent.geometry):
            raise EditError("not_inside_nor_bordering", code=code, parent=new_parent_code)
        remaining = _polygonal(shapely.difference(old_parent.geometry, row.geometry))
        if remaining is None:
            raise EditError("whole_parent", code=code, parent=old_parent.code)
        moved = row.get("households")
        for parent, geometry, sign in ((old_parent, remaining, -1),
                                       (new_parent, shapely.union(new_parent.geometry, row.geometry), 1)):
            updates[parent.code] = {"geometry": geometry}
            if not pd.isna(moved) and not pd.isna(parent.get("households")):
                updates[parent.code]["households"] = parent["households"] + sign * moved
    reassigned = {old: new["code"] for old, new in updates.items() if new.get("code", old) != old}
    return _edit(grids, "reparent", f"moved {code} under {new_parent_code} as {reassigned[code]}",
                 updates=updates, reassigned=reassigned)


def set_attributes(grids: GeoDataFrame, code: str, *, new_code: str | None = None, name: str | None = None,
                   households: int | None = None, chief_id: str | None = None,
                   workers: Mapping[str, tuple[str | None, str]] | None = None) -> Edit:
    """Change a grid's code (descendants follow the prefix), name, households, chief or members.

    `workers` moves single workers between grids (responder_id: (from code, to code)); a
    worker moved into a grid that is recoded in the same edit goes to its new code.
    """
    row = _row(grids, code)
    updates: dict[str, dict] = {code: {}}
    if new_code is not None and new_code != code:
        new_code = new_code.strip()
        if not new_code:
            raise EditError("empty_code")
        if (grids["code"] == new_code).any():
            raise EditError("code_used", code=new_code)
        if row.parent_code and not new_code.startswith(row.parent_code):
            raise EditError("code_prefix", code=new_code, parent=row.parent_code)
        updates = _recode(grids, code, new_code, row.parent_code)
    if name is not None:
        if not name.strip():
            raise EditError("empty_name")
        updates[code]["name"] = name.strip()
    if households is not None:
        if households < 0:
            raise EditError("negative_households", households=households)
        updates[code]["households"] = int(households)
    if chief_id is not None:
        updates[code]["chief_id"] = chief_id or None
    reassigned = {old: new["code"] for old, new in updates.items() if new.get("code", old) != old}
    moves = {}
    for rid, (source, target) in (workers or {}).items():
        if target not in set(grids["code"]):
            raise EditError("no_worker_grid", code=target, worker=rid)
        if source != target:
            moves[rid] = (source, reassigned.get(target, target))
    return _edit(grids, "attributes", f"edited {code}", updates=updates, reassigned=reassigned, workers=moves)


def replace_layout(grids: GeoDataFrame, layout: GeoDataFrame) -> Edit:
    """Replace the whole layout by an imported one (as `gis.gridfile.read_grid_file` reads it).

    The change holds only the grids that differ, so that it previews as a diff and saves as
    one change-set; its problems are those `validate` finds in the whole new layout. Workers
    of a grid that is gone move to the new grid of its level that covers most of it.
    """
    kept = {c: layout["code"].map(grids.set_index("code")[c]) for c in ("chief_id", "households")
            if c in grids.columns and c not in layout.columns}  # what a file does not say stays as it is
    layout = layout.assign(**kept)
    layout = layout[[c for c in grids.columns if c in layout.columns]].astype(
        {c: grids[c].dtype for c in ("level", "households") if c in grids.columns and c in layout.columns})
    old, new = grids.set_index("code"), layout.set_index("code")
    common = old.index.intersection(new.index)
    changed = set(common) - _unchanged_codes(grids[grids["code"].isin(common)], layout[layout["code"].isin(common)])
    removed = set(old.index) - set(new.index)
    before = grids[grids["code"].isin(removed | changed)]
    after = layout[~layout["code"].isin(set(common) - changed)]
    reassigned = {}
    for code in sorted(removed):
        gone = old.loc[code]
        peers = layout[layout["level"] == gone.level]
        overlap = area_m2(shapely.intersection(peers.geometry.array, gone.geometry)) if len(peers) else []
        if len(overlap) and max(overlap) > 0:
            reassigned[code] = peers["code"].iloc[int(np.argmax(overlap))]
    added = len(set(new.index) - set(old.index))
    change = Change("import", f"imported a layout: {added} added, {len(removed)} removed, {len(changed)} changed",
                    before, GeoDataFrame(after, crs=grids.crs), reassigned, tuple(validate(layout)))
    return Edit(apply_change(grids, change), change)


def change_kinds(change: Change) -> dict[str, str]:
    """Each code of a change as "added", "removed" or "changed", for diffs on the map."""
    before, after = set(change.before["code"]), set(change.after["code"])
    return {code: "changed" if code in before and code in after else "removed" if code in before else "added"
            for code in sorted(before | after)}


def next_child_code(grids: GeoDataFrame, parent_code: str | None) -> str:
    """An unused code for a new child: the parent's code plus the next serial its children use."""
    if not parent_code:
        raise EditError("top_level_code")
    codes = grids["code"].to_numpy()
    suffixes = [c[len(parent_code):] for c in grids.loc[grids["parent_code"] == parent_code, "code"]]
    serials = [re.fullmatch(r"(\D*)(\d+)", s) for s in suffixes if s]
    serials = [m for m in serials if m]
    lead = serials[-1].group(1) if serials else ""
    width = max((len(m.group(2)) for m in serials), default=3)
    serial = max((int(m.group(2)) for m in serials), default=0) + 1
    while (codes == f"{parent_code}{lead}{serial:0{width}d}").any():
        serial += 1
    return f"{parent_code}{lead}{serial:0{width}d}"


# ------------------------------------------------------------------ feedback and balance


@dataclass(frozen=True)
class Thresholds:
    """Workload limits that make the editor warn; centres set their own."""

    min_area_m2: float = 20_000.0
    max_area_m2: float = 5_000_000.0
    max_households: int = 1_000
    max_open_tickets: int = 50


@dataclass(frozen=True)
class Workload:
    code: str
    area_m2: float
    households: int | None
    open_tickets: int


@dataclass(frozen=True)
class Issue:
    """One thing wrong with an edit's result: a broken topology rule (kind = Problem.kind) or
    a workload limit (area_below, area_above, households_above, open_tickets_above)."""

    code: str | None
    kind: str
    message: str  # English, for logs and the CLI; the editor words it from kind, value, limit and details
    value: float | None = None
    limit: float | None = None
    details: dict = field(default_factory=dict, compare=False)  # Problem.details

    @classmethod
    def of(cls, problem: Problem) -> Issue:
        return cls(problem.code, problem.kind, problem.message, details=problem.details)


@dataclass(frozen=True)
class Feedback:
    before: list[Workload]
    after: list[Workload]
    issues: list[Issue]

    @property
    def warnings(self) -> list[str]:
        return [f"{i.code}: {i.message}" for i in self.issues]


def feedback(change: Change, open_tickets=(), thresholds: Thresholds = Thresholds()) -> Feedback:
    """Area, households and open tickets of the affected grids before and after, with warnings.

    `open_tickets` are the points of the open tickets near the edit; they are counted by
    where they lie, since the grid codes they carry are those of the old layout.
    """
    points = np.asarray(getattr(open_tickets, "array", open_tickets), dtype=object)
    before, after = (workloads(frame, points) for frame in (change.before, change.after))
    issues = [Issue.of(p) for p in change.problems]
    t = thresholds
    # Workload limits are for the grids being edited, not for their parents that followed the edit.
    edited = len(change.after) and change.after["level"].max()
    for w, level in zip(after, change.after["level"]):
        if level != edited:
            continue
        checks = [
            ("area_below", w.area_m2, t.min_area_m2, w.area_m2 < t.min_area_m2, "area {:,.0f} m² is below {:,.0f} m²"),
            ("area_above", w.area_m2, t.max_area_m2, w.area_m2 > t.max_area_m2, "area {:,.0f} m² is above {:,.0f} m²"),
            ("households_above", w.households, t.max_households,
             w.households is not None and w.households > t.max_households, "{} households, more than {}"),
            ("open_tickets_above", w.open_tickets, t.max_open_tickets, w.open_tickets > t.max_open_tickets,
             "{} open tickets, more than {}"),
        ]
        issues += [Issue(w.code, kind, text.format(value, limit), value, limit)
                   for kind, value, limit, broken, text in checks if broken]
    return Feedback(before, after, issues)


def workloads(grids: GeoDataFrame, ticket_points=()) -> list[Workload]:
    """Area, households and the number of `ticket_points` inside, per grid."""
    geoms = np.asarray(grids.geometry.array, dtype=object)
    points = np.asarray(getattr(ticket_points, "array", ticket_points), dtype=object)
    counts = np.zeros(len(geoms), dtype=int)
    if len(points) and len(geoms):
        _, inside = shapely.STRtree(geoms).query(points, predicate="within")
        counts = np.bincount(inside, minlength=len(geoms))
    households = grids["households"] if "households" in grids.columns else pd.Series([None] * len(grids))
    return [
        Workload(code, float(area), None if pd.isna(h) else int(h), int(n))
        for code, area, h, n in zip(grids["code"], area_m2(geoms), households, counts)
    ]


def overloaded(grids: GeoDataFrame, ticket_points=(), max_tickets_per_household: float = np.inf,
               max_area_m2: float = np.inf) -> pd.DataFrame:
    """Grids over a workload limit, worst first: tickets per household (tickets of the period
    the caller chose) or area. Candidates for `propose_split`."""
    table = pd.DataFrame([vars(w) for w in workloads(grids, ticket_points)],
                         columns=["code", "area_m2", "households", "open_tickets"])
    table = table.rename(columns={"open_tickets": "tickets"})
    households = pd.to_numeric(table["households"], errors="coerce")
    table["tickets_per_household"] = table["tickets"] / households.where(households > 0)
    over = (table["tickets_per_household"] > max_tickets_per_household) | (table["area_m2"] > max_area_m2)
    return table[over].sort_values(["tickets_per_household", "area_m2"], ascending=False, ignore_index=True)


def propose_split(geometry, ticket_points=()) -> shapely.LineString:
    """A line that splits an overloaded grid in two even halves, for the analyst to accept or edit.

    With ticket points, the line is perpendicular to the points' principal axis and cuts
    it at their median, so that each half gets half the tickets; without, it is
    perpendicular to the grid's long axis and halves its area.
    """
    lat0 = shapely.centroid(geometry).y
    scale = np.array([np.cos(np.radians(lat0)), 1.0])  # local metric frame, straight lines stay straight
    points = shapely.get_coordinates(np.asarray(getattr(ticket_points, "array", ticket_points), dtype=object))
    if len(points) >= 2:
        xy = points * scale
        centre = xy.mean(axis=0)
        axis = np.linalg.svd(xy - centre, full_matrices=False)[2][0]
        at = float(np.median((xy - centre) @ axis))
    else:
        rectangle = shapely.get_coordinates(shapely.oriented_envelope(geometry))[:4] * scale
        sides = np.diff(rectangle[:3], axis=0)
        axis = sides[np.argmax(np.hypot(*sides.T))]
        axis = axis / np.hypot(*axis)
        centre = shapely.get_coordinates(shapely.centroid(geometry))[0] * scale
        whole = area_m2([geometry])[0]

        def share_below(shift: float) -> float:
            return area_m2([shapely.intersection(geometry, _half_plane(centre, axis, shift, scale))])[0] / whole

        at = _halving_offset(geometry, centre, axis, scale, share_below)
    return _cut_line(geometry, centre + axis * at, axis, scale)


# ---------------------------------------------------------------------------- the session


class EditSession:
    """An analyst's edits on a grid frame: apply, undo, redo, and the net change to save."""

    def __init__(self, grids: GeoDataFrame):
        self.base = grids
        self.grids = grids
        self._done: list[Change] = []
        self._undone: list[Change] = []

    def apply(self, edit: Edit) -> Change:
        """Take an edit made on the current grids; refused if it breaks a rule."""
        if edit.change.problems:
            raise EditRefused(edit.change.problems)
        self.grids = edit.grids
        self._done.append(edit.change)
        self._undone.clear()
        return edit.change

    def undo(self) -> Change | None:
        if not self._done:
            return None
        change = self._done.pop()
        self.grids = apply_change(self.grids, change.inverse())
        self._undone.append(change)
        return change

    def redo(self) -> Change | None:
        if not self._undone:
            return None
        change = self._undone.pop()
        self.grids = apply_change(self.grids, change)
        self._done.append(change)
        return change

    @property
    def can_undo(self) -> bool:
        return bool(self._done)

    def touched(self) -> set[str]:
        """Codes that edits since the base changed and that exist now (cheaper than `pending`)."""
        codes = set().union(*(c.codes for c in self._done)) if self._done else set()
        return set(self.grids.loc[self.grids["code"].isin(codes), "code"]) if codes else set()

    def pending(self) -> Change:
        """Everything done since the session began, as one change from the base grids."""
        codes = set().union(*(c.codes for c in self._done)) if self._done else set()
        workers: dict[str, tuple[str | None, str]] = {}
        for change in self._done:
            for rid, (source, target) in change.workers.items():
                workers[rid] = (workers.get(rid, (source, target))[0], target)
        workers = {rid: move for rid, move in workers.items() if move[0] != move[1]}
        before = self.base[self.base["code"].isin(codes)]
        after = self.grids[self.grids["code"].isin(codes)]
        same = _unchanged_codes(before, after) - {code for move in workers.values() for code in move}
        before, after = before[~before["code"].isin(same)], after[~after["code"].isin(same)]
        present = set(self.grids["code"])
        reassigned: dict[str, str] = {}
        for change in self._done:
            for old, new in change.reassigned.items():
                reassigned = {k: (new if v == old else v) for k, v in reassigned.items()}
                reassigned[old] = new
        reassigned = {old: new for old, new in reassigned.items() if old not in present and new in present}
        operations = ", ".join(dict.fromkeys(c.operation for c in self._done))
        summary = "; ".join(c.summary for c in self._done)
        return Change(operations or "none", summary, before, after, reassigned, workers=workers)


# ---------------------------------------------------------------------------- helpers


def area_m2(geoms) -> np.ndarray:
    """Area in m² of lon/lat geometries (0 for missing ones), on an equal-area projection centred on them.

    A projection rather than geodesic areas: a vertex inserted on a straight lon/lat edge
    must not change the area.
    """
    geoms = np.asarray(geoms, dtype=object)
    present = ~shapely.is_missing(geoms) & ~shapely.is_empty(geoms)
    areas = np.zeros(len(geoms))
    if present.any():
        minx, miny, maxx, maxy = shapely.total_bounds(geoms[present])
        project = _equal_area((minx + maxx) / 2, (miny + maxy) / 2)
        areas[present] = shapely.area(shapely.transform(geoms[present], project))
    return areas


def _equal_area(lon: float, lat: float):
    """Lon/lat → metres on a Lambert equal-area projection near (lon, lat), cached per 0.1°."""
    return _equal_area_at(round(lon, 1), round(lat, 1))


@lru_cache(maxsize=64)
def _equal_area_at(lon: float, lat: float):
    forward = Transformer.from_crs(
        "EPSG:4326", f"+proj=laea +lat_0={lat} +lon_0={lon} +datum=WGS84 +units=m +no_defs", always_xy=True
    )
    return lambda xy: np.column_stack(forward.transform(xy[:, 0], xy[:, 1]))


def _row(grids: GeoDataFrame, code: str) -> pd.Series:
    rows = np.flatnonzero(grids["code"].to_numpy() == code)
    if not len(rows):
        raise EditError("no_grid", code=code)
    return grids.iloc[rows[0]]


def _leaf_row(grids: GeoDataFrame, code: str, operation: str) -> pd.Series:
    row = _row(grids, code)
    if (grids["parent_code"] == code).any():
        raise EditError("has_children", operation=operation, code=code)
    return row


def _absorb(grids: GeoDataFrame, code: str, absorbed: str, operation: str, summary: str) -> Edit:
    if code == absorbed:
        raise EditError("with_itself", operation=operation, code=code)
    survivor, gone = _leaf_row(grids, code, operation), _leaf_row(grids, absorbed, operation)
    if survivor.parent_code != gone.parent_code or survivor.level != gone.level:
        raise EditError("not_siblings", absorbed=absorbed, code=code, absorbed_parent=gone.parent_code,
                        parent=survivor.parent_code)
    if not _share_edge(survivor.geometry, gone.geometry):
        raise EditError("no_shared_edge", absorbed=absorbed, code=code)
    update = {"geometry": shapely.union(survivor.geometry, gone.geometry)}
    households = [survivor.get("households"), gone.get("households")]
    if not all(pd.isna(h) for h in households):
        update["households"] = int(sum(h for h in households if not pd.isna(h)))
    return _edit(grids, operation, summary, updates={code: update}, deleted=[absorbed], reassigned={absorbed: code})


def _share_edge(a, b) -> bool:
    shared = shapely.intersection(shapely.boundary(a), shapely.buffer(b, SHARED_EDGE_DEG))
    return shapely.length(shared) > 10 * SHARED_EDGE_DEG


def _recode(grids: GeoDataFrame, code: str, new_code: str, new_parent: str | None) -> dict[str, dict]:
    """Attribute updates giving `code` its new code and parent, and its descendants the new prefix."""
    updates = {code: {"code": new_code, "parent_code": new_parent}}
    parents = {code}
    while parents:
        children = grids[grids["parent_code"].isin(parents)]
        for child, parent in zip(children["code"], children["parent_code"]):
            new_parent_code = updates[parent]["code"]
            child_code = new_parent_code + child[len(parent):] if child.startswith(parent) else child
            updates[child] = {"code": child_code, "parent_code": new_parent_code}
        parents = set(children["code"])
    return updates


def _share(households, weights: np.ndarray) -> list:
    """Households split in proportion to `weights`, summing to the whole."""
    if households is None or pd.isna(households):
        return [households] * len(weights)
    first = round(households * weights[0] / weights.sum())
    return [first, int(households) - first]


def _polygonal(geometry):
    """The polygonal parts as one MultiPolygon; None if there are none."""
    if geometry is None or shapely.is_empty(geometry):
        return None
    return as_multipolygons([geometry])[0]


def _snap_to_edges(polygon, edges, tolerance: float):
    """Vertices near the edges' vertices go onto them; the other near ones onto the nearest edge."""
    snapped = shapely.snap(polygon, edges, tolerance)

    def onto_edges(xy: np.ndarray) -> np.ndarray:
        points = shapely.points(xy)
        near = shapely.distance(points, edges) < tolerance
        if near.any():
            on_edge = shapely.line_interpolate_point(edges, shapely.line_locate_point(edges, points[near]))
            xy = xy.copy()
            xy[near] = shapely.get_coordinates(on_edge)
        return xy

    return shapely.make_valid(shapely.transform(snapped, onto_edges))


def _unchanged_codes(before: GeoDataFrame, after: GeoDataFrame) -> set[str]:
    columns = [c for c in ("name", "level", "parent_code", "households", "chief_id") if c in before.columns]
    old = before.set_index("code")
    new = after.set_index("code")
    same = set()
    for code in old.index.intersection(new.index):
        a, b = old.loc[code], new.loc[code]
        # Normalised: a file writer may start or orient rings differently; ~10 µm: text round trips.
        if shapely.equals_exact(shapely.normalize(a.geometry), shapely.normalize(b.geometry), 1e-10) and all(
            (pd.isna(a[c]) and pd.isna(b[c])) or (not pd.isna(a[c]) and not pd.isna(b[c]) and a[c] == b[c])
            for c in columns if c in new.columns
        ):
            same.add(code)
    return same


def _edit(
    grids: GeoDataFrame,
    operation: str,
    summary: str,
    updates: dict[str, dict] | None = None,
    created: Iterable[dict] = (),
    deleted: Iterable[str] = (),
    reassigned: dict[str, str] | None = None,
    share_vertices: bool = True,
    workers: dict[str, tuple[str | None, str]] | None = None,
) -> Edit:
    """Build the change from per-code updates, new rows and deleted codes; apply and check it."""
    updates = dict(updates or {})
    deleted = list(deleted)
    if share_vertices:
        _share_new_vertices(grids, updates, created, deleted)
    before = grids[grids["code"].isin([*updates, *deleted])]
    after = before[~before["code"].isin(deleted)].copy()
    for code, values in updates.items():
        row = after["code"] == code
        for column, value in values.items():
            if column == "geometry":
                value = _polygonal(value)
            elif column == "households" and "households" not in after.columns:
                continue
            after.loc[row, column] = value
    if created:
        new_rows = GeoDataFrame(list(created), geometry="geometry", crs=grids.crs)
        new_rows["geometry"] = as_multipolygons(new_rows.geometry.array)
        new_rows = new_rows[[c for c in new_rows.columns if c in grids.columns]]
        after = GeoDataFrame(pd.concat([after, new_rows], ignore_index=True), crs=grids.crs)
    after = after.astype({c: grids[c].dtype for c in ("level", "households") if c in grids.columns and c in after})
    change = Change(operation, summary, before, after, dict(reassigned or {}), workers=dict(workers or {}))
    new_grids = apply_change(grids, change)
    problems = _affected_problems(new_grids, change)
    return Edit(new_grids, replace(change, problems=tuple(problems)))


def _share_new_vertices(grids: GeoDataFrame, updates: dict[str, dict], created: Iterable[dict],
                        deleted: list[str]) -> None:
    """Insert the edit's new boundary vertices into every grid whose edges pass through them
    without a vertex there: the other grids, and the edit's own new shapes (a carved sibling's
    edge along a drawn grid), so that shared edges have the same vertices on both sides."""
    codes = grids["code"].to_numpy()
    geoms = np.asarray(grids.geometry.array, dtype=object)
    position = {code: i for i, code in enumerate(codes)}
    new_shapes = [v["geometry"] for v in updates.values() if "geometry" in v] + [r["geometry"] for r in created]
    if not new_shapes:
        return
    old_vertices = {tuple(xy) for code in [*updates, *deleted] if code in position
                    for xy in shapely.get_coordinates(geoms[position[code]])}
    fresh = np.array(list(dict.fromkeys(
        xy for xy in map(tuple, shapely.get_coordinates(new_shapes)) if xy not in old_vertices)))
    if not len(fresh):
        return
    for values in [*(v for v in updates.values() if "geometry" in v), *created]:
        values["geometry"] = insert_vertices(values["geometry"], fresh)
    points = shapely.points(fresh)
    point_rows, grid_rows = shapely.STRtree(geoms).query(points, predicate="dwithin", distance=ON_EDGE_DEG)
    skip = set(updates) | set(deleted)
    for row in np.unique(grid_rows):
        code = codes[row]
        if code in skip:
            continue
        near = fresh[point_rows[grid_rows == row]]
        geometry = geoms[row]
        if shapely.distance(shapely.boundary(geometry), shapely.multipoints(near)) < ON_EDGE_DEG:
            updates[code] = {"geometry": insert_vertices(geometry, near)}


def insert_vertices(geometry, points: np.ndarray, tolerance: float = ON_EDGE_DEG):
    """`geometry` with each of `points` that lies on one of its edges (within `tolerance`, not on a
    vertex) inserted into that edge, several on one edge in their order along it.

    Not shapely.snap: GEOS may insert several points of one segment out of order, which folds
    the edge back on itself (a sliver outside the parent).
    """
    points = np.asarray(points, dtype=float).reshape(-1, 2)

    def with_points(ring: np.ndarray) -> np.ndarray:
        out = [ring[:1]]
        for a, b in itertools.pairwise(ring):
            ab = b - a
            length2 = ab @ ab
            if length2 > 0:
                t = (points - a) @ ab / length2
                offset = np.hypot(*(points - (a + np.outer(t, ab))).T)
                on = (t > 0) & (t < 1) & (offset < tolerance)
                on &= ~(points == a).all(axis=1) & ~(points == b).all(axis=1)
                if on.any():
                    out.append(points[on][np.argsort(t[on])])
            out.append(b[None])
        return np.concatenate(out)

    polygons = []
    for polygon in shapely.get_parts(geometry):
        rings = [shapely.get_exterior_ring(polygon)] + [
            shapely.get_interior_ring(polygon, i) for i in range(shapely.get_num_interior_rings(polygon))]
        shell, *holes = (with_points(shapely.get_coordinates(ring)) for ring in rings)
        polygons.append(shapely.Polygon(shell, holes))
    result = shapely.multipolygons(polygons)
    # A ring that ran along one line twice (a shape pinched to zero width) now crosses itself:
    # it is two pieces touching, which is what make_valid returns.
    return result if shapely.is_valid(result) else _polygonal(shapely.make_valid(result))


def _affected_problems(grids: GeoDataFrame, change: Change) -> list[Problem]:
    """validate() on the changed grids with their parents, siblings and children."""
    changed = change.codes
    parents = set(change.before["parent_code"].dropna()) | set(change.after["parent_code"].dropna())
    family = grids["code"].isin(changed | parents) | grids["parent_code"].isin(changed | parents)
    if change.after["parent_code"].isna().any() or change.before["parent_code"].isna().any():
        family |= grids["parent_code"].isna()
    subset = grids[family]
    context = set(subset["code"]) - changed

    def parent_elsewhere(problem: Problem) -> bool:
        """A context grid's parent is outside the subset, not missing."""
        if problem.kind != "missing_parent" or problem.code not in context:
            return False
        parent = subset.loc[subset["code"] == problem.code, "parent_code"].iloc[0]
        return bool((grids["code"] == parent).any())

    return [p for p in validate(subset) if not parent_elsewhere(p)]


def _halving_offset(geometry, centre, axis, scale, share_below) -> float:
    """The offset along `axis` from `centre` where `share_below` reaches one half (bisection)."""
    corners = shapely.get_coordinates(shapely.envelope(geometry)) * scale
    reach = np.abs((corners - centre) @ axis).max()
    low, high = -reach, reach
    at = 0.0
    for _ in range(40):
        at = (low + high) / 2
        if share_below(at) < 0.5:
            low = at
        else:
            high = at
    return at


def _half_plane(centre, axis, shift, scale) -> shapely.Polygon:
    """The side of the perpendicular line at `shift` that lies towards -axis, in lon/lat."""
    normal = np.array([-axis[1], axis[0]])
    big = 10.0  # degrees: far beyond any grid
    origin = centre + axis * shift
    corners = [origin + normal * big, origin + normal * big - axis * big,
               origin - normal * big - axis * big, origin - normal * big]
    return shapely.Polygon(np.array(corners) / scale)


def _cut_line(geometry, point, axis, scale) -> shapely.LineString:
    """The line through `point` perpendicular to `axis`, reaching just beyond the grid."""
    normal = np.array([-axis[1], axis[0]])
    corners = shapely.get_coordinates(shapely.envelope(geometry)) * scale
    reach = np.hypot(*(corners - point).T).max() * 1.01
    return shapely.LineString(np.array([point - normal * reach, point + normal * reach]) / scale)
