"""The synthetic footage and the RTSP test server's own guarantees."""

import os
import subprocess
import sys
import time

import numpy as np

from video.footage import FRAME_NAME, render_scene, scene_frames
from video.testserver import scene_for

SERVE_AND_PRINT_PID = """
import sys, time
from video.testserver import RtspTestServer, camera_streams
server = RtspTestServer(camera_streams("C1", "c1", sys.argv[1])).start()
print(server._process.pid, flush=True)
time.sleep(60)
"""


def test_footage_is_deterministic_and_loops(tmp_path):
    first = render_scene(tmp_path / "a", scene=3, seconds=0.4)
    again = render_scene(tmp_path / "b", scene=3, seconds=0.4)
    names = sorted(p.name for p in first.iterdir())
    assert names == [FRAME_NAME.format(k) for k in range(10)]
    assert all((first / n).read_bytes() == (again / n).read_bytes() for n in names)
    frames = list(scene_frames(3, 50))
    wrapped = next(scene_frames(3, 51))  # what would follow the last frame is the first one again
    assert np.array_equal(frames[0], wrapped) and not np.array_equal(frames[0], frames[25])
    assert not np.array_equal(frames[0], next(scene_frames(1, 50)))


def test_each_camera_keeps_its_scene():
    assert scene_for("34010000001320000001") == scene_for("34010000001320000001")
    assert len({scene_for(f"cam{k}") for k in range(50)}) > 1


def test_server_never_outlives_the_process_that_started_it(scene_dir, tmp_path):
    parent = subprocess.Popen([sys.executable, "-c", SERVE_AND_PRINT_PID, str(scene_dir)],
                              stdout=subprocess.PIPE, text=True, env={**os.environ, "TMPDIR": str(tmp_path)})
    server_pid = int(parent.stdout.readline())
    parent.kill()  # no chance to clean up
    parent.wait()
    parent.stdout.close()
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline and os.path.exists(f"/proc/{server_pid}") and not zombie(server_pid):
        time.sleep(0.05)
    assert not os.path.exists(f"/proc/{server_pid}") or zombie(server_pid)


def zombie(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat") as stat:
            return stat.read().rsplit(")", 1)[1].split()[0] == "Z"
    except FileNotFoundError:
        return True


def demo_layer(urls: list[str | None], status: str = "online"):
    import pandas as pd

    return pd.DataFrame({"camera_id": [f"D{k}" for k in range(len(urls))], "name": "演示", "status": status,
                         "stream_main": urls, "stream_sub": urls})


def test_demo_cameras_are_served_while_the_console_runs_and_taken_over_when_another_server_stops(tmp_path):
    from contextlib import ExitStack

    from video.capture import CaptureWorker
    from video.testserver import (STAND_IN_NICENESS, demo_cameras_served, free_port, port_in_use,
                                  serves_demo_cameras)

    port = free_port()
    cameras = demo_layer([f"rtsp://127.0.0.1:{port}/cam/D0/sub", None])
    assert serves_demo_cameras(cameras, port)
    assert not serves_demo_cameras(demo_layer(["rtsp://10.1.2.3:554/cam/D0/sub"]), port)
    with ExitStack() as second_console:
        with demo_cameras_served(cameras, tmp_path / "footage", port) as first:
            assert first.server is not None
            assert os.getpriority(os.PRIO_PROCESS, first.server._process.pid) >= STAND_IN_NICENESS  # UI first
            # A second console on the same store finds the port served: it stands by.
            standing_by = second_console.enter_context(
                demo_cameras_served(cameras, tmp_path / "footage", port, check_s=0.1))
            assert standing_by.server is None
            with CaptureWorker(cameras["stream_sub"][0]) as worker:
                deadline = time.monotonic() + 10
                while worker.latest() is None and time.monotonic() < deadline:
                    time.sleep(0.05)
                assert worker.latest().image.shape == (180, 320, 3)  # the sub-stream
        # The first one quit: the second serves the cameras from now on.
        deadline = time.monotonic() + 10
        while standing_by.server is None and time.monotonic() < deadline:
            time.sleep(0.05)
        assert standing_by.server is not None and port_in_use(port)
    assert not port_in_use(port)  # stopped with the block
    # Not demo cameras: nothing to serve.
    with demo_cameras_served(demo_layer(["rtsp://10.1.2.3:554/x"]), tmp_path / "f3", port) as none:
        assert none is None
