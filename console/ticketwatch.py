"""Tells the UI which tickets changed in the store, whoever changed them: within a second of their
commit, and again after the store's server was away (data.listener: notified on PostgreSQL,
polled on a GeoPackage; what changed is read by the logs' sequence, data.workflow.changes)."""

from __future__ import annotations

import threading

import pandas as pd
from PySide6.QtCore import QObject, Signal

from data.listener import follow, waker_for
from data.store import Store
from data.workflow.changes import TicketChanges

DEFAULT_INTERVAL_MS = 1000


class TicketWatcher(QObject):
    """Reads `TicketChanges` on a worker thread whenever the store may have changed; `changed` carries
    each non-empty batch (a DataFrame of data.workflow.changes.CHANGE_COLUMNS) to the UI thread.
    On a server store, `connection` says False the moment the server is lost and True once it is
    back and what was missed has been read (reconnecting by itself, later each time). Call
    `stop()` before the owner goes."""

    changed = Signal(object)
    failed = Signal(str)  # a read failed (the store is locked or gone); watching carries on
    connection = Signal(bool)  # the server store was lost (False) or is back (True)

    def __init__(self, store: Store, interval_ms: int = DEFAULT_INTERVAL_MS, parent: QObject | None = None):
        super().__init__(parent)
        self.interval_ms = interval_ms
        self._changes = TicketChanges(store)
        self._waker = waker_for(store, interval_ms / 1000)
        self._stopping = threading.Event()
        self._thread: threading.Thread | None = None
        self.online = True

    def start(self) -> None:
        """Start watching: the first poll only notes where the store's logs end."""
        if self._thread is not None:
            return
        self._stopping.clear()
        # A Python thread, not QThreadPool: PROJ crashes on a pool thread's small stack once
        # QtWebEngine is running (console/app.py).
        self._thread = threading.Thread(target=self._run, name="ticket-watcher", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        """Stop and wait for the thread, so that nothing is emitted afterwards."""
        self._stopping.set()
        if self._thread is not None:
            self._thread.join()
            self._thread = None

    @property
    def running(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    def _run(self) -> None:
        follow(self._changes, self._waker, self._stopping, self._emit_batch, self._set_online, self.failed.emit,
               self.interval_ms / 1000)

    def _emit_batch(self, batch: pd.DataFrame) -> None:
        self.changed.emit(batch)

    def _set_online(self, online: bool) -> None:
        self.online = online
        self.connection.emit(online)
