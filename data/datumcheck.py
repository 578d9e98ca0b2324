"""A warning when a centre's file sits on a known datum offset from what the store already holds.

Grid files are compared with the store's grids (else its roads); responders, cameras and
patrol routes with its roads, which they stand beside (a point says nothing against a grid's
edge). The check itself is gis.datum's; this reads the store's shapes around the file.
"""

from __future__ import annotations

import numpy as np
import shapely

from gis.datum import OFFSET_MIN_GAIN_M, datum_offset

# How far around the file's shapes the store's are read: more than a BD-09 offset, in degrees.
AROUND_DEG = 0.05
GRIDS_THEN_ROADS = (("grids", "store's grids"), ("roads", "store's roads"))
ROADS = (("roads", "store's roads"),)
# Points stand on or beside roads, and in a dense street grid a 600 m slip still lands some 30 m
# from another street: a smaller gain tells them apart (a correct file's other readings fit worse).
POINT_MIN_GAIN_M = 10.0


def datum_warnings(store, geoms, crs: str | None, references=GRIDS_THEN_ROADS,
                   min_gain_m: float = OFFSET_MIN_GAIN_M) -> list[str]:
    """[the warning] when `geoms` (WGS-84, read as `crs`) fit the first of `references` the store
    has far better read in another system; [] when they fit as read, or nothing tells."""
    geoms = np.asarray(geoms, dtype=object)
    geoms = geoms[~(shapely.is_missing(geoms) | shapely.is_empty(geoms))]
    if not len(geoms):
        return []
    minx, miny, maxx, maxy = shapely.total_bounds(geoms)
    bbox = (minx - AROUND_DEG, miny - AROUND_DEG, maxx + AROUND_DEG, maxy + AROUND_DEG)
    for layer, name in references:
        reference = store.read_layer(layer, bbox=bbox).geometry.array
        if len(reference):
            offset = datum_offset(geoms, crs, reference, min_gain_m)
            return [offset.message(name)] if offset else []
    return []
