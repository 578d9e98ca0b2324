"""Sign-in and roles through the command line: `gridsight users`, `--user` with the password from
GRIDSIGHT_PASSWORD, every role's allowed and refused commands (parametrized over the permission
table) and exit code 5 for a refusal, naming the role it needs."""

from __future__ import annotations

import json
import shutil

import pytest

from data import auth
from data.store import Store
from data.storecopy import copy_store
from tests.clirun import run_cli as run
from tests.data.imports_helpers import write_csv
from tests.data.test_auth import PASSWORDS, PEOPLE, READS, _changes, template  # noqa: F401 (a fixture)
from tests.data.test_workflow import make_store, record
from tests.test_cli_init import OSM

NOT_ALLOWED = 5


@pytest.fixture(autouse=True)
def private_cache(monkeypatch, tmp_path):
    """Road graphs cached by imports go to a private folder; no user or password from the caller's shell."""
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    for name in ("GRIDSIGHT_USER", "GRIDSIGHT_PASSWORD", "GRIDSIGHT_NEW_PASSWORD"):
        monkeypatch.delenv(name, raising=False)


@pytest.fixture
def db(template, tmp_path):  # noqa: F811
    path = tmp_path / "city.gpkg"
    shutil.copy(template[0], path)
    return path, template[1]


def _files(folder, store_path) -> dict:
    records = folder / "records.json"
    records.write_text(json.dumps([record("N1")]), encoding="utf-8")
    grids = folder / "grids.geojson"
    with Store.open(store_path) as store:
        store.read_layer("grids").drop(columns=["fid", "chief_id", "version"]).to_file(grids)
    (folder / "roads.osm").write_text(OSM, encoding="utf-8")
    write_csv(folder / "departments.csv", ["部门编码", "部门名称"], [["water", "县水务局"]])
    return {"records": records, "grids": grids, "roads": folder / "roads.osm",
            "departments": folder / "departments.csv"}


# Each action of the permission table as a command: (store, tickets, files) -> argv.
COMMANDS = {
    "ticket.intake": lambda db, t, f: ["ticket", "intake", "--db", db, "--channel", "walk_in", "--json", f["records"]],
    "ticket.dispatch": lambda db, t, f: ["ticket", "dispatch", t[0], "--db", db, "--to", "C1001"],
    "ticket.transfer": lambda db, t, f: ["ticket", "transfer", t[0], "--db", db, "--to", "water", "--hours", "24"],
    "ticket.advance": lambda db, t, f: ["ticket", "advance", t[0], "--db", db, "--to", "escalated"],
    "ticket.rate": lambda db, t, f: ["ticket", "rate", t[1], "--db", db, "--score", "5"],
    "ticket.merge": lambda db, t, f: ["ticket", "merge", t[3], "--db", db, "--into", t[0]],
    "ticket.mediate": lambda db, t, f: ["ticket", "mediate", t[2], "--db", db, "--step", "accept"],
    "ticket.sweep": lambda db, t, f: ["ticket", "sweep", "--db", db, "--now", "2026-12-31T00:00:00Z"],
    "ticket.read": lambda db, t, f: ["ticket", "list", "--db", db],
    "ticket.personal_data": lambda db, t, f: ["ticket", "show", t[0], "--db", db, "--role", "dispatcher"],
    "grids.edit": lambda db, t, f: ["grids", "rollback", "1", "--db", db, "--why", "back"],
    "grids.import": lambda db, t, f: ["grids", "import", f["grids"], "--db", db],
    "roads.import": lambda db, t, f: ["roads", "import", f["roads"], "--db", db, "--force"],
    "layers.import": lambda db, t, f: ["departments", "import", f["departments"], "--db", db],
    "layers.export_secrets": lambda db, t, f: ["cameras", "export", "--db", db, "--out", db.with_suffix(".csv"),
                                               "--with-secrets"],
    "store.init": lambda db, t, f: ["init", "--out", db, "--force", "--grids", f["grids"]],
    "users.manage": lambda db, t, f: ["users", "list", "--db", db],
    "sign_in.switch": lambda db, t, f: ["users", "sign-in", "off", "--db", db],
    "centre.edit": lambda db, t, f: ["centre", "set", "--db", db, "--name", "新中心"],
}


def test_every_action_of_the_permission_table_has_its_command():
    assert set(COMMANDS) == set(auth.PERMISSIONS)


@pytest.mark.parametrize("role", auth.ROLES)
@pytest.mark.parametrize("action", sorted(auth.PERMISSIONS))
def test_each_role_runs_what_the_table_allows_and_is_refused_the_rest_with_exit_5(
        capsys, monkeypatch, db, tmp_path, action, role):
    path, tickets = db
    argv = COMMANDS[action](path, tickets, _files(tmp_path, path)) + ["--user", PEOPLE[role]]
    monkeypatch.setenv("GRIDSIGHT_PASSWORD", PASSWORDS[role])
    with Store.open(path) as store:
        before = _changes(store)
    code, out, err = run(capsys, *argv)
    assert PASSWORDS[role] not in out + err
    if role in auth.PERMISSIONS[action]:
        assert code == 0, err
        if action not in READS | {"users.manage", "store.init"}:  # `users list` reads; init makes a new store
            with Store.open(path) as store:
                newest = store.query("SELECT actor FROM audit_log WHERE action NOT LIKE 'signin%' ORDER BY fid DESC "
                                     "LIMIT 1")
            assert newest == [(PEOPLE[role],)]  # every change's audit row names the signed-in user
        return
    assert code == NOT_ALLOWED and out == ""
    assert err.count("\n") == 1 and f"{PEOPLE[role]} is {role}" in err
    assert all(r in err for r in auth.PERMISSIONS[action] if r != auth.SYSTEM)
    with Store.open(path) as store:
        after = _changes(store)
    assert after[1:] == before[1:] and after[0] == before[0] + 1  # only the sign-in's own audit row


def test_a_change_without_signing_in_is_refused_once_the_store_has_users(capsys, db, tmp_path):
    path, tickets = db
    code, _, err = run(capsys, "ticket", "dispatch", tickets[0], "--db", path, "--to", "C1001")
    assert code == NOT_ALLOWED and "not signed in" in err and "--user" in err
    code, _, err = run(capsys, "ticket", "dispatch", tickets[0], "--db", path, "--to", "C1001",
                       "--user", PEOPLE["dispatcher"])  # no password, no terminal to ask on
    assert code == NOT_ALLOWED and "GRIDSIGHT_PASSWORD" in err


def test_a_wrong_password_exits_5_and_never_says_whether_the_user_exists(capsys, monkeypatch, db):
    path, tickets = db
    monkeypatch.setenv("GRIDSIGHT_PASSWORD", "not-the-password")
    answers = [run(capsys, "ticket", "list", "--db", path, "--user", name) for name in (PEOPLE["leader"], "nobody")]
    assert answers[0] == answers[1] and answers[0][0] == NOT_ALLOWED


def test_the_signed_in_user_and_seat_are_in_the_timeline_and_audit(capsys, monkeypatch, db):
    path, tickets = db
    monkeypatch.setenv("GRIDSIGHT_USER", PEOPLE["dispatcher"])
    monkeypatch.setenv("GRIDSIGHT_PASSWORD", PASSWORDS["dispatcher"])
    assert run(capsys, "ticket", "dispatch", tickets[0], "--db", path, "--to", "C1001", "--actor", "someone-else",
               "--seat", "desk-4")[0] == 0
    code, out, _ = run(capsys, "ticket", "audit", "--db", path, "--ticket", tickets[0], "--json")
    assert (json.loads(out)[-1]["actor"], json.loads(out)[-1]["seat"]) == (PEOPLE["dispatcher"], "desk-4")
    shown = json.loads(run(capsys, "ticket", "show", tickets[0], "--db", path, "--json")[1])
    assert shown["timeline"][-1]["by"] == PEOPLE["dispatcher"] and shown["reporter"]["name"] == "张三"


def test_a_leaders_reads_are_masked_whatever_role_they_ask_for(capsys, monkeypatch, db):
    path, tickets = db
    monkeypatch.setenv("GRIDSIGHT_PASSWORD", PASSWORDS["leader"])
    code, out, _ = run(capsys, "ticket", "show", tickets[0], "--db", path, "--json", "--user", PEOPLE["leader"])
    assert code == 0 and json.loads(out)["reporter"]["name"] == "张*"
    code, _, err = run(capsys, "ticket", "list", "--db", path, "--role", "supervisor", "--user", PEOPLE["leader"])
    assert code == NOT_ALLOWED and "dispatcher or supervisor" in err


def test_users_add_the_first_admin_then_others_and_the_password_is_never_shown(capsys, monkeypatch, tmp_path):
    path = tmp_path / "new.gpkg"
    make_store(path).close()
    secret = "s3cret-密码-long"
    monkeypatch.setenv("GRIDSIGHT_NEW_PASSWORD", secret)
    code, out, err = run(capsys, "users", "add", "ops", "--role", "dispatcher", "--db", path)
    assert code == 2 and "must be an admin" in err
    code, out, err = run(capsys, "users", "add", "boss", "--role", "admin", "--db", path)
    assert code == 0 and "sign-in is now needed" in out
    code, out, err = run(capsys, "users", "add", "ops", "--role", "dispatcher", "--db", path)
    assert code == NOT_ALLOWED and "admin" in err
    monkeypatch.setenv("GRIDSIGHT_PASSWORD", secret)
    outputs = [run(capsys, "users", "add", "ops", "--role", "dispatcher", "--db", path, "--user", "boss"),
               run(capsys, "users", "disable", "ops", "--db", path, "--user", "boss"),
               run(capsys, "users", "list", "--db", path, "--user", "boss", "--json"),
               run(capsys, "users", "passwd", "ops", "--db", path, "--user", "boss"),
               run(capsys, "ticket", "audit", "--db", path, "--user", "boss", "--json")]
    assert [o[0] for o in outputs] == [0, 0, 0, 0, 0]
    listed = {u["username"]: u for u in json.loads(outputs[2][1])}
    assert listed["ops"]["disabled"] and listed["boss"]["role"] == "admin" and "password_hash" not in listed["ops"]
    assert not any(secret in out + err for _, out, err in outputs)
    assert secret.encode() not in path.read_bytes()
    assert [e["action"] for e in json.loads(outputs[4][1]) if e["action"].startswith("users.")] == [
        "users.add", "users.add", "users.disable", "users.passwd"]


def test_sign_in_off_for_a_single_seat_marks_every_audit_row(capsys, monkeypatch, db):
    path, tickets = db
    monkeypatch.setenv("GRIDSIGHT_PASSWORD", PASSWORDS["admin"])
    assert run(capsys, "users", "sign-in", "off", "--db", path, "--user", PEOPLE["admin"])[0] == 0
    monkeypatch.delenv("GRIDSIGHT_PASSWORD")
    assert run(capsys, "ticket", "advance", tickets[0], "--db", path, "--to", "escalated", "--actor", "op07",
               "--seat", "seat3")[0] == 0
    trail = json.loads(run(capsys, "ticket", "audit", "--db", path, "--json")[1])
    assert (trail[-1]["actor"], trail[-1]["seat"]) == ("op07", "seat3 (sign-in off)")
    assert trail[-2]["action"] == "sign_in.off" and trail[-2]["actor"] == PEOPLE["admin"]


def test_the_walls_credentials_file_must_be_readable_by_its_owner_alone(capsys, tmp_path):
    from console.commands import CliError, read_credentials

    path = tmp_path / "wall.cred"
    path.write_text("# the leaders' wall\nuser = lead01\npassword = a = b secret\n", encoding="utf-8")
    for mode in (0o644, 0o640, 0o604):
        path.chmod(mode)
        with pytest.raises(CliError, match="chmod 600"):
            read_credentials(path)
        code, out, err = run(capsys, "wall", "--db", tmp_path / "none.gpkg", "--credentials", path)
        assert code == 2 and "chmod 600" in err and "a = b secret" not in out + err
    path.chmod(0o600)
    assert read_credentials(path) == ("lead01", "a = b secret")
    path.write_text("user = lead01\n", encoding="utf-8")
    with pytest.raises(CliError, match="password = SECRET"):
        read_credentials(path)


@pytest.mark.parametrize("role", ["leader", "analyst", "admin", None])
def test_video_watch_needs_a_role_that_may_take_in_tickets(capsys, monkeypatch, db, tmp_path, role):
    """Its alerts become tickets: refused at once (exit 5, the roles named), before any camera is opened."""
    path, _ = db
    argv = ["video", "watch", "--db", path, "--camera", "C1", "--attachments", tmp_path / "alerts", "--seconds", "1"]
    if role:
        monkeypatch.setenv("GRIDSIGHT_PASSWORD", PASSWORDS[role])
        argv += ["--user", PEOPLE[role]]
    code, out, err = run(capsys, *argv)
    assert code == NOT_ALLOWED and out == "" and err.count("\n") == 1
    assert "ticket.intake" in err and "dispatcher or supervisor" in err
    assert not (tmp_path / "alerts").exists()


def test_sign_in_and_roles_hold_on_a_postgresql_store_which_cannot_switch_sign_in_off(capsys, monkeypatch, db, pg_url):
    path, tickets = db
    with Store.open(path) as source:
        copy_store(source, pg_url, session=auth.Session(PEOPLE["admin"], "admin", "seat1"))
    code, _, err = run(capsys, "ticket", "dispatch", tickets[0], "--db", pg_url, "--to", "C1001")
    assert code == NOT_ALLOWED and "not signed in" in err
    monkeypatch.setenv("GRIDSIGHT_PASSWORD", PASSWORDS["analyst"])
    code, _, err = run(capsys, "ticket", "dispatch", tickets[0], "--db", pg_url, "--to", "C1001",
                       "--user", PEOPLE["analyst"])
    assert code == NOT_ALLOWED and "dispatcher" in err
    monkeypatch.setenv("GRIDSIGHT_PASSWORD", PASSWORDS["dispatcher"])
    assert run(capsys, "ticket", "dispatch", tickets[0], "--db", pg_url, "--to", "C1001", "--user",
               PEOPLE["dispatcher"], "--seat", "desk-2")[0] == 0
    code, out, _ = run(capsys, "ticket", "audit", "--db", pg_url, "--ticket", tickets[0], "--json",
                       "--user", PEOPLE["dispatcher"])
    assert (json.loads(out)[-1]["actor"], json.loads(out)[-1]["seat"]) == (PEOPLE["dispatcher"], "desk-2")
    monkeypatch.setenv("GRIDSIGHT_PASSWORD", PASSWORDS["admin"])
    code, out, _ = run(capsys, "users", "list", "--db", pg_url, "--user", PEOPLE["admin"], "--json")
    assert code == 0 and {u["role"] for u in json.loads(out)} == set(auth.ROLES)
    code, _, err = run(capsys, "users", "sign-in", "off", "--db", pg_url, "--user", PEOPLE["admin"])
    assert code == 2 and "cannot be switched off on a server store" in err
    assert run(capsys, "ticket", "list", "--db", pg_url)[0] == NOT_ALLOWED  # still signs in
