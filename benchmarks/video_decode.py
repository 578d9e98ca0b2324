"""Benchmark: 16 loopback RTSP streams of 640x360 at 25 fps, decoded by capture workers vs ffmpeg alone.

Issue 7 target: frames delivered by the capture workers >= 80 % of what ffmpeg alone decodes of
the same streams in the same run. Both phases read the same 16 streams from one GStreamer test
server (which encodes them live, so the server's own CPU is part of both phases).

    .venv/bin/python -m benchmarks.video_decode [--streams 16] [--seconds 10] [--json]
"""

from __future__ import annotations

import argparse
import re
import resource
import subprocess
import tempfile
import time
from contextlib import contextmanager
from pathlib import Path

from benchmarks.common import print_report
from video.capture import CaptureWorker, Status
from video.testserver import STAND_IN_NICENESS, RtspTestServer, camera_streams, render_scenes, scene_for

FFMPEG_FRAME = re.compile(r"frame=\s*(\d+)")


def cpu_seconds(who: int) -> float:
    usage = resource.getrusage(who)
    return usage.ru_utime + usage.ru_stime


def ffmpeg_frames(urls: list[str], seconds: float) -> list[int]:
    """Frames each ffmpeg process decodes in `seconds` (decode only, output discarded)."""
    processes = [subprocess.Popen(["ffmpeg", "-hide_banner", "-nostats", "-rtsp_transport", "tcp", "-i", url,
                                   "-t", str(seconds), "-f", "null", "-"],
                                  stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
                 for url in urls]
    counts = []
    for process in processes:
        _, err = process.communicate(timeout=seconds + 30)
        found = FFMPEG_FRAME.findall(err)
        counts.append(int(found[-1]) if found else 0)
    return counts


def worker_frames(urls: list[str], seconds: float) -> tuple[list[int], float]:
    """Frames each capture worker delivers in `seconds` once live, and the seconds it took to go live."""
    workers = [CaptureWorker(url).start() for url in urls]
    started = time.monotonic()
    while time.monotonic() - started < 20 and not all(w.status is Status.LIVE for w in workers):
        time.sleep(0.05)
    live_after = time.monotonic() - started
    before = [w.stats().frames for w in workers]
    time.sleep(seconds)
    after = [w.stats().frames for w in workers]
    for worker in workers:
        worker.stop(wait=False)
    for worker in workers:
        worker.stop()
    return [a - b for a, b in zip(after, before)], live_after


@contextmanager
def bench_streams(count: int):
    """`count` synthetic camera main streams served as real RTSP on loopback; yields their URLs."""
    with tempfile.TemporaryDirectory() as tmp:
        scenes = render_scenes(Path(tmp))
        ids = [f"BENCH{k:02d}" for k in range(count)]
        specs = [s for cid in ids for s in camera_streams(cid, cid, scenes[scene_for(cid)])][::2]  # main only
        with RtspTestServer(specs, niceness=STAND_IN_NICENESS) as server:  # as the console's demo mode runs it
            yield [server.url(spec.path) for spec in specs]


def ffmpeg_baseline(urls: list[str], seconds: float) -> tuple[list[int], float]:
    """Frames ffmpeg alone decodes from each stream, and the CPU seconds its processes used."""
    children_cpu = cpu_seconds(resource.RUSAGE_CHILDREN)
    frames = ffmpeg_frames(urls, seconds)
    return frames, cpu_seconds(resource.RUSAGE_CHILDREN) - children_cpu


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--streams", type=int, default=16)
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    with bench_streams(args.streams) as urls:
        ffmpeg, ffmpeg_cpu = ffmpeg_baseline(urls, args.seconds)
        own_cpu = cpu_seconds(resource.RUSAGE_SELF)
        workers, live_after = worker_frames(urls, args.seconds)
        workers_cpu = cpu_seconds(resource.RUSAGE_SELF) - own_cpu
    result = {
        "streams": args.streams, "seconds": args.seconds,
        "ffmpeg_fps_per_stream": round(sum(ffmpeg) / len(ffmpeg) / args.seconds, 2),
        "workers_fps_per_stream": round(sum(workers) / len(workers) / args.seconds, 2),
        "workers_live_after_s": round(live_after, 2),
        "ratio": round(sum(workers) / max(1, sum(ffmpeg)), 3),
        "ffmpeg_cpu_s": round(ffmpeg_cpu, 1),  # all 16 processes, the whole phase
        "workers_cpu_s": round(workers_cpu, 1),  # this process, from start to live and the timed window
    }
    result["meets_80_percent"] = result["ratio"] >= 0.8
    print_report(result, args.json)


if __name__ == "__main__":
    main()
