"""`gridsight centre show|set`: the centre's name and timezone, and doctor's fix for a store
without a name."""

from __future__ import annotations

import json

import pytest

from data.store import Store
from tests.clirun import run_cli as run

NAME = "江城市社会治理指挥中心"


@pytest.fixture
def db(tmp_path):
    """A store made before centres were named: no name, the default timezone."""
    path = tmp_path / "city.gpkg"
    Store.create(path).close()
    return str(path)


def shown(capsys, db) -> dict:
    code, out, _ = run(capsys, "centre", "show", "--db", db, "--json")
    assert code == 0
    return json.loads(out)


def test_doctors_fix_for_a_nameless_centre_names_it(capsys, db):
    assert shown(capsys, db) == {"name": None, "timezone": "Asia/Shanghai"}
    assert run(capsys, "centre", "show", "--db", db)[1] == "name      (no name)\ntimezone  Asia/Shanghai\n"
    findings = {f["code"]: f for f in json.loads(run(capsys, "doctor", "--db", db, "--json")[1])}
    fix = findings["no_centre_name"]["fix"]
    assert fix == f"gridsight centre set --name NAME --db {db}"
    argv = fix.split()[1:]
    code, out, _ = run(capsys, *[NAME if word == "NAME" else word for word in argv])
    assert code == 0 and out == f"name      {NAME}\ntimezone  Asia/Shanghai\n"
    findings = {f["code"] for f in json.loads(run(capsys, "doctor", "--db", db, "--json")[1])}
    assert "no_centre_name" not in findings and "no_grids" in findings


def test_set_changes_only_what_it_is_given(capsys, db):
    assert run(capsys, "centre", "set", "--db", db, "--name", f"  {NAME} ")[0] == 0
    code, out, _ = run(capsys, "centre", "set", "--db", db, "--timezone", "Asia/Urumqi", "--json")
    assert code == 0 and json.loads(out) == {"name": NAME, "timezone": "Asia/Urumqi"}
    assert run(capsys, "centre", "set", "--db", db, "--name", "江城指挥中心")[0] == 0
    assert shown(capsys, db) == {"name": "江城指挥中心", "timezone": "Asia/Urumqi"}


@pytest.mark.parametrize("argv, message", [
    (["--timezone", "Beijing"], "unknown timezone 'Beijing'; use an IANA name such as Asia/Shanghai"),
    (["--name", NAME, "--timezone", "UTC+8"], "unknown timezone 'UTC+8'; use an IANA name such as Asia/Shanghai"),
    (["--name", "  "], "--name is empty: give the centre's name"),
    ([], "give --name, --timezone or both"),
])
def test_bad_input_exits_2_with_one_line_and_changes_nothing(capsys, db, argv, message):
    assert run(capsys, "centre", "set", "--db", db, "--name", NAME)[0] == 0
    before = open(db, "rb").read()
    code, out, err = run(capsys, "centre", "set", "--db", db, *argv)
    assert (code, out, err) == (2, "", f"gridsight: {message}\n")
    assert open(db, "rb").read() == before
    assert shown(capsys, db) == {"name": NAME, "timezone": "Asia/Shanghai"}


def test_a_missing_store_is_bad_input(capsys, tmp_path):
    code, _, err = run(capsys, "centre", "show", "--db", str(tmp_path / "nowhere.gpkg"))
    assert code == 2 and err.startswith("gridsight: store ") and "does not exist" in err
