"""Read a centre's file into rows, each with the row number the user sees.

Tables (.csv in UTF-8, UTF-8 with BOM or GBK/GB18030; .xlsx) give their cells as written, and
row numbers as Excel shows them (the header is row 1). Vector files (GeoJSON, GPKG, SHP, KML,
GPX) give their attributes and a WGS-84-or-as-declared geometry per feature, numbered from 1.
"""

from __future__ import annotations

import codecs
import csv
import io
import os
from dataclasses import dataclass

import numpy as np
import pyogrio
import shapely

from gis.gridfile import WGS84_EQUIVALENT_EPSG

TABLE_SUFFIXES = (".csv", ".xlsx")
VECTOR_SUFFIXES = (".geojson", ".json", ".gpkg", ".shp", ".kml", ".gpx")
# Encodings tried in order: Excel on a Chinese Windows saves "CSV" as GBK (GB18030 is its superset).
CSV_ENCODINGS = ("utf-8-sig", "gb18030")
# GPX layers that hold lines, and the layers that do not (points are no routes).
GPX_LINE_LAYERS = ("routes", "tracks")
# Spreadsheet formats that openpyxl cannot read, and what to do about them.
OLD_SPREADSHEETS = {".xls": "Excel 97-2003", ".et": "WPS", ".ods": "OpenDocument"}


class TableError(Exception):
    """The file cannot be read at all; the message says why."""


@dataclass
class Rows:
    """What a file holds: its column names, one dict per row, the row numbers and geometries."""

    columns: list[str]
    records: list[dict]
    numbers: list[int]
    geometries: np.ndarray | None = None  # per row, for vector files (lon/lat unless `projected`)
    row_word: str = "row"  # how the report names a row: "row" (tables) or "feature" (vector files)
    projected: bool = False  # the file declared a projected CRS and was reprojected to lon/lat (--crs not applied)
    sheet: str | None = None


def read_rows(path: str | os.PathLike, sheet: str | None = None) -> Rows:
    path = os.fspath(path)
    if not os.path.isfile(path):
        raise TableError(f"{path}: no such file")
    suffix = os.path.splitext(path)[1].lower()
    if suffix == ".csv":
        return _read_csv(path)
    if suffix == ".xlsx":
        return _read_xlsx(path, sheet)
    if suffix in VECTOR_SUFFIXES:
        return _read_vector(path, sheet)
    if suffix in OLD_SPREADSHEETS:
        raise TableError(f"{path}: a {OLD_SPREADSHEETS[suffix]} workbook ({suffix}) cannot be read; "
                         "open it in Excel or WPS and save it as .xlsx (or CSV)")
    raise TableError(f"{path}: unknown format {suffix or '(no suffix)'!r}; "
                     f"use {', '.join(TABLE_SUFFIXES + VECTOR_SUFFIXES)}")


def _read_csv(path: str) -> Rows:
    with open(path, "rb") as handle:
        raw = handle.read()
    for encoding in CSV_ENCODINGS:
        try:
            text = codecs.decode(raw, encoding)
            break
        except UnicodeDecodeError:
            continue
    else:
        raise TableError(f"{path}: neither UTF-8 nor GBK text; save it as CSV UTF-8 from Excel")
    sample = text[:4096]
    try:
        dialect = csv.Sniffer().sniff(sample, delimiters=",;\t")
    except csv.Error:
        dialect = csv.excel
    return _from_cells(path, enumerate(csv.reader(io.StringIO(text, newline=""), dialect), start=1))


def _read_xlsx(path: str, sheet: str | None) -> Rows:
    import openpyxl  # only for Excel files
    from openpyxl.utils.exceptions import InvalidFileException
    from zipfile import BadZipFile

    try:
        book = openpyxl.load_workbook(path, read_only=True, data_only=True)
    except (InvalidFileException, BadZipFile, KeyError, OSError) as err:
        raise TableError(f"{path}: not an Excel .xlsx file ({err})") from None
    try:
        if sheet is None:
            sheet_name = book.sheetnames[0]
        elif sheet in book.sheetnames:
            sheet_name = sheet
        else:
            raise TableError(f"{path}: no sheet {sheet!r}; sheets: {', '.join(book.sheetnames)}")
        rows = _from_cells(path, enumerate(book[sheet_name].iter_rows(values_only=True), start=1))
    finally:
        book.close()
    rows.sheet = sheet_name
    return rows


def _from_cells(path: str, numbered) -> Rows:
    """Rows from (row number, cells): the first non-empty row is the header; empty rows are skipped."""
    header = None
    records, numbers = [], []
    for number, cells in numbered:
        if not any(_filled(c) for c in cells):
            continue
        if header is None:
            header = [str(c).strip() if _filled(c) else f"column {i + 1}" for i, c in enumerate(cells)]
            continue
        records.append({name: cells[i] if i < len(cells) else None for i, name in enumerate(header)})
        numbers.append(number)
    if header is None:
        raise TableError(f"{path}: the file is empty")
    return Rows(header, records, numbers)


def _filled(cell) -> bool:
    return cell is not None and not (isinstance(cell, str) and not cell.strip())


def _read_vector(path: str, layer: str | None) -> Rows:
    try:
        layers = [str(name) for name, _ in pyogrio.list_layers(path)]
    except pyogrio.errors.DataSourceError:
        raise TableError(f"{path}: not a GIS file that GDAL can read") from None
    if path.lower().endswith(".gpx") and layer is None:
        wanted = [name for name in GPX_LINE_LAYERS if name in layers]
    elif layer is not None:
        if layer not in layers:
            raise TableError(f"{path}: no layer {layer!r}; layers: {', '.join(layers)}")
        wanted = [layer]
    elif len(layers) == 1:
        wanted = layers
    else:
        raise TableError(f"{path} has several layers ({', '.join(layers)}); choose one with --sheet")
    columns: list[str] = []
    records, geometries, projected = [], [], False
    for name in wanted:
        try:
            frame = pyogrio.read_dataframe(path, layer=name)
        except (pyogrio.errors.DataSourceError, pyogrio.errors.DataLayerError) as err:
            raise TableError(f"cannot read {path}: {str(err).splitlines()[0]}") from None
        if "geometry" not in frame:
            raise TableError(f"{path}: layer {name} has no geometry")
        if frame.crs is not None and frame.crs.to_epsg() not in WGS84_EQUIVALENT_EPSG:
            projected = projected or frame.crs.is_projected
            frame = frame.to_crs(4326)
        attributes = frame.drop(columns="geometry")
        columns += [c for c in attributes.columns if c not in columns]
        records += [{k: _plain(v) for k, v in row.items()} for row in attributes.to_dict("records")]
        geometries.append(shapely.force_2d(np.asarray(frame.geometry.values, dtype=object)))
    geoms = np.concatenate(geometries) if geometries else np.empty(0, dtype=object)
    return Rows(columns, records, list(range(1, len(records) + 1)), _as_lines(geoms), "feature", projected)


def _plain(value):
    """numpy scalars and NaN as plain Python values."""
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and np.isnan(value):
        return None
    return value


def _as_lines(geoms: np.ndarray) -> np.ndarray:
    """Multi-part tracks as one line (GPX tracks come as MultiLineStrings of their segments)."""
    multi = shapely.get_type_id(geoms) == shapely.GeometryType.MULTILINESTRING
    for i in np.flatnonzero(multi):
        merged = shapely.line_merge(geoms[i])
        if shapely.get_type_id(merged) != shapely.GeometryType.LINESTRING:
            merged = shapely.linestrings(shapely.get_coordinates(geoms[i]))
        geoms[i] = merged
    return geoms
