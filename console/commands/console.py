"""`gridsight console` opens the dispatcher's window; `gridsight screenshot` renders it to a PNG.

Qt is imported inside the handlers, so that the rest of the CLI starts without it.
"""

from __future__ import annotations

import argparse
import os
import re
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from console.commands import CliError, add_sign_in_argument, open_store, session_for
from console.i18n import DEFAULT_LANGUAGE, LANGUAGES

VIEWS = ("dispatch", "editor", "wall")
# What --tiles-crs accepts: console.tiles.TILE_CRS (not imported here: it needs Qt).
TILE_CRS = ("wgs84", "gcj02")
# Where live responder positions come from: nowhere yet (positions as stored), or the demo simulator.
FEEDS = ("none", "demo")


def register(subparsers: argparse._SubParsersAction) -> None:
    console_parser = subparsers.add_parser(
        "console",
        help="open the dispatcher's console",
        description="Open the dispatcher's console on a store (needs a display; see `screenshot` otherwise).",
    )
    _add_common_arguments(console_parser)
    console_parser.add_argument("--feed", choices=FEEDS, default="none",
                                help="live responder positions: none (as stored, the default) or demo "
                                "(simulated driving along the roads, for the demo city)")
    console_parser.set_defaults(handler=run_console)

    shot_parser = subparsers.add_parser(
        "screenshot",
        help="render a console view headless to a PNG",
        description="Render the real console window without a display and save it as a PNG "
        "once the map has drawn every layer.",
    )
    _add_common_arguments(shot_parser)
    shot_parser.add_argument("--view", choices=VIEWS, default="dispatch", help="which window (default: dispatch)")
    shot_parser.add_argument("--grid", metavar="CODE", help="editor view: the grid to select (default: the middle one)")
    shot_parser.add_argument("--size", default="1920x1080", metavar="WxH", help="window size (default: 1920x1080)")
    shot_parser.add_argument("--timeout", type=float, default=30.0, metavar="S",
                             help="give up when the map has not drawn after S seconds (default: 30)")
    shot_parser.add_argument("--incident", metavar="TICKET_ID",
                             help="select this open ticket (default: the most urgent one)")
    shot_parser.add_argument("--out", required=True, type=Path, metavar="FILE.png", help="PNG file to write")
    add_sign_in_argument(shot_parser)  # the dispatch view as that user sees it (a leader's: read-only)
    shot_parser.set_defaults(handler=run_screenshot)


def _add_common_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--db", required=True, metavar="STORE", help="gridsight store: FILE.gpkg or postgresql://user@host:port/dbname")
    parser.add_argument("--lang", choices=LANGUAGES, default=DEFAULT_LANGUAGE,
                        help=f"UI language (default: {DEFAULT_LANGUAGE})")
    parser.add_argument("--tiles", metavar="SOURCE",
                        help="tile base map under the store's layers: an XYZ URL template "
                        "(http://host/tiles/{z}/{x}/{y}.png), a folder of {z}/{x}/{y}.png|jpg|webp tiles or an "
                        ".mbtiles file; the console remembers it, `none` forgets it")
    parser.add_argument("--tiles-crs", choices=TILE_CRS,
                        help="the system the tiles are drawn in: gcj02 for most Chinese web maps (then shifted "
                        "onto the WGS-84 data), else wgs84 (default: wgs84, or as remembered)")


def run_console(args: argparse.Namespace) -> int:
    from console import app

    if not app.has_display() and "QT_QPA_PLATFORM" not in os.environ:
        raise CliError("no display: run it under xvfb-run, or use `gridsight screenshot --db FILE --out FILE.png`")
    from console.commands.video import demo_video

    with _console_store(args.db) as store, demo_video(store, enabled=args.feed == "demo"):
        feed = app.demo_feed(store) if args.feed == "demo" else None
        return app.run_console(store, args.lang, feed, args.tiles, args.tiles_crs)


def run_screenshot(args: argparse.Namespace) -> int:
    width, height = _parse_size(args.size)
    out: Path = args.out
    if out.suffix.lower() != ".png":
        raise CliError(f"--out must name a .png file, got {out}")
    if not out.parent.is_dir():
        raise CliError(f"folder {out.parent} does not exist")
    if args.timeout <= 0:
        raise CliError("--timeout must be positive")
    from PySide6.QtCore import QSize

    from console import app
    from console.tiles import open_tile_source

    from console.commands.video import demo_video

    if args.view == "wall":
        from console.commands.wall import run_screenshot as wall_screenshot

        with _console_store(args.db) as store:
            wall_screenshot(store, out, (width, height), args.lang, args.timeout)
        print(out)
        return 0
    if args.view == "editor":
        from console.editor import EditorError, take_editor_screenshot

        with _console_store(args.db) as store:
            try:
                take_editor_screenshot(store, out, QSize(width, height), args.lang, args.timeout, args.grid)
            except EditorError as err:
                raise CliError(str(err)) from None
        print(out)
        return 0
    with _console_store(args.db) as store, demo_video(store):  # a demo store's cameras play live
        tiles = open_tile_source(args.tiles, args.tiles_crs or "wgs84") if args.tiles else None
        app.take_screenshot(store, out, QSize(width, height), args.lang, args.timeout, args.incident, tiles,
                            session_for(store, args))
    print(out)
    return 0


def _parse_size(text: str) -> tuple[int, int]:
    match = re.fullmatch(r"(\d{3,5})x(\d{3,5})", text.strip().lower())
    if not match:
        raise CliError(f"--size must look like 1920x1080 (at least 100x100), got {text!r}")
    return int(match[1]), int(match[2])


@contextmanager
def _console_store(path: str) -> Iterator:
    """The opened store, with the console's own errors turned into one-line CLI errors."""
    from console.app import ConsoleError
    from console.mapview import MapAssetsMissing
    from console.tiles import TileSourceError

    store = open_store(path)
    try:
        yield store
    except (ConsoleError, MapAssetsMissing, TileSourceError) as err:
        raise CliError(str(err)) from None
    finally:
        store.close()
