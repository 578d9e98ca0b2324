"""Motion and people in camera footage, on sub-sampled frames, as throttled de-duplicated events.

Motion: MOG2 background subtraction on a small copy of the frame, limited to the zones that
matter, cleaned by morphology and a minimum area so that noise, shadows and swaying leaves do
not raise alerts. People: OpenCV 4's HOG people detector (ships with OpenCV, nothing downloaded),
which is slow, so it sees a few frames a second. A person standing still or a car crossing the
view would otherwise give an event per frame: the throttle keeps one per place and time.
"""

from __future__ import annotations

import math
import time
from dataclasses import asdict, dataclass
from typing import Iterator, Sequence

import cv2
import numpy as np

from video.capture import StreamOpenError, open_capture
from data.streamurls import mask_url

Box = tuple[int, int, int, int]  # x, y, width, height in source pixels
Zone = Sequence[tuple[float, float]]  # polygon in shares of the frame's width and height (0..1)


@dataclass(frozen=True)
class Event:
    time_s: float  # seconds from the start of the source
    frame: int
    kind: str  # "motion" or "person"
    box: Box
    score: float  # motion: share of the frame that moves; person: detector confidence

    def to_dict(self) -> dict:
        return asdict(self) | {"box": list(self.box)}


class MotionDetector:
    """Moving regions inside the zones (the whole frame when there are none)."""

    def __init__(self, zones: Sequence[Zone] = (), width: int = 320, min_area_share: float = 0.002,
                 history: int = 200, var_threshold: float = 25.0, warmup_frames: int = 5):
        self.zones = [np.asarray(zone, dtype=np.float64) for zone in zones]
        self.width = width
        self.min_area_share = min_area_share
        self.warmup_frames = warmup_frames
        self._subtractor = cv2.createBackgroundSubtractorMOG2(history, var_threshold, detectShadows=True)
        self._kernel = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (3, 3))
        self._zone_mask: np.ndarray | None = None
        self._seen = 0

    def detect(self, image: np.ndarray) -> list[tuple[Box, float]]:
        height, width = image.shape[:2]
        scale = min(1.0, self.width / width)
        small = cv2.resize(image, (round(width * scale), round(height * scale)), interpolation=cv2.INTER_AREA)
        small = cv2.GaussianBlur(small, (5, 5), 0)
        foreground = self._subtractor.apply(small)
        self._seen += 1
        if self._seen <= self.warmup_frames:  # the model has not learnt the background yet
            return []
        _, moving = cv2.threshold(foreground, 200, 255, cv2.THRESH_BINARY)  # drop shadows (127)
        if self.zones:
            moving &= self._mask_for(moving.shape)
        moving = cv2.morphologyEx(moving, cv2.MORPH_OPEN, self._kernel)  # speckles
        moving = cv2.dilate(moving, self._kernel, iterations=2)  # join the parts of one body
        contours, _ = cv2.findContours(moving, cv2.RETR_EXTERNAL, cv2.CHAIN_APPROX_SIMPLE)
        frame_area = moving.shape[0] * moving.shape[1]
        found = []
        for contour in contours:
            area = cv2.contourArea(contour)
            if area < self.min_area_share * frame_area:
                continue
            x, y, w, h = cv2.boundingRect(contour)
            box = tuple(int(round(v / scale)) for v in (x, y, w, h))
            found.append((box, round(area / frame_area, 4)))
        return found

    def _mask_for(self, shape: tuple[int, int]) -> np.ndarray:
        if self._zone_mask is None or self._zone_mask.shape != shape:
            mask = np.zeros(shape, np.uint8)
            size = np.array([shape[1], shape[0]])
            cv2.fillPoly(mask, [np.round(zone * size).astype(np.int32) for zone in self.zones], 255)
            self._zone_mask = mask
        return self._zone_mask


class PersonDetector:
    """Upright people with OpenCV's default HOG + linear SVM detector (needs OpenCV 4.x)."""

    def __init__(self, min_score: float = 0.5, upscale: float = 1.0, overlap: float = 0.4):
        if not hasattr(cv2, "HOGDescriptor_getDefaultPeopleDetector"):
            raise RuntimeError(f"OpenCV {cv2.__version__} has no HOG people detector; install opencv 4.x")
        self._hog = cv2.HOGDescriptor()
        self._hog.setSVMDetector(cv2.HOGDescriptor_getDefaultPeopleDetector())
        self.min_score = min_score
        self.upscale = upscale  # >1 finds people smaller than the detector's 128-pixel window
        self.overlap = overlap

    def detect(self, image: np.ndarray) -> list[tuple[Box, float]]:
        scaled = image if self.upscale == 1.0 else cv2.resize(image, None, fx=self.upscale, fy=self.upscale)
        boxes, weights = self._hog.detectMultiScale(scaled, winStride=(8, 8), padding=(8, 8), scale=1.05)
        if len(boxes) == 0:
            return []
        scores = [float(w) for w in np.ravel(weights)]
        keep = cv2.dnn.NMSBoxes([list(map(int, b)) for b in boxes], scores, self.min_score, self.overlap)
        return [(tuple(int(round(v / self.upscale)) for v in boxes[i]), round(scores[i], 3))
                for i in np.ravel(keep)]


class EventThrottle:
    """At most `per_interval` events of a kind every `interval_s`, and none repeating an event of the
    same kind at the same place (boxes overlapping by `same_place_iou`) within `cooldown_s`."""

    def __init__(self, per_interval: int = 3, interval_s: float = 1.0, cooldown_s: float = 10.0,
                 same_place_iou: float = 0.3):
        self.per_interval = per_interval
        self.interval_s = interval_s
        self.cooldown_s = cooldown_s
        self.same_place_iou = same_place_iou
        self._recent: list[Event] = []

    def admit(self, candidates: list[Event]) -> list[Event]:
        """The candidates (all of one frame) worth reporting, best first per kind."""
        admitted = []
        for event in sorted(candidates, key=lambda e: -e.score):
            self._recent = [old for old in self._recent if event.time_s - old.time_s < self.cooldown_s]
            same_kind = [old for old in self._recent if old.kind == event.kind]
            if sum(event.time_s - old.time_s < self.interval_s for old in same_kind) >= self.per_interval:
                continue
            if any(iou(event.box, old.box) >= self.same_place_iou for old in same_kind):
                continue
            self._recent.append(event)
            admitted.append(event)
        return admitted


def iou(a: Box, b: Box) -> float:
    ax, ay, aw, ah = a
    bx, by, bw, bh = b
    w = min(ax + aw, bx + bw) - max(ax, bx)
    h = min(ay + ah, by + bh) - max(ay, by)
    if w <= 0 or h <= 0:
        return 0.0
    inter = w * h
    return inter / (aw * ah + bw * bh - inter)


class Analyzer:
    """Feeds frames to the detectors at their own rates and throttles what they find.

    Rates go by the frames' times, not their numbers, so a live feed that skips frames
    (a slow consumer) is sampled as evenly as a file."""

    def __init__(self, motion: MotionDetector | None = None, people: PersonDetector | None = None,
                 motion_fps: float = 5.0, people_fps: float = 2.0, throttle: EventThrottle | None = None):
        self.motion = motion
        self.people = people
        self._motion_period = 1.0 / motion_fps
        self._people_period = 1.0 / people_fps
        self._next_motion = self._next_people = -math.inf
        self.throttle = throttle or EventThrottle()

    def process(self, image: np.ndarray, frame: int, time_s: float) -> list[Event]:
        candidates = []
        due = time_s + 1e-6  # frame times computed as index / fps carry rounding
        if self.motion is not None and due >= self._next_motion:
            self._next_motion = _next_time(self._next_motion, self._motion_period, time_s)
            candidates += [Event(round(time_s, 3), frame, "motion", box, score)
                           for box, score in self.motion.detect(image)]
        if self.people is not None and due >= self._next_people:
            self._next_people = _next_time(self._next_people, self._people_period, time_s)
            candidates += [Event(round(time_s, 3), frame, "person", box, score)
                           for box, score in self.people.detect(image)]
        return self.throttle.admit(candidates)


def _next_time(previous: float, period: float, now: float) -> float:
    """Keep an even rhythm, but restart it from now after falling behind (or at the start)."""
    following = previous + period
    return following if following > now else now + period


@dataclass
class AnalysisRun:
    source: str  # masked
    frames: int = 0
    seconds: float = 0.0  # of footage
    elapsed_s: float = 0.0  # of processing


class SourceError(RuntimeError):
    """The file or stream could not be opened."""


def analyze_source(source: str, run: AnalysisRun, max_seconds: float | None = None, motion: bool = True,
                   people: bool = True, zones: Sequence[Zone] = (), min_person_score: float = 0.5,
                   open_timeout_s: float = 10.0) -> Iterator[Event]:
    """Events of a video file or stream, in order; `run` is filled in as frames are read."""
    try:
        capture = open_capture(source, open_timeout_s, open_timeout_s)
    except StreamOpenError as err:
        raise SourceError(f"cannot open {mask_url(source)}: {err}") from None
    started = time.monotonic()
    try:
        fps = capture.get(cv2.CAP_PROP_FPS)
        fps = fps if 1.0 <= fps <= 240.0 else 25.0
        analyzer = Analyzer(MotionDetector(zones) if motion else None,
                            PersonDetector(min_person_score) if people else None)
        while max_seconds is None or run.frames / fps < max_seconds:
            ok, image = capture.read()
            if not ok:
                break
            yield from analyzer.process(image, run.frames, run.frames / fps)
            run.frames += 1
            run.seconds = round(run.frames / fps, 3)
            run.elapsed_s = round(time.monotonic() - started, 3)
    finally:
        capture.release()
