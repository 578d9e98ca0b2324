"""Hand-made road networks drawn in metres, and an independent brute-force router.

The reference shares nothing with gis.roadgraph but pyproj: it snaps by projecting
each point on every straight piece of every road, builds an explicit graph in which the
incident's and the responders' snapped positions are nodes of their own, and runs a
textbook heap Dijkstra per responder.
"""

from __future__ import annotations

import heapq
from dataclasses import dataclass, field

import geopandas as gpd
import numpy as np
import shapely
from pyproj import Transformer

ORIGIN = (112.15, 32.05)
_TO_LONLAT = Transformer.from_crs(
    f"+proj=tmerc +lat_0={ORIGIN[1]} +lon_0={ORIGIN[0]} +k=1 +ellps=WGS84 +units=m", "EPSG:4326", always_xy=True
)
WALK_MPS = 5 / 3.6


def lonlat(x, y):
    lon, lat = _TO_LONLAT.transform(np.asarray(x, dtype=float), np.asarray(y, dtype=float))
    return lon, lat


@dataclass
class Road:
    coords: list[tuple[float, float]]  # metres
    speed_kph: float = 36.0
    oneway: bool = False


@dataclass
class Unit:
    id: str
    x: float
    y: float
    kind: str = "grid_worker"
    status: str = "on_duty"
    grid: str | None = None


@dataclass
class Network:
    roads: list[Road] = field(default_factory=list)

    def add(self, *coords, speed_kph=36.0, oneway=False) -> "Network":
        self.roads.append(Road(list(coords), speed_kph, oneway))
        return self

    def frame(self) -> gpd.GeoDataFrame:
        lines = []
        for road in self.roads:
            xy = np.asarray(road.coords, dtype=float)
            lines.append(shapely.LineString(np.c_[lonlat(xy[:, 0], xy[:, 1])]))
        roads = gpd.GeoDataFrame(geometry=lines, crs=4326)
        roads["road_class"] = "local"
        roads["speed_kph"] = [r.speed_kph for r in self.roads]
        roads["oneway"] = [int(r.oneway) for r in self.roads]
        roads["bridge"] = 0
        return roads


def units_frame(units: list[Unit]) -> gpd.GeoDataFrame:
    lon, lat = lonlat([u.x for u in units], [u.y for u in units])
    return gpd.GeoDataFrame({
        "responder_id": [u.id for u in units],
        "name": [f"Unit {u.id}" for u in units],
        "kind": [u.kind for u in units],
        "role": "team",
        "grid_code": [u.grid for u in units],
        "status": [u.status for u in units],
    }, geometry=shapely.points(lon, lat), crs=4326)


def _snap(network: Network, x: float, y: float):
    """(road, metres along the road, distance off the road) of the nearest road piece."""
    best = None
    for r, road in enumerate(network.roads):
        along = 0.0
        for (ax, ay), (bx, by) in zip(road.coords[:-1], road.coords[1:]):
            dx, dy = bx - ax, by - ay
            piece = float(np.hypot(dx, dy))
            t = min(max(((x - ax) * dx + (y - ay) * dy) / piece**2, 0.0), 1.0)
            off = float(np.hypot(ax + t * dx - x, ay + t * dy - y))
            if best is None or off < best[2] - 1e-9:
                best = (r, along + t * piece, off)
            along += piece
    return best


def reference_etas(network: Network, incident: tuple[float, float], units: list[Unit]) -> dict[str, float]:
    """Travel time of every unit to the incident (inf when there is no way), by brute force."""
    points = {"incident": incident, **{u.id: (u.x, u.y) for u in units}}
    stops: dict[int, list[tuple[float, str]]] = {}
    edges: dict[object, list[tuple[object, float]]] = {}

    def link(a, b, seconds):
        edges.setdefault(a, []).append((b, seconds))

    for name, (x, y) in points.items():
        road, along, off = _snap(network, x, y)
        stops.setdefault(road, []).append((along, name))
        link(name, ("on", name), off / WALK_MPS)
        link(("on", name), name, off / WALK_MPS)
    for r, road in enumerate(network.roads):
        xy = np.asarray(road.coords)
        total = float(np.hypot(*np.diff(xy, axis=0).T).sum())
        ends = [tuple(np.round(xy[0], 6)), tuple(np.round(xy[-1], 6))]
        chain = [(0.0, ("node", ends[0]))]
        chain += [(along, ("on", name)) for along, name in sorted(stops.get(r, []))]
        chain += [(total, ("node", ends[1]))]
        mps = road.speed_kph / 3.6
        for (a_along, a), (b_along, b) in zip(chain[:-1], chain[1:]):
            link(a, b, (b_along - a_along) / mps)
            if not road.oneway:
                link(b, a, (b_along - a_along) / mps)
    return {u.id: _dijkstra(edges, u.id, "incident") for u in units}


def _dijkstra(edges, source, target) -> float:
    best = {source: 0.0}
    queue = [(0.0, 0, source)]
    counter = 1
    while queue:
        cost, _, node = heapq.heappop(queue)
        if node == target:
            return cost
        if cost > best.get(node, np.inf):
            continue
        for nxt, seconds in edges.get(node, []):
            if cost + seconds < best.get(nxt, np.inf):
                best[nxt] = cost + seconds
                heapq.heappush(queue, (cost + seconds, counter, nxt))
                counter += 1
    return float("inf")


def reference_ranking(etas: dict[str, float], units: list[Unit], k: int, grid=None, margin=0.0) -> list[str]:
    bonus = {u.id: margin if grid is not None and u.grid == grid else 0.0 for u in units}
    finite = [i for i, e in etas.items() if np.isfinite(e)]
    return sorted(finite, key=lambda i: (etas[i] - bonus[i], etas[i], i))[:k]
