"""The video wall: 1 / 4 / 9 / 16 tiles of live camera video, for docking or a screen of its own.

Capture threads (video.capture) never touch Qt, and no thread signals the UI per frame: one
QTimer on the UI thread polls every tile ~30 times a second for the newest display-ready frame
(scaled off the UI thread by console.videofeed, wrapped into a QImage without a copy) and the
worker's status, and repaints only tiles whose frame or status changed, so a slow UI skips frames
instead of queueing them. Only masked URLs are ever shown (tooltips); credentials stay in the engine.
"""

from __future__ import annotations

import math
import time
from pathlib import Path

import geopandas as gpd
import numpy as np
import shapely
from PySide6.QtCore import (
    QEvent,
    QObject,
    QPoint,
    QRect,
    QSize,
    QStandardPaths,
    Qt,
    QTimer,
    Signal,
)
from PySide6.QtGui import (
    QAction,
    QActionGroup,
    QColor,
    QFont,
    QFontMetrics,
    QGuiApplication,
    QImage,
    QPainter,
    QRegion,
)
from PySide6.QtWidgets import (
    QGridLayout,
    QStyle,
    QToolBar,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from console.videofeed import DisplayFeed, DisplayFeeder, fit
from video.capture import CapturePool, CaptureStats, CaptureWorker, NoFrameError, Status
from video.registry import Camera, CameraRegistry

CAMERA_MIME = "application/x-gridsight-camera-id"  # drag payload: the camera id, UTF-8
LAYOUTS = (1, 4, 9, 16)
# Polls a little faster than the cameras' 25 fps: at exactly 25 Hz, jitter puts two frames in one
# tick now and then, and the first of them is never shown.
REFRESH_HZ = 30
MAIN_STREAMS_UP_TO = 4  # layouts of up to this many tiles show main streams, bigger ones sub-streams
FPS_REFRESH_S = 1.0  # how often the fps shown on a tile is updated
STATUS_POLL_S = 0.2  # how often a tile asks its worker for the status (frames are polled every tick)
PATROL_RADIUS_M = 100.0  # cameras this close to a patrol route are on its tour
STATUS_COLOURS = {
    Status.CONNECTING: QColor("#f0c040"),
    Status.LIVE: QColor("#4cc36b"),
    Status.STALLED: QColor("#f08a24"),
    Status.RECONNECTING: QColor("#f08a24"),
    Status.OFFLINE: QColor("#e05050"),
}


def layout_for(count: int) -> int:
    """The smallest layout with room for `count` tiles (16 at most)."""
    return next((size for size in LAYOUTS if size >= count), LAYOUTS[-1])


def cameras_along_route(registry: CameraRegistry, route: shapely.LineString, radius_m: float) -> list[Camera]:
    """Cameras within `radius_m` of a patrol route (EPSG:4326), in the order a patrol passes them."""
    if not registry.cameras:
        return []
    cameras = gpd.GeoSeries(gpd.points_from_xy([c.lon for c in registry.cameras], [c.lat for c in registry.cameras]),
                            crs="EPSG:4326")
    metric = cameras.estimate_utm_crs()
    points = cameras.to_crs(metric).values
    line = gpd.GeoSeries([route], crs="EPSG:4326").to_crs(metric).iloc[0]
    near = np.flatnonzero(shapely.distance(points, line) <= radius_m)
    along = shapely.line_locate_point(line, points[near])
    return [registry.cameras[i] for i in near[np.argsort(along, kind="stable")]]


class VideoTile(QWidget):
    """One camera's picture with its name, class and stream status drawn over it."""

    doubleClicked = Signal()
    cameraDropped = Signal(str)  # a camera id dragged onto this tile
    snapshotSaved = Signal(str)  # the file written
    snapshotFailed = Signal(str)  # why not

    def __init__(self, feeder: DisplayFeeder, parent: QWidget | None = None):
        super().__init__(parent)
        self.feeder = feeder
        self.camera: Camera | None = None
        self.worker: CaptureWorker | None = None
        self.note = ""  # e.g. the distance to an incident
        pictures = QStandardPaths.writableLocation(QStandardPaths.StandardLocation.PicturesLocation)
        self.snapshot_dir = Path(pictures) / "gridsight"
        self.frames_shown = 0  # distinct frames painted, for the benchmark and the tests
        self._feed: DisplayFeed | None = None
        self._frame_index = -1  # of the frame in _image
        self._painted_index = -1
        self._pixels: np.ndarray | None = None  # the display-ready frame: the memory _image wraps
        self._image: QImage | None = None
        self._stats: CaptureStats | None = None
        self._stats_time = 0.0  # time.monotonic() when _stats was taken
        self._fps_shown = 0  # 0: not known yet
        self._fps_time = 0.0  # time.monotonic() when _fps_shown was taken
        self._overlay_key: tuple | None = None
        self._overlay_parts: list[tuple[QPoint, QImage]] = []
        self.setAcceptDrops(True)
        self.setAttribute(Qt.WidgetAttribute.WA_OpaquePaintEvent)  # paintEvent covers every pixel
        self.setMinimumSize(64, 36)
        self._snapshot_button = QToolButton(self)
        self._snapshot_button.setIcon(self.style().standardIcon(QStyle.StandardPixmap.SP_DialogSaveButton))
        self._snapshot_button.setToolTip(self.tr("Save a snapshot"))
        self._snapshot_button.setAutoRaise(True)
        self._snapshot_button.clicked.connect(self.save_snapshot)
        self._snapshot_button.resize(self._snapshot_button.sizeHint())  # not in a layout: size it once
        self._snapshot_button.hide()

    # -- what it shows -----------------------------------------------------------------------------
    def show_stream(self, camera: Camera | None, worker: CaptureWorker | None, note: str = "") -> None:
        """Show `worker`'s frames as `camera`; the last picture stays until the new stream's first frame."""
        if camera is None or (self.camera is not None and camera.camera_id != self.camera.camera_id):
            self._pixels = self._image = None
        if self._feed is not None:
            self.feeder.close(self._feed)
        self._feed = self.feeder.open(worker, (self.width(), self.height())) if worker else None
        self.camera, self.worker, self.note = camera, worker, note
        self._frame_index = self._painted_index = -1
        self._stats = worker.stats() if worker else None
        self._snapshot_button.setVisible(worker is not None)
        self.setToolTip("" if camera is None else
                        f"{camera.name} ({camera.camera_id})\n{worker.masked_url if worker else self.tr('no stream')}")
        self.update()

    @property
    def status(self) -> Status | None:
        return self._stats.status if self._stats else None

    def poll(self) -> bool:
        """Take the worker's newest frame, and now and then its status; repaint if either changed.
        True if repainted."""
        if self.worker is None:
            return False
        shown = self._feed.latest
        now = time.monotonic()
        changed = False
        if self._stats is None or now - self._stats_time >= STATUS_POLL_S:
            stats = self.worker.stats()
            changed = self._stats is None or stats.status is not self._stats.status
            self._stats, self._stats_time = stats, now
        if changed:  # the first frames of a connection come in a burst: no fps until it has run a while
            self._fps_shown, self._fps_time = 0, now
        elif now - self._fps_time >= FPS_REFRESH_S:  # a steady number, not one that flickers
            changed = round(self._stats.fps) != self._fps_shown
            self._fps_shown, self._fps_time = round(self._stats.fps), now
        if shown is not None and shown[0] != self._frame_index:
            self._frame_index, self._pixels = shown
            height, width = self._pixels.shape[:2]
            self._image = QImage(self._pixels.data, width, height, self._pixels.strides[0], QImage.Format.Format_RGB32)
            changed = True
        if changed:
            self.update()
        return changed

    def overlay_lines(self) -> tuple[str, str]:
        """The caption (name, class) and the status line (status, note, fps) painted over the picture.
        The note (how far from the incident) goes below, before the fps: a small tile elides line ends."""
        if self.camera is None:
            return self.tr("Drop a camera here"), ""
        caption = f"{self.camera.name} · {self.camera_class_text(self.camera.camera_class)}"
        note = f" · {self.note}" if self.note else ""
        if self.worker is None:
            return caption, self.tr("no stream") + note
        status = self._stats.status if self._stats else Status.CONNECTING
        line = self.status_text(status) + note
        if status is Status.LIVE and self._fps_shown:
            line += " · " + self.tr("{fps} fps").format(fps=self._fps_shown)
        return caption, line

    def status_text(self, status: Status) -> str:
        return {Status.CONNECTING: self.tr("connecting"), Status.LIVE: self.tr("live"),
                Status.STALLED: self.tr("stalled"), Status.RECONNECTING: self.tr("reconnecting"),
                Status.OFFLINE: self.tr("offline")}[status]

    def camera_class_text(self, camera_class: str) -> str:
        names = {"A": self.tr("Class A (Skynet)"), "B": self.tr("Class B (Sharp Eyes)"),
                 "rural": self.tr("Rural"), "private": self.tr("Private")}
        return names.get(camera_class, camera_class)

    # -- actions -----------------------------------------------------------------------------------
    def save_snapshot(self) -> Path | None:
        """Write the newest frame as JPEG into `snapshot_dir`; the file, or None if there was no frame."""
        if self.worker is None or self.camera is None:
            return None
        stamp = time.strftime("%Y%m%d-%H%M%S")
        path = self.snapshot_dir / f"{self.camera.camera_id}_{stamp}_{self._frame_index}.jpg"
        try:
            self.snapshot_dir.mkdir(parents=True, exist_ok=True)
            self.worker.snapshot(path)
        except (NoFrameError, OSError) as err:
            self.snapshotFailed.emit(str(err))
            return None
        self.snapshotSaved.emit(str(path))
        return path

    # -- Qt events ---------------------------------------------------------------------------------
    def paintEvent(self, event) -> None:
        painter = QPainter(self)
        background = QRegion(self.rect())
        if self._image is not None:
            target = self._picture_rect()
            if self._image.size() == target.size():
                painter.drawImage(target.topLeft(), self._image)
            else:  # just resized: the feed sends frames of the new size from the next one on
                painter.drawImage(target, self._image)
            background -= QRegion(target)
            if self._frame_index != self._painted_index:
                self._painted_index = self._frame_index
                self.frames_shown += 1
        for rect in background:  # only the letterbox: the picture covers the rest
            painter.fillRect(rect, Qt.GlobalColor.black)
        for position, image in self._overlay():
            painter.drawImage(position, image)
        painter.end()

    def _picture_rect(self) -> QRect:
        """The largest rectangle of the picture's aspect ratio, centred in the tile."""
        width, height = fit((self._image.width(), self._image.height()), (self.width(), self.height()))
        return QRect((self.width() - width) // 2, (self.height() - height) // 2, width, height)

    def _overlay(self) -> list[tuple[QPoint, QImage]]:
        """The caption band and the status box, drawn again only when their text or the size changes:
        laying out text (with CJK font fallback) on every frame would cost more than the frame."""
        key = (self.camera, self.note, self.worker is not None, self.status, self._fps_shown, self.size())
        if key != self._overlay_key:
            self._overlay_key = key
            self._overlay_parts = self._render_overlay(*self.overlay_lines())
        return self._overlay_parts

    def _render_overlay(self, caption: str, status_line: str) -> list[tuple[QPoint, QImage]]:
        font = QFont(self.font())
        font.setPixelSize(max(12, min(22, self.height() // 14)))
        metrics = QFontMetrics(font)
        line_height = metrics.height() + 8
        text_width = self.width() - self._snapshot_button.width() - 16
        parts = [(QPoint(0, 0), self._label(QSize(self.width(), line_height), font, None,
                                            metrics.elidedText(caption, Qt.TextElideMode.ElideRight, text_width)))]
        if status_line:
            colour = STATUS_COLOURS[self.status or Status.CONNECTING] if self.worker else STATUS_COLOURS[Status.OFFLINE]
            status_line = metrics.elidedText(status_line, Qt.TextElideMode.ElideRight, self.width() - line_height - 8)
            size = QSize(metrics.horizontalAdvance(status_line) + line_height + 8, line_height)
            parts.append((QPoint(0, self.height() - line_height), self._label(size, font, colour, status_line)))
        return parts

    @staticmethod
    def _label(size: QSize, font: QFont, dot: QColor | None, text: str) -> QImage:
        """White text on a translucent black box, after a status dot of colour `dot` if given."""
        image = QImage(size, QImage.Format.Format_ARGB32_Premultiplied)
        image.fill(QColor(0, 0, 0, 150))
        painter = QPainter(image)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        painter.setFont(font)
        left = 8
        if dot is not None:
            diameter = size.height() // 3
            painter.setBrush(dot)
            painter.setPen(Qt.PenStyle.NoPen)
            painter.drawEllipse(left, (size.height() - diameter) // 2, diameter, diameter)
            left += diameter + 6
        painter.setPen(QColor("#ffffff"))
        painter.drawText(QRect(left, 0, size.width() - left, size.height()),
                         Qt.AlignmentFlag.AlignVCenter | Qt.AlignmentFlag.AlignLeft, text)
        painter.end()
        return image

    def resizeEvent(self, event) -> None:
        if self._feed is not None:
            self._feed.box = (self.width(), self.height())
        self._snapshot_button.move(self.width() - self._snapshot_button.width() - 2, 2)
        super().resizeEvent(event)

    def changeEvent(self, event) -> None:
        if event.type() == QEvent.Type.LanguageChange:
            self._overlay_key = None  # say it again in the new language
        super().changeEvent(event)

    def mouseDoubleClickEvent(self, event) -> None:
        self.doubleClicked.emit()

    def dragEnterEvent(self, event) -> None:
        if event.mimeData().hasFormat(CAMERA_MIME):
            event.acceptProposedAction()

    def dropEvent(self, event) -> None:
        camera_id = bytes(event.mimeData().data(CAMERA_MIME)).decode("utf-8")
        event.acceptProposedAction()
        self.cameraDropped.emit(camera_id)


class VideoWall(QWidget):
    """Tiles in a square layout, fed by a shared CapturePool (one decoder per stream)."""

    layoutSizeChanged = Signal(int)
    maximisedChanged = Signal(object)  # the maximised tile, or None
    snapshotSaved = Signal(str)
    snapshotFailed = Signal(str)

    def __init__(self, registry: CameraRegistry, pool: CapturePool | None = None, parent: QWidget | None = None,
                 refresh_hz: float = REFRESH_HZ, main_streams_up_to: int = MAIN_STREAMS_UP_TO):
        super().__init__(parent)
        self.registry = registry
        self.pool = pool or CapturePool()
        self.main_streams_up_to = main_streams_up_to  # a docked wall's small tiles take sub-streams even at 4
        self.layout_size = 0
        self.maximised: VideoTile | None = None
        self.patrol: VideoPatrol | None = None
        self._urls: dict[VideoTile, str] = {}  # the stream each tile holds open in the pool
        self.toolbar = QToolBar(self)
        self._layout_actions = QActionGroup(self)
        for size in LAYOUTS:
            action = QAction(self.tr("{n} tiles").format(n=size) if size > 1 else self.tr("1 tile"), self)
            action.setCheckable(True)
            action.setData(size)
            action.triggered.connect(lambda _checked, size=size: self.set_layout(size))
            self._layout_actions.addAction(action)
            self.toolbar.addAction(action)
        self._grid_host = QWidget(self)
        self.feeder = DisplayFeeder()
        self.tiles = [VideoTile(self.feeder, self._grid_host) for _ in range(LAYOUTS[-1])]
        self._grid = QGridLayout(self._grid_host)
        self._grid.setContentsMargins(0, 0, 0, 0)
        self._grid.setSpacing(2)
        box = QVBoxLayout(self)
        box.setContentsMargins(0, 0, 0, 0)
        box.setSpacing(0)
        box.addWidget(self.toolbar)
        box.addWidget(self._grid_host, 1)
        for tile in self.tiles:
            tile.doubleClicked.connect(lambda tile=tile: self.toggle_maximised(tile))
            tile.cameraDropped.connect(lambda camera_id, tile=tile: self.assign(self.tiles.index(tile), camera_id))
            tile.snapshotSaved.connect(self.snapshotSaved)
            tile.snapshotFailed.connect(self.snapshotFailed)
        self._timer = QTimer(self)
        self._timer.setTimerType(Qt.TimerType.PreciseTimer)
        self._timer.setInterval(round(1000 / refresh_hz))
        self._timer.timeout.connect(self.refresh)
        self.set_layout(4)

    # -- layout ------------------------------------------------------------------------------------
    @property
    def visible_tiles(self) -> list[VideoTile]:
        return [self.maximised] if self.maximised else self.tiles[:self.layout_size]

    def set_layout(self, size: int) -> None:
        """Show `size` tiles (1, 4, 9 or 16); tiles no longer shown let go of their streams."""
        if size not in LAYOUTS:
            raise ValueError(f"layout must be one of {LAYOUTS}, not {size}")
        self.maximised = None
        self.layout_size = size
        for tile in self.tiles[size:]:
            self._attach(tile, None)
        self._arrange()
        for action in self._layout_actions.actions():
            action.setChecked(action.data() == size)
        self.layoutSizeChanged.emit(size)

    def toggle_maximised(self, tile: VideoTile) -> None:
        """Give one tile the whole wall on its main stream, or put it back among the others."""
        self.maximised = None if self.maximised is tile else tile
        self._arrange()
        self.maximisedChanged.emit(self.maximised)

    def _arrange(self) -> None:
        while self._grid.count():
            self._grid.takeAt(0)
        side = math.isqrt(self.layout_size)
        for index, tile in enumerate(self.tiles):
            shown = tile is self.maximised if self.maximised else index < self.layout_size
            if shown:
                row, column = (0, 0) if self.maximised else divmod(index, side)
                self._grid.addWidget(tile, row, column)
            tile.setVisible(shown)
        self._sync_streams()  # big tiles switch to main streams, small ones to sub; hidden ones let go

    def _sync_streams(self, playing: bool | None = None) -> None:
        """Decode only what is seen: the shown tiles of a visible wall hold their streams; tiles
        hidden behind a maximised one, or on a hidden wall (a closed dock, another tab), let go of
        them and keep their camera, to pick the stream up again when shown."""
        playing = self.isVisible() if playing is None else playing
        shown = set(self.visible_tiles) if playing else set()
        for tile in self.tiles[:self.layout_size]:
            if tile.camera is not None:
                self._attach(tile, tile.camera, tile.note, play=tile in shown)

    # -- cameras -----------------------------------------------------------------------------------
    def is_big(self, tile: VideoTile) -> bool:
        """Whether a tile gets the main stream: maximised, or in a layout of 4 or fewer tiles."""
        return tile is self.maximised or self.layout_size <= self.main_streams_up_to

    def assign(self, index: int, camera_id: str, note: str = "") -> bool:
        """Put a camera of the registry on tile `index`; False if the registry does not know it."""
        camera = self.registry.get(camera_id)
        if camera is None:
            return False
        self._attach(self.tiles[index], camera, note)
        return True

    def add_camera(self, camera_id: str) -> bool:
        """Put a camera on the first empty tile (the first tile if none is empty)."""
        empty = next((i for i, tile in enumerate(self.tiles[:self.layout_size]) if tile.camera is None), 0)
        return self.assign(empty, camera_id)

    def show_cameras(self, cameras: list[Camera], notes: list[str] | None = None) -> None:
        """Fill the wall with these cameras in order, in the smallest layout that holds them."""
        cameras = cameras[:LAYOUTS[-1]]
        notes = notes or [""] * len(cameras)
        self.set_layout(layout_for(len(cameras)))
        for index, tile in enumerate(self.tiles[:self.layout_size]):
            self._attach(tile, cameras[index] if index < len(cameras) else None,
                         notes[index] if index < len(cameras) else "")

    def show_cameras_near(self, lon: float, lat: float, n: int = 4, radius_m: float = 300.0):
        """Show the `n` online cameras that best see a place (an incident); returns the registry's sightings."""
        sightings = self.registry.seeing(lon, lat, radius_m=radius_m, limit=n)
        self.show_cameras([s.camera for s in sightings], [self._sighting_note(s) for s in sightings])
        return sightings

    def _sighting_note(self, sighting) -> str:
        """Distance, and whether the camera looks at the place (when its heading is known)."""
        note = self.tr("{m:.0f} m").format(m=sighting.distance_m)
        if sighting.in_view is not None:
            note += " · " + (self.tr("in view") if sighting.in_view else self.tr("facing away"))
        return note

    def _attach(self, tile: VideoTile, camera: Camera | None, note: str = "", play: bool | None = None) -> None:
        """Point a tile at a camera's right stream, opening it in the pool and letting go of the old one.
        A tile that is not `play`ing (by default: not shown on a visible wall) keeps the camera, no stream."""
        if play is None:
            play = self.isVisible() and tile in self.visible_tiles
        url = camera.stream(small_tile=not self.is_big(tile)) if camera and play else None
        same_camera = (camera and camera.camera_id) == (tile.camera and tile.camera.camera_id)
        if same_camera and url == self._urls.get(tile):
            tile.note = note
            tile.update()
            return
        old = self._urls.pop(tile, None)
        worker = self.pool.open(url) if url else None  # before the release: the same stream keeps its worker
        if url is not None:
            self._urls[tile] = url
        tile.show_stream(camera, worker, note)
        if old is not None:
            self.pool.release(old)

    # -- patrol ------------------------------------------------------------------------------------
    def start_patrol(self, cameras: list[Camera], interval_s: float = 10.0) -> VideoPatrol:
        """Cycle the wall through `cameras` a page of tiles at a time, every `interval_s` seconds."""
        self.stop_patrol()
        self.patrol = VideoPatrol(self, cameras, interval_s)
        self.patrol.start()
        return self.patrol

    def start_route_patrol(self, route: shapely.LineString, radius_m: float = PATROL_RADIUS_M,
                           interval_s: float = 10.0) -> VideoPatrol:
        """Patrol the online cameras within `radius_m` of a patrol route (EPSG:4326), in route order."""
        cameras = [c for c in cameras_along_route(self.registry, route, radius_m) if c.status == "online"]
        return self.start_patrol(cameras, interval_s)

    def stop_patrol(self) -> None:
        if self.patrol is not None:
            self.patrol.stop()
            self.patrol.deleteLater()
            self.patrol = None

    # -- running -----------------------------------------------------------------------------------
    def refresh(self) -> None:
        """Repaint the visible tiles whose frame or status changed (the timer calls this)."""
        for tile in self.visible_tiles:
            tile.poll()

    def shutdown(self) -> None:
        """Stop the patrol and the timer, and every stream of the wall."""
        self.stop_patrol()
        self._timer.stop()
        for tile in self.tiles:
            self._attach(tile, None)
        self.feeder.stop()
        self.pool.close()

    @property
    def decoding(self) -> int:
        """How many tiles hold a stream open (are being decoded) now."""
        return len(self._urls)

    def showEvent(self, event) -> None:
        self._sync_streams(playing=True)
        self._timer.start()
        super().showEvent(event)

    def hideEvent(self, event) -> None:
        self._timer.stop()
        self._sync_streams(playing=False)
        super().hideEvent(event)

    def closeEvent(self, event) -> None:
        self.shutdown()
        super().closeEvent(event)


class VideoPatrol(QObject):
    """A video patrol: the wall shows the cameras along a route a page at a time, round and round."""

    stepped = Signal(int)  # index of the first camera now on the wall

    def __init__(self, wall: VideoWall, cameras: list[Camera], interval_s: float):
        super().__init__(wall)
        if interval_s <= 0:
            raise ValueError("the patrol interval must be positive")
        self.wall = wall
        self.cameras = cameras
        self.page = min(len(cameras), wall.layout_size) or 1
        self.position = 0
        self._timer = QTimer(self)
        self._timer.setInterval(round(interval_s * 1000))
        self._timer.timeout.connect(self.step)

    def current(self) -> list[Camera]:
        return [self.cameras[(self.position + k) % len(self.cameras)] for k in range(self.page)] if self.cameras else []

    def start(self) -> None:
        self._show()
        self._timer.start()

    def stop(self) -> None:
        self._timer.stop()

    def step(self) -> None:
        """Move on to the next page of cameras along the route."""
        if self.cameras:
            self.position = (self.position + self.page) % len(self.cameras)
        self._show()

    def _show(self) -> None:
        self.wall.show_cameras(self.current())
        self.stepped.emit(self.position)


def place_on_screen(window: QWidget, screen_index: int) -> None:
    """Move a top-level window onto screen `screen_index` and make it fill it."""
    screens = QGuiApplication.screens()
    if not 0 <= screen_index < len(screens):
        raise ValueError(f"there is no screen {screen_index}: this display has {len(screens)}")
    screen = screens[screen_index]
    window.setScreen(screen)
    window.setGeometry(screen.availableGeometry())
