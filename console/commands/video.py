"""`gridsight video`: probe a stream, find motion and people in footage, turn what cameras see into
tickets, serve the demo cameras, open the wall."""

from __future__ import annotations

import argparse
import math
import os
import signal
import sys
import time
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path

from console.commands import CliError, add_sign_in_argument, open_store, print_json, signed_in
from console.i18n import DEFAULT_LANGUAGE, LANGUAGES
from data import auth, postgis
from data.streamurls import mask_url

DEFAULT_FOOTAGE = Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache")) / "gridsight" / "footage"


def register(subparsers: argparse._SubParsersAction) -> None:
    video_parser = subparsers.add_parser("video", help="camera streams: probe, analyse, demo streams")
    actions = video_parser.add_subparsers(dest="video_command", required=True, metavar="ACTION")

    probe_parser = actions.add_parser(
        "probe", help="open a stream and read it for a few seconds",
        description="Open URL (RTSP, HTTP, or a file) and report codec, size, frame rate and the "
                    "frames actually read in --seconds. Credentials in the URL are never printed.")
    probe_parser.add_argument("url")
    probe_parser.add_argument("--seconds", default="3", help="how long to read (default 3)")
    probe_parser.add_argument("--timeout", default="5", help="open and read timeout in seconds (default 5)")
    probe_parser.add_argument("--json", action="store_true", help="print JSON")
    probe_parser.set_defaults(handler=run_probe)

    analyze_parser = actions.add_parser(
        "analyze", help="find motion and people in a video file or stream",
        description="Print motion and person events (time, frame, kind, box, score) found in SOURCE, "
                    "throttled and de-duplicated as alerts would be.")
    analyze_parser.add_argument("source", metavar="FILE|URL")
    analyze_parser.add_argument("--seconds", help="stop after this much footage (needed for live streams)")
    analyze_parser.add_argument("--no-motion", action="store_true", help="skip motion detection")
    analyze_parser.add_argument("--no-people", action="store_true", help="skip person detection")
    analyze_parser.add_argument("--min-score", default="0.5", help="lowest person score reported (default 0.5)")
    analyze_parser.add_argument("--json", action="store_true", help="print JSON")
    analyze_parser.set_defaults(handler=run_analyze)

    serve_parser = actions.add_parser(
        "demo-streams", help="serve the demo city's cameras as RTSP on 127.0.0.1",
        description="Serve every online camera of the store as rtsp://127.0.0.1:PORT/cam/<camera_id>/main "
                    "and /sub, from synthetic footage rendered once into --footage. Runs until Ctrl-C.")
    serve_parser.add_argument("--db", required=True, help="the gridsight store (.gpkg)")
    serve_parser.add_argument("--port", default="8554", help="RTSP port (default 8554, as in the demo's URLs)")
    serve_parser.add_argument("--footage", type=Path, default=DEFAULT_FOOTAGE,
                              help=f"where to keep the rendered footage (default {DEFAULT_FOOTAGE})")
    serve_parser.set_defaults(handler=run_demo_streams)

    watch_parser = actions.add_parser(
        "watch", help="turn people and motion the cameras see into camera-alert tickets",
        description="Watch the live sub-streams of --camera (repeatable). A person inside a watched area "
                    "(--watch-area CAMERA: its whole view) or motion after hours (--after-hours, Beijing time) "
                    "becomes a ticket through the camera_alert intake channel, at most one per camera and event "
                    "every --cooldown seconds, with the boxed snapshot and a clip around it attached. "
                    "Runs until Ctrl-C (or --seconds).")
    watch_parser.add_argument("--db", required=True,
                              help="the gridsight store: FILE.gpkg or postgresql://user@host:port/dbname")
    watch_parser.add_argument("--camera", action="append", required=True, metavar="CAMERA_ID",
                              help="a camera to watch (repeat for more)")
    watch_parser.add_argument("--watch-area", action="append", default=[], metavar="CAMERA_ID",
                              help="a watched camera whose whole view is a watched area: people there are events")
    watch_parser.add_argument("--after-hours", default="22-6", metavar="FROM-TO",
                              help="Beijing hours when motion is an event (default 22-6)")
    watch_parser.add_argument("--cooldown", default="300", help="seconds between tickets of one camera and event "
                              "(default 300)")
    watch_parser.add_argument("--attachments", type=Path, help="where snapshots and clips go "
                              "(default: a folder named after the store file, next to it; needed with a "
                              "postgresql:// store)")
    add_sign_in_argument(watch_parser)  # its tickets are intake: a dispatcher's or supervisor's
    watch_parser.add_argument("--seconds", help="stop after this long")
    watch_parser.set_defaults(handler=run_watch)

    wall_parser = actions.add_parser(
        "wall", help="open the video wall in a window of its own",
        description="Show the store's online cameras on a video wall (with the camera list beside it), "
                    "full screen on --screen; or, with --screenshot, render it headless to a PNG once "
                    "every tile has shown --frames frames.")
    wall_parser.add_argument("--db", required=True, help="the gridsight store (.gpkg)")
    wall_parser.add_argument("--layout", type=int, choices=(1, 4, 9, 16), default=4, help="tiles (default 4)")
    wall_parser.add_argument("--screen", type=int, default=0, help="screen number to open on (default 0)")
    wall_parser.add_argument("--patrol", metavar="ROUTE_ID", help="run a video patrol along this patrol route")
    wall_parser.add_argument("--patrol-interval", default="10", help="seconds per patrol step (default 10)")
    wall_parser.add_argument("--lang", choices=LANGUAGES, default=DEFAULT_LANGUAGE,
                             help=f"UI language (default {DEFAULT_LANGUAGE})")
    wall_parser.add_argument("--screenshot", type=Path, metavar="FILE.png", help="render 1920x1080 headless to a PNG")
    wall_parser.add_argument("--frames", default="25", help="frames every tile shows before the screenshot (default 25)")
    wall_parser.set_defaults(handler=run_wall)


def _positive(text: str, what: str) -> float:
    try:
        value = float(text)
    except ValueError:
        value = math.nan
    if not math.isfinite(value) or value <= 0:
        raise CliError(f"{what} {text!r} must be a positive number")
    return value


def run_probe(args: argparse.Namespace) -> int:
    from video.probe import probe

    seconds = _positive(args.seconds, "--seconds")
    timeout = _positive(args.timeout, "--timeout")
    result = probe(args.url, seconds, timeout, timeout)
    if args.json:
        print_json(result)
    elif result["opened"]:
        print(f"{result['url']}: {result['codec'] or '?'} {result['width']}x{result['height']}"
              f" at {result['fps'] or '?'} fps; read {result['frames_read']} frames in"
              f" {result['read_seconds']:g} s ({result['read_fps']:g} fps)"
              + (f"; {result['error']}" if result["error"] else ""))
    if not result["opened"]:
        if args.json:
            return 1
        raise CliError(f"{result['url']}: {result['error']} (gave up after {result['open_seconds']:g} s)", 1)
    return 0


def run_analyze(args: argparse.Namespace) -> int:
    from video.analytics import AnalysisRun, SourceError, analyze_source

    seconds = _positive(args.seconds, "--seconds") if args.seconds is not None else None
    min_score = _positive(args.min_score, "--min-score")
    if args.no_motion and args.no_people:
        raise CliError("nothing to look for: drop --no-motion or --no-people")
    if "://" not in args.source and not Path(args.source).exists():
        raise CliError(f"{args.source}: no such file")
    run = AnalysisRun(mask_url(args.source))
    events = []
    try:
        for event in analyze_source(args.source, run, seconds, motion=not args.no_motion,
                                    people=not args.no_people, min_person_score=min_score):
            if args.json:
                events.append(event.to_dict())
            else:
                x, y, w, h = event.box
                print(f"{event.time_s:9.2f}s  frame {event.frame:6d}  {event.kind:<6}  "
                      f"box {x},{y},{w},{h}  score {event.score:g}", flush=True)
    except SourceError as err:
        raise CliError(str(err), 1) from None
    if args.json:
        print_json({"source": run.source, "frames": run.frames, "seconds": run.seconds,
                    "elapsed_s": run.elapsed_s, "events": events})
    else:
        print(f"{run.frames} frames ({run.seconds:g} s of footage) analysed in {run.elapsed_s:g} s",
              file=sys.stderr)
    return 0


def run_demo_streams(args: argparse.Namespace) -> int:
    from video.testserver import DEFAULT_PORT as DEMO_PORT
    from video.testserver import RtspTestServer, StreamServerError, demo_streams

    port = _positive(args.port, "--port")
    if port != int(port) or port > 65535:
        raise CliError(f"--port {args.port!r} must be a whole number up to 65535")
    with open_store(args.db) as store:
        cameras = store.read_layer("cameras")
    try:
        streams = demo_streams(cameras, args.footage)
    except OSError as err:
        raise CliError(f"cannot write the footage to {args.footage}: {err.strerror or err}") from None
    if not streams:
        raise CliError(f"{args.db} has no online cameras to serve")
    # A plain `kill` should clean up like Ctrl-C does; and Ctrl-C must stop it even when whoever
    # started it ignored SIGINT (an ignored signal is inherited, and Python then leaves it ignored).
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(128 + signal.SIGTERM))
    signal.signal(signal.SIGINT, signal.default_int_handler)
    try:
        with RtspTestServer(streams, int(port)) as server:
            print(f"serving {len(streams) // 2} cameras as rtsp://127.0.0.1:{int(port)}/cam/<camera_id>/main|sub;"
                  " Ctrl-C to stop", file=sys.stderr, flush=True)
            if port != DEMO_PORT:
                print(f"note: the store's camera URLs point at port {DEMO_PORT}", file=sys.stderr, flush=True)
            server.wait()
    except StreamServerError as err:
        raise CliError(str(err), 1) from None
    return 0


CLIP_BEFORE_S, CLIP_AFTER_S = 3.0, 3.0  # the clip attached to an alert's ticket


def _hours(text: str) -> tuple[int, int]:
    start, _, end = text.partition("-")
    try:
        hours = int(start), int(end)
    except ValueError:
        hours = (-1, -1)
    if not all(0 <= hour <= 24 for hour in hours) or hours[0] == hours[1]:
        raise CliError(f"--after-hours {text!r} must look like 22-6 (hours 0 to 24, from and to differ)")
    return hours


def run_watch(args: argparse.Namespace) -> int:
    from data.workflow.engine import TicketEngine
    from video.alerts import LiveAnalytics
    from video.alerttickets import AlertRules, AlertTickets
    from video.analytics import Analyzer, MotionDetector, PersonDetector
    from video.capture import CaptureWorker
    from video.registry import CameraRegistry

    rules = AlertRules({camera_id: [] for camera_id in args.watch_area}, _hours(args.after_hours),
                       _positive(args.cooldown, "--cooldown"))
    seconds = _positive(args.seconds, "--seconds") if args.seconds is not None else None
    if postgis.is_url(args.db) and args.attachments is None:
        raise CliError("give --attachments FOLDER: a store on a server has no folder of its own")
    attachments = args.attachments or Path(args.db).with_name(Path(args.db).stem + "-alerts")
    with open_store(args.db) as store, signed_in(store, args) as session:
        db = store.location
        # Refused at once, not at the first alert: every alert becomes an intake.
        auth.check(store, session, "ticket.intake")
        registry = CameraRegistry.from_store(store)
        cameras = []
        for camera_id in dict.fromkeys([*args.camera, *args.watch_area]):
            camera = registry.get(camera_id)
            if camera is None:
                raise CliError(f"{db} has no camera {camera_id!r}")
            if camera.stream(small_tile=True) is None:
                raise CliError(f"camera {camera_id} has no stream URL")
            cameras.append(camera)
        tickets = AlertTickets(TicketEngine(store, session=session), attachments, rules, registry,
                               seat="video-watch")

        def on_alert(alert) -> None:
            ticket_id = tickets.submit(alert)
            if ticket_id is not None:
                print(f"{ticket_id}  camera {alert.camera_id}  {alert.event.kind}  score {alert.event.score:g}",
                      flush=True)

        watching = []
        signal.signal(signal.SIGTERM, lambda *_: sys.exit(128 + signal.SIGTERM))
        try:
            for camera in cameras:
                worker = CaptureWorker(camera.stream(small_tile=True),
                                       ring_seconds=CLIP_BEFORE_S + CLIP_AFTER_S + 1).start()
                people = PersonDetector() if camera.camera_id in rules.watched_areas else None
                watching.append((worker, LiveAnalytics(camera, worker, Analyzer(MotionDetector(), people), on_alert,
                                                       attachments, CLIP_BEFORE_S, CLIP_AFTER_S).start()))
            print(f"watching {len(cameras)} cameras; tickets go to {db}, snapshots and clips to {attachments}",
                  file=sys.stderr, flush=True)
            deadline = time.monotonic() + seconds if seconds is not None else math.inf
            while time.monotonic() < deadline:
                time.sleep(min(0.2, max(0.0, deadline - time.monotonic())))
        except KeyboardInterrupt:
            pass
        finally:
            for worker, analytics in watching:
                analytics.stop()
                worker.stop()
    return 0


@contextmanager
def demo_video(store, enabled: bool = True) -> Iterator[None]:
    """While the block runs, serve a demo store's cameras on loopback (the console's demo mode and its
    screenshots show live video with no extra step); a missing GStreamer only costs the video."""
    from video.testserver import StreamServerError, demo_cameras_served

    with ExitStack() as served:
        if enabled:
            try:
                served.enter_context(demo_cameras_served(store.read_layer("cameras"), DEFAULT_FOOTAGE))
            except StreamServerError as err:
                print(f"warning: no demo video: {err}", file=sys.stderr)
        yield


def run_wall(args: argparse.Namespace) -> int:
    from console.videowindow import run_wall_command

    return run_wall_command(args, _positive(args.patrol_interval, "--patrol-interval"),
                            math.ceil(_positive(args.frames, "--frames")))
