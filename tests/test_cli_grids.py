"""`gridsight grids validate|import|export`: exit codes, reports, refusal without side effects, round trips."""

from __future__ import annotations

import hashlib
import json
import re
import sqlite3

import numpy as np
import pytest
import shapely
from geopandas import GeoDataFrame
from shapely.geometry import Polygon, box

from data.store import Store
from tests import clirun
from tests.gis.test_gridfile import districts, streets, to_gcj02, write_json

# About 0.4 m and 40 m of latitude: along a 1 km edge, a sliver and a real conflict.
SLIVER = 0.000004
STRIP = 0.0004


def grid_file_frame(grids_per_village: int = 3) -> GeoDataFrame:
    """2 townships, each with 2 villages, each with 3 grids: strips of squares that tile exactly."""
    width = grids_per_village
    rows = []

    def lattice_box(col, row, cols, rows_):
        return box(114 + col / 100, 30 + row / 100, 114 + (col + cols) / 100, 30 + (row + rows_) / 100)

    for t in (0, 1):
        township = f"42060200{t + 1}"
        rows.append((township, f"镇{t + 1}", 1, None, 0, lattice_box(t * width, 0, width, 2)))
        for v in (0, 1):
            village = f"{township}00{v + 1}"
            rows.append((village, f"村{t + 1}-{v + 1}", 2, township, 0, lattice_box(t * width, v, width, 1)))
            for g in range(width):
                rows.append(
                    (f"{village}00{g + 1}", f"网格{t + 1}-{v + 1}-{g + 1}", 3, village, 300 + g,
                     lattice_box(t * width + g, v, 1, 1))
                )
    code, name, level, parent, households, geometry = zip(*rows)
    return GeoDataFrame(
        {"code": code, "name": name, "level": level, "parent_code": parent, "households": households},
        geometry=list(geometry),
        crs="EPSG:4326",
    )


FIRST_GRID = "420602001001001"  # fid 2 in a GeoJSON file: township, village, then this grid
SECOND_GRID = "420602001001002"


def broken(frame: GeoDataFrame, code: str, geometry) -> GeoDataFrame:
    frame = frame.copy()
    frame.loc[frame["code"] == code, "geometry"] = geometry
    return frame


def grown_first_grid(by: float):
    return box(114, 30, 114.01 + by, 30.01)


@pytest.fixture
def good_file(tmp_path):
    path = tmp_path / "good.geojson"
    grid_file_frame().to_file(path)
    return path


@pytest.fixture
def broken_file(tmp_path):
    path = tmp_path / "broken.geojson"
    broken(grid_file_frame(), FIRST_GRID, grown_first_grid(STRIP)).to_file(path)
    return path


@pytest.fixture
def sliver_file(tmp_path):
    path = tmp_path / "sliver.geojson"
    broken(grid_file_frame(), FIRST_GRID, grown_first_grid(SLIVER)).to_file(path)
    return path


def run(capsys, *argv) -> tuple[int, str, str]:
    return clirun.run_cli(capsys, "grids", *argv)


def store_dump(db) -> str:
    """Everything in the store file, as SQL, to prove a refused import changed nothing."""
    with sqlite3.connect(db) as conn:
        return hashlib.sha256("\n".join(conn.iterdump()).encode()).hexdigest()


def store_grids(db) -> GeoDataFrame:
    with Store.open(db) as store:
        return store.read_layer("grids")


def test_validate_good_file(capsys, good_file):
    code, out, _ = run(capsys, "validate", good_file)
    assert code == 0
    assert out.strip() == f"{good_file}: 18 features, valid"


def test_validate_good_file_as_json(capsys, good_file):
    code, out, _ = run(capsys, "validate", good_file, "--json")
    assert code == 0
    assert json.loads(out) == {"valid": True, "features": 18, "problems": [], "warnings": []}


def test_validate_reports_each_problem_with_code_fid_and_location(capsys, broken_file):
    code, out, _ = run(capsys, "validate", broken_file)
    assert code == 1
    lines = out.splitlines()
    assert lines[0].startswith(f"overlap          {FIRST_GRID} (fid 2): overlaps {SECOND_GRID} (fid 3) by ")
    assert lines[0].endswith(" at 114.010200,30.005000")
    assert lines[-1] == f"{broken_file}: 18 features, 1 problem (1 overlap)"


def test_validate_json_lists_problems(capsys, broken_file):
    code, out, _ = run(capsys, "validate", broken_file, "--json")
    report = json.loads(out)
    assert code == 1 and report["valid"] is False and report["features"] == 18
    [problem] = report["problems"]
    assert set(problem) == {"kind", "code", "fid", "message", "lon", "lat", "details"}
    assert (problem["kind"], problem["code"], problem["fid"]) == ("overlap", FIRST_GRID, 2)
    assert problem["details"]["other"] == SECOND_GRID and f"{problem['details']['area_m2']:.1f} m²" in problem["message"]


def test_validate_tolerance_option(capsys, sliver_file):
    assert run(capsys, "validate", sliver_file)[0] == 1
    assert run(capsys, "validate", sliver_file, "--tolerance-m2", "1000")[0] == 0


@pytest.mark.parametrize(
    ("make", "extra", "message"),
    [
        (lambda p: None, [], "no such file"),
        (lambda p: p.write_text("<html>not GIS</html>"), [], "not a GIS file that GDAL can read"),
        (lambda p: grid_file_frame().to_file(p), ["--layer", "roads"], "no layer 'roads'"),
        (lambda p: grid_file_frame().rename(columns={"code": "id_"}).to_file(p), [], "no code field found"),
    ],
)
def test_unreadable_input_exits_2_with_one_line(capsys, tmp_path, make, extra, message):
    path = tmp_path / "grids.geojson"
    make(path)
    code, out, err = run(capsys, "validate", path, *extra)
    assert code == 2 and out == ""
    assert err.startswith("gridsight: ") and message in err and err.count("\n") == 1


def test_bad_tolerance_is_a_usage_error(capsys, good_file):
    with pytest.raises(SystemExit) as exit_:
        run(capsys, "validate", good_file, "--tolerance-m2", "-3")
    assert exit_.value.code == 2
    assert "not an area" in capsys.readouterr().err


def test_field_options(capsys, tmp_path):
    path = tmp_path / "grids.shp"
    names = {"code": "WGBM", "name": "WGMC", "level": "JB", "parent_code": "SJBM", "households": "HS"}
    grid_file_frame().rename(columns=names).to_file(path)
    assert run(capsys, "validate", path)[0] == 2
    options = ["--code-field", "WGBM", "--name-field", "WGMC", "--level-field", "JB", "--parent-field", "SJBM",
               "--households-field", "HS"]
    assert run(capsys, "validate", path, *options)[0] == 0
    db = tmp_path / "store.gpkg"
    assert run(capsys, "import", path, "--db", db, *options)[0] == 0
    assert store_grids(db)["households"].sum() == grid_file_frame()["households"].sum()


def test_import_creates_the_store_and_writes_every_grid(capsys, tmp_path, good_file):
    db = tmp_path / "new.gpkg"
    code, out, _ = run(capsys, "import", good_file, "--db", db)
    assert code == 0 and out.strip() == f"imported 18 grids into {db} as change-set 1"
    grids = store_grids(db)
    expected = grid_file_frame()
    assert grids["code"].tolist() == expected["code"].tolist()
    assert grids["level"].tolist() == expected["level"].tolist()
    assert grids["households"].tolist() == expected["households"].tolist()
    assert set(grids["version"]) == {1}
    assert all(shapely.equals(grids.geometry.array, expected.geometry.array))


def test_import_without_households_stores_zero(capsys, tmp_path):
    path = tmp_path / "grids.geojson"
    grid_file_frame().drop(columns="households").to_file(path)
    db = tmp_path / "store.gpkg"
    assert run(capsys, "import", path, "--db", db)[0] == 0
    assert set(store_grids(db)["households"]) == {0}


def test_refused_import_leaves_the_store_exactly_as_it_was(capsys, tmp_path, good_file, broken_file):
    db = tmp_path / "store.gpkg"
    assert run(capsys, "import", good_file, "--db", db)[0] == 0
    grids_before, dump_before = store_grids(db), store_dump(db)
    code, out, err = run(capsys, "import", broken_file, "--db", db)
    assert code == 1
    assert out.startswith("overlap")
    assert err.strip() == (
        "gridsight: import refused: 1 problem (1 overlap); fix the file, or try --fix. The store was not changed."
    )
    assert store_dump(db) == dump_before
    assert store_grids(db).equals(grids_before)


def test_refused_import_does_not_create_a_store(capsys, tmp_path, broken_file):
    db = tmp_path / "store.gpkg"
    assert run(capsys, "import", broken_file, "--db", db, "--json")[0] == 1
    assert not db.exists()


def test_import_fix_repairs_slivers_and_reports_them(capsys, tmp_path, sliver_file):
    db = tmp_path / "store.gpkg"
    assert run(capsys, "import", sliver_file, "--db", db)[0] == 1
    code, out, _ = run(capsys, "import", sliver_file, "--db", db, "--fix")
    assert code == 0
    lines = out.splitlines()
    assert lines[0].startswith(f"fixed  {FIRST_GRID}: gave ") and lines[0].endswith(f"overlap to {SECOND_GRID}")
    assert lines[-1] == f"imported 18 grids into {db} after 1 fixes as change-set 1"
    grids = store_grids(db).set_index("code")
    assert grids.geometry[FIRST_GRID].equals(box(114, 30, 114.01, 30.01))


def test_import_fix_json_and_refusal_of_what_it_cannot_fix(capsys, tmp_path, broken_file):
    db = tmp_path / "store.gpkg"
    code, out, _ = run(capsys, "import", broken_file, "--db", db, "--fix", "--json")
    report = json.loads(out)
    assert code == 1 and report["imported"] is False and report["changes"] == []
    assert [p["kind"] for p in report["problems"]] == ["overlap"]
    assert not db.exists()
    code, out, _ = run(capsys, "import", broken_file, "--db", db, "--fix", "--sliver-m2", "100000", "--json")
    assert code == 0 and json.loads(out)["imported"] is True and len(json.loads(out)["changes"]) == 1


def test_reimport_keeps_chiefs_and_bumps_versions(capsys, tmp_path, good_file):
    db = tmp_path / "store.gpkg"
    assert run(capsys, "import", good_file, "--db", db)[0] == 0
    with Store.open(db) as store, store.transaction() as tx:
        tx.execute("UPDATE grids SET chief_id = 'W001' WHERE code = ?", (FIRST_GRID,))
    assert run(capsys, "import", good_file, "--db", db)[0] == 0
    grids = store_grids(db).set_index("code")
    assert grids.at[FIRST_GRID, "chief_id"] == "W001"
    assert set(grids["version"]) == {2}


def test_unreadable_store_exits_2(capsys, tmp_path, good_file):
    db = tmp_path / "store.gpkg"
    db.write_bytes(b"not a database")
    code, _, err = run(capsys, "import", good_file, "--db", db)
    assert code == 2 and err.startswith("gridsight: ") and err.count("\n") == 1
    assert db.read_bytes() == b"not a database"


def test_geopackage_that_is_not_a_store_exits_2(capsys, tmp_path, good_file):
    db = tmp_path / "other.gpkg"
    grid_file_frame().to_file(db)
    code, _, err = run(capsys, "import", good_file, "--db", db)
    assert code == 2 and "not a gridsight store" in err


@pytest.mark.parametrize("suffix", ["geojson", "gpkg", "shp", "kml"])
def test_export_validate_import_round_trip(capsys, tmp_path, good_file, suffix):
    db = tmp_path / "store.gpkg"
    assert run(capsys, "import", good_file, "--db", db)[0] == 0
    out_file = tmp_path / f"export.{suffix}"
    code, out, _ = run(capsys, "export", "--db", db, "--out", out_file)
    assert code == 0 and out.strip() == f"wrote 18 grids to {out_file}"
    assert run(capsys, "validate", out_file)[0] == 0
    copy = tmp_path / "copy.gpkg"
    assert run(capsys, "import", out_file, "--db", copy)[0] == 0
    original, round_tripped = store_grids(db), store_grids(copy)
    columns = ["code", "name", "level", "parent_code", "households"]
    assert round_tripped[columns].equals(original[columns])
    assert all(shapely.equals_exact(round_tripped.geometry.array, original.geometry.array, 1e-9, normalize=True))


def test_export_refuses_unknown_format_and_missing_store(capsys, tmp_path, good_file):
    db = tmp_path / "store.gpkg"
    assert run(capsys, "import", good_file, "--db", db)[0] == 0
    code, _, err = run(capsys, "export", "--db", db, "--out", tmp_path / "grids.dxf")
    assert code == 2 and "unknown output format '.dxf'" in err
    code, _, err = run(capsys, "export", "--db", tmp_path / "missing.gpkg", "--out", tmp_path / "grids.kml")
    assert code == 2 and "does not exist" in err


# --- Files as they really arrive: GCJ-02, DataV, one file per level ---------------------------------

def wavy_districts() -> GeoDataFrame:
    """Two districts near Xiangyang (Hubei) in WGS-84, split by a wavy north-south border."""
    lats = np.linspace(31.96, 32.04, 81)
    border = list(zip(112.1 + 0.004 * np.sin(lats * 300), lats))
    west = Polygon([(112.05, 31.96), *border, (112.05, 32.04)])
    east = Polygon([*border, (112.15, 32.04), (112.15, 31.96)])
    return GeoDataFrame({"code": ["420602", "420606"], "name": ["襄城区", "樊城区"], "level": 1},
                        geometry=shapely.segmentize([west, east], 0.001), crs="EPSG:4326")


def gps_points_near_the_border(count: int = 400) -> tuple[np.ndarray, np.ndarray]:
    """GPS fixes within about 1.1 km either side of the border."""
    rng = np.random.default_rng(19)
    lat = rng.uniform(31.97, 32.03, count)
    return 112.1 + 0.004 * np.sin(lat * 300) + rng.uniform(-0.012, 0.012, count), lat


def district_of(grids: GeoDataFrame, lon: np.ndarray, lat: np.ndarray) -> np.ndarray:
    found = np.full(len(lon), None, dtype=object)
    for code, geometry in zip(grids["code"], grids.geometry):
        found[shapely.contains_xy(geometry, lon, lat)] = code
    return found


@pytest.fixture
def gcj02_file(tmp_path):
    """The districts as Gaode, Tencent or DataV give them: in GCJ-02."""
    path = tmp_path / "districts_gcj02.geojson"
    truth = wavy_districts()
    truth.set_geometry(to_gcj02(truth.geometry.array)).to_file(path)
    return path


def test_gcj02_grids_locate_gps_points_in_the_right_district_only_with_crs(capsys, tmp_path, gcj02_file):
    lon, lat = gps_points_near_the_border()
    truth = district_of(wavy_districts(), lon, lat)
    assert set(truth) == {"420602", "420606"}
    right, wrong = tmp_path / "right.gpkg", tmp_path / "wrong.gpkg"
    assert run(capsys, "import", gcj02_file, "--db", right, "--crs", "gcj02")[0] == 0
    assert run(capsys, "import", gcj02_file, "--db", wrong)[0] == 0
    assert (district_of(store_grids(right), lon, lat) != truth).sum() == 0
    misplaced = (district_of(store_grids(wrong), lon, lat) != truth).sum()
    as_drawn = GeoDataFrame.from_features(json.loads(gcj02_file.read_text())["features"])
    assert misplaced == (district_of(as_drawn, lon, lat) != truth).sum()
    assert misplaced > 40  # issue 19 measured 146 of 400 at a real Hubei city


def test_validate_warns_when_the_file_sits_on_a_datum_offset_from_the_stores_grids(capsys, tmp_path, gcj02_file):
    db = tmp_path / "city.gpkg"
    assert run(capsys, "import", gcj02_file, "--db", db, "--crs", "gcj02")[0] == 0
    code, out, _ = run(capsys, "validate", gcj02_file, "--db", db)
    assert code == 0
    [warning] = [line for line in out.splitlines() if line.startswith("warning: ")]
    offset_m = float(re.search(r"\((\d+) m offset\)", warning)[1])
    truth = wavy_districts()
    shift = shapely.get_coordinates(to_gcj02(truth.geometry.array)) - shapely.get_coordinates(truth.geometry.array)
    expected_m = np.median(np.hypot(shift[:, 0] * 111_195 * np.cos(np.radians(32)), shift[:, 1] * 111_195))
    assert offset_m == pytest.approx(expected_m, abs=2)
    assert warning.startswith("warning: read as wgs84, the file's shapes lie a median ")
    assert warning.endswith("use --crs gcj02")
    code, out, _ = run(capsys, "validate", gcj02_file, "--db", db, "--crs", "gcj02", "--json")
    assert code == 0 and json.loads(out)["warnings"] == []
    # An import warns the same way, and still imports: the file is valid either way.
    code, out, _ = run(capsys, "import", gcj02_file, "--db", db, "--json")
    report = json.loads(out)
    assert code == 0 and report["imported"] and report["warnings"][0].endswith("use --crs gcj02")


def test_without_grids_the_stores_roads_tell_the_offset(capsys, tmp_path, gcj02_file):
    db = tmp_path / "roads.gpkg"
    borders = shapely.get_parts(shapely.boundary(wavy_districts().geometry.array))
    with Store.create(db) as store:
        store.write_layer("roads", GeoDataFrame({"road_class": ["arterial"] * len(borders), "speed_kph": 40.0,
                                                 "oneway": 0, "bridge": 0}, geometry=list(borders), crs="EPSG:4326"))
    code, out, _ = run(capsys, "validate", gcj02_file, "--db", db)
    assert code == 0 and "from the store's roads" in out and out.splitlines()[0].endswith("use --crs gcj02")


def test_datav_files_one_per_level(capsys, tmp_path):
    write_json(tmp_path / "districts.json", districts())
    write_json(tmp_path / "streets.json", streets())
    levels = ["--level-file", f"1={tmp_path / 'districts.json'}", "--level-file", f"2={tmp_path / 'streets.json'}"]
    code, out, _ = run(capsys, "validate", *levels, "--crs", "gcj02")
    assert code == 0 and out.strip().endswith(": 6 features, valid")
    db = tmp_path / "city.gpkg"
    assert run(capsys, "import", *levels, "--crs", "gcj02", "--db", db)[0] == 0
    grids = store_grids(db).sort_values("code")
    assert grids["level"].tolist() == [1, 2, 2, 1, 2, 2]
    assert grids["parent_code"].fillna("-").tolist() == ["-", "420602", "420602", "-", "420606", "420606"]
    code, _, err = run(capsys, "validate", tmp_path / "districts.json", *levels)
    assert code == 2 and "either a grid FILE or --level-file" in err
    with pytest.raises(SystemExit):
        run(capsys, "validate", "--level-file", "district=x.json")
    assert "the level must be a number from 1" in capsys.readouterr().err


def test_datav_bare_array_and_broken_rings_through_the_cli(capsys, tmp_path):
    path = tmp_path / "420600.json"
    write_json(path, districts())
    assert run(capsys, "validate", path, "--crs", "gcj02")[0] == 0
    features = json.loads(json.dumps(districts()))
    del features[0]["geometry"]["coordinates"][0][0][-1]
    write_json(path, features)
    code, out, err = run(capsys, "validate", path)
    assert code == 2 and out == "" and err.count("\n") == 1
    assert "fid 0: a polygon ring is not closed" in err and "Traceback" not in err


# --- Rows left on codes an import removes, and the import as a change-set -------------------------

NEW_FIRST, NEW_SECOND = "420602001001011", "420602001001012"


@pytest.fixture
def populated(capsys, tmp_path, good_file):
    """A store of the good grids with a ticket, a worker, a camera and a route on grids the renamed file lacks."""
    db = tmp_path / "city.gpkg"
    assert run(capsys, "import", good_file, "--db", db)[0] == 0
    at = shapely.Point(114.005, 30.005)
    with Store.open(db) as store, store.transaction() as tx:
        tx.write_layer("responders", GeoDataFrame({
            "responder_id": ["W1", "W2"], "name": ["网格员甲", "网格员乙"], "kind": "grid_worker",
            "role": "grid_member", "grid_code": [FIRST_GRID, "420602002001001"], "status": "on_duty"},
            geometry=[at, at], crs="EPSG:4326"))
        tx.write_layer("cameras", GeoDataFrame({
            "camera_id": ["42060200001320000001"], "name": ["檀溪路口"], "camera_class": "A", "status": "online",
            "grid_code": [SECOND_GRID]}, geometry=[at], crs="EPSG:4326"))
        tx.write_layer("incidents", GeoDataFrame({
            "ticket_id": ["T1"], "channel": "12345", "category": "hazard", "priority": 2,
            "reported_at": "2026-01-05T02:00:00Z", "grid_code": [FIRST_GRID]}, geometry=[at], crs="EPSG:4326"))
        tx.insert_rows("tickets", [{"ticket_id": "T1", "state": "new", "version": 1}])
        tx.write_layer("patrol_routes", GeoDataFrame({
            "route_id": ["R1"], "name": ["一号线"], "grid_code": [FIRST_GRID]},
            geometry=[shapely.LineString([(114.001, 30.001), (114.009, 30.009)])], crs="EPSG:4326"))
    return db


@pytest.fixture
def renamed_file(tmp_path):
    """The good grids with two grid codes changed, as a new official code list does."""
    path = tmp_path / "renamed.geojson"
    frame = grid_file_frame()
    frame["code"] = frame["code"].replace({FIRST_GRID: NEW_FIRST, SECOND_GRID: NEW_SECOND})
    frame.to_file(path)
    return path


def row_codes(db) -> dict[str, str]:
    with Store.open(db) as store:
        rows = store.query("SELECT responder_id, grid_code FROM responders UNION ALL "
                           "SELECT camera_id, grid_code FROM cameras UNION ALL "
                           "SELECT 'incident ' || ticket_id, grid_code FROM incidents UNION ALL "
                           "SELECT 'ticket ' || ticket_id, grid_code FROM tickets UNION ALL "
                           "SELECT route_id, grid_code FROM patrol_routes")
    return dict(rows)


def test_import_that_would_orphan_rows_is_refused_with_the_list(capsys, populated, renamed_file):
    dump = store_dump(populated)
    code, out, err = run(capsys, "import", renamed_file, "--db", populated)
    assert code == 1
    assert out.splitlines() == [
        f"orphaned tickets: 1 on codes the file does not have: {FIRST_GRID} (1)",
        f"orphaned responders: 1 on codes the file does not have: {FIRST_GRID} (1)",
        f"orphaned cameras: 1 on codes the file does not have: {SECOND_GRID} (1)",
        f"orphaned routes: 1 on codes the file does not have: {FIRST_GRID} (1)",
    ]
    assert err.startswith("gridsight: import refused: 4 rows would be left on grid codes the file does not have")
    assert "--remap OLD=NEW" in err and "--orphans keep" in err
    assert store_dump(populated) == dump
    # Half a mapping is not enough: the camera's grid still has nowhere to go.
    code, out, _ = run(capsys, "import", renamed_file, "--db", populated, "--remap", f"{FIRST_GRID}={NEW_FIRST}",
                       "--json")
    assert code == 1 and json.loads(out)["orphans"] == {"cameras": {SECOND_GRID: 1}}
    assert store_dump(populated) == dump


def test_remap_moves_the_rows_in_the_same_import(capsys, populated, renamed_file):
    code, out, _ = run(capsys, "import", renamed_file, "--db", populated,
                       "--remap", f"{FIRST_GRID}={NEW_FIRST}", "--remap", f"{SECOND_GRID}={NEW_SECOND}")
    assert code == 0
    assert out.splitlines() == ["moved 1 tickets to their new grid codes", "moved 1 responders to their new grid codes",
                                "moved 1 cameras to their new grid codes", "moved 1 routes to their new grid codes",
                                f"imported 18 grids into {populated} as change-set 2"]
    assert row_codes(populated) == {"W1": NEW_FIRST, "W2": "420602002001001", "42060200001320000001": NEW_SECOND,
                                    "incident T1": NEW_FIRST, "ticket T1": NEW_FIRST, "R1": NEW_FIRST}


def test_remap_file_as_excel_writes_it_on_chinese_windows(capsys, tmp_path, populated, renamed_file):
    mapping = tmp_path / "mapping.csv"
    mapping.write_bytes(f"old,new\r\n{FIRST_GRID},{NEW_FIRST}\r\n{SECOND_GRID},{NEW_SECOND}\r\n".encode("gbk"))
    assert run(capsys, "import", renamed_file, "--db", populated, "--remap-file", mapping)[0] == 0
    assert row_codes(populated)["42060200001320000001"] == NEW_SECOND


@pytest.mark.parametrize(("content", "message"), [
    ("旧,新\n1,2\n", "expected a CSV with columns old,new"),
    (f"old,new\n{FIRST_GRID},\n", "row 2 lacks an old or a new code"),
])
def test_bad_remap_file_is_one_clear_line(capsys, tmp_path, populated, renamed_file, content, message):
    mapping = tmp_path / "mapping.csv"
    mapping.write_text(content, encoding="utf-8-sig")
    code, _, err = run(capsys, "import", renamed_file, "--db", populated, "--remap-file", mapping)
    assert code == 2 and message in err and err.count("\n") == 1


def test_remap_to_a_code_the_file_lacks_is_bad_input(capsys, populated, renamed_file):
    dump = store_dump(populated)
    code, _, err = run(capsys, "import", renamed_file, "--db", populated, "--remap", f"{FIRST_GRID}=420699")
    assert code == 2 and "remap to code(s) the file does not have: 420699" in err
    assert store_dump(populated) == dump


def test_orphans_keep_leaves_the_rows_where_they_were(capsys, populated, renamed_file):
    before = row_codes(populated)
    code, out, _ = run(capsys, "import", renamed_file, "--db", populated, "--orphans", "keep")
    assert code == 0 and out.splitlines()[0].startswith("orphaned tickets: 1")
    assert row_codes(populated) == before
    assert {NEW_FIRST, NEW_SECOND} <= set(store_grids(populated)["code"])


def test_an_import_is_a_change_set_that_rolls_back_with_its_rows(capsys, populated, renamed_file):
    grids_before, rows_before = store_grids(populated), row_codes(populated)
    assert run(capsys, "import", renamed_file, "--db", populated, "--by", "分析员王", "--why", "新编码",
               "--remap", f"{FIRST_GRID}={NEW_FIRST}", "--remap", f"{SECOND_GRID}={NEW_SECOND}")[0] == 0
    code, out, _ = run(capsys, "history", "--db", populated, "--json")
    log = json.loads(out)
    assert code == 0 and {(e["changeset_id"], e["operation"]) for e in log} == {(1, "import"), (2, "import")}
    imported = [e for e in log if e["changeset_id"] == 2]
    assert {e["by"] for e in imported} == {"分析员王"} and {e["why"] for e in imported} == {"新编码"}
    assert sorted((e["code"], e["change"]) for e in imported if e["change"] != "modified") == [
        (FIRST_GRID, "deleted"), (SECOND_GRID, "deleted"), (NEW_FIRST, "created"), (NEW_SECOND, "created")]
    code, out, _ = run(capsys, "rollback", "2", "--db", populated, "--by", "分析员王", "--why", "编码未生效")
    assert code == 0 and out.strip() == "rolled back change-set 2 as change-set 3"
    restored = store_grids(populated).sort_values("code").reset_index(drop=True)
    before = grids_before.sort_values("code").reset_index(drop=True)
    assert restored[["code", "name", "level", "parent_code", "households"]].equals(
        before[["code", "name", "level", "parent_code", "households"]])
    assert all(shapely.equals(restored.geometry.array, before.geometry.array))
    assert row_codes(populated) == rows_before
