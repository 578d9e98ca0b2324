"""Campaigns: the centre's time-boxed special actions (seeds 004), each on an area of the city.

Two run at the demo's "now" (a flood-season hazard sweep along the river, and public order
around the busiest place of the last month); one ended two months ago (spring-farming
disputes in the rural townships), so the wall has history to compare with.
"""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from data.demo.clock import iso_utc
from data.demo.geometry import METRIC_CRS
from data.demo.landscape import Landscape

RIVER_REACH_M = 300.0  # villages this close to the river are in the flood-season sweep
HOTSPOT_WINDOW_DAYS = 30


def build_campaigns(grids: gpd.GeoDataFrame, land: Landscape, incidents: gpd.GeoDataFrame,
                    now: np.datetime64) -> gpd.GeoDataFrame:
    """The demo's campaigns in metres, with the columns of data.schema.CAMPAIGNS."""
    day = np.timedelta64(1, "D")
    villages = grids[grids["level"] == 2]
    riverside = villages[villages.intersects(land.river.buffer(RIVER_REACH_M))]
    rural = grids[(grids["level"] == 1) & ~grids["urban"].astype(bool)]
    rows = [
        ("C-FLOOD", "汛期隐患排查整治专项行动", "hazard,environment", now - 30 * day, now + 60 * day,
         "沿江村社区汛期隐患排查、堤防巡查与积水点整治", riverside.union_all()),
        ("C-KEYPLACE", "重点场所周边治安整治行动", "public_order,dispute", now - 14 * day, now + 16 * day,
         "近一个月事件最集中场所及其相邻网格的治安巡防", _busiest_area(grids, incidents, now - HOTSPOT_WINDOW_DAYS * day)),
        ("C-SPRING", "春耕矛盾纠纷排查化解行动", "dispute", now - 120 * day, now - 60 * day,
         "农村乡镇春耕时节土地、用水纠纷排查与调解", rural.union_all()),
    ]
    rows = [row for row in rows if row[-1] is not None and not row[-1].is_empty]
    return gpd.GeoDataFrame(
        {
            "campaign_id": [r[0] for r in rows], "name": [r[1] for r in rows], "focus": [r[2] for r in rows],
            "starts_at": iso_utc([r[3] for r in rows]), "ends_at": iso_utc([r[4] for r in rows]),
            "description": [r[5] for r in rows],
        },
        geometry=[_multipolygon(r[6]) for r in rows],
        crs=METRIC_CRS,
    )


def _busiest_area(grids: gpd.GeoDataFrame, incidents: gpd.GeoDataFrame, since: np.datetime64):
    """The leaf grid with the most recent incidents, with the leaf grids around it."""
    leaves = grids[grids["level"] == grids["level"].max()]
    reported = pd.to_datetime(incidents["reported_at"], utc=True).dt.tz_convert(None)
    recent = incidents[reported >= pd.Timestamp(since)]
    counts = recent["grid_code"].value_counts()
    if counts.empty:
        return None
    busiest = leaves.loc[leaves["code"] == counts.index[0], "geometry"]
    if busiest.empty:
        return None
    return leaves[leaves.intersects(busiest.iloc[0])].union_all()


def _multipolygon(geometry) -> shapely.MultiPolygon:
    parts = [g for g in shapely.get_parts(geometry) if isinstance(g, shapely.Polygon)]
    return shapely.MultiPolygon(parts)
