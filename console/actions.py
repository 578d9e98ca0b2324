"""The dispatcher's actions on the selected ticket and how their results reach every panel.

`Desk` is the window's desk clerk: the details dock, the shortcuts, the search box and the
intake form ask it to act; it calls the Dispatcher adapter (which holds the workflow rules'
door), then reads back what changed in the store and shows it in the queue, the details and
on the map. Changes made by other seats arrive the same way through the TicketWatcher, so
there is one path for every change, whoever made it.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from datetime import timedelta

import pandas as pd
from PySide6.QtCore import QObject, Qt
from PySide6.QtGui import QPalette
from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QLabel,
    QMessageBox,
    QSpinBox,
)

from console.dispatch import Dispatcher, DispatchRefused, TicketConflict
from console.incidents import display_value
from console.intakeform import IntakeForm
from console.labels import codes, label
from console.mapview import MAP_LAYERS
from console.ticketwatch import TicketWatcher
from data.departments import Department, department_name, for_grid, grid_lineage, read_departments
from data.search import Hit
from data.workflow.changes import TicketChanges
from data.workflow.clock import utc_now

MESSAGE_MS = 10_000  # how long a status-bar message stays
FLASH_S = 10  # how long a new ticket blinks on the map
DEFAULT_TRANSFER_HOURS = 72  # to report back, for a department with no usual time of its own
MAX_TRANSFER_HOURS = 30 * 24
# How close the map zooms onto a search hit: a point, a ticket, a grid.
FOCUS_ZOOM = {"point": 17, "ticket": 17, "responder": 17, "camera": 17, "grid": 15}


class TransferDialog(QDialog):
    """Which department takes the ticket, and by when it must report back.

    The store's departments by name, those serving the ticket's grid first (`serving`, then
    `others` under a heading); the hours follow the chosen one's usual report-back time. A store
    that lists no departments gets the fixed list of the labels."""

    def __init__(self, ticket_id: str, serving: Sequence[Department] = (), others: Sequence[Department] = (),
                 parent=None):
        super().__init__(parent)
        self.setWindowTitle(self.tr("Transfer {ticket} to a department").format(ticket=ticket_id))
        self.department = QComboBox()
        self._hours_of: dict[str, float | None] = {}
        for group in (serving, others):
            if group and self.department.count():  # the others, under a line and a heading no one can pick
                self.department.insertSeparator(self.department.count())
                self.department.addItem(self.tr("Serving other areas"))
                heading = self.department.model().item(self.department.count() - 1)
                heading.setEnabled(False)
                heading.setForeground(self.palette().color(QPalette.ColorRole.PlaceholderText))  # muted
            for department in group:
                self.department.addItem(department.name, department.department_id)
                self.department.setItemData(self.department.count() - 1, " · ".join(
                    filter(None, (department.department_id, department.phone))), Qt.ItemDataRole.ToolTipRole)
                self._hours_of[department.department_id] = department.report_hours
        if not self.department.count():
            for code in codes("department"):
                self.department.addItem(label("department", code), code)
        self.hours = QSpinBox(minimum=1, maximum=MAX_TRANSFER_HOURS, value=DEFAULT_TRANSFER_HOURS)
        self.hours.setSuffix(self.tr(" h"))
        self.due = QLabel()
        self.hours.valueChanged.connect(self._show_due)
        self.department.currentIndexChanged.connect(self._usual_hours)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel)
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        form = QFormLayout(self)
        form.addRow(self.tr("Department"), self.department)
        form.addRow(self.tr("Report back within"), self.hours)
        form.addRow(self.tr("Deadline"), self.due)
        form.addRow(buttons)
        self._usual_hours()
        self._show_due()

    def deadline(self):
        return utc_now() + timedelta(hours=self.hours.value())

    def _usual_hours(self) -> None:
        """The chosen department's usual time to report back, in whole hours (else the default)."""
        hours = self._hours_of.get(self.department.currentData())
        self.hours.setValue(math.ceil(hours) if hours and hours > 0 else DEFAULT_TRANSFER_HOURS)

    def _show_due(self) -> None:
        self.due.setText(display_value("deadline", self.deadline().isoformat()))


class Desk(QObject):
    """Acts for the dispatcher on the window's selected ticket; keeps queue, details and map in step."""

    def __init__(self, window, store, dispatcher: Dispatcher, watch_interval_ms: int = 1000):
        super().__init__(window)
        self._window = window
        self._store = store
        self._dispatcher = dispatcher
        self._own_changes = TicketChanges(store)
        self._own_changes.poll()  # from now on
        self.watcher = TicketWatcher(store, watch_interval_ms)
        self.watcher.changed.connect(self.apply_changes)
        details = window.details
        details.assignRequested.connect(self.assign)
        details.helperRequested.connect(self.add_helper)
        details.transferRequested.connect(self.transfer)
        details.mergeRequested.connect(self.merge)
        details.escalateRequested.connect(self.escalate)

    def stop(self) -> None:
        self.watcher.stop()

    def _say(self, message: str) -> None:
        self._window.statusBar().showMessage(message, MESSAGE_MS)

    # -- the selected ticket ---------------------------------------------------------------

    def load_record(self, ticket_id: str) -> None:
        """The workflow's view of the ticket (timeline, reporter) into the details dock: one
        indexed query per table, under a millisecond even on a city's million tickets."""
        try:
            record = self._dispatcher.details(ticket_id)
            self._window.details.show_record(record, self._department_shown(record.get("department")))
        except DispatchRefused as err:
            self._say(str(err))

    def _selected(self) -> dict | None:
        ticket = self._window.details.ticket
        if ticket is None:
            self._say(self.tr("Select an incident first (J / K)."))
        return ticket

    def _act(self, ticket: dict, action, done: str) -> bool:
        """Run one workflow call on `ticket`, then show what the store now holds. A conflict
        (another seat changed it) reloads the ticket instead of overwriting their decision."""
        try:
            action(int(ticket["version"]))
        except TicketConflict as err:
            if err.by:
                self._say(self.tr("{ticket} was changed meanwhile by {by} at {seat}: reloaded, nothing was "
                                  "overwritten. Check it and act again.").format(
                    ticket=ticket["ticket_id"], by=err.by, seat=err.seat or "?"))
            else:
                self._say(self.tr("{ticket} was changed by someone else meanwhile: reloaded, nothing was "
                                  "overwritten. Check it and act again.").format(ticket=ticket["ticket_id"]))
            self.refresh(ticket["ticket_id"])
            return False
        except DispatchRefused as err:
            self._say(self.tr("Not done: {error}").format(error=err))
            return False
        self.refresh(ticket["ticket_id"])
        self._say(done)
        return True

    def assign(self, n: int) -> None:
        """The n-th recommendation leads the selected ticket; staged helpers go with it."""
        details = self._window.details
        ticket = self._selected()
        if ticket is None:
            return
        if n > len(details.recommendations):
            self._say(self.tr("No recommendation {n} to assign.").format(n=n))
            return
        lead = details.recommendations[n - 1]
        helpers = tuple(h.id for h in details.staged_helpers if h.id != lead.id)
        if self._act(ticket, lambda version: self._dispatcher.assign(ticket["ticket_id"], lead.id, version, helpers),
                     self.tr("{ticket} dispatched to {name}.").format(ticket=ticket["ticket_id"], name=lead.name)):
            details.clear_staged_helpers()  # they went out with the lead

    def add_helper(self, n: int) -> None:
        """The n-th recommendation helps: at once when the ticket has its lead, else with the lead."""
        details = self._window.details
        ticket = self._selected()
        if ticket is None:
            return
        if n > len(details.recommendations):
            self._say(self.tr("No recommendation {n} to add.").format(n=n))
            return
        helper = details.recommendations[n - 1]
        if not display_value("lead_id", ticket.get("lead_id")):
            details.stage_helper(helper)
            self._say(self.tr("{name} will help; choose the lead with 1–5.").format(name=helper.name))
            return
        self._act(ticket, lambda version: self._dispatcher.add_helpers(ticket["ticket_id"], [helper.id], version),
                  self.tr("{name} joins {ticket} as a helper.").format(name=helper.name, ticket=ticket["ticket_id"]))

    def transfer(self) -> None:
        ticket = self._selected()
        if ticket is None:
            return
        serving, others = for_grid(read_departments(self._store), grid_lineage(self._store, ticket.get("grid_code")))
        dialog = TransferDialog(ticket["ticket_id"], serving, others, self._window)
        if dialog.exec() != QDialog.DialogCode.Accepted:
            return
        department = dialog.department.currentData()
        self._act(ticket, lambda version: self._dispatcher.transfer(ticket["ticket_id"], department,
                                                                   dialog.deadline(), version),
                  self.tr("{ticket} transferred to {department}.").format(
                      ticket=ticket["ticket_id"], department=dialog.department.currentText()))

    def _department_shown(self, department: str | None) -> str | None:
        """How a ticket's department reads: its name in the store, else the labels' (older stores)."""
        if not department:
            return None
        return department_name(self._store, department) or label("department", department)

    def merge(self) -> None:
        """Accept the suggested duplicate: the selected ticket closes into the earlier one."""
        ticket = self._selected()
        if ticket is None:
            return
        into = (self._window.details.record or {}).get("duplicate_of")
        if not into:
            self._say(self.tr("{ticket} has no suspected duplicate to merge into.").format(ticket=ticket["ticket_id"]))
            return
        self._act(ticket, lambda version: self._dispatcher.merge(ticket["ticket_id"], into, version),
                  self.tr("{ticket} merged into {into}.").format(ticket=ticket["ticket_id"], into=into))

    def escalate(self) -> None:
        ticket = self._selected()
        if ticket is None:
            return
        try:
            target = self._dispatcher.escalation_target(ticket.get("grid_code"),
                                                        int(ticket.get("escalation_level") or 0))
        except DispatchRefused as err:
            self._say(self.tr("Not done: {error}").format(error=err))
            return
        asked = QMessageBox.question(self._window, self.tr("Escalate"), self.tr("Escalate {ticket} to {target}?").format(
            ticket=ticket["ticket_id"], target=target))
        if asked != QMessageBox.StandardButton.Yes:
            return
        self._act(ticket, lambda version: self._dispatcher.escalate(ticket["ticket_id"], version),
                  self.tr("{ticket} escalated to {target}.").format(ticket=ticket["ticket_id"], target=target))

    # -- new incidents from the centre ---------------------------------------------------------

    def new_incident(self, lon: float, lat: float) -> IntakeForm:
        """Open the walk-in/phone form for a report at (lon, lat); returns the open form."""
        form = IntakeForm(lon, lat, self._window.grid_path(lon, lat), self._take_in, self._window)
        form.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        form.show()
        return form

    def _take_in(self, **report) -> str:
        """The form's submit: the new ticket joins the queue, is selected and blinks on the map."""
        ticket_id, duplicate = self._dispatcher.take_in(**report)
        self.refresh(ticket_id)
        self._window.queue.select_ticket(ticket_id)
        message = self.tr("{ticket} taken in.").format(ticket=ticket_id)
        if duplicate:
            message += " " + self.tr("It may duplicate {other} (M merges).").format(other=duplicate)
        self._say(message)
        return ticket_id

    # -- search ---------------------------------------------------------------------------------

    def go_to(self, hit: Hit) -> None:
        """Show a search hit: the map goes there; a ticket is selected in the queue."""
        if hit.kind == "ticket" and self._window.queue.select_ticket(hit.id):
            return  # the selection zooms onto it
        if hit.lon is None or hit.lat is None:
            self._say(self.tr("{what} has no position on the map.").format(what=hit.title))
            return
        self._window.map.focus(hit.lon, hit.lat, FOCUS_ZOOM[hit.kind])
        if hit.kind in ("responder", "camera", "ticket"):
            self._window.map.flash({"responder": "responders", "camera": "cameras",
                                    "ticket": "incidents"}[hit.kind], [hit.id])
        self._say(self._window.describe_point(hit.lon, hit.lat) if hit.kind == "point" else
                  self._window.search.describe(hit))

    # -- changes, own and other seats' ------------------------------------------------------------

    def refresh(self, ticket_id: str | None = None) -> None:
        """Show what changed in the store since the last look (this seat's action among it)."""
        self.apply_changes(self._own_changes.poll(), reload=ticket_id)

    def apply_changes(self, frame: pd.DataFrame, reload: str | None = None) -> None:
        """Changed tickets as now stored (data.workflow.changes rows): new open ones join the
        queue and blink on the map, changed ones update, finished ones leave. The dispatcher's
        selection stays on the ticket they are working on."""
        window = self._window
        rows = frame.astype(object).where(frame.notna(), None).to_dict("records")
        joined, changed, gone, escalated = [], [], [], []
        for row in rows:
            ticket_id = row["ticket_id"]
            if row["open"] and row["lon"] is not None:
                if window.queue.contains(ticket_id):
                    if row["escalated"] and not window.queue.ticket(ticket_id)["escalated"]:
                        escalated.append(ticket_id)
                    changed.append(row)
                else:
                    joined.append(row)
            elif window.queue.contains(ticket_id):
                gone.append(ticket_id)
        window.queue.apply_changes(changed, joined, gone)
        queue = window.queue.model  # the grid fill counts the queue's tickets
        window.map.show_open_ticket_load(queue.row(r).get("grid_code") for r in range(queue.rowCount()))
        window.map.update_layers(
            changed={"incidents": [_map_properties(row) for row in changed]} if changed else None,
            added={"incidents": [_map_feature(row) for row in joined]} if joined else None,
            removed={"incidents": gone} if gone else None)
        if joined or escalated:  # what needs the dispatcher's eyes blinks
            window.map.flash("incidents", [row["ticket_id"] for row in joined] + escalated, FLASH_S)
        shown = window.details.ticket
        for row in changed:
            if shown is not None and row["ticket_id"] == shown["ticket_id"]:
                window.details.show_ticket({**shown, **row})
                self.load_record(row["ticket_id"])
        for row in rows:
            if row["ticket_id"] == reload:
                window.ticketChanged.emit(row)


def _map_properties(row: dict) -> dict:
    return {key: _plain(row.get(key)) for key in MAP_LAYERS["incidents"]}


def _map_feature(row: dict) -> dict:
    return {"type": "Feature", "geometry": {"type": "Point", "coordinates": [row["lon"], row["lat"]]},
            "properties": _map_properties(row)}


def _plain(value):
    """numpy scalars as Python ones, for JSON."""
    return value.item() if hasattr(value, "item") else value
