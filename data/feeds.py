"""Live positions of responders: the feed interface and the demo simulator.

The console asks its feed once per tick for what moved since the last call. In demo mode
`RoadSimulator` moves on-duty responders along the store's roads at plausible speeds; a real
GPS source (an MQTT subscriber, say) plugs in behind the same `PositionFeed` protocol. No Qt
here: the feed can run in a benchmark, a test or a server.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

import geopandas as gpd
import numpy as np
import shapely

from gis.policy import USUAL_SPEED_KPH

# Metres per degree of latitude; a degree of longitude is this times cos(latitude).
METRES_PER_DEGREE = 111_320.0
# Simulated responders move at their kind's usual speed (gis.policy), capped by the road's speed;
# this one for a kind it does not know.
DEFAULT_SPEED_KPH = 15.0
# Responders in these states stay where they are.
RESTING_STATUSES = frozenset({"off"})


@dataclass(frozen=True)
class Positions:
    """Where some responders are now: parallel arrays of responder ids and WGS-84 lon/lat."""

    ids: np.ndarray
    lon: np.ndarray
    lat: np.ndarray

    def __len__(self) -> int:
        return len(self.ids)


class PositionFeed(Protocol):
    """A source of live positions. `poll` returns the responders that moved since the last call
    (possibly none); it must be cheap, as the console calls it on its UI thread every tick."""

    def poll(self, now_s: float) -> Positions: ...


class RoadSimulator:
    """Moves responders along the road network, deterministically for a given seed.

    Each moving responder starts on the road nearest to it and drives along it; at a road's
    end it turns onto another road meeting there (or back along the same road at a dead end).
    Everything is numpy over all responders at once: 20,000 advance in a few milliseconds,
    as the console calls this on its UI thread every second.
    """

    def __init__(self, roads: gpd.GeoDataFrame, responders: gpd.GeoDataFrame, seed: int = 7):
        if roads.empty:
            raise ValueError("the store has no roads to move responders along")
        roads = roads.to_crs(4326)
        responders = responders.to_crs(4326)
        self._rng = np.random.default_rng(seed)
        lines = np.asarray(roads.geometry.values, dtype=object)
        self._net = _RoadNet(lines)
        road_speed = roads["speed_kph"].to_numpy(dtype=float) if "speed_kph" in roads else np.full(len(roads), 50.0)
        self._road_speed_mps = np.nan_to_num(road_speed, nan=50.0) / 3.6

        moving = ~responders["status"].isin(RESTING_STATUSES).to_numpy() & ~responders.geometry.is_empty.to_numpy()
        movers = responders[moving]
        self.ids = movers["responder_id"].astype(str).to_numpy()
        kind_speed = movers["kind"].map(USUAL_SPEED_KPH).fillna(DEFAULT_SPEED_KPH).to_numpy(dtype=float) / 3.6
        self._speed_mps = kind_speed * self._rng.uniform(0.7, 1.2, len(movers))
        tree = shapely.STRtree(lines)
        self._road = tree.query_nearest(movers.geometry.values, return_distance=False, all_matches=False)[1]
        fraction = shapely.line_locate_point(lines[self._road], movers.geometry.values, normalized=True)
        self._metres = fraction * self._net.length_m[self._road]  # how far along its road each one is
        self._direction = self._rng.choice([-1.0, 1.0], len(movers))
        self._last_s: float | None = None

    def poll(self, now_s: float) -> Positions:
        """Advance everyone by the time since the last poll (nothing moves on the first)."""
        elapsed = 0.0 if self._last_s is None else max(0.0, now_s - self._last_s)
        self._last_s = now_s
        if elapsed > 0:
            self._advance(elapsed)
        lon, lat = self._net.position(self._road, self._metres)
        return Positions(self.ids, lon, lat)

    def _advance(self, elapsed_s: float) -> None:
        speed = np.minimum(self._speed_mps, self._road_speed_mps[self._road])
        self._metres = self._metres + self._direction * speed * elapsed_s
        length = self._net.length_m[self._road]
        past_end, before_start = self._metres > length, self._metres < 0
        turning = np.flatnonzero(past_end | before_start)
        if len(turning):
            # At most one turn per tick: a road shorter than one tick's travel is crossed slowly.
            node = np.where(past_end[turning], self._net.end_node[self._road[turning]],
                            self._net.start_node[self._road[turning]])
            self._turn(turning, node)

    def _turn(self, who: np.ndarray, node: np.ndarray) -> None:
        net, current = self._net, self._road[who]
        degree = net.degree[node]
        pick = self._rng.integers(0, degree)
        nxt = net.incident[net.first_incident[node] + pick]
        # Not straight back onto the same road: take the next one meeting there instead.
        pick = np.where(nxt == current, (pick + 1) % degree, pick)
        nxt = net.incident[net.first_incident[node] + pick]
        dead_end = nxt == current
        starts_here = net.start_node[nxt] == node
        self._road[who] = nxt
        self._metres[who] = np.where(dead_end, np.clip(self._metres[who], 0, net.length_m[current]),
                                     np.where(starts_here, 0.0, net.length_m[nxt]))
        self._direction[who] = np.where(dead_end, -self._direction[who], np.where(starts_here, 1.0, -1.0))


class _RoadNet:
    """The roads as flat vertex arrays with metres along each road, and who meets at each end."""

    def __init__(self, lines: np.ndarray):
        coords, road_of = shapely.get_coordinates(lines, return_index=True)
        self.x, self.y = coords[:, 0], coords[:, 1]
        lat_scale = np.cos(np.radians(self.y))
        step_m = np.hypot(np.diff(self.x) * lat_scale[1:], np.diff(self.y)) * METRES_PER_DEGREE
        step_m[road_of[1:] != road_of[:-1]] = 0.0  # no distance between one road's end and the next's start
        # Metres from the first vertex of all: one sorted array, so a position is one searchsorted.
        self.along = np.concatenate([[0.0], np.cumsum(step_m)])
        counts = np.bincount(road_of, minlength=len(lines))
        self.first_vertex = np.concatenate([[0], np.cumsum(counts)[:-1]])
        self.last_vertex = self.first_vertex + counts - 1
        self.length_m = np.maximum(self.along[self.last_vertex] - self.along[self.first_vertex], 1e-3)
        # Road ends that meet (to about 0.1 m) are one node.
        ends = np.concatenate([self.first_vertex, self.last_vertex])
        keys = np.round(np.column_stack([self.x[ends], self.y[ends]]), 6)
        _, node = np.unique(keys, axis=0, return_inverse=True)
        node = node.ravel()
        self.start_node, self.end_node = node[: len(lines)], node[len(lines):]
        order = np.argsort(node, kind="stable")
        self.incident = np.tile(np.arange(len(lines)), 2)[order]  # roads meeting at each node, by node
        self.degree = np.bincount(node)
        self.first_incident = np.concatenate([[0], np.cumsum(self.degree)[:-1]])

    def position(self, road: np.ndarray, metres: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """lon, lat of points `metres` along their roads."""
        target = self.along[self.first_vertex[road]] + np.clip(metres, 0, self.length_m[road])
        vertex = np.searchsorted(self.along, target, side="right") - 1
        vertex = np.clip(vertex, self.first_vertex[road], np.maximum(self.last_vertex[road] - 1,
                                                                       self.first_vertex[road]))
        step = self.along[vertex + 1] - self.along[vertex]
        t = np.divide(target - self.along[vertex], step, out=np.zeros_like(target), where=step > 0)
        t = np.clip(t, 0.0, 1.0)
        return (self.x[vertex] + t * (self.x[vertex + 1] - self.x[vertex]),
                self.y[vertex] + t * (self.y[vertex + 1] - self.y[vertex]))
