"""Write docs/examples/: one township of the demo city as a centre's own files would arrive.

The README's "Your own centre" walks from these files to an opened console, and the tests
build a store from them alone. Each file has the shape of a real export, not of gridsight's
own files: grids as a GBK Shapefile with Chinese field names in GCJ-02 (as a Gaode-based
drawing tool exports them), roads as an OSM XML extract cut at its bounding box, the roster
as a GBK CSV from Excel with Chinese headers and values, the camera list as an XLSX workbook
keyed by GB/T 28181 ids with credentials in the stream URLs, patrol routes as GPX tracks,
checkpoints as GeoJSON and the departments as a UTF-8 CSV with a byte-order mark.

    .venv/bin/python scripts/make_examples.py [--db demo/small.gpkg] [--out docs/examples]

Everything comes from the deterministic demo city (seed 1, as the set-up builds it), so the
files change only when the demo generator does.
"""

from __future__ import annotations

import argparse
import csv
import shutil
from pathlib import Path
from xml.sax.saxutils import quoteattr

import geopandas as gpd
import numpy as np
import openpyxl
import pyogrio
import shapely

from data.store import Store
from gis.crs import wgs84_to_gcj02

ROOT = Path(__file__).resolve().parents[1]
TOWNSHIP = "420621101"  # 三台镇
CENTRE_NAME = "三台镇综治中心"
# Roads are cut this far (degrees, ~1 km) beyond the township, as an extract's bounding box cuts them.
ROAD_MARGIN_DEG = 0.01
# The inverse of gis.osmroads.HIGHWAYS for the classes the demo draws.
HIGHWAY_OF_CLASS = {"expressway": "trunk", "arterial": "primary", "collector": "tertiary",
                    "local": "residential", "village": "track"}
KIND_TEXT = {("grid_worker", "grid_chief"): "网格长", ("grid_worker", "grid_member"): "专职网格员",
             ("police", "police_station"): "派出所", ("police", "patrol_car"): "巡逻车",
             ("department", "team"): "部门"}
STATUS_TEXT = {"on_duty": "在岗", "busy": "忙碌", "off": "休息"}
CLASS_TEXT = {"A": "一类（公安）", "B": "二类（社会）", "rural": "农村", "private": "自建"}
# Every tenth grid worker's phone reports no position: the import places them at their grid.
WITHOUT_POSITION_EVERY = 10


def gcj02(geoms: np.ndarray) -> np.ndarray:
    return shapely.transform(geoms, lambda xy: np.column_stack(wgs84_to_gcj02(xy[:, 0], xy[:, 1])))


def write_grids(grids: gpd.GeoDataFrame, out: Path) -> None:
    frame = gpd.GeoDataFrame(
        {"网格编码": grids["code"], "网格名称": grids["name"], "层级": grids["level"],
         "上级编码": grids["parent_code"], "户数": grids["households"]},
        geometry=gcj02(grids.geometry.values), crs="EPSG:4326",
    )
    pyogrio.write_dataframe(frame, out / "grids-gcj02.shp", encoding="GBK")


def write_osm(roads: gpd.GeoDataFrame, bbox: tuple[float, float, float, float], out: Path) -> None:
    """An OSM XML extract: ways share nodes at junctions, and ways leaving the box are cut at it."""
    cut = roads.clip_by_rect(*bbox).explode(index_parts=False)
    cut = cut[~cut.is_empty & (cut.geom_type == "LineString")]
    node_ids: dict[tuple[float, float], int] = {}
    ways = []
    for fid, line in cut.items():
        road = roads.loc[fid]
        refs = []
        for x, y in np.round(shapely.get_coordinates(line), 7):
            refs.append(node_ids.setdefault((float(x), float(y)), len(node_ids) + 1))
        tags = {"highway": HIGHWAY_OF_CLASS[road["road_class"]], "maxspeed": f"{road['speed_kph']:.0f}"}
        if road["oneway"]:
            tags["oneway"] = "yes"
        if road["bridge"]:
            tags["bridge"] = "yes"
        if isinstance(road["name"], str):
            tags["name"] = road["name"]
        ways.append((refs, tags))
    lines = ['<?xml version="1.0" encoding="UTF-8"?>',
             '<osm version="0.6" generator="gridsight examples">',
             f'  <bounds minlon="{bbox[0]:.7f}" minlat="{bbox[1]:.7f}" maxlon="{bbox[2]:.7f}" maxlat="{bbox[3]:.7f}"/>']
    lines += [f'  <node id="{i}" version="1" lon="{x:.7f}" lat="{y:.7f}"/>' for (x, y), i in node_ids.items()]
    for way_id, (refs, tags) in enumerate(ways, 1):
        lines.append(f'  <way id="{way_id}" version="1">')
        lines += [f'    <nd ref="{ref}"/>' for ref in refs]
        lines += [f"    <tag k={quoteattr(k)} v={quoteattr(v)}/>" for k, v in tags.items()]
        lines.append("  </way>")
    lines.append("</osm>")
    (out / "roads.osm").write_text("\n".join(lines) + "\n", encoding="utf-8")


def write_roster(responders: gpd.GeoDataFrame, out: Path) -> None:
    lon, lat = wgs84_to_gcj02(responders.geometry.x.to_numpy(), responders.geometry.y.to_numpy())
    with open(out / "roster-gbk.csv", "w", encoding="gbk", newline="") as file:
        writer = csv.writer(file)
        writer.writerow(["工号", "姓名", "人员类型", "所属网格", "手机号码", "在岗状态", "经度", "纬度"])
        for i, row in enumerate(responders.itertuples()):
            placed = not (row.kind == "grid_worker" and i % WITHOUT_POSITION_EVERY == 0)
            writer.writerow([row.responder_id, row.name, KIND_TEXT[(row.kind, row.role)], row.grid_code,
                             row.phone, STATUS_TEXT[row.status],
                             f"{lon[i]:.6f}" if placed else "", f"{lat[i]:.6f}" if placed else ""])


def write_cameras(cameras: gpd.GeoDataFrame, out: Path) -> None:
    lon, lat = wgs84_to_gcj02(cameras.geometry.x.to_numpy(), cameras.geometry.y.to_numpy())
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.title = "设备清单"
    sheet.append(["序号", "国标编码", "设备名称", "设备类别", "所属单位", "经度", "纬度", "方位角", "视场角", "取流地址"])
    for i, row in enumerate(cameras.itertuples()):
        # Credentials as video platforms export them; the host is loopback (nothing to reach here).
        url = f"rtsp://admin:Sx{row.camera_id[-4:]}#2026@127.0.0.1:554/Streaming/Channels/101"
        sheet.append([i + 1, row.camera_id, row.name, CLASS_TEXT[row.camera_class], row.owner,
                      round(float(lon[i]), 6), round(float(lat[i]), 6), row.heading_deg, row.fov_deg, url])
    book.save(out / "cameras.xlsx")


def write_routes(routes: gpd.GeoDataFrame, out: Path) -> None:
    gpx = gpd.GeoDataFrame({"name": routes["name"]}, geometry=routes.geometry.values, crs="EPSG:4326")
    pyogrio.write_dataframe(gpx, out / "patrol-routes.gpx", driver="GPX", layer="routes",
                            dataset_options={"GPX_USE_EXTENSIONS": "NO"})


def write_checkpoints(checkpoints: gpd.GeoDataFrame, out: Path) -> None:
    frame = gpd.GeoDataFrame({"卡口编号": checkpoints["checkpoint_id"], "卡口名称": checkpoints["name"],
                              "类型": checkpoints["kind"]}, geometry=checkpoints.geometry.values, crs="EPSG:4326")
    pyogrio.write_dataframe(frame, out / "checkpoints.geojson", driver="GeoJSON")


def write_departments(departments: gpd.GeoDataFrame, out: Path) -> None:
    with open(out / "departments.csv", "w", encoding="utf-8-sig", newline="") as file:
        writer = csv.writer(file)
        writer.writerow(["部门编码", "部门名称", "联系电话", "办理时限（小时）"])
        for i, row in enumerate(departments.itertuples()):
            writer.writerow([row.department_id, row.name, f"0710-{3300000 + i:07d}", f"{row.report_hours:g}"])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", type=Path, default=ROOT / "demo" / "small.gpkg")
    parser.add_argument("--out", type=Path, default=ROOT / "docs" / "examples")
    args = parser.parse_args()
    with Store.open(args.db) as store:
        grids = store.read_layer("grids")
        grids = grids[grids["code"].str.startswith(TOWNSHIP)].reset_index(drop=True)
        codes = set(grids["code"])
        in_township = lambda frame: frame[frame["grid_code"].isin(codes)].reset_index(drop=True)  # noqa: E731
        responders = in_township(store.read_layer("responders"))
        cameras = in_township(store.read_layer("cameras"))
        routes = in_township(store.read_layer("patrol_routes"))
        township = grids.geometry.union_all()
        checkpoints = store.read_layer("checkpoints")
        checkpoints = checkpoints[checkpoints.within(township.buffer(ROAD_MARGIN_DEG))].reset_index(drop=True)
        departments = store.read_layer("departments")
        minx, miny, maxx, maxy = township.bounds
        bbox = (minx - ROAD_MARGIN_DEG, miny - ROAD_MARGIN_DEG, maxx + ROAD_MARGIN_DEG, maxy + ROAD_MARGIN_DEG)
        roads = store.read_layer("roads", bbox=bbox)
    shutil.rmtree(args.out, ignore_errors=True)
    args.out.mkdir(parents=True)
    write_grids(grids, args.out)
    write_osm(roads, bbox, args.out)
    write_roster(responders, args.out)
    write_cameras(cameras, args.out)
    write_routes(routes, args.out)
    write_checkpoints(checkpoints, args.out)
    write_departments(departments, args.out)
    for path in sorted(args.out.iterdir()):
        print(f"{path.stat().st_size:>9,}  {path.relative_to(ROOT)}")
    print(f"centre name for `gridsight init --name`: {CENTRE_NAME}")


if __name__ == "__main__":
    main()
