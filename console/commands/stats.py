"""`gridsight stats`: ticket counts, on-time rate and satisfaction, overall or per group."""

from __future__ import annotations

from console.commands import CliError, open_store, print_json
from data.workflow.clock import parse_iso, utc_now
from data.workflow.stats import GROUPINGS, ticket_stats


def register(subparsers) -> None:
    parser = subparsers.add_parser(
        "stats", help="ticket statistics by grid, channel, category or day",
        description="Counts, open and overdue tickets, on-time rate (closed by the deadline) and mean "
        "citizen rating, overall or per grid / channel / category / Beijing day.")
    parser.add_argument("--db", required=True, help="the gridsight store (.gpkg)")
    parser.add_argument("--by", choices=tuple(GROUPINGS), help="group by this")
    parser.add_argument("--since", help="only tickets reported at or after this ISO 8601 time")
    parser.add_argument("--until", help="only tickets reported before this ISO 8601 time")
    parser.add_argument("--now", help="count overdue as of this ISO 8601 time (default: now)")
    parser.add_argument("--json", action="store_true", help="print JSON")
    parser.set_defaults(handler=run)


def parse_time(text: str | None, option: str):
    """An ISO 8601 time given on the command line (None stays None)."""
    if text is None:
        return None
    try:
        return parse_iso(text)
    except ValueError:
        raise CliError(f"{option} {text!r} is not an ISO 8601 time") from None


def run(args) -> int:
    now = parse_time(args.now, "--now") or utc_now()
    with open_store(args.db) as store:
        rows = ticket_stats(store, now, by=args.by, since=parse_time(args.since, "--since"),
                            until=parse_time(args.until, "--until"))
    if args.json:
        print_json(rows)
        return 0
    key = args.by or "all"
    print(f"{key:<16} {'tickets':>9} {'open':>7} {'overdue':>7} {'closed':>9} {'on time':>8} {'rating':>6}")
    for row in rows:
        on_time = f"{row['on_time_rate']:.1%}" if row["on_time_rate"] is not None else "-"
        rating = f"{row['satisfaction']:.2f}" if row["satisfaction"] is not None else "-"
        print(f"{str(row.get(args.by, 'all')):<16} {row['tickets']:>9} {row['open']:>7} {row['overdue']:>7} "
              f"{row['closed']:>9} {on_time:>8} {rating:>6}")
    return 0
