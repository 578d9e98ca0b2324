"""`gridsight users`: the people who sign in, their roles, and whether a single seat signs in.

Only an admin manages users; the first `users add` on a store with no users needs no sign-in
and must make an admin. New passwords come from GRIDSIGHT_NEW_PASSWORD or a prompt, never
from the command line, and are kept only as argon2 hashes (data.auth).
"""

from __future__ import annotations

import argparse
import socket

from console.commands import CliError, add_sign_in_argument, open_store, print_json, read_password, signed_in
from data import auth


def register(subparsers) -> None:
    parser = subparsers.add_parser(
        "users", help="add, list and disable users, set passwords, switch sign-in for a single seat",
        description="Users and roles (docs/roles.md). Exit 5: not signed in as an admin.")
    actions = parser.add_subparsers(dest="users_command", required=True, metavar="ACTION")

    def action(name: str, help_text: str, handler, named: bool = True) -> argparse.ArgumentParser:
        sub = actions.add_parser(name, help=help_text, description=help_text)
        if named:
            sub.add_argument("name", metavar="NAME", help="the user name")
        sub.add_argument("--db", required=True, help="the gridsight store")
        add_sign_in_argument(sub)
        sub.add_argument("--seat", default=socket.gethostname(), help="this seat (default: host name)")
        sub.set_defaults(handler=handler)
        return sub

    sub = action("add", "add a user with one role (the first user of a store: an admin, no sign-in needed); "
                 "the password from GRIDSIGHT_NEW_PASSWORD or a prompt", _add)
    sub.add_argument("--role", required=True, choices=auth.ROLES)
    sub = action("list", "the users, their roles and whether they are disabled or locked", _list, named=False)
    sub.add_argument("--json", action="store_true", help="print JSON")
    action("disable", "stop a user from signing in (the last admin cannot be disabled)", _disable)
    action("enable", "let a disabled user sign in again", _enable)
    action("passwd", "set a user's password (an admin, or the user themself) and lift a lock; the new "
           "password from GRIDSIGHT_NEW_PASSWORD or a prompt", _passwd)
    sub = action("sign-in", "switch sign-in off for a single-seat GeoPackage store, or on again "
                 "(every audit row then says so)", _sign_in, named=False)
    sub.add_argument("state", choices=("off", "on"))


def _new_password(name: str) -> str:
    password = read_password(f"new password for {name}: ", "GRIDSIGHT_NEW_PASSWORD")
    if password != read_password(f"new password for {name} again: ", "GRIDSIGHT_NEW_PASSWORD"):
        raise CliError("the two passwords differ; nothing was changed")
    return password


def _add(args) -> int:
    with open_store(args.db) as store:
        first = not auth.has_users(store)
        if first and args.role != "admin":
            raise CliError(f"the first user of a store must be an admin (--role admin), not a {args.role}: "
                           "an admin then adds everyone else")
        with signed_in(store, args if not first else argparse.Namespace()) as session:
            auth.add_user(store, args.name, args.role, _new_password(args.name),
                          session or auth.Session.signed_off(args.seat))
    print(f"added {args.name} ({args.role})" + (": sign-in is now needed on this store" if first else ""))
    return 0


def _list(args) -> int:
    with open_store(args.db) as store, signed_in(store, args) as session:
        users = auth.list_users(store, session)
    if args.json:
        print_json(users)
        return 0
    for user in users:
        state = "disabled" if user["disabled"] else (f"locked until {user['locked_until']}"
                                                     if user["locked_until"] else "")
        print(f"{user['username']:<16} {user['role']:<11} {state}")
    return 0


def _disable(args) -> int:
    return _set_disabled(args, True)


def _enable(args) -> int:
    return _set_disabled(args, False)


def _set_disabled(args, disabled: bool) -> int:
    with open_store(args.db) as store, signed_in(store, args) as session:
        auth.set_disabled(store, args.name, disabled, session)
    print(f"{args.name} is {'disabled' if disabled else 'enabled'}")
    return 0


def _passwd(args) -> int:
    with open_store(args.db) as store, signed_in(store, args) as session:
        auth.set_password(store, args.name, _new_password(args.name), session)
    print(f"new password set for {args.name}")
    return 0


def _sign_in(args) -> int:
    with open_store(args.db) as store, signed_in(store, args) as session:
        auth.set_sign_in(store, args.state == "on", session)
    print(f"sign-in is {args.state} on {args.db}" + (": every audit row says so" if args.state == "off" else ""))
    return 0
