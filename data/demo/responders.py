"""Responders and patrol routes: grid workers ("1+N" per grid), police units and department teams.

Everyone stands on a road (their last reported position) inside the area they serve.
"""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import dijkstra

from data.demo import names
from data.demo.clock import iso_utc
from data.demo.geometry import METRIC_CRS
from data.demo.placement import RoadPlacer
from data.demo.scales import Scale

# Department teams every township has: (department, team, skills).
DEPARTMENTS = {
    "city_management": ("城管执法中队", "city_management,illegal_parking,street_vending"),
    "market": ("市场监管所", "food_safety,market_order"),
    "environment": ("生态环境执法队", "pollution,waste"),
    "emergency": ("应急救援队", "rescue,fire_safety,first_aid"),
    "water": ("水务巡查队", "flood_control,water_supply"),
    "justice": ("司法所", "mediation,legal_aid"),
}
# The departments themselves, as the centre transfers tickets to them (the departments layer).
DEPARTMENT_NAMES = {
    "city_management": "城市管理执法局", "market": "市场监督管理局", "environment": "生态环境局",
    "emergency": "应急管理局", "water": "水务局", "justice": "司法局",
}
DEPARTMENT_REPORT_HOURS = 72.0
WORKER_SKILLS = ["mediation", "inspection", "first_aid", "fire_safety", "elderly_care", "legal_aid", "data_entry"]
STATUS = (["on_duty", "busy", "off"], [0.8, 0.12, 0.08])


def build_responders(grids: gpd.GeoDataFrame, placer: RoadPlacer, seats: np.ndarray, scale: Scale,
                     now: np.datetime64, rng: np.random.Generator) -> gpd.GeoDataFrame:
    """All responders (metres), with an extra `department` column for department teams."""
    workers = _grid_workers(placer, rng)
    townships = grids[grids["level"] == 1].sort_values("code", kind="stable")
    units = _township_units(townships, placer, seats, scale, rng)
    frame = pd.concat([workers, units], ignore_index=True)
    n = len(frame)
    frame["phone"] = names.phone_numbers(np.arange(n) + 1)
    frame["status"] = rng.choice(STATUS[0], size=n, p=STATUS[1])
    age_s = np.where(frame["status"] == "off", rng.uniform(3_600, 16 * 3_600, n), rng.uniform(5, 900, n))
    frame["position_at"] = iso_utc(now - age_s.astype("timedelta64[s]"))
    xy, _ = placer.points_on(frame.pop("edge").to_numpy(), rng.uniform(0.05, 0.95, n))
    return gpd.GeoDataFrame(frame, geometry=shapely.points(xy), crs=METRIC_CRS)


def _grid_workers(placer: RoadPlacer, rng) -> pd.DataFrame:
    """A chief and one to three members per grid, all on roads in their grid."""
    cells = np.arange(len(placer.cells))
    members = rng.integers(1, 4, len(cells))
    cell = np.repeat(cells, members + 1)
    first = np.r_[0, np.cumsum(members + 1)[:-1]]
    is_chief = np.zeros(len(cell), dtype=bool)
    is_chief[first] = True
    n = len(cell)
    skills = np.array([",".join(sorted(rng.choice(WORKER_SKILLS, 2, replace=False))) for _ in range(n)])
    return pd.DataFrame({
        "responder_id": [f"W{k:06d}" for k in range(1, n + 1)],
        "name": names.person_names(rng, n),
        "kind": "grid_worker",
        "role": np.where(is_chief, "grid_chief", "grid_member"),
        "grid_code": placer.codes[cell],
        "skills": skills,
        "department": None,
        "edge": placer.edges_in_cells(cell, rng),
    })


def _township_units(townships: gpd.GeoDataFrame, placer: RoadPlacer, seats: np.ndarray, scale: Scale,
                    rng) -> pd.DataFrame:
    """Per township: a police station and patrol cars, and one team of each department."""
    rows = []
    cell_township = np.array([code[:9] for code in placer.codes])
    edge_township = np.where(placer.edge_cell >= 0, cell_township[np.maximum(placer.edge_cell, 0)], "")
    seat_of = dict(zip(townships["code"], seats[townships["seat"].to_numpy().astype(np.int64)]))
    police, teams = 0, 0
    for code, name in zip(townships["code"], townships["name"]):
        short = names.short_name(name)
        seat_edge = int(placer.nearest_edges(seat_of[code][None, :])[0])
        in_township = np.flatnonzero(edge_township == code)
        police += 1
        rows.append(dict(responder_id=f"P{police:05d}", name=f"{short}派出所", kind="police",
                         role="police_station", grid_code=code, skills="public_order,traffic,investigation",
                         department=None, edge=seat_edge))
        for car in range(int(rng.integers(scale.patrol_cars_per_township[0], scale.patrol_cars_per_township[1] + 1))):
            police += 1
            edge = int(rng.choice(in_township)) if len(in_township) else seat_edge
            rows.append(dict(responder_id=f"P{police:05d}", name=f"{short}派出所巡逻{names.chinese_number(car + 1)}组",
                             kind="police", role="patrol_car", grid_code=code,
                             skills="public_order,traffic,first_aid", department=None, edge=edge))
        near_seat = placer.nearest_edges(seat_of[code] + rng.normal(0, 300, (len(DEPARTMENTS), 2)))
        for (department, (team, skills)), edge in zip(DEPARTMENTS.items(), near_seat):
            teams += 1
            rows.append(dict(responder_id=f"D{teams:05d}", name=f"{name}{team}", kind="department",
                             role="team", grid_code=code, skills=skills, department=department, edge=int(edge)))
    return pd.DataFrame(rows)


def build_patrol_routes(responders: gpd.GeoDataFrame, placer: RoadPlacer, scale: Scale,
                        rng: np.random.Generator) -> gpd.GeoDataFrame:
    """Loops from each police station through a few points of its township and back, along roads."""
    roads = placer.roads
    edges = roads.edges
    usable = np.flatnonzero(placer.usable)
    u, v = edges["u"].to_numpy()[usable], edges["v"].to_numpy()[usable]
    n = len(roads.nodes)
    weight = placer.length[usable] + 1e-3
    graph = coo_matrix((np.r_[weight, weight], (np.r_[u, v], np.r_[v, u])), shape=(n, n)).tocsr()
    edge_of = {(min(a, b), max(a, b)): e for a, b, e in zip(u.tolist(), v.tolist(), usable.tolist())}
    node_cell = placer.locate(roads.nodes)
    node_township = np.where(node_cell >= 0, np.array([c[:9] for c in placer.codes])[np.maximum(node_cell, 0)], "")
    junction = roads.node_degrees() >= 3  # turning points: no dead ends
    stations = responders[responders["role"] == "police_station"]
    # How far a loop reaches from its station: about a township's width.
    reach = 1.2 * np.sqrt(placer.cells.geometry.area.sum() / len(stations))
    cars = responders[responders["role"] == "patrol_car"]
    rows = []
    for station in stations.itertuples():
        start = int(edges["u"].iat[int(placer.nearest_edges(shapely.get_coordinates(station.geometry))[0])])
        dist, pred = dijkstra(graph, indices=start, limit=reach, return_predecessors=True)
        candidates = np.flatnonzero(
            np.isfinite(dist) & junction & (node_township == station.grid_code) & (dist > 0.3 * reach))
        units = cars.loc[cars["grid_code"] == station.grid_code, "responder_id"].tolist() or [station.responder_id]
        for k in range(scale.patrol_routes_per_township if len(candidates) >= 2 else 0):
            first, second = rng.choice(candidates, 2, replace=False)
            _, pred_first = dijkstra(graph, indices=first, limit=2 * reach, return_predecessors=True)
            if pred_first[second] < 0:
                continue
            path = _path(pred, first)[::-1] + _path(pred_first, second)[::-1][1:] + _path(pred, second)[1:]
            rows.append(dict(route_id=f"PR{len(rows) + 1:04d}", name=f"{station.name}{names.chinese_number(k + 1)}号巡逻线",
                             unit_id=units[k % len(units)], grid_code=station.grid_code,
                             geometry=_path_line(path, edge_of, roads)))
    return gpd.GeoDataFrame(rows, geometry="geometry", crs=METRIC_CRS)


def _path(pred: np.ndarray, target: int) -> list[int]:
    """Nodes from the target back to the source of a predecessor array."""
    path = [int(target)]
    while pred[path[-1]] >= 0:
        path.append(int(pred[path[-1]]))
    return path


def _path_line(path: list[int], edge_of: dict, roads) -> shapely.LineString:
    """The road geometry along a node path, each segment oriented in travel order."""
    parts = []
    for a, b in zip(path[:-1], path[1:]):
        e = edge_of[(min(a, b), max(a, b))]
        xy = shapely.get_coordinates(roads.lines[e])
        parts.append(xy if roads.edges["u"].iat[e] == a else xy[::-1])
    return shapely.LineString(np.vstack([parts[0]] + [p[1:] for p in parts[1:]]))


def build_departments() -> gpd.GeoDataFrame:
    """The departments tickets are transferred to, serving the whole territory (no office position)."""
    return gpd.GeoDataFrame(
        {"department_id": list(DEPARTMENT_NAMES), "name": list(DEPARTMENT_NAMES.values()),
         "report_hours": DEPARTMENT_REPORT_HOURS},
        geometry=[None] * len(DEPARTMENT_NAMES), crs="EPSG:4326",
    )
