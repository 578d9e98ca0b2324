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
