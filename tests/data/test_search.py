"""The search box's engine: grids, responders, cameras, tickets by id and coordinates in any CRS."""

from __future__ import annotations

import pytest

from data.search import EXACT, INSIDE, PREFIX, parse_coordinates, search
from gis.crs import wgs84_to_bd09, wgs84_to_gcj02
from tests.backends import module_location  # noqa: F401  (a fixture)
from tests.console.tiny_city import build_tiny_city


@pytest.fixture(scope="module")
def store(module_location):  # noqa: F811
    """The tiny city, on each backend."""
    with build_tiny_city(module_location) as store:
        yield store


def test_a_grid_code_finds_the_grid_first_then_its_children(store):
    hits = search(store, "T1V2")
    assert [(h.kind, h.id, h.match) for h in hits[:2]] == [("grid", "T1V2", EXACT), ("grid", "T1V2G0", PREFIX)]
    assert {h.id for h in hits} == {"T1V2", *(f"T1V2G{g}" for g in range(4))}
    # The village's centre, from its box: 114.04-114.08, 30.56-30.59.
    assert (hits[0].lon, hits[0].lat) == pytest.approx((114.06, 30.575))


def test_codes_match_in_any_case_of_their_latin_letters(store):
    assert [(h.kind, h.id, h.match) for h in search(store, "t1v2")[:2]] == [("grid", "T1V2", EXACT),
                                                                            ("grid", "T1V2G0", PREFIX)]
    assert [h.id for h in search(store, "c42")] == ["C42"]


def test_names_match_anywhere_and_exact_names_come_first(store):
    hits = search(store, "队员1")
    assert hits[0].kind == "responder" and hits[0].title == "队员1" and hits[0].match == EXACT
    assert all(h.title.startswith("队员1") for h in hits)
    assert search(store, "员5")[0].match == INSIDE
    (camera,) = search(store, "摄像头42")
    assert (camera.kind, camera.id, camera.attribute) == ("camera", "C42", "rural")  # classes cycle A, B, rural, private


def test_ticket_ids_match_by_prefix_in_any_case(store):
    hits = search(store, "t-")
    assert [h.id for h in hits] == ["T-4", "T-3", "T-2", "T-1"]  # newest first
    (t2,) = search(store, "T-2")
    assert (t2.kind, t2.attribute, t2.match) == ("ticket", "escalated", EXACT)
    assert t2.lon is not None and t2.lat is not None


def test_like_wildcards_are_taken_literally(store):
    assert search(store, "%") == []
    assert search(store, "_") == []


@pytest.mark.parametrize(("prefix", "convert"), [
    ("", lambda lon, lat: (lon, lat)), ("gcj02:", wgs84_to_gcj02), ("bd09:", wgs84_to_bd09)])
def test_coordinates_in_each_crs_come_back_in_wgs84(store, prefix, convert):
    lon, lat = 114.1, 30.55
    typed_lon, typed_lat = convert(lon, lat)
    (hit,) = search(store, f"{prefix}{typed_lon:.7f},{typed_lat:.7f}")
    assert hit.kind == "point"
    assert (hit.lon, hit.lat) == pytest.approx((lon, lat), abs=1e-6)


@pytest.mark.parametrize(("text", "expected"), [
    ("114.1,30.5", (114.1, 30.5, "wgs84")),
    ("114.1 30.5", (114.1, 30.5, "wgs84")),
    ("114.1，30.5", (114.1, 30.5, "wgs84")),
    ("30.5, 114.1", (114.1, 30.5, "wgs84")),  # lat, lon: told apart by the ranges
    ("WGS84: 114.1, 30.5", (114.1, 30.5, "wgs84")),
    ("cgcs2000 114.1,30.5", (114.1, 30.5, "cgcs2000")),
])
def test_coordinate_forms(text, expected):
    lon, lat, system = parse_coordinates(text)
    assert (lon, lat, system) == (pytest.approx(expected[0]), pytest.approx(expected[1]), expected[2])


@pytest.mark.parametrize("text", ["114.1", "abc:114.1,30.5", "200,30", "114.1,95", "T-1", "队员1"])
def test_what_is_not_coordinates(text):
    assert parse_coordinates(text) is None


def test_nothing_typed_finds_nothing_and_limits_hold(store):
    assert search(store, "   ") == []
    assert len(search(store, "C", limit=3)) == 3
