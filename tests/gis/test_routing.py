"""Travel-time ranking must agree with an independent brute-force router on hand-made networks."""

from __future__ import annotations

import numpy as np
import pytest
import shapely

from gis.policy import STRAIGHT_LINE_KPH, DispatchPolicy
from gis.roadgraph import RoadGraph, RoadNetworkError
from gis.routing import BY_STRAIGHT_LINE, Recommendation, Router, StraightLineRouter
from tests.gis.roadnets import Network, Unit, lonlat, reference_etas, reference_ranking, units_frame

POLICY = DispatchPolicy({"public_order": ("police",), "default": ("grid_worker",)}, own_grid_margin_s=0.0)
ALL_KINDS = ("grid_worker", "police", "department")


def make_router(network: Network, units: list[Unit], **options) -> Router:
    return Router(RoadGraph.from_frame(network.frame()), units_frame(units), policy=POLICY, **options)


def check_against_reference(network, units, incident, k=None, main=None, **recommend):
    """`main`: the network's main part, which the reference snaps onto (default: all of it)."""
    router = make_router(network, units)
    k = k or len(units)
    got = router.recommend(*map(float, lonlat(*incident)), k=k, kinds=ALL_KINDS, **recommend)
    etas = reference_etas(main or network, incident, units)
    assert [r.id for r in got] == reference_ranking(etas, units, k)
    for r in got:
        assert r.eta_s == pytest.approx(etas[r.id], abs=1e-3)
    return got, etas


def river_with_one_bridge() -> Network:
    """Two bank roads along a river (y = 0), joined only by a bridge near the east end."""
    return (Network()
            .add((0, 50), (1000, 50), (1800, 50))
            .add((0, -50), (1800, -50))
            .add((1800, 50), (1800, -50)))


def test_river_road_nearest_is_not_straight_line_nearest():
    units = [Unit("across", 200, -60), Unit("same-bank", 900, 60), Unit("bridge", 1800, -40)]
    got, etas = check_against_reference(river_with_one_bridge(), units, incident=(200, 60))
    assert [r.id for r in got] == ["same-bank", "bridge", "across"]  # "across" is 120 m away in a line
    assert etas["across"] > 300


def test_route_follows_the_roads_over_the_bridge():
    network = river_with_one_bridge()
    router = make_router(network, [Unit("across", 200, -60)])
    incident = lonlat(200, 60)
    (best,) = router.recommend(*incident, k=1, kinds=ALL_KINDS, routes=True)
    start, end = shapely.get_coordinates(best.route)[[0, -1]]
    assert np.allclose(start, lonlat(200, -60)) and np.allclose(end, incident)
    bridge = network.frame().geometry[2]
    assert best.route.distance(bridge) < 1e-9
    assert best.distance_m == pytest.approx(10 + 1600 + 100 + 1600 + 10, abs=0.01)


def one_way_loop() -> Network:
    """A 400 m square driven clockwise only, with a two-way spur going west."""
    return (Network()
            .add((0, 0), (0, 400), oneway=True)
            .add((0, 400), (400, 400), oneway=True)
            .add((400, 400), (400, 0), oneway=True)
            .add((400, 0), (0, 0), oneway=True)
            .add((0, 0), (-300, 0)))


@pytest.mark.parametrize("incident", [(0, 200), (200, 400), (390, 5), (-150, 3)])
def test_one_way_loop_matches_brute_force(incident):
    units = [
        Unit("behind", 0, 150),      # on the same one-way segment, before the incident at (0, 200)
        Unit("ahead", 0, 250),       # same segment but past it: must drive round the loop
        Unit("corner", 400, 400),
        Unit("spur", -250, 10),
        Unit("south", 200, -8),
    ]
    got, etas = check_against_reference(one_way_loop(), units, incident)
    if incident == (0, 200):
        assert [r.id for r in got][:1] == ["behind"]
        assert etas["ahead"] > 1400 / 10  # round the loop at 36 km/h


def square_with_an_island() -> tuple[Network, Network]:
    """A 1 km square of two-way roads, and the same with an island road 30 m inside it."""
    square = (Network()
              .add((0, 0), (1000, 0)).add((1000, 0), (1000, 1000)).add((1000, 1000), (0, 1000))
              .add((0, 1000), (0, 0)))
    with_island = Network(list(square.roads)).add((100, 30), (300, 30))
    return with_island, square


def test_points_by_an_island_road_walk_to_the_main_network():
    network, main = square_with_an_island()
    units = [Unit("island", 200, 31), Unit("main", 1000, 500)]
    router = make_router(network, units)
    got, _ = check_against_reference(network, units, incident=(200, 35), main=main, routes=True)
    assert [r.id for r in got] == ["island", "main"] and not router.off_network.any()
    # Both points walk down to the square's south side (31 and 35 m), not 1 m to the island.
    assert got[0].eta_s == pytest.approx((31 + 35) / (5 / 3.6), abs=1e-3)
    start, end = shapely.get_coordinates(got[0].route)[[0, -1]]
    assert np.allclose(start, lonlat(200, 31)) and np.allclose(end, lonlat(200, 35))


def random_network(seed: int, side: int = 7, spacing: float = 150.0) -> Network:
    """A grid of streets with random speeds; some streets one-way (both directions occur)."""
    rng = np.random.default_rng(seed)
    network = Network()
    for i in range(side):
        for j in range(side - 1):
            for a, b in (((j, i), (j + 1, i)), ((i, j), (i, j + 1))):
                a, b = (a, b) if rng.random() < 0.5 else (b, a)
                bend = (np.add(a, b) / 2 + rng.uniform(-0.2, 0.2, 2)) * spacing
                network.add(tuple(np.multiply(a, spacing)), tuple(bend), tuple(np.multiply(b, spacing)),
                            speed_kph=float(rng.choice([20, 30, 40, 60])), oneway=bool(rng.random() < 0.25))
    return network


def main_part(network: Network) -> Network:
    """The roads between junctions that reach each other both ways, found by brute force
    (a reachability closure over the junctions, not the graph's component labels)."""
    ends = [(tuple(np.round(r.coords[0], 6)), tuple(np.round(r.coords[-1], 6))) for r in network.roads]
    nodes = sorted({n for pair in ends for n in pair})
    index = {n: i for i, n in enumerate(nodes)}
    reach = np.eye(len(nodes), dtype=bool)
    for road, (a, b) in zip(network.roads, ends):
        reach[index[a], index[b]] = True
        reach[index[b], index[a]] |= not road.oneway
    for m in range(len(nodes)):  # Warshall
        reach |= reach[:, [m]] & reach[[m], :]
    both = reach & reach.T
    largest = max(range(len(nodes)), key=lambda n: both[n].sum())
    main = both[largest]
    return Network([r for r, (a, b) in zip(network.roads, ends) if main[index[a]] and main[index[b]]])


EDGE_ROWS = (0, 300, 450, 750)


def cut_at_the_edge(network: Network, extent: float) -> Network:
    """What an extract's edge leaves: one-way stubs out of the grid into dead ends, and short
    two-way pieces whose links to the grid lay outside the extract."""
    for y in EDGE_ROWS:
        network.add((extent, y), (extent + 60, y + 20), oneway=True)
        network.add((-70, y + 60), (-25, y + 90))
    return network


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_random_street_grids_match_brute_force_for_every_responder(seed):
    rng = np.random.default_rng(100 + seed)
    extent = 6 * 150
    network = cut_at_the_edge(random_network(seed), extent)
    units = [Unit(f"u{i:02d}", *rng.uniform(-20, extent + 20, 2)) for i in range(25)]
    # Beside the stubs' dead ends and on the cut-off pieces: a few metres from them.
    units += [Unit(f"east{y}", extent + 55, y + 25) for y in EDGE_ROWS]
    units += [Unit(f"west{y}", -45, y + 78) for y in EDGE_ROWS]
    main = main_part(network)
    assert len(main.roads) == len(network.roads) - 8
    for incident in rng.uniform(0, extent, (6, 2)):
        check_against_reference(network, units, tuple(incident), main=main)


def test_own_grid_workers_go_first_within_the_margin():
    network = Network().add((0, 0), (2000, 0))
    units = [Unit("near", 600, 0, grid="G2"), Unit("own", 850, 0, grid="G1"), Unit("far-own", 1900, 0, grid="G1")]
    router = make_router(network, units)
    at = lonlat(300, 0)
    assert [r.id for r in router.recommend(*at, kinds=ALL_KINDS, grid_code="G1", margin_s=0)] == ["near", "own", "far-own"]
    ranked = router.recommend(*at, kinds=ALL_KINDS, grid_code="G1", margin_s=30)  # 25 s slower: within the margin
    assert [r.id for r in ranked] == ["own", "near", "far-own"]
    etas = reference_etas(network, (300, 0), units)
    assert [r.id for r in ranked] == reference_ranking(etas, units, 3, grid="G1", margin=30)


def test_policy_kinds_and_duty_status():
    network = Network().add((0, 0), (2000, 0))
    units = [
        Unit("worker", 100, 0), Unit("police", 200, 0, kind="police"),
        Unit("busy", 50, 0, status="busy"), Unit("off", 60, 0, status="off"),
    ]
    router = make_router(network, units)
    at = lonlat(0, 0)
    assert [r.id for r in router.recommend(*at, category="public_order")] == ["police"]
    assert [r.id for r in router.recommend(*at, category="lost property")] == ["worker"]  # default row
    assert [r.id for r in router.recommend(*at, statuses=("on_duty", "busy"))] == ["busy", "worker"]
    router.update_status(["off"], ["on_duty"])
    assert [r.id for r in router.recommend(*at)] == ["off", "worker"]


def test_position_updates_move_only_the_given_responders():
    network = Network().add((0, 0), (2000, 0))
    router = make_router(network, [Unit("a", 100, 0), Unit("b", 500, 0)])
    at = lonlat(0, 0)
    assert [r.id for r in router.recommend(*at)] == ["a", "b"]
    router.update_positions(["a"], *lonlat([1500], [0]))
    ranked = router.recommend(*at)
    assert [r.id for r in ranked] == ["b", "a"] and ranked[1].eta_s == pytest.approx(150, abs=1e-3)
    router.update_positions(["b"], [np.nan], [np.nan])
    assert [r.id for r in router.recommend(*at)] == ["a"]
    assert router.without_position.tolist() == [False, True]
    # A responder the live feed knows and the router does not is skipped; the others still move.
    router.update_positions(["zz", "b"], *lonlat([0, 300], [0, 0]))
    assert [r.id for r in router.recommend(*at)] == ["b", "a"]
    assert router.without_position.tolist() == [False, False]


def test_points_beyond_the_snap_distance_are_outside_the_network():
    network = Network().add((0, 0), (2000, 0))
    router = make_router(network, [Unit("a", 100, 0), Unit("far", 100, 400)], max_snap_m=300)
    assert router.off_network.tolist() == [False, True]
    with pytest.raises(RoadNetworkError, match="outside the road network: the nearest connected road is 350 m away"):
        router.recommend(*lonlat(500, 350))
    assert [r.id for r in router.recommend(*lonlat(500, 250))] == ["a"]


def test_unusable_roads_are_a_clear_error():
    roads = Network().add((0, 0), (100, 0)).frame()
    roads["speed_kph"] = 0.0
    with pytest.raises(RoadNetworkError, match="no usable road segments"):
        RoadGraph.from_frame(roads)


def test_parallel_roads_keep_the_fastest_and_junctions_join_segments():
    network = (Network()
               .add((0, 0), (1000, 0), speed_kph=20)
               .add((0, 0), (500, 300), (1000, 0), speed_kph=90)  # longer but faster
               .add((1000, 0), (1500, 0)))
    graph = RoadGraph.from_frame(network.frame())
    assert graph.node_count == 3 and graph.edge_count == 4
    check_against_reference(network, [Unit("a", 0, 5), Unit("b", 1500, 2)], incident=(1200, 0))


def test_search_cutoff_grows_until_the_ranking_is_exact():
    network = Network().add((0, 0), (10_000, 0))
    units = [Unit("other", 2300, 0, grid="G2"), Unit("own", 2500, 0, grid="G1"), Unit("far", 9000, 0)]
    router = make_router(network, units)
    at = lonlat(0, 0)
    # ETAs 230 s and 250 s straddle the first cutoff; the own-grid bonus must still be seen.
    assert [r.id for r in router.recommend(*at, k=1, kinds=ALL_KINDS, grid_code="G1", margin_s=60)] == ["own"]
    assert [r.id for r in router.recommend(*at, k=3, kinds=ALL_KINDS)] == ["other", "own", "far"]


def test_snapping_finds_the_exactly_nearest_segment():
    graph = RoadGraph.from_frame(random_network(seed=5, side=6, spacing=400.0).frame())
    rng = np.random.default_rng(6)
    x, y = rng.uniform(-600, 2600, 3000), rng.uniform(-600, 2600, 3000)
    snap = graph.snap(*lonlat(x, y), max_snap_m=250.0)
    points = shapely.points(*graph.to_xy(*lonlat(x, y)))
    distances = shapely.distance(points[:, None], graph.lines[None, :])
    nearest = distances.min(axis=1)
    within = nearest <= 250.0
    assert np.array_equal(snap.found, within) and within.mean() > 0.5 and (~within).any()
    assert np.allclose(snap.offroad_m[within], nearest[within], atol=1e-6)
    lines = graph.lines[snap.segment[within]]
    assert np.allclose(snap.fraction[within], shapely.line_locate_point(lines, points[within], normalized=True),
                       atol=1e-9)


def test_snapping_sees_a_long_road_behind_a_cluster_of_short_ones():
    # Short stubs 13 m away crowd the nearest piece midpoints; the long road is 12 m away.
    network = Network().add((-1000, 0), (1000, 0))
    for i in range(10):
        network.add((i * 3 - 15, 25), (i * 3 - 14, 25))
    graph = RoadGraph.from_frame(network.frame())
    snap = graph.snap(*lonlat([0.0], [12.0]), max_snap_m=100.0)
    assert snap.segment.tolist() == [0] and snap.offroad_m[0] == pytest.approx(12.0, abs=1e-6)


def test_without_roads_responders_are_ranked_by_straight_line_at_their_kinds_speed():
    units = [Unit("walker", 0, 900), Unit("car", 0, 2500, kind="police"), Unit("own", 0, 1200, grid="G1"),
             Unit("busy", 0, 10, status="busy"), Unit("lost", 0, 0)]
    frame = units_frame(units)
    frame.loc[4, "geometry"] = None
    router = StraightLineRouter(frame, policy=POLICY)
    at = lonlat(0, 0)
    ranked = router.recommend(*at, kinds=ALL_KINDS, routes=True, margin_s=0)
    assert [r.id for r in ranked] == ["car", "walker", "own"] and {r.by for r in ranked} == {"straight_line"}
    for r in ranked:
        unit = next(u for u in units if u.id == r.id)
        assert r.distance_m == pytest.approx(unit.y, abs=0.5)  # the projection's scale error: < 2e-4
        assert r.eta_s == pytest.approx(r.distance_m / (STRAIGHT_LINE_KPH[unit.kind] / 3.6))
        assert np.allclose(shapely.get_coordinates(r.route), [lonlat(0, unit.y), at])
    # Own grid and policy kinds as by road.
    assert [r.id for r in router.recommend(*at, kinds=ALL_KINDS, grid_code="G1", margin_s=150)] == ["own", "car", "walker"]
    assert [r.id for r in router.recommend(*at, category="public_order")] == ["car"]
    assert router.without_position.tolist() == [False] * 4 + [True] and not router.off_network.any()
    router.update_positions(["lost", "walker"], *lonlat([0, 0], [5, np.nan]))
    assert [r.id for r in router.recommend(*at, kinds=ALL_KINDS)] == ["lost", "car", "own"]
    assert Recommendation("a", "A", "police", None, 1.0, 2.0, by=BY_STRAIGHT_LINE).as_dict()["by"] == "straight_line"
