"""Whether shapes sit on a known datum offset from a reference of the same territory.

A file's coordinates are often not in the system its user believes: Gaode, Tencent and DataV give
GCJ-02, Baidu BD-09, and a .prj that says WGS-84 proves nothing. At a Hubei city GCJ-02 is ~600 m
off, enough to put GPS points in the wrong district. Read in each system, the file's vertices
are compared with what the store already holds (its grids' edges, its roads): the reading that
fits far better says what the coordinates really are.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import shapely

from gis.crs import canonical, convert
from gis.topology import is_polygonal

# Systems a file's lon/lat may be given in that differ from WGS-84 by a known offset (CGCS2000
# differs by centimetres and counts as WGS-84).
OFFSET_SYSTEMS = ("wgs84", "gcj02", "bd09")
# A datum warning needs the best reading to fit at least twice as well and this much closer
# (by default: grid edges; points beside roads pass a smaller gain, see datum_offset).
OFFSET_MIN_GAIN_M = 30.0
_OFFSET_SAMPLE = 2000
_METRES_PER_DEGREE = 111_195.0


@dataclass(frozen=True)
class DatumOffset:
    """Shapes read in one system that fit a reference much better read in another."""

    declared: str  # the system the shapes were read as
    fits: str  # the system they fit the reference best in
    offset_m: float  # how far apart the two readings put the shapes (median over vertices)
    declared_fit_m: float  # median distance of the shapes' vertices to the reference, read as declared
    best_fit_m: float  # the same, read as `fits`

    def message(self, reference: str) -> str:
        return (f"read as {self.declared}, the file's shapes lie a median {self.declared_fit_m:.0f} m from the "
                f"{reference}, read as {self.fits} {self.best_fit_m:.0f} m: its coordinates look like "
                f"{self.fits} ({self.offset_m:.0f} m offset); use --crs {self.fits}")


def datum_offset(geoms, declared: str | None, reference, min_gain_m: float = OFFSET_MIN_GAIN_M) -> DatumOffset | None:
    """Whether `geoms` (WGS-84, converted from `declared`) sit on a known datum offset from
    `reference` (WGS-84 shapes of the same territory: a store's grids or roads): read in another
    system of OFFSET_SYSTEMS, their vertices lie at least twice as close to the reference and
    `min_gain_m` closer. None when they fit as declared, or nothing tells."""
    declared = canonical(declared or "wgs84")
    coords = shapely.get_coordinates(np.asarray(geoms, dtype=object))
    lines = np.asarray(reference, dtype=object)
    lines = lines[~shapely.is_missing(lines) & ~shapely.is_empty(lines)]
    if not len(coords) or not len(lines):
        return None
    coords = coords[np.linspace(0, len(coords) - 1, min(len(coords), _OFFSET_SAMPLE)).astype(int)]
    polygonal = is_polygonal(lines)
    lines[polygonal] = shapely.boundary(lines[polygonal])
    (minx, miny), (maxx, maxy) = coords.min(axis=0) - 0.05, coords.max(axis=0) + 0.05  # > a BD-09 offset
    lines = shapely.clip_by_rect(lines, minx, miny, maxx, maxy)
    lines = lines[~shapely.is_empty(lines)]
    if not len(lines):
        return None
    x_scale = np.cos(np.radians(coords[:, 1].mean())) * _METRES_PER_DEGREE

    def metres(xy: np.ndarray) -> np.ndarray:
        return np.column_stack([xy[:, 0] * x_scale, xy[:, 1] * _METRES_PER_DEGREE])

    tree = shapely.STRtree(shapely.transform(lines, metres))
    raw = convert(coords[:, 0], coords[:, 1], "wgs84", declared)
    readings, fits = {}, {}
    for system in OFFSET_SYSTEMS:
        readings[system] = metres(np.column_stack(convert(*raw, system, "wgs84")))
        _, distances = tree.query_nearest(shapely.points(readings[system]), return_distance=True, all_matches=False)
        fits[system] = float(np.median(distances))
    best = min(fits, key=fits.get)
    if best == declared or fits[best] * 2 > fits[declared] or fits[declared] - fits[best] < min_gain_m:
        return None
    offset = float(np.median(np.hypot(*(readings[best] - readings[declared]).T)))
    return DatumOffset(declared, best, offset, fits[declared], fits[best])
