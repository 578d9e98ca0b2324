"""The closed-loop ticket workflow on the store: intake, dispatch, state changes, SLA sweep.

Every change is one store transaction (BEGIN IMMEDIATE on the GeoPackage, the writers' advisory
lock on PostgreSQL, so concurrent seats queue):
the ticket row, its timeline entry and the audit entry land together or not at all.
Seats that act on what they saw pass the version they saw; if the ticket changed in
between, the change is refused with VersionConflict instead of silently overwriting
someone else's decision (optimistic locking).

Every change is authorized first (data.auth): the engine acts for one session, and each
timeline and audit row names the signed-in user and seat. With sign-in off (a store with no
users, or a single-seat GeoPackage whose admin switched it off) the callers' `actor` and `seat`
are recorded as before, the audit row's seat marked " (sign-in off)".
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from functools import cached_property

import geopandas as gpd
import numpy as np
import shapely

from data import auth
from data.departments import listing, read_departments
from data.schema import STORAGE_SRID
from data.workflow import states as st
from data.workflow.clock import BEIJING, Clock, iso, parse_iso, utc_now
from data.workflow.duplicates import DuplicateRule, find_duplicate
from data.workflow.intake import ADAPTERS, IntakeRecord, RecordError, parse_record, record_id_of
from data.workflow.masking import reporter_view
from data.workflow.sla import NO_WARNING, RED, WARNING_NAMES, SlaPolicy
from gis.crs import to_wgs84
from gis.locate import OUTSIDE, GridIndex

MEDIATION_STEPS = ("accept", "investigate", "mediate", "agree", "follow_up")  # the seeds' 5-step flow
MEDIATION_OUTCOMES = ("mediated", "referred", "failed")
LOW_RATING = 2  # a rating at or below this reopens the ticket
_SQL_CHUNK = 500  # parameters per IN (...) list, well under SQLite's limit


class WorkflowError(Exception):
    """A workflow request was refused; the message says why and nothing was changed."""


class UnknownTicket(WorkflowError):
    pass


class IllegalTransition(WorkflowError):
    pass


class VersionConflict(WorkflowError):
    """The ticket changed since the version acted on; `by` and `seat` made its current version
    (None when its audit does not say), for a seat to tell its user whom to ask."""

    def __init__(self, message: str, by: str | None = None, seat: str | None = None):
        super().__init__(message)
        self.by = by
        self.seat = seat


@dataclass
class IntakeResult:
    created: list[str] = field(default_factory=list)
    duplicates: list[str] = field(default_factory=list)  # tickets already made from the same records
    rejected: list[dict] = field(default_factory=list)  # {"record_id", "reason"}
    suggested_merges: list[dict] = field(default_factory=list)  # {"ticket", "duplicate_of"}

    def as_json(self) -> dict:
        return {"created": self.created, "duplicates": self.duplicates, "rejected": self.rejected,
                "suggested_merges": self.suggested_merges}


@dataclass
class SweepResult:
    warnings: list[dict] = field(default_factory=list)  # {"ticket", "level"}
    escalations: list[dict] = field(default_factory=list)  # {"ticket", "to"}

    def as_json(self) -> dict:
        return {"warnings": self.warnings, "escalations": self.escalations}


@dataclass(frozen=True)
class _Who:
    """Who a change is recorded as: the actor and seat of the timeline, the audit row's seat."""
    actor: str
    seat: str | None
    audit_seat: str


@dataclass(frozen=True)
class _Ticket:
    ticket_id: str
    state: str
    version: int


def _changed_by(tx, ticket: _Ticket) -> tuple[str | None, str | None]:
    """Who made the ticket's current version and at which seat, from its audit rows; (None, None)
    when no row says (an intake, a direct write)."""
    for actor, detail in tx.execute(
            "SELECT actor, detail FROM audit_log WHERE subject = ? ORDER BY fid DESC LIMIT 20",
            (ticket.ticket_id,)).fetchall():
        change = json.loads(detail or "{}")
        if change.get("version") == ticket.version:
            return actor, change.get("seat")
    return None, None


class TicketEngine:
    """The workflow over one store, for one session (None: the store must need no sign-in).
    `clock` returns the current UTC time (injectable for tests)."""

    def __init__(self, store, clock: Clock = utc_now, policy: SlaPolicy | None = None,
                 duplicate_rule: DuplicateRule = DuplicateRule(), session: auth.Session | None = None):
        self.store = store
        self.session = session
        self.clock = clock
        self.policy = policy or SlaPolicy.load()
        self.duplicate_rule = duplicate_rule

    @cached_property
    def grid_index(self) -> GridIndex:
        grids = self.store.read_layer("grids")
        if grids.empty:
            raise WorkflowError("the store has no grids: import or generate grids before taking tickets")
        return GridIndex(grids)

    @cached_property
    def _grids_by_code(self) -> dict[str, dict]:
        grids = self.grid_index.grids
        return {row.code: {"name": row.name, "parent": row.parent_code, "chief": row.chief_id}
                for row in grids[["code", "name", "parent_code", "chief_id"]].itertuples(index=False)}

    def _acting(self, action: str, actor: str | None, seat: str | None) -> _Who:
        """Authorize `action` (auth.NotAllowed otherwise) and say who it is recorded as."""
        session = auth.check(self.store, self.session, action)
        if session.sign_in_off:
            if not actor or not str(actor).strip():
                raise WorkflowError("sign-in is off: say who acts (actor)")
            return _Who(str(actor).strip(), seat, session.audit_seat(seat))
        return _Who(session.username, session.seat, session.audit_seat(seat))

    # ----------------------------------------------------------------- intake

    def intake(self, channel: str, records: list, actor: str | None = None, seat: str | None = None,
               direct_to_grid: bool = False) -> IntakeResult:
        """Turn one batch of a channel's records into tickets, in one transaction.

        Idempotent on (channel, record id): a record seen before yields its existing
        ticket under `duplicates`. Bad records go to the dead-letter table; the good
        ones of the batch still go in. With `direct_to_grid` ("12345 + grid") each new
        ticket is dispatched straight to the chief of the grid containing it.
        """
        who = self._acting("ticket.intake", actor, seat)
        if channel not in ADAPTERS:
            raise WorkflowError(f"unknown channel {channel!r}; channels are {', '.join(ADAPTERS)}")
        adapter = ADAPTERS[channel]
        now = self.clock()
        result = IntakeResult()
        dead: list[dict] = []
        good: list[IntakeRecord] = []
        for raw in records:
            record = adapter.normalise(raw)
            try:
                good.append(parse_record(record, now))
            except RecordError as err:
                dead.append(self._dead_letter(channel, record_id_of(record), str(err), raw, now))
        good, where, outside = self._locate(good)
        dead += [self._dead_letter(channel, r.record_id, f"location ({r.lon}, {r.lat}) {r.crs} is outside the "
                                   "territory's grids", r, now) for r in outside]
        result.rejected = [{"record_id": d["record_id"], "reason": d["reason"]} for d in dead]

        with self.store.transaction() as tx:
            if dead:
                tx.insert_rows("intake_dead_letters", dead)
            existing = self._existing_records(tx, [f"{channel}:{r.record_id}" for r in good])
            position: dict[str, int] = {}  # record key -> index in `new`
            repeated: list[str] = []  # keys delivered twice within this batch
            new: list[tuple[IntakeRecord, float, float, str]] = []
            for record, (lon, lat, grid) in zip(good, where):
                key = f"{channel}:{record.record_id}"
                if key in existing:
                    result.duplicates.append(existing[key])
                elif key in position:
                    repeated.append(key)
                else:
                    position[key] = len(new)
                    new.append((record, lon, lat, grid))
            ids = self._allocate_ids(tx, [r.reported_at for r, *_ in new])
            result.duplicates += [ids[position[key]] for key in repeated]
            self._write_new_tickets(tx, channel, new, ids, who, direct_to_grid, now)
            for (record, lon, lat, _grid), ticket_id in zip(new, ids):
                other = find_duplicate(tx.execute, self.store.dialect, ticket_id, lon, lat, record.category,
                                       record.description, record.reported_at, self.duplicate_rule)
                if other is not None:
                    tx.execute("UPDATE tickets SET duplicate_of = ? WHERE ticket_id = ?", (other, ticket_id))
                    result.suggested_merges.append({"ticket": ticket_id, "duplicate_of": other})
            result.created = ids
        return result

    def _locate(self, records: list[IntakeRecord]):
        """WGS-84 position and deepest grid of each record; records outside every grid split off."""
        if not records:
            return [], [], []
        lon = np.array([r.lon for r in records])
        lat = np.array([r.lat for r in records])
        crs = np.array([r.crs for r in records])
        for name in set(crs.tolist()):
            hit = crs == name
            lon[hit], lat[hit] = to_wgs84(lon[hit], lat[hit], name)
        rows = self.grid_index.locate_deepest(lon, lat)
        codes = self.grid_index.grids["code"].to_numpy()
        inside, where, outside = [], [], []
        for record, x, y, row in zip(records, lon.tolist(), lat.tolist(), rows.tolist()):
            if row == OUTSIDE:
                outside.append(record)
            else:
                inside.append(record)
                where.append((x, y, str(codes[row])))
        return inside, where, outside

    @staticmethod
    def _dead_letter(channel: str, record_id, reason: str, raw, now: datetime) -> dict:
        payload = raw.__dict__ if isinstance(raw, IntakeRecord) else raw
        return {"channel": channel, "record_id": record_id, "received_at": iso(now), "reason": reason,
                "payload": json.dumps(payload, ensure_ascii=True, default=str)}

    @staticmethod
    def _existing_records(tx, keys: list[str]) -> dict[str, str]:
        found: dict[str, str] = {}
        for start in range(0, len(keys), _SQL_CHUNK):
            chunk = keys[start:start + _SQL_CHUNK]
            marks = ", ".join("?" * len(chunk))
            found.update(tx.execute(
                f"SELECT record_id, ticket_id FROM tickets WHERE record_id IN ({marks})", tuple(chunk)).fetchall())
        return found

    @staticmethod
    def _allocate_ids(tx, reported: list[datetime]) -> list[str]:
        """T<Beijing date of the report>-<serial of that day>, continuing the store's numbering."""
        next_serial: dict[str, int] = {}
        ids = []
        for moment in reported:
            day = moment.astimezone(BEIJING).strftime("%Y%m%d")
            if day not in next_serial:
                last = tx.execute("SELECT max(ticket_id) FROM tickets WHERE ticket_id >= ? AND ticket_id < ?",
                                  (f"T{day}-", f"T{day}.")).scalar()
                next_serial[day] = int(last.rsplit("-", 1)[1]) + 1 if last else 1
            ids.append(f"T{day}-{next_serial[day]:06d}")
            next_serial[day] += 1
        return ids

    def _write_new_tickets(self, tx, channel, new, ids, who: _Who, direct_to_grid, now) -> None:
        if not new:
            return
        at = iso(now)
        tickets, timeline, audit = [], [], []
        for (record, _lon, _lat, grid), ticket_id in zip(new, ids):
            chief = self._grids_by_code.get(grid, {}).get("chief") if direct_to_grid else None
            path = [(st.RECEIVED, f"intake:{channel}", f"record {record.record_id}"), (st.REGISTERED, who.actor, None)]
            if chief:
                path.append((st.DISPATCHED, who.actor, f"direct to the chief of grid {grid}"))
            tickets.append({
                "ticket_id": ticket_id, "record_id": f"{channel}:{record.record_id}", "state": path[-1][0],
                "version": len(path), "description": record.description, "address": record.address,
                "reporter_name": record.reporter_name, "reporter_phone": record.reporter_phone,
                "reporter_id_number": record.reporter_id_number, "lead_id": chief,
                "deadline": iso(self.policy.deadline(record.category, record.priority, record.reported_at)),
                "warning_level": NO_WARNING, "escalation_level": 0, "channel": channel,
                "category": record.category, "grid_code": grid, "reported_at": iso(record.reported_at),
                "attachments": json.dumps(list(record.attachments)) if record.attachments else None,
            })
            timeline += [{"ticket_id": ticket_id, "state": s, "at": at, "by": by, "note": note, "seat": who.seat}
                         for s, by, note in path]
            audit.append(self._audit_row(at, who, "intake", ticket_id,
                                         {"seat": who.seat, "channel": channel, "record_id": record.record_id,
                                          "state": path[-1][0]}))
        tx.insert_rows("tickets", tickets)
        tx.insert_rows("ticket_timeline", timeline)
        tx.insert_rows("audit_log", audit)
        incidents = gpd.GeoDataFrame(
            {"ticket_id": ids, "channel": channel,
             "category": [r.category for r, *_ in new], "priority": [r.priority for r, *_ in new],
             "reported_at": [iso(r.reported_at) for r, *_ in new], "grid_code": [g for *_, g in new]},
            geometry=shapely.points([lon for _, lon, _, _ in new], [lat for _, _, lat, _ in new]),
            crs=f"EPSG:{STORAGE_SRID}",
        )
        tx.write_layer("incidents", incidents, mode="append")

    # ------------------------------------------------------------ transitions

    @staticmethod
    def _audit_row(at: str, who: _Who, action: str, subject: str, detail: dict) -> dict:
        return {"at": at, "actor": who.actor, "action": action, "subject": subject,
                "detail": json.dumps(detail, ensure_ascii=False, sort_keys=True), "seat": who.audit_seat}

    @staticmethod
    def _load(tx, ticket_id: str, expected_version: int | None) -> _Ticket:
        row = tx.execute("SELECT state, version FROM tickets WHERE ticket_id = ?", (ticket_id,)).fetchone()
        if row is None:
            raise UnknownTicket(f"no ticket {ticket_id}")
        ticket = _Ticket(ticket_id, row[0], row[1])
        if expected_version is not None and expected_version != ticket.version:
            by, seat = _changed_by(tx, ticket)
            named = (f", by {by}" + (f" at {seat}" if seat else "")) if by else ""
            raise VersionConflict(
                f"ticket {ticket_id} was changed by someone else: it is now version {ticket.version} "
                f"({ticket.state}){named}, you acted on version {expected_version}; reload it and try again",
                by, seat)
        return ticket

    def _update(self, tx, ticket: _Ticket, who: _Who, action: str, updates: dict,
                note: str | None = None, timeline_state: str | None = None, bump: bool = True) -> int:
        """Write `updates`, append to the audit log (and the timeline for a state change).

        The version is bumped for every decision a seat could have acted on; `bump=False`
        is for supervision bookkeeping (warning tiers) that must not make seats' next
        actions conflict.
        """
        at = iso(self.clock())
        version = ticket.version + 1 if bump else ticket.version
        assignments = ", ".join(f'"{name}" = ?' for name in {**updates, "version": version})
        changed = tx.execute(f"UPDATE tickets SET {assignments} WHERE ticket_id = ? AND version = ?",
                             (*updates.values(), version, ticket.ticket_id, ticket.version)).rowcount
        if changed != 1:  # cannot happen while writers queue; refuse rather than trust it
            raise VersionConflict(f"ticket {ticket.ticket_id} changed while being updated; try again")
        if timeline_state:
            tx.insert_rows("ticket_timeline", [{"ticket_id": ticket.ticket_id, "state": timeline_state, "at": at,
                                                "by": who.actor, "note": note, "seat": who.seat}])
        detail = {"seat": who.seat, "version": version, "changes": updates}
        if note:
            detail["note"] = note
        tx.insert_rows("audit_log", [self._audit_row(at, who, action, ticket.ticket_id, detail)])
        return version

    def _move(self, tx, ticket: _Ticket, target: str, who: _Who, note: str | None = None,
              updates: dict | None = None) -> int:
        reason = st.refusal(ticket.state, target)
        if reason:
            raise IllegalTransition(f"ticket {ticket.ticket_id}: {reason}")
        return self._update(tx, ticket, who, f"{ticket.state}->{target}", {"state": target, **(updates or {})},
                            note, timeline_state=target)

    def dispatch(self, ticket_id: str, lead: str, helpers: list[str] | tuple = (),
                 *, actor: str | None = None, seat: str | None = None,
                 expected_version: int | None = None, note: str | None = None) -> int:
        """Send the ticket to a lead responder and any helpers; returns the new version."""
        who = self._acting("ticket.dispatch", actor, seat)
        helpers = list(dict.fromkeys(helpers))
        if lead in helpers:
            raise WorkflowError(f"{lead} cannot be both the lead and a helper")
        with self.store.transaction() as tx:
            ticket = self._load(tx, ticket_id, expected_version)
            self._check_responders(tx, [lead, *helpers])
            return self._move(tx, ticket, st.DISPATCHED, who, note or f"lead {lead}" + (
                f", helpers {', '.join(helpers)}" if helpers else ""),
                {"lead_id": lead, "helper_ids": ",".join(helpers) or None, "department": None})

    def add_helpers(self, ticket_id: str, helpers: list[str] | tuple,
                    *, actor: str | None = None, seat: str | None = None,
                    expected_version: int | None = None) -> int:
        """More responders join a ticket its lead already has ("one point happens, many respond");
        the timeline gets an entry in the same state, so every seat sees who joined."""
        who = self._acting("ticket.dispatch", actor, seat)
        with self.store.transaction() as tx:
            ticket = self._load(tx, ticket_id, expected_version)
            lead, current = tx.execute("SELECT lead_id, helper_ids FROM tickets WHERE ticket_id = ?",
                                       (ticket_id,)).fetchone()
            if ticket.state not in (st.DISPATCHED, st.ACCEPTED, st.ON_SITE) or not lead:
                raise IllegalTransition(f"ticket {ticket_id} is {ticket.state} without a lead in charge: "
                                        "dispatch it to a lead, with its helpers")
            joining = [h for h in dict.fromkeys(helpers) if h not in (current or "").split(",")]
            if lead in joining:
                raise WorkflowError(f"{lead} already leads ticket {ticket_id}")
            if not joining:
                raise WorkflowError(f"{', '.join(helpers)} already help on ticket {ticket_id}")
            self._check_responders(tx, joining)
            everyone = [*filter(None, (current or "").split(",")), *joining]
            return self._update(tx, ticket, who, "add_helpers", {"helper_ids": ",".join(everyone)},
                                f"helpers {', '.join(joining)} joined", timeline_state=ticket.state)

    @staticmethod
    def _check_responders(tx, ids: list[str]) -> None:
        marks = ", ".join("?" * len(ids))
        known = {r[0] for r in tx.execute(
            f"SELECT responder_id FROM responders WHERE responder_id IN ({marks})", tuple(ids)).fetchall()}
        missing = [i for i in ids if i not in known]
        if missing:
            raise WorkflowError(f"no responder {', '.join(missing)}")

    def transfer(self, ticket_id: str, department: str, deadline: datetime,
                 *, actor: str | None = None, seat: str | None = None,
                 expected_version: int | None = None, note: str | None = None) -> int:
        """Hand the ticket to a department with its own deadline ("whistle and report").

        A store that lists its departments takes only their ids; one that lists none (made
        before departments were kept) takes any name. A responder's id is never a department.
        """
        who = self._acting("ticket.transfer", actor, seat)
        if not department.strip():
            raise WorkflowError("name the department to transfer to")
        with self.store.transaction() as tx:
            ticket = self._load(tx, ticket_id, expected_version)
            if deadline <= self.clock():
                raise WorkflowError(f"the deadline {iso(deadline)} has already passed")
            name = self._check_department(tx, department)
            to = f"{name} ({department})" if name else department
            return self._move(tx, ticket, st.TRANSFERRED, who, note or f"to {to} by {iso(deadline)}",
                              {"department": department, "deadline": iso(deadline), "lead_id": None,
                               "helper_ids": None, "warning_level": NO_WARNING})

    # What a responder is, for refusing its id as a department.
    _RESPONDER_KINDS = {"grid_worker": "a grid worker", "police": "a police unit", "department": "a department team"}

    def _check_department(self, tx, department: str) -> str | None:
        """The department's stored name (None when the store lists no departments); refused when
        it is not one of the store's departments."""
        known = read_departments(tx)
        for listed in known:
            if listed.department_id == department:
                return listed.name
        kind = tx.execute("SELECT kind FROM responders WHERE responder_id = ?", (department,)).scalar()
        if kind is not None:
            raise WorkflowError(f"{department} is {self._RESPONDER_KINDS.get(kind, f'a responder ({kind})')}, "
                                "not a department: dispatch sends a ticket to responders")
        if known:
            raise WorkflowError(f"no department {department!r} in the store; its departments are {listing(known)}")
        return None

    # States reached only through their own command, which records what they need.
    _DEDICATED = {st.DISPATCHED: "dispatch", st.TRANSFERRED: "transfer", st.MERGED: "merge"}

    def advance(self, ticket_id: str, target: str, *, actor: str | None = None, seat: str | None = None,
                expected_version: int | None = None, note: str | None = None) -> int:
        """Any other state change (accept, on site, resolve, close, return, reopen, escalate)."""
        who = self._acting("ticket.advance", actor, seat)
        if target in self._DEDICATED:
            raise WorkflowError(f"use `{self._DEDICATED[target]}` to move a ticket to {target}")
        with self.store.transaction() as tx:
            ticket = self._load(tx, ticket_id, expected_version)
            updates: dict = {}
            if target == st.RESOLVED and note:
                updates["outcome"] = note
            elif target == st.CLOSED:
                updates["closed_at"] = iso(self.clock())
            elif target == st.REOPENED:
                updates["closed_at"] = None
            elif target == st.ESCALATED:
                return self._escalate(tx, ticket, who, note)
            return self._move(tx, ticket, target, who, note, updates)

    def _escalate(self, tx, ticket: _Ticket, who: _Who, note: str | None) -> int:
        level, grid = tx.execute(
            "SELECT coalesce(t.escalation_level, 0), i.grid_code FROM tickets t "
            "LEFT JOIN incidents i ON i.ticket_id = t.ticket_id WHERE t.ticket_id = ?", (ticket.ticket_id,)).fetchone()
        if level >= self.policy.top_escalation_level:
            raise IllegalTransition(f"ticket {ticket.ticket_id} is already at the "
                                    f"{self.policy.escalation_levels[-1]}, the top escalation level")
        target = self.escalation_target(grid, level + 1)
        deadline = self.clock() + timedelta(hours=self.policy.hours_after_escalation)
        message = f"escalated to {target}" + (f" ({note})" if note else "")
        self._notice(tx, ticket.ticket_id, "escalated", message)
        return self._move(tx, ticket, st.ESCALATED, who, message,
                          {"escalation_level": level + 1, "deadline": iso(deadline), "warning_level": NO_WARNING})

    def escalation_target(self, grid_code: str | None, level: int) -> str:
        """Who a ticket escalated to `level` goes to: the enclosing village or township, or the county centre."""
        name = self.policy.escalation_levels[level]
        code = grid_code
        for _ in range(level):
            code = self._grids_by_code.get(code, {}).get("parent") if code else None
        if code and level < self.policy.top_escalation_level and code in self._grids_by_code:
            return f"{name} {code} {self._grids_by_code[code]['name']}"
        return name

    def _notice(self, tx, ticket_id: str, level: str, message: str) -> None:
        tx.insert_rows("supervision_notices", [{"ticket_id": ticket_id, "level": level, "at": iso(self.clock()),
                                                "message": message}])

    def rate(self, ticket_id: str, score: int, *, actor: str | None = None, seat: str | None = None,
             expected_version: int | None = None) -> int:
        """The citizen's rating: a good one closes a resolved ticket, a bad one (<= 2) reopens it."""
        who = self._acting("ticket.rate", actor, seat)
        if isinstance(score, bool) or not isinstance(score, int) or not 1 <= score <= 5:
            raise WorkflowError(f"a rating is a whole number from 1 to 5, got {score!r}")
        with self.store.transaction() as tx:
            ticket = self._load(tx, ticket_id, expected_version)
            if ticket.state not in (st.RESOLVED, st.CLOSED):
                raise IllegalTransition(f"ticket {ticket_id} is {ticket.state}: only a resolved or closed "
                                        "ticket can be rated")
            note = f"rated {score}"
            if score <= LOW_RATING:
                return self._move(tx, ticket, st.REOPENED, who, note + ", reopened",
                                  {"rating": score, "closed_at": None})
            if ticket.state == st.RESOLVED:
                return self._move(tx, ticket, st.CLOSED, who, note,
                                  {"rating": score, "closed_at": iso(self.clock())})
            return self._update(tx, ticket, who, "rate", {"rating": score}, note)

    def merge(self, ticket_id: str, into: str, *, actor: str | None = None, seat: str | None = None,
              expected_version: int | None = None) -> int:
        """Close a duplicate into the ticket that carries on."""
        who = self._acting("ticket.merge", actor, seat)
        if ticket_id == into:
            raise WorkflowError("a ticket cannot be merged into itself")
        with self.store.transaction() as tx:
            ticket = self._load(tx, ticket_id, expected_version)
            survivor = self._load(tx, into, None)
            if survivor.state == st.MERGED:
                raise IllegalTransition(f"ticket {into} is itself merged; merge into the ticket it was merged into")
            return self._move(tx, ticket, st.MERGED, who, f"duplicate of {into}", {"merged_into": into})

    # ---------------------------------------------------------------- disputes

    def mediation_step(self, ticket_id: str, step: str, *, actor: str | None = None, seat: str | None = None,
                       expected_version: int | None = None, note: str | None = None) -> int:
        """Record the next step of a dispute's mediation; steps go in the fixed order."""
        who = self._acting("ticket.mediate", actor, seat)
        if step not in MEDIATION_STEPS:
            raise WorkflowError(f"unknown mediation step {step!r}; steps are {', '.join(MEDIATION_STEPS)}")
        with self.store.transaction() as tx:
            ticket = self._load(tx, ticket_id, expected_version)
            done = self._dispute_steps(tx, ticket)
            expected = MEDIATION_STEPS[len(done)] if len(done) < len(MEDIATION_STEPS) else None
            if step != expected:
                raise IllegalTransition(f"ticket {ticket_id}: the next mediation step is "
                                        f"{expected or 'none (all done)'}, not {step}")
            tx.insert_rows("mediation_steps", [{"ticket_id": ticket_id, "step": step, "at": iso(self.clock()),
                                                "by": who.actor, "note": note}])
            return self._update(tx, ticket, who, f"mediation:{step}", {}, note)

    def conclude_mediation(self, ticket_id: str, outcome: str,
                           *, actor: str | None = None, seat: str | None = None,
                           expected_version: int | None = None) -> int:
        who = self._acting("ticket.mediate", actor, seat)
        if outcome not in MEDIATION_OUTCOMES:
            raise WorkflowError(f"unknown mediation outcome {outcome!r}; use {', '.join(MEDIATION_OUTCOMES)}")
        with self.store.transaction() as tx:
            ticket = self._load(tx, ticket_id, expected_version)
            done = self._dispute_steps(tx, ticket)
            if "mediate" not in done:
                raise IllegalTransition(f"ticket {ticket_id}: mediate before recording an outcome")
            return self._update(tx, ticket, who, "mediation:outcome", {"mediation_outcome": outcome})

    @staticmethod
    def _dispute_steps(tx, ticket: _Ticket) -> list[str]:
        category = tx.execute("SELECT category FROM incidents WHERE ticket_id = ?", (ticket.ticket_id,)).scalar()
        if category != "dispute":
            raise WorkflowError(f"ticket {ticket.ticket_id} is {category or 'uncategorised'}, not a dispute")
        if ticket.state == st.MERGED:
            raise IllegalTransition(f"ticket {ticket.ticket_id} is merged; mediate the ticket it was merged into")
        return [r[0] for r in tx.execute("SELECT step FROM mediation_steps WHERE ticket_id = ? ORDER BY fid",
                                         (ticket.ticket_id,)).fetchall()]

    # --------------------------------------------------------------------- SLA

    def sweep(self, actor: str = "sla", seat: str = "sla") -> SweepResult:
        """Raise warnings on open tickets running out of time; escalate overdue ones one level.

        Each ticket changes in its own transaction, against the version read, so a
        seat acting on a ticket at the same moment wins and the sweep retries later.
        """
        who = self._acting("ticket.sweep", actor, seat)
        now = self.clock()
        marks = ", ".join("?" * len(st.OPEN))
        rows = self.store.query(
            "SELECT t.ticket_id, t.version, t.deadline, coalesce(t.warning_level, 0), "
            "coalesce(t.escalation_level, 0), i.reported_at FROM tickets t "
            f"JOIN incidents i ON i.ticket_id = t.ticket_id WHERE t.state IN ({marks}) AND t.deadline IS NOT NULL",
            tuple(st.OPEN))
        result = SweepResult()
        for ticket_id, version, deadline, warned, escalation, reported in rows:
            level = self.policy.warning_level(parse_iso(reported), parse_iso(deadline), now)
            escalate = level == RED and escalation < self.policy.top_escalation_level
            if level <= warned and not escalate:
                continue
            try:
                with self.store.transaction() as tx:
                    ticket = self._load(tx, ticket_id, version)
                    if level > warned:
                        self._notice(tx, ticket_id, WARNING_NAMES[level],
                                     f"{WARNING_NAMES[level]} warning: deadline {deadline}")
                        self._update(tx, ticket, who, f"warning:{WARNING_NAMES[level]}",
                                     {"warning_level": level}, bump=False)
                        result.warnings.append({"ticket": ticket_id, "level": WARNING_NAMES[level]})
                    if escalate:
                        self._escalate(tx, ticket, who, "overdue")
                        result.escalations.append({"ticket": ticket_id,
                                                   "to": self.policy.escalation_levels[escalation + 1]})
            except VersionConflict:
                continue
        return result

    # ------------------------------------------------------------------ reading

    _SHOW_COLUMNS = ("t.ticket_id, t.state, t.version, i.channel, i.category, i.priority, i.grid_code, "
                     "i.reported_at, t.lead_id, t.helper_ids, t.department, t.deadline, t.closed_at, t.outcome, "
                     "t.rating, t.description, t.address, t.reporter_name, t.reporter_phone, t.reporter_id_number, "
                     "t.duplicate_of, t.merged_into, t.warning_level, t.escalation_level, t.mediation_outcome")

    def _summary(self, row, role: str | None) -> dict:
        (ticket_id, state, version, channel, category, priority, grid, reported_at, lead, helpers, department,
         deadline, closed_at, outcome, rating, description, address, name, phone, id_number, duplicate_of,
         merged_into, warning, escalation, mediation) = row
        return {
            "id": ticket_id, "state": state, "version": version, "channel": channel, "category": category,
            "priority": priority, "grid": grid, "reported_at": reported_at,
            "assignees": {"lead": lead, "helpers": helpers.split(",") if helpers else []},
            "department": department, "deadline": deadline, "closed_at": closed_at, "outcome": outcome,
            "rating": rating, "description": description, "address": address,
            "reporter": reporter_view(name, phone, id_number, role),
            "duplicate_of": duplicate_of, "merged_into": merged_into,
            "warning": WARNING_NAMES.get(warning or 0), "escalation": self.policy.escalation_levels[escalation or 0],
            "mediation_outcome": mediation,
        }

    def show(self, ticket_id: str, role: str | None = None) -> dict:
        """Everything about one ticket, with its timeline, mediation steps and supervision notices;
        personal data masked per role."""
        rows = self.store.query(f"SELECT {self._SHOW_COLUMNS} FROM tickets t LEFT JOIN incidents i "
                                "ON i.ticket_id = t.ticket_id WHERE t.ticket_id = ?", (ticket_id,))
        if not rows:
            raise UnknownTicket(f"no ticket {ticket_id}")
        ticket = self._summary(rows[0], auth.reader_role(self.store, self.session, role))
        ticket["timeline"] = self.timeline(ticket_id)
        ticket["mediation"] = [
            {"step": step, "at": at, "by": by, "note": note} for step, at, by, note in self.store.query(
                "SELECT step, at, by, note FROM mediation_steps WHERE ticket_id = ? ORDER BY fid", (ticket_id,))]
        ticket["notices"] = [
            {"level": level, "at": at, "message": message} for level, at, message in self.store.query(
                "SELECT level, at, message FROM supervision_notices WHERE ticket_id = ? ORDER BY fid", (ticket_id,))]
        return ticket

    def timeline(self, ticket_id: str) -> list[dict]:
        return [{"state": state, "at": at, "by": by, "seat": seat, "note": note}
                for state, at, by, seat, note in self.store.query(
                    'SELECT state, at, "by", seat, note FROM ticket_timeline WHERE ticket_id = ? ORDER BY fid',
                    (ticket_id,))]

    def list_tickets(self, states: list[str] | None = None, overdue: bool = False, limit: int = 100,
                     role: str | None = None) -> list[dict]:
        """Tickets newest first, optionally only some states and/or only the overdue ones."""
        role = auth.reader_role(self.store, self.session, role)
        unknown = [s for s in states or () if s not in st.STATES]
        if unknown:
            raise WorkflowError(f"unknown state {unknown[0]!r}; states are {', '.join(st.STATES)}")
        clauses, params = [], []
        if states:
            clauses.append(f"t.state IN ({', '.join('?' * len(states))})")
            params += states
        if overdue:
            clauses.append(f"t.state IN ({', '.join('?' * len(st.OPEN))}) AND t.deadline < ?")
            params += [*st.OPEN, iso(self.clock())]
        where = f"WHERE {' AND '.join(clauses)}" if clauses else ""
        rows = self.store.query(f"SELECT {self._SHOW_COLUMNS} FROM tickets t LEFT JOIN incidents i "
                                f"ON i.ticket_id = t.ticket_id {where} ORDER BY t.fid DESC LIMIT ?",
                                (*params, limit))
        return [self._summary(row, role) for row in rows]

    def audit_trail(self, ticket_id: str | None = None, limit: int = 100) -> list[dict]:
        """Entries of the append-only audit log, oldest first; one ticket's, or the latest `limit`."""
        auth.reader_role(self.store, self.session)  # refused when the store needs a sign-in
        where, params = ("WHERE subject = ?", (ticket_id,)) if ticket_id else ("", ())
        latest = self.store.query(
            f"SELECT at, actor, action, subject, detail, seat FROM audit_log {where} ORDER BY fid DESC LIMIT ?",
            (*params, limit))
        return [{"at": at, "actor": actor, "action": action, "subject": subject, "seat": seat,
                 "detail": json.loads(detail) if detail and detail.startswith("{") else detail}
                for at, actor, action, subject, detail, seat in reversed(latest)]

    def dead_letters(self, limit: int = 100) -> list[dict]:
        """Refused intake records, newest first (the payload is left out: it may hold personal data)."""
        auth.reader_role(self.store, self.session)  # refused when the store needs a sign-in
        return [{"channel": c, "record_id": r, "received_at": at, "reason": reason}
                for c, r, at, reason in self.store.query(
                    "SELECT channel, record_id, received_at, reason FROM intake_dead_letters "
                    "ORDER BY fid DESC LIMIT ?", (limit,))]

