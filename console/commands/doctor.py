"""`gridsight doctor`: what a store can and cannot do yet, and the command that fixes each gap.

The console shows the same findings once at start (console/storecheck.py).
"""

from __future__ import annotations

import argparse

from console.commands import CliError, open_store, print_json
from data.doctor import examine
from data.workflow.clock import parse_iso


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "doctor",
        help="check what a store can do yet, and how to fix what it cannot",
        description="List what the store lacks (roads, responders, cameras, streams, fresh positions, ...), "
        "each with the command that fixes it. Exit 0 = no error (warnings and notes allowed), 1 = errors.",
    )
    parser.add_argument("--db", required=True, metavar="STORE",
                        help="store to check: FILE.gpkg or postgresql://user@host:port/dbname")
    parser.add_argument("--now", metavar="TIME", help="judge positions at this ISO 8601 time (default: now)")
    parser.add_argument("--json", action="store_true", help="print the findings as a JSON list")
    parser.set_defaults(handler=run_doctor)


def run_doctor(args: argparse.Namespace) -> int:
    now = _parse_now(args.now) if args.now else None
    with open_store(args.db) as store:
        findings = examine(store, now)
        shown = store.location  # a URL's password masked
    if args.json:
        print_json([finding.as_dict() for finding in findings])
    else:
        for finding in findings:
            print(f"{finding.severity:<7} [{finding.code}] {finding.message}"
                  + (f"  — fix: {finding.fix}" if finding.fix else ""))
        if not findings:
            print(f"{shown}: nothing missing")
    return 1 if any(finding.severity == "error" for finding in findings) else 0


def _parse_now(text: str):
    try:
        return parse_iso(text)
    except ValueError:
        raise CliError(f"--now {text!r} is not an ISO 8601 time such as 2026-07-01T08:00:00Z") from None
