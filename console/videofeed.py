"""Frames made ready for display off the UI thread: scaled to the tile and laid out as Qt draws fastest.

No Qt here: the feeder thread takes each worker's newest frame (skipping any it had no time for,
never queueing them) and keeps it display-ready for the tile, which polls it from the UI thread.
OpenCV's resize and conversion release the GIL, so this work runs on the other core instead of
stalling the UI.
"""

from __future__ import annotations

import threading

import cv2
import numpy as np

from video.capture import CaptureWorker


def fit(frame_size: tuple[int, int], box: tuple[int, int]) -> tuple[int, int]:
    """The largest (width, height) of the frame's aspect ratio that fits in the box."""
    (frame_width, frame_height), (box_width, box_height) = frame_size, box
    scale = min(box_width / frame_width, box_height / frame_height)
    return max(1, int(frame_width * scale)), max(1, int(frame_height * scale))


def to_display(image: np.ndarray, box: tuple[int, int]) -> np.ndarray:
    """A BGR frame fitted into `box` as BGRA bytes (QImage.Format_RGB32 on little-endian machines)."""
    width, height = fit((image.shape[1], image.shape[0]), box)
    if (width, height) != (image.shape[1], image.shape[0]):
        image = cv2.resize(image, (width, height), interpolation=cv2.INTER_LINEAR)
    return cv2.cvtColor(image, cv2.COLOR_BGR2BGRA)


class DisplayFeed:
    """What one tile wants: the newest frame of a worker, fitted to a box."""

    def __init__(self, worker: CaptureWorker, box: tuple[int, int]):
        self.worker = worker
        self.box = box  # replaced (never mutated) by the UI thread when the tile is resized
        self.latest: tuple[int, np.ndarray] | None = None  # (frame index, BGRA pixels), replaced whole


class DisplayFeeder:
    """One thread preparing the frames of every feed of a wall. One, not one per tile: each Python
    thread is one more contender for the GIL, which the UI thread needs to stay responsive."""

    def __init__(self, idle_wait_s: float = 0.005):
        self.idle_wait_s = idle_wait_s  # how long to sleep when no feed had a new frame
        self._feeds: tuple[DisplayFeed, ...] = ()  # replaced whole, so the thread can iterate it unlocked
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def open(self, worker: CaptureWorker, box: tuple[int, int]) -> DisplayFeed:
        feed = DisplayFeed(worker, box)
        with self._lock:
            self._feeds += (feed,)
            if self._thread is None:
                self._thread = threading.Thread(target=self._run, name="display feeder", daemon=True)
                self._thread.start()
        return feed

    def close(self, feed: DisplayFeed) -> None:
        with self._lock:
            self._feeds = tuple(other for other in self._feeds if other is not feed)

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join()

    def _run(self) -> None:
        while not self._stop.is_set():
            busy = False
            for feed in self._feeds:
                frame = feed.worker.latest()
                if frame is not None and (feed.latest is None or feed.latest[0] != frame.index):
                    feed.latest = (frame.index, to_display(frame.image, feed.box))
                    busy = True
            if not busy:
                self._stop.wait(self.idle_wait_s)
