"""Benchmark: how soon the console is usable after it is started (issue 6: within 5 s on the small demo).

Starts the console the way the start command does, in a fresh interpreter each time (offscreen,
in Chinese, with the demo feed moving the responders), and reports the seconds from the process's
start until the window shows, until the map has drawn every layer, and until the first incident's
recommended responders are on screen: from then on a dispatcher can dispatch. The baseline, run
alternately in the same run, is the platform's floor: a fresh interpreter that only starts
QtWebEngine and loads an empty page.

    .venv/bin/python -m benchmarks.startup [--db demo/small.gpkg] [--runs 3]
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
TARGET_S = 5.0

# argv: the parent's clock at the start (time.time()), the store. Prints the milestones as JSON.
CONSOLE = """
import json, os, sys, time
started = float(sys.argv[1])
import PySide6.QtWebEngineWidgets
from PySide6.QtCore import QEventLoop, QTimer
from console.app import ConsoleWindow, application, demo_feed
from data.store import Store
app = application("zh_CN", headless=True)
store = Store.open(sys.argv[2])
window = ConsoleWindow(store, demo_feed(store))
window.resize(1920, 1080)
window.show()
marks = {"window_shown_s": time.time() - started}
loop = QEventLoop()
def mark(name):
    marks.setdefault(name, time.time() - started)
    if "map_drawn_s" in marks and "recommendations_s" in marks:
        loop.quit()
window.mapReady.connect(lambda *_: mark("map_drawn_s"))
window.recommendationsDone.connect(lambda *_: mark("recommendations_s"))
QTimer.singleShot(60_000, loop.quit)
loop.exec()
print(json.dumps(marks), flush=True)
os._exit(0)
"""

BLANK_PAGE = """
import json, os, sys, time
started = float(sys.argv[1])
import PySide6.QtWebEngineWidgets
from PySide6.QtCore import QEventLoop
from PySide6.QtWebEngineWidgets import QWebEngineView
from console.app import application
application("zh_CN", headless=True)
view = QWebEngineView()
view.resize(1920, 1080)
view.show()
loop = QEventLoop()
view.loadFinished.connect(loop.quit)
view.setHtml("<html><body>blank</body></html>")
loop.exec()
print(json.dumps({"page_loaded_s": time.time() - started}), flush=True)
os._exit(0)
"""


def run(script: str, *args: str) -> dict:
    started = time.time()
    done = subprocess.run([sys.executable, "-c", script, str(started), *args], cwd=ROOT, capture_output=True,
                          text=True, timeout=120)
    lines = done.stdout.strip().splitlines()
    if done.returncode != 0 or not lines:
        sys.exit(f"startup: the child failed: {done.stderr.strip().splitlines()[-1:]}")
    return json.loads(lines[-1])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", type=Path, default=ROOT / "demo" / "small.gpkg", help="store to open")
    parser.add_argument("--runs", type=int, default=3, help="starts of each, alternately")
    args = parser.parse_args(argv)
    if not args.db.is_file():
        sys.exit(f"startup: no store {args.db} (run scripts/install.sh)")
    consoles, blanks = [], []
    for _ in range(args.runs):
        blanks.append(run(BLANK_PAGE))
        consoles.append(run(CONSOLE, str(args.db)))
    if any(len(marks) < 3 for marks in consoles):
        sys.exit(f"startup: the console did not finish drawing: {consoles}")

    def median(runs: list[dict], key: str) -> float:
        return round(statistics.median(marks[key] for marks in runs), 2)

    usable = max(median(consoles, "map_drawn_s"), median(consoles, "recommendations_s"))
    report = {
        "store": str(args.db), "runs": args.runs,
        "blank_page_loaded_s": median(blanks, "page_loaded_s"),
        "window_shown_s": median(consoles, "window_shown_s"),
        "map_drawn_s": median(consoles, "map_drawn_s"),
        "recommendations_s": median(consoles, "recommendations_s"),
        "usable_s": usable,
        "usable_vs_blank_page": round(usable / median(blanks, "page_loaded_s"), 2),
        "worst_usable_s": round(max(max(m["map_drawn_s"], m["recommendations_s"]) for m in consoles), 2),
        "target_s": TARGET_S,
    }
    report["pass"] = report["worst_usable_s"] < TARGET_S
    print(json.dumps(report, indent=2))
    return 0 if report["pass"] else 1


if __name__ == "__main__":
    sys.exit(main())
