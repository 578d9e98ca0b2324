"""Analytics on a live camera: events become alerts with the camera's place, a snapshot and a clip.

Runs on its own thread, fed by a one-frame subscription to the camera's capture worker: when
detection is slower than the stream (HOG is), frames are skipped rather than queued, so alerts
stay current. Handing alerts to the ticket intake is the caller's `on_alert`.
"""

from __future__ import annotations

import dataclasses
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

import cv2

from video.analytics import Analyzer, Event
from video.capture import CaptureWorker, NoFrameError, encode_jpeg
from video.registry import Camera


@dataclass(frozen=True)
class Alert:
    camera_id: str
    lon: float
    lat: float
    event: Event  # time_s counts from when the analytics started
    at: float  # wall clock of the frame
    frame_size: tuple[int, int]  # width, height: where the box lies in the picture
    snapshot_jpeg: bytes = field(repr=False)  # the frame, with the detection boxed
    clip: Path | None = None  # where its clip is being written; `LiveAnalytics.clips` lists finished ones


class LiveAnalytics:
    """Watches one camera's worker until stopped, calling `on_alert` for every admitted event.

    With `clip_dir`, each alert's clip (`before_s` before, `after_s` after) is written there on
    a helper thread; the worker needs `ring_seconds >= before_s + after_s`."""

    def __init__(self, camera: Camera, worker: CaptureWorker, analyzer: Analyzer,
                 on_alert: Callable[[Alert], None], clip_dir: Path | None = None,
                 before_s: float = 3.0, after_s: float = 3.0):
        if clip_dir is not None and worker.ring_seconds < before_s + after_s:
            raise ValueError(f"clips of {before_s + after_s:g} s need a worker with ring_seconds >= that")
        self.camera = camera
        self.worker = worker
        self.analyzer = analyzer
        self.on_alert = on_alert
        self.clip_dir = Path(clip_dir) if clip_dir is not None else None
        self.before_s = before_s
        self.after_s = after_s
        self.clips: list[Path] = []  # written so far
        self._subscription = worker.subscribe()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name=f"analytics {camera.camera_id}", daemon=True)
        self._clip_threads: list[threading.Thread] = []

    def start(self) -> LiveAnalytics:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        self.worker.unsubscribe(self._subscription)
        self._thread.join()
        for thread in self._clip_threads:
            thread.join()

    def _run(self) -> None:
        started = None
        while not self._stop.is_set() and not self._subscription.closed:
            frame = self._subscription.get(timeout=0.5)
            if frame is None:
                continue
            started = frame.time if started is None else started
            for event in self.analyzer.process(frame.image, frame.index, frame.time - started):
                self._raise(event, frame)

    def _raise(self, event: Event, frame) -> None:
        image = frame.image.copy()
        x, y, w, h = event.box
        cv2.rectangle(image, (x, y), (x + w, y + h), (0, 0, 255), 2)
        height, width = image.shape[:2]
        alert = Alert(self.camera.camera_id, self.camera.lon, self.camera.lat, event, frame.time, (width, height),
                      encode_jpeg(image))
        if self.clip_dir is not None:
            path = self.clip_dir / f"{self.camera.camera_id}-{int(frame.time * 1000)}-{event.kind}.mp4"
            thread = threading.Thread(target=self._save_clip, args=(path, frame.time), daemon=True)
            self._clip_threads.append(thread)
            thread.start()
            alert = dataclasses.replace(alert, clip=path)
        self.on_alert(alert)

    def _save_clip(self, path: Path, around: float) -> None:
        self.clip_dir.mkdir(parents=True, exist_ok=True)
        try:
            self.worker.save_clip(path, around, self.before_s, self.after_s)
        except NoFrameError:
            return  # the camera went away; the alert still has its snapshot
        self.clips.append(path)
