"""The demo city: sizes, determinism, topology of grids and roads, and consistent tickets."""

from __future__ import annotations

import json
import re

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import connected_components

from console.cli import main
from data.demo import DemoError, build_demo_city, generate_city
from data.demo.clock import reference_time
from data.demo.geometry import METRIC_CRS
from data.demo.names import chinese_number
from data.schema import LAYERS, TABLES
from data.store import Store
from data.workflow.sla import SlaPolicy
from data.workflow.states import TRANSITIONS
from data.centre import read_centre
from data.demo.names import CITY_NAME
from data.demo.responders import DEPARTMENTS
from gis.topology import validate

SEED = 7


@pytest.fixture(scope="module")
def city_path(tmp_path_factory):
    path = tmp_path_factory.mktemp("demo") / "small.gpkg"
    build_demo_city(path, "small", seed=SEED)
    return path


@pytest.fixture(scope="module")
def city(city_path):
    """Every layer and table as read back from the store."""
    with Store.open(city_path) as store:
        layers = {name: store.read_layer(name) for name in LAYERS}
        tables = {name: store.read_table(name) for name in TABLES}
    return {**layers, **tables}


@pytest.fixture(scope="module")
def metric(city):
    """The spatial layers in the generator's metric frame, to measure in metres."""
    return {name: city[name].to_crs(METRIC_CRS) for name in LAYERS}


def test_small_city_has_the_expected_sizes(city):
    level = city["grids"]["level"].value_counts()
    assert 2 <= level[1] <= 5
    assert 20 <= level[2] <= 50
    assert 100 <= level[3] <= 250
    assert 1_500 <= len(city["roads"]) <= 6_000
    assert 350 <= len(city["responders"]) <= 700
    assert len(city["cameras"]) == 300
    assert len(city["tickets"]) == len(city["incidents"]) == 2_000
    assert len(city["ticket_timeline"]) > 4 * len(city["tickets"])
    assert len(city["checkpoints"]) >= 3
    assert len(city["patrol_routes"]) >= 3
    assert set(city["water"]["kind"]) == {"river", "lake"}
    assert city["audit_log"].empty


def test_city_sits_in_china_in_lon_lat(city):
    minx, miny, maxx, maxy = city["grids"].total_bounds
    assert 111.5 < minx < maxx < 112.7 and 31.5 < miny < maxy < 32.5


def test_same_seed_builds_an_identical_store(city, tmp_path):
    again = tmp_path / "again.gpkg"
    build_demo_city(again, "small", seed=SEED)
    with Store.open(again) as store:
        for name in LAYERS:
            other = store.read_layer(name)
            pd.testing.assert_frame_equal(other.drop(columns="geometry"), city[name].drop(columns="geometry"))
            assert shapely.to_wkb(other.geometry.values).tolist() == shapely.to_wkb(city[name].geometry.values).tolist()
        for name in TABLES:
            # Only when a kept result was computed may differ.
            made_at = ["made_at"] if name == "derived_cache" else []
            pd.testing.assert_frame_equal(store.read_table(name).drop(columns=made_at), city[name].drop(columns=made_at))


def test_the_built_city_keeps_its_police_coverage_for_the_consoles_first_start(city_path, kept_coverage):
    reached = kept_coverage(city_path)
    assert reached and max(reached) > 0


def test_another_seed_builds_another_city(city):
    other = generate_city("small", seed=SEED + 1)
    wkb = shapely.to_wkb(other.layers["roads"].geometry.values).tolist()
    assert wkb != shapely.to_wkb(city["roads"].geometry.values).tolist()
    assert set(other.layers["grids"]["name"]) != set(city["grids"]["name"])


def test_bad_scale_and_seed_are_refused(tmp_path):
    with pytest.raises(DemoError, match="unknown scale"):
        generate_city("huge", seed=1)
    with pytest.raises(DemoError, match="seed"):
        generate_city("small", seed=-1)


def test_grid_codes_follow_the_hierarchy(city):
    grids = city["grids"]
    code_level = dict(zip(grids["code"], grids["level"]))
    assert grids["code"].is_unique
    for code, level, parent in zip(grids["code"], grids["level"], grids["parent_code"]):
        assert re.fullmatch(r"\d+", code) and len(code) == 9 + 3 * (level - 1)
        if level == 1:
            assert pd.isna(parent) and code.startswith("4206")
        else:
            assert code.startswith(parent) and code_level[parent] == level - 1


def test_grid_names_are_chinese_and_say_their_level(city):
    grids = city["grids"]
    names = dict(zip(grids["level"], grids["name"]))  # one example per level
    assert re.search(r"(街道|镇|乡)$", names[1]) and re.search(r"(村|社区)$", names[2])
    for name, parent in zip(grids.loc[grids["level"] == 3, "name"], grids.loc[grids["level"] == 3, "parent_code"]):
        parent_name = grids.loc[grids["code"] == parent, "name"].item()
        assert re.fullmatch(re.escape(parent_name) + r"第[一二三四五六七八九十]+网格", name)


def test_chinese_numbers():
    assert [chinese_number(n) for n in (1, 10, 12, 20, 99)] == ["一", "十", "十二", "二十", "九十九"]


def test_children_tile_their_parent(metric):
    grids = metric["grids"]
    for level in (1, 2):
        for parent in grids[grids["level"] == level].itertuples():
            children = grids.geometry.values[(grids["parent_code"] == parent.code).to_numpy()]
            union = shapely.union_all(children)
            assert shapely.area(shapely.symmetric_difference(union, parent.geometry)) < 0.01, parent.code
            assert abs(shapely.area(children).sum() - union.area) < 0.01, parent.code  # siblings don't overlap
    townships = grids.geometry.values[(grids["level"] == 1).to_numpy()]
    territory = shapely.union_all(townships)
    assert abs(shapely.area(townships).sum() - territory.area) < 0.01
    assert territory.geom_type == "Polygon" and not territory.interiors


def test_grids_pass_the_products_topology_rules(city):
    assert validate(city["grids"], tolerance_m2=0.01) == []


def test_households_add_up(city):
    grids = city["grids"]
    cells = grids[grids["level"] == 3]
    assert 250 <= cells["households"].mean() <= 550
    assert cells["households"].min() > 0
    for level in (1, 2):
        totals = grids[grids["level"] == level + 1].groupby("parent_code")["households"].sum()
        rows = grids[grids["level"] == level]
        assert (rows["households"].to_numpy() == rows["code"].map(totals).to_numpy()).all()


def _endpoint_graph(roads: gpd.GeoDataFrame):
    """Node ids by exact endpoint coordinates, as a routing graph would build them."""
    ends = shapely.get_coordinates(np.r_[shapely.get_point(roads.geometry.values, 0),
                                         shapely.get_point(roads.geometry.values, -1)])
    _, node = np.unique(ends, axis=0, return_inverse=True)
    n = len(roads)
    return node[:n], node[n:]


def test_roads_form_one_network_plus_the_island(city):
    roads = city["roads"]
    u, v = _endpoint_graph(roads)
    size = max(u.max(), v.max()) + 1
    _, label = connected_components(coo_matrix((np.ones(len(u)), (u, v)), shape=(size, size)), directed=False)
    main_label = np.bincount(label[u]).argmax()
    cut_off = roads[label[u] != main_label]
    assert len(cut_off) >= 3 and set(cut_off["name"]) == {"环岛路"}


def test_roads_meet_only_at_shared_junctions(city):
    """Apart from grade-separated expressways, two segments touch only at a common endpoint."""
    roads = city["roads"]
    lines = roads.geometry.values
    u, v = _endpoint_graph(roads)
    i, j = shapely.STRtree(lines).query(lines, predicate="intersects")
    expressway = (roads["road_class"] == "expressway").to_numpy()
    keep = (i < j) & ~expressway[i] & ~expressway[j]
    i, j = i[keep], j[keep]
    shared = (u[i] == u[j]) | (u[i] == v[j]) | (v[i] == u[j]) | (v[i] == v[j])
    assert shared.all()


def test_road_classes_speeds_and_one_way_streets(city):
    roads = city["roads"]
    speeds = roads.groupby("road_class")["speed_kph"].unique()
    assert {c: list(s) for c, s in speeds.items()} == {
        "arterial": [60.0], "collector": [40.0], "expressway": [100.0], "local": [30.0], "village": [25.0]}
    one_way = roads[roads["oneway"] == 1]
    assert len(one_way) > 10 and set(one_way["road_class"]) == {"local"}
    assert set(roads["oneway"]) == {0, 1} and set(roads["bridge"]) == {0, 1}


def test_river_is_crossed_only_on_a_few_bridges(metric):
    roads, water = metric["roads"], metric["water"]
    river = water.loc[water["kind"] == "river"].geometry.item()
    crossing = roads[roads.intersects(river)]
    assert 2 <= len(crossing) <= 15
    assert (crossing["bridge"] == 1).all()
    lakes = shapely.union_all(water.loc[water["kind"] == "lake"].geometry.values)
    assert not roads.intersects(lakes).any()


def _distance_to_roads(points: gpd.GeoSeries, roads: gpd.GeoDataFrame) -> np.ndarray:
    _, distance = shapely.STRtree(roads.geometry.values).query_nearest(
        points.values, return_distance=True, all_matches=False)
    return distance


def test_responders_stand_on_roads_and_cameras_beside_them(metric):
    assert _distance_to_roads(metric["responders"].geometry, metric["roads"]).max() < 0.01
    assert _distance_to_roads(metric["cameras"].geometry, metric["roads"]).max() < 5.0
    assert _distance_to_roads(metric["checkpoints"].geometry, metric["roads"]).max() < 0.01


def test_cameras_face_their_road(metric):
    cameras, roads = metric["cameras"], metric["roads"]
    nearest = shapely.STRtree(roads.geometry.values).query_nearest(cameras.geometry.values, all_matches=False)[1]
    toward = shapely.get_coordinates(shapely.shortest_line(cameras.geometry.values, roads.geometry.values[nearest]))
    dx, dy = (toward[1::2] - toward[::2]).T
    to_road = np.degrees(np.arctan2(dx, dy))
    turn = np.abs((cameras["heading_deg"].to_numpy() - to_road + 180) % 360 - 180)
    assert (turn < 90).all()


def test_every_grid_has_a_chief_and_members(city):
    grids, responders = city["grids"], city["responders"]
    workers = responders[responders["kind"] == "grid_worker"]
    cells = grids[grids["level"] == 3]
    per_grid = workers.groupby("grid_code")["role"].value_counts().unstack(fill_value=0)
    assert (per_grid.loc[cells["code"], "grid_chief"] == 1).all()
    assert per_grid.loc[cells["code"], "grid_member"].between(1, 3).all()
    chief_of = dict(zip(workers.loc[workers["role"] == "grid_chief", "grid_code"],
                        workers.loc[workers["role"] == "grid_chief", "responder_id"]))
    assert (cells["chief_id"] == cells["code"].map(chief_of)).all()


def test_police_and_department_teams_in_every_township(city):
    responders = city["responders"]
    townships = set(city["grids"].loc[city["grids"]["level"] == 1, "code"])
    for role in ("police_station", "patrol_car", "team"):
        assert set(responders.loc[responders["role"] == role, "grid_code"]) == townships
    assert set(responders["status"]) == {"on_duty", "busy", "off"}
    assert (responders["status"] == "on_duty").mean() > 0.6
    assert responders["phone"].str.fullmatch(r"10\d-\d{4}-\d{4}").all()
    assert responders["phone"].is_unique and responders["responder_id"].is_unique


def test_the_demo_names_its_centre_and_the_departments_its_teams_belong_to(city, city_path):
    with Store.open(city_path) as store:
        centre = read_centre(store)
    assert (centre.name, centre.timezone) == (CITY_NAME, "Asia/Shanghai")
    departments = city["departments"]
    assert departments["department_id"].tolist() == list(DEPARTMENTS)
    assert departments["name"].str.endswith("局").all() and (departments["report_hours"] > 0).all()


def test_cameras_have_classes_owners_and_streams(city):
    cameras = city["cameras"]
    assert set(cameras["camera_class"]) == {"A", "B", "rural", "private"}
    assert cameras["camera_id"].str.fullmatch(r"\d{20}").all() and cameras["camera_id"].is_unique
    assert 0.85 < (cameras["status"] == "online").mean() < 1.0
    assert cameras["stream_main"].str.fullmatch(r"rtsp://(admin:demo@)?127\.0\.0\.1:8554/cam/\d{20}/main").all()
    assert (cameras["stream_sub"] == cameras["stream_main"].str.replace("/main", "/sub")).all()
    assert cameras["heading_deg"].between(0, 360).all() and cameras["fov_deg"].between(30, 180).all()
    rural = cameras[cameras["camera_class"] == "rural"]
    assert rural["owner"].str.endswith("村委会").all()
    junction = cameras[cameras["camera_class"] == "A"]
    assert junction["name"].str.contains("交叉口").mean() > 0.5


def test_patrol_routes_follow_roads(city):
    road_points = {tuple(p) for p in shapely.get_coordinates(city["roads"].geometry.values)}
    routes = city["patrol_routes"]
    assert all(tuple(p) in road_points for p in shapely.get_coordinates(routes.geometry.values))
    assert routes["unit_id"].isin(city["responders"]["responder_id"]).all()


def test_incidents_lie_in_their_grid(city):
    incidents = city["incidents"]
    cells = city["grids"][city["grids"]["level"] == 3].set_index("code")
    sample = incidents.sample(200, random_state=1)
    shapes = cells.geometry.reindex(sample["grid_code"]).values
    assert shapely.covers(shapes, sample.geometry.values).all()


def test_ticket_history_is_consistent(city):
    tickets, timeline, incidents = city["tickets"], city["ticket_timeline"], city["incidents"]
    assert tickets["ticket_id"].str.fullmatch(r"T\d{8}-\d{6}").all()
    assert (tickets["ticket_id"] == incidents["ticket_id"]).all()
    now = str(reference_time(SEED)) + "Z"
    assert incidents["reported_at"].max() < now
    assert incidents["reported_at"].min() > str(reference_time(SEED) - np.timedelta64(366, "D"))
    assert set(incidents["channel"]) == {"12345", "110", "12348", "grid_report", "walk_in", "camera_alert"}
    assert incidents["priority"].between(1, 4).all()

    # Each ticket's history runs forward in time, starts at its report and ends in its state.
    timeline = timeline.sort_values("fid")
    assert (timeline.groupby("ticket_id", sort=False)["at"].apply(lambda at: at.is_monotonic_increasing)).all()
    first = timeline.groupby("ticket_id").first()
    last = timeline.groupby("ticket_id").last()
    assert (first["state"] == "received").all()
    assert (first.loc[incidents["ticket_id"], "at"].to_numpy() == incidents["reported_at"].to_numpy()).all()
    by_id = tickets.set_index("ticket_id")
    assert (last["state"] == by_id.loc[last.index, "state"]).all()
    assert (timeline.groupby("ticket_id").size() == by_id.loc[last.index, "version"]).all()
    assert timeline["at"].max() < now and timeline["by"].notna().all()

    closed = tickets["state"] == "closed"
    assert closed.mean() > 0.9 and (~closed).any()
    assert tickets.loc[closed, "closed_at"].notna().all() and tickets.loc[~closed, "closed_at"].isna().all()
    assert tickets.loc[~closed, "rating"].isna().all() and tickets["rating"].dropna().between(1, 5).all()
    assert (tickets["deadline"] > incidents["reported_at"]).all()
    dispatched = set(timeline.loc[timeline["state"].isin(["dispatched", "transferred"]), "ticket_id"])
    assert tickets.loc[tickets["ticket_id"].isin(dispatched), "lead_id"].notna().all()


def test_every_state_change_is_one_the_workflow_allows(city):
    timeline = city["ticket_timeline"].sort_values("fid")
    same_ticket = timeline["ticket_id"].to_numpy()[1:] == timeline["ticket_id"].to_numpy()[:-1]
    steps = set(zip(timeline["state"].to_numpy()[:-1][same_ticket], timeline["state"].to_numpy()[1:][same_ticket]))
    assert {(a, b) for a, b in steps if b not in TRANSITIONS[a]} == set()
    assert {"transferred", "returned", "reopened", "escalated", "merged"} <= set(timeline["state"])


def test_ticket_workflow_fields(city):
    tickets, incidents = city["tickets"], city["incidents"]
    policy = SlaPolicy.load()
    reported = pd.to_datetime(incidents["reported_at"])
    hours = (pd.to_datetime(tickets["deadline"]) - reported).dt.total_seconds() / 3600
    expected = [policy.allowed_hours(c, p) for c, p in zip(incidents["category"], incidents["priority"])]
    assert np.allclose(hours, expected)

    merged = tickets["state"] == "merged"
    assert merged.any() and tickets.loc[merged, "merged_into"].notna().all()
    assert tickets.loc[~merged, "merged_into"].isna().all()
    assert (tickets.loc[merged, "merged_into"] < tickets.loc[merged, "ticket_id"]).all()  # an earlier ticket
    timeline = city["ticket_timeline"]
    transferred = set(timeline.loc[timeline["state"] == "transferred", "ticket_id"])
    departments = tickets.set_index("ticket_id")["department"]
    assert departments.loc[sorted(transferred)].notna().all()
    assert departments.drop(sorted(transferred)).isna().all()
    assert set(tickets["warning_level"]) <= {0, 1, 2, 3} and (tickets["warning_level"] == 3).any()
    escalated = set(timeline.loc[timeline["state"] == "escalated", "ticket_id"])
    assert (tickets.set_index("ticket_id").loc[sorted(escalated), "escalation_level"] >= 1).all()
    disputes = tickets[(incidents["category"] == "dispute") & tickets["state"].isin(["resolved", "closed"])]
    assert set(disputes["mediation_outcome"]) <= {"mediated", "referred", "failed"}
    assert (disputes["mediation_outcome"] == "mediated").mean() > 0.8


def test_ticket_ids_count_per_beijing_day(city):
    incidents = city["incidents"]
    local = pd.to_datetime(incidents["reported_at"]).dt.tz_convert("Asia/Shanghai").dt.strftime("%Y%m%d")
    assert (incidents["ticket_id"].str[1:9] == local).all()
    serial = incidents["ticket_id"].str[10:].astype(int)
    assert (serial == serial.groupby(local).cumcount() + 1).all()


def test_cli_refuses_to_overwrite_and_builds_with_force(tmp_path, capsys, city):
    out = tmp_path / "city.gpkg"
    out.write_bytes(b"not a store")
    assert main(["demo", "build", "--seed", str(SEED), "--out", str(out)]) == 2
    assert "already exists" in capsys.readouterr().err
    assert out.read_bytes() == b"not a store"

    assert main(["demo", "build", "--seed", str(SEED), "--out", str(out), "--force", "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["counts"]["tickets"] == len(city["tickets"])
    assert report["counts"]["roads"] == len(city["roads"])
    with Store.open(out) as store:
        assert store.count("grids") == len(city["grids"])
    assert not list(tmp_path.glob(".*partial*"))


@pytest.mark.parametrize("argv, message", [
    (["--seed", "abc"], "not a whole number"),
    (["--seed", "-3"], ">= 0"),
    (["--out", "city.txt"], ".gpkg"),
])
def test_cli_rejects_bad_arguments(tmp_path, capsys, argv, message):
    args = ["demo", "build", "--out", str(tmp_path / "x.gpkg"), *argv]
    assert main(args) == 2
    error = capsys.readouterr().err
    assert message in error and error.count("\n") == 1


def test_the_demo_opens_on_a_live_shift_with_tickets_waiting_for_dispatch(city):
    incidents, tickets = city["incidents"], city["tickets"]
    now = pd.Timestamp(str(reference_time(SEED)) + "Z")
    last_two_hours = pd.to_datetime(incidents["reported_at"]) >= now - pd.Timedelta(hours=2)
    assert last_two_hours.sum() >= 20
    waiting = tickets.loc[last_two_hours.to_numpy(), "state"]
    assert (waiting == "registered").any()
    assert waiting.isin(["dispatched", "accepted", "on_site"]).any()


def test_campaigns_cover_parts_of_the_territory_two_running_now(city, metric):
    campaigns = city["campaigns"]
    now = pd.Timestamp(reference_time(SEED)).tz_localize("UTC")
    starts = pd.to_datetime(campaigns["starts_at"], utc=True)
    ends = pd.to_datetime(campaigns["ends_at"], utc=True)
    running = campaigns.loc[(starts <= now) & (now < ends), "campaign_id"].tolist()
    assert running == ["C-FLOOD", "C-KEYPLACE"]
    assert (ends[campaigns["campaign_id"] == "C-SPRING"] < now).all()
    territory = metric["grids"].loc[metric["grids"]["level"] == 1].union_all()
    for area in metric["campaigns"].geometry:
        assert area.is_valid and 0 < area.area < territory.area
        assert area.difference(territory).area < 1.0  # m²: inside the territory
    # The key-place campaign sits where the last month's incidents concentrate.
    keyplace = metric["campaigns"].set_index("campaign_id").geometry["C-KEYPLACE"]
    incidents = metric["incidents"]
    recent = pd.to_datetime(incidents["reported_at"], utc=True) >= now - pd.Timedelta(days=30)
    inside = incidents[recent].within(keyplace).mean()
    assert inside > keyplace.area / territory.area * 3
