"""Synthetic street footage drawn with OpenCV: a road, pavements, walking people and passing cars.

Deterministic for a given scene number, so demo and test streams are reproducible with no
internet. Frames are written as numbered JPEGs, the form the RTSP test server loops over.
"""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np

FRAME_NAME = "frame_{:05d}.jpg"  # matches FRAME_PATTERN in video/rtsp_server_gst.py
WIDTH, HEIGHT = 640, 360
FPS = 25
ASPHALT = (70, 70, 72)
PAVEMENT = (150, 155, 160)
CAR_COLOURS = [(40, 40, 200), (200, 200, 200), (30, 30, 30), (180, 120, 30), (60, 160, 60)]
CLOTHES = [(90, 60, 30), (40, 40, 140), (120, 120, 120), (30, 90, 150), (20, 20, 20)]


def render_scene(out_dir: Path, scene: int = 0, seconds: float = 8.0, fps: int = FPS,
                 size: tuple[int, int] = (WIDTH, HEIGHT), quality: int = 85) -> Path:
    """Write one looping scene as JPEG frames into `out_dir`; skips the work if it is already there."""
    out_dir = Path(out_dir)
    count = max(1, int(round(seconds * fps)))
    if (out_dir / FRAME_NAME.format(count - 1)).exists():
        return out_dir
    out_dir.mkdir(parents=True, exist_ok=True)
    for index, frame in enumerate(scene_frames(scene, count, fps, size)):
        cv2.imwrite(str(out_dir / FRAME_NAME.format(index)), frame, [cv2.IMWRITE_JPEG_QUALITY, quality])
    return out_dir


def scene_frames(scene: int, count: int, fps: int = FPS, size: tuple[int, int] = (WIDTH, HEIGHT)):
    """Yield `count` BGR frames; everything moving wraps round so the clip loops without a jump."""
    width, height = size
    rng = np.random.default_rng(scene)
    background = _background(width, height, rng)
    steps = max(1, round(2 * count / fps))  # two strides a second, a whole number per loop
    walkers = [
        # (pavement row as a share of height, direction, start share, speed in widths per loop, colour)
        (rng.choice([0.33, 0.85]) + rng.uniform(-0.03, 0.03), rng.choice([-1, 1]), rng.random(),
         int(rng.integers(1, 3)), CLOTHES[int(rng.integers(len(CLOTHES)))])
        for _ in range(int(rng.integers(3, 6)))
    ]
    cars = [
        (rng.choice([0.5, 0.64]), rng.random(), int(rng.integers(2, 5)), CAR_COLOURS[int(rng.integers(len(CAR_COLOURS)))])
        for _ in range(int(rng.integers(1, 4)))
    ]
    for index in range(count):
        phase = index / count
        frame = background.copy()
        for lane, start, laps, colour in cars:
            direction = 1 if lane < 0.6 else -1
            x = ((start + direction * laps * phase) % 1.0) * (width + 160) - 80
            _draw_car(frame, int(x), int(lane * height), width, colour)
        for row, direction, start, laps, colour in walkers:
            x = ((start + direction * laps * phase) % 1.0) * (width + 40) - 20
            stride = np.sin(2 * np.pi * steps * phase)
            _draw_person(frame, int(x), int(row * height), height, colour, stride)
        yield frame


def _background(width: int, height: int, rng) -> np.ndarray:
    frame = np.zeros((height, width, 3), np.uint8)
    frame[:] = (120, 140, 110)
    frame[int(0.22 * height):int(0.40 * height)] = PAVEMENT
    frame[int(0.40 * height):int(0.75 * height)] = ASPHALT
    frame[int(0.75 * height):int(0.95 * height)] = PAVEMENT
    for x in range(0, width, 60):
        cv2.line(frame, (x, int(0.575 * height)), (x + 30, int(0.575 * height)), (230, 230, 230), 2)
    for _ in range(6):  # building fronts along the top
        x = int(rng.integers(0, width))
        shade = int(rng.integers(90, 200))
        cv2.rectangle(frame, (x, 0), (x + int(rng.integers(60, 160)), int(0.22 * height)), (shade, shade, shade - 20), -1)
    noise = rng.normal(0, 4, frame.shape)
    return np.clip(frame + noise, 0, 255).astype(np.uint8)


def _draw_person(frame, x: int, feet_y: int, height: int, colour, stride: float) -> None:
    tall = int(0.16 * height)
    head = max(3, tall // 8)
    body_top = feet_y - tall + 2 * head
    hip = feet_y - tall // 2
    cv2.circle(frame, (x, feet_y - tall + head), head, (150, 180, 220), -1)
    cv2.rectangle(frame, (x - head, body_top), (x + head, hip), colour, -1)
    swing = int(stride * head)
    cv2.line(frame, (x, hip), (x - swing, feet_y), (50, 50, 60), max(2, head // 2))
    cv2.line(frame, (x, hip), (x + swing, feet_y), (50, 50, 60), max(2, head // 2))


def _draw_car(frame, x: int, y: int, width: int, colour) -> None:
    length, tall = int(0.12 * width), int(0.04 * width)
    cv2.rectangle(frame, (x, y - tall), (x + length, y), colour, -1)
    cv2.rectangle(frame, (x + length // 4, y - tall - tall // 2), (x + 3 * length // 4, y - tall), colour, -1)
    for wheel in (x + length // 5, x + 4 * length // 5):
        cv2.circle(frame, (wheel, y), tall // 3, (20, 20, 20), -1)
