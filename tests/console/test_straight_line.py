"""A store without roads still gets recommendations in the console, marked as straight-line estimates."""

from __future__ import annotations

import pytest

from data.store import Store
from gis.routing import BY_ROAD, BY_STRAIGHT_LINE, Recommendation


@pytest.fixture
def roadless(city_copy):
    with Store.open(city_copy("roadless.gpkg", "DELETE FROM roads")) as store:
        yield store


def test_recommendations_without_roads_say_they_are_straight_line(open_window, roadless, tmp_path):
    window, _ = open_window("zh_CN", on=roadless)
    details = window.details
    assert details.recommendations and {r.by for r in details.recommendations} == {BY_STRAIGHT_LINE}
    assert details.basis.isVisible() and details.basis.text() == "按直线距离估算（库中无路网）"
    assert details.table.horizontalHeaderItem(2).text() == "直线估时"
    assert details.table.item(0, 2).text()  # an ETA shows
    details.grab().save(str(tmp_path / "straight-line.png"))
    # While the next incident's answer is awaited, the panel does not claim roads.
    details.show_ticket({**details.ticket, "ticket_id": "T-next"})
    assert details.basis.isVisible() and details.hint.text() == "正在查找最近的处置力量…"
    # A router with roads (a later answer) takes the mark off.
    details.show_recommendations([Recommendation("A", "甲", "grid_worker", None, 30.0, 200.0)], BY_ROAD)
    assert details.basis.isHidden() and details.table.horizontalHeaderItem(2).text() == "预计到达"


def test_recommendations_by_road_have_no_mark(open_window):
    window, _ = open_window("zh_CN")
    assert window.details.recommendations and {r.by for r in window.details.recommendations} == {BY_ROAD}
    assert window.details.basis.isHidden()
