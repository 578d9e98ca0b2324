"""The big-screen wall, driven for real (offscreen): its figures are the store's, it keeps personal
data off the page and the widgets, shows new tickets within 2 s, scales with the screen, rotates
its scenes, and renders headless."""

from __future__ import annotations

import json
import shutil
from datetime import UTC, datetime

import geopandas as gpd
import numpy as np
import pytest
import shapely
from PySide6.QtGui import QImage

from console.app import application
from console.cli import main
from console.labels import label
from console.wall import WallWindow, take_wall_screenshot
from console.wall_widgets import unit_for
from data.feeds import Positions
from data.store import Store, StoreError
from data.workflow import TicketEngine, kpis
from data.workflow.clock import ManualClock
from tests.console.tiny_city import SOUTH, TOWNSHIP_W, VILLAGE_H, WEST, run_js

NOW = datetime(2026, 11, 23, 10, 0, tzinfo=UTC)  # two hours after the tiny city's reports
NAME, PHONE, ID_NUMBER = "欧阳明月", "13912345678", "420602199001011234"
ADDRESS = "幸福路88号3单元501室"
RESPONDER_PHONE = "13800001111"


@pytest.fixture
def wall_store(city_path, tmp_path):
    """The tiny city with reporters' personal data, a dispute (a sensitive category) and a campaign."""
    path = tmp_path / "wall.gpkg"
    shutil.copy(city_path, path)
    with Store.open(path) as store:
        with store.transaction() as tx:
            tx.execute("UPDATE tickets SET reporter_name = ?, reporter_phone = ?, reporter_id_number = ?, "
                       "address = ?, description = ?", (NAME, PHONE, ID_NUMBER, ADDRESS, f"{NAME}家门口"))
            tx.execute("UPDATE incidents SET category = 'dispute', grid_code = 'T1V0G0' WHERE ticket_id = 'T-3'")
            tx.execute("UPDATE incidents SET grid_code = 'T0V1G1' WHERE ticket_id != 'T-3'")
            tx.execute("UPDATE responders SET phone = ?", (RESPONDER_PHONE,))
            tx.write_layer("campaigns", gpd.GeoDataFrame(
                {"campaign_id": ["C1"], "name": ["东湖街道环境整治"], "focus": ["environment"],
                 "starts_at": ["2026-11-01T00:00:00Z"], "ends_at": ["2026-12-01T00:00:00Z"]},
                geometry=[shapely.box(WEST, SOUTH, WEST + TOWNSHIP_W, SOUTH + 3 * VILLAGE_H)], crs=4326))
        yield store


@pytest.fixture
def open_wall(qtbot, wall_store):
    windows = []

    def open_(size=(1600, 900), **options):
        application("zh_CN", headless=True)
        window = WallWindow(wall_store, clock=ManualClock(NOW), coverage=False,
                            **{"watch_interval_ms": 200, **options})
        windows.append(window)
        qtbot.addWidget(window)
        window.resize(*size)
        with qtbot.waitSignal(window.ready, timeout=30_000):
            window.show()
        return window

    yield open_
    for window in windows:
        window.shutdown()


def test_the_tiles_show_the_stores_figures(open_wall, wall_store):
    window = open_wall()
    territory = kpis.read_territory(wall_store)
    now = kpis.situation_now(wall_store, NOW)
    assert now["open"] == 3 and now["escalated"] == 1
    assert window.tiles["open"].value.text() == "3"
    assert window.tiles["escalated"].value.text() == "1" and window.tiles["escalated"].tone == "warn"
    assert window.intake_total.text() == str(sum(kpis.intake_by_channel(wall_store, NOW).values())) == "4"
    assert window.channels.texts() == [label("channel", "hotline_12345"), "4"]
    campaign = kpis.active_campaign(wall_store, NOW)
    assert window.campaign_name.text() == campaign["name"] == "东湖街道环境整治"
    serious = kpis.latest_serious_incident(wall_store, NOW, territory)
    assert serious["ticket_id"] == "T-1" and serious["category"] in window.figures.serious["category"]
    assert window.scene_label.text() == "全域"


def test_the_video_quad_shows_the_cameras_nearest_the_latest_serious_incident(open_wall, wall_store, qtbot):
    from video.registry import CameraRegistry

    window = open_wall()
    qtbot.waitUntil(lambda: window.video is not None and window.video.tiles[0].camera is not None, timeout=5_000)
    serious = window.figures.serious
    nearest = CameraRegistry.from_store(wall_store).seeing(serious["camera_lon"], serious["camera_lat"],
                                                           radius_m=800, limit=4)
    shown = [tile.camera.camera_id for tile in window.video.visible_tiles if tile.camera is not None]
    assert shown == [s.camera.camera_id for s in nearest] and len(shown) >= 2
    assert window.video.layout_size == 4 and not window.video.toolbar.isVisible()


def test_no_personal_data_reaches_the_page_or_the_widgets(open_wall, wall_store, qtbot):
    sent: list[str] = []
    application("zh_CN", headless=True)
    window = WallWindow(wall_store, clock=ManualClock(NOW), coverage=False)
    bridge = window.map._bridge  # everything the page gets passes through these signals
    bridge.layerData.connect(lambda name, text: sent.append(text))
    bridge.update.connect(sent.append)
    bridge.call.connect(lambda name, payload: sent.append(payload))
    qtbot.addWidget(window)
    window.resize(1600, 900)
    try:
        with qtbot.waitSignal(window.ready, timeout=30_000):
            window.show()
        window.refresh()
        qtbot.waitSignal(window.figuresShown, timeout=5_000)
        page = run_js(qtbot, window, "[document.body.innerText, Object.values(gridsightMap.pointLayers)"
                                     ".map((layer) => layer._props)]")
        responders = [name for (name,) in wall_store.query("SELECT name FROM responders")]
        everything = "\n".join([*sent, json.dumps(page, ensure_ascii=False), *window.texts()])
        assert "incidents" in "".join(sent) or sent  # the spy saw the data go out
        for secret in (NAME, PHONE, ID_NUMBER, ADDRESS, RESPONDER_PHONE, *responders):
            assert secret not in everything, secret
        assert "队*" in everything  # responders are there, masked

        # The dispute is drawn at its grid's centre, not where it happened.
        grid = kpis.read_territory(wall_store).grids.loc["T1V0G0"]
        drawn = run_js(qtbot, window, 'gridsightMap.point("incidents", "T-3")')
        exact = wall_store.read_layer("incidents", where="ticket_id = 'T-3'").geometry.iloc[0]
        assert (drawn["lng"], drawn["lat"]) == pytest.approx((grid["lon"], grid["lat"]), abs=1e-6)
        assert (drawn["lng"], drawn["lat"]) != pytest.approx((exact.x, exact.y), abs=1e-5)
    finally:
        window.shutdown()


def test_a_new_ticket_shows_within_two_seconds_and_blinks(open_wall, wall_store, qtbot):
    window = open_wall()
    clock = ManualClock(NOW)
    with Store.open(wall_store.path) as seat:
        created = TicketEngine(seat, clock=clock).intake("walk_in", [{
            "record_id": "W1", "category": "hazard", "description": "井盖缺失", "priority": 1,
            "lon": WEST + 0.05, "lat": SOUTH + 0.02, "reported_at": "2026-11-23T17:59:00+08:00",
            "reporter_name": NAME, "reporter_phone": PHONE}], actor="op01", seat="seat2").created
    assert len(created) == 1
    qtbot.waitUntil(lambda: run_js(qtbot, window, f'gridsightMap.point("incidents", "{created[0]}")') is not None,
                    timeout=2_000)
    assert created[0] in run_js(qtbot, window, 'gridsightMap.flashing("incidents")')
    qtbot.waitUntil(lambda: window.tiles["open"].value.text() == "4", timeout=2_000)
    assert window.intake_total.text() == "5"
    qtbot.waitUntil(lambda: window.figures.serious["ticket_id"] == created[0], timeout=2_000)
    # Once in hand (dispatched, not urgent, not late) a ticket leaves the wall's map.
    with Store.open(wall_store.path) as seat:
        TicketEngine(seat, clock=clock).dispatch("T-3", "R0", actor="op01", seat="seat2")
    qtbot.waitUntil(lambda: run_js(qtbot, window, 'gridsightMap.point("incidents", "T-3")') is None, timeout=2_000)
    assert run_js(qtbot, window, 'gridsightMap.point("incidents", "T-1")') is not None  # priority 1 stays


class OneMover:
    """A position feed that moves one responder to a fixed place."""

    def __init__(self, lon: float, lat: float):
        self.lon, self.lat = lon, lat

    def poll(self, now_s: float) -> Positions:
        return Positions(np.array(["R5"]), np.array([self.lon]), np.array([self.lat]))


def test_responders_move_live_on_the_map(open_wall, qtbot):
    window = open_wall(feed=OneMover(WEST + 0.011, SOUTH + 0.012))
    window.show_scene(1)  # closer up, where the responders show
    qtbot.waitUntil(lambda: (run_js(qtbot, window, 'gridsightMap.point("responders", "R5")') or {}).get("lng")
                    == pytest.approx(WEST + 0.011, abs=1e-5), timeout=5_000)
    assert run_js(qtbot, window, 'gridsightMap.point("responders", "R5")')["lat"] == pytest.approx(SOUTH + 0.012,
                                                                                                   abs=1e-5)


def test_a_refresh_with_nothing_new_sends_nothing_to_the_page(open_wall, qtbot):
    window = open_wall()
    calls = []
    window.map._bridge.call.connect(lambda name, payload: calls.append(name))
    texts = window.texts()
    with qtbot.waitSignal(window.figuresShown, timeout=5_000):
        window.refresh()
    assert calls == [] and window.texts() == texts
    assert window.apply_ms[-1] < 200


def test_the_layout_scales_with_the_screen(open_wall, qtbot):
    window = open_wall(size=(1920, 1080))
    small = window.tiles["open"].value.font().pixelSize(), window._left_host.width(), window.map.zoomFactor()
    window.resize(3840, 2160)
    qtbot.waitUntil(lambda: window._left_host.width() > small[1], timeout=5_000)
    big = window.tiles["open"].value.font().pixelSize(), window._left_host.width(), window.map.zoomFactor()
    assert unit_for(1080) == 1 and unit_for(2160) == 2
    assert big[0] == 2 * small[0] and abs(big[1] - 2 * small[1]) <= 1 and (small[2], big[2]) == (1, 2)
    # The map stays in the middle and takes what the side columns leave.
    centre = window.map.mapTo(window, window.map.rect().center()).x()
    assert abs(centre - window.width() / 2) < window.width() * 0.02
    assert window.map.width() > window.width() * 0.45
    # A wide tiled wall gives the extra width to the map, not to the columns.
    window.resize(7680, 2160)
    qtbot.waitUntil(lambda: window.map.width() > 5000, timeout=5_000)
    assert abs(window._left_host.width() - big[1]) <= 1


def test_the_carousel_rotates_the_scenes(open_wall, qtbot):
    window = open_wall(carousel_s=0.4)
    assert [scene.key for scene in window.scenes] == ["city", "township", "campaign"]
    seen = []
    window.sceneChanged.connect(seen.append)
    qtbot.waitUntil(lambda: seen[:3] == ["township", "campaign", "city"], timeout=5_000)
    window._carousel.stop()
    window.show_scene(2)
    assert window.scene_label.text() == "专项行动：东湖街道环境整治"
    qtbot.waitUntil(lambda: (run_js(qtbot, window, "gridsightMap.fill()") or {}).get("title")
                    == window.indicator_title("open"), timeout=5_000)
    window.show_scene(0)  # the whole territory: townships filled, the responders' carpet off
    qtbot.waitUntil(lambda: (run_js(qtbot, window, "gridsightMap.fill()") or {}).get("level") == 1, timeout=5_000)
    assert not run_js(qtbot, window, "gridsightMap.map.hasLayer(gridsightMap.pointLayers.responders)")
    window.show_scene(1)
    qtbot.waitUntil(lambda: run_js(qtbot, window, "gridsightMap.map.hasLayer(gridsightMap.pointLayers.responders)"),
                    timeout=5_000)
    assert "campaign" in run_js(qtbot, window, "gridsightMap.extraOverlayTitles()")


@pytest.mark.parametrize("indicator", ["per_1000_households", "overdue_rate"])
def test_the_territory_is_filled_by_the_chosen_indicator(open_wall, qtbot, indicator, wall_store):
    window = open_wall(indicator=indicator)
    qtbot.waitUntil(lambda: (run_js(qtbot, window, "gridsightMap.fill()") or {}).get("title")
                    == window.indicator_title(indicator, 1), timeout=5_000)
    expected = kpis.grid_indicators(wall_store, NOW, kpis.read_territory(wall_store), level=1)[indicator].dropna()
    fill = run_js(qtbot, window, "gridsightMap.fill()")
    assert fill["level"] == 1 and set(fill["colorOf"]) == set(expected.index)


def test_headless_screenshot(wall_store, tmp_path):
    out = tmp_path / "wall.png"
    take_wall_screenshot(wall_store, out, QImage(1280, 720, QImage.Format.Format_RGB32).size(), "zh_CN",
                         clock=ManualClock(NOW))
    image = QImage(str(out))
    assert (image.width(), image.height()) == (1280, 720)


def test_a_store_that_cannot_be_read_is_said_on_the_wall(qtbot, wall_store, monkeypatch):
    import console.wall

    def broken(store):
        raise StoreError("database disk image is malformed")

    monkeypatch.setattr(console.wall, "read_territory", broken)
    application("zh_CN", headless=True)
    window = WallWindow(wall_store, clock=ManualClock(NOW), coverage=False)
    qtbot.addWidget(window)
    try:
        with qtbot.waitSignal(window.loadFailed, timeout=10_000) as failure:
            window.show()
        assert failure.args == ["database disk image is malformed"]
        assert "database disk image is malformed" in window.scene_label.text()
    finally:
        window.shutdown()


def test_cli_errors_are_one_line(wall_store, capsys):
    assert main(["wall", "--db", str(wall_store.path), "--resolution", "huge"]) == 2
    assert capsys.readouterr().err.strip() == "gridsight: --resolution must look like 3840x2160, got 'huge'"
    assert main(["wall", "--db", str(wall_store.path), "--carousel", "-1"]) == 2
    assert "--carousel" in capsys.readouterr().err
