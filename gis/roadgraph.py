"""The road network as a directed graph of travel times, with snapping onto segments.

Every road segment of the store's `roads` layer becomes one or two directed edges
between its end points (one-way segments only in their digitised direction), weighted
by travel time at the segment's speed. Lengths are measured in a local transverse
Mercator projection centred on the network, where a city's scale error stays below
1e-4. Points (incidents, responders) are snapped onto the nearest segment, not the
nearest node, and keep the fraction along it; searches start from such a point through
a virtual source node joined to the segment's end nodes at their partial costs.

Building from the store takes seconds on a city, so the built arrays are cached as a
`.npz` file keyed by the store's path and the roads layer's last change.
"""

from __future__ import annotations

import hashlib
import os
import re
from dataclasses import dataclass
from pathlib import Path

import geopandas as gpd
import numpy as np
import shapely
from pyproj import Transformer
from scipy.sparse import csr_matrix
from scipy.sparse.csgraph import connected_components, dijkstra
from scipy.spatial import cKDTree

# End points closer than this (degrees, ~1 cm) are the same junction.
NODE_KEY_DEG = 1e-7
CACHE_FORMAT = 1
# Segments are cut into straight pieces no longer than this for snapping.
PIECE_M = 60.0
_FIRST_K = 6


class RoadNetworkError(ValueError):
    """The road network cannot answer the question; the message says why."""


@dataclass(frozen=True)
class Snap:
    """Points placed on the network: per point the segment (-1 if none within reach), the
    fraction along it in its digitised direction, the distance off the road in metres,
    and the snapped position in projected metres."""

    segment: np.ndarray
    fraction: np.ndarray
    offroad_m: np.ndarray
    x: np.ndarray
    y: np.ndarray

    @property
    def found(self) -> np.ndarray:
        return self.segment >= 0


@dataclass(frozen=True)
class SearchResult:
    """Travel times from (or, on the reversed graph, to) a set of seeds; `predecessor`
    leads back towards the seeds, ending at `virtual` (the joint source)."""

    seconds: np.ndarray
    predecessor: np.ndarray
    virtual: int


class _DirectedEdges:
    """One direction of the graph in CSR form, with the segment behind every edge."""

    def __init__(self, src: np.ndarray, dst: np.ndarray, seconds: np.ndarray, segment: np.ndarray, nodes: int):
        keep = src != dst
        src, dst, seconds, segment = src[keep], dst[keep], seconds[keep], segment[keep]
        # Of parallel segments between two junctions only the fastest is an edge.
        order = np.lexsort((seconds, dst, src))
        src, dst, seconds, segment = src[order], dst[order], seconds[order], segment[order]
        first = np.r_[True, (src[1:] != src[:-1]) | (dst[1:] != dst[:-1])]
        self.src, self.indices = src[first], dst[first].astype(np.int32)
        self.seconds, self.segment = seconds[first], segment[first]
        self.nodes = nodes
        self.keys = self.src.astype(np.int64) * nodes + self.indices
        self.indptr = np.r_[0, np.cumsum(np.bincount(self.src, minlength=nodes))].astype(np.int32)
        self.matrix = csr_matrix((self.seconds, self.indices, self.indptr), shape=(nodes, nodes))

    def segments_between(self, a: np.ndarray, b: np.ndarray) -> np.ndarray:
        """The segment of each edge a -> b (edges sorted by (a, b) make this one search)."""
        return self.segment[np.searchsorted(self.keys, np.asarray(a, np.int64) * self.nodes + b)]

    def search(self, nodes: np.ndarray, costs: np.ndarray, limit: float) -> SearchResult:
        """Dijkstra from several nodes at once, each starting at its own cost, up to `limit`.

        The seeds hang off one extra virtual node, so one search answers all of them."""
        nodes = np.asarray(nodes, dtype=np.int32)
        costs = np.asarray(costs, dtype=float)
        order = np.lexsort((costs, nodes))
        nodes, costs = nodes[order], costs[order]
        first = np.r_[True, nodes[1:] != nodes[:-1]] if len(nodes) else np.zeros(0, bool)
        nodes, costs = nodes[first], costs[first]
        virtual = self.nodes
        matrix = csr_matrix(
            (
                np.concatenate([self.seconds, costs]),
                np.concatenate([self.indices, nodes]),
                np.r_[self.indptr, self.indptr[-1] + len(nodes)].astype(np.int32),
            ),
            shape=(virtual + 1, virtual + 1),
        )
        seconds, predecessor = dijkstra(matrix, indices=virtual, limit=limit, return_predecessors=True)
        return SearchResult(seconds, predecessor, virtual)


class RoadGraph:
    """The directed road graph, its segment geometry and a segment index for snapping."""

    def __init__(self, arrays: dict[str, np.ndarray]):
        self.arrays = arrays
        self.origin = (float(arrays["origin"][0]), float(arrays["origin"][1]))
        self._to_xy = Transformer.from_crs("EPSG:4326", _local_crs(*self.origin), always_xy=True)
        self._to_lonlat = Transformer.from_crs(_local_crs(*self.origin), "EPSG:4326", always_xy=True)
        self.node_x, self.node_y = arrays["node_x"], arrays["node_y"]
        self.seg_from, self.seg_to = arrays["seg_from"], arrays["seg_to"]
        self.seg_length_m = arrays["seg_length_m"]
        self.seg_speed_kph = arrays["seg_speed_kph"]
        self.seg_oneway = arrays["seg_oneway"].astype(bool)
        self.seg_fid = arrays["seg_fid"]
        self.seg_seconds = np.maximum(self.seg_length_m / (self.seg_speed_kph / 3.6), 1e-6)
        self.lines = shapely.from_ragged_array(
            shapely.GeometryType.LINESTRING, arrays["line_coords"], (arrays["line_offsets"],)
        )
        nodes = len(self.node_x)
        both = ~self.seg_oneway
        src = np.r_[self.seg_from, self.seg_to[both]]
        dst = np.r_[self.seg_to, self.seg_from[both]]
        seconds = np.r_[self.seg_seconds, self.seg_seconds[both]]
        segment = np.r_[np.arange(len(self.seg_from)), np.flatnonzero(both)]
        self.forward = _DirectedEdges(src, dst, seconds, segment, nodes)
        self.reverse = _DirectedEdges(dst, src, seconds, segment, nodes)
        # Only the largest strongly connected component counts: from a road piece outside
        # it, some part of the city cannot be reached (or cannot reach back).
        _, label = connected_components(self.forward.matrix, directed=True, connection="strong")
        main = np.argmax(np.bincount(label)) if nodes else 0
        self.node_in_main = label == main
        self.seg_in_main = self.node_in_main[self.seg_from] & self.node_in_main[self.seg_to]
        self._cut_into_pieces()

    @property
    def node_count(self) -> int:
        return len(self.node_x)

    @property
    def segment_count(self) -> int:
        return len(self.seg_from)

    @property
    def edge_count(self) -> int:
        return len(self.forward.indices)

    # -- building --------------------------------------------------------------------

    @classmethod
    def from_frame(cls, roads: gpd.GeoDataFrame) -> "RoadGraph":
        """Build from road segments (LINESTRING, EPSG:4326) with speed_kph and oneway."""
        if roads.crs is not None and roads.crs.to_epsg() != 4326:
            roads = roads.to_crs(4326)
        geoms = np.asarray(roads.geometry.values, dtype=object)
        speed = roads["speed_kph"].to_numpy(dtype=float)
        # Closed roads (no speed) and empty geometries are not part of the network.
        usable = ~(shapely.is_missing(geoms) | shapely.is_empty(geoms)) & (speed > 0)
        usable &= shapely.get_type_id(geoms) == shapely.GeometryType.LINESTRING
        usable &= shapely.length(geoms) > 0
        if not usable.any():
            raise RoadNetworkError("the roads layer has no usable road segments (non-empty LINESTRING with speed_kph > 0)")
        roads, geoms = roads[usable], geoms[usable]
        coords, line_of = shapely.get_coordinates(geoms, return_index=True)
        minx, miny, maxx, maxy = shapely.total_bounds(geoms)
        origin = np.array([(minx + maxx) / 2, (miny + maxy) / 2])
        to_xy = Transformer.from_crs("EPSG:4326", _local_crs(*origin), always_xy=True)
        x, y = to_xy.transform(coords[:, 0], coords[:, 1])
        offsets = np.r_[0, np.cumsum(np.bincount(line_of, minlength=len(geoms)))]
        lines = shapely.from_ragged_array(shapely.GeometryType.LINESTRING, np.c_[x, y], (offsets,))
        length = shapely.length(lines)

        ends = np.r_[offsets[:-1], offsets[1:] - 1]
        keys = np.round(coords[ends] / NODE_KEY_DEG).astype(np.int64)
        unique, first, node_of_end = np.unique(keys, axis=0, return_index=True, return_inverse=True)
        node_of_end = node_of_end.ravel()
        count = len(geoms)
        node_points = ends[first]
        arrays = {
            "origin": origin,
            "node_x": x[node_points], "node_y": y[node_points],
            "seg_from": node_of_end[:count].astype(np.int32), "seg_to": node_of_end[count:].astype(np.int32),
            "seg_length_m": length,
            "seg_speed_kph": speed[usable],
            "seg_oneway": roads["oneway"].fillna(0).to_numpy(dtype=np.int8) == 1,
            "seg_fid": (roads["fid"] if "fid" in roads else roads.index).to_numpy(dtype=np.int64),
            "line_coords": np.c_[x, y],
            "line_offsets": offsets.astype(np.int64),
        }
        return cls(arrays)

    @classmethod
    def from_store(cls, store, cache_dir: str | Path | None = None) -> "RoadGraph":
        """The graph of a store's roads layer, from the cache when the layer is unchanged."""
        where = store_key(store.location)
        stamp = f"{CACHE_FORMAT}|{where}|{store.layer_stamp('roads') or ''}"
        cache = cache_path(store.location, cache_dir)
        if cache.is_file():
            try:
                with np.load(cache, allow_pickle=False) as saved:
                    if str(saved["stamp"]) == stamp:
                        return cls({k: saved[k] for k in saved.files if k != "stamp"})
            except (OSError, ValueError, KeyError):
                pass  # an unreadable cache is rebuilt below
        roads = store.read_layer("roads")
        if roads.empty:
            raise RoadNetworkError(f"{store.location} has no roads; import some with `gridsight roads import`")
        graph = cls.from_frame(roads)
        graph.save(cache, stamp)
        return graph

    def save(self, path: Path, stamp: str) -> None:
        """Write the arrays atomically (a half-written cache must never be read)."""
        path.parent.mkdir(parents=True, exist_ok=True)
        partial = path.with_name(path.name + f".{os.getpid()}.tmp.npz")
        np.savez(partial, stamp=np.array(stamp), **self.arrays)
        os.replace(partial, path)

    # -- coordinates and snapping -----------------------------------------------------

    def to_xy(self, lon, lat) -> tuple[np.ndarray, np.ndarray]:
        return self._to_xy.transform(np.asarray(lon, dtype=float), np.asarray(lat, dtype=float))

    def to_lonlat(self, x, y) -> tuple[np.ndarray, np.ndarray]:
        return self._to_lonlat.transform(np.asarray(x, dtype=float), np.asarray(y, dtype=float))

    def geometry_to_lonlat(self, geometry):
        """Projected geometries back to lon/lat."""
        return shapely.transform(geometry, lambda xy: np.c_[self.to_lonlat(xy[:, 0], xy[:, 1])])

    def geometry_to_xy(self, geometry):
        return shapely.transform(geometry, lambda xy: np.c_[self.to_xy(xy[:, 0], xy[:, 1])])

    def snap(self, lon, lat, max_snap_m: float, connected: bool = False) -> Snap:
        """Nearest segment of every point within `max_snap_m`; NaN positions find none. With
        `connected`, only segments of the main network count: a point beside a road piece cut
        off from it (at the edge of an extract, behind a one-way stub) goes to the nearest
        road that leads everywhere, and its walk there is part of its time.

        Exact: a piece whose midpoint is r away lies at least r - PIECE_M / 2 away, so once
        the k-th nearest midpoint is that much farther than the best piece found, no piece
        left unseen can be nearer; the points not yet settled ask again with a larger k."""
        x, y = self.to_xy(np.atleast_1d(lon), np.atleast_1d(lat))
        x, y = np.atleast_1d(x).astype(float), np.atleast_1d(y).astype(float)
        n = len(x)
        segment = np.full(n, -1, dtype=np.int64)
        fraction, offroad = np.zeros(n), np.full(n, np.inf)
        sx, sy = np.full(n, np.nan), np.full(n, np.nan)
        pieces, tree = (self._main_pieces, self._main_tree) if connected else (self._pieces, self._piece_tree)
        total = len(pieces["seg"])
        pending = np.flatnonzero(np.isfinite(x) & np.isfinite(y)) if total else np.empty(0, dtype=np.int64)
        k, half = _FIRST_K, PIECE_M / 2
        while len(pending):
            k = min(k, total)
            reach, piece = tree.query(np.c_[x[pending], y[pending]], k=k)
            reach, piece = reach.reshape(len(pending), k), piece.reshape(len(pending), k)
            px, py = x[pending, None], y[pending, None]
            ax, ay, dx, dy = pieces["ax"][piece], pieces["ay"][piece], pieces["dx"][piece], pieces["dy"][piece]
            t = np.clip(((px - ax) * dx + (py - ay) * dy) / (dx * dx + dy * dy), 0.0, 1.0)
            dist = np.hypot(ax + t * dx - px, ay + t * dy - py)
            best = np.argmin(dist, axis=1)
            rows = np.arange(len(pending))
            nearest, chosen, along = dist[rows, best], piece[rows, best], t[rows, best]
            settled = (reach[:, -1] - half >= nearest) | (k == total)
            hit = settled & (nearest <= max_snap_m)
            done = pending[hit]
            chosen, along = chosen[hit], along[hit]
            seg = pieces["seg"][chosen]
            segment[done], offroad[done] = seg, nearest[hit]
            sx[done] = pieces["ax"][chosen] + along * pieces["dx"][chosen]
            sy[done] = pieces["ay"][chosen] + along * pieces["dy"][chosen]
            fraction[done] = np.clip(
                (pieces["start_m"][chosen] + along * pieces["length_m"][chosen]) / self.seg_length_m[seg], 0, 1
            )
            beyond = reach[:, 0] - half > max_snap_m  # nothing can be within reach
            pending = pending[~(settled | beyond)]
            k *= 4
        return Snap(segment, fraction, offroad, sx, sy)

    def nearest_road_m(self, lon: float, lat: float, connected: bool = False) -> float:
        """How far a point is from the nearest road (of the main network, with `connected`),
        however far: for saying why a point cannot be placed. Infinite when there is none."""
        return float(self.snap([lon], [lat], np.inf, connected).offroad_m[0])

    def _cut_into_pieces(self) -> None:
        """Straight pieces of at most PIECE_M of every segment, for the snapping index."""
        coords, offsets = self.arrays["line_coords"], self.arrays["line_offsets"]
        line_of = np.repeat(np.arange(len(offsets) - 1), np.diff(offsets))
        same = line_of[1:] == line_of[:-1]
        a, b, seg = coords[:-1][same], coords[1:][same], line_of[:-1][same]
        length = np.hypot(*(b - a).T)
        start = np.cumsum(length) - length
        first_of_line = np.r_[True, seg[1:] != seg[:-1]]
        start -= np.maximum.accumulate(np.where(first_of_line, start, 0.0))
        keep = length > 0
        a, b, seg, length, start = a[keep], b[keep], seg[keep], length[keep], start[keep]
        parts = np.maximum(np.ceil(length / PIECE_M), 1).astype(np.int64)
        owner = np.repeat(np.arange(len(a)), parts)
        step = np.arange(parts.sum()) - np.repeat(np.cumsum(parts) - parts, parts)
        t0, t1 = step / parts[owner], (step + 1) / parts[owner]
        d = b[owner] - a[owner]
        self._pieces = {
            "ax": a[owner, 0] + t0 * d[:, 0], "ay": a[owner, 1] + t0 * d[:, 1],
            "dx": (t1 - t0) * d[:, 0], "dy": (t1 - t0) * d[:, 1],
            "seg": seg[owner], "start_m": start[owner] + t0 * length[owner], "length_m": length[owner] / parts[owner],
        }
        mid = np.c_[self._pieces["ax"] + self._pieces["dx"] / 2, self._pieces["ay"] + self._pieces["dy"] / 2]
        self._piece_tree = cKDTree(mid)
        # A second index over the main network's pieces only, for snapping where a point must be routed.
        main = self.seg_in_main[self._pieces["seg"]]
        self._main_pieces = {name: values[main] for name, values in self._pieces.items()}
        self._main_tree = cKDTree(mid[main])

    # -- searches -----------------------------------------------------------------------

    def seeds(self, segment, fraction, offset, towards: bool) -> tuple[np.ndarray, np.ndarray]:
        """End nodes reachable from points on segments (or, with `towards`, from which the
        points are reached), with the cost of the part of the segment in between."""
        segment, fraction, offset = (np.atleast_1d(np.asarray(v)) for v in (segment, fraction, offset))
        seconds = self.seg_seconds[segment]
        both = ~self.seg_oneway[segment]
        # Along the digitised direction the point lies `fraction` after seg_from.
        ahead_node, ahead_cost = (self.seg_from, fraction) if towards else (self.seg_to, 1 - fraction)
        back_node, back_cost = (self.seg_to, 1 - fraction) if towards else (self.seg_from, fraction)
        nodes = np.r_[ahead_node[segment], back_node[segment][both]]
        costs = np.r_[offset + ahead_cost * seconds, (offset + back_cost * seconds)[both]]
        return nodes, costs

    def search_from(self, segment, fraction, offset, limit: float = np.inf) -> SearchResult:
        """Travel times from points on segments (each already `offset` seconds in) to every node."""
        return self.forward.search(*self.seeds(segment, fraction, offset, towards=False), limit)

    def search_to(self, segment, fraction, offset, limit: float = np.inf) -> SearchResult:
        """Travel times from every node to the nearest of points on segments."""
        return self.reverse.search(*self.seeds(segment, fraction, offset, towards=True), limit)


def _local_crs(lon0: float, lat0: float) -> str:
    return f"+proj=tmerc +lat_0={lat0:.9f} +lon_0={lon0:.9f} +k=1 +x_0=0 +y_0=0 +ellps=WGS84 +units=m +no_defs"


def default_cache_dir() -> Path:
    base = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(base) / "gridsight" / "roadgraph"


def store_key(location) -> str:
    """What tells one store from another: a GeoPackage's resolved path, or a server store's URL
    as `Store.location` shows it (no password), so that two databases never share a cache."""
    location = str(location)
    return location if "://" in location else str(Path(location).resolve())


def cache_path(location, cache_dir: str | Path | None = None) -> Path:
    """Where the graph of one store (a GeoPackage path or a store URL) is cached: one file per store."""
    key = store_key(location)
    digest = hashlib.sha1(key.encode()).hexdigest()[:16]
    name = key.rstrip("/").rsplit("/", 1)[-1].split("?", 1)[0] if "://" in key else Path(key).stem
    return Path(cache_dir or default_cache_dir()) / f"{re.sub(r'[^A-Za-z0-9_.-]', '_', name)}-{digest}.npz"
