"""`gridsight wall` shows the leaders' big-screen wall full screen.

Qt is imported inside the handler, so that the rest of the CLI starts without it.
"""

from __future__ import annotations

import argparse
import os
import re
from pathlib import Path

from console.commands import NOT_ALLOWED, CliError, open_store, read_credentials
from console.commands.console import FEEDS
from console.i18n import DEFAULT_LANGUAGE, LANGUAGES
from data.workflow.kpis import GRID_INDICATORS


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "wall", help="show the leaders' big-screen wall",
        description="Full-screen situation wall: open and overdue tickets, intake, response times, service "
        "quality, trends, rankings, the map with heat and coverage, live video of the latest serious "
        "incident. Updates live from the store; no personal data is shown.")
    parser.add_argument("--db", required=True, metavar="STORE", help="gridsight store: FILE.gpkg or postgresql://user@host:port/dbname")
    parser.add_argument("--screen", type=int, metavar="N", help="show it on screen N (0 is the first)")
    parser.add_argument("--resolution", metavar="WxH",
                        help="a window of exactly this size instead of full screen (e.g. 3840x2160 or 7680x2160 "
                        "for a tiled video wall)")
    parser.add_argument("--carousel", type=float, default=0, metavar="S",
                        help="rotate the scenes (whole territory, the township lagging most, the running special "
                        "action) every S seconds (default: 0, off)")
    parser.add_argument("--fill", choices=GRID_INDICATORS, default="open",
                        help="what colours the townships on the whole-territory view: open tickets, tickets per "
                        "1,000 households, overdue share or mean rating (default: open)")
    parser.add_argument("--feed", choices=FEEDS, default="none",
                        help="live responder positions: none (as stored, the default) or demo (simulated driving "
                        "along the roads, for the demo city)")
    parser.add_argument("--lang", choices=LANGUAGES, default=DEFAULT_LANGUAGE,
                        help=f"UI language (default: {DEFAULT_LANGUAGE})")
    parser.add_argument("--credentials", metavar="FILE",
                        help="start unattended, signed in as the account in FILE (lines `user = NAME` and "
                        "`password = SECRET`; refused unless only its owner may read it: chmod 600), e.g. a "
                        "leader's; without it a store with users asks at the wall")
    parser.set_defaults(handler=run)


def parse_resolution(text: str, option: str = "--resolution") -> tuple[int, int]:
    match = re.fullmatch(r"(\d{3,5})x(\d{3,5})", text.strip().lower())
    if not match:
        raise CliError(f"{option} must look like 3840x2160, got {text!r}")
    return int(match[1]), int(match[2])


def run(args: argparse.Namespace) -> int:
    from console import app

    if not app.has_display() and "QT_QPA_PLATFORM" not in os.environ:
        raise CliError("no display: run it under xvfb-run, or use "
                       "`gridsight screenshot --view wall --db FILE --out FILE.png`")
    if args.carousel < 0:
        raise CliError("--carousel must be 0 (off) or a number of seconds")
    if args.screen is not None and args.screen < 0:
        raise CliError("--screen must be 0 or more")
    resolution = parse_resolution(args.resolution) if args.resolution else None
    credentials = read_credentials(args.credentials) if args.credentials else None
    from PySide6.QtCore import QSize

    from data import auth

    from console.commands.video import demo_video
    from console.mapview import MapAssetsMissing
    from console.wall import WallError, run_wall

    store = open_store(args.db)
    try:
        with demo_video(store, enabled=args.feed == "demo"):  # a demo store's cameras play live
            feed = app.demo_feed(store) if args.feed == "demo" else None
            return run_wall(store, args.lang, args.screen, QSize(*resolution) if resolution else None,
                            args.carousel, args.fill, feed, credentials)
    except (WallError, app.ConsoleError, MapAssetsMissing) as err:
        raise CliError(str(err)) from None
    except auth.SignInFailed as err:
        raise CliError(f"{args.credentials}: {err}", NOT_ALLOWED) from None
    finally:
        store.close()


def run_screenshot(store, out: Path, size: tuple[int, int], language: str, timeout_s: float) -> None:
    """`gridsight screenshot --view wall`: the wall rendered headless to a PNG."""
    from PySide6.QtCore import QSize

    from console.commands.video import demo_video
    from console.wall import WallError, take_wall_screenshot

    try:
        with demo_video(store):
            take_wall_screenshot(store, out, QSize(*size), language, timeout_s)
    except WallError as err:
        raise CliError(str(err)) from None
