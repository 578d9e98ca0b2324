"""Intake: every channel's records mapped onto one record shape and checked.

The common shape is the CLI contract (docs/cli-tickets.md): `record_id`, `category`,
`description`, `lon`, `lat`, `crs`, `reported_at`, `priority`, `address`, `reporter`
{`name`, `phone`, `id_number`}. Each channel delivers its own native format; a
`ChannelAdapter` maps it onto the common shape by a declarative field map, so adding a
channel is data, not code. A record already in the common shape (it has `record_id`)
passes through unchanged, which is what the centre's own tools send.

Checking is strict on purpose: a record with a wrong type or an oversized field goes to
the dead-letter table for a person to look at instead of being guessed at.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import datetime

from data.workflow.clock import parse_iso
from gis.crs import CRS_NAMES

CATEGORIES = ("dispute", "hazard", "public_order", "city_management", "environment", "help_request", "legal_aid")
PRIORITIES = (1, 2, 3, 4)  # 1 is the most urgent
DEFAULT_PRIORITY = 3

# Longest text accepted per field, in characters: anything longer is a broken sender.
TEXT_LIMITS = {"record_id": 100, "category": 40, "crs": 20, "reported_at": 40, "description": 2000, "address": 300,
               "reporter.name": 50, "reporter.phone": 30, "reporter.id_number": 30}


class RecordError(ValueError):
    """Why one intake record is refused (goes to the dead-letter table)."""


@dataclass(frozen=True)
class IntakeRecord:
    """One checked record in the common shape; lon/lat still in `crs`."""

    record_id: str
    category: str
    description: str | None
    lon: float
    lat: float
    crs: str
    reported_at: datetime
    priority: int
    address: str | None
    reporter_name: str | None
    reporter_phone: str | None
    reporter_id_number: str | None
    attachments: tuple[str, ...] = ()  # files kept with the ticket (an alert's snapshot and clip)


def _get(record: dict, path: str):
    value = record
    for key in path.split("."):
        if not isinstance(value, dict) or key not in value:
            return None
        value = value[key]
    return value


def _set(record: dict, path: str, value) -> None:
    *parents, last = path.split(".")
    for key in parents:
        record = record.setdefault(key, {})
    record[last] = value


@dataclass(frozen=True)
class ChannelAdapter:
    """Maps one channel's native records onto the common shape."""

    channel: str
    native_id: str  # key of the channel's own record id
    fields: dict[str, str] = field(default_factory=dict)  # common path -> native path
    defaults: dict[str, object] = field(default_factory=dict)  # common path -> value if absent
    category_names: dict[str, str] = field(default_factory=dict)  # native category -> ours

    def normalise(self, record):
        """The record in the common shape (records already in it, and non-objects, unchanged)."""
        if not isinstance(record, dict) or "record_id" in record:
            return record
        common: dict = {}
        for path, value in self.defaults.items():
            _set(common, path, value)
        common["record_id"] = record.get(self.native_id)
        for path, native in self.fields.items():
            value = _get(record, native)
            if value is not None:
                _set(common, path, value)
        category = common.get("category")
        if isinstance(category, str):
            common["category"] = self.category_names.get(category, category)
        return common


_CHINESE_CATEGORIES = {"矛盾纠纷": "dispute", "安全隐患": "hazard", "治安": "public_order",
                       "城市管理": "city_management", "环境": "environment", "求助": "help_request",
                       "法律咨询": "legal_aid"}

# What each video-analytics event type is as a ticket.
CAMERA_ALERT_CATEGORIES = {
    "person_in_watched_area": "public_order",  # someone inside a closed site, on a river bank at night...
    "motion_after_hours": "hazard",  # movement where nobody should be (a security hazard)
    "illegal_parking": "city_management", "street_vending": "city_management",
    "crowd_gathering": "public_order", "fighting": "public_order", "smoke_fire": "hazard",
    "garbage_overflow": "environment",
}

ADAPTERS: dict[str, ChannelAdapter] = {a.channel: a for a in (
    # 12345 government hotline work orders; its map picker gives Baidu coordinates.
    ChannelAdapter("12345", "order_no", {
        "reported_at": "call_time", "category": "category", "description": "content",
        "priority": "urgency", "lon": "location.lng", "lat": "location.lat", "crs": "location.coord_type",
        "address": "address", "reporter.name": "caller.name", "reporter.phone": "caller.phone",
    }, {"crs": "bd09"}, _CHINESE_CATEGORIES),
    # 110 non-police matters handed over by the public security bureau (GCJ-02 maps).
    ChannelAdapter("110", "alarm_id", {
        "reported_at": "alarm_time", "category": "case_type", "description": "alarm_content",
        "lon": "lng", "lat": "lat", "address": "alarm_address",
        "reporter.name": "alarm_person", "reporter.phone": "alarm_phone",
    }, {"crs": "gcj02", "priority": 2}, _CHINESE_CATEGORIES),
    # 12348 public legal service line.
    ChannelAdapter("12348", "consult_id", {
        "reported_at": "consult_time", "description": "question", "lon": "lon", "lat": "lat",
        "address": "address", "reporter.name": "name", "reporter.phone": "phone",
        "reporter.id_number": "id_card",
    }, {"category": "legal_aid", "priority": 4, "crs": "gcj02"}),
    # Grid workers' handheld app: GPS, so WGS-84; the worker is staff, not a reporter.
    ChannelAdapter("grid_report", "report_id", {
        "reported_at": "reported_at", "category": "event_type", "description": "description",
        "priority": "priority", "lon": "lon", "lat": "lat", "address": "address",
    }, {"crs": "wgs84"}),
    # Walk-ins and phone calls typed in at the centre: already the common shape.
    ChannelAdapter("walk_in", "record_id"),
    # Video analytics alerts (video/alerttickets.py): the event type gives the category; the camera is the place.
    ChannelAdapter("camera_alert", "alert_id", {
        "reported_at": "time", "category": "event_type", "description": "description",
        "lon": "lon", "lat": "lat", "address": "camera_id", "attachments": "attachments",
    }, {"crs": "wgs84", "priority": 3}, CAMERA_ALERT_CATEGORIES),
)}

CHANNELS = tuple(ADAPTERS)


def record_id_of(record) -> str | None:
    """The record id for the dead-letter table, when one can be read at all."""
    value = record.get("record_id") if isinstance(record, dict) else None
    return _safe_text(value) if isinstance(value, (str, int)) and not isinstance(value, bool) else None


def _safe_text(value) -> str:
    """Text that can be stored even when it carries undecodable bytes (escaped)."""
    return str(value).encode("utf-8", "backslashreplace").decode("utf-8")


def _text(record: dict, path: str, required: bool = False) -> str | None:
    value = _get(record, path)
    if value is None:
        if required:
            raise RecordError(f"missing field {path!r}")
        return None
    if isinstance(value, bytes):
        try:
            value = value.decode("utf-8")
        except UnicodeDecodeError:
            raise RecordError(f"field {path!r} is not valid UTF-8") from None
    if not isinstance(value, str):
        raise RecordError(f"field {path!r} must be text, got {type(value).__name__}")
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:  # lone surrogates: bytes that were not UTF-8 in the input
        raise RecordError(f"field {path!r} is not valid UTF-8") from None
    value = value.strip()
    if required and not value:
        raise RecordError(f"missing field {path!r}")
    if len(value) > TEXT_LIMITS[path]:
        raise RecordError(f"field {path!r} is too long ({len(value)} characters, at most {TEXT_LIMITS[path]})")
    return value or None


def _number(record: dict, name: str) -> float:
    value = record.get(name)
    if value is None:
        raise RecordError(f"missing field {name!r}")
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise RecordError(f"field {name!r} must be a number, got {type(value).__name__}")
    if not math.isfinite(value):
        raise RecordError(f"field {name!r} must be a finite number")
    return float(value)


def parse_record(record, received_at: datetime) -> IntakeRecord:
    """Check one common-shape record; RecordError says what is wrong with it."""
    if not isinstance(record, dict):
        raise RecordError(f"a record must be a JSON object, got {type(record).__name__}")
    record_id = record.get("record_id")
    if isinstance(record_id, int) and not isinstance(record_id, bool):
        record_id = str(record_id)
        record = {**record, "record_id": record_id}
    record_id = _text(record, "record_id", required=True)
    category = _text(record, "category", required=True)
    if category not in CATEGORIES:
        raise RecordError(f"unknown category {category!r}; categories are {', '.join(CATEGORIES)}")
    reporter = record.get("reporter")
    if reporter is not None and not isinstance(reporter, dict):
        raise RecordError(f"field 'reporter' must be an object, got {type(reporter).__name__}")
    crs = _text(record, "crs") or "wgs84"
    if crs not in CRS_NAMES:
        raise RecordError(f"unknown crs {crs!r}; use one of {', '.join(CRS_NAMES)}")
    priority = record.get("priority", DEFAULT_PRIORITY)
    if isinstance(priority, bool) or not isinstance(priority, int) or priority not in PRIORITIES:
        raise RecordError(f"field 'priority' must be one of {PRIORITIES}, got {priority!r}")
    reported_text = _text(record, "reported_at") if "reported_at" in record else None
    try:
        reported_at = parse_iso(reported_text) if reported_text else received_at
    except ValueError:
        raise RecordError(f"field 'reported_at' is not an ISO 8601 time: {reported_text!r}") from None
    attachments = record.get("attachments") or []
    if not isinstance(attachments, list) or not all(isinstance(a, str) and a for a in attachments):
        raise RecordError("field 'attachments' must be a list of file paths")
    return IntakeRecord(
        record_id=record_id,
        category=category,
        description=_text(record, "description"),
        lon=_number(record, "lon"),
        lat=_number(record, "lat"),
        crs=crs,
        reported_at=reported_at,
        priority=priority,
        address=_text(record, "address"),
        reporter_name=_text(record, "reporter.name"),
        reporter_phone=_text(record, "reporter.phone"),
        reporter_id_number=_text(record, "reporter.id_number"),
        attachments=tuple(attachments),
    )
