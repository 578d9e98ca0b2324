"""Every row of an import checked before anything is written, each problem named by row and column.

A row becomes the store's values for the columns the file provides, plus a WGS-84 geometry.
What the file does not provide (no such column) is not touched on rows the store already has.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import TypeVar

import numpy as np
import shapely

from data.imports.columns import without_bracketed
from data.imports.layers import KIND_ROLES, LayerSpec
from data.imports.tables import Rows
from gis import crs as crs_systems
from gis.gbt28181 import DeviceIdError, parse_camera_id
from gis.locate import OUTSIDE, GridIndex

# How far outside the territory (the hull of its grids) a position may lie: units patrol a little
# beyond the border and checkpoints stand on it.
TERRITORY_TOLERANCE_M = 2000.0
METRES_PER_DEGREE = 111_320.0
# Excel keeps numbers as doubles: an id typed as a number loses its digits beyond these.
EXACT_DIGITS = 15
CRS_ALIASES = {"wgs84": "wgs84", "wgs-84": "wgs84", "gps": "wgs84", "4326": "wgs84", "epsg:4326": "wgs84",
               "gcj02": "gcj02", "gcj-02": "gcj02", "火星坐标": "gcj02", "高德": "gcj02", "腾讯": "gcj02",
               "bd09": "bd09", "bd-09": "bd09", "百度": "bd09", "cgcs2000": "cgcs2000", "4490": "cgcs2000",
               "epsg:4490": "cgcs2000", "国家2000": "cgcs2000", "2000": "cgcs2000"}
T = TypeVar("T")
KIND_ROLES_LOWER = {k.lower(): v for k, v in KIND_ROLES.items()}


@dataclass(frozen=True)
class Problem:
    number: int  # the row (or feature) number the user sees
    column: str | None  # the file's header, None when the row as a whole is wrong
    message: str

    def as_dict(self, row_word: str) -> dict:
        return {row_word: self.number, "column": self.column, "problem": self.message}


@dataclass
class Context:
    """What the checks need from the store: its grids, the territory and the responders."""

    grid_codes: set[str]
    grid_index: GridIndex | None
    territory: shapely.Geometry | None  # the hull of the grids, widened by the tolerance
    responder_ids: set[str]
    labels: dict[str, shapely.Geometry] = field(default_factory=dict)

    @classmethod
    def of(cls, grids, responder_ids) -> "Context":
        codes = set(grids["code"].astype(str))
        territory = index = None
        if len(grids):
            hull = shapely.convex_hull(shapely.geometrycollections(np.asarray(grids.geometry.values)))
            lat = shapely.get_coordinates(hull)[:, 1].mean()
            territory = shapely.buffer(hull, TERRITORY_TOLERANCE_M / (METRES_PER_DEGREE * math.cos(math.radians(lat))))
            index = GridIndex(grids)
        return cls(codes, index, territory, set(responder_ids),
                   dict(zip(grids["code"].astype(str), shapely.point_on_surface(grids.geometry.values))))


@dataclass
class Checked:
    rows: list[dict]  # per good row: the store's values, "geometry", "_number"
    provided: set[str]  # the store's columns the file provides
    problems: list[Problem]
    position_column: str | None = None  # the file's header positions are reported under


def check_rows(rows: Rows, columns: Mapping[str, str | None], spec: LayerSpec, context: Context,
               crs: str = "wgs84") -> Checked:
    provided = {f.column for f in spec.fields if f.column and columns.get(f.name)}
    if spec.field("role") and columns.get("kind"):
        provided.add("role")  # the kind as written says the usual role
    if rows.geometries is not None or columns.get("lon") or columns.get("path"):
        provided.add("geometry")
    locate_grids = spec.layer == "cameras" and not columns.get("grid") and context.grid_index is not None
    if locate_grids:
        provided.add("grid_code")
    found: dict[int, list[Problem]] = {}
    geometries = _geometries(rows, columns, spec, crs, found)
    _check_territory(rows, geometries, columns, context, found)
    unplaced = set(found)  # rows whose position is wrong, not missing
    out: list[dict] = []
    first_seen: dict[str, int] = {}
    for i, (record, number) in enumerate(zip(rows.records, rows.numbers)):
        problems = found.setdefault(number, [])
        values = {"_number": number, "geometry": geometries[i]}
        for f in spec.fields:
            if f.column is not None:
                _read_field(f, record, columns, spec, context, values, problems)
        if spec.layer == "responders" and values.get("kind") and not values.get("role"):
            values["role"] = written_code(KIND_ROLES_LOWER, as_text(record.get(columns["kind"])))[1]
        key = values.get(spec.key)
        if key is not None and key in first_seen:
            problems.append(Problem(number, columns.get("id") or columns.get("name"),
                                    f"duplicate id {key} (also {rows.row_word} {first_seen[key]})"))
        elif key is not None:
            first_seen[key] = number
        if values["geometry"] is None and number not in unplaced and spec.position_required:
            problems.append(Problem(number, columns.get("lon") or columns.get("path"), "missing position"))
        if not problems:
            out.append(values)
    if locate_grids and out:
        points = np.array([(v["geometry"].x, v["geometry"].y) for v in out]).reshape(-1, 2)
        hits = context.grid_index.locate_deepest(points[:, 0], points[:, 1])
        codes = context.grid_index.grids["code"].astype(str).to_numpy()
        for values, hit in zip(out, hits.tolist()):
            values["grid_code"] = None if hit == OUTSIDE else codes[hit]
    problems = sorted((p for ps in found.values() for p in ps), key=lambda p: p.number)
    return Checked(out, provided, problems, columns.get("lon") or columns.get("path"))


def _read_field(f, record: dict, columns, spec: LayerSpec, context: Context, values: dict,
                problems: list[Problem]) -> None:
    header = columns.get(f.name)
    raw = record.get(header) if header else None
    text = as_text(raw)
    number = values["_number"]
    if text is None and f.name == "id" and spec.id_from_name and columns.get("name"):
        text = as_text(record.get(columns["name"]))
    if f.name == "id" and isinstance(raw, float) and abs(raw) >= 10 ** EXACT_DIGITS:
        problems.append(Problem(number, header, f"id {raw:.0f} was typed as a number and Excel keeps only "
                                f"{EXACT_DIGITS} digits: format the column as text and type the ids again"))
        return
    if text is None:
        if f.required:
            problems.append(Problem(number, header, f"missing {f.name}"))
        elif f.default is None and header:
            values[f.column] = None
        return
    value, problem = _value(f, text, spec, context)
    if problem:
        problems.append(Problem(number, header, problem))
    else:
        values[f.column] = value


def _check_territory(rows: Rows, geoms: np.ndarray, columns, context: Context,
                     found: dict[int, list[Problem]]) -> None:
    """Positions outside the territory by more than the tolerance are refused; swapped ones said so."""
    territory = context.territory
    if territory is None:
        return
    shapely.prepare(territory)
    present = ~shapely.is_missing(geoms)
    outside = present & ~shapely.covers(territory, np.where(present, geoms, None))
    header = columns.get("lon") or columns.get("path")
    lon0, lat0, lon1, lat1 = territory.bounds
    for i in np.flatnonzero(outside).tolist():
        x, y = shapely.get_coordinates(geoms[i])[0]
        swapped = shapely.transform(geoms[i], lambda xy: xy[:, ::-1])
        where = f"position {x:g}, {y:g} is outside the territory"
        message = (f"{where}: lat/lon swapped?" if shapely.covers(territory, swapped) else
                   f"{where} ({lon0:.3f}..{lon1:.3f} E, {lat0:.3f}..{lat1:.3f} N) by more than "
                   f"{TERRITORY_TOLERANCE_M / 1000:g} km")
        found.setdefault(rows.numbers[i], []).append(Problem(rows.numbers[i], header, message))


def _value(f, text: str, spec: LayerSpec, context: Context):
    """(the stored value, None) or (None, what is wrong)."""
    if f.values is not None:
        code = written_code(f.values, text)
        if code is None:
            known = sorted({k for k in f.values if not k.isascii()})
            codes = sorted(set(f.values.values()))
            return None, f"unknown {f.name} {text!r}; known: {', '.join(known)} or {', '.join(codes)}"
        return code, None
    if f.number is not None:
        try:
            number = float(text)
        except ValueError:
            return None, f"{f.name} {text!r} is not a number"
        low, high = f.number
        if not (low <= number <= high):
            return None, f"{f.name} {text} is outside {low:g}..{high:g}"
        return number, None
    if f.name == "grid" and text not in context.grid_codes:
        return None, f"grid {text} is not in the store (import the grids first, or correct the code)"
    if f.name == "unit" and text not in context.responder_ids:
        return None, f"unit {text} is no responder in the store (import the responders first)"
    if f.name == "id" and spec.layer == "cameras":
        try:
            parse_camera_id(text)
        except DeviceIdError as err:
            return None, str(err)
    return text, None


def written_code(codes: Mapping[str, T], text: str) -> T | None:
    """What a value as written maps to (keys in lower case), also with a bracketed note after it."""
    found = codes.get(text.lower())
    return found if found is not None else codes.get(without_bracketed(text).lower())


def as_text(value) -> str | None:
    """A cell as trimmed text (whole numbers without '.0', dates in ISO 8601), None when blank."""
    if value is None:
        return None
    if isinstance(value, float):
        if math.isnan(value):
            return None
        if value.is_integer() and abs(value) < 10 ** EXACT_DIGITS:
            value = int(value)
    elif isinstance(value, (datetime, date)):
        value = value.isoformat()
    text = str(value).strip()
    return text or None


def _geometries(rows: Rows, columns, spec: LayerSpec, default_crs: str,
                found: dict[int, list[Problem]]) -> np.ndarray:
    """Each row's geometry in WGS-84 (None where the row gives none), problems noted."""
    n = len(rows.records)
    crs_header = columns.get("crs")
    systems = []
    for record, number in zip(rows.records, rows.numbers):
        written = as_text(record.get(crs_header)) if crs_header else None
        system = CRS_ALIASES.get(written.lower().replace(" ", "")) if written else default_crs
        if system is None:
            _note(found, Problem(number, crs_header, f"unknown coordinate system {written!r}; "
                                    f"use {', '.join(crs_systems.CRS_NAMES)}"))
        systems.append(system)
    if rows.geometries is not None:
        geoms = rows.geometries.copy()
        if rows.projected:  # reprojected from the file's own projected CRS: already CGCS2000/WGS-84
            systems = ["wgs84"] * n
        wanted = shapely.GeometryType.POINT if spec.geometry == "point" else shapely.GeometryType.LINESTRING
        types = shapely.get_type_id(geoms)
        for i in np.flatnonzero((types >= 0) & (types != wanted)):
            _note(found, Problem(rows.numbers[i], None, f"geometry is a {shapely.GeometryType(types[i]).name}, "
                                    f"not a {wanted.name}"))
            geoms[i] = None
        geoms[shapely.is_empty(geoms)] = None
    elif spec.geometry == "point":
        geoms = _points(rows, columns, found)
    else:
        geoms = _paths(rows, columns, found)
    return _to_wgs84(geoms, np.array(systems, dtype=object))


def _points(rows: Rows, columns, found: dict[int, list[Problem]]) -> np.ndarray:
    geoms = np.full(len(rows.records), None, dtype=object)
    lon_header, lat_header = columns.get("lon"), columns.get("lat")
    for i, (record, number) in enumerate(zip(rows.records, rows.numbers)):
        lon = as_text(record.get(lon_header)) if lon_header else None
        lat = as_text(record.get(lat_header)) if lat_header else None
        if lon is None and lat is None:
            continue
        if lon is None or lat is None:
            _note(found, Problem(number, lat_header if lat is None else lon_header,
                                    f"{'latitude' if lat is None else 'longitude'} missing"))
            continue
        try:
            x, y = float(lon), float(lat)
        except ValueError:
            _note(found, Problem(number, lon_header, f"position {lon}, {lat} is not a pair of numbers"))
            continue
        if not (abs(x) <= 180 and abs(y) <= 90):
            swapped = abs(x) <= 90 and abs(y) <= 180
            _note(found, Problem(number, lon_header, f"position {lon}, {lat} is not in degrees"
                                 + (": latitude over 90, lat/lon swapped?" if swapped else "")))
            continue
        geoms[i] = shapely.Point(x, y)
    return geoms


def _paths(rows: Rows, columns, found: dict[int, list[Problem]]) -> np.ndarray:
    """Lines from a table's path column: WKT, or 'lon,lat;lon,lat;...'."""
    geoms = np.full(len(rows.records), None, dtype=object)
    header = columns.get("path")
    for i, (record, number) in enumerate(zip(rows.records, rows.numbers)):
        text = as_text(record.get(header)) if header else None
        if text is None:
            continue
        try:
            if text[:1].isalpha():
                line = shapely.from_wkt(text)
            else:
                line = shapely.linestrings([[float(v) for v in p.split(",")] for p in text.split(";") if p.strip()])
        except (shapely.errors.GEOSException, ValueError):
            line = None
        if line is None or shapely.get_type_id(line) != shapely.GeometryType.LINESTRING or line.is_empty:
            _note(found, Problem(number, header, "path is not a line (WKT LINESTRING or lon,lat;lon,lat;...)"))
            continue
        geoms[i] = line
    return geoms


def _to_wgs84(geoms: np.ndarray, systems: np.ndarray) -> np.ndarray:
    for system in set(systems.tolist()) - {None, "wgs84", "cgcs2000"}:
        rows = np.flatnonzero((systems == system) & ~shapely.is_missing(geoms))
        geoms[rows] = shapely.transform(
            geoms[rows], lambda xy, s=system: np.column_stack(crs_systems.to_wgs84(xy[:, 0], xy[:, 1], s)))
    return geoms


def _note(found: dict[int, list[Problem]], problem: Problem) -> None:
    found.setdefault(problem.number, []).append(problem)
