"""`gridsight ticket` and `gridsight stats`: the contract in docs/cli-tickets.md."""

from __future__ import annotations

import io
import json

import pytest

from data.store import Store
from tests.clirun import run_cli as run
from tests.data.backends import BACKENDS, new_location
from tests.data.test_workflow import GRID_A1, GRID_B1, PHONE, make_store, record
from tests.data.test_workflow_transfer import DEPARTMENTS, add_departments


@pytest.fixture(params=BACKENDS)
def db(request, tmp_path):
    """The tiny territory's store, once on each backend: what --db is given."""
    location = new_location(request, tmp_path)
    make_store(location).close()
    return location


def intake(capsys, db, tmp_path, records, channel="12345", *extra) -> tuple[int, dict]:
    source = tmp_path / "records.json"
    source.write_text(json.dumps(records, ensure_ascii=False), encoding="utf-8")
    code, out, _ = run(capsys, "ticket", "intake", "--db", db, "--channel", channel, "--json", str(source), *extra)
    return code, json.loads(out)


def test_intake_show_and_the_whole_loop(capsys, db, tmp_path):
    code, result = intake(capsys, db, tmp_path, [record("A", reporter={"name": "张三", "phone": PHONE}),
                                                 record("B", lon="x")])
    assert code == 0
    ticket = result["created"][0]
    assert result["duplicates"] == [] and result["rejected"][0]["record_id"] == "B"
    assert set(result) >= {"created", "duplicates", "rejected"}
    common = ["--db", db, "--actor", "op07", "--seat", "seat3"]
    assert run(capsys, "ticket", "dispatch", ticket, *common, "--to", "C1001", "--helpers", "P1", "--version", "2")[0] == 0
    for state in ("accepted", "on_site", "resolved", "closed"):
        assert run(capsys, "ticket", "advance", ticket, *common, "--to", state)[0] == 0
    assert run(capsys, "ticket", "rate", ticket, *common, "--score", "4")[0] == 0
    code, out, _ = run(capsys, "ticket", "show", ticket, "--db", db, "--json")
    shown = json.loads(out)
    assert {"id", "state", "version", "grid", "assignees", "deadline", "timeline"} <= set(shown)
    assert shown["state"] == "closed" and shown["grid"] == GRID_A1 and shown["rating"] == 4
    assert shown["assignees"] == {"lead": "C1001", "helpers": ["P1"]}
    assert [s["state"] for s in shown["timeline"]] == [
        "received", "registered", "dispatched", "accepted", "on_site", "resolved", "closed"]
    assert all({"state", "at", "by"} <= set(s) for s in shown["timeline"])
    assert shown["timeline"][2]["by"] == "op07" and shown["timeline"][2]["seat"] == "seat3"
    assert shown["reporter"]["phone"] == "138****5678"
    code, out, _ = run(capsys, "ticket", "show", ticket, "--db", db)
    assert ticket in out and PHONE not in out and "138****5678" in out
    code, out, _ = run(capsys, "ticket", "show", ticket, "--db", db, "--json", "--role", "dispatcher")
    assert json.loads(out)["reporter"]["phone"] == PHONE


def test_the_same_input_twice_reports_duplicates(capsys, db, tmp_path):
    _, first = intake(capsys, db, tmp_path, record("A"))  # a single object is accepted too
    code, again = intake(capsys, db, tmp_path, [record("A")])
    assert code == 0 and again["created"] == [] and again["duplicates"] == first["created"]


def test_intake_fails_only_when_nothing_valid_came_in(capsys, db, tmp_path):
    code, result = intake(capsys, db, tmp_path, [record("A", category="weather")])
    assert code != 0 and result["created"] == [] and "unknown category" in result["rejected"][0]["reason"]
    code, out, _ = run(capsys, "ticket", "dead-letters", "--db", db, "--json")
    assert json.loads(out)[0]["record_id"] == "A"


def test_invalid_utf8_in_the_input_rejects_only_its_record(capsys, db, tmp_path, monkeypatch):
    good = json.dumps(record("good")).encode()
    bad = json.dumps(record("bad", description="@@")).encode().replace(b"@@", b"\xff\xfe")
    monkeypatch.setattr("sys.stdin", io.TextIOWrapper(io.BytesIO(b"[" + good + b"," + bad + b"]")))
    code, out, _ = run(capsys, "ticket", "intake", "--db", db, "--channel", "walk_in", "--json", "-")
    result = json.loads(out)
    assert code == 0 and len(result["created"]) == 1
    assert result["rejected"] == [{"record_id": "bad", "reason": "field 'description' is not valid UTF-8"}]


@pytest.mark.parametrize("argv, message", [
    (["ticket", "advance", "T20261101-000001", "--to", "closed"], "cannot go from registered to closed"),
    (["ticket", "advance", "T20261101-000009", "--to", "accepted"], "no ticket T20261101-000009"),
    (["ticket", "dispatch", "T20261101-000001", "--to", "C1001", "--version", "1"], "changed by someone else"),
    (["ticket", "dispatch", "T20261101-000001", "--to", "NOBODY"], "no responder NOBODY"),
    (["ticket", "merge", "T20261101-000001", "--into", "T20261101-000001"], "cannot be merged into itself"),
    (["ticket", "list", "--now", "soon"], "--now 'soon' is not an ISO 8601 time"),
])
def test_a_refused_command_exits_non_zero_with_one_line_and_changes_nothing(capsys, db, tmp_path, argv, message):
    intake(capsys, db, tmp_path, [record("A")])
    before = run(capsys, "ticket", "show", "T20261101-000001", "--db", db, "--json")[1]
    code, out, err = run(capsys, *argv, "--db", db)
    assert code != 0 and out == ""
    assert message in err and err.count("\n") == 1
    assert run(capsys, "ticket", "show", "T20261101-000001", "--db", db, "--json")[1] == before


def test_bad_input_files_get_one_line(capsys, db, tmp_path):
    broken = tmp_path / "broken.json"
    broken.write_text("[{")
    code, _, err = run(capsys, "ticket", "intake", "--db", db, "--channel", "12345", "--json", str(broken))
    assert code == 2 and "is not valid JSON" in err and err.count("\n") == 1
    code, _, err = run(capsys, "ticket", "intake", "--db", db, "--channel", "12345", "--json", str(tmp_path / "no"))
    assert code == 2 and "cannot read" in err


def test_overdue_list_sweep_escalation_and_stats(capsys, db, tmp_path):
    _, result = intake(capsys, db, tmp_path, [record("A", category="dispute", priority=2),
                                              record("B", grid=GRID_B1)])
    urgent = result["created"][0]
    later = "2026-11-02T12:00:00+08:00"  # 26 h after the report: the 24 h dispute is overdue
    code, out, _ = run(capsys, "ticket", "list", "--db", db, "--overdue", "--json", "--now", later)
    assert [t["id"] for t in json.loads(out)] == [urgent]
    code, out, _ = run(capsys, "ticket", "sweep", "--db", db, "--json", "--now", later)
    swept = json.loads(out)
    assert swept["escalations"] == [{"ticket": urgent, "to": "village"}]
    assert {"ticket": result["created"][1], "level": "yellow"} in swept["warnings"]
    code, out, _ = run(capsys, "ticket", "list", "--db", db, "--state", "escalated", "--now", later)
    assert urgent in out and result["created"][1] not in out
    code, out, _ = run(capsys, "stats", "--db", db, "--by", "grid", "--json", "--now", later)
    rows = {row["grid"]: row for row in json.loads(out)}
    assert rows[GRID_A1]["tickets"] == 1 and rows[GRID_B1]["tickets"] == 1
    code, out, _ = run(capsys, "stats", "--db", db)
    assert code == 0 and out.splitlines()[1].split()[:2] == ["all", "2"]


def test_transfer_merge_and_mediation_from_the_command_line(capsys, db, tmp_path):
    _, result = intake(capsys, db, tmp_path, [record("A", category="dispute"), record("B", category="dispute")])
    first, second = result["created"]
    code, out, _ = run(capsys, "ticket", "transfer", first, "--db", db, "--to", "justice", "--hours", "48",
                       "--now", "2026-11-01T12:00:00+08:00", "--json")
    assert json.loads(out) == {"id": first, "version": 3}
    assert run(capsys, "ticket", "mediate", first, "--db", db, "--step", "accept")[0] == 0
    code, _, err = run(capsys, "ticket", "mediate", first, "--db", db, "--outcome", "mediated")
    assert code == 1 and "mediate before" in err
    assert run(capsys, "ticket", "merge", second, "--db", db, "--into", first)[0] == 0
    shown = json.loads(run(capsys, "ticket", "show", second, "--db", db, "--json")[1])
    assert shown["state"] == "merged" and shown["merged_into"] == first


def test_repeat_callers_are_listed_masked(capsys, db, tmp_path):
    intake(capsys, db, tmp_path, [record(str(i), reporter={"phone": PHONE}) for i in range(3)])
    code, out, _ = run(capsys, "ticket", "repeats", "--db", db, "--json", "--now", "2026-11-02T00:00:00Z")
    found = json.loads(out)
    assert found["callers"] == [{"phone": "138****5678", "calls": 3}]
    assert found["places"] == [{"grid": GRID_A1, "category": "hazard", "tickets": 3}]


def test_the_audit_trail_reads_back_every_change_without_personal_data(capsys, db, tmp_path):
    _, result = intake(capsys, db, tmp_path, [record("A", reporter={"name": "张三", "phone": PHONE})])
    ticket = result["created"][0]
    common = ["--db", db, "--actor", "op07", "--seat", "seat3"]
    assert run(capsys, "ticket", "dispatch", ticket, *common, "--to", "C1001", "--version", "2")[0] == 0
    assert run(capsys, "ticket", "advance", ticket, *common, "--to", "accepted")[0] == 0
    code, out, _ = run(capsys, "ticket", "audit", "--db", db, "--ticket", ticket, "--json")
    trail = json.loads(out)
    assert code == 0
    assert [e["action"] for e in trail] == ["intake", "registered->dispatched", "dispatched->accepted"]
    assert all(e["subject"] == ticket for e in trail)
    assert trail[1]["detail"]["changes"]["lead_id"] == "C1001" and trail[2]["detail"]["version"] == 4
    assert [e["actor"] for e in trail][-2:] == ["op07", "op07"]
    assert trail == sorted(trail, key=lambda e: e["at"])
    code, out, _ = run(capsys, "ticket", "audit", "--db", db, "--ticket", ticket)
    assert code == 0 and PHONE not in out and "张三" not in out and ticket in out


def test_transfer_takes_a_department_id_or_its_exact_name_and_refuses_others(capsys, db, tmp_path):
    with Store.open(db) as store:
        add_departments(store)
    _, result = intake(capsys, db, tmp_path, [record("A"), record("B"), record("C")])
    by_id, by_name, refused = result["created"]
    common = ["--db", db, "--hours", "24", "--json"]
    assert run(capsys, "ticket", "transfer", by_id, *common, "--to", "county_water")[0] == 0
    assert run(capsys, "ticket", "transfer", by_name, *common, "--to", "康隆社区工作站")[0] == 0
    shown = {t["id"]: t for t in json.loads(run(capsys, "ticket", "list", "--db", db, "--json")[1])}
    assert shown[by_id]["department"] == "county_water" and shown[by_name]["department"] == "kanglong_office"
    version = shown[refused]["version"]
    code, out, err = run(capsys, "ticket", "transfer", refused, *common, "--to", "城管")
    assert code == 1 and out == ""
    assert err == ("gridsight: no department '城管' in the store; its departments are "
                   + ", ".join(d[0] for d in DEPARTMENTS) + "\n")
    code, _, err = run(capsys, "ticket", "transfer", refused, *common, "--to", "C1001")
    assert code == 1 and err == ("gridsight: C1001 is a grid worker, not a department: "
                                 "dispatch sends a ticket to responders\n")
    after = json.loads(run(capsys, "ticket", "show", refused, "--db", db, "--json")[1])
    assert (after["state"], after["version"], after["department"]) == (shown[refused]["state"], version, None)


def test_a_name_that_several_departments_share_asks_for_the_id(capsys, db, tmp_path):
    with Store.open(db) as store:
        add_departments(store, [("a_office", "城管中队", None, None), ("b_office", "城管中队", None, None)])
    _, result = intake(capsys, db, tmp_path, [record("A")])
    code, _, err = run(capsys, "ticket", "transfer", result["created"][0], "--db", db, "--hours", "24",
                       "--to", "城管中队")
    assert code == 1 and err == "gridsight: 2 departments are named 城管中队: a_office, b_office; give its id\n"
