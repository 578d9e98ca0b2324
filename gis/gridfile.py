"""Read grid files of any common GIS format into the standard grid GeoDataFrame.

The standard form, which `gis.topology` checks and the store imports, has the columns
code (str), name (str), level (Int64), parent_code (str, None at the top level),
households (Int64, only if the file has it), geometry (MultiPolygon, EPSG:4326) and
source_fid (the feature id in the file, to point people at the right feature).
"""

from __future__ import annotations

import os
from collections.abc import Mapping

import numpy as np
import pandas as pd
import pyogrio
import pyproj
import shapely
from geopandas import GeoDataFrame

from gis.topology import as_multipolygons, is_polygonal

# Field names seen in Chinese grid files, matched case-insensitively, best first.
# Include the names GDAL truncates to for shapefiles (10 characters).
FIELD_ALIASES: dict[str, tuple[str, ...]] = {
    "code": ("code", "grid_code", "gridcode", "编码", "网格编码", "代码"),
    "name": ("name", "grid_name", "gridname", "名称", "网格名称"),
    "level": ("level", "grid_level", "gridlevel", "grid_leve", "层级", "级别"),
    "parent_code": ("parent_code", "parent_cod", "parent", "pcode", "parentcode", "上级编码", "父级编码"),
    "households": ("households", "household", "户数"),
}

# Output formats by file suffix, with the field renames each needs (shapefiles: 10 characters,
# named as GDAL truncates them so that detection reads them back).
OUTPUT_FORMATS: dict[str, tuple[str, dict[str, str]]] = {
    ".geojson": ("GeoJSON", {}),
    ".gpkg": ("GPKG", {}),
    ".shp": ("ESRI Shapefile", {"parent_code": "parent_cod"}),
    ".kml": ("KML", {}),
}
EXPORT_COLUMNS = ["code", "name", "level", "parent_code", "households"]

# Storage geographic CRSs that differ from WGS-84 by centimetres: taken as WGS-84 as is.
WGS84_EQUIVALENT_EPSG = {4326, 4490}  # 4490 = CGCS2000


_GDAL_ERRORS = (
    pyogrio.errors.DataSourceError,
    pyogrio.errors.DataLayerError,
    pyogrio.errors.FeatureError,
    pyogrio.errors.FieldError,
    pyogrio.errors.GeometryError,
    pyogrio.errors.CRSError,
)


class GridFileError(Exception):
    """The file cannot be read as grids at all (missing, not GIS data, no such layer, no code field)."""


def read_grid_file(
    path: str | os.PathLike, layer: str | None = None, fields: Mapping[str, str | None] | None = None
) -> GeoDataFrame:
    """Read `path` (GeoJSON, GeoPackage, Shapefile, KML, ...) into the standard grid form.

    `fields` maps standard names (code, name, level, parent_code, households) to the file's
    own field names where detection would not find them.
    """
    raw = _read_layer(path, layer)
    source = detect_fields(list(raw.columns.drop(raw.geometry.name)), fields or {})
    grids = GeoDataFrame(
        {
            "code": _texts(raw[source["code"]]),
            "name": _texts(raw[source["name"] or source["code"]]),
            "level": _integers(raw[source["level"]]) if source["level"] else None,
            "parent_code": _texts(raw[source["parent_code"]]) if source["parent_code"] else None,
        },
        geometry=_standard_geometries(raw.geometry.array),
        crs=raw.crs or "EPSG:4326",  # without a CRS, take lon/lat; validation checks the numbers
    )
    if not source["level"]:
        grids["level"] = _depths(grids["code"], grids["parent_code"])
    if source["households"]:
        grids["households"] = _integers(raw[source["households"]])
    grids["source_fid"] = raw.index.to_numpy()
    columns = ["code", "name", "level", "parent_code", "households", "geometry", "source_fid"]
    return _to_wgs84(grids[[c for c in columns if c in grids.columns]], path)


def write_grid_file(grids: GeoDataFrame, path: str | os.PathLike) -> None:
    """Write grids (EPSG:4326) to `path` in the format its suffix names, replacing the file."""
    path = os.fspath(path)
    suffix = os.path.splitext(path)[1].lower()
    if suffix not in OUTPUT_FORMATS:
        raise GridFileError(f"unknown output format {suffix or '(no suffix)'!r}: use {', '.join(OUTPUT_FORMATS)}")
    driver, renames = OUTPUT_FORMATS[suffix]
    columns = [c for c in EXPORT_COLUMNS if c in grids.columns]
    frame = grids[[*columns, grids.geometry.name]].rename(columns=renames)
    try:
        pyogrio.write_dataframe(frame, path, driver=driver, layer="grids" if driver == "GPKG" else None)
    except _GDAL_ERRORS as err:
        raise GridFileError(f"cannot write {path}: {str(err).splitlines()[0]}") from None


def detect_fields(columns: list[str], overrides: Mapping[str, str | None]) -> dict[str, str | None]:
    """Map each standard name to the file's field: the override if given, else the first alias present."""
    by_lower = {column.lower(): column for column in columns}
    found: dict[str, str | None] = {}
    for standard, aliases in FIELD_ALIASES.items():
        wanted = overrides.get(standard)
        if wanted:
            if wanted.lower() not in by_lower:
                raise GridFileError(f"field {wanted!r} not found; the file has: {', '.join(columns)}")
            found[standard] = by_lower[wanted.lower()]
        else:
            found[standard] = next((by_lower[a.lower()] for a in aliases if a.lower() in by_lower), None)
    if found["code"] is None:
        raise GridFileError(f"no code field found among {', '.join(columns) or 'no fields'}; name it with --code-field")
    return found


def _read_layer(path: str | os.PathLike, layer: str | None) -> GeoDataFrame:
    path = os.fspath(path)
    if not os.path.exists(path):
        raise GridFileError(f"{path}: no such file")
    try:
        names = [str(name) for name, _ in pyogrio.list_layers(path)]
    except pyogrio.errors.DataSourceError:
        raise GridFileError(f"{path}: not a GIS file that GDAL can read") from None
    if layer is None:
        layer = _default_layer(path, names)
    elif layer not in names:
        raise GridFileError(f"{path}: no layer {layer!r}; layers: {', '.join(names)}")
    try:
        frame = pyogrio.read_dataframe(path, layer=layer, fid_as_index=True)
    except _GDAL_ERRORS as err:
        raise GridFileError(f"cannot read {path}: {str(err).splitlines()[0]}") from None
    if not isinstance(frame, GeoDataFrame):
        raise GridFileError(f"{path}: layer has no geometry")
    if len(frame) == 0:
        raise GridFileError(f"{path}: layer has no features")
    return frame


def _default_layer(path: str, names: list[str]) -> str | None:
    """None (the only layer), or 'grids' among several (as in a gridsight store)."""
    if len(names) <= 1:
        return None
    if "grids" in names:
        return "grids"
    raise GridFileError(f"{path} has several layers ({', '.join(names)}); choose one with --layer")


def _texts(column: pd.Series) -> pd.Series:
    """Trimmed strings (numbers without a trailing .0), None where blank."""
    def as_text(value) -> str | None:
        if value is None or (not isinstance(value, str) and pd.isna(value)):
            return None
        if isinstance(value, float) and value.is_integer():
            value = int(value)
        text = str(value).strip()
        return text or None

    return pd.Series([as_text(value) for value in column.astype(object)], dtype=object)


def _standard_geometries(geoms) -> np.ndarray:
    """2-D, with polygons as MultiPolygons; other types are kept for validation to report."""
    geoms = shapely.force_2d(np.asarray(geoms, dtype=object))
    polygonal = is_polygonal(geoms) & ~shapely.is_empty(geoms)
    geoms[polygonal] = as_multipolygons(geoms[polygonal])
    return geoms


def _integers(column: pd.Series) -> np.ndarray:
    return pd.to_numeric(column, errors="coerce").round().astype("Int64").to_numpy()


def _to_wgs84(grids: GeoDataFrame, path: str) -> GeoDataFrame:
    """Reproject to EPSG:4326, taking CGCS2000 as WGS-84 (they differ by centimetres)."""
    if grids.crs.to_epsg() in WGS84_EQUIVALENT_EPSG:
        return grids.set_crs("EPSG:4326", allow_override=True)
    try:
        return grids.to_crs("EPSG:4326")
    except pyproj.exceptions.ProjError as err:
        raise GridFileError(f"{path}: cannot reproject from {grids.crs.name} to lon/lat: {err}") from None


def _depths(codes: pd.Series, parent_codes: pd.Series) -> np.ndarray:
    """Levels from the parent chain (top = 1) for files without a level field; NA on broken chains."""
    levels = pd.Series(np.where(parent_codes.isna(), 1, pd.NA), index=codes.index, dtype="Int64")
    while True:
        parent_levels = pd.Series(parent_codes.map(dict(zip(codes, levels))), index=codes.index, dtype="Int64")
        resolvable = levels.isna() & parent_levels.notna()
        if not resolvable.any():
            return levels.to_numpy()
        levels[resolvable] = parent_levels[resolvable] + 1
