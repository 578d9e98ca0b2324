"""The duty bar at the top of the dispatcher's window: who is on duty where, the shift, the
time in Beijing, how the queue stands, and the search box.

The counts follow the queue's model, so they change the moment a ticket does. When the store's
server is lost, the bar says so first thing, in red, until the seat is back and caught up.
"""

from __future__ import annotations

from datetime import datetime, time

from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QLabel, QSizePolicy, QToolBar, QWidget

from data.workflow.clock import BEIJING, utc_now

# The day shift in Beijing time; the rest of the 24 hours is the night shift.
DAY_SHIFT = (time(8, 0), time(20, 0))
CLOCK_TICK_MS = 1000
# Colours of the counts that need attention, matching the queue's (console/incidents.py).
ATTENTION_COLOURS = {"overdue": "#ff6b6b", "escalated": "#d79bff", "waiting": "#f0c05a"}
OFFLINE_STYLE = "QLabel { background: #b3261e; color: white; font-weight: bold; padding: 2px 8px; }"


def shift_of(moment: datetime) -> str:
    """"day" or "night": which shift `moment` falls in, in Beijing time."""
    local = moment.astimezone(BEIJING).time()
    return "day" if DAY_SHIFT[0] <= local < DAY_SHIFT[1] else "night"


class DutyBar(QToolBar):
    """Seat · officer · shift · clock · open/overdue/escalated/waiting counts · search."""

    def __init__(self, seat: str, officer: str, queue_model, search_box: QWidget, clock=utc_now, parent=None):
        super().__init__(parent)
        self.setObjectName("dutyBar")  # saveState() finds toolbars by name
        self.setWindowTitle(self.tr("Duty bar"))
        self.setMovable(False)
        self._clock = clock
        self._model = queue_model
        self.who = QLabel(self.tr("Seat {seat} · {officer}").format(seat=seat, officer=officer))
        self.shift = QLabel()
        self.time = QLabel(objectName="dutyClock")
        self.counts = QLabel(objectName="dutyCounts")
        self.offline = QLabel(self.tr("Offline — reconnecting…"), objectName="dutyOffline")
        self.offline.setStyleSheet(OFFLINE_STYLE)
        self.offline.setToolTip(self.tr("The store's server cannot be reached. What shows is the last known "
                                        "state; changes are off until the seat is back and has caught up."))
        self._offline_action = self.addWidget(self.offline)
        self._offline_action.setVisible(False)
        for label_ in (self.who, self.shift, self.time, self.counts):
            label_.setContentsMargins(6, 0, 6, 0)
            self.addWidget(label_)
            self.addSeparator()
        search_box.setMinimumWidth(220)
        search_box.setMaximumWidth(420)
        search_box.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)
        self.addWidget(search_box)
        self._ticker = QTimer(self, interval=CLOCK_TICK_MS)
        self._ticker.timeout.connect(self.tick)
        self._ticker.start()
        for signal in (queue_model.modelReset, queue_model.dataChanged, queue_model.rowsInserted,
                       queue_model.rowsRemoved):
            signal.connect(self.show_counts)
        self.tick()
        self.show_counts()

    def show_online(self, online: bool) -> None:
        """Say (or stop saying) that the seat has lost the store's server."""
        self._offline_action.setVisible(not online)

    @property
    def is_offline(self) -> bool:
        return self._offline_action.isVisible()

    def tick(self) -> None:
        now = self._clock()
        self.time.setText(now.astimezone(BEIJING).strftime("%Y-%m-%d %H:%M:%S"))
        start, end = (t.strftime("%H:%M") for t in DAY_SHIFT)
        self.shift.setText(self.tr("Day shift {start}–{end}").format(start=start, end=end) if shift_of(now) == "day"
                           else self.tr("Night shift {end}–{start}").format(start=start, end=end))

    def show_counts(self, *_) -> None:
        counts = self._model.summary()
        parts = [self.tr("Open {n}").format(n=counts["open"])]
        for name, text in (("waiting", self.tr("Waiting {n}")), ("overdue", self.tr("Overdue {n}")),
                           ("escalated", self.tr("Escalated {n}"))):
            part = text.format(n=counts[name])
            parts.append(f"<span style='color:{ATTENTION_COLOURS[name]}'>{part}</span>" if counts[name] else part)
        self.counts.setText(" · ".join(parts))
        self.counts.setToolTip(self.tr("Waiting: for the centre to dispatch (received, registered, returned, "
                                       "reopened)"))
