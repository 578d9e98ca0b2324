"""Export a layer as a file its import reads back to the same store, changing nothing.

Columns carry the store's names (which every import recognises), positions as lon/lat in
tables and as geometry in GIS files, routes as WKT in tables. Responders placed at their grid's
label point are exported without a position, so that they are placed there again. Stream
passwords are left out unless asked for (`with_secrets`).
"""

from __future__ import annotations

import csv
import os

import geopandas as gpd
import pyogrio
import shapely

from data.imports.layers import LayerSpec
from data.streamurls import without_password
from data.schema import STORAGE_SRID
from data.store import Store

EXPORT_SUFFIXES = (".csv", ".xlsx", ".geojson", ".gpkg")
_DRIVERS = {".geojson": "GeoJSON", ".gpkg": "GPKG"}
SECRET_COLUMNS = ("stream_main", "stream_sub")


class ExportError(Exception):
    """The export cannot be written; the message says why."""


def export_layer(store: Store, spec: LayerSpec, path: str | os.PathLike, with_secrets: bool = False) -> int:
    """Write the layer to `path` (format by suffix); the number of rows written."""
    path = os.fspath(path)
    suffix = os.path.splitext(path)[1].lower()
    if suffix not in EXPORT_SUFFIXES:
        raise ExportError(f"unknown export format {suffix or '(no suffix)'!r}: use {', '.join(EXPORT_SUFFIXES)}")
    frame = store.read_layer(spec.layer)
    columns = spec.columns
    table = frame[columns].astype(object).where(frame[columns].notna(), None)
    if not with_secrets:
        for column in SECRET_COLUMNS:
            if column in table:
                table[column] = table[column].map(without_password)
    geoms = frame.geometry.to_numpy().copy()
    if "position_source" in frame:
        geoms[(frame["position_source"] == "grid_label").to_numpy()] = None
    if os.path.exists(path):
        os.remove(path)
    if suffix in _DRIVERS:
        out = gpd.GeoDataFrame(table, geometry=list(geoms), crs=f"EPSG:{STORAGE_SRID}")
        try:
            pyogrio.write_dataframe(out, path, driver=_DRIVERS[suffix], layer=spec.layer if suffix == ".gpkg" else None)
        except (pyogrio.errors.DataSourceError, pyogrio.errors.DataLayerError, OSError) as err:
            raise ExportError(f"cannot write {path}: {str(err).splitlines()[0]}") from None
        return len(out)
    header, rows = _table_rows(spec, table, geoms)
    try:
        if suffix == ".csv":
            # UTF-8 with a BOM: Excel on a Chinese Windows opens it as UTF-8 instead of GBK.
            with open(path, "w", encoding="utf-8-sig", newline="") as handle:
                writer = csv.writer(handle)
                writer.writerow(header)
                writer.writerows([["" if v is None else v for v in row] for row in rows])
        else:
            _write_xlsx(path, spec.layer, header, rows)
    except OSError as err:
        raise ExportError(f"cannot write {path}: {err.strerror}") from None
    return len(rows)


def _table_rows(spec: LayerSpec, table, geoms) -> tuple[list[str], list[list]]:
    values = table.to_numpy().tolist()
    if spec.geometry == "line":
        return [*table.columns, "wkt"], [row + [None if g is None else shapely.to_wkt(g, rounding_precision=-1)]
                                         for row, g in zip(values, geoms)]
    coords = [(None, None) if g is None else (g.x, g.y) for g in geoms]
    return [*table.columns, "lon", "lat"], [row + list(xy) for row, xy in zip(values, coords)]


def _write_xlsx(path: str, title: str, header: list[str], rows: list[list]) -> None:
    import openpyxl  # only for Excel files

    book = openpyxl.Workbook(write_only=True)
    sheet = book.create_sheet(title)
    sheet.append(header)
    for row in rows:
        sheet.append(row)
    book.save(path)
