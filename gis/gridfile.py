"""Read grid files of any common GIS format into the standard grid GeoDataFrame.

The standard form, which `gis.topology` checks and the store imports, has the columns
code (str), name (str), level (Int64), parent_code (str, None at the top level),
households (Int64, only if the file has it), geometry (MultiPolygon, EPSG:4326) and
source_fid (the feature id in the file, to point people at the right feature).

Files come as real sources make them: in GCJ-02 or BD-09 when drawn on Chinese web maps
(`crs` undoes the offset), shaped like DataV/GeoAtlas boundary files (adcode, text levels,
parent as a JSON object, a bare array of Features as the root), or one file per level.
"""

from __future__ import annotations

import json
import os
import re
import warnings
from collections.abc import Mapping

import numpy as np
import pandas as pd
import pyogrio
import pyproj
import shapely
from geopandas import GeoDataFrame

from gis.crs import CRS_NAMES, canonical, convert
from gis.topology import as_multipolygons, is_polygonal

# Field names seen in Chinese grid files, matched case-insensitively, best first.
# Include the names GDAL truncates to for shapefiles (10 characters).
FIELD_ALIASES: dict[str, tuple[str, ...]] = {
    "code": ("code", "grid_code", "gridcode", "编码", "网格编码", "代码", "adcode"),
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

# Level names as text (DataV's level property, Chinese registers), top first; a file's text
# levels are numbered 1, 2, ... in this order among those it uses.
LEVEL_WORDS: tuple[tuple[str, ...], ...] = (
    ("country", "国家"),
    ("province", "省", "省级"),
    ("city", "市", "地级市", "市级"),
    ("district", "county", "区", "县", "区县", "县级"),
    ("street", "township", "town", "街道", "乡镇", "镇", "乡"),
    ("community", "village", "社区", "村", "村居"),
    ("grid", "网格"),
)
_LEVEL_RANK = {word: rank for rank, words in enumerate(LEVEL_WORDS) for word in words}


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
    path: str | os.PathLike,
    layer: str | None = None,
    fields: Mapping[str, str | None] | None = None,
    crs: str | None = None,
) -> GeoDataFrame:
    """Read `path` (GeoJSON, GeoPackage, Shapefile, KML, ...) into the standard grid form.

    `fields` maps standard names (code, name, level, parent_code, households) to the file's
    own field names where detection would not find them. `crs` names the lon/lat system the
    file's coordinates are in (gis.crs.CRS_NAMES; None = WGS-84): a projected file is first
    taken back to lon/lat, then that system's offset is undone.
    """
    return _detach_top_level(_read_standard(path, layer, fields, crs))


def read_grid_files(
    files: Mapping[int, str | os.PathLike],
    layer: str | None = None,
    fields: Mapping[str, str | None] | None = None,
    crs: str | None = None,
) -> GeoDataFrame:
    """A hierarchy given as one file per level ({level: path}): every feature of a file is at its level."""
    frames = []
    for level, path in sorted(files.items()):
        frame = _read_standard(path, layer, fields, crs)
        frame["level"] = pd.array([level] * len(frame), dtype="Int64")
        frames.append(frame)
    return _detach_top_level(GeoDataFrame(pd.concat(frames, ignore_index=True), crs="EPSG:4326"))


def _read_standard(path, layer, fields, crs) -> GeoDataFrame:
    if crs is not None and crs not in CRS_NAMES:
        raise GridFileError(f"unknown coordinate system {crs!r}; expected one of: {', '.join(CRS_NAMES)}")
    raw = _read_layer(path, layer)
    source = detect_fields(list(raw.columns.drop(raw.geometry.name)), fields or {})
    grids = GeoDataFrame(
        {
            "code": _texts(raw[source["code"]]),
            "name": _texts(raw[source["name"] or source["code"]]),
            "level": _levels(raw[source["level"]]) if source["level"] else None,
            "parent_code": _texts(_parent_codes(raw[source["parent_code"]])) if source["parent_code"] else None,
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
    return _to_wgs84(grids[[c for c in columns if c in grids.columns]], path, crs)


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
    source: str | bytes = path
    try:
        names = [str(name) for name, _ in pyogrio.list_layers(path)]
    except pyogrio.errors.DataSourceError:
        source = _json_feature_collection(path)
        names = [str(name) for name, _ in pyogrio.list_layers(source)]
    if layer is None:
        layer = _default_layer(path, names)
    elif layer not in names:
        raise GridFileError(f"{path}: no layer {layer!r}; layers: {', '.join(names)}")
    try:
        with warnings.catch_warnings():  # GDAL's warnings (an unclosed ring) become the error below
            warnings.simplefilter("ignore", RuntimeWarning)
            frame = pyogrio.read_dataframe(source, layer=layer, fid_as_index=True)
    except _GDAL_ERRORS as err:
        raise GridFileError(f"cannot read {path}: {str(err).splitlines()[0]}") from None
    except shapely.errors.GEOSException:
        raise _broken_rings(source, layer, path) from None
    if not isinstance(frame, GeoDataFrame):
        raise GridFileError(f"{path}: layer has no geometry")
    if len(frame) == 0:
        raise GridFileError(f"{path}: layer has no features")
    _check_rings(frame, path)
    return frame


def _json_feature_collection(path: str) -> bytes:
    """A JSON file GDAL does not take, as a FeatureCollection: DataV/GeoAtlas exports and hand-made
    files may be a bare array of Features. Anything else is refused saying what its root is."""
    unreadable = f"{path}: not a GIS file that GDAL can read"
    with open(path, "rb") as file:
        head = file.read(64).lstrip(b"\xef\xbb\xbf \t\r\n")
    if not head.startswith((b"[", b"{")):
        raise GridFileError(unreadable)
    try:
        with open(path, encoding="utf-8-sig") as file:
            root = json.load(file)
    except (UnicodeDecodeError, json.JSONDecodeError) as err:
        raise GridFileError(f"{unreadable} (invalid JSON: {err})") from None
    if isinstance(root, list) and root and all(_is_feature(item) for item in root):
        return json.dumps({"type": "FeatureCollection", "features": root}, ensure_ascii=False).encode()
    raise GridFileError(f"{unreadable}: JSON root is {_describe_json(root)}, expected a FeatureCollection")


def _is_feature(item) -> bool:
    return isinstance(item, dict) and item.get("type") == "Feature"


def _describe_json(root) -> str:
    if isinstance(root, list):
        if not root:
            return "an empty array"
        index, item = next((i, item) for i, item in enumerate(root) if not _is_feature(item))
        return f"an array whose item {index} is {_describe_json(item)}, not a Feature"
    if isinstance(root, dict):
        if root.get("type") == "Topology":
            return "a TopoJSON Topology (convert it to GeoJSON first)"
        if "type" in root:
            return f"an object of type {root['type']!r}"
        return ("an object with keys " + ", ".join(map(str, list(root)[:5]))) if root else "an empty object"
    return {str: "a string", bool: "a boolean", type(None): "null"}.get(type(root), "a number")


def _ring_reason(geos_message: str) -> str:
    """GEOS's words for a ring it cannot build, in a grid analyst's words."""
    if "closed linestring" in geos_message:
        return "a polygon ring is not closed (its last point is not its first)"
    if match := re.search(r"number of points in LinearRing found (\d+)", geos_message):
        return _short_ring(int(match[1]))
    return geos_message


def _short_ring(points: int) -> str:
    return f"a polygon ring has {points} points; a ring needs at least 4, the last repeating the first"


def _broken_rings(source: str | bytes, layer: str | None, path: str) -> GridFileError:
    """Which features have rings GEOS cannot build (hand-edited files: a ring not closed), and why."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        _, fids, wkbs, _ = pyogrio.raw.read(source, layer=layer, columns=[], return_fids=True)
    broken = []
    for fid, wkb in zip(fids, wkbs):
        try:
            shapely.from_wkb(wkb)
        except shapely.errors.GEOSException as err:
            broken.append((fid, _ring_reason(str(err))))
    return _rings_error(path, broken)


def _check_rings(frame: GeoDataFrame, path: str) -> None:
    """Refuse rings of fewer than 4 points (the last repeating the first), which GEOS builds but no
    check can measure: a hand-edited file's typo, named like an unclosed ring."""
    parts, owner = shapely.get_parts(np.asarray(frame.geometry.array, dtype=object), return_index=True)
    polygons = shapely.get_type_id(parts) == shapely.GeometryType.POLYGON
    rings, part = shapely.get_rings(parts[polygons], return_index=True)
    points = shapely.get_num_coordinates(rings)
    short = np.flatnonzero(points < 4)
    if len(short):
        features = owner[polygons][part[short]]
        _, first = np.unique(features, return_index=True)
        raise _rings_error(path, [(frame.index[features[i]], _short_ring(points[short[i]])) for i in sorted(first)])


def _rings_error(path: str, broken: list[tuple[int, str]]) -> GridFileError:
    shown = "; ".join(f"fid {fid}: {why}" for fid, why in broken[:5])
    more = f"; and {len(broken) - 5} more" if len(broken) > 5 else ""
    return GridFileError(
        f"{path}: {len(broken)} feature(s) with broken polygon rings, fix them in the file: {shown}{more}")


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


def _levels(column: pd.Series) -> np.ndarray:
    """Level numbers; text levels (district, street, 街道, ...) numbered 1, 2, ... in LEVEL_WORDS
    order among those the file uses, so that a file of districts and streets starts at 1."""
    ranks = _texts(column).str.lower().map(_LEVEL_RANK)
    if ranks.isna().all() or pd.to_numeric(column, errors="coerce").notna().any():
        return _integers(column)
    numbers = {rank: level for level, rank in enumerate(sorted(set(ranks.dropna())), start=1)}
    return ranks.map(numbers).astype("Int64").to_numpy()


def _parent_codes(column: pd.Series) -> pd.Series:
    """Parent codes; DataV writes the parent as an object {"adcode": 420600}, which GDAL gives as a
    dict or as JSON text."""
    def code(value):
        if isinstance(value, str) and value.lstrip().startswith("{"):
            try:
                value = json.loads(value)
            except json.JSONDecodeError:
                return value
        if isinstance(value, dict):
            return value.get("adcode", value.get("code"))
        return value

    return pd.Series([code(value) for value in column.astype(object)], dtype=object)


def _detach_top_level(grids: GeoDataFrame) -> GeoDataFrame:
    """Top-level features whose parent is not among the codes lose it: a DataV district file names
    its city, a county's file of townships its county, neither being a grid of the hierarchy."""
    top = (grids["level"] == grids["level"].min()).fillna(False).to_numpy(dtype=bool)
    parents = grids["parent_code"]
    outside = top & parents.notna().to_numpy() & ~parents.isin(grids["code"]).to_numpy()
    grids.loc[outside, "parent_code"] = None
    return grids


def _to_wgs84(grids: GeoDataFrame, path: str, crs: str | None) -> GeoDataFrame:
    """Reproject to EPSG:4326 (CGCS2000 taken as WGS-84: they differ by centimetres), then undo
    the offset of the lon/lat system `crs` the file's coordinates were given in."""
    if grids.crs.to_epsg() in WGS84_EQUIVALENT_EPSG:
        grids = grids.set_crs("EPSG:4326", allow_override=True)
    else:
        try:
            grids = grids.to_crs("EPSG:4326")
        except pyproj.exceptions.ProjError as err:
            raise GridFileError(f"{path}: cannot reproject from {grids.crs.name} to lon/lat: {err}") from None
    return grids.set_geometry(reread(grids.geometry.array, crs or "wgs84", "wgs84"), crs="EPSG:4326")


def reread(geoms, src: str, dst: str) -> np.ndarray:
    """Every vertex of `geoms` converted from lon/lat system `src` to `dst` (gis.crs names)."""
    geoms = np.asarray(geoms, dtype=object)
    if canonical(src) == canonical(dst):
        return geoms
    return shapely.transform(geoms, lambda xy: np.column_stack(convert(xy[:, 0], xy[:, 1], src, dst)))


def _depths(codes: pd.Series, parent_codes: pd.Series) -> np.ndarray:
    """Levels from the parent chain (top = 1) for files without a level field; NA on broken chains."""
    levels = pd.Series(np.where(parent_codes.isna(), 1, pd.NA), index=codes.index, dtype="Int64")
    while True:
        parent_levels = pd.Series(parent_codes.map(dict(zip(codes, levels))), index=codes.index, dtype="Int64")
        resolvable = levels.isna() & parent_levels.notna()
        if not resolvable.any():
            return levels.to_numpy()
        levels[resolvable] = parent_levels[resolvable] + 1
