"""Time as the workflow stores it: UTC, ISO 8601 with a Z, to the second.

That is the format the demo generator writes, and it sorts as text, so SQL can compare
deadlines with `<` on the indexed columns. The engine takes its clock as a function,
so tests and the SLA sweep can move time.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta, timezone

Clock = Callable[[], datetime]

BEIJING = timezone(timedelta(hours=8))


def utc_now() -> datetime:
    return datetime.now(timezone.utc)


def iso(moment: datetime) -> str:
    return moment.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def parse_iso(text: str) -> datetime:
    """An ISO 8601 time; one without a zone is taken as Beijing time, as the centres write it."""
    moment = datetime.fromisoformat(text.strip().replace("Z", "+00:00"))
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=BEIJING)
    return moment.astimezone(timezone.utc)


class ManualClock:
    """A clock that only moves when told to (for tests, the SLA demo and benchmarks)."""

    def __init__(self, start: datetime):
        self.now = start.astimezone(timezone.utc)

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta) -> None:
        self.now += timedelta(**delta)
