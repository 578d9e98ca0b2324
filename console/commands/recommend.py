"""`gridsight recommend`: the responders who reach a point or a ticket's incident first, by road
(or, in a store without roads, by straight line: every answer says which)."""

from __future__ import annotations

import argparse
import sys

import shapely

from console.commands import CliError, open_store, parse_lonlat, print_json
from gis.crs import CRS_NAMES, to_wgs84
from gis.policy import RESPONDER_KINDS
from gis.roadgraph import RoadNetworkError
from gis.routing import BY_STRAIGHT_LINE, Router, StraightLineRouter, router_for_store


def register(subparsers) -> None:
    parser = subparsers.add_parser(
        "recommend",
        help="rank responders by road travel time to a point or an incident",
        description="Print the K responders who reach the point first by road, best first. "
        "Without --kind, the dispatch policy picks the kinds that suit the category. A store without "
        "roads ranks by straight-line distance at a stated speed per kind, and says so.",
    )
    parser.add_argument("--db", required=True, help="the gridsight store: FILE.gpkg or postgresql://user@host:port/dbname")
    where = parser.add_mutually_exclusive_group(required=True)
    where.add_argument("--at", nargs=2, metavar=("LON", "LAT"), help="the incident's position")
    where.add_argument("--incident", metavar="TICKET_ID", help="a ticket in the incidents layer")
    parser.add_argument("--crs", choices=CRS_NAMES, default="wgs84", help="coordinate system of --at")
    parser.add_argument("--k", type=int, default=5, help="how many responders (default 5)")
    parser.add_argument("--kind", choices=(*RESPONDER_KINDS, "any"), help="only this kind of responder")
    parser.add_argument("--category", help="ticket category, for the dispatch policy (default: the ticket's)")
    parser.add_argument("--include-busy", action="store_true", help="also rank busy responders")
    parser.add_argument("--include-off", action="store_true", help="also rank off-duty responders")
    parser.add_argument("--json", action="store_true", help="print JSON")
    parser.add_argument("--routes", action="store_true", help="add each route as GeoJSON (WGS-84) to --json")
    parser.set_defaults(handler=run)


def load_router(store, straight_line: bool = False) -> Router | StraightLineRouter:
    """The store's road router; an empty or unusable road layer becomes a CLI message, unless
    `straight_line` allows a store without roads to rank by straight line."""
    try:
        return router_for_store(store) if straight_line else Router.from_store(store)
    except RoadNetworkError as err:
        raise CliError(str(err)) from None


def grid_at(store, lon: float, lat: float) -> str | None:
    """Code of the deepest grid containing the point (read through the layer's R-tree)."""
    grids = store.read_layer("grids", bbox=(lon, lat, lon, lat))
    grids = grids[grids.intersects(shapely.Point(lon, lat))]
    return None if grids.empty else str(grids.sort_values("level").iloc[-1]["code"])


def run(args: argparse.Namespace) -> int:
    if args.k < 1:
        raise CliError("--k must be at least 1")
    with open_store(args.db) as store:
        if args.incident is not None:
            incidents = store.read_layer("incidents", where="ticket_id = ?", params=(args.incident,))
            if incidents.empty:
                raise CliError(f"no incident with ticket id {args.incident!r} in {store.location}")
            incident = incidents.iloc[0]
            if incident.geometry is None or incident.geometry.is_empty:
                raise CliError(f"incident {args.incident!r} has no position")
            lon, lat = incident.geometry.x, incident.geometry.y
            category = args.category or incident["category"]
            grid = incident["grid_code"] if isinstance(incident["grid_code"], str) else grid_at(store, lon, lat)
        else:
            wlon, wlat = to_wgs84(*parse_lonlat(*args.at), args.crs)
            lon, lat = float(wlon), float(wlat)
            category, grid = args.category, grid_at(store, lon, lat)
        if store.count("responders") == 0:
            raise CliError(f"{store.location} has no responders")
        router = load_router(store, straight_line=True)

    kinds = RESPONDER_KINDS if args.kind == "any" else (args.kind,) if args.kind else None
    statuses = ("on_duty",) + ("busy",) * args.include_busy + ("off",) * args.include_off
    try:
        found = router.recommend(lon, lat, k=args.k, kinds=kinds, statuses=statuses, grid_code=grid,
                                 category=category, routes=args.routes)
    except RoadNetworkError as err:
        raise CliError(str(err)) from None
    _report_unranked(router)
    if args.json:
        print_json([r.as_dict(with_route=args.routes) for r in found])
        return 0
    print(measured_by(router))
    if not found:
        print("no responder of the requested kinds and status can reach the point")
    else:
        for rank, r in enumerate(found, 1):
            minutes, seconds = divmod(round(r.eta_s), 60)
            print(f"{rank}\t{r.id}\t{r.name}\t{r.kind}\t{r.grid or '-'}\t{minutes}:{seconds:02d}\t{r.distance_m:.0f} m")
    return 0


def measured_by(router: Router | StraightLineRouter) -> str:
    """The line that says how the ETAs were measured."""
    if router.by == BY_STRAIGHT_LINE:
        speeds = ", ".join(f"{kind} {kph:g} km/h" for kind, kph in router.speeds_kph.items())
        return f"by straight-line distance (the store has no roads) at {speeds}"
    return "by road travel time"


def _report_unranked(router: Router | StraightLineRouter) -> None:
    """Say on stderr (stdout may be JSON) which responders could not be ranked at all."""
    missing, off = int(router.without_position.sum()), int(router.off_network.sum())
    if missing or off:
        print(f"note: {missing} responder(s) without a position and {off} away from the connected "
              "road network were not ranked", file=sys.stderr)
