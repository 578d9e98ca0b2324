"""Snapping onto the connected road network: points beside pieces cut off at an extract's edge or
behind one-way stubs are routed from the nearest road that leads everywhere; a point is refused
only when no such road is within reach, and the refusal says how far the roads are."""

from __future__ import annotations

import json
import re

import geopandas as gpd
import numpy as np
import pytest
import shapely
from pyproj import Transformer

from console import cli
from data.store import Store
from gis.osmroads import read_osm_roads
from gis.policy import DispatchPolicy
from gis.roadgraph import RoadGraph, RoadNetworkError
from gis.routing import WALK_SPEED_KPH, Router
from tests.gis.roadnets import Network, lonlat
from tests.gis.test_routing import EDGE_ROWS, cut_at_the_edge, main_part, random_network

POLICY = DispatchPolicy({"default": ("grid_worker", "police")}, own_grid_margin_s=0.0)
LON0, LAT0 = 121.470, 31.230  # central Shanghai
STEP = 0.002  # degrees between the grid's streets: about 190 m east-west, 222 m north-south


def _node(node_id: int, lon: float, lat: float) -> str:
    return f'  <node id="{node_id}" version="1" lat="{lat:.7f}" lon="{lon:.7f}"/>'


def _way(way_id: int, nodes, **tags) -> str:
    refs = "".join(f'<nd ref="{n}"/>' for n in nodes)
    kv = "".join(f'<tag k="{k}" v="{v}"/>' for k, v in tags.items())
    return f'  <way id="{way_id}" version="1">{refs}{kv}</way>'


# What the extract holds beyond its 3 x 3 grid of two-way streets (the main network): the ways
# whose other end lay outside the bounding box, as an export tool cuts them, and a one-way stub.
FRAGMENTS = {
    # one-way (yes) east from the grid's middle-east junction into a dead end
    "stub": ((6, 20), [(LON0 + 0.0055, LAT0 + STEP)], {"highway": "service", "oneway": "yes"}),
    # a one-way secondary leaving the grid's south-east corner, cut at the box's edge
    "cut_out": ((21, 3), [(LON0 + 0.0045, LAT0 - 0.0015)], {"highway": "secondary", "oneway": "yes"}),
    # a one-way street entering the grid's north-west corner from the box's edge (-1: drawn backwards)
    "cut_in": ((22, 7), [(LON0 - 0.0020, LAT0 + 0.0045)], {"highway": "tertiary", "oneway": "-1"}),
    # a two-way lane whose junctions lay outside the box
    "lane": ((23, 24), [(LON0 - 0.0025, LAT0 + 0.0005), (LON0 - 0.0025, LAT0 + 0.0015)], {"highway": "residential"}),
    # the same, far east: 770 m from the grid
    "far": ((25, 26), [(LON0 + 0.0121, LAT0), (LON0 + 0.0121, LAT0 + 0.0010)], {"highway": "unclassified"}),
}


def grid_node(i: int, j: int) -> tuple[int, float, float]:
    return 1 + i + 3 * j, LON0 + STEP * i, LAT0 + STEP * j


def write_extract(path) -> None:
    """An OSM XML extract as an export tool writes it: nodes in id order, then ways with highway tags."""
    nodes = [grid_node(i, j) for j in range(3) for i in range(3)]
    ways = []
    for j in range(3):
        ways.append(_way(100 + j, [grid_node(i, j)[0] for i in range(3)], highway="residential", name=f"横{j}路"))
    for i in range(3):
        ways.append(_way(110 + i, [grid_node(i, j)[0] for j in range(3)], highway="residential", name=f"纵{i}路"))
    ways.append(_way(120, [grid_node(0, 0)[0], 40], highway="footway"))  # not for vehicles
    nodes.append((40, LON0 - 0.001, LAT0 - 0.001))
    for way_id, (name, (ids, coords, tags)) in enumerate(FRAGMENTS.items(), 200):
        new = [n for n in ids if n >= 20]
        for node_id, (lon, lat) in zip(new, coords):
            nodes.append((node_id, lon, lat))
        ways.append(_way(way_id, ids, name=name, **tags))
    path.write_text('<?xml version="1.0" encoding="UTF-8"?>\n<osm version="0.6" generator="osmium/1.16.0">\n'
                    f'  <bounds minlat="{LAT0 - 0.0015}" minlon="{LON0 - 0.003}" maxlat="{LAT0 + 0.006}" '
                    f'maxlon="{LON0 + 0.013}"/>\n' + "\n".join([_node(*n) for n in sorted(nodes)] + ways) + "\n</osm>\n", encoding="utf-8")


@pytest.fixture(scope="module")
def roads(tmp_path_factory):
    path = tmp_path_factory.mktemp("osm") / "shanghai-edge.osm"
    write_extract(path)
    return read_osm_roads(path)


def metres_to(lon: float, lat: float, geometries) -> np.ndarray:
    """Distance from a point to lon/lat geometries, in an azimuthal equidistant projection centred
    on the point (exact from the centre): independent of the graph's own projection."""
    to_local = Transformer.from_crs("EPSG:4326", f"+proj=aeqd +lat_0={lat} +lon_0={lon} +ellps=WGS84",
                                    always_xy=True)
    local = shapely.transform(np.asarray(geometries, dtype=object),
                              lambda xy: np.c_[to_local.transform(xy[:, 0], xy[:, 1])])
    return shapely.distance(shapely.Point(0, 0), local)


def beside(name: str, roads: gpd.GeoDataFrame, metres: float = 4.0) -> tuple[float, float]:
    """A point `metres` to the side of the middle of a fragment."""
    line = shapely.union_all(roads.geometry[roads["name"] == name].values)
    mid = line.interpolate(0.5, normalized=True)
    a, b = np.asarray(line.coords)[[0, -1]] if line.geom_type == "LineString" else (
        np.asarray(line.geoms[0].coords)[0], np.asarray(line.geoms[-1].coords)[-1])
    normal = np.array([-(b - a)[1], (b - a)[0]])
    normal /= np.hypot(*normal)
    deg = metres / 111_320.0
    return float(mid.x + normal[0] * deg / np.cos(np.radians(LAT0))), float(mid.y + normal[1] * deg)


def is_grid_street(roads: gpd.GeoDataFrame) -> np.ndarray:
    return roads["name"].str.match(r"^[横纵]\d路$").fillna(False).to_numpy()


def responders_at(points: dict[str, tuple[float, float]]) -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame({
        "responder_id": list(points), "name": [f"网格员{n}" for n in points], "kind": "grid_worker",
        "role": "member", "grid_code": None, "status": "on_duty",
    }, geometry=[shapely.Point(p) for p in points.values()], crs=4326)


def test_the_extract_has_the_fragments_it_was_made_with(roads):
    graph = RoadGraph.from_frame(roads)
    main = graph.seg_in_main
    # Every piece of the grid's streets is the main network; no fragment is.
    assert main.sum() == is_grid_street(roads).sum() == 12
    assert set(roads["name"][~main]) == set(FRAGMENTS)
    assert roads.loc[roads["name"] == "cut_in", "oneway"].eq(1).all()


def test_points_beside_fragments_are_ranked_from_the_main_network(roads):
    points = {name: beside(name, roads) for name in ("stub", "cut_out", "cut_in", "lane")}
    router = Router(RoadGraph.from_frame(roads), responders_at(points), policy=POLICY)
    assert not router.off_network.any()
    streets = roads.geometry[is_grid_street(roads)].values
    walk_mps = WALK_SPEED_KPH / 3.6
    for name, (lon, lat) in points.items():
        place = router.place(lon, lat)
        assert router.graph.seg_in_main[place.segment]
        # The walk is to the nearest grid street, not to the fragment 4 m away.
        assert place.access_s * walk_mps == pytest.approx(metres_to(lon, lat, streets).min(), abs=0.5)
        assert place.access_s * walk_mps > 30
        ranked = router.recommend(lon, lat, k=len(points))
        assert sorted(r.id for r in ranked) == sorted(points)
        # The one standing there walks to the main network and back.
        (here,) = [r for r in ranked if r.id == name]
        assert here.eta_s == pytest.approx(2 * place.access_s, abs=1e-6)


def test_a_point_far_from_every_road_is_refused_with_the_distances(roads):
    router = Router(RoadGraph.from_frame(roads), policy=POLICY)
    lon, lat = LON0 - 0.023, LAT0 + 0.002  # about 2 km west of the extract
    streets = metres_to(lon, lat, roads.geometry[is_grid_street(roads)].values).min()
    any_road = metres_to(lon, lat, roads.geometry.values).min()
    assert 1900 < any_road < streets - 50  # the lane cut off at the west edge is nearer
    with pytest.raises(RoadNetworkError) as refused:
        router.recommend(lon, lat)
    message = str(refused.value)
    connected, nearest = (float(m) for m in re.findall(r"(\d+) m away", message))
    assert connected == pytest.approx(streets, abs=1) and nearest == pytest.approx(any_road, abs=1)
    assert "outside the road network" in message and "cut off from the main network" in message
    assert "at most 300 m" in message


def test_a_point_beside_a_far_fragment_is_refused_and_told_of_both(roads):
    router = Router(RoadGraph.from_frame(roads), policy=POLICY)
    lon, lat = beside("far", roads)
    with pytest.raises(RoadNetworkError, match=r"nearest connected road is \d{3} m away.*the nearest road, 4 m away"):
        router.place(lon, lat)


def test_recommend_cli_ranks_beside_fragments_and_refuses_far_points(roads, tmp_path, capsys, monkeypatch):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    db = tmp_path / "edge.gpkg"
    points = {name: beside(name, roads, 6.0) for name in ("stub", "cut_in")}
    with Store.create(db) as store:
        store.write_layer("roads", roads)
        store.write_layer("responders", responders_at(points))
    code = cli.main(["recommend", "--db", str(db), "--at", *map(str, beside("cut_out", roads)), "--json"])
    out, err = capsys.readouterr()
    assert code == 0 and sorted(r["id"] for r in json.loads(out)) == sorted(points) and err == ""
    assert {r["by"] for r in json.loads(out)} == {"road"}
    code = cli.main(["recommend", "--db", str(db), "--at", str(LON0 + 0.002), str(LAT0 - 0.018)])
    out, err = capsys.readouterr()
    assert code == 2 and out == "" and len(err.strip().splitlines()) == 1
    assert re.search(r"nearest connected road is 1\d{3} m away", err)


def test_connected_snapping_is_exact_against_brute_force():
    network = cut_at_the_edge(random_network(seed=4), 900)
    graph = RoadGraph.from_frame(network.frame())
    main = main_part(network)
    rng = np.random.default_rng(7)
    x, y = rng.uniform(-150, 1050, 2000), rng.uniform(-150, 1050, 2000)
    x = np.r_[x, [955] * len(EDGE_ROWS)]  # and beside each stub's dead end
    y = np.r_[y, [row + 25 for row in EDGE_ROWS]]
    snap = graph.snap(*lonlat(x, y), max_snap_m=80.0, connected=True)
    points = shapely.points(*graph.to_xy(*lonlat(x, y)))
    main_lines = graph.geometry_to_xy(main.frame().geometry.values)
    nearest = shapely.distance(points[:, None], np.asarray(main_lines)[None, :]).min(axis=1)
    within = nearest <= 80.0
    assert np.array_equal(snap.found, within) and (~within).any()
    assert graph.seg_in_main[snap.segment[within]].all()
    assert np.allclose(snap.offroad_m[within], nearest[within], atol=1e-6)
    # Without the restriction, some of the same points snap to the fragments.
    assert (~graph.seg_in_main[graph.snap(*lonlat(x, y), max_snap_m=80.0).segment[within]]).any()


def test_a_network_without_a_connected_part_says_so():
    one_ways = Network().add((0, 0), (500, 0), oneway=True).add((500, 0), (500, 500), oneway=True)
    router = Router(RoadGraph.from_frame(one_ways.frame()), policy=POLICY)
    with pytest.raises(RoadNetworkError, match="no road of the network leads both to and from the others"):
        router.place(*lonlat(250, 5))
