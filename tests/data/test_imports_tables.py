"""Reading a centre's files: encodings, Excel sheets, GIS files and GPX tracks; header detection;
stream URLs shown without their passwords."""

from __future__ import annotations

import geopandas as gpd
import pytest
import shapely

from data.imports.columns import ColumnError, detect_columns
from data.imports.layers import RESPONDERS
from data.streamurls import keep_stored_password, mask_url, without_password
from data.imports.tables import TableError, read_rows
from tests.data.imports_helpers import write_csv, write_xlsx

HEADER = ["工号", "姓名", "人员类型", "所属网格", "手机", "状态", "经度", "纬度"]
ROWS = [["W1", "张三", "专职网格员", "420602001001001", "13800000001", "在岗", "112.1", "32.0"],
        ["W2", "李四", "网格长", "420602001001002", "13800000002", "休息", "112.2", "32.1"]]


@pytest.mark.parametrize("encoding", ["gbk", "gb18030", "utf-8-sig", "utf-8"])
def test_csv_reads_in_every_encoding_excel_writes(tmp_path, encoding):
    rows = read_rows(write_csv(tmp_path / "roster.csv", HEADER, ROWS, encoding))
    assert rows.columns == HEADER
    assert [r["姓名"] for r in rows.records] == ["张三", "李四"]
    assert rows.numbers == [2, 3]  # as Excel numbers them: the header is row 1


def test_blank_lines_keep_the_row_numbers_the_user_sees(tmp_path):
    path = write_csv(tmp_path / "roster.csv", HEADER, [ROWS[0], [""] * len(HEADER), ROWS[1]], "gbk")
    assert read_rows(path).numbers == [2, 4]


def test_xlsx_reads_the_first_sheet_or_the_one_named(tmp_path):
    path = write_xlsx(tmp_path / "roster.xlsx", {"说明": (["说明"], [["本表为网格员花名册"]]), "花名册": (HEADER, ROWS)})
    assert read_rows(path).columns == ["说明"]
    rows = read_rows(path, sheet="花名册")
    assert rows.sheet == "花名册" and [r["工号"] for r in rows.records] == ["W1", "W2"] and rows.numbers == [2, 3]
    with pytest.raises(TableError, match="no sheet '名单'; sheets: 说明, 花名册"):
        read_rows(path, sheet="名单")


def test_gpx_tracks_become_lines(tmp_path):
    gpx = tmp_path / "patrol.gpx"
    gpx.write_text(
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        '<gpx version="1.1" creator="test" xmlns="http://www.topografix.com/GPX/1/1">'
        "<trk><name>一号巡逻线</name><trkseg><trkpt lat=\"32.00\" lon=\"112.10\"/><trkpt lat=\"32.01\" lon=\"112.11\"/></trkseg>"
        "<trkseg><trkpt lat=\"32.01\" lon=\"112.11\"/><trkpt lat=\"32.02\" lon=\"112.11\"/></trkseg></trk></gpx>",
        encoding="utf-8")
    rows = read_rows(gpx)
    assert [r["name"] for r in rows.records] == ["一号巡逻线"]
    assert shapely.get_type_id(rows.geometries[0]) == shapely.GeometryType.LINESTRING
    assert shapely.get_coordinates(rows.geometries[0]).tolist() == [[112.10, 32.00], [112.11, 32.01], [112.11, 32.02]]


def test_a_projected_shapefile_is_reprojected_to_lon_lat(tmp_path):
    frame = gpd.GeoDataFrame({"编号": ["K1"]}, geometry=[shapely.Point(112.1, 32.0)], crs=4490).to_crs(4547)
    frame.to_file(tmp_path / "checkpoints.shp", encoding="utf-8")
    rows = read_rows(tmp_path / "checkpoints.shp")
    assert rows.projected and rows.geometries[0].distance(shapely.Point(112.1, 32.0)) < 1e-7


def test_unreadable_files_say_why(tmp_path):
    with pytest.raises(TableError, match="no such file"):
        read_rows(tmp_path / "missing.csv")
    (tmp_path / "roster.txt").write_text("a")
    with pytest.raises(TableError, match="unknown format '.txt'"):
        read_rows(tmp_path / "roster.txt")
    (tmp_path / "bad.xlsx").write_bytes(b"not a zip")
    with pytest.raises(TableError, match="not an Excel .xlsx file"):
        read_rows(tmp_path / "bad.xlsx")
    (tmp_path / "花名册.xls").write_bytes(bytes.fromhex("d0cf11e0a1b11ae1") + b"\0" * 504)  # an OLE2 header
    with pytest.raises(TableError, match=r"Excel 97-2003 workbook \(\.xls\) cannot be read; .* save it as \.xlsx"):
        read_rows(tmp_path / "花名册.xls")


def test_headers_are_found_in_chinese_and_english_whatever_their_case_and_units():
    aliases = {f.name: f.headers for f in RESPONDERS.fields}
    found = detect_columns(["工号", "姓名", "人员类型", "所属网格", "手机号码", "状态", "经度（GCJ02）", "LAT"], aliases, {})
    assert found == {"id": "工号", "name": "姓名", "kind": "人员类型", "role": None, "grid": "所属网格",
                     "phone": "手机号码", "status": "状态", "skills": None, "lon": "经度（GCJ02）", "lat": "LAT", "crs": None}
    english = detect_columns(["ID", "Name", "Type", "Grid_Code", "Lng", "Lat"], aliases, {})
    assert (english["id"], english["kind"], english["grid"], english["lon"]) == ("ID", "Type", "Grid_Code", "Lng")


def test_an_override_names_the_column_and_a_wrong_one_is_refused():
    aliases = {f.name: f.headers for f in RESPONDERS.fields}
    found = detect_columns(["人员代号", "姓名", "岗位类别"], aliases, {"id": "人员代号", "kind": "岗位类别"})
    assert (found["id"], found["kind"]) == ("人员代号", "岗位类别")
    with pytest.raises(ColumnError, match="--id-field: no column '代号'; the file has: 人员代号, 姓名"):
        detect_columns(["人员代号", "姓名"], aliases, {"id": "代号"})


@pytest.mark.parametrize("url, shown", [
    ("rtsp://admin:123456@10.1.2.3:554/Streaming/Channels/101", "rtsp://admin:***@10.1.2.3:554/Streaming/Channels/101"),
    ("rtsp://admin:pa/ss@10.1.2.3/h264", "rtsp://admin:***@10.1.2.3/h264"),
    ("rtsp://admin:p#ss?w@10.1.2.3/h264", "rtsp://admin:***@10.1.2.3/h264"),
    ("rtsp://admin:p@ss@word@10.1.2.3:554/x", "rtsp://admin:***@10.1.2.3:554/x"),
    ("rtsp://10.1.2.3/live", "rtsp://10.1.2.3/live"),
    ("http://gw/live.flv?token=abc&ch=1", "http://gw/live.flv?token=***&ch=1"),
])
def test_masked_urls_keep_the_user_and_hide_the_password(url, shown):
    assert mask_url(url) == shown


def test_an_export_without_secrets_keeps_the_stored_password_when_imported_back():
    stored = "rtsp://admin:p/ss#1@10.1.2.3/main"
    exported = without_password(stored)
    assert exported == "rtsp://admin@10.1.2.3/main" and "p/ss" not in exported
    assert keep_stored_password(exported, stored) == stored
    assert keep_stored_password("rtsp://admin@10.9.9.9/main", stored) == "rtsp://admin@10.9.9.9/main"
    assert keep_stored_password("rtsp://admin:new@10.1.2.3/main", stored) == "rtsp://admin:new@10.1.2.3/main"
