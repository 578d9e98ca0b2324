"""Signing in at the console, the editor and the wall: the dialog, the leader's read-only console,
and the wall's unattended sign-in from a credentials file."""

from __future__ import annotations

import pytest
from PySide6.QtCore import Qt

from console.app import ConsoleWindow, application
from console.signin import SignInDialog, sign_in_for
from data import auth
from data.workflow.clock import utc_now
from tests.console.tiny_city import build_tiny_city

PASSWORD = "wall-pass-12345"


@pytest.fixture
def own_store(tmp_path):
    """A tiny city with an admin, a leader and a dispatcher."""
    with build_tiny_city(tmp_path / "tiny.gpkg") as store:
        with store.transaction() as tx:
            tx.execute("UPDATE tickets SET reporter_name = ?, reporter_phone = ? WHERE ticket_id = ?",
                       ("张三", "13812345678", "T-3"))
        auth.add_user(store, "boss", "admin", PASSWORD, None)
        admin = auth.sign_in(store, "boss", PASSWORD, "it")
        for name, role in (("lead01", "leader"), ("op01", "dispatcher")):
            auth.add_user(store, name, role, PASSWORD, admin)
        yield store


def _dialog(qtbot, store, action=None) -> SignInDialog:
    application("en", headless=True)
    dialog = SignInDialog(store, "seat-9", "Console", action)
    qtbot.addWidget(dialog)
    return dialog


def _try(dialog, user: str, password: str) -> None:
    dialog.user.setText(user)
    dialog.password.setText(password)
    dialog.accept()


def test_a_wrong_password_is_said_in_the_dialog_which_stays_open(qtbot, own_store):
    dialog = _dialog(qtbot, own_store)
    dialog.show()
    _try(dialog, "op01", "not-it")
    assert dialog.isVisible() and dialog.session is None
    assert "refused" in dialog.message.text() and dialog.password.text() == ""
    _try(dialog, "op01", PASSWORD)
    assert dialog.result() == SignInDialog.DialogCode.Accepted
    assert (dialog.session.username, dialog.session.role, dialog.session.seat) == ("op01", "dispatcher", "seat-9")


def test_the_editor_refuses_a_role_that_may_not_edit_grids(qtbot, own_store):
    dialog = _dialog(qtbot, own_store, "grids.edit")
    _try(dialog, "op01", PASSWORD)
    assert dialog.session is None and "analyst" in dialog.message.text() and "admin" in dialog.message.text()


def test_a_store_without_users_opens_with_sign_in_off_and_no_dialog(tmp_path):
    with build_tiny_city(tmp_path / "single.gpkg") as store:
        session = sign_in_for(store, "seat-1", "Console")  # a dialog would block here
    assert session.sign_in_off and session.seat == "seat-1"


def test_the_wall_signs_in_unattended_and_bad_credentials_are_refused(own_store):
    session = sign_in_for(own_store, "wall-pc", "Wall", "ticket.read", ("lead01", PASSWORD))
    assert (session.username, session.role) == ("lead01", "leader")
    with pytest.raises(auth.SignInFailed):
        sign_in_for(own_store, "wall-pc", "Wall", "ticket.read", ("lead01", "wrong-pass"))


def test_a_leaders_console_is_read_only_with_the_reason_and_masked_reporters(qtbot, show_window, own_store):
    leader = auth.sign_in(own_store, "lead01", PASSWORD, "wall-pc", utc_now())
    window, _ = show_window("en", lambda: ConsoleWindow(own_store, session=leader), "mapReady", (1200, 800))
    assert window.read_only and "lead01 (leader)" in window.duty.who.text()
    for button in window.details.buttons.values():
        assert not button.isEnabled() and "dispatcher / supervisor" in button.toolTip()
    with pytest.raises(Exception, match="not allowed"):  # below the UI, too
        window._dispatcher.assign("T-3", "R0", None)
    qtbot.keyClick(window, Qt.Key.Key_1)  # the assign shortcut does not exist for a leader
    assert own_store.query("SELECT state FROM tickets WHERE ticket_id = 'T-3'") == [("registered",)]
    assert window._dispatcher.details("T-3")["reporter"] == {"name": "张*", "phone": "138****5678",
                                                             "id_number": None}


def test_a_dispatchers_console_acts_and_names_them(qtbot, show_window, own_store):
    dispatcher = auth.sign_in(own_store, "op01", PASSWORD, "seat-2", utc_now())
    window, _ = show_window("en", lambda: ConsoleWindow(own_store, session=dispatcher), "mapReady", (1200, 800))
    assert not window.read_only and "op01 (dispatcher)" in window.duty.who.text()
    assert not any("Read-only" in button.toolTip() for button in window.details.buttons.values())
    assert window._dispatcher.details("T-3")["reporter"]["phone"] == "13812345678"
    window._dispatcher.escalate("T-3", None)
    assert own_store.query("SELECT actor, seat FROM audit_log ORDER BY fid DESC LIMIT 1") == [("op01", "seat-2")]
