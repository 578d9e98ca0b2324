"""The grid editor window, driven as an analyst drives it: gestures go in through the bridge
slots the page calls, and what the page then shows is read back from the page itself."""

from __future__ import annotations

import json
import re
from string import Formatter

import geopandas as gpd
import pandas as pd
import pytest
import shapely
from PySide6.QtCore import Qt
from PySide6.QtTest import QTest

from console import cli, editor_model
from console.app import application
from console.editor import EditorWindow, FeedbackPanel, HistoryPanel
from data import gridversions
from data.store import Store
from gis import editing
from gis.gridfile import write_grid_file
from gis.topology import PROBLEM_KINDS, validate
from tests.console.tiny_city import SOUTH, TOWNSHIP_W, VILLAGE_H, WEST, run_js

# Village T0V0 is the box WEST..WEST+0.04 x SOUTH..SOUTH+0.03 with grids G0 (south-west), G1 (south-east),
# G2 (north-west), G3 (north-east), each 0.02 x 0.015.
HALF_W, HALF_H = TOWNSHIP_W / 2, VILLAGE_H / 2
CENTRE = (WEST + HALF_W, SOUTH + HALF_H)  # the corner the four grids share


def inside(grid: int) -> tuple[float, float]:
    """A point in the middle of grid G<grid> of village T0V0."""
    return WEST + (grid % 2 + 0.5) * HALF_W, SOUTH + (grid // 2 + 0.5) * HALF_H


@pytest.fixture
def store_path(city_copy):
    """The store `store` opens here: the tiny city with two grid workers in the village's southern grids."""
    return city_copy("editing.gpkg",
                     "UPDATE responders SET grid_code = 'T0V0G0' WHERE responder_id = 'R0'",
                     "UPDATE responders SET grid_code = 'T0V0G1' WHERE responder_id = 'R3'")


@pytest.fixture
def open_editor(qtbot, show_window, store):
    def open_(language: str = "en") -> EditorWindow:
        window, _ = show_window(language, lambda: EditorWindow(store, analyst="analyst-a"), "ready", (1280, 800))
        settle(qtbot, window)
        return window

    return open_


def settle(qtbot, window: EditorWindow) -> None:
    qtbot.waitUntil(lambda: window.is_drawn, timeout=10_000)


def state(qtbot, window: EditorWindow) -> dict:
    settle(qtbot, window)
    return run_js(qtbot, window, "gridsightEditor.state()")


def click(qtbot, window: EditorWindow, lon: float, lat: float) -> None:
    window.bridge.clicked(lon, lat)
    settle(qtbot, window)


def stored_codes(store: Store) -> set[str]:
    return {code for (code,) in store.query("SELECT code FROM grids")}


def test_the_page_gets_the_grids_of_the_view_at_the_level_that_fits(qtbot, open_editor, monkeypatch):
    window = open_editor()
    everything = state(qtbot, window)
    assert len(everything["codes"]) == 48 and everything["level"] == 3  # the tiny city fits whole
    monkeypatch.setattr(editor_model, "MAX_VIEW_GRIDS", 10)
    window.send_view()
    zoomed_out = state(qtbot, window)
    assert zoomed_out["level"] == 2 and len(zoomed_out["codes"]) == 3 + 9  # townships and villages only
    window.focus_grid("T0V0G0", margin=0.2)
    close_up = state(qtbot, window)
    assert close_up["level"] == 3 and "T0V0G0" in close_up["codes"]
    assert 1 < len([c for c in close_up["codes"] if "G" in c]) < 36  # only the grids around the view


def test_select_then_drag_a_shared_corner_moves_all_four_grids(qtbot, open_editor, store):
    window = open_editor()
    click(qtbot, window, *inside(0))
    shown = state(qtbot, window)
    assert shown["selected"] == "T0V0G0" and shown["vertexHandles"] == 4 and shown["edgeHandles"] == 4
    assert window.attributes.code.text() == "T0V0G0"
    target = [CENTRE[0] + 0.003, CENTRE[1] + 0.002]
    window.bridge.vertexDragged(json.dumps({"from": list(CENTRE), "to": target}))
    shown = state(qtbot, window)
    assert shown["pending"] == ["T0V0G0", "T0V0G1", "T0V0G2", "T0V0G3"]
    assert window.feedback.table.rowCount() == 4 and window.feedback.message.property("kind") == "ok"
    assert validate(window.model.grids) == []
    assert window.windowTitle().endswith("*") and stored_codes(store)  # nothing saved yet


def test_dragging_a_vertex_out_of_the_parent_is_refused_and_the_handles_stay(qtbot, open_editor):
    window = open_editor()
    click(qtbot, window, *inside(0))
    corner = [WEST + HALF_W, SOUTH + HALF_H]
    window.bridge.vertexDragged(json.dumps({"from": corner, "to": [WEST - 0.01, SOUTH + HALF_H]}))
    shown = state(qtbot, window)
    assert window.feedback.message.property("kind") == "error" and window.feedback.warnings.count() > 0
    assert shown["pending"] == [] and shown["selected"] == "T0V0G0" and not window.model.has_unsaved()


def test_dragging_a_shared_edge_moves_both_neighbours(qtbot, open_editor):
    window = open_editor()
    click(qtbot, window, *inside(0))
    start, end = [WEST + HALF_W, SOUTH], [WEST + HALF_W, SOUTH + HALF_H]  # between G0 and G1
    window.bridge.edgeDragged(json.dumps({"start": start, "end": end, "offset": [0.004, 0.0]}))
    shown = state(qtbot, window)
    assert {"T0V0G0", "T0V0G1"} <= set(shown["pending"])
    grids = window.model.grids.set_index("code")
    assert grids.geometry["T0V0G0"].area > grids.geometry["T0V0G1"].area
    assert validate(window.model.grids) == []


def test_split_along_a_drawn_line_then_undo_and_redo(qtbot, open_editor):
    window = open_editor()
    click(qtbot, window, *inside(0))
    window.set_tool("split")
    assert state(qtbot, window)["drawing"] is True
    x = WEST + HALF_W * 0.4
    window.bridge.lineDrawn(json.dumps([[x, SOUTH], [x, SOUTH + HALF_H]]))  # snapped onto the edges
    shown = state(qtbot, window)
    assert "T0V0G4" in shown["codes"] and shown["tool"] == "select" and not shown["drawing"]
    assert set(window.model.grids.loc[window.model.grids["parent_code"] == "T0V0", "code"]) >= {"T0V0G0", "T0V0G4"}
    window.undo()
    assert "T0V0G4" not in state(qtbot, window)["codes"]
    window.redo()
    assert "T0V0G4" in state(qtbot, window)["codes"]


def test_merge_save_and_roll_back(qtbot, open_editor, store):
    window = open_editor()
    click(qtbot, window, *inside(0))
    window.set_tool("merge")
    click(qtbot, window, *inside(1))
    shown = state(qtbot, window)
    assert "T0V0G1" not in shown["codes"] and shown["selected"] == "T0V0G0"
    assert "T0V0G1" in stored_codes(store)  # not saved yet
    assert window.save("two small grids make one").ok
    assert "T0V0G1" not in stored_codes(store)
    assert store.query("SELECT grid_code FROM responders WHERE responder_id = 'R3'") == [("T0V0G0",)]
    assert window.history.entries.count() == 1 and not window.windowTitle().endswith("*")
    assert window.history.select_changeset(1)
    assert state(qtbot, window)["overlays"]["diff"] == 3  # G0 before, G1 before, G0 after
    assert window.rollback(1, "the village objected").ok
    assert "T0V0G1" in stored_codes(store) and "T0V0G1" in state(qtbot, window)["codes"]
    assert store.query("SELECT grid_code FROM responders WHERE responder_id = 'R3'") == [("T0V0G1",)]
    assert window.history.entries.count() == 2


def test_the_history_reads_in_its_narrow_dock_without_scrolling_sideways(qtbot):
    application("zh_CN", headless=True)
    panel = HistoryPanel()
    qtbot.addWidget(panel)
    panel.resize(250, 400)
    panel.show()
    why = "村委会提出两个网格的户数不均衡，按街道重新划分，并把新建小区并入相邻网格"
    panel.show_changesets(pd.DataFrame([
        {"changeset_id": 2, "at": "2026-11-23T23:05:41Z", "by": "analyst", "why": why,
         "operation": "move_vertex, merge", "rolls_back": None, "grids": 3},
        {"changeset_id": 1, "at": "2026-11-23T23:00:39Z", "by": "analyst", "why": "",
         "operation": "split", "rolls_back": None, "grids": 2},
    ]), label=str.upper)
    newest = panel.entries.item(0)
    qtbot.waitUntil(lambda: panel.entries.visualItemRect(newest).height() > 0)
    assert newest.text().splitlines()[0] == "#2  2026-11-23 23:05  analyst"
    assert "MOVE_VERTEX、MERGE" in newest.text() and why in newest.text()
    assert "2026-11-23T23:05:41Z" in newest.toolTip()
    # The long why wraps onto more lines of the entry instead of widening it.
    assert panel.entries.visualItemRect(newest).height() >= 2 * panel.entries.visualItemRect(panel.entries.item(1)).height()
    assert panel.entries.visualItemRect(newest).width() <= panel.entries.viewport().width()
    assert panel.select_changeset(1) and panel.current() == 1 and panel.rollback.isEnabled()


def test_draw_a_new_grid_inside_the_village(qtbot, open_editor):
    window = open_editor()
    window.set_tool("draw")
    assert state(qtbot, window)["drawing"] is True
    x0, y0 = WEST + HALF_W * 0.6, SOUTH + HALF_H * 0.3
    ring = [[x0, y0], [x0 + HALF_W * 0.8, y0], [x0 + HALF_W * 0.8, y0 + HALF_H * 0.5], [x0, y0 + HALF_H * 0.5], [x0, y0]]
    window.bridge.polygonDrawn(json.dumps(ring))
    shown = state(qtbot, window)
    assert shown["selected"] == "T0V0G4" and "T0V0G4" in shown["pending"]
    assert {"T0V0G0", "T0V0G1"} <= set(shown["pending"])  # carved out of both
    assert validate(window.model.grids) == []


def test_delete_gives_the_area_to_the_clicked_neighbour_and_reparent_moves_a_grid(qtbot, open_editor):
    window = open_editor()
    click(qtbot, window, *inside(2))
    window.set_tool("delete")
    click(qtbot, window, *inside(3))
    assert "T0V0G2" not in state(qtbot, window)["codes"] and window.selected == "T0V0G3"
    # G3 borders village T0V1 to the north: move it there.
    window.set_tool("reparent")
    click(qtbot, window, WEST + 0.03, SOUTH + VILLAGE_H * 1.5)
    shown = state(qtbot, window)
    assert window.selected.startswith("T0V1") and window.selected in shown["codes"]
    assert validate(window.model.grids) == []


def test_a_second_analysts_save_is_a_conflict_and_nothing_is_overwritten(qtbot, open_editor, store_path, store):
    window = open_editor()
    click(qtbot, window, *inside(0))
    window.bridge.vertexDragged(json.dumps({"from": list(CENTRE), "to": [CENTRE[0] + 0.002, CENTRE[1]]}))
    settle(qtbot, window)
    with Store.open(store_path) as other:  # analyst B merges G0 and G1 and saves first
        grids = other.read_layer("grids")
        gridversions.save(other, editing.merge(grids, "T0V0G0", "T0V0G1").change, by="analyst-b", why="first")
    outcome = window.save("mine")
    assert outcome.conflict and not outcome.ok
    assert window.feedback.message.property("kind") == "error" and "Nothing was saved" in window.feedback.message.text()
    assert "T0V0G1" not in stored_codes(store)  # B's merge stands
    assert window.model.has_unsaved()  # A's edit is still there to redo after a reload


def test_import_a_layout_previews_the_diff_and_applies_as_one_change_set(qtbot, open_editor, store, tmp_path):
    window = open_editor()
    layout = editing.merge(store.read_layer("grids"), "T1V1G0", "T1V1G1").grids
    path = tmp_path / "layout.geojson"
    write_grid_file(layout.drop(columns=["fid", "version"]), path)
    outcome = window.preview_import(str(path))
    assert outcome.ok and window.feedback.apply_import.isVisible()
    assert state(qtbot, window)["overlays"]["diff"] == 3  # removed G1, G0 now and G0 imported
    assert "1 removed, 1 changed" in window.feedback.message.text()
    window.apply_import()
    assert "T1V1G1" not in state(qtbot, window)["codes"]
    assert window.save("new layout from the district").ok
    history = gridversions.history(store)
    assert history["changeset_id"].nunique() == 1 and set(history["code"]) == {"T1V1G0", "T1V1G1"}


def test_an_invalid_layout_cannot_be_applied(qtbot, open_editor, store, tmp_path):
    window = open_editor()
    layout = store.read_layer("grids")
    layout.loc[layout["code"] == "T0V0G0", "geometry"] = shapely.box(WEST, SOUTH, WEST + 0.03, SOUTH + 0.01)
    path = tmp_path / "broken.geojson"
    write_grid_file(layout.drop(columns=["fid", "version"]), path)
    outcome = window.preview_import(str(path))
    assert not outcome.ok and outcome.problems
    assert not window.feedback.apply_import.isEnabled()


def test_the_balance_assistant_proposes_a_split_the_analyst_accepts(qtbot, open_editor):
    window = open_editor()
    with qtbot.waitSignal(window.overloadedFound) as found:
        window.find_overloaded(3650, 10.0, 0.5)  # every grid is larger than 0.5 km²
    table = found.args[0]
    assert len(table) == 36 and window.balance.table.rowCount() == 36
    window.balance.table.selectRow(0)
    code = table["code"].iloc[0]
    shown = state(qtbot, window)
    assert shown["selected"] == code and shown["overlays"]["proposal"] == 1
    assert window.feedback.table.rowCount() >= 2  # the grid now and its two halves if accepted
    # The analyst drags the line's end: the line accepted is the edited one.
    row = window.model.row(code)
    minx, miny, maxx, maxy = row.geometry.bounds
    edited = [[minx - 0.001, miny + (maxy - miny) * 0.3], [maxx + 0.001, miny + (maxy - miny) * 0.3]]
    window.bridge.proposalEdited(json.dumps(edited))
    assert window.proposal == edited
    outcome = window.accept_proposal()
    assert outcome.ok and len(window.model.grids) == 49
    halves = window.model.grids[window.model.grids["code"].isin(outcome.changed)]
    assert min(g.bounds[3] for g in halves.geometry) == pytest.approx(miny + (maxy - miny) * 0.3)
    assert state(qtbot, window)["overlays"].get("proposal") is None


def test_the_attributes_form_renames_and_moves_a_worker_in(qtbot, open_editor, store):
    window = open_editor()
    click(qtbot, window, *inside(0))
    form = window.attributes
    form.name.setText("河畔网格")
    names = [form.members.item(i).data(Qt.ItemDataRole.UserRole) for i in range(form.members.count())]
    form.members.item(names.index(("R3", "T0V0G1"))).setCheckState(Qt.CheckState.Checked)
    form.apply.click()
    assert window.model.row("T0V0G0")["name"] == "河畔网格"
    assert window.save("R3 covers the riverside").ok
    assert store.query("SELECT grid_code FROM responders WHERE responder_id = 'R3'") == [("T0V0G0",)]
    form.code.setText("X1")
    form.apply.click()
    assert "must start with its parent's code" in window.feedback.message.text()


def test_keyboard_undo_and_tool_keys(qtbot, open_editor):
    window = open_editor()
    click(qtbot, window, *inside(0))
    window.bridge.vertexDragged(json.dumps({"from": list(CENTRE), "to": [CENTRE[0] + 0.002, CENTRE[1]]}))
    settle(qtbot, window)
    QTest.keyClick(window, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier)
    assert not window.model.has_unsaved()
    QTest.keyClick(window, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.ShiftModifier)
    assert window.model.has_unsaved()
    QTest.keyClick(window, Qt.Key.Key_S)
    assert state(qtbot, window)["tool"] == "split"
    QTest.keyClick(window, Qt.Key.Key_Escape)
    assert state(qtbot, window)["tool"] == "select"


def test_cli_edit_needs_a_display_and_the_screenshot_renders_the_editor(store_path, tmp_path, capsys, monkeypatch):
    monkeypatch.delenv("DISPLAY", raising=False)
    monkeypatch.delenv("WAYLAND_DISPLAY", raising=False)
    monkeypatch.delenv("QT_QPA_PLATFORM", raising=False)
    assert cli.main(["grids", "edit", "--db", str(store_path)]) == 2
    assert "no display" in capsys.readouterr().err
    out = tmp_path / "editor.png"
    assert cli.main(["screenshot", "--view", "editor", "--db", str(store_path), "--size", "800x600",
                     "--grid", "T0V0G0", "--out", str(out)]) == 0
    assert out.stat().st_size > 10_000
    assert cli.main(["screenshot", "--view", "editor", "--db", str(store_path), "--grid", "NOPE",
                     "--out", str(out)]) == 2
    assert "no grid 'NOPE'" in capsys.readouterr().err


@pytest.mark.parametrize("suffix", [".gpkg", ".shp", ".geojson", ".kml"])
def test_the_edited_layout_exports_to_a_file_that_grids_validate_accepts(qtbot, open_editor, tmp_path, suffix):
    window = open_editor()
    click(qtbot, window, *inside(0))
    window.set_tool("merge")
    click(qtbot, window, *inside(1))
    out = tmp_path / f"layout{suffix}"
    assert window.export(str(out)).ok and window.feedback.message.property("kind") == "ok"
    assert cli.main(["grids", "validate", str(out)]) == 0
    assert window.export(str(tmp_path / "layout.txt")).ok is False


def test_the_pages_own_gesture_handlers_send_drags_and_drawings_to_python(qtbot, open_editor):
    window = open_editor()
    click(qtbot, window, *inside(0))
    moved = []
    window.bridge.vertexMoved.connect(lambda old, new: moved.append((old, new)))
    run_js(qtbot, window, f"gridsightEditor.dragHandle('vertex', 0, {WEST + 0.001}, {SOUTH + 0.001}) || 0")
    qtbot.waitUntil(lambda: bool(moved))
    corner = moved[0][0]
    assert corner in ([WEST, SOUTH], [WEST + HALF_W, SOUTH], [WEST + HALF_W, SOUTH + HALF_H], [WEST, SOUTH + HALF_H])
    assert moved[0][1] == pytest.approx([WEST + 0.001, SOUTH + 0.001])
    edges = []
    window.bridge.edgeMoved.connect(lambda start, end, offset: edges.append(offset))
    settle(qtbot, window)
    run_js(qtbot, window, "gridsightEditor.dragHandle('edge', 0, 114.0, 30.5) || 0")
    qtbot.waitUntil(lambda: bool(edges))
    window.set_tool("split")
    x = WEST + HALF_W * 0.5
    run_js(qtbot, window, f"gridsightEditor.finishDrawing('Line', [[{x}, {SOUTH}], [{x}, {SOUTH + HALF_H}]]) || 0")
    qtbot.waitUntil(lambda: window.tool == "select" and window.model.row("T0V0G4") is not None)
    assert "T0V0G4" in state(qtbot, window)["codes"]


def test_the_balance_period_ends_at_the_newest_ticket_not_today(store):
    with store.transaction() as tx:
        tx.execute("UPDATE incidents SET reported_at = '2020-03-01T08:00:00Z'")
    model = editor_model.EditorModel(store, "analyst-a")
    table = model.overloaded(days=7, max_tickets_per_household=0.001, max_area_km2=1e6)
    assert table["tickets"].sum() == 4  # every ticket of the tiny city, all reported that day
    assert len(model.proposal(table["code"].iloc[0])) == 2


def test_why_an_edit_is_not_done_shows_in_chinese_with_its_grids(qtbot, open_editor):
    window = open_editor("zh_CN")
    click(qtbot, window, *inside(0))
    window.set_tool("merge")
    click(qtbot, window, *inside(3))  # G3 touches G0 at a corner only
    assert window.feedback.message.text() == "未执行：T0V0G3 与 T0V0G0 没有公共边"
    window.attributes.code.setText("T0V0G1")
    window.attributes.apply.click()
    assert window.feedback.message.text() == "未执行：编码 T0V0G1 已被使用"
    window.attributes.code.setText("X1")
    window.attributes.apply.click()
    assert window.feedback.message.text() == "未执行：编码 X1 必须以上级编码 T0V0 开头"
    window.bridge.lineDrawn(json.dumps([inside(0)]))
    assert window.feedback.message.text() == "未执行：请画一条至少两个点、横穿网格的切割线"
    window.bridge.polygonDrawn(json.dumps([[WEST, SOUTH], [WEST + 0.001, SOUTH]]))
    assert window.feedback.message.text() == "未执行：请至少画三个角点"
    assert window.save("没有改动").ok is False
    assert window.feedback.message.text() == "未保存：没有需要保存的编辑"
    assert window.feedback.message.property("kind") == "error"


def test_every_reason_an_edit_fails_has_chinese_words(qtbot):
    """Each kind of gis.editing.EditError and of the model's refusals, worded in Chinese with
    the grids and numbers its English words name (a new kind without a rendering fails here)."""
    application("zh_CN", headless=True)
    panel = FeedbackPanel()
    qtbot.addWidget(panel)
    english = {**editing.EDIT_ERRORS, **editor_model.REFUSALS}
    assert set(panel.reasons()) == set(english)
    # Not shown: the English verb of an operation (the Chinese words do without it) and the
    # English summary of broken rules (the warnings list words each rule).
    unshown = {"operation", "problems"}
    for kind, words in english.items():
        names = [name for _, name, _, _ in Formatter().parse(words) if name]
        params = {name: 101 + i for i, name in enumerate(names)}
        shown = panel.explain(editor_model.Outcome(False, words.format(**params), reason=kind, details=params))
        assert re.search(r"[\u4e00-\u9fff]", shown) and not re.search("[A-Za-z]", shown), kind
        assert all(str(value) in shown for name, value in params.items() if name not in unshown), kind


def test_every_broken_rule_has_chinese_words(qtbot):
    application("zh_CN", headless=True)
    panel = FeedbackPanel()
    qtbot.addWidget(panel)
    for kind in PROBLEM_KINDS:
        assert re.match(r"G1: [\u4e00-\u9fff]", panel.describe(editing.Issue("G1", kind, "english words"))), kind


def test_a_broken_rules_numbers_and_neighbours_show_in_chinese(qtbot):
    application("zh_CN", headless=True)
    panel = FeedbackPanel()
    qtbot.addWidget(panel)
    square = shapely.box(114.0, 30.0, 114.02, 30.02)
    grids = gpd.GeoDataFrame({
        "code": ["T", "TA", "TB", "TC", "TD", "X"], "name": list("PABCDX"), "level": [1, 2, 2, 2, 3, 2],
        "parent_code": [None, "T", "T", "T", "Q", None],
    }, geometry=[square, shapely.box(114.0, 30.0, 114.011, 30.02), shapely.box(114.01, 30.0, 114.018, 30.02),
                 shapely.box(114.019, 30.0, 114.025, 30.001), shapely.box(115.0, 30.0, 115.01, 30.01),
                 shapely.box(115.1, 30.0, 115.11, 30.01)], crs="EPSG:4326")
    issues = [editing.Issue.of(problem) for problem in validate(grids)]
    shown = {(issue.kind, issue.code): panel.describe(issue) for issue in issues}
    assert {"overlap", "outside_parent", "gap", "missing_parent"} <= {kind for kind, _ in shown}
    for text in shown.values():
        assert not re.search("[A-Za-z]", re.sub(r"\b(T[A-D]?|X|Q)\b|m²", "", text)), text  # only codes and m²
    overlap = shown[("overlap", "TA")]
    assert "TB" in overlap and re.search(r"\d[\d,]*\.\d m²", overlap)
    assert "Q" in shown[("missing_parent", "TD")]
    panel.resize(250, 400)  # a narrow dock: the warnings wrap instead of scrolling sideways
    panel.show()
    panel.show_workload([], [], issues)
    def rects():
        return [panel.warnings.visualItemRect(panel.warnings.item(i)) for i in range(panel.warnings.count())]

    qtbot.waitUntil(lambda: all(rect.height() > 0 for rect in rects()))
    assert max(rect.right() for rect in rects()) <= panel.warnings.viewport().width()


@pytest.fixture
def long_codes(city_copy):
    """The tiny city with grid codes as long as a real city's (15 digits for a grid)."""
    return city_copy("long-codes.gpkg",
                     "UPDATE grids SET code = '420602001' || code, parent_code = '420602001' || parent_code, "
                     "households = 2385",
                     "UPDATE responders SET grid_code = '420602001' || grid_code")


def test_the_feedback_table_fits_a_1366_by_768_screen_without_scrolling(qtbot, show_window, long_codes):
    with Store.open(long_codes) as store:
        window, _ = show_window("zh_CN", lambda: EditorWindow(store, analyst="analyst-a"), "ready", (1366, 768))
        settle(qtbot, window)
        code = "420602001T0V0G0"
        window.select(code)
        x = WEST + HALF_W * 0.4
        assert window.split(code, [[x, SOUTH], [x, SOUTH + HALF_H]]).ok
        table = window.feedback.table
        qtbot.wait(100)  # the table lays its columns out on the event loop
        assert table.horizontalScrollBar().maximum() == 0
        assert table.horizontalHeader().length() <= table.viewport().width()
        rows = {table.item(r, 0).toolTip(): table.item(r, 2).text() for r in range(table.rowCount())}
        assert rows[code] == "2,385→1,431" and "420602001T0V0G4" in rows  # the larger part keeps the code
