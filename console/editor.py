"""The analysts' grid editor: the dispatchers' map in editor mode, with tools, live workload
feedback, the balance assistant, saving, history and layout import.

The window only turns clicks and page gestures into calls on `EditorModel` (which calls
`gis.editing` and `data.gridversions`) and shows the results; the page (resources/web/
editor.js) only draws what it is sent and reports gestures through the `editor` channel
object. Only the grids of the current view (and the ones just edited) go to the page.
"""

from __future__ import annotations

import getpass
import json
import logging
import threading
from pathlib import Path

import numpy as np
import pandas as pd
from PySide6.QtCore import (
    QCoreApplication,
    QObject,
    QSize,
    Qt,
    Signal,
    Slot,
)
from PySide6.QtGui import QAction, QColor, QKeySequence
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QDockWidget,
    QDoubleSpinBox,
    QFileDialog,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QHeaderView,
    QInputDialog,
    QLabel,
    QLineEdit,
    QListView,
    QListWidget,
    QListWidgetItem,
    QMainWindow,
    QMessageBox,
    QPushButton,
    QSpinBox,
    QSplitter,
    QTableWidget,
    QTableWidgetItem,
    QTabWidget,
    QToolBar,
    QVBoxLayout,
    QWidget,
)

from console import headless
from console.editor_model import EditorModel, Outcome
from console.mapview import MapData, MapView, read_map_data
from data.store import Store, StoreError
from gis.editing import change_kinds

log = logging.getLogger(__name__)

MESSAGE_MS = 10_000
# What the base map shows under the grids the editor draws itself.
BASE_LAYERS = ("water", "roads")
# Tools whose click on the map picks a second grid for the selected one.
PICKING_TOOLS = ("merge", "delete", "reparent")


class EditorError(RuntimeError):
    """The editor cannot do what was asked; the message says why."""


class EditorBridge(QObject):
    """The page's `editor` object: signals carry grids and overlays to it, its slots take gestures."""

    # Python -> page (JSON)
    gridsShown = Signal(str)  # {seq, level, replace, features, removed}
    selectionShown = Signal(str)  # {seq, code, rings, feature}
    overlayShown = Signal(str)  # {seq, name, features, fit}
    toolChosen = Signal(str)
    fitTo = Signal(str)  # {seq, bounds: [[south, west], [north, east]]}

    # page -> Python
    ready = Signal()
    viewMoved = Signal(tuple, float)  # (west, south, east, north), zoom
    clickedAt = Signal(float, float)
    vertexMoved = Signal(list, list)  # from [lon, lat], to [lon, lat]
    edgeMoved = Signal(list, list, list)  # start, end, offset
    lineFinished = Signal(list)
    polygonFinished = Signal(list)
    proposalChanged = Signal(list)
    acknowledged = Signal(int)

    @Slot()
    def pageReady(self) -> None:
        self.ready.emit()

    @Slot(float, float, float, float, float)
    def viewChanged(self, west: float, south: float, east: float, north: float, zoom: float) -> None:
        self.viewMoved.emit((west, south, east, north), zoom)

    @Slot(float, float)
    def clicked(self, lon: float, lat: float) -> None:
        self.clickedAt.emit(lon, lat)

    @Slot(str)
    def vertexDragged(self, text: str) -> None:
        gesture = json.loads(text)
        self.vertexMoved.emit(gesture["from"], gesture["to"])

    @Slot(str)
    def edgeDragged(self, text: str) -> None:
        gesture = json.loads(text)
        self.edgeMoved.emit(gesture["start"], gesture["end"], gesture["offset"])

    @Slot(str)
    def lineDrawn(self, text: str) -> None:
        self.lineFinished.emit(json.loads(text))

    @Slot(str)
    def polygonDrawn(self, text: str) -> None:
        self.polygonFinished.emit(json.loads(text))

    @Slot(str)
    def proposalEdited(self, text: str) -> None:
        self.proposalChanged.emit(json.loads(text))

    @Slot(int)
    def drawn(self, seq: int) -> None:
        self.acknowledged.emit(seq)


class _Loader(QObject):
    """Reads the base map and the grids on a worker thread (seconds at city scale)."""

    mapRead = Signal(MapData)
    modelRead = Signal(object)
    failed = Signal(str)

    def start(self, store: Store, analyst: str) -> None:
        # A Python thread, not QThreadPool: PROJ crashes on a pool thread's small stack (see console/app.py).
        threading.Thread(target=self._read, args=(store, analyst), name="editor-loader", daemon=True).start()

    def _read(self, store: Store, analyst: str) -> None:
        try:
            self.mapRead.emit(read_map_data(store, layers=BASE_LAYERS))
            self.modelRead.emit(EditorModel(store, analyst))
        except StoreError as err:
            self.failed.emit(str(err))
        except Exception as err:  # a bug: this thread is the last place it can be reported
            log.exception("reading the grids for the editor failed")
            self.failed.emit(str(err))


def _cell(text: str, align_right: bool = False) -> QTableWidgetItem:
    item = QTableWidgetItem(text)
    item.setToolTip(text)  # narrow docks cut long texts (the why of a change-set)
    item.setFlags(item.flags() & ~Qt.ItemFlag.ItemIsEditable)
    if align_right:
        item.setTextAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
    return item


def _wrap_entries(entries: QListWidget) -> None:
    """Long entries wrap onto more lines of a narrow dock instead of scrolling it sideways."""
    entries.setWordWrap(True)
    entries.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
    entries.setResizeMode(QListView.ResizeMode.Adjust)  # wrap again when the dock is resized


def _table(headers: list[str]) -> QTableWidget:
    table = QTableWidget(0, len(headers))
    table.setHorizontalHeaderLabels(headers)
    table.verticalHeader().hide()
    table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
    table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
    table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
    table.horizontalHeader().setStretchLastSection(True)
    return table


class FeedbackPanel(QWidget):
    """What the last edit did: a message, the workload of the affected grids before → after,
    and the rules or limits it breaks."""

    importApplied = Signal()
    importDiscarded = Signal()

    def __init__(self, parent=None):
        super().__init__(parent)
        self.message = QLabel(wordWrap=True, objectName="editorMessage")
        self.message.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.table = _table([self.tr("Grid"), self.tr("Area km²"), self.tr("Households"), self.tr("Open")])
        self.table.horizontalHeaderItem(3).setToolTip(self.tr("Open tickets in the grid"))
        # The numbers keep their width; the code column takes what is left of a narrow dock and
        # drops its leading digits, which the grids of one edit share (the tooltip has it all).
        self.table.horizontalHeader().setStretchLastSection(False)
        self.table.horizontalHeader().setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        self.table.setTextElideMode(Qt.TextElideMode.ElideLeft)
        self.warnings = QListWidget(objectName="editorWarnings")
        self.warnings.setMaximumHeight(140)
        _wrap_entries(self.warnings)
        self.apply_import = QPushButton(self.tr("Apply the imported layout"))
        self.discard_import = QPushButton(self.tr("Discard"))
        self.apply_import.clicked.connect(self.importApplied)
        self.discard_import.clicked.connect(self.importDiscarded)
        buttons = QHBoxLayout()
        buttons.addWidget(self.apply_import)
        buttons.addWidget(self.discard_import)
        self.show_import_buttons(False)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.addWidget(self.message)
        layout.addLayout(buttons)
        layout.addWidget(self.table, 1)
        layout.addWidget(QLabel(self.tr("Warnings")))
        layout.addWidget(self.warnings)
        self.say(self.tr("Select a grid: click it on the map."), "info")

    def show_import_buttons(self, shown: bool, can_apply: bool = True) -> None:
        self.apply_import.setVisible(shown)
        self.apply_import.setEnabled(can_apply)
        self.discard_import.setVisible(shown)

    def say(self, text: str, kind: str) -> None:
        """kind: info, ok, warn or error (a refused edit, a conflict)."""
        colours = {"info": ("#26303a", "#dfe6ec"), "ok": ("#1f4d33", "#d9ffe6"), "warn": ("#5a4714", "#fff1c7"),
                   "error": ("#6b1f24", "#ffe1e1")}
        background, colour = colours[kind]
        self.message.setStyleSheet(f"QLabel {{ background: {background}; color: {colour}; padding: 8px; "
                                   "border-radius: 4px; font-size: 14px; }")
        self.message.setText(text)
        self.message.setProperty("kind", kind)

    def show_workload(self, before: list, after: list, issues: list) -> None:
        """Workload rows (gis.editing.Workload) before → after, and the issues (gis.editing.Issue)."""
        old = {w.code: w for w in before}
        new = {w.code: w for w in after}
        codes = list(dict.fromkeys([*new, *old]))
        self.table.setRowCount(len(codes))
        for r, code in enumerate(codes):
            a, b = old.get(code), new.get(code)
            self.table.setItem(r, 0, _cell(code))
            self.table.setItem(r, 1, _cell(_arrow(a and a.area_m2 / 1e6, b and b.area_m2 / 1e6, "{:.3f}"), True))
            self.table.setItem(r, 2, _cell(_arrow(a and a.households, b and b.households, "{:,}"), True))
            self.table.setItem(r, 3, _cell(_arrow(a and a.open_tickets, b and b.open_tickets, "{}"), True))
        self.warnings.clear()
        for issue in issues:
            item = QListWidgetItem(self.describe(issue))
            item.setToolTip(issue.message)
            item.setForeground(QColor("#ffcf70"))
            self.warnings.addItem(item)

    def describe(self, issue) -> str:
        """An issue in the UI language: the grid, what is wrong, the numbers."""
        limits = {
            "area_below": self.tr("area {0:,.0f} m² is below the smallest {1:,.0f} m²"),
            "area_above": self.tr("area {0:,.0f} m² is above the largest {1:,.0f} m²"),
            "households_above": self.tr("{0:,.0f} households, more than {1:,.0f}"),
            "open_tickets_above": self.tr("{0:,.0f} open tickets, more than {1:,.0f}"),
        }
        rules = {  # gis.topology.PROBLEM_KINDS
            "empty_geometry": self.tr("it has no shape"),
            "not_polygon": self.tr("its shape is not a polygon"),
            "invalid_geometry": self.tr("its boundary crosses itself"),
            "swapped_axes": self.tr("its longitude and latitude are swapped"),
            "not_lonlat": self.tr("its coordinates are not longitude and latitude in China"),
            "missing_code": self.tr("it has no code"),
            "duplicate_code": self.tr("its code is used twice"),
            "missing_level": self.tr("it has no level"),
            "missing_parent": self.tr("its parent does not exist"),
            "level_mismatch": self.tr("its level does not follow its parent's"),
            "overlap": self.tr("overlaps a neighbour"),
            "outside_parent": self.tr("reaches outside its parent"),
            "gap": self.tr("leaves a gap between grids"),
        }
        code = issue.code or "—"
        if issue.kind in limits:
            return f"{code}: " + limits[issue.kind].format(issue.value, issue.limit)
        if issue.kind in rules:
            facts = self._facts(issue)
            return f"{code}: {rules[issue.kind]}" + (f" ({facts})" if facts else "")
        return f"{code}: {issue.message}"

    def _facts(self, issue) -> str:
        """A broken rule's numbers and neighbours (Issue.details) in the UI language; nothing for
        the rules whose name says it all, or an issue without details (the English message is
        in the tooltip)."""
        details = issue.details
        templates = {
            "overlap": self.tr("{area_m2:,.1f} m² over {other}"),
            "outside_parent": self.tr("{area_m2:,.1f} m² outside {parent}"),
            "gap": self.tr("{area_m2:,.1f} m² in no grid"),
            "level_mismatch": self.tr("level {level} under {parent} of level {parent_level}"),
            "missing_parent": self.tr("parent code {parent}") if "parent" in details
            else self.tr("only level {top_level} may have none"),
        }
        template = templates.get(issue.kind)
        return template.format(**details) if template and details else ""

    def explain(self, outcome: Outcome) -> str:
        """Why an outcome failed, in the UI language; a store's or a file's error has no reason
        kind and shows as it is."""
        if outcome.reason is None:
            return outcome.message
        return self.reasons()[outcome.reason].format(**outcome.details)

    def reasons(self) -> dict[str, str]:
        """Each kind of gis.editing.EDIT_ERRORS and editor_model.REFUSALS in the UI language, with
        the error's params as named fields."""
        return {
            "no_grid": self.tr("there is no grid {code}"),
            "has_children": self.tr("{code} has grids of its own: edit those first"),
            "split_parts": self.tr("the line must cut grid {code} into exactly two parts, not {parts}"),
            "with_itself": self.tr("pick a grid other than {code} itself"),
            "not_siblings": self.tr("{absorbed} and {code} are not under the same parent ({absorbed_parent} and "
                                    "{parent})"),
            "no_shared_edge": self.tr("{absorbed} and {code} do not share an edge"),
            "edge_points": self.tr("an edge needs two different end points"),
            "no_vertex": self.tr("no grid has a corner at {lon:.7f},{lat:.7f}"),
            "drawn_outside": self.tr("the drawn grid does not lie inside {parent}"),
            "drawn_over_parent": self.tr("the drawn grid overlaps {code}, which has grids of its own"),
            "drawn_over_all": self.tr("the drawn grid would cover all of {code}: merge or delete it instead"),
            "already_under": self.tr("{code} is already under {parent}"),
            "parent_level": self.tr("{parent} is a level {parent_level} grid; {code} needs a level {level} parent"),
            "not_inside_nor_bordering": self.tr("{code} neither lies inside {parent} nor borders it within the same "
                                                "parent"),
            "whole_parent": self.tr("{code} is all of {parent}: merge {parent} instead"),
            "empty_code": self.tr("a grid code cannot be empty"),
            "code_used": self.tr("code {code} is already used"),
            "code_prefix": self.tr("code {code} must start with its parent's code {parent}"),
            "empty_name": self.tr("a grid name cannot be empty"),
            "negative_households": self.tr("households must be 0 or more, not {households}"),
            "no_worker_grid": self.tr("there is no grid {code} for worker {worker}"),
            "top_level_code": self.tr("top-level grids get their codes from the administration, not from the editor"),
            "broken_rules": self.tr("it would break the rules below"),
            "short_line": self.tr("draw a line of at least two points across the grid"),
            "few_corners": self.tr("draw at least three corners"),
            "no_parent_there": self.tr("draw the new grid inside a grid that has grids of its own"),
            "nothing_to_save": self.tr("there are no edits to save"),
            "unsaved_before_rollback": self.tr("save or undo your edits before rolling back"),
            "unsaved_before_import": self.tr("save or undo your edits before importing a layout"),
            "no_import_previewed": self.tr("no layout is previewed"),
        }


def _arrow(before, after, fmt: str) -> str:
    """before→after, or the value once if the edit left it as it was (what changed stands out)."""
    def show(value) -> str:
        return "—" if value is None or (isinstance(value, float) and np.isnan(value)) else fmt.format(value)

    return show(after) if show(before) == show(after) else f"{show(before)}→{show(after)}"


class AttributesForm(QGroupBox):
    """Code, name, households, chief and members of the selected grid."""

    applied = Signal(dict)  # keyword arguments of EditorModel.set_attributes

    def __init__(self, parent=None):
        super().__init__(self.tr("Selected grid"), parent)
        self.code = QLineEdit()
        self.name = QLineEdit()
        self.households = QSpinBox(maximum=10_000_000)
        self.chief = QComboBox()
        self.members = QListWidget()
        self.members.setMaximumHeight(150)
        self.others_go_to = QComboBox()
        self.apply = QPushButton(self.tr("Apply attributes"))
        self.apply.clicked.connect(self._apply)
        form = QFormLayout(self)
        form.addRow(self.tr("Code"), self.code)
        form.addRow(self.tr("Name"), self.name)
        form.addRow(self.tr("Households"), self.households)
        form.addRow(self.tr("Chief"), self.chief)
        form.addRow(self.tr("Members"), self.members)
        form.addRow(self.tr("Unchecked members go to"), self.others_go_to)
        form.addRow(self.apply)
        self._grid: dict | None = None
        self.setEnabled(False)

    def show_grid(self, grid: dict | None, workers: pd.DataFrame | None = None, neighbours=()) -> None:
        """grid: code, name, households, chief_id; workers: of the grid and its siblings."""
        self._grid = grid
        self.setEnabled(grid is not None)
        self.members.clear()
        self.chief.clear()
        self.others_go_to.clear()
        if grid is None:
            for field in (self.code, self.name):
                field.clear()
            self.households.setValue(0)
            return
        self.code.setText(grid["code"])
        self.name.setText(grid["name"])
        self.households.setValue(int(grid["households"] or 0))
        self.chief.addItem(self.tr("(none)"), "")
        for worker in workers.itertuples():
            here = worker.grid_code == grid["code"]
            item = QListWidgetItem(worker.name if here else f"{worker.name} ({worker.grid_code})")
            item.setData(Qt.ItemDataRole.UserRole, (worker.responder_id, worker.grid_code))
            item.setFlags(item.flags() | Qt.ItemFlag.ItemIsUserCheckable)
            item.setCheckState(Qt.CheckState.Checked if here else Qt.CheckState.Unchecked)
            self.members.addItem(item)
            if here:
                self.chief.addItem(worker.name, worker.responder_id)
        self.chief.setCurrentIndex(max(0, self.chief.findData(grid.get("chief_id") or "")))
        for code in neighbours:
            self.others_go_to.addItem(code, code)

    def _apply(self) -> None:
        grid = self._grid
        values: dict = {}
        if self.code.text().strip() != grid["code"]:
            values["new_code"] = self.code.text()
        if self.name.text() != grid["name"]:
            values["name"] = self.name.text()
        if self.households.value() != int(grid["households"] or 0):
            values["households"] = self.households.value()
        if (self.chief.currentData() or "") != (grid.get("chief_id") or ""):
            values["chief_id"] = self.chief.currentData() or ""
        workers = {}
        for i in range(self.members.count()):
            item = self.members.item(i)
            rid, now = item.data(Qt.ItemDataRole.UserRole)
            checked = item.checkState() == Qt.CheckState.Checked
            if checked and now != grid["code"]:
                workers[rid] = (now, grid["code"])
            elif not checked and now == grid["code"] and self.others_go_to.currentData():
                workers[rid] = (now, self.others_go_to.currentData())
        if workers:
            values["workers"] = workers
        self.applied.emit(values)


class HistoryPanel(QWidget):
    """Saved change-sets, newest first: pick one to see old vs new boundaries; roll it back.
    Each is an entry of a few wrapped lines (number, time and analyst; what and how many grids;
    why), readable in the narrow dock where a table's six columns scrolled sideways."""

    chosen = Signal(int)
    rollbackRequested = Signal(int)

    def __init__(self, parent=None):
        super().__init__(parent)
        self.entries = QListWidget()
        self.entries.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        _wrap_entries(self.entries)
        self.entries.setSpacing(2)
        self.entries.itemSelectionChanged.connect(self._on_chosen)
        self.rollback = QPushButton(self.tr("Roll back this change…"))
        self.rollback.setEnabled(False)
        self.rollback.clicked.connect(lambda: self.rollbackRequested.emit(self.current()))
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.addWidget(self.entries, 1)
        layout.addWidget(self.rollback)

    def show_changesets(self, table: pd.DataFrame, label=str) -> None:
        """Change-sets, with `label` naming an operation in the UI language."""
        self.entries.clear()
        for row in table.itertuples():
            when = str(row.at).replace("T", " ").rstrip("Z")[:16]  # to the minute; the tooltip has the seconds
            operation = "、".join(label(op) for op in row.operation.split(", ")) if pd.isna(row.rolls_back) \
                else self.tr("rollback of {0}").format(row.rolls_back)
            lines = [f"#{row.changeset_id}  {when}  {row.by}",
                     self.tr("{0} · {1} grids").format(operation, row.grids)]
            if row.why:
                lines.append(self.tr("Why: {0}").format(row.why))
            item = QListWidgetItem("\n".join(lines))
            item.setData(Qt.ItemDataRole.UserRole, int(row.changeset_id))
            item.setToolTip("\n".join([str(row.at), *lines[1:]]))
            self.entries.addItem(item)
        self.rollback.setEnabled(False)

    def current(self) -> int:
        items = self.entries.selectedItems()
        return items[0].data(Qt.ItemDataRole.UserRole) if items else -1

    def select_changeset(self, changeset_id: int) -> bool:
        for r in range(self.entries.count()):
            if self.entries.item(r).data(Qt.ItemDataRole.UserRole) == changeset_id:
                self.entries.setCurrentRow(r)
                return True
        return False

    def _on_chosen(self) -> None:
        changeset = self.current()
        self.rollback.setEnabled(changeset >= 0)
        if changeset >= 0:
            self.chosen.emit(changeset)


class BalancePanel(QWidget):
    """The balance assistant: grids over a workload limit, and a split proposal for the chosen one."""

    findRequested = Signal(int, float, float)  # days, max tickets per household, max area km²
    chosen = Signal(str)
    accepted = Signal()

    def __init__(self, parent=None):
        super().__init__(parent)
        self.days = QSpinBox(minimum=1, maximum=3650, value=90, suffix=self.tr(" days"))
        self.per_household = QDoubleSpinBox(minimum=0.0, maximum=100.0, value=0.05, decimals=3, singleStep=0.01)
        self.area = QDoubleSpinBox(minimum=0.01, maximum=10_000.0, value=3.0, decimals=2, suffix=" km²")
        self.find = QPushButton(self.tr("Find overloaded grids"))
        self.find.clicked.connect(lambda: self.findRequested.emit(
            self.days.value(), self.per_household.value(), self.area.value()))
        self.table = _table([self.tr("Grid"), self.tr("Tickets"), self.tr("Households"),
                             self.tr("Tickets per household"), self.tr("Area km²")])
        self.table.itemSelectionChanged.connect(self._on_chosen)
        self.accept = QPushButton(self.tr("Accept the proposed split"))
        self.accept.setEnabled(False)
        self.accept.clicked.connect(self.accepted)
        hint = QLabel(self.tr("Pick a grid to see where to split it; drag the pink line's points to adjust it."),
                      wordWrap=True)
        form = QFormLayout()
        form.addRow(self.tr("Tickets of the last"), self.days)
        form.addRow(self.tr("Most tickets per household"), self.per_household)
        form.addRow(self.tr("Largest area"), self.area)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.addLayout(form)
        layout.addWidget(self.find)
        layout.addWidget(self.table, 1)
        layout.addWidget(hint)
        layout.addWidget(self.accept)

    def show_overloaded(self, table: pd.DataFrame) -> None:
        self.table.setRowCount(len(table))
        for r, row in enumerate(table.itertuples()):
            self.table.setItem(r, 0, _cell(row.code))
            self.table.setItem(r, 1, _cell(str(row.tickets), True))
            self.table.setItem(r, 2, _cell("—" if pd.isna(row.households) else f"{int(row.households):,}", True))
            ratio = row.tickets_per_household
            self.table.setItem(r, 3, _cell("—" if pd.isna(ratio) else f"{ratio:.3f}", True))
            self.table.setItem(r, 4, _cell(f"{row.area_m2 / 1e6:.2f}", True))
        self.accept.setEnabled(False)

    def _on_chosen(self) -> None:
        rows = self.table.selectionModel().selectedRows()
        if rows:
            self.chosen.emit(self.table.item(rows[0].row(), 0).text())
            self.accept.setEnabled(True)


class EditorWindow(QMainWindow):
    """The analysts' grid editor."""

    ready = Signal()  # the grids of the first view are drawn
    loadFailed = Signal(str)
    outcome = Signal(object)  # every Outcome, after it is shown
    overloadedFound = Signal(object)  # the balance assistant's table of overloaded grids
    _overloaded_counted = Signal(object)  # from the worker thread: the table, or why it failed

    def __init__(self, store: Store, analyst: str | None = None, ask_before_closing: bool = False):
        super().__init__()
        self._title = self.tr("Grid editor") + " — gridsight"
        self.setWindowTitle(self._title)
        self._store = store
        self._ask_before_closing = ask_before_closing
        self.model: EditorModel | None = None
        self.bridge = EditorBridge(self)
        self.map = MapView(self, mode="editor", channel_objects={"editor": self.bridge})
        self.setCentralWidget(self.map)
        self.feedback = FeedbackPanel()
        self.attributes = AttributesForm()
        self.history = HistoryPanel()
        self.balance = BalancePanel()
        right = QSplitter(Qt.Orientation.Vertical)  # the analyst gives the form or the feedback more room
        right.addWidget(self.feedback)
        right.addWidget(self.attributes)
        right.setStretchFactor(0, 3)
        right.setStretchFactor(1, 2)
        self._add_dock("edit", self.tr("Edit"), right, Qt.DockWidgetArea.RightDockWidgetArea)
        self.tabs = QTabWidget()
        self.tabs.addTab(self.history, self.tr("History"))
        self.tabs.addTab(self.balance, self.tr("Balance"))
        self._add_dock("versions", self.tr("History and balance"), self.tabs, Qt.DockWidgetArea.LeftDockWidgetArea)
        self.tool = "select"
        self.selected: str | None = None
        self.proposal: list | None = None  # the balance assistant's line, as the analyst left it
        self.proposal_for: str | None = None
        self._bbox: tuple[float, float, float, float] | None = None
        self._seq = 0
        self.drawn_seq = 0
        self._ready_seq: int | None = None
        self._page_ready = False
        self._base_drawn = False
        self._actions: dict[str, QAction] = {}
        self._form_key: tuple | None = None
        self._add_toolbar()
        self.bridge.ready.connect(self._on_page_ready)
        self.bridge.viewMoved.connect(self._on_view_moved)
        self.bridge.clickedAt.connect(self._on_clicked)
        self.bridge.vertexMoved.connect(self.move_vertex)
        self.bridge.edgeMoved.connect(self.move_edge)
        self.bridge.lineFinished.connect(self._on_line)
        self.bridge.polygonFinished.connect(self._on_polygon)
        self.bridge.proposalChanged.connect(self._on_proposal_edited)
        self.bridge.acknowledged.connect(self._on_acknowledged)
        self.map.layersDrawn.connect(self._on_base_drawn)
        self.attributes.applied.connect(self.set_attributes)
        self.history.chosen.connect(self.show_changeset)
        self.history.rollbackRequested.connect(self._ask_rollback)
        self.balance.findRequested.connect(self.find_overloaded)
        self._overloaded_counted.connect(self._on_overloaded)
        self.balance.chosen.connect(self.propose_split)
        self.balance.accepted.connect(self.accept_proposal)
        self.feedback.importApplied.connect(self.apply_import)
        self.feedback.importDiscarded.connect(self.discard_import)
        self.statusBar().showMessage(self.tr("Loading the grids…"))
        self._loader = _Loader()  # no parent: it may outlive a window closed while it reads
        self._loader.mapRead.connect(self.map.show_data)
        self._loader.modelRead.connect(self._on_model)
        self._loader.failed.connect(self._on_load_failed)
        self._loader.start(store, analyst or getpass.getuser())

    # -- layout ---------------------------------------------------------------------------

    def _add_dock(self, name: str, title: str, widget: QWidget, area: Qt.DockWidgetArea) -> None:
        dock = QDockWidget(title, self)
        dock.setObjectName(name)
        dock.setWidget(widget)
        dock.setFeatures(QDockWidget.DockWidgetFeature.DockWidgetMovable
                         | QDockWidget.DockWidgetFeature.DockWidgetFloatable)
        self.addDockWidget(area, dock)

    def showEvent(self, event) -> None:
        super().showEvent(event)
        # The edit dock is wider: its table shows before → after numbers of several grids.
        widths = {"edit": max(370, int(self.width() * 0.26)), "versions": max(230, int(self.width() * 0.17))}
        docks = self.findChildren(QDockWidget)
        self.resizeDocks(docks, [widths[d.objectName()] for d in docks], Qt.Orientation.Horizontal)

    def _add_toolbar(self) -> None:
        bar = QToolBar(self.tr("Tools"), objectName="tools")
        bar.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextOnly)
        self.addToolBar(Qt.ToolBarArea.TopToolBarArea, bar)
        tools = [
            ("select", self.tr("Select / reshape (V)"), "V", lambda: self.set_tool("select")),
            ("draw", self.tr("Draw grid (N)"), "N", lambda: self.set_tool("draw")),
            ("split", self.tr("Split (S)"), "S", lambda: self.set_tool("split")),
            ("merge", self.tr("Merge (M)"), "M", lambda: self.set_tool("merge")),
            ("reparent", self.tr("Re-parent (R)"), "R", lambda: self.set_tool("reparent")),
            ("delete", self.tr("Delete (Del)"), "Del", lambda: self.set_tool("delete")),
            ("up", self.tr("Parent (U)"), "U", self.select_parent),
            None,
            ("undo", self.tr("Undo"), "Ctrl+Z", self.undo),
            ("redo", self.tr("Redo"), "Ctrl+Shift+Z", self.redo),
            ("save", self.tr("Save…"), "Ctrl+S", self._ask_save),
            ("reload", self.tr("Reload"), "F5", self.reload),
            None,
            ("import", self.tr("Import layout…"), "Ctrl+I", self._ask_import),
            ("export", self.tr("Export layout…"), "Ctrl+E", self._ask_export),
        ]
        for tool in tools:
            if tool is None:
                bar.addSeparator()
                continue
            name, text, key, slot = tool
            action = QAction(text, self)
            action.setShortcut(QKeySequence(key))
            action.setShortcutContext(Qt.ShortcutContext.WindowShortcut)
            action.setObjectName(f"editor-{name}")
            if name in ("select", "draw", "split", "merge", "reparent", "delete"):
                action.setCheckable(True)
            action.triggered.connect(slot)
            bar.addAction(action)
            self._actions[name] = action
        escape = QAction(self)
        escape.setShortcut(QKeySequence(Qt.Key.Key_Escape))
        escape.triggered.connect(lambda: self.set_tool("select"))
        self.addAction(escape)
        self._actions["select"].setChecked(True)

    # -- loading --------------------------------------------------------------------------

    def _on_model(self, model: EditorModel) -> None:
        self.model = model
        self.refresh_history()
        self._start()

    def _on_base_drawn(self, _counts: dict) -> None:
        self._base_drawn = True
        self._start()

    def _on_page_ready(self) -> None:
        self._page_ready = True
        self._start()

    def _start(self) -> None:
        """Once the page, the base map and the grids are all there: fit the territory."""
        if not (self.model is not None and self._page_ready and self._base_drawn) or self._ready_seq is not None:
            return
        self._ready_seq = -1  # started; the first grids message sets the real number
        west, south, east, north = self.model.grids.total_bounds
        self.fit([[south, west], [north, east]])
        self.statusBar().clearMessage()

    def _on_load_failed(self, message: str) -> None:
        self.feedback.say(self.tr("The grids could not be loaded: {0}").format(message), "error")
        self.loadFailed.emit(message)

    def _next_seq(self) -> int:
        self._seq += 1
        return self._seq

    def _on_acknowledged(self, seq: int) -> None:
        self.drawn_seq = max(self.drawn_seq, seq)
        if self._ready_seq is not None and 0 < self._ready_seq <= seq:
            self._ready_seq = 0
            self.ready.emit()

    @property
    def is_drawn(self) -> bool:
        """The page has painted everything sent to it."""
        return self.drawn_seq >= self._seq

    # -- the view -------------------------------------------------------------------------

    def _on_view_moved(self, bbox: tuple, _zoom: float) -> None:
        self._bbox = bbox
        self.send_view()

    def send_view(self) -> None:
        """Every grid of the current view to the page, at the level that fits."""
        if self.model is None or self._bbox is None:
            return
        level, frame = self.model.view(self._bbox, extra=[self.selected] if self.selected else [])
        seq = self._next_seq()
        header = json.dumps({"seq": seq, "level": level, "replace": True})
        self.bridge.gridsShown.emit(f'{header[:-1]},"features":{self.model.features(frame)}}}')
        if self._ready_seq == -1:
            self._ready_seq = seq

    def _send_changed(self, changed: list[str], removed: list[str]) -> None:
        """Only the grids an edit touched go to the page (the round trip stays short)."""
        level = self.model.edit_level
        rows = self.model.grids[self.model.grids["code"].isin(changed) & (self.model.grids["level"] <= level)]
        deeper = [c for c in changed if c not in set(rows["code"])]
        header = json.dumps({"seq": self._next_seq(), "replace": False, "removed": [*removed, *deeper]})
        self.bridge.gridsShown.emit(f'{header[:-1]},"features":{self.model.features(rows)}}}')

    def select(self, code: str | None) -> None:
        """Select a grid (None: nothing): its outline, drag handles and attributes show."""
        row = self.model.row(code) if code and self.model is not None else None
        self.selected = None if row is None else code
        message = {"seq": self._next_seq(), "code": self.selected}
        if row is not None:
            message["rings"] = self.model.vertices(code)
            message["feature"] = json.loads(self.model.features(row.to_frame().T.set_geometry("geometry")))
        self.bridge.selectionShown.emit(json.dumps(message))
        self._fill_form(row)

    def _fill_form(self, row: pd.Series | None) -> None:
        """The attributes form for the selected grid, refilled only when what it shows changed
        (a reshaped grid keeps its form: the edit round trip stays short)."""
        grid = None if row is None else {
            "code": row["code"], "name": row["name"],
            "households": None if pd.isna(row.get("households")) else int(row["households"]),
            "chief_id": None if pd.isna(row.get("chief_id")) else row["chief_id"]}
        key = (grid and tuple(grid.values()), self.model and self.model.workers_version, len(self.model.grids)
               if self.model else 0)
        if key == self._form_key:
            return
        self._form_key = key
        if grid is None:
            self.attributes.show_grid(None)
            return
        self.attributes.show_grid(grid, self.model.nearby_workers(grid["code"]), self.model.neighbours(grid["code"]))
        self.statusBar().showMessage(f"{grid['code']}  {grid['name']}", MESSAGE_MS)

    def focus_grid(self, code: str, margin: float = 1.5) -> None:
        """Zoom the map onto a grid with `margin` times its size around it."""
        row = self.model.row(code)
        if row is None:
            return
        west, south, east, north = row.geometry.bounds
        pad_x, pad_y = (east - west) * margin, (north - south) * margin
        self.fit([[south - pad_y, west - pad_x], [north + pad_y, east + pad_x]])

    def fit(self, bounds: list) -> None:
        """Show [[south, west], [north, east]]; the page then asks for the grids of that view."""
        self.bridge.fitTo.emit(json.dumps({"seq": self._next_seq(), "bounds": bounds}))

    def select_parent(self) -> None:
        row = self.model.row(self.selected) if self.selected and self.model else None
        if row is not None and isinstance(row.parent_code, str):
            self.select(row.parent_code)

    def set_tool(self, name: str) -> None:
        """select, draw, split, merge, reparent or delete; the picking tools need a selected grid."""
        if name in (*PICKING_TOOLS, "split") and self.selected is None:
            self.feedback.say(self.tr("Select a grid first: click it on the map."), "warn")
            name = "select"
        self.tool = name
        for tool in ("select", "draw", "split", "merge", "reparent", "delete"):
            self._actions[tool].setChecked(tool == name)
        hints = {
            "select": self.tr("Click a grid to select it (U: its parent); drag its white corners or its cyan edge "
                              "points to reshape."),
            "draw": self.tr("Click the corners of the new grid; click the first corner again to finish. "
                            "Edges snap to the grids around."),
            "split": self.tr("Draw the cut across the selected grid; click the last point again to finish."),
            "merge": self.tr("Click the neighbouring grid to merge into the selected one."),
            "reparent": self.tr("Click the grid that becomes the new parent."),
            "delete": self.tr("Click the neighbouring grid that takes over the area."),
        }
        self.feedback.say(hints[name], "info")
        self.bridge.toolChosen.emit(name)

    def _on_clicked(self, lon: float, lat: float) -> None:
        if self.model is None:
            return
        if self.tool == "select":
            self.select(self.model.grid_at(lon, lat))
            return
        row = self.model.row(self.selected)
        level = row.level - 1 if self.tool == "reparent" else row.level
        target = self.model.grid_at(lon, lat, level=level)
        if target is None:
            self.feedback.say(self.tr("No grid of the right level there."), "warn")
            return
        if self.tool == "merge":
            self.merge(self.selected, target)
        elif self.tool == "delete":
            self.delete(self.selected, target)
        else:
            self.reparent(self.selected, target)

    # -- operations -------------------------------------------------------------------------

    def _operation(self, operation: str) -> str:
        names = {
            "split": self.tr("Split"), "merge": self.tr("Merged"), "delete": self.tr("Deleted"),
            "move_vertex": self.tr("Vertex moved"), "move_edge": self.tr("Edge moved"),
            "draw": self.tr("New grid drawn"), "reparent": self.tr("Re-parented"),
            "attributes": self.tr("Attributes changed"), "import": self.tr("Layout imported"),
            "rollback": self.tr("Rolled back"),
        }
        return names.get(operation, operation)

    def _after(self, outcome: Outcome, select: str | None = None, keep_tool: bool = False,
               verb: str | None = None) -> Outcome:
        """Show an outcome: the message, the workload before/after, and the changed grids."""
        if not keep_tool and self.tool != "select":
            self.set_tool("select")
        if outcome.ok:
            what = self._operation(outcome.change.operation.removeprefix("undo ")) if outcome.change else ""
            first = [c for c in (select, self.selected) if c in outcome.changed][:1]
            changed = first + [c for c in outcome.changed if c not in first]
            codes = ", ".join(changed[:4]) + (" …" if len(changed) > 4 else "")
            text = (verb or self.tr("{0}: {1}")).format(what, codes)
            if outcome.problems:
                text += "\n" + self.tr("Check the warnings below.")
            self.feedback.say(text, "warn" if outcome.problems else "ok")
            self._send_changed(outcome.changed, outcome.removed)
        else:
            refused = outcome.change is not None and outcome.problems
            self.feedback.say(self.tr("Not done, it would break the rules below.") if refused
                              else self.tr("Not done: {0}").format(self.feedback.explain(outcome)), "error")
        if outcome.feedback is not None:
            self.feedback.show_workload(outcome.feedback.before, outcome.feedback.after, list(outcome.problems))
        elif outcome.problems:
            self.feedback.show_workload([], [], list(outcome.problems))
        if outcome.ok:
            current = select or self.selected
            if current is not None and self.model.row(current) is None and outcome.change is not None:
                current = outcome.change.reassigned.get(current, next(iter(outcome.changed), None))
            self.select(current)
        elif self.selected is not None:
            self.select(self.selected)  # handles back where they were
        self._update_title()
        self.outcome.emit(outcome)
        return outcome

    def _update_title(self) -> None:
        unsaved = self.model is not None and self.model.has_unsaved()
        self.setWindowTitle(self._title + (" *" if unsaved else ""))
        self._actions["undo"].setEnabled(unsaved)

    def move_vertex(self, old: list, new: list) -> Outcome:
        return self._after(self.model.move_vertex(old, new))

    def move_edge(self, start: list, end: list, offset: list) -> Outcome:
        return self._after(self.model.move_edge(start, end, offset))

    def split(self, code: str, line: list) -> Outcome:
        return self._after(self.model.split(code, line), select=code)

    def merge(self, code: str, other: str) -> Outcome:
        return self._after(self.model.merge(code, other), select=code)

    def delete(self, code: str, receiver: str) -> Outcome:
        return self._after(self.model.delete(code, receiver), select=receiver)

    def reparent(self, code: str, parent: str) -> Outcome:
        outcome = self.model.reparent(code, parent)
        moved = outcome.change.reassigned.get(code) if outcome.ok else None
        return self._after(outcome, select=moved)

    def draw(self, ring: list) -> Outcome:
        outcome = self.model.draw(ring)
        created = None
        if outcome.ok:
            created = next((c for c in outcome.changed if c not in set(outcome.change.before["code"])), None)
        return self._after(outcome, select=created)

    def set_attributes(self, values: dict) -> Outcome:
        if not values:
            self.feedback.say(self.tr("Nothing changed in the form."), "info")
            return Outcome(False, "nothing changed")
        outcome = self.model.set_attributes(self.selected, **values)
        recoded = outcome.change.reassigned.get(self.selected) if outcome.ok and outcome.change else None
        return self._after(outcome, select=recoded or self.selected)

    def _on_line(self, line: list) -> None:
        code = self.selected or self.model.grid_at(*np.mean(line, axis=0))
        if code is None:
            self._after(Outcome(False, self.tr("draw the cut across a grid")))
            return
        self.split(code, line)

    def _on_polygon(self, ring: list) -> None:
        self.draw(ring)

    def undo(self) -> Outcome:
        outcome = self.model.undo()
        if not outcome.ok:
            self.feedback.say(self.tr("Nothing to undo."), "info")
            return outcome
        return self._after(outcome, keep_tool=True, verb=self.tr("Undone — {0}: {1}"))

    def redo(self) -> Outcome:
        outcome = self.model.redo()
        if not outcome.ok:
            self.feedback.say(self.tr("Nothing to redo."), "info")
            return outcome
        return self._after(outcome, keep_tool=True, verb=self.tr("Redone — {0}: {1}"))

    # -- saving, history ------------------------------------------------------------------

    def _ask_save(self) -> None:
        if self.model is None or not self.model.has_unsaved():
            self.feedback.say(self.tr("Nothing to save."), "info")
            return
        why, ok = QInputDialog.getText(self, self.tr("Save the grid changes"),
                                       self.tr("Why were the grids changed? (kept in the history)"))
        if ok:
            self.save(why)

    def save(self, why: str) -> Outcome:
        """Save the session as one change-set; a conflict with another analyst's save saves nothing."""
        if not why.strip():
            outcome = Outcome(False, self.tr("say why the grids were changed"))
        else:
            outcome = self.model.save(why)
        if outcome.ok:
            self.feedback.say(self.tr("Saved as change-set {0}.").format(outcome.changeset), "ok")
            self._reload_view()
        elif outcome.conflict:
            self.feedback.say(self.tr("Conflict: another analyst changed these grids since you opened them. "
                                      "Nothing was saved. Reload (F5) to see their version, then redo your edit.")
                              + "\n" + outcome.message, "error")
        else:
            self.feedback.say(self.tr("Not saved: {0}").format(self.feedback.explain(outcome)), "error")
        self._update_title()
        self.outcome.emit(outcome)
        return outcome

    def reload(self) -> None:
        """Take the store's current grids, dropping unsaved edits (after asking, if there are any)."""
        if self.model is None:
            return
        if self.model.has_unsaved() and self._ask_before_closing:
            answer = QMessageBox.question(self, self.tr("Reload"), self.tr("Drop your unsaved edits?"))
            if answer != QMessageBox.StandardButton.Yes:
                return
        self.model.reload()
        self._reload_view()
        self.feedback.say(self.tr("Reloaded the grids from the store."), "info")

    def _reload_view(self) -> None:
        self.feedback.show_workload([], [], [])
        self.refresh_history()
        self.send_view()
        self.select(self.selected)
        self.bridge.overlayShown.emit(json.dumps({"seq": self._next_seq(), "name": "diff", "features": []}))
        self._update_title()

    def refresh_history(self) -> None:
        self.history.show_changesets(self.model.changesets(), self._operation)

    def show_changeset(self, changeset_id: int) -> None:
        """Old (dashed) and new (solid) boundaries of a saved change-set on the map."""
        try:
            diff = self.model.diff(changeset_id)
        except StoreError as err:
            self.feedback.say(str(err), "error")
            return
        self._show_diff(diff, fit=True)
        self.feedback.say(self.tr("Change-set {0}: dashed red = before, solid green = after.").format(changeset_id),
                          "info")
        self.feedback.show_workload([], [], [])

    def _show_diff(self, diff: dict, fit: bool) -> None:
        features = [{**f, "properties": {**f["properties"], "side": side}}
                    for side in ("old", "new") for f in diff[side]]
        self.bridge.overlayShown.emit(json.dumps({"seq": self._next_seq(), "name": "diff", "features": features,
                                                  "fit": fit}))

    def _ask_rollback(self, changeset_id: int) -> None:
        why, ok = QInputDialog.getText(self, self.tr("Roll back"),
                                       self.tr("Why roll back change-set {0}?").format(changeset_id))
        if ok:
            self.rollback(changeset_id, why)

    def rollback(self, changeset_id: int, why: str) -> Outcome:
        outcome = self.model.rollback(changeset_id, why) if why.strip() else Outcome(
            False, self.tr("say why the change is rolled back"))
        if outcome.ok:
            self.feedback.say(self.tr("Rolled back change-set {0} as change-set {1}.").format(
                changeset_id, outcome.changeset), "ok")
            self._reload_view()
        else:
            self.feedback.say(self.tr("Not rolled back: {0}").format(self.feedback.explain(outcome)), "error")
        self.outcome.emit(outcome)
        return outcome

    # -- balance assistant ----------------------------------------------------------------

    def find_overloaded(self, days: int, per_household: float, area_km2: float) -> None:
        """Count the period's tickets per grid on a worker thread (a city's year of tickets takes
        seconds); the list shows when `overloadedFound` fires."""
        self.balance.find.setEnabled(False)
        self.feedback.say(self.tr("Counting the tickets of the period…"), "info")
        model, grids = self.model, self.model.grids

        def count() -> None:
            try:
                self._overloaded_counted.emit(model.overloaded(days, per_household, area_km2, grids))
            except Exception as err:  # a worker thread: the last place the error can be reported
                log.exception("finding overloaded grids failed")
                self._overloaded_counted.emit(str(err))

        threading.Thread(target=count, name="editor-balance", daemon=True).start()

    def _on_overloaded(self, table) -> None:
        self.balance.find.setEnabled(True)
        if isinstance(table, str):
            self.feedback.say(self.tr("Not done: {0}").format(table), "error")
            return
        self.balance.show_overloaded(table)
        self.feedback.say(self.tr("{0} grids over the limits.").format(len(table)), "warn" if len(table) else "ok")
        self.overloadedFound.emit(table)

    def propose_split(self, code: str) -> None:
        """Select the grid and show the assistant's split line, which the analyst may drag."""
        self.select(code)
        self.proposal = self.model.proposal(code)
        self.proposal_for = code
        feature = {"type": "Feature", "geometry": {"type": "LineString", "coordinates": self.proposal},
                   "properties": {}}
        self.bridge.overlayShown.emit(json.dumps({"seq": self._next_seq(), "name": "proposal",
                                                  "features": [feature], "fit": True}))
        preview = self.model.preview_split(code, self.proposal)
        if preview.feedback is not None:
            self.feedback.show_workload(preview.feedback.before, preview.feedback.after, list(preview.problems))
        self.feedback.say(self.tr("Proposed split of {0}: drag the pink line's points to adjust it, "
                                  "then accept it.").format(code), "info")

    def _on_proposal_edited(self, line: list) -> None:
        """The analyst dragged the proposal: its workload before/after follows."""
        self.proposal = line
        preview = self.model.preview_split(self.proposal_for, line)
        if preview.feedback is not None:
            self.feedback.show_workload(preview.feedback.before, preview.feedback.after, list(preview.problems))
        else:
            self.feedback.say(self.tr("Not done: {0}").format(self.feedback.explain(preview)), "warn")

    def accept_proposal(self) -> Outcome | None:
        if not self.proposal or not self.proposal_for:
            return None
        code, line = self.proposal_for, self.proposal
        self.proposal = self.proposal_for = None
        self.bridge.overlayShown.emit(json.dumps({"seq": self._next_seq(), "name": "proposal", "features": []}))
        return self.split(code, line)

    # -- import and export ----------------------------------------------------------------

    def _ask_import(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self, self.tr("Import a grid layout"), "",
                                              self.tr("Grid files (*.gpkg *.geojson *.json *.shp *.kml)"))
        if path:
            self.preview_import(path)

    def preview_import(self, path: str) -> Outcome:
        """Check a layout file with the same rules and show it against the current grids."""
        outcome = self.model.preview_import(path)
        if outcome.change is None:
            self.feedback.say(self.tr("Cannot import: {0}").format(self.feedback.explain(outcome)), "error")
            return outcome
        kinds = pd.Series(list(change_kinds(outcome.change).values()), dtype=object).value_counts()
        summary = self.tr("Imported layout: {0} added, {1} removed, {2} changed (dashed red = now, solid green = "
                          "the file's; filled red = removed, filled green = added).").format(
            kinds.get("added", 0), kinds.get("removed", 0), kinds.get("changed", 0))
        if outcome.problems:
            self.feedback.say(summary + "\n" + self.tr("It breaks {0} rules and cannot be applied.").format(
                len(outcome.problems)), "error")
        else:
            self.feedback.say(summary, "info")
        result = outcome.feedback
        self.feedback.show_workload(result.before if result else [], result.after if result else [],
                                    list(outcome.problems))
        self.feedback.show_import_buttons(True, can_apply=outcome.ok)
        self.select(None)
        self._show_diff(self.model.import_diff(), fit=True)
        return outcome

    def apply_import(self) -> Outcome:
        self.feedback.show_import_buttons(False)
        outcome = self.model.apply_import()
        self.bridge.overlayShown.emit(json.dumps({"seq": self._next_seq(), "name": "diff", "features": []}))
        if outcome.ok:
            self.send_view()
        result = self._after(outcome)
        if outcome.ok:
            self.feedback.say(self.tr("The imported layout is in place; save it (Ctrl+S) to keep it."), "ok")
        return result

    def discard_import(self) -> None:
        self.model.import_edit = None
        self.feedback.show_import_buttons(False)
        self.bridge.overlayShown.emit(json.dumps({"seq": self._next_seq(), "name": "diff", "features": []}))
        self.feedback.say(self.tr("Import discarded."), "info")

    def _ask_export(self) -> None:
        path, _ = QFileDialog.getSaveFileName(self, self.tr("Export the grid layout"), "grids.gpkg",
                                              self.tr("Grid files (*.gpkg *.geojson *.shp *.kml)"))
        if path:
            self.export(path)

    def export(self, path: str) -> Outcome:
        outcome = self.model.export(path)
        if outcome.ok:
            self.feedback.say(self.tr("Exported {0} grids to {1}.").format(len(self.model.grids), path), "ok")
        else:
            self.feedback.say(self.tr("Not exported: {0}").format(self.feedback.explain(outcome)), "error")
        return outcome

    def closeEvent(self, event) -> None:
        if self._ask_before_closing and self.model is not None and self.model.has_unsaved():
            answer = QMessageBox.question(self, self.tr("Unsaved edits"),
                                          self.tr("Close the editor and drop your unsaved edits?"))
            if answer != QMessageBox.StandardButton.Yes:
                event.ignore()
                return
        super().closeEvent(event)


# -------------------------------------------------------------------------- entry points


def run_editor(store: Store, language: str) -> int:
    """Sign in as an analyst or admin (on a store with users), open the editor and run until it is closed."""
    import socket

    from console.app import application, run_maximised
    from console.commands import NOT_ALLOWED
    from console.signin import sign_in_for

    app = application(language)
    session = sign_in_for(store, socket.gethostname(), QCoreApplication.translate("EditorWindow", "Grid editor"),
                          "grids.edit")
    if session is None:
        return NOT_ALLOWED
    return run_maximised(app, EditorWindow(store, None if session.sign_in_off else session.username,
                                           ask_before_closing=True))


def take_editor_screenshot(store: Store, out: Path, size: QSize, language: str, timeout_s: float = 30.0,
                           grid: str | None = None) -> None:
    """Render the editor headless with a grid selected (`grid`, or the one in the middle) and save a PNG."""
    from console.app import application

    application(language, headless=True)
    window = EditorWindow(store)
    try:
        deadline = headless.show_for_render(window, size, timeout_s)
        wait_for(window.ready, window, deadline, f"the editor did not draw its grids within {timeout_s:g} s")
        if grid is None:
            west, south, east, north = window.model.grids.total_bounds
            grid = window.model.grid_at((west + east) / 2, (south + north) / 2)
        if window.model.row(grid) is None:
            raise EditorError(f"no grid {grid!r}")
        window.select(grid)
        window.focus_grid(grid)
        wait_until_drawn(window, deadline)
        headless.save_frame(window, out, EditorError)
    finally:
        headless.dispose(window)


def wait_until_drawn(window: EditorWindow, deadline: float) -> None:
    """Run the event loop until the page has painted everything sent to it."""
    headless.spin(lambda: window.is_drawn, deadline, step_ms=10)
    if not window.is_drawn:
        raise EditorError("the map page did not draw in time")


def wait_for(signal, window: EditorWindow, deadline: float, late: str) -> None:
    """Run the event loop until `signal` fires; a load failure or the deadline raises."""
    headless.wait_for(signal, window, deadline, late, EditorError, "the grids could not be loaded")
