"""The dispatcher's docks: the incident queue, the selected incident with its recommendations,
keyboard dispatch through the workflow, the help panel and the remembered layout."""

from __future__ import annotations

import pytest
from PySide6.QtCore import QPoint, QSettings, Qt
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QDockWidget

from gis.routing import Recommendation
from tests.console.tiny_city import build_tiny_city, run_js


@pytest.fixture
def own_store(tmp_path):
    """A tiny city of its own: these tests change tickets."""
    with build_tiny_city(tmp_path / "tiny.gpkg") as store:
        yield store


def press(qtbot, window, key, modifier=Qt.KeyboardModifier.NoModifier) -> None:
    window.activateWindow()
    qtbot.waitUntil(window.isActiveWindow, timeout=2_000)
    QTest.keyClick(window, key, modifier)


def current_id(window) -> str:
    return window.queue.current_ticket()["ticket_id"]


def test_queue_starts_on_the_ticket_waiting_for_dispatch_and_j_k_walk_it(open_window, qtbot):
    window, _ = open_window()
    # Waiting for the centre first (registered), then escalated, then already dispatched,
    # even though the dispatched one has the higher priority.
    assert current_id(window) == "T-3"
    assert window.details.ticket["ticket_id"] == "T-3"
    press(qtbot, window, Qt.Key.Key_J)
    assert current_id(window) == "T-2"
    press(qtbot, window, Qt.Key.Key_Down, Qt.KeyboardModifier.ControlModifier)
    assert current_id(window) == "T-1"
    press(qtbot, window, Qt.Key.Key_K)
    assert current_id(window) == "T-2"
    press(qtbot, window, Qt.Key.Key_Up, Qt.KeyboardModifier.ControlModifier)
    assert current_id(window) == "T-3"


def test_queue_filters_by_state_and_overdue_and_counts_per_state(open_window, qtbot):
    window, _ = open_window("en")
    queue = window.queue
    assert "3 of 3 shown · overdue 1" in queue.counts.text()
    assert "registered 1" in queue.counts.text()
    states = queue.filters["state"]
    states.setCurrentIndex(states.findData("registered"))
    assert queue.proxy.rowCount() == 1
    assert "1 of 3 shown" in queue.counts.text()
    states.setCurrentIndex(0)
    queue.overdue.setChecked(True)
    assert [queue.proxy.index(r, 0).data(Qt.ItemDataRole.UserRole) for r in range(queue.proxy.rowCount())] == [1]
    queue.overdue.setChecked(False)
    priority_column = queue.model.COLUMNS.index("priority")
    queue.table.sortByColumn(priority_column, Qt.SortOrder.DescendingOrder)
    assert [queue.proxy.index(r, priority_column).data() for r in range(3)] == ["3", "2", "1"]


def test_the_selected_incident_shows_recommendations_with_eta(open_window, qtbot):
    window, _ = open_window("en")
    details = window.details
    assert details.table.rowCount() == len(details.recommendations) > 0
    eta = details.table.item(0, 2).text()
    minutes, seconds = divmod(round(details.recommendations[0].eta_s), 60)
    assert eta == f"{minutes}:{seconds:02d}"


def test_key_1_dispatches_to_the_first_recommendation_in_the_store_and_on_the_map(open_window, qtbot, own_store):
    window, _ = open_window("en", on=own_store)
    window.queue.select_ticket("T-3")  # registered: ready to dispatch
    qtbot.waitUntil(lambda: window.recommendations_done, timeout=10_000)
    first = window.details.recommendations[0]
    with qtbot.waitSignal(window.ticketChanged, timeout=5_000):
        press(qtbot, window, Qt.Key.Key_1)
    (state, lead, version), = own_store.query("SELECT state, lead_id, version FROM tickets WHERE ticket_id = 'T-3'")
    assert (state, lead, version) == ("dispatched", first.id, 2)
    assert window.queue.current_ticket()["state"] == "dispatched"
    assert window.statusBar().currentMessage() == f"T-3 dispatched to {first.name}."
    qtbot.waitUntil(lambda: run_js(qtbot, window, "gridsightMap.point('incidents', 'T-3').style.fillOpacity")
                    == 0.25, timeout=5_000)  # hollow: in hand


def test_a_refused_dispatch_says_why_and_changes_nothing(open_window, qtbot, own_store):
    window, _ = open_window("en", on=own_store)
    with qtbot.waitSignal(window.recommendationsDone, timeout=10_000):
        assert window.queue.select_ticket("T-1")  # already dispatched
    press(qtbot, window, Qt.Key.Key_1)
    assert window.statusBar().currentMessage().startswith("Not done: ")
    assert "cannot go from dispatched to dispatched" in window.statusBar().currentMessage()
    assert own_store.query("SELECT version FROM tickets WHERE ticket_id = 'T-1'") == [(1,)]


def test_clicking_an_incident_on_the_map_selects_it_in_the_queue(open_window, qtbot):
    window, _ = open_window()
    where = run_js(qtbot, window, "(() => { const p = gridsightMap.point('incidents', 'T-2'); "
                                  "return gridsightMap.map.latLngToContainerPoint([p.lat, p.lng]); })()")
    with qtbot.waitSignal(window.map.featureClicked, timeout=5_000) as clicked:
        QTest.mouseClick(window.map.focusProxy(), Qt.MouseButton.LeftButton,
                         pos=QPoint(round(where["x"]), round(where["y"])))
    assert clicked.args == ["incidents", "T-2"]
    assert current_id(window) == "T-2"


def test_home_zooms_out_from_the_selected_incident_to_the_whole_territory(open_window, qtbot):
    window, _ = open_window()
    zoomed_in = run_js(qtbot, window, "gridsightMap.map.getZoom()")
    press(qtbot, window, Qt.Key.Key_Home)
    qtbot.waitUntil(lambda: run_js(qtbot, window, "gridsightMap.map.getZoom()") < zoomed_in, timeout=5_000)


def test_f1_shows_and_hides_the_shortcut_help(open_window, qtbot):
    window, _ = open_window()
    press(qtbot, window, Qt.Key.Key_F1)
    assert window.help.isVisible()
    assert "J / Ctrl+↓" in window.help.text.text()
    window.help.toggle()
    assert not window.help.isVisible()


def test_the_dock_layout_is_remembered(qtbot, store, tmp_path):
    from console.app import ConsoleWindow, application

    application("zh_CN", headless=True)
    settings = QSettings(str(tmp_path / "console.ini"), QSettings.Format.IniFormat)
    first = ConsoleWindow(store, settings=settings)
    qtbot.addWidget(first)
    first.show()
    queue_dock = first.findChild(QDockWidget, "queue")
    first.addDockWidget(Qt.DockWidgetArea.RightDockWidgetArea, queue_dock)
    first.close()
    second = ConsoleWindow(store, settings=settings)
    qtbot.addWidget(second)
    second.show()
    assert second.dockWidgetArea(second.findChild(QDockWidget, "queue")) == Qt.DockWidgetArea.RightDockWidgetArea


def test_the_dispatch_adapter_turns_workflow_refusals_into_one_exception(tmp_path):
    """Unknown responders and stale versions (someone else changed the ticket) are refused."""
    from console.dispatch import Dispatcher, DispatchRefused

    with build_tiny_city(tmp_path / "t.gpkg") as store:
        dispatcher = Dispatcher(store, actor="duty", seat="seat-1")
        with pytest.raises(DispatchRefused, match="no responder"):
            dispatcher.assign("T-3", "nobody", expected_version=1)
        with pytest.raises(DispatchRefused):
            dispatcher.assign("T-3", "R0", expected_version=7)  # someone else changed it
        assert dispatcher.assign("T-3", "R0", expected_version=1) == 2


def test_own_grid_workers_are_marked_in_the_recommendations(open_window, qtbot):
    window, _ = open_window("en")
    details = window.details
    details.show_ticket({**details.ticket, "grid_code": "G1"})
    details.show_recommendations([
        Recommendation("A", "甲", "grid_worker", "G1", 30.0, 200.0),
        Recommendation("B", "乙", "grid_worker", "G2", 20.0, 150.0),
        Recommendation("C", "丙", "police", None, 40.0, 400.0),
    ])
    kinds = [details.table.item(row, 1).text() for row in range(3)]
    assert kinds == ["grid worker, own grid", "grid worker", "police"]
