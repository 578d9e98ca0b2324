"""Time in the demo: a fixed "now" per seed, so the same seed gives the same history."""

from __future__ import annotations

import numpy as np

# Midnight of 1 July 2026 in Beijing (UTC+8), written in UTC.
_LATEST_REFERENCE = np.datetime64("2026-06-30T16:00:00", "s")
BEIJING_OFFSET = np.timedelta64(8, "h")


def reference_time(seed: int) -> np.datetime64:
    """The demo's "now": the end of the ticket history, up to half a year before July 2026."""
    return _LATEST_REFERENCE - np.timedelta64(int(seed) % 181, "D")


def iso_utc(times) -> np.ndarray:
    """UTC times as ISO 8601 text with a Z, to the second ("2026-03-04T09:15:27Z")."""
    return np.datetime_as_string(np.asarray(times, dtype="datetime64[s]"), unit="s", timezone="UTC").astype(object)
