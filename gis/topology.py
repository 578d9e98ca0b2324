"""Topology rules of a grid hierarchy, and the repairs that can safely be automated.

`validate` is the one rule set: file validation, import and the grid editor all run it on
the standard grid GeoDataFrame that `gis.gridfile.read_grid_file` produces (columns code,
name, level, parent_code, geometry in EPSG:4326, optionally source_fid). Geometry
operations run in lon/lat so that shared edges stay exactly shared; only the small
result pieces are projected to an equal-area projection to measure them in m².
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import asdict, dataclass, field

import numpy as np
import pandas as pd
import shapely
from geopandas import GeoDataFrame
from pyproj import CRS, Transformer

# Overlaps, gaps and overhangs smaller than this are digitising noise, not problems.
DEFAULT_TOLERANCE_M2 = 1.0
# `fix` resolves overlaps, gaps and overhangs up to this size; larger ones need a person.
DEFAULT_SLIVER_M2 = 1000.0

# Generous bounding box of China; grid files from anywhere else are a mistake.
CHINA_LON = (73.0, 136.0)
CHINA_LAT = (3.0, 54.0)

# Half a centimetre in degrees: how far apart two edges may be and still count as shared.
_SHARED_EDGE_EPS_DEG = 5e-8

_POLYGONAL_TYPES = (shapely.GeometryType.POLYGON, shapely.GeometryType.MULTIPOLYGON)


# The stable vocabulary of Problem.kind, for reports, filters and translations.
PROBLEM_KINDS = (
    "empty_geometry",
    "not_polygon",
    "invalid_geometry",
    "swapped_axes",
    "not_lonlat",
    "missing_code",
    "duplicate_code",
    "missing_level",
    "missing_parent",
    "level_mismatch",
    "overlap",
    "outside_parent",
    "gap",
)


@dataclass(frozen=True)
class Problem:
    """One rule violation, located so that a person can find it on the map."""

    kind: str  # one of PROBLEM_KINDS
    code: str | None
    fid: int | None
    message: str  # English, for logs and the command line
    lon: float | None = None
    lat: float | None = None
    # The message's facts by name (other, parent, area_m2, level, parent_level), for a UI to word
    # them in its own language.
    details: dict = field(default_factory=dict, compare=False)

    def as_dict(self) -> dict:
        return asdict(self)


def is_polygonal(geoms) -> np.ndarray:
    return np.isin(shapely.get_type_id(geoms), _POLYGONAL_TYPES)


def as_multipolygons(geoms) -> np.ndarray:
    """Polygonal parts of each geometry as one MultiPolygon; None where there are none.

    Looks two levels deep because make_valid returns collections of multipolygons.
    """
    geoms = np.asarray(geoms, dtype=object)
    parts, owner = shapely.get_parts(geoms, return_index=True)
    parts, part_owner = shapely.get_parts(parts, return_index=True)
    owner = owner[part_owner]
    keep = (shapely.get_type_id(parts) == shapely.GeometryType.POLYGON) & ~shapely.is_empty(parts)
    out = np.full(len(geoms), None, dtype=object)
    if not keep.any():  # shapely then gives no array at all, not `out`
        return out
    return shapely.multipolygons(parts[keep], indices=owner[keep], out=out)


class _AreaMeter:
    """Measures lon/lat geometries in metres on a Lambert equal-area projection centred on them."""

    def __init__(self, geoms: np.ndarray):
        minx, miny, maxx, maxy = shapely.total_bounds(geoms)
        crs = CRS.from_proj4(
            f"+proj=laea +lat_0={(miny + maxy) / 2} +lon_0={(minx + maxx) / 2} "
            "+datum=WGS84 +units=m +no_defs"
        )
        self._forward = Transformer.from_crs("EPSG:4326", crs, always_xy=True)

    def _project(self, geoms) -> np.ndarray:
        return shapely.transform(
            np.asarray(geoms, dtype=object),
            lambda xy: np.column_stack(self._forward.transform(xy[:, 0], xy[:, 1])),
        )

    def area(self, geoms) -> np.ndarray:
        return shapely.area(self._project(geoms))

    def length(self, geoms) -> np.ndarray:
        return shapely.length(self._project(geoms))


def _coordinate_kinds(geoms: np.ndarray) -> np.ndarray:
    """Per feature: None if lon/lat in China, else 'swapped_axes', 'not_degrees' or 'outside_china'."""
    with np.errstate(invalid="ignore"):
        minx, miny, maxx, maxy = shapely.bounds(geoms).T

        def within(lo, hi, span):
            return (lo >= span[0]) & (hi <= span[1])

        in_china = within(minx, maxx, CHINA_LON) & within(miny, maxy, CHINA_LAT)
        swapped = within(minx, maxx, CHINA_LAT) & within(miny, maxy, CHINA_LON)
        degrees = within(minx, maxx, (-180, 180)) & within(miny, maxy, (-90, 90))
    kinds = np.full(len(geoms), None, dtype=object)
    has_coords = np.isfinite(minx)
    kinds[has_coords & ~in_china] = "outside_china"
    kinds[has_coords & ~degrees] = "not_degrees"
    kinds[has_coords & swapped] = "swapped_axes"
    return kinds


def _swap_axes(geoms) -> np.ndarray:
    return shapely.transform(np.asarray(geoms, dtype=object), lambda xy: xy[:, ::-1])


class _Hierarchy:
    """The grid table as aligned numpy arrays, with each feature's parent resolved to a row."""

    def __init__(self, grids: GeoDataFrame, fid_column: str):
        n = len(grids)
        self.codes = _nullable_strings(grids["code"])
        self.parent_codes = _nullable_strings(grids["parent_code"])
        self.levels = pd.to_numeric(grids["level"], errors="coerce").to_numpy(dtype=float)
        self.fids = (
            grids[fid_column].to_numpy() if fid_column in grids.columns else grids.index.to_numpy()
        )
        self.geoms = np.asarray(grids.geometry.array, dtype=object)
        first_row_of_code = pd.Series(np.arange(n)).groupby(self.codes, sort=False).first()
        self.first_rows = pd.Series(self.codes).map(first_row_of_code).fillna(-1).to_numpy(dtype=int)
        self.parent_rows = (
            pd.Series(self.parent_codes).map(first_row_of_code).fillna(-1).to_numpy(dtype=int)
        )

    def __len__(self) -> int:
        return len(self.codes)

    def label(self, row: int) -> str:
        code = self.codes[row]
        return code if code is not None else f"fid {self.fids[row]}"

    def problem(self, kind: str, row: int, message: str, where=None, **details) -> Problem:
        lon = lat = None
        if where is not None and not shapely.is_empty(where):
            point = shapely.point_on_surface(where if where.is_valid else shapely.make_valid(where))
            lon, lat = round(point.x, 7), round(point.y, 7)
        fid = self.fids[row]
        return Problem(
            kind, self.codes[row], None if pd.isna(fid) else int(fid), message, lon, lat, details
        )

    def sibling_pairs(self, geoms: np.ndarray, rows: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Row pairs (a < b) among `rows` with the same parent code and level whose shapes intersect."""
        tree = shapely.STRtree(geoms[rows])
        left, right = tree.query(geoms[rows], predicate="intersects")
        a, b = rows[left], rows[right]
        levels = np.nan_to_num(self.levels, nan=-1)
        siblings = (a < b) & (self.parent_codes[a] == self.parent_codes[b]) & (levels[a] == levels[b])
        return a[siblings], b[siblings]

    def with_parents(self, rows: np.ndarray, usable: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """The `rows` whose parent is usable, and their parents' rows."""
        parents = self.parent_rows[rows]
        has_parent = parents >= 0
        has_parent[has_parent] = usable[parents[has_parent]]
        return rows[has_parent], parents[has_parent]

    def children_by_parent(self, rows: np.ndarray, usable: np.ndarray) -> dict[int, np.ndarray]:
        """`rows` grouped by the row of their usable parent."""
        children, parents = self.with_parents(rows, usable)
        order = np.argsort(parents, kind="stable")
        unique_parents, starts = np.unique(parents[order], return_index=True)
        return dict(zip(unique_parents.tolist(), np.split(children[order], starts[1:])))


def _nullable_strings(column: pd.Series) -> np.ndarray:
    values = column.to_numpy(dtype=object, copy=True)
    values[pd.isna(values)] = None
    return values


def validate(
    grids: GeoDataFrame,
    tolerance_m2: float = DEFAULT_TOLERANCE_M2,
    fid_column: str = "source_fid",
) -> list[Problem]:
    """Every problem of a grid hierarchy, one Problem per feature (or pair/gap) and rule."""
    hierarchy = _Hierarchy(grids, fid_column)
    problems, usable = _geometry_problems(hierarchy)
    problems += _attribute_problems(hierarchy, usable)
    problems += _topology_problems(hierarchy, usable, tolerance_m2)
    return problems


def _geometry_problems(h: _Hierarchy) -> tuple[list[Problem], np.ndarray]:
    """Empty, non-polygonal, invalid and non-lon/lat geometries; also which rows the topology checks can use."""
    problems = []
    geoms = h.geoms
    empty = shapely.is_missing(geoms) | shapely.is_empty(geoms)
    polygonal = is_polygonal(geoms)
    coordinate_kinds = _coordinate_kinds(geoms)
    valid = shapely.is_valid(geoms)
    for row in np.flatnonzero(empty):
        problems.append(h.problem("empty_geometry", row, "feature has no geometry"))
    for row in np.flatnonzero(~empty & ~polygonal):
        problems.append(
            h.problem("not_polygon", row, f"geometry is a {geoms[row].geom_type}, not a polygon", geoms[row])
        )
    for row in np.flatnonzero(coordinate_kinds != None):  # noqa: E711 (elementwise)
        problems.append(_coordinate_problem(h, row, coordinate_kinds[row]))
    for row in np.flatnonzero(~empty & ~valid & (coordinate_kinds == None)):  # noqa: E711
        reason = shapely.is_valid_reason(geoms[row])
        problems.append(h.problem("invalid_geometry", row, f"invalid geometry: {reason}", geoms[row]))
    usable = ~empty & polygonal & (coordinate_kinds == None)  # noqa: E711
    return problems, usable


def _coordinate_problem(h: _Hierarchy, row: int, kind: str) -> Problem:
    minx, miny, maxx, maxy = shapely.bounds(h.geoms[row])
    corner = f"x={minx:.6g}, y={miny:.6g}"
    if kind == "swapped_axes":
        return h.problem(
            "swapped_axes", row, f"coordinates are lat/lon, not lon/lat ({corner})", _swap_axes([h.geoms[row]])[0]
        )
    if kind == "not_degrees":
        message = (
            f"coordinates are not degrees ({corner}): projected data without a CRS? "
            "Give the file its CRS or reproject it to EPSG:4326"
        )
        return h.problem("not_lonlat", row, message)
    return h.problem("not_lonlat", row, f"lon/lat outside China ({corner})", h.geoms[row])


def _attribute_problems(h: _Hierarchy, usable: np.ndarray) -> list[Problem]:
    """Codes, levels and parent links."""
    where = np.where(usable, h.geoms, None)
    has_code = h.codes != None  # noqa: E711 (elementwise)
    has_level = np.isfinite(h.levels)
    top_level = h.levels[has_level].min() if has_level.any() else np.nan
    has_parent_code = h.parent_codes != None  # noqa: E711
    parent_found = h.parent_rows >= 0
    parent_levels = np.where(parent_found, h.levels[h.parent_rows], np.nan)

    problems = []

    def report(kind: str, mask: np.ndarray, message, details=lambda row: {}) -> None:
        problems.extend(h.problem(kind, row, message(row), where[row], **details(row)) for row in np.flatnonzero(mask))

    report("missing_code", ~has_code, lambda row: "feature has no code")
    report(
        "duplicate_code",
        has_code & (h.first_rows != np.arange(len(h))),
        lambda row: f"code {h.codes[row]} is also used by fid {h.fids[h.first_rows[row]]}",
    )
    report("missing_level", ~has_level, lambda row: "feature has no integer level")
    report(
        "missing_parent",
        has_parent_code & ~parent_found,
        lambda row: f"parent {h.parent_codes[row]} is not in the file",
        lambda row: {"parent": h.parent_codes[row]},
    )
    report(
        "missing_parent",
        ~has_parent_code & (h.levels > top_level),
        lambda row: f"level {h.levels[row]:.0f} feature has no parent; only level {top_level:.0f} may be top level",
        lambda row: {"level": int(h.levels[row]), "top_level": int(top_level)},
    )
    report(
        "level_mismatch",
        parent_found & has_level & np.isfinite(parent_levels) & (h.levels != parent_levels + 1),
        lambda row: f"level {h.levels[row]:.0f} under parent {h.parent_codes[row]} of level {parent_levels[row]:.0f}",
        lambda row: {"level": int(h.levels[row]), "parent": h.parent_codes[row], "parent_level": int(parent_levels[row])},
    )
    return problems


def _topology_problems(h: _Hierarchy, usable: np.ndarray, tolerance_m2: float) -> list[Problem]:
    """Sibling overlaps, gaps inside parents and children outside their parent."""
    geoms = h.geoms.copy()
    invalid = usable & ~shapely.is_valid(geoms)
    geoms[invalid] = as_multipolygons(shapely.make_valid(geoms[invalid]))
    usable = usable & ~shapely.is_missing(geoms)
    rows = np.flatnonzero(usable)
    if not len(rows):
        return []
    meter = _AreaMeter(geoms[rows])
    problems = []

    a, b = h.sibling_pairs(geoms, rows)
    overlaps = shapely.intersection(geoms[a], geoms[b])
    areas = meter.area(overlaps)
    for i in np.flatnonzero(areas > tolerance_m2):
        other = h.label(b[i])
        message = f"overlaps {other} (fid {h.fids[b[i]]}) by {areas[i]:.1f} m²"
        problems.append(h.problem("overlap", a[i], message, overlaps[i], other=other, area_m2=float(areas[i])))

    children, parents = h.with_parents(rows, usable)
    outside = shapely.difference(geoms[children], geoms[parents])
    areas = meter.area(outside)
    for i in np.flatnonzero(areas > tolerance_m2):
        row = children[i]
        message = f"{areas[i]:.1f} m² lies outside parent {h.parent_codes[row]}"
        problems.append(h.problem("outside_parent", row, message, outside[i], parent=h.parent_codes[row],
                                  area_m2=float(areas[i])))

    groups = h.children_by_parent(rows, usable)
    parents = np.fromiter(groups, dtype=int, count=len(groups))
    covered = np.array([shapely.union_all(geoms[groups[p]]) for p in parents], dtype=object)
    gaps, owner = shapely.get_parts(shapely.difference(geoms[parents], covered), return_index=True)
    areas = meter.area(gaps)
    for i in np.flatnonzero(areas > tolerance_m2):
        message = f"{areas[i]:.1f} m² not covered by any child"
        problems.append(h.problem("gap", parents[owner[i]], message, gaps[i], area_m2=float(areas[i])))
    return problems


def fix(
    grids: GeoDataFrame,
    sliver_m2: float = DEFAULT_SLIVER_M2,
    tolerance_m2: float = DEFAULT_TOLERANCE_M2,
    fid_column: str = "source_fid",
) -> tuple[GeoDataFrame, list[str]]:
    """Repair what needs no judgement; returns the repaired copy and one line per change.

    Swapped axes are swapped back, invalid shapes made valid (keeping polygonal parts), and,
    level by level from the top so that every child is fitted to its final parent: slivers
    sticking out of the parent are clipped off, sibling overlaps up to `sliver_m2` are given
    to the later feature, and gaps up to `sliver_m2` go to the child sharing the longest edge
    with them. Anything larger, or a repair that would leave a feature empty, is left for
    `validate` to report.
    """
    h = _Hierarchy(grids, fid_column)
    geoms = h.geoms.copy()
    changes: list[str] = []

    swapped = np.flatnonzero(_coordinate_kinds(geoms) == "swapped_axes")
    geoms[swapped] = _swap_axes(geoms[swapped])
    changes += [f"{h.label(row)}: swapped lat/lon axes to lon/lat" for row in swapped]

    present = ~(shapely.is_missing(geoms) | shapely.is_empty(geoms))
    collection = shapely.get_type_id(geoms) == shapely.GeometryType.GEOMETRYCOLLECTION
    not_clean = np.flatnonzero(present & (~shapely.is_valid(geoms) | collection))
    for row, repaired in zip(not_clean, as_multipolygons(shapely.make_valid(geoms[not_clean]))):
        if repaired is not None:
            what = "kept its polygonal parts" if collection[row] else f"made valid ({shapely.is_valid_reason(geoms[row])})"
            changes.append(f"{h.label(row)}: {what}")
            geoms[row] = repaired

    usable = present & is_polygonal(geoms)
    usable &= _coordinate_kinds(geoms) == None  # noqa: E711 (elementwise)
    if usable.any():
        meter = _AreaMeter(geoms[usable])
        for level in np.unique(h.levels[usable & np.isfinite(h.levels)]):
            rows = np.flatnonzero(usable & (h.levels == level))
            changes += _clip_to_parents(h, geoms, rows, usable, meter, sliver_m2, tolerance_m2)
            changes += _remove_sibling_slivers(h, geoms, rows, meter, sliver_m2, tolerance_m2)
            changes += _fill_gaps(h, geoms, rows, usable, meter, sliver_m2, tolerance_m2)

    fixed = grids.copy()
    multipolygons = as_multipolygons(geoms)
    fixed[fixed.geometry.name] = np.where(shapely.is_missing(multipolygons), geoms, multipolygons)
    return fixed, changes


def _clip_to_parents(h, geoms, rows, usable, meter, sliver_m2, tolerance_m2) -> list[str]:
    children, parents = h.with_parents(rows, usable)
    outside = meter.area(shapely.difference(geoms[children], geoms[parents]))
    sliver = (outside > tolerance_m2) & (outside <= sliver_m2)
    children, parents, outside = children[sliver], parents[sliver], outside[sliver]
    clipped = as_multipolygons(shapely.intersection(geoms[children], geoms[parents]))
    kept = ~shapely.is_missing(clipped)
    geoms[children[kept]] = clipped[kept]
    return [
        f"{h.label(row)}: clipped {area:.1f} m² sticking out of parent {h.label(parent)}"
        for row, parent, area in zip(children[kept], parents[kept], outside[kept])
    ]


def _remove_sibling_slivers(h, geoms, rows, meter, sliver_m2, tolerance_m2) -> list[str]:
    a, b = h.sibling_pairs(geoms, rows)
    areas = meter.area(shapely.intersection(geoms[a], geoms[b]))
    sliver = (areas > tolerance_m2) & (areas <= sliver_m2)
    pairs_by_earlier = defaultdict(list)
    for earlier, later, area in zip(a[sliver], b[sliver], areas[sliver]):
        pairs_by_earlier[earlier].append((later, area))
    changes = []
    for earlier, pairs in pairs_by_earlier.items():
        later_rows = [later for later, _ in pairs]
        cut = as_multipolygons([shapely.difference(geoms[earlier], shapely.union_all(geoms[later_rows]))])[0]
        if cut is not None:
            geoms[earlier] = cut
            changes += [f"{h.label(earlier)}: gave {area:.1f} m² overlap to {h.label(later)}" for later, area in pairs]
    return changes


def _fill_gaps(h, geoms, rows, usable, meter, sliver_m2, tolerance_m2) -> list[str]:
    changes = []
    for parent, children in h.children_by_parent(rows, usable).items():
        gaps = shapely.get_parts(shapely.difference(geoms[parent], shapely.union_all(geoms[children])))
        areas = meter.area(gaps)
        fillable = (areas > tolerance_m2) & (areas <= sliver_m2)
        if not fillable.any():
            continue
        near_children = shapely.buffer(geoms[children], _SHARED_EDGE_EPS_DEG)
        for gap, area in zip(gaps[fillable], areas[fillable]):
            shared = meter.length(shapely.intersection(shapely.boundary(gap), near_children))
            if shared.max() > 0:
                taker = children[int(np.argmax(shared))]
                geoms[taker] = as_multipolygons([shapely.union(geoms[taker], gap)])[0]
                changes.append(f"{h.label(taker)}: took {area:.1f} m² gap in parent {h.label(parent)}")
    return changes
