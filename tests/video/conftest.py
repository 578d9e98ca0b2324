"""Real RTSP and HTTP streams on loopback for the video tests, served from a short synthetic scene."""

import socket
import threading
import time

import pytest

from video.testserver import RtspTestServer, camera_streams, render_scenes

CAMERA = "34010000001320000001"


@pytest.fixture(scope="session")
def scene_dir(tmp_path_factory):
    return render_scenes(tmp_path_factory.mktemp("footage"), scenes=1, seconds=2.0)[0]


@pytest.fixture(scope="session")
def rtsp_server(scene_dir):
    """One camera (main 640x360, sub 320x180) that stays up for the whole session."""
    with RtspTestServer(camera_streams(CAMERA, "测试路1号", scene_dir)) as server:
        yield server


@pytest.fixture
def silent_port():
    """A port that accepts connections and then never says a word, like a hung NVR."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(16)
    accepted = []
    stop = threading.Event()

    def accept_and_hold():
        listener.settimeout(0.2)
        while not stop.is_set():
            try:
                accepted.append(listener.accept()[0])
            except OSError:
                continue

    thread = threading.Thread(target=accept_and_hold, daemon=True)
    thread.start()
    yield listener.getsockname()[1]
    stop.set()
    thread.join()
    for conn in accepted:
        conn.close()
    listener.close()



@pytest.fixture(scope="session")
def scene_clip(tmp_path_factory):
    """Four seconds of the synthetic street as an MJPEG .avi file."""
    import cv2

    from video.footage import FPS, HEIGHT, WIDTH, scene_frames

    path = tmp_path_factory.mktemp("clips") / "street.avi"
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"MJPG"), FPS, (WIDTH, HEIGHT))
    for frame in scene_frames(0, 4 * FPS):
        writer.write(frame)
    writer.release()
    return path


@pytest.fixture(scope="session")
def mjpeg_url(scene_dir):
    """The scene as an HTTP MJPEG stream (multipart JPEG at 25 fps), as many cameras and gateways serve."""
    import itertools
    from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

    jpegs = [path.read_bytes() for path in sorted(scene_dir.glob("*.jpg"))]

    class Feed(BaseHTTPRequestHandler):
        def do_GET(self):
            self.send_response(200)
            self.send_header("Content-Type", "multipart/x-mixed-replace;boundary=frame")
            self.end_headers()
            try:
                for jpeg in itertools.cycle(jpegs):
                    self.wfile.write(b"--frame\r\nContent-Type: image/jpeg\r\nContent-Length: %d\r\n\r\n" % len(jpeg))
                    self.wfile.write(jpeg + b"\r\n")
                    time.sleep(0.04)
            except OSError:
                pass  # the client went away

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Feed)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/feed.mjpg"
    server.shutdown()
    server.server_close()
