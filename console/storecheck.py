"""The store check at start: what `gridsight doctor` finds (data/doctor.py), shown once in a bar
under the duty bar that the dispatcher can read, copy a fix from, or close; never a dialog.

The findings are computed on a worker thread and worded here, in the UI language, from their
codes and counts: data/ keeps no UI text.
"""

from __future__ import annotations

import html
import logging
import threading

from PySide6.QtCore import QT_TRANSLATE_NOOP, QCoreApplication, QObject, Qt, Signal
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import QLabel, QMenu, QSizePolicy, QToolBar, QToolButton

from data.doctor import POSITION_STALE, Finding, examine
from data.store import Store

log = logging.getLogger(__name__)

_CONTEXT = "StoreCheck"
# Each finding's code as the dispatcher reads it; {count} and {total} are the finding's counts,
# {hours} how long a police unit may go without reporting its position.
TEXTS = {
    "no_grids": QT_TRANSLATE_NOOP("StoreCheck", "No grids: incidents cannot be placed in a grid"),
    "no_responders": QT_TRANSLATE_NOOP("StoreCheck", "No responders: nobody to recommend or dispatch"),
    "no_roads": QT_TRANSLATE_NOOP("StoreCheck", "No roads: recommendations use straight-line distance"),
    "no_cameras": QT_TRANSLATE_NOOP("StoreCheck", "No cameras: no video near incidents"),
    "no_departments": QT_TRANSLATE_NOOP("StoreCheck", "No departments to transfer tickets to"),
    "grids_without_worker": QT_TRANSLATE_NOOP("StoreCheck", "{count} of {total} grids have no grid worker"),
    "responders_unknown_grid": QT_TRANSLATE_NOOP("StoreCheck", "{count} responders are on unknown grid codes"),
    "cameras_unknown_grid": QT_TRANSLATE_NOOP("StoreCheck", "{count} cameras are on unknown grid codes"),
    "stale_police_positions": QT_TRANSLATE_NOOP("StoreCheck",
                                                "{count} of {total} police units on duty: no position for {hours} h"),
    "police_roster_positions": QT_TRANSLATE_NOOP("StoreCheck",
                                                 "{count} of {total} police units on duty: at their roster position"),
    "responders_at_grid_label": QT_TRANSLATE_NOOP("StoreCheck",
                                                  "{count} responders placed at their grid's label point"),
    "cameras_without_stream": QT_TRANSLATE_NOOP("StoreCheck", "{count} of {total} cameras have no stream"),
    "cameras_offline": QT_TRANSLATE_NOOP("StoreCheck", "{count} cameras with a stream are offline"),
    "no_centre_name": QT_TRANSLATE_NOOP("StoreCheck", "The centre has no name"),
    "roads_unusable": QT_TRANSLATE_NOOP("StoreCheck", "The roads cannot be routed on"),
    "responders_off_road": QT_TRANSLATE_NOOP("StoreCheck",
                                             "{count} of {total} responders are off the road network: not ranked"),
}
SEVERITY_COLOURS = {"error": "#ff6b6b", "warning": "#f0c05a", "note": "#8fb8de"}


def finding_text(finding: Finding) -> str:
    """A finding in the UI language; a code this console does not know yet shows as the CLI says it."""
    source = TEXTS.get(finding.code)
    if source is None:
        return finding.message
    return QCoreApplication.translate(_CONTEXT, source).format(
        count=finding.count, total=finding.total, hours=f"{POSITION_STALE.total_seconds() / 3600:g}")


class _Checker(QObject):
    """Runs data.doctor.examine on a worker thread; the findings arrive on the UI thread."""

    examined = Signal(list)

    def start(self, store: Store) -> None:
        threading.Thread(target=self._examine, args=(store,), name="store-check", daemon=True).start()

    def _examine(self, store: Store) -> None:
        try:
            findings = examine(store)
        except Exception:  # the map loader reports a store it cannot read; this is only advice
            log.exception("the store check failed")
            findings = []
        self.examined.emit(findings)


class StoreCheckBar(QToolBar):
    """The findings on one line, most severe first, hidden when there are none; every finding with
    its fix in the 'All' menu (a click copies the fix command); closed with ×."""

    checked = Signal(list)  # the findings shown (empty: none, the bar stays hidden)
    fixCopied = Signal(str)  # a fix command went to the clipboard

    def __init__(self, parent=None):
        super().__init__(parent)
        self.setObjectName("storeCheck")  # saveState() finds toolbars by name
        self.setWindowTitle(self.tr("Store check"))
        self.setMovable(False)
        self.setVisible(False)
        self.findings: list[Finding] | None = None  # None until checked
        self.summary = QLabel(objectName="storeCheckSummary", textFormat=Qt.TextFormat.RichText)
        self.summary.setContentsMargins(6, 0, 6, 0)
        # Takes the bar's width; a longer line is cut at its edge instead of widening the window.
        self.summary.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Preferred)
        self.summary.setMinimumWidth(1)
        self.addWidget(self.summary)
        self.menu = QMenu(self)
        self.menu.setToolTipsVisible(True)
        self.details = QToolButton(self, popupMode=QToolButton.ToolButtonPopupMode.InstantPopup)
        self.details.setMenu(self.menu)
        self.addWidget(self.details)
        close = QToolButton(self, text="×", autoRaise=True, objectName="storeCheckClose")
        close.setToolTip(self.tr("Close the store check"))
        close.clicked.connect(self.hide)
        self.addWidget(close)
        self._checker = _Checker()  # no parent: it may outlive a window closed while it works
        self._checker.examined.connect(self.show_findings)

    def start(self, store: Store) -> None:
        self._checker.start(store)

    def show_findings(self, findings: list[Finding]) -> None:
        self.findings = findings
        counts = {severity: sum(f.severity == severity for f in findings) for severity in SEVERITY_COLOURS}
        totals = [text.format(n=counts[severity]) for severity, text in (
            ("error", self.tr("{n} errors")), ("warning", self.tr("{n} warnings")), ("note", self.tr("{n} notes")))
            if counts[severity]]
        shown = [f"<span style='color:{SEVERITY_COLOURS[f.severity]}'>{html.escape(finding_text(f))}</span>"
                 for f in findings]
        self.summary.setText(self.tr("Store check ({totals}):").format(totals=self.tr(", ").join(totals)) + " "
                             + " · ".join(shown))
        self.menu.clear()
        for finding in findings:
            action = self.menu.addAction(f"{self._severity(finding.severity)}  {finding_text(finding)}")
            action.setData(finding.code)
            if finding.fix:
                action.setToolTip(self.tr("Fix: {command} (click to copy)").format(command=finding.fix))
                action.triggered.connect(lambda _=False, command=finding.fix: self._copy(command))
        self.details.setText(self.tr("All {n}").format(n=len(findings)))
        self.setVisible(bool(findings))
        self.checked.emit(findings)

    def _severity(self, severity: str) -> str:
        return {"error": self.tr("Error"), "warning": self.tr("Warning"), "note": self.tr("Note")}[severity]

    def _copy(self, command: str) -> None:
        QGuiApplication.clipboard().setText(command)
        self.fixCopied.emit(command)
