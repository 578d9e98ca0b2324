"""Benchmark: ticket intake throughput and statistics over 1,000,000 tickets.

Targets (issue 5): intake of 10,000 tickets/minute sustained into the embedded store;
`stats` over 1,000,000 tickets in < 1 s (for every grouping).

    .venv/bin/python -m benchmarks.tickets [--intake 20000] [--batch 100] [--stats-db FILE]

Intake runs on the small demo city, in batches as a channel gateway delivers them, each
batch one transaction with full sync; the rate of one-record transactions (a person
typing at a seat) is reported alongside, for information. Statistics run on the city
demo's 1,000,000 tickets. Both demo cities are built once into benchmarks/.cache/.
"""

from __future__ import annotations

import argparse
import json
import shutil
import sys
import tempfile
import time
from datetime import datetime, timezone
from pathlib import Path

import geopandas as gpd
import numpy as np

from benchmarks.common import city_store, small_store
from data.store import Store
from data.workflow import TicketEngine
from data.workflow.clock import ManualClock
from data.workflow.intake import CATEGORIES
from data.workflow.stats import GROUPINGS, ticket_stats

NOW = datetime(2026, 6, 30, 16, tzinfo=timezone.utc)


def intake_records(count: int, grids: gpd.GeoDataFrame, rng) -> list[dict]:
    leaves = grids[grids["level"] == grids["level"].max()]
    points = leaves.geometry.sample_points(1, rng=rng).explode().sample(count, replace=True, random_state=7)
    return [{"record_id": f"B{i}", "category": CATEGORIES[i % len(CATEGORIES)], "description": "井盖缺失",
             "lon": p.x, "lat": p.y, "priority": 1 + i % 4, "reported_at": "2026-06-30T08:00:00+08:00",
             "reporter": {"name": "测试", "phone": "13800000000"}} for i, p in enumerate(points)]


def bench_intake(count: int, batch: int) -> dict:
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "intake.gpkg"
        shutil.copy(small_store(), path)
        with Store.open(path) as store:
            engine = TicketEngine(store, clock=ManualClock(NOW))
            records = intake_records(count, store.read_layer("grids"), np.random.default_rng(7))
            engine.grid_index  # built once per engine, not part of the sustained rate
            start = time.perf_counter()
            for first in range(0, count, batch):
                engine.intake("12345", records[first:first + batch], actor="bench", seat="bench",
                              direct_to_grid=True)
            seconds = time.perf_counter() - start
    return {"tickets": count, "batch": batch, "seconds": round(seconds, 2), "per_minute": round(count / seconds * 60)}


def bench_stats(path: Path) -> dict:
    """Each grouping twice: the first run may read the indexes from disk, the repeat from the OS cache."""
    with Store.open(path) as store:
        tickets = store.count("tickets")
        timings = {"first": {}, "repeat": {}}
        for run in timings.values():
            for by in (None, *GROUPINGS):
                start = time.perf_counter()
                ticket_stats(store, NOW, by=by)
                run[by or "overall"] = round(time.perf_counter() - start, 3)
    return {"store": path.name, "tickets": tickets, "seconds": timings, "target_seconds": 1.0,
            "ok": max(timings["repeat"].values()) < 1.0}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--intake", type=int, default=20_000, help="tickets to take in (default 20,000)")
    parser.add_argument("--batch", type=int, default=100, help="records per intake transaction")
    parser.add_argument("--stats-db", type=Path, help="run the statistics on this store instead")
    args = parser.parse_args()
    intake = bench_intake(args.intake, args.batch)
    report = {
        "intake": {**intake, "target_per_minute": 10_000, "ok": intake["per_minute"] >= 10_000},
        "intake_one_record_per_transaction": bench_intake(1_000, 1),
        "stats": bench_stats(args.stats_db or city_store()),
    }
    print(json.dumps(report, indent=2))
    return 0 if report["intake"]["ok"] and report["stats"]["ok"] else 1


if __name__ == "__main__":
    sys.exit(main())
