"""The `gridsight` command line: every non-UI capability, scriptable without a display.

Each subcommand lives in its own module under `console.commands` and exposes
`register(subparsers)`; Qt is imported only by the subcommands that open windows.
"""

from __future__ import annotations

import argparse
import importlib
import sys

from console.commands import CliError

# Modules under console.commands, each adding one top-level subcommand.
COMMAND_MODULES = ("init", "demo", "grids", "locate", "crs", "roads", "recommend", "isochrone", "video", "ticket", "stats", "console", "wall", "tiles", "doctor", "layers", "centre", "users", "store")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="gridsight",
        description="Command-centre console for grid-based social governance.",
    )
    subparsers = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for name in COMMAND_MODULES:
        importlib.import_module(f"console.commands.{name}").register(subparsers)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return int(args.handler(args) or 0)
    except CliError as err:
        print(f"gridsight: {err}", file=sys.stderr)
        return err.exit_code
    except BrokenPipeError:
        # The reader (e.g. `| head`) went away; nothing more to say to it.
        sys.stdout = None
        return 0
    except KeyboardInterrupt:
        print("gridsight: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
