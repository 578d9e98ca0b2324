"""The big-screen wall's building blocks: figure tiles, bar lists and Qt Charts, all sized from
one unit (a pixel of a 1080-line screen) so that the same layout reads at 1080p, 4K and on a
tiled 7680×2160 wall.

Every widget takes new values in place (labels' text, chart points) and repaints only what
changed: the wall refreshes every few seconds and must never flicker or rebuild itself.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from PySide6.QtCharts import (
    QBarCategoryAxis,
    QBarSeries,
    QBarSet,
    QCategoryAxis,
    QChart,
    QChartView,
    QLineSeries,
    QPieSeries,
    QValueAxis,
)
from PySide6.QtCore import QMargins, QPointF, QRectF, QSize, Qt
from PySide6.QtGui import QColor, QFont, QPainter, QPen
from PySide6.QtWidgets import QFrame, QLabel, QSizePolicy, QVBoxLayout, QWidget

# The wall's palette: near-black, so that the map and the few warning colours carry the eye.
BACKGROUND = "#070b10"
PANEL = "#0f161e"
PANEL_EDGE = "#1e2a36"
TEXT = "#e9f1f7"
MUTED = "#8fa1b3"
ACCENT = "#35d0ff"
GOOD = "#3ddc84"
WARN = "#ffb020"
ALARM = "#ff4d4f"
GRID_LINE = "#243241"
FONT_FAMILY = "WenQuanYi Micro Hei"
TONE_COLOURS = {"": ACCENT, "warn": WARN, "alarm": ALARM, "good": GOOD}
BASE_LINES = 1080  # the screen height a unit of 1 px is designed for
TREND_DAYS = 30


def unit_for(height: int) -> float:
    """Pixels per design pixel: the window's height over 1080, never below 0.6 (tests' small windows)."""
    return max(0.6, height / BASE_LINES)


def font(unit: float, size: float, bold: bool = False) -> QFont:
    result = QFont(FONT_FAMILY)
    result.setPixelSize(max(8, round(size * unit)))
    result.setBold(bold)
    return result


class Panel(QFrame):
    """A titled box of the wall."""

    def __init__(self, title: str, parent: QWidget | None = None):
        super().__init__(parent)
        self.setObjectName("wallPanel")
        self.title = QLabel(title, objectName="wallPanelTitle")
        self.body = QVBoxLayout(self)
        self.body.addWidget(self.title)

    def rescale(self, unit: float) -> None:
        margin = round(12 * unit)
        self.body.setContentsMargins(margin, round(8 * unit), margin, round(10 * unit))
        self.body.setSpacing(round(6 * unit))


class FigureTile(QFrame):
    """One figure in large type with its name above and a note below; the colour says good or bad."""

    def __init__(self, name: str, parent: QWidget | None = None, big: bool = False):
        super().__init__(parent)
        self.setObjectName("wallTile")
        self.name = QLabel(name, objectName="wallTileName")
        self.value = QLabel("–", objectName="wallTileBigValue" if big else "wallTileValue")
        self.note = QLabel("", objectName="wallTileNote")
        for label in (self.name, self.value, self.note):
            label.setAlignment(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter)
        self._box = QVBoxLayout(self)
        self._box.setSpacing(0)
        for label in (self.name, self.value, self.note):
            self._box.addWidget(label)
        self._tone = ""

    def show_value(self, value: str, note: str = "", tone: str = "") -> None:
        """Set the figure; unchanged text is not touched (no repaint, no flicker)."""
        if self.value.text() != value:
            self.value.setText(value)
        if self.note.text() != note:
            self.note.setText(note)
        if tone != self._tone:  # the stylesheet picks the colour by this property
            self._tone = tone
            self.value.setProperty("tone", tone)
            self.value.style().unpolish(self.value)
            self.value.style().polish(self.value)

    @property
    def tone(self) -> str:
        return self._tone

    def rescale(self, unit: float) -> None:
        self._box.setContentsMargins(round(12 * unit), round(6 * unit), round(12 * unit), round(6 * unit))


@dataclass(frozen=True)
class Bar:
    label: str
    value: float
    text: str  # the value as shown
    tone: str = ""  # "", "warn" or "alarm"
    rank: str = ""  # a leading number (rankings)


class BarList(QWidget):
    """Rows of name, value and a proportional bar, painted in one pass (crisp at any size)."""

    def __init__(self, max_rows: int, parent: QWidget | None = None):
        super().__init__(parent)
        self.max_rows = max_rows
        self.bars: list[Bar] = []
        self.unit = 1.0
        self.empty_text = ""
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Preferred)

    def set_bars(self, bars: list[Bar]) -> None:
        bars = bars[:self.max_rows]
        if bars != self.bars:
            self.bars = bars
            self.update()

    def row_height(self) -> float:
        return 28 * self.unit

    def rescale(self, unit: float) -> None:
        self.unit = unit
        self.setMinimumHeight(round(self.row_height() * self.max_rows))
        self.updateGeometry()
        self.update()

    def sizeHint(self) -> QSize:
        return QSize(round(300 * self.unit), round(self.row_height() * self.max_rows))

    def texts(self) -> list[str]:
        """Everything the list shows, as text (for tests and screen readers)."""
        return [part for bar in self.bars for part in (bar.rank, bar.label, bar.text) if part] + (
            [self.empty_text] if not self.bars and self.empty_text else [])

    def paintEvent(self, event) -> None:
        painter = QPainter(self)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        unit, width, row = self.unit, self.width(), self.row_height()
        painter.setFont(font(unit, 18))
        metrics = painter.fontMetrics()
        if not self.bars:
            painter.setPen(QColor(MUTED))
            painter.drawText(QRectF(0, 0, width, row), Qt.AlignmentFlag.AlignVCenter, self.empty_text)
            return
        top = max((bar.value for bar in self.bars), default=0) or 1
        gap = 10 * unit
        rank_w = max((metrics.horizontalAdvance(bar.rank) for bar in self.bars), default=0)
        rank_w = rank_w + gap if rank_w else 0
        value_w = min(width * 0.5, max(metrics.horizontalAdvance(bar.text) for bar in self.bars) + gap)
        label_w = min(width * 0.45, max(metrics.horizontalAdvance(bar.label) for bar in self.bars) + gap)
        bar_x = rank_w + label_w
        bar_w = max(0.0, width - bar_x - value_w)
        for k, bar in enumerate(self.bars):
            y = k * row
            colour = QColor(TONE_COLOURS.get(bar.tone, ACCENT))
            if bar.rank:
                painter.setPen(QColor(MUTED))
                painter.drawText(QRectF(0, y, rank_w, row), Qt.AlignmentFlag.AlignVCenter, bar.rank)
            painter.setPen(QColor(TEXT))
            name = metrics.elidedText(bar.label, Qt.TextElideMode.ElideRight, math.ceil(label_w - gap) + 1)
            painter.drawText(QRectF(rank_w, y, label_w, row), Qt.AlignmentFlag.AlignVCenter, name)
            if bar_w > 0:
                length = bar_w * max(0.0, bar.value) / top
                painter.setPen(Qt.PenStyle.NoPen)
                painter.setBrush(QColor(PANEL_EDGE))
                painter.drawRoundedRect(QRectF(bar_x, y + row * 0.3, bar_w, row * 0.4), 3 * unit, 3 * unit)
                painter.setBrush(colour)
                painter.drawRoundedRect(QRectF(bar_x, y + row * 0.3, max(length, 2 * unit), row * 0.4),
                                        3 * unit, 3 * unit)
            painter.setPen(colour if bar.tone else QColor(TEXT))
            painter.drawText(QRectF(width - value_w, y, value_w, row),
                             Qt.AlignmentFlag.AlignVCenter | Qt.AlignmentFlag.AlignRight, bar.text)


class WallChart(QChartView):
    """A Qt Chart in the wall's dark scheme, with fonts that follow the wall's unit."""

    def __init__(self, parent: QWidget | None = None):
        chart = QChart()
        chart.setBackgroundVisible(False)
        chart.setPlotAreaBackgroundVisible(False)
        chart.legend().setLabelColor(QColor(MUTED))
        chart.legend().setAlignment(Qt.AlignmentFlag.AlignTop)
        chart.setAnimationOptions(QChart.AnimationOption.NoAnimation)  # new values must not wobble
        super().__init__(chart, parent)
        self.setRenderHint(QPainter.RenderHint.Antialiasing)
        self.setStyleSheet("background: transparent; border: none;")
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)
        self.unit = 1.0

    def _bar_axes(self, bars: QBarSeries, count: int) -> QCategoryAxis:
        """The x axes of `count` bars: a hidden one that places the bars, and a labelled one over the
        same range that names only some of them (bar axes elide labels that do not fit one bar)."""
        places = QBarCategoryAxis()
        places.append([str(k) for k in range(count)])
        places.setVisible(False)
        self.chart().addAxis(places, Qt.AlignmentFlag.AlignBottom)
        bars.attachAxis(places)
        labels = QCategoryAxis()
        labels.setLabelsPosition(QCategoryAxis.AxisLabelsPosition.AxisLabelsPositionOnValue)
        labels.setRange(-0.5, count - 0.5)
        labels.setGridLineVisible(False)
        self.chart().addAxis(labels, Qt.AlignmentFlag.AlignBottom)
        return labels

    @staticmethod
    def _set_labels(axis: QCategoryAxis, labels: dict[int, str]) -> None:
        if [axis.endValue(name) for name in axis.categoriesLabels()] == list(labels) and \
                axis.categoriesLabels() == list(labels.values()):
            return
        for name in axis.categoriesLabels():
            axis.remove(name)
        for position, name in labels.items():
            axis.append(name, position)
        axis.setRange(axis.min(), axis.max())

    def _style_axis(self, axis) -> None:
        axis.setLabelsColor(QColor(MUTED))
        axis.setGridLineColor(QColor(GRID_LINE))
        axis.setLinePen(QPen(QColor(GRID_LINE)))
        axis.setLabelsFont(font(self.unit, 14))

    def rescale(self, unit: float) -> None:
        self.unit = unit
        chart = self.chart()
        chart.legend().setFont(font(unit, 15))
        chart.legend().setMarkerShape(chart.legend().MarkerShape.MarkerShapeRectangle)
        chart.setMargins(QMargins(*(round(4 * unit),) * 4))
        for axis in chart.axes():
            self._style_axis(axis)

    def texts(self) -> list[str]:
        chart = self.chart()
        found = [chart.title()]
        for axis in chart.axes():
            found.append(axis.titleText())
            if isinstance(axis, QCategoryAxis):
                found += axis.categoriesLabels()
        for series in chart.series():
            found.append(series.name())
            if isinstance(series, QPieSeries):
                found += [piece.label() for piece in series.slices()]
            if isinstance(series, QBarSeries):
                found += [bar_set.label() for bar_set in series.barSets()]
        return [text for text in found if text]


def _nice_top(value: float) -> float:
    """A round axis maximum at or above `value` (1, 2, 5 × 10^n)."""
    if value <= 0:
        return 1.0
    power = 10 ** math.floor(math.log10(value))
    return next(step * power for step in (1, 2, 2.5, 5, 10) if step * power >= value)


class HourChart(WallChart):
    """Tickets per hour of the day: the last 24 hours as bars, the usual day as a line."""

    def __init__(self, recent_name: str, usual_name: str, parent: QWidget | None = None):
        super().__init__(parent)
        chart = self.chart()
        self.recent = QBarSet(recent_name)
        self.recent.setColor(QColor(ACCENT))
        self.recent.setBorderColor(QColor(ACCENT))
        self.recent.append([0] * 24)
        bars = QBarSeries()
        bars.setBarWidth(0.7)
        bars.append(self.recent)
        self.usual = QLineSeries(name=usual_name)
        self.usual.setPen(QPen(QColor(WARN), 2.5))
        self.usual.replace([QPointF(h, 0) for h in range(24)])
        chart.addSeries(bars)
        chart.addSeries(self.usual)
        self.hours = self._bar_axes(bars, 24)
        self._set_labels(self.hours, {h: f"{h}:00" for h in range(0, 24, 6)})
        self.counts = QValueAxis()
        self.counts.setLabelFormat("%d")
        self.counts.setTickCount(3)
        chart.addAxis(self.counts, Qt.AlignmentFlag.AlignLeft)
        bars.attachAxis(self.counts)
        self.usual.attachAxis(self.hours)
        self.usual.attachAxis(self.counts)
        self._shown: tuple = ()

    def show_hours(self, recent: list[int], usual: list[float]) -> None:
        if (tuple(recent), tuple(usual)) == self._shown:
            return
        self._shown = (tuple(recent), tuple(usual))
        for hour, count in enumerate(recent):
            self.recent.replace(hour, count)
        self.usual.replace([QPointF(hour, value) for hour, value in enumerate(usual)])
        self.counts.setRange(0, _nice_top(max([*recent, *usual, 1])))

    def rescale(self, unit: float) -> None:
        super().rescale(unit)
        self.usual.setPen(QPen(QColor(WARN), 2.5 * unit))


class TrendChart(WallChart):
    """The last 30 days: tickets per day as bars, the on-time rate as a line on its own axis."""

    def __init__(self, tickets_name: str, on_time_name: str, parent: QWidget | None = None):
        super().__init__(parent)
        chart = self.chart()
        self.tickets = QBarSet(tickets_name)
        self.tickets.setColor(QColor("#2b7bb9"))
        self.tickets.setBorderColor(QColor("#2b7bb9"))
        self.bars = QBarSeries()
        self.bars.setBarWidth(0.75)
        self.bars.append(self.tickets)
        self.on_time = QLineSeries(name=on_time_name)
        self.on_time.setPen(QPen(QColor(GOOD), 2.5))
        chart.addSeries(self.bars)
        chart.addSeries(self.on_time)
        self.days = self._bar_axes(self.bars, TREND_DAYS)
        self.counts = QValueAxis()
        self.counts.setLabelFormat("%d")
        self.counts.setTickCount(3)
        self.rate = QValueAxis()
        self.rate.setRange(0, 100)
        self.rate.setLabelFormat("%d%%")
        self.rate.setTickCount(3)
        chart.addAxis(self.counts, Qt.AlignmentFlag.AlignLeft)
        chart.addAxis(self.rate, Qt.AlignmentFlag.AlignRight)
        self.bars.attachAxis(self.counts)
        self.on_time.attachAxis(self.days)
        self.on_time.attachAxis(self.rate)
        self._shown: tuple = ()

    def show_days(self, days: list[str], tickets: list[int], on_time: list[float | None]) -> None:
        """TREND_DAYS days, oldest first (a weekly label, today's last); `on_time` as shares (None:
        nothing closed that day)."""
        shown = (tuple(days), tuple(tickets), tuple(on_time))
        if shown == self._shown:
            return
        last = len(days) - 1
        self._set_labels(self.days, {k: day for k, day in enumerate(days) if (last - k) % 7 == 0})
        if self.tickets.count() != len(tickets):
            self.tickets.remove(0, self.tickets.count())
            self.tickets.append([float(t) for t in tickets])
        else:
            for k, count in enumerate(tickets):
                self.tickets.replace(k, count)
        self.on_time.replace([QPointF(k, 100 * rate) for k, rate in enumerate(on_time)
                              if rate is not None and not math.isnan(rate)])
        self.counts.setRange(0, _nice_top(max([*tickets, 1])))
        self._shown = shown

    def rescale(self, unit: float) -> None:
        super().rescale(unit)
        self.on_time.setPen(QPen(QColor(GOOD), 2.5 * unit))


class DonutChart(WallChart):
    """Shares of a whole (dispute mediation outcomes) as a ring with the labels beside it."""

    def __init__(self, colours: dict[str, str], parent: QWidget | None = None):
        super().__init__(parent)
        self.pie = QPieSeries()
        self.pie.setHoleSize(0.55)
        self.pie.setPieSize(0.9)
        self.chart().addSeries(self.pie)
        self.chart().legend().setAlignment(Qt.AlignmentFlag.AlignRight)
        self._slices = {}
        for key, colour in colours.items():
            piece = self.pie.append(key, 0)
            piece.setColor(QColor(colour))
            piece.setBorderColor(QColor(PANEL))
            self._slices[key] = piece
        self._shown: tuple = ()

    def show_shares(self, values: dict[str, int], labels: dict[str, str]) -> None:
        shown = tuple((key, values.get(key, 0), labels[key]) for key in self._slices)
        if shown == self._shown:
            return
        self._shown = shown
        for key, value, text in shown:
            self._slices[key].setValue(value)
            self._slices[key].setLabel(text)
