"""The right dock: the selected incident, and the responders recommended for it with their ETA.

Recommendations come from gis.routing.Router on a worker thread (building the road graph of a
city takes seconds, a search tens of milliseconds): the UI thread only posts requests and
shows answers, dropping answers for an incident no longer selected.
"""

from __future__ import annotations

import logging
import queue
import threading
from dataclasses import dataclass

import numpy as np
from PySide6.QtCore import QObject, Qt, Signal
from PySide6.QtWidgets import (
    QAbstractItemView,
    QFormLayout,
    QHeaderView,
    QLabel,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from console.incidents import display_value
from console.labels import label
from data.feeds import Positions
from gis.routing import Recommendation, Router

log = logging.getLogger(__name__)

RECOMMENDATIONS = 5  # keys 1..5 assign them


@dataclass(frozen=True)
class _Request:
    ticket_id: str
    lon: float
    lat: float
    grid_code: str | None
    category: str | None


class Recommender(QObject):
    """Ranks responders for incidents on its own thread; answers arrive as signals."""

    ready = Signal(str, list)  # ticket id, [Recommendation]
    failed = Signal(str, str)  # ticket id, why

    def __init__(self, store):
        super().__init__()
        self._store = store
        self._requests: queue.Queue[_Request | None] = queue.Queue()
        self._positions: Positions | None = None  # newest live positions, applied before a search
        self._lock = threading.Lock()
        # A Python thread, not QThreadPool: PROJ crashes on a pool thread's small stack.
        threading.Thread(target=self._serve, name="recommender", daemon=True).start()

    def request(self, ticket_id: str, lon: float, lat: float, grid_code: str | None, category: str | None) -> None:
        self._requests.put(_Request(ticket_id, lon, lat, grid_code, category))

    def track(self, positions: Positions) -> None:
        """Remember where responders are now; the next search starts from there."""
        with self._lock:
            self._positions = positions

    def stop(self) -> None:
        self._requests.put(None)

    def _serve(self) -> None:
        router: Router | None = None
        while (request := self._latest(self._requests.get())) is not None:
            try:
                router = router or Router.from_store(self._store)
                with self._lock:
                    positions, self._positions = self._positions, None
                if positions is not None:
                    router.update_positions(positions.ids, positions.lon, positions.lat)
                found = router.recommend(request.lon, request.lat, k=RECOMMENDATIONS, grid_code=request.grid_code,
                                         category=request.category, routes=True)
            except ValueError as err:  # RoadNetworkError among them: no usable road network
                self.failed.emit(request.ticket_id, str(err))
                continue
            except Exception as err:  # a bug: this thread is the last place it can be reported
                log.exception("recommending responders failed")
                self.failed.emit(request.ticket_id, str(err))
                continue
            self.ready.emit(request.ticket_id, found)

    def _latest(self, request: _Request | None) -> _Request | None:
        """Skip requests overtaken by newer ones (the dispatcher moved on)."""
        while request is not None:
            try:
                newer = self._requests.get_nowait()
            except queue.Empty:
                return request
            request = newer
        return None


class IncidentDetails(QWidget):
    """The selected ticket's facts and its recommended responders, numbered for the 1..5 keys."""

    def __init__(self, parent=None):
        super().__init__(parent)
        self.ticket: dict | None = None
        self.recommendations: list[Recommendation] = []
        self._fields = {name: QLabel() for name in (
            "ticket_id", "state", "priority", "category", "channel", "grid_code", "reported_at", "deadline",
            "lead_id", "address", "description")}
        form = QFormLayout()
        titles = {
            "ticket_id": self.tr("Ticket"), "state": self.tr("State"), "priority": self.tr("Priority"),
            "category": self.tr("Category"), "channel": self.tr("Channel"), "grid_code": self.tr("Grid"),
            "reported_at": self.tr("Reported"), "deadline": self.tr("Deadline"), "lead_id": self.tr("Lead"),
            "address": self.tr("Address"), "description": self.tr("Description"),
        }
        for name, field in self._fields.items():
            field.setWordWrap(True)
            field.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
            form.addRow(titles[name], field)
        self.hint = QLabel(self.tr("Select an incident in the queue (J / K)."))
        self.hint.setWordWrap(True)
        self.table = QTableWidget(0, 4)
        self.table.setHorizontalHeaderLabels([self.tr("Responder"), self.tr("Kind"), self.tr("ETA"),
                                              self.tr("Distance")])
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        self.table.horizontalHeader().setStretchLastSection(True)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(6, 6, 6, 6)
        layout.addLayout(form)
        layout.addWidget(QLabel(self.tr("Recommended responders (press 1–5 to assign)")))
        layout.addWidget(self.table, 1)
        layout.addWidget(self.hint)

    def show_ticket(self, ticket: dict) -> None:
        """Show a ticket; its recommendations follow with `show_recommendations`."""
        same = self.ticket is not None and self.ticket["ticket_id"] == ticket["ticket_id"]
        self.ticket = ticket
        for name, field in self._fields.items():
            field.setText(display_value(name, ticket.get(name)))
        if ticket.get("overdue"):
            self._fields["deadline"].setText(self.tr("{deadline} — overdue").format(
                deadline=self._fields["deadline"].text()))
        if not same:
            self.show_recommendations([])
            self.hint.setText(self.tr("Finding the nearest responders by road…"))

    def show_recommendations(self, found: list[Recommendation]) -> None:
        self.recommendations = found
        self.table.setRowCount(len(found))
        own_grid = self.ticket.get("grid_code") if self.ticket else None
        for row, r in enumerate(found):
            minutes, seconds = divmod(round(r.eta_s), 60)
            kind = label("kind", r.kind)
            if own_grid is not None and r.grid == own_grid:
                # Own-grid workers are ranked ahead of slightly faster outsiders: say why.
                kind = self.tr("{kind}, own grid").format(kind=kind)
            cells = (r.name, kind, f"{minutes}:{seconds:02d}", f"{r.distance_m / 1000:.1f} km")
            for column, text in enumerate(cells):
                self.table.setItem(row, column, QTableWidgetItem(text))
        self.table.setVerticalHeaderLabels([str(n) for n in range(1, len(found) + 1)])
        self.hint.setText("" if found else self.tr("No responder on duty can reach it by road."))

    def show_problem(self, message: str) -> None:
        self.show_recommendations([])
        self.hint.setText(message)

    def route_coordinates(self) -> list[list[list[float]]]:
        """The recommended routes as [[lat, lon], ...] lines, best first, for the map."""
        return [np.round(np.asarray(r.route.coords)[:, ::-1], 6).tolist()
                for r in self.recommendations if r.route is not None]
