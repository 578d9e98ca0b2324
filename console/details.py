"""The right dock: the selected incident, and the responders recommended for it with their ETA.

Recommendations come from gis.routing's router on a worker thread (building the road graph of a
city takes seconds, a search tens of milliseconds): the UI thread only posts requests and
shows answers, dropping answers for an incident no longer selected. A store without roads ranks
by straight-line distance, and the panel says so above the list and in the ETA column.
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
    QFrame,
    QGridLayout,
    QHeaderView,
    QLabel,
    QPushButton,
    QScrollArea,
    QSizePolicy,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from console.incidents import display_value
from console.labels import label
from data.feeds import Positions
from gis.routing import BY_ROAD, BY_STRAIGHT_LINE, Recommendation, router_for_store

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

    ready = Signal(str, list, str)  # ticket id, [Recommendation], how measured (BY_ROAD, BY_STRAIGHT_LINE)
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
        router = None
        while (request := self._latest(self._requests.get())) is not None:
            try:
                router = router or router_for_store(self._store)
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
            self.ready.emit(request.ticket_id, found, router.by)

    def _latest(self, request: _Request | None) -> _Request | None:
        """Skip requests overtaken by newer ones (the dispatcher moved on)."""
        while request is not None:
            try:
                newer = self._requests.get_nowait()
            except queue.Empty:
                return request
            request = newer
        return None


class IncidentDetails(QScrollArea):
    """The selected ticket's facts, its recommended responders (numbered for the 1..5 keys), the
    actions on it and its timeline. It only shows and asks: the window's Desk acts. It scrolls
    rather than forcing a minimum height on the window (1280 x 720 screens, a tall video dock)."""

    assignRequested = Signal(int)  # n-th recommendation as lead
    helperRequested = Signal(int)  # n-th recommendation as helper
    transferRequested = Signal()
    mergeRequested = Signal()
    escalateRequested = Signal()

    def __init__(self, parent=None):
        super().__init__(parent)
        self.ticket: dict | None = None
        self.record: dict | None = None  # the ticket as the workflow shows it (timeline, reporter)
        self.recommendations: list[Recommendation] = []
        self.by = BY_ROAD  # how the last answer was measured; the next one is most likely measured the same way
        self.staged_helpers: list[Recommendation] = []  # go with the lead when it is dispatched
        self._form = QFormLayout()
        self._form.setVerticalSpacing(3)
        titles = {
            "ticket": self.tr("Ticket"), "what": self.tr("Priority, category"), "grid_code": self.tr("Grid"),
            "times": self.tr("Reported → due"), "assignees": self.tr("Lead, helpers"),
            "department": self.tr("Department"), "duplicate": self.tr("Suspected duplicate of"),
            "reporter": self.tr("Reporter"), "address": self.tr("Address"), "description": self.tr("Description"),
        }
        self._fields = {name: QLabel() for name in titles}
        for name, field in self._fields.items():
            field.setWordWrap(True)
            field.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
            # Reported text is never markup; only the ticket line and the times are ours.
            field.setTextFormat(Qt.TextFormat.RichText if name in ("ticket", "times") else Qt.TextFormat.PlainText)
            self._form.addRow(titles[name], field)
        self._fields["duplicate"].setObjectName("duplicateHint")
        self.hint = QLabel(self.tr("Select an incident in the queue (J / K)."))
        self.hint.setWordWrap(True)
        # Shown when the ETAs are straight-line estimates (no roads): a rough order, not a drive time.
        self.basis = QLabel(self.tr("Estimated by straight-line distance (the store has no roads)"),
                            objectName="rankingBasis")
        self.basis.setWordWrap(True)
        self.basis.setStyleSheet("color: #f0b429; font-weight: bold")
        self.basis.setVisible(False)
        self.table = QTableWidget(0, 4)
        self._show_basis(BY_ROAD)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(1, QHeaderView.ResizeMode.Stretch)  # the kind gives way (elided)
        self.table.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.table.setWordWrap(False)
        self.table.verticalHeader().setDefaultSectionSize(22)
        # Exactly the five rows the keys reach: the room left goes to the timeline.
        self.table.setFixedHeight(self.table.horizontalHeader().sizeHint().height() + RECOMMENDATIONS * 22
                                  + 2 * self.table.frameWidth() + 2)
        self.buttons = {name: QPushButton(text) for name, text in (
            ("assign", self.tr("Lead 1–5")), ("helper", self.tr("Helper ⇧1–5")),
            ("transfer", self.tr("Transfer T")), ("merge", self.tr("Merge M")),
            ("escalate", self.tr("Escalate E")))}
        self.buttons["assign"].clicked.connect(lambda: self.assignRequested.emit(self._chosen()))
        self.buttons["helper"].clicked.connect(lambda: self.helperRequested.emit(self._chosen()))
        self.buttons["transfer"].clicked.connect(self.transferRequested)
        self.buttons["merge"].clicked.connect(self.mergeRequested)
        self.buttons["escalate"].clicked.connect(self.escalateRequested)
        actions = QGridLayout()
        actions.setSpacing(4)
        # Lead and helper side by side, the rarer three under them: fits a 300 px dock.
        for button, (row, column, span) in zip(self.buttons.values(),
                                               ((0, 0, 3), (0, 3, 3), (1, 0, 2), (1, 2, 2), (1, 4, 2))):
            button.setFocusPolicy(Qt.FocusPolicy.NoFocus)  # keys stay with the window's shortcuts
            button.setMinimumWidth(0)
            button.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Fixed)  # never widen the dock
            actions.addWidget(button, row, column, 1, span)
        self.timeline = QTableWidget(0, 4)
        self.timeline.setObjectName("timeline")
        self.timeline.setHorizontalHeaderLabels([self.tr("Time"), self.tr("State"), self.tr("By, seat"),
                                                 self.tr("Note")])
        self.timeline.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.timeline.verticalHeader().hide()
        self.timeline.verticalHeader().setDefaultSectionSize(20)
        self.timeline.setWordWrap(False)
        # Long notes elide (their tooltip has them whole) rather than scroll the dock sideways.
        self.timeline.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        header = self.timeline.horizontalHeader()
        for column, mode in enumerate((QHeaderView.ResizeMode.ResizeToContents, QHeaderView.ResizeMode.ResizeToContents,
                                       QHeaderView.ResizeMode.Interactive, QHeaderView.ResizeMode.Stretch)):
            header.setSectionResizeMode(column, mode)
        header.resizeSection(2, self.fontMetrics().horizontalAdvance("0") * 16)
        self.setWidgetResizable(True)
        self.setFrameShape(QFrame.Shape.NoFrame)
        self.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        content = QWidget()
        layout = QVBoxLayout(content)
        layout.setContentsMargins(6, 6, 6, 6)
        layout.addLayout(self._form)
        caption = QLabel(self.tr("Recommended responders (1–5: lead, Shift+1–5: helper)"))
        caption.setWordWrap(True)  # a long caption must not widen the dock past the window
        layout.addWidget(caption)
        layout.addWidget(self.basis)
        layout.addWidget(self.table)
        layout.addWidget(self.hint)
        layout.addLayout(actions)
        layout.addWidget(QLabel(self.tr("Timeline")))
        layout.addWidget(self.timeline, 1)
        self.timeline.setMinimumHeight(self.timeline.verticalHeader().defaultSectionSize() * 4)
        self.setWidget(content)
        self._show_optional_rows()

    def preferred_height(self) -> int:
        """Height that shows everything without scrolling."""
        return self.widget().sizeHint().height() + 2 * self.frameWidth()

    def _chosen(self) -> int:
        """The recommendation the buttons act on: the one picked in the table, else the first."""
        return max(self.table.currentRow(), 0) + 1

    def show_ticket(self, ticket: dict) -> None:
        """Show a queue row; its recommendations follow with `show_recommendations` and the
        workflow's view of it (timeline, reporter) with `show_record`."""
        same = self.ticket is not None and self.ticket["ticket_id"] == ticket["ticket_id"]
        self.ticket = ticket
        if not same:
            self.record = None
            self.staged_helpers = []
            self.timeline.setRowCount(0)
        state = display_value("state", ticket.get("state"))
        self._fields["ticket"].setText(f"<b>{ticket['ticket_id']}</b> · {state}")
        self._fields["what"].setText(" · ".join(filter(None, (
            self.tr("P{priority}").format(priority=display_value("priority", ticket.get("priority"))),
            display_value("category", ticket.get("category")), display_value("channel", ticket.get("channel"))))))
        self._fields["grid_code"].setText(display_value("grid_code", ticket.get("grid_code")))
        due = display_value("deadline", ticket.get("deadline"))
        if ticket.get("overdue"):
            due = "<span style='color:#ff6b6b'>" + self.tr("{deadline} — overdue").format(deadline=due) + "</span>"
        self._fields["times"].setText(f"{display_value('reported_at', ticket.get('reported_at'))} → {due}")
        for name in ("address", "description"):
            self._fields[name].setText(display_value(name, ticket.get(name)))
        self._show_assignees()
        self._show_optional_rows()
        if not same:
            self.show_recommendations([])
            self.hint.setText(self.tr("Finding the nearest responders by road…") if self.by == BY_ROAD
                              else self.tr("Finding the nearest responders…"))
            self.hint.setVisible(True)

    def show_record(self, record: dict, department_name: str | None = None) -> None:
        """The workflow's view of the shown ticket: timeline, reporter, department (by
        `department_name` when the store names it), duplicate."""
        if self.ticket is None or record["id"] != self.ticket["ticket_id"]:
            return
        self.record = record
        reporter = record.get("reporter") or {}
        self._fields["reporter"].setText(" · ".join(filter(None, (reporter.get("name"), reporter.get("phone"))))
                                         or self.tr("anonymous"))
        self._fields["department"].setText(department_name or record.get("department") or "")
        self._fields["department"].setToolTip(record.get("department") or "")
        duplicate = record.get("duplicate_of")
        open_ticket = record["state"] not in ("merged", "closed", "resolved")
        self._fields["duplicate"].setText(
            self.tr("{ticket} — press M to merge into it").format(ticket=duplicate)
            if duplicate and open_ticket else "")
        self._show_assignees()
        self._show_optional_rows()
        rows = record.get("timeline", [])
        self.timeline.setRowCount(len(rows))
        for row, entry in enumerate(reversed(rows)):  # the newest first
            by = " @ ".join(filter(None, (entry.get("by"), entry.get("seat"))))
            cells = (display_value("reported_at", entry["at"]), display_value("state", entry["state"]), by,
                     entry.get("note") or "")
            for column, text in enumerate(cells):
                item = QTableWidgetItem(text)
                item.setToolTip(text)
                self.timeline.setItem(row, column, item)

    def stage_helper(self, responder: Recommendation) -> None:
        """A helper to send along when the lead is chosen (the ticket has no lead yet)."""
        if all(h.id != responder.id for h in self.staged_helpers):
            self.staged_helpers.append(responder)
        self._show_assignees()

    def clear_staged_helpers(self) -> None:
        self.staged_helpers = []
        self._show_assignees()
        self._show_optional_rows()

    def _show_assignees(self) -> None:
        ticket = self.ticket or {}
        names = {r.id: f"{r.name} ({r.id})" for r in [*self.recommendations, *self.staged_helpers]}
        lead = display_value("lead_id", ticket.get("lead_id"))
        helpers = [names.get(h, h) for h in display_value("helper_ids", ticket.get("helper_ids")).split(",") if h]
        text = " · ".join(filter(None, (names.get(lead, lead), ", ".join(helpers))))
        if self.staged_helpers:
            text = " · ".join(filter(None, (text, self.tr("helpers go with the lead: {names}").format(
                names=", ".join(h.name for h in self.staged_helpers)))))
        self._fields["assignees"].setText(text)

    def _show_optional_rows(self) -> None:
        """Rows that are mostly empty take no room when they are."""
        for name in ("assignees", "department", "duplicate", "reporter"):
            self._form.setRowVisible(self._fields[name], bool(self._fields[name].text()))

    def _show_basis(self, by: str) -> None:
        """Say how the ETAs were measured: the mark and the column header."""
        straight = by == BY_STRAIGHT_LINE
        self.basis.setVisible(straight)
        self.table.setHorizontalHeaderLabels([
            self.tr("Responder"), self.tr("Kind"), self.tr("ETA (straight line)") if straight else self.tr("ETA"),
            self.tr("Distance")])

    def show_recommendations(self, found: list[Recommendation], by: str | None = None) -> None:
        """Show ranked responders; `by` is how their ETAs were measured (the router's; None: as before)."""
        self.recommendations = found
        self.by = by or self.by
        self._show_basis(self.by)
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
        self.hint.setText("" if found else self.tr("No responder on duty can reach it by road.") if self.by == BY_ROAD
                          else self.tr("No responder on duty has a position."))
        self.hint.setVisible(not found)  # no empty line between the table and the buttons
        self._show_assignees()  # names for the ids now known

    def show_problem(self, message: str) -> None:
        self.show_recommendations([])
        self.hint.setText(message)
        self.hint.setVisible(True)

    def route_coordinates(self) -> list[list[list[float]]]:
        """The recommended routes as [[lat, lon], ...] lines, best first, for the map."""
        return [np.round(np.asarray(r.route.coords)[:, ::-1], 6).tolist()
                for r in self.recommendations if r.route is not None]
