"""Capture workers against real RTSP streams on loopback: live, failure, recovery, timeouts."""

import random
import resource
import signal
import socket
import threading
import time

import cv2
import numpy as np
import pytest

from tests.video.conftest import CAMERA
from video.capture import (Backoff, CapturePool, CaptureWorker, NoFrameError, Status, StreamOpenError,
                           check_server)
from video.testserver import RtspTestServer, camera_streams, free_port

QUICK = dict(open_timeout_s=2.0, read_timeout_s=2.0, backoff=Backoff(first_s=0.2, max_s=1.0))


def wait_for(predicate, timeout_s: float, step_s: float = 0.05) -> bool:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(step_s)
    return predicate()


def with_password(url: str) -> str:
    return url.replace("rtsp://", "rtsp://admin:s3cret@")


def test_backoff_grows_to_its_ceiling_with_jitter():
    backoff = Backoff(first_s=0.5, max_s=8.0, factor=2.0, jitter=0.5)
    rng = random.Random(1)
    delays = [[backoff.delay(attempt, rng) for _ in range(200)] for attempt in range(8)]
    for attempt, draws in enumerate(delays):
        ceiling = min(8.0, 0.5 * 2 ** attempt)
        assert ceiling / 2 <= min(draws) and max(draws) <= ceiling
        assert max(draws) - min(draws) > ceiling / 4  # really jittered


def test_live_stream_reports_fps_and_gives_the_newest_frame(rtsp_server):
    statuses = []
    worker = CaptureWorker(with_password(rtsp_server.url(f"/cam/{CAMERA}/sub")), on_status=statuses.append, **QUICK)
    with worker:
        assert worker.status is Status.CONNECTING
        assert wait_for(lambda: worker.status is Status.LIVE, 10)
        # The connection's first burst of buffered frames gives no fps: unknown until a second has run.
        assert worker.stats().fps == 0
        time.sleep(1.5)
        stats = worker.stats()
        frame = worker.latest()
    assert statuses[0] is Status.LIVE
    assert 15 <= stats.fps <= 30
    assert frame.image.shape == (180, 320, 3)
    assert abs(stats.last_frame_time - time.time()) < 2
    assert "s3cret" not in stats.url and stats.url.startswith("rtsp://admin:***@")
    assert "s3cret" not in worker._thread.name
    assert worker.status is Status.OFFLINE  # stopped


def test_slow_consumer_skips_to_the_newest_frame(rtsp_server):
    with CaptureWorker(rtsp_server.url(f"/cam/{CAMERA}/sub"), **QUICK) as worker:
        subscription = worker.subscribe()
        first = subscription.get(timeout=10)
        time.sleep(0.5)  # a consumer busy for 0.5 s: about 12 frames go by
        second = subscription.get(timeout=2)
        newest = worker.latest()
    assert first is not None and second is not None
    assert second.index - first.index >= 5
    assert newest.index - second.index <= 2
    assert subscription.dropped >= 5


def test_snapshot_and_clip_around_a_moment(rtsp_server, tmp_path):
    with CaptureWorker(rtsp_server.url(f"/cam/{CAMERA}/main"), ring_seconds=3.0, **QUICK) as worker:
        assert wait_for(lambda: worker.status is Status.LIVE, 10)
        time.sleep(1.2)
        jpeg = worker.snapshot(tmp_path / "snap.jpg")
        alert = time.time()
        written = worker.save_clip(tmp_path / "alert.mp4", around=alert, before_s=1.0, after_s=0.5)
        with pytest.raises(ValueError, match="mp4"):
            worker.save_clip(tmp_path / "alert.mkv", before_s=1.0, after_s=0.5)
        with pytest.raises(ValueError, match="ring buffer"):
            worker.save_clip(tmp_path / "long.mp4", before_s=5.0, after_s=5.0)
    image = cv2.imdecode(np.frombuffer(jpeg, np.uint8), cv2.IMREAD_COLOR)
    assert image.shape == (360, 640, 3)
    assert (tmp_path / "snap.jpg").read_bytes() == jpeg
    assert 25 <= written <= 50  # 1.5 s at 25 fps, give or take
    clip = cv2.VideoCapture(str(tmp_path / "alert.mp4"))
    assert int(clip.get(cv2.CAP_PROP_FRAME_COUNT)) == written
    assert clip.read()[1].shape == (360, 640, 3)
    clip.release()


def test_killed_server_is_reported_and_the_stream_recovers_by_itself(scene_dir):
    server = RtspTestServer(camera_streams("CAM-KILL", "kill test", scene_dir)).start()
    statuses = []
    try:
        with CaptureWorker(server.url("/cam/CAM-KILL/sub"), on_status=statuses.append, **QUICK) as worker:
            assert wait_for(lambda: worker.status is Status.LIVE, 10)
            frames_before = worker.stats().frames
            server.kill()
            assert wait_for(lambda: worker.status in (Status.STALLED, Status.RECONNECTING, Status.OFFLINE), 5)
            assert worker.stats().fps == 0
            server.start()
            assert wait_for(lambda: worker.status is Status.LIVE, 10)
            time.sleep(0.3)
            stats = worker.stats()
    finally:
        server.close()
    assert stats.frames > frames_before and stats.reconnects >= 1
    assert statuses[:2] == [Status.LIVE, Status.STALLED]
    assert Status.RECONNECTING in statuses and statuses[-2] is Status.LIVE  # then OFFLINE once stopped


def test_silent_server_times_out_instead_of_hanging(silent_port):
    statuses = []
    worker = CaptureWorker(f"rtsp://admin:x@127.0.0.1:{silent_port}/cam/1/main", open_timeout_s=1.0,
                           read_timeout_s=1.0, backoff=Backoff(first_s=5.0), on_status=statuses.append)
    started = time.monotonic()
    with worker:
        assert wait_for(lambda: statuses, 4)
        gave_up_after = time.monotonic() - started
        stats = worker.stats()
    assert statuses[0] is Status.RECONNECTING
    assert gave_up_after < 3.0
    assert stats.error == "the server did not answer within 1 s" and stats.frames == 0


def test_a_silent_camera_does_not_hold_up_opening_the_others(rtsp_server, silent_port):
    hung = CaptureWorker(f"rtsp://127.0.0.1:{silent_port}/cam/1/main", open_timeout_s=3.0, read_timeout_s=3.0)
    with hung:
        time.sleep(0.2)  # the hung camera's open is under way
        started = time.monotonic()
        with CaptureWorker(rtsp_server.url(f"/cam/{CAMERA}/sub"), **QUICK) as healthy:
            assert wait_for(lambda: healthy.status is Status.LIVE, 2.5)
            live_after = time.monotonic() - started
        assert hung.status is Status.CONNECTING
    assert live_after < 1.5


def test_a_server_that_does_not_speak_rtsp_is_refused_at_once():
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen(1)
        port = listener.getsockname()[1]

        def answer_http():
            conn, _ = listener.accept()
            with conn:
                conn.recv(1024)
                conn.sendall(b"HTTP/1.1 400 Bad Request\r\n\r\n")

        thread = threading.Thread(target=answer_http, daemon=True)
        thread.start()
        with pytest.raises(StreamOpenError, match="does not speak RTSP"):
            check_server(f"rtsp://127.0.0.1:{port}/x", 2.0)
        thread.join()


def test_files_and_refused_ports_are_told_apart(tmp_path):
    check_server(str(tmp_path / "clip.mp4"), 1.0)  # files are left to FFmpeg
    with pytest.raises(StreamOpenError, match="cannot reach the server"):
        check_server(f"rtsp://admin:pw@127.0.0.1:{free_port()}/x", 1.0)
    with pytest.raises(StreamOpenError, match="names no host"):
        check_server("rtsp:///x", 1.0)


def test_a_hundred_offline_cameras_cost_little(tmp_path):
    pool = CapturePool(open_timeout_s=1.0, read_timeout_s=1.0, backoff=Backoff(first_s=0.5, max_s=4.0),
                       offline_after=2)
    urls = [f"rtsp://127.0.0.1:{free_port()}/cam/{k}/main" for k in range(100)]
    cpu_before = resource.getrusage(resource.RUSAGE_SELF)
    wall_before = time.monotonic()
    try:
        workers = [pool.open(url) for url in urls]
        assert wait_for(lambda: all(worker.status is Status.OFFLINE for worker in workers), 8, step_s=0.2)
        time.sleep(2.0)
        cpu_after = resource.getrusage(resource.RUSAGE_SELF)
        wall = time.monotonic() - wall_before
    finally:
        closing = time.monotonic()
        pool.close()
        close_s = time.monotonic() - closing
    cpu = (cpu_after.ru_utime + cpu_after.ru_stime) - (cpu_before.ru_utime + cpu_before.ru_stime)
    print(f"100 offline cameras: {cpu:.2f} s of CPU in {wall:.1f} s")
    assert cpu / wall < 0.25, f"{cpu:.2f} s of CPU in {wall:.1f} s"
    assert close_s < 2.0 and len(pool) == 0


def test_pool_shares_one_worker_per_stream_until_the_last_user_leaves():
    pool = CapturePool(**QUICK)
    url = f"rtsp://127.0.0.1:{free_port()}/cam/1/main"
    try:
        first, second = pool.open(url), pool.open(url)
        assert first is second and len(pool) == 1
        pool.release(url)
        assert len(pool) == 1 and first._thread.is_alive()
        pool.release(url)
        assert len(pool) == 0 and not first._thread.is_alive()
    finally:
        pool.close()


def test_snapshot_before_any_frame_is_refused():
    worker = CaptureWorker(f"rtsp://127.0.0.1:{free_port()}/x")
    with pytest.raises(NoFrameError):
        worker.snapshot()


def test_a_frozen_server_shows_stalled_then_recovers_when_it_thaws(scene_dir):
    server = RtspTestServer(camera_streams("CAM-FREEZE", "freeze test", scene_dir)).start()
    statuses = []
    try:
        with CaptureWorker(server.url("/cam/CAM-FREEZE/sub"), open_timeout_s=1.0, read_timeout_s=2.0,
                           stall_after_s=0.5, backoff=Backoff(first_s=0.2, max_s=0.5),
                           on_status=statuses.append) as worker:
            assert wait_for(lambda: worker.status is Status.LIVE, 10)
            server._process.send_signal(signal.SIGSTOP)  # connection open, nothing sent: a hung camera
            try:
                # Stalled while the read is still blocked, before its timeout reports anything.
                assert wait_for(lambda: worker.status is Status.STALLED, 1.5)
                assert statuses == [Status.LIVE]
                assert wait_for(lambda: worker.status in (Status.RECONNECTING, Status.OFFLINE), 5)
            finally:
                server._process.send_signal(signal.SIGCONT)
            assert wait_for(lambda: worker.status is Status.LIVE, 10)
    finally:
        server.close()
    assert statuses[:2] == [Status.LIVE, Status.STALLED] and statuses[-2] is Status.LIVE
