"""Grid editing operations: each keeps the hierarchy valid, undoes exactly, and stays fast at city scale."""

from __future__ import annotations

import ast
import itertools
import time
from pathlib import Path
from string import Formatter

import numpy as np
import pandas as pd
import pytest
import shapely
from geopandas import GeoDataFrame
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from scipy.spatial import cKDTree
from shapely.geometry import LineString, box

from gis import editing
from gis.editing import EditError, EditRefused, EditSession
from gis.topology import as_multipolygons, validate


def voronoi_hierarchy(grids: int = 60, villages: int = 6, townships: int = 2, seed: int = 0,
                      size_deg: float = 0.05) -> GeoDataFrame:
    """Townships > villages > grids near Wuhan: grid cells of one Voronoi diagram, grouped by nearest seed.

    Parents are coverage unions of their children, so every shared edge is exactly shared.
    Codes are 5 digits per township, +3 per level, as the prefix rule wants.
    """
    rng = np.random.default_rng(seed)
    low = np.array([114.0, 30.0])
    high = low + size_deg
    region = box(*low, *high)
    points = rng.uniform(low, high, (grids, 2))
    cells = shapely.get_parts(shapely.voronoi_polygons(shapely.multipoints(points), extend_to=region, ordered=True))
    cells = as_multipolygons(shapely.intersection(cells, region))
    village_seeds = rng.uniform(low, high, (villages, 2))
    village_of_cell = cKDTree(village_seeds).query(points)[1]
    township_of_village = cKDTree(rng.uniform(low, high, (townships, 2))).query(village_seeds)[1]
    rows = []
    for t in range(townships):
        members = [v for v in range(villages) if t == township_of_village[v] and (village_of_cell == v).any()]
        if not members:
            continue
        township = f"42{t + 1:03d}"
        village_shapes = [shapely.coverage_union_all(cells[village_of_cell == v]) for v in members]
        rows.append((township, None, 1, shapely.coverage_union_all(village_shapes)))
        for n, (v, shape) in enumerate(zip(members, village_shapes)):
            village = f"{township}{n + 1:03d}"
            rows.append((village, township, 2, shape))
            rows += [(f"{village}{k + 1:03d}", village, 3, cell) for k, cell in enumerate(cells[village_of_cell == v])]
    codes, parents, levels, geoms = zip(*rows)
    return GeoDataFrame(
        {"code": codes, "name": codes, "level": pd.array(levels, dtype="Int64"), "parent_code": parents,
         "households": pd.array(rng.integers(50, 500, len(rows)), dtype="Int64")},
        geometry=as_multipolygons(np.array(geoms, dtype=object)), crs="EPSG:4326",
    )


@pytest.fixture(scope="module")
def city() -> GeoDataFrame:
    grids = voronoi_hierarchy()
    assert validate(grids) == []
    return grids


def row(grids: GeoDataFrame, code: str) -> pd.Series:
    return grids[grids["code"] == code].iloc[0]


def leaves(grids: GeoDataFrame) -> GeoDataFrame:
    return grids[~grids["code"].isin(grids["parent_code"])]


def neighbours(grids: GeoDataFrame, code: str) -> list[str]:
    """Siblings sharing an edge with `code`."""
    me = row(grids, code)
    siblings = grids[(grids["parent_code"] == me.parent_code) & (grids["code"] != code)]
    shared = shapely.length(shapely.intersection(shapely.boundary(me.geometry), siblings.geometry.array))
    return list(siblings["code"][shared > 1e-6])


def line_through(geometry, angle: float, offset: float = 0.0) -> LineString:
    """A long line at `angle` through the centroid, shifted sideways by `offset` half-sizes of the grid."""
    c = shapely.centroid(geometry)
    d = np.array([np.cos(angle), np.sin(angle)]) * 0.05
    minx, miny, maxx, maxy = geometry.bounds
    n = np.array([-np.sin(angle), np.cos(angle)]) * offset * np.hypot(maxx - minx, maxy - miny) / 2
    return LineString([(c.x - d[0] + n[0], c.y - d[1] + n[1]), (c.x + d[0] + n[0], c.y + d[1] + n[1])])


def halves(grids: GeoDataFrame, edit: editing.Edit, code: str) -> GeoDataFrame:
    """The two parts of a split grid."""
    after = edit.change.after
    return after[(after["code"] == code) | ~after["code"].isin(grids["code"])]


def shared_vertex(grids: GeoDataFrame, code: str) -> tuple[float, float]:
    """A vertex of `code` that a sibling has too, inside the parent (not on its boundary)."""
    me = row(grids, code)
    parent_edge = shapely.boundary(row(grids, me.parent_code).geometry)
    for other in neighbours(grids, code):
        common = {tuple(xy) for xy in shapely.get_coordinates(me.geometry)} & {
            tuple(xy) for xy in shapely.get_coordinates(row(grids, other).geometry)}
        inner = [xy for xy in sorted(common) if shapely.distance(shapely.Point(xy), parent_edge) > 1e-6]
        if inner:
            return inner[0]
    raise AssertionError(f"{code} has no inner shared vertex")


# ---------------------------------------------------------------------------- operations


def test_split_gives_the_larger_part_the_code_and_the_other_a_new_prefixed_one(city):
    code = leaves(city)["code"].iloc[0]
    edit = editing.split(city, code, line_through(row(city, code).geometry, 0.3, offset=0.1))
    assert edit.change.problems == ()
    assert validate(edit.grids) == []
    kept, new = row(edit.grids, code), edit.grids[~edit.grids["code"].isin(city["code"])].iloc[0]
    assert new.code.startswith(new.parent_code) and new.parent_code == row(city, code).parent_code
    assert editing.area_m2([kept.geometry])[0] > editing.area_m2([new.geometry])[0]
    assert kept.households + new.households == row(city, code).households
    assert len(edit.grids) == len(city) + 1


def test_split_vertices_are_shared_with_the_neighbours_so_a_moved_cut_point_drags_both(city):
    code = leaves(city)["code"].iloc[0]
    edit = editing.split(city, code, line_through(row(city, code).geometry, 0.3))
    new_vertices = {tuple(xy) for xy in shapely.get_coordinates(edit.grids.geometry.array)} - {
        tuple(xy) for xy in shapely.get_coordinates(city.geometry.array)}
    inner = [xy for xy in new_vertices
             if shapely.distance(shapely.Point(xy), shapely.boundary(row(city, row(city, code).parent_code).geometry)) > 1e-6]
    assert inner, "the cut should meet at least one sibling edge inside the village"
    moved = editing.move_vertex(edit.grids, inner[0], (inner[0][0] + 2e-5, inner[0][1] + 1e-5))
    assert len(moved.change.after) >= 3  # both halves and the neighbour
    assert moved.change.problems == ()


def test_split_refuses_a_line_that_does_not_cut_and_a_grid_with_children(city):
    code = leaves(city)["code"].iloc[0]
    far = LineString([(120.0, 30.0), (120.1, 30.1)])
    with pytest.raises(EditError, match="exactly two parts, not 1"):
        editing.split(city, code, far)
    village = row(city, code).parent_code
    with pytest.raises(EditError, match="has grids of its own"):
        editing.split(city, village, line_through(row(city, village).geometry, 0.0))
    with pytest.raises(EditError, match="no grid with code X"):
        editing.split(city, "X", far)


def test_merge_unites_adjacent_siblings_and_sends_the_workers_to_the_survivor(city):
    code = leaves(city)["code"].iloc[0]
    other = neighbours(city, code)[0]
    edit = editing.merge(city, code, other)
    assert validate(edit.grids) == [] and edit.change.problems == ()
    merged = row(edit.grids, code)
    assert other not in set(edit.grids["code"])
    assert merged.households == row(city, code).households + row(city, other).households
    assert editing.area_m2([merged.geometry])[0] == pytest.approx(
        editing.area_m2([row(city, code).geometry, row(city, other).geometry]).sum())
    assert edit.change.reassigned == {other: code}


def test_merge_refuses_grids_without_a_shared_edge_or_parent(city):
    grids = leaves(city)
    code = grids["code"].iloc[0]
    siblings = grids[(grids["parent_code"] == row(city, code).parent_code) & (grids["code"] != code)]
    far = next(c for c in siblings["code"] if c not in neighbours(city, code))
    with pytest.raises(EditError, match="do not share an edge"):
        editing.merge(city, code, far)
    cousin = grids[grids["parent_code"] != row(city, code).parent_code]["code"].iloc[0]
    with pytest.raises(EditError, match="not siblings"):
        editing.merge(city, code, cousin)


def test_delete_gives_area_households_and_workers_to_the_chosen_neighbour(city):
    code = leaves(city)["code"].iloc[1]
    receiver = neighbours(city, code)[0]
    edit = editing.delete(city, code, receiver)
    assert validate(edit.grids) == []
    assert code not in set(edit.grids["code"])
    assert row(edit.grids, receiver).households == row(city, code).households + row(city, receiver).households
    assert edit.change.reassigned == {code: receiver}


def test_moving_a_shared_vertex_moves_it_in_every_grid_that_has_it(city):
    code = leaves(city)["code"].iloc[2]
    vertex = shared_vertex(city, code)
    target = (vertex[0] + 1e-5, vertex[1] - 1e-5)
    edit = editing.move_vertex(city, vertex, target)
    assert edit.change.problems == () and validate(edit.grids) == []
    holders = set(edit.change.after["code"])
    assert len(holders) >= 2
    for geometry in edit.change.after.geometry:
        coordinates = {tuple(xy) for xy in shapely.get_coordinates(geometry)}
        assert target in coordinates and vertex not in coordinates


def test_moving_a_vertex_out_of_the_parent_reports_the_rules_it_breaks(city):
    code = leaves(city)["code"].iloc[2]
    vertex = shared_vertex(city, code)
    edit = editing.move_vertex(city, vertex, (vertex[0] + 0.05, vertex[1] + 0.05))
    kinds = {p.kind for p in edit.change.problems}
    assert kinds & {"outside_parent", "invalid_geometry", "overlap"}
    assert kinds == {p.kind for p in validate(edit.grids)}  # the same verdict as on the whole frame
    with pytest.raises(EditRefused):
        EditSession(city).apply(edit)
    with pytest.raises(EditError, match="no grid has a vertex"):
        editing.move_vertex(city, (114.0000001, 30.0000001), (114.0, 30.0))


def test_a_vertex_lying_on_a_neighbours_edge_takes_that_edge_along(city):
    code = leaves(city)["code"].iloc[0]
    edit = editing.split(city, code, line_through(row(city, code).geometry, 0.3))
    # Undo the vertex sharing: the neighbours as they were, so the cut points are T-junctions.
    old_neighbours = city[city["code"].isin(edit.change.after["code"]) & (city["code"] != code)]
    unshared = GeoDataFrame(pd.concat([edit.grids[~edit.grids["code"].isin(old_neighbours["code"])],
                                       old_neighbours]), crs=city.crs)
    parent_edge = shapely.boundary(row(city, row(city, code).parent_code).geometry)
    fresh = {tuple(xy) for xy in shapely.get_coordinates(unshared.geometry.array)} - {
        tuple(xy) for xy in shapely.get_coordinates(city.geometry.array)}
    vertex = next(xy for xy in sorted(fresh) if shapely.distance(shapely.Point(xy), parent_edge) > 1e-6)
    target = (vertex[0] + 2e-5, vertex[1] + 1e-5)
    moved = editing.move_vertex(unshared, vertex, target)
    assert moved.change.problems == () and validate(moved.grids) == []
    carried = set(moved.change.after["code"]) & set(old_neighbours["code"])
    assert carried, "the neighbour whose edge held the point should follow"
    for code_ in carried:
        assert target in {tuple(xy) for xy in shapely.get_coordinates(row(moved.grids, code_).geometry)}


def shared_edge(grids: GeoDataFrame, code: str) -> tuple[tuple[float, float], tuple[float, float]]:
    """Two consecutive vertices of `code` that a sibling has too, off the parent's boundary."""
    me = row(grids, code)
    parent_edge = shapely.boundary(row(grids, me.parent_code).geometry)
    ring = shapely.get_coordinates(shapely.get_exterior_ring(shapely.get_parts(me.geometry)[0]))
    for other in neighbours(grids, code):
        theirs = {tuple(xy) for xy in shapely.get_coordinates(row(grids, other).geometry)}
        for a, b in zip(map(tuple, ring[:-1]), map(tuple, ring[1:])):
            middle = shapely.Point((a[0] + b[0]) / 2, (a[1] + b[1]) / 2)
            if a in theirs and b in theirs and shapely.distance(middle, parent_edge) > 1e-6:
                return a, b
    raise AssertionError(f"{code} has no inner shared edge")


def test_moving_a_shared_edge_moves_both_neighbours_and_keeps_their_total_area(city):
    code = leaves(city)["code"].iloc[4]
    start, end = shared_edge(city, code)
    edit = editing.move_edge(city, start, end, (1e-5, -1e-5))
    assert edit.change.problems == () and validate(edit.grids) == []
    assert edit.change.operation == "move_edge" and len(edit.change.after) >= 2
    for geometry in edit.change.after.geometry:
        coordinates = {tuple(xy) for xy in shapely.get_coordinates(geometry)}
        assert start not in coordinates and end not in coordinates
    assert editing.area_m2(edit.change.after.geometry).sum() == pytest.approx(
        editing.area_m2(edit.change.before.geometry).sum(), rel=1e-9)
    with pytest.raises(EditError, match="two different end points"):
        editing.move_edge(city, start, start, (1e-5, 0))


def test_moving_a_parents_boundary_carries_the_children_and_the_neighbouring_parent(city):
    village = city[city["level"] == 2].iloc[0]
    township_edge = shapely.boundary(row(city, village.parent_code).geometry)
    ring = shapely.get_coordinates(shapely.get_exterior_ring(shapely.get_parts(village.geometry)[0]))
    # A vertex the village shares with another village, inside the township.
    others = city[(city["level"] == 2) & (city["code"] != village.code)]
    other_vertices = {tuple(xy) for xy in shapely.get_coordinates(others.geometry.array)}
    vertex = next(tuple(xy) for xy in ring
                  if tuple(xy) in other_vertices and shapely.distance(shapely.Point(xy), township_edge) > 1e-6)
    edit = editing.move_vertex(city, vertex, (vertex[0] + 1e-5, vertex[1] + 1e-5))
    assert edit.change.problems == () and validate(edit.grids) == []
    levels = set(edit.change.after["level"])
    assert levels == {2, 3}, "both villages and the grids inside them follow"


def test_a_parent_vertex_between_a_childs_vertices_moves_the_child_edge_too(city):
    village = city[city["level"] == 2].iloc[0]
    child = city[city["parent_code"] == village.code].iloc[0]
    # Put a new vertex into the middle of one of the village's outer edges, in the village and in
    # the township and neighbour on that edge, but not in the child below it: a T-junction under the child.
    ring = shapely.get_coordinates(shapely.get_exterior_ring(shapely.get_parts(child.geometry)[0]))
    village_edge = shapely.boundary(village.geometry)
    a, b = next((a, b) for a, b in itertools.pairwise(ring)
                if shapely.distance(shapely.Point((a + b) / 2), village_edge) < 1e-12)
    middle = shapely.Point((a + b) / 2)
    grids = city.copy()
    on_edge = grids["code"] != child.code
    grids.loc[on_edge, "geometry"] = shapely.snap(grids.geometry[on_edge].array, middle, 1e-9)
    inward = shapely.get_coordinates(shapely.centroid(child.geometry))[0] - (a + b) / 2
    target = tuple((a + b) / 2 + inward * 0.05)
    edit = editing.move_vertex(grids, (middle.x, middle.y), target)
    assert edit.change.problems == () and validate(edit.grids) == []
    assert child.code in set(edit.change.after["code"])


def test_workers_moved_by_an_attribute_edit_go_back_on_undo_and_fold_in_the_net_change(city):
    code, other = leaves(city)["code"].iloc[0], leaves(city)["code"].iloc[1]
    session = EditSession(city)
    session.apply(editing.set_attributes(session.grids, code, workers={"W1": (other, code)}, chief_id="W1"))
    assert session.pending().workers == {"W1": (other, code)}
    assert row(session.pending().after, code).chief_id == "W1"
    session.apply(editing.set_attributes(session.grids, code, workers={"W1": (code, other)}))
    assert session.pending().workers == {}
    session.undo()
    assert session.undo().inverse().workers == {"W1": (code, other)}
    with pytest.raises(EditError, match="no grid with code NOWHERE"):
        editing.set_attributes(city, code, workers={"W1": (code, "NOWHERE")})


def test_a_drawn_grid_is_snapped_carved_out_of_its_siblings_and_leaves_no_gap(city):
    village = city[city["level"] == 2].iloc[0]
    children = city[city["parent_code"] == village.code]
    minx, miny, maxx, maxy = village.geometry.bounds
    drawn = box(minx + (maxx - minx) * 0.3, miny + (maxy - miny) * 0.3, minx + (maxx - minx) * 0.6,
                miny + (maxy - miny) * 0.6)
    edit = editing.draw(city, village.code, drawn, name="新小区")
    assert edit.change.problems == () and validate(edit.grids) == []
    new = edit.grids[~edit.grids["code"].isin(city["code"])].iloc[0]
    assert new.parent_code == village.code and new.code.startswith(village.code) and new["name"] == "新小区"
    assert new.level == village.level + 1
    after_children = edit.grids[edit.grids["parent_code"] == village.code]
    # Not exact: the vertices shared into the village bend its projected edges by a millimetre.
    assert editing.area_m2(after_children.geometry).sum() == pytest.approx(
        editing.area_m2(children.geometry).sum(), rel=1e-6)
    assert after_children["households"].sum() == children["households"].sum()


def test_a_drawn_edge_one_metre_from_the_parent_edge_snaps_onto_it(city):
    village = city[city["level"] == 2].iloc[0]
    parent_ring = shapely.get_exterior_ring(shapely.get_parts(village.geometry)[0])
    a, b = shapely.get_coordinates(parent_ring)[:2]
    inward = shapely.get_coordinates(shapely.centroid(village.geometry))[0]
    metre = 1 / 111_320
    # A triangle on the parent's first edge, drawn 1 m inside it.
    towards = (inward - (a + b) / 2) / np.hypot(*(inward - (a + b) / 2))
    drawn = shapely.Polygon([a + towards * metre, b + towards * metre, (a + b) / 2 + towards * 200 * metre])
    edit = editing.draw(city, village.code, drawn)
    assert edit.change.problems == () and validate(edit.grids) == []
    new = edit.grids[~edit.grids["code"].isin(city["code"])].iloc[0]
    assert shapely.distance(shapely.Point(a), new.geometry) < 1e-9 and shapely.distance(shapely.Point(b), new.geometry) < 1e-9


def test_a_drawn_notch_on_the_parents_edge_shares_its_corners_with_every_grid_along_that_edge(city):
    """Two new points on one parent edge: each grid along it gets both, in order, and the
    carved sibling too (else projected areas see a phantom sliver between the edges)."""
    for child in leaves(city).itertuples():
        parent_edge = shapely.boundary(row(city, child.parent_code).geometry)
        ring = shapely.get_coordinates(shapely.get_exterior_ring(shapely.get_parts(child.geometry)[0]))
        on_edge = [(a, b) for a, b in itertools.pairwise(ring)
                   if shapely.distance(shapely.Point((a + b) / 2), parent_edge) < 1e-12 and np.hypot(*(b - a)) > 2e-3]
        if on_edge:
            break
    a, b = on_edge[0]
    inward = shapely.get_coordinates(shapely.centroid(child.geometry))[0] - (a + b) / 2
    inward = inward / np.hypot(*inward) * 3e-4
    start, end = a + (b - a) * 0.3, a + (b - a) * 0.6
    notch = shapely.Polygon([start - inward, end - inward, end + inward, start + inward])  # half outside the parent
    edit = editing.draw(city, child.parent_code, notch)
    assert edit.change.problems == () and validate(edit.grids) == []
    corners = [xy for xy in map(tuple, shapely.get_coordinates(row(edit.grids, edit.change.after["code"].iloc[-1]).geometry))
               if shapely.distance(shapely.Point(xy), parent_edge) < 1e-9]
    assert len(set(corners)) == 2
    for holder in edit.change.after.itertuples():
        if shapely.distance(shapely.boundary(holder.geometry), shapely.Point(corners[0])) < 1e-9:
            assert set(corners) <= set(map(tuple, shapely.get_coordinates(holder.geometry))), holder.code


def test_draw_refuses_a_shape_outside_its_parent_or_swallowing_a_sibling(city):
    village = city[city["level"] == 2].iloc[0]
    with pytest.raises(EditError, match="does not lie inside"):
        editing.draw(city, village.code, box(120, 30, 120.01, 30.01))
    child = city[city["parent_code"] == village.code].iloc[0]
    with pytest.raises(EditError, match="would cover all of"):
        editing.draw(city, village.code, shapely.buffer(child.geometry, 1e-6))


def test_reparent_moves_a_border_grid_and_its_area_to_the_neighbouring_village(city):
    villages = city[city["level"] == 2]
    for grid in leaves(city).itertuples():
        old_parent = row(city, grid.parent_code)
        others = villages[(villages["parent_code"] == old_parent.parent_code) & (villages["code"] != old_parent.code)]
        bordering = [v for v in others.itertuples() if editing._share_edge(grid.geometry, v.geometry)]
        if bordering:
            break
    new_parent = bordering[0]
    edit = editing.reparent(city, grid.code, new_parent.code)
    assert edit.change.problems == () and validate(edit.grids) == []
    new_code = edit.change.reassigned[grid.code]
    moved = row(edit.grids, new_code)
    assert moved.parent_code == new_parent.code and new_code.startswith(new_parent.code)
    assert row(edit.grids, old_parent.code).households == old_parent.households - grid.households
    with pytest.raises(EditError, match="already under"):
        editing.reparent(edit.grids, new_code, new_parent.code)
    with pytest.raises(EditError, match="needs a level 2 parent"):
        editing.reparent(city, grid.code, old_parent.parent_code)


def test_attribute_edits_check_the_code_rules_and_recode_the_descendants(city):
    village = city[city["level"] == 2].iloc[0]
    edit = editing.set_attributes(city, village.code, new_code=village.code[:-3] + "777", name="新村", households=9,
                                  chief_id="W7")
    assert validate(edit.grids) == []
    renamed = row(edit.grids, village.code[:-3] + "777")
    assert (renamed["name"], renamed.households, renamed.chief_id) == ("新村", 9, "W7")
    children = edit.grids[edit.grids["parent_code"] == renamed.code]
    assert len(children) == (city["parent_code"] == village.code).sum()
    assert all(c.startswith(renamed.code) for c in children["code"])
    assert len(edit.change.reassigned) == 1 + len(children)
    other = city[city["level"] == 2].iloc[1]
    with pytest.raises(EditError, match="already used"):
        editing.set_attributes(city, village.code, new_code=other.code)
    with pytest.raises(EditError, match="must start with its parent's code"):
        editing.set_attributes(city, village.code, new_code="99999001")
    with pytest.raises(EditError, match="0 or more"):
        editing.set_attributes(city, village.code, households=-1)
    with pytest.raises(EditError, match="cannot be empty"):
        editing.set_attributes(city, village.code, name=" ")


def test_an_edit_error_says_why_as_a_kind_and_params_and_in_english(city):
    """The editor words the error from kind and params; the CLI and logs show str()."""
    village, other = city[city["level"] == 2].iloc[:2].itertuples()
    with pytest.raises(EditError) as raised:
        editing.set_attributes(city, village.code, new_code=other.code)
    assert (raised.value.kind, raised.value.params) == ("code_used", {"code": other.code})
    assert str(raised.value) == f"code {other.code} is already used"


def test_every_edit_error_raised_names_a_kind_with_exactly_its_params():
    """A kind without English words, or params that do not fill them, would raise KeyError
    instead of the EditError; and no kind is left unused."""
    tree = ast.parse(Path(editing.__file__).read_text())
    calls = [node for node in ast.walk(tree)
             if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == "EditError"]
    assert len(calls) > 20
    kinds = set()
    for call in calls:
        kind = call.args[0].value
        fields = {name for _, name, _, _ in Formatter().parse(editing.EDIT_ERRORS[kind]) if name}
        assert {keyword.arg for keyword in call.keywords} == fields, kind
        kinds.add(kind)
    assert kinds | {EditRefused([]).kind} == set(editing.EDIT_ERRORS)


def test_new_codes_continue_the_parents_numbering(city):
    village = city[city["level"] == 2].iloc[0]
    serials = [int(c[-3:]) for c in city.loc[city["parent_code"] == village.code, "code"]]
    assert editing.next_child_code(city, village.code) == f"{village.code}{max(serials) + 1:03d}"
    with pytest.raises(EditError, match="top-level"):
        editing.next_child_code(city, None)


# ------------------------------------------------------------------ feedback and balance


def test_feedback_counts_tickets_where_they_lie_and_warns_about_workload(city):
    code = leaves(city)["code"].iloc[0]
    geometry = row(city, code).geometry
    tickets = shapely.points(np.array([shapely.get_coordinates(shapely.point_on_surface(geometry))[0]] * 5))
    edit = editing.merge(city, code, neighbours(city, code)[0])
    result = editing.feedback(edit.change, tickets, editing.Thresholds(max_open_tickets=4, max_area_m2=1.0))
    assert {w.code: w.open_tickets for w in result.before}[code] == 5
    assert [w.open_tickets for w in result.after] == [5]
    assert result.after[0].households == sum(w.households for w in result.before)
    assert any("5 open tickets, more than 4" in w for w in result.warnings)
    assert any("above 1 m²" in w for w in result.warnings)


def test_workload_limits_apply_to_the_edited_level_not_to_the_parents_that_followed(city):
    village = city[city["level"] == 2].iloc[0]
    township_edge = shapely.boundary(row(city, village.parent_code).geometry)
    others = city[(city["level"] == 2) & (city["code"] != village.code)]
    other_vertices = {tuple(xy) for xy in shapely.get_coordinates(others.geometry.array)}
    vertex = next(tuple(xy) for xy in shapely.get_coordinates(village.geometry)
                  if tuple(xy) in other_vertices and shapely.distance(shapely.Point(xy), township_edge) > 1e-6)
    edit = editing.move_vertex(city, vertex, (vertex[0] + 1e-5, vertex[1]))
    result = editing.feedback(edit.change, (), editing.Thresholds(max_households=1))
    warned = {i.code for i in result.issues}
    assert warned == set(edit.change.after.loc[edit.change.after["level"] == 3, "code"]) != set()
    assert {i.kind for i in result.issues} == {"households_above"}


def test_the_balance_assistant_splits_tickets_evenly(city):
    code = leaves(city)["code"].iloc[0]
    geometry = row(city, code).geometry
    rng = np.random.default_rng(3)
    minx, miny, maxx, maxy = geometry.bounds
    xy = rng.uniform((minx, miny), (minx + (maxx - minx) / 2, maxy), (400, 2))
    tickets = shapely.points(xy[shapely.contains_xy(geometry, xy[:, 0], xy[:, 1])])
    line = editing.propose_split(geometry, tickets)
    edit = editing.split(city, code, line)
    counts = [w.open_tickets for w in editing.workloads(halves(city, edit, code), tickets)]
    assert abs(counts[0] - counts[1]) <= 0.1 * len(tickets)


def test_overloaded_grids_are_ranked_by_tickets_per_household_or_area(city):
    grids = leaves(city)
    busy, quiet = grids.iloc[0], grids.iloc[1]
    spot = shapely.get_coordinates(shapely.point_on_surface(busy.geometry))[0]
    tickets = shapely.points(np.array([spot] * int(busy.households)))  # one ticket per household
    ranked = editing.overloaded(grids, tickets, max_tickets_per_household=0.5)
    assert list(ranked["code"]) == [busy.code] and ranked["tickets_per_household"].iloc[0] == 1.0
    by_area = editing.overloaded(grids, max_area_m2=editing.area_m2([quiet.geometry])[0] - 1)
    assert quiet.code in set(by_area["code"]) and by_area["area_m2"].is_monotonic_decreasing


def test_the_balance_assistant_halves_the_area_without_tickets(city):
    code = leaves(city)["code"].iloc[3]
    edit = editing.split(city, code, editing.propose_split(row(city, code).geometry))
    areas = editing.area_m2(halves(city, edit, code).geometry)
    assert areas[0] == pytest.approx(areas[1], rel=0.01)


# ---------------------------------------------------------------------------- the session


def test_a_session_undoes_and_redoes_exactly_and_reports_the_net_change(city):
    session = EditSession(city)
    code = leaves(city)["code"].iloc[0]
    other = neighbours(city, code)[0]
    session.apply(editing.merge(session.grids, other, code))
    session.apply(editing.set_attributes(session.grids, other, name="合并"))
    pending = session.pending()
    assert set(pending.before["code"]) >= {code, other} and code not in set(pending.after["code"])
    assert pending.reassigned == {code: other}
    assert session.undo().operation == "attributes" and session.undo().operation == "merge"
    assert session.undo() is None and not session.can_undo
    restored = session.grids.set_index("code").loc[city["code"]]
    assert all(shapely.equals_exact(a, b, 0) for a, b in zip(restored.geometry, city.geometry))
    assert session.pending().after.empty
    session.redo()
    assert code not in set(session.grids["code"])


def test_the_net_change_follows_workers_across_chained_merges(city):
    session = EditSession(city)
    a = leaves(city)["code"].iloc[0]
    b = neighbours(city, a)[0]
    session.apply(editing.merge(session.grids, b, a))
    c = neighbours(session.grids, b)[0]
    session.apply(editing.merge(session.grids, c, b))
    assert session.pending().reassigned == {a: c, b: c}


# ------------------------------------------------------------------------ property-based


operations = st.lists(
    st.tuples(st.sampled_from(["split", "merge", "move", "edge"]), st.integers(0, 10_000), st.floats(0, np.pi),
              st.floats(-0.3, 0.3)),
    min_size=1, max_size=8,
)


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(operations)
def test_any_sequence_of_accepted_edits_keeps_the_hierarchy_valid(city, steps):
    session = EditSession(city)
    for kind, pick, angle, offset in steps:
        grids = leaves(session.grids)
        code = grids["code"].iloc[pick % len(grids)]
        try:
            if kind == "split":
                edit = editing.split(session.grids, code, line_through(row(session.grids, code).geometry, angle, offset))
            elif kind == "merge":
                others = neighbours(session.grids, code)
                if not others:
                    continue
                edit = editing.merge(session.grids, code, others[pick % len(others)])
            else:
                vertices = shapely.get_coordinates(row(session.grids, code).geometry)
                k = pick % (len(vertices) - 1)
                vertex = tuple(vertices[k])
                shift = np.array([np.cos(angle), np.sin(angle)]) * offset * 1e-3
                if kind == "move":
                    edit = editing.move_vertex(session.grids, vertex, tuple(np.array(vertex) + shift))
                else:
                    edit = editing.move_edge(session.grids, vertex, tuple(vertices[k + 1]), tuple(shift))
        except EditError:
            continue
        if kind in ("split", "merge"):
            assert edit.change.problems == ()  # split and merge are valid by construction
        if not edit.change.problems:
            session.apply(edit)
            assert validate(session.grids) == []  # the partial check missed nothing


# ---------------------------------------------------------------------------- city scale


def test_an_edit_at_city_scale_takes_less_than_200_ms():
    grids = voronoi_hierarchy(grids=15_000, villages=600, townships=20, size_deg=0.6)
    code = leaves(grids)["code"].iloc[7_000]
    line = line_through(row(grids, code).geometry, 0.4)
    vertex = shared_vertex(grids, code)

    def fastest(edit) -> float:
        timings = []
        for _ in range(3):
            start = time.perf_counter()
            result = edit()
            timings.append(time.perf_counter() - start)
            assert result.change.problems == ()
        return min(timings)

    assert fastest(lambda: editing.split(grids, code, line)) < 0.2
    assert fastest(lambda: editing.move_vertex(grids, vertex, (vertex[0] + 1e-6, vertex[1]))) < 0.2


# ---------------------------------------------------------------------------- layout import


def test_an_imported_layout_previews_as_added_removed_and_changed_grids(city):
    code = leaves(city)["code"].iloc[0]
    other = neighbours(city, code)[0]
    renamed = leaves(city)["code"].iloc[5]
    layout = editing.merge(city, code, other).grids
    layout.loc[layout["code"] == renamed, "name"] = "改名"
    layout = editing.split(layout, leaves(city)["code"].iloc[9],
                           line_through(row(city, leaves(city)["code"].iloc[9]).geometry, 1.0)).grids
    layout = layout.drop(columns="households")  # a file without households keeps the current ones
    edit = editing.replace_layout(city, layout)
    kinds = editing.change_kinds(edit.change)
    assert kinds[other] == "removed" and kinds[code] == "changed" and kinds[renamed] == "changed"
    old, new = city.set_index("code"), layout.set_index("code")
    differing = {c for c in old.index.intersection(new.index)
                 if not shapely.equals_exact(old.geometry[c], new.geometry[c], 0) or old.name[c] != new.name[c]}
    assert {c for c, kind in kinds.items() if kind == "changed"} == differing
    assert list(kinds.values()).count("added") == 1
    assert row(edit.grids, renamed).households == row(city, renamed).households
    assert edit.change.problems == () and edit.change.reassigned == {other: code}
    assert set(edit.grids["code"]) == set(layout["code"])
    assert validate(edit.grids) == []


def test_an_invalid_imported_layout_carries_the_validate_problems(city):
    layout = city.copy()
    first = leaves(city)["code"].iloc[0]
    layout.loc[layout["code"] == first, "geometry"] = shapely.buffer(row(city, first).geometry, 1e-3)
    edit = editing.replace_layout(city, layout)
    assert {p.kind for p in edit.change.problems} == {p.kind for p in validate(layout)} != set()
    with pytest.raises(EditRefused):
        EditSession(city).apply(edit)
