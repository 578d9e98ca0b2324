"""Road segments from an OpenStreetMap extract (.osm.pbf or .osm XML).

GDAL's OSM driver (through pyogrio) gives whole ways; a way runs through many
junctions, so ways are cut at every node they share with another way (or with
themselves) to make segments whose end points are the graph's junctions.
"""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pyogrio
import shapely
from pyogrio.errors import DataLayerError, DataSourceError

# OSM highway value -> (road class of the store, default speed in km/h in a Chinese city).
# Footways, cycleways, steps and paths are left out: responders are routed by vehicle.
HIGHWAYS = {
    "motorway": ("expressway", 80), "motorway_link": ("expressway", 40),
    "trunk": ("expressway", 60), "trunk_link": ("expressway", 40),
    "primary": ("arterial", 45), "primary_link": ("arterial", 30),
    "secondary": ("arterial", 40), "secondary_link": ("arterial", 30),
    "tertiary": ("collector", 30), "tertiary_link": ("collector", 25),
    "unclassified": ("local", 25), "residential": ("local", 20), "road": ("local", 20),
    "living_street": ("local", 10), "service": ("local", 15),
    "track": ("village", 15),
}
_YES = ("yes", "true", "1")
_KEY_DEG = 1e-7

# A grid counts as served by the roads when one passes within this distance of it; an extract
# is refused when it serves under COVERED_SHARE of the grids (of the deepest level).
SERVED_WITHIN_M = 500.0
COVERED_SHARE = 0.5
_METRES_PER_DEGREE = 111_195.0


class OsmImportError(ValueError):
    """The file cannot be turned into roads; the message says why."""


def read_osm_roads(path: str | Path) -> gpd.GeoDataFrame:
    """Drivable road segments in the store's `roads` columns, split at junctions."""
    path = Path(path)
    if not path.is_file():
        raise OsmImportError(f"{path} does not exist")
    if "OSM" not in pyogrio.list_drivers():
        raise OsmImportError("this GDAL build has no OSM driver")
    try:
        ways = pyogrio.read_dataframe(path, layer="lines", columns=["name", "highway", "other_tags"])
    except (DataSourceError, DataLayerError) as err:
        raise OsmImportError(f"cannot read {path} as OpenStreetMap data: {str(err).splitlines()[0]}") from None
    ways = ways[ways["highway"].isin(list(HIGHWAYS)) & ~ways.geometry.is_empty].reset_index(drop=True)
    if ways.empty:
        raise OsmImportError(f"{path} has no drivable roads (highway={'|'.join(HIGHWAYS)})")
    tags = ways["other_tags"].fillna("")
    oneway = _tag(tags, "oneway").str.lower()
    against = oneway == "-1"
    one_way = (
        oneway.isin(_YES) | against | (ways["highway"] == "motorway")
        | (_tag(tags, "junction") == "roundabout")
    )
    maxspeed = pd.to_numeric(_tag(tags, "maxspeed").str.extract(r"^\s*(\d+(?:\.\d+)?)\s*(?:km/h)?\s*$")[0],
                             errors="coerce")
    default_speed = ways["highway"].map(lambda h: HIGHWAYS[h][1])
    geoms = np.asarray(ways.geometry.values, dtype=object)
    geoms[against.to_numpy()] = shapely.reverse(geoms[against.to_numpy()])
    attributes = pd.DataFrame({
        "road_class": ways["highway"].map(lambda h: HIGHWAYS[h][0]),
        "name": ways["name"],
        "speed_kph": maxspeed.where(maxspeed > 0, default_speed).astype(float),
        "oneway": one_way.astype(int),
        "bridge": (~_tag(tags, "bridge").isin(["", "no"])).astype(int),
    })
    segments, way_of = split_at_junctions(geoms)
    return gpd.GeoDataFrame(attributes.iloc[way_of].reset_index(drop=True), geometry=segments, crs=4326)


def coverage_problem(roads, grids) -> str | None:
    """Why `roads` (line geometries, lon/lat) do not serve the territory of `grids` (polygons, or
    a grids frame, of which the deepest level counts), or None when they do or there are no grids:
    an extract of another place, or one covering under half of the grids."""
    if "level" in getattr(grids, "columns", ()) and grids["level"].notna().any():
        grids = grids[grids["level"] == grids["level"].max()]
    polygons = _present(getattr(grids, "geometry", grids))
    lines = _present(getattr(roads, "geometry", roads))
    if not len(polygons):
        return None
    if not len(lines):
        return "there are no roads"
    lat = shapely.total_bounds(polygons)[1::2].mean()
    within_deg = SERVED_WITHIN_M / (_METRES_PER_DEGREE * np.cos(np.radians(lat)))  # along a parallel: the longer
    served = np.unique(shapely.STRtree(lines).query(polygons, predicate="dwithin", distance=within_deg)[0])
    if len(served) >= COVERED_SHARE * len(polygons):
        return None
    road_box, grid_box = shapely.box(*shapely.total_bounds(lines)), shapely.box(*shapely.total_bounds(polygons))
    apart_km = shapely.distance(road_box, grid_box) * _METRES_PER_DEGREE / 1000
    if apart_km >= 10:
        return (f"the roads (around {_centre(road_box)}) lie {apart_km:,.0f} km from the grids "
                f"(around {_centre(grid_box)}): an extract of another place?")
    return (f"roads pass within {SERVED_WITHIN_M:.0f} m of only {len(served)} of {len(polygons)} grids "
            f"({len(served) / len(polygons):.0%}): the extract does not cover the territory")


def _present(geoms) -> np.ndarray:
    geoms = np.asarray(geoms, dtype=object)
    return geoms[~shapely.is_missing(geoms) & ~shapely.is_empty(geoms)]


def _centre(box) -> str:
    point = box.centroid
    return f"{point.x:.3f},{point.y:.3f}"


def split_at_junctions(lines: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Cut lines at every vertex they share (also with themselves); returns the pieces and
    the line each piece came from. Shared vertices are matched to ~1 cm."""
    coords, line_of = shapely.get_coordinates(lines, return_index=True)
    keys = np.round(coords / _KEY_DEG).astype(np.int64)
    _, vertex, uses = np.unique(keys, axis=0, return_inverse=True, return_counts=True)
    vertex = vertex.ravel()
    first = np.r_[True, line_of[1:] != line_of[:-1]]
    last = np.r_[line_of[1:] != line_of[:-1], True]
    cut = np.flatnonzero(first | last | (uses[vertex] > 1))
    same_line = line_of[cut[1:]] == line_of[cut[:-1]]
    start, stop = cut[:-1][same_line], cut[1:][same_line]
    sizes = stop - start + 1
    piece = np.repeat(np.arange(len(start)), sizes)
    position = start[piece] + np.arange(sizes.sum()) - np.repeat(np.cumsum(sizes) - sizes, sizes)
    pieces = shapely.linestrings(coords[position], indices=piece)
    keep = shapely.length(pieces) > 0
    return pieces[keep], line_of[start][keep]


def _tag(tags: pd.Series, key: str) -> pd.Series:
    """One key of GDAL's `other_tags` column ("k"=>"v","k2"=>"v2"), '' where absent."""
    return tags.str.extract(rf'"{key}"=>"((?:[^"\\]|\\.)*)"')[0].fillna("")
