"""Real RTSP streams on 127.0.0.1 from synthetic footage, for the demo wall and for tests.

GStreamer's RTSP server does the serving; its Python bindings are Debian's, so the server runs
as a subprocess of the system python3 (video/rtsp_server_gst.py) while this module, in the
project's venv, renders the footage and manages the process.
"""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import tempfile
import threading
import time
import zlib
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from pathlib import Path
from urllib.parse import urlsplit

from video import footage

SYSTEM_PYTHON = os.environ.get("GRIDSIGHT_GST_PYTHON", "/usr/bin/python3")
SERVER_SCRIPT = Path(__file__).with_name("rtsp_server_gst.py")
DEFAULT_PORT = 8554  # the port of the URLs that data/demo/cameras.py writes
SUB_SIZE = (320, 180)  # sub-streams, for small tiles
SCENES = 4  # distinct footage loops shared out among the cameras
# A server standing in for cameras next to the console (demo mode, benchmarks) runs this much nicer:
# real cameras encode on their own chips, so their stand-in must not take the CPU from the console's UI.
STAND_IN_NICENESS = 10


class StreamServerError(RuntimeError):
    """The RTSP server could not be started (missing GStreamer packages, port taken...)."""


@dataclass(frozen=True)
class StreamSpec:
    path: str  # mount point, e.g. /cam/<camera_id>/main
    footage: str  # folder of JPEG frames
    title: str  # burned into the picture
    width: int = footage.WIDTH
    height: int = footage.HEIGHT
    fps: int = footage.FPS


def camera_streams(camera_id: str, title: str, footage_dir: Path) -> list[StreamSpec]:
    """The main and sub stream of one camera, at the paths of rtsp://127.0.0.1:8554/cam/<id>/main|sub."""
    return [
        StreamSpec(f"/cam/{camera_id}/main", str(footage_dir), title),
        StreamSpec(f"/cam/{camera_id}/sub", str(footage_dir), title, *SUB_SIZE),
    ]


def scene_for(camera_id: str) -> int:
    """A stable scene per camera, so a camera shows the same street every time."""
    return zlib.crc32(camera_id.encode()) % SCENES


def render_scenes(cache_dir: Path, scenes: int = SCENES, seconds: float = 8.0) -> list[Path]:
    return [footage.render_scene(Path(cache_dir) / f"scene{k}", k, seconds) for k in range(scenes)]


def demo_streams(cameras, footage_dir: Path) -> list[StreamSpec]:
    """The streams of every online camera of a cameras layer (rows with camera_id, name, status)."""
    online = cameras[cameras["status"] == "online"]
    if online.empty:
        return []
    scenes = render_scenes(footage_dir)
    return [spec for camera_id, name in zip(online["camera_id"], online["name"])
            for spec in camera_streams(camera_id, name, scenes[scene_for(camera_id)])]


def serves_demo_cameras(cameras, port: int = DEFAULT_PORT) -> bool:
    """Whether a cameras layer streams from this loopback server (the demo city's cameras do)."""
    for url in (*cameras["stream_main"].dropna(), *cameras["stream_sub"].dropna()):
        try:
            parts = urlsplit(url)
            if parts.hostname == "127.0.0.1" and parts.port == port and parts.path.startswith("/cam/"):
                return True
        except ValueError:
            continue
    return False


def port_in_use(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=0.5):
            return True
    except OSError:
        return False


@contextmanager
def demo_cameras_served(cameras, footage_dir: Path, port: int = DEFAULT_PORT,
                        check_s: float = 0.5) -> Iterator[DemoServerKeeper | None]:
    """Serve a demo store's cameras on loopback while the block runs, so that its video plays with no
    extra step; None when they are not demo cameras. StreamServerError if the server cannot start."""
    if not serves_demo_cameras(cameras, port):
        yield None
        return
    streams = demo_streams(cameras, footage_dir)
    if not streams:
        yield None
        return
    keeper = DemoServerKeeper(streams, port, check_s).start()
    try:
        yield keeper
    finally:
        keeper.close()


class RtspTestServer:
    """Serves the given streams until closed; after `kill()`, `start()` brings it back on the same port."""

    def __init__(self, streams: list[StreamSpec], port: int | None = None, start_timeout_s: float = 10.0,
                 niceness: int = 0):
        if not streams:
            raise ValueError("nothing to serve")
        self.streams = streams
        self.niceness = niceness  # > 0: the server only gets the CPU its neighbours leave
        self.port = port or free_port()
        self.start_timeout_s = start_timeout_s
        self._workdir = Path(tempfile.mkdtemp(prefix="gridsight-rtsp-"))
        self._config = self._workdir / "config.json"
        self._log = self._workdir / "server.log"
        self._config.write_text(json.dumps({"port": self.port, "streams": [asdict(s) for s in streams]}),
                                encoding="utf-8")
        self._process: subprocess.Popen | None = None

    def url(self, path: str) -> str:
        return f"rtsp://127.0.0.1:{self.port}{path}"

    def start(self) -> RtspTestServer:
        if not Path(SYSTEM_PYTHON).exists():
            raise StreamServerError(f"{SYSTEM_PYTHON} not found (the RTSP server needs the system python3)")
        # stdin stays open while we live: the server quits when it closes, so it never outlives us.
        # Its warnings go to a file, not a pipe nobody reads (a full pipe would freeze it).
        with open(self._log, "w", encoding="utf-8") as log:
            nice = ["nice", "-n", str(self.niceness)] if self.niceness else []
            self._process = subprocess.Popen([*nice, SYSTEM_PYTHON, str(SERVER_SCRIPT), str(self._config)],
                                             stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=log, text=True)
        if self._process.stdout.readline().strip() != "ready":  # nothing, if it died
            self.kill()
            error = self._log.read_text(encoding="utf-8").strip().splitlines()
            raise StreamServerError("RTSP server did not start: " + (error[-1] if error else "no output")
                                    + " (needs gstreamer1.0-rtsp, gir1.2-gst-rtsp-server-1.0, python3-gi,"
                                      " gstreamer1.0-plugins-ugly)")
        wait_for_port(self.port, self.start_timeout_s)
        return self

    def kill(self) -> None:
        """Stop serving at once, as a crashed camera or NVR would."""
        self._end(graceful=False)

    def _end(self, graceful: bool) -> None:
        process, self._process = self._process, None
        if process is None:
            return
        if process.poll() is None:
            if graceful:
                process.terminate()
                try:
                    process.wait(5)
                except subprocess.TimeoutExpired:
                    process.kill()
            else:
                process.kill()
            process.wait()
        process.stdin.close()
        process.stdout.close()

    def wait(self) -> int:
        """Block until the server ends (for `gridsight video demo-streams`)."""
        return self._process.wait()

    def close(self) -> None:
        self._end(graceful=True)
        shutil.rmtree(self._workdir, ignore_errors=True)

    def __enter__(self) -> RtspTestServer:
        try:
            return self.start()
        except BaseException:
            self.close()
            raise

    def __exit__(self, *exc) -> None:
        self.close()


class DemoServerKeeper:
    """Keeps the demo port served: serves it at once if it is free; if another process serves it
    already (`gridsight video demo-streams`, another console, a screenshot being taken), stands by
    and takes over when that one stops, so the video comes back by itself."""

    def __init__(self, streams: list[StreamSpec], port: int, check_s: float = 0.5):
        self.streams = streams
        self.port = port
        self.check_s = check_s
        self.server: RtspTestServer | None = None  # ours, once we serve
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._stand_by, name="demo streams", daemon=True)

    def start(self) -> DemoServerKeeper:
        """Serve now if the port is free (StreamServerError if that fails), else stand by."""
        if not port_in_use(self.port):
            self.server = RtspTestServer(self.streams, self.port, niceness=STAND_IN_NICENESS).start()
        else:
            self._thread.start()
        return self

    def _stand_by(self) -> None:
        while not self._stop.wait(self.check_s):
            if port_in_use(self.port):
                continue
            server = RtspTestServer(self.streams, self.port, niceness=STAND_IN_NICENESS)
            try:
                self.server = server.start()
                return
            except StreamServerError:  # someone else took the port first: stand by again
                server.close()

    def close(self) -> None:
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join()
        if self.server is not None:
            self.server.close()
            self.server = None


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def wait_for_port(port: int, timeout_s: float) -> None:
    deadline = time.monotonic() + timeout_s
    while True:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return
        except OSError:
            if time.monotonic() > deadline:
                raise StreamServerError(f"nothing listens on 127.0.0.1:{port}") from None
            time.sleep(0.05)
