"""The wall's figures, each checked against a direct pandas computation over the same store."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import numpy as np
import pandas as pd
import pytest
import shapely

from data.demo.build import build_demo_city
from data.store import Store
from data.storecopy import copy_store
from data.workflow import kpis
from data.workflow.clock import ManualClock, iso, parse_iso
from data.workflow.states import FINISHED
from tests.data.backends import BACKENDS, full_scans, server_store

SEED = 7


@pytest.fixture(scope="module")
def demo_city(tmp_path_factory):
    path = tmp_path_factory.mktemp("kpis") / "small.gpkg"
    build_demo_city(path, "small", seed=SEED)
    return path


@pytest.fixture(scope="module", params=BACKENDS)
def store(request, demo_city):
    """The demo city as it is built (a GeoPackage), then copied onto PostgreSQL (store copy)."""
    if request.param == "geopackage":
        with Store.open(demo_city) as store:
            yield store
        return
    with server_store(request.getfixturevalue("pg_cluster")) as url:
        with Store.open(demo_city) as demo:
            copy_store(demo, url)
        with Store.open(url) as store:
            yield store


@pytest.fixture(scope="module")
def now(store):
    """Half a day after the demo's last report: late enough for some open tickets to be overdue."""
    return parse_iso(store.query("SELECT max(reported_at) FROM incidents")[0][0]) + timedelta(hours=12)


@pytest.fixture(scope="module")
def territory(store):
    return kpis.read_territory(store)


@pytest.fixture(scope="module")
def tickets(store):
    frame = store.read_table("tickets")
    frame["reported"] = pd.to_datetime(frame["reported_at"], utc=True)
    frame["day"] = (frame["reported"] + pd.Timedelta(hours=8)).dt.strftime("%Y-%m-%d")
    frame["is_open"] = ~frame["state"].isin(FINISHED)
    return frame


@pytest.fixture(scope="module")
def incidents(store):
    frame = store.read_layer("incidents")
    frame["lon"], frame["lat"] = frame.geometry.x, frame.geometry.y
    frame["reported"] = pd.to_datetime(frame["reported_at"], utc=True)
    return pd.DataFrame(frame.drop(columns="geometry"))


@pytest.fixture(scope="module")
def grids(store):
    return store.read_layer("grids").set_index("code")


def last_hours(frame, now, hours=24):
    return frame[frame["reported"] >= pd.Timestamp(now) - pd.Timedelta(hours=hours)]


def window(tickets, now, days=30):
    first = (pd.Timestamp(now) + pd.Timedelta(hours=8)).normalize() - pd.Timedelta(days=days - 1)
    return tickets[tickets["day"] >= first.strftime("%Y-%m-%d")]


def township_of(codes: pd.Series, grids) -> pd.Series:
    """Walk parent codes up to level 1 (the direct way, one grid at a time)."""
    def up(code):
        while code is not None and grids.loc[code, "level"] > 1:
            code = grids.loc[code, "parent_code"]
        return code
    return codes.map(up)


def test_the_demo_store_exercises_every_figure(tickets, incidents, now):
    recent = last_hours(incidents, now)
    assert len(recent) > 20 and recent["priority"].eq(1).any()
    assert (tickets["is_open"] & (tickets["deadline"] < iso(now))).sum() >= 3
    assert tickets["rating"].notna().sum() > 100 and tickets["mediation_outcome"].notna().sum() > 10


def test_intake_by_channel_counts_the_last_24_hours(store, incidents, now):
    expected = last_hours(incidents, now)["channel"].value_counts().to_dict()
    assert kpis.intake_by_channel(store, now) == expected


def test_situation_now(store, tickets, now):
    open_ = tickets[tickets["is_open"]]
    assert kpis.situation_now(store, now) == {
        "open": len(open_),
        "overdue": int((open_["deadline"] < iso(now)).sum()),
        "escalated": int(((open_["state"] == "escalated") | (open_["escalation_level"].fillna(0) > 0)).sum()),
        "waiting": int(open_["state"].isin(["received", "registered", "returned", "reopened"]).sum()),
    }


def test_needs_attention_picks_the_late_escalated_waiting_and_urgent_open_tickets(tickets, incidents, now):
    rows = tickets.drop(columns=["priority"], errors="ignore").merge(
        incidents[["ticket_id", "priority"]], on="ticket_id")
    got = kpis.needs_attention(rows, now)
    open_ = rows["is_open"]
    expected = open_ & ((rows["deadline"] < iso(now)) | (rows["state"] == "escalated")
                        | (rows["escalation_level"].fillna(0) > 0)
                        | rows["state"].isin(["received", "registered", "returned", "reopened"])
                        | (rows["priority"] == 1))
    assert got.tolist() == expected.tolist()
    assert 0 < got.sum() < open_.sum()  # some open tickets are simply in hand


def test_response_times_come_from_the_timeline(store, incidents, now):
    timeline = store.read_table("ticket_timeline")
    timeline = timeline[timeline["ticket_id"].isin(last_hours(incidents, now)["ticket_id"])]
    timeline["at"] = pd.to_datetime(timeline["at"], utc=True)
    first = timeline.pivot_table(index="ticket_id", columns="state", values="at", aggfunc="min")
    dispatched = first[["dispatched", "transferred"]].min(axis=1) if "transferred" in first else first["dispatched"]
    to_dispatch = ((dispatched - first["received"]).dt.total_seconds() / 60).dropna()
    to_arrive = ((first["on_site"] - dispatched).dt.total_seconds() / 60).dropna()
    got = kpis.response_times(store, now)
    assert got["dispatched"] == len(to_dispatch) > 0 and got["arrived"] == len(to_arrive) > 0
    assert got["dispatch_minutes"] == pytest.approx(to_dispatch.mean(), rel=1e-6)
    assert got["arrival_minutes"] == pytest.approx(to_arrive.mean(), rel=1e-6)


def test_service_quality_over_30_days(store, tickets, now):
    recent = window(tickets, now)
    closed = recent[recent["closed_at"].notna()]
    resolved = recent[recent["state"].isin(["resolved", "closed"])]
    rated = recent["rating"].dropna()
    got = kpis.service_quality(store, now)
    assert got["on_time_rate"] == pytest.approx((closed["closed_at"] <= closed["deadline"]).mean())
    assert got["on_site_rate"] == pytest.approx(resolved["department"].isna().mean())
    assert got["satisfied_rate"] == pytest.approx((rated >= 4).mean())
    assert got["mean_rating"] == pytest.approx(rated.mean())
    assert (got["closed"], got["resolved"], got["rated"]) == (len(closed), len(resolved), len(rated))


def test_repeat_cases(store, tickets, now):
    recent = window(tickets, now)
    phones = recent["reporter_phone"].dropna().value_counts()
    assert kpis.repeat_cases(store, now) == {
        "duplicates": int(recent["duplicate_of"].notna().sum()),
        "merged": int((recent["state"] == "merged").sum()),
        "repeat_reporters": int((phones > 1).sum()),
    }


def test_intake_by_hour_against_the_usual_rhythm(store, incidents, now):
    got = kpis.intake_by_hour(store, now)
    hour = (incidents["reported"] + pd.Timedelta(hours=8)).dt.hour
    start = pd.Timestamp(now) - pd.Timedelta(hours=24)
    recent = hour[incidents["reported"] >= start].value_counts()
    before = hour[(incidents["reported"] >= start - pd.Timedelta(days=30)) & (incidents["reported"] < start)]
    assert got["hour"].tolist() == list(range(24))
    assert got["recent"].tolist() == [int(recent.get(h, 0)) for h in range(24)]
    assert got["usual"].tolist() == pytest.approx([before.value_counts().get(h, 0) / 30 for h in range(24)])


def test_daily_trend_has_every_day_of_the_30(store, tickets, now):
    got = kpis.daily_trend(store, now)
    recent = window(tickets, now)
    assert len(got) == 30 and got["day"].iloc[-1] == (pd.Timestamp(now) + pd.Timedelta(hours=8)).strftime("%Y-%m-%d")
    assert got.set_index("day")["tickets"].to_dict() == {
        day: int(recent["day"].eq(day).sum()) for day in got["day"]}
    closed = recent[recent["closed_at"].notna()]
    on_time = (closed["closed_at"] <= closed["deadline"]).groupby(closed["day"]).mean()
    compared = got.set_index("day")["on_time_rate"].dropna()
    assert len(compared) > 20
    assert compared.to_numpy() == pytest.approx(on_time.reindex(compared.index).to_numpy(), abs=1e-4)


def test_grid_indicators_at_the_finest_level(store, tickets, grids, territory, now):
    got = kpis.grid_indicators(store, now, territory)
    open_ = tickets[tickets["is_open"]]
    recent = window(tickets, now)
    open_count = open_.groupby("grid_code").size()
    overdue = (open_["deadline"] < iso(now)).groupby(open_["grid_code"]).sum()
    per_1000 = recent.groupby("grid_code").size() / grids["households"] * 1000
    rating = recent.groupby("grid_code")["rating"].mean()
    for code in set(open_count.index) | set(recent["grid_code"]):
        row = got.loc[code]
        assert row["open"] == open_count.get(code, 0)
        assert row["per_1000_households"] == pytest.approx(per_1000[code])
        if code in open_count:
            assert row["overdue_rate"] == pytest.approx(overdue[code] / open_count[code])
        else:
            assert np.isnan(row["overdue_rate"])
        assert row["satisfaction"] == pytest.approx(rating.get(code, np.nan), nan_ok=True, abs=1e-3)
    assert len(got) == len(set(open_count.index) | set(recent["grid_code"]))


def test_grid_indicators_aggregate_to_townships(store, tickets, grids, territory, now):
    got = kpis.grid_indicators(store, now, territory, level=1)
    open_ = tickets[tickets["is_open"]]
    expected = township_of(open_["grid_code"], grids).value_counts()
    assert set(got.index) <= set(grids.index[grids["level"] == 1])
    assert got["open"][got["open"] > 0].to_dict() == expected.to_dict()
    recent = window(tickets, now)
    township_tickets = township_of(recent["grid_code"], grids).value_counts()
    for code, count in township_tickets.items():
        assert got.loc[code, "per_1000_households"] == pytest.approx(count / grids.loc[code, "households"] * 1000)


def test_ranking_puts_the_most_overdue_townships_first(store, tickets, grids, territory, now):
    got = kpis.ranking(store, now, territory, level=1)
    tickets = tickets.assign(township=township_of(tickets["grid_code"], grids))
    open_ = tickets[tickets["is_open"]]
    overdue = (open_["deadline"] < iso(now)).groupby(open_["township"]).sum()
    closed = window(tickets, now).pipe(lambda f: f[f["closed_at"].notna()])
    on_time = (closed["closed_at"] <= closed["deadline"]).groupby(closed["township"]).mean()
    late = (closed["closed_at"] > closed["deadline"]).groupby(closed["township"]).sum()
    assert list(zip(got["overdue"], got["late"])) == sorted(zip(got["overdue"], got["late"]), reverse=True)
    for row in got.itertuples():
        assert row.name == grids.loc[row.code, "name"]
        assert row.overdue == overdue.get(row.code, 0)
        assert row.open == len(open_[open_["township"] == row.code])
        assert row.late == late[row.code] and row.closed == len(closed[closed["township"] == row.code])
        assert row.on_time_rate == pytest.approx(on_time[row.code], abs=1e-4)
    assert len(got) == (grids["level"] == 1).sum()


def test_mediation_outcomes_of_disputes(store, tickets, now):
    disputes = window(tickets, now).query("category == 'dispute'")
    finished = disputes[~disputes["is_open"]]
    assert kpis.mediation_outcomes(store, now) == {
        "mediated": int((finished["mediation_outcome"] == "mediated").sum()),
        "referred": int((finished["mediation_outcome"] == "referred").sum()),
        "failed": int((finished["mediation_outcome"] == "failed").sum()),
        "open": int(disputes["is_open"].sum()),
    }


def test_heat_points_are_last_weeks_incidents_with_sensitive_ones_at_their_grid(store, incidents, grids,
                                                                               territory, now):
    recent = last_hours(incidents, now, 24 * 7).sort_values(["reported_at", "fid"])
    points = kpis.recent_incidents(store, now, territory, cell_deg=None)
    assert len(points) == len(recent)
    sensitive = recent["category"].isin(["dispute", "help_request", "legal_aid"]).to_numpy()
    assert sensitive.any() and (~sensitive).any()
    lon = np.array([p[0] for p in points])
    lat = np.array([p[1] for p in points])
    assert lon[~sensitive] == pytest.approx(recent["lon"].to_numpy()[~sensitive], abs=1e-6)
    inner = shapely.point_on_surface(grids.loc[recent["grid_code"][sensitive], "geometry"].values)
    assert lon[sensitive] == pytest.approx(shapely.get_x(inner), abs=1e-6)
    assert lat[sensitive] == pytest.approx(shapely.get_y(inner), abs=1e-6)
    moved = np.hypot(lon[sensitive] - recent["lon"].to_numpy()[sensitive],
                     lat[sensitive] - recent["lat"].to_numpy()[sensitive])
    assert (moved > 1e-5).all()


def test_heat_points_in_one_cell_add_up(store, incidents, territory, now):
    exact = kpis.recent_incidents(store, now, territory, cell_deg=None)
    binned = kpis.recent_incidents(store, now, territory, cell_deg=0.01)
    cells = {}
    for lon, lat, weight in exact:
        cell = (np.floor(lon / 0.01), np.floor(lat / 0.01))
        cells[cell] = cells.get(cell, 0) + weight
    heaviest = max(cells.values())
    kept = [w for w in cells.values() if w >= kpis.HEAT_MIN_SHARE * heaviest]
    assert len(binned) == len(kept) < len(exact)
    assert sum(w for *_, w in binned) == pytest.approx(sum(kept))
    for lon, lat, _ in binned:  # cell centres
        assert (lon / 0.01) % 1 == pytest.approx(0.5, abs=1e-3) and (lat / 0.01) % 1 == pytest.approx(0.5, abs=1e-3)
    assert all(type(v) is float for point in binned for v in point)


def test_a_sensitive_incident_without_a_known_grid_is_left_off_the_map(territory):
    frame = pd.DataFrame({"category": ["dispute", "hazard", "legal_aid"], "grid_code": [None, None, "nowhere"],
                          "lon": [112.0, 112.1, 112.2], "lat": [32.0, 32.1, 32.2]})
    placed = kpis.generalise(frame, territory)
    assert placed["lon"].isna().tolist() == [True, False, True]
    assert placed.loc[1, ["lon", "lat"]].tolist() == [112.1, 32.1]


def test_latest_serious_incident(store, incidents, tickets, territory, now):
    serious = last_hours(incidents, now).query("priority == 1").sort_values(["reported_at", "fid"]).iloc[-1]
    got = kpis.latest_serious_incident(store, now, territory)
    assert got["ticket_id"] == serious["ticket_id"] and got["grid_code"] == serious["grid_code"]
    assert got["grid_name"] == territory.grids.loc[serious["grid_code"], "name"]
    assert got["state"] == tickets.set_index("ticket_id").loc[serious["ticket_id"], "state"]
    assert (got["camera_lon"], got["camera_lat"]) == pytest.approx((serious["lon"], serious["lat"]))
    assert kpis.latest_serious_incident(store, now + timedelta(days=3), territory) is None


def test_the_active_campaign_with_its_tickets(store, incidents, tickets, now):
    campaigns = store.read_layer("campaigns")
    running = campaigns[(campaigns["starts_at"] <= iso(now)) & (campaigns["ends_at"] > iso(now))]
    assert len(running) >= 1
    chosen = running.sort_values("starts_at").iloc[-1]
    got = kpis.active_campaign(store, now)
    assert got["campaign_id"] == chosen["campaign_id"] and got["name"] == chosen["name"]
    focus = chosen["focus"].split(",")
    assert got["focus"] == focus
    inside = incidents[(incidents["reported_at"] >= chosen["starts_at"]) & incidents["category"].isin(focus)]
    inside = inside[shapely.contains_xy(chosen.geometry, inside["lon"], inside["lat"])]
    states = tickets.set_index("ticket_id").loc[inside["ticket_id"], "state"]
    assert got["tickets"] == len(inside) > 0
    assert got["open"] == int((~states.isin(FINISHED)).sum())
    assert got["closed"] == int(states.isin(FINISHED).sum())
    assert shapely.from_geojson(got["geojson"]).geoms[0].equals(chosen.geometry)


def test_no_campaign_when_none_runs_or_the_store_has_none(store, now):
    assert kpis.active_campaign(store, now + timedelta(days=3650)) is None


def test_the_wall_runs_on_the_history_clock_of_a_store_that_ended_in_the_past(store, now):
    newest = now - timedelta(hours=12)
    real = ManualClock(datetime(2026, 11, 23, 12, 0, tzinfo=UTC))
    clock = kpis.history_clock(store, real)
    assert clock() == newest
    real.advance(minutes=3)
    assert clock() == newest + timedelta(minutes=3)
    live = ManualClock(newest + timedelta(hours=2))  # a live centre: its last ticket came 2 hours ago
    assert kpis.history_clock(store, live) is live


def test_every_query_reads_indexes_not_whole_tables(store, territory, now):
    """What keeps a million tickets fast: no query walks a table row by row."""
    seen: list[tuple[str, tuple]] = []
    real_query = store.query

    def recording(sql, params=()):
        seen.append((sql, params))
        return real_query(sql, params)

    store.query = recording
    try:
        kpis.wall_figures(store, now, territory)
    finally:
        del store.query
    assert len(seen) >= 13
    assert full_scans(store, "SELECT count(*) FROM tickets WHERE description = ?", ("x",))  # one is seen
    for sql, params in seen:
        if 'FROM "campaigns"' in sql:
            continue  # a handful of rows
        assert not full_scans(store, sql, params), sql


def test_the_slow_figures_are_reused_while_young(store, territory, now):
    first = kpis.wall_figures(store, now, territory)
    later = now + timedelta(hours=1)
    again = kpis.wall_figures(store, later, territory, previous=first)
    assert again.trend is first.trend and again.quality is first.quality and again.window is first.window
    assert again.now == later and again.situation == kpis.situation_now(store, later)
    assert "trend" not in again.timings_ms and "situation" in again.timings_ms
    renewed = kpis.wall_figures(store, later, territory, previous=first, slow_every_s=0)
    assert renewed.trend is not first.trend and renewed.slow_at > first.slow_at
