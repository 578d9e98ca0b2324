"""Topology rules of grid hierarchies: one small handmade case per rule, the repairs, and speed."""

from __future__ import annotations

import time

import numpy as np
import pandas as pd
import pytest
import shapely
from geopandas import GeoDataFrame
from shapely.geometry import LineString, Polygon, box

from gis.topology import DEFAULT_SLIVER_M2, PROBLEM_KINDS, Problem, as_multipolygons, fix, validate

CELL = 0.01  # degrees: about 1 km x 1.1 km at 30°N
# About 0.4 m of latitude: a 1 km long strip this wide is ~430 m², a sliver, not a conflict.
SLIVER = 0.000004
# About 40 m: a 1 km long strip this wide is a real conflict that needs a person.
STRIP = 0.0004


def cell(col: float, row: float, width: float = 1, height: float = 1) -> Polygon:
    """A box on a 0.01° lattice near Wuhan; lattice points are computed the same way every time."""
    return box(114 + col * CELL, 30 + row * CELL, 114 + (col + width) * CELL, 30 + (row + height) * CELL)


def hierarchy() -> GeoDataFrame:
    """2 townships T1, T2 (2x2 cells), each with 2 villages (2x1), each with 2 grids (1x1)."""
    rows = []
    for t, col in ((1, 0), (2, 2)):
        township = f"T{t}"
        rows.append((township, None, 1, cell(col, 0, 2, 2)))
        for v in (1, 2):
            village = f"{township}V{v}"
            rows.append((village, township, 2, cell(col, v - 1, 2, 1)))
            for g in (1, 2):
                rows.append((f"{village}G{g}", village, 3, cell(col + g - 1, v - 1)))
    codes, parents, levels, geoms = zip(*rows)
    return GeoDataFrame(
        {
            "code": codes,
            "name": [f"网格{c}" for c in codes],
            "level": pd.array(levels, dtype="Int64"),
            "parent_code": parents,
            "households": pd.array([300] * len(rows), dtype="Int64"),
            "source_fid": np.arange(100, 100 + len(rows)),
        },
        geometry=as_multipolygons(geoms),
        crs="EPSG:4326",
    )


def with_changes(grids: GeoDataFrame, **by_code) -> GeoDataFrame:
    """A copy with some features' fields replaced: with_changes(g, T1V1G1={"geometry": ...})."""
    grids = grids.copy()
    for code, values in by_code.items():
        row = grids.index[grids["code"] == code][0]
        for column, value in values.items():
            grids.at[row, column] = value
    return grids


def kinds(problems: list[Problem]) -> list[tuple[str, str | None]]:
    assert {p.kind for p in problems} <= set(PROBLEM_KINDS)
    return sorted((p.kind, p.code) for p in problems)


def test_good_hierarchy_is_valid():
    assert validate(hierarchy()) == []


def test_invalid_geometry_reports_reason_fid_and_location():
    bowtie = Polygon([(114.0, 30.0), (114.01, 30.01), (114.01, 30.0), (114.0, 30.01)])
    problems = validate(with_changes(hierarchy(), T1V1G1={"geometry": bowtie}))
    invalid = [p for p in problems if p.kind == "invalid_geometry"]
    assert len(invalid) == 1
    assert invalid[0].code == "T1V1G1" and invalid[0].fid == 102
    assert "Self-intersection" in invalid[0].message
    assert 114.0 <= invalid[0].lon <= 114.01 and 30.0 <= invalid[0].lat <= 30.01


def test_empty_and_non_polygon_geometries():
    grids = with_changes(
        hierarchy(),
        T1V1G1={"geometry": None},
        T1V1G2={"geometry": LineString([(114.01, 30.0), (114.02, 30.01)])},
    )
    problems = validate(grids)
    # The village is not reported as a gap: its grids' own problems say why.
    assert kinds(problems) == [("empty_geometry", "T1V1G1"), ("not_polygon", "T1V1G2")]
    assert problems[1].lon is not None


def test_code_rules():
    grids = with_changes(
        hierarchy(),
        T1V1G1={"code": None},
        T1V1G2={"code": "T1V2G1"},
    )
    assert kinds(validate(grids)) == [("duplicate_code", "T1V2G1"), ("missing_code", None)]


def test_duplicate_code_names_the_first_feature():
    grids = with_changes(hierarchy(), T2V2G2={"code": "T1V1G1"})
    [problem] = [p for p in validate(grids) if p.kind == "duplicate_code"]
    assert problem.fid == 113 and "fid 102" in problem.message


def test_parent_and_level_rules():
    grids = with_changes(
        hierarchy(),
        T1V1G1={"parent_code": "NOPE"},
        T1V1G2={"parent_code": None},
        T1V2G1={"level": 2},
        T1V2G2={"level": pd.NA},
    )
    found = kinds(validate(grids))
    assert ("missing_parent", "T1V1G1") in found  # parent code not in the file
    assert ("missing_parent", "T1V1G2") in found  # a level-3 feature at the top
    assert ("level_mismatch", "T1V2G1") in found
    assert ("missing_level", "T1V2G2") in found


def test_sibling_overlap_above_tolerance_is_reported_with_both_codes():
    grown = cell(0, 0, 1 + STRIP / CELL, 1)  # T1V1G1 reaching 40 m into T1V1G2
    [problem] = validate(with_changes(hierarchy(), T1V1G1={"geometry": grown}))
    assert problem.kind == "overlap" and problem.code == "T1V1G1"
    assert "T1V1G2" in problem.message and "fid 103" in problem.message
    assert 114.01 < problem.lon < 114.01 + STRIP
    assert problem.details["other"] == "T1V1G2"  # the facts by name, for a UI to word them
    assert f"{problem.details['area_m2']:.1f} m²" in problem.message and 40_000 < problem.details["area_m2"] < 50_000


def test_overlap_below_tolerance_is_ignored():
    # 1e-9° x 0.01°: ~0.1 mm x 1 km = 0.1 m²
    grown = cell(0, 0, 1 + 1e-7, 1)
    grids = with_changes(hierarchy(), T1V1G1={"geometry": grown})
    assert validate(grids) == []
    assert [p.kind for p in validate(grids, tolerance_m2=0.01)] == ["overlap"]


def test_overlap_between_cousins_counts_as_outside_parent_not_as_sibling_overlap():
    grown = cell(1, 0, 1, 1 + STRIP / CELL)  # T1V1G2 reaching into village T1V2
    assert kinds(validate(with_changes(hierarchy(), T1V1G2={"geometry": grown}))) == [("outside_parent", "T1V1G2")]


def test_gap_inside_parent():
    shrunk = cell(0, STRIP / CELL, 1, 1 - STRIP / CELL)
    [problem] = validate(with_changes(hierarchy(), T1V1G1={"geometry": shrunk}))
    assert problem.kind == "gap" and problem.code == "T1V1"
    assert 30.0 < problem.lat < 30.0 + STRIP
    assert float(problem.message.split()[0]) == pytest.approx(0.0004 * 111_000 * 0.01 * 96_000, rel=0.05)


def test_child_outside_parent():
    moved = shapely.affinity.translate(cell(2, 0), yoff=-STRIP)  # T2V1G1 hanging south out of T2
    problems = validate(with_changes(hierarchy(), T2V1G1={"geometry": moved}))
    assert ("outside_parent", "T2V1G1") in kinds(problems)
    outside = next(p for p in problems if p.kind == "outside_parent")
    assert outside.lat < 30.0


@pytest.mark.parametrize(
    ("offset", "kind", "located"),
    [
        (lambda g: shapely.transform(g, lambda xy: xy[:, ::-1]), "swapped_axes", True),
        (lambda g: shapely.transform(g, lambda xy: xy - [100, 0]), "not_lonlat", True),  # lon 14: Europe
        (lambda g: shapely.transform(g, lambda xy: xy * [5000, 100000]), "not_lonlat", False),  # metres
    ],
)
def test_coordinates_that_are_not_lonlat_in_china(offset, kind, located):
    grids = hierarchy()
    grids["geometry"] = offset(grids.geometry.array)
    problems = validate(grids)
    assert {p.kind for p in problems} == {kind}
    assert len(problems) == len(grids)
    assert all((p.lon is not None) == located for p in problems)
    if kind == "swapped_axes":
        assert all(114 <= p.lon <= 114.04 and 30 <= p.lat <= 30.02 for p in problems)


def test_problems_fall_back_to_the_index_without_source_fid():
    grids = with_changes(hierarchy(), T1V1G1={"code": None}).drop(columns="source_fid")
    [problem] = validate(grids)
    assert problem.fid == 2


def test_fix_makes_spiky_ring_valid_keeping_the_polygon():
    spiky = Polygon([(114.0, 30.0), (114.01, 30.0), (114.01, 30.01), (114.005, 30.01), (114.005, 30.005),
                     (114.005, 30.01), (114.0, 30.01)])
    assert not spiky.is_valid
    fixed, changes = fix(with_changes(hierarchy(), T1V1G1={"geometry": spiky}))
    assert validate(fixed) == []
    assert [c for c in changes if c.startswith("T1V1G1: made valid")]
    assert fixed.geometry.iloc[2].equals(cell(0, 0))
    assert fixed.geometry.iloc[2].geom_type == "MultiPolygon"


def test_a_ring_collapsed_to_a_line_is_an_invalid_geometry_not_a_crash():
    """A hand-edited ring whose points all lie on one line: nothing polygonal is left after repair."""
    flat = shapely.MultiPolygon([Polygon([(114.0, 30.0), (114.005, 30.0), (114.01, 30.0), (114.0, 30.0)])])
    grids = with_changes(hierarchy(), T1V1G1={"geometry": flat})
    problems = validate(grids)
    assert [(p.kind, p.code) for p in problems if p.kind == "invalid_geometry"] == [("invalid_geometry", "T1V1G1")]
    assert as_multipolygons([shapely.LineString([(0, 0), (1, 0)])]).tolist() == [None]


def test_fix_gives_a_sliver_overlap_to_the_later_sibling():
    grown = cell(0, 0, 1 + SLIVER / CELL, 1)
    fixed, changes = fix(with_changes(hierarchy(), T1V1G1={"geometry": grown}))
    assert validate(fixed) == []
    assert len(changes) == 1 and changes[0].startswith("T1V1G1: gave") and changes[0].endswith("to T1V1G2")
    assert fixed.geometry.iloc[3].equals(hierarchy().geometry.iloc[3])


def test_fix_clips_a_child_sticking_out_of_its_parent():
    moved = shapely.affinity.translate(cell(2, 0), yoff=-SLIVER)
    fixed, changes = fix(with_changes(hierarchy(), T2V1G1={"geometry": moved}))
    assert any(c.startswith("T2V1G1: clipped") for c in changes)
    # Clipping leaves a sliver gap at the north edge, which goes back to the same grid.
    assert any(c.startswith("T2V1G1: took") for c in changes)
    assert validate(fixed) == []


def test_fix_fills_a_sliver_gap_from_the_child_with_the_longest_shared_edge():
    shrunk = cell(0, SLIVER / CELL, 1, 1 - SLIVER / CELL)  # gap along T1V1G1's south edge
    fixed, changes = fix(with_changes(hierarchy(), T1V1G1={"geometry": shrunk}))
    assert len(changes) == 1 and changes[0].startswith("T1V1G1: took") and "in parent T1V1" in changes[0]
    assert validate(fixed) == []


def test_fix_swaps_axes_back():
    grids = hierarchy()
    grids["geometry"] = shapely.transform(grids.geometry.array, lambda xy: xy[:, ::-1])
    fixed, changes = fix(grids)
    assert len(changes) == len(grids) and all("swapped" in c for c in changes)
    assert validate(fixed) == []


def test_fix_leaves_large_conflicts_for_a_person():
    grown = cell(0, 0, 1 + STRIP / CELL, 1)
    shrunk = cell(2, STRIP / CELL, 1, 1 - STRIP / CELL)
    grids = with_changes(hierarchy(), T1V1G1={"geometry": grown}, T2V1G1={"geometry": shrunk})
    fixed, changes = fix(grids)
    assert changes == []
    assert kinds(validate(fixed)) == [("gap", "T2V1"), ("overlap", "T1V1G1")]
    assert kinds(validate(fix(grids, sliver_m2=DEFAULT_SLIVER_M2 * 100)[0])) == []


def test_fix_does_not_change_a_valid_hierarchy():
    grids = hierarchy()
    fixed, changes = fix(grids)
    assert changes == []
    assert all(shapely.equals_exact(fixed.geometry.array, grids.geometry.array, tolerance=0))


def city_grids(villages_per_side: int = 10, grids_per_side: int = 10) -> GeoDataFrame:
    """One township of villages_per_side² villages, each with grids_per_side² grids."""
    n = villages_per_side * grids_per_side
    size = 0.002
    cols, rows = np.meshgrid(np.arange(n), np.arange(n))
    cols, rows = cols.ravel(), rows.ravel()
    village_of = (rows // grids_per_side) * villages_per_side + cols // grids_per_side
    grid_boxes = shapely.box(114 + cols * size, 30 + rows * size, 114 + (cols + 1) * size, 30 + (rows + 1) * size)
    vcols, vrows = np.meshgrid(np.arange(villages_per_side), np.arange(villages_per_side))
    vsize = size * grids_per_side
    village_boxes = shapely.box(
        114 + vcols.ravel() * vsize, 30 + vrows.ravel() * vsize,
        114 + (vcols.ravel() + 1) * vsize, 30 + (vrows.ravel() + 1) * vsize,
    )
    codes = ["T"] + [f"V{v}" for v in range(len(village_boxes))] + [f"G{g}" for g in range(len(grid_boxes))]
    parents = [None] + ["T"] * len(village_boxes) + [f"V{v}" for v in village_of]
    levels = [1] + [2] * len(village_boxes) + [3] * len(grid_boxes)
    geoms = [box(114, 30, 114 + n * size, 30 + n * size), *village_boxes, *grid_boxes]
    return GeoDataFrame(
        {"code": codes, "name": codes, "level": levels, "parent_code": parents},
        geometry=as_multipolygons(geoms),
        crs="EPSG:4326",
    )


def test_validating_ten_thousand_grids_takes_seconds():
    grids = city_grids()
    assert len(grids) > 10_000
    first_grid = grids.index[grids["code"] == "G0"][0]
    grids.loc[first_grid, "geometry"] = shapely.affinity.translate(grids.geometry[first_grid], 0.001, 0.001)
    started = time.perf_counter()
    problems = validate(grids)
    elapsed = time.perf_counter() - started
    assert kinds(problems) == [("gap", "V0"), ("overlap", "G0"), ("overlap", "G0"), ("overlap", "G0")]
    assert elapsed < 5, f"validate took {elapsed:.1f} s"


def test_fix_cleans_up_a_jittered_digitisation():
    """Every grid edge digitised up to ±0.3 m off: slivers everywhere, all fixable but gap networks."""
    grids = city_grids(villages_per_side=3, grids_per_side=5)
    is_grid = (grids["level"] == 3).to_numpy()
    bounds = shapely.bounds(grids.geometry.array[is_grid])
    bounds += np.random.default_rng(7).uniform(-3e-6, 3e-6, bounds.shape)
    grids.loc[is_grid, "geometry"] = as_multipolygons(shapely.box(*bounds.T))
    before = validate(grids)
    assert {p.kind for p in before} == {"overlap", "outside_parent", "gap"}

    fixed, changes = fix(grids)
    after = validate(fixed)
    assert len(changes) > len(before) / 2
    assert {p.kind for p in after} <= {"gap"} and len(after) < len(before) / 10
    assert shapely.is_valid(fixed.geometry.array).all() and set(fixed.geom_type) == {"MultiPolygon"}
