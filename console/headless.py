"""Rendering a window headless, shared by the console's, the editor's and the wall's screenshots:
show it, run the event loop until its page is ready (or failed, or too late), save what it shows,
and delete it before the web profile goes at exit."""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path

from PySide6.QtCore import QCoreApplication, QEvent, QEventLoop, QSize, QTimer
from PySide6.QtWidgets import QWidget


def show_for_render(window: QWidget, size: QSize, timeout_s: float) -> float:
    """Show `window` at `size`; return the monotonic deadline of its rendering."""
    window.resize(size)
    window.show()
    return time.monotonic() + timeout_s


def wait_for(signal, window: QWidget, deadline: float, late: str, error: type[Exception], failed: str) -> None:
    """Run the event loop until `signal` fires. The window's `loadFailed` raises `error("<failed>: <why>")`,
    the deadline `error(late)`."""
    loop = QEventLoop()
    fired: list = []
    failures: list[str] = []
    signal.connect(lambda *args: fired.append(args))
    window.loadFailed.connect(failures.append)
    timer = QTimer(singleShot=True)
    for stop in (signal, window.loadFailed, timer.timeout):
        stop.connect(loop.quit)
    timer.start(max(0, int((deadline - time.monotonic()) * 1000)))
    loop.exec()
    timer.stop()
    if failures:
        raise error(f"{failed}: {failures[0]}")
    if not fired:
        raise error(late)


def spin(done: Callable[[], bool], until: float, step_ms: int = 20) -> None:
    """Run the event loop until `done()` or the monotonic time `until`, whichever comes first."""
    loop = QEventLoop()
    while not done() and time.monotonic() < until:
        QTimer.singleShot(step_ms, loop.quit)
        loop.exec()


def save_frame(window: QWidget, out: Path, error: type[Exception]) -> None:
    """Wait for the map page's next painted frame, then save the window as a PNG."""
    window.map.wait_for_next_frame()
    if not window.grab().save(str(out), "PNG"):
        raise error(f"could not write {out}")


def dispose(window: QWidget) -> None:
    """Delete the window now: its web page must go before the web profile does at exit."""
    window.close()
    window.deleteLater()
    QCoreApplication.sendPostedEvents(window, QEvent.Type.DeferredDelete)
