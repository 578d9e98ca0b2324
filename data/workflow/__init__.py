"""The closed-loop ticket workflow (issue 5): intake from every channel, dispatch, SLA,
duplicates, mediation, statistics, on the store. No Qt: the console, the big screen and
scripts all drive this one engine."""

from data.workflow.engine import (
    IllegalTransition, IntakeResult, SweepResult, TicketEngine, UnknownTicket, VersionConflict, WorkflowError,
)

__all__ = ["IllegalTransition", "IntakeResult", "SweepResult", "TicketEngine", "UnknownTicket", "VersionConflict",
           "WorkflowError"]
