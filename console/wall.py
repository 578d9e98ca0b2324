"""The leaders' big-screen wall: the territory's situation at a glance, live, from across the room.

The map sits in the centre (grid fill by an indicator, heat of recent incidents, live
responders, 1-3-5 minute coverage, the running campaign's area, incidents that blink when
new or escalated); figure tiles, rankings and Qt Charts stand around it, with live video
from the cameras nearest the latest serious incident.

All figures come from data.workflow.kpis, computed on a worker thread; the UI thread only
puts the new values into widgets that already exist, so a refresh costs milliseconds and
never flickers. The TicketWatcher tells about changed tickets within a second: they blink
on the map at once and the figures follow.

Privacy: the wall shows no personal data. Reporters, phones, ID numbers, descriptions and
addresses are never read for it; responders' names are masked; incidents of sensitive
categories are drawn at their grid's centre, not where they happened.
"""

from __future__ import annotations

import json
import logging
import math
import re
import threading
import time
from dataclasses import dataclass, replace
from datetime import datetime
from pathlib import Path

import pandas as pd
import shapely
from PySide6.QtCore import (
    QCoreApplication,
    QLocale,
    QObject,
    QSize,
    Qt,
    QTimer,
    Signal,
)
from PySide6.QtWidgets import QGridLayout, QHBoxLayout, QLabel, QVBoxLayout, QWidget

from console import headless
from console.app import POSITION_TICK_MS, application
from console.headless import dispose
from console.labels import label
from console.mapview import MAP_LAYERS, MapData, MapView, read_map_data
from console.dutybar import OFFLINE_STYLE
from console.ticketwatch import TicketWatcher
from console.wall_widgets import (
    ACCENT,
    ALARM,
    BACKGROUND,
    GOOD,
    MUTED,
    PANEL,
    PANEL_EDGE,
    TEXT,
    WARN,
    Bar,
    BarList,
    DonutChart,
    FigureTile,
    HourChart,
    Panel,
    TrendChart,
    unit_for,
)
from data.feeds import PositionFeed
from data.store import Store
from data.workflow.clock import BEIJING, Clock, iso, parse_iso
from data.workflow.kpis import (
    GRID_INDICATORS,
    Territory,
    WallFigures,
    generalise,
    history_clock,
    needs_attention,
    read_territory,
    wall_figures,
)
from data.workflow.masking import mask_name

log = logging.getLogger(__name__)

WALL_LAYERS = ("water", "roads", "grids", "responders", "incidents")
REFRESH_S = 30  # time alone changes figures (tickets fall overdue): recompute at least this often
FLASH_S = 10
SIDE_WIDTH = 500  # design pixels of each side column; the map takes the rest of a wider wall
CHANNEL_ROWS, RANKING_ROWS = 6, 6
VIDEO_TILES = 4
VIDEO_RADIUS_M = 800  # cameras this close to the incident may show it
MEDIATION_COLOURS = {"mediated": GOOD, "referred": ACCENT, "failed": ALARM, "open": WARN}


class WallError(RuntimeError):
    """The wall cannot do what was asked; the message says why."""


# ------------------------------------------------------------------------- what reaches the page

def wall_map_data(store: Store, territory: Territory, now: datetime) -> MapData:
    """The map layers of the wall, with nothing personal in them: responders' names masked,
    incidents of sensitive categories moved to their grid's centre, no ticket details kept.
    Of the open incidents only those that need attention (kpis.needs_attention) are drawn: a
    city's thousands of tickets in hand would bury the late ones."""
    data = read_map_data(store, layers=WALL_LAYERS, minor_roads=False)  # the whole territory only
    layers = dict(data.layers)
    # On the text, not a parsed copy: a city's 37,000 responders take milliseconds this way, seconds parsed.
    layers["responders"] = _RESPONDER_NAME.sub(_masked_name, layers["responders"])
    incidents = wall_incidents(data.incidents, territory, now)
    layers["incidents"] = json.dumps({"type": "FeatureCollection",
                                      "features": incident_features(incidents)}, ensure_ascii=False,
                                     separators=(",", ":"))
    point_ids = {**data.point_ids, "incidents": incidents["ticket_id"].astype(str).tolist()}
    return replace(data, layers=layers, point_ids=point_ids, incidents=pd.DataFrame())


# A responder's name in the GeoJSON text of read_map_data: the one "name" property of that layer.
_RESPONDER_NAME = re.compile(r'"name":"((?:[^"\\]|\\.)*)"')


def _masked_name(match: re.Match) -> str:
    name = json.loads(f'"{match[1]}"')
    return '"name":' + json.dumps(mask_name(name), ensure_ascii=False)


def wall_incidents(rows: pd.DataFrame, territory: Territory, now: datetime) -> pd.DataFrame:
    """The incidents the wall draws: those that need attention, placed (sensitive ones generalised),
    `overdue` meaning past the deadline now, as the wall's overdue figure counts."""
    if rows.empty:
        return rows.assign(lon=[], lat=[]) if "lon" not in rows else rows
    rows = generalise(rows[needs_attention(rows, now)], territory).dropna(subset=["lon", "lat"])
    late = rows["deadline"].notna() & (rows["deadline"].astype(str) < iso(now))
    return rows.assign(overdue=rows["overdue"].astype(bool) | late)


def incident_features(rows: pd.DataFrame) -> list[dict]:
    """GeoJSON point features of incidents with what the map styles them by (and nothing else)."""
    properties = list(MAP_LAYERS["incidents"])
    plain = rows[properties].astype(object).where(rows[properties].notna(), None)
    return [{"type": "Feature", "geometry": {"type": "Point", "coordinates": [round(lon, 6), round(lat, 6)]},
             "properties": {key: _plain(value) for key, value in zip(properties, values)}}
            for lon, lat, values in zip(rows["lon"].tolist(), rows["lat"].tolist(), plain.itertuples(index=False))]


def _plain(value):
    return value.item() if hasattr(value, "item") else value


# ------------------------------------------------------------------------------ the worker

def ranking_level(territory: Territory) -> int:
    """Townships are ranked; a territory with too few of them to fill the list ranks its villages."""
    levels = territory.grids["level"].value_counts()
    return 1 if levels.get(1, 0) >= RANKING_ROWS or levels.get(2, 0) == 0 else 2

class _WallWorker(QObject):
    """Reads the map (on a thread of its own), computes the figures and reads the cameras; after
    that computes the figures whenever asked (requests made while it computes collapse into one).
    Python threads (see app._MapLoader on why)."""

    mapRead = Signal(object, object)  # MapData, Territory
    computed = Signal(object)  # WallFigures
    camerasRead = Signal(object)  # video.registry.CameraRegistry
    failed = Signal(str)

    def __init__(self, store: Store, clock: Clock, with_video: bool):
        super().__init__()
        self._store = store
        self._clock = clock
        self._with_video = with_video
        self._wake = threading.Event()
        self._stopping = threading.Event()
        self._thread: threading.Thread | None = None
        self._previous: WallFigures | None = None
        self.ranking_level = 1

    def start(self) -> None:
        self._thread = threading.Thread(target=self._run, name="wall-figures", daemon=True)
        self._thread.start()

    def request(self) -> None:
        self._wake.set()

    def stop(self) -> None:
        self._stopping.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join(timeout=30)
            self._thread = None

    def _run(self) -> None:
        try:
            territory = read_territory(self._store)
            self.ranking_level = ranking_level(territory)
            # The map on a second thread: SQLite and numpy let go of the GIL, so on two cores the
            # figures and the cameras are ready by the time the page has drawn the map.
            threading.Thread(target=self._read_map, args=(territory,), name="wall-map", daemon=True).start()
            self._compute(territory)
            if self._with_video:
                from video.registry import CameraRegistry

                registry = CameraRegistry.from_store(self._store)
                if self._stopping.is_set():
                    return
                self.camerasRead.emit(registry)
            while True:
                self._wake.wait()
                if self._stopping.is_set():
                    return
                self._wake.clear()
                self._compute(territory)
        except Exception as err:  # noqa: BLE001 -- this thread is the last place a failure can be reported
            self._fail(err)

    def _read_map(self, territory: Territory) -> None:
        try:
            map_data = wall_map_data(self._store, territory, self._clock())
            if not self._stopping.is_set():
                self.mapRead.emit(map_data, territory)
        except Exception as err:  # noqa: BLE001 -- this thread is the last place a failure can be reported
            self._fail(err)

    def _fail(self, err: Exception) -> None:
        log.error("the wall could not be loaded", exc_info=err)
        if not self._stopping.is_set():
            self.failed.emit(str(err).splitlines()[0] if str(err) else type(err).__name__)

    def _compute(self, territory: Territory) -> None:
        figures = wall_figures(self._store, self._clock(), territory, self.ranking_level, previous=self._previous)
        self._previous = figures
        if not self._stopping.is_set():
            self.computed.emit(figures)


# ------------------------------------------------------------------------------ the scenes

@dataclass(frozen=True)
class Scene:
    """One view of the carousel: where the map looks and what the grid fill shows."""

    key: str  # city, township, campaign
    title: str
    bounds: tuple[float, float, float, float] | None  # west, south, east, north; None: the territory
    indicator: str
    level: int | None = None  # of the grids the fill colours; None: the finest
    responders: bool = True  # a whole city's responders are a carpet of dots: only closer up


# ------------------------------------------------------------------------------ the window

class WallWindow(QWidget):
    """The big-screen wall. Frameless; `run_wall` shows it full screen."""

    ready = Signal()  # the map has drawn and the first figures show
    figuresShown = Signal(object)  # WallFigures now on the wall
    sceneChanged = Signal(str)  # Scene.key
    loadFailed = Signal(str)

    def __init__(self, store: Store, clock: Clock | None = None, carousel_s: float = 0,
                 watch_interval_ms: int = 1000, refresh_s: float = REFRESH_S, video: bool = True,
                 coverage: bool = True, indicator: str = "open", feed: PositionFeed | None = None):
        super().__init__(None, Qt.WindowType.FramelessWindowHint)
        self.setWindowTitle(self.tr("Situation wall") + " — gridsight")
        self.setObjectName("wall")
        self._store = store
        self._clock = clock or history_clock(store)
        if indicator not in GRID_INDICATORS:
            raise WallError(f"unknown indicator {indicator!r}; use one of {', '.join(GRID_INDICATORS)}")
        self._indicator = indicator  # what the whole-territory scene fills the townships by
        self._coverage = coverage
        self._with_video = video
        self._feed = feed  # live responder positions, moved on the map once a second
        self.territory: Territory | None = None
        self.figures: WallFigures | None = None
        # Each refresh's time on the UI thread: elapsed, and CPU (elapsed also counts waiting for the
        # GIL while the worker computes, and for the CPU on a busy machine).
        self.apply_ms: list[float] = []
        self.apply_cpu_ms: list[float] = []
        self._unit = 0.0
        self._on_map: set[str] = set()
        self._map_drawn = False
        self._ready = False
        self._serious_id: str | None = None
        self._fill: tuple | None = None
        self._heat: list | None = None
        self._campaign_id: str | None = None
        self.scene_index = 0
        self.scenes: list[Scene] = [self._city_scene()]
        self.video = None
        self._build()
        self._worker = _WallWorker(store, self._clock, video)
        self._worker.computed.connect(self._show_figures)
        self._worker.mapRead.connect(self._on_map_read)
        self._worker.camerasRead.connect(self._on_cameras_read)
        self._worker.failed.connect(self._on_failed)
        self.watcher = TicketWatcher(store, watch_interval_ms)
        self.watcher.changed.connect(self.apply_changes)
        self.watcher.connection.connect(self._on_connection)
        self._refresh_timer = QTimer(self, interval=round(refresh_s * 1000))
        self._refresh_timer.timeout.connect(self._worker.request)
        self._position_timer = QTimer(self, interval=POSITION_TICK_MS)
        self._position_timer.timeout.connect(self.move_responders)
        self._clock_timer = QTimer(self, interval=1000)
        self._clock_timer.timeout.connect(self._show_time)
        self._carousel = QTimer(self, interval=max(1, round(carousel_s * 1000)))
        self._carousel.timeout.connect(self.next_scene)
        self._carousel_on = carousel_s > 0
        self.map.layersDrawn.connect(self._on_map_drawn)
        self._worker.start()
        self.watcher.start()
        self._refresh_timer.start()
        self._clock_timer.start()
        self._show_time()

    # -- layout ---------------------------------------------------------------------------

    def _build(self) -> None:
        self.title = QLabel(self.tr("Grid governance situation"), objectName="wallTitle")
        self.scene_label = QLabel(self.scenes[0].title, objectName="wallScene")
        self.time_label = QLabel("", objectName="wallTime")
        self.time_label.setAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        header = QHBoxLayout()
        header.addWidget(self.title)
        header.addSpacing(24)
        header.addWidget(self.scene_label, 1)
        # The store's server lost: the wall keeps the last figures and says so until it is back.
        self.offline_label = QLabel(self.tr("Offline — reconnecting…"), objectName="wallOffline")
        self.offline_label.setStyleSheet(OFFLINE_STYLE)
        self.offline_label.setVisible(False)
        header.addWidget(self.offline_label)
        header.addWidget(self.time_label)
        self._header = header

        # Left: what is happening now and how fast the centre answers.
        self.tiles = {
            "open": FigureTile(self.tr("Open"), big=True),
            "overdue": FigureTile(self.tr("Overdue"), big=True),
            "escalated": FigureTile(self.tr("Escalated"), big=True),
            "waiting": FigureTile(self.tr("Awaiting dispatch"), big=True),
            "dispatch": FigureTile(self.tr("Average dispatch")),
            "arrival": FigureTile(self.tr("Average arrival")),
            "on_time": FigureTile(self.tr("On time")),
            "on_site": FigureTile(self.tr("Resolved on site")),
            "satisfied": FigureTile(self.tr("Satisfaction")),
            "repeats": FigureTile(self.tr("Repeat cases")),
        }
        now_panel = Panel(self.tr("Now"))
        now_panel.body.addLayout(_tile_grid([["open", "overdue"], ["escalated", "waiting"]], self.tiles))
        self.intake_panel = Panel(self.tr("Intake, last 24 hours"))
        self.intake_total = QLabel("–", objectName="wallBigNumber")
        self.intake_panel.title.setParent(None)  # the total stands beside the title
        intake_head = QHBoxLayout()
        intake_head.addWidget(self.intake_panel.title)
        intake_head.addStretch(1)
        intake_head.addWidget(self.intake_total)
        self.channels = BarList(CHANNEL_ROWS)
        self.channels.empty_text = self.tr("No tickets")
        self.intake_panel.body.addLayout(intake_head)
        self.intake_panel.body.addWidget(self.channels)
        response_panel = Panel(self.tr("Response, last 24 hours"))
        response_panel.body.addLayout(_tile_grid([["dispatch", "arrival"]], self.tiles))
        quality_panel = Panel(self.tr("Service, last 30 days"))
        quality_panel.body.addLayout(_tile_grid([["on_time", "on_site"], ["satisfied", "repeats"]], self.tiles))
        left = _column(now_panel, self.intake_panel, response_panel, quality_panel)
        left.setStretch(0, 1)  # spare height goes to what matters most: the situation now

        # Centre: the map over the two trend charts.
        self.map = MapView(self, mode="wall")
        self.hour_chart = HourChart(self.tr("Last 24 hours"), self.tr("Usual day (30-day mean)"))
        self.trend_chart = TrendChart(self.tr("Tickets per day"), self.tr("On-time rate"))
        hour_panel = Panel(self.tr("Tickets by hour of day"))
        hour_panel.body.addWidget(self.hour_chart, 1)
        trend_panel = Panel(self.tr("Last 30 days"))
        trend_panel.body.addWidget(self.trend_chart, 1)
        charts = QHBoxLayout()
        charts.addWidget(hour_panel, 1)
        charts.addWidget(trend_panel, 1)
        centre = QVBoxLayout()
        centre.addWidget(self.map, 3)
        centre.addLayout(charts, 1)
        self._charts_row = charts
        self._centre = centre

        # Right: the latest serious incident with live video, who lags, disputes, the campaign.
        self.serious_panel = Panel(self.tr("Latest serious incident"))
        self.serious_text = QLabel(self.tr("None in the last 24 hours"), objectName="wallSerious")
        self.serious_text.setWordWrap(True)
        self.video_box = QVBoxLayout()
        self.serious_panel.body.addWidget(self.serious_text)
        self.serious_panel.body.addLayout(self.video_box, 1)
        self.ranking_panel = Panel(self.tr("Townships lagging behind"))
        self.ranking = BarList(RANKING_ROWS)
        self.ranking_panel.body.addWidget(self.ranking)
        self.mediation_panel = Panel(self.tr("Dispute mediation, last 30 days"))
        self.mediation_rate = QLabel("–", objectName="wallNote")
        self.mediation_chart = DonutChart(MEDIATION_COLOURS)
        self.mediation_panel.body.addWidget(self.mediation_rate)
        self.mediation_panel.body.addWidget(self.mediation_chart, 1)
        self.campaign_panel = Panel(self.tr("Special action"))
        self.campaign_name = QLabel(self.tr("No special action running"), objectName="wallCampaign")
        self.campaign_name.setWordWrap(True)
        self.campaign_text = QLabel("", objectName="wallNote")
        self.campaign_text.setWordWrap(True)
        self.campaign_panel.body.addWidget(self.campaign_name)
        self.campaign_panel.body.addWidget(self.campaign_text)
        right = _column(self.serious_panel, self.ranking_panel, self.mediation_panel, self.campaign_panel)
        right.setStretch(0, 5)
        right.setStretch(2, 3)

        self._left_host, self._right_host = QWidget(objectName="wallSide"), QWidget(objectName="wallSide")
        self._left_host.setLayout(left)
        self._right_host.setLayout(right)
        body = QHBoxLayout()
        body.addWidget(self._left_host)
        body.addLayout(centre, 1)
        body.addWidget(self._right_host)
        self._body = body
        outer = QVBoxLayout(self)
        outer.addLayout(header)
        outer.addLayout(body, 1)
        self._outer = outer

    def resizeEvent(self, event) -> None:
        super().resizeEvent(event)
        unit = unit_for(self.height())
        if abs(unit - self._unit) > 1e-3:
            self._rescale(unit)

    def _rescale(self, unit: float) -> None:
        """Every size follows the window's height: fonts, margins, column widths, chart text."""
        self._unit = unit
        self.setStyleSheet(_stylesheet(unit))
        gap = round(10 * unit)
        self._outer.setContentsMargins(gap, round(6 * unit), gap, gap)
        self._outer.setSpacing(round(6 * unit))
        self._body.setSpacing(gap)
        self._centre.setSpacing(gap)
        self._charts_row.setSpacing(gap)
        for host in (self._left_host, self._right_host):
            host.setFixedWidth(round(SIDE_WIDTH * unit))
            host.layout().setSpacing(gap)
        self.map.setZoomFactor(unit)  # the page's text and markers grow with the wall, crisply
        for panel in self.findChildren(Panel):
            panel.rescale(unit)
        for tile in self.tiles.values():
            tile.rescale(unit)
        for widget in (self.channels, self.ranking, self.hour_chart, self.trend_chart, self.mediation_chart):
            widget.rescale(unit)
        if self.video is not None:  # a 16:9 quad across the column
            self.video.setMinimumHeight(round((SIDE_WIDTH - 24) * 9 / 16 * unit))

    # -- start-up -------------------------------------------------------------------------

    def _on_map_read(self, data: MapData, territory: Territory) -> None:
        self.territory = territory
        self._on_map = set(data.point_ids.get("incidents", []))
        self.map.show_data(data)

    def _on_cameras_read(self, registry) -> None:
        from console.videowall import VideoWall

        self.video = VideoWall(registry, parent=self)
        self.video.toolbar.hide()
        self.video.set_layout(VIDEO_TILES)
        self.video_box.addWidget(self.video, 1)
        self._rescale(self._unit or unit_for(self.height()))
        serious = self.figures.serious if self.figures is not None else None
        if serious is not None:
            self._show_cameras(serious)
        self._check_ready()

    def _on_map_drawn(self, _counts: dict) -> None:
        self._map_drawn = True
        if self._feed is not None:
            self._feed.poll(time.monotonic())  # the feed's clock starts now: no jump on the first tick
            self._position_timer.start()
        if self._coverage:
            self.map.show_coverage(self._store)
        if self.figures is not None:
            self._fill = self._heat = None  # the page is new: send the layers again
            self._campaign_id = None
            self._show_figures(self.figures)
        self.show_scene(self.scene_index)
        if self._carousel_on:
            self._carousel.start()

    def _on_connection(self, online: bool) -> None:
        """Lost: say so over the last figures. Back: the figures are read again (the watcher has
        already brought the tickets changed meanwhile)."""
        self.offline_label.setVisible(not online)
        if online:
            self._worker.request()

    def _on_failed(self, message: str) -> None:
        if self.offline_label.isVisible():
            return  # the last figures stay; the header already says why they are not refreshed
        self.scene_label.setText(self.tr("The wall could not be loaded: {error}").format(error=message))
        self.loadFailed.emit(message)

    # -- live -----------------------------------------------------------------------------

    def apply_changes(self, batch: pd.DataFrame) -> None:
        """Changed tickets (data.workflow.changes rows): those now needing attention appear (new
        ones blink), those in hand or finished leave; the figures are recomputed off the UI thread."""
        self._worker.request()
        if self.territory is None or not self._map_drawn or batch.empty:
            return
        shown = wall_incidents(batch, self.territory, self._clock())
        on_map = shown["ticket_id"].isin(self._on_map)
        joined, changed = shown[~on_map], shown[on_map]
        gone = sorted(set(batch["ticket_id"]) & self._on_map - set(shown["ticket_id"]))
        properties = list(MAP_LAYERS["incidents"])
        self.map.update_layers(
            added={"incidents": incident_features(joined)} if len(joined) else None,
            changed={"incidents": [{k: _plain(v) for k, v in row.items()} for row in
                                   changed[properties].astype(object).where(changed[properties].notna(), None)
                                   .to_dict("records")]} if len(changed) else None,
            removed={"incidents": gone} if gone else None)
        self._on_map |= set(joined["ticket_id"])
        self._on_map -= set(gone)
        blinking = joined["ticket_id"].tolist() + changed.loc[changed["state"] == "escalated", "ticket_id"].tolist()
        if blinking:
            self.map.flash("incidents", blinking, FLASH_S)

    def move_responders(self) -> None:
        """One tick of the position feed: everyone who moved goes to the map in one diff."""
        positions = self._feed.poll(time.monotonic())
        if len(positions):
            self.map.update_layers(moved={"responders": positions})

    def refresh(self) -> None:
        """Recompute every figure now (on the worker thread)."""
        self._worker.request()

    def _show_figures(self, figures: WallFigures) -> None:
        started, started_cpu = time.perf_counter(), time.thread_time()
        self.figures = figures
        self._show_tiles(figures)
        self._show_lists(figures)
        self.hour_chart.show_hours(figures.by_hour["recent"].tolist(), figures.by_hour["usual"].round(2).tolist())
        trend = figures.trend
        self.trend_chart.show_days([day[5:] for day in trend["day"]], trend["tickets"].tolist(),
                                   [None if pd.isna(r) else float(r) for r in trend["on_time_rate"]])
        self._show_serious(figures.serious)
        self._show_campaign(figures.campaign)
        if self._map_drawn:
            self._show_map_figures(figures)
            self.scenes = self._scenes(figures)
        self.apply_ms.append((time.perf_counter() - started) * 1000)
        self.apply_cpu_ms.append((time.thread_time() - started_cpu) * 1000)
        self.figuresShown.emit(figures)
        self._check_ready()

    def _check_ready(self) -> None:
        """`ready` once: the map drawn, the figures on it and, with video, the cameras chosen."""
        if self._ready or not self._map_drawn or self.figures is None or (self._with_video and self.video is None):
            return
        self._ready = True
        self.ready.emit()

    def _show_tiles(self, f: WallFigures) -> None:
        now, quality = f.situation, f.quality
        tiles = self.tiles
        tiles["open"].show_value(f"{now['open']}", self.tr("tickets being handled"))
        tiles["overdue"].show_value(f"{now['overdue']}", self.tr("past the deadline"),
                                    "alarm" if now["overdue"] else "good")
        tiles["escalated"].show_value(f"{now['escalated']}", self.tr("pushed up a level"),
                                      "warn" if now["escalated"] else "")
        tiles["waiting"].show_value(f"{now['waiting']}", self.tr("not yet dispatched"),
                                    "warn" if now["waiting"] else "")
        response = f.response
        tiles["dispatch"].show_value(self._minutes(response["dispatch_minutes"]),
                                     self.tr("{n} tickets dispatched").format(n=response["dispatched"]))
        tiles["arrival"].show_value(self._minutes(response["arrival_minutes"]),
                                    self.tr("{n} arrivals on site").format(n=response["arrived"]))
        tiles["on_time"].show_value(_percent(quality["on_time_rate"]),
                                    self.tr("of {n} closed").format(n=quality["closed"]),
                                    _rate_tone(quality["on_time_rate"], 0.9, 0.75))
        tiles["on_site"].show_value(_percent(quality["on_site_rate"]),
                                    self.tr("of {n} resolved").format(n=quality["resolved"]),
                                    _rate_tone(quality["on_site_rate"], 0.85, 0.7))
        mean = quality["mean_rating"]
        tiles["satisfied"].show_value(_percent(quality["satisfied_rate"]),
                                      self.tr("mean rating {r:.1f} / 5").format(r=mean) if mean else "",
                                      _rate_tone(quality["satisfied_rate"], 0.9, 0.8))
        repeats = f.repeats
        tiles["repeats"].show_value(f"{repeats['duplicates']}",
                                    self.tr("{n} repeat callers").format(n=repeats["repeat_reporters"]),
                                    "warn" if repeats["duplicates"] else "")

    def _minutes(self, minutes: float | None) -> str:
        if minutes is None or (isinstance(minutes, float) and math.isnan(minutes)):
            return "–"
        return self.tr("{m:.0f} min").format(m=minutes)

    def _show_lists(self, f: WallFigures) -> None:
        total = sum(f.intake.values())
        if self.intake_total.text() != str(total):
            self.intake_total.setText(str(total))
        self.channels.set_bars([Bar(label("channel", channel), count, str(count))
                                for channel, count in f.intake.items()])
        bars = []
        by_overdue = bool(f.ranking["overdue"].any())  # the bars show the ranking's first key
        for k, row in enumerate(f.ranking.itertuples(), start=1):
            rate = None if pd.isna(row.on_time_rate) else row.on_time_rate
            # The ranking's deciding figure first: overdue now if any, else closed late; then the rate.
            first = self.tr("{n} overdue").format(n=row.overdue) if row.overdue else \
                self.tr("{n} closed late").format(n=row.late)
            text = first + " · " + self.tr("{rate} on time").format(rate=_percent(rate))
            bars.append(Bar(row.name, float(row.overdue if by_overdue else row.late), text,
                            "alarm" if row.overdue else _rate_tone(rate, 0.9, 0.75), str(k)))
        self.ranking.set_bars(bars)
        self.ranking.empty_text = self.tr("No tickets")
        title = self.tr("Townships lagging behind") if f.ranking_level == 1 else \
            self.tr("Villages and communities lagging behind")
        if self.ranking_panel.title.text() != title:
            self.ranking_panel.title.setText(title)
        outcomes = f.mediation
        concluded = outcomes["mediated"] + outcomes["referred"] + outcomes["failed"]
        names = {"mediated": self.tr("Mediated"), "referred": self.tr("Referred"), "failed": self.tr("Failed"),
                 "open": self.tr("In progress")}
        self.mediation_chart.show_shares(outcomes, {key: f"{names[key]} {outcomes[key]}" for key in names})
        rate = self.tr("Success rate {rate}").format(rate=_percent(outcomes["mediated"] / concluded)) \
            if concluded else self.tr("No concluded mediation")
        if self.mediation_rate.text() != rate:
            self.mediation_rate.setText(rate)

    def _show_serious(self, serious: dict | None) -> None:
        if serious is None:
            text = self.tr("None in the last 24 hours")
        else:
            when = parse_iso(serious["reported_at"]).astimezone(BEIJING).strftime("%H:%M")
            text = " · ".join(part for part in (
                label("category", serious["category"]), serious["grid_name"] or "", when,
                label("state", serious["state"]) if serious["state"] else "") if part)
        if self.serious_text.text() != text:
            self.serious_text.setText(text)
        ticket = serious["ticket_id"] if serious else None
        if ticket == self._serious_id:
            return
        self._serious_id = ticket
        if serious is not None:
            self._show_cameras(serious)
        if self._map_drawn:
            self.map.highlight("incidents", [ticket] if ticket and ticket in self._on_map else [])

    def _show_cameras(self, serious: dict) -> None:
        if self.video is not None:
            self.video.show_cameras_near(serious["camera_lon"], serious["camera_lat"], n=VIDEO_TILES,
                                         radius_m=VIDEO_RADIUS_M)

    def _show_campaign(self, campaign: dict | None) -> None:
        if campaign is None:
            name, text = self.tr("No special action running"), ""
        else:
            name = campaign["name"]
            period = " – ".join(parse_iso(campaign[key]).astimezone(BEIJING).strftime("%m-%d")
                                for key in ("starts_at", "ends_at"))
            focus = "、".join(label("category", c) for c in campaign["focus"])
            text = "\n".join([
                self.tr("{period}, {days} days left").format(period=period, days=campaign["days_left"]),
                self.tr("Focus: {focus}").format(focus=focus) if focus else "",
                self.tr("{n} tickets in the area · {open} open · {closed} done").format(
                    n=campaign["tickets"], open=campaign["open"], closed=campaign["closed"])]).strip()
        if self.campaign_name.text() != name:
            self.campaign_name.setText(name)
        if self.campaign_text.text() != text:
            self.campaign_text.setText(text)

    def _show_map_figures(self, f: WallFigures) -> None:
        """The map's share of a refresh: only what changed goes to the page."""
        if f.heat is not self._heat:  # a slow figure: a new list only when recomputed
            self._heat = f.heat
            self.map.show_heat(f.heat)
        self._fill_grids()
        campaign = f.campaign["campaign_id"] if f.campaign else None
        if campaign != self._campaign_id:
            self._campaign_id = campaign
            if f.campaign:
                self.map.show_overlay("campaign", f.campaign["geojson"], f.campaign["name"])
            else:
                self.map.show_overlay("campaign", "", "")

    def indicator_title(self, indicator: str, level: int | None = None) -> str:
        if indicator == "open":
            return self.tr("Open tickets per township") if level == 1 else self.tr("Open tickets per grid")
        return {"per_1000_households": self.tr("Tickets per 1,000 households (30 days)"),
                "overdue_rate": self.tr("Overdue share of open tickets"),
                "satisfaction": self.tr("Mean rating (30 days)")}[indicator]

    def _fill_grids(self) -> None:
        if self.figures is None:
            return
        scene = self.scenes[self.scene_index % len(self.scenes)]
        values = self.figures.grid_values[scene.level][scene.indicator].dropna()
        if scene.indicator == "open":
            values = values[values > 0]
        shown = (scene.indicator, scene.level)
        if self._fill is not None and self._fill[0] == shown and self._fill[1].equals(values):
            return
        self._fill = (shown, values)
        self.map.fill_grids({code: float(v) for code, v in values.items()},
                            self.indicator_title(scene.indicator, scene.level), scene.level)

    # -- scenes ---------------------------------------------------------------------------

    def _scenes(self, f: WallFigures) -> list[Scene]:
        """The whole territory; the township that lags most; the running campaign's area."""
        scenes = [self._city_scene()]
        if len(f.ranking) and self.territory is not None:
            code = f.ranking["code"].iloc[0]
            grid = self.territory.grids.loc[code]
            scenes.append(Scene("township", self.tr("{name}: lags most").format(name=grid["name"]),
                                (grid["west"], grid["south"], grid["east"], grid["north"]), "per_1000_households"))
        if f.campaign:
            west, south, east, north = _geojson_bounds(f.campaign["geojson"])
            scenes.append(Scene("campaign", self.tr("Special action: {name}").format(name=f.campaign["name"]),
                                (west, south, east, north), "open"))
        return scenes

    def _city_scene(self) -> Scene:
        return Scene("city", self.tr("Whole territory"), None, self._indicator, level=1, responders=False)

    def next_scene(self) -> None:
        self.show_scene(self.scene_index + 1)

    def show_scene(self, index: int) -> None:
        """Point the map at a scene and fill its grids with the scene's indicator."""
        self.scene_index = index % len(self.scenes)
        scene = self.scenes[self.scene_index]
        if self.scene_label.text() != scene.title:
            self.scene_label.setText(scene.title)
        if self._map_drawn:
            if scene.bounds is None:
                self.map.show_territory()
            else:
                west, south, east, north = scene.bounds
                self.map.page().runJavaScript(
                    f"gridsightMap.map.fitBounds([[{south}, {west}], [{north}, {east}]], "
                    "{animate: false, padding: [24, 24]})")
            # The page API has no switch for a point layer: take it off the map or put it back.
            method = "addLayer" if scene.responders else "removeLayer"
            self.map.page().runJavaScript(
                f"(() => {{ const layer = gridsightMap.pointLayers.responders; if (layer) gridsightMap.map.{method}(layer); }})()")
            self._fill_grids()
        self.sceneChanged.emit(scene.key)

    # -- time -----------------------------------------------------------------------------

    def _show_time(self) -> None:
        now = self._clock().astimezone(BEIJING)
        weekday = QLocale().dayName(now.isoweekday(), QLocale.FormatType.LongFormat)
        text = f"{now:%Y-%m-%d} {weekday} {now:%H:%M:%S}"
        if self.time_label.text() != text:
            self.time_label.setText(text)

    # -- closing --------------------------------------------------------------------------

    def texts(self) -> list[str]:
        """Every piece of text the wall's widgets show (for the privacy test)."""
        found = [widget.text() for widget in self.findChildren(QLabel)]
        for widget in (self.channels, self.ranking):
            found += widget.texts()
        for chart in (self.hour_chart, self.trend_chart, self.mediation_chart):
            found += chart.texts()
        if self.video is not None:
            for tile in self.video.visible_tiles:
                found += list(tile.overlay_lines())
        return [text for text in found if text]

    def shutdown(self) -> None:
        """Stop the watcher, the worker and the video (before the window goes)."""
        for timer in (self._refresh_timer, self._clock_timer, self._carousel, self._position_timer):
            timer.stop()
        self.watcher.stop()
        self._worker.stop()
        if self.video is not None:
            self.video.shutdown()

    def closeEvent(self, event) -> None:
        self.shutdown()
        super().closeEvent(event)


def _tile_grid(rows: list[list[str]], tiles: dict[str, FigureTile]) -> QGridLayout:
    grid = QGridLayout()
    grid.setSpacing(6)
    for r, keys in enumerate(rows):
        for c, key in enumerate(keys):
            grid.addWidget(tiles[key], r, c)
    return grid


def _column(*panels: QWidget) -> QVBoxLayout:
    box = QVBoxLayout()
    box.setContentsMargins(0, 0, 0, 0)
    for panel in panels:
        box.addWidget(panel)
    return box


def _percent(share: float | None) -> str:
    return "–" if share is None else f"{share * 100:.1f}%"


def _rate_tone(share: float | None, good: float, bad: float) -> str:
    if share is None:
        return ""
    return "good" if share >= good else ("alarm" if share < bad else "warn")


def _geojson_bounds(geojson: str) -> tuple[float, float, float, float]:
    shapes = [shapely.geometry.shape(f["geometry"]) for f in json.loads(geojson)["features"]]
    return tuple(shapely.union_all(shapes).bounds)


def _stylesheet(unit: float) -> str:
    def px(size: float) -> str:
        return f"{max(1, round(size * unit))}px"

    return f"""
    QWidget#wall {{ background: {BACKGROUND}; color: {TEXT}; font-family: "WenQuanYi Micro Hei"; }}
    QLabel {{ color: {TEXT}; background: transparent; }}
    QLabel#wallTitle {{ font-size: {px(34)}; font-weight: bold; color: {TEXT}; letter-spacing: {px(2)}; }}
    QLabel#wallScene {{ font-size: {px(26)}; color: {ACCENT}; }}
    QLabel#wallTime {{ font-size: {px(26)}; color: {MUTED}; }}
    QFrame#wallPanel {{ background: {PANEL}; border: {px(1)} solid {PANEL_EDGE}; border-radius: {px(6)}; }}
    QLabel#wallPanelTitle {{ font-size: {px(20)}; font-weight: bold; color: {MUTED}; }}
    QFrame#wallTile {{ background: #141e29; border-radius: {px(5)}; }}
    QLabel#wallTileName {{ font-size: {px(18)}; color: {MUTED}; }}
    QLabel#wallTileValue {{ font-size: {px(44)}; font-weight: bold; color: {TEXT}; }}
    QLabel#wallTileBigValue {{ font-size: {px(60)}; font-weight: bold; color: {TEXT}; }}
    QLabel#wallTileValue[tone="good"], QLabel#wallTileBigValue[tone="good"] {{ color: {GOOD}; }}
    QLabel#wallTileValue[tone="warn"], QLabel#wallTileBigValue[tone="warn"] {{ color: {WARN}; }}
    QLabel#wallTileValue[tone="alarm"], QLabel#wallTileBigValue[tone="alarm"] {{ color: {ALARM}; }}
    QLabel#wallTileNote {{ font-size: {px(15)}; color: {MUTED}; }}
    QLabel#wallBigNumber {{ font-size: {px(36)}; font-weight: bold; color: {ACCENT}; }}
    QLabel#wallSerious {{ font-size: {px(22)}; font-weight: bold; color: {ALARM}; }}
    QLabel#wallCampaign {{ font-size: {px(22)}; font-weight: bold; color: #ffd166; }}
    QLabel#wallNote {{ font-size: {px(18)}; color: {TEXT}; }}
    """


# ------------------------------------------------------------------------------ running it

def run_wall(store: Store, language: str, screen: int | None = None, resolution: QSize | None = None,
             carousel_s: float = 0, indicator: str = "open", feed: PositionFeed | None = None,
             credentials: tuple[str, str] | None = None) -> int:
    """Sign in (on a store with users: unattended with `credentials`, else the dialog), then show the
    wall full screen (on `screen`, or at `resolution` for a tiled video wall) until closed."""
    import socket

    from console.commands import NOT_ALLOWED
    from console.signin import sign_in_for
    from console.videowall import place_on_screen

    app = application(language)
    if sign_in_for(store, socket.gethostname(), QCoreApplication.translate("WallWindow", "Situation wall"),
                   "ticket.read", credentials) is None:
        return NOT_ALLOWED
    window = WallWindow(store, carousel_s=carousel_s, indicator=indicator, feed=feed)
    try:
        if screen is not None:
            try:
                place_on_screen(window, screen)
            except ValueError as err:
                raise WallError(str(err)) from None
        if resolution is not None:
            window.setGeometry(window.geometry().x(), window.geometry().y(), resolution.width(), resolution.height())
            window.show()
        else:
            window.showFullScreen()
        return app.exec()
    finally:
        dispose(window)


def take_wall_screenshot(store: Store, out: Path, size: QSize, language: str, timeout_s: float = 60.0,
                         scene: str = "city", clock: Clock | None = None) -> None:
    """Render the wall headless once the map, the figures, the coverage and (if any) the video have
    arrived; save a PNG."""
    application(language, headless=True)
    window = WallWindow(store, clock=clock)
    try:
        deadline = headless.show_for_render(window, size, timeout_s)
        if not window._ready:
            headless.wait_for(window.ready, window, deadline, f"the wall was not ready within {timeout_s:g} s",
                              WallError, "the wall could not be loaded")
        keys = [s.key for s in window.scenes]
        if scene not in keys:
            raise WallError(f"no {scene!r} scene on this store; scenes: {', '.join(keys)}")
        window.show_scene(keys.index(scene))
        _settle(window, deadline)
        headless.save_frame(window, out, WallError)
    finally:
        dispose(window)


def _settle(window: WallWindow, deadline: float) -> None:
    """Let the slow parts arrive: the coverage overlay and the first video frames (a few seconds)."""
    def coverage_shown() -> bool:
        results: list = []
        window.map.page().runJavaScript("JSON.stringify(gridsightMap.extraOverlayTitles())", 0, results.append)
        headless.spin(lambda: bool(results), min(deadline, time.monotonic() + 2))
        return bool(results) and "coverage" in json.loads(results[0] or "{}")

    def video_shown() -> bool:
        return window.video is None or all(
            tile.worker is None or tile.frames_shown > 0 or getattr(tile.status, "name", "") == "OFFLINE"
            for tile in window.video.visible_tiles)

    stop = min(deadline, time.monotonic() + 20)
    while time.monotonic() < stop and not (coverage_shown() and video_shown()):
        headless.spin(lambda: False, time.monotonic() + 0.25)
    headless.spin(lambda: False, time.monotonic() + 0.5)  # the last frames reach the widgets
