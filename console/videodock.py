"""The dispatcher's video dock: live video from the cameras that see the selected incident.

Selecting an incident puts the nearest online cameras that can see it on a small wall (with
distance, and whether each looks at the place) and rings them on the map; a camera clicked on
the map, or picked from the camera list (which also lists offline cameras for maintenance),
joins the wall. The camera registry is read on a worker thread, as the map's layers are.
"""

from __future__ import annotations

import logging
import threading
import time

from PySide6.QtCore import QEventLoop, QObject, QSize, QTimer, Signal
from PySide6.QtWidgets import QLabel, QTabWidget, QVBoxLayout, QWidget

from console.cameralist import CameraList
from console.videowall import VideoWall
from video.capture import CapturePool, Status
from video.registry import CameraRegistry

log = logging.getLogger(__name__)

NEARBY_CAMERAS = 4  # the dock's wall has four tiles
NEARBY_RADIUS_M = 500.0  # cameras further than this from an incident do not show it usefully
DOCK_WIDTH_HINT_PX, DOCK_HEIGHT_HINT_PX = 400, 460
DOCK_MAIN_STREAMS_UP_TO = 1  # the dock's tiles are small: sub-streams unless one fills the dock


class _RegistryLoader(QObject):
    """Reads the cameras on a worker thread (tens of thousands in a city); the result arrives as a signal."""

    loaded = Signal(object)  # CameraRegistry
    failed = Signal(str)

    def start(self, store) -> None:
        threading.Thread(target=self._read, args=(store,), name="camera-loader", daemon=True).start()

    def _read(self, store) -> None:
        try:
            self.loaded.emit(CameraRegistry.from_store(store))
        except Exception as err:  # noqa: BLE001 - this thread is the last place it can be reported
            log.exception("reading the cameras failed")
            self.failed.emit(str(err))


class VideoDock(QWidget):
    """A four-tile wall of the cameras near the selected incident, and the list of every camera."""

    def __init__(self, store, map_view, pool: CapturePool | None = None, parent: QWidget | None = None):
        super().__init__(parent)
        self.map = map_view
        self.registry = CameraRegistry([])
        self.loaded = False  # the loader has answered (with cameras, or with why not)
        self._pending: tuple[float, float, str] | None = None  # an incident selected before the cameras arrived
        self.wall = VideoWall(self.registry, pool, main_streams_up_to=DOCK_MAIN_STREAMS_UP_TO)
        self.wall.toolbar.hide()  # four tiles fit a dock; the full wall is `gridsight video wall`
        self.cameras = CameraList(self.registry)
        self.caption = QLabel(self.tr("Loading cameras…"), objectName="videoCaption")
        self.caption.setWordWrap(True)
        nearby = QWidget()
        box = QVBoxLayout(nearby)
        box.setContentsMargins(0, 0, 0, 0)
        box.setSpacing(2)
        box.addWidget(self.caption)
        box.addWidget(self.wall, 1)
        self.tabs = QTabWidget(self)
        self.tabs.setDocumentMode(True)
        self.tabs.addTab(nearby, self.tr("Nearby video"))
        self.tabs.addTab(self.cameras, self.tr("All cameras"))
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.tabs)
        self.cameras.cameraActivated.connect(self.put_on_wall)
        map_view.featureClicked.connect(self._on_map_feature)
        self._loader = _RegistryLoader()  # no parent: it may outlive a dock closed while it reads
        self._loader.loaded.connect(self._on_registry)
        self._loader.failed.connect(self._on_registry_failed)
        self._loader.start(store)

    def sizeHint(self) -> QSize:
        """Tall enough for four tiles of readable video under the incident's details."""
        return QSize(DOCK_WIDTH_HINT_PX, DOCK_HEIGHT_HINT_PX)

    # -- what it shows -----------------------------------------------------------------------------
    def show_incident(self, ticket_id: str, lon: float, lat: float) -> list[str]:
        """Put the cameras that best see an incident on the wall and ring them on the map; their ids."""
        if not len(self.registry):
            self._pending = (lon, lat, ticket_id)
            return []
        sightings = self.wall.show_cameras_near(lon, lat, n=NEARBY_CAMERAS, radius_m=NEARBY_RADIUS_M)
        ids = [sighting.camera.camera_id for sighting in sightings]
        if ids:
            self.caption.setText(self.tr("{n} cameras within {m:.0f} m of {ticket}").format(
                n=len(ids), m=NEARBY_RADIUS_M, ticket=ticket_id))
        else:
            self.caption.setText(self.tr("No online camera within {m:.0f} m of {ticket}").format(
                m=NEARBY_RADIUS_M, ticket=ticket_id))
        self.map.highlight("cameras", ids)
        self.tabs.setCurrentIndex(0)
        return ids

    def put_on_wall(self, camera_id: str) -> bool:
        """A camera the dispatcher picked (map or list) joins the wall; False if it is unknown."""
        if self.registry.get(camera_id) is None:
            return False
        tiles = self.wall.tiles[:self.wall.layout_size]
        if all(tile.camera is not None for tile in tiles) and self.wall.layout_size < NEARBY_CAMERAS:
            self.wall.set_layout(NEARBY_CAMERAS)  # room next to what shows
        self.tabs.setCurrentIndex(0)
        return self.wall.add_camera(camera_id)

    def playing(self) -> bool:
        """Whether the cameras are read and every tile with a stream has shown a frame, or has given
        up on it (offline: several attempts failed; a stream that is slow to start is waited for)."""
        return self.loaded and all(tile.frames_shown > 0 or tile.status is Status.OFFLINE
                                   for tile in self.wall.visible_tiles if tile.worker is not None)

    def wait_until_playing(self, deadline: float) -> bool:
        """Run the event loop until `playing()` (for screenshots) or the monotonic `deadline`."""
        loop = QEventLoop()
        check = QTimer(interval=50)
        check.timeout.connect(lambda: loop.quit() if self.playing() or time.monotonic() > deadline else None)
        check.start()
        loop.exec()
        check.stop()
        return self.playing()

    def shutdown(self) -> None:
        """Stop every stream (the window is closing)."""
        self.wall.shutdown()

    # -- events --------------------------------------------------------------------------------------
    def _on_registry_failed(self, error: str) -> None:
        self.loaded = True
        self.caption.setText(self.tr("Cameras could not be read: {error}").format(error=error))

    def _on_registry(self, registry: CameraRegistry) -> None:
        self.loaded = True
        self.registry = self.wall.registry = registry
        self.cameras.model.set_registry(registry)
        self.caption.setText(self.tr("Select an incident to see the cameras near it."))
        if self._pending is not None:
            lon, lat, ticket_id = self._pending
            self._pending = None
            self.show_incident(ticket_id, lon, lat)

    def _on_map_feature(self, layer: str, feature_id: str) -> None:
        if layer == "cameras":
            self.put_on_wall(feature_id)
