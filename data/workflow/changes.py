"""Which tickets changed since we last looked: the live feed of the desk and the wall.

Every state change appends a row to ticket_timeline and every change of any kind (a
warning tier, a rating, a mediation step) appends one to audit_log, both append-only
with growing rowids. Remembering the highest rowid of each and asking for the rows past
it reads only the new rows through the primary key, however many million tickets the
store holds, and works whichever process or seat made the change.
"""

from __future__ import annotations

import pandas as pd

from data.workflow.sla import RED
from data.workflow.states import ESCALATED, FINISHED

# What a consumer needs of a changed ticket, besides lon/lat: the incident's columns, the ticket's
# state and what the queue shows of it (console.mapview TICKET_COLUMNS), and its supervision levels.
INCIDENT_COLUMNS = ("ticket_id", "channel", "category", "priority", "reported_at", "grid_code")
TICKET_COLUMNS = ("state", "version", "deadline", "lead_id", "helper_ids", "address", "description",
                  "warning_level", "escalation_level")
CHANGE_COLUMNS = (*INCIDENT_COLUMNS, *TICKET_COLUMNS, "overdue", "escalated", "open", "new", "lon", "lat")
_SQL_CHUNK = 500  # ids per IN (...) list, well under SQLite's parameter limit


def ticket_flags(frame: pd.DataFrame) -> pd.DataFrame:
    """Adds `overdue` (the SLA's red tier: past the deadline), `escalated` and `open` (someone still has to act)."""
    frame = frame.copy()
    frame["overdue"] = frame["warning_level"].fillna(0) >= RED
    frame["escalated"] = (frame["state"] == ESCALATED) | (frame["escalation_level"].fillna(0) > 0)
    frame["open"] = ~frame["state"].isin(FINISHED)
    return frame


class TicketChanges:
    """Polls a store for changed tickets. Not thread-safe: poll from one thread at a time."""

    def __init__(self, store):
        self.store = store
        self._timeline_cursor: int | None = None
        self._audit_cursor: int | None = None

    def poll(self) -> pd.DataFrame:
        """The tickets changed since the last poll, one row each as now stored (CHANGE_COLUMNS);
        `new` marks tickets received since then. The first poll only notes where the logs end."""
        if self._timeline_cursor is None:
            self._timeline_cursor, self._audit_cursor = self.store.query(
                "SELECT (SELECT coalesce(max(fid), 0) FROM ticket_timeline), "
                "(SELECT coalesce(max(fid), 0) FROM audit_log)")[0]
            return _empty()
        timeline = self.store.query(
            "SELECT fid, ticket_id, state FROM ticket_timeline WHERE fid > ? ORDER BY fid", (self._timeline_cursor,))
        audit = self.store.query("SELECT fid, subject FROM audit_log WHERE fid > ? ORDER BY fid",
                                 (self._audit_cursor,))
        if timeline:
            self._timeline_cursor = timeline[-1][0]
        if audit:
            self._audit_cursor = audit[-1][0]
        ids = list(dict.fromkeys([t for _, t, _ in timeline] + [s for _, s in audit if s]))
        if not ids:
            return _empty()
        received = {t for _, t, state in timeline if state == "received"}
        return self.rows(ids, received)

    def rows(self, ids: list[str], received: set[str] | frozenset = frozenset()) -> pd.DataFrame:
        """These tickets as `poll` returns them (those in `received` marked new); unknown ids are left out."""
        parts = []
        for start in range(0, len(ids), _SQL_CHUNK):
            chunk = tuple(ids[start:start + _SQL_CHUNK])
            marks = ", ".join("?" * len(chunk))
            tickets = self.store.read_table("tickets", where=f"ticket_id IN ({marks})", params=chunk)
            # Audit subjects that are not tickets (grids, responders) fall out here.
            incidents = self.store.read_layer("incidents", where=f"ticket_id IN ({marks})", params=chunk)
            if tickets.empty:
                continue
            placed = ~(incidents.geometry.isna() | incidents.geometry.is_empty)
            where = pd.DataFrame({
                "ticket_id": incidents["ticket_id"],
                "lon": incidents.geometry.x.where(placed), "lat": incidents.geometry.y.where(placed),
                **{c: incidents[c] for c in INCIDENT_COLUMNS if c != "ticket_id"},
            })
            parts.append(tickets[["ticket_id", *TICKET_COLUMNS]].merge(where, on="ticket_id", how="left"))
        if not parts:
            return _empty()
        frame = ticket_flags(pd.concat(parts, ignore_index=True))
        frame["new"] = frame["ticket_id"].isin(received)
        # In the order they changed, as the log has them.
        order = {ticket_id: n for n, ticket_id in enumerate(ids)}
        frame = frame.sort_values("ticket_id", key=lambda s: s.map(order), kind="stable")
        return frame[list(CHANGE_COLUMNS)].reset_index(drop=True)


def _empty() -> pd.DataFrame:
    return pd.DataFrame(columns=list(CHANGE_COLUMNS))
