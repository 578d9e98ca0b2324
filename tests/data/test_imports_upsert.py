"""Upsert by id: a second import changes nothing, an updated file exactly its changed rows;
--replace removes what the file no longer lists but keeps responders on open tickets; a roster
without positions places people at their grid's label point; --dry-run writes nothing."""

from __future__ import annotations

import geopandas as gpd
import pytest
import shapely

from data import auth
from data.imports import SPECS, import_layer
from data.store import Store, StoreError
from tests.data.imports_helpers import file_hash, import_demo, places, store_path, write_csv, write_xlsx

ROSTER = ["工号", "姓名", "人员类型", "所属网格", "手机", "状态", "经度", "纬度"]


def run(store_path, layer, path, **options):
    with Store.open(store_path) as store:
        return import_layer(store, SPECS[layer], path, **options)


def roster(places) -> list[list]:
    (c1, x1, y1), (c2, x2, y2), (c3, _, _) = places[:3]
    return [["N1", "张三", "专职网格员", c1, "13800000001", "在岗", x1, y1],
            ["N2", "李四", "网格长", c2, "13800000002", "休息", x2, y2],
            ["N3", "王五", "巡逻车", c3, "", "忙碌", "", ""]]


def counts(report):
    return {k: report[k] for k in ("added", "changed", "unchanged", "removed")}


def test_a_second_import_of_the_same_file_changes_nothing(store_path, places, tmp_path):
    path = write_csv(tmp_path / "roster.csv", ROSTER, roster(places))
    assert counts(run(store_path, "responders", path)) == {"added": 3, "changed": 0, "unchanged": 0, "removed": 0}
    before = file_hash(store_path)
    again = run(store_path, "responders", path)
    assert counts(again) == {"added": 0, "changed": 0, "unchanged": 3, "removed": 0} and not again["written"]
    assert file_hash(store_path) == before


def test_an_updated_file_changes_exactly_the_changed_rows(store_path, places, tmp_path):
    rows = roster(places)
    run(store_path, "responders", write_csv(tmp_path / "v1.csv", ROSTER, rows))
    rows[0][4] = "13900000009"  # a new phone
    rows[1][5] = "在岗"  # back on duty
    rows.append(["N4", "赵六", "民警", places[3][0], "", "在岗", places[3][1], places[3][2]])
    report = run(store_path, "responders", write_csv(tmp_path / "v2.csv", ROSTER, rows))
    assert counts(report) == {"added": 1, "changed": 2, "unchanged": 1, "removed": 0}
    assert report["changed_columns"] == {"phone": 1, "status": 1}
    with Store.open(store_path) as store:
        assert store.query("SELECT phone FROM responders WHERE responder_id = 'N1'") == [("13900000009",)]
        assert store.query("SELECT status FROM responders WHERE responder_id = 'N2'") == [("on_duty",)]
        assert store.count("responders") == 454 + 4


def test_columns_the_file_does_not_have_keep_what_the_store_holds(store_path, tmp_path):
    with Store.open(store_path) as store:
        (rid, name, status, skills), = store.query(
            "SELECT responder_id, name, status, skills FROM responders "
            "WHERE kind = 'police' AND status = 'busy' LIMIT 1")
    path = write_csv(tmp_path / "names.csv", ["编号", "姓名", "类型"], [[rid, name + "（改）", "民警"]])
    report = run(store_path, "responders", path)
    assert counts(report) == {"added": 0, "changed": 1, "unchanged": 0, "removed": 0}
    with Store.open(store_path) as store:
        assert store.query("SELECT name, status, skills FROM responders WHERE responder_id = ?", (rid,)) == [
            (name + "（改）", status, skills)]


def test_a_responder_without_a_position_is_placed_at_its_grids_label_point(store_path, places, tmp_path):
    run(store_path, "responders", write_csv(tmp_path / "roster.csv", ROSTER, roster(places)))
    with Store.open(store_path) as store:
        (source, at), = store.query("SELECT position_source, position_at FROM responders WHERE responder_id = 'N3'")
        placed = store.read_layer("responders", where="responder_id = 'N3'").geometry.iat[0]
        grid = store.read_layer("grids", where="code = ?", params=(places[2][0],)).geometry.iat[0]
        filed, = store.query("SELECT position_source FROM responders WHERE responder_id = 'N1'")
    assert source == "grid_label" and at is None and filed == ("file",)
    assert placed.equals(shapely.point_on_surface(grid))


def test_replace_removes_what_the_file_no_longer_lists_but_keeps_responders_on_open_tickets(store_path, places,
                                                                                         tmp_path):
    with Store.open(store_path) as store:
        busy = {lead for lead, in store.query("SELECT lead_id FROM tickets WHERE state NOT IN ('closed', 'merged') "
                                              "AND lead_id IS NOT NULL")}
        helpers = {h for hs, in store.query("SELECT helper_ids FROM tickets WHERE state NOT IN ('closed', 'merged') "
                                            "AND helper_ids IS NOT NULL") for h in hs.split(",")}
        total = store.count("responders")
    assert busy and helpers - busy  # the demo has leads and helpers on open tickets
    report = run(store_path, "responders", write_csv(tmp_path / "roster.csv", ROSTER, roster(places)), replace=True)
    kept = set(report["kept_ids"])
    assert kept == busy | helpers
    assert report["removed"] == total - len(kept) and report["added"] == 3
    with Store.open(store_path) as store:
        left = {r for r, in store.query("SELECT responder_id FROM responders")}
    assert left == kept | {"N1", "N2", "N3"}


def test_a_dry_run_reports_the_changes_and_writes_nothing(store_path, places, tmp_path):
    before = file_hash(store_path)
    report = run(store_path, "responders", write_csv(tmp_path / "roster.csv", ROSTER, roster(places)), dry_run=True)
    assert report["dry_run"] and not report["written"] and report["added"] == 3
    assert file_hash(store_path) == before


def test_a_stored_password_is_kept_but_never_reported(store_path, places, tmp_path):
    _, lon, lat = places[0]
    header = ["国标编码", "名称", "类别", "取流地址", "经度", "纬度"]
    url = "rtsp://admin:Pa/ss#9@10.0.0.7:554/h264/ch1/main"
    path = write_xlsx(tmp_path / "cams.xlsx", {"cams": (header, [["42060200001310000777", "测试", "雪亮", url, lon, lat]])})
    report = run(store_path, "cameras", path)
    assert report["added"] == 1 and "Pa/ss" not in str(report)
    with Store.open(store_path) as store:
        assert store.query("SELECT stream_main, grid_code IS NOT NULL FROM cameras "
                           "WHERE camera_id = '42060200001310000777'") == [(url, 1)]


def test_writing_responders_keeps_the_police_coverage_up_to_date(store_path, places, tmp_path, kept_coverage):
    report = run(store_path, "responders", write_csv(tmp_path / "roster.csv", ROSTER, roster(places)))
    assert report["coverage_kept"]
    assert kept_coverage(store_path)  # read back, not computed again


def test_gpx_tracks_import_as_patrol_routes_named_by_their_track(store_path, places, tmp_path):
    (_, x1, y1), (_, x2, y2) = places[:2]
    gpx = tmp_path / "patrol.gpx"
    gpx.write_text(
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        '<gpx version="1.1" creator="test" xmlns="http://www.topografix.com/GPX/1/1">'
        f'<trk><name>夜巡一线</name><trkseg><trkpt lat="{y1}" lon="{x1}"/><trkpt lat="{y2}" lon="{x2}"/></trkseg></trk>'
        "</gpx>", encoding="utf-8")
    report = run(store_path, "routes", gpx)
    assert report["added"] == 1 and report["positions"] == "geometry"
    assert report["columns"]["id"] == report["columns"]["name"] == "name"  # GPX's empty <number> is not the id
    with Store.open(store_path) as store:
        route = store.read_layer("patrol_routes", where="route_id = '夜巡一线'")
    assert route["name"].tolist() == ["夜巡一线"]
    assert shapely.get_coordinates(route.geometry.iat[0]).tolist() == [[x1, y1], [x2, y2]]


def test_a_surveying_bureaus_shapefile_in_a_cgcs2000_projection_imports(store_path, places, tmp_path):
    """Checkpoints from a Shapefile in CGCS2000 / 3-degree Gauss-Kruger (EPSG:4547) with Chinese field names."""
    points = [shapely.Point(x, y) for _, x, y in places[:2]]
    frame = gpd.GeoDataFrame({"编号": ["K9001", "K9002"], "名称": ["甲卡口", "乙卡口"], "类型": ["市界", "收费站"]},
                             geometry=points, crs=4490).to_crs(4547)
    frame.to_file(tmp_path / "卡口.shp", encoding="utf-8")
    report = run(store_path, "checkpoints", tmp_path / "卡口.shp", crs="gcj02")  # a projected file is not GCJ-02
    assert report["added"] == 2 and not report["problems"] and report["crs"] == "the file's own projection"
    with Store.open(store_path) as store:
        stored = store.read_layer("checkpoints", where="checkpoint_id LIKE 'K9%'").sort_values("checkpoint_id")
    assert stored["kind"].tolist() == ["boundary", "expressway_exit"]
    assert all(a.distance(b) < 1e-7 for a, b in zip(stored.geometry, points))


def test_an_import_whose_audit_row_fails_writes_no_row_either(store_path, places, tmp_path, monkeypatch):
    """The rows and their audit row are one transaction: no change without its record."""
    def fail(*_args, **_kwargs):
        raise StoreError("audit_log is full")

    before = file_hash(store_path)
    monkeypatch.setattr(auth, "audit", fail)
    with pytest.raises(StoreError, match="audit_log is full"):
        run(store_path, "responders", write_csv(tmp_path / "roster.csv", ROSTER, roster(places)))
    assert file_hash(store_path) == before
