"""`gridsight ticket`: push tickets through the closed loop from scripts and other systems.

The contract (input record shape, JSON output, exit codes) is documented in
docs/cli-tickets.md; other systems rely on it, so change both together. On a store with
users every action signs in (--user); the role decides what it may do and see (data.auth).
"""

from __future__ import annotations

import json
import os
import socket
import sys
from contextlib import contextmanager
from datetime import timedelta
from pathlib import Path

from console.commands import CliError, add_sign_in_argument, open_store, print_json, signed_in
from console.commands.stats import parse_time
from data.departments import read_departments
from data.store import StoreError
from data.workflow import TicketEngine, VersionConflict, WorkflowError
from data.workflow.clock import ManualClock, utc_now
from data.workflow.duplicates import repeat_callers, repeat_places
from data.workflow.engine import MEDIATION_OUTCOMES, MEDIATION_STEPS
from data.workflow.intake import CHANNELS
from data import auth
from data.workflow.sla import PolicyError
from data.workflow.states import STATES

REFUSED = 1  # illegal transition, unknown ticket or responder, nothing valid to take in
CONFLICT = 3  # someone else changed the ticket first: reload and decide again
ROLE_HELP = (f"view as this role: {' and '.join(auth.needed_roles('ticket.personal_data'))} see reporters in "
             "full. Signed in, your own role is the default and a role seeing more than yours is refused")


def register(subparsers) -> None:
    parser = subparsers.add_parser(
        "ticket", help="take in, dispatch and follow tickets through the closed loop",
        description="Ticket workflow: intake from every channel, dispatch, transfer, state changes, "
        "ratings, merges, dispute mediation and the SLA sweep. See docs/cli-tickets.md.")
    actions = parser.add_subparsers(dest="action", required=True, metavar="ACTION")

    def action(name: str, help_text: str, handler, ticket: bool = True, change: bool = True,
               json_output: bool = True):
        sub = actions.add_parser(name, help=help_text, description=help_text)
        if ticket:
            sub.add_argument("ticket_id", metavar="ID", help="ticket id, e.g. T20261101-000123")
        sub.add_argument("--db", required=True, help="the gridsight store (.gpkg)")
        if json_output:
            sub.add_argument("--json", action="store_true", help="print JSON")
        sub.add_argument("--now", help="act as if it were this ISO 8601 time (drills, replays, tests)")
        add_sign_in_argument(sub)
        if change:
            sub.add_argument("--actor", default=os.environ.get("USER") or "cli",
                             help="who makes the change on a store with sign-in off (default: $USER); "
                             "signed in, it is the user")
            sub.add_argument("--seat", default=socket.gethostname(), help="console seat (default: host name)")
        if change and ticket:
            sub.add_argument("--version", type=int, dest="expected_version",
                             help="the version you looked at: refused with a conflict if it changed since")
        sub.set_defaults(handler=handler)
        return sub

    # Intake reads JSON and always answers in JSON: its --json names the input.
    sub = action("intake", "take in records from one channel (JSON object or list); prints JSON", _intake,
                 ticket=False, json_output=False)
    sub.add_argument("--channel", required=True, choices=CHANNELS)
    sub.add_argument("--json", required=True, dest="source", metavar="FILE",
                     help="the records: a JSON file, or - for standard input")
    sub.add_argument("--direct-to-grid", action="store_true",
                     help='"12345 + grid": dispatch each new ticket straight to its grid\'s chief')

    sub = action("show", "one ticket with its timeline", _show, change=False)
    sub.add_argument("--role", help=ROLE_HELP)

    sub = action("list", "tickets, newest first", _list, ticket=False, change=False)
    sub.add_argument("--state", action="append", choices=STATES, help="only this state (repeatable)")
    sub.add_argument("--overdue", action="store_true", help="only open tickets past their deadline")
    sub.add_argument("--limit", type=int, default=50, help="at most this many (default 50)")
    sub.add_argument("--role", help=ROLE_HELP)

    sub = action("dispatch", "send a ticket to a lead responder and helpers", _dispatch)
    sub.add_argument("--to", required=True, metavar="RESPONDER", help="the lead responder's id")
    sub.add_argument("--helpers", nargs="*", default=[], metavar="RESPONDER", help="helping responders' ids")

    sub = action("transfer", "hand a ticket to a department with a deadline", _transfer)
    sub.add_argument("--to", required=True, metavar="DEPARTMENT",
                     help="the department's id (gridsight departments export lists them), or its exact name")
    deadline = sub.add_mutually_exclusive_group(required=True)
    deadline.add_argument("--hours", type=float, help="deadline in hours from now")
    deadline.add_argument("--deadline", help="deadline as an ISO 8601 time")

    sub = action("advance", "move a ticket to another state (accepted, on_site, resolved, closed ...)", _advance)
    sub.add_argument("--to", required=True, choices=STATES, metavar="STATE", help="the new state")
    sub.add_argument("--note", help="note for the timeline (for resolved: the outcome)")

    sub = action("rate", "record the citizen's rating (1-5; 2 or less reopens)", _rate)
    sub.add_argument("--score", required=True, type=int, help="rating 1 (bad) to 5 (good)")

    sub = action("merge", "merge a duplicate into the ticket that carries on", _merge)
    sub.add_argument("--into", required=True, metavar="ID", help="the ticket that carries on")

    sub = action("mediate", "record a dispute's next mediation step or its outcome", _mediate)
    what = sub.add_mutually_exclusive_group(required=True)
    what.add_argument("--step", choices=MEDIATION_STEPS)
    what.add_argument("--outcome", choices=MEDIATION_OUTCOMES)
    sub.add_argument("--note", help="what was done")

    action("sweep", "SLA check: warn on tickets running out of time, escalate overdue ones", _sweep,
           ticket=False)

    sub = action("repeats", "repeat callers and places: likely repeated or unresolved problems", _repeats,
                 ticket=False, change=False)
    sub.add_argument("--days", type=float, default=30, help="look back this many days (default 30)")
    sub.add_argument("--min", type=int, default=3, dest="minimum", help="at least this many tickets (default 3)")
    sub.add_argument("--role", help=ROLE_HELP)

    sub = action("audit", "the audit trail: every change made through gridsight, oldest first", _audit,
                 ticket=False, change=False)
    sub.add_argument("--ticket", metavar="ID", help="only this ticket's entries")
    sub.add_argument("--limit", type=int, default=100, help="the latest this many (default 100)")

    sub = action("dead-letters", "intake records that were refused, newest first", _dead_letters,
                 ticket=False, change=False)
    sub.add_argument("--limit", type=int, default=50)


@contextmanager
def _engine(args):
    clock = ManualClock(parse_time(args.now, "--now")) if args.now else utc_now
    with open_store(args.db) as store, signed_in(store, args) as session:
        try:
            yield TicketEngine(store, clock=clock, session=session)
        except VersionConflict as err:
            raise CliError(str(err), CONFLICT) from None
        except WorkflowError as err:
            raise CliError(str(err), REFUSED) from None
        except (StoreError, PolicyError) as err:
            raise CliError(str(err)) from None


def _changer(args) -> dict:
    return {"actor": args.actor, "seat": args.seat, "expected_version": args.expected_version}


def _read_records(source: str) -> list:
    """The records of FILE or stdin ('-'); undecodable bytes are kept so that only their records are refused."""
    try:
        raw = sys.stdin.buffer.read() if source == "-" else Path(source).read_bytes()
    except OSError as err:
        raise CliError(f"cannot read {source}: {err.strerror}") from None
    try:
        value = json.loads(raw.decode("utf-8", errors="surrogateescape"))
    except json.JSONDecodeError as err:
        raise CliError(f"{source} is not valid JSON: {err.msg} at line {err.lineno} column {err.colno}") from None
    records = value if isinstance(value, list) else [value]
    if not records:
        raise CliError(f"{source} holds no records", REFUSED)
    return records


def _intake(args) -> int:
    records = _read_records(args.source)
    with _engine(args) as engine:
        result = engine.intake(args.channel, records, actor=args.actor, seat=args.seat,
                               direct_to_grid=args.direct_to_grid)
    print_json(result.as_json())
    return 0 if result.created or result.duplicates else REFUSED


def _show(args) -> int:
    with _engine(args) as engine:
        ticket = engine.show(args.ticket_id, role=args.role)
    if args.json:
        print_json(ticket)
        return 0
    lead, helpers = ticket["assignees"]["lead"], ticket["assignees"]["helpers"]
    print(f"{ticket['id']}  {ticket['state']}  (version {ticket['version']})")
    print(f"  {ticket['channel']} / {ticket['category']} / priority {ticket['priority']}  grid {ticket['grid']}")
    print(f"  reported {ticket['reported_at']}  deadline {ticket['deadline']}  escalation {ticket['escalation']}")
    print(f"  lead {lead or '-'}" + (f"  helpers {', '.join(helpers)}" if helpers else "")
          + (f"  department {ticket['department']}" if ticket["department"] else ""))
    print(f"  {ticket['description'] or ''}  {ticket['address'] or ''}")
    reporter = ticket["reporter"]
    if reporter["name"] or reporter["phone"]:
        print(f"  reporter {reporter['name'] or ''} {reporter['phone'] or ''}")
    for step in ticket["timeline"]:
        print(f"  {step['at']}  {step['state']:<12} {step['by']}" + (f"  {step['note']}" if step["note"] else ""))
    return 0


def _list(args) -> int:
    with _engine(args) as engine:
        tickets = engine.list_tickets(args.state, overdue=args.overdue, limit=args.limit, role=args.role)
    if args.json:
        print_json(tickets)
        return 0
    for t in tickets:
        print(f"{t['id']}  {t['state']:<12} {t['grid'] or '-':<16} {t['category'] or '-':<16} "
              f"{t['deadline'] or '-':<21} {t['assignees']['lead'] or '-'}")
    return 0


def _report_version(args, version: int) -> int:
    if args.json:
        print_json({"id": args.ticket_id, "version": version})
    else:
        print(f"{args.ticket_id} is now version {version}")
    return 0


def _dispatch(args) -> int:
    with _engine(args) as engine:
        version = engine.dispatch(args.ticket_id, args.to, args.helpers, **_changer(args))
    return _report_version(args, version)


def _transfer(args) -> int:
    with _engine(args) as engine:
        deadline = (parse_time(args.deadline, "--deadline") if args.deadline
                    else engine.clock() + timedelta(hours=args.hours))
        version = engine.transfer(args.ticket_id, _department_id(engine.store, args.to), deadline,
                                  **_changer(args))
    return _report_version(args, version)


def _department_id(store, given: str) -> str:
    """--to as an id: a department's exact name stands for its id; anything else goes to the
    workflow as given, which refuses it naming the store's departments."""
    departments = read_departments(store)
    if any(d.department_id == given for d in departments):
        return given
    named = [d.department_id for d in departments if d.name == given.strip()]
    if len(named) > 1:
        raise CliError(f"{len(named)} departments are named {given}: {', '.join(named)}; give its id", REFUSED)
    return named[0] if named else given


def _advance(args) -> int:
    with _engine(args) as engine:
        version = engine.advance(args.ticket_id, args.to, note=args.note, **_changer(args))
    return _report_version(args, version)


def _rate(args) -> int:
    with _engine(args) as engine:
        version = engine.rate(args.ticket_id, args.score, **_changer(args))
    return _report_version(args, version)


def _merge(args) -> int:
    with _engine(args) as engine:
        version = engine.merge(args.ticket_id, args.into, **_changer(args))
    return _report_version(args, version)


def _mediate(args) -> int:
    with _engine(args) as engine:
        if args.step:
            version = engine.mediation_step(args.ticket_id, args.step, note=args.note, **_changer(args))
        else:
            version = engine.conclude_mediation(args.ticket_id, args.outcome, **_changer(args))
    return _report_version(args, version)


def _sweep(args) -> int:
    with _engine(args) as engine:
        result = engine.sweep(actor=args.actor, seat=args.seat)
    if args.json:
        print_json(result.as_json())
    else:
        print(f"{len(result.warnings)} warnings, {len(result.escalations)} escalations")
        for w in result.warnings:
            print(f"  {w['ticket']}  {w['level']}")
        for e in result.escalations:
            print(f"  {e['ticket']}  escalated to {e['to']}")
    return 0


def _repeats(args) -> int:
    with _engine(args) as engine:
        since = engine.clock() - timedelta(days=args.days)
        role = auth.reader_role(engine.store, engine.session, args.role)
        found = {"callers": repeat_callers(engine.store, since, args.minimum, role=role),
                 "places": repeat_places(engine.store, since, args.minimum)}
    if args.json:
        print_json(found)
    else:
        for caller in found["callers"]:
            print(f"caller {caller['phone']}: {caller['calls']} tickets")
        for place in found["places"]:
            print(f"grid {place['grid']} {place['category']}: {place['tickets']} tickets")
    return 0


def _audit(args) -> int:
    with _engine(args) as engine:
        entries = engine.audit_trail(args.ticket, args.limit)
    if args.json:
        print_json(entries)
    else:
        for e in entries:
            detail = json.dumps(e["detail"], ensure_ascii=False) if e["detail"] else ""
            print(f"{e['at']}  {e['actor']:<12} {e['seat'] or '-':<16} {e['action']:<24} {e['subject'] or '-':<18} "
                  f"{detail}")
    return 0


def _dead_letters(args) -> int:
    with _engine(args) as engine:
        letters = engine.dead_letters(args.limit)
    if args.json:
        print_json(letters)
    else:
        for d in letters:
            print(f"{d['received_at']}  {d['channel']:<12} {d['record_id'] or '-':<20} {d['reason']}")
    return 0
