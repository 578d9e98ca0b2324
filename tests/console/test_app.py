"""The console window, its map page and the screenshot command, driven headless."""

from __future__ import annotations

import json
import logging
import os
import shutil
import subprocess
import sys
import threading
from pathlib import Path
from xml.etree import ElementTree

import geopandas as gpd
import pytest
import shapely
from PySide6.QtCore import QPoint, Qt
from PySide6.QtGui import QColor, QImage
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QLabel

import console
from console import cli
from console.app import PAGE_JS_FLAGS, UI_THREAD_NICE, prepare_environment, raise_ui_thread_priority
from console.i18n import TRANSLATIONS_DIR
from console.mapview import read_map_data
from data.store import Store
from tests.console.tiny_city import (
    LAYER_COUNTS,
    SOUTH,
    TOWNSHIP_W,
    TOWNSHIPS,
    VILLAGE_H,
    WEST,
    run_js,
    run_js_until,
)


def test_map_draws_every_layer_of_the_store(open_window, qtbot, caplog):
    window, counts = open_window()
    assert counts == LAYER_COUNTS
    assert run_js(qtbot, window, "gridsightMap.featureCounts()") == LAYER_COUNTS
    assert "未办结事件 3 · 网格 48 · 处置力量 60 · 摄像头 90" in window.findChild(QLabel, "mapCounts").text()
    page_problems = [r for r in caplog.records if r.name == "console.mapview" and r.levelno >= logging.WARNING]
    assert page_problems == []


def test_chinese_is_the_default_language_also_in_the_page(open_window, qtbot):
    window, _ = open_window()
    assert window.windowTitle() == "网格化社会治理指挥台 — gridsight"
    assert run_js(qtbot, window, "gridsightMap.overlayTitles()") == [
        "水系", "道路", "镇街", "村社区", "网格", "巡逻路线", "卡口", "摄像头", "处置力量", "未办结事件",
    ]


def test_english_on_request_also_in_the_page(open_window, qtbot):
    window, _ = open_window("en")
    assert window.windowTitle() == "Grid Governance Command Console — gridsight"
    assert run_js(qtbot, window, "gridsightMap.overlayTitles()") == [
        "Water", "Roads", "Townships and streets", "Villages and communities", "Grids", "Patrol routes",
        "Checkpoints", "Cameras", "Responders", "Open incidents",
    ]


def test_village_labels_show_when_zoomed_in_where_they_do_not_collide(open_window, qtbot):
    window, _ = open_window()
    labels = "[1, 2].map((l) => gridsightMap.gridLabels()[l])"
    run_js(qtbot, window, "(gridsightMap.showTerritory(), 0)")  # not zoomed onto the selected incident
    # The middle villages' labels would sit under their township's label, so they give way.
    expected = [sorted(TOWNSHIPS), sorted(f"{t[:2]}{n}村" for t in TOWNSHIPS for n in "一三")]
    placed = run_js_until(qtbot, window, labels, lambda found: [sorted(names) for names in found] == expected)
    assert [sorted(names) for names in placed] == expected
    run_js(qtbot, window, "(gridsightMap.map.setZoom(gridsightMap.map.getZoom() - 2, {animate: false}), 0)")
    # Zoomed out, the village names go, and of the townships' the one that would cover another.
    counts = run_js_until(qtbot, window, labels, lambda found: [len(names) for names in found] == [2, 0])
    assert [len(names) for names in counts] == [2, 0]
    assert run_js(qtbot, window, "gridsightMap.gridLabels()[3]") == []  # compounds: too small yet


def test_grid_names_show_at_street_zoom(open_window, qtbot):
    window, _ = open_window()
    # Village T0V1, where each of its four grids is about 230 px wide.
    run_js(qtbot, window, "(gridsightMap.map.setView([30.545, 114.02], 14, {animate: false}), 0)")
    shown = run_js_until(qtbot, window, "gridsightMap.gridLabels()[3]", lambda names: len(names) >= 4)
    assert set(shown) >= {"第1网格", "第2网格", "第3网格", "第4网格"}


def test_layer_control_hides_a_level_with_its_labels(open_window, qtbot):
    window, _ = open_window()
    assert run_js_until(qtbot, window, "gridsightMap.gridLabels()[1].length", lambda n: n > 0) > 0
    run_js(qtbot, window, "(document.querySelectorAll('.leaflet-control-layers-overlays input')[2].click(), 0)")
    assert "镇街" not in run_js(qtbot, window, "gridsightMap.visibleOverlayTitles()")
    assert run_js_until(qtbot, window, "gridsightMap.gridLabels()[1].length", lambda n: n == 0) == 0


def test_a_click_on_the_map_reaches_python(open_window, qtbot):
    window, _ = open_window()
    run_js(qtbot, window, "(Object.values(gridsightMap.pointLayers).forEach((l) => l.remove()), 0)")  # nothing to hit
    target = QPoint(300, 200)
    where = run_js(qtbot, window, f"gridsightMap.map.containerPointToLatLng([{target.x()}, {target.y()}])")
    lon, lat = where["lng"], where["lat"]
    with qtbot.waitSignal(window.map.pointClicked, timeout=5_000) as clicked:
        QTest.mouseClick(window.map.focusProxy(), Qt.MouseButton.LeftButton, pos=target)
    assert clicked.args == pytest.approx([lon, lat], abs=1e-6)
    # Which grid of the tiny city the point is in, from its layout: townships side by side,
    # villages stacked, 2 x 2 grids per village.
    t, v = int((lon - WEST) // TOWNSHIP_W), int((lat - SOUTH) // VILLAGE_H)
    g = int((lon - WEST - t * TOWNSHIP_W) // (TOWNSHIP_W / 2)) + 2 * int((lat - SOUTH - v * VILLAGE_H) // (VILLAGE_H / 2))
    grids = f"{TOWNSHIPS[t]} › {TOWNSHIPS[t][:2]}{'一二三'[v]}村 › 第{g + 1}网格 (T{t}V{v}G{g})"
    assert window.statusBar().currentMessage() == f"经度 {lon:.6f}，纬度 {lat:.6f} · {grids}"


def test_an_empty_store_opens_on_an_empty_map(open_window, tmp_path):
    with Store.create(tmp_path / "empty.gpkg") as empty:
        _, counts = open_window(on=empty)
    assert counts == dict.fromkeys(LAYER_COUNTS, 0)


def test_map_data_is_reduced_for_display(tmp_path):
    """Shapes lose invisible vertices and coordinates keep six decimals: the page gets less to parse."""
    wiggly = shapely.LineString([(114 + i * 1e-4, 30.5 + (i % 2) * 1e-7) for i in range(200)])
    with Store.create(tmp_path / "roads.gpkg") as store:
        store.write_layer("roads", gpd.GeoDataFrame(
            {"road_class": ["local"], "speed_kph": [30.0], "oneway": [0], "bridge": [0]},
            geometry=[wiggly], crs=4326))
        data = read_map_data(store)
    (road,) = json.loads(data.layers["roads"])["features"]
    assert road["properties"] == {"road_class": "local", "name": None}
    assert road["geometry"]["coordinates"] == [[114.0, 30.5], [114.0199, 30.5]]
    assert data.bounds == pytest.approx((114.0, 30.5, 114.0199, 30.5000001))


def gridsight(*argv: str) -> int:
    """Run the CLI with only the console module's subcommands (the others are tested elsewhere)."""
    return cli.main(list(argv))


@pytest.fixture(autouse=True)
def only_console_commands(monkeypatch):
    monkeypatch.setattr(cli, "COMMAND_MODULES", ("console",))


def test_screenshot_writes_the_drawn_window_at_the_requested_size(city_path, tmp_path, qapp, capsys):
    out = tmp_path / "dispatch.png"
    assert gridsight("screenshot", "--db", str(city_path), "--view", "dispatch",
                     "--size", "1280x720", "--out", str(out)) == 0
    assert capsys.readouterr().out.strip() == str(out)
    image = QImage(str(out))
    assert (image.width(), image.height()) == (1280, 720)
    expressway = QColor("#f0a04b").rgb()
    pixels = [image.pixel(x, y) for x in range(0, 1280, 2) for y in range(0, 720, 2)]
    assert len(set(pixels)) > 100  # not a blank or half-loaded window
    assert pixels.count(expressway) > 50  # the roads are drawn


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--size", "big"], "--size must look like 1920x1080"),
        (["--out", "shot.jpg"], "--out must name a .png file"),
        (["--timeout", "0.001"], "the map did not finish drawing within 0.001 s"),
        (["--incident", "T-404"], "no open incident 'T-404' in the queue"),
    ],
)
def test_screenshot_refuses_bad_requests_in_one_line(city_path, tmp_path, qapp, capsys, args, message):
    argv = ["screenshot", "--db", str(city_path), "--out", str(tmp_path / "shot.png"), *args]
    if "--out" in args:
        argv = ["screenshot", "--db", str(city_path), *args]
    assert gridsight(*argv) == 2
    err = capsys.readouterr().err
    assert message in err and err.count("\n") == 1


def test_screenshot_of_a_missing_store_is_a_clear_error(tmp_path, capsys):
    assert gridsight("screenshot", "--db", str(tmp_path / "nope.gpkg"), "--out", str(tmp_path / "s.png")) == 2
    assert "does not exist" in capsys.readouterr().err


def test_console_without_a_display_says_what_to_do_instead(city_path, monkeypatch, capsys):
    for variable in ("DISPLAY", "WAYLAND_DISPLAY", "QT_QPA_PLATFORM"):
        monkeypatch.delenv(variable, raising=False)
    assert gridsight("console", "--db", str(city_path)) == 2
    assert "no display" in capsys.readouterr().err


def test_every_ui_string_has_a_chinese_translation(tmp_path):
    """lupdate finds every tr() string; none may be missing from gridsight_zh_CN.ts."""
    catalogue = tmp_path / "check.ts"
    shutil.copy(TRANSLATIONS_DIR / "gridsight_zh_CN.ts", catalogue)
    sources = sorted(str(p) for p in (Path(console.__file__).parent).rglob("*.py"))
    lupdate = Path(sys.executable).parent / "pyside6-lupdate"
    subprocess.run([str(lupdate), *sources, "-locations", "none", "-ts", str(catalogue)],
                   check=True, capture_output=True)
    messages = ElementTree.parse(catalogue).getroot().iter("message")
    untranslated = [m.findtext("source") for m in messages
                    if m.find("translation").get("type") in ("unfinished", "vanished") or not m.findtext("translation")]
    assert untranslated == []


def test_screenshot_selects_the_requested_incident(city_path, tmp_path, qapp, monkeypatch):
    from console import app

    shown, dispose = [], app._dispose
    monkeypatch.setattr(app, "_dispose", lambda window: (shown.append(window.details.ticket["ticket_id"]),
                                                          dispose(window)))
    assert gridsight("screenshot", "--db", str(city_path), "--incident", "T-3", "--size", "1280x720",
                     "--out", str(tmp_path / "t3.png")) == 0
    assert shown == ["T-3"]


def _in_a_thread(function):
    """function()'s result, called on a new thread (a priority change stays with that thread)."""
    result = []
    thread = threading.Thread(target=lambda: result.append(function()))
    thread.start()
    thread.join()
    return result[0]


def _nice() -> int:
    return os.getpriority(os.PRIO_PROCESS, threading.get_native_id())


def test_the_ui_thread_gets_chromiums_display_priority_but_what_it_starts_does_not():
    def raise_and_start_others():
        raised = raise_ui_thread_priority()
        child = subprocess.run([sys.executable, "-c", "import os; print(os.nice(0))"], capture_output=True, text=True)
        return raised, _nice(), _in_a_thread(_nice), int(child.stdout)

    allowed = os.geteuid() == 0  # or CAP_SYS_NICE, as for Chromium's own threads
    raised, ui, thread, process = _in_a_thread(raise_and_start_others)
    assert raised is allowed
    assert ui == (UI_THREAD_NICE if allowed else 0)
    assert thread == 0 and process == 0


def test_a_ui_thread_priority_the_system_refuses_is_left_as_it_was(monkeypatch):
    def refuse(*_):
        raise PermissionError(1, "Operation not permitted")

    monkeypatch.setattr(os, "setpriority", refuse)
    assert _in_a_thread(lambda: (raise_ui_thread_priority(), _nice())) == (False, 0)


@pytest.mark.parametrize("given, expected", [
    ("", f'--js-flags="{PAGE_JS_FLAGS}"'),
    ("--enable-logging", f'--enable-logging --js-flags="{PAGE_JS_FLAGS}"'),
    ("--js-flags=--trace-gc", "--js-flags=--trace-gc"),  # V8 flags given by someone else go as given
])
def test_the_page_runs_without_v8s_memory_reducer_unless_told_otherwise(monkeypatch, given, expected):
    monkeypatch.setenv("QTWEBENGINE_CHROMIUM_FLAGS", given)
    monkeypatch.setattr(os, "geteuid", lambda: 1000)  # not root: no --no-sandbox
    prepare_environment(headless=True)
    assert os.environ["QTWEBENGINE_CHROMIUM_FLAGS"] == expected
