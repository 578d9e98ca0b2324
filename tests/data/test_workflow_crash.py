"""Nothing lost, nothing half-applied: a process killed with SIGKILL in the middle of a
burst of intake and dispatches leaves every committed ticket and transition, and no
partial one. The killed process reports each commit on stdout right after it returns. On
PostgreSQL the server rolls back what the dead client left open; on the GeoPackage the WAL does."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from data.store import Store
from tests.data.backends import BACKENDS, new_location
from tests.data.test_workflow import GRID_A1, INSIDE, make_store

ROOT = Path(__file__).resolve().parents[2]

BURST = textwrap.dedent(f"""
    import sys
    from data.store import Store
    from data.workflow import TicketEngine, IllegalTransition
    store = Store.open(sys.argv[1])
    engine = TicketEngine(store)
    print("ready", flush=True)
    for batch in range(10_000):
        records = [{{"record_id": f"R{{batch}}-{{i}}", "category": "hazard", "lon": {INSIDE[GRID_A1][0]} + i * 1e-4,
                    "lat": {INSIDE[GRID_A1][1]}, "reporter": {{"name": "王五", "phone": "13700000000"}}}}
                   for i in range(3)]
        result = engine.intake("12345", records, actor="op", seat="burst")
        print("intake", *result.created, flush=True)
        for ticket in result.created:
            version = engine.dispatch(ticket, "C1001", actor="op", seat="burst")
            print("dispatch", ticket, version, flush=True)
""")


def _burst_until_killed(location: str, commits: int) -> list[list[str]]:
    """Run the burst, SIGKILL it once it has reported `commits` commits; the lines it reported."""
    process = subprocess.Popen([sys.executable, "-c", BURST, location], cwd=ROOT, stdout=subprocess.PIPE,
                               text=True, env={**os.environ, "PYTHONPATH": str(ROOT)})
    lines = []
    try:
        assert process.stdout.readline().strip() == "ready"
        while len(lines) < commits:
            line = process.stdout.readline()
            assert line, "the burst stopped by itself"
            lines.append(line.split())
    finally:
        os.kill(process.pid, signal.SIGKILL)
        process.wait()
        process.stdout.close()
    return lines


def _check_consistent(store: Store) -> None:
    if store.dialect.name == "sqlite":  # the file itself; a server keeps its own pages whole
        assert store.query("PRAGMA integrity_check") == [("ok",)]
    # Per ticket: the version counts its timeline entries, the state is the last of them, one incident
    # and one audit entry for the intake plus one per later transition.
    bad = store.query("""
        SELECT t.ticket_id FROM tickets t
        WHERE t.version != (SELECT count(*) FROM ticket_timeline l WHERE l.ticket_id = t.ticket_id)
           OR t.state != (SELECT state FROM ticket_timeline l WHERE l.ticket_id = t.ticket_id ORDER BY fid DESC LIMIT 1)
           OR (SELECT count(*) FROM incidents i WHERE i.ticket_id = t.ticket_id) != 1
           OR (SELECT count(*) FROM audit_log a WHERE a.subject = t.ticket_id) != t.version - 1
    """)
    assert bad == []
    assert store.query("SELECT count(*) FROM ticket_timeline l LEFT JOIN tickets t USING (ticket_id) "
                       "WHERE t.ticket_id IS NULL") == [(0,)]
    assert store.query("SELECT count(*) = count(DISTINCT record_id) FROM tickets") == [(1,)]


@pytest.fixture(params=BACKENDS)
def location(request, tmp_path) -> str:
    return new_location(request, tmp_path)


def test_sigkill_mid_burst_loses_no_commit_and_leaves_nothing_half_done(location):
    make_store(location).close()
    reported: list[list[str]] = []
    for commits in (23, 37):  # kill twice; the second run resends the same records after the crash
        reported += _burst_until_killed(location, commits)
        with Store.open(location) as store:
            _check_consistent(store)
            states = dict(store.query("SELECT ticket_id, state FROM tickets"))
            versions = dict(store.query("SELECT ticket_id, version FROM tickets"))
        for kind, *rest in reported:
            if kind == "intake":
                assert all(ticket in states for ticket in rest)
            else:
                ticket, version = rest
                assert states[ticket] == "dispatched" and versions[ticket] == int(version)
    # The second run found the first run's records already taken in and made no second ticket for them.
    assert len(states) == len({t for kind, *rest in reported if kind == "intake" for t in rest})
