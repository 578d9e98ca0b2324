"""One capture thread per open stream: decode off the UI thread, reconnect by itself, report status.

Consumers never queue frames: `latest()` gives the newest one, and a `FrameSubscription` holds at
most one, so a slow consumer skips frames instead of falling behind. A ring buffer keeps the last
seconds of frames so that an alert can be saved as a clip that starts before the alert.
No Qt here; the wall polls `latest()`/`stats()` or listens with plain callbacks.
"""

from __future__ import annotations

import collections
import enum
import logging
import os
import random
import socket
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Callable
from urllib.parse import urlsplit, urlunsplit

import cv2
import numpy as np

from data.streamurls import mask_url

# RTSP over TCP: interleaved streams survive lossy links and NAT, and a server that dies closes
# the connection, so a dead stream is noticed at once rather than at the read timeout.
# A short stream probe: OpenCV opens one stream at a time in a process (a global lock), so the
# default probing (about a second per RTSP stream) would take 20 s to fill a 16-tile wall.
os.environ.setdefault("OPENCV_FFMPEG_CAPTURE_OPTIONS",
                      "rtsp_transport;tcp|analyzeduration;100000|probesize;32768|fpsprobesize;0")
# FFmpeg and OpenCV print failed opens to stderr, URLs and all: silence them so that credentials
# never reach a log, and a hundred offline cameras do not flood it. Status carries the errors.
os.environ.setdefault("OPENCV_FFMPEG_LOGLEVEL", "0")
cv2.utils.logging.setLogLevel(cv2.utils.logging.LOG_LEVEL_ERROR)

log = logging.getLogger(__name__)


class Status(str, enum.Enum):
    CONNECTING = "connecting"  # first attempt, nothing received yet
    LIVE = "live"
    STALLED = "stalled"  # connected, but no frame for a while
    RECONNECTING = "reconnecting"
    OFFLINE = "offline"  # several attempts in a row failed (still retrying, slowly), or stopped


class NoFrameError(LookupError):
    """Asked for a snapshot or clip before any frame arrived."""


class StreamOpenError(OSError):
    """The stream could not be opened; the message holds no URL."""


# fps is counted over this window (seconds) of the newest frames.
FPS_WINDOW_S = 1.0
# Schemes whose server is asked before OpenCV opens the stream, with their default ports.
SERVER_PORTS = {"rtsp": 554, "rtsps": 322, "http": 80, "https": 443, "rtmp": 1935}


def check_server(url: str, timeout_s: float) -> None:
    """Make sure the server behind `url` answers (an RTSP server must reply to OPTIONS).

    OpenCV holds a process-wide lock while it opens a stream, so one hung camera would stall
    every other stream's open for its whole timeout; asking first, outside the lock, keeps
    the others moving and costs a refused or silent camera no decoder set-up at all.
    The price is one extra connection per open: a feed that serves a single client and then
    quits (`ffmpeg -listen 1`) is used up by it.
    """
    parts = urlsplit(url)
    scheme = parts.scheme.lower()
    if scheme not in SERVER_PORTS:
        return  # a file, or a scheme left to FFmpeg
    try:
        host, port = parts.hostname, parts.port or SERVER_PORTS[scheme]
    except ValueError as err:
        raise StreamOpenError(f"bad address: {err}") from None
    if not host:
        raise StreamOpenError("the URL names no host")
    deadline = time.monotonic() + timeout_s
    try:
        with socket.create_connection((host, port), timeout=timeout_s) as conn:
            if scheme == "rtsp":
                target = urlunsplit(("rtsp", parts.netloc.rpartition("@")[2], parts.path or "/", "", ""))
                conn.sendall(f"OPTIONS {target} RTSP/1.0\r\nCSeq: 1\r\n\r\n".encode())
                conn.settimeout(max(0.01, deadline - time.monotonic()))
                if not conn.recv(5).startswith(b"RTSP/"):
                    raise StreamOpenError("the server does not speak RTSP")
    except TimeoutError:
        raise StreamOpenError(f"the server did not answer within {timeout_s:g} s") from None
    except StreamOpenError:
        raise
    except OSError as err:
        raise StreamOpenError(f"cannot reach the server ({err.strerror or err})") from None


def open_capture(url: str, open_timeout_s: float = 5.0, read_timeout_s: float = 5.0) -> cv2.VideoCapture:
    """An opened VideoCapture through FFmpeg whose open and reads give up after the given times;
    StreamOpenError if it cannot be opened."""
    check_server(url, open_timeout_s)
    capture = cv2.VideoCapture(str(url), cv2.CAP_FFMPEG, [
        cv2.CAP_PROP_OPEN_TIMEOUT_MSEC, int(open_timeout_s * 1000),
        cv2.CAP_PROP_READ_TIMEOUT_MSEC, int(read_timeout_s * 1000),
    ])
    if not capture.isOpened():
        capture.release()
        raise StreamOpenError("cannot open the stream")
    return capture


@dataclass(frozen=True)
class Backoff:
    """Exponential delays between attempts, with jitter so a hundred cameras lost at once
    (a switch reboots) do not all knock again in the same instant."""

    first_s: float = 0.5
    max_s: float = 30.0
    factor: float = 2.0
    jitter: float = 0.5  # up to this share of each delay is taken off at random

    def delay(self, attempt: int, rng: random.Random) -> float:
        ceiling = min(self.max_s, self.first_s * self.factor ** min(attempt, 64))
        return ceiling * (1.0 - self.jitter * rng.random())


@dataclass(frozen=True)
class Frame:
    image: np.ndarray  # BGR
    index: int  # counts frames since the worker started
    time: float  # wall-clock seconds (time.time()) when it was read


@dataclass(frozen=True)
class CaptureStats:
    url: str  # masked
    status: Status
    fps: float
    last_frame_time: float | None  # wall clock
    frames: int
    reconnects: int
    error: str | None


class FrameSubscription:
    """A one-frame mailbox: each new frame replaces the unread one, which counts as dropped."""

    def __init__(self):
        self._ready = threading.Condition()
        self._frame: Frame | None = None
        self._closed = False
        self.dropped = 0

    def get(self, timeout: float | None = None) -> Frame | None:
        """The newest frame not yet taken; None on timeout or once the worker stopped."""
        with self._ready:
            self._ready.wait_for(lambda: self._frame is not None or self._closed, timeout)
            frame, self._frame = self._frame, None
            return frame

    @property
    def closed(self) -> bool:
        """The worker stopped, or the subscription was cancelled: no more frames will come."""
        return self._closed

    def _offer(self, frame: Frame) -> None:
        with self._ready:
            if self._frame is not None:
                self.dropped += 1
            self._frame = frame
            self._ready.notify_all()

    def _close(self) -> None:
        with self._ready:
            self._closed = True
            self._ready.notify_all()


class CaptureWorker:
    """Reads one stream on its own thread until stopped, reconnecting with backoff."""

    def __init__(self, url: str, *, open_timeout_s: float = 5.0, read_timeout_s: float = 5.0,
                 stall_after_s: float = 2.0, offline_after: int = 3, backoff: Backoff = Backoff(),
                 ring_seconds: float = 0.0, on_status: Callable[[Status], None] | None = None,
                 rng: random.Random | None = None):
        self.url = url
        self.masked_url = mask_url(url)
        self.open_timeout_s = open_timeout_s
        self.read_timeout_s = read_timeout_s
        self.stall_after_s = stall_after_s
        self.offline_after = offline_after
        self.backoff = backoff
        self.ring_seconds = ring_seconds
        self._on_status = on_status
        self._rng = rng or random.Random()
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._status = Status.CONNECTING
        self._error: str | None = None
        self._latest: Frame | None = None
        self._frames = 0
        self._reconnects = 0
        self._recent_times: collections.deque[float] = collections.deque(maxlen=256)  # for fps
        self._ring: collections.deque[Frame] = collections.deque()
        self._subscriptions: list[FrameSubscription] = []

    # -- lifecycle ---------------------------------------------------------------------------------
    def start(self) -> CaptureWorker:
        # The thread keeps the normal priority on purpose: it holds the GIL for a moment with every
        # frame, and a lower-priority thread descheduled while holding it stalls the UI thread
        # waiting for it (on a loaded machine, a nicer wall showed 2 of 25 fps and stalled for 1 s).
        if self._thread is None:
            self._thread = threading.Thread(target=self._run, name=f"capture {self.masked_url}", daemon=True)
            self._thread.start()
        return self

    def stop(self, wait: bool = True, timeout: float | None = None) -> None:
        """Ask the thread to end (and wait for it); a blocked open or read ends within its own timeout."""
        self._stop.set()
        if not wait:
            return
        if self._thread is not None:
            self._thread.join(self.open_timeout_s + self.read_timeout_s + 1.0 if timeout is None else timeout)
        with self._lock:
            subscriptions = list(self._subscriptions)
        for subscription in subscriptions:
            subscription._close()

    def __enter__(self) -> CaptureWorker:
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()

    # -- what consumers see ------------------------------------------------------------------------
    @property
    def status(self) -> Status:
        return self.stats().status

    def stats(self) -> CaptureStats:
        with self._lock:
            status = self._status
            age = time.monotonic() - self._recent_times[-1] if self._recent_times else None
            if status is Status.LIVE and age is not None and age > self.stall_after_s:
                status = Status.STALLED  # the thread is blocked in a read that has not timed out yet
            fps = 0.0  # not known yet
            recent = self._recent_times
            # Frames of the last second, once the connection has run that long: the decoder
            # hands over a burst of buffered frames right after it connects.
            if status is Status.LIVE and recent and recent[-1] - recent[0] >= FPS_WINDOW_S:
                fps = sum(1 for t in recent if t > recent[-1] - FPS_WINDOW_S) / FPS_WINDOW_S
            return CaptureStats(self.masked_url, status, round(fps, 1),
                                self._latest.time if self._latest else None, self._frames, self._reconnects,
                                self._error)

    def latest(self) -> Frame | None:
        return self._latest

    def subscribe(self) -> FrameSubscription:
        subscription = FrameSubscription()
        with self._lock:
            self._subscriptions.append(subscription)
        return subscription

    def unsubscribe(self, subscription: FrameSubscription) -> None:
        with self._lock:
            if subscription in self._subscriptions:
                self._subscriptions.remove(subscription)
        subscription._close()

    def snapshot(self, path: str | Path | None = None, quality: int = 90) -> bytes:
        """The newest frame as JPEG bytes, also written to `path` when given."""
        frame = self._latest
        if frame is None:
            raise NoFrameError(f"no frame yet from {self.masked_url}")
        jpeg = encode_jpeg(frame.image, quality)
        if path is not None:
            Path(path).write_bytes(jpeg)
        return jpeg

    def recent_frames(self, start: float, end: float) -> list[Frame]:
        """Frames of the ring buffer read between two wall-clock times."""
        with self._lock:
            return [frame for frame in self._ring if start <= frame.time <= end]

    def save_clip(self, path: str | Path, around: float | None = None, before_s: float = 3.0,
                  after_s: float = 3.0, timeout_s: float | None = None) -> int:
        """Save the frames from `before_s` before to `after_s` after the moment `around` (wall clock,
        default now) as a video; waits for the frames after it. Returns the number of frames written."""
        if self.ring_seconds < before_s + after_s:
            raise ValueError(f"the ring buffer keeps {self.ring_seconds:g} s, less than the clip's "
                             f"{before_s + after_s:g} s")
        around = time.time() if around is None else around
        deadline = time.monotonic() + (after_s + self.read_timeout_s if timeout_s is None else timeout_s)
        while time.monotonic() < deadline and not self._stop.is_set():
            latest = self._latest
            if latest is not None and latest.time >= around + after_s:
                break
            time.sleep(0.05)
        frames = self.recent_frames(around - before_s, around + after_s)
        if not frames:
            raise NoFrameError(f"no frames around that time from {self.masked_url}")
        return write_clip(path, frames)

    # -- the thread ----------------------------------------------------------------------------------
    def _run(self) -> None:
        attempt = 0
        failures = 0  # consecutive attempts that gave no frame
        while not self._stop.is_set():
            got_frames = False
            try:
                capture = open_capture(self.url, self.open_timeout_s, self.read_timeout_s)
            except StreamOpenError as err:
                self._set_status(self._status, error=str(err))
            else:
                with self._lock:
                    self._recent_times.clear()  # fps of this connection only
                try:
                    got_frames = self._read_until_failure(capture)
                finally:
                    capture.release()
            if self._stop.is_set():
                break
            if got_frames:
                attempt = failures = 0
            else:
                failures += 1
            self._reconnects += 1
            self._set_status(Status.OFFLINE if failures >= self.offline_after else Status.RECONNECTING)
            self._stop.wait(self.backoff.delay(attempt, self._rng))
            attempt += 1
        self._set_status(Status.OFFLINE)

    def _read_until_failure(self, capture: cv2.VideoCapture) -> bool:
        got_frames = False
        while not self._stop.is_set():
            started = time.monotonic()
            ok, image = capture.read()
            # After a read timeout OpenCV still hands out the frames left in the decoder, one per
            # timeout: old pictures of a stream that has stopped. Treat them as the failure they are.
            timed_out = time.monotonic() - started >= self.read_timeout_s
            if not ok or image is None or timed_out:
                if got_frames:
                    self._set_status(Status.STALLED, error="the stream stopped sending frames")
                else:
                    self._set_status(self._status, error="opened, but no frame arrived")
                return got_frames
            got_frames = True
            self._deliver(image)
        return got_frames

    def _deliver(self, image: np.ndarray) -> None:
        now = time.time()
        with self._lock:
            frame = Frame(image, self._frames, now)
            self._frames += 1
            self._latest = frame
            self._recent_times.append(time.monotonic())
            if self.ring_seconds > 0:
                self._ring.append(frame)
                while self._ring and self._ring[0].time < now - self.ring_seconds:
                    self._ring.popleft()
            subscriptions = list(self._subscriptions)
        for subscription in subscriptions:
            subscription._offer(frame)
        if self._status is not Status.LIVE:
            self._set_status(Status.LIVE, error=None)

    def _set_status(self, status: Status, error: str | None = None) -> None:
        with self._lock:
            changed = status is not self._status
            self._status = status
            if error is not None or status is Status.LIVE:
                self._error = error
        if changed:
            log.info("%s: %s%s", self.masked_url, status.value, f" ({error})" if error else "")
            if self._on_status is not None:
                self._on_status(status)


class CapturePool:
    """One worker per open stream, shared by everyone who opened it (two tiles, one decoder)."""

    def __init__(self, **worker_options):
        self._options = worker_options
        self._lock = threading.Lock()
        self._workers: dict[str, tuple[CaptureWorker, int]] = {}

    def open(self, url: str) -> CaptureWorker:
        with self._lock:
            worker, users = self._workers.get(url, (None, 0))
            if worker is None:
                worker = CaptureWorker(url, **self._options).start()
            self._workers[url] = (worker, users + 1)
            return worker

    def release(self, url: str) -> None:
        """Let go of a stream; its worker stops when nobody holds it any more."""
        with self._lock:
            worker, users = self._workers[url]
            if users > 1:
                self._workers[url] = (worker, users - 1)
                return
            del self._workers[url]
        worker.stop()

    def close(self) -> None:
        with self._lock:
            workers = [worker for worker, _ in self._workers.values()]
            self._workers.clear()
        for worker in workers:
            worker.stop(wait=False)  # let them all wind down together, then wait
        for worker in workers:
            worker.stop()

    def __len__(self) -> int:
        return len(self._workers)


def encode_jpeg(image: np.ndarray, quality: int = 90) -> bytes:
    ok, buffer = cv2.imencode(".jpg", image, [cv2.IMWRITE_JPEG_QUALITY, quality])
    if not ok:
        raise ValueError("cannot encode the frame as JPEG")
    return buffer.tobytes()


CLIP_CODECS = {".mp4": "mp4v", ".avi": "MJPG"}


def write_clip(path: str | Path, frames: list[Frame]) -> int:
    """Write frames as .mp4 (MPEG-4 part 2) or .avi (MJPEG) at the rate they were read."""
    path = Path(path)
    codec = CLIP_CODECS.get(path.suffix.lower())
    if codec is None:
        raise ValueError(f"clip must be one of {', '.join(CLIP_CODECS)}, not {path.suffix or 'no suffix'}")
    span = frames[-1].time - frames[0].time
    fps = (len(frames) - 1) / span if len(frames) > 1 and span > 0 else 25.0
    height, width = frames[0].image.shape[:2]
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*codec), fps, (width, height))
    if not writer.isOpened():
        raise OSError(f"cannot write a clip to {path}")
    try:
        for frame in frames:
            writer.write(frame.image)
    finally:
        writer.release()
    return len(frames)
