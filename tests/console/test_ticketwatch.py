"""TicketWatcher: changes made in the store by anyone reach the UI thread within a poll interval."""

from __future__ import annotations

import shutil
import threading

import pytest

from console.ticketwatch import DEFAULT_INTERVAL_MS, TicketWatcher
from data.store import Store
from data.workflow import TicketEngine


@pytest.fixture
def own_store(city_path, tmp_path):
    """A copy of the tiny city this test may change."""
    path = tmp_path / "city.gpkg"
    shutil.copy(city_path, path)
    with Store.open(path) as store:
        yield store


@pytest.fixture
def watcher(qtbot, own_store):
    watcher = TicketWatcher(own_store, interval_ms=50)
    watcher.start()
    yield watcher
    watcher.stop()


def test_a_change_by_another_seat_arrives_on_the_ui_thread(qtbot, watcher, own_store):
    received = []
    watcher.changed.connect(lambda batch: received.append((batch, threading.current_thread())))
    qtbot.wait(200)  # the first poll has noted where the logs end
    assert received == []
    with Store.open(own_store.path) as seat:
        TicketEngine(seat).advance("T-3", "escalated", actor="op01", seat="seat2")
    qtbot.waitUntil(lambda: bool(received), timeout=2_000)
    batch, thread = received[0]
    assert thread is threading.main_thread()
    assert batch["ticket_id"].tolist() == ["T-3"]
    assert batch["state"].tolist() == ["escalated"] and bool(batch["escalated"].iloc[0])
    qtbot.wait(200)
    assert len(received) == 1  # quiet store, no empty batches


def test_stop_ends_the_thread_and_nothing_arrives_afterwards(qtbot, watcher, own_store):
    received = []
    watcher.changed.connect(received.append)
    qtbot.waitUntil(lambda: watcher.running, timeout=1_000)
    qtbot.wait(150)
    watcher.stop()
    assert not watcher.running
    TicketEngine(own_store).advance("T-3", "escalated", actor="op01", seat="seat2")
    qtbot.wait(200)
    assert received == []


def test_a_failing_poll_is_reported_and_polling_carries_on(qtbot, own_store):
    watcher = TicketWatcher(own_store, interval_ms=50)
    calls = []
    real_poll = watcher._changes.poll

    def flaky_poll():
        calls.append(1)
        if len(calls) == 2:
            raise RuntimeError("database is locked")
        return real_poll()

    watcher._changes.poll = flaky_poll
    with qtbot.waitSignal(watcher.failed, timeout=2_000) as failure:
        watcher.start()
    try:
        assert failure.args == ["database is locked"]
        qtbot.waitUntil(lambda: len(calls) >= 4, timeout=2_000)
    finally:
        watcher.stop()


def test_polls_once_a_second_by_default(own_store):
    assert TicketWatcher(own_store).interval_ms == DEFAULT_INTERVAL_MS == 1000
