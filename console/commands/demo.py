"""`gridsight demo build`: write the deterministic synthetic demo city into a new store."""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

from console.commands import CliError, print_json
from data.demo import SCALES, DemoError, build_demo_city
from data.store import StoreError


def register(subparsers: argparse._SubParsersAction) -> None:
    demo_parser = subparsers.add_parser("demo", help="the synthetic demo city")
    actions = demo_parser.add_subparsers(dest="demo_command", required=True, metavar="ACTION")
    build_parser = actions.add_parser(
        "build",
        help="build the demo city into a new GeoPackage store",
        description="Build a synthetic city (roads, grids, responders, cameras, a year of tickets); "
                    "the same scale and seed always give the same city. It is built as a GeoPackage file "
                    "only: to try it on PostgreSQL, `gridsight store copy --from FILE.gpkg --to postgresql://...`.",
    )
    build_parser.add_argument("--scale", choices=list(SCALES), default="small",
                              help="small: a few thousand roads, 2,000 tickets (seconds); "
                                   "city: 100k+ roads, 10k+ grids, 1M tickets (minutes)")
    # Parsed in the handler so that a bad number gets the CLI's one-line error.
    build_parser.add_argument("--seed", default="7", help="random seed, a whole number >= 0 (default 7)")
    build_parser.add_argument("--out", required=True, metavar="FILE.gpkg", help="the store to create")
    build_parser.add_argument("--force", action="store_true", help="replace --out if it exists")
    build_parser.add_argument("--json", action="store_true", help="print the counts as JSON")
    build_parser.set_defaults(handler=run_build)


def run_build(args: argparse.Namespace) -> int:
    seed = _parse_seed(args.seed)
    out = Path(args.out)
    if out.suffix.lower() != ".gpkg":
        raise CliError(f"--out {out} must be a .gpkg file (then `gridsight store copy` puts it on a server)")
    if out.exists() and not args.force:
        raise CliError(f"{out} already exists; use --force to replace it")
    started = time.perf_counter()

    def progress(step: str) -> None:
        print(f"[{time.perf_counter() - started:6.1f}s] {step}", file=sys.stderr, flush=True)

    try:
        counts = build_demo_city(out, args.scale, seed, force=args.force, progress=progress)
    except (DemoError, StoreError) as err:
        raise CliError(str(err)) from None
    seconds = round(time.perf_counter() - started, 1)
    if args.json:
        print_json({"out": str(out), "scale": args.scale, "seed": seed, "seconds": seconds, "counts": counts})
    else:
        print(f"built the {args.scale} demo city (seed {seed}) in {seconds} s: {out}")
        for name, count in counts.items():
            print(f"  {name:<16} {count:>10,}")
    return 0


def _parse_seed(text: str) -> int:
    try:
        seed = int(text)
    except ValueError:
        raise CliError(f"--seed {text!r} is not a whole number") from None
    if seed < 0:
        raise CliError(f"--seed {text!r} must be >= 0")
    return seed
