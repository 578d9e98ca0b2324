"""Camera alerts become tickets through the workflow's `camera_alert` intake channel.

Not every detection is an incident: a person matters inside a watched area (a closed site, a
river bank), motion matters after hours. `ALERT_EVENTS` is that table; the channel's adapter
(data/workflow/intake.py, CAMERA_ALERT_CATEGORIES) makes each event type a ticket category.
A camera keeps seeing the same thing for minutes, so it raises one ticket per event type per
`cooldown_s`; the record id names that window, so a second seat watching the same camera, or a
restart, gets the same ticket back instead of a new one (intake is idempotent on record ids).
Each ticket carries the camera's place (intake finds its grid) and, in `tickets.attachments`,
the boxed snapshot saved to disk and the clip of the seconds around the alert.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path

import cv2
import numpy as np

from data.workflow.clock import BEIJING
from video.alerts import Alert
from video.analytics import Zone
from video.registry import CameraRegistry

log = logging.getLogger(__name__)

CHANNEL = "camera_alert"
# How each event type reads in a ticket's description (data, in the centres' language).
EVENT_SUMMARIES = {"person_in_watched_area": "警戒区域内发现人员", "motion_after_hours": "非工作时间发现移动目标"}


@dataclass(frozen=True)
class AlertRules:
    """When a detection is worth a ticket."""

    # camera id -> zones (polygons in shares of the picture) where a person is an event;
    # an empty list watches the whole view; cameras not listed watch no area.
    watched_areas: Mapping[str, Sequence[Zone]] = field(default_factory=dict)
    after_hours: tuple[int, int] = (22, 6)  # Beijing hours [from, to) when motion is an event; may wrap midnight
    cooldown_s: float = 300.0  # one ticket per camera and event type in this long


def in_watched_area(alert: Alert, rules: AlertRules) -> bool:
    """The person's feet (the bottom middle of the box) stand in one of the camera's watched zones."""
    if alert.camera_id not in rules.watched_areas:
        return False
    zones = rules.watched_areas[alert.camera_id]
    if not zones:
        return True
    x, y, w, h = alert.event.box
    width, height = alert.frame_size
    feet = (float(x + w / 2), float(y + h))
    return any(cv2.pointPolygonTest((np.asarray(zone, np.float64) * (width, height)).astype(np.float32), feet, False)
               >= 0 for zone in zones)


def after_hours(alert: Alert, rules: AlertRules) -> bool:
    hour = datetime.fromtimestamp(alert.at, BEIJING).hour
    start, end = rules.after_hours
    return start <= hour < end if start <= end else hour >= start or hour < end


# (detection kind, when it is an event, the event type that goes to intake); the first match wins.
ALERT_EVENTS: tuple[tuple[str, Callable[[Alert, AlertRules], bool], str], ...] = (
    ("person", in_watched_area, "person_in_watched_area"),
    ("motion", after_hours, "motion_after_hours"),
)


def event_type(alert: Alert, rules: AlertRules) -> str | None:
    """The event type of an alert under the rules; None if it is no incident."""
    return next((name for kind, applies, name in ALERT_EVENTS
                 if alert.event.kind == kind and applies(alert, rules)), None)


class AlertTickets:
    """Hands alerts to the ticket engine, at most one ticket per camera and event type per cooldown.

    `submit` may be called from any thread (each camera's analytics runs on its own)."""

    def __init__(self, engine, attachment_dir: Path, rules: AlertRules = AlertRules(),
                 registry: CameraRegistry | None = None, actor: str = "video-analytics", seat: str = "video"):
        self.engine = engine
        self.attachment_dir = Path(attachment_dir)
        self.rules = rules
        self.registry = registry
        self.actor = actor
        self.seat = seat
        self.throttled = 0  # alerts dropped because their camera raised the same event recently
        self._last: dict[tuple[str, str], float] = {}  # (camera, event type) -> wall clock of its last ticket
        self._lock = threading.Lock()

    def submit(self, alert: Alert) -> str | None:
        """The ticket an alert made or belongs to; None if it is no incident, throttled, or refused."""
        kind = event_type(alert, self.rules)
        if kind is None:
            return None
        with self._lock:
            last = self._last.get((alert.camera_id, kind))
            if last is not None and 0 <= alert.at - last < self.rules.cooldown_s:
                self.throttled += 1
                return None
            self._last[(alert.camera_id, kind)] = alert.at
        record_id = f"{alert.camera_id}-{kind}-{int(alert.at // self.rules.cooldown_s)}"
        # Saved before intake, so that the ticket and the list of its files are written together.
        created_dir = not self.attachment_dir.exists()
        snapshot = self._save_snapshot(record_id, alert)
        files = [str(snapshot)] + ([str(alert.clip)] if alert.clip is not None else [])
        result = self.engine.intake(CHANNEL, [self._record(alert, kind, record_id, files)], self.actor, self.seat)
        if result.created:
            return result.created[0]
        snapshot.unlink(missing_ok=True)  # no new ticket keeps it
        if created_dir:
            self.attachment_dir.rmdir()
        if result.rejected:
            log.warning("camera alert %s refused: %s", record_id, result.rejected[0]["reason"])
            return None
        return result.duplicates[0]  # another seat (or this one, before a restart) reported it

    def _record(self, alert: Alert, kind: str, record_id: str, files: list[str]) -> dict:
        camera = self.registry.get(alert.camera_id) if self.registry is not None else None
        where = f"{camera.name}（{alert.camera_id}）" if camera is not None else alert.camera_id
        return {"alert_id": record_id, "camera_id": alert.camera_id, "event_type": kind,
                "description": f"{EVENT_SUMMARIES[kind]}：{where}，置信度 {alert.event.score:.2f}",
                "time": datetime.fromtimestamp(alert.at, timezone.utc).isoformat(),
                "lon": alert.lon, "lat": alert.lat, "attachments": files}

    def _save_snapshot(self, record_id: str, alert: Alert) -> Path:
        """The boxed snapshot on disk, named by the alert's record id (one per camera, event and window)."""
        self.attachment_dir.mkdir(parents=True, exist_ok=True)
        snapshot = self.attachment_dir / f"{record_id}.jpg"
        snapshot.write_bytes(alert.snapshot_jpeg)
        return snapshot
