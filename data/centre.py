"""The centre a store belongs to: its name and timezone, kept in the `centre` table.

A store built from a centre's own files (`gridsight init`) says whose it is; the duty bar,
reports and exports name it. The timezone is the one its days are counted in.
"""

from __future__ import annotations

from dataclasses import dataclass
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from data import auth

DEFAULT_TIMEZONE = "Asia/Shanghai"


class CentreError(ValueError):
    """A centre setting that cannot be used; the message says why."""


@dataclass(frozen=True)
class Centre:
    name: str | None
    timezone: str = DEFAULT_TIMEZONE


def read_centre(store) -> Centre:
    """The store's centre; a store made before centres were kept has no name and the default timezone."""
    values = dict(store.query("SELECT key, value FROM centre"))
    return Centre(values.get("name"), values.get("timezone") or DEFAULT_TIMEZONE)


def write_centre(tx, name: str | None, timezone: str = DEFAULT_TIMEZONE) -> Centre:
    """Set the centre's name and timezone inside a store transaction."""
    check_timezone(timezone)
    for key, value in (("name", name.strip() if name else None), ("timezone", timezone)):
        tx.execute("INSERT INTO centre (key, value) VALUES (?, ?) "
                   "ON CONFLICT (key) DO UPDATE SET value = excluded.value", (key, value))
    return Centre(name, timezone)


def set_centre(store, session, name: str | None = None, timezone: str | None = None) -> Centre:
    """Change the centre's name and/or timezone (what is None stays): the admin's setting once the
    store has users (auth's centre.edit), audited in the same transaction."""
    if timezone is not None:
        check_timezone(timezone)  # before anything: bad input changes nothing
    acting = auth.check(store, session, "centre.edit")

    def change(tx) -> Centre:
        current = dict(tx.execute("SELECT key, value FROM centre").fetchall())
        centre = write_centre(tx, name if name is not None else current.get("name"),
                              timezone or current.get("timezone") or DEFAULT_TIMEZONE)
        auth.audit(tx, acting, "centre.edit", None, {"name": centre.name, "timezone": centre.timezone})
        return centre

    return store.run_in_transaction(change)


def check_timezone(timezone: str) -> str:
    try:
        ZoneInfo(timezone)
    except (ZoneInfoNotFoundError, ValueError):
        raise CentreError(f"unknown timezone {timezone!r}; use an IANA name such as {DEFAULT_TIMEZONE}") from None
    return timezone
