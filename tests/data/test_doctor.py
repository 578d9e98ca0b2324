"""data.doctor: each gap of a store is found once, with its counts and the command that fixes it."""

from __future__ import annotations

import shlex
import shutil
from datetime import datetime, timedelta, timezone
from pathlib import Path

import geopandas as gpd
import pytest
import shapely

from data.centre import write_centre
from data.doctor import CODES, POSITION_STALE, examine
from data.store import Store
from data.workflow.clock import iso
from tests.backends import server_template
from tests.data.backends import BACKENDS

NOW = datetime(2026, 7, 1, 8, 0, tzinfo=timezone.utc)
DEMO = Path(__file__).resolve().parents[2] / "demo" / "small.gpkg"
LEAVES = ("G1", "G2", "G3")


def _frame(rows: dict, geometry) -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame(rows, geometry=geometry, crs=4326)


def _complete_store(path):
    """A small store that lacks nothing: every grid staffed, police seen a minute ago, cameras streaming."""
    cells = [shapely.box(114 + i * 0.01, 30, 114.01 + i * 0.01, 30.01) for i in range(len(LEAVES))]
    with Store.create(path) as store, store.transaction() as tx:
        tx.write_layer("grids", _frame(
            {"code": ["T", *LEAVES], "name": ["街道", "一", "二", "三"], "level": [1, 2, 2, 2],
             "parent_code": [None, "T", "T", "T"], "version": 1},
            [shapely.union_all(cells), *cells]))
        tx.write_layer("roads", _frame({"road_class": ["local"], "speed_kph": [20.0], "oneway": 0, "bridge": 0},
                                       [shapely.LineString([(114, 30.005), (114.03, 30.005)])]))
        tx.write_layer("responders", _frame(
            {"responder_id": ["W1", "W2", "W3", "P1", "P2"], "name": ["甲", "乙", "丙", "巡逻一", "巡逻二"],
             "kind": ["grid_worker"] * 3 + ["police"] * 2, "role": ["grid_chief"] * 3 + ["patrol_car"] * 2,
             "grid_code": [*LEAVES, "G1", "G2"], "status": ["on_duty"] * 3 + ["on_duty", "busy"],
             "position_at": iso(NOW - timedelta(minutes=1)), "position_source": "fix"},
            shapely.points([(114.005 + i * 0.005, 30.005) for i in range(5)])))
        tx.write_layer("cameras", _frame(
            {"camera_id": ["C1", "C2"], "name": ["路口一", "路口二"], "camera_class": "A", "status": "online",
             "stream_main": ["rtsp://10.0.0.1/1", None], "stream_sub": [None, "rtsp://10.0.0.1/2"],
             "grid_code": ["G1", "G3"]},
            shapely.points([(114.005, 30.006), (114.025, 30.006)])))
        tx.write_layer("departments", _frame({"department_id": ["water"], "name": ["水务局"]},
                                             shapely.points([(114.01, 30.002)])))
        write_centre(tx, "示范中心")
    return path


@pytest.fixture(scope="module")
def complete(tmp_path_factory) -> Path:
    return _complete_store(tmp_path_factory.mktemp("doctor") / "complete.gpkg")


@pytest.fixture(scope="module")
def complete_server(pg_cluster):
    """The complete store on the server, for tests to clone."""
    with server_template(pg_cluster, _complete_store) as name:
        yield name


@pytest.fixture(params=BACKENDS)
def changed(request, complete, tmp_path):
    """A copy of the complete store, changed by SQL statements; on each backend (on PostgreSQL a
    clone of the complete store in a new database)."""
    made = []

    def change(*statements: str) -> Store:
        if request.param == "geopackage":
            path = tmp_path / "changed.gpkg"
            shutil.copy(complete, path)
        else:
            cluster = request.getfixturevalue("pg_cluster")
            made.append(cluster.new_database(template=request.getfixturevalue("complete_server")))
            path = cluster.url(made[-1])
        store = Store.open(path)
        with store.transaction() as tx:
            for statement in statements:
                tx.execute(statement)
        return store

    yield change
    for name in made:
        request.getfixturevalue("pg_cluster").drop_database(name)


def _codes(findings) -> dict[str, tuple]:
    assert {f.code for f in findings} <= set(CODES)  # the documented codes only
    return {f.code: (f.severity, f.count, f.total) for f in findings}


def test_a_complete_store_has_no_findings(complete):
    with Store.open(complete) as store:
        assert examine(store, NOW) == []


def test_an_empty_store_cannot_dispatch_and_says_what_to_import_first(tmp_path):
    path = tmp_path / "empty store.gpkg"
    with Store.create(path) as store:
        findings = examine(store, NOW)
    assert [(f.severity, f.code) for f in findings] == [
        ("error", "no_grids"), ("error", "no_responders"), ("warning", "no_roads"), ("warning", "no_cameras"),
        ("warning", "no_departments"), ("note", "no_centre_name")]
    fixes = {f.code: f.fix for f in findings}
    # The fix names this store, quoted for a shell.
    assert fixes["no_roads"] == f"gridsight roads import FILE.osm.pbf --db '{path}'"
    assert fixes["no_grids"] == f"gridsight grids import FILE --db '{path}'"


def test_on_postgresql_the_fixes_name_the_url_without_its_password(pg_url):
    with Store.create(pg_url.replace("postgres@", "postgres:s3cret@")) as store:
        fixes = [f.fix for f in examine(store, NOW) if f.fix]
    assert fixes and all("s3cret" not in fix and "***" not in fix for fix in fixes)
    assert f"gridsight roads import FILE.osm.pbf --db {shlex.quote(pg_url)}" in fixes


@pytest.mark.parametrize("statements, expected", [
    (["DELETE FROM roads"], {"no_roads": ("warning", None, None)}),
    (["DELETE FROM departments"], {"no_departments": ("warning", None, None)}),
    (["DELETE FROM centre WHERE key = 'name'"], {"no_centre_name": ("note", None, None)}),
    # A grid whose worker moved elsewhere; the township above the grids needs none of its own.
    (["UPDATE responders SET grid_code = 'G1' WHERE responder_id = 'W2'"],
     {"grids_without_worker": ("warning", 1, 3)}),
    (["UPDATE responders SET kind = 'police' WHERE kind = 'grid_worker'"],
     {"grids_without_worker": ("warning", 3, 3)}),
    (["UPDATE cameras SET stream_sub = '' WHERE camera_id = 'C2'"], {"cameras_without_stream": ("warning", 1, 2)}),
    (["UPDATE cameras SET status = 'offline'"], {"cameras_offline": ("note", 2, 2)}),
    (["UPDATE responders SET grid_code = 'GONE' WHERE responder_id = 'P1'"],
     {"responders_unknown_grid": ("warning", 1, 5)}),
    (["UPDATE cameras SET grid_code = 'GONE'"], {"cameras_unknown_grid": ("warning", 2, 2)}),
    (["UPDATE responders SET position_source = 'grid_label' WHERE kind = 'grid_worker'"],
     {"responders_at_grid_label": ("note", 3, 5)}),
    (["UPDATE responders SET position_at = NULL WHERE responder_id = 'P1'"],
     {"stale_police_positions": ("warning", 1, 2)}),
    (["UPDATE responders SET geom = NULL WHERE responder_id = 'P2'"], {"stale_police_positions": ("warning", 1, 2)}),
    (["UPDATE responders SET position_at = 'yesterday' WHERE responder_id = 'P2'"],
     {"stale_police_positions": ("warning", 1, 2)}),
    # A roster's position is not a stale device's: it is noted, not counted late.
    (["UPDATE responders SET position_source = 'file', position_at = NULL WHERE responder_id = 'P1'"],
     {"police_roster_positions": ("note", 1, 2)}),
    # The water department's office lies 333 m from the only road: a worker standing there cannot be ranked.
    (["UPDATE responders SET geom = (SELECT geom FROM departments) WHERE responder_id = 'W1'"],
     {"responders_off_road": ("warning", 1, 5)}),
    (["UPDATE roads SET speed_kph = 0"], {"roads_unusable": ("error", None, None)}),
    (["DELETE FROM cameras"], {"no_cameras": ("warning", None, None)}),
    (["DELETE FROM grids"], {"no_grids": ("error", None, None)}),
    (["DELETE FROM responders"],
     {"no_responders": ("error", None, None), "grids_without_worker": ("warning", 3, 3)}),
])
def test_each_gap_is_found_with_its_counts(changed, statements, expected):
    with changed(*statements) as store:
        assert _codes(examine(store, NOW)) == expected


def test_police_positions_are_stale_after_two_hours_unless_the_unit_is_off(changed):
    seen = iso(NOW - POSITION_STALE)
    with changed(f"UPDATE responders SET position_at = '{seen}' WHERE kind = 'police'") as store:
        assert examine(store, NOW) == []
        assert _codes(examine(store, NOW + timedelta(seconds=1))) == {"stale_police_positions": ("warning", 2, 2)}
    with changed(f"UPDATE responders SET position_at = '{seen}', status = 'off' WHERE responder_id = 'P1'") as store:
        # P2, seen a minute before NOW, is late now; P1, off duty, is not counted.
        assert _codes(examine(store, NOW + POSITION_STALE)) == {"stale_police_positions": ("warning", 1, 1)}


def test_the_demo_store_has_no_error(tmp_path):
    copy = tmp_path / "demo.gpkg"
    shutil.copy(DEMO, copy)
    with Store.open(copy) as store:
        findings = examine(store)
    assert [f.code for f in findings if f.severity == "error"] == []
