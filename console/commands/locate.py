"""`gridsight locate`: which grids contain a point, or every row of a CSV file."""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np
import pandas as pd

from console.commands import CliError, open_store, parse_lonlat, print_json
from gis.crs import CRS_NAMES, to_wgs84
from gis.locate import OUTSIDE, GridIndex

# Column names that batch files commonly use for coordinates, matched case-insensitively.
LON_FIELDS = ("lon", "lng", "longitude", "x", "经度")
LAT_FIELDS = ("lat", "latitude", "y", "纬度")


def register(subparsers) -> None:
    parser = subparsers.add_parser(
        "locate",
        help="find the grid path of a point, or of every row of a CSV file",
        description="Print the grids containing LON LAT from the top level down, "
        "or add the containing grid to every row of a CSV file (--csv IN --out OUT).",
    )
    parser.add_argument("--db", required=True, help="the gridsight store (.gpkg)")
    parser.add_argument("lon", nargs="?", help="longitude")
    parser.add_argument("lat", nargs="?", help="latitude")
    parser.add_argument("--crs", choices=CRS_NAMES, default="wgs84", help="coordinate system of the input")
    parser.add_argument("--json", action="store_true", help="print JSON")
    parser.add_argument("--csv", type=Path, help="locate every row of this CSV file")
    parser.add_argument("--out", type=Path, help="where to write the located CSV (with --csv)")
    parser.add_argument("--lon-field", help="CSV column with longitudes (default: detected)")
    parser.add_argument("--lat-field", help="CSV column with latitudes (default: detected)")
    parser.set_defaults(handler=run)


def load_index(db: str) -> GridIndex:
    with open_store(db) as store:
        grids = store.read_layer("grids")
    if grids.empty:
        raise CliError(f"{db} has no grids; import some with `gridsight grids import`")
    return GridIndex(grids)


def run(args: argparse.Namespace) -> int:
    if args.csv is not None:
        if args.lon is not None:
            raise CliError("give either LON LAT or --csv, not both")
        if args.out is None:
            raise CliError("--csv needs --out FILE for the located rows")
        return _locate_csv(args)
    if args.lon is None or args.lat is None:
        raise CliError("give LON LAT, or --csv IN --out OUT")
    lon, lat = parse_lonlat(args.lon, args.lat)
    index = load_index(args.db)
    wlon, wlat = to_wgs84(lon, lat, args.crs)
    hits = index.path(float(wlon), float(wlat))
    if args.json:
        print_json({
            "lon": lon, "lat": lat, "crs": args.crs, "inside": bool(hits),
            "path": [{"level": h.level, "code": h.code, "name": h.name} for h in hits],
        })
    elif hits:
        for h in hits:
            print(f"{h.level}\t{h.code}\t{h.name}")
    else:
        print(f"{lon} {lat} is outside every grid")
    return 0


def _pick_field(columns: list[str], given: str | None, candidates: tuple[str, ...], what: str) -> str:
    if given:
        if given not in columns:
            raise CliError(f"no column {given!r} in the CSV file (columns: {', '.join(columns)})")
        return given
    lowered = {c.strip().lower(): c for c in columns}
    for name in candidates:
        if name in lowered:
            return lowered[name]
    raise CliError(f"cannot tell which column holds the {what}; name it with --{what[:3]}-field")


def _locate_csv(args: argparse.Namespace) -> int:
    try:
        rows = pd.read_csv(args.csv, dtype=str, keep_default_na=False, encoding="utf-8-sig")
    except FileNotFoundError:
        raise CliError(f"{args.csv} does not exist") from None
    except (UnicodeDecodeError, pd.errors.ParserError, pd.errors.EmptyDataError) as err:
        raise CliError(f"cannot read {args.csv} as CSV: {str(err).splitlines()[0]}") from None
    columns = list(rows.columns)
    lon_field = _pick_field(columns, args.lon_field, LON_FIELDS, "longitude")
    lat_field = _pick_field(columns, args.lat_field, LAT_FIELDS, "latitude")
    lon = pd.to_numeric(rows[lon_field], errors="coerce").to_numpy(dtype=float)
    lat = pd.to_numeric(rows[lat_field], errors="coerce").to_numpy(dtype=float)
    valid = np.isfinite(lon) & np.isfinite(lat)

    index = load_index(args.db)
    wlon, wlat = to_wgs84(lon, lat, args.crs)
    found = np.full(len(rows), OUTSIDE, dtype=np.int64)
    found[valid] = index.locate_deepest(wlon[valid], wlat[valid])
    grids = index.grids
    hit = found >= 0
    for column, source in (("grid_code", "code"), ("grid_name", "name"), ("grid_level", "level")):
        values = np.full(len(rows), "", dtype=object)
        values[hit] = grids[source].to_numpy()[found[hit]].astype(str)
        rows[column] = values
    rows["locate_status"] = np.where(hit, "inside", np.where(valid, "outside", "bad_coordinates"))
    rows.to_csv(args.out, index=False)

    summary = {
        "rows": len(rows), "inside": int(hit.sum()),
        "outside": int((valid & ~hit).sum()), "bad_coordinates": int((~valid).sum()),
        "out": str(args.out),
    }
    if args.json:
        print_json(summary)
    else:
        print(f"{summary['rows']} rows: {summary['inside']} inside a grid, {summary['outside']} outside, "
              f"{summary['bad_coordinates']} without usable coordinates -> {args.out}")
    return 0
