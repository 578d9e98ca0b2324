"""The console's one door to the ticket workflow: dispatching, transferring, merging,
escalating and taking in tickets, and reading one ticket's details.

The window calls this small adapter, never the workflow engine directly, so that the UI holds
no workflow rules and a different engine (a server, say) can stand behind the same calls.
"""

from __future__ import annotations

import uuid
from datetime import datetime

from data import auth
from data.workflow.clock import utc_now
from data.workflow.engine import TicketEngine, VersionConflict, WorkflowError
from data.workflow.states import ESCALATED

# What the centre's own screens show of a reporter: they take the calls, so they see them in full
# (data/workflow/masking.py decides what each role sees).
DISPATCHER_ROLE = "dispatcher"
# How a walk-in or phone report reaches the engine: the centre's own channel.
CENTRE_CHANNEL = "walk_in"
CENTRE_MODES = ("walk_in", "phone")


class DispatchRefused(Exception):
    """The workflow said no (wrong state, unknown responder, bad input); the message says why."""


class TicketConflict(DispatchRefused):
    """Someone else changed the ticket since this seat read it: reload it, never overwrite.
    `by` and `seat` name who changed it last (None when the store does not say)."""

    def __init__(self, message: str, by: str | None = None, seat: str | None = None):
        super().__init__(message)
        self.by, self.seat = by, seat


class Dispatcher:
    """Dispatches tickets for one console seat and duty officer: the signed-in `session`'s user
    (whose role the workflow enforces), or `actor` on a store with sign-in off."""

    def __init__(self, store, actor: str, seat: str, session: auth.Session | None = None):
        self._engine = TicketEngine(store, session=session)
        self.session = session
        self.actor = actor if session is None or session.sign_in_off else session.username
        self.seat = seat if session is None or session.sign_in_off else session.seat

    def share_grid_index(self, index) -> None:
        """Locate reports with the window's GridIndex instead of building another (seconds on
        a city) on the UI thread at the first intake."""
        self._engine.grid_index = index

    def _call(self, method, *args, **kwargs):
        try:
            return method(*args, actor=self.actor, seat=self.seat, **kwargs)
        except VersionConflict as err:
            raise TicketConflict(str(err), err.by, err.seat) from None
        except (WorkflowError, auth.AuthError) as err:
            raise DispatchRefused(str(err)) from None

    def assign(self, ticket_id: str, lead: str, expected_version: int | None, helpers: tuple[str, ...] = ()) -> int:
        """Send the ticket to `lead` (and `helpers`); returns the ticket's new version. `expected_version`
        is the version the dispatcher saw: someone else's change in between refuses the assignment."""
        return self._call(self._engine.dispatch, ticket_id, lead, helpers, expected_version=expected_version)

    def add_helpers(self, ticket_id: str, helpers: list[str], expected_version: int | None) -> int:
        """Responders join a ticket that already has its lead."""
        return self._call(self._engine.add_helpers, ticket_id, helpers, expected_version=expected_version)

    def transfer(self, ticket_id: str, department: str, deadline: datetime, expected_version: int | None) -> int:
        """Hand the ticket to a department, which must report back by `deadline`."""
        return self._call(self._engine.transfer, ticket_id, department, deadline, expected_version=expected_version)

    def merge(self, ticket_id: str, into: str, expected_version: int | None) -> int:
        """Close `ticket_id` as a duplicate of `into`."""
        return self._call(self._engine.merge, ticket_id, into, expected_version=expected_version)

    def escalate(self, ticket_id: str, expected_version: int | None) -> int:
        """Push the ticket one supervision level up."""
        return self._call(self._engine.advance, ticket_id, ESCALATED, expected_version=expected_version,
                          note=f"by the duty officer at {self.seat}")

    def escalation_target(self, grid_code: str | None, current_level: int) -> str:
        """Who the ticket would go to if escalated now (for the confirmation)."""
        if current_level >= self._engine.policy.top_escalation_level:
            raise DispatchRefused("the ticket is already at the top escalation level")
        return self._engine.escalation_target(grid_code, current_level + 1)

    def take_in(self, mode: str, lon: float, lat: float, category: str, priority: int,
                description: str | None, address: str | None, reporter_name: str | None,
                reporter_phone: str | None) -> tuple[str, str | None]:
        """A walk-in or phone report typed in at the centre (WGS-84 position) becomes a ticket:
        returns its id and the ticket it may duplicate. Bad input is refused, nothing is saved."""
        if mode not in CENTRE_MODES:
            raise DispatchRefused(f"unknown way of reporting {mode!r}; use {', '.join(CENTRE_MODES)}")
        record = {
            "record_id": f"{mode}-{utc_now():%Y%m%d%H%M%S}-{uuid.uuid4().hex[:8]}", "category": category,
            "priority": priority, "description": description, "address": address, "lon": lon, "lat": lat,
            "crs": "wgs84", "reporter": {"name": reporter_name, "phone": reporter_phone},
        }
        result = self._call(self._engine.intake, CENTRE_CHANNEL, [record])
        if result.rejected:
            raise DispatchRefused(result.rejected[0]["reason"])
        duplicate = result.suggested_merges[0]["duplicate_of"] if result.suggested_merges else None
        return result.created[0], duplicate

    def details(self, ticket_id: str) -> dict:
        """Everything about one ticket (timeline, reporter as the signed-in role may see them; with
        sign-in off, as the dispatcher does)."""
        signed_off = self.session is None or self.session.sign_in_off
        try:
            return self._engine.show(ticket_id, role=DISPATCHER_ROLE if signed_off else None)
        except (WorkflowError, auth.AuthError) as err:
            raise DispatchRefused(str(err)) from None
