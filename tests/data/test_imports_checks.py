"""Every row is checked before anything is written: each bad row named by row and column, the
store left byte-identical, or the good rows imported with --skip-bad; positions converted from
each Chinese coordinate system."""

from __future__ import annotations

import geopandas as gpd
import pytest
import shapely

from data.imports import SPECS, LayerImportError, import_layer
from data.store import Store
from tests.data.imports_helpers import (file_hash, gcj02_to_bd09, import_demo, metres_apart, places, store_path,
                                        wgs84_to_gcj02, write_csv, write_xlsx)

ROSTER = ["工号", "姓名", "人员类型", "所属网格", "手机", "状态", "经度", "纬度"]
CAMERA_LIST = ["设备编码", "设备名称", "点位类别", "取流地址", "经度", "纬度"]


def run(store_path, layer, path, **options):
    with Store.open(store_path) as store:
        return import_layer(store, SPECS[layer], path, **options)


def problems_by_row(report):
    return {(p["row"], p["column"]): p["problem"] for p in report["problems"]}


def test_every_bad_row_is_named_and_the_store_is_left_byte_identical(store_path, places, tmp_path):
    (code, lon, lat), (code2, lon2, lat2) = places[:2]
    rows = [
        ["N1", "张三", "专职网格员", code, "13800000001", "在岗", lon, lat],        # 2: good
        ["N2", "李四", "巡视员", code, "", "在岗", lon, lat],                      # 3: unknown kind
        ["N3", "王五", "民警", "999999999999", "", "在岗", lon, lat],              # 4: unknown grid
        ["N4", "赵六", "民警", code, "", "摸鱼", lon, lat],                        # 5: unknown status
        ["N5", "钱七", "民警", code, "", "在岗", 116.40, 39.90],                   # 6: outside the territory
        ["N6", "孙八", "民警", code, "", "在岗", lat2, lon2],                      # 7: lat/lon swapped
        ["N1", "周九", "网格员", code2, "", "在岗", lon2, lat2],                   # 8: duplicate id
        ["N8", "", "网格员", code2, "", "在岗", lon2, lat2],                       # 9: no name
        ["N9", "吴十", "民警", "", "", "在岗", "", ""],                            # 10: no position, no grid
        ["N10", "郑一", "民警", code, "", "在岗", lon, ""],                        # 11: half a position
    ]
    path = write_csv(tmp_path / "roster.csv", ROSTER, rows, "gbk")
    before = file_hash(store_path)
    report = run(store_path, "responders", path)
    found = problems_by_row(report)
    assert report["refused"] and not report["written"] and report["bad_rows"] == 9
    assert found[(3, "人员类型")].startswith("unknown kind '巡视员'")
    assert found[(4, "所属网格")] == "grid 999999999999 is not in the store (import the grids first, or correct the code)"
    assert found[(5, "状态")].startswith("unknown status '摸鱼'")
    assert "outside the territory" in found[(6, "经度")] and "by more than 2 km" in found[(6, "经度")]
    assert found[(7, "经度")].endswith("lat/lon swapped?")
    assert found[(8, "工号")] == "duplicate id N1 (also row 2)"
    assert found[(9, "姓名")] == "missing name"
    assert found[(10, "经度")] == "no position and no grid to place it at"
    assert found[(11, "纬度")] == "latitude missing"
    assert file_hash(store_path) == before
    with Store.open(store_path) as store:
        assert not store.query("SELECT 1 FROM responders WHERE responder_id LIKE 'N%'")


def test_skip_bad_imports_the_good_rows_and_lists_the_rest(store_path, places, tmp_path):
    code, lon, lat = places[0]
    rows = [["N1", "张三", "网格长", code, "", "在岗", lon, lat], ["N2", "李四", "巡视员", code, "", "在岗", lon, lat]]
    report = run(store_path, "responders", write_csv(tmp_path / "r.csv", ROSTER, rows), skip_bad=True)
    assert report["written"] and not report["refused"] and report["added"] == 1 and report["bad_rows"] == 1
    assert [p["row"] for p in report["problems"]] == [3]
    with Store.open(store_path) as store:
        assert store.query("SELECT kind, role, status, position_source FROM responders WHERE responder_id = 'N1'") == [
            ("grid_worker", "grid_chief", "on_duty", "file")]


def test_camera_rows_are_checked_as_gb28181_devices_of_a_known_class(store_path, places, tmp_path):
    _, lon, lat = places[0]
    rows = [
        ["42060200001320000901", "一号", "天网", "rtsp://admin:S3cr/et@10.0.0.1/main", lon, lat],   # 2: good
        ["42060200001180000902", "NVR", "雪亮", "", lon, lat],                                  # 3: an NVR
        ["4206020000132000093", "短号", "雪亮", "", lon, lat],                                  # 4: 19 digits
        ["42060200001320000904", "四号", "四类", "", lon, lat],                                 # 5: unknown class
        [42060200001320000905, "五号", "农村", "", lon, lat],                                   # 6: typed as a number
        ["42060200001320000906", "六号", "私人", "", "", ""],                                   # 7: no position
    ]
    path = write_xlsx(tmp_path / "cameras.xlsx", {"设备": (CAMERA_LIST, rows)})
    before = file_hash(store_path)
    report = run(store_path, "cameras", path)
    found = problems_by_row(report)
    assert report["refused"] and file_hash(store_path) == before
    assert "is a NVR, not a camera (type digits 11-13 are 118" in found[(3, "设备编码")]
    assert "got 19 characters" in found[(4, "设备编码")]
    assert found[(5, "点位类别")].startswith("unknown class '四类'")
    assert "typed as a number" in found[(6, "设备编码")]
    assert found[(7, "经度")] == "missing position"
    assert "S3cr" not in str(report)


def test_route_units_checkpoint_kinds_and_department_hours_are_checked(store_path, places, tmp_path):
    code, lon, lat = places[0]
    routes = write_csv(tmp_path / "routes.csv", ["线路编号", "线路名称", "巡逻单位", "轨迹"], [
        ["R1", "一号线", "P00002", f"LINESTRING ({lon} {lat}, {lon + 0.001} {lat})"],
        ["R2", "二号线", "X404", f"{lon},{lat};{lon + 0.001},{lat}"],
        ["R3", "三号线", "P00002", "not a line"]])
    found = problems_by_row(run(store_path, "routes", routes))
    assert set(found) == {(3, "巡逻单位"), (4, "轨迹")}
    assert found[(3, "巡逻单位")].startswith("unit X404 is no responder in the store")
    checkpoints = write_csv(tmp_path / "kk.csv", ["卡口编号", "卡口名称", "卡口类型", "经度", "纬度"],
                            [["K1", "市界卡口", "市界", lon, lat], ["K2", "某卡口", "飞机场", lon, lat]])
    assert list(problems_by_row(run(store_path, "checkpoints", checkpoints))) == [(3, "卡口类型")]
    departments = write_csv(tmp_path / "dept.csv", ["部门编码", "部门名称", "反馈时限"],
                            [["urban", "城管局", "48"], ["water", "水务局", "两天"]])
    assert problems_by_row(run(store_path, "departments", departments)) == {
        (3, "反馈时限"): "report_hours '两天' is not a number"}


def test_a_missing_required_column_is_refused_before_any_row(store_path, tmp_path):
    path = write_csv(tmp_path / "r.csv", ["姓名", "经度", "纬度"], [["张三", "112.1", "32.0"]])
    with pytest.raises(LayerImportError, match="no column for id .*--id-field"):
        run(store_path, "responders", path)


@pytest.mark.parametrize("system", ["wgs84", "cgcs2000", "gcj02", "bd09"])
def test_positions_are_converted_to_wgs84_from_each_system(store_path, places, tmp_path, system):
    """The file's positions are made here with the published forward formulas; the store must hold the
    WGS-84 points they came from, within 1 m."""
    forward = {"wgs84": lambda x, y: (x, y), "cgcs2000": lambda x, y: (x, y), "gcj02": wgs84_to_gcj02,
               "bd09": lambda x, y: gcj02_to_bd09(*wgs84_to_gcj02(x, y))}[system]
    rows = [[f"C{i}", f"点{i}", "民警", code, "", "在岗", *forward(lon, lat)] for i, (code, lon, lat) in enumerate(places)]
    report = run(store_path, "responders", write_csv(tmp_path / "r.csv", ROSTER, rows), crs=system)
    assert report["added"] == len(places) and not report["problems"]
    with Store.open(store_path) as store:
        stored = store.read_layer("responders", where="responder_id LIKE 'C%'").sort_values("responder_id")
    for (_, lon, lat), point in zip(places, stored.geometry):
        assert metres_apart((lon, lat), (point.x, point.y)) < 1.0


def test_a_crs_column_wins_over_the_option(store_path, places, tmp_path):
    (code, lon, lat), (code2, lon2, lat2) = places[:2]
    rows = [["G1", "甲", "民警", code, "", "", *wgs84_to_gcj02(lon, lat), "高德"],
            ["B1", "乙", "民警", code2, "", "", *gcj02_to_bd09(*wgs84_to_gcj02(lon2, lat2)), "bd09"],
            ["W1", "丙", "民警", code2, "", "", lon2, lat2, ""]]
    path = write_csv(tmp_path / "r.csv", [*ROSTER, "坐标系"], rows, "utf-8-sig")
    report = run(store_path, "responders", path, crs="wgs84")
    assert report["columns"]["crs"] == "坐标系" and report["added"] == 3
    with Store.open(store_path) as store:
        got = {r: (g.x, g.y) for r, g in store.read_layer("responders", where="responder_id IN ('G1', 'B1', 'W1')")
               [["responder_id", "geometry"]].itertuples(index=False)}
    assert metres_apart(got["G1"], (lon, lat)) < 1 and metres_apart(got["B1"], (lon2, lat2)) < 1
    assert metres_apart(got["W1"], (lon2, lat2)) < 1e-3


def test_swapped_positions_are_caught_where_both_orders_are_valid_degrees(tmp_path):
    """West of 90 E (Urumqi) a swapped pair is still a valid lon/lat; the territory tells them apart."""
    path = tmp_path / "urumqi.gpkg"
    with Store.create(path) as store:
        store.write_layer("grids", gpd.GeoDataFrame(
            {"code": ["650102001"], "name": ["天山街道"], "level": [1], "version": [1]},
            geometry=[shapely.box(87.55, 43.75, 87.70, 43.85)], crs=4326))
    rows = [["U1", "甲", "民警", "650102001", "", "", 87.6, 43.8], ["U2", "乙", "民警", "650102001", "", "", 43.8, 87.6]]
    report = run(path, "responders", write_csv(tmp_path / "r.csv", ROSTER, rows))
    assert problems_by_row(report) == {(3, "经度"): "position 43.8, 87.6 is outside the territory: lat/lon swapped?"}
