"""Sign-in and roles, enforced in the data layer so that the console, the wall, the editor and
the command line obey the same rules. No Qt.

Roles and what each may do (PERMISSIONS below is the one place; docs/roles.md explains it):

                                          dispatcher supervisor leader analyst admin system
ticket.intake .dispatch .transfer .advance
  (escalate too) .rate .merge .mediate         x          x
ticket.sweep (SLA warnings, escalations)                  x                       x      x
ticket.read (reporters masked)                 x          x        x       x      x
ticket.personal_data (reporters in full)       x          x
grids.edit (editor saves, rollbacks),
  grids.import, roads.import, layers.import,
  store.init, layers.export_secrets
  (camera stream passwords)                                                x      x
users.manage, sign_in.switch,
  centre.edit (its name and timezone)                                             x

The centres' seeds split the work this way: dispatchers take calls and run the closed loop,
supervisors (督办) also run the SLA sweep, leaders watch the big screen and change nothing,
analysts keep the map (grids, roads, layers), the admin keeps the accounts. `system` is the
unattended SLA sweep of `gridsight serve`; no person signs in as it.

When no one signs in: a store with no users yet (the demo, older stores) runs with sign-in
off, as does a GeoPackage store whose admin switched sign-in off for a single seat
(`centre` key `sign_in` = `off`). Then every action is allowed, the actor is whoever the
caller names, and every audit row's `seat` ends in " (sign-in off)". Once a store has users,
every change needs a signed-in session; a PostgreSQL store cannot switch sign-in off.

Only the portable Store API is used (query / transaction / insert_rows / read_table) with `?`
parameters, so this runs unchanged on either backend.
"""

from __future__ import annotations

import json
import weakref
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from functools import cache

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

ROLES = ("dispatcher", "supervisor", "leader", "analyst", "admin")
SYSTEM = "system"  # the unattended SLA sweep; never a user's role
_DESK = frozenset({"dispatcher", "supervisor"})
_MAP = frozenset({"analyst", "admin"})

# action -> the roles that may do it. The one place; tests are parametrized over it.
PERMISSIONS: dict[str, frozenset[str]] = {
    **{f"ticket.{name}": _DESK for name in ("intake", "dispatch", "transfer", "advance", "rate", "merge",
                                             "mediate")},
    "ticket.sweep": frozenset({"supervisor", "admin", SYSTEM}),
    "ticket.read": frozenset(ROLES),
    "ticket.personal_data": _DESK,
    **{name: _MAP for name in ("grids.edit", "grids.import", "roads.import", "layers.import", "store.init",
                               "layers.export_secrets")},
    "users.manage": frozenset({"admin"}),
    "sign_in.switch": frozenset({"admin"}),
    "centre.edit": frozenset({"admin"}),
}

MAX_FAILED_SIGNINS = 5
LOCK_MINUTES = 5
MIN_PASSWORD_LENGTH = 8
SIGN_IN_OFF = "sign-in off"
SIGN_IN_KEY = "sign_in"  # in the centre table: "off" switches sign-in off on a GeoPackage store
# One message for every refused sign-in: it never tells whether the user exists.
REFUSED_SIGN_IN = ("sign-in refused: wrong user name or password, or the account is disabled or "
                   f"locked after {MAX_FAILED_SIGNINS} failed sign-ins (for {LOCK_MINUTES} minutes)")

_hasher = PasswordHasher()


@cache
def _dummy_hash() -> str:
    """Verified against when the user does not exist, so that a wrong name takes as long as a wrong
    password (made on first use: hashing takes a tenth of a second, too long for every CLI start)."""
    return _hasher.hash("no such user, no such password")


def _clock():
    """data.workflow.clock, imported when first needed: importing data.workflow loads the whole
    engine, too slow for every start of the CLI, which loads this module."""
    from data.workflow import clock

    return clock


class AuthError(Exception):
    """Base of sign-in and role refusals; the message says why, nothing was changed."""


class NotAllowed(AuthError):
    """The session's role may not do this (or no one is signed in); the message names the roles it needs."""

    def __init__(self, message: str, action: str):
        super().__init__(message)
        self.action = action
        self.roles = needed_roles(action)


class SignInFailed(AuthError):
    """Wrong name or password, disabled or locked: deliberately one message for all."""


class UserError(AuthError):
    """A request about users that cannot be done as asked (bad role, short password, unknown user)."""


@dataclass(frozen=True)
class Session:
    """Who acts, in which role, from which seat. `sign_in_off`: no one signed in (single seat)."""

    username: str | None
    role: str | None
    seat: str | None
    sign_in_off: bool = False

    @classmethod
    def signed_off(cls, seat: str | None = None) -> "Session":
        return cls(None, None, seat, sign_in_off=True)

    @classmethod
    def system(cls, name: str = "sla", seat: str | None = "sla") -> "Session":
        return cls(name, SYSTEM, seat)

    def audit_seat(self, seat: str | None) -> str:
        """The audit row's seat: the session's; with sign-in off the caller's, marked as such."""
        if not self.sign_in_off:
            return self.seat or "-"
        return f"{seat} ({SIGN_IN_OFF})" if seat else f"({SIGN_IN_OFF})"


def needed_roles(action: str) -> tuple[str, ...]:
    return tuple(r for r in (*ROLES, SYSTEM) if r in PERMISSIONS[action])


def may(session: Session | None, action: str) -> bool:
    """Whether `session` may do `action` (a store's own state is not consulted: see `check`)."""
    if action not in PERMISSIONS:
        raise KeyError(f"unknown action {action!r}")
    return session is not None and (session.sign_in_off or session.role in PERMISSIONS[action])


def authorize(session: Session | None, action: str) -> None:
    """Refuse with NotAllowed, naming the roles `action` needs, unless `session` may do it."""
    if may(session, action):
        return
    needs = " or ".join(r for r in needed_roles(action) if r != SYSTEM)
    if session is None:
        raise NotAllowed(f"not signed in: {action} needs a signed-in {needs}", action)
    raise NotAllowed(f"not allowed: {action} needs the role {needs}; {session.username} is {session.role}", action)


# ------------------------------------------------------------------ the store's sign-in state

def has_users(store) -> bool:
    return bool(store.query("SELECT count(*) FROM users")[0][0])


def is_single_file(store) -> bool:
    """A GeoPackage store (a file path), not a server: only these may switch sign-in off. A
    PostgreSQL store has no file path (and a dialect other than SQLite's)."""
    path = getattr(store, "path", None)
    dialect = getattr(getattr(store, "dialect", None), "name", "sqlite")
    return path is not None and "://" not in str(path) and dialect == "sqlite"


def sign_in_switched_off(store) -> bool:
    rows = store.query("SELECT value FROM centre WHERE key = ?", (SIGN_IN_KEY,))
    return bool(rows) and rows[0][0] == "off" and is_single_file(store)


def sign_in_required(store) -> bool:
    """A store with users needs sign-in, unless it is a GeoPackage whose admin switched it off."""
    return has_users(store) and not sign_in_switched_off(store)


# The session a window signed in with, for the store it opened: code that takes no session
# (the editor's model, video alerts) acts in it. An explicit session always wins.
_bound: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


def bind(store, session: Session) -> None:
    """Make `session` the one every change on this open `store` is made in, unless one is given."""
    _bound[store] = session


def current(store, session: Session | None, seat: str | None = None) -> Session | None:
    """The session as the store sees it now: a signed-in user's current role (None when they were
    disabled or removed since); the sign-in-off session when the store needs no sign-in; else None.
    No session given: the one bound to the store, if any."""
    if session is None:
        session = _bound.get(store)
    if session is not None and not session.sign_in_off:
        if session.role == SYSTEM:
            return session
        rows = store.query("SELECT role, disabled FROM users WHERE username = ?", (session.username,))
        if not rows or rows[0][1]:
            return None
        return replace(session, role=rows[0][0])
    if sign_in_required(store):
        return None
    return session or Session.signed_off(seat)


def check(store, session: Session | None, action: str) -> Session:
    """Authorize `action` for `session` on `store` as it is now; returns the session to record."""
    now = current(store, session)
    authorize(now, action)
    return now


def reader_role(store, session: Session | None, requested: str | None = None) -> str | None:
    """The role whose view of personal data a reader gets: a signed-in user's own (or a lesser one
    they ask for); with sign-in off, the role asked for, as before sign-in existed."""
    now = current(store, session)
    if now is not None and now.sign_in_off:
        return requested
    authorize(now, "ticket.read")
    if requested is not None and requested not in ROLES:
        raise UserError(f"unknown role {requested!r}; roles are {', '.join(ROLES)}")
    wanted = requested or (now.role if now else None)
    if wanted in PERMISSIONS["ticket.personal_data"] and not may(now, "ticket.personal_data"):
        authorize(now, "ticket.personal_data")
    return wanted


# ------------------------------------------------------------------------------- sign-in

def sign_in(store, username: str, password: str, seat: str | None, now: datetime | None = None) -> Session:
    """Check the password and open a session; refused with one message whatever the reason.

    Five failures in a row lock the account for five minutes; a successful sign-in resets the count.
    """
    now = now or _clock().utc_now()
    rows = store.query("SELECT role, password_hash, disabled, locked_until FROM users WHERE username = ?",
                       (username,))
    if not rows:
        _verify(_dummy_hash(), password)
        raise SignInFailed(REFUSED_SIGN_IN)
    role, hashed, disabled, locked_until = rows[0]
    if disabled or (locked_until and _clock().parse_iso(locked_until) > now):
        _verify(_dummy_hash(), password)
        raise SignInFailed(REFUSED_SIGN_IN)
    if not _verify(hashed, password):
        with store.transaction() as tx:  # counted in the store, so seats failing at once all count
            tx.execute("UPDATE users SET failed_signins = failed_signins + 1 WHERE username = ?", (username,))
            failed = tx.execute("SELECT failed_signins FROM users WHERE username = ?", (username,)).fetchone()[0]
            locked = failed % MAX_FAILED_SIGNINS == 0
            if locked:
                tx.execute("UPDATE users SET locked_until = ? WHERE username = ?",
                           (_clock().iso(now + timedelta(minutes=LOCK_MINUTES)), username))
            _audit(tx, now, username, "signin.locked" if locked else "signin.failed", username,
                   {"failed_in_a_row": failed}, seat or "-")
        raise SignInFailed(REFUSED_SIGN_IN)
    with store.transaction() as tx:
        rehash = _hasher.hash(password) if _hasher.check_needs_rehash(hashed) else hashed
        tx.execute("UPDATE users SET failed_signins = 0, locked_until = NULL, password_hash = ? WHERE username = ?",
                   (rehash, username))
        _audit(tx, now, username, "signin", username, {"role": role}, seat or "-")
    return Session(username, role, seat)


def _verify(hashed: str, password: str) -> bool:
    try:
        return _hasher.verify(hashed, password)
    except (VerificationError, InvalidHashError):
        return False


def audit(tx, session: Session, action: str, subject: str | None, detail: dict | None,
          at: datetime | None = None) -> None:
    """One audit row for `session`'s change inside `tx` (for changes without a log of their own)."""
    _audit(tx, at or _clock().utc_now(), session.username or "-", action, subject, detail,
           session.audit_seat(session.seat))


def _audit(tx, at: datetime, actor: str, action: str, subject: str | None, detail: dict | None, seat: str) -> None:
    tx.insert_rows("audit_log", [{"at": _clock().iso(at), "actor": actor, "action": action, "subject": subject,
                                  "detail": json.dumps(detail, ensure_ascii=False, sort_keys=True) if detail else None,
                                  "seat": seat}])


# ------------------------------------------------------------------------------- users

def _check_password(password: str) -> None:
    if not isinstance(password, str) or len(password) < MIN_PASSWORD_LENGTH:
        raise UserError(f"a password needs at least {MIN_PASSWORD_LENGTH} characters")


def add_user(store, username: str, role: str, password: str, session: Session | None,
             now: datetime | None = None) -> None:
    """Add a user. The first user of a store needs no sign-in and must be an admin."""
    now = now or _clock().utc_now()
    username = (username or "").strip()
    if not username or any(c.isspace() for c in username):
        raise UserError("a user name is one word, without spaces")
    if role not in ROLES:
        raise UserError(f"unknown role {role!r}; roles are {', '.join(ROLES)}")
    _check_password(password)
    first = not has_users(store)
    if first:
        if role != "admin":
            raise UserError(f"the first user of a store must be an admin (--role admin), not a {role}: "
                            "an admin then adds everyone else")
        acting = Session.signed_off(session.seat if session else None)
        actor = username
    else:
        acting = check(store, session, "users.manage")
        actor = _acting_name(acting, session)
    hashed = _hasher.hash(password)
    with store.transaction() as tx:
        if tx.execute("SELECT count(*) FROM users WHERE username = ?", (username,)).fetchone()[0]:
            raise UserError(f"there is already a user {username}")
        tx.insert_rows("users", [{"username": username, "role": role, "password_hash": hashed, "disabled": 0,
                                  "failed_signins": 0, "locked_until": None, "created_at": _clock().iso(now)}])
        _audit(tx, now, actor, "users.add", username, {"role": role, "first": first} if first else {"role": role},
               acting.audit_seat(acting.seat))


def list_users(store, session: Session | None) -> list[dict]:
    """Every user, without their password hash."""
    check(store, session, "users.manage")
    return [{"username": name, "role": role, "disabled": bool(disabled), "failed_signins": failed,
             "locked_until": locked, "created_at": created, "changed_at": changed}
            for name, role, disabled, failed, locked, created, changed in store.query(
                "SELECT username, role, disabled, failed_signins, locked_until, created_at, changed_at "
                "FROM users ORDER BY username")]


def _known(tx, username: str) -> tuple:
    row = tx.execute("SELECT role, disabled FROM users WHERE username = ?", (username,)).fetchone()
    if row is None:
        raise UserError(f"no user {username}")
    return row


def set_disabled(store, username: str, disabled: bool, session: Session | None,
                 now: datetime | None = None) -> None:
    """Disable (or enable again) a user; the last enabled admin cannot be disabled."""
    now = now or _clock().utc_now()
    acting = check(store, session, "users.manage")
    with store.transaction() as tx:
        role, _ = _known(tx, username)
        if disabled and role == "admin" and tx.execute(
                "SELECT count(*) FROM users WHERE role = ? AND disabled = 0 AND username <> ?",
                ("admin", username)).fetchone()[0] == 0:
            raise UserError(f"{username} is the last admin: add another admin before disabling this one")
        tx.execute("UPDATE users SET disabled = ?, changed_at = ?, failed_signins = 0, locked_until = NULL "
                   "WHERE username = ?", (1 if disabled else 0, _clock().iso(now), username))
        _audit(tx, now, _acting_name(acting, session), "users.disable" if disabled else "users.enable", username,
               None, acting.audit_seat(acting.seat))


def set_password(store, username: str, password: str, session: Session | None,
                 now: datetime | None = None) -> None:
    """A new password (and the lock lifted): an admin for anyone, a signed-in user for themself."""
    now = now or _clock().utc_now()
    _check_password(password)
    acting = current(store, session)
    if acting is None or acting.sign_in_off or acting.username != username:
        acting = check(store, session, "users.manage")
    hashed = _hasher.hash(password)
    with store.transaction() as tx:
        _known(tx, username)
        tx.execute("UPDATE users SET password_hash = ?, changed_at = ?, failed_signins = 0, locked_until = NULL "
                   "WHERE username = ?", (hashed, _clock().iso(now), username))
        _audit(tx, now, _acting_name(acting, session), "users.passwd", username, None, acting.audit_seat(acting.seat))


def set_sign_in(store, on: bool, session: Session | None, now: datetime | None = None) -> None:
    """Switch sign-in off (single-seat GeoPackage only) or on again; an admin's decision, audited."""
    now = now or _clock().utc_now()
    if not on and not is_single_file(store):
        raise UserError("sign-in cannot be switched off on a server store: every seat there signs in")
    if not has_users(store):
        raise UserError("the store has no users yet, so no one signs in; add an admin first (users add NAME "
                        "--role admin)")
    acting = check(store, session, "sign_in.switch")
    with store.transaction() as tx:
        tx.execute("INSERT INTO centre (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = "
                   "excluded.value", (SIGN_IN_KEY, "on" if on else "off"))
        _audit(tx, now, _acting_name(acting, session), "sign_in.on" if on else "sign_in.off", None, None,
               acting.audit_seat(acting.seat))


def _acting_name(acting: Session, session: Session | None) -> str:
    """Who changed a user: the admin signed in; with sign-in off, the name the session carries, if any."""
    if not acting.sign_in_off:
        return acting.username
    return (session.username if session and session.username else None) or "-"
