"""`gridsight grids validate|import|export`: exit codes, reports, refusal without side effects, round trips."""

from __future__ import annotations

import hashlib
import json
import sqlite3

import pytest
import shapely
from geopandas import GeoDataFrame
from shapely.geometry import box

from console import cli
from data.store import Store

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
    code = cli.main(["grids", *map(str, argv)])
    out, err = capsys.readouterr()
    return code, out, err


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
