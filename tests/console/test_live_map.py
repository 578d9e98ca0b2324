"""Live map layers: incidents and responders as styled, and batched diffs applied without a reload."""

from __future__ import annotations

import json
import logging

import numpy as np
import pytest

from console.app import demo_feed
from data.feeds import Positions
from data.store import Store
from tests.console.tiny_city import RESPONDERS, run_js


def point(qtbot, window, layer: str, point_id: str):
    return run_js(qtbot, window, f"gridsightMap.point({layer!r}, {point_id!r})")


def wait_for_page(qtbot, window, script: str, expected) -> None:
    """The diff travels through the channel on its own; poll the page until it shows."""
    qtbot.waitUntil(lambda: run_js(qtbot, window, script) == expected, timeout=5_000)


def test_open_incidents_are_coloured_by_priority_and_ringed_when_overdue_or_escalated(open_window, qtbot):
    window, _ = open_window()
    styles = {tid: (point(qtbot, window, "incidents", tid) or {}).get("style") for tid in ("T-1", "T-2", "T-3")}
    assert (styles["T-1"]["fill"], styles["T-1"]["ring"]) == ("#ff2d2d", "#ff2d55")  # priority 1, overdue
    assert (styles["T-2"]["fill"], styles["T-2"]["ring"]) == ("#ff8c1a", "#d36bff")  # escalated
    assert (styles["T-3"]["fill"], styles["T-3"]["ring"]) == ("#ffd21f", None)
    assert point(qtbot, window, "incidents", "T-4") is None  # closed: not on the map


def test_responders_are_shaped_by_kind_and_outlined_by_status(open_window, qtbot):
    window, _ = open_window()
    # The tiny city cycles kinds grid_worker, police, department and statuses on_duty, busy, off.
    worker, police = point(qtbot, window, "responders", "R0"), point(qtbot, window, "responders", "R1")
    assert (worker["style"]["shape"], worker["style"]["stroke"]) == ("circle", "#101418")
    assert (police["style"]["shape"], police["style"]["stroke"]) == ("square", "#ffffff")
    assert point(qtbot, window, "responders", "R2")["style"]["fillOpacity"] < 0.5


def test_moves_arrive_as_one_diff_without_reloading_the_page(open_window, qtbot):
    window, _ = open_window()
    run_js(qtbot, window, "(window.loadedOnce = true)")
    ids = np.array([f"R{i}" for i in range(RESPONDERS)] + ["nobody"])
    lon = np.linspace(114.01, 114.11, len(ids))
    lat = np.full(len(ids), 30.55)
    window.map.update_layers(moved={"responders": Positions(ids, lon, lat)})
    wait_for_page(qtbot, window, "gridsightMap.point('responders', 'R59').lng.toFixed(5)", f"{lon[59]:.5f}")
    moved = point(qtbot, window, "responders", "R7")
    assert (moved["lng"], moved["lat"]) == pytest.approx((lon[7], 30.55), abs=1e-5)
    assert run_js(qtbot, window, "window.loadedOnce") is True
    assert run_js(qtbot, window, "gridsightMap.visiblePointCounts().responders") == RESPONDERS
    # The same responders again: only their places go, the page knows which points they are.
    sent = []
    window.map._bridge.update.connect(lambda payload: sent.append(json.loads(payload)))
    window.map.update_layers(moved={"responders": Positions(ids.copy(), lon + 0.001, lat)})
    assert list(sent[-1]["moved"]["responders"]) == ["lonlat"]
    qtbot.waitUntil(lambda: abs(point(qtbot, window, "responders", "R59")["lng"] - lon[59] - 0.001) < 1e-5, timeout=5_000)
    assert point(qtbot, window, "responders", "R7")["lng"] == pytest.approx(lon[7] + 0.001, abs=1e-5)
    # Others (fewer, in another order): which ones goes with them.
    window.map.update_layers(moved={"responders": Positions(ids[[9, 3]], np.array([114.2, 114.3]), lat[:2])})
    assert set(sent[-1]["moved"]["responders"]) == {"index", "lonlat"}
    wait_for_page(qtbot, window, "gridsightMap.point('responders', 'R3').lng.toFixed(3)", "114.300")
    assert point(qtbot, window, "responders", "R9")["lng"] == pytest.approx(114.2, abs=1e-5)
    # A feed that refills its id array in place with other responders: which ones goes again.
    reused = ids[[9, 3]].copy()
    window.map.update_layers(moved={"responders": Positions(reused, np.array([114.2, 114.3]), lat[:2])})
    reused[:] = ids[[4, 5]]
    window.map.update_layers(moved={"responders": Positions(reused, np.array([114.25, 114.35]), lat[:2])})
    assert "index" in sent[-1]["moved"]["responders"]
    qtbot.waitUntil(lambda: abs(point(qtbot, window, "responders", "R4")["lng"] - 114.25) < 1e-5, timeout=5_000)


def test_each_tick_decodes_into_the_same_buffers_instead_of_new_garbage(open_window, qtbot):
    """Arrays of a few hundred KB allocated anew every second made V8 collect the whole heap (a
    15-24 ms pause of the page) within two seconds of the ticks starting."""
    window, _ = open_window()
    run_js(qtbot, window, "(window.moveBuffers = [], (() => {"
                          " const layer = gridsightMap.pointLayers.responders; const move = layer.move;"
                          " layer.move = function (index, lonlat) {"
                          "  window.moveBuffers.push([index && index.buffer, lonlat.buffer]); return move.call(this, index, lonlat); };"
                          " })(), 0)")
    ids = np.array([f"R{i}" for i in range(RESPONDERS)])
    lat = np.full(len(ids), 30.55)
    for tick, step in enumerate([0.0, 0.001, 0.002]):
        lon = np.linspace(114.01, 114.11, len(ids)) + step
        window.map.update_layers(moved={"responders": Positions(ids[::-1].copy() if tick == 2 else ids, lon, lat)})
        wait_for_page(qtbot, window, "window.moveBuffers.length", tick + 1)
    last = len(ids) - 1  # the last tick came in reverse order: R5 took the 6th place from the end
    assert point(qtbot, window, "responders", "R5")["lng"] == pytest.approx(114.01 + 0.1 * (last - 5) / last + 0.002,
                                                                           abs=1e-5)
    same = run_js(qtbot, window, "(() => { const [a, b, c] = window.moveBuffers;"
                                 " return [a[1] === b[1], b[1] === c[1], a[0] === c[0], b[0] === null]; })()")
    assert same == [True, True, True, True]  # the lonlat buffer every tick; the index's when one comes again


def test_ticket_changes_restyle_add_and_remove_incidents(open_window, qtbot):
    window, _ = open_window()
    new_incident = {"type": "Feature", "geometry": {"type": "Point", "coordinates": [114.05, 30.56]},
                    "properties": {"ticket_id": "T-9", "priority": 1, "state": "received",
                                   "overdue": False, "escalated": False}}
    window.map.update_layers(
        changed={"incidents": [{"ticket_id": "T-3", "priority": 1, "overdue": True}]},
        added={"incidents": [new_incident]},
        removed={"incidents": ["T-2"]},
    )
    wait_for_page(qtbot, window, "gridsightMap.visiblePointCounts().incidents", 3)
    assert point(qtbot, window, "incidents", "T-3")["style"]["ring"] == "#ff2d55"
    assert point(qtbot, window, "incidents", "T-2") is None
    assert point(qtbot, window, "incidents", "T-9")["props"]["state"] == "received"
    # A point added by a diff can be moved like the ones drawn at load.
    window.map.update_layers(moved={"incidents": Positions(np.array(["T-9"]), np.array([114.06]), np.array([30.57]))})
    wait_for_page(qtbot, window, "gridsightMap.point('incidents', 'T-9').lng.toFixed(4)", "114.0600")


def test_demo_feed_moves_responders_on_the_map_every_second(open_window, qtbot, store):
    window, _ = open_window(feed=demo_feed(store))
    start = point(qtbot, window, "responders", "R0")
    assert window._position_timer.isActive() and window._position_timer.interval() == 1000
    qtbot.waitUntil(lambda: point(qtbot, window, "responders", "R0")["lng"] != start["lng"], timeout=3_000)


def test_demo_feed_on_a_store_without_roads_is_a_one_line_error(tmp_path, capsys, monkeypatch):
    from console import cli

    monkeypatch.setattr(cli, "COMMAND_MODULES", ("console",))
    Store.create(tmp_path / "empty.gpkg").close()
    assert cli.main(["console", "--db", str(tmp_path / "empty.gpkg"), "--feed", "demo"]) == 2
    err = capsys.readouterr().err
    assert "cannot simulate positions: the store has no roads" in err and err.count("\n") == 1


def test_the_selected_incident_is_ringed_with_its_recommended_routes(open_window, qtbot, caplog):
    window, _ = open_window()
    routes = len(window.details.route_coordinates())
    assert routes > 0, window.details.hint.text()
    wait_for_page(qtbot, window, "gridsightMap.selectionShapes()", 2 * routes + 1)  # routes, ranks, ring
    # Each route's responder end carries its number (the key that assigns them), centred on it.
    ranks = run_js(qtbot, window, """[...document.querySelectorAll('.route-rank')].map((label) => {
      const box = label.getBoundingClientRect(), map = gridsightMap.map.getContainer().getBoundingClientRect();
      return [label.innerText, box.left + box.width / 2 - map.left, box.top + box.height / 2 - map.top]; })""")
    ends = [run_js(qtbot, window, f"(() => {{ const p = gridsightMap.map.latLngToContainerPoint({line[0]});"
                                  " return [p.x, p.y]; })()") for line in window.details.route_coordinates()]
    assert [text for text, _, _ in ranks] == [str(n) for n in range(1, routes + 1)]
    assert all(abs(x - ex) <= 1 and abs(y - ey) <= 1 for (_, x, y), (ex, ey) in zip(ranks, ends))
    assert [r.message for r in caplog.records if r.name == "console.mapview" and r.levelno >= logging.WARNING] == []
