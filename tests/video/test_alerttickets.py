"""Camera alerts become tickets through the camera_alert intake channel: category by the rules
table, the camera's place and grid, the snapshot (and clip) attached, throttled and de-duplicated.
Detections come from real pedestrian footage and from a live loopback stream."""

import json
import threading
from datetime import datetime

import cv2
import numpy as np
import pytest

from data.store import Store
from data.workflow.clock import BEIJING
from data.workflow.engine import TicketEngine
from tests.console.tiny_city import ROAD_XS, ROAD_YS, TICKETS, build_tiny_city
from tests.video.conftest import CAMERA
from tests.video.test_analytics import PEDESTRIANS
from video.alerts import Alert, LiveAnalytics
from video.alerttickets import AlertRules, AlertTickets
from video.analytics import AnalysisRun, Analyzer, Event, MotionDetector, analyze_source
from video.capture import Backoff, CaptureWorker
from video.registry import Camera, CameraRegistry

LON, LAT = ROAD_XS[1], ROAD_YS[1] + 0.006  # inside the tiny city's grids
GATE = Camera("GATE1", "仓库大门", "private", None, LON, LAT, None, None, "online", None)
STREET = Camera("STREET1", "人民路口", "A", None, LON, LAT, None, None, "online", None)
NIGHT = datetime(2026, 11, 23, 23, 30, tzinfo=BEIJING).timestamp()
AFTERNOON = datetime(2026, 11, 23, 14, 0, tzinfo=BEIJING).timestamp()
LEFT_HALF = [(0.0, 0.0), (0.5, 0.0), (0.5, 1.0), (0.0, 1.0)]


@pytest.fixture
def store(tmp_path):
    with build_tiny_city(tmp_path / "city.gpkg") as store:
        yield store


@pytest.fixture
def tickets(store, tmp_path):
    rules = AlertRules(watched_areas={"GATE1": [], "STREET1": [LEFT_HALF]})
    return AlertTickets(TicketEngine(store), tmp_path / "alerts", rules, CameraRegistry([GATE, STREET]))


def alert(camera: Camera, kind: str, at: float, box=(10, 20, 30, 60), size=(640, 360), clip=None) -> Alert:
    image = np.full((size[1], size[0], 3), 90, np.uint8)
    return Alert(camera.camera_id, camera.lon, camera.lat, Event(0.0, 0, kind, box, 0.9), at, size,
                 cv2.imencode(".jpg", image)[1].tobytes(), clip)


def stored(store: Store, ticket_id: str) -> dict:
    return store.read_table("tickets", where="ticket_id = ?", params=(ticket_id,)).iloc[0].to_dict()


@pytest.mark.skipif(not PEDESTRIANS.exists(), reason="needs opencv-doc's vtest.avi")
def test_people_in_real_footage_make_one_public_order_ticket_with_the_snapshot(store, tickets):
    run = AnalysisRun(str(PEDESTRIANS))
    events = list(analyze_source(str(PEDESTRIANS), run, max_seconds=3.0, motion=False))
    assert len(events) >= 2  # people walk through the footage
    capture = cv2.VideoCapture(str(PEDESTRIANS))
    frames = [capture.read()[1] for _ in range(run.frames)]
    capture.release()
    made = []
    for event in events:
        image = frames[event.frame].copy()
        x, y, w, h = event.box
        cv2.rectangle(image, (x, y), (x + w, y + h), (0, 0, 255), 2)
        made.append(tickets.submit(Alert("GATE1", LON, LAT, event, NIGHT + event.time_s,
                                         (image.shape[1], image.shape[0]), cv2.imencode(".jpg", image)[1].tobytes())))
    ticket_id = made[0]
    assert ticket_id is not None and made[1:] == [None] * (len(events) - 1)  # one ticket, the rest throttled
    assert tickets.throttled == len(events) - 1
    row = stored(store, ticket_id)
    assert (row["channel"], row["category"], row["state"]) == ("camera_alert", "public_order", "registered")
    assert row["grid_code"] and row["address"] == "GATE1" and "仓库大门" in row["description"]
    (snapshot,) = json.loads(row["attachments"])
    picture = cv2.imread(snapshot)
    assert picture.shape == frames[0].shape  # the whole frame, with the person boxed in red
    x, y, w, h = events[0].box
    assert picture[y + h // 2, x, 2] > 180 and picture[y + h // 2, x, 0] < 90
    incident = store.read_layer("incidents", where="t.ticket_id = ?", params=(ticket_id,)).geometry.iloc[0]
    assert (round(incident.x, 6), round(incident.y, 6)) == (round(LON, 6), round(LAT, 6))


def test_the_rules_table_decides_what_is_an_incident_and_its_category(store, tickets):
    assert tickets.submit(alert(STREET, "motion", AFTERNOON)) is None  # traffic in the day is no incident
    assert tickets.submit(alert(STREET, "person", NIGHT, box=(400, 100, 40, 80))) is None  # outside the area
    assert tickets.submit(alert(Camera("ELSE", "x", "A", None, LON, LAT, None, None, "online", None),
                                "person", NIGHT)) is None  # a camera that watches no area
    hazard = tickets.submit(alert(STREET, "motion", NIGHT))
    order = tickets.submit(alert(STREET, "person", NIGHT, box=(100, 100, 40, 80)))  # feet in the left half
    assert stored(store, hazard)["category"] == "hazard"
    assert stored(store, order)["category"] == "public_order"
    assert tickets.submit(alert(STREET, "motion", datetime(2026, 11, 24, 5, 59, tzinfo=BEIJING).timestamp()))
    assert store.count("tickets") == len(TICKETS) + 3


def test_alerts_are_throttled_per_camera_and_event_and_deduplicated_across_seats(store, tickets, tmp_path):
    first = tickets.submit(alert(GATE, "person", NIGHT))
    assert tickets.submit(alert(GATE, "person", NIGHT + 60)) is None  # the same thing, a minute on
    assert tickets.submit(alert(GATE, "motion", NIGHT + 60)) not in (None, first)  # another event type
    # A second seat watching the same camera reports the same moment: it gets the same ticket back.
    other_seat = AlertTickets(TicketEngine(store), tmp_path / "seat2", tickets.rules, seat="video-2")
    assert other_seat.submit(alert(GATE, "person", NIGHT + 1)) == first
    assert not (tmp_path / "seat2").exists()  # nothing saved for a ticket that already has its snapshot
    later = tickets.submit(alert(GATE, "person", NIGHT + 301))  # after the cooldown: a new ticket
    assert later not in (None, first)
    assert store.count("tickets") == len(TICKETS) + 3


def test_an_alert_outside_the_territory_is_refused_not_a_ticket(store, tickets):
    far = Camera("GATE1", "仓库大门", "private", None, LON + 5, LAT, None, None, "online", None)
    assert tickets.submit(alert(far, "person", NIGHT)) is None
    assert store.count("tickets") == len(TICKETS)


def test_live_motion_becomes_a_ticket_with_snapshot_and_clip(rtsp_server, store, tmp_path):
    rules = AlertRules(after_hours=(0, 24))  # any hour is after hours here
    tickets = AlertTickets(TicketEngine(store), tmp_path / "alerts", rules)
    made, done = [], threading.Event()

    def on_alert(live_alert):
        ticket_id = tickets.submit(live_alert)
        if ticket_id:
            made.append(ticket_id)
            done.set()

    camera = Camera(CAMERA, "测试路1号", "B", None, LON, LAT, None, None, "online", None)
    worker = CaptureWorker(rtsp_server.url(f"/cam/{CAMERA}/sub"), ring_seconds=2.0,
                           backoff=Backoff(first_s=0.2, max_s=1.0)).start()
    analytics = LiveAnalytics(camera, worker, Analyzer(motion=MotionDetector()), on_alert,
                              clip_dir=tmp_path / "clips", before_s=1.0, after_s=0.5).start()
    try:
        assert done.wait(10)
    finally:
        analytics.stop()  # waits for the clip
        worker.stop()
    assert len(made) == 1  # the street keeps moving, but within the cooldown that is one ticket
    row = stored(store, made[0])
    assert row["category"] == "hazard"
    snapshot, clip = json.loads(row["attachments"])
    assert cv2.imread(snapshot).shape == (180, 320, 3)
    assert clip in map(str, analytics.clips)
