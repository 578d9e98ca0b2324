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
