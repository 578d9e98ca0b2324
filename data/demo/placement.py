"""Putting people, cameras and incidents on the road network, and finding their grid."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import shapely

from data.demo.roads import RoadNetwork
from gis.locate import OUTSIDE, PolygonLocator


class RoadPlacer:
    """Knows which grid every road segment lies in, so things can be placed per grid."""

    def __init__(self, roads: RoadNetwork, grids: gpd.GeoDataFrame):
        self.roads = roads
        self.cells = grids[grids["level"] == grids["level"].max()].reset_index(drop=True)
        self.codes = self.cells["code"].to_numpy()
        self._locator = PolygonLocator(self.cells.geometry.values)
        edges = roads.edges
        # Where people and cameras can be: on the connected network, off the expressways.
        self.usable = ~roads.island & (edges["road_class"] != "expressway").to_numpy()
        middle = shapely.get_coordinates(shapely.line_interpolate_point(roads.lines, 0.5, normalized=True))
        self.edge_cell = np.where(self.usable, self.locate(middle), OUTSIDE)
        self.length = shapely.length(roads.lines)
        order = np.argsort(self.edge_cell, kind="stable")
        order = order[self.edge_cell[order] >= 0]
        self._by_cell = order
        self._first = np.searchsorted(self.edge_cell[order], np.arange(len(self.cells) + 1))
        self._usable_tree = shapely.STRtree(roads.lines[self.usable])
        self._usable_index = np.flatnonzero(self.usable)

    def locate(self, xy: np.ndarray) -> np.ndarray:
        """Row in `cells` (the finest grids) holding each point, or OUTSIDE."""
        xy = np.asarray(xy, dtype=float).reshape(-1, 2)
        return self._locator.locate(xy[:, 0], xy[:, 1])

    def edges_in_cells(self, cells: np.ndarray, rng: np.random.Generator) -> np.ndarray:
        """One random usable segment in each given cell (the nearest one when a cell has none)."""
        cells = np.asarray(cells, dtype=np.int64)
        start, count = self._first[cells], self._first[cells + 1] - self._first[cells]
        pick = start + np.floor(rng.random(len(cells)) * np.maximum(count, 1)).astype(np.int64)
        edges = self._by_cell[np.minimum(pick, len(self._by_cell) - 1)]
        empty = count == 0
        if empty.any():
            inside = shapely.point_on_surface(self.cells.geometry.values[cells[empty]])
            edges[empty] = self.nearest_edges(shapely.get_coordinates(inside))
        return edges

    def nearest_edges(self, xy: np.ndarray) -> np.ndarray:
        hits = self._usable_tree.query_nearest(shapely.points(xy), all_matches=False)
        found = np.empty(len(xy), dtype=np.int64)
        found[hits[0]] = self._usable_index[hits[1]]
        return found

    def points_on(self, edges: np.ndarray, along: np.ndarray, side_m: float | np.ndarray = 0.0):
        """Points at fraction `along` of each segment, moved `side_m` metres to its left.

        Returns the points and the compass bearing (degrees clockwise from north) of
        the road there, in the segment's direction.
        """
        lines = self.roads.lines[edges]
        length = self.length[edges]
        step = np.minimum(1.0, 2.0 / np.maximum(length, 1e-9))
        ahead = np.clip(along + step / 2, 0, 1)
        behind = np.clip(along - step / 2, 0, 1)
        a = shapely.get_coordinates(shapely.line_interpolate_point(lines, behind, normalized=True))
        b = shapely.get_coordinates(shapely.line_interpolate_point(lines, ahead, normalized=True))
        at = shapely.get_coordinates(shapely.line_interpolate_point(lines, along, normalized=True))
        direction = (b - a) / np.maximum(np.hypot(*(b - a).T), 1e-9)[:, None]
        left = np.column_stack([-direction[:, 1], direction[:, 0]])
        xy = at + left * np.asarray(side_m, dtype=float).reshape(-1, 1)
        return xy, bearing(direction)


def bearing(direction: np.ndarray) -> np.ndarray:
    """Compass bearing in degrees [0, 360) of direction vectors (x east, y north)."""
    return np.mod(np.degrees(np.arctan2(direction[:, 0], direction[:, 1])), 360.0)
