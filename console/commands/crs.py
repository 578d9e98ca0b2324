"""`gridsight crs convert`: convert one point between WGS-84, CGCS2000, GCJ-02 and BD-09."""

from __future__ import annotations

import argparse

from console.commands import CliError, parse_lonlat, print_json
from gis.crs import CRS_NAMES, convert

_CRS_HELP = f"one of: {', '.join(CRS_NAMES)}"


def register(subparsers: argparse._SubParsersAction) -> None:
    crs_parser = subparsers.add_parser("crs", help="coordinate systems used by Chinese map sources")
    actions = crs_parser.add_subparsers(dest="crs_command", required=True, metavar="ACTION")
    convert_parser = actions.add_parser(
        "convert",
        help="convert a point between coordinate systems",
        description="Convert one lon/lat point, e.g. from Gaode (gcj02) or Baidu (bd09) to WGS-84.",
    )
    # Names are checked by gis.crs so that a bad one gets the same message everywhere.
    convert_parser.add_argument("--from", dest="src", required=True, metavar="CRS", help=_CRS_HELP)
    convert_parser.add_argument("--to", dest="dst", required=True, metavar="CRS", help=_CRS_HELP)
    # Parsed in the handler, not with type=float, so that bad numbers raise CliError.
    convert_parser.add_argument("lon", metavar="LON", help="longitude in degrees")
    convert_parser.add_argument("lat", metavar="LAT", help="latitude in degrees")
    convert_parser.add_argument(
        "--json", action="store_true", help='print {"lon": ..., "lat": ...}'
    )
    convert_parser.set_defaults(handler=run_convert)


def run_convert(args: argparse.Namespace) -> int:
    lon, lat = parse_lonlat(args.lon, args.lat)
    try:
        out_lon, out_lat = convert(lon, lat, args.src, args.dst)
    except ValueError as err:
        raise CliError(str(err)) from None
    if args.json:
        print_json({"lon": float(out_lon), "lat": float(out_lat)})
    else:
        print(f"{float(out_lon)} {float(out_lat)}")
    return 0
