"""The figures of the leaders' big-screen wall, as plain functions over the store.

Each answers one question a leader asks from across the room (how many came in, how
many are late, how fast the centre responds, where trouble concentrates) with a few
grouped SQL queries that read indexes, not tables: incidents.reported_at for recent
windows, the covering ticket-statistics indexes (data.schema TICKET_STATS_INDEXES, via
data.workflow.stats) for longer ones, tickets.state for what is open. On a city's
million tickets the whole set takes about a second on a worker thread; a refresh
recomputes the recent figures (a fifth of that) and the 30-day ones once a minute.

Nothing here returns personal data: names, ID numbers, descriptions and addresses are
never read, phone numbers only counted (repeat callers), and incidents of sensitive
categories are placed at their grid's centre, not where they happened.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass, field
from datetime import datetime, timedelta

import numpy as np
import pandas as pd
import shapely

from data.schema import LAYERS
from data.workflow import states as st
from data.workflow.clock import BEIJING, Clock, iso, parse_iso, utc_now
from data.workflow.stats import count_if, ticket_day, ticket_stats

RECENT_HOURS = 24  # "today" on the wall: the last 24 hours, so that it is never blank after midnight
TREND_DAYS = 30
HEAT_DAYS = 7
SATISFIED_RATING = 4  # ratings at or above this count as satisfied (满意)
SERIOUS_PRIORITY = 1
# Categories whose exact place would point at a person (a family dispute, a lone elderly person,
# legal trouble): on the wall they show at their grid's centre.
SENSITIVE_CATEGORIES = frozenset({"dispute", "help_request", "legal_aid"})
# A store whose newest ticket is older than this is a recorded history (the demo city): its
# wall runs on the history's own clock rather than today's date.
HISTORY_GAP = timedelta(days=1)
_DISPATCH_STATES = (st.DISPATCHED, st.TRANSFERRED)
_OPEN_MARKS = ", ".join(f"'{s}'" for s in st.OPEN)


def history_clock(store, real: Clock = utc_now) -> Clock:
    """The wall's clock: real time, or for a store whose history ended in the past (the demo
    city, a replayed archive) time running on from its newest ticket, so "today" has tickets."""
    newest = store.query("SELECT max(reported_at) FROM incidents")[0][0]
    started = real()
    if newest is None or started - parse_iso(newest) < HISTORY_GAP:
        return real
    offset = started - parse_iso(newest)
    return lambda: real() - offset


# ------------------------------------------------------------------------------ the territory

@dataclass(frozen=True)
class Territory:
    """The grids as the wall names and aggregates them: one row per grid code (no shapes)."""

    # index code; name, level, parent_code, households, lon/lat (a point inside), west/south/east/north
    grids: pd.DataFrame

    def ancestor(self, codes: pd.Series, level: int) -> pd.Series:
        """Each grid's enclosing grid at `level` (itself if at that level; None if shallower)."""
        parents = self.grids["parent_code"]
        levels = self.grids["level"]
        current = codes.astype(object)
        for _ in range(int(levels.max()) if len(levels) else 0):
            deeper = current.map(levels).fillna(-1) > level
            if not deeper.any():
                break
            current = current.where(~deeper, current.map(parents))
        return current.where(current.map(levels) == level)

    def names(self, codes) -> list[str]:
        return [str(self.grids["name"].get(code, code)) for code in codes]


def read_territory(store) -> Territory:
    grids = store.read_layer("grids")
    inside = shapely.point_on_surface(grids.geometry.values)
    bounds = shapely.bounds(grids.geometry.values)
    frame = pd.DataFrame({
        "name": grids["name"].to_numpy(), "level": grids["level"].to_numpy(),
        "parent_code": grids["parent_code"].to_numpy(), "households": grids["households"].to_numpy(),
        "lon": shapely.get_x(inside), "lat": shapely.get_y(inside),
        "west": bounds[:, 0], "south": bounds[:, 1], "east": bounds[:, 2], "north": bounds[:, 3],
    }, index=pd.Index(grids["code"].to_numpy(), name="code"))
    return Territory(frame)


def generalise(frame: pd.DataFrame, territory: Territory) -> pd.DataFrame:
    """lon/lat of sensitive-category incidents moved to their grid's inner point (NaN, so left
    off the map, when their grid is unknown)."""
    frame = frame.copy()
    sensitive = frame["category"].isin(SENSITIVE_CATEGORIES).to_numpy()
    for axis in ("lon", "lat"):
        centre = frame["grid_code"].map(territory.grids[axis]).to_numpy(dtype=float, na_value=np.nan)
        frame[axis] = np.where(sensitive, centre, frame[axis].to_numpy(dtype=float))
    return frame


WAITING_STATES = (st.RECEIVED, st.REGISTERED, st.RETURNED, st.REOPENED)


def needs_attention(frame: pd.DataFrame, now: datetime) -> pd.Series:
    """Which open tickets (rows with state, deadline, priority, escalation_level) a leader must
    see: past the deadline, escalated, still waiting to be dispatched, or of the top priority.
    The rest are in hand; the dispatcher's queue has them all."""
    open_ = ~frame["state"].isin(st.FINISHED)
    late = frame["deadline"].notna() & (frame["deadline"].astype(str) < iso(now))
    escalated = (frame["state"] == st.ESCALATED) | (frame["escalation_level"].fillna(0) > 0)
    waiting = frame["state"].isin(WAITING_STATES)
    return open_ & (late | escalated | waiting | (frame["priority"] <= SERIOUS_PRIORITY))


# ------------------------------------------------------------------------------------ windows

def beijing_day(moment: datetime) -> str:
    return moment.astimezone(BEIJING).strftime("%Y-%m-%d")


def _since(now: datetime, hours: float) -> str:
    return iso(now - timedelta(hours=hours))


def _first_trend_day(now: datetime, days: int) -> datetime:
    """Beijing midnight starting the `days`-day window that ends with today."""
    local = now.astimezone(BEIJING)
    return local.replace(hour=0, minute=0, second=0, microsecond=0) - timedelta(days=days - 1)


# ---------------------------------------------------------------------------------- the KPIs

def intake_by_channel(store, now: datetime, hours: float = RECENT_HOURS) -> dict[str, int]:
    """Tickets received in the last `hours`, per intake channel (later reports count too)."""
    # Unindexed channel: group after reading the window through the reported_at index; grouping by
    # the bare column makes SQLite walk the channel index over every incident ever (1.5 s on a city).
    rows = store.query(f"SELECT channel, count(*) FROM incidents WHERE reported_at >= ? "
                       f"GROUP BY {store.dialect.unindexed('channel')} ORDER BY count(*) DESC, channel",
                       (_since(now, hours),))
    return {channel: count for channel, count in rows}


def situation_now(store, now: datetime) -> dict[str, int]:
    """Open tickets, those past their deadline, escalated ones, and those waiting to be dispatched."""
    waiting = ", ".join(f"'{s}'" for s in WAITING_STATES)
    row = store.query(
        f"SELECT count(*), coalesce({count_if('deadline < ?')}, 0), "
        f"coalesce({count_if(f'state = {st.ESCALATED!r} OR coalesce(escalation_level, 0) > 0')}, 0), "
        f"coalesce({count_if(f'state IN ({waiting})')}, 0) FROM tickets WHERE state IN ({_OPEN_MARKS})",
        (iso(now),))[0]
    return dict(zip(("open", "overdue", "escalated", "waiting"), row))


def response_times(store, now: datetime, hours: float = RECENT_HOURS) -> dict:
    """Mean minutes from receipt to dispatch and from dispatch to arrival on site, over the
    tickets received in the last `hours` that got that far (from ticket_timeline)."""
    dispatch = ", ".join(f"'{s}'" for s in _DISPATCH_STATES)
    julian = store.dialect.julian_days
    dispatched = julian(f"min(CASE WHEN state IN ({dispatch}) THEN at END)")
    row = store.query(
        "SELECT avg(dispatch), count(dispatch), avg(arrival), count(arrival) FROM ("
        f" SELECT ({dispatched} - {julian(f'min(CASE WHEN state = {st.RECEIVED!r} THEN at END)')}) * 1440"
        f"        AS dispatch,"
        f"        ({julian(f'min(CASE WHEN state = {st.ON_SITE!r} THEN at END)')} - {dispatched}) * 1440 AS arrival"
        " FROM ticket_timeline WHERE ticket_id IN (SELECT ticket_id FROM incidents WHERE reported_at >= ?)"
        " GROUP BY ticket_id) AS times", (_since(now, hours),))[0]
    return {"dispatch_minutes": row[0], "dispatched": row[1], "arrival_minutes": row[2], "arrived": row[3]}


def daily_trend(store, now: datetime, days: int = TREND_DAYS) -> pd.DataFrame:
    """One row per Beijing day of the last `days` (today last, empty days as zero): tickets,
    open, overdue, closed, on-time rate and mean rating, from data.workflow.stats."""
    first = _first_trend_day(now, days)
    rows = ticket_stats(store, now, by="day", since=first)
    frame = pd.DataFrame(rows, columns=["day", "tickets", "open", "overdue", "closed", "on_time_rate", "rated",
                                        "satisfaction"]).set_index("day")
    calendar = [beijing_day(first + timedelta(days=d)) for d in range(days)]
    frame = frame.reindex(calendar)
    counts = ["tickets", "open", "overdue", "closed", "rated"]
    frame[counts] = frame[counts].fillna(0).astype(int)
    return frame.rename_axis("day").reset_index()


def service_quality(store, now: datetime, days: int = TREND_DAYS) -> dict:
    """Over the tickets received in the last `days`: the on-time rate (closed by the deadline),
    the on-site resolution rate (resolved by the grid or centre, not handed to a department),
    the satisfied share of ratings and the mean rating."""
    since = beijing_day(_first_trend_day(now, days))
    finished = ", ".join(f"'{s}'" for s in (st.RESOLVED, st.CLOSED))
    closed, on_time, resolved, on_site, rated, satisfied, mean = store.query(
        f"SELECT {count_if('closed_at IS NOT NULL')}, {count_if('closed_at IS NOT NULL AND closed_at <= deadline')}, "
        f"{count_if(f'state IN ({finished})')}, {count_if(f'state IN ({finished}) AND department IS NULL')}, "
        f"count(rating), {count_if(f'rating >= {SATISFIED_RATING}')}, avg(rating) "
        f"FROM tickets WHERE {ticket_day(store)} >= ?", (since,))[0]
    return {
        "on_time_rate": on_time / closed if closed else None,
        "on_site_rate": on_site / resolved if resolved else None,
        "satisfied_rate": satisfied / rated if rated else None,
        "mean_rating": mean,
        "closed": closed or 0, "resolved": resolved or 0, "rated": rated or 0,
    }


def repeat_cases(store, now: datetime, days: int = TREND_DAYS) -> dict[str, int]:
    """Duplicates flagged or merged, and reporters who called about more than one ticket, in the last `days`."""
    since = beijing_day(_first_trend_day(now, days))
    duplicates, merged = store.query(
        f"SELECT coalesce({count_if('duplicate_of IS NOT NULL')}, 0), "
        f"coalesce({count_if(f'state = {st.MERGED!r}')}, 0) "
        f"FROM tickets WHERE {ticket_day(store)} >= ?", (since,))[0]
    repeat_reporters = store.query(
        f"SELECT count(*) FROM (SELECT reporter_phone FROM tickets WHERE {ticket_day(store)} >= ? "
        "AND reporter_phone IS NOT NULL GROUP BY reporter_phone HAVING count(*) > 1) AS repeats", (since,))[0][0]
    return {"duplicates": duplicates, "merged": merged, "repeat_reporters": repeat_reporters}


def intake_by_hour(store, now: datetime, days: int = TREND_DAYS) -> pd.DataFrame:
    """Per Beijing hour of the day (0-23): tickets of the last 24 hours, and the mean per day
    over the `days` before them (the usual rhythm to compare with)."""
    recent_start = now - timedelta(hours=RECENT_HOURS)
    hour = store.dialect.hour("reported_at")
    recent = dict(store.query(f"SELECT {hour}, count(*) FROM incidents WHERE reported_at >= ? GROUP BY 1",
                              (iso(recent_start),)))
    usual = dict(store.query(
        f"SELECT {hour}, count(*) FROM incidents WHERE reported_at >= ? AND reported_at < ? GROUP BY 1",
        (iso(recent_start - timedelta(days=days)), iso(recent_start))))
    hours = range(24)
    return pd.DataFrame({"hour": list(hours), "recent": [recent.get(h, 0) for h in hours],
                         "usual": [usual.get(h, 0) / days for h in hours]})


# The columns of grid_indicators: what the wall's grid fill can show.
GRID_INDICATORS = ("open", "per_1000_households", "overdue_rate", "satisfaction")


def grid_window(store, now: datetime, days: int = TREND_DAYS) -> pd.DataFrame:
    """data.workflow.stats per finest grid over the last `days` (index code): what the grid fill
    and the ranking share, read once per refresh of the slow figures."""
    rows = ticket_stats(store, now, by="grid", since=_first_trend_day(now, days))
    columns = ["grid", "tickets", "open", "overdue", "closed", "on_time_rate", "rated", "satisfaction"]
    return pd.DataFrame(rows, columns=columns).rename(columns={"grid": "code"}).set_index("code")


def open_by_grid(store, now: datetime) -> pd.DataFrame:
    """Open and overdue tickets now per finest grid (index code), through the state index."""
    rows = store.query(
        f"SELECT grid_code, count(*), {count_if('deadline < ?')} FROM tickets WHERE state IN ({_OPEN_MARKS}) "
        "AND grid_code IS NOT NULL GROUP BY grid_code", (iso(now),))
    return pd.DataFrame(rows, columns=["code", "open", "overdue"]).set_index("code")


def grid_indicators(store, now: datetime, territory: Territory, level: int | None = None,
                    days: int = TREND_DAYS, window: pd.DataFrame | None = None) -> pd.DataFrame:
    """Per grid (of `level`; None: the finest): open tickets now, tickets per 1,000 households
    and mean rating over the last `days`, and the overdue share of the open tickets.
    `window`: grid_window() already read for the same days."""
    window = grid_window(store, now, days) if window is None else window
    stats = pd.DataFrame({"tickets": window["tickets"], "rated": window["rated"],
                          "rating_sum": window["satisfaction"].astype(float).fillna(0) * window["rated"]})
    frame = open_by_grid(store, now).join(stats, how="outer").reset_index()
    grids = territory.grids
    finest = int(grids["level"].max()) if len(grids) else 0
    if level is not None and level != finest:
        frame["code"] = territory.ancestor(frame["code"], level).to_numpy()
        frame = frame.dropna(subset=["code"])
    sums = frame.groupby("code")[["open", "overdue", "tickets", "rated", "rating_sum"]].sum(min_count=1).fillna(0)
    households = grids["households"].reindex(sums.index).astype(float)
    result = pd.DataFrame({
        "open": sums["open"].astype(int),
        "per_1000_households": np.where(households > 0, sums["tickets"] / households * 1000, np.nan),
        "overdue_rate": np.where(sums["open"] > 0, sums["overdue"] / sums["open"].where(sums["open"] > 0), np.nan),
        "satisfaction": np.where(sums["rated"] > 0, sums["rating_sum"] / sums["rated"].where(sums["rated"] > 0),
                                 np.nan),
    }, index=sums.index)
    return result.rename_axis("code")


def ranking(store, now: datetime, territory: Territory, level: int = 1, days: int = TREND_DAYS,
            limit: int = 10, window: pd.DataFrame | None = None) -> pd.DataFrame:
    """The grids of `level` that lag most: most overdue tickets now, then most tickets closed
    late over the last `days` (a count, so that a grid with two tickets does not top the list
    on a rate), then the lowest on-time rate. Columns code, name, open, overdue, closed, late,
    on_time_rate. `window`: grid_window() already read for the same days."""
    window = grid_window(store, now, days) if window is None else window
    # ticket_stats rounds the rate; the count it came from is a whole number.
    closed = pd.DataFrame({"closed": window["closed"],
                           "on_time": (window["on_time_rate"].astype(float).fillna(0) * window["closed"]).round()})
    frame = closed.join(open_by_grid(store, now), how="outer").fillna(0).reset_index()
    frame["code"] = territory.ancestor(frame["code"], level).to_numpy()
    sums = frame.dropna(subset=["code"]).groupby("code")[["open", "overdue", "closed", "on_time"]].sum()
    sums["late"] = sums["closed"] - sums["on_time"]
    sums["on_time_rate"] = np.where(sums["closed"] > 0, sums["on_time"] / sums["closed"].where(sums["closed"] > 0),
                                    np.nan)
    sums = sums.sort_values(["overdue", "late", "on_time_rate"], ascending=[False, False, True],
                            na_position="last", kind="stable").head(limit)
    return pd.DataFrame({
        "code": sums.index, "name": territory.names(sums.index), "open": sums["open"].astype(int).to_numpy(),
        "overdue": sums["overdue"].astype(int).to_numpy(), "closed": sums["closed"].astype(int).to_numpy(),
        "late": sums["late"].astype(int).to_numpy(), "on_time_rate": sums["on_time_rate"].to_numpy(),
    })


def mediation_outcomes(store, now: datetime, days: int = TREND_DAYS) -> dict[str, int]:
    """Disputes received in the last `days`: how many were mediated, referred, failed, or are still open."""
    since = beijing_day(_first_trend_day(now, days))
    rows = store.query(
        f"SELECT CASE WHEN state IN ({_OPEN_MARKS}) THEN 'open' ELSE coalesce(mediation_outcome, 'none') END, "
        f"count(*) FROM tickets WHERE category = 'dispute' AND {ticket_day(store)} >= ? GROUP BY 1", (since,))
    found = dict(rows)
    return {key: found.get(key, 0) for key in ("mediated", "referred", "failed", "open")}


# About 300 m: a city's week is a few thousand cells, whose summed weights show where it is busy;
# one point per incident would saturate the heat into one blanket at the whole-city view.
HEAT_CELL_DEG = 0.003
# Cells lighter than this share of the heaviest are left out: the heat draws every point at a
# minimum opacity, so thousands of cells with an incident or two would glow like the hotspots.
HEAT_MIN_SHARE = 0.05


def recent_incidents(store, now: datetime, territory: Territory, days: float = HEAT_DAYS,
                     cell_deg: float | None = HEAT_CELL_DEG) -> list[tuple[float, float, float]]:
    """(lon, lat, weight) for the heat map of the incidents of the last `days`, urgent ones
    weighing more, sensitive categories at their grid's centre. Incidents in the same
    `cell_deg` cell add up into one point at the cell's centre, and only cells of at least
    HEAT_MIN_SHARE of the heaviest are kept, so that the heat shows where incidents concentrate
    (None: one point per incident, all of them)."""
    frame = _incident_points(store, "reported_at >= ?", (_since(now, days * 24),))
    frame = generalise(frame, territory).dropna(subset=["lon", "lat"])
    if frame.empty:
        return []
    frame["weight"] = 1.0 + (4 - frame["priority"].clip(1, 4)) * 0.5  # priority 1 weighs 2.5, 4 weighs 1
    if cell_deg:
        frame["lon"] = (np.floor(frame["lon"] / cell_deg) + 0.5) * cell_deg
        frame["lat"] = (np.floor(frame["lat"] / cell_deg) + 0.5) * cell_deg
        frame = frame.groupby(["lon", "lat"], as_index=False, sort=False)["weight"].sum()
        frame = frame[frame["weight"] >= HEAT_MIN_SHARE * frame["weight"].max()]
    return list(zip(frame["lon"].round(6).tolist(), frame["lat"].round(6).tolist(),
                    frame["weight"].round(2).tolist()))


def latest_serious_incident(store, now: datetime, territory: Territory,
                            hours: float = RECENT_HOURS) -> dict | None:
    """The newest priority-1 incident of the last `hours`: what, where (grid), when and its
    state. `lon`/`lat` are generalised for sensitive categories; `camera_lon`/`camera_lat`
    are the real place, only to choose cameras that see it."""
    frame = _incident_points(store, f"reported_at >= ? AND priority <= {SERIOUS_PRIORITY}",
                             (_since(now, hours),), order="reported_at DESC, fid DESC LIMIT 1", with_state=True)
    if frame.empty:
        return None
    shown = generalise(frame, territory).iloc[0]
    row = frame.iloc[0]
    return {
        "ticket_id": row["ticket_id"], "category": row["category"], "priority": int(row["priority"]),
        "reported_at": row["reported_at"], "grid_code": row["grid_code"],
        "grid_name": territory.names([row["grid_code"]])[0] if row["grid_code"] else None,
        "state": row["state"],
        "lon": float(shown["lon"]), "lat": float(shown["lat"]),
        "camera_lon": float(row["lon"]), "camera_lat": float(row["lat"]),
    }


def _incident_points(store, where: str, params: tuple, order: str = "reported_at, fid",
                     with_state: bool = False) -> pd.DataFrame:
    state = "(SELECT state FROM tickets t WHERE t.ticket_id = incidents.ticket_id)" if with_state else "NULL"
    rows = store.query(
        f"SELECT fid, ticket_id, category, priority, reported_at, grid_code, {store.dialect.geometry('geom')}, "
        f"{state} "
        f"FROM incidents WHERE {where} ORDER BY {order}", params)
    frame = pd.DataFrame(rows, columns=["fid", "ticket_id", "category", "priority", "reported_at", "grid_code",
                                        "geom", "state"])
    points = store.dialect.decode_geometries(frame.pop("geom").to_numpy())
    placed = ~(shapely.is_missing(points) | shapely.is_empty(points))
    frame["lon"] = np.where(placed, shapely.get_x(points), np.nan)
    frame["lat"] = np.where(placed, shapely.get_y(points), np.nan)
    return frame.dropna(subset=["lon", "lat"])


def active_campaign(store, now: datetime) -> dict | None:
    """The special action running now (the latest started, if several), with its area as
    GeoJSON and its tickets so far: in the area, of its focus categories, since it started."""
    if "campaigns" not in LAYERS:
        return None
    at = iso(now)
    frame = store.read_layer("campaigns", where="starts_at <= ? AND ends_at > ?", params=(at, at))
    if frame.empty:
        return None
    campaign = frame.sort_values(["starts_at", "fid"]).iloc[-1]
    focus = [c.strip() for c in (campaign["focus"] or "").split(",") if c.strip()]
    area = campaign.geometry
    tickets = _tickets_in_area(store, area, campaign["starts_at"], focus)
    return {
        "campaign_id": campaign["campaign_id"], "name": campaign["name"], "focus": focus,
        "starts_at": campaign["starts_at"], "ends_at": campaign["ends_at"],
        "days_left": max(0, (parse_iso(campaign["ends_at"]) - now).days),
        "geojson": json.dumps({"type": "FeatureCollection", "features": [{
            "type": "Feature", "geometry": shapely.geometry.mapping(area),
            "properties": {"name": campaign["name"]}}]}, ensure_ascii=False),
        **tickets,
    }


def _tickets_in_area(store, area, since: str, categories: list[str]) -> dict[str, int]:
    if area is None or area.is_empty:
        return {"tickets": 0, "open": 0, "closed": 0}
    west, south, east, north = area.bounds
    where = f"reported_at >= ? AND {store.dialect.in_box('incidents', 'incidents')}"
    params: list = [since, west, south, east, north]
    if categories:
        where += f" AND category IN ({', '.join('?' * len(categories))})"
        params += categories
    frame = _incident_points(store, where, tuple(params), with_state=True)
    if frame.empty:
        return {"tickets": 0, "open": 0, "closed": 0}
    inside = shapely.contains_xy(area, frame["lon"].to_numpy(), frame["lat"].to_numpy())
    finished = frame["state"].isin(st.FINISHED).to_numpy()
    return {"tickets": int(inside.sum()), "open": int((inside & ~finished).sum()),
            "closed": int((inside & finished).sum())}


# ------------------------------------------------------------------------------- all at once

# Figures over the last 30 days barely move with one more ticket and take the longest (hundreds of
# ms on a city): a refresh recomputes them only when they are older than this.
SLOW_FIGURES_S = 60.0


@dataclass
class WallFigures:
    """Everything the wall shows at one moment."""

    now: datetime
    intake: dict[str, int]
    situation: dict[str, int]
    response: dict
    by_hour: pd.DataFrame
    serious: dict | None
    grid_values: dict[int | None, pd.DataFrame]  # grid_indicators() of the finest grids (None) and townships (1)
    ranking: pd.DataFrame
    # The slow figures (see SLOW_FIGURES_S), and when they were computed (time.monotonic()).
    quality: dict
    repeats: dict[str, int]
    trend: pd.DataFrame
    mediation: dict[str, int]
    campaign: dict | None
    heat: list[tuple]  # new incidents blink on the map meanwhile
    window: pd.DataFrame  # grid_window(), for the grid fill and the ranking
    slow_at: float
    ranking_level: int = 1  # the grid level `ranking` ranks
    timings_ms: dict[str, float] = field(default_factory=dict)


def wall_figures(store, now: datetime, territory: Territory, ranking_level: int = 1,
                 previous: WallFigures | None = None, slow_every_s: float = SLOW_FIGURES_S) -> WallFigures:
    """Every figure of the wall (what a refresh computes on its worker thread); the slow ones are
    taken from `previous` while it is younger than `slow_every_s`."""
    timings: dict[str, float] = {}

    def timed(name, function, *args, **kwargs):
        start = time.perf_counter()
        value = function(*args, **kwargs)
        timings[name] = (time.perf_counter() - start) * 1000
        return value

    fresh = previous is None or time.monotonic() - previous.slow_at >= slow_every_s
    if fresh:
        slow = {
            "quality": timed("quality", service_quality, store, now),
            "repeats": timed("repeats", repeat_cases, store, now),
            "trend": timed("trend", daily_trend, store, now),
            "mediation": timed("mediation", mediation_outcomes, store, now),
            "campaign": timed("campaign", active_campaign, store, now),
            "heat": timed("heat", recent_incidents, store, now, territory),
            "window": timed("window", grid_window, store, now),
            "slow_at": time.monotonic(),
        }
    else:
        slow = {key: getattr(previous, key) for key in
                ("quality", "repeats", "trend", "mediation", "campaign", "heat", "window", "slow_at")}
    return WallFigures(
        now=now,
        intake=timed("intake", intake_by_channel, store, now),
        situation=timed("situation", situation_now, store, now),
        response=timed("response", response_times, store, now),
        by_hour=timed("by_hour", intake_by_hour, store, now),
        serious=timed("serious", latest_serious_incident, store, now, territory),
        grid_values={level: timed(f"grid_values_{level}", grid_indicators, store, now, territory, level,
                                   window=slow["window"]) for level in (None, 1)},
        ranking=timed("ranking", ranking, store, now, territory, ranking_level, window=slow["window"]),
        ranking_level=ranking_level,
        timings_ms=timings,
        **slow,
    )
