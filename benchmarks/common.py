"""What the benchmarks share: the city demo store they all measure on, the options and the headless
start of those that drive a window, a timer and a UI-thread heartbeat."""

from __future__ import annotations

import argparse
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


def argument_parser(doc: str, db_help: str) -> argparse.ArgumentParser:
    """The options of a benchmark that drives a window (--db, --size, --json); it adds its own."""
    parser = argparse.ArgumentParser(description=doc.splitlines()[0])
    parser.add_argument("--db", type=Path, help=f"{db_help} (default: the cached city demo)")
    parser.add_argument("--size", type=window_size, default="1920x1080", help="window size, WIDTHxHEIGHT")
    parser.add_argument("--json", action="store_true", help="print the result as JSON")
    return parser


def window_size(text: str) -> tuple[int, int]:
    """`1920x1080` as (1920, 1080)."""
    width, height = (int(value) for value in text.lower().split("x"))
    return width, height


def open_headless(db: Path | None):
    """Start the application headless in Chinese and open the store to measure (`db`, or the city demo).

    Called after the arguments are parsed: QtWebEngine must be imported before the QApplication exists."""
    import PySide6.QtWebEngineWidgets  # noqa: F401

    from console.app import application
    from data.store import Store

    application("zh_CN", headless=True)
    return Store.open(db or city_store())


class Heartbeat:
    """A timer that should fire every `interval_ms` on the Qt UI thread; `late` collects how many ms
    late each beat came, which is how long the thread could not respond."""

    def __init__(self, interval_ms: int):
        from PySide6.QtCore import QElapsedTimer, Qt, QTimer

        self.interval_ms = interval_ms
        self.late: list[float] = []
        self.at: list[float] = []  # when each beat came (time.perf_counter), to place the worst
        self._clock = QElapsedTimer()
        self._timer = QTimer(interval=interval_ms, timerType=Qt.TimerType.PreciseTimer)
        self._timer.timeout.connect(self._beat)

    def _beat(self) -> None:
        self.late.append(max(0.0, self._clock.nsecsElapsed() / 1e6 - self.interval_ms))
        self.at.append(time.perf_counter())
        self._clock.restart()

    def worst(self, count: int) -> list[tuple[float, float]]:
        """The `count` latest beats as (when they were due, time.perf_counter; ms late), worst first."""
        order = sorted(range(len(self.late)), key=self.late.__getitem__, reverse=True)[:count]
        return [(self.at[i] - self.late[i] / 1000, self.late[i]) for i in order]

    def start(self) -> None:
        self._clock.start()
        self._timer.start()

    def stop(self) -> None:
        self._timer.stop()


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
