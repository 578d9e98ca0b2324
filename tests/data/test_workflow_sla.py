"""SLA: deadlines from the policy table, tiered warnings, escalation up the grid
hierarchy as the (injected) clock moves; and the statistics."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest

from data.workflow.sla import PolicyError, SlaPolicy
from data.workflow.stats import StatsError, ticket_stats
from tests.data.test_workflow import (  # noqa: F401  (fixtures)
    GRID_A1, GRID_B1, START, VILLAGE_A, clock, engine, record, store,
)


def test_deadlines_come_from_the_policy_by_category_and_priority(engine):
    policy = engine.policy
    assert policy.allowed_hours("hazard", 1) == 2  # category override
    assert policy.allowed_hours("dispute", 1) == 4  # priority default
    ticket = engine.intake("walk_in", [record("A", category="hazard", priority=2)], actor="op", seat="s").created[0]
    assert engine.show(ticket)["deadline"] == "2026-11-01T14:00:00Z"  # reported 02:00Z + 12 h


def test_a_broken_policy_file_is_reported(tmp_path):
    path = tmp_path / "policy.json"
    path.write_text(json.dumps({"hours_by_priority": {"1": 4}}))
    with pytest.raises(PolicyError, match="unusable"):
        SlaPolicy.load(path)


def test_warnings_rise_yellow_orange_red_then_overdue_tickets_escalate_up_the_hierarchy(engine, clock, store):
    # Priority 2 dispute: 24 hours. Reported at START.
    ticket = engine.intake("walk_in", [record("A", category="dispute", priority=2)], actor="op", seat="s").created[0]
    assert engine.sweep().as_json() == {"warnings": [], "escalations": []}
    clock.advance(hours=12)
    assert engine.sweep().warnings == [{"ticket": ticket, "level": "yellow"}]
    assert engine.show(ticket)["version"] == 2  # a warning is no decision: seats acting on version 2 still can
    assert engine.sweep().warnings == []  # warned once per tier
    clock.advance(hours=8)
    assert engine.sweep().warnings == [{"ticket": ticket, "level": "orange"}]
    assert engine.list_tickets(overdue=True) == []
    clock.advance(hours=5)
    assert [t["id"] for t in engine.list_tickets(overdue=True)] == [ticket]
    swept = engine.sweep()
    assert swept.warnings == [{"ticket": ticket, "level": "red"}]
    assert swept.escalations == [{"ticket": ticket, "to": "village"}]
    shown = engine.show(ticket)
    assert shown["state"] == "escalated" and shown["escalation"] == "village"
    assert shown["timeline"][-1]["note"] == f"escalated to village {VILLAGE_A} 康隆社区 (overdue)"
    assert shown["deadline"] == "2026-11-03T03:00:00Z"  # now + 24 h to act at the new level
    for expected in ("township", "county centre"):
        clock.advance(hours=25)
        assert engine.sweep().escalations == [{"ticket": ticket, "to": expected}]
    clock.advance(hours=25)
    assert engine.sweep().escalations == []  # nobody above the county centre
    notices = [notice["level"] for notice in engine.show(ticket)["notices"]]
    assert notices == ["yellow", "orange", "red", "escalated", "red", "escalated", "red",
                                         "escalated", "red"]


def test_finished_tickets_are_not_chased(engine, clock):
    ticket = engine.intake("walk_in", [record("A")], actor="op", seat="s").created[0]
    engine.advance(ticket, "resolved", actor="op", seat="s")
    clock.advance(days=30)
    assert engine.sweep().as_json() == {"warnings": [], "escalations": []}


def test_stats_count_on_time_and_satisfaction_per_group(engine, clock, store):
    # Hazard priority 3 has 48 hours.
    ids = engine.intake("12345", [record(str(i), grid=GRID_A1 if i < 3 else GRID_B1) for i in range(4)],
                        actor="op", seat="s").created
    on_time, late, rated_badly, still_open = ids
    for ticket in (on_time, late, rated_badly):
        engine.advance(ticket, "resolved", actor="op", seat="s")
    clock.advance(hours=1)
    engine.rate(on_time, 5, actor="citizen", seat="s")
    engine.rate(rated_badly, 1, actor="citizen", seat="s")  # reopened: open again
    clock.advance(hours=72)
    engine.rate(late, 4, actor="citizen", seat="s")
    now = clock()
    overall = ticket_stats(store, now)
    assert overall == [{"tickets": 4, "open": 2, "overdue": 2, "closed": 2, "on_time_rate": 0.5, "rated": 3,
                        "satisfaction": pytest.approx(10 / 3, abs=1e-3)}]
    by_grid = {row["grid"]: row for row in ticket_stats(store, now, by="grid")}
    assert by_grid[GRID_A1]["tickets"] == 3 and by_grid[GRID_B1]["tickets"] == 1
    assert ticket_stats(store, now, by="day")[0]["day"] == "2026-11-01"
    assert ticket_stats(store, now, by="channel")[0]["channel"] == "12345"
    assert ticket_stats(store, now, since=START + timedelta(days=1)) == [
        {"tickets": 0, "open": 0, "overdue": 0, "closed": 0, "on_time_rate": None, "rated": 0, "satisfaction": None}]
    with pytest.raises(StatsError, match="cannot group by 'color'"):
        ticket_stats(store, now, by="color")


def test_stats_see_tickets_written_without_the_engine(store, clock):
    """The demo generator writes incidents and tickets directly: triggers keep the stats columns."""
    import geopandas as gpd
    import shapely

    with store.transaction() as tx:
        tx.insert_rows("tickets", [{"ticket_id": "T20260101-000001", "state": "closed", "version": 7}])
        tx.write_layer("incidents", gpd.GeoDataFrame(
            {"ticket_id": ["T20260101-000001", "T20260101-000002"], "channel": "110", "category": "dispute",
             "priority": 3, "reported_at": "2026-01-01T00:00:00Z", "grid_code": GRID_A1},
            geometry=[shapely.Point(112.01, 32.005)] * 2, crs="EPSG:4326"))
        tx.insert_rows("tickets", [{"ticket_id": "T20260101-000002", "state": "received", "version": 1}])
    rows = ticket_stats(store, clock(), by="channel")
    assert rows[0]["channel"] == "110" and rows[0]["tickets"] == 2
