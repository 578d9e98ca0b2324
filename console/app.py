"""The console application: Qt set-up, the dispatcher's window, and headless screenshots."""

from __future__ import annotations

import logging
import os
import sys
import threading
from pathlib import Path

from PySide6.QtCore import QCoreApplication, QEvent, QEventLoop, QObject, QSize, QTimer, Signal
from PySide6.QtGui import QColor, QPalette
from PySide6.QtWidgets import QApplication, QLabel, QMainWindow

from console import i18n
from console.mapview import MapData, MapView, read_map_data
from data.store import Store, StoreError

log = logging.getLogger(__name__)


class ConsoleError(RuntimeError):
    """The console cannot do what was asked; the message says why."""


def has_display() -> bool:
    """Whether a real window can be shown (X11 or Wayland)."""
    return bool(os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY"))


def prepare_environment(headless: bool) -> None:
    """Settings Qt and Chromium read once at start-up, so they must be set before QApplication."""
    if headless:
        os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    # Chromium's sandbox cannot run as root; the page is our own local file.
    flags = os.environ.get("QTWEBENGINE_CHROMIUM_FLAGS", "").split()
    if os.geteuid() == 0 and "--no-sandbox" not in flags:
        os.environ["QTWEBENGINE_CHROMIUM_FLAGS"] = " ".join([*flags, "--no-sandbox"])


def application(language: str, headless: bool = False) -> QApplication:
    """The process's QApplication (created on first use) speaking `language`."""
    prepare_environment(headless)
    app = QApplication.instance() or QApplication(sys.argv[:1])
    app.setApplicationName("gridsight")
    _use_dark_theme(app)
    try:
        i18n.use_language(app, language)
    except i18n.TranslationsMissing as err:
        raise ConsoleError(str(err)) from None
    return app


# The duty room's dark scheme, matching resources/web/map.css; Fusion draws it the same everywhere.
_DARK_PALETTE = {
    QPalette.ColorRole.Window: "#1b1f24",
    QPalette.ColorRole.WindowText: "#dfe6ec",
    QPalette.ColorRole.Base: "#14181c",
    QPalette.ColorRole.AlternateBase: "#1f252b",
    QPalette.ColorRole.Text: "#dfe6ec",
    QPalette.ColorRole.PlaceholderText: "#7d868f",
    QPalette.ColorRole.Button: "#262c33",
    QPalette.ColorRole.ButtonText: "#dfe6ec",
    QPalette.ColorRole.Highlight: "#2f7fbf",
    QPalette.ColorRole.HighlightedText: "#ffffff",
    QPalette.ColorRole.ToolTipBase: "#262c33",
    QPalette.ColorRole.ToolTipText: "#dfe6ec",
    QPalette.ColorRole.Link: "#6cb6ff",
}


def _use_dark_theme(app: QApplication) -> None:
    app.setStyle("Fusion")
    palette = QPalette()
    for role, colour in _DARK_PALETTE.items():
        palette.setColor(role, QColor(colour))
    app.setPalette(palette)


class _MapLoader(QObject):
    """Reads the map layers on a worker thread; results arrive on the UI thread as signals."""

    loaded = Signal(MapData)
    failed = Signal(str)

    def start(self, store: Store) -> None:
        # A Python thread, not QThreadPool: PROJ crashes on a pool thread's small stack once
        # QtWebEngine is running.
        threading.Thread(target=self._read, args=(store,), name="map-loader", daemon=True).start()

    def _read(self, store: Store) -> None:
        try:
            data = read_map_data(store)
        except StoreError as err:
            self.failed.emit(str(err))
            return
        except Exception as err:  # a bug: this thread is the last place it can be reported
            log.exception("reading the map layers failed")
            self.failed.emit(str(err))
            return
        self.loaded.emit(data)


class ConsoleWindow(QMainWindow):
    """The dispatcher's window. For now: the map of the territory, counts in the status bar."""

    mapReady = Signal(dict)  # the map has drawn every layer: feature count per layer
    loadFailed = Signal(str)

    def __init__(self, store: Store):
        super().__init__()
        self.setWindowTitle(self.tr("Grid Governance Command Console") + " — gridsight")
        self.map = MapView(self)
        self.setCentralWidget(self.map)
        self._counts = QLabel()
        self.statusBar().addPermanentWidget(self._counts)
        self.statusBar().showMessage(self.tr("Loading the map…"))
        self.map.layersDrawn.connect(self._on_map_drawn)
        self.map.pointClicked.connect(self._on_point_clicked)
        # No parent: the loader outlives a window closed while it reads, then emits to no one.
        self._loader = _MapLoader()
        self._loader.loaded.connect(self.map.show_data)
        self._loader.failed.connect(self._on_load_failed)
        self._loader.start(store)

    def _on_map_drawn(self, counts: dict) -> None:
        self.statusBar().clearMessage()
        self._counts.setText(
            self.tr("Grids {grids} · Responders {responders} · Cameras {cameras}").format(
                grids=counts.get("grids", 0),
                responders=counts.get("responders", 0),
                cameras=counts.get("cameras", 0),
            )
        )
        self.mapReady.emit(counts)

    def _on_point_clicked(self, lon: float, lat: float) -> None:
        self.statusBar().showMessage(self.describe_point(lon, lat))

    def describe_point(self, lon: float, lat: float) -> str:
        """What the status bar says about a clicked point; the place to name its grid (gis.locate)."""
        return self.tr("Lon {lon:.6f}, lat {lat:.6f}").format(lon=lon, lat=lat)

    def _on_load_failed(self, message: str) -> None:
        self.statusBar().showMessage(self.tr("The map could not be loaded: {error}").format(error=message))
        self.loadFailed.emit(message)


def run_console(store: Store, language: str) -> int:
    """Open the window and run until it is closed."""
    app = application(language)
    window = ConsoleWindow(store)
    window.resize(app.primaryScreen().availableSize())  # for Xvfb, where no window manager maximises
    window.showMaximized()
    try:
        return app.exec()
    finally:
        _dispose(window)


def take_screenshot(store: Store, out: Path, size: QSize, language: str, timeout_s: float = 30.0) -> None:
    """Render the real window headless, wait until the page has drawn every layer, save a PNG."""
    application(language, headless=True)
    window = ConsoleWindow(store)
    try:
        window.resize(size)
        window.show()
        _wait_until_drawn(window, timeout_s)
        window.map.wait_for_next_frame()
        if not window.grab().save(str(out), "PNG"):
            raise ConsoleError(f"could not write {out}")
    finally:
        _dispose(window)


def _dispose(window: ConsoleWindow) -> None:
    """Delete the window now: its web page must go before the web profile does at exit."""
    window.close()
    window.deleteLater()
    QCoreApplication.sendPostedEvents(window, QEvent.Type.DeferredDelete)


def _wait_until_drawn(window: ConsoleWindow, timeout_s: float) -> None:
    loop = QEventLoop()
    drawn: list[dict] = []
    failed: list[str] = []
    window.mapReady.connect(drawn.append)
    window.loadFailed.connect(failed.append)
    timer = QTimer(singleShot=True)
    for signal in (window.mapReady, window.loadFailed, timer.timeout):
        signal.connect(loop.quit)
    timer.start(int(timeout_s * 1000))
    loop.exec()
    timer.stop()
    if failed:
        raise ConsoleError(f"the map could not be loaded: {failed[0]}")
    if not drawn:
        raise ConsoleError(f"the map did not finish drawing within {timeout_s:g} s")
