"""Reading grid files of every supported format into the standard form, and writing them back."""

from __future__ import annotations

import numpy as np
import pyogrio
import pytest
import shapely
from geopandas import GeoDataFrame
from shapely.geometry import LineString, MultiPolygon, Polygon, box

from gis.gridfile import GridFileError, read_grid_file, write_grid_file

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
