"""`gridsight store copy`: move a centre from a GeoPackage to PostgreSQL (or back, or between servers).

See data/storecopy.py for what travels and how the target ends complete or untouched.
"""

from __future__ import annotations

import argparse
import sys

from console.commands import CliError, add_sign_in_argument, open_store, print_json, signed_in
from data.storecopy import CopyRefused, copy_store
from data.store import StoreError


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "store", help="copy a whole store between a GeoPackage and PostgreSQL",
        description="Whole-store operations. `copy` moves a centre (layers, tickets, grid history, users, "
        "centre settings) from one store to another: a GeoPackage file or a postgresql://user@host:port/db URL.")
    actions = parser.add_subparsers(dest="action", required=True, metavar="ACTION")
    copy = actions.add_parser(
        "copy", help="copy everything in one store to another",
        description="Copy every layer and table to the target (made if it does not exist), check the row "
        "counts and contents, and keep the copy only when they match. Refused (exit 1) when the target "
        "already holds a centre, unless --force. A store with users needs an admin to sign in (--user).")
    copy.add_argument("--from", dest="source", required=True, metavar="STORE", help="the store to copy")
    copy.add_argument("--to", dest="target", required=True, metavar="STORE", help="where the copy goes")
    copy.add_argument("--force", action="store_true", help="replace a centre the target already holds")
    copy.add_argument("--json", action="store_true", help="print JSON")
    add_sign_in_argument(copy)
    copy.set_defaults(handler=_copy)


def _copy(args) -> int:
    with open_store(args.source) as source, signed_in(source, args) as session:
        def progress(table: str, rows: int) -> None:
            if not args.json and sys.stderr.isatty():
                print(f"\r{table}: {rows} rows", end="", file=sys.stderr, flush=True)

        try:
            report = copy_store(source, args.target, force=args.force, session=session, progress=progress)
        except CopyRefused as err:
            raise CliError(str(err), 1) from None
        except StoreError as err:
            raise CliError(str(err)) from None
    if args.json:
        print_json({"source": report.source, "target": report.target, "schema_version": report.schema_version,
                    "seconds": report.seconds, "tables": report.tables})
    else:
        if sys.stderr.isatty():
            print(file=sys.stderr)
        for name, table in report.tables.items():
            print(f"{name:22} {table['rows']:>10}  {table['digest']}")
        print(f"copied {report.rows} rows from {report.source} to {report.target} in {report.seconds} s "
              "(counts and contents checked)")
    return 0
