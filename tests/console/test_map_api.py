"""The map's API for the other windows (MapView contract in the shared brief): each test asks the
page what it drew, through runJavaScript."""

from __future__ import annotations

import gc
import json
import sys
import time

import pytest
import shapely
from PySide6.QtCore import QObject, QPoint, Qt, Signal, Slot
from PySide6.QtTest import QTest
from PySide6.QtWebEngineCore import QWebEngineScript

from console import cli
from console.app import application
from console import mapview as mapview_module
from data import coveragemap
from data.coveragemap import coverage_parts, overlay_parts
from console.mapview import (
    MAP_LAYERS,
    MINOR_ROAD_CLASSES,
    MapView,
    _display_frame,
    _geojson_text,
    open_incidents,
    read_map_data,
)
from data.store import Store, StoreError
from data.workflow.engine import TicketEngine
from tests.console.tiny_city import CAMERAS, LAYER_COUNTS, run_js, run_js_until


def js(qtbot, window, script: str):
    return run_js(qtbot, window, script)


def wait_for_page(qtbot, window, script: str, expected, timeout: int = 5_000) -> None:
    qtbot.waitUntil(lambda: js(qtbot, window, script) == expected, timeout=timeout)


def zoom_to(qtbot, window, zoom: float) -> None:
    js(qtbot, window, f"(gridsightMap.showTerritory(), gridsightMap.map.setZoom({zoom}, {{animate: false}}), 0)")


class Probe(QObject):
    """An extra channel object, as the grid editor registers its own."""

    pinged = Signal(str)

    @Slot(str)
    def ping(self, text: str) -> None:
        self.pinged.emit(text)


class Holder:
    """Something run_js can ask: it wants `.map`."""

    def __init__(self, view: MapView):
        self.map = view


def test_mode_extensions_and_extra_channel_objects(qtbot, store):
    application("zh_CN", headless=True)
    probe = Probe()
    view = MapView(mode="wall", channel_objects={"probe": probe})
    qtbot.addWidget(view)
    # What an extension script (editor.js) does: register a hook before the channel is up.
    hook = QWebEngineScript()
    hook.setInjectionPoint(QWebEngineScript.InjectionPoint.DocumentCreation)
    hook.setWorldId(QWebEngineScript.ScriptWorldId.MainWorld)
    hook.setSourceCode("window.gridsightExtensions = [(map, objects, api) => {"
                       " objects.probe.ping(`${typeof map.getZoom}:${typeof api.commands.fill}`); }];")
    view.page().scripts().insert(hook)
    view.reload()
    view.resize(800, 600)
    with qtbot.waitSignal(probe.pinged, timeout=20_000) as pinged:
        view.show()
    assert pinged.args == ["function:function"]
    with qtbot.waitSignal(view.layersDrawn, timeout=20_000) as drawn:
        view.show_data(read_map_data(store, layers=["grids", "cameras"]))
    assert drawn.args[0] == {"grids": LAYER_COUNTS["grids"], "cameras": CAMERAS}
    page = Holder(view)
    assert js(qtbot, page, "[...document.body.classList]") == ["mode-wall"]
    assert js(qtbot, page, "gridsightMap.mode") == "wall"


def test_read_map_data_reads_only_the_layers_asked_for(store):
    data = read_map_data(store, layers=["cameras", "grids"])
    assert list(data.layers) == ["grids", "cameras"]  # drawing order, not the caller's
    assert list(data.point_ids) == ["cameras"] and data.incidents.empty
    assert list(read_map_data(store).layers) == list(MAP_LAYERS)
    with pytest.raises(ValueError, match="unknown map layers: nope"):
        read_map_data(store, layers=["grids", "nope"])


def test_unknown_mode_is_refused(qtbot):
    application("zh_CN", headless=True)
    with pytest.raises(ValueError, match="unknown map mode 'kiosk'"):
        MapView(mode="kiosk")


def test_a_right_click_asks_for_the_place(open_window, qtbot):
    window, _ = open_window()
    assert js(qtbot, window, "gridsightMap.mode") == "dispatch"
    target = QPoint(320, 240)
    where = js(qtbot, window, f"gridsightMap.map.containerPointToLatLng([{target.x()}, {target.y()}])")
    with qtbot.waitSignal(window.map.contextRequested, timeout=5_000) as asked:
        QTest.mouseClick(window.map.focusProxy(), Qt.MouseButton.RightButton, pos=target)
    assert asked.args == pytest.approx([where["lng"], where["lat"]], abs=1e-6)


def test_focus_centres_the_map_and_drops_a_pin(open_window, qtbot):
    window, _ = open_window()
    zoom_to(qtbot, window, 12)
    window.map.focus(114.05, 30.56)
    wait_for_page(qtbot, window, "gridsightMap.focusPin()", {"lat": 30.56, "lng": 114.05})
    assert js(qtbot, window, "gridsightMap.map.getZoom()") == 16  # at least street level
    centre = js(qtbot, window, "gridsightMap.map.getCenter()")
    assert (centre["lng"], centre["lat"]) == pytest.approx((114.05, 30.56), abs=1e-6)
    window.map.focus(114.06, 30.57, zoom=13.5)
    wait_for_page(qtbot, window, "gridsightMap.map.getZoom()", 13.5)


# A pixel of what the page shows of the point layers (pointCanvas.canvas: the points; .marks: rings, halos).
RING_PIXEL = """(() => {
  const layer = gridsightMap.pointLayers[%(layer)r];
  const p = layer.point(%(id)r);
  const box = gridsightMap.pointCanvas.marks.getBoundingClientRect();
  const at = gridsightMap.map.latLngToContainerPoint([p.lat, p.lng]);
  const mapBox = gridsightMap.map.getContainer().getBoundingClientRect();
  const ratio = window.devicePixelRatio || 1;
  const x = Math.round((at.x + mapBox.left - box.left + p.style.radius + %(dx)s) * ratio);
  const y = Math.round((at.y + mapBox.top - box.top) * ratio);
  return [...gridsightMap.pointCanvas.marks.getContext('2d').getImageData(x, y, 1, 1).data];
})()"""


def test_highlight_rings_points_and_replaces_the_last_highlight(open_window, qtbot):
    window, _ = open_window()
    zoom_to(qtbot, window, 16)
    window.map.highlight("cameras", ["C1", "C2", "not-a-camera"])
    wait_for_page(qtbot, window, "gridsightMap.highlighted('cameras')", ["C1", "C2"])
    js(qtbot, window, "(gridsightMap.map.setView([gridsightMap.point('cameras', 'C1').lat,"
                      " gridsightMap.point('cameras', 'C1').lng], 16, {animate: false}), 0)")
    ring = {"layer": "cameras", "id": "C1", "dx": 4}  # the ring: radius + 5, 2.5 px wide
    qtbot.waitUntil(lambda: js(qtbot, window, RING_PIXEL % ring)[:3] == pytest.approx([0x34, 0xe2, 0xff], abs=16),
                    timeout=3_000)
    window.map.highlight("cameras", ["C3"])
    wait_for_page(qtbot, window, "gridsightMap.highlighted('cameras')", ["C3"])
    # C1's ring is gone once the marks are drawn again (a frame or two later).
    qtbot.waitUntil(lambda: js(qtbot, window, RING_PIXEL % ring)[3] == 0, timeout=3_000)
    window.map.highlight("cameras", [])
    wait_for_page(qtbot, window, "gridsightMap.highlighted('cameras')", [])


def test_highlighted_cameras_show_even_inside_a_cluster(open_window, qtbot):
    window, _ = open_window()
    zoom_to(qtbot, window, 11)
    assert js(qtbot, window, "gridsightMap.clusters('cameras').groups.length") > 0
    window.map.highlight("cameras", ["C5"])
    wait_for_page(qtbot, window, "gridsightMap.highlighted('cameras')", ["C5"])
    qtbot.waitUntil(lambda: js(qtbot, window, RING_PIXEL % {"layer": "cameras", "id": "C5", "dx": -2.5})[3] > 0,
                    timeout=3_000)  # the camera's own dot, on the marks canvas over its cluster


def test_flash_blinks_without_redrawing_the_layer_and_stops(open_window, qtbot):
    window, _ = open_window()
    wait_for_page(qtbot, window, "gridsightMap.pointCanvas.drawn()", True)  # no drawing of the layer still due
    js(qtbot, window, "(window.layerDraws = 0, window.haloSeen = new Set(), (() => {"
                      " const layer = gridsightMap.pointLayers.incidents;"
                      " const begin = layer._begin; layer._begin = function () { window.layerDraws += 1; begin.call(this); };"
                      " })(), 0)")
    window.map.flash("incidents", ["T-3", "T-4"], seconds=1.5)  # T-4 is closed: not on the map
    wait_for_page(qtbot, window, "gridsightMap.flashing('incidents')", ["T-3"])
    seen = set()
    for _ in range(12):  # the halo goes on and off at the blink rate
        seen.add(js(qtbot, window, RING_PIXEL % {"layer": "incidents", "id": "T-3", "dx": 8})[3] > 0)
        qtbot.wait(150)
    assert seen == {True, False}
    wait_for_page(qtbot, window, "gridsightMap.flashing('incidents')", [], timeout=3_000)
    assert js(qtbot, window, "window.layerDraws") == 0  # only the small marks canvas was redrawn


def test_rings_and_halos_of_every_layer_go_straight_into_the_one_marks_canvas(open_window, qtbot):
    """A canvas of marks per layer cost a full-screen allocation each, and the garbage collection
    it prompted, the first time anything was ringed: the live map's longest page stall. The one
    marks canvas is sized with the points' canvas, so the first ring allocates no canvas at all."""
    window, _ = open_window()
    zoom_to(qtbot, window, 16)
    js(qtbot, window, "(gridsightMap.map.setView([gridsightMap.point('cameras', 'C1').lat,"
                      " gridsightMap.point('cameras', 'C1').lng], 16, {animate: false}), 0)")
    wait_for_page(qtbot, window, "gridsightMap.pointCanvas.drawn()", True)
    js(qtbot, window, "(window.resizedCanvases = [], (() => {"
                      " const width = Object.getOwnPropertyDescriptor(HTMLCanvasElement.prototype, 'width');"
                      " Object.defineProperty(HTMLCanvasElement.prototype, 'width', {configurable: true, get: width.get,"
                      "  set(value) { window.resizedCanvases.push(this); width.set.call(this, value); }});"
                      " })(), 0)")
    window.map.highlight("cameras", ["C1"])
    window.map.flash("incidents", ["T-3"], seconds=30)
    ring = {"layer": "cameras", "id": "C1", "dx": 4}
    qtbot.waitUntil(lambda: js(qtbot, window, RING_PIXEL % ring)[:3] == pytest.approx([0x34, 0xe2, 0xff], abs=16),
                    timeout=3_000)
    wait_for_page(qtbot, window, "gridsightMap.flashing('incidents')", ["T-3"])
    wait_for_page(qtbot, window, "gridsightMap.pointCanvas.drawn()", True)
    assert js(qtbot, window, "window.resizedCanvases.length") == 0  # the marks' canvas had the points' size already


def test_the_page_can_collect_what_loading_left_once_drawn(open_window, qtbot):
    """PAGE_JS_FLAGS reach V8 (quoted, both of them): `gc` is there for map.js's onFinish."""
    window, _ = open_window()
    assert js(qtbot, window, "typeof gc") == "function"


def test_cameras_cluster_when_zoomed_out_and_split_when_zoomed_in(open_window, qtbot):
    window, _ = open_window()
    zoom_to(qtbot, window, 11)
    clusters = js(qtbot, window, "gridsightMap.clusters('cameras')")
    assert clusters["groups"] and all(g["count"] > 1 for g in clusters["groups"])
    assert sum(g["count"] for g in clusters["groups"]) + clusters["singles"] == CAMERAS
    # Fewer, bigger clusters further out; none at street level.
    zoom_to(qtbot, window, 10)
    assert len(js(qtbot, window, "gridsightMap.clusters('cameras').groups")) < len(clusters["groups"])
    zoom_to(qtbot, window, 16)
    assert js(qtbot, window, "gridsightMap.clusters('cameras')") == {"groups": [], "singles": 0}


def test_fill_grids_colours_by_class_with_a_legend_and_clears(open_window, qtbot):
    window, _ = open_window()
    window.map.fill_grids({"T0V0G0": 1, "T0V0G1": 2, "T1V1G2": 9, "T2V2G3": 30, "no-such-grid": 4}, "Load")
    wait_for_page(qtbot, window, "gridsightMap.fill() && gridsightMap.fill().title", "Load")
    fill = js(qtbot, window, "gridsightMap.fill()")
    assert fill["level"] == 3 and sorted(fill["colorOf"]) == ["T0V0G0", "T0V0G1", "T1V1G2", "T2V2G3"]
    colours = [fill["colorOf"][code] for code in ("T0V0G0", "T0V0G1", "T1V1G2", "T2V2G3")]
    assert len(set(colours)) == 4 and colours[-1] == "#fcc25a"  # the busiest is the brightest
    assert fill["legend"].split("\n")[0] == "Load" and "30" in fill["legend"]
    assert js(qtbot, window, "gridsightMap.extraOverlayTitles().gridFill") == "Load"
    # Townships instead: one level, one replacement.
    window.map.fill_grids({"T0": 0.5, "T1": 0.25}, "Rate", level=1)
    wait_for_page(qtbot, window, "Object.keys(gridsightMap.fill().colorOf).sort()", ["T0", "T1"])
    window.map.fill_grids({}, "")
    wait_for_page(qtbot, window, "gridsightMap.fill()", None)
    assert js(qtbot, window, "document.querySelector('.map-legend')") is None
    assert "gridFill" not in js(qtbot, window, "gridsightMap.extraOverlayTitles()")


def test_a_new_fill_of_the_same_level_restyles_the_grids_outlines_instead_of_reading_them_again(
        open_window, qtbot):
    """The console refills the grids whenever the open tickets per grid change: building the fill
    from the features each time cost the city's page 10-25 ms."""
    window, _ = open_window()
    built = js(qtbot, window, "gridsightMap.geometriesBuilt()")
    assert isinstance(built, int)
    window.map.fill_grids({"T0V0G0": 1, "T0V0G1": 2}, "Load")
    wait_for_page(qtbot, window, "gridsightMap.fill() && Object.keys(gridsightMap.fill().colorOf).sort()",
                  ["T0V0G0", "T0V0G1"])
    window.map.fill_grids({"T0V0G1": 3, "T1V1G2": 1, "T2V2G3": 7}, "Load")
    wait_for_page(qtbot, window, "Object.keys(gridsightMap.fill().colorOf).sort()", ["T0V0G1", "T1V1G2", "T2V2G3"])
    assert js(qtbot, window, "gridsightMap.geometriesBuilt()") == built  # both share the outlines' coordinates
    assert sorted(p["code"] for p in js(qtbot, window, "gridsightMap.extraOverlayProperties('gridFill')")) == [
        "T0V0G1", "T1V1G2", "T2V2G3"]
    assert "7" in js(qtbot, window, "gridsightMap.fill().legend")
    # Switched off and on in the layer control, the legend shows the new classes.
    toggle = ("(() => { const box = [...document.querySelectorAll('.leaflet-control-layers-overlays label')]"
              ".find((label) => label.innerText.trim() === 'Load').querySelector('input');"
              " box.click(); const off = document.querySelector('.map-legend');"
              " box.click(); return [off === null, document.querySelector('.map-legend').innerText]; })()")
    off, legend = js(qtbot, window, toggle)
    assert off and "7" in legend and legend.split("\n")[0] == "Load"


def test_the_shapes_show_only_once_their_drawing_is_complete(open_window, qtbot):
    """A drawing that takes several frames goes into a hidden canvas while the last one stays on
    screen: a shown canvas is copied for the compositor at every frame it changes."""
    window, _ = open_window()
    lines = [{"type": "Feature", "properties": {}, "geometry": {"type": "LineString", "coordinates": [
        [114.0 + 0.12 * k / 1500, 30.51 + 0.01 * n + 0.002 * (k % 2)] for k in range(1500)]}}
        for n in range(6)]  # a part each (SHAPE_PART_VERTICES)
    window.map.show_overlay("long", json.dumps({"type": "FeatureCollection", "features": lines}), "Long")
    wait_for_page(qtbot, window, "gridsightMap.extraOverlayFeatures('long') && gridsightMap.shapeCanvas.drawn()", True)
    frames = js(qtbot, window, """(() => {
      const shapes = gridsightMap.shapeCanvas;
      const shown = () => [...document.querySelectorAll('canvas.shape-cloud')].filter((c) => c.style.display !== 'none');
      const before = shapes.canvas;
      shapes.redraw();
      const frames = [];
      for (let i = 0; i < 100 && (i < 2 || shapes.job); i += 1) {
        shapes._draw(performance.now() - 1000); // an old frame: one part each
        frames.push({ drawing: shapes.job !== null, shown: shown().length, same: shown()[0] === before });
      }
      return { frames, swapped: shapes.canvas !== before && shown().length === 1 && shown()[0] === shapes.canvas };
    })()""")
    partial = [frame for frame in frames["frames"] if frame["drawing"]]
    assert len(partial) >= 3
    assert all(frame["shown"] == 1 and frame["same"] for frame in partial)  # the last drawing, whole
    assert frames["swapped"]


def test_after_a_zoom_the_last_drawings_show_scaled_in_place_until_the_new_ones_replace_them(open_window, qtbot):
    """As map tiles do while new ones load: neither blank nor at the old zoom's scale."""
    window, _ = open_window()
    wait_for_page(qtbot, window, "gridsightMap.shapeCanvas.drawn() && gridsightMap.pointCanvas.drawn()", True)
    kept = js(qtbot, window, """(() => {
      const { map, shapeCanvas, pointCanvas } = gridsightMap;
      const corner = (view) => map.unproject([view.ox, view.oy], view.zoom); // a drawing's top-left
      const corners = [corner(shapeCanvas.shownView), corner(pointCanvas.canvasView)];
      map.setZoom(map.getZoom() + 1, { animate: false });
      const frame = map.getContainer().getBoundingClientRect();
      return [shapeCanvas.canvas, pointCanvas.canvas].map((canvas, k) => {
        const box = canvas.getBoundingClientRect();
        const p = map.latLngToContainerPoint(corners[k]);
        return [box.left - frame.left - p.x, box.top - frame.top - p.y, box.width / canvas.width];
      }).concat([shapeCanvas.drawn()]);
    })()""")
    *canvases, drawn = kept
    assert not drawn  # the new drawing is still to come
    for dx, dy, scale in canvases:
        assert abs(dx) <= 1 and abs(dy) <= 1 and scale == pytest.approx(2)
    wait_for_page(qtbot, window, "gridsightMap.shapeCanvas.drawn() && gridsightMap.pointCanvas.drawn()", True)
    assert js(qtbot, window, "[gridsightMap.shapeCanvas.canvas, gridsightMap.pointCanvas.canvas]"
                             ".map((c) => c.getBoundingClientRect().width / c.width)") == [1, 1]


def test_overlays_join_the_layer_control_are_replaced_by_name_and_removed(open_window, qtbot):
    window, _ = open_window()
    line = {"type": "Feature", "properties": {"style": {"color": "#ff0000"}},
            "geometry": {"type": "LineString", "coordinates": [[114.01, 30.51], [114.05, 30.55]]}}
    area = {"type": "Feature", "properties": {},
            "geometry": {"type": "Polygon", "coordinates": [[[114.0, 30.5], [114.02, 30.5], [114.02, 30.52],
                                                             [114.0, 30.5]]]}}
    window.map.show_overlay("campaign", json.dumps({"type": "FeatureCollection", "features": [line, area]}), "专项行动")
    wait_for_page(qtbot, window, "gridsightMap.extraOverlayFeatures('campaign')", 2)
    assert "专项行动" in js(qtbot, window, "[...document.querySelectorAll('.leaflet-control-layers-overlays label')]"
                                           ".map((l) => l.textContent.trim())")
    assert js(qtbot, window, "gridsightMap.map.hasLayer(gridsightMap.pointLayers.cameras)") is True
    window.map.show_overlay("campaign", json.dumps({"type": "FeatureCollection", "features": [area]}), "专项行动")
    wait_for_page(qtbot, window, "gridsightMap.extraOverlayFeatures('campaign')", 1)
    window.map.show_overlay("campaign", "", "")
    wait_for_page(qtbot, window, "gridsightMap.extraOverlayFeatures('campaign')", None)
    assert "专项行动" not in js(qtbot, window, "document.querySelector('.leaflet-control-layers').innerText")


def square(lon: float, lat: float, properties: dict) -> dict:
    """A 5-vertex polygon feature."""
    ring = [[lon, lat], [lon + 0.01, lat], [lon + 0.01, lat + 0.01], [lon, lat + 0.01], [lon, lat]]
    return {"type": "Feature", "properties": properties, "geometry": {"type": "Polygon", "coordinates": [ring]}}


def test_overlay_parts_keep_every_feature_in_order_within_the_vertex_budget():
    features = [square(114.0 + 0.01 * k, 30.5, {"k": k}) for k in range(7)]
    parts = [json.loads(text) for text in overlay_parts({"type": "FeatureCollection", "features": features},
                                                       max_vertices=12)]
    assert [[f["properties"]["k"] for f in part["features"]] for part in parts] == [[0, 1], [2, 3], [4, 5], [6]]
    assert all(part["type"] == "FeatureCollection" for part in parts)
    # A feature over the budget is a part of its own; nothing at all is no part.
    assert len(overlay_parts({"type": "FeatureCollection", "features": features[:2]}, max_vertices=3)) == 2
    assert overlay_parts({"type": "FeatureCollection", "features": []}) == []


def test_an_overlay_in_parts_goes_a_part_at_a_time_and_shows_once_all_are_in(open_window, qtbot):
    window, _ = open_window()
    features = [square(114.0 + 0.01 * k, 30.5, {"k": k}) for k in range(5)]
    parts = overlay_parts({"type": "FeatureCollection", "features": features}, max_vertices=10)
    assert len(parts) == 3
    sent = []
    window.map._bridge.call.connect(lambda command, payload: sent.append((time.perf_counter(), json.loads(payload))))
    window.map.show_overlay("bands", parts, "Bands")
    window.map.highlight("cameras", ["C0"])  # given meanwhile, not an overlay: goes at once
    window.map.show_overlay("bands", [], "")  # an overlay given meanwhile waits its turn
    assert [message.get("part") for _, message in sent] == [0, None]
    assert sent[1][1] == {"layer": "cameras", "ids": ["C0"]}
    qtbot.waitUntil(lambda: len(sent) == 5, timeout=5_000)
    assert [message.get("part") for _, message in sent] == [0, None, 1, 2, None]
    assert sent[-1][1] == {"name": "bands", "title": "", "parts": 0}
    wait_for_page(qtbot, window, "gridsightMap.extraOverlayFeatures('bands')", None)  # removed, as given last
    window.map.show_overlay("bands", parts, "Bands")
    wait_for_page(qtbot, window, "gridsightMap.extraOverlayFeatures('bands')", 5)
    paced = [(when, message) for when, message in sent[5:] if "part" in message]
    gaps_ms = [1000 * (b[0] - a[0]) for a, b in zip(paced, paced[1:])]
    assert min(gaps_ms) >= 0.8 * mapview_module.OVERLAY_PART_INTERVAL_MS
    assert [p["k"] for p in js(qtbot, window, "gridsightMap.extraOverlayProperties('bands')")] == [0, 1, 2, 3, 4]
    # Replaced by a smaller one in one part, then removed.
    window.map.show_overlay("bands", parts[:1], "Bands")
    wait_for_page(qtbot, window, "gridsightMap.extraOverlayFeatures('bands')", 2)
    window.map.show_overlay("bands", [], "")
    wait_for_page(qtbot, window, "gridsightMap.extraOverlayFeatures('bands')", None)


def test_heat_layer_from_local_leaflet_heat(open_window, qtbot):
    window, _ = open_window()
    window.map.show_heat([(114.02, 30.52, 1.0), (114.03, 30.53, 3.0), (114.07, 30.56, 2.0)])
    wait_for_page(qtbot, window, "gridsightMap.heatPoints()", 3)
    assert js(qtbot, window, "gridsightMap.extraOverlayTitles().heat") == "事件热力"
    window.map.show_heat([])
    wait_for_page(qtbot, window, "gridsightMap.heatPoints()", 0)


def test_once_a_map_is_drawn_full_collections_leave_the_loaded_objects_out(open_window):
    open_window()
    assert gc.get_freeze_count() > 0  # settle_heap: the objects start-up made are frozen


def test_commands_given_before_the_map_is_drawn_wait_for_it(qtbot, store):
    application("zh_CN", headless=True)
    view = MapView()
    qtbot.addWidget(view)
    view.highlight("cameras", ["C7"])
    view.fill_grids({"T0": 1}, "Early", level=1)
    view.resize(800, 600)
    view.show()
    with qtbot.waitSignal(view.layersDrawn, timeout=20_000):
        view.show_data(read_map_data(store))
    page = Holder(view)
    wait_for_page(qtbot, page, "gridsightMap.highlighted('cameras')", ["C7"])
    assert js(qtbot, page, "gridsightMap.fill().title") == "Early"


def test_patrol_routes_are_dashed_lines_in_their_own_layer(open_window, qtbot):
    window, counts = open_window()
    assert counts["patrol_routes"] == 2
    styles = js(qtbot, window, f"gridsightMap.shapeStyles({json.dumps(window.map._titles()['patrol_routes'])})")
    assert [(style["dashArray"], style["area"]) for style in styles] == [("8 6", False)]  # lines, dashed


@pytest.fixture
def staffed_city(city_copy):
    """The tiny city with its police on duty and its incidents in their grids."""
    path = city_copy("staffed.gpkg",
                     "UPDATE responders SET status = 'on_duty' WHERE kind = 'police'",
                     "UPDATE incidents SET grid_code = 'T0V0G0' WHERE ticket_id IN ('T-1', 'T-2')",
                     "UPDATE incidents SET grid_code = 'T1V1G1' WHERE ticket_id = 'T-3'")
    with Store.open(path) as store:
        yield store


def test_console_fills_grids_by_open_tickets_and_shows_police_coverage(open_window, qtbot, staffed_city):
    window, _ = open_window(on=staffed_city)
    wait_for_page(qtbot, window, "gridsightMap.fill() && Object.keys(gridsightMap.fill().colorOf).sort()",
                  ["T0V0G0", "T1V1G1"])
    assert js(qtbot, window, "gridsightMap.fill().title") == "网格未办结工单"
    # Computed off the UI thread once the map is drawn; three bands, the 5-minute one first.
    qtbot.waitUntil(lambda: (js(qtbot, window, "gridsightMap.extraOverlayFeatures('coverage')") or 0) >= 3,
                    timeout=30_000)
    areas = js(qtbot, window, "gridsightMap.extraOverlayProperties('coverage')")
    bands = list(dict.fromkeys((area["minutes"], area["reached_share"]) for area in areas))
    assert [m for m, _ in bands] == [5, 3, 1]
    assert bands[0][1] > bands[1][1] > bands[2][1] > 0  # a longer time reaches more


def band_units(parts: list[str]) -> set[int]:
    return {feature["properties"]["units"] for part in parts for feature in json.loads(part)["features"]}


def test_coverage_is_capped_to_the_first_units(staffed_city):
    police = staffed_city.read_layer("responders").query("kind == 'police'")
    assert len(police) > 3
    units = {cap: band_units(coverage_parts(staffed_city, max_units=cap)) for cap in (3, 100)}
    (capped,), (all_units,) = units[3], units[100]  # every band searched from the same units
    assert 0 < capped <= 3 < all_units  # units off the road network do not count


@pytest.fixture
def counted_coverage(monkeypatch):
    """How many times the bands were computed (rather than read back from the store)."""
    computed = []
    compute = coveragemap._coverage_bands
    monkeypatch.setattr(coveragemap, "_coverage_bands", lambda *args: (computed.append(args), compute(*args))[1])
    return computed


def test_coverage_is_kept_in_the_store_until_its_police_or_roads_change(staffed_city, counted_coverage):
    first = coverage_parts(staffed_city)
    assert first and len(counted_coverage) == 1
    with Store.open(staffed_city.path) as next_start:  # a later start (or another seat) reads it back
        assert coverage_parts(next_start) == first
    assert len(counted_coverage) == 1
    unit = staffed_city.read_layer("responders").query("kind == 'police'")["responder_id"].iloc[0]
    with staffed_city.transaction() as tx:
        tx.execute("UPDATE responders SET status = 'busy' WHERE responder_id = ?", (unit,))
    coverage_parts(staffed_city)
    assert len(counted_coverage) == 2  # one unit fewer on duty
    road = staffed_city.read_layer("roads").head(1).drop(columns="fid")
    staffed_city.write_layer("roads", road.set_geometry(road.geometry.translate(0.001, 0.001)))  # a new street
    coverage_parts(staffed_city)
    assert len(counted_coverage) == 3  # another road network
    coverage_parts(staffed_city)
    assert len(counted_coverage) == 3


def test_a_grid_import_keeps_the_coverage_for_the_consoles_next_start(staffed_city, counted_coverage, tmp_path, capsys):
    exported = tmp_path / "grids.geojson"
    assert cli.main(["grids", "export", "--db", str(staffed_city.path), "--out", str(exported)]) == 0
    assert cli.main(["grids", "import", str(exported), "--db", str(staffed_city.path)]) == 0
    assert "police coverage computed" in capsys.readouterr().out
    assert len(counted_coverage) == 1
    with Store.open(staffed_city.path) as next_start:
        assert band_units(coverage_parts(next_start))
    assert len(counted_coverage) == 1  # read back, not computed again


def test_coverage_a_store_cannot_keep_is_still_shown(staffed_city, counted_coverage, monkeypatch, caplog):
    def refuse(*_):
        raise StoreError("attempt to write a readonly database")

    monkeypatch.setattr(Store, "keep", refuse)
    parts = coverage_parts(staffed_city)
    assert parts and band_units(parts)
    assert "not kept in the store: attempt to write a readonly database" in caplog.text
    assert coverage_parts(staffed_city) == parts and len(counted_coverage) == 2  # computed again each time


def test_coverage_goes_to_the_page_cut_into_cells():
    ring = shapely.Point(114.05, 30.55).buffer(0.07).exterior
    area = shapely.Polygon(ring, holes=[shapely.Point(114.05, 30.55).buffer(0.01).exterior.coords[::-1]])
    pieces = coveragemap._cut_into_cells(area, 0.05)
    assert len(pieces) >= 9  # a 0.14-degree area over 0.05-degree cells
    assert all(shapely.get_type_id(p) == shapely.GeometryType.POLYGON for p in pieces)
    widths = [p.bounds[2] - p.bounds[0] for p in pieces]
    assert max(widths) <= 0.05 + 1e-9
    assert sum(p.area for p in pieces) == pytest.approx(area.area, rel=1e-4)  # nothing lost, nothing twice
    assert coveragemap._cut_into_cells(shapely.Polygon(), 0.05) == []


def test_clicking_a_responder_or_camera_tells_its_name_kind_and_status(open_window, qtbot):
    window, _ = open_window()
    js(qtbot, window, "(gridsightMap.pointLayers.incidents.remove(), 0)")  # nothing else to hit
    for layer, point_id, expected in (("responders", "R0", "队员0\n网格员 · 在岗"),
                                      ("cameras", "C0", "摄像头0\n一类（公安） · 在线")):
        others = [name for name in ("responders", "cameras") if name != layer]
        js(qtbot, window, f"(gridsightMap.map.removeLayer(gridsightMap.pointLayers.{others[0]}),"
                          f" gridsightMap.map.addLayer(gridsightMap.pointLayers.{layer}), 0)")
        js(qtbot, window, f"(gridsightMap.map.setView([gridsightMap.point('{layer}', '{point_id}').lat,"
                          f" gridsightMap.point('{layer}', '{point_id}').lng], 17, {{animate: false}}), 0)")
        at = js(qtbot, window, f"gridsightMap.map.latLngToContainerPoint([gridsightMap.point('{layer}', '{point_id}').lat,"
                               f" gridsightMap.point('{layer}', '{point_id}').lng])")
        with qtbot.waitSignal(window.map.featureClicked, timeout=5_000) as clicked:
            QTest.mouseClick(window.map.focusProxy(), Qt.MouseButton.LeftButton, pos=QPoint(round(at["x"]), round(at["y"])))
        assert clicked.args == [layer, point_id]
        wait_for_page(qtbot, window, "gridsightMap.popupText()", expected)


def test_minor_roads_show_only_when_zoomed_in(open_window, qtbot):
    window, _ = open_window("en")
    zoom_to(qtbot, window, 10)  # the whole tiny city in view
    drawn = "gridsightMap.shapeCanvas.drawn() && gridsightMap.drawnShapes().Roads"  # once the frames have drawn it all
    major = 2 * 12  # expressway and arterial: 6 + 6 pieces each
    wait_for_page(qtbot, window, drawn, major)
    zoom_to(qtbot, window, 13)
    qtbot.waitUntil(lambda: (js(qtbot, window, drawn) or 0) > major, timeout=3_000)


def add_police(qtbot, window, count: int, per_row: int, step: tuple[float, float]) -> None:
    """`count` more police units X0, X1, … on the map in rows from the tiny city's south-west corner."""
    extra = [{"type": "Feature", "geometry": {"type": "Point", "coordinates": [114.002 + (i % per_row) * step[0],
                                                                             30.502 + (i // per_row) * step[1]]},
              "properties": {"responder_id": f"X{i}", "kind": "police", "status": "on_duty"}} for i in range(count)]
    before = js(qtbot, window, "gridsightMap.visiblePointCounts().responders")
    window.map.update_layers(added={"responders": extra})
    wait_for_page(qtbot, window, "gridsightMap.visiblePointCounts().responders", before + count)


COUNT_PROJECTIONS = """(() => {
  const layer = gridsightMap.pointLayers.responders;
  window.projections = { begin: [], step: [] };
  let count = 0;
  const project = layer._project;
  layer._project = function (...args) { count += 1; return project.apply(this, args); };
  for (const name of ["_begin", "_step"]) {
    const run = layer[name];
    layer[name] = function () { count = 0; run.call(this); window.projections[name.slice(1)].push(count); };
  }
  return 0;
})()"""


def test_a_big_point_layer_is_projected_a_part_per_step(open_window, qtbot):
    """The city's 37,000 responders projected in one go held the page up to 20 ms: a drawing
    projects them PROJECT_STEP (10,000) per step, each step in a frame's time box."""
    window, _ = open_window()
    add_police(qtbot, window, 25_000, per_row=150, step=(0.0005, 0.0004))
    js(qtbot, window, COUNT_PROJECTIONS)
    zoom_to(qtbot, window, 12)
    qtbot.waitUntil(lambda: js(qtbot, window, "gridsightMap.pointCanvas.drawn() && window.projections.step.length > 0"),
                    timeout=5_000)
    projections = js(qtbot, window, "window.projections")
    assert projections["begin"] and not any(projections["begin"])  # beginning a drawing projects nothing
    assert 0 < max(projections["step"]) <= 10_000
    assert sum(projections["step"]) >= 25_060 * len(projections["begin"])  # every point, a part at a time


def test_thousands_of_points_zoomed_out_are_drawn_as_pixels(open_window, qtbot):
    """Past COMPACT_MIN_POINTS visible points and below street zoom, a point is a small square
    of its colour written into the canvas (no path to rasterise)."""
    window, _ = open_window()
    add_police(qtbot, window, 3000, per_row=60, step=(0.002, 0.0013))
    zoom_to(qtbot, window, 12)
    def pixel(dx: int):  # of the responder canvas, dx from the point's centre
        script = RING_PIXEL % {"layer": "responders", "id": "X0", "dx": f"-p.style.radius + {dx}"}
        return js(qtbot, window, script.replace("pointCanvas.marks", "pointCanvas.canvas"))

    qtbot.waitUntil(lambda: pixel(0) == [0x4c, 0x8d, 0xff, round(0.95 * 255)], timeout=3_000)  # police blue, as written
    assert pixel(3)[3] == 0  # a 3 x 3 square, where the drawn police square is 10 px wide
    js(qtbot, window, "(gridsightMap.map.setView([30.502, 114.002], 16, {animate: false}), 0)")
    qtbot.waitUntil(lambda: pixel(3)[3] > 0, timeout=3_000)


def test_grid_fill_follows_tickets_that_leave_the_queue(open_window, qtbot, staffed_city):
    window, _ = open_window(on=staffed_city)
    filled = "gridsightMap.fill() && gridsightMap.fill().colorOf"
    wait_for_page(qtbot, window, f"{filled} && Object.keys(gridsightMap.fill().colorOf).sort()", ["T0V0G0", "T1V1G1"])
    with Store.open(staffed_city.path) as other_seat:
        TicketEngine(other_seat).advance("T-3", "resolved", actor="worker", seat="app")
    # T-3 was T1V1G1's only open ticket: its grid goes clear, T0V0G0 keeps its two.
    wait_for_page(qtbot, window, f"{filled} && Object.keys(gridsightMap.fill().colorOf)", ["T0V0G0"])


def test_closing_the_console_stops_the_coverage_computation(open_window, qtbot, monkeypatch):
    # A computation that would outlast the window by far.
    monkeypatch.setattr(mapview_module, "coverage_command",
                        lambda store_path: [sys.executable, "-c", "import time; time.sleep(120)"])
    window, _ = open_window()
    qtbot.waitUntil(lambda: window.map._coverage is not None and window.map._coverage.child is not None,
                    timeout=5_000)
    child = window.map._coverage.child
    assert child.poll() is None
    failures = []
    window.map.coverageFailed.connect(failures.append)
    window.close()
    qtbot.waitUntil(lambda: child.poll() is not None, timeout=5_000)
    qtbot.wait(100)
    assert failures == []  # stopped on purpose: not reported as a failure


SHOWN_CANVASES = ("[...document.querySelectorAll('.leaflet-map-pane canvas')]"
                  ".filter((c) => c.style.display !== 'none').map((c) => c.className.split(' ').pop()).sort()")


def test_every_layer_draws_into_a_few_shared_canvases(open_window, qtbot):
    """In software rendering each shown canvas costs the compositor a full-screen layer per frame."""
    window, counts = open_window()
    assert all(counts[name] for name in ("roads", "grids", "patrol_routes", "cameras", "responders", "incidents"))
    wait_for_page(qtbot, window, SHOWN_CANVASES, ["point-cloud", "shape-cloud"])  # points; lines and polygons
    window.map.highlight("cameras", ["C1"])
    window.map.flash("incidents", ["T-3"], seconds=5)
    wait_for_page(qtbot, window, SHOWN_CANVASES, ["point-cloud", "point-cloud", "shape-cloud"])  # + rings, halos


def test_whole_territory_views_read_no_minor_roads(store):
    every = json.loads(read_map_data(store, layers=["roads"]).layers["roads"])["features"]
    major = json.loads(read_map_data(store, layers=["roads"], minor_roads=False).layers["roads"])["features"]
    assert {f["properties"]["road_class"] for f in every} & set(MINOR_ROAD_CLASSES)  # the tiny city has some
    assert major == [f for f in every if f["properties"]["road_class"] not in MINOR_ROAD_CLASSES]


@pytest.mark.parametrize("layer", ["roads", "grids", "responders", "cameras", "incidents"])
def test_layer_text_is_the_geojson_geopandas_writes(store, layer):
    frame = _display_frame(layer, open_incidents(store) if layer == "incidents" else store.read_layer(layer),
                           MAP_LAYERS[layer])
    assert len(frame)
    assert json.loads(_geojson_text(frame)) == json.loads(frame.to_json(drop_id=True))


def test_offline_cameras_are_hollow_in_their_class_colour(open_window, qtbot):
    window, _ = open_window()
    camera = "gridsightMap.point('cameras', 'C1')"
    online = js(qtbot, window, f"{camera}.style")
    window.map.update_layers(changed={"cameras": [{"camera_id": "C1", "status": "offline"}]})
    offline = run_js_until(qtbot, window, f"{camera}.style", lambda style: style != online)
    assert offline["stroke"] == online["fill"] and offline["fill"] != online["fill"]
    window.map.update_layers(changed={"cameras": [{"camera_id": "C1", "status": "online"}]})
    assert run_js_until(qtbot, window, f"{camera}.style", lambda style: style == online) == online
