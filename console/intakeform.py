"""The form for an incident reported at the centre itself: someone walks in or phones.

It opens on a map position (right-click, or Ctrl+N at the map's centre) with the address
prefilled from the grids there. Submitting hands the report to the Desk, which takes it in
through the workflow; a refusal shows inline and the form stays open, nothing saved.
"""

from __future__ import annotations

import re
from collections.abc import Callable

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
)

from console.dispatch import CENTRE_MODES, DispatchRefused
from console.labels import label
from data.workflow.intake import CATEGORIES, DEFAULT_PRIORITY, PRIORITIES, TEXT_LIMITS

# A phone number as people give it: digits with spaces, dashes, brackets or a leading +.
_PHONE = re.compile(r"^\+?[\d\s()\-]{3,}$")


class IntakeForm(QDialog):
    """Walk-in or phone report at (lon, lat), WGS-84. `submit(**report)` returns the new ticket's id."""

    def __init__(self, lon: float, lat: float, address: str, submit: Callable[..., str], parent=None):
        super().__init__(parent)
        self.setWindowTitle(self.tr("New walk-in / phone incident"))
        self.lon, self.lat = lon, lat
        self._submit = submit
        self.created: str | None = None
        self.mode = QComboBox()
        for mode, text in zip(CENTRE_MODES, (self.tr("Walk-in"), self.tr("Phone"))):
            self.mode.addItem(text, mode)
        self.category = QComboBox()
        for category in CATEGORIES:
            self.category.addItem(label("category", category), category)
        self.priority = QComboBox()
        for priority in PRIORITIES:
            self.priority.addItem(self.tr("P{priority}").format(priority=priority), priority)
        self.priority.setCurrentIndex(PRIORITIES.index(DEFAULT_PRIORITY))
        self.description = QPlainTextEdit()
        self.description.setPlaceholderText(self.tr("What happened, who is involved, what is needed"))
        self.description.setTabChangesFocus(True)  # keyboard only: Tab moves on
        self.address = QLineEdit(address, maxLength=TEXT_LIMITS["address"])
        self.reporter_name = QLineEdit(maxLength=TEXT_LIMITS["reporter.name"])
        self.reporter_phone = QLineEdit(maxLength=TEXT_LIMITS["reporter.phone"])
        for field in (self.reporter_name, self.reporter_phone):
            field.setPlaceholderText(self.tr("optional"))
        self.error = QLabel(objectName="intakeError")
        self.error.setStyleSheet("color: #ff6b6b")
        self.error.setWordWrap(True)
        self.error.setTextFormat(Qt.TextFormat.PlainText)
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel)
        self.buttons.button(QDialogButtonBox.StandardButton.Ok).setText(self.tr("Take in"))
        self.buttons.accepted.connect(self.take_in)
        self.buttons.rejected.connect(self.reject)
        form = QFormLayout(self)
        form.addRow(self.tr("Reported by"), self.mode)
        form.addRow(self.tr("Category"), self.category)
        form.addRow(self.tr("Priority"), self.priority)
        form.addRow(self.tr("Description"), self.description)
        form.addRow(self.tr("Address"), self.address)
        form.addRow(self.tr("Position"), QLabel(f"{lon:.6f}, {lat:.6f}"))
        form.addRow(self.tr("Reporter"), self.reporter_name)
        form.addRow(self.tr("Phone"), self.reporter_phone)
        form.addRow(self.error)
        form.addRow(self.buttons)
        self.description.setFocus()

    def take_in(self) -> None:
        """Check what a person must fix, then submit; the workflow's refusal shows inline."""
        description = self.description.toPlainText().strip()
        phone = self.reporter_phone.text().strip()
        if not description:
            self._refuse(self.tr("Say what happened: the description is empty."), self.description)
            return
        if len(description) > TEXT_LIMITS["description"]:
            self._refuse(self.tr("The description is too long (at most {n} characters).").format(
                n=TEXT_LIMITS["description"]), self.description)
            return
        if phone and not _PHONE.match(phone):
            self._refuse(self.tr("The phone number may hold only digits, spaces, dashes and a leading +."),
                         self.reporter_phone)
            return
        try:
            self.created = self._submit(
                mode=self.mode.currentData(), lon=self.lon, lat=self.lat, category=self.category.currentData(),
                priority=self.priority.currentData(), description=description,
                address=self.address.text().strip() or None, reporter_name=self.reporter_name.text().strip() or None,
                reporter_phone=phone or None)
        except DispatchRefused as err:
            self._refuse(self.tr("Not taken in: {error}").format(error=err), self.description)
            return
        self.accept()

    def _refuse(self, message: str, field) -> None:
        self.error.setText(message)
        field.setFocus()
