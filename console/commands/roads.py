"""`gridsight roads`: import the road network from OpenStreetMap, and inspect the road graph."""

from __future__ import annotations

import argparse
import time
from pathlib import Path

from console.commands import CliError, add_sign_in_argument, open_store, print_json, signed_in
from console.commands.recommend import load_router
from data import auth
from data.coveragemap import keep_coverage
from data.imports.roads import import_roads
from data.store import StoreError
from gis.osmroads import OsmImportError, coverage_problem, read_osm_roads


def register(subparsers) -> None:
    parser = subparsers.add_parser("roads", help="import and inspect the road network")
    actions = parser.add_subparsers(dest="roads_command", required=True, metavar="ACTION")

    importer = actions.add_parser(
        "import",
        help="import drivable roads from an OpenStreetMap extract (.osm.pbf or .osm)",
        description="Read the drivable ways of an OSM extract, split them at junctions and write "
        "them as the store's roads layer (class, speed, one-way, bridge). Refused (exit 1) when they "
        "do not cover the store's grids: another place's extract, or one that serves under half of them.",
    )
    importer.add_argument("file", help="the .osm.pbf or .osm file")
    importer.add_argument("--db", required=True, help="the gridsight store: FILE.gpkg or postgresql://user@host:port/dbname")
    importer.add_argument("--replace", action="store_true", help="replace the roads the store already has")
    importer.add_argument("--force", action="store_true",
                          help="import roads that do not cover the store's grids (refused otherwise)")
    importer.add_argument("--json", action="store_true", help="print JSON")
    add_sign_in_argument(importer)
    importer.set_defaults(handler=run_import)

    info = actions.add_parser("info", help="build (or load) the road graph and describe it")
    info.add_argument("--db", required=True, help="the gridsight store: FILE.gpkg or postgresql://user@host:port/dbname")
    info.add_argument("--json", action="store_true", help="print JSON")
    info.set_defaults(handler=run_info)


def run_import(args: argparse.Namespace) -> int:
    try:
        segments = read_osm_roads(args.file)
    except OsmImportError as err:
        raise CliError(str(err)) from None
    with open_store(args.db) as store, signed_in(store, args) as session:
        auth.check(store, session, "roads.import")  # refused before any other answer; import_roads enforces it
        existing = store.count("roads")
        if existing and not args.replace:
            raise CliError(f"{store.location} already has {existing} road segments; use --replace to replace them")
        problem = coverage_problem(segments, store.read_layer("grids"))
        if problem and not args.force:
            raise CliError(f"roads import refused: {problem}; check the file, or use --force to import it anyway. "
                           "The store was not changed.", exit_code=1)
        try:
            existing = import_roads(store, segments, Path(args.file).name, session)
        except StoreError as err:
            raise CliError(str(err)) from None
        coverage_kept = keep_coverage(store)
        shown = store.location
    summary = {"segments": len(segments), "by_class": segments["road_class"].value_counts().to_dict(),
               "replaced": existing, "coverage_kept": coverage_kept}
    if args.json:
        print_json(summary)
    else:
        classes = ", ".join(f"{k} {v}" for k, v in summary["by_class"].items())
        print(f"imported {len(segments)} road segments ({classes}) into {shown}")
        if coverage_kept:
            print("police coverage computed for the console's map")
    return 0


def run_info(args: argparse.Namespace) -> int:
    start = time.perf_counter()
    with open_store(args.db) as store:
        router = load_router(store)
    graph = router.graph
    summary = {
        "segments": graph.segment_count, "nodes": graph.node_count, "edges": graph.edge_count,
        "nodes_outside_main_component": int((~graph.node_in_main).sum()),
        "responders": len(router.ids),
        "responders_without_position": int(router.without_position.sum()),
        "responders_off_network": int(router.off_network.sum()),
        "load_s": round(time.perf_counter() - start, 3),
    }
    if args.json:
        print_json(summary)
    else:
        for key, value in summary.items():
            print(f"{key}\t{value}")
    return 0
