"""The search box, the queue at 1366 x 768 and the shortcut help, on the real window."""

from __future__ import annotations

import re

import pytest
from PySide6.QtCore import Qt
from PySide6.QtGui import QShortcut
from PySide6.QtTest import QTest

from console.app import ConsoleWindow, application
from console.incidents import IncidentQueueModel
from gis.crs import wgs84_to_gcj02
from tests.console.test_dispatch import current_id, press
from tests.console.tiny_city import ROAD_XS, ROAD_YS, run_js


def search_for(qtbot, window, text: str) -> None:
    """Ctrl+F, type, Enter: the keyboard-only way."""
    press(qtbot, window, Qt.Key.Key_F, Qt.KeyboardModifier.ControlModifier)
    assert window.search.hasFocus()
    QTest.keyClicks(window.search, text)
    QTest.keyClick(window.search, Qt.Key.Key_Return)


def focus_pin(qtbot, window):
    return run_js(qtbot, window, "gridsightMap.focusPin()")


def test_enter_on_a_grid_code_centres_the_map_on_the_grid(open_window, qtbot):
    window, _ = open_window("en")
    search_for(qtbot, window, "T1V2")
    qtbot.waitUntil(lambda: focus_pin(qtbot, window) is not None, timeout=5_000)
    assert window.search.hits[0].id == "T1V2"
    assert focus_pin(qtbot, window) == pytest.approx({"lng": 114.06, "lat": 30.575})
    assert window.statusBar().currentMessage() == "Grid 西山三村 · T1V2"


def test_a_ticket_id_selects_the_ticket_in_the_queue(open_window, qtbot):
    window, _ = open_window("en")
    assert current_id(window) == "T-3"
    search_for(qtbot, window, "t-2")
    qtbot.waitUntil(lambda: current_id(window) == "T-2", timeout=5_000)
    assert window.details.ticket["ticket_id"] == "T-2"
    # A closed ticket is not in the queue: the map goes to where it happened.
    search_for(qtbot, window, "T-4")
    qtbot.waitUntil(lambda: focus_pin(qtbot, window) is not None, timeout=5_000)
    assert focus_pin(qtbot, window) == pytest.approx({"lng": ROAD_XS[3], "lat": ROAD_YS[1] + 0.006})
    assert window.statusBar().currentMessage() == "Ticket T-4 · closed"
    assert current_id(window) == "T-2"


def test_gcj02_coordinates_go_to_the_wgs84_point(open_window, qtbot):
    window, _ = open_window("en")
    lon, lat = 114.05, 30.55
    gcj_lon, gcj_lat = wgs84_to_gcj02(lon, lat)
    search_for(qtbot, window, f"gcj02:{gcj_lon:.7f},{gcj_lat:.7f}")
    qtbot.waitUntil(lambda: focus_pin(qtbot, window) is not None, timeout=5_000)
    assert focus_pin(qtbot, window) == pytest.approx({"lng": lon, "lat": lat}, abs=1e-6)
    assert "西山镇" in window.statusBar().currentMessage()  # which grid the point is in


def test_a_responder_flashes_on_the_map_and_escape_returns_to_the_queue(open_window, qtbot):
    window, _ = open_window("en")
    search_for(qtbot, window, "R7")
    qtbot.waitUntil(lambda: "R7" in run_js(qtbot, window, "gridsightMap.flashing('responders')"), timeout=5_000)
    assert window.search.hits[0].id == "R7"
    window.activateWindow()
    qtbot.waitUntil(window.isActiveWindow, timeout=2_000)
    QTest.keyClick(window.search, Qt.Key.Key_Escape)
    assert window.queue.table.hasFocus()


def test_typing_pops_up_ranked_hits(open_window, qtbot):
    window, _ = open_window("en")
    press(qtbot, window, Qt.Key.Key_F, Qt.KeyboardModifier.ControlModifier)
    QTest.keyClicks(window.search, "T0V1")
    qtbot.waitUntil(lambda: window.search._completer.popup().isVisible(), timeout=2_000)
    model = window.search._completer.completionModel()
    lines = [model.index(row, 0).data() for row in range(model.rowCount())]
    assert lines[0] == "Grid 东湖二村 · T0V1"
    assert lines[1:] == [f"Grid 第{g + 1}网格 · T0V1G{g}" for g in range(4)]


def test_the_ticket_id_and_category_stay_readable_in_a_narrow_queue(qtbot, store):
    application("zh_CN", headless=True)
    window = ConsoleWindow(store)
    qtbot.addWidget(window)
    window.resize(1366, 768)
    with qtbot.waitSignal(window.mapReady, timeout=20_000):
        window.show()
    table = window.queue.table
    column = IncidentQueueModel.COLUMNS.index("ticket_id")
    needed = table.fontMetrics().horizontalAdvance("T20260629-000026")
    assert table.columnWidth(column) >= needed
    # It fits in the dock without scrolling, after priority and state, and so does the category.
    category = IncidentQueueModel.COLUMNS.index("category")
    assert category > column
    assert sum(table.columnWidth(c) for c in range(category + 1)) <= table.viewport().width()
    labels = {window.queue.proxy.index(row, category).data() for row in range(window.queue.proxy.rowCount())}
    assert max(table.fontMetrics().horizontalAdvance(text) for text in labels) < table.columnWidth(category)
    tip = window.queue.proxy.index(0, 0).data(Qt.ItemDataRole.ToolTipRole)
    assert tip.startswith(current_id(window) + " · ")


def test_every_shortcut_is_in_the_help_panel(open_window, qtbot):
    window, _ = open_window("en")
    keys = {shortcut.key().toString() for shortcut in window.findChildren(QShortcut)}
    help_text = window.help.text.text()
    for key in keys:
        shown = {"Ctrl+Down": "Ctrl+↓", "Ctrl+Up": "Ctrl+↑"}.get(key, key)
        if re.fullmatch(r"(Shift\+)?[1-5]", shown):  # 1 … 5 and Shift+1 … 5 are one line each
            shown = shown[:-1] + "1 … 5"
        assert shown in help_text, key
