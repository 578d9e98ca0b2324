"""Which tickets changed since we last looked: the live feed of the desk and the wall.

Every state change appends a row to ticket_timeline and every change of any kind (a
warning tier, a rating, a mediation step) appends one to audit_log, both append-only
with growing fids. Remembering the highest fid of each and asking for the rows past
it reads only the new rows through the primary key, however many million tickets the
store holds, and works whichever process or seat made the change. How the reader learns
that it is time to look (a poll each second, or a PostgreSQL notification) is data.listener's
business; what it reads is decided here, by the logs' sequence alone.

Fids commit in order only because every gridsight writer queues on the store's writers' lock
(BEGIN IMMEDIATE on the GeoPackage, the advisory lock on PostgreSQL: data.store): a fid is drawn
and committed before the next writer draws one. A client that bypasses gridsight on PostgreSQL
(QGIS editing the tables) takes no lock, and may commit fid 41 after 42 has been read. So every
fid skipped past is remembered as a gap for GAP_SECONDS and read again until it turns up or
expires (a rolled-back transaction also leaves a gap that never fills).
"""

from __future__ import annotations

import time

import numpy as np
import pandas as pd
import shapely

from data.workflow.sla import RED
from data.workflow.states import ESCALATED, FINISHED

# What a consumer needs of a changed ticket, besides lon/lat: the incident's columns, the ticket's
# state and what the queue shows of it (console.mapview TICKET_COLUMNS), and its supervision levels.
INCIDENT_COLUMNS = ("ticket_id", "channel", "category", "priority", "reported_at", "grid_code")
TICKET_COLUMNS = ("state", "version", "deadline", "lead_id", "helper_ids", "address", "description",
                  "warning_level", "escalation_level")
CHANGE_COLUMNS = (*INCIDENT_COLUMNS, *TICKET_COLUMNS, "overdue", "escalated", "open", "new", "lon", "lat")
_SQL_CHUNK = 500  # ids per IN (...) list, well under SQLite's parameter limit
# How long a fid skipped past is looked for: far longer than any gridsight transaction (the writers'
# lock times out after 30 s), long enough for a hand edit in QGIS to be saved.
GAP_SECONDS = 300.0
MAX_GAPS = 500  # the oldest are dropped past this (a burst of rolled-back writes)


def ticket_flags(frame: pd.DataFrame) -> pd.DataFrame:
    """Adds `overdue` (the SLA's red tier: past the deadline), `escalated` and `open` (someone still has to act)."""
    frame = frame.copy()
    frame["overdue"] = frame["warning_level"].fillna(0) >= RED
    frame["escalated"] = (frame["state"] == ESCALATED) | (frame["escalation_level"].fillna(0) > 0)
    frame["open"] = ~frame["state"].isin(FINISHED)
    return frame


class _Log:
    """One append-only log read past its cursor, with the gaps skipped below it (see the module docstring)."""

    def __init__(self, store, table: str, columns: str, clock):
        self.store, self.table, self.columns, self._clock = store, table, columns, clock
        self.cursor: int | None = None
        self.gaps: dict[int, float] = {}  # fid -> when it was first skipped

    def start(self) -> None:
        self.cursor = self.store.query(f"SELECT coalesce(max(fid), 0) FROM {self.table}")[0][0]

    def read(self) -> list[tuple]:
        """The rows committed since the last read, in fid order (late ones among them)."""
        now = self._clock()
        self.gaps = {fid: at for fid, at in self.gaps.items() if now - at < GAP_SECONDS}
        late = tuple(self.gaps)
        extra = f" OR fid IN ({', '.join('?' * len(late))})" if late else ""
        rows = self.store.query(f"SELECT fid, {self.columns} FROM {self.table} WHERE fid > ?{extra} ORDER BY fid",
                                (self.cursor, *late))
        for row in rows:
            fid = row[0]
            if fid > self.cursor:
                self.gaps.update(dict.fromkeys(range(self.cursor + 1, fid), now))
                self.cursor = fid
            else:
                self.gaps.pop(fid, None)
        if len(self.gaps) > MAX_GAPS:
            self.gaps = dict(sorted(self.gaps.items())[-MAX_GAPS:])
        return rows


class TicketChanges:
    """Reads a store for changed tickets. Not thread-safe: poll from one thread at a time."""

    def __init__(self, store, clock=time.monotonic):
        self.store = store
        self._timeline = _Log(store, "ticket_timeline", "ticket_id, state", clock)
        self._audit = _Log(store, "audit_log", "subject", clock)

    def poll(self) -> pd.DataFrame:
        """The tickets changed since the last poll, one row each as now stored (CHANGE_COLUMNS);
        `new` marks tickets received since then. The first poll only notes where the logs end."""
        if self._timeline.cursor is None:
            self._timeline.start()
            self._audit.start()
            return _empty()
        timeline = self._timeline.read()
        audit = self._audit.read()
        ids = list(dict.fromkeys([t for _, t, _ in timeline] + [s for _, s in audit if s]))
        if not ids:
            return _empty()
        received = {t for _, t, state in timeline if state == "received"}
        return self.rows(ids, received)

    def rows(self, ids: list[str], received: set[str] | frozenset = frozenset()) -> pd.DataFrame:
        """These tickets as `poll` returns them (those in `received` marked new); unknown ids are left out.

        One query per chunk joins each ticket to its incident: a poll brings a few tickets, and a
        frame per table merged in pandas cost a seat ~10 ms of CPU per poll (twelve seats reading
        five times a second took much of a 2-core server from its writers)."""
        dialect = self.store.dialect
        selected = ", ".join([*(f"t.{c}" for c in TICKET_COLUMNS), *(f"i.{c}" for c in INCIDENT_COLUMNS[1:])])
        records = []
        for start in range(0, len(ids), _SQL_CHUNK):
            chunk = tuple(ids[start:start + _SQL_CHUNK])
            # Audit subjects that are not tickets (grids, responders) fall out here.
            records += self.store.query(
                f"SELECT t.ticket_id, {selected}, {dialect.geometry('i.geom')} FROM tickets t "
                f"LEFT JOIN incidents i ON i.ticket_id = t.ticket_id "
                f"WHERE t.ticket_id IN ({', '.join('?' * len(chunk))})", chunk)
        if not records:
            return _empty()
        frame = pd.DataFrame.from_records(records, columns=["ticket_id", *TICKET_COLUMNS, *INCIDENT_COLUMNS[1:], "geom"])
        geoms = dialect.decode_geometries(frame.pop("geom").to_numpy())
        placed = ~(shapely.is_missing(geoms) | shapely.is_empty(geoms))
        frame["lon"] = np.where(placed, shapely.get_x(geoms), np.nan)
        frame["lat"] = np.where(placed, shapely.get_y(geoms), np.nan)
        frame = ticket_flags(frame)
        frame["new"] = frame["ticket_id"].isin(received)
        # In the order they changed, as the log has them.
        order = {ticket_id: n for n, ticket_id in enumerate(ids)}
        frame = frame.sort_values("ticket_id", key=lambda s: s.map(order), kind="stable")
        return frame[list(CHANGE_COLUMNS)].reset_index(drop=True)


def _empty() -> pd.DataFrame:
    return pd.DataFrame(columns=list(CHANGE_COLUMNS))
