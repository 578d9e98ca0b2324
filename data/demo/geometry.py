"""Geometry tools of the demo generator: the metric frame, random shapes and point sets.

The city is drawn in metres on an equidistant cylindrical projection centred on it. That
projection is affine in lon/lat, so converting to WGS-84 at the end keeps straight edges
straight: polygons that share an edge, or a vertex lying on a neighbour's edge, still do
after conversion (a transverse Mercator or azimuthal frame would bend them apart by
centimetres per kilometre, leaving slivers between grids).
"""

from __future__ import annotations

import numpy as np
import shapely
from pyproj import Transformer
from scipy.spatial import Delaunay

from gis.topology import as_multipolygons

# The fictional city sits in northern Hubei.
CENTRE_LON, CENTRE_LAT = 112.1, 32.0
METRIC_CRS = (
    f"+proj=eqc +lat_ts={CENTRE_LAT} +lat_0={CENTRE_LAT} +lon_0={CENTRE_LON} "
    "+datum=WGS84 +units=m +no_defs"
)
_TO_LONLAT = Transformer.from_crs(METRIC_CRS, "EPSG:4326", always_xy=True)


def to_lonlat(geoms) -> np.ndarray:
    """Metric geometries to WGS-84 lon/lat (identical inputs give bit-identical outputs)."""

    def convert(xy: np.ndarray) -> np.ndarray:
        return np.column_stack(_TO_LONLAT.transform(xy[:, 0], xy[:, 1]))

    return shapely.transform(np.asarray(geoms, dtype=object), convert)


def rotation(angle: float) -> np.ndarray:
    c, s = np.cos(angle), np.sin(angle)
    return np.array([[c, -s], [s, c]])


def blob(centre, radius: float, rng: np.random.Generator, aspect: float = 1.0,
         roughness: float = 0.2, vertices: int = 180) -> shapely.Polygon:
    """A smooth irregular closed shape: a circle whose radius wobbles with a few harmonics."""
    theta = np.linspace(0.0, 2 * np.pi, vertices, endpoint=False)
    harmonics = np.arange(2, 7)
    amplitude = roughness * rng.uniform(0.3, 1.0, len(harmonics)) / harmonics**0.8
    phase = rng.uniform(0, 2 * np.pi, len(harmonics))
    r = radius * (1 + (amplitude[:, None] * np.cos(harmonics[:, None] * theta + phase[:, None])).sum(0))
    local = np.column_stack([r * np.cos(theta) * np.sqrt(aspect), r * np.sin(theta) / np.sqrt(aspect)])
    xy = local @ rotation(rng.uniform(0, np.pi)).T + np.asarray(centre, dtype=float)
    return shapely.Polygon(xy)


def jittered_points(region, spacing: float, rng: np.random.Generator, keep: float = 1.0) -> np.ndarray:
    """Evenly spread random points in `region`: one per grid cell, jittered, some cells left out."""
    minx, miny, maxx, maxy = region.bounds
    gx, gy = np.meshgrid(np.arange(minx, maxx, spacing), np.arange(miny, maxy, spacing), indexing="ij")
    cells = np.column_stack([gx.ravel(), gy.ravel()])
    xy = cells + rng.uniform(0.15, 0.85, cells.shape) * spacing
    chosen = rng.random(len(xy)) < keep
    inside = shapely.contains_xy(region, xy[:, 0], xy[:, 1])
    return xy[chosen & inside]


def spread_points(region, count: int, rng: np.random.Generator) -> np.ndarray:
    """`count` random points in `region`, kept apart (dart throwing with a shrinking gap)."""
    if count <= 0:
        return np.empty((0, 2))
    gap = np.sqrt(region.area / count) * 0.75
    candidates = uniform_points(region, count * 40, rng)
    chosen: list[np.ndarray] = []
    while len(chosen) < count:
        for point in candidates:
            if not chosen or np.min(np.hypot(*(np.asarray(chosen) - point).T)) >= gap:
                chosen.append(point)
                if len(chosen) == count:
                    break
        gap *= 0.85
    return np.asarray(chosen)


def uniform_points(region, count: int, rng: np.random.Generator) -> np.ndarray:
    """`count` uniformly random points inside `region`."""
    minx, miny, maxx, maxy = region.bounds
    fill = max(region.area / max((maxx - minx) * (maxy - miny), 1e-9), 0.01)
    found = np.empty((0, 2))
    while len(found) < count:
        batch = int((count - len(found)) / fill * 1.3) + 8
        xy = rng.uniform((minx, miny), (maxx, maxy), (batch, 2))
        found = np.vstack([found, xy[shapely.contains_xy(region, xy[:, 0], xy[:, 1])]])
    return found[:count]


def voronoi_cells(points: np.ndarray, region) -> np.ndarray:
    """Cells of the points' Voronoi diagram clipped to `region`, in point order.

    Neighbouring cells come from one diagram, so their shared edges are the same
    coordinates and the cells tile the region without gaps or overlaps.
    """
    if len(points) == 1:
        return as_multipolygons(np.array([region], dtype=object))
    diagram = shapely.voronoi_polygons(shapely.multipoints(points), extend_to=region, ordered=True)
    cells = shapely.get_parts(diagram)
    if len(cells) != len(points):
        raise ValueError("Voronoi seeds must be distinct")
    return as_multipolygons(shapely.intersection(cells, region))


def gabriel_edges(points: np.ndarray) -> np.ndarray:
    """Edges (i, j), i < j, of the Gabriel graph: a planar, road-like subset of the Delaunay edges.

    A Delaunay edge is a Gabriel edge unless the vertex opposite it in one of its two
    triangles sees it at a right or obtuse angle (lies in the circle on the edge).
    """
    triangles = Delaunay(points).simplices
    a, b, c = triangles.T
    u = np.concatenate([b, c, a])
    v = np.concatenate([c, a, b])
    w = np.concatenate([a, b, c])
    obtuse = np.einsum("ij,ij->i", points[u] - points[w], points[v] - points[w]) <= 0
    pairs = np.sort(np.column_stack([u, v]), axis=1)
    edges, inverse = np.unique(pairs, axis=0, return_inverse=True)
    blocked = np.zeros(len(edges), dtype=bool)
    np.logical_or.at(blocked, inverse.ravel(), obtuse)
    return edges[~blocked]

