"""Two seats (two processes) dispatch the same ticket at the same version, on each backend:
exactly one wins, the other is refused with a conflict naming who did it, and the ticket, its
timeline and its audit hold the winner's change alone."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from data.store import Store
from data.workflow import TicketEngine
from data.workflow.clock import ManualClock
from tests.data.backends import BACKENDS, new_location
from tests.data.test_workflow import START, make_store, new_ticket

ROOT = Path(__file__).resolve().parents[2]

SEAT = textwrap.dedent("""
    import json, sys
    from data.store import Store
    from data.workflow import TicketEngine, VersionConflict
    location, ticket, lead, number = sys.argv[1:]
    with Store.open(location) as store:
        engine = TicketEngine(store)
        version = engine.show(ticket)["version"]
        print("ready", flush=True)
        sys.stdin.readline()  # both press dispatch at once
        try:
            outcome = {"version": engine.dispatch(ticket, lead, actor=f"op{number}", seat=f"seat{number}",
                                                  expected_version=version)}
        except VersionConflict as err:
            outcome = {"conflict": str(err), "by": err.by, "seat": err.seat}
        print(json.dumps(outcome), flush=True)
""")


@pytest.fixture(params=BACKENDS)
def location(request, tmp_path) -> str:
    return new_location(request, tmp_path)


def test_two_seat_processes_dispatching_one_version_one_wins_the_other_is_told_who(location):
    with make_store(location) as store:
        ticket = new_ticket(TicketEngine(store, clock=ManualClock(START)))
    seats = [subprocess.Popen([sys.executable, "-c", SEAT, location, ticket, lead, str(number)], cwd=ROOT,
                              stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True,
                              env={**os.environ, "PYTHONPATH": str(ROOT)})
             for number, lead in enumerate(("C1001", "P1"))]
    try:
        for seat in seats:
            assert seat.stdout.readline().strip() == "ready"
        for seat in seats:
            seat.stdin.write("go\n")
            seat.stdin.flush()
        outcomes = [json.loads(seat.stdout.readline()) for seat in seats]
    finally:
        for seat in seats:
            seat.stdin.close()
            seat.wait(timeout=30)
            seat.stdout.close()
    winners = [n for n, outcome in enumerate(outcomes) if outcome.get("version") == 3]
    assert len(winners) == 1, outcomes
    winner, loser = winners[0], 1 - winners[0]
    assert f"it is now version 3 (dispatched), by op{winner} at seat{winner}" in outcomes[loser]["conflict"]
    assert (outcomes[loser]["by"], outcomes[loser]["seat"]) == (f"op{winner}", f"seat{winner}")
    with Store.open(location) as store:
        shown = TicketEngine(store).show(ticket)
        assert shown["version"] == 3 and shown["assignees"]["lead"] == ("C1001", "P1")[winner]
        assert [s["state"] for s in shown["timeline"]].count("dispatched") == 1
        actors = [actor for (actor,) in store.query("SELECT actor FROM audit_log WHERE subject = ? ORDER BY fid",
                                                    (ticket,))]
        assert actors[1:] == [f"op{winner}"]  # after the intake's row: the winner's alone
