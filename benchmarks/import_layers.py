"""Benchmark: import 40,000 responders and 35,000 cameras from XLSX into the small demo store.

Target (issue 19): each import under 30 s and 1 GB of memory. Beside it, in the same run, the
plain way of loading the same sheet: pandas.read_excel (openpyxl) and a GeoDataFrame written to
a GeoPackage with pyogrio, with no checks at all. Each run is a child process, measured by its own
wall time and peak resident memory (os.wait4's rusage).

    .venv/bin/python -m benchmarks.import_layers [--db SMALL.gpkg] [--responders 40000] [--cameras 35000]

The files are synthetic and deterministic (seed 19), with Chinese headers and GCJ-02 positions
inside the store's territory; some camera URLs carry credentials.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import shapely

from benchmarks.common import print_report, small_store
from data.store import Store
from gis.crs import convert

LIMIT_S = 30.0
LIMIT_MB = 1024.0
RESPONDER_KINDS = ["专职网格员", "兼职网格员", "网格长", "民警", "辅警", "巡逻车", "派出所"]
STATUSES = ["在岗", "忙碌", "休息"]
CLASSES = ["天网", "雪亮", "农村", "社会单位自建"]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--db", type=Path, help="a store to import into (copied first; default: the small demo)")
    parser.add_argument("--responders", type=int, default=40_000)
    parser.add_argument("--cameras", type=int, default=35_000)
    parser.add_argument("--json", action="store_true")
    parser.add_argument("--baseline", nargs=2, metavar=("XLSX", "GPKG"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.baseline:
        return _baseline(*args.baseline)

    with tempfile.TemporaryDirectory(prefix="gridsight-import-bench-") as folder:
        folder = Path(folder)
        store = folder / "store.gpkg"
        shutil.copyfile(args.db or small_store(), store)
        with Store.open(store) as opened:
            grids = opened.read_layer("grids")
        rng = np.random.default_rng(19)
        roster = _write_responders(folder / "roster.xlsx", grids, args.responders, rng)
        cameras = _write_cameras(folder / "cameras.xlsx", grids, args.cameras, rng)
        report: dict = {"responders": args.responders, "cameras": args.cameras}
        for name, path in (("responders", roster), ("cameras", cameras)):
            command = [sys.executable, "-m", "console.cli", name, "import", str(path), "--db", str(store),
                       "--crs", "gcj02", "--json"]
            seconds, peak_mb, result = _child(command)
            report[f"{name}_import_s"], report[f"{name}_import_peak_mb"] = round(seconds, 2), round(peak_mb)
            report[f"{name}_added"] = json.loads(result)["added"]
            again_s, _, result = _child(command)
            report[f"{name}_second_import_s"] = round(again_s, 2)
            report[f"{name}_second_unchanged"] = json.loads(result)["unchanged"]
            base_s, base_mb, _ = _child([sys.executable, "-m", "benchmarks.import_layers", "--baseline", str(path),
                                         str(folder / f"{name}-baseline.gpkg")])
            report[f"{name}_baseline_s"], report[f"{name}_baseline_peak_mb"] = round(base_s, 2), round(base_mb)
    print_report(report, args.json)
    over = [k for k, v in report.items() if (k.endswith("import_s") and v > LIMIT_S)
            or (k.endswith("import_peak_mb") and v > LIMIT_MB)]
    wrong = report["responders_added"] != args.responders or report["cameras_added"] != args.cameras
    if over or wrong:
        print(f"over the limits ({LIMIT_S:g} s, {LIMIT_MB:g} MB): {', '.join(over)}" if over
              else "not every row was imported", file=sys.stderr)
        return 1
    return 0


def _child(command: list[str]) -> tuple[float, float, str]:
    """Wall seconds, peak resident MB and stdout of one child process (its own rusage, by os.wait4)."""
    with tempfile.TemporaryFile("w+") as out, tempfile.TemporaryFile("w+") as err:
        start = time.perf_counter()
        process = subprocess.Popen(command, stdout=out, stderr=err, text=True)
        _, status, usage = os.wait4(process.pid, 0)
        seconds = time.perf_counter() - start
        process.returncode = os.waitstatus_to_exitcode(status)
        out.seek(0)
        err.seek(0)
        if process.returncode != 0:
            raise SystemExit(f"{' '.join(command[2:5])} failed ({process.returncode}): {err.read().strip()[-400:]}")
        return seconds, usage.ru_maxrss / 1024, out.read()  # ru_maxrss is in KB on Linux


def _points(grids, count: int, rng) -> np.ndarray:
    """`count` points inside the territory, in GCJ-02 (as a Gaode-drawn file holds them)."""
    territory = shapely.union_all(grids[grids["level"] == grids["level"].min()].geometry.values)
    shapely.prepare(territory)
    minx, miny, maxx, maxy = territory.bounds
    found = np.empty((0, 2))
    while len(found) < count:
        xy = np.column_stack([rng.uniform(minx, maxx, count), rng.uniform(miny, maxy, count)])
        found = np.vstack([found, xy[shapely.contains_xy(territory, xy[:, 0], xy[:, 1])]])
    lon, lat = convert(found[:count, 0], found[:count, 1], "wgs84", "gcj02")
    return np.column_stack([np.round(lon, 7), np.round(lat, 7)])


def _write_responders(path: Path, grids, count: int, rng) -> Path:
    leaves = grids[grids["level"] == grids["level"].max()]["code"].to_numpy()
    xy = _points(grids, count, rng)
    kinds = rng.choice(RESPONDER_KINDS, count)
    statuses = rng.choice(STATUSES, count)
    codes = rng.choice(leaves, count)
    rows = ([f"B{i:06d}", f"人员{i}", kinds[i], codes[i], f"139{i:08d}", statuses[i], xy[i, 0], xy[i, 1]]
            for i in range(count))
    return _write_xlsx(path, ["工号", "姓名", "人员类型", "所属网格", "手机", "状态", "经度", "纬度"], rows)


def _write_cameras(path: Path, grids, count: int, rng) -> Path:
    xy = _points(grids, count, rng)
    classes = rng.choice(CLASSES, count)
    heading = np.round(rng.uniform(0, 360, count), 1)
    fov = np.round(rng.uniform(50, 110, count))
    with_password = rng.random(count) < 0.3
    credentials = np.where(with_password, "admin:Pa/ss#1@", "")
    rows = ([f"42060200001321{i:06d}", f"摄像机{i}", classes[i], heading[i], fov[i],
             f"rtsp://{credentials[i]}10.{i // 65536}.{i // 256 % 256}.{i % 256}:554/main", xy[i, 0], xy[i, 1]]
            for i in range(count))
    return _write_xlsx(path, ["设备编码", "设备名称", "点位类别", "朝向", "视场角", "取流地址", "经度", "纬度"], rows)


def _write_xlsx(path: Path, header: list[str], rows) -> Path:
    import openpyxl

    book = openpyxl.Workbook(write_only=True)
    sheet = book.create_sheet("Sheet1")
    sheet.append(header)
    for row in rows:
        sheet.append([v.item() if isinstance(v, np.generic) else v for v in row])
    book.save(path)
    return path


def _baseline(xlsx: str, gpkg: str) -> int:
    """The plain way: read the sheet with pandas, write points with pyogrio; no checks, no upsert."""
    import geopandas as gpd
    import pandas as pd
    import pyogrio

    frame = pd.read_excel(xlsx, engine="openpyxl", dtype=str)
    geometry = shapely.points(frame["经度"].astype(float), frame["纬度"].astype(float))
    pyogrio.write_dataframe(gpd.GeoDataFrame(frame, geometry=geometry, crs=4326), gpkg, driver="GPKG")
    return 0


if __name__ == "__main__":
    sys.exit(main())
