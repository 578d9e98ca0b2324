"""A tiny synthetic city for the console tests, and a helper to ask the map page."""

from __future__ import annotations

import itertools
import json
import time

import geopandas as gpd
import numpy as np
import shapely

from data.store import Store

# A tiny city: 3 townships side by side, each 3 villages stacked, each village 2 x 2 grids.
WEST, SOUTH, TOWNSHIP_W, VILLAGE_H = 114.0, 30.5, 0.04, 0.03
TOWNSHIPS = ("东湖街道", "西山镇", "南岗镇")


def _grids() -> gpd.GeoDataFrame:
    rows = []
    for t, township in enumerate(TOWNSHIPS):
        x0 = WEST + t * TOWNSHIP_W
        t_code = f"T{t}"
        rows.append((t_code, township, 1, None, shapely.box(x0, SOUTH, x0 + TOWNSHIP_W, SOUTH + 3 * VILLAGE_H)))
        for v in range(3):
            y0 = SOUTH + v * VILLAGE_H
            v_code = f"{t_code}V{v}"
            rows.append((v_code, f"{township[:2]}{'一二三'[v]}村", 2, t_code,
                         shapely.box(x0, y0, x0 + TOWNSHIP_W, y0 + VILLAGE_H)))
            for g in range(4):
                gx, gy = x0 + (g % 2) * TOWNSHIP_W / 2, y0 + (g // 2) * VILLAGE_H / 2
                rows.append((f"{v_code}G{g}", f"第{g + 1}网格", 3, v_code,
                             shapely.box(gx, gy, gx + TOWNSHIP_W / 2, gy + VILLAGE_H / 2)))
    code, name, level, parent, geom = zip(*rows)
    return gpd.GeoDataFrame(
        {"code": code, "name": name, "level": level, "parent_code": parent, "households": 300, "version": 1},
        geometry=list(geom), crs=4326,
    )


# Five east-west and five north-south roads, one of each class, cut at every crossing so that
# they form one network the router can search.
ROAD_CLASSES = ("expressway", "arterial", "collector", "local", "village")
ROAD_YS = [SOUTH + 0.008 + i * 0.017 for i in range(5)]
ROAD_XS = [WEST + 0.01 + i * 0.024 for i in range(5)]


def _roads() -> gpd.GeoDataFrame:
    east, north = WEST + 3 * TOWNSHIP_W, SOUTH + 3 * VILLAGE_H
    lines, classes = [], []
    for road_class, y, x in zip(ROAD_CLASSES, ROAD_YS, ROAD_XS):
        cuts_x, cuts_y = [WEST, *ROAD_XS, east], [SOUTH, *ROAD_YS, north]
        lines += [shapely.LineString([(a, y), (b, y)]) for a, b in itertools.pairwise(cuts_x)]
        lines += [shapely.LineString([(x, a), (x, b)]) for a, b in itertools.pairwise(cuts_y)]
        classes += [road_class] * (len(cuts_x) - 1 + len(cuts_y) - 1)
    return gpd.GeoDataFrame({"road_class": classes, "speed_kph": 40.0, "oneway": 0, "bridge": 0},
                            geometry=lines, crs=4326)


def _water() -> gpd.GeoDataFrame:
    river = shapely.LineString([(WEST, SOUTH + 0.05), (WEST + 0.06, SOUTH + 0.043), (WEST + 0.12, SOUTH + 0.055)])
    return gpd.GeoDataFrame({"kind": ["river"], "name": ["清水河"]}, geometry=[river.buffer(0.002)], crs=4326)


def _points(count: int, seed: int) -> np.ndarray:
    rng = np.random.default_rng(seed)
    return shapely.points(rng.uniform(WEST, WEST + 3 * TOWNSHIP_W, count),
                          rng.uniform(SOUTH, SOUTH + 3 * VILLAGE_H, count))


RESPONDERS, CAMERAS, CHECKPOINTS = 60, 90, 4
# Tickets of the tiny city: (id, priority, state, warning level, escalation level); the closed one is off the map.
TICKETS = (
    ("T-1", 1, "dispatched", 3, 0),
    ("T-2", 2, "escalated", 1, 1),
    ("T-3", 3, "registered", 0, 0),
    ("T-4", 4, "closed", 0, 0),
)


def _incidents() -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame(
        {"ticket_id": [t[0] for t in TICKETS], "channel": "hotline_12345", "category": "environment",
         "priority": [t[1] for t in TICKETS], "reported_at": "2026-11-23T08:00:00Z"},
        # On the north-south roads, so that responders can be routed to them.
        geometry=shapely.points([(x, ROAD_YS[1] + 0.006) for x in ROAD_XS[:len(TICKETS)]]), crs=4326)


def _tickets() -> list[dict]:
    return [{"ticket_id": ticket_id, "state": state, "version": 1, "warning_level": warning,
             "escalation_level": escalation}
            for ticket_id, _, state, warning, escalation in TICKETS]


def build_tiny_city(path) -> Store:
    store = Store.create(path)
    kinds = np.resize(["grid_worker", "police", "department"], RESPONDERS)
    with store.transaction() as tx:
        tx.write_layer("grids", _grids())
        tx.write_layer("roads", _roads())
        tx.write_layer("water", _water())
        tx.write_layer("responders", gpd.GeoDataFrame(
            {"responder_id": [f"R{i}" for i in range(RESPONDERS)], "name": [f"队员{i}" for i in range(RESPONDERS)],
             "kind": kinds, "role": "team", "status": np.resize(["on_duty", "busy", "off"], RESPONDERS)},
            geometry=_points(RESPONDERS, 1), crs=4326))
        tx.write_layer("cameras", gpd.GeoDataFrame(
            {"camera_id": [f"C{i}" for i in range(CAMERAS)], "name": [f"摄像头{i}" for i in range(CAMERAS)],
             "camera_class": np.resize(["A", "B", "rural", "private"], CAMERAS), "status": "online"},
            geometry=_points(CAMERAS, 2), crs=4326))
        tx.write_layer("checkpoints", gpd.GeoDataFrame(
            {"checkpoint_id": [f"K{i}" for i in range(CHECKPOINTS)], "name": [f"卡口{i}" for i in range(CHECKPOINTS)],
             "kind": "entry"},
            geometry=_points(CHECKPOINTS, 3), crs=4326))
        tx.write_layer("incidents", _incidents())
        tx.write_layer("patrol_routes", gpd.GeoDataFrame(
            {"route_id": ["P1", "P2"], "name": ["东环巡线", "河岸巡线"], "unit_id": ["R1", "R4"]},
            geometry=[shapely.LineString([(ROAD_XS[0], ROAD_YS[0]), (ROAD_XS[0], ROAD_YS[3]), (ROAD_XS[2], ROAD_YS[3])]),
                      shapely.LineString([(ROAD_XS[1], ROAD_YS[1]), (ROAD_XS[4], ROAD_YS[1])])], crs=4326))
        tx.insert_rows("tickets", _tickets())
    return store


LAYER_COUNTS = {"water": 1, "roads": 60, "grids": 48, "patrol_routes": 2, "checkpoints": CHECKPOINTS, "cameras": CAMERAS,
                "responders": RESPONDERS, "incidents": 3}


def run_js(qtbot, window, script: str):
    """Evaluate the expression `script` in the map page and return its value."""
    results = []
    window.map.page().runJavaScript(f"JSON.stringify({script})", 0, results.append)
    qtbot.waitUntil(lambda: bool(results), timeout=5_000)
    return json.loads(results[0])


def run_js_until(qtbot, window, script: str, done, timeout_s: float = 5.0):
    """The value of `script` once `done(value)` holds (the page lays some things out a frame later);
    the last value when the time is up."""
    deadline = time.monotonic() + timeout_s
    value = run_js(qtbot, window, script)
    while not done(value) and time.monotonic() < deadline:
        qtbot.wait(20)
        value = run_js(qtbot, window, script)
    return value
