"""The map at the centre of the console: our local Leaflet page in a QWebEngineView.

Python reads the store and hands the page one GeoJSON FeatureCollection per layer over
QWebChannel, reduced to what is drawn (simplified shapes, the properties the page styles
by). The page draws, then reports what it drew and where the user clicked. After that, live
changes (moved responders, a ticket changing state) go to the page as one batched diff per
tick, never by reloading it. No business logic lives here or in the page.
"""

from __future__ import annotations

import base64
import gc
import json
import logging
import math
import os
import subprocess
import sys
import threading
from collections import Counter, deque
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import ClassVar

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from PySide6.QtCore import QEventLoop, QObject, Qt, QTimer, QUrl, QUrlQuery, Signal, Slot
from PySide6.QtQuickWidgets import QQuickWidget
from PySide6.QtWebChannel import QWebChannel
from PySide6.QtWebEngineCore import QWebEnginePage
from PySide6.QtWebEngineWidgets import QWebEngineView

from console.labels import label
from data.feeds import Positions
from data.store import Store
from data.workflow.states import ESCALATED, OPEN
from data.coveragemap import COORDINATE_GRID_DEG

log = logging.getLogger(__name__)

WEB_DIR = Path(__file__).resolve().parents[1] / "resources" / "web"
MAP_PAGE = WEB_DIR / "map.html"
LEAFLET = WEB_DIR / "vendor" / "leaflet" / "leaflet.js"

# Layers on the map, bottom to top, with the properties the page needs of each.
MAP_LAYERS: dict[str, tuple[str, ...]] = {
    "water": ("kind", "name"),
    "roads": ("road_class", "name"),
    "grids": ("code", "name", "level"),
    "patrol_routes": ("route_id", "name", "unit_id"),
    "checkpoints": ("checkpoint_id", "name", "kind"),
    "cameras": ("camera_id", "name", "camera_class", "status"),
    "responders": ("responder_id", "name", "kind", "role", "status"),
    "incidents": ("ticket_id", "channel", "category", "priority", "state", "overdue", "escalated"),
}
# Point layers: the page draws them on one canvas each and finds their points by this id.
POINT_IDS = {"checkpoints": "checkpoint_id", "cameras": "camera_id", "responders": "responder_id",
             "incidents": "ticket_id"}
# What the queue and the details panel show of each open ticket, besides the incident's columns.
TICKET_COLUMNS = ("state", "version", "deadline", "lead_id", "helper_ids", "address", "description")
# tickets.warning_level of a ticket past its deadline (data/schema.py).
OVERDUE_WARNING_LEVEL = 3
# Road classes the page draws only at street zoom (map.js ROAD_STYLES minZoom >= 12).
MINOR_ROAD_CLASSES = ("local", "village")
# About 1 m: below a screen pixel at street zoom, yet it drops most vertices of generated shapes.
SIMPLIFY_TOLERANCE_DEG = 1e-5
# Shown when the store has nothing to fit the view to: mainland China.
CHINA_BOUNDS = (73.5, 18.0, 135.0, 53.6)
MAP_MODES = ("dispatch", "wall", "editor")
# How long the coverage child (data.coveragemap.print_coverage) may take.
COVERAGE_TIMEOUT_S = 300
# show_overlay sends the parts of a big overlay (data.coveragemap.overlay_parts) this far apart: the
# channel delivered parts sent at once in one task of the page (60 ms).
OVERLAY_PART_INTERVAL_MS = 40


class MapAssetsMissing(RuntimeError):
    """Leaflet was not fetched into resources/web/vendor (set-up was not run)."""


@dataclass(frozen=True)
class MapData:
    """What the page draws: GeoJSON text per layer in drawing order, and the box to show."""

    layers: dict[str, str]
    bounds: tuple[float, float, float, float]  # min lon, min lat, max lon, max lat
    # Ids of each point layer's features in the order sent: live moves address points by position.
    point_ids: dict[str, list[str]] = field(default_factory=dict)
    # The open incidents with their tickets (no geometry; lon, lat columns): the incident queue's rows.
    incidents: pd.DataFrame = field(default_factory=pd.DataFrame)


def read_map_data(store: Store, layers: Iterable[str] | None = None, minor_roads: bool = True) -> MapData:
    """Read the map layers named in `layers` (None: all of MAP_LAYERS) and reduce them for
    display (fast enough for a worker thread). Without `minor_roads` the roads leave out the
    classes the page draws only at street zoom (for views of the whole territory: the wall)."""
    wanted = set(MAP_LAYERS) if layers is None else set(layers)
    if unknown := wanted - set(MAP_LAYERS):
        raise ValueError(f"unknown map layers: {', '.join(sorted(unknown))}")
    names = [name for name in MAP_LAYERS if name in wanted]  # drawing order
    sources = {name: _read_source(store, name, minor_roads) for name in names}
    frames = {name: _display_frame(name, sources[name], MAP_LAYERS[name]) for name in names}
    return MapData(
        layers={name: _geojson_text(frame) for name, frame in frames.items()},
        bounds=_territory_bounds(frames),
        point_ids={name: frames[name][column].astype(str).tolist()
                   for name, column in POINT_IDS.items() if name in frames},
        incidents=_queue_rows(sources["incidents"]) if "incidents" in sources else pd.DataFrame(),
    )


def _read_source(store: Store, name: str, minor_roads: bool) -> gpd.GeoDataFrame:
    if name == "incidents":
        return open_incidents(store)
    if name == "roads" and not minor_roads:
        placeholders = ", ".join("?" * len(MINOR_ROAD_CLASSES))
        return store.read_layer(name, where=f"road_class NOT IN ({placeholders})", params=MINOR_ROAD_CLASSES)
    return store.read_layer(name)


def _geojson_text(frame: gpd.GeoDataFrame) -> str:
    """A FeatureCollection as compact JSON text: what GeoDataFrame.to_json gives, in a fifth of
    the time (GEOS writes the geometries, pandas the properties; the city's roads: 0.3 s, not 1.5)."""
    geometries = shapely.to_geojson(frame.geometry.values)
    properties = pd.DataFrame(frame.drop(columns=frame.geometry.name)).to_json(
        orient="records", lines=True, force_ascii=False, double_precision=15).split("\n")
    features = ",".join(f'{{"type":"Feature","properties":{p},"geometry":{g}}}'
                        for p, g in zip(properties, geometries, strict=False))
    return f'{{"type":"FeatureCollection","features":[{features}]}}'


def open_incidents(store: Store) -> gpd.GeoDataFrame:
    """The incidents whose tickets are still open, with what the map shows of the ticket."""
    placeholders = ", ".join("?" * len(OPEN))
    tickets = store.read_table("tickets", where=f"state IN ({placeholders})", params=OPEN)
    # Only the open ones: a centre's incidents layer holds every ticket for years.
    incidents = store.read_layer(
        "incidents", where=f"ticket_id IN (SELECT ticket_id FROM tickets WHERE state IN ({placeholders}))",
        params=OPEN)
    ticket_columns = ["ticket_id", *TICKET_COLUMNS, "warning_level", "escalation_level"]
    joined = incidents.drop(columns="fid").merge(tickets[ticket_columns], on="ticket_id")
    return with_ticket_flags(joined)


def with_ticket_flags(frame: pd.DataFrame) -> pd.DataFrame:
    """Adds what the map and the queue show of a ticket's warning and escalation levels."""
    frame = frame.copy()
    frame["overdue"] = frame["warning_level"].fillna(0) >= OVERDUE_WARNING_LEVEL
    frame["escalated"] = (frame["state"] == ESCALATED) | (frame["escalation_level"].fillna(0) > 0)
    return frame


def _queue_rows(incidents: gpd.GeoDataFrame) -> pd.DataFrame:
    rows = pd.DataFrame(incidents.drop(columns=incidents.geometry.name))
    placed = ~(incidents.geometry.isna() | incidents.geometry.is_empty)
    rows["lon"] = np.where(placed, incidents.geometry.x.where(placed), np.nan)
    rows["lat"] = np.where(placed, incidents.geometry.y.where(placed), np.nan)
    return rows.reset_index(drop=True)


def _display_frame(name: str, frame: gpd.GeoDataFrame, properties: tuple[str, ...]) -> gpd.GeoDataFrame:
    frame = frame[~(frame.geometry.isna() | frame.geometry.is_empty)]
    geoms = frame.geometry.values
    attributes = frame[list(properties)].copy()
    if name == "grids":
        # Labels sit on a point inside the grid; the page picks the zoom for labels by grid width.
        inside = shapely.point_on_surface(geoms)
        attributes["label_lon"] = np.round(shapely.get_x(inside), 6)
        attributes["label_lat"] = np.round(shapely.get_y(inside), 6)
        bounds = shapely.bounds(geoms)
        attributes["width_deg"] = np.round(bounds[:, 2] - bounds[:, 0], 6)
    geoms = shapely.simplify(geoms, SIMPLIFY_TOLERANCE_DEG, preserve_topology=True)
    geoms = shapely.set_precision(geoms, COORDINATE_GRID_DEG, mode="pointwise")
    return gpd.GeoDataFrame(attributes, geometry=geoms, crs=frame.crs)


def open_ticket_load(grid_codes: Iterable) -> dict[str, float]:
    """Open tickets per leaf grid code, from the grid code of each open ticket (grids without
    any, and tickets without a grid, are left out)."""
    counts = Counter(str(code) for code in grid_codes if pd.notna(code) and str(code))
    return {code: float(n) for code, n in counts.items()}


def _territory_bounds(frames: dict[str, gpd.GeoDataFrame]) -> tuple[float, float, float, float]:
    """The grids' extent, or everything's when there are no grids (or they were not read)."""
    grids = frames.get("grids")
    chosen = [grids] if grids is not None and len(grids) else [f for f in frames.values() if len(f)]
    if not chosen:
        return CHINA_BOUNDS
    boxes = np.array([f.total_bounds for f in chosen])
    return (*boxes[:, :2].min(axis=0).tolist(), *boxes[:, 2:].max(axis=0).tolist())


def settle_heap() -> None:
    """Leave what start-up loaded out of Python's full garbage collections from then on (once a
    process: the first map drawn has loaded the store's layers).

    A full collection walks every object the process holds; with the city loaded that held the UI
    thread ~95 ms at a time, now and then all shift long. After one last collection the objects
    are frozen: they stay out of later collections, and what is made later is collected as usual."""
    if gc.get_freeze_count():
        return
    gc.collect()
    gc.freeze()


class MapBridge(QObject):
    """The page's `bridge` object: its signals carry data to the page, its slots are called by it."""

    # Python -> page
    configure = Signal(str)  # JSON: translated layer titles
    call = Signal(str, str)  # name of a page command (gridsightMap.commands), its JSON argument
    layerData = Signal(str, str)  # layer name, GeoJSON FeatureCollection
    finish = Signal(str)  # JSON [[south, west], [north, east]]: fit the view, draw, report
    update = Signal(str)  # JSON: one tick's diff of every layer (see MapView.update_layers)
    select = Signal(str)  # JSON {incident: [lat, lon] | null, routes: [[[lat, lon], ...], ...]}

    # page -> Python, re-emitted from the slots below
    loaded = Signal()
    drawn = Signal(dict)
    clicked = Signal(float, float)
    feature = Signal(str, str)
    selectionShown = Signal()
    stalls = Signal(list)  # the page's timer lateness in ms (gridsightMap.stopStallProbe)
    contextMenu = Signal(float, float)

    @Slot()
    def pageReady(self) -> None:
        self.loaded.emit()

    @Slot(str)
    def layersDrawn(self, counts_json: str) -> None:
        self.drawn.emit(json.loads(counts_json))

    @Slot(float, float)
    def mapClicked(self, lon: float, lat: float) -> None:
        self.clicked.emit(lon, lat)

    @Slot(float, float)
    def mapContextMenu(self, lon: float, lat: float) -> None:
        self.contextMenu.emit(lon, lat)

    @Slot(str, str)
    def featureClicked(self, layer: str, feature_id: str) -> None:
        self.feature.emit(layer, feature_id)

    @Slot()
    def selectionDrawn(self) -> None:
        self.selectionShown.emit()

    @Slot(str)
    def stallReport(self, lateness_json: str) -> None:
        self.stalls.emit(json.loads(lateness_json))


class _LoggingPage(QWebEnginePage):
    """Sends the page's console messages to Python logging, so script errors are not lost."""

    _LEVELS: ClassVar[dict] = {
        QWebEnginePage.JavaScriptConsoleMessageLevel.InfoMessageLevel: logging.INFO,
        QWebEnginePage.JavaScriptConsoleMessageLevel.WarningMessageLevel: logging.WARNING,
        QWebEnginePage.JavaScriptConsoleMessageLevel.ErrorMessageLevel: logging.ERROR,
    }

    def javaScriptConsoleMessage(self, level, message, line, source):
        log.log(self._LEVELS.get(level, logging.INFO), "map page %s:%s: %s", Path(source).name, line, message)


def coverage_command(location: str) -> list[str]:
    """The child process computing the bands: a fresh interpreter, not fork (the parent runs Qt
    and Chromium threads) nor multiprocessing's spawn (it re-runs the parent's main script)."""
    return [sys.executable, "-c", "from data.coveragemap import print_coverage; import sys; "
            "print_coverage(sys.argv[1])", location]


class _CoverageWorker(QObject):
    """Computes the rapid-response bands in a child process, waited for on a Python thread (see
    _MapLoader in app.py on why not a pool thread); the result arrives on the UI thread."""

    done = Signal(list)  # GeoJSON texts: the parts of the bands
    failed = Signal(str)

    def __init__(self) -> None:
        super().__init__()
        self.child: subprocess.Popen | None = None
        self._stopped = False

    def start(self, store: Store) -> None:
        location, secrets = store.for_another_process()
        try:
            self.child = subprocess.Popen(coverage_command(location), stdout=subprocess.PIPE,
                                          stderr=subprocess.PIPE, text=True, env={**os.environ, **secrets})
        except OSError as err:
            self._fail(str(err))
            return
        threading.Thread(target=self._wait, args=(self.child,), name="map-coverage", daemon=True).start()

    def stop(self) -> None:
        """End the computation (the console is closing): nobody will show its result."""
        self._stopped = True
        if self.child is not None and self.child.poll() is None:
            self.child.kill()

    def _wait(self, child: subprocess.Popen) -> None:
        try:
            out, err = child.communicate(timeout=COVERAGE_TIMEOUT_S)
        except subprocess.TimeoutExpired as timeout:
            child.kill()
            child.communicate()
            self._fail(str(timeout))
            return
        if self._stopped:
            return
        if child.returncode != 0:  # e.g. a store without roads: the child's last line says why
            lines = err.strip().splitlines()
            self._fail(lines[-1] if lines else f"exit status {child.returncode}")
            return
        self.done.emit(out.splitlines())

    def _fail(self, message: str) -> None:
        log.warning("no rapid-response coverage: %s", message)
        self.failed.emit(message)


class MapView(QWebEngineView):
    """The map widget. Give it data with `show_data`; it tells when drawn and where clicked.

    The commands below (fill_grids, show_heat, highlight, flash, focus, show_overlay) given
    before the page has drawn are kept and sent, in order, once it has."""

    layersDrawn = Signal(dict)  # feature count per layer, as drawn by the page
    pointClicked = Signal(float, float)  # lon, lat
    featureClicked = Signal(str, str)  # layer, id of the point clicked (an incident, a responder…)
    selectionDrawn = Signal()  # the page has painted the last selection sent
    pageStalls = Signal(list)  # ms each probe timer fired late, from start_stall_probe to stop_stall_probe
    contextRequested = Signal(float, float)  # lon, lat of a right-click on the map
    coverageFailed = Signal(str)  # why the rapid-response bands could not be computed

    def __init__(self, parent=None, mode: str = "dispatch", channel_objects: Mapping[str, QObject] | None = None):
        super().__init__(parent)
        if mode not in MAP_MODES:
            raise ValueError(f"unknown map mode {mode!r}; expected one of {', '.join(MAP_MODES)}")
        if not LEAFLET.is_file():
            raise MapAssetsMissing(f"{LEAFLET} is missing; run scripts/install.sh to fetch the map's web assets")
        self.mode = mode
        self.setPage(_LoggingPage(self))
        # The page's right-click is ours (a new incident there), not Chromium's menu.
        self.setContextMenuPolicy(Qt.ContextMenuPolicy.NoContextMenu)
        self._bridge = MapBridge(self)
        channel = QWebChannel(self)
        channel.registerObject("bridge", self._bridge)
        for name, extra in (channel_objects or {}).items():
            channel.registerObject(name, extra)
        self.page().setWebChannel(channel)
        self._calls_before_drawn: list[tuple[str, str, bool]] = []  # command, payload, paced
        # Per point layer, the ids of the last moves sent and which of them the page has.
        self._last_moved: dict[str, tuple[np.ndarray, np.ndarray]] = {}
        self._paced: deque[tuple[str, str, bool]] = deque()  # overlay parts, and commands given after them
        self._pacer = QTimer(self, interval=OVERLAY_PART_INTERVAL_MS)
        self._pacer.timeout.connect(self._send_paced)
        self._coverage: _CoverageWorker | None = None
        self._open_ticket_load: dict[str, float] | None = None  # the grid fill's counts, as last sent
        self._bridge.contextMenu.connect(self.contextRequested)
        self._page_ready = False
        self._pending: MapData | None = None
        self._point_index: dict[str, pd.Index] = {}
        self._bridge.loaded.connect(self._on_page_ready)
        self._drawn = False  # the page has drawn the layers: selections can go to it
        self._selection: str | None = None  # the last selection sent or waiting for the page
        self._bridge.drawn.connect(self._on_layers_drawn)
        self._bridge.clicked.connect(self.pointClicked)
        self._bridge.feature.connect(self.featureClicked)
        self._bridge.selectionShown.connect(self._on_selection_drawn)
        self._bridge.stalls.connect(self.pageStalls)
        self.selection_pending = False  # a selection was sent and the page has not painted it yet
        url = QUrl.fromLocalFile(str(MAP_PAGE))
        query = QUrlQuery()
        query.addQueryItem("mode", mode)
        url.setQuery(query)
        self.load(url)

    def show_data(self, data: MapData) -> None:
        """Draw `data` as soon as the page is ready (the page loads while the store is read)."""
        self._pending = data
        if self._page_ready:
            self._push()

    def update_layers(
        self,
        moved: Mapping[str, Positions] | None = None,
        changed: Mapping[str, list[dict]] | None = None,
        added: Mapping[str, list[dict]] | None = None,
        removed: Mapping[str, list[str]] | None = None,
    ) -> None:
        """Send one batched diff to the page: moved points, points with new properties, GeoJSON
        point features to add, ids to take off. Unknown ids are skipped; ignored before the map
        is drawn (the first drawing reads the store anyway)."""
        if not self._point_index:
            return
        diff: dict = {}
        if moved:
            diff["moved"] = {name: self._encode_moves(name, positions) for name, positions in moved.items()}
        if changed:
            diff["changed"] = dict(changed)
        if added:
            diff["added"] = dict(added)
            for name, features in added.items():
                new_ids = [str(f["properties"][POINT_IDS[name]]) for f in features]
                self._point_index[name] = self._point_index[name].append(pd.Index(new_ids))
                self._last_moved.pop(name, None)  # ids the feed reported unknown may be known now
        if removed:
            diff["removed"] = dict(removed)
        if diff:
            self._bridge.update.emit(json.dumps(diff, ensure_ascii=False, separators=(",", ":")))

    def show_selection(self, lon: float | None, lat: float | None, routes: list | None = None) -> None:
        """Mark the selected incident (None: nothing selected) and draw its recommended routes,
        given as [[lat, lon], ...] lines, best first."""
        incident = None if lon is None or lat is None or np.isnan(lon) else [lat, lon]
        self.selection_pending = True
        self._selection = json.dumps({"incident": incident, "routes": routes or []})
        if self._drawn:
            self._bridge.select.emit(self._selection)

    def fill_grids(self, values: Mapping[str, float], title: str, level: int | None = None) -> None:
        """Colour the grids of `level` (None: the finest level) by value, code -> value, on a
        sequential ramp with a legend titled `title`; grids without a value stay clear.
        `fill_grids({}, "")` takes the fill off."""
        self._open_ticket_load = None  # another fill replaces the open-ticket one
        finite = {str(code): float(v) for code, v in values.items() if v is not None and math.isfinite(v)}
        self._call("fill", {"values": finite, "title": title, "level": level})

    def show_heat(self, points: Sequence[tuple[float, float, float]]) -> None:
        """A heat layer of (lon, lat, weight) points; an empty sequence takes it off."""
        self._call("heat", [[round(lat, 6), round(lon, 6), float(weight)] for lon, lat, weight in points])

    def highlight(self, layer: str, ids: Sequence[str]) -> None:
        """Ring these points of a point layer, replacing its previous highlight; [] clears it."""
        self._call("highlight", {"layer": layer, "ids": [str(i) for i in ids]})

    def flash(self, layer: str, ids: Sequence[str], seconds: float = 10) -> None:
        """Blink these points (new or escalated incidents) for `seconds`."""
        self._call("flash", {"layer": layer, "ids": [str(i) for i in ids], "seconds": float(seconds)})

    def focus(self, lon: float, lat: float, zoom: float | None = None) -> None:
        """Centre the map on a place (at `zoom`, else at least street level) and drop a pin there for a while."""
        self._call("focus", {"lon": lon, "lat": lat, "zoom": zoom})

    def show_overlay(self, name: str, geojson: str | Sequence[str], title: str) -> None:
        """An extra layer of lines and polygons in the layer control, replacing the one of the same
        name: GeoJSON text, or the texts of its parts (overlay_parts: a big layer in one message
        holds the page while it is parsed); `show_overlay(name, "", "")` removes it. A feature's
        `style` property (Leaflet path options: color, weight, dashArray, fillColor, fillOpacity…)
        overrides the default look."""
        parts = [geojson] if isinstance(geojson, str) else list(geojson)
        parts = [part for part in parts if part]
        header = {"name": name, "title": title, "parts": len(parts)}
        if not parts:
            self._call("overlay", header)
        for number, part in enumerate(parts):
            # The GeoJSON goes in as it is, not quoted in a string for the page to parse twice.
            self._send("overlay", json.dumps({**header, "part": number}, ensure_ascii=False)[:-1] + f',"geojson":{part}}}',
                       paced=len(parts) > 1)

    def show_open_ticket_load(self, grid_codes: Iterable) -> None:
        """Fill the finest grids by how many open tickets they hold (the grid code of each ticket in
        the queue). Sent only when the counts differ from the last ones sent: the page rebuilds the
        fill each time."""
        load = open_ticket_load(grid_codes)
        if load == self._open_ticket_load:
            return
        self.fill_grids(load, self.tr("Open tickets per grid"))
        self._open_ticket_load = load

    def show_coverage(self, store: Store) -> None:
        """Compute the 1-3-5 minute police coverage on a worker thread and show it when done."""
        # No parent: the worker outlives a view closed while it computes; the view's own slots
        # are disconnected when the view goes.
        self.stop_coverage()
        self._coverage = _CoverageWorker()
        self._coverage.done.connect(self._show_coverage)
        self._coverage.failed.connect(self.coverageFailed)
        self._coverage.start(store)

    def stop_coverage(self) -> None:
        """Stop a coverage computation under way (its child process), e.g. when the window closes."""
        if self._coverage is not None:
            self._coverage.stop()
            self._coverage = None

    def _show_coverage(self, parts: list[str]) -> None:
        self.show_overlay("coverage", parts, self.tr("1-3-5 min police coverage") if parts else "")

    def _call(self, command: str, argument) -> None:
        self._send(command, json.dumps(argument, ensure_ascii=False, separators=(",", ":")))

    def _send(self, command: str, payload: str, paced: bool = False) -> None:
        """To the page now, or once it has drawn; a `paced` one (a part of a big overlay) waits
        OVERLAY_PART_INTERVAL_MS after the one before, and overlays given meanwhile wait their turn.
        Other commands go at once: the open-ticket fill, given while the map was loading, waited
        behind the coverage's parts and landed on the page with the coverage, where the page drew
        the shapes twice in a row (the fill's drawing now joins the first view's)."""
        if not self._drawn:
            self._calls_before_drawn.append((command, payload, paced))
        elif paced or (self._paced and command == "overlay"):
            self._paced.append((command, payload, paced))
            if not self._pacer.isActive():
                self._pacer.start()
                self._send_paced()
        else:
            self._bridge.call.emit(command, payload)

    def _send_paced(self) -> None:
        """The next queued command, and those after it up to the next paced one. The pacer stops
        an interval after the last: a part given meanwhile still waits its turn."""
        if not self._paced:
            self._pacer.stop()
            return
        command, payload, _ = self._paced.popleft()
        self._bridge.call.emit(command, payload)
        while self._paced and not self._paced[0][2]:
            command, payload, _ = self._paced.popleft()
            self._bridge.call.emit(command, payload)

    def _on_layers_drawn(self, counts: dict) -> None:
        """The page shows the territory now; a selection and commands made meanwhile go on top of it."""
        self._drawn = True
        if self._selection is not None:
            self._bridge.select.emit(self._selection)
        for command, payload, paced in self._calls_before_drawn:
            self._send(command, payload, paced)
        self._calls_before_drawn.clear()
        self.layersDrawn.emit(counts)
        settle_heap()

    def show_territory(self) -> None:
        """Zoom out to the whole territory, as when the map opened."""
        self.page().runJavaScript("gridsightMap.showTerritory()")

    def start_stall_probe(self, interval_ms: int = 20) -> None:
        """Measure how late the page's timers fire (its JavaScript thread is busy meanwhile)."""
        self.page().runJavaScript(f"gridsightMap.startStallProbe({int(interval_ms)})")

    def stop_stall_probe(self) -> None:
        """Stop measuring; the lateness arrives with `pageStalls`."""
        self.page().runJavaScript("gridsightMap.stopStallProbe()")

    def _on_selection_drawn(self) -> None:
        self.selection_pending = False
        self.selectionDrawn.emit()

    def _encode_moves(self, layer: str, positions: Positions) -> dict:
        """Positions as base64 typed arrays: 20,000 moves encode and decode in about a millisecond,
        where JSON number lists take tens (float32 keeps lon/lat to about a metre). Which points
        they are (`index`, by position in the page) goes only when they differ from the layer's
        last moves: a feed reports the same responders, in the same order, every tick."""
        last_ids, known = self._last_moved.get(layer, (None, None))
        moves = {}
        if last_ids is None or not np.array_equal(positions.ids, last_ids):
            index = self._point_index[layer].get_indexer(positions.ids)
            known = index >= 0
            self._last_moved[layer] = (positions.ids.copy(), known)  # a feed may reuse its array
            moves["index"] = _b64(index[known].astype("<i4"))
        moves["lonlat"] = _b64(np.column_stack([positions.lon[known], positions.lat[known]]).astype("<f4"))
        return moves

    def wait_for_next_frame(self, timeout_ms: int = 1000) -> None:
        """Let the frame Chromium painted reach this widget (it arrives a few event loops after
        the page reports); returns early when Qt renders the view, at the latest after the timeout."""
        loop = QEventLoop()
        QTimer.singleShot(timeout_ms, loop.quit)
        quick = self.findChild(QQuickWidget)  # how QtWebEngine shows the page inside the widget
        if quick is not None:
            quick.quickWindow().afterRendering.connect(loop.quit, Qt.ConnectionType.QueuedConnection)
        loop.exec()

    def _on_page_ready(self) -> None:
        self._page_ready = True
        if self._pending is not None:
            self._push()

    def _push(self) -> None:
        data, self._pending = self._pending, None
        self._point_index = {name: pd.Index(ids) for name, ids in data.point_ids.items()}
        self._last_moved.clear()
        self._bridge.configure.emit(json.dumps(self._titles(), ensure_ascii=False))
        for name, geojson in data.layers.items():
            self._bridge.layerData.emit(name, geojson)
        west, south, east, north = data.bounds
        self._bridge.finish.emit(json.dumps([[south, west], [north, east]]))

    def _titles(self) -> dict:
        """Layer names for the page's layer control, in the UI language."""
        return {
            "water": self.tr("Water"),
            "roads": self.tr("Roads"),
            "gridLevelOther": self.tr("Level {level} grids"),
            "gridLevels": {
                1: self.tr("Townships and streets"),
                2: self.tr("Villages and communities"),
                3: self.tr("Grids"),
            },
            "patrol_routes": self.tr("Patrol routes"),
            "checkpoints": self.tr("Checkpoints"),
            "cameras": self.tr("Cameras"),
            "responders": self.tr("Responders"),
            "incidents": self.tr("Open incidents"),
            "heat": self.tr("Incident heat"),
            # What a click on a responder or camera shows (never a camera's stream address).
            "kind": {kind: label("kind", kind) for kind in ("grid_worker", "police", "department")},
            "responderStatus": {"on_duty": self.tr("on duty"), "busy": self.tr("busy"), "off": self.tr("off duty")},
            "cameraClass": {"A": self.tr("class A (police)"), "B": self.tr("class B (social)"),
                            "rural": self.tr("rural"), "private": self.tr("private")},
            "cameraStatus": {"online": self.tr("online"), "offline": self.tr("offline")},
        }


def _b64(array: np.ndarray) -> str:
    return base64.b64encode(array.tobytes()).decode("ascii")
