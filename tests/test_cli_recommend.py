"""`gridsight recommend` on a store without roads: ranked by straight line, and said in every answer."""

from __future__ import annotations

import json

import geopandas as gpd
import pytest
import shapely

from data.coveragemap import coverage_parts, keep_coverage
from data.store import Store
from gis.policy import STRAIGHT_LINE_KPH
from tests.clirun import run_cli as run
from tests.gis.roadnets import Unit, lonlat, units_frame


@pytest.fixture
def roadless(tmp_path, monkeypatch, store_location):
    """A store with grids and responders and no roads (a centre that has not imported them yet), on each backend."""
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    path = store_location
    units = units_frame([Unit("near", 0, 400), Unit("police", 0, 1500, kind="police", grid="G1"),
                         Unit("own", 0, 450, grid="G1"), Unit("gone", 0, 0)])
    units.loc[3, "geometry"] = None
    square = shapely.Polygon([lonlat(x, y) for x, y in [(-2000, -2000), (2000, -2000), (2000, 2000), (-2000, 2000)]])
    with Store.create(path) as store:
        store.write_layer("responders", units)
        store.write_layer("grids", gpd.GeoDataFrame({"code": ["G1"], "name": ["一网格"], "level": 1, "version": 1},
                                                    geometry=[square], crs=4326))
    return path


def test_json_entries_say_straight_line(roadless, capsys):
    code, out, err = run(capsys, "recommend", "--db", roadless, "--at", *lonlat(0, 0), "--kind", "any", "--json")
    ranked = json.loads(out)
    assert code == 0 and {r["by"] for r in ranked} == {"straight_line"}
    # The own grid's two go ahead of a nearer outsider: 176 s and 201 s against 156 s, within the 60 s margin.
    assert [r["id"] for r in ranked] == ["own", "police", "near"]
    police = ranked[1]
    assert police["distance_m"] == pytest.approx(1500, abs=0.5)
    assert police["eta_s"] == pytest.approx(police["distance_m"] / (STRAIGHT_LINE_KPH["police"] / 3.6), abs=0.1)
    assert "1 responder(s) without a position" in err


def test_text_output_says_how_it_measured(roadless, capsys):
    code, out, _ = run(capsys, "recommend", "--db", roadless, "--at", *lonlat(0, 0), "--kind", "police")
    first, *rows = out.splitlines()
    assert code == 0 and first.startswith("by straight-line distance (the store has no roads)")
    assert f"police {STRAIGHT_LINE_KPH['police']:g} km/h" in first
    assert [row.split("\t")[1] for row in rows] == ["police"]


def test_isochrones_still_need_roads(roadless, capsys, tmp_path):
    code, out, err = run(capsys, "isochrone", "--db", roadless, "--at", *lonlat(0, 0), "--out", tmp_path / "x.geojson")
    assert code == 2 and out == "" and "has no roads" in err


def test_coverage_is_skipped_without_roads_and_says_why(roadless, caplog):
    with Store.open(roadless) as store:
        assert coverage_parts(store) == [] and keep_coverage(store) is False
    assert "has no roads" in caplog.text
