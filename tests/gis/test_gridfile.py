"""Reading grid files of every supported format into the standard form, and writing them back."""

from __future__ import annotations

import json

import numpy as np
import pyogrio
import pytest
import shapely
from geopandas import GeoDataFrame
from shapely.geometry import LineString, MultiPolygon, Polygon, box

from gis import crs
from gis.datum import datum_offset
from gis.gridfile import GridFileError, read_grid_file, read_grid_files, write_grid_file
from gis.topology import validate

STANDARD_COLUMNS = ["code", "name", "level", "parent_code", "households", "geometry", "source_fid"]
PARENT_CODES = [None, "420602001", "420602001001", "420602001001"]


def sample(**columns) -> GeoDataFrame:
    """A township, its village and two grids; keyword arguments rename or drop (None) columns."""
    frame = GeoDataFrame(
        {
            "code": ["420602001", "420602001001", "420602001001001", "420602001001002"],
            "name": ["檀溪街道", "檀溪社区", "第一网格", "第二网格"],
            "level": [1, 2, 3, 3],
            "parent_code": PARENT_CODES,
            "households": [0, 0, 310, 480],
        },
        geometry=[MultiPolygon([box(*bounds)]) for bounds in (
            (112.1, 32.0, 112.2, 32.1), (112.1, 32.0, 112.2, 32.05),
            (112.1, 32.0, 112.15, 32.05), (112.15, 32.0, 112.2, 32.05),
        )],
        crs="EPSG:4326",
    )
    dropped = [old for old, new in columns.items() if new is None]
    return frame.drop(columns=dropped).rename(columns={o: n for o, n in columns.items() if n})


def assert_standard(grids: GeoDataFrame, expected: GeoDataFrame | None = None) -> None:
    expected = sample() if expected is None else expected
    assert list(grids.columns) == STANDARD_COLUMNS
    assert grids.crs.to_epsg() == 4326
    assert grids["code"].tolist() == expected["code"].tolist()
    assert grids["name"].tolist() == expected["name"].tolist()
    assert grids["level"].tolist() == [1, 2, 3, 3]
    assert grids["parent_code"].tolist() == PARENT_CODES
    assert grids["households"].tolist() == [0, 0, 310, 480]
    assert set(grids.geom_type) == {"MultiPolygon"}
    assert shapely.has_z(grids.geometry.array).sum() == 0
    assert all(shapely.equals_exact(grids.geometry.array, expected.geometry.array, tolerance=1e-9, normalize=True))


@pytest.mark.parametrize(
    ("suffix", "driver", "first_fid"),
    [("geojson", "GeoJSON", 0), ("gpkg", "GPKG", 1), ("shp", "ESRI Shapefile", 0), ("kml", "KML", 1)],
)
def test_reads_every_format_into_the_standard_form(tmp_path, suffix, driver, first_fid):
    path = tmp_path / f"grids.{suffix}"
    write_grid_file(sample(), path)
    assert pyogrio.read_info(path)["driver"] in (driver, "LIBKML")
    grids = read_grid_file(path)
    assert_standard(grids)
    assert grids["source_fid"].tolist() == list(range(first_fid, first_fid + 4))


def test_kml_works_with_the_bundled_gdal():
    drivers = pyogrio.list_drivers()
    assert "r" in drivers.get("LIBKML", drivers.get("KML")) and "w" in drivers["KML"]


def test_shapefile_export_names_parent_code_as_gdal_truncates_it(tmp_path):
    write_grid_file(sample(), tmp_path / "grids.shp")
    assert "parent_cod" in pyogrio.read_info(tmp_path / "grids.shp")["fields"]


@pytest.mark.parametrize(
    "names",
    [
        {"code": "CODE", "name": "NAME", "level": "Level", "parent_code": "PARENT"},
        {"code": "grid_code", "name": "grid_name", "level": "grid_level", "parent_code": "pcode"},
        {"code": "编码", "name": "名称", "level": "层级", "parent_code": "上级编码", "households": "户数"},
    ],
)
def test_detects_usual_field_names(tmp_path, names):
    path = tmp_path / "grids.gpkg"
    sample(**names).to_file(path)
    assert_standard(read_grid_file(path))


def test_field_options_name_other_fields(tmp_path):
    path = tmp_path / "grids.geojson"
    names = {"code": "WGBM", "name": "WGMC", "level": "JB", "parent_code": "SJBM", "households": "HS"}
    sample(**names).to_file(path)
    with pytest.raises(GridFileError, match="no code field.*--code-field"):
        read_grid_file(path)
    assert_standard(read_grid_file(path, fields=names))
    fields = {"code": "wgbm", "name": "wgmc", "level": "jb", "parent_code": "sjbm", "households": "hs"}
    assert_standard(read_grid_file(path, fields=fields))  # case does not matter either


def test_field_option_naming_a_missing_field_is_an_error(tmp_path):
    path = tmp_path / "grids.geojson"
    sample().to_file(path)
    with pytest.raises(GridFileError, match="field 'BM' not found; the file has: code, name"):
        read_grid_file(path, fields={"code": "BM"})


def test_without_level_field_levels_follow_the_parent_chain(tmp_path):
    path = tmp_path / "grids.geojson"
    sample(level=None).to_file(path)
    assert read_grid_file(path)["level"].tolist() == [1, 2, 3, 3]


def test_without_name_or_households_fields(tmp_path):
    path = tmp_path / "grids.geojson"
    sample(name=None, households=None).to_file(path)
    grids = read_grid_file(path)
    assert grids["name"].tolist() == grids["code"].tolist()
    assert "households" not in grids.columns


def test_numeric_and_blank_codes_become_text_or_none(tmp_path):
    path = tmp_path / "grids.geojson"
    frame = sample()
    frame["code"] = [420602001.0, 420602001001.0, 420602001001001.0, np.nan]
    frame["parent_code"] = ["  ", "420602001", "420602001001", "420602001001"]
    frame.to_file(path)
    grids = read_grid_file(path)
    assert grids["code"].tolist() == ["420602001", "420602001001", "420602001001001", None]
    assert grids["parent_code"].tolist()[0] is None


def test_projected_file_is_reprojected_to_lonlat(tmp_path):
    path = tmp_path / "grids.gpkg"
    sample().to_crs("EPSG:32649").to_file(path)  # UTM zone 49N
    assert_standard(read_grid_file(path), sample().to_crs("EPSG:32649").to_crs("EPSG:4326"))


def test_cgcs2000_is_taken_as_wgs84_unchanged(tmp_path):
    path = tmp_path / "grids.gpkg"
    sample().set_crs("EPSG:4490", allow_override=True).to_file(path)
    assert_standard(read_grid_file(path))


def test_file_without_crs_keeps_its_numbers_for_validation_to_judge(tmp_path):
    path = tmp_path / "grids.shp"
    write_grid_file(sample().to_crs("EPSG:32649"), path)
    (tmp_path / "grids.prj").unlink()
    grids = read_grid_file(path)
    assert grids.crs.to_epsg() == 4326
    assert grids.total_bounds[0] > 180  # still metres: validation reports not_lonlat


def test_other_geometry_types_are_kept_for_validation(tmp_path):
    path = tmp_path / "grids.geojson"
    frame = sample()
    frame.loc[3, "geometry"] = LineString([(112.15, 32.0), (112.2, 32.05)])
    frame.to_file(path)
    assert read_grid_file(path).geom_type.tolist() == ["MultiPolygon"] * 3 + ["LineString"]


def test_invalid_polygons_are_read_as_they_are(tmp_path):
    path = tmp_path / "grids.geojson"
    frame = sample()
    frame.loc[3, "geometry"] = Polygon([(112.15, 32.0), (112.2, 32.05), (112.2, 32.0), (112.15, 32.05)])
    frame.to_file(path)
    assert not read_grid_file(path).geometry.iloc[3].is_valid


def test_store_file_with_several_layers_reads_the_grids_layer(tmp_path):
    path = tmp_path / "store.gpkg"
    sample().to_file(path, layer="roads")
    sample().to_file(path, layer="grids")
    assert_standard(read_grid_file(path))
    assert len(read_grid_file(path, layer="roads")) == 4


@pytest.mark.parametrize(
    ("setup", "layer", "message"),
    [
        (lambda p: None, None, "no such file"),
        (lambda p: p.write_text("just text"), None, "grids.geojson: not a GIS file that GDAL can read"),
        (lambda p: sample().to_file(p), "nope", "no layer 'nope'; layers: grids"),
        (lambda p: sample().iloc[:0].to_file(p), None, "no features"),
    ],
)
def test_unreadable_input_is_one_clear_error(tmp_path, setup, layer, message):
    path = tmp_path / "grids.geojson"
    setup(path)
    with pytest.raises(GridFileError, match=message) as err:
        read_grid_file(path, layer=layer)
    assert "\n" not in str(err.value)


def test_several_layers_without_grids_need_a_layer_option(tmp_path):
    path = tmp_path / "many.gpkg"
    sample().to_file(path, layer="a")
    sample().to_file(path, layer="b")
    with pytest.raises(GridFileError, match=r"several layers \(a, b\); choose one with --layer"):
        read_grid_file(path)


def test_table_without_geometry_is_refused(tmp_path):
    path = tmp_path / "grids.csv"
    path.write_text("code,name\nA,甲\n")
    with pytest.raises(GridFileError, match="no geometry"):
        read_grid_file(path)


def test_unknown_output_suffix_is_refused(tmp_path):
    with pytest.raises(GridFileError, match="unknown output format '.dxf'"):
        write_grid_file(sample(), tmp_path / "grids.dxf")


def test_3d_kml_from_other_tools_is_read_as_2d(tmp_path):
    path = tmp_path / "grids.kml"
    pyogrio.write_dataframe(sample(), path, driver="LIBKML")  # writes altitude 0 on every vertex
    assert shapely.has_z(pyogrio.read_dataframe(path).geometry.array).all()
    assert_standard(read_grid_file(path))


def test_writing_into_a_missing_folder_is_one_clear_error(tmp_path):
    with pytest.raises(GridFileError, match="cannot write .*missing/grids.gpkg"):
        write_grid_file(sample(), tmp_path / "missing" / "grids.gpkg")


# DataV.GeoAtlas-style files: two districts of Xiangyang (襄阳, Hubei) and their streets, exported
# in GCJ-02 as DataV does. TRUTH is where they are in WGS-84.
def _segmentized(*bounds) -> Polygon:
    return shapely.segmentize(box(*bounds), 0.001)  # vertices ~100 m apart, as traced boundaries have


TRUTH = {
    420602: ("襄城区", None, _segmentized(112.05, 31.96, 112.10, 32.04)),
    420606: ("樊城区", None, _segmentized(112.10, 31.96, 112.15, 32.04)),
    420602001: ("檀溪街道", 420602, _segmentized(112.05, 31.96, 112.10, 32.00)),
    420602002: ("庞公街道", 420602, _segmentized(112.05, 32.00, 112.10, 32.04)),
    420606001: ("汉江街道", 420606, _segmentized(112.10, 31.96, 112.15, 32.00)),
    420606002: ("王寨街道", 420606, _segmentized(112.10, 32.00, 112.15, 32.04)),
}
# A generalisation sliver of 襄城区 (about 0.5 m²) poking into 樊城区, as DataV's MultiPolygons have.
SLIVER_PART = Polygon([(112.10001, 32.0), (112.10004, 32.0), (112.10001, 32.000003)])


def to_gcj02(geoms):
    return shapely.transform(geoms, lambda xy: np.column_stack(crs.wgs84_to_gcj02(xy[:, 0], xy[:, 1])))


def truth_geometry(adcode: int):
    parts = [TRUTH[adcode][2]] + ([SLIVER_PART] if adcode == 420602 else [])
    return MultiPolygon(parts)


def datav_feature(adcode: int, level: str, index: int) -> dict:
    """One Feature as DataV.GeoAtlas writes it: GCJ-02, MultiPolygon, the parent as an object."""
    name, parent, _ = TRUTH[adcode]
    geometry = to_gcj02(truth_geometry(adcode))
    centre = geometry.geoms[0].centroid
    return {"type": "Feature", "properties": {
        "adcode": adcode, "name": name, "center": [round(centre.x, 6), round(centre.y, 6)],
        "centroid": [centre.x, centre.y], "childrenNum": 0 if level == "street" else 2, "level": level,
        "parent": {"adcode": parent or 420600}, "subFeatureIndex": index, "acroutes": [100000, 420000, 420600],
    }, "geometry": shapely.geometry.mapping(geometry)}


def districts() -> list[dict]:
    return [datav_feature(code, "district", i) for i, code in enumerate((420602, 420606))]


def streets() -> list[dict]:
    return [datav_feature(code, "street", i) for i, code in enumerate((420602001, 420602002, 420606001, 420606002))]


def write_json(path, root) -> None:
    path.write_text(json.dumps(root, ensure_ascii=False), encoding="utf-8")


def assert_truth(grids: GeoDataFrame, codes: list[int]) -> None:
    assert grids["code"].tolist() == [str(code) for code in codes]
    assert grids["name"].tolist() == [TRUTH[code][0] for code in codes]
    assert grids["parent_code"].tolist() == [None if TRUTH[c][1] is None else str(TRUTH[c][1]) for c in codes]
    assert set(grids.geom_type) == {"MultiPolygon"}
    # The inverse of GCJ-02 is exact to a millimetre: every vertex comes back within 1e-8° (~1 mm).
    assert all(shapely.equals_exact(grids.geometry.array, [truth_geometry(c) for c in codes], tolerance=1e-8))


def test_datav_bare_array_of_features_is_read_with_adcodes_text_levels_and_parent_objects(tmp_path):
    path = tmp_path / "420600_district.json"
    write_json(path, districts())
    grids = read_grid_file(path, crs="gcj02")
    assert_truth(grids, [420602, 420606])  # their parent, the city 420600, is not a grid here
    assert grids["level"].tolist() == [1, 1]
    assert len(grids.geometry.iloc[0].geoms) == 2  # the sliver part is kept for validation to judge


def test_datav_levels_are_numbered_in_order_and_the_hierarchy_validates(tmp_path):
    path = tmp_path / "420600_full.json"
    write_json(path, {"type": "FeatureCollection", "features": streets() + districts()})
    grids = read_grid_file(path, crs="gcj02")
    codes = [420602001, 420602002, 420606001, 420606002, 420602, 420606]
    assert_truth(grids, codes)
    assert grids["level"].tolist() == [2, 2, 2, 2, 1, 1]
    assert validate(grids) == []  # the sliver overlaps and the gap it leaves are under a square metre


def test_one_file_per_level(tmp_path):
    write_json(tmp_path / "districts.json", districts())
    write_json(tmp_path / "streets.json", streets())
    grids = read_grid_files({2: tmp_path / "streets.json", 1: tmp_path / "districts.json"}, crs="gcj02")
    assert_truth(grids, [420602, 420606, 420602001, 420602002, 420606001, 420606002])
    assert grids["level"].tolist() == [1, 1, 2, 2, 2, 2]
    assert validate(grids) == []


def test_parent_object_as_json_text_as_gdal_converts_it_to_a_shapefile(tmp_path):
    path = tmp_path / "districts_streets.shp"
    frame = GeoDataFrame.from_features(districts() + streets())
    frame["parent"] = [json.dumps(parent) for parent in frame["parent"]]
    frame[["adcode", "name", "level", "parent", "geometry"]].set_crs(4326).to_file(path, encoding="utf-8")
    assert pyogrio.read_info(path)["fields"].tolist() == ["adcode", "name", "level", "parent"]
    grids = read_grid_file(path)
    assert grids["parent_code"].tolist() == [None, None, "420602", "420602", "420606", "420606"]


@pytest.mark.parametrize(("root", "message"), [
    ({"type": "Topology", "objects": {}}, "JSON root is a TopoJSON Topology (convert it to GeoJSON first), expected"),
    ([], "JSON root is an empty array, expected a FeatureCollection"),
    ([{"type": "Feature", "properties": {}, "geometry": None}, 7],
     "JSON root is an array whose item 1 is a number, not a Feature, expected a FeatureCollection"),
    ({"features": []}, "JSON root is an object with keys features, expected a FeatureCollection"),
    ('[{"type": "Feature"', "not a GIS file that GDAL can read (invalid JSON: "),
])
def test_json_that_is_not_geojson_says_what_its_root_is(tmp_path, root, message):
    path = tmp_path / "grids.json"
    path.write_text(root if isinstance(root, str) else json.dumps(root), encoding="utf-8")
    with pytest.raises(GridFileError) as err:
        read_grid_file(path)
    assert message in str(err.value) and "\n" not in str(err.value)


def test_hand_edited_unclosed_ring_is_named_not_a_traceback(tmp_path):
    path = tmp_path / "grids.geojson"
    features = json.loads(json.dumps(districts()))
    ring = features[1]["geometry"]["coordinates"][0][0]
    del ring[-1]  # the last point no longer repeats the first
    write_json(path, {"type": "FeatureCollection", "features": features})
    with pytest.raises(GridFileError) as err:
        read_grid_file(path)
    assert str(err.value) == (f"{path}: 1 feature(s) with broken polygon rings, fix them in the file: "
                              "fid 1: a polygon ring is not closed (its last point is not its first)")


@pytest.mark.parametrize("ring", [
    [[112.1, 32.0], [112.2, 32.0], [112.1, 32.0]],  # GEOS builds it; validation could not measure it
    [[112.1, 32.0], [112.1, 32.0]],  # GEOS refuses it
])
def test_hand_edited_ring_of_too_few_points_is_named_not_a_traceback(tmp_path, ring):
    path = tmp_path / "grids.geojson"
    features = districts()
    features[1]["geometry"] = {"type": "MultiPolygon", "coordinates": [[ring]]}
    write_json(path, {"type": "FeatureCollection", "features": features})
    with pytest.raises(GridFileError) as err:
        read_grid_file(path)
    assert str(err.value) == (f"{path}: 1 feature(s) with broken polygon rings, fix them in the file: fid 1: "
                              f"a polygon ring has {len(ring)} points; a ring needs at least 4, the last repeating "
                              "the first")


def assert_same_vertices(grids: GeoDataFrame, expected: GeoDataFrame, degrees: float) -> None:
    assert grids["code"].tolist() == expected["code"].tolist()
    assert set(grids.geom_type) == {"MultiPolygon"}
    offsets = shapely.get_coordinates(grids.geometry.array) - shapely.get_coordinates(expected.geometry.array)
    assert np.abs(offsets).max() < degrees


@pytest.mark.parametrize("system", ["gcj02", "bd09", "cgcs2000", "wgs84"])
def test_crs_option_undoes_the_files_system_on_every_vertex(tmp_path, system):
    path = tmp_path / "grids.geojson"
    truth = sample()
    shifted = shapely.transform(truth.geometry.array,
                                lambda xy: np.column_stack(crs.convert(xy[:, 0], xy[:, 1], "wgs84", system)))
    truth.set_geometry(shifted).to_file(path)
    assert_same_vertices(read_grid_file(path, crs=system), truth, 1e-8)  # ~1 mm


def test_projected_file_in_gcj02_is_taken_to_lonlat_first(tmp_path):
    path = tmp_path / "grids.gpkg"
    truth = sample()
    shifted = truth.set_geometry(to_gcj02(truth.geometry.array))
    shifted.to_crs("EPSG:32649").to_file(path)
    assert_same_vertices(read_grid_file(path, crs="gcj02"), truth, 1e-8)


def test_unknown_crs_is_one_clear_error(tmp_path):
    path = tmp_path / "grids.geojson"
    sample().to_file(path)
    with pytest.raises(GridFileError, match="unknown coordinate system 'gcj'; expected one of: wgs84, gcj02"):
        read_grid_file(path, crs="gcj")


def test_datum_offset_tells_which_system_the_shapes_fit_the_reference_in():
    truth = np.array([truth_geometry(code) for code in (420602001, 420602002, 420606001, 420606002)])
    reference = np.array([truth_geometry(code) for code in (420602, 420606)])
    gcj = to_gcj02(truth)
    expected_m = np.median(np.hypot(*((shapely.get_coordinates(gcj) - shapely.get_coordinates(truth))
                                      * [111_195 * np.cos(np.radians(32.0)), 111_195]).T))
    assert 400 < expected_m < 800  # the GCJ-02 offset at a Hubei city
    offset = datum_offset(gcj, "wgs84", reference)  # a GCJ-02 file declared (by default) WGS-84
    assert (offset.declared, offset.fits) == ("wgs84", "gcj02")
    assert offset.offset_m == pytest.approx(expected_m, rel=0.01)
    assert offset.best_fit_m < 1 and offset.declared_fit_m > 100
    assert offset.message("store's grids").endswith(f"({offset.offset_m:.0f} m offset); use --crs gcj02")
    assert datum_offset(truth, "wgs84", reference) is None
    assert datum_offset(truth, "cgcs2000", reference) is None
    wrongly_undone = shapely.transform(truth, lambda xy: np.column_stack(crs.gcj02_to_wgs84(xy[:, 0], xy[:, 1])))
    assert datum_offset(wrongly_undone, "gcj02", reference).fits == "wgs84"  # a WGS-84 file declared GCJ-02
    abroad = shapely.transform(truth, lambda xy: xy + [-100, 20])  # no offset outside China: nothing tells
    assert datum_offset(abroad, "wgs84", shapely.transform(reference, lambda xy: xy + [-100, 20])) is None
    assert datum_offset(truth, "wgs84", []) is None
