"""The sign-in the console, the editor and the wall open with on a store that has users.

The dialog only collects the name and password; data.auth checks them, counts failures and
locks, so the rules are the CLI's too. A store with sign-in off opens as before.
"""

from __future__ import annotations

from PySide6.QtCore import QT_TRANSLATE_NOOP, QCoreApplication, Qt
from PySide6.QtWidgets import QDialog, QDialogButtonBox, QFormLayout, QLabel, QLineEdit, QVBoxLayout

from data import auth


class SignInDialog(QDialog):
    """User name and password; refusals are said in the dialog, which stays open to try again.
    `action`: what the window is for (the editor: grids.edit); a role that may not do it is refused."""

    def __init__(self, store, seat: str, window_name: str, action: str | None = None, parent=None):
        super().__init__(parent)
        self.setObjectName("signIn")
        self.setWindowTitle(self.tr("Sign in — {window}").format(window=window_name))
        self._store, self._seat, self._action = store, seat, action
        self.session: auth.Session | None = None
        self.user = QLineEdit(objectName="signInUser")
        self.password = QLineEdit(objectName="signInPassword")
        self.password.setEchoMode(QLineEdit.EchoMode.Password)
        self.message = QLabel(objectName="signInMessage")
        self.message.setWordWrap(True)
        self.message.setStyleSheet("color: #ff6b6b")
        self.message.hide()
        form = QFormLayout()
        form.addRow(self.tr("User name"), self.user)
        form.addRow(self.tr("Password"), self.password)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel)
        buttons.button(QDialogButtonBox.StandardButton.Ok).setText(self.tr("Sign in"))
        buttons.button(QDialogButtonBox.StandardButton.Cancel).setText(self.tr("Cancel"))
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        hint = QLabel(self.tr("Seat {seat}. Five failed sign-ins lock the account for five minutes.")
                      .format(seat=seat), objectName="signInHint")
        hint.setWordWrap(True)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(self.message)
        layout.addWidget(hint)
        layout.addWidget(buttons)
        self.setMinimumWidth(420)
        self.user.setFocus(Qt.FocusReason.OtherFocusReason)

    def accept(self) -> None:
        try:
            session = auth.sign_in(self._store, self.user.text().strip(), self.password.text(), self._seat)
        except auth.SignInFailed:
            self._refuse(self.tr("Sign-in refused: wrong user name or password, or the account is disabled or "
                                 "locked for five minutes after five failed sign-ins."))
            return
        if self._action and not auth.may(session, self._action):
            roles = " / ".join(role_name(r) for r in auth.needed_roles(self._action) if r != auth.SYSTEM)
            self._refuse(self.tr("{user} is {role}; this window needs {roles}.").format(
                user=session.username, role=role_name(session.role), roles=roles))
            return
        self.session = session
        super().accept()

    def _refuse(self, text: str) -> None:
        self.message.setText(text)
        self.message.show()
        self.password.clear()
        self.password.setFocus(Qt.FocusReason.OtherFocusReason)


_ROLE_NAMES = {"dispatcher": QT_TRANSLATE_NOOP("Roles", "dispatcher"),
               "supervisor": QT_TRANSLATE_NOOP("Roles", "supervisor"),
               "leader": QT_TRANSLATE_NOOP("Roles", "leader"), "analyst": QT_TRANSLATE_NOOP("Roles", "analyst"),
               "admin": QT_TRANSLATE_NOOP("Roles", "admin"), auth.SYSTEM: QT_TRANSLATE_NOOP("Roles", "system")}


def role_name(role: str | None) -> str:
    """A role as the centres call it (translated)."""
    return QCoreApplication.translate("Roles", _ROLE_NAMES[role]) if role in _ROLE_NAMES else role or ""


def sign_in_for(store, seat: str, window_name: str, action: str | None = None,
                credentials: tuple[str, str] | None = None) -> auth.Session | None:
    """The session a window opens in, bound to `store` for everything it changes: sign-in off as
    before; `credentials` (user, password) signed in unattended (auth.SignInFailed if refused);
    else the dialog, None when it is cancelled."""
    if not auth.sign_in_required(store):
        session = auth.Session.signed_off(seat)
    elif credentials is not None:
        session = auth.sign_in(store, credentials[0], credentials[1], seat)
    else:
        dialog = SignInDialog(store, seat, window_name, action)
        if dialog.exec() != QDialog.DialogCode.Accepted:
            return None
        session = dialog.session
    auth.bind(store, session)
    return session
