"""Locate points in the grid hierarchy: which township, village and grid contains each point.

Every incident, camera and responder is located, often a million at a time, so the
lookup must cost next to nothing per point. A raster over the territory answers most
points by array indexing: a cell that no grid boundary crosses lies wholly inside one
grid (or outside all), so its answer is known once. Only points in cells that a
boundary crosses are tested exactly against the polygons (STRtree). Answers are the
same as an exact point-in-polygon test; a point on a shared edge goes to the grid
that comes first.
"""

from __future__ import annotations

from dataclasses import dataclass

import geopandas as gpd
import numpy as np
import shapely
from scipy import ndimage

OUTSIDE = -1
_MIXED = -2  # raster value of a cell that a boundary crosses
_CELLS_PER_POLYGON = 1024
_MAX_CELLS = 4096 * 4096
# Shift the raster off round numbers so that boundaries drawn on round coordinates
# never run exactly along cell edges.
_ORIGIN_SHIFT = 0.3819660112501051


class PolygonLocator:
    """Point-in-polygon for one set of non-overlapping polygons."""

    def __init__(self, polygons):
        self.polygons = np.asarray(polygons, dtype=object)
        self._tree = shapely.STRtree(self.polygons)
        self._build_raster()

    def _build_raster(self) -> None:
        minx, miny, maxx, maxy = shapely.total_bounds(self.polygons)
        width, height = max(maxx - minx, 1e-9), max(maxy - miny, 1e-9)
        cells = min(_MAX_CELLS, max(1, len(self.polygons)) * _CELLS_PER_POLYGON)
        self.cell = float(np.sqrt(width * height / cells))
        self.x0 = minx - self.cell * _ORIGIN_SHIFT
        self.y0 = miny - self.cell * _ORIGIN_SHIFT
        self.shape = (int(height / self.cell) + 2, int(width / self.cell) + 2)

        crossed = np.zeros(self.shape, dtype=bool)
        rows, cols = self._boundary_cells()
        crossed[rows, cols] = True
        components, count = ndimage.label(~crossed)
        flat = components.ravel()
        cells_in_components = np.flatnonzero(flat)
        first_cell = np.empty(count + 1, dtype=np.int64)
        first_cell[flat[cells_in_components][::-1]] = cells_in_components[::-1]
        r, c = np.divmod(first_cell[1:], self.shape[1])
        answer = np.empty(count + 1, dtype=np.int32)
        answer[0] = _MIXED
        answer[1:] = self._exact(self.x0 + (c + 0.5) * self.cell, self.y0 + (r + 0.5) * self.cell)
        self.raster = answer[components]

    def _boundary_cells(self) -> tuple[np.ndarray, np.ndarray]:
        """Every raster cell that a polygon ring passes through (a supercover of each segment)."""
        lines = shapely.get_parts(shapely.boundary(self.polygons))
        coords, line_of = shapely.get_coordinates(lines, return_index=True)
        gx = (coords[:, 0] - self.x0) / self.cell
        gy = (coords[:, 1] - self.y0) / self.cell
        same_line = line_of[1:] == line_of[:-1]
        ax, ay, bx, by = gx[:-1][same_line], gy[:-1][same_line], gx[1:][same_line], gy[1:][same_line]
        rows = [np.floor(gy).astype(np.int64)]
        cols = [np.floor(gx).astype(np.int64)]
        # Crossings of vertical cell edges mark the cells on both sides, likewise horizontal.
        for a_along, b_along, a_across, b_across, along_is_x in (
            (ax, bx, ay, by, True),
            (ay, by, ax, bx, False),
        ):
            lo = np.ceil(np.minimum(a_along, b_along)).astype(np.int64)
            hi = np.floor(np.maximum(a_along, b_along)).astype(np.int64)
            n = np.maximum(hi - lo + 1, 0)
            seg = np.repeat(np.arange(len(n)), n)
            step = np.arange(n.sum()) - np.repeat(np.cumsum(n) - n, n)
            k = lo[seg] + step
            span = b_along[seg] - a_along[seg]
            t = np.divide(k - a_along[seg], span, out=np.zeros(len(k)), where=span != 0)
            across = np.floor(a_across[seg] + t * (b_across[seg] - a_across[seg])).astype(np.int64)
            for edge_side in (k - 1, k):
                if along_is_x:
                    rows.append(across)
                    cols.append(edge_side)
                else:
                    rows.append(edge_side)
                    cols.append(across)
        rows, cols = np.concatenate(rows), np.concatenate(cols)
        keep = (rows >= 0) & (rows < self.shape[0]) & (cols >= 0) & (cols < self.shape[1])
        return rows[keep], cols[keep]

    def _exact(self, x: np.ndarray, y: np.ndarray) -> np.ndarray:
        result = np.full(len(x), OUTSIDE, dtype=np.int32)
        if len(x) == 0:
            return result
        point_idx, poly_idx = self._tree.query(shapely.points(x, y), predicate="intersects")
        # Reverse so that, on a shared edge, the lowest polygon index is written last and wins.
        order = np.lexsort((-poly_idx, point_idx))
        result[point_idx[order]] = poly_idx[order]
        return result

    def locate(self, x, y) -> np.ndarray:
        """Index of the polygon containing each point, or OUTSIDE."""
        x = np.asarray(x, dtype=float).ravel()
        y = np.asarray(y, dtype=float).ravel()
        col = np.floor((x - self.x0) / self.cell)
        row = np.floor((y - self.y0) / self.cell)
        inside = (col >= 0) & (col < self.shape[1]) & (row >= 0) & (row < self.shape[0])
        result = np.full(len(x), OUTSIDE, dtype=np.int32)
        result[inside] = self.raster[row[inside].astype(np.int64), col[inside].astype(np.int64)]
        mixed = np.flatnonzero(result == _MIXED)
        result[mixed] = self._exact(x[mixed], y[mixed])
        return result


@dataclass(frozen=True)
class GridHit:
    level: int
    code: str
    name: str


class GridIndex:
    """The grid hierarchy, one locator per level, answering the full path of a point."""

    def __init__(self, grids: gpd.GeoDataFrame):
        self.grids = grids.reset_index(drop=True)
        self.levels = sorted(int(level) for level in self.grids["level"].unique())
        self._rows: dict[int, np.ndarray] = {}
        self._locators: dict[int, PolygonLocator] = {}
        for level in self.levels:
            rows = np.flatnonzero(self.grids["level"].to_numpy() == level)
            self._rows[level] = rows
            self._locators[level] = PolygonLocator(self.grids.geometry.values[rows])

    def locate_level(self, lon, lat, level: int) -> np.ndarray:
        """Row of `grids` containing each point at one level, or OUTSIDE."""
        found = self._locators[level].locate(lon, lat)
        return np.where(found >= 0, self._rows[level][np.maximum(found, 0)], OUTSIDE)

    def locate_deepest(self, lon, lat) -> np.ndarray:
        """Row of the deepest grid containing each point, or OUTSIDE."""
        result = np.full(np.size(lon), OUTSIDE, dtype=np.int64)
        for level in self.levels:
            found = self.locate_level(lon, lat, level)
            result = np.where(found >= 0, found, result)
        return result

    def path(self, lon: float, lat: float) -> list[GridHit]:
        """Grids containing one point, from the top level down; empty when outside all."""
        hits = []
        for level in self.levels:
            row = int(self.locate_level([lon], [lat], level)[0])
            if row != OUTSIDE:
                grid = self.grids.iloc[row]
                hits.append(GridHit(level, str(grid["code"]), str(grid["name"])))
        return hits
