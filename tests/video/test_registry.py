"""Cameras from the store: masked URLs, stream choice, and which cameras see a place."""

import dataclasses

import geopandas as gpd
import numpy as np
import shapely
from pyproj import Geod

from data.store import Store
from video.registry import CameraRegistry

PLACE = (117.2300, 31.8200)
GEOD = Geod(ellps="WGS84")


def offset(bearing_deg: float, metres: float) -> tuple[float, float]:
    """The point `metres` from PLACE in direction `bearing_deg`."""
    lon, lat, _ = GEOD.fwd(PLACE[0], PLACE[1], bearing_deg, metres)
    return lon, lat


def cameras_frame() -> gpd.GeoDataFrame:
    rows = [
        # id, where it stands (bearing and distance from PLACE), heading, status, main URL
        ("facing", offset(180, 50), 0.0, "online", "rtsp://admin:s3cret@10.0.0.1/main"),
        ("away", offset(90, 20), 90.0, "online", "rtsp://10.0.0.2/main"),
        ("unknown", offset(0, 100), None, "online", None),
        ("far", offset(270, 1000), 90.0, "online", "rtsp://10.0.0.4/main"),
        ("broken", offset(0, 10), 180.0, "offline", "rtsp://10.0.0.5/main"),
    ]
    return gpd.GeoDataFrame({
        "camera_id": [r[0] for r in rows], "name": [f"{r[0]}路1号" for r in rows],
        "camera_class": ["A", "B", "rural", "private", "A"], "owner": ["公安局", None, "村委会", "物业", "公安局"],
        "heading_deg": [np.nan if r[2] is None else r[2] for r in rows], "fov_deg": [60.0, 60.0, np.nan, 90.0, 60.0],
        "status": [r[3] for r in rows], "grid_code": ["340102001001001"] * 5,
        "stream_main": [r[4] for r in rows],
        "stream_sub": [r[4].replace("main", "sub") if r[4] else None for r in rows],
    }, geometry=shapely.points([r[1] for r in rows]), crs="EPSG:4326")


def registry(tmp_path) -> CameraRegistry:
    with Store.create(tmp_path / "cams.gpkg") as store:
        store.write_layer("cameras", cameras_frame())
    with Store.open(tmp_path / "cams.gpkg") as store:
        return CameraRegistry.from_store(store)


def test_cameras_that_see_the_place_come_first_then_the_nearest(tmp_path):
    sightings = registry(tmp_path).seeing(*PLACE, radius_m=300)
    assert [s.camera.camera_id for s in sightings] == ["facing", "unknown", "away"]
    assert [s.in_view for s in sightings] == [True, None, False]
    assert [round(s.distance_m) for s in sightings] == [50, 100, 20]


def test_offline_cameras_are_left_out_unless_asked_for_and_listed_for_maintenance(tmp_path):
    cameras = registry(tmp_path)
    everyone = cameras.seeing(*PLACE, radius_m=300, limit=10, online_only=False)
    assert everyone[0].camera.camera_id == "broken" and everyone[0].in_view
    assert [c.camera_id for c in cameras.offline()] == ["broken"]
    assert cameras.seeing(*PLACE, radius_m=2000, limit=1)[0].camera.camera_id == "facing"


def test_credentials_never_leave_through_repr_or_public_dict(tmp_path):
    camera = registry(tmp_path).get("facing")
    assert camera.stream_main == "rtsp://admin:s3cret@10.0.0.1/main"  # usable by the capture worker
    shown = repr(camera) + str(camera.public_dict())
    assert "s3cret" not in shown
    assert camera.public_dict()["stream_main"] == "rtsp://admin:***@10.0.0.1/main"


def test_small_tiles_prefer_the_sub_stream(tmp_path):
    cameras = registry(tmp_path)
    facing = cameras.get("facing")
    assert facing.stream(small_tile=True).endswith("/sub")
    assert facing.stream(small_tile=False).endswith("/main")
    assert cameras.get("unknown").stream(small_tile=True) is None
    only_main = dataclasses.replace(facing, stream_sub=None)
    assert only_main.stream(small_tile=True) == facing.stream_main
    assert cameras.get("missing") is None and len(cameras) == 5


def test_seeing_in_a_crowd_finds_exactly_the_cameras_within_the_radius_and_fast():
    # 30,000 cameras scattered over a city, the place anywhere from the tropics to the far north.
    import time

    from video.registry import Camera

    rng = np.random.default_rng(7)
    for lat in (18.0, 31.8, 53.0):
        lons, lats = 117.0 + rng.uniform(-0.3, 0.3, 30_000), lat + rng.uniform(-0.3, 0.3, 30_000)
        registry = CameraRegistry([Camera(f"C{k}", "c", "A", None, x, y, None, None, "online", None)
                                   for k, (x, y) in enumerate(zip(lons, lats))])
        for radius in (300.0, 2000.0):
            started = time.perf_counter()
            found = registry.seeing(117.0, lat, radius_m=radius, limit=10_000)
            elapsed = time.perf_counter() - started
            _, _, distance = GEOD.inv(lons, lats, np.full(len(lons), 117.0), np.full(len(lons), lat))
            expected = sorted((d, f"C{k}") for k, d in enumerate(distance) if d <= radius)
            assert [s.camera.camera_id for s in found] == [camera_id for _, camera_id in expected]
            assert elapsed < 0.05  # a dispatcher's click, not a stall
