"""The store check at the console's start: what `gridsight doctor` finds, in a bar under the duty
bar, in Chinese; never a dialog."""

from __future__ import annotations

import json

import pytest
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import QApplication, QToolButton

from console import cli
from console.storecheck import TEXTS
from data.doctor import CODES
from data.store import Store
from data.workflow.clock import iso, utc_now
from tests.data.test_doctor import _complete_store


@pytest.fixture
def store_path(city_copy):
    """The tiny city without roads and with one camera on a grid code it does not have."""
    return city_copy("gaps.gpkg", "DELETE FROM roads", "UPDATE cameras SET grid_code = 'GONE' WHERE camera_id = 'C1'")


def _checked(qtbot, window):
    bar = window.store_check
    qtbot.waitUntil(lambda: bar.findings is not None, timeout=5_000)
    return bar


def test_the_console_shows_what_gridsight_doctor_finds(open_window, qtbot, store_path, capsys):
    window, _ = open_window()
    bar = _checked(qtbot, window)
    assert cli.main(["doctor", "--db", str(store_path), "--json"]) == 0
    expected = json.loads(capsys.readouterr().out)
    actions = bar.menu.actions()
    assert [action.data() for action in actions] == [finding["code"] for finding in expected]
    assert {"no_roads", "cameras_unknown_grid", "cameras_without_stream"} <= {f["code"] for f in expected}
    for finding, action in zip(expected, actions):
        # In Chinese, never the CLI's English, with the CLI's count and its fix.
        assert finding["message"] not in action.text()
        assert finding["count"] is None or f"{finding['count']} " in action.text()
        assert finding["fix"] is None or finding["fix"] in action.toolTip()
    assert bar.isVisible() and QApplication.activeModalWidget() is None
    assert "无路网：推荐按直线距离" in bar.summary.text()
    assert "1 个摄像头所属网格编码不存在" in bar.summary.text()


def test_every_finding_has_a_text_in_the_ui_language():
    assert set(TEXTS) == set(CODES)


def test_a_fix_is_copied_and_the_bar_closes(open_window, qtbot, store_path):
    window, _ = open_window()
    bar = _checked(qtbot, window)
    no_roads = next(action for action in bar.menu.actions() if action.data() == "no_roads")
    no_roads.trigger()
    command = f"gridsight roads import FILE.osm.pbf --db {store_path}"
    assert QGuiApplication.clipboard().text() == command
    assert command in window.statusBar().currentMessage()
    bar.findChild(QToolButton, "storeCheckClose").click()
    assert not bar.isVisible()


def test_a_store_that_lacks_nothing_shows_no_bar(open_window, qtbot, tmp_path):
    path = _complete_store(tmp_path / "complete.gpkg")
    with Store.open(path) as store:
        with store.transaction() as tx:
            tx.execute("UPDATE responders SET position_at = ?", (iso(utc_now()),))
        window, _ = open_window(on=store)
        bar = _checked(qtbot, window)
        assert bar.findings == [] and not bar.isVisible()
