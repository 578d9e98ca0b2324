"""Isochrones and coverage gaps: what is inside a band must be reachable in time, and only that."""

from __future__ import annotations

import shapely

from gis.isochrone import band_polygons, coverage, isochrones, reached_roads
from gis.policy import DispatchPolicy
from gis.roadgraph import RoadGraph
from gis.routing import Router
from tests.gis.roadnets import Network, Unit, lonlat, units_frame

POLICY = DispatchPolicy({"default": ("police",)}, own_grid_margin_s=0.0)


def router_for(network: Network, units=()) -> Router:
    frame = units_frame(list(units)) if units else None
    return Router(RoadGraph.from_frame(network.frame()), frame, policy=POLICY)


def point(x, y):
    return shapely.Point(*lonlat(x, y))


def test_bands_follow_one_way_streets_and_cut_partial_segments():
    # An eastbound one-way street with a two-way side street 500 m east and a long way back;
    # 36 km/h = 600 m a minute.
    network = (Network()
               .add((-3000, 0), (500, 0), oneway=True).add((500, 0), (3000, 0), oneway=True)
               .add((500, 0), (500, 2000))
               .add((3000, 0), (3000, -3000), (-3000, -3000), (-3000, 0)))
    result = isochrones(router_for(network), *lonlat(0, 0), minutes=[1, 2], trim_m=50)
    one, two = (shapely.geometry.shape(f["geometry"]) for f in result["features"][::-1])
    assert [f["properties"]["minutes"] for f in result["features"]] == [2.0, 1.0]  # largest drawn first
    assert one.contains(point(590, 0)) and not one.contains(point(700, 0))  # partial edge at the cutoff
    assert one.contains(point(500, 90)) and not one.contains(point(500, 200))
    assert not one.contains(point(-200, 0))  # against the one-way direction
    assert one.difference(two).area < 1e-5 * one.area  # nested, up to how arcs are approximated
    assert two.contains(point(500, 650)) and not two.contains(point(500, 800))


def test_the_access_walk_is_taken_off_the_budget():
    network = Network().add((-3000, 0), (3000, 0))
    result = isochrones(router_for(network), *lonlat(0, 139), minutes=[1], trim_m=20)  # 100 s walk
    assert shapely.geometry.shape(result["features"][0]["geometry"]).is_empty


def test_coverage_leaves_out_what_no_unit_reaches_in_time():
    network = Network().add((0, 0), (3000, 0))
    units = [Unit("p1", 0, 0, kind="police"), Unit("w1", 3000, 0), Unit("p2", 2900, 0, kind="police", status="busy")]
    district = shapely.Polygon([lonlat(x, y) for x, y in [(0, -100), (3000, -100), (3000, 100), (0, 100)]])
    result = coverage(router_for(network, units), district, [1, 3], kinds=("police",), trim_m=100)
    three, one = (f for f in result["features"])
    gap_one = shapely.geometry.shape(one["geometry"])
    assert one["properties"]["units"] == 1
    assert gap_one.contains(point(1000, 0)) and not gap_one.contains(point(500, 0))
    assert gap_one.contains(point(2950, 0))  # the busy unit and the grid worker do not count
    assert 0.75 < one["properties"]["uncovered_share"] < 0.85
    assert three["properties"]["uncovered_share"] < one["properties"]["uncovered_share"]


def test_each_band_grown_from_the_one_before_is_the_band_computed_alone():
    # Blocks of 400 m, the streets two-way but for an eastbound one-way avenue; 600 m a minute.
    network = Network()
    for k in range(-3, 4):
        for i in range(-3, 3):
            network.add((400 * i, 400 * k), (400 * (i + 1), 400 * k), oneway=k == 0)
            network.add((400 * k, 400 * i), (400 * k, 400 * (i + 1)))
    router = router_for(network)
    place = router.place(*lonlat(30, 10))
    search = router.graph.search_from(place.segment, place.fraction, place.access_s, 180.0)
    starts = [(place.segment, place.fraction, place.access_s)]
    grown = band_polygons(router.graph, search.seconds, [1, 2, 3], starts, trim_m=50)
    for minutes, band in zip([1, 2, 3], grown):
        roads, _ = reached_roads(router.graph, search.seconds, minutes * 60.0, starts)
        alone = shapely.union_all(shapely.buffer(roads[shapely.get_type_id(roads) == 1], 50, quad_segs=4))
        assert band.area > 0
        assert shapely.symmetric_difference(band, alone).area < 1e-6 * alone.area
    assert grown[0].area < grown[1].area < grown[2].area
