"""The incident queue: the open tickets as a sortable, filterable table with counts per state.

The model holds the rows the map loader read (console.mapview.open_incidents); the window
replaces one row when a ticket changes. Overdue tickets are red, escalated ones violet, so
they stand out however the table is sorted.
"""

from __future__ import annotations

from collections import Counter

import pandas as pd
from PySide6.QtCore import (
    QAbstractTableModel,
    QModelIndex,
    QSortFilterProxyModel,
    Qt,
    Signal,
)
from PySide6.QtGui import QColor
from PySide6.QtWidgets import (
    QAbstractItemView,
    QCheckBox,
    QComboBox,
    QHBoxLayout,
    QLabel,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from console.labels import label

# Raw values for sorting and filtering; the display role shows them translated.
SORT_ROLE = Qt.ItemDataRole.UserRole
OVERDUE_COLOUR = QColor("#ff6b6b")
ESCALATED_COLOUR = QColor("#d79bff")
ANY = None  # the filter combos' "all" entry
_ROOT = QModelIndex()  # a table has no parent rows
# How the state column sorts: tickets waiting for the centre to act come first, then those
# with a responder, last those only waiting to be closed.
STATE_ORDER = {
    "received": 0, "registered": 0, "returned": 0, "reopened": 0, "escalated": 1,
    "dispatched": 2, "transferred": 2, "accepted": 3, "on_site": 3, "resolved": 4,
}
WAITING_STATES = frozenset(state for state, order in STATE_ORDER.items() if order == 0)
# Widths of the narrow columns in characters of the table's font; the rest share what is left.
COLUMN_CHARS = {"priority": 2, "state": 9, "ticket_id": 17, "category": 8, "deadline": 11, "reported_at": 11}
# What the dispatcher picks the next ticket by: the queue's default width shows these whole.
ESSENTIAL_COLUMNS = ("priority", "state", "ticket_id", "category")


class IncidentQueueModel(QAbstractTableModel):
    """One row per open ticket: (column name, header) pairs below, in display order."""

    # The ticket id third: it is what dispatchers read out to each other, so it must show in a
    # narrow dock (1366 x 768) without scrolling.
    COLUMNS = ("priority", "state", "ticket_id", "category", "deadline", "reported_at", "channel", "grid_code")

    def __init__(self, parent=None):
        super().__init__(parent)
        # Plain dicts with Python values: sorting and drawing call data() thousands of times.
        self._rows: list[dict] = []
        self._row_of: dict[str, int] = {}

    def headers(self) -> list[str]:
        return [self.tr("P"), self.tr("State"), self.tr("Ticket"), self.tr("Category"), self.tr("Deadline"),
                self.tr("Reported"), self.tr("Channel"), self.tr("Grid")]

    def set_rows(self, rows: pd.DataFrame) -> None:
        self.beginResetModel()
        frame = rows.astype(object).where(rows.notna(), None)
        self._rows = frame.to_dict("records")
        self._row_of = {ticket["ticket_id"]: row for row, ticket in enumerate(self._rows)}
        self.endResetModel()

    def replace_row(self, ticket: dict) -> None:
        """Show a ticket's new values (after a dispatch, say)."""
        row = self._row_of.get(ticket["ticket_id"])
        if row is None:
            return
        self._rows[row].update({column: ticket[column] for column in self._rows[row] if column in ticket})
        self.dataChanged.emit(self.index(row, 0), self.index(row, len(self.COLUMNS) - 1))

    def add_rows(self, tickets: list[dict]) -> None:
        """New tickets join the queue (at the end of the model; the view sorts them in)."""
        tickets = [t for t in tickets if t["ticket_id"] not in self._row_of]
        if not tickets:
            return
        first = len(self._rows)
        self.beginInsertRows(_ROOT, first, first + len(tickets) - 1)
        for offset, ticket in enumerate(tickets):
            self._rows.append(dict(ticket))
            self._row_of[ticket["ticket_id"]] = first + offset
        self.endInsertRows()

    def remove_ticket(self, ticket_id: str) -> None:
        """A ticket nobody has to act on any more (closed, merged) leaves the queue."""
        row = self._row_of.get(ticket_id)
        if row is None:
            return
        self.beginRemoveRows(_ROOT, row, row)
        del self._rows[row]
        self._row_of = {ticket["ticket_id"]: n for n, ticket in enumerate(self._rows)}
        self.endRemoveRows()

    def summary(self) -> dict[str, int]:
        """What the duty bar counts: open, overdue, escalated and waiting for the centre to act."""
        return {
            "open": len(self._rows),
            "overdue": self.overdue_count(),
            "escalated": sum(bool(ticket["escalated"]) for ticket in self._rows),
            "waiting": sum(ticket["state"] in WAITING_STATES for ticket in self._rows),
        }

    def ticket(self, row: int) -> dict:
        """A copy of the row's ticket, for the window to keep."""
        return dict(self._rows[row])

    def row(self, row: int) -> dict:
        """The row's ticket itself, read-only, for filtering."""
        return self._rows[row]

    def row_of(self, ticket_id: str) -> int | None:
        return self._row_of.get(ticket_id)

    def state_counts(self) -> dict[str, int]:
        return dict(Counter(ticket["state"] for ticket in self._rows))

    def overdue_count(self) -> int:
        return sum(bool(ticket["overdue"]) for ticket in self._rows)

    def values(self, column: str) -> list:
        return sorted({ticket[column] for ticket in self._rows if ticket[column] is not None})

    def rowCount(self, parent=_ROOT) -> int:
        return 0 if parent.isValid() else len(self._rows)

    def columnCount(self, parent=_ROOT) -> int:
        return 0 if parent.isValid() else len(self.COLUMNS)

    def headerData(self, section, orientation, role=Qt.ItemDataRole.DisplayRole):
        if orientation == Qt.Orientation.Horizontal and role == Qt.ItemDataRole.DisplayRole:
            return self.headers()[section]
        return None

    def data(self, index, role=Qt.ItemDataRole.DisplayRole):
        if not index.isValid():
            return None
        column = self.COLUMNS[index.column()]
        row = self._rows[index.row()]
        value = row[column]
        if role == SORT_ROLE:
            return STATE_ORDER.get(value, len(STATE_ORDER)) if column == "state" else value
        if role == Qt.ItemDataRole.DisplayRole:
            return display_value(column, value)
        if role == Qt.ItemDataRole.ForegroundRole:
            if row["overdue"]:
                return OVERDUE_COLOUR
            if row["escalated"]:
                return ESCALATED_COLOUR
        if role == Qt.ItemDataRole.ToolTipRole:
            return self._tooltip(row)
        return None

    def _tooltip(self, ticket: dict) -> str:
        """The whole row in one line, for columns cut off in a narrow dock."""
        parts = [ticket["ticket_id"], display_value("state", ticket["state"]),
                 display_value("category", ticket["category"]), display_value("address", ticket.get("address"))]
        text = " · ".join(p for p in parts if p)
        if ticket["overdue"]:
            text += " · " + self.tr("Overdue")
        return text


def display_value(column: str, value) -> str:
    """A ticket field as the dispatcher reads it: codes translated, times short, blanks empty."""
    if value is None or (not isinstance(value, str) and pd.isna(value)):
        return ""
    if column in ("state", "channel", "category"):
        return label(column, value)
    if column in ("reported_at", "deadline"):
        return _short_time(str(value))
    return str(value)


def _short_time(iso: str) -> str:
    """Month, day and minute in Beijing time: enough to compare tickets within a shift."""
    stamp = pd.Timestamp(iso)
    if stamp.tzinfo is None:
        stamp = stamp.tz_localize("UTC")
    return stamp.tz_convert("Asia/Shanghai").strftime("%m-%d %H:%M")


class IncidentFilter(QSortFilterProxyModel):
    """Rows whose state, channel and priority match the chosen ones (None = any), optionally
    only the overdue ones."""

    def __init__(self, parent=None):
        super().__init__(parent)
        self.setSortRole(SORT_ROLE)
        self.wanted: dict[str, object] = {"state": ANY, "channel": ANY, "priority": ANY}
        self.overdue_only = False

    def set_filter(self, column: str, value) -> None:
        self.beginFilterChange()
        self.wanted[column] = value
        self.endFilterChange(QSortFilterProxyModel.Direction.Rows)

    def set_overdue_only(self, on: bool) -> None:
        self.beginFilterChange()
        self.overdue_only = on
        self.endFilterChange(QSortFilterProxyModel.Direction.Rows)

    def filterAcceptsRow(self, source_row: int, source_parent) -> bool:
        ticket = self.sourceModel().row(source_row)
        if self.overdue_only and not ticket["overdue"]:
            return False
        return all(value is ANY or ticket[column] == value for column, value in self.wanted.items())


class IncidentQueue(QWidget):
    """The left dock's content: filters, counts per state and the table."""

    selected = Signal(dict)  # the ticket the dispatcher selected

    def __init__(self, parent=None):
        super().__init__(parent)
        self.model = IncidentQueueModel(self)
        self.proxy = IncidentFilter(self)
        self.proxy.setSourceModel(self.model)
        self.table = QTableView()
        self.table.setModel(self.proxy)
        self.table.setSortingEnabled(True)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setAlternatingRowColors(True)
        self.table.verticalHeader().hide()
        self.table.verticalHeader().setDefaultSectionSize(22)
        self.table.horizontalHeader().setStretchLastSection(True)
        self.table.setTextElideMode(Qt.TextElideMode.ElideMiddle)  # ticket ids differ at both ends
        self.table.setWordWrap(False)
        self.table.selectionModel().currentRowChanged.connect(self._on_current_changed)

        self.filters = {column: QComboBox() for column in ("state", "channel", "priority")}
        for column, combo in self.filters.items():
            combo.currentIndexChanged.connect(lambda _, c=column: self._on_filter_changed(c))
        self.overdue = QCheckBox(self.tr("Overdue only"))
        self.overdue.toggled.connect(self.proxy.set_overdue_only)
        self.overdue.toggled.connect(self._update_counts)
        self.counts = QLabel()
        self.counts.setWordWrap(True)

        combos = QHBoxLayout()
        for combo in self.filters.values():
            combos.addWidget(combo, 1)
        summary = QHBoxLayout()
        summary.addWidget(self.overdue, 0, Qt.AlignmentFlag.AlignTop)
        summary.addWidget(self.counts, 1)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.addLayout(combos)
        layout.addLayout(summary)
        layout.addWidget(self.table, 1)
        self._size_columns()

    def preferred_width(self) -> int:
        """Width that shows the essential columns whole, beside the table's scroll bar."""
        header = self.table.horizontalHeader()
        columns = sum(header.sectionSize(IncidentQueueModel.COLUMNS.index(name)) for name in ESSENTIAL_COLUMNS)
        margins = self.layout().contentsMargins()
        return (columns + self.table.verticalScrollBar().sizeHint().width() + 2 * self.table.frameWidth()
                + margins.left() + margins.right())

    def set_rows(self, rows: pd.DataFrame) -> None:
        self.model.set_rows(rows)
        self._fill_filters()
        # Waiting for dispatch first, then by priority, then the oldest report (stable sorts).
        for column in ("reported_at", "priority", "state"):
            self.table.sortByColumn(IncidentQueueModel.COLUMNS.index(column), Qt.SortOrder.AscendingOrder)
        self._update_counts()
        self.step(0)  # the first ticket that needs the dispatcher is selected from the start

    def _size_columns(self) -> None:
        """Fixed widths from the font, not from the contents: a long address or a new row never
        pushes the ticket id out of sight."""
        char = self.table.fontMetrics().horizontalAdvance("0")
        header = self.table.horizontalHeader()
        for column, name in enumerate(IncidentQueueModel.COLUMNS):
            title = header.fontMetrics().horizontalAdvance(self.model.headers()[column]) + 12
            header.resizeSection(column, max(title, char * COLUMN_CHARS.get(name, 8) + 12))

    def apply_changes(self, updated: list[dict], added: list[dict], removed: list[str]) -> None:
        """One batch of changed tickets: filters and counts are redone once, and the selection
        stays on the ticket the dispatcher is working on (unless it left the queue)."""
        for ticket in updated:
            self.model.replace_row(ticket)
        for ticket_id in removed:
            self.model.remove_ticket(ticket_id)
        self.model.add_rows(added)
        self._fill_filters()
        self._update_counts()

    def contains(self, ticket_id: str) -> bool:
        return self.model.row_of(ticket_id) is not None

    def ticket(self, ticket_id: str) -> dict:
        """A copy of the queue's row of a ticket it holds."""
        return self.model.ticket(self.model.row_of(ticket_id))

    def current_ticket(self) -> dict | None:
        index = self.table.currentIndex()
        return self.model.ticket(self.proxy.mapToSource(index).row()) if index.isValid() else None

    def step(self, by: int) -> None:
        """Select the next (+1) or previous (-1) visible ticket; the first when none is selected."""
        rows = self.proxy.rowCount()
        if not rows:
            return
        current = self.table.currentIndex()
        row = 0 if not current.isValid() else min(max(current.row() + by, 0), rows - 1)
        self.table.setCurrentIndex(self.proxy.index(row, 0))

    def select_ticket(self, ticket_id: str) -> bool:
        source_row = self.model.row_of(ticket_id)
        if source_row is None:
            return False
        index = self.proxy.mapFromSource(self.model.index(source_row, 0))
        if not index.isValid():  # filtered out: show everything rather than hide the choice
            for combo in self.filters.values():
                combo.setCurrentIndex(0)
            self.overdue.setChecked(False)
            index = self.proxy.mapFromSource(self.model.index(source_row, 0))
        self.table.setCurrentIndex(index)
        return True

    def _fill_filters(self) -> None:
        counts = self.model.state_counts()
        for column, combo in self.filters.items():
            chosen = combo.currentData()
            combo.blockSignals(True)
            combo.clear()
            combo.addItem(self._any_text(column), ANY)
            for value in self.model.values(column):
                text = self.tr("P{priority}").format(priority=value) if column == "priority" else label(column, value)
                if column == "state":
                    text = f"{text} ({counts.get(value, 0)})"
                combo.addItem(text, value)
            combo.setCurrentIndex(max(combo.findData(chosen), 0))
            combo.blockSignals(False)

    def _any_text(self, column: str) -> str:
        return {"state": self.tr("All states"), "channel": self.tr("All channels"),
                "priority": self.tr("All priorities")}[column]

    def _on_filter_changed(self, column: str) -> None:
        self.proxy.set_filter(column, self.filters[column].currentData())
        self._update_counts()

    def _update_counts(self) -> None:
        counts = self.model.state_counts()
        overdue = self.model.overdue_count()
        by_state = " · ".join(f"{label('state', s)} {n}" for s, n in sorted(counts.items(), key=lambda i: -i[1]))
        self.counts.setText(self.tr("{shown} of {total} shown · overdue {overdue}").format(
            shown=self.proxy.rowCount(), total=self.model.rowCount(), overdue=overdue) + "\n" + by_state)

    def _on_current_changed(self, current, _previous) -> None:
        if current.isValid():
            self.selected.emit(self.model.ticket(self.proxy.mapToSource(current).row()))
