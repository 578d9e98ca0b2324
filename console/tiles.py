"""The optional tile base map: raster tiles under the store's own layers.

A tile source is an XYZ URL template of an intranet tile server, a local folder of
`{z}/{x}/{y}.png|jpg|webp` files, or an MBTiles file (SQLite, rows in TMS order). The page loads
remote tiles itself; local ones reach it through the `gridsight-tiles:` URL scheme, answered
here from the folder or the database, so no local HTTP server runs. Tiles drawn in GCJ-02 (most
Chinese web maps) are shifted onto our WGS-84 data by the page (resources/web/tiles.js).
"""

from __future__ import annotations

import json
import logging
import re
import sqlite3
from contextlib import closing
from dataclasses import dataclass, replace
from pathlib import Path
from urllib.parse import urlsplit

from PySide6.QtCore import (
    Property,
    QBuffer,
    QByteArray,
    QCoreApplication,
    QObject,
    QSettings,
    Signal,
    Slot,
)
from PySide6.QtWebEngineCore import (
    QWebEnginePage,
    QWebEngineProfile,
    QWebEngineSettings,
    QWebEngineUrlRequestJob,
    QWebEngineUrlScheme,
    QWebEngineUrlSchemeHandler,
)

log = logging.getLogger(__name__)

SCHEME = b"gridsight-tiles"
TILE_CRS = ("wgs84", "gcj02")
NO_TILES = "none"  # `--tiles none`: no tile base map, and forget the remembered one
IMAGE_TYPES = {"png": "image/png", "jpg": "image/jpeg", "jpeg": "image/jpeg", "webp": "image/webp"}
# Placeholders Leaflet fills in a URL template: zoom, column, row (XYZ or TMS order), subdomain.
URL_PLACEHOLDERS = {"z", "x", "y", "-y", "s"}
MAX_TILE_ZOOM = 30
# QSettings keys of the interactive console.
SOURCE_KEY = "tiles/source"
CRS_KEY = "tiles/crs"
SHOWN_KEY = "tiles/shown"


class TileSourceError(ValueError):
    """The tile source cannot be used; the message says why, in one line."""


@dataclass(frozen=True)
class TileSource:
    """Where tiles come from and in which coordinate system they are drawn."""

    kind: str  # "xyz", "folder" or "mbtiles"
    location: str  # the URL template, or the folder's or file's absolute path
    name: str
    crs: str = "wgs84"
    min_zoom: int = 0
    max_zoom: int = 18  # deeper zooms enlarge these tiles
    bounds: tuple[float, float, float, float] | None = None  # west, south, east, north (WGS-84)
    image_type: str = ""  # MIME type of local tiles


def open_tile_source(text: str, crs: str = "wgs84") -> TileSource:
    """Check a tile source given as a URL template, a folder or an MBTiles file."""
    if crs not in TILE_CRS:
        raise TileSourceError(f"unknown tile coordinate system {crs!r}; expected one of: {', '.join(TILE_CRS)}")
    text = text.strip()
    if re.match(r"^[a-z][a-z0-9+.-]*://", text, re.IGNORECASE):
        return _url_template(text, crs)
    path = Path(text).expanduser()
    if path.is_dir():
        return _tile_folder(path.resolve(), crs)
    if path.is_file():
        return _mbtiles(path.resolve(), crs)
    raise TileSourceError(f"tile source {text!r} does not exist (give a URL template, a tile folder or an "
                          ".mbtiles file)")


def _url_template(url: str, crs: str) -> TileSource:
    parts = urlsplit(url)
    if parts.scheme.lower() not in ("http", "https") or not parts.netloc:
        raise TileSourceError(f"tile URL {url!r} must be an http:// or https:// address")
    placeholders = set(re.findall(r"\{([^{}]*)\}", url))
    if unknown := placeholders - URL_PLACEHOLDERS:
        raise TileSourceError(f"tile URL {url!r} has unknown placeholders: "
                              + ", ".join(f"{{{name}}}" for name in sorted(unknown)))
    if not ({"z", "x"} <= placeholders and placeholders & {"y", "-y"}):
        raise TileSourceError(f"tile URL {url!r} needs {{z}}, {{x}} and {{y}} (or {{-y}} for TMS rows)")
    return TileSource("xyz", url, parts.netloc, crs)


def _tile_folder(folder: Path, crs: str) -> TileSource:
    zooms = sorted(int(child.name) for child in folder.iterdir()
                   if child.is_dir() and child.name.isdigit() and int(child.name) <= MAX_TILE_ZOOM)
    if not zooms:
        raise TileSourceError(f"tile folder {folder} has no {{z}}/{{x}}/{{y}} tiles (no zoom-level subfolders)")
    return TileSource("folder", str(folder), folder.name, crs, zooms[0], zooms[-1])


def _mbtiles(path: Path, crs: str) -> TileSource:
    try:
        with closing(_connect(path)) as db:
            tables = {row[0] for row in db.execute("SELECT name FROM sqlite_master WHERE type IN ('table', 'view')")}
            if not {"tiles", "metadata"} <= tables:
                raise TileSourceError(f"{path} is not an MBTiles file (it has no tiles and metadata tables)")
            metadata = dict(db.execute("SELECT name, value FROM metadata").fetchall())
            if db.execute("SELECT 1 FROM tiles LIMIT 1").fetchone() is None:
                raise TileSourceError(f"MBTiles file {path} holds no tiles")
            zoom_range = _zoom_range(db, metadata)
    except sqlite3.DatabaseError as err:
        raise TileSourceError(f"{path} is not an MBTiles file ({err})") from None
    image_format = str(metadata.get("format", "")).lower()
    if image_format not in IMAGE_TYPES:
        raise TileSourceError(f"MBTiles file {path} holds {image_format or 'unnamed'!r} tiles; "
                              f"only raster tiles are shown ({', '.join(IMAGE_TYPES)})")
    return TileSource("mbtiles", str(path), str(metadata.get("name") or path.stem), crs,
                      int(zoom_range[0]), int(zoom_range[1]), _bounds(metadata.get("bounds")),
                      IMAGE_TYPES[image_format])


def _zoom_range(db: sqlite3.Connection, metadata: dict) -> tuple[int, int]:
    """From the metadata when it says (scanning the tiles of a big file takes seconds), else from the tiles."""
    try:
        return int(metadata["minzoom"]), int(metadata["maxzoom"])
    except (KeyError, TypeError, ValueError):
        return db.execute("SELECT MIN(zoom_level), MAX(zoom_level) FROM tiles").fetchone()


def _connect(path: Path) -> sqlite3.Connection:
    # Read-only, and usable from the thread Qt calls the scheme handler on.
    return sqlite3.connect(f"{path.as_uri()}?mode=ro", uri=True, check_same_thread=False)


def _bounds(text: str | None) -> tuple[float, float, float, float] | None:
    """MBTiles `bounds` ("west,south,east,north"); optional, so a malformed one is left out."""
    try:
        west, south, east, north = (float(value) for value in str(text).split(","))
    except ValueError:
        return None
    return (west, south, east, north) if west < east and south < north else None


class _FolderTiles:
    def __init__(self, folder: Path):
        self._folder = folder

    def read(self, z: int, x: int, y: int) -> tuple[bytes, str] | None:
        for extension, image_type in IMAGE_TYPES.items():
            path = self._folder / str(z) / str(x) / f"{y}.{extension}"
            if path.is_file():
                return path.read_bytes(), image_type
        return None

    def close(self) -> None:
        pass


class _MBTilesReader:
    def __init__(self, path: Path, image_type: str):
        self._db = _connect(path)
        self._image_type = image_type

    def read(self, z: int, x: int, y: int) -> tuple[bytes, str] | None:
        tms_row = (1 << z) - 1 - y  # MBTiles counts rows from the south
        row = self._db.execute("SELECT tile_data FROM tiles WHERE zoom_level = ? AND tile_column = ? AND tile_row = ?",
                               (z, x, tms_row)).fetchone()
        return (bytes(row[0]), self._image_type) if row else None

    def close(self) -> None:
        self._db.close()


def register_tile_scheme() -> None:
    """Declare the `gridsight-tiles:` scheme to QtWebEngine. Chromium reads its schemes once, so
    this must run before the QApplication exists; later calls do nothing."""
    if QCoreApplication.instance() is not None or QWebEngineUrlScheme.schemeByName(QByteArray(SCHEME)).name():
        return
    scheme = QWebEngineUrlScheme(QByteArray(SCHEME))
    scheme.setSyntax(QWebEngineUrlScheme.Syntax.Host)
    scheme.setFlags(QWebEngineUrlScheme.Flag.SecureScheme | QWebEngineUrlScheme.Flag.LocalScheme)
    QWebEngineUrlScheme.registerScheme(scheme)


class TileSchemeHandler(QWebEngineUrlSchemeHandler):
    """Answers `gridsight-tiles://<source>/<z>/<x>/<y>` from the local sources being served.
    One per web profile: the map views of a process share it, each serving its own source."""

    _URL_PATH = re.compile(r"/(\d{1,2})/(\d{1,10})/(\d{1,10})")

    def __init__(self, profile: QWebEngineProfile):
        super().__init__(profile)
        self._readers: dict[str, _FolderTiles | _MBTilesReader] = {}
        self._served = 0

    @classmethod
    def of(cls, profile: QWebEngineProfile) -> TileSchemeHandler:
        """The profile's handler, installed on first use."""
        handler = profile.urlSchemeHandler(QByteArray(SCHEME))
        if not isinstance(handler, cls):
            handler = cls(profile)
            profile.installUrlSchemeHandler(QByteArray(SCHEME), handler)
        return handler

    def serve(self, source: TileSource, owner: QObject) -> str:
        """Serve a local source while `owner` lives; returns the URL template the page loads."""
        self._served += 1
        host = f"source{self._served}"
        path = Path(source.location)
        self._readers[host] = _FolderTiles(path) if source.kind == "folder" else _MBTilesReader(path, source.image_type)
        owner.destroyed.connect(lambda: self._readers.pop(host).close())
        return f"{SCHEME.decode()}://{host}/{{z}}/{{x}}/{{y}}"

    def requestStarted(self, job: QWebEngineUrlRequestJob) -> None:
        url = job.requestUrl()
        reader = self._readers.get(url.host())
        match = self._URL_PATH.fullmatch(url.path())
        if reader is None or match is None:
            job.fail(QWebEngineUrlRequestJob.Error.UrlInvalid)
            return
        z, x, y = (int(value) for value in match.groups())
        tile = reader.read(z, x, y) if z <= MAX_TILE_ZOOM and max(x, y) < (1 << z) else None
        if tile is None:  # outside the tile set: the page shows nothing there
            job.fail(QWebEngineUrlRequestJob.Error.UrlNotFound)
            return
        data, image_type = tile
        body = QBuffer(job)  # the job owns the reply's buffer and deletes it when done
        body.setData(data)
        job.reply(QByteArray(image_type.encode()), body)


class TileLayer(QObject):
    """The page's `tiles` object: what tiles.js draws, and where the dispatcher's choices (tiles
    shown or not, GCJ-02 correction on or off) are remembered."""

    loaded = Signal()  # every tile in view has arrived (or is known to be missing)

    def __init__(self, source: TileSource, settings: QSettings | None = None, parent: QObject | None = None):
        super().__init__(parent)
        self.source = source
        self._settings = settings
        self._url = source.location
        self.loading = False  # the page is fetching tiles for the current view

    def serve_to(self, page: QWebEnginePage) -> None:
        """Let the web page `page` (a local file) load this layer's tiles."""
        if self.source.kind == "xyz":
            # QtWebEngine keeps local pages off the network unless told otherwise.
            page.settings().setAttribute(QWebEngineSettings.WebAttribute.LocalContentCanAccessRemoteUrls, True)
        else:
            self._url = TileSchemeHandler.of(page.profile()).serve(self.source, self)

    def _config(self) -> str:
        source = self.source
        return json.dumps({
            "url": self._url,
            "crs": source.crs,
            "minZoom": source.min_zoom,
            "maxNativeZoom": source.max_zoom,
            "bounds": [[source.bounds[1], source.bounds[0]], [source.bounds[3], source.bounds[2]]]
            if source.bounds else None,
            "shown": self._remembered(SHOWN_KEY, "true") == "true",
            "titles": {
                "tiles": self.tr("Tile map: {name}").format(name=source.name),
                "none": self.tr("No tile map"),
                "gcj02": self.tr("GCJ-02 correction"),
                "gcj02Tip": self.tr("The tiles are in GCJ-02 (most Chinese web maps): shift them onto the "
                                    "WGS-84 data"),
            },
        }, ensure_ascii=False)

    config = Property(str, _config, constant=True)

    @Slot(str)
    def crsChosen(self, crs: str) -> None:
        if crs in TILE_CRS:
            self.source = replace(self.source, crs=crs)
            self._remember(CRS_KEY, crs)

    @Slot(bool)
    def loadingChanged(self, loading: bool) -> None:
        self.loading = loading
        if not loading:
            self.loaded.emit()

    @Slot(bool)
    def shownChosen(self, shown: bool) -> None:
        self._remember(SHOWN_KEY, "true" if shown else "false")

    def _remembered(self, key: str, default: str) -> str:
        return str(self._settings.value(key, default)) if self._settings is not None else default

    def _remember(self, key: str, value: str) -> None:
        if self._settings is not None:
            self._settings.setValue(key, value)


def choose_tiles(source: str | None, crs: str | None, settings: QSettings) -> TileSource | None:
    """The interactive console's tiles: the source given (then remembered), else the one
    remembered from last time; `--tiles none` forgets it. `crs` None keeps the remembered system."""
    if source is not None and source.strip().lower() in (NO_TILES, ""):
        for key in (SOURCE_KEY, CRS_KEY, SHOWN_KEY):
            settings.remove(key)
        return None
    if source is None:
        source = settings.value(SOURCE_KEY)
        if not source:
            return None
        crs = crs or str(settings.value(CRS_KEY, "wgs84"))
        try:
            chosen = open_tile_source(str(source), crs)
        except TileSourceError as err:
            # Gone since last time (an unplugged drive): the console still opens, without them.
            log.warning("the remembered tiles are not shown (--tiles none forgets them): %s", err)
            return None
    else:
        chosen = open_tile_source(source, crs or "wgs84")
        settings.setValue(SOURCE_KEY, chosen.location)
        settings.setValue(SHOWN_KEY, "true")
    settings.setValue(CRS_KEY, chosen.crs)
    return chosen
