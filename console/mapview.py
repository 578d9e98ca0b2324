"""The map at the centre of the console: our local Leaflet page in a QWebEngineView.

Python reads the store and hands the page one GeoJSON FeatureCollection per layer over
QWebChannel, reduced to what is drawn (simplified shapes, the properties the page styles
by). The page draws, then reports what it drew and where the user clicked. No business
logic lives here or in the page.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from pathlib import Path

import geopandas as gpd
import numpy as np
import shapely
from PySide6.QtCore import QEventLoop, QObject, Qt, QTimer, QUrl, Signal, Slot
from PySide6.QtQuickWidgets import QQuickWidget
from PySide6.QtWebChannel import QWebChannel
from PySide6.QtWebEngineCore import QWebEnginePage
from PySide6.QtWebEngineWidgets import QWebEngineView

from data.store import Store

log = logging.getLogger(__name__)

WEB_DIR = Path(__file__).resolve().parents[1] / "resources" / "web"
MAP_PAGE = WEB_DIR / "map.html"
LEAFLET = WEB_DIR / "vendor" / "leaflet" / "leaflet.js"

# Layers on the map, bottom to top, with the properties the page needs of each.
MAP_LAYERS: dict[str, tuple[str, ...]] = {
    "water": ("kind", "name"),
    "roads": ("road_class", "name"),
    "grids": ("code", "name", "level"),
    "checkpoints": ("checkpoint_id", "name", "kind"),
    "cameras": ("camera_id", "name", "camera_class", "status"),
    "responders": ("responder_id", "name", "kind", "role", "status"),
}
# About 1 m: below a screen pixel at street zoom, yet it drops most vertices of generated shapes.
SIMPLIFY_TOLERANCE_DEG = 1e-5
# About 0.1 m: coordinates keep six decimals, which keeps the JSON short.
COORDINATE_GRID_DEG = 1e-6
# Shown when the store has nothing to fit the view to: mainland China.
CHINA_BOUNDS = (73.5, 18.0, 135.0, 53.6)


class MapAssetsMissing(RuntimeError):
    """Leaflet was not fetched into resources/web/vendor (set-up was not run)."""


@dataclass(frozen=True)
class MapData:
    """What the page draws: GeoJSON text per layer in drawing order, and the box to show."""

    layers: dict[str, str]
    bounds: tuple[float, float, float, float]  # min lon, min lat, max lon, max lat


def read_map_data(store: Store) -> MapData:
    """Read every map layer and reduce it for display (fast enough for a worker thread)."""
    frames = {name: _display_frame(name, store.read_layer(name), props) for name, props in MAP_LAYERS.items()}
    return MapData(
        layers={name: frame.to_json(drop_id=True, ensure_ascii=False, separators=(",", ":"))
                for name, frame in frames.items()},
        bounds=_territory_bounds(frames),
    )


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


def _territory_bounds(frames: dict[str, gpd.GeoDataFrame]) -> tuple[float, float, float, float]:
    """The grids' extent, or everything's when there are no grids yet."""
    chosen = [frames["grids"]] if len(frames["grids"]) else [f for f in frames.values() if len(f)]
    if not chosen:
        return CHINA_BOUNDS
    boxes = np.array([f.total_bounds for f in chosen])
    return (*boxes[:, :2].min(axis=0).tolist(), *boxes[:, 2:].max(axis=0).tolist())


class MapBridge(QObject):
    """The page's `bridge` object: its signals carry data to the page, its slots are called by it."""

    # Python -> page
    configure = Signal(str)  # JSON: translated layer titles
    layerData = Signal(str, str)  # layer name, GeoJSON FeatureCollection
    finish = Signal(str)  # JSON [[south, west], [north, east]]: fit the view, draw, report

    # page -> Python, re-emitted from the slots below
    loaded = Signal()
    drawn = Signal(dict)
    clicked = Signal(float, float)

    @Slot()
    def pageReady(self) -> None:
        self.loaded.emit()

    @Slot(str)
    def layersDrawn(self, counts_json: str) -> None:
        self.drawn.emit(json.loads(counts_json))

    @Slot(float, float)
    def mapClicked(self, lon: float, lat: float) -> None:
        self.clicked.emit(lon, lat)


class _LoggingPage(QWebEnginePage):
    """Sends the page's console messages to Python logging, so script errors are not lost."""

    _LEVELS = {
        QWebEnginePage.JavaScriptConsoleMessageLevel.InfoMessageLevel: logging.INFO,
        QWebEnginePage.JavaScriptConsoleMessageLevel.WarningMessageLevel: logging.WARNING,
        QWebEnginePage.JavaScriptConsoleMessageLevel.ErrorMessageLevel: logging.ERROR,
    }

    def javaScriptConsoleMessage(self, level, message, line, source):  # noqa: N802 (Qt override)
        log.log(self._LEVELS.get(level, logging.INFO), "map page %s:%s: %s", Path(source).name, line, message)


class MapView(QWebEngineView):
    """The map widget. Give it data with `show_data`; it tells when drawn and where clicked."""

    layersDrawn = Signal(dict)  # feature count per layer, as drawn by the page
    pointClicked = Signal(float, float)  # lon, lat

    def __init__(self, parent=None):
        super().__init__(parent)
        if not LEAFLET.is_file():
            raise MapAssetsMissing(f"{LEAFLET} is missing; run scripts/install.sh to fetch the map's web assets")
        self.setPage(_LoggingPage(self))
        self._bridge = MapBridge(self)
        channel = QWebChannel(self)
        channel.registerObject("bridge", self._bridge)
        self.page().setWebChannel(channel)
        self._page_ready = False
        self._pending: MapData | None = None
        self._bridge.loaded.connect(self._on_page_ready)
        self._bridge.drawn.connect(self.layersDrawn)
        self._bridge.clicked.connect(self.pointClicked)
        self.load(QUrl.fromLocalFile(str(MAP_PAGE)))

    def show_data(self, data: MapData) -> None:
        """Draw `data` as soon as the page is ready (the page loads while the store is read)."""
        self._pending = data
        if self._page_ready:
            self._push()

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
            "checkpoints": self.tr("Checkpoints"),
            "cameras": self.tr("Cameras"),
            "responders": self.tr("Responders"),
        }
