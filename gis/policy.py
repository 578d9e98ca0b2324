"""Dispatch policy: which kinds of responder suit a ticket category.

The table lives in `dispatch_policy.json` next to this module so that a centre can
change who is suggested for what without touching code.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

POLICY_FILE = Path(__file__).with_name("dispatch_policy.json")
RESPONDER_KINDS = ("grid_worker", "police", "department")
# Each kind's usual speed in a city, km/h: grid workers on e-bikes, police cars, department vans.
USUAL_SPEED_KPH = {"grid_worker": 12.0, "police": 35.0, "department": 30.0}
# Without roads, responders are ranked by straight-line distance at these speeds: the usual ones
# over 1.3, the usual ratio of a city trip's road length to its straight line.
DETOUR_FACTOR = 1.3
STRAIGHT_LINE_KPH = {kind: round(speed / DETOUR_FACTOR, 1) for kind, speed in USUAL_SPEED_KPH.items()}


@dataclass(frozen=True)
class DispatchPolicy:
    kinds_by_category: dict[str, tuple[str, ...]]
    own_grid_margin_s: float

    @classmethod
    def load(cls, path: str | Path = POLICY_FILE) -> "DispatchPolicy":
        table = json.loads(Path(path).read_text(encoding="utf-8"))
        kinds = {category: tuple(k) for category, k in table["kinds_by_category"].items()}
        unknown = {k for ks in kinds.values() for k in ks} - set(RESPONDER_KINDS)
        if unknown or "default" not in kinds:
            raise ValueError(f"{path}: needs a 'default' row and only the kinds {', '.join(RESPONDER_KINDS)}")
        return cls(kinds, float(table["own_grid_margin_s"]))

    def kinds_for(self, category: str | None) -> tuple[str, ...]:
        """The responder kinds to suggest for a category (the default row if not listed)."""
        return self.kinds_by_category.get(category or "default", self.kinds_by_category["default"])
