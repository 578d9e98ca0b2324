"""What the benchmarks share: the city demo store they all measure on, and a timer."""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path

from data.demo import build_demo_city

CACHE = Path(__file__).resolve().parent / ".cache"


def demo_store(scale: str) -> Path:
    """A demo city (seed 7), built once into benchmarks/.cache/ (the city takes minutes)."""
    path = CACHE / f"{scale}-seed7.gpkg"
    if not path.exists():
        CACHE.mkdir(exist_ok=True)
        print(f"building the {scale} demo into {path} (once) ...", file=sys.stderr)
        build_demo_city(path, scale=scale, seed=7)
    return path


def city_store() -> Path:
    return demo_store("city")


def small_store() -> Path:
    return demo_store("small")


def timed(function):
    """(result, seconds) of one call."""
    start = time.perf_counter()
    result = function()
    return result, time.perf_counter() - start


def print_report(result: dict, as_json: bool) -> None:
    """A benchmark's result as JSON, or as aligned `key: value` lines for a person."""
    if as_json:
        print(json.dumps(result, indent=2))
        return
    width = max(map(len, result))
    for key, value in result.items():
        print(f"{key:>{width}}: {value}")
