"""What the grid editor's window shows and does, without Qt: the analyst's edit session on
the store's grids, the grids of the current view as the page draws them, workload feedback,
saving, history and layout import.

Every operation goes to `gis.editing` (the geometry) and `data.gridversions` (saving);
this module only picks the grids, turns gestures into calls and results into plain data
the window and the page show. It is kept free of Qt so that it is tested and timed directly.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

import numpy as np
import pandas as pd
import shapely
from geopandas import GeoDataFrame

from data import gridversions
from data.store import Store, StoreError
from gis import editing
from gis.editing import Change, EditError, EditRefused, EditSession
from gis.gridfile import GridFileError, read_grid_file, write_grid_file

# At most this many grids of the deepest level shown go to the page; zoomed out, shallower
# levels stand in for them (a city has 10,000+ grids; a view rarely needs more than a few hundred).
MAX_VIEW_GRIDS = 1500
# A split line's ends reach this far past where the analyst let go, so a line drawn onto the
# edge (snapped there by the page) still cuts through it.
SPLIT_OVERSHOOT_M = 3.0
_METRES_PER_DEGREE = 111_320.0
DEFAULT_THRESHOLDS = editing.Thresholds()
# Why the editor does not do what was asked, besides gis.editing.EDIT_ERRORS: kind and English words.
REFUSALS = {
    "short_line": "draw a line of at least two points across the grid",
    "few_corners": "draw at least three corners",
    "no_parent_there": "draw the new grid inside a grid that has grids of its own",
    "nothing_to_save": "nothing to save",
    "unsaved_before_rollback": "save or undo your edits before rolling back",
    "unsaved_before_import": "save or undo your edits before importing a layout",
    "no_import_previewed": "no layout previewed",
}


@dataclass(frozen=True)
class Outcome:
    """The result of one gesture: what changed, the workload before/after, and what went wrong."""

    ok: bool
    message: str
    change: Change | None = None
    feedback: editing.Feedback | None = None
    problems: tuple[editing.Issue, ...] = ()  # broken rules (refused) or workload warnings (done)
    changed: list[str] = field(default_factory=list)  # codes whose drawing changed
    removed: list[str] = field(default_factory=list)  # codes no longer drawn
    conflict: bool = False  # another analyst saved these grids first; nothing was saved
    changeset: int | None = None  # the change-set a save or a rollback made
    reason: str | None = None  # why it failed, for the window to word: a kind of EDIT_ERRORS or REFUSALS
    details: dict = field(default_factory=dict)  # the grids and numbers the reason names


def _refused(reason: str) -> Outcome:
    return Outcome(False, REFUSALS[reason], reason=reason)


def _failed(err: EditError) -> Outcome:
    return Outcome(False, str(err), reason=err.kind, details=err.params)


class EditorModel:
    """The grids of one store under edit by one analyst."""

    def __init__(self, store: Store, analyst: str, thresholds: editing.Thresholds = DEFAULT_THRESHOLDS):
        self.store = store
        self.analyst = analyst
        self.thresholds = thresholds
        self.session = EditSession(store.read_layer("grids").drop(columns="fid", errors="ignore"))
        self.workers = self._read_workers()
        self.open_tickets = shapely.get_coordinates(gridversions.ticket_points(self.store).array)
        self.import_edit: editing.Edit | None = None
        self._index_of: int | None = None  # id() of the frame the spatial index was built for
        self._positions_of: int | None = None
        self.workers_version = 0  # bumped whenever a worker moves, so the form knows to refresh
        self._tree: shapely.STRtree | None = None
        self._level = 1  # deepest level of the last view

    # -- reading ------------------------------------------------------------------------

    @property
    def grids(self) -> GeoDataFrame:
        return self.session.grids

    def row(self, code: str) -> pd.Series | None:
        position = self._positions().get(code)
        return None if position is None else self.grids.iloc[position]

    def _positions(self) -> dict[str, int]:
        """Row position of each code in the current grids (the frame changes with every edit)."""
        if self._positions_of != id(self.grids):
            self._position = {code: i for i, code in enumerate(self.grids["code"].to_numpy(dtype=object))}
            self._positions_of = id(self.grids)
        return self._position

    def _read_workers(self) -> pd.DataFrame:
        workers = self.store.read_layer("responders", where="kind = 'grid_worker'")
        return pd.DataFrame(workers[["responder_id", "name", "role", "grid_code"]]).reset_index(drop=True)

    def _tree_now(self) -> shapely.STRtree:
        if self._index_of != id(self.grids):
            self._tree = shapely.STRtree(np.asarray(self.grids.geometry.array, dtype=object))
            self._index_of = id(self.grids)
        return self._tree

    def view(self, bbox: tuple[float, float, float, float], extra: Sequence[str] = ()) -> tuple[int, GeoDataFrame]:
        """The grids to draw for a view: every level down to the deepest one that fits
        MAX_VIEW_GRIDS, plus `extra` codes (selected, just edited) wherever they are."""
        rows = self._tree_now().query(shapely.box(*bbox))
        grids = self.grids.iloc[np.sort(rows)]
        levels = sorted(grids["level"].dropna().unique())
        counts = grids["level"].value_counts()
        deepest = levels[0] if levels else 1
        for level in levels:
            if counts[level] <= MAX_VIEW_GRIDS:
                deepest = level
        self._level = int(deepest)
        shown = grids[grids["level"] <= deepest]
        more = self.grids[self.grids["code"].isin(extra) & ~self.grids["code"].isin(shown["code"])]
        return self._level, GeoDataFrame(pd.concat([shown, more]), crs=self.grids.crs)

    @property
    def edit_level(self) -> int:
        """The level the analyst works on: the deepest one drawn."""
        return self._level

    def grid_at(self, lon: float, lat: float, level: int | None = None) -> str | None:
        """The grid of `level` (default: the edit level) under a point."""
        level = self.edit_level if level is None else level
        rows = self._tree_now().query(shapely.Point(lon, lat), predicate="intersects")
        hits = self.grids.iloc[rows]
        hits = hits[hits["level"] == level]
        return hits["code"].iloc[0] if len(hits) else None

    def features(self, frame: GeoDataFrame, pending: set[str] | None = None) -> str:
        """A JSON array of GeoJSON features of grids as the page draws them, in full precision
        (their vertices are drag handles). Built as text: at city scale the view has thousands."""
        pending = self.pending_codes() if pending is None else pending
        geoms = np.asarray(frame.geometry.array, dtype=object)
        labels = shapely.get_coordinates(shapely.point_on_surface(geoms)).round(7).tolist()
        bounds = shapely.bounds(geoms)
        sizes = np.round(np.maximum(bounds[:, 2] - bounds[:, 0], bounds[:, 3] - bounds[:, 1]), 6).tolist()
        properties = [
            json.dumps({"code": code, "name": name, "level": int(level), "pending": code in pending,
                        "label": label, "size": size}, ensure_ascii=False)
            for code, name, level, label, size in zip(frame["code"], frame["name"], frame["level"], labels, sizes)
        ]
        return "[" + ",".join(f'{{"type":"Feature","geometry":{geometry},"properties":{props}}}'
                              for geometry, props in zip(shapely.to_geojson(geoms), properties)) + "]"

    def vertices(self, code: str) -> list[list[list[float]]]:
        """The rings of a grid as [lon, lat] lists, exactly as stored (the page's drag handles)."""
        row = self.row(code)
        if row is None:
            return []
        rings = []
        for polygon in shapely.get_parts(row.geometry):
            holes = [shapely.get_interior_ring(polygon, i) for i in range(shapely.get_num_interior_rings(polygon))]
            for ring in [shapely.get_exterior_ring(polygon), *holes]:
                rings.append(shapely.get_coordinates(ring).tolist())
        return rings

    def pending_codes(self) -> set[str]:
        """Codes of the grids edited and not saved yet (the page marks them)."""
        return self.session.touched()

    def members(self, code: str) -> pd.DataFrame:
        return self.workers[self.workers["grid_code"] == code]

    def nearby_workers(self, code: str) -> pd.DataFrame:
        """Workers of the grid and of its siblings: who the attributes form can move in or out."""
        row = self.row(code)
        siblings = self.grids.loc[self.grids["parent_code"] == row.parent_code, "code"] if row is not None else []
        nearby = self.workers[self.workers["grid_code"].isin([code, *siblings])]
        return nearby.assign(_elsewhere=nearby["grid_code"] != code).sort_values(
            ["_elsewhere", "grid_code", "name"]).drop(columns="_elsewhere")

    def neighbours(self, code: str) -> list[str]:
        """Siblings sharing an edge: who can take a deleted grid's area or its unchecked workers."""
        row = self.row(code)
        if row is None:
            return []
        siblings = self.grids[(self.grids["parent_code"] == row.parent_code) & (self.grids["code"] != code)]
        return [c for c, g in zip(siblings["code"], siblings.geometry) if editing._share_edge(row.geometry, g)]

    # -- editing ------------------------------------------------------------------------

    def apply(self, make_edit) -> Outcome:
        """Make an edit on the current grids and take it if it keeps every rule."""
        try:
            edit = make_edit(self.grids)
        except EditError as err:
            return _failed(err)
        result = self._feedback(edit.change)
        try:
            self.session.apply(edit)
        except EditRefused as err:
            return Outcome(False, str(err), edit.change, result, tuple(map(editing.Issue.of, err.problems)),
                           reason=err.kind, details=err.params)
        return self._outcome(edit.change, result, edit.change.summary)

    def _outcome(self, change: Change, result: editing.Feedback | None, message: str) -> Outcome:
        before, after = set(change.before["code"]), set(change.after["code"])
        if change.workers:
            self._move_workers(change.workers)
        return Outcome(True, message, change, result, tuple(result.issues) if result else (),
                       sorted(after), sorted(before - after))

    def _move_workers(self, moves: dict[str, tuple[str | None, str]]) -> None:
        self.workers_version += 1
        for rid, (_, target) in moves.items():
            self.workers.loc[self.workers["responder_id"] == rid, "grid_code"] = target

    def _feedback(self, change: Change) -> editing.Feedback:
        """Workload of the change's grids, counting the open tickets around it."""
        frames = [f for f in (change.before, change.after) if len(f)]
        points = np.empty(0, dtype=object)
        if frames and len(self.open_tickets):
            minx, miny, maxx, maxy = np.array([f.total_bounds for f in frames]).T
            xy = self.open_tickets
            near = (xy[:, 0] >= minx.min()) & (xy[:, 0] <= maxx.max()) & (xy[:, 1] >= miny.min()) & (xy[:, 1] <= maxy.max())
            points = shapely.points(xy[near])
        return editing.feedback(change, points, self.thresholds)

    def split(self, code: str, line: Sequence[Sequence[float]]) -> Outcome:
        if len(line) < 2:
            return _refused("short_line")
        return self.apply(lambda grids: editing.split(grids, code, _overshoot(line)))

    def merge(self, code: str, other: str) -> Outcome:
        return self.apply(lambda grids: editing.merge(grids, code, other))

    def delete(self, code: str, receiver: str) -> Outcome:
        return self.apply(lambda grids: editing.delete(grids, code, receiver))

    def move_vertex(self, old: Sequence[float], new: Sequence[float]) -> Outcome:
        return self.apply(lambda grids: editing.move_vertex(grids, tuple(old), tuple(new)))

    def move_edge(self, start: Sequence[float], end: Sequence[float], offset: Sequence[float]) -> Outcome:
        return self.apply(lambda grids: editing.move_edge(grids, tuple(start), tuple(end), tuple(offset)))

    def reparent(self, code: str, parent: str) -> Outcome:
        return self.apply(lambda grids: editing.reparent(grids, code, parent))

    def draw(self, ring: Sequence[Sequence[float]], name: str | None = None) -> Outcome:
        """A grid drawn inside the deepest grid with children under the drawing."""
        polygon = shapely.Polygon(ring) if len(ring) >= 3 else None
        if polygon is None or polygon.area == 0:
            return _refused("few_corners")
        parent = self.parent_for(polygon)
        if parent is None:
            return _refused("no_parent_there")
        return self.apply(lambda grids: editing.draw(grids, parent, polygon, name=name))

    def parent_for(self, polygon) -> str | None:
        point = shapely.point_on_surface(polygon)
        hits = self.grids.iloc[self._tree_now().query(point, predicate="intersects")]
        parents = hits[hits["code"].isin(self.grids["parent_code"])]
        return parents.sort_values("level")["code"].iloc[-1] if len(parents) else None

    def preview_split(self, code: str, line: Sequence[Sequence[float]]) -> Outcome:
        """What splitting along `line` would do to the workload, without doing it."""
        if len(line) < 2:
            return _refused("short_line")
        try:
            change = editing.split(self.grids, code, _overshoot(line)).change
        except EditError as err:
            return _failed(err)
        result = self._feedback(change)
        return Outcome(not change.problems, change.summary, change, result, tuple(result.issues))

    def set_attributes(self, code: str, **values) -> Outcome:
        return self.apply(lambda grids: editing.set_attributes(grids, code, **values))

    def undo(self) -> Outcome:
        change = self.session.undo()
        if change is None:
            return Outcome(False, "nothing to undo")
        inverse = change.inverse()
        return self._outcome(inverse, self._feedback(inverse), inverse.summary)

    def redo(self) -> Outcome:
        change = self.session.redo()
        if change is None:
            return Outcome(False, "nothing to redo")
        return self._outcome(change, self._feedback(change), f"redo: {change.summary}")

    # -- balance ------------------------------------------------------------------------

    def overloaded(self, days: int, max_tickets_per_household: float, max_area_km2: float,
                   grids: GeoDataFrame | None = None) -> pd.DataFrame:
        """Leaf grids (of `grids`, default the current ones) over a workload limit, by the tickets
        reported in the `days` days up to the newest ticket (a copied or demo store's tickets
        may end before today). Seconds at city scale: the window runs it on a worker thread."""
        grids = self.grids if grids is None else grids
        (newest,) = self.store.query("SELECT max(reported_at) FROM incidents")[0]
        end = pd.Timestamp(newest) if newest else pd.Timestamp(datetime.now(UTC))
        end = end.tz_localize(UTC) if end.tzinfo is None else end
        since = (end - timedelta(days=days)).isoformat(timespec="seconds").replace("+00:00", "Z")
        points = gridversions.ticket_points(self.store, reported_since=since, open_only=False)
        leaves = grids[~grids["code"].isin(grids["parent_code"])]
        table = editing.overloaded(leaves, points.array, max_tickets_per_household, max_area_km2 * 1e6)
        self._period_points = points
        return table

    def proposal(self, code: str) -> list[list[float]]:
        """The balance assistant's split line for a grid, as [lon, lat] points."""
        row = self.row(code)
        points = getattr(self, "_period_points", None)
        inside = []
        if points is not None and len(points):
            inside = points.array[shapely.contains_xy(row.geometry, points.x.to_numpy(), points.y.to_numpy())]
        return shapely.get_coordinates(editing.propose_split(row.geometry, inside)).tolist()

    # -- saving and history -------------------------------------------------------------

    def has_unsaved(self) -> bool:
        return self.session.can_undo

    def save(self, why: str) -> Outcome:
        """Save the session's net change as one change-set; on a conflict nothing is saved."""
        change = self.session.pending()
        if change.before.empty and change.after.empty and not change.workers:
            return _refused("nothing_to_save")
        try:
            changeset = gridversions.save(self.store, change, by=self.analyst, why=why)
        except gridversions.GridConflict as err:
            return Outcome(False, str(err), conflict=True)
        except StoreError as err:
            return Outcome(False, str(err))
        self.reload()
        return Outcome(True, f"saved as change-set {changeset}", change, changeset=changeset)

    def reload(self) -> None:
        """Start again from the store (after a save, a rollback, or to take others' changes)."""
        self.session = EditSession(self.store.read_layer("grids").drop(columns="fid", errors="ignore"))
        self.workers = self._read_workers()
        self.workers_version += 1
        self.import_edit = None

    def changesets(self) -> pd.DataFrame:
        """One row per saved change-set, newest first, with the number of grids it touched."""
        history = gridversions.history(self.store)
        if history.empty:
            return pd.DataFrame(columns=["changeset_id", "at", "by", "why", "operation", "rolls_back", "grids"])
        table = history.groupby("changeset_id").agg(
            at=("at", "first"), by=("by", "first"), why=("why", "first"), operation=("operation", "first"),
            rolls_back=("rolls_back", "first"), grids=("code", "count"))
        return table.reset_index().sort_values("changeset_id", ascending=False, ignore_index=True)

    def diff(self, changeset_id: int) -> dict:
        """Old and new boundaries of a change-set as two GeoJSON feature lists."""
        frame = gridversions.diff(self.store, changeset_id)
        return {"old": _lines(frame["code"], frame["change"], frame["old_geometry"].array),
                "new": _lines(frame["code"], frame["change"], frame.geometry.array)}

    def rollback(self, changeset_id: int, why: str) -> Outcome:
        if self.has_unsaved():
            return _refused("unsaved_before_rollback")
        try:
            changeset = gridversions.rollback(self.store, changeset_id, by=self.analyst, why=why)
        except StoreError as err:
            return Outcome(False, str(err))
        self.reload()
        return Outcome(True, f"rolled back change-set {changeset_id} as change-set {changeset}", changeset=changeset)

    # -- import and export --------------------------------------------------------------

    def preview_import(self, path: str) -> Outcome:
        """Read and check a layout file against the current grids; nothing changes yet."""
        if self.has_unsaved():
            return _refused("unsaved_before_import")
        try:
            layout = read_grid_file(path)
        except GridFileError as err:
            return Outcome(False, str(err))
        self.import_edit = editing.replace_layout(self.grids, layout)
        change = self.import_edit.change
        problems = tuple(map(editing.Issue.of, change.problems))
        return Outcome(not problems, change.summary, change, self._feedback(change), problems)

    def import_diff(self) -> dict:
        """The previewed import as GeoJSON lines: the current boundaries and the file's."""
        if self.import_edit is None:
            return {"old": [], "new": []}
        change = self.import_edit.change
        kinds = editing.change_kinds(change)
        return {"old": _lines(change.before["code"], change.before["code"].map(kinds), change.before.geometry.array),
                "new": _lines(change.after["code"], change.after["code"].map(kinds), change.after.geometry.array)}

    def apply_import(self) -> Outcome:
        """Take the previewed layout into the session; saving it makes one change-set."""
        if self.import_edit is None:
            return _refused("no_import_previewed")
        edit, self.import_edit = self.import_edit, None
        return self.apply(lambda grids: edit)

    def export(self, path: str) -> Outcome:
        try:
            write_grid_file(self.grids.drop(columns=["version"], errors="ignore"), path)
        except GridFileError as err:
            return Outcome(False, str(err))
        return Outcome(True, f"wrote {len(self.grids)} grids to {path}")


def _overshoot(line: Sequence[Sequence[float]]) -> shapely.LineString:
    """The drawn line (two points or more) with both ends pushed SPLIT_OVERSHOOT_M further along their segments."""
    xy = np.asarray(line, dtype=float)
    reach = SPLIT_OVERSHOOT_M / _METRES_PER_DEGREE
    for end, inner in ((0, 1), (-1, -2)):
        direction = xy[end] - xy[inner]
        length = np.hypot(*direction)
        if length > 0:
            xy[end] = xy[end] + direction / length * reach
    return shapely.LineString(xy)


def _lines(codes, kinds, geometries) -> list[dict]:
    """Boundaries as GeoJSON features with their code and kind of change."""
    return [
        {"type": "Feature", "geometry": json.loads(shapely.to_geojson(geometry)),
         "properties": {"code": code, "change": kind}}
        for code, kind, geometry in zip(codes, kinds, geometries) if geometry is not None
    ]
