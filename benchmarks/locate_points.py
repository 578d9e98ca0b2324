"""Benchmark: locate 1,000,000 random points in the city demo's grids.

Target (issue 3): < 2 s for 1M points in >= 10,000 grids, and no slower than
geopandas.sjoin on the same points and grids, measured in the same run.

    .venv/bin/python -m benchmarks.locate_points [--db CITY.gpkg] [--points 1000000]

Without --db the city demo is built once into benchmarks/.cache/.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import geopandas as gpd
import numpy as np
import shapely

from benchmarks.common import city_store, timed
from data.store import Store
from gis.locate import OUTSIDE, GridIndex, PolygonLocator

def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--db", type=Path)
    parser.add_argument("--points", type=int, default=1_000_000)
    parser.add_argument("--seed", type=int, default=42)
    args = parser.parse_args()

    with Store.open(args.db or city_store()) as store:
        grids = store.read_layer("grids")
    leaf_level = int(grids["level"].max())
    leaves = grids[grids["level"] == leaf_level].reset_index(drop=True)

    minx, miny, maxx, maxy = grids.total_bounds
    rng = np.random.default_rng(args.seed)
    lon = rng.uniform(minx, maxx, args.points)
    lat = rng.uniform(miny, maxy, args.points)

    locator, build_s = timed(lambda: PolygonLocator(leaves.geometry.values))
    ours, leaf_s = timed(lambda: locator.locate(lon, lat))
    index, index_build_s = timed(lambda: GridIndex(grids))
    _, all_levels_s = timed(lambda: [index.locate_level(lon, lat, lv) for lv in index.levels])

    def sjoin():
        points = gpd.GeoDataFrame(geometry=shapely.points(lon, lat), crs=grids.crs)
        return gpd.sjoin(points, leaves[["geometry"]], how="left", predicate="intersects")

    joined, sjoin_s = timed(sjoin)
    first = joined[~joined.index.duplicated(keep="first")]
    reference = first["index_right"].fillna(OUTSIDE).astype(int).to_numpy()
    disagree = int(np.count_nonzero(ours != reference))

    report = {
        "grids": len(grids),
        "leaf_grids": len(leaves),
        "points": args.points,
        "leaf_index_build_s": round(build_s, 3),
        "locate_leaf_level_s": round(leaf_s, 3),
        "hierarchy_index_build_s": round(index_build_s, 3),
        "locate_all_levels_s": round(all_levels_s, 3),
        "geopandas_sjoin_leaf_level_s": round(sjoin_s, 3),
        "speedup_vs_sjoin": round(sjoin_s / leaf_s, 1),
        "speedup_vs_sjoin_including_index_build": round(sjoin_s / (leaf_s + build_s), 2),
        "points_disagreeing_with_sjoin": disagree,
        "target_met": leaf_s < 2.0 and leaf_s <= sjoin_s and disagree == 0,
    }
    print(json.dumps(report, indent=2))
    return 0 if report["target_met"] else 1


if __name__ == "__main__":
    sys.exit(main())
