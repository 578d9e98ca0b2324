"""Benchmark: a 16-tile video wall of 640x360 streams at 25 fps vs ffmpeg alone, and UI-thread stalls.

Issue 7 targets: frames the wall shows (painted, distinct) >= 80 % of what ffmpeg alone decodes
of the same streams in the same run, and the UI thread never stalls > 30 ms, measured as the
lateness of a 10 ms QTimer heartbeat on the UI thread while the wall plays (offscreen, 1920x1080).

    .venv/bin/python -m benchmarks.video_wall [--streams 16] [--seconds 10] [--json]
"""

from __future__ import annotations

import argparse
import resource
import time

import numpy as np

from benchmarks.common import print_report
from benchmarks.video_decode import bench_streams, cpu_seconds, ffmpeg_baseline
from console.videowall import REFRESH_HZ

HEARTBEAT_MS = 10


def wall_frames(urls: list[str], seconds: float, refresh_hz: float) -> dict:
    """Frames shown per tile in `seconds` once every tile is live, and the heartbeat's lateness (ms)."""
    from PySide6.QtCore import QEventLoop, Qt, QTimer

    from console.app import application
    from console.videowall import VideoWall
    from video.capture import Status
    from video.registry import Camera, CameraRegistry

    application("en", headless=True)
    cameras = [Camera(f"BENCH{k:02d}", f"BENCH{k:02d}", "A", None, 0.0, 0.0, None, None, "online", None,
                      stream_main=url) for k, url in enumerate(urls)]  # no sub-stream: 640x360 in every tile
    wall = VideoWall(CameraRegistry(cameras), refresh_hz=refresh_hz)
    wall.resize(1920, 1080)
    wall.show()
    wall.show_cameras(cameras)

    def run_for(seconds: float, until=None) -> None:
        loop = QEventLoop()
        deadline = time.monotonic() + seconds
        check = QTimer(interval=50)
        check.timeout.connect(lambda: loop.quit() if time.monotonic() > deadline or (until and until()) else None)
        check.start()
        loop.exec()
        check.stop()

    started = time.monotonic()
    run_for(20, until=lambda: all(tile.status is Status.LIVE for tile in wall.visible_tiles))
    live_after = time.monotonic() - started
    shown_before = [tile.frames_shown for tile in wall.visible_tiles]
    decoded_before = [tile.worker.stats().frames for tile in wall.visible_tiles]
    ticks: list[float] = []
    heartbeat = QTimer(interval=HEARTBEAT_MS)
    heartbeat.setTimerType(Qt.TimerType.PreciseTimer)
    heartbeat.timeout.connect(lambda: ticks.append(time.perf_counter()))
    own_cpu = cpu_seconds(resource.RUSAGE_SELF)
    heartbeat.start()
    run_for(seconds)
    heartbeat.stop()
    wall_cpu = cpu_seconds(resource.RUSAGE_SELF) - own_cpu
    shown = [tile.frames_shown - before for tile, before in zip(wall.visible_tiles, shown_before)]
    decoded = [tile.worker.stats().frames - before for tile, before in zip(wall.visible_tiles, decoded_before)]
    wall.shutdown()
    lateness = np.maximum(np.diff(ticks) * 1000 - HEARTBEAT_MS, 0)
    return {"shown": shown, "decoded": decoded, "live_after_s": live_after, "lateness_ms": lateness,
            "cpu_s": wall_cpu}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--streams", type=int, default=16)
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--refresh-hz", type=float, default=REFRESH_HZ, help="the wall's polling rate")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    with bench_streams(args.streams) as urls:
        ffmpeg, ffmpeg_cpu = ffmpeg_baseline(urls, args.seconds)
        wall = wall_frames(urls, args.seconds, args.refresh_hz)
    lateness = wall["lateness_ms"]
    result = {
        "streams": args.streams, "seconds": args.seconds, "refresh_hz": args.refresh_hz,
        "ffmpeg_fps_per_stream": round(sum(ffmpeg) / len(ffmpeg) / args.seconds, 2),
        "wall_decoded_fps_per_tile": round(sum(wall["decoded"]) / len(urls) / args.seconds, 2),
        "wall_shown_fps_per_tile": round(sum(wall["shown"]) / len(urls) / args.seconds, 2),
        "wall_live_after_s": round(wall["live_after_s"], 2),
        "ratio_shown_to_ffmpeg": round(sum(wall["shown"]) / max(1, sum(ffmpeg)), 3),
        "ffmpeg_cpu_s": round(ffmpeg_cpu, 1),  # all ffmpeg processes, the whole phase
        "wall_cpu_s": round(wall["cpu_s"], 1),  # this process during the timed window
        "heartbeat_late_p50_ms": round(float(np.percentile(lateness, 50)), 1),
        "heartbeat_late_p99_ms": round(float(np.percentile(lateness, 99)), 1),
        "heartbeat_late_max_ms": round(float(lateness.max()), 1),
        "heartbeat_ticks_late_over_30_ms": int((lateness > 30).sum()),
    }
    result["meets_80_percent"] = result["ratio_shown_to_ffmpeg"] >= 0.8
    result["never_stalls_over_30_ms"] = result["heartbeat_late_max_ms"] <= 30
    print_report(result, args.json)


if __name__ == "__main__":
    main()
