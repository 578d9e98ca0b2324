"""Done when of "bring your own centre": a store built from a centre's files alone (GCJ-02 Shapefile
grids with Chinese field names, an OSM extract, a GBK roster, an XLSX camera list ...) recommends by
road, finds cameras near an incident and passes `gridsight doctor`; run as the README says."""

from __future__ import annotations

import json

import numpy as np
import pytest
import shapely

from data.centre import read_centre
from data.store import Store
from gis.crs import wgs84_to_gcj02
from tests.clirun import run_cli as gridsight
from tests.own_centre import EXAMPLES, ROOT, build_centre
from video.registry import CameraRegistry

DEMO = ROOT / "demo" / "small.gpkg"  # what scripts/make_examples.py cut the examples from
STALE = "docs/examples/ no longer match the demo city: run scripts/make_examples.py"


@pytest.fixture(scope="module")
def centre(tmp_path_factory):
    path, output = build_centre(tmp_path_factory.mktemp("own_centre"))
    return path, output


def metres(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Distances between lon/lat pairs, in metres (a local flat approximation, ample within 1 m)."""
    dx = (a[:, 0] - b[:, 0]) * 111_320.0 * np.cos(np.radians(a[:, 1]))
    return np.hypot(dx, (a[:, 1] - b[:, 1]) * 110_574.0)


def test_the_walk_builds_every_layer_from_the_files_and_says_what_it_read(centre):
    path, output = centre
    with Store.open(path) as store:
        counts = {name: store.count(name) for name in
                  ("grids", "roads", "responders", "cameras", "patrol_routes", "checkpoints", "departments")}
        assert read_centre(store).name == "三台镇综治中心"
    assert all(counts.values()), counts
    assert "id <- 工号" in output and "class <- 设备类别" in output and "id <- 国标编码" in output
    assert "Sx" not in output and "#2026" not in output  # the stream passwords are never printed


def test_positions_and_boundaries_come_back_where_the_demo_had_them(centre):
    """The files are in GCJ-02; converted on import, they land within 1 m of the WGS-84 originals."""
    path, _ = centre
    with Store.open(path) as store, Store.open(DEMO) as demo:
        for layer, key in (("responders", "responder_id"), ("cameras", "camera_id")):
            mine = store.read_layer(layer, where="position_source IS NOT 'grid_label'" if layer == "responders" else None)
            theirs = demo.read_layer(layer).set_index(key).loc[mine[key]]
            assert len(mine) > 20, STALE
            distance = metres(shapely.get_coordinates(mine.geometry.values), shapely.get_coordinates(theirs.geometry.values))
            assert distance.max() < 1.0, (layer, distance.max())
        grids = store.read_layer("grids").set_index("code")
        original = demo.read_layer("grids").set_index("code").loc[grids.index]
        # Compared in degrees: 1e-5 degrees is about 1 m here.
        gaps = shapely.hausdorff_distance(grids.geometry.values, original.geometry.values)
        assert gaps.max() < 1e-5, STALE
        # ... and not where the file's GCJ-02 numbers would put them, ~600 m off.
        shifted = np.column_stack(wgs84_to_gcj02(*shapely.get_coordinates(original.geometry.values).T))
        assert metres(shifted, shapely.get_coordinates(original.geometry.values)).min() > 100


def test_doctor_finds_no_error_and_recommendations_go_by_road_with_cameras_near(centre, capsys):
    path, _ = centre
    code, out, _ = gridsight(capsys, "doctor", "--db", path, "--json")
    assert code == 0 and not [f for f in json.loads(out) if f["severity"] == "error"]
    with Store.open(path) as store:
        camera = store.read_layer("cameras").iloc[0].geometry
        registry = CameraRegistry.from_store(store)
    code, out, _ = gridsight(capsys, "recommend", "--db", path, "--at", camera.x, camera.y, "--k", 5, "--json")
    ranked = json.loads(out)
    assert code == 0 and len(ranked) == 5 and {r["by"] for r in ranked} == {"road"}
    assert registry.seeing(camera.x, camera.y, radius_m=300.0, limit=4)


def test_the_examples_are_what_the_readme_says():
    assert (EXAMPLES / "roster-gbk.csv").read_bytes().decode("gbk").startswith("工号,姓名")
    assert (EXAMPLES / "departments.csv").read_bytes().startswith(b"\xef\xbb\xbf")
    assert (EXAMPLES / "grids-gcj02.cpg").read_text().strip().upper() == "GBK"
