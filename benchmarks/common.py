"""What the benchmarks share: the city demo store they all measure on, and a timer."""

from __future__ import annotations

import sys
import time
from pathlib import Path

from data.demo import build_demo_city

CACHE = Path(__file__).resolve().parent / ".cache"


def city_store() -> Path:
    """The city demo (seed 7), built once into benchmarks/.cache/ (about 3 minutes)."""
    path = CACHE / "city-seed7.gpkg"
    if not path.exists():
        CACHE.mkdir(exist_ok=True)
        print(f"building the city demo into {path} (once) ...", file=sys.stderr)
        build_demo_city(path, scale="city", seed=7)
    return path


def timed(function):
    """(result, seconds) of one call."""
    start = time.perf_counter()
    result = function()
    return result, time.perf_counter() - start
