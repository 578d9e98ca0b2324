"""`gridsight init`: a new store from a centre's own files: its grids, its roads when given, its
name and timezone. Everything else comes later through the import commands.

Everything is read and checked before anything is written, and the store is built beside
--out and moved into place when complete: a refused or failed init leaves no file behind. A
`postgresql://` --out is built in that (existing, empty) database, and dropped again if the
build fails; one that already holds a store is replaced only with --force.
"""

from __future__ import annotations

import argparse
import shlex
from pathlib import Path

from geopandas import GeoDataFrame

from console.commands import CliError, add_sign_in_argument, open_store, print_json, signed_in
from console.commands.grids import login_name, print_problems, problems_summary, store_rows
from data import auth, gridversions, postgis
from data.centre import DEFAULT_TIMEZONE, CentreError, check_timezone, write_centre
from data.coveragemap import keep_coverage
from data.store import Store, StoreError
from data.storefile import store_built_beside, store_built_in
from gis.crs import CRS_NAMES
from gis.gridfile import GridFileError, read_grid_file
from gis.osmroads import OsmImportError, coverage_problem, read_osm_roads
from gis.topology import validate

# What a new store needs next, in the order a centre would add it.
NEXT_STEPS = (
    "gridsight responders import FILE --db {db}",
    "gridsight cameras import FILE --db {db}",
    "gridsight routes import FILE --db {db}",
    "gridsight checkpoints import FILE --db {db}",
    "gridsight departments import FILE --db {db}",
    "gridsight doctor --db {db}",
)


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "init",
        help="create a new store from a centre's grid file (and roads)",
        description="Create a store from a centre's grid hierarchy (GeoJSON, GeoPackage, Shapefile, KML), "
        "validated as `grids validate` does, its OpenStreetMap roads when given, and its name and timezone. "
        "Exit 1 = the grids or roads were refused (no file is written), 2 = unreadable input.",
    )
    parser.add_argument("--out", required=True, metavar="STORE",
                        help="the store to create: FILE.gpkg, or postgresql://user@host:port/dbname (an existing "
                        "database with PostGIS or a user who may enable it)")
    parser.add_argument("--grids", required=True, metavar="FILE", help="the grid hierarchy")
    parser.add_argument("--grids-crs", choices=CRS_NAMES,
                        help="the lon/lat system of the grid file: gcj02 for Gaode/Tencent/DataV files, bd09 for "
                        "Baidu, cgcs2000 for the surveying bureau's (default: wgs84)")
    parser.add_argument("--roads", metavar="FILE.osm.pbf", help="an OpenStreetMap extract (.osm.pbf or .osm)")
    parser.add_argument("--name", help="the centre's name, e.g. 江城市社会治理指挥中心")
    parser.add_argument("--timezone", default=DEFAULT_TIMEZONE,
                        help=f"the IANA timezone the centre's days are counted in (default: {DEFAULT_TIMEZONE})")
    parser.add_argument("--force", action="store_true", help="replace --out if it exists")
    add_sign_in_argument(parser)
    parser.add_argument("--json", action="store_true", help="print the result as JSON")
    parser.set_defaults(handler=run_init)


def run_init(args: argparse.Namespace) -> int:
    on_server = postgis.is_url(args.out)
    out = args.out if on_server else Path(args.out)
    if not on_server and out.suffix.lower() != ".gpkg":
        raise CliError(f"--out {out} must be a .gpkg file or a postgresql:// URL")
    exists = _holds_store(out) if on_server else out.exists()
    shown = postgis.shown(out) if on_server else str(out)
    if exists and not args.force:
        raise CliError(f"{shown} already {'holds a store' if on_server else 'exists'}; use --force to replace it")
    if exists:
        # Replacing a store drops its users too: only those who may build one may replace it.
        with open_store(out) as old, signed_in(old, args) as session:
            auth.check(old, session, "store.init")
    if not on_server and not out.parent.is_dir():
        raise CliError(f"folder {out.parent} does not exist")
    try:
        check_timezone(args.timezone)
    except CentreError as err:
        raise CliError(str(err)) from None
    grids = _valid_grids(args)
    roads = _roads(args.roads, grids)
    built = store_built_in(out, replace=exists) if on_server else store_built_beside(out)
    try:
        with built as store:
            _build(store, args, grids, roads)
    except StoreError as err:
        raise CliError(f"init failed: {err}; the half-built store was removed") from None
    coverage_kept = False
    if roads is not None:
        # In place, as after a grids or roads import: the road graph is cached for this store.
        with open_store(out) as store:
            coverage_kept = keep_coverage(store)
    next_steps = [step.format(db=shlex.quote(shown)) for step in NEXT_STEPS]
    if args.json:
        print_json({"created": shown, "grids": len(grids), "roads": 0 if roads is None else len(roads),
                    "name": args.name, "timezone": args.timezone, "coverage_kept": coverage_kept,
                    "problems": [], "next": next_steps})
        return 0
    print(f"created {shown}: {len(grids)} grids" + ("" if roads is None else f", {len(roads)} road segments")
          + f"; centre {args.name or '(no name)'}, timezone {args.timezone}")
    print("next, import what the centre has (each command says what it detected):")
    for step in next_steps:
        print(f"  {step}")
    return 0


def _holds_store(url: str) -> bool:
    """Whether the database at `url` holds a store already (refused, not opened, when it does not)."""
    try:
        Store.open(url).close()
    except StoreError as err:
        if "is not a gridsight store" in str(err):
            return False
        raise CliError(str(err)) from None
    return True


def _build(store, args: argparse.Namespace, grids: GeoDataFrame, roads: GeoDataFrame | None) -> None:
    # The grid history's first change-set, as a grids import is: every grid at version 1.
    gridversions.replace_all(store, store_rows(grids), by=login_name(), why=f"gridsight init from {args.grids}",
                             action="store.init")
    with store.transaction() as tx:
        if roads is not None:
            tx.write_layer("roads", roads, mode="replace")
        write_centre(tx, args.name, args.timezone)


def _valid_grids(args: argparse.Namespace) -> GeoDataFrame:
    """The grid file in WGS-84, refused with `grids validate`'s report unless every rule passes."""
    try:
        grids = read_grid_file(args.grids, crs=args.grids_crs)
    except GridFileError as err:
        raise CliError(str(err)) from None
    problems = validate(grids)
    if problems:
        if args.json:
            print_json({"created": None, "grids": len(grids), "problems": [p.as_dict() for p in problems]})
        else:
            print_problems(problems)
        raise CliError(f"init refused: {args.grids}: {problems_summary(problems)}; fix the file "
                       "and run init again. No store was written.", exit_code=1)
    return grids


def _roads(path: str | None, grids: GeoDataFrame) -> GeoDataFrame | None:
    """The extract's roads, refused as `roads import` refuses them when they do not serve the grids."""
    if path is None:
        return None
    try:
        roads = read_osm_roads(path)
    except OsmImportError as err:
        raise CliError(str(err)) from None
    problem = coverage_problem(roads, grids)
    if problem:
        raise CliError(f"init refused: {path}: {problem}. No store was written (init without --roads, then "
                       "`gridsight roads import FILE --force` if the extract is right).", exit_code=1)
    return roads

