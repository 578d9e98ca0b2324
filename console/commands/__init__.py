"""Subcommands of the `gridsight` CLI, one module each, plus what they share."""

from __future__ import annotations

import getpass
import json
import math
import os
import socket
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from data import auth, postgis
from data.store import Store, StoreError

# Exit codes every command shares (docs/cli-tickets.md): 0 ok, 1 refused / problems found,
# 2 bad input, 3 conflict, 4 reserved for an internal error, 5 not allowed / not signed in.
NOT_ALLOWED = 5


class CliError(Exception):
    """A problem the user can act on: printed as one line, never as a traceback."""

    def __init__(self, message: str, exit_code: int = 2):
        super().__init__(message)
        self.exit_code = exit_code


def print_json(value: Any) -> None:
    json.dump(value, sys.stdout, ensure_ascii=False, indent=2)
    sys.stdout.write("\n")


def open_store(path, create: bool = False) -> Store:
    """Open a store for a command (a new one if `create` and it does not exist yet), turning
    store problems into a CLI message."""
    try:
        if create and postgis.is_url(path):
            try:  # a server database is there either way: it holds a store or gets one
                return Store.open(path)
            except StoreError:
                return Store.create(path)
        if create and not Path(path).exists():
            return Store.create(path)
        return Store.open(path)
    except StoreError as err:
        raise CliError(str(err)) from None


def add_sign_in_argument(parser) -> None:
    """--user for a command that signs in; the password never comes from the command line."""
    parser.add_argument("--user", default=os.environ.get("GRIDSIGHT_USER"), metavar="NAME",
                        help="sign in as NAME (default: $GRIDSIGHT_USER); the password is read from "
                        "$GRIDSIGHT_PASSWORD or asked for on a terminal. Needed once a store has users")


def read_password(prompt: str, variable: str) -> str:
    """A password from the environment `variable`, else asked for without echo on a terminal."""
    password = os.environ.get(variable)
    if password:
        return password
    if not sys.stdin.isatty():
        raise CliError(f"no password: set {variable} or run on a terminal to be asked", NOT_ALLOWED)
    return getpass.getpass(prompt)


def session_for(store: Store, args) -> auth.Session | None:
    """The session a command acts in: `--user` signed in with their password; None without --user
    (enough on a store with sign-in off; the data layer refuses changes otherwise)."""
    user = getattr(args, "user", None)
    if not user:
        return None
    seat = getattr(args, "seat", None) or socket.gethostname()
    try:
        return auth.sign_in(store, user, read_password(f"password for {user}: ", "GRIDSIGHT_PASSWORD"), seat)
    except auth.AuthError as err:
        raise CliError(str(err), NOT_ALLOWED) from None


def read_credentials(path) -> tuple[str, str]:
    """The user and password an unattended seat (the wall) signs in with, from a file only its
    owner may read (chmod 600): lines `user = NAME` and `password = SECRET`."""
    try:
        info = os.stat(path)
        if info.st_mode & 0o077 or info.st_uid != os.getuid():
            raise CliError(f"{path} must be yours and readable by you alone (it is mode "
                           f"{info.st_mode & 0o777:o}): chmod 600 {path}")
        lines = Path(path).read_text(encoding="utf-8").splitlines()
    except OSError as err:
        raise CliError(f"cannot read {path}: {err.strerror}") from None
    values = dict(line.split("=", 1) for line in lines if "=" in line and not line.lstrip().startswith("#"))
    values = {key.strip(): value.strip() for key, value in values.items()}
    if not values.get("user") or not values.get("password"):
        raise CliError(f"{path} needs a line `user = NAME` and a line `password = SECRET`")
    return values["user"], values["password"]


@contextmanager
def signed_in(store: Store, args) -> Iterator[auth.Session | None]:
    """Sign in for a command (see session_for); a refusal by role inside, from the data layer,
    exits with NOT_ALLOWED naming the role it needs, a bad request about users with 2."""
    session = session_for(store, args)
    try:
        yield session
    except auth.UserError as err:
        raise CliError(str(err)) from None
    except auth.NotAllowed as err:
        hint = "" if session else "; sign in with --user NAME (or GRIDSIGHT_USER)"
        raise CliError(f"{err}{hint}", NOT_ALLOWED) from None
    except auth.AuthError as err:
        raise CliError(str(err), NOT_ALLOWED) from None


def parse_degrees(text: str, what: str, limit: float) -> float:
    """A longitude or latitude typed by the user (parsed here, not by argparse, for a clear message)."""
    try:
        value = float(text)
    except ValueError:
        value = math.nan
    if not math.isfinite(value):
        raise CliError(f"{what} {text!r} is not a number")
    if abs(value) > limit:
        raise CliError(f"{what} {text!r} is outside -{limit:g}..{limit:g} degrees")
    return value


def parse_lonlat(lon: str, lat: str) -> tuple[float, float]:
    return parse_degrees(lon, "longitude", 180.0), parse_degrees(lat, "latitude", 90.0)
