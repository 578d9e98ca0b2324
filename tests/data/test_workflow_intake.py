"""Intake from every channel: adapters, coordinate systems, idempotency, dead letters,
ticket numbering, and duplicate / repeat detection."""

from __future__ import annotations

import json

import threading
from datetime import timedelta

import pytest
import shapely

from data.store import Store
from data.workflow import TicketEngine, WorkflowError
from data.workflow.duplicates import repeat_callers, repeat_places
from data.workflow.intake import TEXT_LIMITS
from gis.crs import convert
from tests.data.test_workflow import (  # noqa: F401  (fixtures)
    GRID_A1, GRID_A2, GRID_B1, GRID_B2, INSIDE, PHONE, START, clock, engine, record, store,
)


def _in(grid: str, crs: str) -> tuple[float, float]:
    lon, lat = convert(*INSIDE[grid], "wgs84", crs)
    return float(lon), float(lat)


def native_records() -> dict[str, dict]:
    """One record per channel in its own native format, each placed in a different grid or system."""
    bd_lon, bd_lat = _in(GRID_B2, "bd09")
    gcj_lon, gcj_lat = _in(GRID_A2, "gcj02")
    return {
        "12345": {"order_no": "GD001", "call_time": "2026-11-01T09:00:00+08:00", "category": "城市管理",
                  "content": "占道经营", "urgency": 2, "location": {"lng": bd_lon, "lat": bd_lat},
                  "caller": {"name": "李四", "phone": PHONE}},
        "110": {"alarm_id": "JJ001", "alarm_time": "2026-11-01T09:05:00+08:00", "case_type": "矛盾纠纷",
                "alarm_content": "邻里噪音纠纷", "lng": gcj_lon, "lat": gcj_lat, "alarm_phone": "13900000000"},
        "12348": {"consult_id": "FL001", "consult_time": "2026-11-01T09:10:00+08:00", "question": "咨询劳动合同",
                  "lon": gcj_lon, "lat": gcj_lat},
        "grid_report": {"report_id": "WG001", "reported_at": "2026-11-01T09:15:00+08:00", "event_type": "hazard",
                        "description": "电线私拉乱接", "lon": INSIDE[GRID_B1][0], "lat": INSIDE[GRID_B1][1]},
        "walk_in": record("ZX001", grid=GRID_A1, category="help_request"),
        "camera_alert": {"alert_id": "AI001", "camera_id": "CAM-7", "event_type": "smoke_fire",
                         "time": "2026-11-01T09:20:00+08:00", "lon": INSIDE[GRID_B1][0], "lat": INSIDE[GRID_B1][1]},
    }


EXPECTED = {  # channel -> (category, grid, priority)
    "12345": ("city_management", GRID_B2, 2), "110": ("dispute", GRID_A2, 2), "12348": ("legal_aid", GRID_A2, 4),
    "grid_report": ("hazard", GRID_B1, 3), "walk_in": ("help_request", GRID_A1, 3),
    "camera_alert": ("hazard", GRID_B1, 3),
}


@pytest.mark.parametrize("channel", list(EXPECTED))
def test_every_channel_maps_its_native_format_onto_a_located_ticket(engine, channel):
    result = engine.intake(channel, [native_records()[channel]], actor="op01", seat="s")
    assert result.rejected == [] and len(result.created) == 1
    shown = engine.show(result.created[0])
    assert (shown["category"], shown["grid"], shown["priority"]) == EXPECTED[channel]
    assert shown["channel"] == channel and shown["state"] == "registered"
    assert shown["timeline"][0]["by"] == f"intake:{channel}"


def test_converted_coordinates_land_where_the_point_really_is(engine, store):
    lon, lat = _in(GRID_B2, "bd09")
    ticket = engine.intake("walk_in", [record("C1", lon=lon, lat=lat, crs="bd09")], actor="op", seat="s").created[0]
    point = store.read_layer("incidents", where="t.ticket_id = ?", params=(ticket,)).geometry.iloc[0]
    assert point.distance(shapely.Point(INSIDE[GRID_B2])) < 1e-7


def test_the_same_record_delivered_twice_makes_one_ticket(engine, store):
    first = engine.intake("12345", [record("A"), record("B"), record("A")], actor="op", seat="s")
    assert len(first.created) == 2 and first.duplicates == [first.created[0]]
    again = engine.intake("12345", [record("A"), record("C")], actor="op", seat="s")
    assert again.duplicates == [first.created[0]] and len(again.created) == 1
    # The same record id from another channel is another record.
    assert len(engine.intake("110", [record("A")], actor="op", seat="s").created) == 1
    assert store.count("tickets") == 4


def test_ticket_ids_number_each_beijing_day_on_from_the_last(engine):
    ids = engine.intake("walk_in", [record("1"), record("2", reported_at="2026-11-01T23:30:00Z")],
                        actor="op", seat="s").created
    assert ids == ["T20261101-000001", "T20261102-000001"]
    assert engine.intake("walk_in", [record("3")], actor="op", seat="s").created == ["T20261101-000002"]


BAD_RECORDS = [
    ({"category": "hazard", "lon": 112.01, "lat": 32.005}, "missing field 'record_id'"),
    ({"record_id": "b1", "lon": 112.01, "lat": 32.005}, "missing field 'category'"),
    ({"record_id": "b2", "category": "hazard", "lat": 32.005}, "missing field 'lon'"),
    ({"record_id": "b3", "category": "hazard", "lon": "112.01", "lat": 32.005}, "'lon' must be a number, got str"),
    ({"record_id": "b4", "category": "hazard", "lon": True, "lat": 32.005}, "'lon' must be a number, got bool"),
    ({"record_id": "b5", "category": "hazard", "lon": 112.01, "lat": 32.005, "priority": "high"}, "'priority'"),
    ({"record_id": "b6", "category": "hazard", "lon": 116.4, "lat": 39.9}, "outside the territory"),
    ({"record_id": "b7", "category": "hazard", "lon": 112.01, "lat": 32.005,
      "description": "x" * (TEXT_LIMITS["description"] + 1)}, "'description' is too long"),
    ({"record_id": "b8", "category": "hazard", "lon": 112.01, "lat": 32.005,
      "description": b"\xff\xfe".decode("utf-8", "surrogateescape")}, "'description' is not valid UTF-8"),
    ({"record_id": "b9", "category": "hazard", "lon": 112.01, "lat": 32.005,
      "reporter": {"name": b"\xc3\x28"}}, "'reporter.name' is not valid UTF-8"),
    ({"record_id": "b11", "category": "hazard", "lon": 112.01, "lat": 32.005, "attachments": "a.jpg"},
     "'attachments' must be a list of file paths"),
    ({"record_id": "b10", "category": "hazard", "lon": 112.01, "lat": 32.005, "reporter": "张三"},
     "'reporter' must be an object"),
    ({"record_id": "b11", "category": "hazard", "lon": 112.01, "lat": 32.005, "reported_at": "yesterday"},
     "not an ISO 8601 time"),
    ({"record_id": "b12", "category": "weather", "lon": 112.01, "lat": 32.005}, "unknown category"),
    ({"record_id": "b13", "category": "hazard", "lon": 112.01, "lat": 32.005, "crs": "utm"}, "unknown crs"),
    (["not", "an", "object"], "must be a JSON object"),
]


def test_bad_records_go_to_the_dead_letter_table_and_good_ones_still_go_in(engine, store):
    batch = [record("good1"), *[bad for bad, _ in BAD_RECORDS], record("good2")]
    result = engine.intake("walk_in", batch, actor="op", seat="s")
    assert len(result.created) == 2
    assert len(result.rejected) == len(BAD_RECORDS)
    reasons = " | ".join(r["reason"] for r in result.rejected)
    for _, reason in BAD_RECORDS:
        assert reason in reasons
    letters = store.read_table("intake_dead_letters")
    assert len(letters) == len(BAD_RECORDS) and set(letters["channel"]) == {"walk_in"}
    assert "b7" in set(letters["record_id"]) and letters["payload"].notna().all()
    assert engine.dead_letters(limit=1)[0]["channel"] == "walk_in"


def test_attachments_are_written_with_the_ticket(engine, store):
    files = ["/srv/alerts/CAM-7-1.jpg", "/srv/alerts/CAM-7-1.mp4"]
    created = engine.intake("walk_in", [record("att1", attachments=files), record("att2")], actor="op", seat="s")
    stored = dict(store.query("SELECT ticket_id, attachments FROM tickets WHERE ticket_id IN (?, ?)",
                              tuple(created.created)))
    assert json.loads(stored[created.created[0]]) == files and stored[created.created[1]] is None


def test_unknown_channel_is_refused(engine):
    with pytest.raises(WorkflowError, match="unknown channel 'fax'"):
        engine.intake("fax", [record("x")], actor="op", seat="s")


def test_a_repeat_from_another_channel_nearby_is_suggested_for_merging(engine):
    first = engine.intake("12345", [record("A")], actor="op", seat="s").created[0]
    lon, lat = INSIDE[GRID_A1]
    near = record("B", lon=lon + 0.0005, lat=lat, reported_at="2026-11-01T12:00:00+08:00")  # ~47 m, 2 h later
    result = engine.intake("grid_report", [near], actor="op", seat="s")
    assert result.suggested_merges == [{"ticket": result.created[0], "duplicate_of": first}]
    assert engine.show(result.created[0])["duplicate_of"] == first
    unrelated = [
        record("C", category="environment"),  # another kind of problem
        record("D", lon=lon + 0.005, lat=lat),  # ~470 m away
        record("E", reported_at="2026-11-05T10:00:00+08:00"),  # four days later
    ]
    assert engine.intake("12345", unrelated, actor="op", seat="s").suggested_merges == []


def test_repeat_callers_and_places_are_flagged_with_the_phone_masked(engine, store):
    calls = [record(str(i), reporter={"phone": PHONE}) for i in range(3)] + [
        record("x", grid=GRID_B1, reporter={"phone": "13900000000"})]
    engine.intake("12345", calls, actor="op", seat="s")
    since = START - timedelta(days=1)
    assert repeat_callers(store, since, min_calls=3) == [{"phone": "138****5678", "calls": 3}]
    assert repeat_callers(store, since, min_calls=3, role="supervisor")[0]["phone"] == PHONE
    assert repeat_places(store, since, min_tickets=3) == [{"grid": GRID_A1, "category": "hazard", "tickets": 3}]


def test_two_seats_taking_in_the_same_record_at_once_make_one_ticket(store, clock):
    seats = [Store.open(store.location), Store.open(store.location)]
    barrier = threading.Barrier(2)
    results = []

    def take_in(seat_store):
        engine = TicketEngine(seat_store, clock=clock)
        engine.grid_index  # build before the race, so the two intakes really overlap
        barrier.wait()
        results.append(engine.intake("12345", [record("SAME")], actor="op", seat="s"))

    threads = [threading.Thread(target=take_in, args=(s,)) for s in seats]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    for seat_store in seats:
        seat_store.close()
    assert sorted(len(r.created) for r in results) == [0, 1]
    assert sorted(len(r.duplicates) for r in results) == [0, 1]
    assert store.count("tickets") == 1
