"""`gridsight init`: a new store from a centre's files, or no file at all."""

from __future__ import annotations

import hashlib
import json

import numpy as np
import pytest
import shapely

from data import gridversions
from data.centre import read_centre
from console.commands import init as init_command
from data.store import Store, StoreError
from gis.crs import convert
from tests.backends import dump
from tests.clirun import run_cli as run
from tests.test_cli_grids import FIRST_GRID, STRIP, broken, grid_file_frame, grown_first_grid

# A street grid over the grid file's territory (114.00-114.06 E, 30.00-30.02 N) as an OSM
# editor saves it: two east-west roads and three north-south ones meeting at shared nodes.
OSM = """<?xml version="1.0" encoding="UTF-8"?>
<osm version="0.6" generator="JOSM">
  <node id="1" lat="30.005" lon="114.000"/><node id="2" lat="30.005" lon="114.030"/>
  <node id="3" lat="30.005" lon="114.060"/><node id="4" lat="30.015" lon="114.000"/>
  <node id="5" lat="30.015" lon="114.030"/><node id="6" lat="30.015" lon="114.060"/>
  <way id="10"><nd ref="1"/><nd ref="2"/><nd ref="3"/><tag k="highway" v="primary"/><tag k="name" v="江汉路"/></way>
  <way id="11"><nd ref="4"/><nd ref="5"/><nd ref="6"/><tag k="highway" v="secondary"/></way>
  <way id="12"><nd ref="1"/><nd ref="4"/><tag k="highway" v="residential"/></way>
  <way id="13"><nd ref="2"/><nd ref="5"/><tag k="highway" v="residential"/><tag k="oneway" v="yes"/></way>
  <way id="14"><nd ref="3"/><nd ref="6"/><tag k="highway" v="tertiary"/></way>
</osm>
"""


@pytest.fixture(autouse=True)
def private_cache(monkeypatch, tmp_path):
    """The road graph init caches goes to a private folder."""
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))


@pytest.fixture
def files(tmp_path):
    folder = tmp_path / "centre"
    folder.mkdir()
    grid_file_frame().to_file(folder / "grids.geojson")
    broken(grid_file_frame(), FIRST_GRID, grown_first_grid(STRIP)).to_file(folder / "broken.geojson")
    (folder / "roads.osm").write_text(OSM, encoding="utf-8")
    return folder


def _digest(path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_init_builds_a_store_from_grids_roads_name_and_timezone(files, tmp_path, capsys):
    out = tmp_path / "江城.gpkg"
    code, stdout, _ = run(capsys, "init", "--out", out, "--grids", files / "grids.geojson",
                          "--roads", files / "roads.osm", "--name", "江城市指挥中心", "--timezone", "Asia/Urumqi")
    assert code == 0
    with Store.open(out) as store:
        grids = store.read_layer("grids")
        assert sorted(grids["code"]) == sorted(grid_file_frame()["code"])
        assert set(grids["version"]) == {1}
        # The grid history starts with them, so a later grids import can be rolled back to them.
        history = gridversions.history(store)
        assert set(history["changeset_id"]) == {1} and set(history["change"]) == {"created"}
        assert history["why"].iloc[0] == f"gridsight init from {files / 'grids.geojson'}"
        assert store.count("roads") == 7  # 5 ways, the east-west ones cut at the middle junction
        centre = read_centre(store)
    assert (centre.name, centre.timezone) == ("江城市指挥中心", "Asia/Urumqi")
    # What to do next: every import, then the doctor, for this store.
    db = f"'{out}'"  # quoted for a shell: the name is not plain ASCII
    for command in ("responders", "cameras", "routes", "checkpoints", "departments"):
        assert f"gridsight {command} import FILE --db {db}" in stdout
    assert f"gridsight doctor --db {db}" in stdout
    assert sorted(p.name for p in tmp_path.iterdir()) == ["cache", "centre", out.name]


def test_init_without_roads_or_name_takes_the_default_timezone(files, tmp_path, capsys):
    out = tmp_path / "c.gpkg"
    code, stdout, _ = run(capsys, "init", "--out", out, "--grids", files / "grids.geojson", "--json")
    assert code == 0
    result = json.loads(stdout)
    assert (result["grids"], result["roads"], result["timezone"]) == (18, 0, "Asia/Shanghai")
    with Store.open(out) as store:
        assert store.count("roads") == 0
        assert read_centre(store).name is None


def test_invalid_grids_are_refused_with_the_validate_report_and_no_file(files, tmp_path, capsys):
    code, report, _ = run(capsys, "grids", "validate", files / "broken.geojson")
    assert code == 1
    out = tmp_path / "c.gpkg"
    code, stdout, err = run(capsys, "init", "--out", out, "--grids", files / "broken.geojson", "--roads",
                            files / "roads.osm")
    assert code == 1
    problem_lines = report.splitlines()[:-1]  # validate's last line is its summary of the file
    assert problem_lines and stdout.splitlines() == problem_lines
    assert "1 overlap" in err and "No store was written" in err
    assert sorted(p.name for p in tmp_path.iterdir()) == ["centre"]


def test_a_refused_init_with_force_leaves_the_old_store_as_it_was(files, tmp_path, capsys):
    out = tmp_path / "c.gpkg"
    assert run(capsys, "init", "--out", out, "--grids", files / "grids.geojson")[0] == 0
    before = _digest(out)
    code, stdout, _ = run(capsys, "init", "--out", out, "--grids", files / "broken.geojson", "--force", "--json")
    assert code == 1 and json.loads(stdout)["problems"][0]["kind"] == "overlap"
    assert _digest(out) == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["c.gpkg", "centre"]


def test_an_existing_store_is_refused_unless_forced(files, tmp_path, capsys):
    out = tmp_path / "c.gpkg"
    assert run(capsys, "init", "--out", out, "--grids", files / "grids.geojson")[0] == 0
    before = _digest(out)
    code, _, err = run(capsys, "init", "--out", out, "--grids", files / "grids.geojson", "--name", "新")
    assert code == 2 and "already exists; use --force" in err
    assert _digest(out) == before
    assert run(capsys, "init", "--out", out, "--grids", files / "grids.geojson", "--name", "新", "--force")[0] == 0
    with Store.open(out) as store:
        assert read_centre(store).name == "新"


@pytest.mark.parametrize("extra, message", [
    (["--timezone", "Beijing"], "unknown timezone 'Beijing'"),
    (["--roads", "missing.osm"], "does not exist"),
    (["--roads", "GRIDS"], "cannot read"),
])
def test_bad_input_is_one_line_and_writes_nothing(files, tmp_path, capsys, extra, message):
    extra = [str(files / "grids.geojson") if a == "GRIDS" else a for a in extra]
    code, _, err = run(capsys, "init", "--out", tmp_path / "c.gpkg", "--grids", files / "grids.geojson", *extra)
    assert code == 2 and message in err and len(err.splitlines()) == 1
    assert sorted(p.name for p in tmp_path.iterdir()) == ["centre"]


def test_roads_of_another_place_are_refused_with_the_reason_and_no_file(files, tmp_path, capsys):
    # The same streets 1,000 km west: an extract of the wrong city.
    (files / "elsewhere.osm").write_text(OSM.replace('lon="114.', 'lon="104.'), encoding="utf-8")
    code, _, err = run(capsys, "init", "--out", tmp_path / "c.gpkg", "--grids", files / "grids.geojson",
                       "--roads", files / "elsewhere.osm")
    assert code == 1 and "km from the grids" in err and "No store was written" in err
    assert sorted(p.name for p in tmp_path.iterdir()) == ["centre"]


def test_gcj02_grids_are_stored_in_wgs84(files, tmp_path, capsys):
    wgs84 = grid_file_frame()
    # Vertices every ~100 m, as a drawn boundary has them: each shared edge bends the same way.
    wgs84["geometry"] = shapely.segmentize(wgs84.geometry.values, 0.001)
    gcj02 = wgs84.copy()
    gcj02["geometry"] = shapely.transform(wgs84.geometry.values, lambda xy: np.column_stack(
        convert(xy[:, 0], xy[:, 1], "wgs84", "gcj02")))
    gcj02.to_file(files / "gaode.geojson")
    out = tmp_path / "c.gpkg"
    assert run(capsys, "init", "--out", out, "--grids", files / "gaode.geojson", "--grids-crs", "gcj02")[0] == 0
    with Store.open(out) as store:
        stored = store.read_layer("grids").set_index("code").loc[wgs84["code"]]
    # Corner by corner within about 1 m (1e-5 degrees) of the WGS-84 original.
    assert np.abs(shapely.get_coordinates(stored.geometry.values)
                  - shapely.get_coordinates(wgs84.geometry.values)).max() < 1e-5


def test_init_builds_into_an_empty_postgresql_database_and_replaces_it_only_when_forced(files, pg_url, capsys):
    code, stdout, _ = run(capsys, "init", "--out", pg_url, "--grids", files / "grids.geojson",
                          "--roads", files / "roads.osm", "--name", "江城市指挥中心")
    assert code == 0
    assert f"gridsight doctor --db {pg_url}" in stdout
    with Store.open(pg_url) as store:
        assert sorted(store.read_layer("grids")["code"]) == sorted(grid_file_frame()["code"])
        assert store.count("roads") == 7 and read_centre(store).name == "江城市指挥中心"
        before = dump(store)
    code, _, err = run(capsys, "init", "--out", pg_url, "--grids", files / "grids.geojson", "--name", "新")
    assert code == 2 and "already holds a store; use --force" in err
    code, _, _ = run(capsys, "init", "--out", pg_url, "--grids", files / "broken.geojson", "--force")
    assert code == 1
    with Store.open(pg_url) as store:
        assert dump(store) == before  # refused before anything was written
    assert run(capsys, "init", "--out", pg_url, "--grids", files / "grids.geojson", "--name", "新", "--force")[0] == 0
    with Store.open(pg_url) as store:
        assert read_centre(store).name == "新" and store.count("roads") == 0
    # The next steps it prints work on the server store: a grids import is the grid history's second change-set.
    assert run(capsys, "grids", "import", files / "grids.geojson", "--db", pg_url, "--why", "again")[0] == 0
    with Store.open(pg_url) as store:
        assert set(gridversions.history(store)["changeset_id"]) == {1, 2}


def test_a_failed_build_on_postgresql_leaves_no_half_built_store(files, pg_url, capsys, monkeypatch):
    def fail(*_):
        raise StoreError("the server went away")

    monkeypatch.setattr(init_command, "write_centre", fail)
    code, _, err = run(capsys, "init", "--out", pg_url, "--grids", files / "grids.geojson")
    assert code == 2 and "the server went away" in err and "removed" in err
    with pytest.raises(StoreError, match="not a gridsight store"):
        Store.open(pg_url)
    # Nothing of the store is left: a second init builds it from scratch.
    monkeypatch.undo()
    assert run(capsys, "init", "--out", pg_url, "--grids", files / "grids.geojson")[0] == 0
