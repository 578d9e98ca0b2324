"""The road graph cache, the OSM import and the `recommend` / `isochrone` / `roads` commands."""

from __future__ import annotations

import json

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely

from data.store import Store
from gis.osmroads import coverage_problem, read_osm_roads, split_at_junctions
from gis.roadgraph import RoadGraph, cache_path
from tests.clirun import run_cli as run
from tests.gis.roadnets import Network, Unit, lonlat, units_frame

OSM = """<?xml version="1.0" encoding="UTF-8"?>
<osm version="0.6" generator="gridsight-test">
  <node id="1" lat="32.0000" lon="112.0000"/><node id="2" lat="32.0000" lon="112.0100"/>
  <node id="3" lat="32.0000" lon="112.0200"/><node id="4" lat="32.0100" lon="112.0100"/>
  <node id="5" lat="32.0100" lon="112.0200"/><node id="6" lat="32.0050" lon="112.0250"/>
  <way id="10"><nd ref="1"/><nd ref="2"/><nd ref="3"/>
    <tag k="highway" v="primary"/><tag k="name" v="Main Road"/><tag k="maxspeed" v="60"/></way>
  <way id="11"><nd ref="4"/><nd ref="2"/>
    <tag k="highway" v="residential"/><tag k="oneway" v="-1"/><tag k="bridge" v="yes"/></way>
  <way id="12"><nd ref="3"/><nd ref="6"/><nd ref="5"/><nd ref="4"/><tag k="highway" v="tertiary"/></way>
  <way id="13"><nd ref="1"/><nd ref="4"/><tag k="highway" v="footway"/></way>
</osm>
"""


@pytest.fixture(autouse=True)
def commands(monkeypatch, tmp_path):
    """A private road-graph cache."""
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))


def river_city(tmp_path, location: str | None = None):
    """A store with two river banks joined by one bridge, two grids and three units (a GeoPackage
    in tmp_path, or at `location`: a PostgreSQL database's URL)."""
    network = (Network()
               .add((0, 50), (1000, 50)).add((1000, 50), (1800, 50))
               .add((0, -50), (1800, -50)).add((1800, 50), (1800, -50)))
    path = location or tmp_path / "river.gpkg"
    north = shapely.Polygon([lonlat(x, y) for x, y in [(-100, 0), (1900, 0), (1900, 200), (-100, 200)]])
    south = shapely.Polygon([lonlat(x, y) for x, y in [(-100, 0), (1900, 0), (1900, -200), (-100, -200)]])
    units = units_frame([
        Unit("across", 200, -60, grid="S"), Unit("north", 900, 60, kind="police", grid="N"),
        Unit("own", 1000, 55, grid="N"), Unit("lost", 0, 0),
    ])
    units.loc[3, "geometry"] = None
    with Store.create(path) as store:
        store.write_layer("roads", network.frame())
        store.write_layer("responders", units)
        store.write_layer("grids", gpd.GeoDataFrame({
            "code": ["N", "S"], "name": ["North", "South"], "level": 1, "version": 1,
        }, geometry=[north, south], crs=4326))
        store.write_layer("incidents", gpd.GeoDataFrame({
            "ticket_id": ["T1"], "channel": "12345", "category": "public_order", "priority": 1,
            "reported_at": "2025-01-01T08:00:00Z", "grid_code": "N",
        }, geometry=[shapely.Point(*lonlat(200, 60))], crs=4326))
    return path


def test_recommend_json_ranks_by_road_and_notes_unplaced_responders(tmp_path, capsys, store_location):
    db = river_city(tmp_path, store_location)
    code, out, err = run(capsys, "recommend", "--db", db, "--at", *lonlat(200, 60), "--kind", "any", "--json")
    assert code == 0
    ranked = json.loads(out)
    assert [r["id"] for r in ranked] == ["north", "own", "across"]
    assert set(ranked[0]) == {"id", "name", "kind", "grid", "eta_s", "distance_m", "by"} and ranked[0]["by"] == "road"
    assert ranked[0]["distance_m"] == pytest.approx(10 + 700 + 10, abs=0.1)
    assert "1 responder(s) without a position" in err


def test_recommend_for_a_ticket_uses_its_category_and_grid(tmp_path, capsys, store_location):
    db = river_city(tmp_path, store_location)
    code, out, _ = run(capsys, "recommend", "--db", db, "--incident", "T1", "--json", "--routes")
    ranked = json.loads(out)
    assert code == 0 and [r["id"] for r in ranked] == ["north"]  # public order: police only
    assert ranked[0]["route"]["type"] == "LineString"
    _, out, _ = run(capsys, "recommend", "--db", db, "--incident", "T1", "--category", "hazard", "--json")
    assert [r["id"] for r in json.loads(out)] == ["own", "across"]


@pytest.mark.parametrize("argv, message", [
    (["--incident", "NOPE"], "no incident with ticket id 'NOPE'"),
    (["--at", "112.9", "32.9"], "outside the road network"),
    (["--at", "abc", "32"], "longitude 'abc' is not a number"),
    (["--at", "112", "32", "--k", "0"], "--k must be at least 1"),
])
def test_recommend_bad_input_is_one_clear_line(tmp_path, capsys, argv, message):
    code, out, err = run(capsys, "recommend", "--db", river_city(tmp_path), *argv)
    assert code == 2 and out == "" and message in err and len(err.strip().splitlines()) == 1


def test_empty_roads_layer_is_a_clear_error(tmp_path, capsys):
    db = tmp_path / "empty.gpkg"
    Store.create(db).close()
    code, _, err = run(capsys, "isochrone", "--db", db, "--at", "112", "32", "--out", tmp_path / "x.geojson")
    assert code == 2 and "has no roads" in err


def test_isochrone_and_coverage_files(tmp_path, capsys):
    db = river_city(tmp_path)
    out_file = tmp_path / "iso.geojson"
    code, _, _ = run(capsys, "isochrone", "--db", db, "--at", *lonlat(200, 60), "--minutes", "1", "3", "--trim", "30",
                     "--out", out_file)
    features = json.loads(out_file.read_text())["features"]
    assert code == 0 and [f["properties"]["minutes"] for f in features] == [3.0, 1.0]
    one = shapely.geometry.shape(features[1]["geometry"])
    assert one.contains(shapely.Point(*lonlat(700, 50))) and not one.contains(shapely.Point(*lonlat(200, -50)))

    code, out, _ = run(capsys, "isochrone", "--db", db, "--coverage", "--grid", "S", "--minutes", "1",
                       "--kind", "grid_worker", "--out", out_file, "--json")
    (band,) = json.loads(out)["bands"]
    assert code == 0 and band["units"] == 2 and 0.2 < band["uncovered_share"] < 0.9


def test_graph_cache_is_used_until_the_roads_change(tmp_path, monkeypatch, store_location):
    db = river_city(tmp_path, store_location)
    with Store.open(db) as store:
        built = RoadGraph.from_store(store, tmp_path / "c")
        assert cache_path(db, tmp_path / "c").is_file()
        read_layer = store.read_layer
        monkeypatch.setattr(store, "read_layer", lambda *a, **k: pytest.fail("the cache was not used"))
        cached = RoadGraph.from_store(store, tmp_path / "c")
        assert np.array_equal(cached.seg_from, built.seg_from) and cached.edge_count == built.edge_count
        monkeypatch.setattr(store, "read_layer", read_layer)
        store.write_layer("roads", Network().add((0, 0), (500, 0)).frame(), mode="replace")
        assert RoadGraph.from_store(store, tmp_path / "c").segment_count == 1


def test_two_server_stores_never_share_a_road_graph_cache(tmp_path, pg_url, pg_cluster):
    other = pg_cluster.url(pg_cluster.new_database())
    try:
        with Store.open(river_city(tmp_path, pg_url)) as first, Store.create(other) as second:
            second.write_layer("roads", Network().add((0, 0), (500, 0)).frame())
            assert RoadGraph.from_store(first, tmp_path / "c").segment_count == 4
            assert RoadGraph.from_store(second, tmp_path / "c").segment_count == 1
            assert cache_path(first.location, tmp_path / "c") != cache_path(second.location, tmp_path / "c")
            assert len(list((tmp_path / "c").iterdir())) == 2
    finally:
        pg_cluster.drop_database(other.rsplit("/", 1)[1])


def test_split_at_junctions_cuts_ways_where_they_meet():
    a = shapely.LineString([(0, 0), (1, 0), (2, 0), (3, 0)])
    b = shapely.LineString([(2, -1), (2, 0), (2, 1)])
    pieces, source = split_at_junctions(np.array([a, b]))
    assert sorted(map(str, pieces)) == sorted([
        "LINESTRING (0 0, 1 0, 2 0)", "LINESTRING (2 0, 3 0)", "LINESTRING (2 -1, 2 0)", "LINESTRING (2 0, 2 1)",
    ])
    assert sorted(source.tolist()) == [0, 0, 1, 1]


def test_osm_import_builds_a_routable_network(tmp_path, capsys):
    osm = tmp_path / "town.osm"
    osm.write_text(OSM, encoding="utf-8")
    roads = read_osm_roads(osm)
    assert len(roads) == 4  # the primary is cut where the residential joins it; no footway
    assert roads["road_class"].value_counts().to_dict() == {"arterial": 2, "collector": 1, "local": 1}
    residential = roads[roads["road_class"] == "local"].iloc[0]
    assert residential["oneway"] == 1 and residential["bridge"] == 1
    assert shapely.get_coordinates(residential.geometry)[0].tolist() == [112.01, 32.0]  # oneway=-1 reversed
    assert set(roads.loc[roads["road_class"] == "arterial", "speed_kph"]) == {60.0}

    db = tmp_path / "town.gpkg"
    Store.create(db).close()
    assert run(capsys, "roads", "import", osm, "--db", db)[0] == 0
    code, _, err = run(capsys, "roads", "import", osm, "--db", db)
    assert code == 2 and "use --replace" in err
    assert run(capsys, "roads", "import", osm, "--db", db, "--replace")[0] == 0
    code, out, _ = run(capsys, "roads", "info", "--db", db, "--json")
    info = json.loads(out)
    assert code == 0 and info["segments"] == 4 and info["nodes"] == 4 and info["nodes_outside_main_component"] == 0


def test_osm_import_keeps_the_police_coverage_for_the_consoles_next_start(tmp_path, capsys, kept_coverage):
    osm = tmp_path / "town.osm"
    osm.write_text(OSM, encoding="utf-8")
    db = tmp_path / "town.gpkg"
    police = units_frame([Unit("p1", 0, 0, kind="police")])
    with Store.create(db) as store:
        store.write_layer("responders", police.set_geometry([shapely.Point(112.005, 32.0001)], crs=4326))
        store.write_layer("grids", gpd.GeoDataFrame({"code": ["T"], "name": ["Town"], "level": 1, "version": 1},
                                                    geometry=[shapely.box(111.995, 31.995, 112.03, 32.015)], crs=4326))
    code, out, _ = run(capsys, "roads", "import", osm, "--db", db, "--json")
    assert code == 0 and json.loads(out)["coverage_kept"] is True
    reached = kept_coverage(db)
    assert reached and max(reached) > 0


def test_osm_import_into_a_store_without_grids_has_no_coverage_to_keep(tmp_path, capsys):
    osm = tmp_path / "town.osm"
    osm.write_text(OSM, encoding="utf-8")
    db = tmp_path / "town.gpkg"
    Store.create(db).close()
    code, out, _ = run(capsys, "roads", "import", osm, "--db", db, "--json")
    assert code == 0 and json.loads(out)["coverage_kept"] is False
    code, out, _ = run(capsys, "roads", "import", osm, "--db", db, "--replace")
    assert code == 0 and "police coverage" not in out


@pytest.mark.parametrize("content, message", [
    ("not xml at all", "cannot read"),
    ("<osm version='0.6'></osm>", "has no drivable roads"),
])
def test_osm_import_bad_files(tmp_path, capsys, content, message):
    osm = tmp_path / "bad.osm"
    osm.write_text(content, encoding="utf-8")
    db = tmp_path / "s.gpkg"
    Store.create(db).close()
    code, _, err = run(capsys, "roads", "import", osm, "--db", db)
    assert code == 2 and message in err


def lattice_grids(cols: int = 10, rows: int = 10) -> gpd.GeoDataFrame:
    """Grids of 0.01° (about 1 km) from 112.0, 32.0: the town's roads reach only their south-west corner."""
    cells = [shapely.box(112 + c / 100, 32 + r / 100, 112 + (c + 1) / 100, 32 + (r + 1) / 100)
             for r in range(rows) for c in range(cols)]
    return gpd.GeoDataFrame({"code": [f"G{i:03d}" for i in range(len(cells))], "name": "grid", "level": 1,
                             "version": 1}, geometry=cells, crs=4326)


def test_coverage_problem_names_roads_of_another_place_and_roads_that_serve_too_few_grids(tmp_path):
    osm = tmp_path / "town.osm"
    osm.write_text(OSM, encoding="utf-8")
    roads = read_osm_roads(osm)
    town = lattice_grids(3, 2)
    assert coverage_problem(roads, town) is None
    assert coverage_problem(roads, town.iloc[:0]) is None  # no grids yet: nothing to compare
    far = roads.set_geometry(shapely.transform(roads.geometry.array, lambda xy: xy - [25, 0]))  # to Xinjiang
    apart_km = shapely.distance(shapely.box(*far.total_bounds), shapely.box(*town.total_bounds)) * 111.195
    assert apart_km > 2000
    assert coverage_problem(far, town) == (
        f"the roads (around 87.013,32.005) lie {apart_km:,.0f} km from the grids (around 112.015,32.010): "
        "an extract of another place?")
    city = lattice_grids()
    within_deg = 500 / (111_195 * np.cos(np.radians(32.05)))  # 500 m along the city's middle parallel
    served = sum(shapely.distance(cell, roads.geometry.array).min() <= within_deg for cell in city.geometry)
    assert 0 < served < 50
    problem = coverage_problem(roads, city)
    assert problem.startswith(f"roads pass within 500 m of only {served} of 100 grids ({served}%)")
    # Only the deepest level counts: a township covering the whole city does not hide the gap.
    township = gpd.GeoDataFrame({"code": ["T"], "name": "t", "level": 1, "version": 1},
                                geometry=[shapely.box(*city.total_bounds)], crs=4326)
    levels = gpd.GeoDataFrame(pd.concat([township, city.assign(level=2)], ignore_index=True), crs=4326)
    assert coverage_problem(roads, levels) == problem


def test_roads_import_that_misses_the_territory_is_refused_unless_forced(tmp_path, capsys):
    osm = tmp_path / "elsewhere.osm"
    osm.write_text(OSM.replace('lon="112.', 'lon="87.'), encoding="utf-8")
    db = tmp_path / "city.gpkg"
    with Store.create(db) as store:
        store.write_layer("grids", lattice_grids(3, 2))
    code, out, err = run(capsys, "roads", "import", osm, "--db", db)
    assert code == 1 and out == ""
    assert err.startswith("gridsight: roads import refused: the roads (around 87.013,32.005) lie ")
    assert "km from the grids" in err and "--force" in err and len(err.strip().splitlines()) == 1
    with Store.open(db) as store:
        assert store.count("roads") == 0
    assert run(capsys, "roads", "import", osm, "--db", db, "--force")[0] == 0
    with Store.open(db) as store:
        assert store.count("roads") == 4
