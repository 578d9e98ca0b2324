"""`gridsight doctor`: the store's findings as text or JSON, exit 1 only on an error."""

from __future__ import annotations

import json
import shutil

import pytest

from data.store import Store
from data.storecopy import copy_store
from tests.clirun import run_cli as run
from tests.data.test_doctor import DEMO, NOW, _complete_store


@pytest.fixture
def store(store_location):
    """The complete store, on each backend."""
    return _complete_store(store_location)


def test_the_demo_store_passes_with_warnings_at_most(tmp_path, capsys):
    copy = tmp_path / "demo.gpkg"
    shutil.copy(DEMO, copy)
    code, out, _ = run(capsys, "doctor", "--db", copy, "--json")
    assert code == 0
    assert [f["code"] for f in json.loads(out) if f["severity"] == "error"] == []


def test_the_demo_store_on_postgresql_passes_too(tmp_path, capsys, pg_url):
    with Store.open(shutil.copy(DEMO, tmp_path / "demo.gpkg")) as demo:
        copy_store(demo, pg_url)
    code, out, _ = run(capsys, "doctor", "--db", pg_url, "--json")
    assert code == 0
    assert [f["code"] for f in json.loads(out) if f["severity"] == "error"] == []


def test_a_store_with_an_error_exits_1_and_says_how_to_fix_each_finding(store, capsys):
    with Store.open(store) as opened, opened.transaction() as tx:
        tx.execute("DELETE FROM responders")
        tx.execute("DELETE FROM roads")
    code, out, _ = run(capsys, "doctor", "--db", store, "--now", "2026-07-01T08:00:00Z")
    assert code == 1
    assert out.splitlines() == [
        f"error   [no_responders] no responders: there is nobody to recommend or dispatch"
        f"  — fix: gridsight responders import FILE --db {store}",
        f"warning [no_roads] no roads: recommendations use straight-line distance"
        f"  — fix: gridsight roads import FILE.osm.pbf --db {store}",
        f"warning [grids_without_worker] 3 of 3 grids have no grid worker"
        f"  — fix: gridsight responders import FILE --db {store}",
    ]


def test_positions_are_judged_at_now(store, capsys):
    # The complete store's police reported a minute before NOW (08:00 UTC); +08:00 is the same time.
    assert NOW.isoformat() == "2026-07-01T08:00:00+00:00"
    code, out, _ = run(capsys, "doctor", "--db", store, "--now", "2026-07-01T16:00:00+08:00", "--json")
    assert (code, json.loads(out)) == (0, [])
    code, out, _ = run(capsys, "doctor", "--db", store, "--now", "2026-07-01T10:00:00Z", "--json")
    assert code == 0
    assert [(f["code"], f["count"], f["total"]) for f in json.loads(out)] == [("stale_police_positions", 2, 2)]


@pytest.mark.parametrize("args, message", [
    (["--now", "soon"], "--now 'soon' is not an ISO 8601 time"),
    (["--db", "missing.gpkg"], "does not exist"),
])
def test_bad_input_is_one_line(store, capsys, args, message):
    code, _, err = run(capsys, "doctor", "--db", store, *args)
    assert code == 2 and message in err and len(err.splitlines()) == 1


def test_a_server_store_is_named_without_its_password(capsys, pg_url):
    _complete_store(pg_url)
    code, out, err = run(capsys, "doctor", "--db", pg_url.replace("postgres@", "postgres:s3cret@"),
                         "--now", "2026-07-01T08:00:00Z")
    assert code == 0 and "s3cret" not in out + err
    assert out == f"{pg_url.replace('postgres@', 'postgres:***@')}: nothing missing\n"
