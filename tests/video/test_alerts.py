"""Live analytics on a real loopback stream: alerts with place, boxed snapshot and clip."""

import threading
import time

import cv2
import numpy as np
import pytest

from tests.video.conftest import CAMERA
from video.alerts import LiveAnalytics
from video.analytics import Analyzer, MotionDetector
from video.capture import Backoff, CaptureWorker
from video.registry import Camera

CAMERA_AT = Camera(CAMERA, "测试路1号", "B", None, 117.23, 31.82, 90.0, 60.0, "online", None)


def test_moving_street_raises_alerts_with_snapshot_and_clip(rtsp_server, tmp_path):
    alerts = []
    got_two = threading.Event()

    def on_alert(alert):
        alerts.append(alert)
        if len(alerts) >= 2:
            got_two.set()

    worker = CaptureWorker(rtsp_server.url(f"/cam/{CAMERA}/sub"), ring_seconds=2.0,
                           backoff=Backoff(first_s=0.2, max_s=1.0)).start()
    analytics = LiveAnalytics(CAMERA_AT, worker, Analyzer(motion=MotionDetector()), on_alert,
                              clip_dir=tmp_path, before_s=1.0, after_s=0.5).start()
    try:
        assert got_two.wait(10)
    finally:
        analytics.stop()  # waits for the clips being written
        worker.stop()
    first = alerts[0]
    assert (first.camera_id, first.lon, first.lat) == (CAMERA, 117.23, 31.82)
    assert first.event.kind == "motion" and abs(first.at - time.time()) < 10
    snapshot = cv2.imdecode(np.frombuffer(first.snapshot_jpeg, np.uint8), cv2.IMREAD_COLOR)
    assert snapshot.shape == (180, 320, 3)
    x, y, w, h = first.event.box
    assert snapshot[y, x + w // 2, 2] > 200 and snapshot[y, x + w // 2, 0] < 80  # the red box is drawn
    assert first.clip in analytics.clips and first.clip.parent == tmp_path
    clip = cv2.VideoCapture(str(first.clip))
    assert int(clip.get(cv2.CAP_PROP_FRAME_COUNT)) >= 20
    clip.release()
    assert "snapshot_jpeg" not in repr(first)


def test_clips_need_a_ring_buffer_long_enough(rtsp_server, tmp_path):
    worker = CaptureWorker(rtsp_server.url(f"/cam/{CAMERA}/sub"), ring_seconds=1.0)
    with pytest.raises(ValueError, match="ring_seconds"):
        LiveAnalytics(CAMERA_AT, worker, Analyzer(motion=MotionDetector()), print, clip_dir=tmp_path)


def test_analytics_ends_when_its_camera_worker_stops(rtsp_server):
    worker = CaptureWorker(rtsp_server.url(f"/cam/{CAMERA}/sub")).start()
    analytics = LiveAnalytics(CAMERA_AT, worker, Analyzer(motion=MotionDetector()), lambda alert: None).start()
    worker.stop()
    analytics._thread.join(2)
    assert not analytics._thread.is_alive()
