"""`gridsight tiles render-demo`: draw the store's water, roads and grids into an MBTiles file.

Offline there is no web map to put under the console; this makes a tile base map from the
store itself, so the tile layer (console/tiles.py) can be shown and checked without any real map
data. With `--crs gcj02` the tiles are drawn the way Chinese web maps are (shifted by GCJ-02),
which is what the console's GCJ-02 correction switch undoes. Drawn with OpenCV: no display needed.
"""

from __future__ import annotations

import argparse
import math
import os
import re
import sqlite3
import tempfile
from collections.abc import Iterator
from pathlib import Path

import cv2
import geopandas as gpd
import numpy as np
import shapely

from console.commands import CliError, open_store
from gis.crs import wgs84_to_gcj02

TILE_PX = 256
MAX_ZOOM = 20
MAX_TILES = 20_000  # a city at zoom 12-16 needs about a thousand
MARGIN_DEG = 0.01  # about a kilometre of land around the grids
# cv2 draws at 1/16 pixel precision given coordinates scaled by 2**SUBPIXEL_BITS.
SUBPIXEL_BITS = 4
# A muted dark base map (BGR): the console's own layers stay legible on top of it.
LAND = (49, 43, 38)
WATER = (88, 60, 23)
WATER_EDGE = (120, 86, 40)
ROAD_COLOURS = {"expressway": (58, 106, 138), "arterial": (70, 115, 125), "collector": (104, 97, 91),
                "local": (84, 77, 71), "village": (62, 70, 74)}
ROAD_WIDTH_AT_16 = {"expressway": 7, "arterial": 5, "collector": 3.5, "local": 2.5, "village": 2}
GRID_COLOURS = {1: (140, 120, 90), 2: (110, 96, 76), 3: (80, 72, 62)}


def register(subparsers: argparse._SubParsersAction) -> None:
    tiles_parser = subparsers.add_parser("tiles", help="tile base maps for the console")
    actions = tiles_parser.add_subparsers(dest="tiles_command", required=True, metavar="ACTION")
    render = actions.add_parser(
        "render-demo",
        help="draw the store's water, roads and grids into an MBTiles file",
        description="Draw the store's water, roads and grids into raster tiles (an MBTiles file), "
        "to show under the console with `--tiles FILE.mbtiles`.",
    )
    render.add_argument("--db", required=True, metavar="STORE", help="gridsight store: FILE.gpkg or postgresql://user@host:port/dbname")
    render.add_argument("--out", required=True, type=Path, metavar="FILE.mbtiles", help="MBTiles file to write")
    render.add_argument("--zoom", default="12-16", metavar="MIN-MAX", help="zoom levels (default: 12-16)")
    render.add_argument("--crs", choices=("wgs84", "gcj02"), default="wgs84",
                        help="draw the tiles in WGS-84 (default) or, like Chinese web maps, in GCJ-02")
    render.set_defaults(handler=run_render_demo)


def run_render_demo(args: argparse.Namespace) -> int:
    zooms = _parse_zooms(args.zoom)
    out: Path = args.out
    if out.suffix.lower() != ".mbtiles":
        raise CliError(f"--out must name a .mbtiles file, got {out}")
    if out.exists():
        raise CliError(f"{out} exists; remove it or choose another --out")
    if not out.parent.is_dir():
        raise CliError(f"folder {out.parent} does not exist")
    store = open_store(args.db)
    try:
        layers = {name: store.read_layer(name) for name in ("water", "roads", "grids")}
    finally:
        store.close()
    if args.crs == "gcj02":
        layers = {name: _to_gcj02(frame) for name, frame in layers.items()}
    extent = _extent(layers)
    count = sum(len(list(_tile_range(extent, z))) for z in zooms)
    if count > MAX_TILES:
        raise CliError(f"--zoom {args.zoom} needs {count} tiles (at most {MAX_TILES}); lower the maximum zoom")
    _write_mbtiles(out, _Painter(layers), extent, zooms, args.crs, Path(args.db).stem)
    print(f"{out}: {count} tiles, zoom {zooms[0]}-{zooms[-1]}, {args.crs}")
    return 0


def _parse_zooms(text: str) -> list[int]:
    match = re.fullmatch(r"(\d{1,2})(?:-(\d{1,2}))?", text.strip())
    low, high = (int(match[1]), int(match[2] or match[1])) if match else (1, 0)
    if not match or low > high or high > MAX_ZOOM:
        raise CliError(f"--zoom must look like 12-16 (levels 0 to {MAX_ZOOM}), got {text!r}")
    return list(range(low, high + 1))


def _to_gcj02(frame: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    def shift(xy: np.ndarray) -> np.ndarray:
        return np.column_stack(wgs84_to_gcj02(xy[:, 0], xy[:, 1]))

    return frame.set_geometry(shapely.transform(frame.geometry.values, shift))


def _extent(layers: dict[str, gpd.GeoDataFrame]) -> tuple[float, float, float, float]:
    frames = [frame for frame in layers.values() if len(frame)]
    if not frames:
        raise CliError("the store has no water, roads or grids to draw")
    boxes = np.array([frame.total_bounds for frame in frames])
    west, south = boxes[:, :2].min(axis=0) - MARGIN_DEG
    east, north = boxes[:, 2:].max(axis=0) + MARGIN_DEG
    return float(west), float(south), float(east), float(north)


def _world_px(lon: np.ndarray, lat: np.ndarray, z: int) -> tuple[np.ndarray, np.ndarray]:
    """Web Mercator pixel coordinates at zoom z."""
    scale = TILE_PX * 2**z
    y = (1 - np.arcsinh(np.tan(np.radians(lat))) / np.pi) / 2
    return (lon + 180) / 360 * scale, y * scale


def _tile_range(extent: tuple[float, float, float, float], z: int) -> Iterator[tuple[int, int]]:
    west, south, east, north = extent
    (x0, x1), (y1, y0) = (np.floor(v / TILE_PX).astype(int) for v in _world_px(np.array([west, east]),
                                                                              np.array([south, north]), z))
    for x in range(x0, x1 + 1):
        for y in range(y0, y1 + 1):
            yield x, y


def _tile_box(z: int, x: int, y: int) -> shapely.Polygon:
    n = 2**z

    def lat(row: float) -> float:
        return math.degrees(math.atan(math.sinh(math.pi * (1 - 2 * row / n))))

    return shapely.box(x / n * 360 - 180, lat(y + 1), (x + 1) / n * 360 - 180, lat(y))


class _Painter:
    """Draws one tile at a time, finding the shapes on it through spatial indexes."""

    def __init__(self, layers: dict[str, gpd.GeoDataFrame]):
        self._water = layers["water"].geometry.values
        self._roads = layers["roads"]
        grids = layers["grids"]
        # Coarse levels last, so that township borders are drawn over grid borders.
        self._grids = grids.sort_values("level", ascending=False) if len(grids) else grids
        self._trees = {name: shapely.STRtree(geoms) for name, geoms in (
            ("water", self._water), ("roads", self._roads.geometry.values), ("grids", self._grids.geometry.values))}

    def tile(self, z: int, x: int, y: int) -> bytes:
        image = np.full((TILE_PX, TILE_PX, 3), LAND, np.uint8)
        box = _tile_box(z, x, y)
        origin = (x * TILE_PX, y * TILE_PX)
        width_scale = 2 ** ((z - 16) / 2)  # roads thin out as the map zooms out, but not linearly
        water = self._water[self._trees["water"].query(box)]
        if len(water):
            rings = [self._pixels(ring, z, origin) for ring in _rings(water)]
            cv2.fillPoly(image, rings, WATER, cv2.LINE_AA, SUBPIXEL_BITS)
            cv2.polylines(image, rings, True, WATER_EDGE, 1, cv2.LINE_AA, SUBPIXEL_BITS)
        grids = self._grids.iloc[self._trees["grids"].query(box)]
        for level, geoms in grids.groupby("level", sort=False).geometry:
            rings = [self._pixels(ring, z, origin) for ring in _rings(geoms.values)]
            cv2.polylines(image, rings, True, GRID_COLOURS.get(level, GRID_COLOURS[3]), 1, cv2.LINE_AA, SUBPIXEL_BITS)
        roads = self._roads.iloc[self._trees["roads"].query(box)]
        for road_class in reversed(list(ROAD_COLOURS)):  # big roads on top
            lines = roads.geometry.values[roads["road_class"].to_numpy() == road_class]
            if len(lines):
                width = max(1, round(ROAD_WIDTH_AT_16[road_class] * width_scale))
                parts = [self._pixels(line, z, origin) for line in shapely.get_parts(lines)]
                cv2.polylines(image, parts, False, ROAD_COLOURS[road_class], width, cv2.LINE_AA, SUBPIXEL_BITS)
        return cv2.imencode(".png", image)[1].tobytes()

    @staticmethod
    def _pixels(geom, z: int, origin: tuple[int, int]) -> np.ndarray:
        coords = shapely.get_coordinates(geom)
        px, py = _world_px(coords[:, 0], coords[:, 1], z)
        scaled = np.column_stack([px - origin[0], py - origin[1]]) * 2**SUBPIXEL_BITS
        return np.round(scaled).astype(np.int32)


def _rings(polygons) -> list:
    """Every exterior and interior ring (fillPoly's even-odd rule cuts the holes)."""
    parts = shapely.get_parts(polygons)
    return [*shapely.get_exterior_ring(parts),
            *(ring for part in parts for ring in shapely.get_rings(part)[1:])]


def _write_mbtiles(out: Path, painter: _Painter, extent, zooms: list[int], crs: str, name: str) -> None:
    """Write to a temporary file next to `out`, renamed when complete: no half-written tile sets."""
    handle, temporary = tempfile.mkstemp(suffix=".mbtiles", dir=out.parent)
    os.close(handle)
    os.chmod(temporary, 0o644)  # a map for everyone, not mkstemp's private file
    try:
        with sqlite3.connect(temporary) as db:
            db.execute("CREATE TABLE metadata (name TEXT, value TEXT)")
            db.execute("CREATE TABLE tiles (zoom_level INTEGER, tile_column INTEGER, tile_row INTEGER, tile_data BLOB)")
            db.execute("CREATE UNIQUE INDEX tile_index ON tiles (zoom_level, tile_column, tile_row)")
            db.executemany("INSERT INTO metadata VALUES (?, ?)", [
                ("name", name), ("format", "png"), ("type", "baselayer"), ("version", "1"),
                ("minzoom", str(zooms[0])), ("maxzoom", str(zooms[-1])),
                ("bounds", ",".join(f"{v:.6f}" for v in extent)),
                ("description", f"gridsight demo base map drawn from the store ({crs})"),
            ])
            for z in zooms:
                db.executemany("INSERT INTO tiles VALUES (?, ?, ?, ?)",
                               ((z, x, 2**z - 1 - y, painter.tile(z, x, y)) for x, y in _tile_range(extent, z)))
        os.replace(temporary, out)
    finally:
        if os.path.exists(temporary):
            os.unlink(temporary)
