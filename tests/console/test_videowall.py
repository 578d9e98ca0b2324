"""The video wall and camera list against real RTSP streams on loopback (no mocks)."""

from __future__ import annotations

import pytest
import shapely
from PySide6.QtCore import QMimeData, QPointF, Qt
from PySide6.QtGui import QDragEnterEvent, QDropEvent, QGuiApplication
from PySide6.QtWidgets import QAbstractButton, QApplication, QWidget

from console import cli
from console.app import application
from console.cameralist import CAMERA_ID_ROLE, CameraList
from console.videowall import (
    CAMERA_MIME,
    VideoWall,
    cameras_along_route,
    layout_for,
    place_on_screen,
)
from console.videowindow import VideoWallWindow
from video.capture import Backoff, CapturePool, Status
from video.registry import Camera, CameraRegistry
from video.testserver import RtspTestServer, camera_streams, render_scenes

SECRET = "s3cret"
LON, LAT = 116.40, 39.90
QUICK = {"open_timeout_s": 2.0, "read_timeout_s": 1.0, "stall_after_s": 0.5, "backoff": Backoff(first_s=0.1, max_s=0.5)}


@pytest.fixture(scope="module")
def servers(tmp_path_factory):
    """Two cameras on two servers, so that one can die while the other plays on."""
    scene = render_scenes(tmp_path_factory.mktemp("footage"), scenes=1, seconds=2.0)[0]
    with RtspTestServer(camera_streams("CAM1", "一号", scene)) as one, \
            RtspTestServer(camera_streams("CAM2", "二号", scene)) as two:
        yield {"CAM1": one, "CAM2": two}


def camera(camera_id: str, name: str, lon: float = LON, lat: float = LAT, server=None, **extra) -> Camera:
    urls = {}
    if server is not None:  # credentials in the URL, as private cameras have them
        urls = {f"stream_{kind}": server.url(f"/cam/{camera_id}/{kind}").replace("rtsp://", f"rtsp://admin:{SECRET}@")
                for kind in ("main", "sub")}
    options = {"camera_class": "A", "owner": None, "heading_deg": None, "fov_deg": None, "status": "online",
               "grid_code": "G1"}
    options.update(extra)
    return Camera(camera_id, name, lon=lon, lat=lat, **options, **urls)


@pytest.fixture
def registry(servers):
    return CameraRegistry([camera("CAM1", "人民路1号", server=servers["CAM1"]),
                           camera("CAM2", "解放路2号", lon=LON + 0.001, server=servers["CAM2"]),
                           camera("CAM3", "维修中", lon=LON + 0.002, status="offline")])


@pytest.fixture
def wall(qtbot, registry):
    application("en", headless=True)
    wall = VideoWall(registry, CapturePool(**QUICK))
    qtbot.addWidget(wall)
    wall.resize(960, 540)
    wall.show()
    yield wall
    wall.shutdown()


def live_frames(qtbot, tile, at_least: int = 3, timeout_ms: int = 10_000) -> int:
    start = tile.frames_shown
    qtbot.waitUntil(lambda: tile.frames_shown >= start + at_least, timeout=timeout_ms)
    return tile.frames_shown


def test_layouts_show_square_grids(wall):
    for size, side in ((1, 1), (4, 2), (9, 3), (16, 4)):
        wall.set_layout(size)
        shown = [tile for tile in wall.tiles if tile.isVisible()]
        assert len(shown) == size and wall.visible_tiles == shown
        positions = {wall._grid.getItemPosition(wall._grid.indexOf(tile))[:2] for tile in shown}
        assert positions == {(row, column) for row in range(side) for column in range(side)}
    assert [layout_for(n) for n in (0, 1, 3, 5, 10, 40)] == [1, 1, 4, 9, 16, 16]
    with pytest.raises(ValueError):
        wall.set_layout(6)


def test_tile_paints_changing_live_frames_with_status_overlay(wall, qtbot):
    wall.set_layout(9)
    tile = wall.tiles[0]
    assert wall.assign(0, "CAM1")
    live_frames(qtbot, tile)
    first = tile.grab().toImage()
    live_frames(qtbot, tile, 5)
    assert tile.grab().toImage() != first  # the picture moves
    assert tile.status is Status.LIVE and tile.worker.url.endswith("/sub")  # small tile: sub-stream
    caption, status_line = tile.overlay_lines()
    assert caption.startswith("人民路1号 · Class A") and status_line.startswith("live")
    qtbot.waitUntil(lambda: tile.overlay_lines()[1].endswith(" fps"), timeout=3000)  # once the rate is known
    fps = float(tile.overlay_lines()[1].split(" · ")[1].split()[0])
    assert 15 <= fps <= 40
    assert not wall.assign(1, "NO-SUCH-CAMERA")


def test_a_killed_stream_says_so_while_the_others_play_and_recovers(wall, qtbot, servers):
    wall.assign(0, "CAM1")
    wall.assign(1, "CAM2")
    dying, steady = wall.tiles[0], wall.tiles[1]
    live_frames(qtbot, dying)
    live_frames(qtbot, steady)
    servers["CAM1"].kill()
    try:
        qtbot.waitUntil(lambda: dying.status in (Status.STALLED, Status.RECONNECTING, Status.OFFLINE), timeout=5000)
        assert dying.overlay_lines()[1] in ("stalled", "reconnecting", "offline")
        frozen = dying.frames_shown
        live_frames(qtbot, steady, 10)  # the rest of the wall plays on
        assert dying.frames_shown <= frozen + 1  # at most the frame that was on its way
    finally:
        servers["CAM1"].start()
    qtbot.waitUntil(lambda: dying.status is Status.LIVE, timeout=10_000)
    live_frames(qtbot, dying)


def drop(tile, mime: QMimeData) -> QDropEvent:
    position = QPointF(tile.width() / 2, tile.height() / 2)
    enter = QDragEnterEvent(position.toPoint(), Qt.DropAction.CopyAction, mime, Qt.MouseButton.LeftButton,
                            Qt.KeyboardModifier.NoModifier)
    QApplication.sendEvent(tile, enter)
    event = QDropEvent(position, Qt.DropAction.CopyAction, mime, Qt.MouseButton.LeftButton,
                       Qt.KeyboardModifier.NoModifier)
    if enter.isAccepted():
        QApplication.sendEvent(tile, event)
    return enter


def test_a_camera_dragged_from_the_list_lands_on_the_tile(wall, registry, qtbot):
    cameras = CameraList(registry)
    qtbot.addWidget(cameras)
    cameras.search.setText("解放")
    assert cameras.shown_ids() == ["CAM2"]
    mime = cameras.model.mimeData([cameras.filter.mapToSource(cameras.filter.index(0, 0))])
    assert mime.hasFormat(CAMERA_MIME)
    assert drop(wall.tiles[2], mime).isAccepted()
    assert wall.tiles[2].camera.camera_id == "CAM2"
    live_frames(qtbot, wall.tiles[2])
    text_only = QMimeData()
    text_only.setText("CAM1")
    assert not drop(wall.tiles[3], text_only).isAccepted() and wall.tiles[3].camera is None


def test_camera_list_searches_and_lists_offline_cameras_for_maintenance(registry, qtbot):
    cameras = CameraList(registry)
    qtbot.addWidget(cameras)
    assert cameras.shown_ids() == ["CAM1", "CAM2", "CAM3"]
    cameras.offline_only.setChecked(True)
    assert cameras.shown_ids() == ["CAM3"]
    cameras.offline_only.setChecked(False)
    cameras.search.setText("cam1")
    assert cameras.shown_ids() == ["CAM1"]
    cameras.search.clear()
    rows = [cameras.filter.index(row, 0) for row in range(3)]
    colours = {row.data(CAMERA_ID_ROLE): row.data(Qt.ItemDataRole.DecorationRole).name() for row in rows}
    assert colours["CAM1"] == colours["CAM2"] != colours["CAM3"]


def test_double_click_maximises_on_the_main_stream_and_back(wall, qtbot):
    wall.set_layout(9)
    wall.assign(0, "CAM1")
    wall.assign(1, "CAM2")
    tile = wall.tiles[0]
    live_frames(qtbot, tile)
    qtbot.mouseDClick(tile, Qt.MouseButton.LeftButton)
    assert wall.maximised is tile and wall.visible_tiles == [tile]
    assert tile.worker.url.endswith("/main") and not wall.tiles[1].isVisible()
    qtbot.waitUntil(lambda: tile.worker.latest() is not None and tile.worker.latest().image.shape[1] == 640,
                    timeout=10_000)
    # the picture is scaled to the tile's new size, off the UI thread: it fills the width or the height
    qtbot.waitUntil(lambda: tile._image is not None and tile.width() - 1 <= tile._image.width() <= tile.width()
                    or tile._image is not None and tile.height() - 1 <= tile._image.height() <= tile.height(),
                    timeout=5000)
    assert tile._image.width() > 320
    qtbot.mouseDClick(tile, Qt.MouseButton.LeftButton)
    assert wall.maximised is None and wall.tiles[1].isVisible()
    assert tile.worker.url.endswith("/sub")
    assert len(wall.pool) == 2  # the main stream was let go
    wall.set_layout(4)
    assert tile.worker.url.endswith("/main")  # a quarter of the wall is big enough for it


def test_snapshot_button_saves_a_jpeg(wall, qtbot, tmp_path):
    tile = wall.tiles[0]
    tile.snapshot_dir = tmp_path / "snaps"
    wall.assign(0, "CAM1")
    live_frames(qtbot, tile)
    button = next(b for b in tile.findChildren(QAbstractButton) if b.isVisible())
    with qtbot.waitSignal(wall.snapshotSaved) as saved:
        qtbot.mouseClick(button, Qt.MouseButton.LeftButton)
    written = tmp_path / "snaps" / saved.args[0].rsplit("/", 1)[1]
    assert written.read_bytes()[:2] == b"\xff\xd8" and written.name.startswith("CAM1_")


def test_patrol_visits_route_cameras_in_order_a_page_at_a_time(qtbot):
    # A route going east; cameras placed out of order, one too far north of it, one offline on it.
    route = shapely.LineString([(LON, LAT), (LON + 0.01, LAT)])
    offsets = {"P3": 0.008, "P1": 0.001, "FAR": 0.004, "P2": 0.005, "DOWN": 0.007, "P4": 0.0095}
    cameras = [camera(cid, cid, lon=LON + dx, lat=LAT + (0.01 if cid == "FAR" else 0.0003),
                      status="offline" if cid == "DOWN" else "online") for cid, dx in offsets.items()]
    registry = CameraRegistry(cameras)
    ordered = cameras_along_route(registry, route, radius_m=100)
    assert [c.camera_id for c in ordered] == ["P1", "P2", "DOWN", "P3", "P4"]
    wall = VideoWall(registry, CapturePool(**QUICK))
    qtbot.addWidget(wall)
    wall.set_layout(1)
    patrol = wall.start_route_patrol(route, radius_m=100, interval_s=5)
    shown = [wall.tiles[0].camera.camera_id]
    for _ in range(4):
        patrol.step()
        shown.append(wall.tiles[0].camera.camera_id)
    assert shown == ["P1", "P2", "P3", "P4", "P1"]  # the offline camera is skipped
    assert patrol._timer.interval() == 5000 and patrol._timer.isActive()
    wall.set_layout(4)
    patrol = wall.start_patrol(ordered[:3], interval_s=5)
    patrol.step()
    assert [t.camera.camera_id for t in wall.visible_tiles[:3]] == [c.camera_id for c in ordered[:3]]  # one page
    wall.stop_patrol()
    assert wall.patrol is None
    wall.shutdown()


def test_show_cameras_near_puts_the_nearest_online_cameras_on_the_wall(wall):
    sightings = wall.show_cameras_near(LON + 0.0021, LAT, n=4)
    assert [s.camera.camera_id for s in sightings] == ["CAM2", "CAM1"]  # CAM3 is offline
    assert wall.layout_size == 4
    assert [t.camera and t.camera.camera_id for t in wall.visible_tiles] == ["CAM2", "CAM1", None, None]
    assert f" · {sightings[0].distance_m:.0f} m" in wall.tiles[0].overlay_lines()[1]


def test_no_credentials_in_any_text_of_the_wall_or_list(registry, qtbot):
    application("en", headless=True)
    window = VideoWallWindow(registry, CapturePool(**QUICK))
    qtbot.addWidget(window)
    window.show()
    try:
        window.wall.assign(0, "CAM1")
        window.wall.assign(1, "CAM2")
        window.wall.toggle_maximised(window.wall.tiles[1])
        qtbot.waitUntil(lambda: window.wall.tiles[1].worker.latest() is not None, timeout=10_000)
        texts = []
        for widget in [window, *window.findChildren(QWidget)]:
            texts += [widget.toolTip(), widget.windowTitle(), widget.accessibleName(), widget.statusTip()]
            texts += [getattr(widget, "text", lambda: "")()]
        texts += [" ".join(tile.overlay_lines()) for tile in window.wall.tiles]
        model = window.cameras.model
        texts += [model.index(r, 0).data(role) for r in range(model.rowCount())
                  for role in (Qt.ItemDataRole.DisplayRole, Qt.ItemDataRole.ToolTipRole)]
        assert any("rtsp://admin:***@127.0.0.1" in text for text in texts)  # masked URLs are there...
        assert not [text for text in texts if SECRET in str(text)]  # ...passwords never
    finally:
        window.wall.shutdown()


def test_the_wall_window_opens_on_the_chosen_screen(registry, qtbot):
    window = VideoWallWindow(registry, CapturePool(**QUICK))
    qtbot.addWidget(window)
    place_on_screen(window, 0)
    assert window.screen() is QGuiApplication.screens()[0]
    assert window.geometry() == QGuiApplication.screens()[0].availableGeometry()
    with pytest.raises(ValueError, match="there is no screen 7"):
        place_on_screen(window, 7)
    window.wall.shutdown()


def gridsight(*argv: str) -> int:
    return cli.main(list(argv))


def test_wall_command_refuses_bad_requests_in_one_line(city_path, tmp_path, capsys):
    assert gridsight("video", "wall", "--db", str(city_path), "--screenshot", str(tmp_path / "x.jpg")) == 2
    assert "must name a .png" in capsys.readouterr().err
    assert gridsight("video", "wall", "--db", str(city_path), "--patrol", "NOPE",
                     "--screenshot", str(tmp_path / "x.png")) == 2
    assert "no patrol route 'NOPE'" in capsys.readouterr().err
    assert gridsight("video", "wall", "--db", str(city_path), "--frames", "-1",
                     "--screenshot", str(tmp_path / "x.png")) == 2
    assert "--frames" in capsys.readouterr().err


# -- the dispatcher's video dock in the console window ---------------------------------------------

def nearest_cameras(store, ticket_id: str, radius_m: float, n: int) -> list[str]:
    """The online cameras within `radius_m` of an incident, nearest first (the tiny city's have no heading)."""
    from pyproj import Geod

    incident = store.read_layer("incidents", where="t.ticket_id = ?", params=(ticket_id,)).geometry.iloc[0]
    cameras = store.read_layer("cameras")
    cameras = cameras[cameras["status"] == "online"]
    _, _, distance = Geod(ellps="WGS84").inv(cameras.geometry.x.to_numpy(), cameras.geometry.y.to_numpy(),
                                             [incident.x] * len(cameras), [incident.y] * len(cameras))
    order = sorted((d, camera_id) for d, camera_id in zip(distance, cameras["camera_id"]) if d <= radius_m)
    return [camera_id for _, camera_id in order[:n]]


def test_selecting_an_incident_shows_the_cameras_that_see_it_and_rings_them_on_the_map(open_window, store,
                                                                                       qtbot, monkeypatch):
    from console.videodock import NEARBY_CAMERAS, NEARBY_RADIUS_M

    window, _ = open_window("en")
    dock = window.video
    qtbot.waitUntil(lambda: dock.loaded, timeout=10_000)
    rings = []
    monkeypatch.setattr(window.map, "highlight", lambda layer, ids: rings.append((layer, list(ids))))
    other = next(t for t in ("T-1", "T-2", "T-3") if t != window.details.ticket["ticket_id"])
    assert window.queue.select_ticket(other)
    expected = nearest_cameras(store, other, NEARBY_RADIUS_M, NEARBY_CAMERAS)
    assert expected  # the tiny city has cameras near its incidents
    assert [tile.camera.camera_id for tile in dock.wall.visible_tiles if tile.camera] == expected
    assert rings[-1] == ("cameras", expected)
    assert other in dock.caption.text() and dock.tabs.currentIndex() == 0
    assert dock.wall.tiles[0].overlay_lines()[1].split(" · ")[1].endswith(" m")  # how far it is
    # A camera double-clicked on the map joins the wall.
    far = next(camera.camera_id for camera in dock.registry.cameras if camera.camera_id not in expected)
    window.map.featureClicked.emit("cameras", far)
    assert far in [tile.camera.camera_id for tile in dock.wall.visible_tiles if tile.camera]
    window.map.featureClicked.emit("responders", far)  # other layers are not the dock's business
    assert not dock.put_on_wall("NO-SUCH-CAMERA")


def test_the_dock_lists_offline_cameras_for_maintenance(open_window, store, qtbot):
    with store.transaction() as tx:
        tx.execute("UPDATE cameras SET status = 'offline' WHERE camera_id IN ('C3', 'C7')")
    try:
        window, _ = open_window("en")
        qtbot.waitUntil(lambda: window.video.loaded, timeout=10_000)
        listing = window.video.cameras
        listing.offline_only.setChecked(True)
        assert listing.shown_ids() == ["C3", "C7"]
    finally:
        with store.transaction() as tx:
            tx.execute("UPDATE cameras SET status = 'online' WHERE camera_id IN ('C3', 'C7')")


@pytest.fixture
def streaming_city(city_path, tmp_path, servers):
    """The tiny city with two cameras moved next to incident T-1, streaming from the loopback servers."""
    import shutil

    from data.store import Store

    path = tmp_path / "streaming.gpkg"
    shutil.copy(city_path, path)
    with Store.open(path) as store:
        incident = store.read_layer("incidents", where="t.ticket_id = ?", params=("T-1",)).geometry.iloc[0]
        cameras = store.read_layer("cameras").drop(columns="fid", errors="ignore")
        for row, server_id in ((0, "CAM1"), (1, "CAM2")):
            cameras.loc[row, "geometry"] = shapely.Point(incident.x + 0.0005 * (row + 1), incident.y)
            cameras.loc[row, ["stream_main", "stream_sub"]] = [servers[server_id].url(f"/cam/{server_id}/{kind}")
                                                               for kind in ("main", "sub")]
        store.write_layer("cameras", cameras, mode="replace")
        yield store, list(cameras["camera_id"][:2])


def test_the_dock_plays_the_nearby_cameras_and_stops_decoding_them_while_hidden(open_window, streaming_city, qtbot):
    store, near = streaming_city
    window, _ = open_window("en", on=store)
    dock = window.video
    qtbot.waitUntil(lambda: dock.loaded, timeout=10_000)
    window.queue.select_ticket("T-2")
    window.queue.select_ticket("T-1")
    tiles = [tile for tile in dock.wall.visible_tiles if tile.camera and tile.camera.camera_id in near]
    assert len(tiles) == 2
    for tile in tiles:
        live_frames(qtbot, tile)
        assert tile.worker.url.endswith("/sub")  # small tiles: sub-streams
    qtbot.waitUntil(dock.playing, timeout=5000)
    dock.tabs.setCurrentIndex(1)  # the camera list in front of the wall
    assert dock.wall.decoding == 0 and len(dock.wall.pool) == 0
    dock.tabs.setCurrentIndex(0)
    assert dock.wall.decoding == len([t for t in dock.wall.visible_tiles if t.camera and t.camera.stream(True)])
    for tile in tiles:
        live_frames(qtbot, tile)
    dock.parentWidget().hide()  # the dock closed
    assert dock.wall.decoding == 0


def test_tiles_hidden_behind_a_maximised_one_stop_decoding(wall, qtbot):
    wall.assign(0, "CAM1")
    wall.assign(1, "CAM2")
    live_frames(qtbot, wall.tiles[1])
    wall.toggle_maximised(wall.tiles[0])
    assert wall.decoding == 1 and wall.tiles[1].worker is None and wall.tiles[1].camera.camera_id == "CAM2"
    wall.toggle_maximised(wall.tiles[0])
    assert wall.decoding == 2
    live_frames(qtbot, wall.tiles[1])
    wall.hide()
    assert wall.decoding == 0 and len(wall.pool) == 0
    wall.show()
    live_frames(qtbot, wall.tiles[0])


def test_nearby_cameras_say_how_far_they_are_and_whether_they_look_at_the_place(qtbot):
    application("en", headless=True)
    registry = CameraRegistry([camera("AWAY", "东侧", lon=LON + 0.0005, heading_deg=90.0, fov_deg=60.0),
                               camera("LOOKS", "西侧", lon=LON - 0.001, heading_deg=90.0, fov_deg=60.0),
                               camera("UNKNOWN", "北侧", lat=LAT + 0.0003)])
    wall = VideoWall(registry, CapturePool(**QUICK))
    qtbot.addWidget(wall)
    sightings = wall.show_cameras_near(LON, LAT)
    notes = {tile.camera.camera_id: tile.note for tile in wall.visible_tiles if tile.camera}
    assert [s.camera.camera_id for s in sightings] == ["LOOKS", "UNKNOWN", "AWAY"]  # seen for sure first
    assert notes == {"LOOKS": f"{sightings[0].distance_m:.0f} m · in view", "UNKNOWN": f"{sightings[1].distance_m:.0f} m",
                     "AWAY": f"{sightings[2].distance_m:.0f} m · facing away"}
    wall.shutdown()


def test_the_console_screenshot_waits_for_the_nearby_cameras_to_play(streaming_city, tmp_path, qapp, monkeypatch):
    from PySide6.QtCore import QSize
    from PySide6.QtGui import QImage

    from console import app
    from console.videodock import VideoDock

    store, near = streaming_city
    waited = []
    original = VideoDock.wait_until_playing

    def recording(dock, deadline):
        waited.append((original(dock, deadline),
                       {tile.camera.camera_id: tile.frames_shown for tile in dock.wall.visible_tiles if tile.worker}))
        return waited[-1][0]

    monkeypatch.setattr(VideoDock, "wait_until_playing", recording)
    out = tmp_path / "dispatch.png"
    app.take_screenshot(store, out, QSize(1366, 768), "en", incident="T-1")
    (played, frames), = waited
    assert played and set(frames) == set(near) and all(count > 0 for count in frames.values())
    assert QImage(str(out)).size() == QSize(1366, 768)


def test_an_incident_selected_before_the_cameras_are_read_shows_them_once_read(store, qtbot, monkeypatch):
    from PySide6.QtCore import QObject, Signal

    from console import videodock

    class MapContract(QObject):  # what the dock uses of MapView: the click signal and highlight()
        featureClicked = Signal(str, str)

        def __init__(self):
            super().__init__()
            self.rings = []

        def highlight(self, layer, ids):
            self.rings.append((layer, list(ids)))

    application("en", headless=True)
    monkeypatch.setattr(videodock._RegistryLoader, "start", lambda loader, store: None)  # the read is slow
    map_view = MapContract()
    dock = videodock.VideoDock(store, map_view)
    qtbot.addWidget(dock)
    incident = store.read_layer("incidents", where="t.ticket_id = ?", params=("T-1",)).geometry.iloc[0]
    assert dock.show_incident("T-1", incident.x, incident.y) == [] and not dock.playing()
    dock._loader.loaded.emit(CameraRegistry.from_store(store))  # ...and done
    expected = nearest_cameras(store, "T-1", videodock.NEARBY_RADIUS_M, videodock.NEARBY_CAMERAS)
    assert [tile.camera.camera_id for tile in dock.wall.visible_tiles if tile.camera] == expected
    assert map_view.rings == [("cameras", expected)] and dock.playing()  # no streams in the tiny city

    failing = videodock.VideoDock(store, MapContract())
    qtbot.addWidget(failing)
    failing._loader.failed.emit("no such table: cameras")
    assert "no such table: cameras" in failing.caption.text() and failing.loaded
    dock.shutdown()
    failing.shutdown()
