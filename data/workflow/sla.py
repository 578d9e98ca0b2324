"""Service-level policy: deadlines per category and priority, warning tiers, escalation.

The numbers are a policy a centre tunes, so they live in sla_policy.json next to this
module rather than in code.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

DEFAULT_POLICY = Path(__file__).with_name("sla_policy.json")

# Warning levels as stored in tickets.warning_level.
NO_WARNING, YELLOW, ORANGE, RED = 0, 1, 2, 3
WARNING_NAMES = {YELLOW: "yellow", ORANGE: "orange", RED: "red"}


class PolicyError(Exception):
    """The SLA policy file is unusable; the message says what to fix."""


@dataclass(frozen=True)
class SlaPolicy:
    hours_by_priority: dict[int, float]
    category_hours: dict[str, dict[int, float]]
    warning_shares: dict[int, float]  # warning level -> share of the allowed time used
    escalation_levels: tuple[str, ...]
    hours_after_escalation: float

    @classmethod
    def load(cls, path: str | Path = DEFAULT_POLICY) -> "SlaPolicy":
        try:
            raw = json.loads(Path(path).read_text(encoding="utf-8"))
            return cls(
                hours_by_priority={int(k): float(v) for k, v in raw["hours_by_priority"].items()},
                category_hours={c: {int(k): float(v) for k, v in hours.items()}
                                for c, hours in raw.get("category_hours", {}).items()},
                warning_shares={level: float(raw["warnings"][name]) for level, name in WARNING_NAMES.items()},
                escalation_levels=tuple(raw["escalation_levels"]),
                hours_after_escalation=float(raw["hours_after_escalation"]),
            )
        except (OSError, ValueError, KeyError, TypeError, AttributeError) as err:
            raise PolicyError(f"SLA policy {path} is unusable: {err!r}") from None

    @property
    def priorities(self) -> tuple[int, ...]:
        return tuple(sorted(self.hours_by_priority))

    def allowed_hours(self, category: str, priority: int) -> float:
        return self.category_hours.get(category, {}).get(priority, self.hours_by_priority[priority])

    def deadline(self, category: str, priority: int, reported_at: datetime) -> datetime:
        return reported_at + timedelta(hours=self.allowed_hours(category, priority))

    def warning_level(self, reported_at: datetime, deadline: datetime, now: datetime) -> int:
        """The highest tier reached: the share of the allowed time already used."""
        allowed = (deadline - reported_at).total_seconds()
        used = (now - reported_at).total_seconds() / allowed if allowed > 0 else float("inf")
        reached = [level for level, share in self.warning_shares.items() if used >= share]
        return max(reached, default=NO_WARNING)

    @property
    def top_escalation_level(self) -> int:
        return len(self.escalation_levels) - 1
