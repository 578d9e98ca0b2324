"""What the dispatcher reads for the store's codes: ticket states, channels, categories, kinds.

The codes stay English in the store; the UI shows them in the UI language. Unknown codes are
shown as they are, so new ones never hide a ticket.
"""

from __future__ import annotations

from PySide6.QtCore import QT_TRANSLATE_NOOP, QCoreApplication

_CONTEXT = "Labels"
_NAMES = {
    "state": {
        "received": QT_TRANSLATE_NOOP("Labels", "received"),
        "registered": QT_TRANSLATE_NOOP("Labels", "registered"),
        "dispatched": QT_TRANSLATE_NOOP("Labels", "dispatched"),
        "accepted": QT_TRANSLATE_NOOP("Labels", "accepted"),
        "on_site": QT_TRANSLATE_NOOP("Labels", "on site"),
        "resolved": QT_TRANSLATE_NOOP("Labels", "resolved"),
        "closed": QT_TRANSLATE_NOOP("Labels", "closed"),
        "transferred": QT_TRANSLATE_NOOP("Labels", "with a department"),
        "escalated": QT_TRANSLATE_NOOP("Labels", "escalated"),
        "returned": QT_TRANSLATE_NOOP("Labels", "returned"),
        "reopened": QT_TRANSLATE_NOOP("Labels", "reopened"),
        "merged": QT_TRANSLATE_NOOP("Labels", "merged"),
    },
    "channel": {
        "12345": QT_TRANSLATE_NOOP("Labels", "12345 hotline"),
        "110": QT_TRANSLATE_NOOP("Labels", "110 handover"),
        "12348": QT_TRANSLATE_NOOP("Labels", "12348 legal line"),
        "grid_report": QT_TRANSLATE_NOOP("Labels", "grid report"),
        "walk_in": QT_TRANSLATE_NOOP("Labels", "walk-in / phone"),
        "camera_alert": QT_TRANSLATE_NOOP("Labels", "camera alert"),
    },
    "category": {
        "dispute": QT_TRANSLATE_NOOP("Labels", "dispute"),
        "hazard": QT_TRANSLATE_NOOP("Labels", "safety hazard"),
        "public_order": QT_TRANSLATE_NOOP("Labels", "public order"),
        "city_management": QT_TRANSLATE_NOOP("Labels", "city management"),
        "environment": QT_TRANSLATE_NOOP("Labels", "environment"),
        "help_request": QT_TRANSLATE_NOOP("Labels", "help request"),
        "legal_aid": QT_TRANSLATE_NOOP("Labels", "legal aid"),
    },
    "kind": {
        "grid_worker": QT_TRANSLATE_NOOP("Labels", "grid worker"),
        "police": QT_TRANSLATE_NOOP("Labels", "police"),
        "department": QT_TRANSLATE_NOOP("Labels", "department"),
    },
    # Departments a ticket can be transferred to (tickets.department; the demo's teams).
    "department": {
        "city_management": QT_TRANSLATE_NOOP("Labels", "city management bureau"),
        "market": QT_TRANSLATE_NOOP("Labels", "market regulation"),
        "environment": QT_TRANSLATE_NOOP("Labels", "ecology and environment"),
        "emergency": QT_TRANSLATE_NOOP("Labels", "emergency management"),
        "water": QT_TRANSLATE_NOOP("Labels", "water affairs"),
        "justice": QT_TRANSLATE_NOOP("Labels", "justice office"),
    },
}


def codes(field: str) -> tuple[str, ...]:
    """The known codes of `field`, in display order."""
    return tuple(_NAMES[field])


def label(field: str, code) -> str:
    """The UI-language name of `code` in `field` (state, channel, category or kind)."""
    source = _NAMES[field].get(str(code))
    return QCoreApplication.translate(_CONTEXT, source) if source else str(code)
