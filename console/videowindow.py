"""The video wall in a window of its own, with the camera list beside it: for a second screen."""

from __future__ import annotations

import os
import sys
import time

from PySide6.QtCore import QEventLoop, Qt, QTimer
from PySide6.QtWidgets import QMainWindow, QSplitter

from console.cameralist import CameraList
from console.videowall import PATROL_RADIUS_M, VideoWall, place_on_screen
from video.capture import CapturePool
from video.registry import CameraRegistry


class VideoWallWindow(QMainWindow):
    def __init__(self, registry: CameraRegistry, pool: CapturePool | None = None):
        super().__init__()
        self.setWindowTitle(self.tr("Video Wall") + " — gridsight")
        self.cameras = CameraList(registry)
        self.wall = VideoWall(registry, pool)
        splitter = QSplitter(Qt.Orientation.Horizontal, self)
        splitter.addWidget(self.cameras)
        splitter.addWidget(self.wall)
        splitter.setStretchFactor(1, 1)
        splitter.setSizes([280, 1640])
        self.setCentralWidget(splitter)
        self.cameras.cameraActivated.connect(self.wall.add_camera)
        self.wall.snapshotSaved.connect(
            lambda path: self.statusBar().showMessage(self.tr("Snapshot saved: {path}").format(path=path), 5000))
        self.wall.snapshotFailed.connect(
            lambda error: self.statusBar().showMessage(self.tr("No snapshot: {error}").format(error=error), 5000))

    def closeEvent(self, event) -> None:
        self.wall.shutdown()
        super().closeEvent(event)


def wait_for_frames(wall: VideoWall, frames: int, timeout_s: float) -> bool:
    """Run the event loop until every tile with a stream has painted `frames` frames; False on timeout."""
    deadline = time.monotonic() + timeout_s

    def done() -> bool:
        return all(tile.frames_shown >= frames for tile in wall.visible_tiles if tile.worker is not None)

    loop = QEventLoop()
    check = QTimer(interval=100)
    check.timeout.connect(lambda: loop.quit() if done() or time.monotonic() > deadline else None)
    check.start()
    loop.exec()
    check.stop()
    return done()


SCREENSHOT_SIZE = (1920, 1080)


def run_wall_command(args, patrol_interval_s: float, frames: int) -> int:
    """`gridsight video wall` (arguments parsed by console/commands/video.py): the wall on a screen,
    or rendered headless to a PNG."""
    from console.app import has_display
    from console.commands import CliError, open_store
    from console.commands.video import demo_video

    if args.screenshot is not None:
        if args.screenshot.suffix.lower() != ".png":
            raise CliError(f"--screenshot must name a .png file, got {args.screenshot}")
        if not args.screenshot.parent.is_dir():
            raise CliError(f"folder {args.screenshot.parent} does not exist")
    elif not has_display() and "QT_QPA_PLATFORM" not in os.environ:
        raise CliError("no display: run it under xvfb-run, or use --screenshot FILE.png")
    with open_store(args.db) as store:
        registry = CameraRegistry.from_store(store)
        routes = store.read_layer("patrol_routes") if args.patrol else None
        route = None
        if args.patrol:
            matching = routes[routes["route_id"] == args.patrol]
            if matching.empty:
                raise CliError(f"{args.db} has no patrol route {args.patrol!r}")
            route = matching.geometry.iloc[0]
        with demo_video(store):  # a demo store's cameras play live with no extra step
            return _show_wall(args, registry, route, patrol_interval_s, frames)


def _show_wall(args, registry: CameraRegistry, route, patrol_interval_s: float, frames: int) -> int:
    from console.app import application
    from console.commands import CliError

    app = application(args.lang, headless=args.screenshot is not None)
    window = VideoWallWindow(registry)
    try:
        window.wall.set_layout(args.layout)
        if route is not None:
            if not window.wall.start_route_patrol(route, PATROL_RADIUS_M, patrol_interval_s).cameras:
                raise CliError(f"no online camera within {PATROL_RADIUS_M:g} m of patrol route {args.patrol}")
        else:
            online = [camera for camera in registry.cameras if camera.status == "online"]
            for index, camera in enumerate(online[:args.layout]):
                window.wall.assign(index, camera.camera_id)
        if args.screenshot is not None:
            window.resize(*SCREENSHOT_SIZE)
            window.show()
            if not wait_for_frames(window.wall, frames, timeout_s=30.0):
                print("warning: not every tile showed video (are the cameras' streams up?)", file=sys.stderr)
            if not window.grab().save(str(args.screenshot), "PNG"):
                raise CliError(f"could not write {args.screenshot}", 1)
            print(args.screenshot)
            return 0
        try:
            place_on_screen(window, args.screen)
        except ValueError as err:
            raise CliError(str(err)) from None
        window.showFullScreen()
        return app.exec()
    finally:
        window.close()

