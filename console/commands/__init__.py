"""Subcommands of the `gridsight` CLI, one module each, plus what they share."""

from __future__ import annotations

import json
import math
import sys
from pathlib import Path
from typing import Any

from data.store import Store, StoreError


class CliError(Exception):
    """A problem the user can act on: printed as one line, never as a traceback."""

    def __init__(self, message: str, exit_code: int = 2):
        super().__init__(message)
        self.exit_code = exit_code


def print_json(value: Any) -> None:
    json.dump(value, sys.stdout, ensure_ascii=False, indent=2)
    sys.stdout.write("\n")


def open_store(path, create: bool = False) -> Store:
    """Open a store for a command (a new one if `create` and it does not exist yet), turning
    store problems into a CLI message."""
    try:
        if create and not Path(path).exists():
            return Store.create(path)
        return Store.open(path)
    except StoreError as err:
        raise CliError(str(err)) from None


def parse_degrees(text: str, what: str, limit: float) -> float:
    """A longitude or latitude typed by the user (parsed here, not by argparse, for a clear message)."""
    try:
        value = float(text)
    except ValueError:
        value = math.nan
    if not math.isfinite(value):
        raise CliError(f"{what} {text!r} is not a number")
    if abs(value) > limit:
        raise CliError(f"{what} {text!r} is outside -{limit:g}..{limit:g} degrees")
    return value


def parse_lonlat(lon: str, lat: str) -> tuple[float, float]:
    return parse_degrees(lon, "longitude", 180.0), parse_degrees(lat, "latitude", 90.0)
