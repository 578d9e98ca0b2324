"""The console application: Qt set-up, the dispatcher's window, and headless screenshots."""

from __future__ import annotations

import getpass
import json
import logging
import os
import socket
import sys
import threading
import time
from pathlib import Path

from PySide6.QtCore import (
    QCoreApplication,
    QObject,
    QSettings,
    QSize,
    Qt,
    QTimer,
    Signal,
)
from PySide6.QtGui import QColor, QCursor, QKeySequence, QPalette, QShortcut
from PySide6.QtWidgets import QApplication, QDockWidget, QLabel, QMainWindow, QMenu, QWidget

from console import headless, i18n
from console.actions import Desk
from console.commands import NOT_ALLOWED
from console.details import RECOMMENDATIONS, IncidentDetails, Recommender
from console.dispatch import Dispatcher
from console.dutybar import DutyBar
from console.headless import dispose as _dispose
from console.help import ShortcutHelp
from console.incidents import IncidentQueue
from console.mapview import (
    MapData,
    MapView,
    read_map_data,
)
from console.search import SearchBox
from console.signin import role_name, sign_in_for
from console.storecheck import StoreCheckBar
from console.videodock import VideoDock
from console.tiles import TileLayer, TileSource, choose_tiles, register_tile_scheme
from data import auth
from data.feeds import PositionFeed, RoadSimulator
from data.store import Store, StoreError
from gis.locate import GridIndex

log = logging.getLogger(__name__)

# Live positions reach the map once a second: smooth enough for vehicles, cheap for 20,000 markers.
POSITION_TICK_MS = 1000
MESSAGE_MS = 10_000  # how long a status-bar message stays
LAYOUT_KEY = "window/state"
LAYOUT_VERSION = 1  # bump when the docks change, so an old saved layout is ignored
# Each side dock's share of the window by default: the map keeps more than half the width.
DOCK_WIDTH_SHARE = 0.22
DOCK_MIN_WIDTH_PX = 220
DETAILS_HEIGHT_SHARE = 0.75  # at most, when another dock shares its side


# Chromium raises its display threads (GPU, compositor, IO, the page's main thread) to nice -8
# when it may (root or CAP_SYS_NICE). The Qt UI thread, which is also Chromium's browser UI thread,
# stays at 0 and on two cores waits behind them for tens of ms: it gets their priority too.
UI_THREAD_NICE = -8
# V8's memory reducer compacts the whole heap when the page's allocation slows: on the live map a
# 40-60 ms pause of the page about 25 s after start, again whenever the heap has grown. The console
# stays in front, and without it V8's ordinary collections pause the page 3-17 ms (issue 6).
# `gc` lets the map page collect what loading left (the layers' messages, canvases) once it has
# drawn, instead of in the first second of live updates (map.js, onFinish).
PAGE_JS_FLAGS = "--no-memory-reducer --expose-gc"


class ConsoleError(RuntimeError):
    """The console cannot do what was asked; the message says why."""


def has_display() -> bool:
    """Whether a real window can be shown (X11 or Wayland)."""
    return bool(os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY"))


def prepare_environment(headless: bool) -> None:
    """Settings Qt and Chromium read once at start-up, so they must be set before QApplication."""
    if headless:
        os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    flags = os.environ.get("QTWEBENGINE_CHROMIUM_FLAGS", "").split()
    # Chromium's sandbox cannot run as root; the page is our own local file.
    if os.geteuid() == 0 and "--no-sandbox" not in flags:
        flags.append("--no-sandbox")
    if not any(flag.startswith("--js-flags") for flag in flags):  # someone else's V8 flags go as given
        flags.append(f'--js-flags="{PAGE_JS_FLAGS}"')  # quoted: Qt splits the variable at spaces outside quotes
    os.environ["QTWEBENGINE_CHROMIUM_FLAGS"] = " ".join(flags)
    register_tile_scheme()


def raise_ui_thread_priority() -> bool:
    """Give the calling (UI) thread the priority Chromium gives its display threads, where the
    system allows it, without passing it on to the threads and processes it starts
    (SCHED_RESET_ON_FORK: they begin at nice 0). Returns whether it was raised."""
    thread = threading.get_native_id()
    try:
        os.sched_setscheduler(thread, os.SCHED_OTHER | os.SCHED_RESET_ON_FORK, os.sched_param(0))
        os.setpriority(os.PRIO_PROCESS, thread, UI_THREAD_NICE)
    except (AttributeError, PermissionError) as err:  # not Linux, or not allowed: Chromium cannot either
        log.debug("UI thread priority left as it was: %s", err)
        return False
    return True


def application(language: str, headless: bool = False) -> QApplication:
    """The process's QApplication (created on first use) speaking `language`."""
    prepare_environment(headless)
    raise_ui_thread_priority()
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


# What cannot be used now (a leader's greyed actions) looks so.
_DARK_DISABLED = {
    QPalette.ColorRole.ButtonText: "#6a727a",
    QPalette.ColorRole.Text: "#6a727a",
    QPalette.ColorRole.WindowText: "#6a727a",
    QPalette.ColorRole.Button: "#1f2429",
}


def _use_dark_theme(app: QApplication) -> None:
    app.setStyle("Fusion")
    palette = QPalette()
    for role, colour in _DARK_PALETTE.items():
        palette.setColor(role, QColor(colour))
    for role, colour in _DARK_DISABLED.items():
        palette.setColor(QPalette.ColorGroup.Disabled, role, QColor(colour))
    app.setPalette(palette)


class _MapLoader(QObject):
    """Reads the map layers on a worker thread; results arrive on the UI thread as signals."""

    loaded = Signal(MapData)
    gridsIndexed = Signal(object)  # GridIndex: which grid a clicked point is in
    failed = Signal(str)

    def start(self, store: Store) -> None:
        # A Python thread, not QThreadPool: PROJ crashes on a pool thread's small stack once
        # QtWebEngine is running.
        threading.Thread(target=self._read, args=(store,), name="map-loader", daemon=True).start()

    def _read(self, store: Store) -> None:
        try:
            self.loaded.emit(read_map_data(store))
            self.gridsIndexed.emit(GridIndex(store.read_layer("grids")))
        except StoreError as err:
            self.failed.emit(str(err))
        except Exception as err:  # a bug: this thread is the last place it can be reported
            log.exception("reading the map layers failed")
            self.failed.emit(str(err))


def demo_feed(store: Store) -> RoadSimulator:
    """The simulated position feed of demo mode: the store's responders driving its roads."""
    try:
        return RoadSimulator(store.read_layer("roads"), store.read_layer("responders"))
    except ValueError as err:
        raise ConsoleError(f"cannot simulate positions: {err}") from None


class ConsoleWindow(QMainWindow):
    """The dispatcher's window: the map in the centre, the incident queue on the left, the
    selected incident and its recommended responders on the right; keyboard first."""

    mapReady = Signal(dict)  # the map has drawn every layer: feature count per layer
    loadFailed = Signal(str)
    ticketChanged = Signal(dict)  # a ticket changed through this window, as now stored
    recommendationsDone = Signal(str)  # ticket id: its recommendations (or why there are none) show

    def __init__(self, store: Store, feed: PositionFeed | None = None, dispatcher: Dispatcher | None = None,
                 settings: QSettings | None = None, tiles: TileSource | None = None,
                 session: auth.Session | None = None):
        super().__init__()
        self.setWindowTitle(self.tr("Grid Governance Command Console") + " — gridsight")
        self._store = store
        self._settings = settings  # None: the default layout, nothing remembered (screenshots, tests)
        self._dispatcher = dispatcher or Dispatcher(store, actor=getpass.getuser(), seat=socket.gethostname(),
                                                    session=session)
        # A role that may not dispatch (leader, analyst, admin) watches: every action is off.
        self.read_only = session is not None and not auth.may(session, "ticket.dispatch")
        self._grid_index: GridIndex | None = None
        self._map_drawn = False
        self._recommended_for: str | None = None  # the ticket whose recommendations show
        self.tiles = TileLayer(tiles, settings, self) if tiles else None  # the optional tile base map
        self.map = MapView(self, channel_objects={"tiles": self.tiles} if self.tiles else None)
        if self.tiles:
            self.tiles.serve_to(self.map.page())
        self.setCentralWidget(self.map)
        self.queue = IncidentQueue()
        self.details = IncidentDetails()
        self._add_dock("queue", self.tr("Incident queue"), self.queue, Qt.DockWidgetArea.LeftDockWidgetArea)
        self._add_dock("details", self.tr("Selected incident"), self.details, Qt.DockWidgetArea.RightDockWidgetArea)
        self._add_video_dock()
        self.help = ShortcutHelp(self)
        self.desk = Desk(self, store, self._dispatcher)
        self.search = SearchBox(store)
        self.search.chosen.connect(self.desk.go_to)
        self.search.left.connect(self.queue.table.setFocus)
        self.duty = DutyBar(self._dispatcher.seat, self._officer(session), self.queue.model, self.search)
        self.addToolBar(Qt.ToolBarArea.TopToolBarArea, self.duty)
        # What the store cannot do yet (`gridsight doctor`), once, under the duty bar.
        self.addToolBarBreak(Qt.ToolBarArea.TopToolBarArea)
        self.store_check = StoreCheckBar(self)
        self.store_check.fixCopied.connect(lambda command: self.statusBar().showMessage(
            self.tr("Fix command copied: {command}").format(command=command), MESSAGE_MS))
        self.addToolBar(Qt.ToolBarArea.TopToolBarArea, self.store_check)
        self.store_check.start(store)
        self.map.contextRequested.connect(self._on_map_context)
        self.desk.watcher.connection.connect(self._on_connection)
        self.desk.watcher.start()
        self._counts = QLabel(objectName="mapCounts")
        self.statusBar().addPermanentWidget(self._counts)
        self.statusBar().showMessage(self.tr("Loading the map…"))
        self.map.layersDrawn.connect(self._on_map_drawn)
        self.map.pointClicked.connect(self._on_point_clicked)
        self.map.featureClicked.connect(self._on_feature_clicked)
        self.queue.selected.connect(self._on_ticket_selected)
        # No parent: the loader and the recommender outlive a window closed while they work.
        self._recommender = Recommender(store)
        self._recommender.ready.connect(self._on_recommendations)
        self._recommender.failed.connect(self._on_recommendations_failed)
        self._loader = _MapLoader()
        self._loader.loaded.connect(self.map.show_data)
        self._loader.loaded.connect(self._on_data_loaded)
        self._loader.gridsIndexed.connect(self._on_grids_indexed)
        self._loader.failed.connect(self._on_load_failed)
        self._loader.start(store)
        # In a child process while the page loads, not once the map is up: its CPU (~2 s when read
        # back from the store, ~9 s when computed) then starts on the loading, not the dispatcher.
        self.map.show_coverage(store)
        self._feed = feed
        self._position_timer = QTimer(self, interval=POSITION_TICK_MS)
        self._position_timer.timeout.connect(self.move_responders)
        self._add_shortcuts()
        if self.read_only:
            self._disable_actions()
        self._restore_layout()

    def _officer(self, session: auth.Session | None) -> str:
        """Who is on duty, for the duty bar: the signed-in user and role, else the login name."""
        if session is None or session.sign_in_off:
            return self._dispatcher.actor
        officer = f"{session.username} ({role_name(session.role)})"
        return officer + (" · " + self.tr("read-only") if self.read_only else "")

    def read_only_reason(self) -> str:
        roles = " / ".join(role_name(r) for r in auth.needed_roles("ticket.dispatch"))
        return self.tr("Read-only: {role} may watch but not change tickets; that needs {roles}.").format(
            role=role_name(self._dispatcher.session.role), roles=roles)

    def _disable_actions(self, reason: str | None = None) -> None:
        """Greyed out with the reason on hover; the workflow would refuse them anyway."""
        for button in self.details.buttons.values():
            button.setEnabled(False)
            button.setToolTip(reason or self.read_only_reason())

    @property
    def offline(self) -> bool:
        return self.duty.is_offline

    def offline_reason(self) -> str:
        return self.tr("Offline: the store's server cannot be reached; reconnecting by itself. "
                       "What shows is the last known state.")

    def _on_connection(self, online: bool) -> None:
        """Lost: say so, keep the last known state, grey the actions. Back (and caught up): undo that."""
        self.duty.show_online(online)
        if not online:
            self._disable_actions(self.offline_reason())
            self.statusBar().showMessage(self.offline_reason())
            return
        self.statusBar().showMessage(self.tr("Back online; changes made meanwhile are shown."), MESSAGE_MS)
        if self.read_only:
            self._disable_actions()
            return
        for button in self.details.buttons.values():
            button.setEnabled(True)
            button.setToolTip("")

    # -- layout -------------------------------------------------------------------------

    def _add_dock(self, name: str, title: str, widget: QWidget, area: Qt.DockWidgetArea) -> None:
        dock = QDockWidget(title, self)
        dock.setObjectName(name)  # saveState() finds docks by name
        dock.setWidget(widget)
        dock.setFeatures(QDockWidget.DockWidgetFeature.DockWidgetMovable
                         | QDockWidget.DockWidgetFeature.DockWidgetFloatable)
        self.addDockWidget(area, dock)

    def _add_video_dock(self) -> None:
        """Live video of the cameras near the selected incident, under its details (console/videodock.py)."""
        self.video = VideoDock(self._store, self.map)
        self._add_dock("video", self.tr("Video"), self.video, Qt.DockWidgetArea.RightDockWidgetArea)

    def _restore_layout(self) -> None:
        """The docks as the dispatcher left them last time, else sized when first shown."""
        state = self._settings.value(LAYOUT_KEY) if self._settings is not None else None
        self._default_layout = state is None or not self.restoreState(state, LAYOUT_VERSION)

    def showEvent(self, event) -> None:
        super().showEvent(event)
        if self._default_layout:  # the window's size is known only now
            self._default_layout = False
            docks = self.findChildren(QDockWidget)
            width = max(DOCK_MIN_WIDTH_PX, int(self.width() * DOCK_WIDTH_SHARE))
            # The queue a little wider on a small screen (1366 px) rather than its category cut.
            widths = [max(width, self.queue.preferred_width()) if dock.widget() is self.queue else width
                      for dock in docks]
            self.resizeDocks(docks, widths, Qt.Orientation.Horizontal)
            # The selected incident's dock keeps room for its recommendations, actions and timeline
            # over any dock stacked under it (video).
            height = min(self.details.preferred_height(), int(self.height() * DETAILS_HEIGHT_SHARE))
            self.resizeDocks([self.findChild(QDockWidget, "details")], [height], Qt.Orientation.Vertical)

    def closeEvent(self, event) -> None:
        if self._settings is not None:
            self._settings.setValue(LAYOUT_KEY, self.saveState(LAYOUT_VERSION))
        self._recommender.stop()
        self.desk.stop()
        self.search.stop()
        self.video.shutdown()
        self.map.stop_coverage()
        super().closeEvent(event)

    def _add_shortcuts(self) -> None:
        for keys, action in (
            (("J", "Ctrl+Down"), lambda: self.queue.step(+1)),
            (("K", "Ctrl+Up"), lambda: self.queue.step(-1)),
            (("Home",), self.map.show_territory),
            (("F1",), self.help.toggle),
            (("Ctrl+F",), self.search.focus),
            *(() if self.read_only else ((keys, self._online_only(action)) for keys, action in (
                *(((str(n),), lambda n=n: self.assign_recommendation(n)) for n in range(1, RECOMMENDATIONS + 1)),
                *(((f"Shift+{n}",), lambda n=n: self.desk.add_helper(n)) for n in range(1, RECOMMENDATIONS + 1)),
                (("T",), self.desk.transfer),
                (("M",), self.desk.merge),
                (("E",), self.desk.escalate),
                (("Ctrl+N",), self._new_incident_at_map_centre),
            ))),
        ):
            for key in keys:
                QShortcut(QKeySequence(key), self, action)

    def _online_only(self, action):
        """A changing shortcut: while offline it says why nothing happens instead of trying the store."""
        def run() -> None:
            if self.offline:
                self.statusBar().showMessage(self.offline_reason(), MESSAGE_MS)
            else:
                action()
        return run

    # -- live positions -------------------------------------------------------------------

    def move_responders(self) -> None:
        """One tick of the position feed: everyone who moved goes to the map in one diff."""
        positions = self._feed.poll(time.monotonic())
        if len(positions):
            self.map.update_layers(moved={"responders": positions})
            self._recommender.track(positions)

    def _on_map_drawn(self, counts: dict) -> None:
        self._map_drawn = True
        if self._feed is not None:
            self._feed.poll(time.monotonic())  # the clock starts now: no jump on the first tick
            self._position_timer.start()
        self.statusBar().clearMessage()
        self._show_counts(counts)
        # Tickets join and leave the queue all shift long: the open count follows it.
        for change in (self.queue.model.rowsInserted, self.queue.model.rowsRemoved):
            change.connect(lambda *_: self._show_counts(counts))
        self.mapReady.emit(counts)

    def _show_counts(self, drawn: dict) -> None:
        self._counts.setText(
            self.tr("Open incidents {incidents} · Grids {grids} · Responders {responders} · Cameras {cameras}").format(
                incidents=self.queue.model.rowCount(),
                grids=drawn.get("grids", 0),
                responders=drawn.get("responders", 0),
                cameras=drawn.get("cameras", 0),
            )
        )

    # -- selecting and dispatching ------------------------------------------------------------

    @property
    def recommendations_done(self) -> bool:
        """Whether the selected ticket's recommendations (or the reason there are none) show."""
        return self._recommended_for is not None and self._recommended_for == (self.details.ticket or {}).get(
            "ticket_id")

    def _on_ticket_selected(self, ticket: dict) -> None:
        self.details.show_ticket(ticket)
        self.desk.load_record(ticket["ticket_id"])
        self.map.show_selection(ticket["lon"], ticket["lat"])
        self.video.show_incident(ticket["ticket_id"], ticket["lon"], ticket["lat"])
        self._recommender.request(ticket["ticket_id"], ticket["lon"], ticket["lat"],
                                  _text_or_none(ticket.get("grid_code")), _text_or_none(ticket.get("category")))

    def _on_recommendations(self, ticket_id: str, found: list, by: str) -> None:
        ticket = self.details.ticket
        if ticket is None or ticket["ticket_id"] != ticket_id:
            return  # the dispatcher has moved on
        self.details.show_recommendations(found, by)
        self.map.show_selection(ticket["lon"], ticket["lat"], self.details.route_coordinates())
        self._recommended_for = ticket_id
        self.recommendationsDone.emit(ticket_id)

    def _on_recommendations_failed(self, ticket_id: str, message: str) -> None:
        if self.details.ticket is not None and self.details.ticket["ticket_id"] == ticket_id:
            self.details.show_problem(self.tr("No recommendation: {error}").format(error=message))
            self._recommended_for = ticket_id
            self.recommendationsDone.emit(ticket_id)

    def assign_recommendation(self, n: int) -> None:
        """Dispatch the selected ticket to its n-th recommended responder (keys 1..5)."""
        self.desk.assign(n)

    # -- the map --------------------------------------------------------------------------------

    def _on_data_loaded(self, data: MapData) -> None:
        self.queue.set_rows(data.incidents)
        self.map.show_open_ticket_load(data.incidents.get("grid_code", ()))

    def _on_grids_indexed(self, index: GridIndex) -> None:
        self._grid_index = index
        self._dispatcher.share_grid_index(index)

    def _on_feature_clicked(self, layer: str, feature_id: str) -> None:
        if layer == "incidents" and self.queue.select_ticket(feature_id):
            return
        self.statusBar().showMessage(feature_id)

    def _on_point_clicked(self, lon: float, lat: float) -> None:
        self.statusBar().showMessage(self.describe_point(lon, lat))

    def _on_map_context(self, lon: float, lat: float) -> None:
        menu = QMenu(self)
        menu.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        action = menu.addAction(self.tr("New walk-in/phone incident here"), lambda: self.desk.new_incident(lon, lat))
        if self.read_only or self.offline:
            action.setEnabled(False)
            action.setToolTip(self.offline_reason() if self.offline else self.read_only_reason())
            menu.setToolTipsVisible(True)
        menu.popup(QCursor.pos())

    def _new_incident_at_map_centre(self) -> None:
        if not self._map_drawn:
            self.statusBar().showMessage(self.tr("Loading the map…"), MESSAGE_MS)
            return
        self.map.page().runJavaScript("JSON.stringify(gridsightMap.map.getCenter())", 0,
                                      lambda centre: self.desk.new_incident(*_lon_lat(centre)))

    def grid_path(self, lon: float, lat: float) -> str:
        """The grids containing a point, outermost first (the address of a report there)."""
        path = self._grid_index.path(lon, lat) if self._grid_index is not None else []
        return " ".join(hit.name for hit in path)

    def describe_point(self, lon: float, lat: float) -> str:
        """What the status bar says about a clicked point: where, and in which grids."""
        where = self.tr("Lon {lon:.6f}, lat {lat:.6f}").format(lon=lon, lat=lat)
        if self._grid_index is None:
            return where
        path = self._grid_index.path(lon, lat)
        if not path:
            return where + " · " + self.tr("outside every grid")
        return where + " · " + " › ".join(hit.name for hit in path) + f" ({path[-1].code})"

    def _on_load_failed(self, message: str) -> None:
        self.statusBar().showMessage(self.tr("The map could not be loaded: {error}").format(error=message))
        self.loadFailed.emit(message)


def run_console(store: Store, language: str, feed: PositionFeed | None = None, tiles: str | None = None,
                tiles_crs: str | None = None) -> int:
    """Sign in (on a store with users), open the window and run until it is closed; `tiles` as
    console.tiles.choose_tiles takes them. Sign-in cancelled: the CLI's NOT_ALLOWED."""
    app = application(language)
    session = sign_in_for(store, socket.gethostname(), QCoreApplication.translate(
        "ConsoleWindow", "Grid Governance Command Console"))
    if session is None:
        return NOT_ALLOWED
    settings = QSettings("gridsight", "console")
    window = ConsoleWindow(store, feed, settings=settings, tiles=choose_tiles(tiles, tiles_crs, settings),
                           session=session)
    return run_maximised(app, window)


def run_maximised(app: QApplication, window: QWidget) -> int:
    """Show `window` maximised and run the application until it is closed; then delete the window."""
    window.resize(app.primaryScreen().availableSize())  # for Xvfb, where no window manager maximises
    window.showMaximized()
    try:
        return app.exec()
    finally:
        _dispose(window)


def take_screenshot(store: Store, out: Path, size: QSize, language: str, timeout_s: float = 30.0,
                    incident: str | None = None, tiles: TileSource | None = None,
                    session: auth.Session | None = None) -> None:
    """Render the real window headless (as `session` sees it) once the page has drawn every layer
    and the selected incident (the most urgent, or `incident`) shows its recommendations; save a PNG."""
    application(language, headless=True)
    window = ConsoleWindow(store, tiles=tiles, session=session)
    try:
        deadline = headless.show_for_render(window, size, timeout_s)
        _wait_for(window.mapReady, window, deadline, f"the map did not finish drawing within {timeout_s:g} s")
        if window.store_check.findings is None:
            _wait_for(window.store_check.checked, window, deadline,
                      f"the store check did not finish within {timeout_s:g} s")
        if incident is not None and not window.queue.select_ticket(incident):
            raise ConsoleError(f"no open incident {incident!r} in the queue")
        if window.details.ticket is not None and not window.recommendations_done:
            _wait_for(window.recommendationsDone, window, deadline,
                      f"the recommendations did not arrive within {timeout_s:g} s")
        if window.map.selection_pending:
            _wait_for(window.map.selectionDrawn, window, deadline,
                      f"the selected incident was not drawn within {timeout_s:g} s")
        if window.tiles is not None and window.tiles.loading:
            _wait_for(window.tiles.loaded, window, deadline, f"the map tiles did not load within {timeout_s:g} s")
        window.video.wait_until_playing(deadline)  # live video, where the cameras are served
        headless.save_frame(window, out, ConsoleError)
    finally:
        _dispose(window)


def _wait_for(signal, window: ConsoleWindow, deadline: float, late: str) -> None:
    """Run the event loop until `signal` fires; a load failure or the deadline raises."""
    headless.wait_for(signal, window, deadline, late, ConsoleError, "the map could not be loaded")


def _text_or_none(value) -> str | None:
    return value if isinstance(value, str) and value else None


def _lon_lat(leaflet_json: str) -> tuple[float, float]:
    centre = json.loads(leaflet_json)
    return centre["lng"], centre["lat"]
