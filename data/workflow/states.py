"""Ticket states and the transitions allowed between them (DESIGN.md §3).

The main loop is received → registered → dispatched → accepted → on_site → resolved →
closed; the side states cover what really happens in a centre: a department takes the
ticket (transferred), a supervisor pushes an overdue one up (escalated), the worker
sends it back (returned), the citizen is unhappy (reopened), it duplicates another
(merged). Keeping the table as data lets the engine, the CLI's error messages and the
tests share one definition.
"""

from __future__ import annotations

RECEIVED, REGISTERED, DISPATCHED, ACCEPTED, ON_SITE, RESOLVED, CLOSED = (
    "received", "registered", "dispatched", "accepted", "on_site", "resolved", "closed")
TRANSFERRED, ESCALATED, RETURNED, REOPENED, MERGED = (
    "transferred", "escalated", "returned", "reopened", "merged")

STATES = (RECEIVED, REGISTERED, DISPATCHED, ACCEPTED, ON_SITE, RESOLVED, CLOSED,
          TRANSFERRED, ESCALATED, RETURNED, REOPENED, MERGED)

# States in which nobody has to act any more: no SLA clock runs.
FINISHED = frozenset({RESOLVED, CLOSED, MERGED})
OPEN = tuple(s for s in STATES if s not in FINISHED)

TRANSITIONS: dict[str, frozenset[str]] = {
    RECEIVED: frozenset({REGISTERED, MERGED, ESCALATED}),
    REGISTERED: frozenset({DISPATCHED, TRANSFERRED, RESOLVED, MERGED, ESCALATED}),
    DISPATCHED: frozenset({ACCEPTED, RETURNED, TRANSFERRED, ESCALATED}),
    TRANSFERRED: frozenset({ACCEPTED, RETURNED, ESCALATED}),
    ACCEPTED: frozenset({ON_SITE, RESOLVED, RETURNED, ESCALATED}),
    ON_SITE: frozenset({RESOLVED, ESCALATED}),
    ESCALATED: frozenset({DISPATCHED, TRANSFERRED, ACCEPTED, ON_SITE, RESOLVED, ESCALATED}),
    RETURNED: frozenset({DISPATCHED, TRANSFERRED, RESOLVED, MERGED, ESCALATED}),
    RESOLVED: frozenset({CLOSED, REOPENED}),
    CLOSED: frozenset({REOPENED}),
    REOPENED: frozenset({DISPATCHED, TRANSFERRED, ESCALATED}),
    MERGED: frozenset(),
}


def refusal(current: str, target: str) -> str | None:
    """Why `current` → `target` is not allowed, or None when it is."""
    if target not in TRANSITIONS:
        return f"unknown state {target!r}; states are {', '.join(STATES)}"
    allowed = TRANSITIONS.get(current, frozenset())
    if target in allowed:
        return None
    if not allowed:
        return f"a {current} ticket is final and cannot change"
    return f"cannot go from {current} to {target}; from {current} it can go to {', '.join(sorted(allowed))}"
