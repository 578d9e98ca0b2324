"""When to look for changed tickets: a wake-up call for the readers of data.workflow.changes. No Qt.

Two implementations of one small interface (`connect`, `wait`, `close`, `live`):

- `PollingWaker` (the GeoPackage): wakes every interval; a file has no one to tell us.
- `NotifyWaker` (PostgreSQL): holds a connection of its own that LISTENs on the channel the
  ticket logs' trigger notifies (data.postgis.CHANGES_CHANNEL), and wakes the moment another
  seat's change commits. It also wakes every FALLBACK_S, so that a store made without the
  trigger, or a notification lost with a connection, is read within seconds anyway.

A notification only wakes the reader, who then reads past its cursors by fid: one missed while
disconnected costs nothing, as the first read after reconnecting catches up. LISTEN comes
before that read, so nothing committed in between goes unannounced. A lost connection raises
`ConnectionLost`; the caller says so and calls `connect` again, later each time (`backoff`).
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Iterator

from data import postgis
from data.store import Store, StoreError

log = logging.getLogger(__name__)

FALLBACK_S = 5.0  # the longest a notifying store goes unread
_SLICE_S = 0.2  # how soon a waiting listener notices it is asked to stop
# The least time between two reads a notification wakes: a busy centre's stream of commits is read
# in batches, five times a second at most, not once per commit (each read costs the seat CPU).
MIN_READ_GAP_S = 0.2
BACKOFF_S = (0.5, 1.0, 2.0, 4.0, 8.0)  # waits between reconnection attempts, the last repeated


class ConnectionLost(StoreError):
    """The store's server cannot be reached (now); the message says why."""


def backoff() -> Iterator[float]:
    """Seconds to wait before each further attempt to reconnect."""
    yield from BACKOFF_S
    while True:
        yield BACKOFF_S[-1]


class PollingWaker:
    """Wakes every `interval_s`: the GeoPackage's way."""

    live = False  # nothing announces changes; a failed read is not a lost connection

    def __init__(self, interval_s: float):
        self.interval_s = interval_s

    def connect(self) -> None:
        pass

    def wait(self, stop: threading.Event) -> bool:
        """Sleep one interval; False when `stop` was set meanwhile."""
        return not stop.wait(self.interval_s)

    def close(self) -> None:
        pass


class NotifyWaker:
    """Wakes when a change is announced on the store's channel (or FALLBACK_S passed)."""

    live = True

    def __init__(self, store: Store, fallback_s: float = FALLBACK_S):
        self.store = store
        self.fallback_s = fallback_s
        self._conn = None
        self._woke = 0.0  # when the last wake-up returned (time.monotonic)

    def connect(self) -> None:
        """LISTEN on a connection of our own, unless already listening; ConnectionLost if the server is away."""
        if self._conn is not None:
            return
        try:
            conn = self.store.listener_connection()
        except StoreError as err:
            raise ConnectionLost(str(err)) from None
        try:
            conn.execute(f"LISTEN {postgis.CHANGES_CHANNEL}")
        except Exception as err:
            conn.close()
            raise ConnectionLost(f"cannot listen for changes: {err}") from None
        self._conn = conn

    def wait(self, stop: threading.Event) -> bool:
        """Until a change is announced (True), FALLBACK_S passed (True) or `stop` was set (False).
        Announcements queued meanwhile, and within MIN_READ_GAP_S of the last wake-up, are taken
        together: one read covers them all."""
        import psycopg

        self.connect()
        deadline = time.monotonic() + self.fallback_s
        try:
            while not stop.is_set():
                if any(True for _ in self._conn.notifies(timeout=_SLICE_S, stop_after=1)):
                    rest = self._woke + MIN_READ_GAP_S - time.monotonic()
                    if rest > 0 and stop.wait(rest):
                        return False
                    for _ in self._conn.notifies(timeout=0.0):
                        pass
                    break
                if time.monotonic() >= deadline:
                    break
            else:
                return False
            self._woke = time.monotonic()
            return True
        except psycopg.Error as err:
            self.close()
            raise ConnectionLost(f"lost the store's server: {str(err).splitlines()[0]}") from None

    def close(self) -> None:
        if self._conn is not None:
            try:
                self._conn.close()
            finally:
                self._conn = None


def waker_for(store: Store, interval_s: float) -> PollingWaker | NotifyWaker:
    """The way to learn about `store`'s changes: notifications on PostgreSQL, polling a GeoPackage."""
    return NotifyWaker(store) if store.path is None else PollingWaker(interval_s)


def follow(changes, waker, stop: threading.Event, on_batch: Callable, on_online: Callable[[bool], None],
           on_failed: Callable[[str], None], interval_s: float) -> None:
    """Read `changes` (data.workflow.changes.TicketChanges) each time `waker` wakes, until `stop`;
    hand each non-empty batch to `on_batch`. A live waker's failure is a lost server:
    `on_online(False)` at once, reconnect with `backoff`, `on_online(True)` once back and caught up.
    A polled store's failure (a locked file) is only reported, and polling carries on."""
    read_now, waits, online = True, backoff(), True
    try:
        while not stop.is_set():
            try:
                waker.connect()  # LISTEN before reading: what commits meanwhile wakes us again
                batch = changes.poll() if read_now else None
                if batch is not None and len(batch) and not stop.is_set():
                    on_batch(batch)
                if not online:
                    online = True
                    on_online(True)
                waits = backoff()
                read_now = waker.wait(stop)
            except Exception as err:  # noqa: BLE001 -- this thread is the last place a failure can be reported
                log.warning("reading ticket changes failed: %s", err)
                lost = waker.live
                waker.close()
                if stop.is_set():
                    return
                if lost and online:
                    online = False
                    on_online(False)
                on_failed(str(err).splitlines()[0] if str(err) else type(err).__name__)
                read_now = True
                if stop.wait(next(waits) if lost else interval_s):
                    return
    finally:
        waker.close()
