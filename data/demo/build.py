"""Generate the whole demo city and write it into a new store in one transaction."""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from data.centre import write_centre
from data.coveragemap import keep_coverage
from data.demo.campaigns import build_campaigns
from data.demo.cameras import build_cameras, build_checkpoints
from data.demo.clock import reference_time
from data.demo.geometry import METRIC_CRS, to_lonlat
from data.demo.grids import build_grids
from data.demo.landscape import LAKE_NAMES, RIVER_NAME, build_landscape
from data.demo.placement import RoadPlacer
from data.demo.names import CITY_NAME
from data.demo.responders import build_departments, build_patrol_routes, build_responders
from data.demo.roads import build_roads
from data.demo.scales import SCALES
from data.demo.tickets import build_tickets
from data.schema import LAYERS, STORAGE_SRID, TABLES
from data.store import Store
from data.storefile import store_built_beside

# One random stream per part, so that changing how one part is drawn leaves the others as they were.
_STREAMS = ("landscape", "roads", "grids", "responders", "patrol_routes", "cameras", "tickets")


class DemoError(Exception):
    """The demo city cannot be built as asked; the message says why."""


@dataclass
class DemoCity:
    layers: dict[str, gpd.GeoDataFrame]  # lon/lat, columns as in data.schema
    tables: dict[str, pd.DataFrame]


def generate_city(scale: str = "small", seed: int = 7, progress: Callable[[str], None] | None = None) -> DemoCity:
    """The demo city in memory; the same scale and seed always give the same city."""
    if scale not in SCALES:
        raise DemoError(f"unknown scale {scale!r}: use one of {', '.join(SCALES)}")
    if not isinstance(seed, (int, np.integer)) or seed < 0:
        raise DemoError(f"seed must be a whole number >= 0, got {seed!r}")
    size = SCALES[scale]
    report = progress or (lambda step: None)

    def rng(stream: str) -> np.random.Generator:
        return np.random.default_rng([int(seed), _STREAMS.index(stream)])

    report("landscape")
    land = build_landscape(size, rng("landscape"))
    report("roads")
    roads = build_roads(land, size, rng("roads"))
    report("grids")
    grids = build_grids(land, size, rng("grids"))
    placer = RoadPlacer(roads, grids)
    now = reference_time(seed)
    report("responders")
    responders = build_responders(grids, placer, land.seats, size, now, rng("responders"))
    chiefs = responders[responders["role"] == "grid_chief"]
    grids["chief_id"] = grids["code"].map(dict(zip(chiefs["grid_code"], chiefs["responder_id"])))
    grids["version"] = 1
    patrol_routes = build_patrol_routes(responders, placer, size, rng("patrol_routes"))
    report("cameras")
    cameras = build_cameras(grids, placer, land, size.cameras, rng("cameras"))
    checkpoints = build_checkpoints(placer, land)
    report("tickets")
    history = build_tickets(size.tickets, grids, placer, responders, land.urban, size.ticket_hotspots, now,
                            rng("tickets"))

    water = gpd.GeoDataFrame(
        {"kind": ["river"] + ["lake"] * len(land.lakes), "name": [RIVER_NAME] + LAKE_NAMES[: len(land.lakes)]},
        geometry=[land.river.intersection(shapely.box(*land.territory.buffer(3_000).bounds)), *land.lakes],
        crs=METRIC_CRS,
    )
    campaigns = build_campaigns(grids, land, history.incidents, now)
    road_frame = gpd.GeoDataFrame(roads.edges, geometry=roads.lines, crs=METRIC_CRS)
    metric = {
        "grids": grids, "roads": road_frame, "water": water, "responders": responders, "cameras": cameras,
        "patrol_routes": patrol_routes, "checkpoints": checkpoints, "incidents": history.incidents,
        "campaigns": campaigns,
    }
    layers = {name: _lonlat(frame, LAYERS[name].column_names) for name, frame in metric.items()}
    layers["departments"] = build_departments()
    tables = {"tickets": history.tickets, "ticket_timeline": history.timeline}
    # Columns the demo has no value for (reporter ID numbers, console seats ...) stay empty.
    return DemoCity(layers, {name: frame.reindex(columns=TABLES[name].column_names) for name, frame in tables.items()})


def _lonlat(frame: gpd.GeoDataFrame, columns: list[str]) -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame(frame.reindex(columns=columns).reset_index(drop=True),
                            geometry=to_lonlat(frame.geometry.values), crs=f"EPSG:{STORAGE_SRID}")


def build_demo_city(path: str | os.PathLike, scale: str = "small", seed: int = 7, force: bool = False,
                    progress: Callable[[str], None] | None = None) -> dict[str, int]:
    """Write the demo city into a new store at `path`; returns the rows written per layer and table.

    The store is built beside `path` and moved into place when complete, so a failed
    build leaves no half-written file (and, with `force`, the old one untouched).
    """
    path = Path(path)
    if path.exists() and not force:
        raise DemoError(f"{path} already exists; use --force to replace it")
    if not path.parent.is_dir():
        raise DemoError(f"folder {path.parent} does not exist")
    city = generate_city(scale, seed, progress)
    if progress:
        progress("writing")
    counts = {}
    with store_built_beside(path) as store, store.transaction() as tx:
        for name, frame in city.layers.items():
            counts[name] = tx.write_layer(name, frame, mode="replace")
        for name, frame in city.tables.items():
            counts[name] = tx.insert_rows(name, frame)
        write_centre(tx, CITY_NAME)
    if progress:
        progress("police coverage")
    # In place, so that the road graph it builds is cached for this path too.
    with Store.open(path) as store:
        keep_coverage(store)
    return counts
