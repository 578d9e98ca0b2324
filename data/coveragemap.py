"""The rapid-response bands (快反圈) as a map layer: the parts of the territory on-duty police
reach by road within 1, 3 and 5 minutes, as GeoJSON the map page draws fast, kept in the store.

No Qt here: the console runs `print_coverage` in a child process (a fresh interpreter), so that
its seconds of CPU never hold the UI thread.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import sys
from collections.abc import Sequence

import numpy as np
import shapely

from data.store import Store, StoreError
from gis.isochrone import TRIM_M, covered_bands
from gis.roadgraph import RoadNetworkError
from gis.routing import Router

log = logging.getLogger(__name__)

# About 0.1 m: coordinates sent to the map keep six decimals, which keeps the JSON short.
COORDINATE_GRID_DEG = 1e-6
# The rapid-response bands (快反圈) and who must reach them: on-duty police units.
COVERAGE_MINUTES = (1, 3, 5)
COVERAGE_KINDS = ("police",)
# The work grows with the units (the city's 470: ~9 s of a core in a child process): above
# this many only the first units' coverage is shown (in store order, so it is stable).
COVERAGE_MAX_UNITS = 500
# Their name in the store's cache; a change to how they are computed gives them a new one.
COVERAGE_CACHE = "map.coverage.v2"
# About 10 m: the bands are 100 m road buffers; at 1 m the city's bands are 3 MB for the page to parse.
COVERAGE_SIMPLIFY_DEG = 1e-4
# The bands go to the page cut into cells of about 5 km: it skips the cells off screen, and fills
# each apart (the city's 5-minute band, one polygon of thousands of edges, took 25 ms to fill).
COVERAGE_CELL_DEG = 0.05
# A big overlay goes to the page in parts of about this many vertices (overlay_parts), each its own
# message: the page parses and builds one in a few ms (the city's 78,000-vertex coverage in one
# took ~50 ms).
OVERLAY_PART_VERTICES = 8000
# Stacked translucent greens without outlines (road buffers have ragged edges): the 1-minute area,
# inside every band, reads strongest.
COVERAGE_STYLE = {"stroke": False, "fillColor": "#3ddc84", "fillOpacity": 0.12}


def coverage_parts(store: Store, minutes: Sequence[float] = COVERAGE_MINUTES,
                   max_units: int = COVERAGE_MAX_UNITS) -> list[str]:
    """The territory reached by on-duty police within each band, as overlay parts for the map
    (see _coverage_bands). Slow (~9 s of a core on the city): call it off the UI thread.

    The result is kept in the store and read back while the police places, the roads and the
    territory are as they were: computing it again competes with the screen for the CPU. A store
    without roads has no bands (they are measured along roads): none, and the log says why."""
    if store.count("roads") == 0:
        log.warning("no police coverage: %s has no roads (recommendations use straight-line distance)", store.location)
        return []
    grids = store.read_layer("grids")
    top = grids[grids["level"] == grids["level"].min()] if len(grids) else grids
    area = shapely.union_all(top.geometry.values)
    if area.is_empty:
        return []
    router = Router.from_store(store)
    police = _on_duty_police(router)
    if police.sum() > max_units:
        # Only the first `max_units` units are searched from: mark the others off duty.
        router.statuses = np.where(police & (np.cumsum(police) > max_units), "capped", router.statuses)
    inputs = _coverage_digest(router, area, minutes)
    kept = store.cached(COVERAGE_CACHE, inputs)
    if kept is not None:
        return kept.splitlines()
    parts = overlay_parts(_coverage_bands(router, area, minutes))
    try:
        store.keep(COVERAGE_CACHE, inputs, "\n".join(parts))
    except StoreError as err:  # e.g. a store on a read-only share: computed again next time
        log.warning("police coverage not kept in the store: %s", err)
    return parts


def keep_coverage(store: Store) -> bool:
    """Compute the bands and keep them now, for the commands that change what they depend on
    (demo build, grid and road imports): the console's next start reads them instead of computing
    them beside the live map. False when there are no bands yet (no grids, roads or police)."""
    try:
        return bool(coverage_parts(store))
    except RoadNetworkError as err:
        log.info("police coverage not computed: %s", err)
        return False


def _on_duty_police(router: Router) -> np.ndarray:
    """Which of the router's units the bands are searched from."""
    return np.isin(router.kinds, COVERAGE_KINDS) & (router.statuses == "on_duty")


def _coverage_digest(router: Router, area, minutes: Sequence[float]) -> str:
    """A digest of everything _coverage_bands depends on, for the store's cache."""
    digest = hashlib.sha256(COVERAGE_CACHE.encode())
    police = _on_duty_police(router)
    graph = router.graph
    for array in (router.segment[police], router.fraction[police], router.access_s[police],
                  graph.seg_from, graph.seg_to, graph.seg_seconds, graph.seg_oneway):
        digest.update(np.ascontiguousarray(array).tobytes())
    digest.update(b"".join(shapely.to_wkb(graph.lines)))
    digest.update(shapely.to_wkb(area))
    digest.update(json.dumps([list(minutes), TRIM_M, COVERAGE_SIMPLIFY_DEG, COVERAGE_CELL_DEG, COORDINATE_GRID_DEG,
                              COVERAGE_STYLE, OVERLAY_PART_VERTICES]).encode())
    return digest.hexdigest()


def _coverage_bands(router: Router, area, minutes: Sequence[float]) -> dict:
    """GeoJSON of the part of `area` each band reaches (largest first, so that the smaller bands
    draw on top; cut into cells, one feature each), styled for the map."""
    graph = router.graph
    minutes = sorted(set(float(m) for m in minutes))
    territory = graph.geometry_to_xy(area)
    units, covered = covered_bands(router, minutes, COVERAGE_KINDS)
    features = []
    for band_minutes, band in reversed(list(zip(minutes, covered))):
        reached = shapely.intersection(territory, band)
        share = round(reached.area / territory.area, 4) if territory.area else 0.0
        reached = shapely.simplify(graph.geometry_to_lonlat(reached), COVERAGE_SIMPLIFY_DEG)
        properties = {"minutes": band_minutes, "units": units, "reached_share": share, "style": COVERAGE_STYLE}
        features += [{"type": "Feature", "geometry": shapely.geometry.mapping(part), "properties": properties}
                     for part in _cut_into_cells(shapely.set_precision(reached, COORDINATE_GRID_DEG), COVERAGE_CELL_DEG)]
    return {"type": "FeatureCollection", "features": features}


def _cut_into_cells(area, cell_deg: float) -> list:
    """The polygons of `area` within each cell of a `cell_deg` grid (for drawing: a cut may leave
    a polygon not quite valid)."""
    if area.is_empty:
        return []
    x0, y0, x1, y1 = area.bounds
    xs = np.arange(x0, x1, cell_deg)
    ys = np.arange(y0, y1, cell_deg)
    cells = [shapely.clip_by_rect(area, x, y, x + cell_deg, y + cell_deg) for x in xs for y in ys]
    pieces = shapely.get_parts(shapely.set_precision(cells, COORDINATE_GRID_DEG))
    return [piece for piece in pieces if shapely.get_type_id(piece) == shapely.GeometryType.POLYGON and not piece.is_empty]


def print_coverage(location: str) -> None:
    """Print coverage_parts, a line each: the child process of console.mapview's coverage worker,
    at low priority.
    In-process, its ~9 s on the city hold the GIL in stretches of hundreds of ms (road graph,
    geometry to GeoJSON) and stall the UI thread. A low priority is not enough on two cores: the
    kernel leaves a woken UI thread queued behind Chromium's display threads (nice -8 when run as
    root) rather than move it to the core the child holds (even as SCHED_IDLE), which is why
    coverage_parts keeps its result."""
    os.nice(10)
    with Store.open(location) as store:
        parts = coverage_parts(store)
    # Nothing at all (no grids) is no line, which takes the layer off.
    sys.stdout.writelines(f"{part}\n" for part in parts)


def overlay_parts(collection: dict, max_vertices: int = OVERLAY_PART_VERTICES) -> list[str]:
    """A GeoJSON FeatureCollection as the JSON texts of consecutive FeatureCollections of at most
    `max_vertices` vertices each (a bigger feature is a part alone), for MapView.show_overlay."""
    parts: list[list[dict]] = []
    vertices = max_vertices
    for feature in collection["features"]:
        count = int(shapely.get_num_coordinates(shapely.geometry.shape(feature["geometry"])))
        if vertices + count > max_vertices:
            parts.append([])
            vertices = 0
        parts[-1].append(feature)
        vertices += count
    return [json.dumps({"type": "FeatureCollection", "features": features}, ensure_ascii=False, separators=(",", ":"))
            for features in parts]
