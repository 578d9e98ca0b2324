"""The console's one door to the ticket workflow: assigning responders to a ticket.

The window calls this small adapter, never the workflow engine directly, so that the UI holds
no workflow rules and a different engine (a server, say) can stand behind the same calls.
"""

from __future__ import annotations

from data.workflow.engine import TicketEngine, WorkflowError


class DispatchRefused(Exception):
    """The workflow said no (wrong state, stale version, unknown responder); the message says why."""


class Dispatcher:
    """Dispatches tickets for one console seat and duty officer."""

    def __init__(self, store, actor: str, seat: str):
        self._engine = TicketEngine(store)
        self.actor = actor
        self.seat = seat

    def assign(self, ticket_id: str, lead: str, expected_version: int | None) -> int:
        """Send the ticket to `lead`; returns the ticket's new version. `expected_version` is the
        version the dispatcher saw: someone else's change in between refuses the assignment."""
        try:
            return self._engine.dispatch(ticket_id, lead, actor=self.actor, seat=self.seat,
                                         expected_version=expected_version)
        except WorkflowError as err:
            raise DispatchRefused(str(err)) from None
