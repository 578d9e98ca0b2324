"""TicketChanges: the tickets changed since the last poll, from any seat, read through the logs' rowids."""

from __future__ import annotations

import pytest

from data.store import Store
from data.workflow import TicketEngine
from data.workflow import changes as changes_module
from data.workflow.changes import CHANGE_COLUMNS, TicketChanges
from tests.data.backends import full_scans
from tests.data.test_workflow import GRID_B1, INSIDE, clock, engine, new_ticket, store  # noqa: F401


@pytest.fixture
def changes(store):  # noqa: F811
    watcher = TicketChanges(store)
    assert watcher.poll().empty  # the first poll only notes where the logs end
    return watcher


def test_first_poll_returns_nothing_even_with_history(engine, store):  # noqa: F811
    new_ticket(engine, "OLD")
    watcher = TicketChanges(store)
    first = watcher.poll()
    assert first.empty and list(first.columns) == list(CHANGE_COLUMNS)
    assert watcher.poll().empty


def test_a_new_ticket_arrives_once_with_where_it_is_and_what_the_map_shows(engine, changes):  # noqa: F811
    ticket = new_ticket(engine, "R1", grid=GRID_B1)
    rows = changes.poll()
    assert rows["ticket_id"].tolist() == [ticket]
    row = rows.iloc[0]
    assert (row["lon"], row["lat"]) == pytest.approx(INSIDE[GRID_B1])
    assert row["state"] == "registered" and row["version"] == 2 and row["grid_code"] == GRID_B1
    assert row["category"] == "hazard" and row["channel"] == "walk_in" and row["priority"] == 3
    assert bool(row["new"]) and bool(row["open"]) and not row["overdue"] and not row["escalated"]
    assert changes.poll().empty


def test_state_changes_come_as_one_row_per_ticket_in_the_order_they_happened(engine, changes):  # noqa: F811
    first, second = new_ticket(engine, "R1"), new_ticket(engine, "R2")
    changes.poll()
    engine.dispatch(second, "C1001", actor="op01", seat="s")
    engine.advance(second, "accepted", actor="C1001", seat="s")
    engine.advance(first, "escalated", actor="op01", seat="s")
    rows = changes.poll()
    assert rows["ticket_id"].tolist() == [second, first]
    assert rows["state"].tolist() == ["accepted", "escalated"]
    assert rows["version"].tolist() == [4, 3]
    assert not rows["new"].any()
    assert rows["escalated"].tolist() == [False, True]


def test_a_finished_ticket_is_reported_as_no_longer_open(engine, changes):  # noqa: F811
    first, second = new_ticket(engine, "R1"), new_ticket(engine, "R2")
    engine.merge(second, first, actor="op01", seat="s")
    rows = changes.poll().set_index("ticket_id")
    assert bool(rows.loc[first, "open"]) and not rows.loc[second, "open"]
    assert rows.loc[second, "state"] == "merged"


def test_a_warning_without_a_state_change_is_still_a_change(engine, clock, changes):  # noqa: F811
    ticket = new_ticket(engine, "R1", priority=1)  # a 2-hour hazard
    changes.poll()
    clock.advance(hours=3)  # past the deadline: red, so escalated one level with a new deadline
    engine.sweep()
    row = changes.poll().iloc[0]
    assert row["ticket_id"] == ticket and row["state"] == "escalated" and bool(row["escalated"])
    # A yellow tier is only an audit entry, no timeline row; the watcher sees it all the same.
    other = new_ticket(engine, "R2", priority=2)  # 12 hours from the report, 3 hours ago
    changes.poll()
    clock.advance(hours=4)
    assert engine.sweep().warnings == [{"ticket": other, "level": "yellow"}]
    rows = changes.poll()
    assert rows["ticket_id"].tolist() == [other] and rows["warning_level"].tolist() == [1]


def test_changes_made_by_another_seat_are_seen(engine, store, clock, changes):  # noqa: F811
    with Store.open(store.location) as other_seat:
        ticket = new_ticket(TicketEngine(other_seat, clock=clock), "R9")
    assert changes.poll()["ticket_id"].tolist() == [ticket]


def test_polling_reads_only_the_new_rows_through_the_primary_key(store):  # noqa: F811
    logs = [(f"SELECT fid FROM {table} WHERE fid > ? ORDER BY fid", (0,)) for table in ("ticket_timeline", "audit_log")]
    tickets = [(f"SELECT fid FROM {table} WHERE ticket_id IN (?, ?)", ("a", "b")) for table in ("tickets", "incidents")]
    for sql, params in logs + tickets:
        assert full_scans(store, sql, params) == [], sql
    if store.dialect.name != "sqlite":
        return
    # ... and on the GeoPackage through the very index meant (PostgreSQL's plan names its own).
    for sql, params in logs:
        plan = " ".join(str(r[-1]) for r in store.query(f"EXPLAIN QUERY PLAN {sql}", params))
        assert "INTEGER PRIMARY KEY (rowid>?)" in plan, plan
    for sql, params in tickets:
        plan = " ".join(str(r[-1]) for r in store.query(f"EXPLAIN QUERY PLAN {sql}", params))
        assert "INDEX" in plan and "(ticket_id=?)" in plan, plan


def test_rows_reads_given_tickets_like_a_poll_and_skips_unknown_ids(engine, changes):  # noqa: F811
    first, second = new_ticket(engine, "R1"), new_ticket(engine, "R2")
    rows = changes.rows([second, "T-NOPE", first], received={second})
    assert rows["ticket_id"].tolist() == [second, first]
    assert rows["new"].tolist() == [True, False]
    assert rows.drop(columns="new").equals(changes.poll().set_index("ticket_id").loc[[second, first]]
                                           .reset_index().drop(columns="new"))


def _logged_by_hand(store, fid: int, ticket: str) -> None:
    """An audit row with its fid given, as a client outside gridsight might commit it."""
    with store.transaction() as tx:
        tx.execute("INSERT INTO audit_log (fid, at, actor, action, subject) VALUES (?, '2026-01-01', 'qgis', "
                   "'edit', ?)", (fid, ticket))


def test_a_row_committed_late_below_the_cursor_is_still_read(engine, store, changes):  # noqa: F811
    """A writer that bypasses the store's lock (QGIS) may commit fid 41 after 42 was read."""
    first, second = new_ticket(engine, "R1"), new_ticket(engine, "R2")
    changes.poll()
    base = store.query("SELECT coalesce(max(fid), 0) FROM audit_log")[0][0] + 1000  # clear of the sequence
    _logged_by_hand(store, base + 2, first)
    assert changes.poll()["ticket_id"].tolist() == [first]
    _logged_by_hand(store, base + 1, second)  # committed after base + 2 was read
    assert changes.poll()["ticket_id"].tolist() == [second]
    assert changes.poll().empty  # read once, not again


def test_gaps_are_given_up_after_a_while(engine, store):  # noqa: F811
    now = [0.0]
    changes = TicketChanges(store, clock=lambda: now[0])
    ticket = new_ticket(engine, "R1")
    changes.poll()
    base = store.query("SELECT coalesce(max(fid), 0) FROM audit_log")[0][0] + 1000
    _logged_by_hand(store, base + 50, ticket)
    changes.poll()
    assert len(changes._audit.gaps) >= 49
    now[0] = changes_module.GAP_SECONDS + 1
    _logged_by_hand(store, base + 45, ticket)
    assert changes.poll().empty and not changes._audit.gaps
