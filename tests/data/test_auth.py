"""Sign-in and roles in the data layer: every role's allowed and refused actions (parametrized over
data.auth.PERMISSIONS, so the tests cannot drift from it), lockout, disabled users, the first user,
the sign-in-off audit marking, and the password kept nowhere in clear."""

from __future__ import annotations

import shutil
from datetime import timedelta

import pytest

from data import auth, gridversions
from data.centre import set_centre
from data.imports import SPECS, import_layer
from data.imports.roads import import_roads
from data.store import Store
from data.workflow import TicketEngine
from data.workflow.clock import ManualClock
from gis import editing
from tests.data.imports_helpers import write_csv
from tests.data.test_workflow import GRID_A1, PHONE, START, make_store, record

PASSWORDS = {role: f"{role}-pass-一二三" for role in auth.ROLES}
PEOPLE = {role: f"{role[:3]}01" for role in auth.ROLES}  # one user per role
SEAT = "seat-7"


@pytest.fixture(scope="module")
def template(tmp_path_factory):
    """A store with tickets made while sign-in was off, then one user of each role."""
    path = tmp_path_factory.mktemp("auth") / "city.gpkg"
    with make_store(path) as store:
        engine = TicketEngine(store, clock=ManualClock(START))
        made = engine.intake("walk_in", [record("R1", reporter={"name": "张三", "phone": PHONE}), record("R2"),
                                         record("R3", category="dispute"), record("R4")],
                             actor="op01", seat="seat1").created
        engine.advance(made[1], "resolved", actor="op01", seat="seat1", note="done")
        gridversions.save(store, editing.set_attributes(store.read_layer("grids"), GRID_A1, name="改名").change,
                          by="ana", why="rename")
        auth.add_user(store, PEOPLE["admin"], "admin", PASSWORDS["admin"], None, START)
        admin = auth.sign_in(store, PEOPLE["admin"], PASSWORDS["admin"], SEAT, START)
        for role in auth.ROLES[:-1]:
            auth.add_user(store, PEOPLE[role], role, PASSWORDS[role], admin, START)
    return path, made


@pytest.fixture
def signed(template, tmp_path):
    """A fresh copy of the template store, its tickets, and a session per role (as sign_in makes them)."""
    path = shutil.copy(template[0], tmp_path / "city.gpkg")
    with Store.open(path) as store:
        yield store, template[1], {role: auth.Session(PEOPLE[role], role, SEAT) for role in auth.ROLES}


def _engine(store, session, days: float = 0):
    return TicketEngine(store, clock=ManualClock(START + timedelta(hours=1, days=days)), session=session)


def _departments_file(folder):
    return write_csv(folder / "departments.csv", ["部门编码", "部门名称"], [["water", "县水务局"]])


# What each action is, done through the data layer: (store, session, tickets, tmp folder) -> None.
DONE = {
    "ticket.intake": lambda s, who, t, d: _engine(s, who).intake("walk_in", [record("N1")], actor="x", seat="y"),
    "ticket.dispatch": lambda s, who, t, d: _engine(s, who).dispatch(t[0], "C1001", actor="x", seat="y"),
    "ticket.transfer": lambda s, who, t, d: _engine(s, who).transfer(
        t[0], "water", START + timedelta(days=2), actor="x", seat="y"),
    "ticket.advance": lambda s, who, t, d: _engine(s, who).advance(t[0], "escalated", actor="x", seat="y"),
    "ticket.rate": lambda s, who, t, d: _engine(s, who).rate(t[1], 5, actor="x", seat="y"),
    "ticket.merge": lambda s, who, t, d: _engine(s, who).merge(t[3], t[0], actor="x", seat="y"),
    "ticket.mediate": lambda s, who, t, d: _engine(s, who).mediation_step(t[2], "accept", actor="x", seat="y"),
    "ticket.sweep": lambda s, who, t, d: _engine(s, who, days=30).sweep(),  # every open ticket overdue
    "ticket.read": lambda s, who, t, d: _engine(s, who).list_tickets(),
    "ticket.personal_data": lambda s, who, t, d: _engine(s, who).show(t[0], role="dispatcher"),
    "grids.edit": lambda s, who, t, d: gridversions.rollback(s, 1, by="x", why="back", session=who),
    "grids.import": lambda s, who, t, d: gridversions.replace_all(
        s, s.read_layer("grids").drop(columns=["chief_id", "version"]), by="x", why="again", session=who),
    "roads.import": lambda s, who, t, d: import_roads(s, s.read_layer("roads").drop(columns="fid"), "roads.osm", who),
    "layers.export_secrets": lambda s, who, t, d: auth.check(s, who, "layers.export_secrets"),  # the CLI's check
    "layers.import": lambda s, who, t, d: import_layer(s, SPECS["departments"], _departments_file(d), session=who),
    "store.init": lambda s, who, t, d: gridversions.replace_all(
        s, s.read_layer("grids").drop(columns=["chief_id", "version"]), by="x", why="init", session=who,
        action="store.init"),
    "users.manage": lambda s, who, t, d: auth.add_user(s, "newbie", "dispatcher", "newbie-pass-1", who, START),
    "sign_in.switch": lambda s, who, t, d: auth.set_sign_in(s, False, who, START),
    "centre.edit": lambda s, who, t, d: set_centre(s, who, name="新中心"),
}
# Actions that only read: refused ones change nothing either way.
READS = {"ticket.read", "ticket.personal_data", "layers.export_secrets"}


def test_every_action_of_the_permission_table_is_exercised():
    assert set(DONE) == set(auth.PERMISSIONS)


def _changes(store) -> tuple:
    return tuple(store.count(t) for t in ("audit_log", "tickets", "ticket_timeline", "users", "grid_changesets",
                                          "departments", "centre"))


@pytest.mark.parametrize("role", auth.ROLES)
@pytest.mark.parametrize("action", sorted(auth.PERMISSIONS))
def test_each_role_may_do_what_the_table_allows_and_nothing_else(signed, tmp_path, action, role):
    store, tickets, sessions = signed
    before = _changes(store)
    if role in auth.PERMISSIONS[action]:
        DONE[action](store, sessions[role], tickets, tmp_path)
        if action not in READS:
            newest = store.query("SELECT actor, seat FROM audit_log ORDER BY fid DESC LIMIT 1")[0]
            assert _changes(store) != before
            assert newest == (PEOPLE[role], SEAT)  # the signed-in user and seat, not the caller's "x"/"y"
    else:
        with pytest.raises(auth.NotAllowed) as refused:
            DONE[action](store, sessions[role], tickets, tmp_path)
        assert f"is {role}" in str(refused.value)
        assert all(r in str(refused.value) for r in auth.PERMISSIONS[action] if r != auth.SYSTEM)
        assert _changes(store) == before


@pytest.mark.parametrize("action", sorted(set(auth.PERMISSIONS) - READS))
def test_no_change_without_signing_in_once_the_store_has_users(signed, tmp_path, action):
    store, tickets, _ = signed
    before = _changes(store)
    with pytest.raises(auth.NotAllowed, match="not signed in"):
        DONE[action](store, None, tickets, tmp_path)
    assert _changes(store) == before


def test_a_leader_reads_every_ticket_with_reporters_masked(signed):
    store, tickets, sessions = signed
    seen = {role: _engine(store, sessions[role]).show(tickets[0])["reporter"]["phone"] for role in auth.ROLES}
    assert seen["dispatcher"] == seen["supervisor"] == PHONE
    assert all(seen[role] == "138****5678" for role in ("leader", "analyst", "admin"))
    assert len(_engine(store, sessions["leader"]).list_tickets()) == len(tickets)


def test_the_system_sweep_runs_without_a_user(signed):
    store, _, _ = signed
    _engine(store, auth.Session.system()).sweep()
    with pytest.raises(auth.NotAllowed):
        _engine(store, auth.Session.system()).dispatch("T20261101-000001", "C1001")


def test_five_failed_sign_ins_lock_for_five_minutes_and_success_resets(signed):
    store, _, _ = signed
    name, password = PEOPLE["dispatcher"], PASSWORDS["dispatcher"]
    clock = ManualClock(START)
    for _ in range(4):
        with pytest.raises(auth.SignInFailed):
            auth.sign_in(store, name, "wrong-password", SEAT, clock())
    assert auth.sign_in(store, name, password, SEAT, clock()).role == "dispatcher"  # resets the count
    for _ in range(5):
        with pytest.raises(auth.SignInFailed):
            auth.sign_in(store, name, "wrong-password", SEAT, clock())
    clock.advance(minutes=4, seconds=59)
    with pytest.raises(auth.SignInFailed) as locked:
        auth.sign_in(store, name, password, SEAT, clock())  # even the right password, while locked
    with pytest.raises(auth.SignInFailed) as unknown:
        auth.sign_in(store, "nobody", password, SEAT, clock())
    assert str(locked.value) == str(unknown.value)  # never says whether the user exists
    clock.advance(seconds=2)
    assert auth.sign_in(store, name, password, SEAT, clock()).username == name
    assert store.query("SELECT failed_signins, locked_until FROM users WHERE username = ?", (name,)) == [(0, None)]
    actions = [a for (a,) in store.query("SELECT action FROM audit_log WHERE subject = ? AND action LIKE ?",
                                         (name, "signin%"))]
    assert actions.count("signin.locked") == 1 and actions.count("signin") == 2


def test_a_disabled_user_cannot_sign_in_nor_keep_acting(signed):
    store, tickets, sessions = signed
    admin, name = sessions["admin"], PEOPLE["dispatcher"]
    auth.set_disabled(store, name, True, admin, START)
    with pytest.raises(auth.SignInFailed):
        auth.sign_in(store, name, PASSWORDS["dispatcher"], SEAT, START)
    with pytest.raises(auth.NotAllowed, match="not signed in"):  # a session opened before is refused too
        _engine(store, sessions["dispatcher"]).dispatch(tickets[0], "C1001")
    auth.set_disabled(store, name, False, admin, START)
    assert auth.sign_in(store, name, PASSWORDS["dispatcher"], SEAT, START).role == "dispatcher"
    with pytest.raises(auth.UserError, match="last admin"):
        auth.set_disabled(store, PEOPLE["admin"], True, admin, START)


def test_the_first_user_needs_no_sign_in_and_must_be_an_admin(tmp_path):
    with make_store(tmp_path / "new.gpkg") as store:
        with pytest.raises(auth.UserError, match="must be an admin"):
            auth.add_user(store, "ops", "dispatcher", "long-enough-1", None, START)
        assert store.count("users") == 0
        auth.add_user(store, "boss", "admin", "long-enough-1", None, START)
        with pytest.raises(auth.NotAllowed, match="needs a signed-in admin"):
            auth.add_user(store, "ops", "dispatcher", "long-enough-1", None, START)
        assert store.query("SELECT actor, action, seat FROM audit_log") == [("boss", "users.add", "(sign-in off)")]


def test_a_user_changes_their_own_password_but_not_anothers(signed):
    store, _, sessions = signed
    me = sessions["dispatcher"]
    auth.set_password(store, me.username, "my-new-pass-1", me, START)
    assert auth.sign_in(store, me.username, "my-new-pass-1", SEAT, START).username == me.username
    with pytest.raises(auth.NotAllowed):
        auth.set_password(store, PEOPLE["leader"], "stolen-pass-1", me, START)


def test_the_password_is_nowhere_in_the_store_in_clear(signed, tmp_path):
    store, _, sessions = signed
    secret = "correct horse 电池 staple"
    auth.add_user(store, "carol", "analyst", secret, sessions["admin"], START)
    auth.sign_in(store, "carol", secret, SEAT, START)
    with pytest.raises(auth.SignInFailed):
        auth.sign_in(store, "carol", secret + "x", SEAT, START)
    store.close()
    files = [p for p in tmp_path.iterdir() if p.name.startswith("city.gpkg")]
    for encoded in (secret.encode("utf-8"), secret.encode("utf-16-le")):
        assert not any(encoded in p.read_bytes() for p in files)
    hashed = Store.open(tmp_path / "city.gpkg").query("SELECT password_hash FROM users WHERE username = 'carol'")
    assert hashed[0][0].startswith("$argon2id$")


def test_with_sign_in_off_the_caller_names_the_actor_and_the_audit_says_so(tmp_path):
    with make_store(tmp_path / "single.gpkg") as store:
        ticket = TicketEngine(store).intake("walk_in", [record("R1")], actor="op07", seat="seat3").created[0]
        assert store.query("SELECT actor, seat FROM audit_log WHERE subject = ?", (ticket,)) == [
            ("op07", "seat3 (sign-in off)")]
        gridversions.save(store, editing.set_attributes(store.read_layer("grids"), GRID_A1, name="新名").change,
                          by="分析员王", why="rename")
        assert store.query("SELECT actor, seat FROM audit_log WHERE action LIKE 'grids.%'") == [
            ("分析员王", "(sign-in off)")]
        auth.add_user(store, "boss", "admin", "long-enough-1", None, START)
        with pytest.raises(auth.NotAllowed, match="not signed in"):
            TicketEngine(store).advance(ticket, "escalated", actor="op07", seat="seat3")
        boss = auth.sign_in(store, "boss", "long-enough-1", "desk", START)
        auth.set_sign_in(store, False, boss, START)  # a single seat: the admin switches sign-in off
        TicketEngine(store).advance(ticket, "escalated", actor="op07", seat="seat3")
        assert store.query("SELECT actor, action, seat FROM audit_log ORDER BY fid DESC LIMIT 2") == [
            ("op07", "registered->escalated", "seat3 (sign-in off)"), ("boss", "sign_in.off", "desk")]
        auth.set_sign_in(store, True, boss, START)
        with pytest.raises(auth.NotAllowed):
            TicketEngine(store).advance(ticket, "returned", actor="op07", seat="seat3")


def test_a_server_store_cannot_switch_sign_in_off(signed):
    store, _, sessions = signed

    class ServerStore:  # what data.auth sees of a PostgreSQL store: a URL, the same queries
        url = "postgresql://gridsight@db.example/centre"
        query = staticmethod(store.query)
        transaction = staticmethod(store.transaction)

    with pytest.raises(auth.UserError, match="server store"):
        auth.set_sign_in(ServerStore(), False, sessions["admin"], START)
    with store.transaction() as tx:
        tx.execute("INSERT INTO centre (key, value) VALUES (?, ?)", (auth.SIGN_IN_KEY, "off"))
    assert not auth.sign_in_required(store) and auth.sign_in_required(ServerStore())


def test_a_windows_session_bound_to_the_store_is_the_one_its_changes_are_made_in(signed):
    store, _, sessions = signed
    grids = store.read_layer("grids")
    auth.bind(store, sessions["leader"])
    with pytest.raises(auth.NotAllowed, match="lea01 is leader"):
        gridversions.save(store, editing.set_attributes(grids, GRID_A1, name="再改").change, by="x", why="w")
    auth.bind(store, sessions["analyst"])  # the editor's model saves without naming a session
    changeset = gridversions.save(store, editing.set_attributes(grids, GRID_A1, name="再改").change, by="x", why="w")
    assert store.query("SELECT by FROM grid_changesets WHERE changeset_id = ?", (changeset,)) == [("ana01",)]
