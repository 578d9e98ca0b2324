"""Tells the UI which tickets changed in the store, whoever changed them, about once a second."""

from __future__ import annotations

import logging
import threading

import pandas as pd
from PySide6.QtCore import QObject, Signal

from data.store import Store
from data.workflow.changes import TicketChanges

log = logging.getLogger(__name__)

DEFAULT_INTERVAL_MS = 1000


class TicketWatcher(QObject):
    """Polls `TicketChanges` on a worker thread; `changed` carries each non-empty batch (a DataFrame
    of data.workflow.changes.CHANGE_COLUMNS) to the UI thread. Call `stop()` before the owner goes."""

    changed = Signal(object)
    failed = Signal(str)  # a poll failed (the store is locked or gone); polling carries on

    def __init__(self, store: Store, interval_ms: int = DEFAULT_INTERVAL_MS, parent: QObject | None = None):
        super().__init__(parent)
        self.interval_ms = interval_ms
        self._changes = TicketChanges(store)
        self._stopping = threading.Event()
        self._thread: threading.Thread | None = None

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
        while True:
            try:
                batch: pd.DataFrame | None = self._changes.poll()
            except Exception as err:  # noqa: BLE001 -- this thread is the last place a failure can be reported
                log.warning("polling for ticket changes failed: %s", err)
                batch, message = None, str(err).splitlines()[0] if str(err) else type(err).__name__
                if not self._stopping.is_set():
                    self.failed.emit(message)
            if batch is not None and len(batch) and not self._stopping.is_set():
                self.changed.emit(batch)
            if self._stopping.wait(self.interval_ms / 1000):
                return
