"""Many seats on one PostgreSQL store: a change committed in another process reaches a watcher within a
second (LISTEN/NOTIFY), a console whose server goes away says so, keeps the last state read-only and
comes back by itself with what was committed meanwhile, and two seats dispatching one version: one
wins and the other is told who."""

from __future__ import annotations

import statistics
import subprocess
import sys
import tempfile
import textwrap
import time

import pytest
from PySide6.QtCore import Qt
from PySide6.QtTest import QTest

from console.dispatch import Dispatcher, TicketConflict
from console.ticketwatch import TicketWatcher
from data import listener
from data.store import Store
from data.storecopy import copy_store
from tests.console.tiny_city import ROAD_XS, ROAD_YS
from tests.pg import own_pg_cluster  # noqa: F401  (a cluster this module may kill)

WHERE = (ROAD_XS[1], ROAD_YS[1] + 0.004)  # inside the tiny city
TAKE_IN = textwrap.dedent("""
    import sys, time
    from console.dispatch import Dispatcher
    from data.store import Store
    with Store.open(sys.argv[1]) as store:
        desk = Dispatcher(store, actor="op02", seat="seat-2")
        for n in range(int(sys.argv[2])):
            desk.take_in("phone", {lon}, {lat}, "environment", 3, f"第{{n}}起", None, None, None)
            print(time.time(), flush=True)  # committed
            time.sleep(0.3)
""").format(lon=WHERE[0], lat=WHERE[1])


def _on_server(city_path, url: str) -> str:
    with Store.open(city_path) as source:
        copy_store(source, url)
    return url


def _take_in(qtbot, url: str, count: int) -> list[float]:
    """`count` tickets taken in by another process, the UI's event loop running meanwhile; when each
    committed (by its clock: the same machine's)."""
    with tempfile.TemporaryFile("w+") as errors:
        seat = subprocess.Popen([sys.executable, "-c", TAKE_IN, url, str(count)], stdout=subprocess.PIPE,
                                stderr=errors, text=True)
        try:
            qtbot.waitUntil(lambda: seat.poll() is not None, timeout=60_000)
            errors.seek(0)
            assert seat.returncode == 0, errors.read()[-2000:]
            return [float(line) for line in seat.stdout.read().split()]
        finally:
            seat.kill()
            seat.wait()
            seat.stdout.close()


def test_a_ticket_taken_in_at_another_process_reaches_the_watcher_within_a_second(qtbot, city_path, pg_url):
    with Store.open(_on_server(city_path, pg_url)) as store:
        watcher = TicketWatcher(store)
        arrived: list[tuple[float, list]] = []
        watcher.changed.connect(lambda batch: arrived.append((time.time(), batch["ticket_id"].tolist())))
        watcher.start()
        try:
            qtbot.wait(300)  # the first read has noted where the logs end
            committed = _take_in(qtbot, pg_url, 5)
            qtbot.waitUntil(lambda: sum(len(ids) for _, ids in arrived) >= 5, timeout=5_000)
        finally:
            watcher.stop()
    latencies = [at - commit for commit, (at, _) in zip(committed, arrived)]
    print(f"notification latency: median {statistics.median(latencies) * 1000:.0f} ms, "
          f"max {max(latencies) * 1000:.0f} ms")
    assert len(arrived) == 5  # one batch per commit: woken by each, not by a poll that gathered several
    assert max(latencies) < 1.0


def test_a_console_loses_the_server_says_so_and_comes_back_with_what_it_missed(
        qtbot, open_window, city_path, own_pg_cluster, monkeypatch, tmp_path):  # noqa: F811
    monkeypatch.setattr(listener, "BACKOFF_S", (0.2, 0.5, 1.0))
    url = _on_server(city_path, own_pg_cluster.url(own_pg_cluster.new_database()))
    with Store.open(url) as store:
        window, _ = open_window(on=store)
        assert not window.offline
        before = window.queue.model.rowCount()
        own_pg_cluster.kill_server()
        lost = time.monotonic()
        qtbot.waitUntil(lambda: window.offline, timeout=5_000)
        print(f"offline shown {time.monotonic() - lost:.2f} s after the server went")
        assert window.isVisible() and window.queue.model.rowCount() == before  # the last known state
        assert window.duty.offline.text() == "离线 — 正在重连…"
        assert window.duty.offline.isVisible()
        assert all(not b.isEnabled() and "离线" in b.toolTip() for b in window.details.buttons.values())
        window.duty.grab().save(str(tmp_path / "offline-duty-bar.png"))
        ticket = window.details.ticket
        window.activateWindow()
        QTest.keyClick(window, Qt.Key.Key_1)  # a dispatch key while offline: said, not tried on the store
        assert window.statusBar().currentMessage().startswith("离线")
        assert window.details.ticket == ticket
        own_pg_cluster.restart_server()
        missed = _take_in(qtbot, url, 2)  # committed while the console may still be away
        assert len(missed) == 2
        qtbot.waitUntil(lambda: not window.offline, timeout=15_000)
        qtbot.waitUntil(lambda: window.queue.model.rowCount() == before + 2, timeout=5_000)
        assert not window.duty.offline.isVisible()
        assert all(b.isEnabled() for b in window.details.buttons.values())


@pytest.mark.parametrize("backend", ["geopackage", "postgis"])
def test_two_seats_dispatch_one_version_one_wins_and_the_other_is_told_who(backend, city_path, tmp_path, request):
    location = str(tmp_path / "city.gpkg") if backend == "geopackage" else request.getfixturevalue("pg_url")
    with Store.open(city_path) as source:
        copy_store(source, location)
    with Store.open(location) as one, Store.open(location) as two:
        first = Dispatcher(one, actor="王芳", seat="seat-1")
        second = Dispatcher(two, actor="李强", seat="seat-2")
        version = one.query("SELECT version FROM tickets WHERE ticket_id = 'T-3'")[0][0]
        assert first.assign("T-3", "R0", expected_version=version) == version + 1
        with pytest.raises(TicketConflict) as lost:
            second.assign("T-3", "R1", expected_version=version)
    assert (lost.value.by, lost.value.seat) == ("王芳", "seat-1")
    assert "王芳" in str(lost.value) and "seat-1" in str(lost.value)


def test_the_wall_says_it_is_offline_keeps_its_figures_and_comes_back(qtbot, city_path, own_pg_cluster,
                                                                      monkeypatch):  # noqa: F811
    from console.app import application
    from console.wall import WallWindow

    monkeypatch.setattr(listener, "BACKOFF_S", (0.2, 0.5, 1.0))
    url = _on_server(city_path, own_pg_cluster.url(own_pg_cluster.new_database()))
    application("zh_CN", headless=True)
    with Store.open(url) as store:
        wall = WallWindow(store, coverage=False, video=False)
        qtbot.addWidget(wall)
        try:
            with qtbot.waitSignal(wall.ready, timeout=30_000):
                wall.show()
            figures = wall.figures
            own_pg_cluster.kill_server()
            qtbot.waitUntil(wall.offline_label.isVisible, timeout=5_000)
            assert wall.offline_label.text() == "离线 — 正在重连…"
            qtbot.wait(1_500)  # refreshes fail meanwhile: the last figures stay, no error replaces them
            assert wall.figures is figures and "could not" not in wall.scene_label.text()
            own_pg_cluster.restart_server()
            _take_in(qtbot, url, 1)
            qtbot.waitUntil(lambda: not wall.offline_label.isVisible(), timeout=15_000)
            qtbot.waitUntil(lambda: wall.figures is not figures, timeout=10_000)
        finally:
            wall.shutdown()
