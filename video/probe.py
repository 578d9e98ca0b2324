"""What a stream really delivers: does it open, in what format, and how many frames in a few seconds."""

from __future__ import annotations

import time

import cv2

from video.capture import StreamOpenError, open_capture
from data.streamurls import mask_url


def fourcc_text(value: float) -> str | None:
    code = int(value)
    if code <= 0:
        return None
    text = "".join(chr((code >> (8 * k)) & 0xFF) for k in range(4)).strip("\0 ")
    return text if text.isprintable() and text else None


def probe(url: str, seconds: float = 3.0, open_timeout_s: float = 5.0, read_timeout_s: float = 5.0) -> dict:
    """Open the stream and read it for `seconds`; the URL in the result is masked."""
    started = time.monotonic()
    result = {"url": mask_url(url), "opened": False, "open_seconds": None,
              "codec": None, "width": None, "height": None, "fps": None,
              "frames_read": 0, "read_seconds": 0.0, "read_fps": 0.0, "error": None}
    try:
        capture = open_capture(url, open_timeout_s, read_timeout_s)
    except StreamOpenError as err:
        result.update(open_seconds=round(time.monotonic() - started, 3), error=str(err))
        return result
    result.update(opened=True, open_seconds=round(time.monotonic() - started, 3))
    try:
        reported_fps = capture.get(cv2.CAP_PROP_FPS)
        result.update(codec=fourcc_text(capture.get(cv2.CAP_PROP_FOURCC)),
                      width=int(capture.get(cv2.CAP_PROP_FRAME_WIDTH)),
                      height=int(capture.get(cv2.CAP_PROP_FRAME_HEIGHT)),
                      fps=round(reported_fps, 3) if reported_fps > 0 else None)
        read_started = time.monotonic()
        frames = 0
        while time.monotonic() - read_started < seconds:
            ok, _ = capture.read()
            if not ok:
                result["error"] = "the stream ended" if frames else "opened, but no frame arrived"
                break
            frames += 1
        elapsed = time.monotonic() - read_started
        result.update(frames_read=frames, read_seconds=round(elapsed, 3),
                      read_fps=round(frames / elapsed, 2) if elapsed > 0 else 0.0)
        return result
    finally:
        capture.release()
