"""Cameras of every class and owner, and the electronic checkpoints at the territory's entries.

Class A (police, 天网) cameras watch junctions of main roads; class B (social, 雪亮) ones
line town streets; rural ones belong to village committees; private ones to estates and
shops. Each stands a few metres beside its road and faces it.
"""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from data.demo import names
from data.demo.geometry import METRIC_CRS
from data.demo.grids import CORE_DISTRICT, PREFECTURE_CODE
from data.demo.landscape import Landscape
from data.demo.placement import RoadPlacer, bearing

STREAM_HOST = "rtsp://127.0.0.1:8554/cam"
# Some cameras carry the (placeholder) credentials their owners put in the URL, as in real registries.
CREDENTIAL_HOST = "rtsp://admin:demo@127.0.0.1:8554/cam"
ONLINE_SHARE = 0.95
SIDE_M = 3.0  # distance from the road's centre line
A_AT_JUNCTIONS = 0.8  # the other class A cameras watch main roads between junctions
JUNCTION_SETBACK_M = 12.0  # class A cameras stand this far back from the junction they watch
B_OWNERS = ["城管局", "交通运输局", "综治中心", "住建局", "教育局"]
FOV = {"A": (55, 90), "B": (60, 100), "rural": (70, 110), "private": (90, 120)}
DEVICE_TYPE = "132"  # GB/T 28181 device type of an IP camera


def build_cameras(grids: gpd.GeoDataFrame, placer: RoadPlacer, land: Landscape, counts: dict[str, int],
                  rng: np.random.Generator) -> gpd.GeoDataFrame:
    roads = placer.roads
    edges = roads.edges
    urban = shapely.contains_xy(land.urban, *shapely.get_coordinates(
        shapely.line_interpolate_point(roads.lines, 0.5, normalized=True)).T)
    road_class = edges["road_class"].to_numpy()
    usable = placer.usable & (placer.edge_cell >= 0)
    at_junctions = int(round(counts["A"] * A_AT_JUNCTIONS))
    parts = [
        _junction_cameras(placer, usable, at_junctions, rng),
        _road_cameras(placer, usable & np.isin(road_class, ["arterial", "collector"]),
                      counts["A"] - at_junctions, "A", rng),
        _road_cameras(placer, usable & urban & (road_class != "village"), counts["B"], "B", rng),
        _road_cameras(placer, usable & (road_class == "village"), counts["rural"], "rural", rng,
                      weight=np.where(edges["origin"] == "village", 3.0, 1.0)),
        _road_cameras(placer, usable & urban & (road_class == "local"), counts["private"], "private", rng),
    ]
    frame = pd.concat(parts, ignore_index=True)
    n = len(frame)
    cell = placer.locate(frame[["x", "y"]].to_numpy())
    frame["grid_code"] = np.where(cell >= 0, placer.codes[np.maximum(cell, 0)], None)
    frame["owner"] = _owners(frame, grids, rng)
    frame["name"] = _camera_names(frame, grids)
    district = frame["grid_code"].fillna(PREFECTURE_CODE + CORE_DISTRICT).str[:6]
    frame["camera_id"] = district + "0000" + DEVICE_TYPE + "0" + pd.Series(np.arange(1, n + 1)).map("{:06d}".format)
    low = frame["camera_class"].map(lambda c: FOV[c][0]).to_numpy()
    high = frame["camera_class"].map(lambda c: FOV[c][1]).to_numpy()
    frame["fov_deg"] = np.round(rng.uniform(low, high), 0)
    frame["status"] = np.where(rng.random(n) < ONLINE_SHARE, "online", "offline")
    with_credentials = frame["camera_class"].isin(["rural", "private"]).to_numpy() & (rng.random(n) < 0.3)
    host = np.where(with_credentials, CREDENTIAL_HOST, STREAM_HOST)
    frame["stream_main"] = host + "/" + frame["camera_id"] + "/main"
    frame["stream_sub"] = host + "/" + frame["camera_id"] + "/sub"
    frame["heading_deg"] = np.round(frame["heading_deg"], 1)
    geometry = shapely.points(frame.pop("x").to_numpy(), frame.pop("y").to_numpy())
    return gpd.GeoDataFrame(frame.drop(columns=["edge", "road"]), geometry=geometry, crs=METRIC_CRS)


def _junction_cameras(placer: RoadPlacer, usable: np.ndarray, count: int, rng) -> pd.DataFrame:
    """Cameras on the approaches of junctions where a main road meets another road."""
    roads = placer.roads
    edges = roads.edges
    main = usable & edges["road_class"].isin(["arterial"]).to_numpy()
    degree = roads.node_degrees()
    ends = pd.DataFrame({
        "node": np.r_[edges["u"], edges["v"]],
        "edge": np.r_[np.arange(len(edges)), np.arange(len(edges))],
        "at_start": np.r_[np.ones(len(edges), bool), np.zeros(len(edges), bool)],
    })
    ends = ends[usable[ends["edge"]]]
    on_main = np.zeros(len(roads.nodes), dtype=bool)
    on_main[edges["u"].to_numpy()[main]] = True
    on_main[edges["v"].to_numpy()[main]] = True
    ends = ends[on_main[ends["node"]] & (degree[ends["node"]] >= 3)].reset_index(drop=True)
    weight = np.where(main[ends["edge"]], 3.0, 1.0)
    chosen = rng.choice(len(ends), size=count, replace=count > len(ends), p=weight / weight.sum())
    picked = ends.iloc[chosen]
    edge = picked["edge"].to_numpy()
    setback = np.minimum(JUNCTION_SETBACK_M / np.maximum(placer.length[edge], 1e-9), 0.4)
    along = np.where(picked["at_start"], setback, 1 - setback)
    xy, _ = placer.points_on(edge, along, SIDE_M * rng.choice([-1, 1], count))
    junction = roads.nodes[picked["node"].to_numpy()]
    heading = bearing(junction - xy)
    frame = _frame(xy, heading, edge, "A", placer)
    frame["road"] = _junction_names(edges, picked["node"].to_numpy(), edge)
    return frame


def _junction_names(edges: pd.DataFrame, nodes: np.ndarray, edge: np.ndarray) -> list[str | None]:
    """"人民路与建设街交叉口": the camera's road and another road meeting it at the junction."""
    ends = pd.DataFrame({"node": np.r_[edges["u"], edges["v"]], "name": np.r_[edges["name"], edges["name"]]})
    ends = ends[ends["node"].isin(nodes)].dropna().drop_duplicates()
    names_at = ends.groupby("node")["name"].agg(list).to_dict()
    result = []
    for node, own in zip(nodes.tolist(), edges["name"].to_numpy()[edge].tolist()):
        cross = next((name for name in names_at.get(node, []) if name != own), None)
        if own and cross:
            result.append(f"{own}与{cross}交叉口")
        else:
            result.append(f"{own or cross}路口" if (own or cross) else None)
    return result


def _road_cameras(placer: RoadPlacer, allowed: np.ndarray, count: int, camera_class: str, rng,
                  weight: np.ndarray | None = None) -> pd.DataFrame:
    """Cameras beside road segments, longer segments getting more, looking along the road."""
    candidates = np.flatnonzero(allowed)
    if count == 0 or len(candidates) == 0:
        return _frame(np.empty((0, 2)), np.empty(0), np.empty(0, dtype=np.int64), camera_class, placer)
    w = placer.length[candidates] * (1.0 if weight is None else weight[candidates])
    edge = candidates[rng.choice(len(candidates), size=count, p=w / w.sum())]
    side = rng.choice([-1, 1], count)
    xy, road_bearing = placer.points_on(edge, rng.uniform(0.1, 0.9, count), SIDE_M * side)
    # Look along the road, one way or the other, turned toward it.
    heading = road_bearing + rng.choice([0.0, 180.0], count)
    heading = np.mod(heading + side * np.where(np.mod(heading - road_bearing, 360) < 90, 1, -1) * 25.0, 360)
    frame = _frame(xy, heading, edge, camera_class, placer)
    frame["road"] = placer.roads.edges["name"].to_numpy()[edge]
    return frame


def _frame(xy, heading, edge, camera_class: str, placer: RoadPlacer) -> pd.DataFrame:
    return pd.DataFrame({"x": xy[:, 0], "y": xy[:, 1], "heading_deg": heading, "edge": edge,
                         "camera_class": camera_class, "road": None})


def _owners(frame: pd.DataFrame, grids: gpd.GeoDataFrame, rng) -> np.ndarray:
    n = len(frame)
    name_of = dict(zip(grids["code"], grids["name"]))
    township = frame["grid_code"].str[:9].map(name_of).fillna(names.CITY_NAME)
    village = frame["grid_code"].str[:12].map(name_of).fillna(names.CITY_NAME)
    estates = np.array(names.street_stems(), dtype=object)[rng.integers(0, len(names.street_stems()), n)]
    private = np.where(
        rng.random(n) < 0.6,
        estates + np.array(names.ESTATE_SUFFIXES, dtype=object)[rng.integers(0, len(names.ESTATE_SUFFIXES), n)] + "物业",
        estates + np.array(names.SHOP_KINDS, dtype=object)[rng.integers(0, len(names.SHOP_KINDS), n)],
    )
    police = np.where(rng.random(n) < 0.5, names.CITY_NAME + "公安局",
                      township.map(names.short_name).to_numpy() + "派出所")
    social = names.CITY_NAME + np.array(B_OWNERS, dtype=object)[rng.integers(0, len(B_OWNERS), n)]
    camera_class = frame["camera_class"].to_numpy()
    return np.select(
        [camera_class == "A", camera_class == "B", camera_class == "rural"],
        [police, social, village.to_numpy() + "村委会"],
        private,
    )


def _camera_names(frame: pd.DataFrame, grids: gpd.GeoDataFrame) -> pd.Series:
    """Where the camera is, as a person on the phone would say it, numbered when a place has several."""
    name_of = dict(zip(grids["code"], grids["name"]))
    village = frame["grid_code"].str[:12].map(name_of).fillna(names.CITY_NAME)
    place = frame["road"].where(frame["road"].notna(), village)
    private = frame["camera_class"] == "private"
    place = place.where(~private, frame["owner"] + "门口")
    number = place.groupby(place).cumcount() + 1
    return place + number.map(lambda k: f"{k}号")


def build_checkpoints(placer: RoadPlacer, land: Landscape) -> gpd.GeoDataFrame:
    """Checkpoints where roads cross the territory's boundary and on expressway exits."""
    roads = placer.roads
    edges = roads.edges
    boundary = land.territory.exterior
    through_road = edges["road_class"].isin(["expressway", "arterial", "collector"]).to_numpy()
    crossing = np.flatnonzero(shapely.intersects(roads.lines, boundary) & through_road)
    points, names_, kinds = [], [], []
    for e in crossing.tolist():
        hit = shapely.get_coordinates(shapely.intersection(roads.lines[e], boundary))[0]
        road = edges["name"].iat[e] or "乡道"
        points.append(hit)
        names_.append(f"{road}市界卡口")
        kinds.append("boundary")
    for e in np.flatnonzero((edges["origin"] == "link").to_numpy()).tolist():
        length = placer.length[e]
        xy, _ = placer.points_on(np.array([e]), np.array([min(80.0 / length, 0.5)]))
        points.append(xy[0])
        names_.append(f"{land.town_names[edges['town'].iat[e]]}收费站卡口")
        kinds.append("expressway_exit")
    return gpd.GeoDataFrame(
        {"checkpoint_id": [f"KK{k:04d}" for k in range(1, len(points) + 1)], "name": names_, "kind": kinds},
        geometry=shapely.points(np.asarray(points).reshape(-1, 2)), crs=METRIC_CRS,
    )
