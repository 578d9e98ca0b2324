"""Point location must agree exactly with a plain point-in-polygon test, and be fast."""

from __future__ import annotations

import json

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely

from console.cli import main
from data.store import Store
from gis.crs import convert
from gis.locate import OUTSIDE, GridIndex, PolygonLocator


def voronoi_cells(n: int, seed: int, box=(112.0, 32.0, 112.5, 32.4)) -> np.ndarray:
    rng = np.random.default_rng(seed)
    pts = shapely.multipoints(np.c_[rng.uniform(box[0], box[2], n), rng.uniform(box[1], box[3], n)])
    frame = shapely.box(*box)
    cells = shapely.get_parts(shapely.voronoi_polygons(pts, extend_to=frame))
    return shapely.intersection(cells, frame)


def brute_force(polygons, x, y) -> np.ndarray:
    points = shapely.points(x, y)
    result = np.full(len(x), OUTSIDE)
    for i in range(len(polygons) - 1, -1, -1):  # lowest index wins on shared edges
        result[shapely.intersects(polygons[i], points)] = i
    return result


def test_matches_brute_force_on_random_tiling_and_outside_points():
    polygons = voronoi_cells(300, seed=1)
    locator = PolygonLocator(polygons)
    rng = np.random.default_rng(2)
    x = rng.uniform(111.9, 112.6, 20_000)
    y = rng.uniform(31.9, 32.5, 20_000)
    got = locator.locate(x, y)
    assert np.array_equal(got, brute_force(polygons, x, y))
    assert (got == OUTSIDE).any() and (got >= 0).any()


def test_vertices_edges_and_holes_are_exact():
    ring = shapely.box(0, 0, 10, 10).difference(shapely.box(4, 4, 6, 6))  # a hole
    right = shapely.box(10, 0, 20, 10)
    island = shapely.box(4.5, 4.5, 5.5, 5.5)  # inside the hole
    polygons = np.array([ring, right, island], dtype=object)
    locator = PolygonLocator(polygons)
    coords = shapely.get_coordinates(shapely.boundary(polygons))
    x = np.r_[coords[:, 0], 5.0, 4.2, 10.0, 15.0, 25.0, 4.0]
    y = np.r_[coords[:, 1], 5.0, 4.2, 5.0, 5.0, 5.0, 5.0]
    got = locator.locate(x, y)
    assert np.array_equal(got, brute_force(polygons, x, y))
    assert got[-6] == 2  # the island in the hole
    assert got[-5] == OUTSIDE  # in the hole but not on the island
    assert got[-4] == 0  # shared edge: the first polygon wins
    assert got[-2] == OUTSIDE


def hierarchy() -> gpd.GeoDataFrame:
    """Two townships, each two villages, each two grids (all boxes)."""
    rows = []
    for t in range(2):
        tx = 112.0 + t * 0.2
        rows.append(("T%d" % t, f"镇{t}", 1, None, shapely.box(tx, 32.0, tx + 0.2, 32.2)))
        for v in range(2):
            vy = 32.0 + v * 0.1
            vcode = f"T{t}V{v}"
            rows.append((vcode, f"村{t}{v}", 2, f"T{t}", shapely.box(tx, vy, tx + 0.2, vy + 0.1)))
            for g in range(2):
                gx = tx + g * 0.1
                rows.append((f"{vcode}G{g}", f"网格{t}{v}{g}", 3, vcode, shapely.box(gx, vy, gx + 0.1, vy + 0.1)))
    frame = pd.DataFrame(rows, columns=["code", "name", "level", "parent_code", "geometry"])
    return gpd.GeoDataFrame(frame.assign(version=1), geometry="geometry", crs="EPSG:4326")


def test_path_goes_from_township_to_grid():
    index = GridIndex(hierarchy())
    hits = index.path(112.25, 32.15)
    assert [(h.level, h.code) for h in hits] == [(1, "T1"), (2, "T1V1"), (3, "T1V1G0")]
    assert index.path(111.0, 32.0) == []
    deepest = index.locate_deepest(np.array([112.05, 111.0]), np.array([32.05, 32.0]))
    assert index.grids["code"].iloc[deepest[0]] == "T0V0G0"
    assert deepest[1] == OUTSIDE


@pytest.fixture()
def db(tmp_path):
    path = tmp_path / "grids.gpkg"
    with Store.create(path) as store:
        store.write_layer("grids", hierarchy())
    return path


def test_cli_prints_the_path_and_converts_gcj02(db, capsys):
    glon, glat = convert(112.25, 32.15, "wgs84", "gcj02")
    assert main(["locate", "--db", str(db), str(glon), str(glat), "--crs", "gcj02", "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["inside"] is True
    assert [p["code"] for p in out["path"]] == ["T1", "T1V1", "T1V1G0"]
    assert out["path"][0]["name"] == "镇1"
    assert main(["locate", "--db", str(db), "100", "20"]) == 0
    assert "outside every grid" in capsys.readouterr().out


def test_cli_locates_every_csv_row(db, tmp_path, capsys):
    src = tmp_path / "in.csv"
    src.write_text("id,经度,纬度\n1,112.05,32.05\n2,100,20\n3,abc,32\n", encoding="utf-8")
    out = tmp_path / "out.csv"
    assert main(["locate", "--db", str(db), "--csv", str(src), "--out", str(out), "--json"]) == 0
    summary = json.loads(capsys.readouterr().out)
    assert summary == {"rows": 3, "inside": 1, "outside": 1, "bad_coordinates": 1, "out": str(out)}
    located = pd.read_csv(out, dtype=str, keep_default_na=False)
    assert located["grid_code"].tolist() == ["T0V0G0", "", ""]
    assert located["locate_status"].tolist() == ["inside", "outside", "bad_coordinates"]
    assert located["id"].tolist() == ["1", "2", "3"]


@pytest.mark.parametrize(
    "argv, message",
    [
        (["1", "x"], "latitude 'x' is not a number"),
        ([], "give LON LAT"),
        (["--csv", "missing.csv", "--out", "o.csv"], "does not exist"),
        (["--csv", "missing.csv"], "needs --out"),
    ],
)
def test_cli_bad_input_is_one_clear_line(db, capsys, argv, message):
    assert main(["locate", "--db", str(db), *argv]) == 2
    err = capsys.readouterr().err
    assert message in err and err.count("\n") == 1


def test_cli_on_a_missing_store(tmp_path, capsys):
    assert main(["locate", "--db", str(tmp_path / "none.gpkg"), "112", "32"]) == 2
    assert "does not exist" in capsys.readouterr().err
