"""Who can be at an incident first: responders ranked by road travel time.

One Dijkstra runs from the incident over the reversed graph (travel times *to* the
incident from every junction), bounded by an ETA cutoff that grows only when fewer
than k responders fall inside it; every responder's ETA then follows with array
arithmetic from the segment it is snapped to. Positions arrive every second, so a
position update only re-snaps the responders that moved.

An ETA is: walk from the responder to the road at the access speed, drive along its
segment to one of the segment's ends (one-way rules apply), the shortest path to the
incident's segment, the part of that segment up to the incident, and the walk from
the road to the incident. Points are snapped to the nearest road piece connected both
ways with the main network (a piece cut off at the edge of an extract or behind a one-way
stub leads nowhere), within a walk of `max_snap_m`.

A store without roads still ranks its responders: `StraightLineRouter` measures the
straight line at a stated speed per kind (gis.policy.STRAIGHT_LINE_KPH), and every
answer says which way it was measured (`Recommendation.by`). `router_for_store` picks one.
"""

from __future__ import annotations

from dataclasses import dataclass

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from pyproj import Geod
from shapely.ops import substring

from gis.policy import STRAIGHT_LINE_KPH, DispatchPolicy
from gis.roadgraph import RoadGraph, RoadNetworkError, SearchResult

WALK_SPEED_KPH = 5.0
MAX_SNAP_M = 300.0
# The first search stops at this ETA; it grows fourfold until k responders are inside.
FIRST_CUTOFF_S = 240.0
ON_DUTY = ("on_duty",)
BY_ROAD, BY_STRAIGHT_LINE = "road", "straight_line"
_GEOD = Geod(ellps="WGS84")


@dataclass(frozen=True)
class Place:
    """One point placed on the network."""

    lon: float
    lat: float
    x: float
    y: float
    segment: int
    fraction: float
    snapped_x: float
    snapped_y: float
    access_s: float


@dataclass(frozen=True)
class Recommendation:
    id: str
    name: str
    kind: str
    grid: str | None
    eta_s: float
    distance_m: float
    route: shapely.LineString | None = None  # lon/lat, responder to incident
    by: str = BY_ROAD  # how eta_s and distance_m were measured: BY_ROAD or BY_STRAIGHT_LINE

    def as_dict(self, with_route: bool = False) -> dict:
        result = {
            "id": self.id, "name": self.name, "kind": self.kind, "grid": self.grid,
            "eta_s": round(self.eta_s, 1), "distance_m": round(self.distance_m, 1), "by": self.by,
        }
        if with_route and self.route is not None:
            result["route"] = shapely.geometry.mapping(self.route)
        return result


class _Ranking:
    """What both routers share: the responders (who, of what kind and grid, in which state,
    where) and the choice of the k best once their ETAs are known."""

    by = BY_ROAD

    def __init__(self, responders: gpd.GeoDataFrame | None, policy: DispatchPolicy | None):
        self.policy = policy or DispatchPolicy.load()
        frame = responders if responders is not None else gpd.GeoDataFrame(
            {c: [] for c in ("responder_id", "name", "kind", "grid_code", "status")}, geometry=[], crs=4326
        )
        frame = frame.to_crs(4326) if frame.crs is not None else frame
        self.ids = frame["responder_id"].astype(str).to_numpy()
        self._row_of = pd.Index(self.ids)
        if not self._row_of.is_unique:
            raise ValueError("responder ids must be unique")
        self.names = frame["name"].astype(str).to_numpy()
        self.kinds = frame["kind"].astype(str).to_numpy()
        self.grids = frame["grid_code"].to_numpy(dtype=object)
        self.statuses = frame["status"].astype(str).to_numpy(dtype=object)
        n = len(frame)
        self._allocate(n)
        geoms = np.asarray(frame.geometry.values, dtype=object)
        placed = ~(shapely.is_missing(geoms) | shapely.is_empty(geoms))
        lon, lat = np.full(n, np.nan), np.full(n, np.nan)
        lon[placed], lat[placed] = shapely.get_x(geoms[placed]), shapely.get_y(geoms[placed])
        self._place_rows(np.arange(n), lon, lat)

    def _allocate(self, n: int) -> None:
        self.lon, self.lat = np.full(n, np.nan), np.full(n, np.nan)

    def _place_rows(self, rows: np.ndarray, lon: np.ndarray, lat: np.ndarray) -> None:
        self.lon[rows], self.lat[rows] = lon, lat

    # -- positions --------------------------------------------------------------------

    def update_positions(self, ids, lon, lat) -> None:
        """Move responders (NaN = position lost); nothing else is recomputed. A live feed may
        report responders this router was built without (added since): they are skipped."""
        rows = self._row_of.get_indexer(np.asarray(ids, dtype=str))
        known = rows >= 0
        self._place_rows(rows[known], np.asarray(lon, dtype=float)[known], np.asarray(lat, dtype=float)[known])

    def update_status(self, ids, statuses) -> None:
        self.statuses[self._rows(ids)] = np.asarray(statuses, dtype=object)

    def _rows(self, ids) -> np.ndarray:
        ids = np.asarray(ids, dtype=str)
        rows = self._row_of.get_indexer(ids)
        if (rows < 0).any():
            raise KeyError(f"unknown responder id {ids[rows < 0][0]!r}")
        return rows

    @property
    def without_position(self) -> np.ndarray:
        return ~(np.isfinite(self.lon) & np.isfinite(self.lat))

    # -- choosing ---------------------------------------------------------------------

    def _candidates(self, ranked: np.ndarray, kinds, statuses, category: str | None) -> np.ndarray:
        """Rows that may be suggested: `ranked` (placed where this router measures), of the kinds
        asked (by default the policy's for the category) and in one of `statuses`."""
        kinds = tuple(kinds) if kinds else self.policy.kinds_for(category)
        return np.flatnonzero(ranked & np.isin(self.kinds, kinds) & np.isin(self.statuses, tuple(statuses)))

    def _bonus(self, rows: np.ndarray, grid_code: str | None, margin_s: float | None) -> np.ndarray:
        """Seconds taken off the ranking key of the incident's own grid's responders."""
        margin = self.policy.own_grid_margin_s if margin_s is None else margin_s
        return np.where(self.grids[rows] == grid_code, margin, 0.0) if grid_code else np.zeros(len(rows))

    def _best(self, rows: np.ndarray, eta: np.ndarray, key: np.ndarray, k: int) -> np.ndarray:
        """Indices into `rows` of the k best: by key, then ETA, then id (a stable order)."""
        return np.lexsort((self.ids[rows], eta, key))[:k]

    def _grid(self, row: int) -> str | None:
        grid = self.grids[row]
        return None if grid is None or pd.isna(grid) else str(grid)


class Router(_Ranking):
    """The road graph plus the responders placed on it."""

    def __init__(
        self,
        graph: RoadGraph,
        responders: gpd.GeoDataFrame | None = None,
        policy: DispatchPolicy | None = None,
        walk_speed_kph: float = WALK_SPEED_KPH,
        max_snap_m: float = MAX_SNAP_M,
    ):
        self.graph = graph
        self.walk_mps = walk_speed_kph / 3.6
        self.max_snap_m = max_snap_m
        super().__init__(responders, policy)

    @classmethod
    def from_store(cls, store, cache_dir=None, **options) -> "Router":
        """The router of a store: its road graph (cached) and its responders."""
        return cls(RoadGraph.from_store(store, cache_dir), store.read_layer("responders"), **options)

    # -- positions --------------------------------------------------------------------

    def _allocate(self, n: int) -> None:
        super()._allocate(n)
        self.segment = np.full(n, -1, dtype=np.int64)
        self.fraction = np.zeros(n)
        self.access_s = np.full(n, np.inf)
        self.x, self.y = np.full(n, np.nan), np.full(n, np.nan)
        self.snapped_x, self.snapped_y = np.full(n, np.nan), np.full(n, np.nan)

    def _place_rows(self, rows: np.ndarray, lon: np.ndarray, lat: np.ndarray) -> None:
        super()._place_rows(rows, lon, lat)
        snap = self.graph.snap(lon, lat, self.max_snap_m, connected=True)
        self.x[rows], self.y[rows] = self.graph.to_xy(lon, lat)
        self.segment[rows] = snap.segment
        self.fraction[rows] = snap.fraction
        self.access_s[rows] = snap.offroad_m / self.walk_mps
        self.snapped_x[rows], self.snapped_y[rows] = snap.x, snap.y

    @property
    def off_network(self) -> np.ndarray:
        """Placed responders that cannot be ranked: no road of the main network within max_snap_m."""
        return np.isfinite(self.x) & (self.segment < 0)

    def place(self, lon: float, lat: float) -> Place:
        """Put one point on the main road network, or say clearly why it cannot be."""
        if not (np.isfinite(lon) and np.isfinite(lat)):
            raise RoadNetworkError("the point has no usable coordinates")
        snap = self.graph.snap([lon], [lat], self.max_snap_m, connected=True)
        if not snap.found[0]:
            raise RoadNetworkError(self._too_far(lon, lat))
        x, y = self.graph.to_xy(lon, lat)
        return Place(
            lon, lat, float(x), float(y), int(snap.segment[0]), float(snap.fraction[0]),
            float(snap.x[0]), float(snap.y[0]), float(snap.offroad_m[0]) / self.walk_mps,
        )

    def _too_far(self, lon: float, lat: float) -> str:
        """Why a point is not placed: how far the main network is, and a nearer cut-off road if any."""
        connected = self.graph.nearest_road_m(lon, lat, connected=True)
        nearest = self.graph.nearest_road_m(lon, lat)
        if not np.isfinite(connected):  # e.g. only one-way roads that never lead back
            return f"{lon:.6f} {lat:.6f} cannot be placed: no road of the network leads both to and from the others"
        message = (f"{lon:.6f} {lat:.6f} is outside the road network: the nearest connected road is "
                   f"{connected:.0f} m away (at most {self.max_snap_m:.0f} m is walked to a road)")
        if nearest < connected - 0.5:
            message += f"; the nearest road, {nearest:.0f} m away, is cut off from the main network"
        return message

    # -- ranking ----------------------------------------------------------------------

    def recommend(
        self,
        lon: float,
        lat: float,
        k: int = 5,
        kinds=None,
        statuses=ON_DUTY,
        grid_code: str | None = None,
        category: str | None = None,
        routes: bool = False,
        margin_s: float | None = None,
    ) -> list[Recommendation]:
        """The k responders who reach the point first, best first.

        `kinds` defaults to the policy's kinds for `category`; responders of `grid_code`
        (the incident's grid) go ahead of others that are less than `margin_s` faster."""
        incident = self.place(lon, lat)
        rows = self._candidates(self.segment >= 0, kinds, statuses, category)
        if k <= 0 or len(rows) == 0:
            return []
        bonus = self._bonus(rows, grid_code, margin_s)
        cutoff = FIRST_CUTOFF_S
        while True:
            search = self.graph.search_to(incident.segment, incident.fraction, 0.0, cutoff)
            eta, via = self._etas(search, incident, rows)
            found = np.flatnonzero(np.isfinite(eta))
            key = eta[found] - bonus[found]
            # Exact once the k-th key is inside the cutoff: anyone not found is slower.
            if not np.isfinite(cutoff) or (
                len(found) >= k and np.partition(key, k - 1)[k - 1] <= cutoff - bonus.max(initial=0.0)
            ):
                break
            cutoff = cutoff * 4 if cutoff < 4 * 3600 else np.inf
        best = found[self._best(rows[found], eta[found], key, k)]
        return [self._recommendation(search, incident, rows[i], eta[i], via[i], routes) for i in best]

    def _etas(self, search: SearchResult, incident: Place, rows: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """ETA of each responder row and how it leaves its segment: 0 straight along the
        same segment as the incident, 1 via the segment's end, 2 via its start."""
        g = self.graph
        to_incident = search.seconds
        seg, frac = self.segment[rows], self.fraction[rows]
        seconds = g.seg_seconds[seg]
        via_end = (1 - frac) * seconds + to_incident[g.seg_to[seg]]
        via_start = np.where(g.seg_oneway[seg], np.inf, frac * seconds + to_incident[g.seg_from[seg]])
        ahead = incident.fraction - frac  # > 0: the incident lies further along the segment
        allowed = (seg == incident.segment) & ((ahead >= 0) | ~g.seg_oneway[seg])
        direct = np.where(allowed, np.abs(ahead) * seconds, np.inf)
        options = np.stack([direct, via_end, via_start])
        via = np.argmin(options, axis=0)
        eta = options[via, np.arange(len(rows))] + self.access_s[rows] + incident.access_s
        return eta, via

    def _recommendation(self, search, incident: Place, row: int, eta: float, via: int, routes: bool):
        g = self.graph
        seg, frac = int(self.segment[row]), float(self.fraction[row])
        start = (self.x[row], self.y[row]), (self.snapped_x[row], self.snapped_y[row])
        finish = (incident.snapped_x, incident.snapped_y), (incident.x, incident.y)
        if via == 0:
            middle = [_part(g.lines[seg], frac, incident.fraction)]
        else:
            node = int(g.seg_to[seg] if via == 1 else g.seg_from[seg])
            nodes = [node]
            while (node := int(search.predecessor[node])) != search.virtual:
                nodes.append(node)
            last = nodes[-1]
            arrival = 0.0 if last == g.seg_from[incident.segment] else 1.0
            middle = [
                _part(g.lines[seg], frac, 1.0 if via == 1 else 0.0),
                *_path_coords(g, np.asarray(nodes)),
                _part(g.lines[incident.segment], arrival, incident.fraction),
            ]
        coords = np.concatenate([np.asarray(start), *middle, np.asarray(finish)])
        coords = coords[np.r_[True, np.any(coords[1:] != coords[:-1], axis=1)]]
        line = shapely.linestrings(coords) if len(coords) > 1 else shapely.linestrings(np.r_[coords, coords])
        route = g.geometry_to_lonlat(line) if routes else None
        return Recommendation(str(self.ids[row]), str(self.names[row]), str(self.kinds[row]), self._grid(row),
                              float(eta), float(shapely.length(line)), route)


class StraightLineRouter(_Ranking):
    """Ranks by straight-line (geodesic) distance at each kind's stated speed, for a store
    without roads: a rough order, so every answer says it was measured this way."""

    by = BY_STRAIGHT_LINE

    def __init__(self, responders: gpd.GeoDataFrame | None = None, policy: DispatchPolicy | None = None,
                 speeds_kph: dict[str, float] = STRAIGHT_LINE_KPH):
        self.speeds_kph = dict(speeds_kph)
        super().__init__(responders, policy)
        # Kinds without a speed are never ranked (NaN).
        self.speed_mps = pd.Series(self.kinds, dtype=object).map(self.speeds_kph).to_numpy(dtype=float) / 3.6

    @property
    def off_network(self) -> np.ndarray:
        """None: without roads every placed responder is measured."""
        return np.zeros(len(self.ids), dtype=bool)

    def recommend(self, lon: float, lat: float, k: int = 5, kinds=None, statuses=ON_DUTY,
                  grid_code: str | None = None, category: str | None = None, routes: bool = False,
                  margin_s: float | None = None) -> list[Recommendation]:
        """As Router.recommend; a route is the straight line."""
        if not (np.isfinite(lon) and np.isfinite(lat)):
            raise RoadNetworkError("the point has no usable coordinates")
        rows = self._candidates(~self.without_position & np.isfinite(self.speed_mps), kinds, statuses, category)
        if k <= 0 or len(rows) == 0:
            return []
        _, _, distance = _GEOD.inv(np.full(len(rows), lon), np.full(len(rows), lat), self.lon[rows], self.lat[rows])
        eta = distance / self.speed_mps[rows]
        best = self._best(rows, eta, eta - self._bonus(rows, grid_code, margin_s), k)
        return [Recommendation(
            str(self.ids[row]), str(self.names[row]), str(self.kinds[row]), self._grid(row), float(eta[i]),
            float(distance[i]), shapely.LineString([(self.lon[row], self.lat[row]), (lon, lat)]) if routes else None,
            BY_STRAIGHT_LINE,
        ) for i, row in zip(best, rows[best])]


def router_for_store(store, cache_dir=None, policy: DispatchPolicy | None = None) -> Router | StraightLineRouter:
    """The store's router: by road, or by straight line when the store has no roads at all (a
    roads layer that has rows but no usable road is an error: RoadNetworkError says why)."""
    if store.count("roads") == 0:
        return StraightLineRouter(store.read_layer("responders"), policy)
    return Router.from_store(store, cache_dir, policy=policy)


def _part(line, start: float, end: float) -> np.ndarray:
    """Coordinates of a line from one fraction to another (reversed when end < start)."""
    return shapely.get_coordinates(substring(line, start, end, normalized=True))


def _path_coords(graph: RoadGraph, nodes: np.ndarray) -> list[np.ndarray]:
    """Coordinates of the segments joining consecutive nodes, each in travel direction."""
    if len(nodes) < 2:
        return []
    segments = graph.forward.segments_between(nodes[:-1], nodes[1:])
    coords, piece = shapely.get_coordinates(graph.lines[segments], return_index=True)
    backwards = graph.seg_from[segments] != nodes[:-1]
    parts = np.split(coords, np.flatnonzero(np.diff(piece)) + 1)
    return [p[::-1] if b else p for p, b in zip(parts, backwards)]
