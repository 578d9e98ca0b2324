"""Motion and person events, on synthetic footage and on real pedestrian footage."""

from pathlib import Path

import numpy as np
import pytest

from video.analytics import (AnalysisRun, Analyzer, Event, EventThrottle, MotionDetector, analyze_source,
                             iou)
from video.footage import FPS, HEIGHT, WIDTH, scene_frames

# Real pedestrians (OpenCV's own people-detection sample video), from Debian's opencv-doc package.
PEDESTRIANS = Path("/usr/share/doc/opencv-doc/examples/data/vtest.avi")
UPPER_PAVEMENT = [(0.0, 0.2), (1.0, 0.2), (1.0, 0.42), (0.0, 0.42)]
SKY = [(0.0, 0.0), (1.0, 0.0), (1.0, 0.1), (0.0, 0.1)]


def motion_events(frames, zones=()) -> list[Event]:
    analyzer = Analyzer(motion=MotionDetector(zones))
    return [event for index, image in enumerate(frames) for event in analyzer.process(image, index, index / FPS)]


def test_moving_people_and_cars_raise_motion_events():
    events = motion_events(scene_frames(0, 3 * FPS))
    assert len(events) >= 3
    assert {event.kind for event in events} == {"motion"}
    assert min(event.time_s for event in events) >= 1.0  # not while the background is being learnt
    for event in events:
        x, y, w, h = event.box
        assert 0 <= x and 0 <= y and x + w <= WIDTH + 2 and y + h <= HEIGHT + 2
        assert 0 < event.score < 0.5


def test_zones_limit_where_motion_counts():
    upper = motion_events(scene_frames(0, 3 * FPS), [UPPER_PAVEMENT])
    assert upper
    for event in upper:
        x, y, w, h = event.box
        assert y < 0.45 * HEIGHT and y + h > 0.18 * HEIGHT
    assert motion_events(scene_frames(0, 3 * FPS), [SKY]) == []


def speckled_still(count: int, seed: int = 0):
    """A still street with bright specks flickering at random places (rain, sensor hot pixels)."""
    still = next(scene_frames(0, 1))
    rng = np.random.default_rng(seed)
    for _ in range(count):
        image = still.copy()
        for x, y in zip(rng.integers(0, WIDTH - 3, 40), rng.integers(0, HEIGHT - 3, 40)):
            image[y:y + 3, x:x + 3] = 255
        yield image


def test_flickering_specks_raise_nothing():
    assert motion_events(speckled_still(3 * FPS)) == []
    # ...because of the noise filtering: without a minimum area the specks do get through.
    analyzer = Analyzer(motion=MotionDetector(min_area_share=0))
    assert any(analyzer.process(image, k, k / FPS) for k, image in enumerate(speckled_still(3 * FPS)))


def test_throttle_drops_repeats_at_the_same_place_but_not_elsewhere():
    throttle = EventThrottle(per_interval=5, interval_s=1.0, cooldown_s=10.0, same_place_iou=0.3)
    first = Event(0.0, 0, "person", (100, 100, 50, 100), 1.0)
    assert throttle.admit([first]) == [first]
    assert throttle.admit([Event(2.0, 50, "person", (105, 102, 50, 100), 1.2)]) == []  # same person
    elsewhere = Event(2.0, 50, "person", (400, 100, 50, 100), 0.9)
    motion_there = Event(2.0, 50, "motion", (100, 100, 50, 100), 0.01)
    assert throttle.admit([elsewhere, motion_there]) == [elsewhere, motion_there]
    assert throttle.admit([Event(12.5, 300, "person", (100, 100, 50, 100), 1.0)])  # cooled down


def test_throttle_caps_events_per_interval_keeping_the_best():
    throttle = EventThrottle(per_interval=2, interval_s=1.0)
    crowd = [Event(0.0, 0, "person", (k * 100, 0, 50, 100), score) for k, score in enumerate([0.6, 2.0, 1.0])]
    assert [event.score for event in throttle.admit(crowd)] == [2.0, 1.0]
    assert throttle.admit([Event(0.5, 5, "person", (500, 0, 50, 100), 3.0)]) == []
    assert throttle.admit([Event(1.5, 15, "person", (600, 0, 50, 100), 3.0)])


def test_iou():
    assert iou((0, 0, 10, 10), (0, 0, 10, 10)) == 1.0
    assert iou((0, 0, 10, 10), (5, 0, 10, 10)) == pytest.approx(50 / 150)
    assert iou((0, 0, 10, 10), (20, 20, 5, 5)) == 0.0


def test_people_are_found_in_real_pedestrian_footage():
    # scripts/install.sh installs Debian's opencv-doc, which ships this real street footage.
    assert PEDESTRIANS.exists(), f"{PEDESTRIANS} missing: run scripts/install.sh"
    run = AnalysisRun(str(PEDESTRIANS))
    events = list(analyze_source(str(PEDESTRIANS), run, max_seconds=3.0, motion=False))
    assert run.frames == 30 and run.seconds == 3.0
    people = [event for event in events if event.kind == "person"]
    assert len(people) >= 4
    assert len({event.frame for event in people}) >= 3  # found again as they walk, not once
    for event in people:
        x, y, w, h = event.box
        assert event.score >= 0.5
        assert 1.5 <= h / w <= 2.5  # upright people, as the detector's window is


class CountingDetector:
    """Stands in for a detector to see when the analyzer calls it."""

    def __init__(self):
        self.times = []

    def detect(self, image):
        self.times.append(self.now)
        return []


def test_detectors_run_at_their_own_rates_even_when_frames_are_skipped():
    motion, people = CountingDetector(), CountingDetector()
    analyzer = Analyzer(motion=motion, people=people, motion_fps=5, people_fps=2)
    image = np.zeros((4, 4, 3), np.uint8)
    times = [k / 25 for k in range(50)] + [2.0 + k * 0.14 for k in range(1, 15)]  # then every 0.14 s
    for frame, time_s in enumerate(times):
        motion.now = people.now = time_s
        analyzer.process(image, frame, time_s)
    assert motion.times[:10] == pytest.approx([k / 5 for k in range(10)])
    assert people.times[:4] == pytest.approx([0.0, 0.52, 1.0, 1.52])  # first frames due, no drift
    gaps = np.diff(motion.times[10:])
    assert gaps.min() >= 0.14 - 1e-9 and gaps.max() <= 0.28 + 1e-9  # never faster than 5/s, nothing starved
