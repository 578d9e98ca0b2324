"""The demo position feed: responders drive along roads, deterministically, at plausible speeds."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pytest
import shapely

from data.feeds import METRES_PER_DEGREE, PositionFeed, RoadSimulator

# An L of two roads meeting at (114.01, 30.5), and a dead-end spur off the far end.
ROADS = gpd.GeoDataFrame(
    {"road_class": ["arterial", "local", "local"], "speed_kph": [60.0, 30.0, 8.0]},
    geometry=[
        shapely.LineString([(114.0, 30.5), (114.01, 30.5)]),
        shapely.LineString([(114.01, 30.51), (114.01, 30.5)]),  # digitised towards the corner
        shapely.LineString([(114.01, 30.51), (114.011, 30.51)]),
    ],
    crs=4326,
)


def responders(kinds, statuses, points) -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame(
        {"responder_id": [f"R{i}" for i in range(len(kinds))], "kind": kinds, "status": statuses},
        geometry=shapely.points(points), crs=4326)


def metres(a_lon, a_lat, b_lon, b_lat) -> np.ndarray:
    return np.hypot((a_lon - b_lon) * np.cos(np.radians(30.5)), a_lat - b_lat) * METRES_PER_DEGREE


def test_off_duty_responders_do_not_move_and_the_first_poll_snaps_to_the_road():
    crew = responders(["grid_worker", "police"], ["off", "on_duty"], [(114.003, 30.5002), (114.005, 30.5001)])
    feed: PositionFeed = RoadSimulator(ROADS, crew)
    first = feed.poll(0.0)
    assert list(first.ids) == ["R1"]
    assert (first.lon[0], first.lat[0]) == pytest.approx((114.005, 30.5))


def test_responders_move_along_roads_at_their_kind_speed():
    points = [(114.002, 30.5), (114.004, 30.5)] * 10
    crew = responders(["grid_worker", "police"] * 10, ["on_duty", "busy"] * 10, points)
    feed = RoadSimulator(ROADS, crew, seed=3)
    start = feed.poll(0.0)
    after = feed.poll(10.0)
    moved = metres(start.lon, start.lat, after.lon, after.lat)
    walkers, drivers = moved[0::2], moved[1::2]
    assert np.all((walkers > 10 * 12 / 3.6 * 0.69) & (walkers < 10 * 12 / 3.6 * 1.21))
    assert np.all((drivers > 10 * 35 / 3.6 * 0.69) & (drivers < 10 * 35 / 3.6 * 1.21))
    on_road = shapely.distance(shapely.points(after.lon, after.lat), ROADS.geometry.union_all())
    assert np.all(on_road < 1e-7)


def test_at_a_road_end_they_turn_onto_the_connected_road_and_a_slow_road_caps_the_speed():
    crew = responders(["police"], ["on_duty"], [(114.0099, 30.5)])
    feed = RoadSimulator(ROADS, crew, seed=1)
    feed.poll(0.0)
    lats = [feed.poll(float(t)).lat[0] for t in range(1, 40)]
    assert max(lats) > 30.501  # went up the second road, whichever way it first drove
    # The 8 km/h spur: nobody drives it faster, whatever their kind.
    spur = RoadSimulator(ROADS, responders(["police"], ["on_duty"], [(114.0105, 30.51)]), seed=1)
    a, b = spur.poll(0.0), spur.poll(1.0)
    assert metres(a.lon, a.lat, b.lon, b.lat)[0] == pytest.approx(8 / 3.6, rel=1e-3)


def test_the_same_seed_gives_the_same_movements():
    crew = responders(["grid_worker"] * 5, ["on_duty"] * 5, [(114.001 + i * 0.001, 30.5) for i in range(5)])
    runs = []
    for _ in range(2):
        feed = RoadSimulator(ROADS, crew, seed=11)
        runs.append([feed.poll(float(t)).lon for t in range(30)])
    np.testing.assert_array_equal(runs[0], runs[1])


def test_a_store_without_roads_is_refused_clearly():
    with pytest.raises(ValueError, match="no roads"):
        RoadSimulator(ROADS.iloc[:0], responders(["police"], ["on_duty"], [(114.0, 30.5)]))
