"""Ticket statistics: counts, on-time rate, satisfaction, by grid / channel / category / day.

One grouped SQL query over the tickets table, which carries copies of its incidents'
channel, category, grid and time (data.schema TICKET_FACT_TRIGGERS): each grouping key
leads a covering index holding every measured column, so SQLite reads that index in
order and never the table, and Python only sees one row per group. A million tickets
take well under a second. On PostgreSQL the day is a column of its own (data.postgis), which
the day grouping and bound below read there.
"""

from __future__ import annotations

from datetime import datetime

from data import postgis
from data.dialect import POSTGRES
from data.workflow import states as st
from data.workflow.clock import BEIJING, iso

# Group column per --by; "day" groups by the Beijing calendar day, as the centres report it.
_COLUMNS = {"grid": "grid_code", "channel": "channel", "category": "category"}
GROUPINGS = (*_COLUMNS, "day")


def count_if(condition: str) -> str:
    """How many rows meet `condition` (SQLite's `sum(condition)`, spelled for both dialects)."""
    return f"sum(CASE WHEN {condition} THEN 1 ELSE 0 END)"


def ticket_day(store) -> str:
    """A ticket's Beijing day as the store's day index holds it: the expression of the GeoPackage's
    (data.schema TICKET_STATS_INDEXES), PostgreSQL's column (data.postgis TICKET_DAY_COLUMN)."""
    return postgis.TICKET_DAY_COLUMN if store.dialect is POSTGRES else store.dialect.day("reported_at")


class StatsError(ValueError):
    pass


def ticket_stats(store, now: datetime, by: str | None = None, since: datetime | None = None,
                 until: datetime | None = None) -> list[dict]:
    """One row per group (or one overall row): totals, open/overdue, on-time rate, mean rating."""
    if by is not None and by not in GROUPINGS:
        raise StatsError(f"cannot group by {by!r}; use one of {', '.join(GROUPINGS)}")
    clauses, params = [], []
    if since:
        clauses.append("reported_at >= ?")
        params.append(iso(since))
        # The same bound on the Beijing day (implied by the first) lets SQLite read only that
        # part of the day index instead of all of it: a 30-day window of a million tickets
        # takes 50 ms instead of 370.
        clauses.append(f"{ticket_day(store)} >= ?")
        params.append(since.astimezone(BEIJING).strftime("%Y-%m-%d"))
    if until:
        clauses.append("reported_at < ?")
        params.append(iso(until))
    where = f"WHERE {' AND '.join(clauses)}" if clauses else ""
    finished = ", ".join(f"'{s}'" for s in st.FINISHED)
    key = (_COLUMNS.get(by) or ticket_day(store)) if by else "NULL"
    # Without a grouping, no GROUP BY at all: grouping by a constant would still sort.
    group = f"GROUP BY {key} ORDER BY {key}" if by else ""
    sql = (
        f"SELECT {key}, count(*), "
        f"{count_if(f'state NOT IN ({finished})')}, "
        f"{count_if(f'state NOT IN ({finished}) AND deadline < ?')}, "
        f"{count_if('closed_at IS NOT NULL')}, "
        f"{count_if('closed_at IS NOT NULL AND closed_at <= deadline')}, "
        "count(rating), avg(rating) "
        f"FROM tickets {where} {group}"
    )
    rows = store.query(sql, (iso(now), *params))
    return [
        {
            **({by: group} if by else {}),
            "tickets": total or 0,
            "open": open_ or 0,
            "overdue": overdue or 0,
            "closed": closed or 0,
            "on_time_rate": round(on_time / closed, 4) if closed else None,
            "rated": rated or 0,
            "satisfaction": round(mean, 3) if mean is not None else None,
        }
        for group, total, open_, overdue, closed, on_time, rated, mean in rows
    ]
