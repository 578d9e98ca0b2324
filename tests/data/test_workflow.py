"""The ticket workflow engine: the state machine, attribution, audit, optimistic locking,
dispatch and transfer, ratings, merges, mediation, masking, and the schema migration."""

from __future__ import annotations

import json
import threading
from datetime import datetime, timedelta, timezone

import geopandas as gpd
import pytest
import shapely

from data import migrations
from data.store import Store
from data.workflow import IllegalTransition, TicketEngine, UnknownTicket, VersionConflict, WorkflowError
from data.workflow.clock import ManualClock
from tests.data.backends import BACKENDS, new_location, new_store
from tests.data.older_schema import schema_at

START = datetime(2026, 11, 1, 2, 0, tzinfo=timezone.utc)  # 10:00 in Beijing
TOWNSHIP, VILLAGE_A, VILLAGE_B = "420602001", "420602001001", "420602001002"
GRID_A1, GRID_A2, GRID_B1, GRID_B2 = (VILLAGE_A + "001", VILLAGE_A + "002", VILLAGE_B + "001", VILLAGE_B + "002")
# A point inside each grid (the grids are 0.02 x 0.01 degree boxes).
INSIDE = {GRID_A1: (112.01, 32.005), GRID_A2: (112.01, 32.015), GRID_B1: (112.03, 32.005),
          GRID_B2: (112.03, 32.015)}
PHONE, NAME, ID_NUMBER = "13812345678", "张三丰", "420602199001011234"


def make_store(location) -> Store:
    """A tiny territory: one township, two villages, four grids, their chiefs and two other responders,
    in a new store at `location` (tests.data.backends)."""
    store = new_store(str(location))
    rows = [
        (TOWNSHIP, "红旗街道", 1, None, (112.00, 32.00, 112.04, 32.02)),
        (VILLAGE_A, "康隆社区", 2, TOWNSHIP, (112.00, 32.00, 112.02, 32.02)),
        (VILLAGE_B, "兴隆社区", 2, TOWNSHIP, (112.02, 32.00, 112.04, 32.02)),
        (GRID_A1, "康隆一网格", 3, VILLAGE_A, (112.00, 32.00, 112.02, 32.01)),
        (GRID_A2, "康隆二网格", 3, VILLAGE_A, (112.00, 32.01, 112.02, 32.02)),
        (GRID_B1, "兴隆一网格", 3, VILLAGE_B, (112.02, 32.00, 112.04, 32.01)),
        (GRID_B2, "兴隆二网格", 3, VILLAGE_B, (112.02, 32.01, 112.04, 32.02)),
    ]
    store.write_layer("grids", gpd.GeoDataFrame(
        {"code": [r[0] for r in rows], "name": [r[1] for r in rows], "level": [r[2] for r in rows],
         "parent_code": [r[3] for r in rows], "chief_id": [f"C{r[0][-4:]}" if r[2] == 3 else None for r in rows],
         "version": 1},
        geometry=[shapely.box(*r[4]) for r in rows], crs="EPSG:4326"))
    people = [(f"C{g[-4:]}", "grid_worker", "grid_chief", g, INSIDE[g]) for g in INSIDE]
    people += [("P1", "police", "patrol_car", TOWNSHIP, (112.02, 32.01)),
               ("D1", "department", "team", TOWNSHIP, (112.02, 32.01))]
    store.write_layer("responders", gpd.GeoDataFrame(
        {"responder_id": [p[0] for p in people], "name": [p[0] for p in people], "kind": [p[1] for p in people],
         "role": [p[2] for p in people], "grid_code": [p[3] for p in people], "status": "on_duty"},
        geometry=[shapely.Point(p[4]) for p in people], crs="EPSG:4326"))
    return store


def record(record_id: str, grid: str = GRID_A1, category: str = "hazard", **extra) -> dict:
    lon, lat = INSIDE[grid]
    return {"record_id": record_id, "category": category, "description": "井盖缺失", "lon": lon, "lat": lat,
            "reported_at": "2026-11-01T10:00:00+08:00", "priority": 3, **extra}


@pytest.fixture(params=BACKENDS)
def store(request, tmp_path):
    """The tiny territory's store, once on each backend."""
    with make_store(new_location(request, tmp_path)) as store:
        yield store


@pytest.fixture
def clock():
    return ManualClock(START)


@pytest.fixture
def engine(store, clock):
    return TicketEngine(store, clock=clock)


def new_ticket(engine, record_id="R1", **extra) -> str:
    result = engine.intake("walk_in", [record(record_id, **extra)], actor="op01", seat="seat1")
    assert result.created, result.rejected
    return result.created[0]


def counts(store) -> tuple[int, int, int]:
    return store.count("tickets"), store.count("ticket_timeline"), store.count("audit_log")


def test_a_ticket_goes_round_the_whole_loop_with_every_step_attributed(engine, clock):
    ticket = new_ticket(engine)
    assert ticket == "T20261101-000001"
    steps = [("dispatch", "op01"), ("accepted", "C1001"), ("on_site", "C1001"), ("resolved", "C1001"),
             ("closed", "op02")]
    for target, actor in steps:
        clock.advance(minutes=10)
        if target == "dispatch":
            engine.dispatch(ticket, "C1001", ["P1"], actor=actor, seat="seat1")
        else:
            engine.advance(ticket, target, actor=actor, seat="seat2", note="井盖已更换" if target == "resolved" else None)
    engine.rate(ticket, 5, actor="citizen", seat="revisit")

    shown = engine.show(ticket)
    assert [s["state"] for s in shown["timeline"]] == [
        "received", "registered", "dispatched", "accepted", "on_site", "resolved", "closed"]
    assert [s["by"] for s in shown["timeline"]][1:] == ["op01", "op01", "C1001", "C1001", "C1001", "op02"]
    times = [s["at"] for s in shown["timeline"]]
    assert times == sorted(times) and times[-1] == "2026-11-01T02:50:00Z"
    assert shown["state"] == "closed" and shown["version"] == 8
    assert shown["assignees"] == {"lead": "C1001", "helpers": ["P1"]}
    assert shown["outcome"] == "井盖已更换" and shown["rating"] == 5 and shown["closed_at"] == times[-1]
    audit = engine.store.read_table("audit_log", "subject = ?", (ticket,))
    assert audit["action"].tolist() == ["intake", "registered->dispatched", "dispatched->accepted",
                                        "accepted->on_site", "on_site->resolved", "resolved->closed", "rate"]
    assert json.loads(audit["detail"].iloc[1])["seat"] == "seat1"


def test_an_illegal_transition_is_refused_with_the_reason_and_changes_nothing(engine, store):
    ticket = new_ticket(engine)
    before = counts(store)
    with pytest.raises(IllegalTransition, match="cannot go from registered to closed; from registered it can go to"):
        engine.advance(ticket, "closed", actor="op01", seat="s")
    with pytest.raises(WorkflowError, match="use `dispatch`"):
        engine.advance(ticket, "dispatched", actor="op01", seat="s")
    with pytest.raises(IllegalTransition, match="unknown state 'lost'"):
        engine.advance(ticket, "lost", actor="op01", seat="s")
    with pytest.raises(WorkflowError, match="unknown state 'lost'"):
        engine.list_tickets(["lost"])
    with pytest.raises(UnknownTicket, match="no ticket T20991231-000001"):
        engine.advance("T20991231-000001", "accepted", actor="op01", seat="s")
    with pytest.raises(WorkflowError, match="no responder NOBODY"):
        engine.dispatch(ticket, "NOBODY", actor="op01", seat="s")
    assert counts(store) == before
    assert engine.show(ticket)["version"] == 2


def test_merged_tickets_are_final(engine):
    first, second = new_ticket(engine, "R1"), new_ticket(engine, "R2")
    with pytest.raises(WorkflowError, match="itself"):
        engine.merge(first, first, actor="op01", seat="s")
    engine.merge(second, first, actor="op01", seat="s")
    assert engine.show(second)["merged_into"] == first
    with pytest.raises(IllegalTransition, match="final"):
        engine.advance(second, "registered", actor="op01", seat="s")
    third = new_ticket(engine, "R3")
    with pytest.raises(IllegalTransition, match="is itself merged"):
        engine.merge(third, second, actor="op01", seat="s")


def test_a_stale_version_is_a_conflict_not_an_overwrite(engine, store):
    ticket = new_ticket(engine)
    engine.dispatch(ticket, "C1001", actor="op01", seat="seat1", expected_version=2)
    with pytest.raises(VersionConflict, match="changed by someone else: it is now version 3 .dispatched."):
        engine.dispatch(ticket, "P1", actor="op02", seat="seat2", expected_version=2)
    assert engine.show(ticket)["assignees"]["lead"] == "C1001"


def test_two_seats_dispatching_at_once_exactly_one_wins(store, tmp_path, clock):
    ticket = new_ticket(TicketEngine(store, clock=clock))
    seat_stores = [Store.open(store.location), Store.open(store.location)]
    barrier = threading.Barrier(2)
    outcomes = {}

    def seat(number: int, lead: str):
        engine = TicketEngine(seat_stores[number], clock=clock)
        version = engine.show(ticket)["version"]
        barrier.wait()
        try:
            outcomes[number] = engine.dispatch(ticket, lead, actor=f"op{number}", seat=f"seat{number}",
                                               expected_version=version)
        except VersionConflict as err:
            outcomes[number] = err

    threads = [threading.Thread(target=seat, args=(0, "C1001")), threading.Thread(target=seat, args=(1, "P1"))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    for seat_store in seat_stores:
        seat_store.close()
    winners = [n for n, outcome in outcomes.items() if outcome == 3]
    losers = [n for n, outcome in outcomes.items() if isinstance(outcome, VersionConflict)]
    assert len(winners) == 1 and len(losers) == 1
    shown = TicketEngine(store, clock=clock).show(ticket)
    assert [s["state"] for s in shown["timeline"]].count("dispatched") == 1
    assert shown["assignees"]["lead"] == ("C1001" if winners == [0] else "P1")


def test_transfer_to_a_department_sets_its_deadline(engine, clock):
    ticket = new_ticket(engine)
    with pytest.raises(WorkflowError, match="already passed"):
        engine.transfer(ticket, "city_management", clock() - timedelta(hours=1), actor="op01", seat="s")
    engine.transfer(ticket, "city_management", clock() + timedelta(hours=48), actor="op01", seat="s")
    shown = engine.show(ticket)
    assert shown["state"] == "transferred" and shown["department"] == "city_management"
    assert shown["deadline"] == "2026-11-03T02:00:00Z"


def test_direct_12345_plus_grid_mode_dispatches_to_the_grid_chief(engine):
    result = engine.intake("12345", [record("H1", grid=GRID_B2)], actor="op01", seat="s", direct_to_grid=True)
    shown = engine.show(result.created[0])
    assert shown["state"] == "dispatched" and shown["assignees"]["lead"] == "C2002"
    assert shown["timeline"][-1]["note"] == f"direct to the chief of grid {GRID_B2}"


def test_a_bad_rating_reopens_and_only_finished_tickets_are_rated(engine):
    ticket = new_ticket(engine)
    with pytest.raises(IllegalTransition, match="only a resolved or closed"):
        engine.rate(ticket, 4, actor="citizen", seat="s")
    engine.advance(ticket, "resolved", actor="op01", seat="s")
    with pytest.raises(WorkflowError, match="1 to 5"):
        engine.rate(ticket, 6, actor="citizen", seat="s")
    engine.rate(ticket, 1, actor="citizen", seat="s")
    shown = engine.show(ticket)
    assert shown["state"] == "reopened" and shown["rating"] == 1
    engine.dispatch(ticket, "C1001", actor="op01", seat="s")  # back into the loop


def test_dispute_mediation_follows_the_five_steps(engine):
    dispute = new_ticket(engine, "D1", category="dispute")
    with pytest.raises(IllegalTransition, match="next mediation step is accept, not mediate"):
        engine.mediation_step(dispute, "mediate", actor="med1", seat="s")
    with pytest.raises(IllegalTransition, match="mediate before"):
        engine.conclude_mediation(dispute, "mediated", actor="med1", seat="s")
    for step in ("accept", "investigate", "mediate"):
        engine.mediation_step(dispute, step, actor="med1", seat="s", note=step)
    engine.conclude_mediation(dispute, "mediated", actor="med1", seat="s")
    shown = engine.show(dispute)
    assert [m["step"] for m in shown["mediation"]] == ["accept", "investigate", "mediate"]
    assert shown["mediation_outcome"] == "mediated"
    hazard = new_ticket(engine, "H1")
    with pytest.raises(WorkflowError, match="not a dispute"):
        engine.mediation_step(hazard, "accept", actor="med1", seat="s")


def test_personal_data_is_masked_unless_the_role_allows_and_never_logged(engine, store):
    ticket = engine.intake("12348", [record("L1", category="legal_aid", reporter={
        "name": NAME, "phone": PHONE, "id_number": ID_NUMBER})], actor="op01", seat="s").created[0]
    engine.dispatch(ticket, "D1", actor="op01", seat="s")
    assert engine.show(ticket)["reporter"] == {"name": "张**", "phone": "138****5678",
                                               "id_number": "4****************4"}
    assert engine.list_tickets()[0]["reporter"]["phone"] == "138****5678"
    assert engine.show(ticket, role="dispatcher")["reporter"] == {"name": NAME, "phone": PHONE,
                                                                  "id_number": ID_NUMBER}
    concat = store.dialect.group_concat
    notes_and_names = concat("coalesce(note, '') || \"by\"")
    logged = store.query(f"SELECT {concat('detail')} FROM audit_log")[0][0] + str(
        store.query(f"SELECT {notes_and_names} FROM ticket_timeline")[0][0])
    for secret in (NAME, PHONE, ID_NUMBER):
        assert secret not in logged


def test_migration_2_brings_a_version_1_store_forward(tmp_path, monkeypatch):
    path = tmp_path / "old.gpkg"
    with schema_at(monkeypatch, 1):
        with Store.create(path) as old:
            columns = {r[1] for r in old.query("PRAGMA table_info(tickets)")}
            assert "channel" not in columns and "merged_into" not in columns
            with old.transaction() as tx:
                tx.write_layer("incidents", gpd.GeoDataFrame(
                    {"ticket_id": ["T20260101-000001"], "channel": ["12345"], "category": ["hazard"],
                     "priority": [3], "reported_at": ["2026-01-01T00:00:00Z"], "grid_code": [GRID_A1]},
                    geometry=[shapely.Point(112.01, 32.005)], crs="EPSG:4326"))
                tx.execute("INSERT INTO tickets (ticket_id, state, version) VALUES ('T20260101-000001', 'closed', 7)")
    with Store.open(path) as store:
        assert store.schema_version == migrations.LATEST_VERSION
        assert store.query("SELECT channel, grid_code, reported_at, merged_into FROM tickets") == [
            ("12345", GRID_A1, "2026-01-01T00:00:00Z", None)]
        assert store.count("intake_dead_letters") == 0


def test_every_path_of_the_demo_history_is_legal_in_the_state_machine():
    from data.demo.tickets import PATHS
    from data.workflow.states import refusal

    for name, path in PATHS.items():
        for current, target in zip(path, path[1:]):
            assert refusal(current, target) is None, (name, current, target)
