"""The F1 panel: every keyboard shortcut of the console, so nobody needs a manual."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QDialog, QLabel, QVBoxLayout


class ShortcutHelp(QDialog):
    """A small non-modal panel listing the shortcuts; F1 shows and hides it."""

    def __init__(self, parent=None):
        super().__init__(parent)
        self.setWindowTitle(self.tr("Keyboard shortcuts"))
        rows = [
            ("J / Ctrl+↓", self.tr("Next incident in the queue")),
            ("K / Ctrl+↑", self.tr("Previous incident in the queue")),
            ("1 … 5", self.tr("Dispatch the selected incident to that recommended responder")),
            ("Shift+1 … 5", self.tr("Add that recommended responder as a helper (before the lead: sent with it)")),
            ("T", self.tr("Transfer the selected incident to a department, with a deadline")),
            ("M", self.tr("Merge the selected incident into its suspected duplicate")),
            ("E", self.tr("Escalate the selected incident one level")),
            ("Ctrl+F", self.tr("Search grids, responders, cameras, tickets or coordinates; Enter goes to the first hit")),
            ("Esc", self.tr("Leave the search box for the queue")),
            ("Ctrl+N", self.tr("New walk-in / phone incident at the map's centre (right-click: at that point)")),
            ("Home", self.tr("Show the whole territory on the map")),
            ("F1", self.tr("Show or hide this panel")),
        ]
        table = "".join(f"<tr><td style='padding-right:18px'><b>{keys}</b></td><td>{what}</td></tr>"
                        for keys, what in rows)
        self.text = QLabel(f"<table>{table}</table>")
        self.text.setTextFormat(Qt.TextFormat.RichText)
        layout = QVBoxLayout(self)
        layout.addWidget(self.text)

    def toggle(self) -> None:
        self.setVisible(not self.isVisible())
