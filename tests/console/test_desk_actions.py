"""The dispatcher's actions on the real window: lead and helpers, transfer, merge, escalate,
conflicts with other seats, new incidents from the centre and from elsewhere, the duty bar."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest
from PySide6.QtCore import QPoint, Qt, QTimer
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication, QLabel, QMenu, QMessageBox

from console.dispatch import Dispatcher
from console.dutybar import shift_of
from console.intakeform import IntakeForm
from data.store import Store
from data.workflow.engine import TicketEngine
from tests.console.test_dispatch import current_id, press
from tests.console.tiny_city import ROAD_XS, ROAD_YS, build_tiny_city, run_js
from tests.data.test_workflow_transfer import add_departments


@pytest.fixture
def own_store(tmp_path):
    """A tiny city of its own: these tests change tickets."""
    with build_tiny_city(tmp_path / "tiny.gpkg") as store:
        yield store


@pytest.fixture
def other_seat(own_store):
    """Another console seat on the same store file, with its own connection."""
    with Store.open(own_store.path) as store:
        yield TicketEngine(store)


def stored(store, ticket_id: str, columns: str = "state, lead_id, helper_ids, version") -> tuple:
    return store.query(f"SELECT {columns} FROM tickets WHERE ticket_id = ?", (ticket_id,))[0]


def select(qtbot, window, ticket_id: str) -> None:
    window.queue.select_ticket(ticket_id)
    qtbot.waitUntil(lambda: window.recommendations_done and window.details.ticket["ticket_id"] == ticket_id,
                    timeout=10_000)


def map_point(qtbot, window, ticket_id: str):
    return run_js(qtbot, window, f"gridsightMap.point('incidents', '{ticket_id}')")


def test_helpers_chosen_before_the_lead_go_out_with_it(open_window, qtbot, own_store):
    window, _ = open_window("en", on=own_store)
    select(qtbot, window, "T-3")  # registered: no lead yet
    lead, helper = window.details.recommendations[:2]
    press(qtbot, window, Qt.Key.Key_2, Qt.KeyboardModifier.ShiftModifier)
    assert stored(own_store, "T-3") == ("registered", None, None, 1)  # nothing sent yet
    assert helper.name in window.details._fields["assignees"].text()
    with qtbot.waitSignal(window.ticketChanged, timeout=5_000):
        press(qtbot, window, Qt.Key.Key_1)
    assert stored(own_store, "T-3") == ("dispatched", lead.id, helper.id, 2)
    assert window.details._fields["assignees"].text() == f"{lead.name} ({lead.id}) · {helper.name} ({helper.id})"
    assert window.details.timeline.item(0, 1).text() == "dispatched"  # newest first
    qtbot.waitUntil(lambda: map_point(qtbot, window, "T-3")["props"]["state"] == "dispatched", timeout=5_000)


def test_a_helper_joins_a_ticket_in_hand_at_once(open_window, qtbot, own_store):
    window, _ = open_window("en", on=own_store)
    select(qtbot, window, "T-3")
    lead, _, helper = window.details.recommendations[:3]
    press(qtbot, window, Qt.Key.Key_1)
    with qtbot.waitSignal(window.ticketChanged, timeout=5_000):
        press(qtbot, window, Qt.Key.Key_3, Qt.KeyboardModifier.ShiftModifier)
    assert stored(own_store, "T-3") == ("dispatched", lead.id, helper.id, 3)
    assert window.statusBar().currentMessage() == f"{helper.name} joins T-3 as a helper."
    assert f"helpers {helper.id} joined" in window.details.timeline.item(0, 3).text()
    press(qtbot, window, Qt.Key.Key_3, Qt.KeyboardModifier.ShiftModifier)  # twice: refused, unchanged
    assert window.statusBar().currentMessage().startswith("Not done: ")
    assert stored(own_store, "T-3", "version") == (3,)


def accept_dialog_when_shown(qtbot, fill) -> None:
    """Fill the next modal dialog and accept it, from inside its own event loop."""
    def act():
        dialog = QApplication.activeModalWidget()
        if dialog is None:
            QTimer.singleShot(20, act)
            return
        fill(dialog)
        dialog.accept()
    QTimer.singleShot(0, act)


def test_t_transfers_to_a_department_with_a_deadline(open_window, qtbot, own_store):
    window, _ = open_window("en", on=own_store)
    select(qtbot, window, "T-3")

    def fill(dialog):
        dialog.department.setCurrentIndex(dialog.department.findData("market"))
        dialog.hours.setValue(24)

    accept_dialog_when_shown(qtbot, fill)
    before = datetime.now(timezone.utc)
    press(qtbot, window, Qt.Key.Key_T)
    state, department, deadline = stored(own_store, "T-3", "state, department, deadline")
    assert (state, department) == ("transferred", "market")
    due = datetime.fromisoformat(deadline.replace("Z", "+00:00"))
    assert before + timedelta(hours=24) - timedelta(seconds=2) <= due <= before + timedelta(hours=24, seconds=5)
    assert window.details.ticket["state"] == "transferred"
    # A store that lists no departments: the labels' fixed list, and its names.
    assert window.details._fields["department"].text() == "market regulation"
    qtbot.waitUntil(lambda: map_point(qtbot, window, "T-3")["props"]["state"] == "transferred", timeout=5_000)


def test_t_offers_the_stores_departments_serving_the_ticket_first_with_their_usual_hours(
        open_window, qtbot, own_store):
    add_departments(own_store, [
        ("city_management", "城市管理执法局", None, 72.0), ("t0_office", "东湖街道综治中心", "T0", 24.0),
        ("t1_office", "西山镇综治中心", "T1", 12.0), ("t1v1_office", "西山一村工作站", "T1V1", 5.5),
        ("water", "水务局", None, None)])
    with own_store.transaction() as tx:  # T-3 lies in the first grid of 西山镇's second village
        tx.execute("UPDATE incidents SET grid_code = 'T1V1G0' WHERE ticket_id = 'T-3'")
    window, _ = open_window("en", on=own_store)
    select(qtbot, window, "T-3")
    seen = {}

    def fill(dialog):
        combo = dialog.department
        seen["offered"] = [(combo.itemText(i), combo.itemData(i)) for i in range(combo.count())]
        seen["not pickable"] = [combo.itemText(i) for i in range(combo.count()) if not combo.model().item(i).isEnabled()]
        seen["first hours"] = dialog.hours.value()
        combo.setCurrentIndex(combo.findData("water"))
        seen["default hours"] = dialog.hours.value()
        combo.setCurrentIndex(combo.findData("t1_office"))
        seen["hours"] = dialog.hours.value()

    accept_dialog_when_shown(qtbot, fill)
    press(qtbot, window, Qt.Key.Key_T)
    assert seen == {
        "offered": [("西山一村工作站", "t1v1_office"), ("西山镇综治中心", "t1_office"), ("城市管理执法局", "city_management"),
                    ("水务局", "water"), ("", None), ("Serving other areas", None),  # a line, a heading
                    ("东湖街道综治中心", "t0_office")],
        "not pickable": ["", "Serving other areas"], "first hours": 6, "default hours": 72, "hours": 12}
    assert stored(own_store, "T-3", "state, department") == ("transferred", "t1_office")
    assert window.statusBar().currentMessage() == "T-3 transferred to 西山镇综治中心."
    assert window.details._fields["department"].text() == "西山镇综治中心"
    assert window.details.timeline.item(0, 3).text().startswith("to 西山镇综治中心 (t1_office) by ")


def test_m_merges_the_suggested_duplicate_off_the_queue_and_the_map(open_window, qtbot, own_store):
    with own_store.transaction() as tx:  # as intake suggests it
        tx.execute("UPDATE tickets SET duplicate_of = 'T-2' WHERE ticket_id = 'T-3'")
    window, _ = open_window("en", on=own_store)
    select(qtbot, window, "T-3")
    assert "T-2 — press M to merge into it" in window.details._fields["duplicate"].text()
    press(qtbot, window, Qt.Key.Key_M)
    assert stored(own_store, "T-3", "state, merged_into") == ("merged", "T-2")
    assert not window.queue.contains("T-3")
    assert current_id(window) != "T-3"
    qtbot.waitUntil(lambda: map_point(qtbot, window, "T-3") is None, timeout=5_000)


def test_m_without_a_suspected_duplicate_changes_nothing(open_window, qtbot, own_store):
    window, _ = open_window("en", on=own_store)
    select(qtbot, window, "T-3")
    press(qtbot, window, Qt.Key.Key_M)
    assert window.statusBar().currentMessage() == "T-3 has no suspected duplicate to merge into."
    assert stored(own_store, "T-3", "state, version") == ("registered", 1)


def test_e_escalates_after_asking(open_window, qtbot, own_store, monkeypatch):
    asked = []
    monkeypatch.setattr(QMessageBox, "question", lambda parent, title, text: (
        asked.append(text), QMessageBox.StandardButton.Yes)[1])
    window, _ = open_window("en", on=own_store)
    select(qtbot, window, "T-3")
    press(qtbot, window, Qt.Key.Key_E)
    assert asked and asked[0].startswith("Escalate T-3 to ")
    assert stored(own_store, "T-3", "state, escalation_level") == ("escalated", 1)
    assert window.duty.counts.text().count("Escalated 2") == 1
    qtbot.waitUntil(lambda: map_point(qtbot, window, "T-3")["props"]["escalated"] is True, timeout=5_000)
    assert run_js(qtbot, window, "gridsightMap.flashing('incidents')") == ["T-3"]  # newly escalated: blinks


def test_a_ticket_changed_by_another_seat_is_reloaded_not_overwritten(open_window, qtbot, own_store, other_seat):
    window, _ = open_window("en", on=own_store)
    window.desk.watcher.stop()  # the other seat's change must not show before the key is pressed
    select(qtbot, window, "T-3")
    other_seat.dispatch("T-3", "R0", actor="other", seat="seat-2", expected_version=1)
    press(qtbot, window, Qt.Key.Key_1)
    assert "T-3 was changed meanwhile by other at seat-2" in window.statusBar().currentMessage()
    assert stored(own_store, "T-3", "state, lead_id, version") == ("dispatched", "R0", 2)
    assert window.details.ticket["version"] == 2 and window.details.ticket["lead_id"] == "R0"
    assert window.details.timeline.item(0, 2).text() == "other @ seat-2"


def test_tickets_from_elsewhere_arrive_within_two_seconds_and_the_selection_stays(
        open_window, qtbot, own_store, other_seat):
    window, _ = open_window("en", on=own_store)
    select(qtbot, window, "T-2")
    result = other_seat.intake("12345", [{"order_no": "H-1", "category": "环境", "content": "垃圾",
                                          "location": {"lng": ROAD_XS[2], "lat": ROAD_YS[2], "coord_type": "wgs84"}}],
                               actor="hotline", seat="seat-2")
    (new,) = result.created
    for target in ("accepted", "on_site", "resolved"):
        other_seat.advance("T-1", target, actor="worker", seat="app")
    qtbot.waitUntil(lambda: window.queue.contains(new) and not window.queue.contains("T-1"), timeout=2_000)
    assert current_id(window) == "T-2" and window.details.ticket["ticket_id"] == "T-2"
    qtbot.waitUntil(lambda: map_point(qtbot, window, new) is not None, timeout=2_000)
    assert new in run_js(qtbot, window, "gridsightMap.flashing('incidents')")
    assert map_point(qtbot, window, "T-1") is None
    assert window.duty.counts.text().startswith("Open 3 ")


def open_form_by_right_click(qtbot, window, where: QPoint) -> IntakeForm:
    with qtbot.waitSignal(window.map.contextRequested, timeout=5_000) as clicked:
        QTest.mouseClick(window.map.focusProxy(), Qt.MouseButton.RightButton, pos=where)
    menu = window.findChild(QMenu)
    qtbot.waitUntil(menu.isVisible, timeout=2_000)
    (action,) = menu.actions()
    assert action.text() == "New walk-in/phone incident here"
    action.trigger()
    form = window.findChild(IntakeForm)
    assert (form.lon, form.lat) == pytest.approx(clicked.args)
    return form


def test_right_click_takes_in_a_walk_in_report_there(open_window, qtbot, own_store):
    window, _ = open_window("en", on=own_store)
    where = QPoint(400, 300)
    form = open_form_by_right_click(qtbot, window, where)
    assert form.address.text() == window.grid_path(form.lon, form.lat) != ""
    assert window._dispatcher._engine.grid_index is window._grid_index  # located without a second index
    form.mode.setCurrentIndex(form.mode.findData("phone"))
    form.category.setCurrentIndex(form.category.findData("hazard"))
    form.priority.setCurrentIndex(form.priority.findData(1))
    form.description.setPlainText("井盖缺失")
    form.reporter_phone.setText("138 0000 0000")
    form.buttons.button(form.buttons.StandardButton.Ok).click()
    new = form.created
    assert not form.isVisible()
    channel, category, priority, state, phone, record = own_store.query(
        "SELECT i.channel, i.category, i.priority, t.state, t.reporter_phone, t.record_id FROM tickets t "
        "JOIN incidents i USING (ticket_id) WHERE ticket_id = ?", (new,))[0]
    assert (channel, category, priority, state, phone) == ("walk_in", "hazard", 1, "registered", "138 0000 0000")
    assert record.startswith("walk_in:phone-")
    assert current_id(window) == new
    assert window.duty.counts.text().startswith("Open 4 ")
    assert window.findChild(QLabel, "mapCounts").text().startswith("Open incidents 4 · ")
    qtbot.waitUntil(lambda: map_point(qtbot, window, new) is not None, timeout=5_000)
    assert new in run_js(qtbot, window, "gridsightMap.flashing('incidents')")


def test_bad_intake_input_is_refused_inline_and_nothing_is_saved(open_window, qtbot, own_store):
    window, _ = open_window("en", on=own_store)
    form = window.desk.new_incident(113.0, 29.0)  # far outside the tiny city's grids
    tickets = own_store.count("tickets")
    form.take_in()
    assert form.error.text() == "Say what happened: the description is empty."
    form.description.setPlainText("吵架")
    form.reporter_phone.setText("call me")
    form.take_in()
    assert form.error.text().startswith("The phone number may hold only digits")
    form.reporter_phone.clear()
    form.take_in()
    assert form.error.text().startswith("Not taken in: location (113.0, 29.0) wgs84 is outside")
    assert form.isVisible() and own_store.count("tickets") == tickets


def test_ctrl_n_opens_the_form_at_the_map_centre(open_window, qtbot):
    window, _ = open_window("en")
    centre = run_js(qtbot, window, "gridsightMap.map.getCenter()")
    press(qtbot, window, Qt.Key.Key_N, Qt.KeyboardModifier.ControlModifier)
    qtbot.waitUntil(lambda: window.findChild(IntakeForm) is not None, timeout=5_000)
    form = window.findChild(IntakeForm)
    assert (form.lon, form.lat) == pytest.approx((centre["lng"], centre["lat"]))


def test_duty_bar_shows_seat_shift_clock_and_queue_counts(open_window, qtbot, own_store):
    window, _ = open_window("en", on=own_store)
    bar = window.duty
    assert bar.who.text() == f"Seat {window._dispatcher.seat} · {window._dispatcher.actor}"
    assert bar.shift.text() in ("Day shift 08:00–20:00", "Night shift 20:00–08:00")
    shown = datetime.strptime(bar.time.text(), "%Y-%m-%d %H:%M:%S").replace(tzinfo=timezone(timedelta(hours=8)))
    assert abs(shown - datetime.now(timezone.utc)) < timedelta(seconds=3)  # Beijing time
    qtbot.waitUntil(lambda: bar.time.text() != shown.strftime("%Y-%m-%d %H:%M:%S"), timeout=2_500)  # it ticks
    text = bar.counts.text()
    for part in ("Open 3", "Waiting 1", "Overdue 1", "Escalated 1"):
        assert part in text
    select(qtbot, window, "T-3")
    press(qtbot, window, Qt.Key.Key_1)
    assert "Waiting 0" in bar.counts.text()


@pytest.mark.parametrize(("utc_hour", "shift"), [(0, "day"), (11, "day"), (12, "night"), (23, "night")])
def test_shifts_change_at_8_and_20_beijing_time(utc_hour, shift):
    assert shift_of(datetime(2026, 11, 23, utc_hour, 0, tzinfo=timezone.utc)) == shift


def test_the_dispatcher_adapter_adds_helpers_only_to_a_ticket_with_a_lead(own_store):
    dispatcher = Dispatcher(own_store, actor="duty", seat="seat-1")
    from console.dispatch import DispatchRefused

    with pytest.raises(DispatchRefused, match="without a lead"):
        dispatcher.add_helpers("T-3", ["R1"], expected_version=1)
    dispatcher.assign("T-3", "R0", expected_version=1)
    with pytest.raises(DispatchRefused, match="already leads"):
        dispatcher.add_helpers("T-3", ["R0"], expected_version=2)
    assert dispatcher.add_helpers("T-3", ["R1", "R2"], expected_version=2) == 3
    assert stored(own_store, "T-3", "helper_ids") == ("R1,R2",)
