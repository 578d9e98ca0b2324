"""`gridsight centre`: the name and timezone of the centre a store belongs to.

`gridsight init` sets them for a new store; this shows them, and names a store made before
centres were kept (`gridsight doctor` points here when the name is missing).
"""

from __future__ import annotations

import argparse

from console.commands import CliError, add_sign_in_argument, open_store, print_json, signed_in
from data.centre import Centre, CentreError, check_timezone, read_centre, set_centre
from data.store import StoreError


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "centre", help="show or set the centre's name and timezone",
        description="The centre a store belongs to: its name (shown by the console and reports) and the "
        "IANA timezone its days are counted in.")
    actions = parser.add_subparsers(dest="action", required=True, metavar="ACTION")
    show = actions.add_parser("show", help="print the centre's name and timezone")
    change = actions.add_parser("set", help="change the centre's name and/or timezone; what is not given stays")
    for sub in (show, change):
        sub.add_argument("--db", required=True, metavar="STORE",
                         help="the gridsight store: FILE.gpkg or postgresql://user@host:port/dbname")
        sub.add_argument("--json", action="store_true", help="print JSON")
    change.add_argument("--name", help="the centre's name, e.g. 江城市社会治理指挥中心")
    change.add_argument("--timezone", metavar="TZ", help="an IANA timezone, e.g. Asia/Shanghai")
    add_sign_in_argument(change)  # an admin's setting once the store has users
    show.set_defaults(handler=_show)
    change.set_defaults(handler=_set)


def _show(args) -> int:
    with open_store(args.db) as store:
        _print(args, read_centre(store))
    return 0


def _set(args) -> int:
    if args.name is None and args.timezone is None:
        raise CliError("give --name, --timezone or both")
    if args.name is not None and not args.name.strip():
        raise CliError("--name is empty: give the centre's name")
    try:  # before the store is opened: bad input changes nothing
        if args.timezone is not None:
            check_timezone(args.timezone)
    except CentreError as err:
        raise CliError(str(err)) from None
    with open_store(args.db) as store, signed_in(store, args) as session:
        try:
            set_centre(store, session, args.name.strip() if args.name is not None else None, args.timezone)
        except StoreError as err:
            raise CliError(str(err)) from None
        _print(args, read_centre(store))
    return 0


def _print(args, centre: Centre) -> None:
    if args.json:
        print_json({"name": centre.name, "timezone": centre.timezone})
    else:
        print(f"name      {centre.name or '(no name)'}")
        print(f"timezone  {centre.timezone}")
