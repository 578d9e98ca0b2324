"""`gridsight isochrone`: areas reachable by road in N minutes, or the areas no unit reaches."""

from __future__ import annotations

import argparse
import json

import shapely

from console.commands import CliError, open_store, parse_lonlat, print_json
from console.commands.recommend import load_router
from gis.crs import CRS_NAMES, to_wgs84
from gis.isochrone import TRIM_M, coverage, isochrones
from gis.policy import RESPONDER_KINDS
from gis.roadgraph import RoadNetworkError


def register(subparsers) -> None:
    parser = subparsers.add_parser(
        "isochrone",
        help="reachable area in N minutes from a point, or a district's coverage gaps",
        description="Write GeoJSON with one feature per band: with --at, the area reachable by road "
        "from the point within each number of --minutes (1-3-5 minute rapid-response circles); with "
        "--coverage, the part of the territory (or --grid) that no on-duty unit of --kind reaches in time.",
    )
    parser.add_argument("--db", required=True, help="the gridsight store (.gpkg)")
    where = parser.add_mutually_exclusive_group(required=True)
    where.add_argument("--at", nargs=2, metavar=("LON", "LAT"), help="the start point")
    where.add_argument("--coverage", action="store_true", help="coverage gaps of on-duty units instead")
    parser.add_argument("--crs", choices=CRS_NAMES, default="wgs84", help="coordinate system of --at")
    parser.add_argument("--minutes", nargs="+", type=float, default=[1, 3, 5], help="bands (default 1 3 5)")
    parser.add_argument("--out", required=True, help="the GeoJSON file to write")
    parser.add_argument("--grid", help="with --coverage: only this grid (code); default the whole territory")
    parser.add_argument("--kind", choices=(*RESPONDER_KINDS, "any"), default="police",
                        help="with --coverage: which units (default police)")
    parser.add_argument("--trim", type=float, default=TRIM_M, help=f"metres either side of a reached road (default {TRIM_M:.0f})")
    parser.add_argument("--json", action="store_true", help="print a JSON summary")
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    if any(not 0 < m <= 120 for m in args.minutes):
        raise CliError("--minutes must lie between 0 and 120")
    if args.trim <= 0:
        raise CliError("--trim must be positive")
    with open_store(args.db) as store:
        router = load_router(store)
        area = _district(store, args.grid) if args.coverage else None
    try:
        if args.coverage:
            kinds = RESPONDER_KINDS if args.kind == "any" else (args.kind,)
            result = coverage(router, area, args.minutes, kinds, trim_m=args.trim)
        else:
            wlon, wlat = to_wgs84(*parse_lonlat(*args.at), args.crs)
            result = isochrones(router, float(wlon), float(wlat), args.minutes, trim_m=args.trim)
    except RoadNetworkError as err:
        raise CliError(str(err)) from None
    try:
        with open(args.out, "w", encoding="utf-8") as out:
            json.dump(result, out, ensure_ascii=False)
    except OSError as err:
        raise CliError(f"cannot write {args.out}: {err.strerror}") from None
    bands = [f["properties"] for f in result["features"]]
    if args.json:
        print_json({"out": args.out, "bands": bands})
    else:
        for band in bands:
            print("\t".join(f"{k}={v}" for k, v in band.items()))
    return 0


def _district(store, code: str | None):
    """The polygon to check: one grid, or the union of the top-level grids."""
    grids = store.read_layer("grids", where="code = ?", params=(code,)) if code else store.read_layer("grids")
    if grids.empty:
        raise CliError(f"no grid {code!r}" if code else "the store has no grids; give the district with --grid")
    if not code:
        grids = grids[grids["level"] == grids["level"].min()]
    return shapely.union_all(grids.geometry.values)
