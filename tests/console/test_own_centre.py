"""The console on a store built from a centre's files alone (README "Your own centre"): it opens,
ranks responders by road for an incident and shows the cameras near it."""

from __future__ import annotations

import pytest

from data.store import Store
from data.workflow.engine import TicketEngine
from gis.routing import BY_ROAD
from tests.own_centre import build_centre


@pytest.fixture(scope="module")
def centre_path(tmp_path_factory):
    path, _ = build_centre(tmp_path_factory.mktemp("own_centre_console"))
    with Store.open(path) as store:
        camera = store.read_layer("cameras").iloc[0].geometry
        TicketEngine(store).intake("walk_in", [{
            "record_id": "W1", "category": "hazard", "description": "路灯倒伏", "priority": 2,
            "lon": camera.x, "lat": camera.y}], actor="op01", seat="seat1")
    return path


@pytest.fixture
def store_path(centre_path):
    return centre_path


def test_the_console_opens_on_a_centres_own_store_ranks_by_road_and_shows_cameras_near(open_window, qtbot, tmp_path):
    window, counts = open_window("zh_CN")
    assert counts["grids"] == 48 and counts["cameras"] == 48
    details = window.details
    assert details.ticket is not None
    assert len(details.recommendations) == 5 and {r.by for r in details.recommendations} == {BY_ROAD}
    assert details.basis.isHidden()  # no straight-line mark: the store has roads
    qtbot.waitUntil(lambda: bool(window.video.show_incident(details.ticket["ticket_id"], *_place(details))),
                    timeout=10_000)
    window.grab().save(str(tmp_path / "own-centre.png"))


def _place(details) -> tuple[float, float]:
    ticket = details.ticket
    return ticket["lon"], ticket["lat"]
