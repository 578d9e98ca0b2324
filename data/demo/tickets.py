"""A year of historical tickets from every intake channel, with their full state history.

Each ticket follows one path through the workflow's states (ordinary, transferred to a
department, answered at once by the centre, returned, reopened after a bad rating,
escalated when overdue, merged as a duplicate). Every step takes a random, plausible
time; steps that would fall after the demo's "now" have not happened yet, so recent
tickets are naturally still open. All of it is vectorised: a million tickets take
seconds.
"""

from __future__ import annotations

from dataclasses import dataclass

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from data.demo import names
from data.demo.clock import BEIJING_OFFSET, iso_utc
from data.demo.geometry import METRIC_CRS
from data.demo.placement import RoadPlacer
from data.workflow.sla import SlaPolicy
from data.workflow.states import FINISHED

HISTORY_DAYS = 365
CHANNELS = ["12345", "110", "12348", "grid_report", "walk_in", "camera_alert"]
CHANNEL_SHARE = [0.42, 0.14, 0.04, 0.26, 0.06, 0.08]
CITIZEN_CHANNELS = ["12345", "110", "12348", "walk_in"]  # a citizen reports, and rates the result
CATEGORIES = ["dispute", "hazard", "public_order", "city_management", "environment", "help_request", "legal_aid"]
# Share of each category per channel (rows follow CHANNELS, columns CATEGORIES).
CATEGORY_SHARE = np.array([
    [0.15, 0.08, 0.05, 0.32, 0.22, 0.15, 0.03],
    [0.35, 0.10, 0.35, 0.05, 0.03, 0.12, 0.00],
    [0.15, 0.00, 0.00, 0.00, 0.00, 0.05, 0.80],
    [0.20, 0.25, 0.08, 0.25, 0.20, 0.02, 0.00],
    [0.40, 0.05, 0.05, 0.05, 0.05, 0.15, 0.25],
    [0.00, 0.20, 0.35, 0.30, 0.15, 0.00, 0.00],
])
# Priority 1 is the most urgent.
PRIORITY_SHARE = {"hazard": [0.15, 0.35, 0.40, 0.10], "public_order": [0.12, 0.30, 0.45, 0.13]}
DEFAULT_PRIORITY_SHARE = [0.03, 0.17, 0.55, 0.25]
# Which department takes a ticket the centre transfers.
DEPARTMENT_OF = {"city_management": "city_management", "environment": "environment", "hazard": "emergency",
                 "dispute": "justice", "legal_aid": "justice", "help_request": "emergency",
                 "public_order": "city_management"}
# Calls per hour of the day, Beijing time.
HOURLY = np.array([0.3, 0.2, 0.15, 0.1, 0.1, 0.2, 0.5, 1.2, 2.2, 3.0, 3.2, 2.8,
                   2.0, 2.3, 2.9, 3.0, 2.8, 2.4, 1.9, 1.7, 1.5, 1.2, 0.8, 0.5])
WEEKDAY = np.array([1.0, 1.0, 1.0, 1.0, 1.0, 0.8, 0.7])  # Monday first
OPERATORS = 12  # dispatchers at the centre, op01...
HOTSPOT_SHARE = 0.15  # of tickets, reported around a few busy places
HOTSPOT_RADIUS_M = 80.0

_R, _G, _D, _T, _A, _O, _S, _C = ("received", "registered", "dispatched", "transferred",
                                  "accepted", "on_site", "resolved", "closed")
PATHS = {
    "ordinary": [_R, _G, _D, _A, _O, _S, _C],
    "transferred": [_R, _G, _T, _A, _O, _S, _C],
    "answered": [_R, _G, _S, _C],  # the centre resolves it on the phone
    "returned": [_R, _G, _D, "returned", _D, _A, _O, _S, _C],
    "reopened": [_R, _G, _D, _A, _O, _S, _C, "reopened", _D, _A, _O, _S, _C],
    "escalated": [_R, _G, _D, _A, "escalated", _O, _S, _C],
    "merged": [_R, _G, "merged"],
}
PATH_SHARE = {"returned": 0.04, "reopened": 0.03, "escalated": 0.03, "merged": 0.03}
# Minutes to reach each state from the one before: median and log-spread.
STEP_MINUTES = {
    _G: (4, 0.6), _D: (15, 0.8), _T: (40, 0.8), _A: (20, 0.9), _O: (35, 0.7), _S: (240, 1.2),
    _C: (1_440, 0.6), "returned": (60, 0.7), "reopened": (2_880, 0.5), "escalated": (60, 0.3), "merged": (10, 0.8),
}
FRESH_TICKETS = 24
FRESH_WINDOW_S = 2 * 3600
URGENCY = np.array([0, 0.3, 0.6, 1.0, 1.5])  # step time factor by priority, for dispatch to resolution

DESCRIPTIONS = {
    "dispute": ["邻里噪音纠纷", "物业费纠纷", "土地承包纠纷", "婚姻家庭矛盾", "劳资纠纷，拖欠工资", "宅基地边界纠纷"],
    "hazard": ["井盖缺失", "电线私拉乱接", "危房存在倒塌风险", "闻到燃气泄漏气味", "消防通道被堵塞", "电动车楼道充电"],
    "public_order": ["深夜聚众喧哗", "疑似诈骗人员发传单", "酒后滋事", "可疑人员徘徊", "违规燃放烟花爆竹"],
    "city_management": ["占道经营", "违章停车堵塞道路", "违规搭建", "路灯损坏", "道路破损坑洼", "广告牌松动"],
    "environment": ["垃圾未及时清运", "污水外溢", "餐饮油烟扰民", "焚烧秸秆", "河道漂浮垃圾", "工地扬尘"],
    "help_request": ["老人走失求助", "独居老人需要帮助", "困难群众求助", "儿童走失", "车辆故障求助"],
    "legal_aid": ["咨询劳动合同问题", "咨询离婚财产分割", "申请法律援助", "咨询交通事故赔偿", "咨询借款纠纷"],
}
OUTCOMES = {
    "dispute": ["经调解双方达成协议", "已联合司法所调解", "当事人达成和解"],
    "hazard": ["隐患已整改", "已设置警示并维修", "已通知产权单位整改"],
    "public_order": ["民警到场处置完毕", "已劝离", "已移交派出所处理"],
    "city_management": ["已整改", "已清理恢复", "已责令拆除"],
    "environment": ["已清理", "已督促整改", "已联系环卫处理"],
    "help_request": ["已帮助解决", "已送返家中", "已联系家属"],
    "legal_aid": ["已解答", "已转法律援助中心", "已指派律师"],
}
MEDIATION_OUTCOMES, MEDIATION_SHARE = ["mediated", "referred", "failed"], [0.93, 0.05, 0.02]
NOTES = {
    "returned": "非本网格事项，退回中心", "escalated": "超期未办结，督办", "reopened": "回访不满意，重新办理",
    _C: "办结",
}


@dataclass
class TicketHistory:
    incidents: gpd.GeoDataFrame  # metres
    tickets: pd.DataFrame
    timeline: pd.DataFrame


def build_tickets(count: int, grids: gpd.GeoDataFrame, placer: RoadPlacer, responders: gpd.GeoDataFrame,
                  land_urban, hotspot_count: int, now: np.datetime64, rng: np.random.Generator) -> TicketHistory:
    channel = rng.choice(len(CHANNELS), size=count, p=CHANNEL_SHARE)
    category = _pick_rows(CATEGORY_SHARE[channel], rng)
    priority = _priorities(category, rng)
    reported = _report_times(count, channel, now, rng)
    order = np.argsort(reported, kind="stable")
    channel, category, priority, reported = channel[order], category[order], priority[order], reported[order]
    xy, edge = _locations(count, placer, land_urban, hotspot_count, rng)
    cell = placer.locate(xy)
    codes = placer.codes[cell]
    ticket_id = _ticket_ids(reported)

    frame = pd.DataFrame({"ticket_id": ticket_id, "channel": np.asarray(CHANNELS, dtype=object)[channel],
                          "category": np.asarray(CATEGORIES, dtype=object)[category], "priority": priority,
                          "grid_code": codes})
    path, merged_into = _paths(frame, reported, rng)
    policy = SlaPolicy.load()
    hours = np.array([[policy.allowed_hours(c, p) for p in range(1, 5)] for c in CATEGORIES])
    allowed_s = (hours[category, priority - 1] * 3600).astype(np.int64)
    timeline = _timeline(frame, path, reported, priority, allowed_s, now, rng)
    last = timeline.groupby("row", sort=False).tail(1).set_index("row")
    frame["state"] = last["state"].to_numpy()
    frame["version"] = timeline.groupby("row", sort=False).size().to_numpy()
    _assign(frame, path, placer, responders, rng)
    chiefs = responders[responders["role"] == "grid_chief"]
    frame["chief_id"] = frame["grid_code"].map(dict(zip(chiefs["grid_code"], chiefs["responder_id"])))
    _fill_timeline_actors(timeline, frame, merged_into, rng)
    tickets = _ticket_rows(frame, timeline, path, merged_into, reported, allowed_s, policy, now, grids, placer,
                           responders, edge, rng)
    incidents = gpd.GeoDataFrame(
        {"ticket_id": ticket_id, "channel": frame["channel"], "category": frame["category"],
         "priority": priority, "reported_at": iso_utc(reported), "grid_code": codes},
        geometry=shapely.points(xy), crs=METRIC_CRS,
    )
    timeline["ticket_id"] = ticket_id[timeline["row"].to_numpy()]
    timeline["at"] = iso_utc(timeline["time"].to_numpy())
    return TicketHistory(incidents, tickets, timeline[["ticket_id", "state", "at", "by", "note"]])


def _pick_rows(shares: np.ndarray, rng) -> np.ndarray:
    """One column index per row, drawn with that row's probabilities."""
    cumulative = np.cumsum(shares, axis=1)
    draw = rng.random(len(shares))[:, None] * cumulative[:, -1:]
    return np.minimum((draw >= cumulative).sum(axis=1), shares.shape[1] - 1)


def _priorities(category: np.ndarray, rng) -> np.ndarray:
    table = np.array([PRIORITY_SHARE.get(c, DEFAULT_PRIORITY_SHARE) for c in CATEGORIES])
    return _pick_rows(table[category], rng) + 1


def _report_times(count: int, channel: np.ndarray, now: np.datetime64, rng) -> np.ndarray:
    """Times over the last year, with weekly, seasonal and daily rhythms (in Beijing time)."""
    local_midnight = (now + BEIJING_OFFSET).astype("datetime64[D]")
    days = local_midnight - np.arange(1, HISTORY_DAYS + 1).astype("timedelta64[D]")
    weekday = (days.astype(np.int64) + 3) % 7  # 1970-01-01 was a Thursday
    day_of_year = (days - days.astype("datetime64[Y]")).astype(np.int64)
    weight = WEEKDAY[weekday] * (1 + 0.15 * np.sin(2 * np.pi * (day_of_year - 100) / 365))
    day = days[rng.choice(HISTORY_DAYS, size=count, p=weight / weight.sum())]
    # Police calls and camera alerts come around the clock more than hotline calls.
    flat = np.isin(channel, [CHANNELS.index("110"), CHANNELS.index("camera_alert")])
    hourly = HOURLY / HOURLY.sum()
    hour = np.where(flat & (rng.random(count) < 0.4), rng.integers(0, 24, count),
                    rng.choice(24, size=count, p=hourly))
    seconds = hour * 3600 + rng.integers(0, 3600, count)
    times = day.astype("datetime64[s]") + seconds.astype("timedelta64[s]") - BEIJING_OFFSET
    # The shift on duty: calls of the last two hours, so the demo opens on a live queue with
    # tickets still waiting to be dispatched, not only on history.
    fresh = min(FRESH_TICKETS, count)
    times[:fresh] = now - rng.integers(60, FRESH_WINDOW_S, fresh).astype("timedelta64[s]")
    return times


def _locations(count: int, placer: RoadPlacer, land_urban, hotspot_count: int, rng):
    """Mostly in towns and villages, beside roads; some around hotspots (markets, stations ...).

    Returns the points and, for each, the road segment it is reported near (for its address).
    """
    roads = placer.roads
    candidates = np.flatnonzero(placer.usable & (placer.edge_cell >= 0))
    middle = shapely.get_coordinates(shapely.line_interpolate_point(roads.lines[candidates], 0.5, normalized=True))
    urban = shapely.contains_xy(land_urban, middle[:, 0], middle[:, 1])
    in_village = (roads.edges["origin"] == "village").to_numpy()[candidates]
    weight = placer.length[candidates] * np.select([urban, in_village], [5.0, 3.0], 0.5)
    edge = candidates[rng.choice(len(candidates), size=count, p=weight / weight.sum())]
    side = rng.uniform(5, 25, count) * rng.choice([-1, 1], count)
    xy, _ = placer.points_on(edge, rng.uniform(0.05, 0.95, count), side)

    hot_edges = candidates[urban][rng.choice(int(urban.sum()), size=min(hotspot_count, int(urban.sum())),
                                             replace=False)]
    popularity = 1.0 / np.sqrt(np.arange(1, len(hot_edges) + 1))
    at_hotspot = np.flatnonzero(rng.random(count) < HOTSPOT_SHARE)
    spot = rng.choice(len(hot_edges), size=len(at_hotspot), p=popularity / popularity.sum())
    edge[at_hotspot] = hot_edges[spot]
    centre = middle[np.searchsorted(candidates, hot_edges)]
    xy[at_hotspot] = centre[spot] + rng.normal(0, HOTSPOT_RADIUS_M, (len(at_hotspot), 2))

    outside = placer.locate(xy) < 0
    xy[outside] = placer.points_on(edge[outside], np.full(outside.sum(), 0.5))[0]
    return xy, edge


def _ticket_ids(reported: np.ndarray) -> np.ndarray:
    """T<Beijing date>-<serial of the day>: T20260415-000123."""
    local_day = (reported + BEIJING_OFFSET).astype("datetime64[D]")
    day_text = np.char.replace(np.datetime_as_string(local_day), "-", "")
    start = np.r_[0, np.flatnonzero(local_day[1:] != local_day[:-1]) + 1]
    serial = np.arange(len(reported)) - np.repeat(start, np.diff(np.r_[start, len(reported)])) + 1
    return names.join_strings("T", day_text, "-", np.char.zfill(serial.astype(str), 6))


def _paths(frame: pd.DataFrame, reported: np.ndarray, rng):
    """Path name per ticket, and for merged ones the earlier ticket they duplicate."""
    n = len(frame)
    draw = rng.random(n)
    path = np.full(n, "ordinary", dtype=object)
    edge = 0.0
    for name, share in PATH_SHARE.items():
        path[(draw >= edge) & (draw < edge + share)] = name
        edge += share
    department_share = frame["category"].map(
        {"city_management": 0.25, "environment": 0.25, "hazard": 0.2}).fillna(0.05).to_numpy()
    path[(path == "ordinary") & (rng.random(n) < department_share)] = "transferred"
    answerable = frame["category"].isin(["legal_aid", "help_request"]).to_numpy() & \
        frame["channel"].isin(["12345", "12348"]).to_numpy()
    path[answerable & (path == "ordinary") & (rng.random(n) < 0.4)] = "answered"

    # A duplicate repeats the previous ticket of its grid and category, if that came recently.
    grid = pd.factorize(frame["grid_code"])[0]
    category = pd.factorize(frame["category"])[0]
    order = np.lexsort((np.arange(n), category, grid))
    same = np.r_[False, (grid[order][1:] == grid[order][:-1]) & (category[order][1:] == category[order][:-1])]
    previous = np.full(n, -1)
    previous[order[same]] = order[np.flatnonzero(same) - 1]
    recent = (previous >= 0) & (reported - reported[np.maximum(previous, 0)] < np.timedelta64(3, "D"))
    path[(path == "merged") & ~recent] = "ordinary"
    merged_into = np.where(path == "merged", previous, -1)
    return path, merged_into


def _timeline(frame: pd.DataFrame, path: np.ndarray, reported: np.ndarray, priority: np.ndarray,
              allowed_s: np.ndarray, now: np.datetime64, rng) -> pd.DataFrame:
    """Every state each ticket has reached by `now`, timed (columns row, state, time)."""
    path_names = list(PATHS)
    path_id = pd.Categorical(path, categories=path_names).codes
    lengths = np.array([len(PATHS[p]) for p in path_names])
    flat_states = np.array([s for p in path_names for s in PATHS[p]], dtype=object)
    offsets = np.r_[0, np.cumsum(lengths)[:-1]]
    per_ticket = lengths[path_id]
    row = np.repeat(np.arange(len(path)), per_ticket)
    starts = np.r_[0, np.cumsum(per_ticket)[:-1]]
    step = np.arange(len(row)) - np.repeat(starts, per_ticket)
    state = flat_states[offsets[path_id][row] + step]

    median = np.ones(len(row))
    spread = np.zeros(len(row))
    for name, (minutes, sigma) in STEP_MINUTES.items():
        hit = state == name
        median[hit], spread[hit] = minutes, sigma
    urgent = np.isin(state, [_D, _O, _S])
    median[urgent] *= URGENCY[priority[row[urgent]]]
    answered = (path[row] == "answered") & (state == _S)
    median[answered] = 20
    escalated = state == "escalated"
    median[escalated] = allowed_s[row[escalated]] / 60  # pushed up when the deadline is reached
    minutes = np.where(step == 0, 0.0, median * np.exp(spread * rng.standard_normal(len(row))))
    elapsed = np.cumsum(minutes)
    elapsed -= np.repeat(elapsed[starts], per_ticket)
    time = reported[row] + (elapsed * 60).astype("timedelta64[s]")
    reached = time <= now
    return pd.DataFrame({"row": row[reached], "state": state[reached], "time": time[reached]})


def _assign(frame: pd.DataFrame, path: np.ndarray, placer: RoadPlacer, responders: gpd.GeoDataFrame, rng):
    """Lead and helpers: the grid's workers, the township's police, or a department team."""
    n = len(frame)
    township = frame["grid_code"].str[:9].to_numpy()
    workers = responders[responders["kind"] == "grid_worker"]
    worker = _random_member(workers, "grid_code", frame["grid_code"].to_numpy(), rng)
    cars = responders[responders["role"] == "patrol_car"]
    car = _random_member(cars, "grid_code", township, rng)
    teams = responders[responders["kind"] == "department"]
    team_of = dict(zip(zip(teams["grid_code"], teams["department"]), teams["responder_id"]))
    department = frame["category"].map(DEPARTMENT_OF).to_numpy()
    team = np.array([team_of.get(k) for k in zip(township.tolist(), department.tolist())], dtype=object)
    police_matter = ((frame["channel"] == "110") | (frame["category"] == "public_order")).to_numpy()
    lead = np.where(path == "transferred", team, np.where(police_matter, car, worker))
    handled = ~np.isin(frame["state"].to_numpy(), [_R, _G]) & ~np.isin(path, ["answered", "merged"])
    frame["lead_id"] = np.where(handled, lead, None)
    station = dict(zip(responders.loc[responders["role"] == "police_station", "grid_code"],
                       responders.loc[responders["role"] == "police_station", "responder_id"]))
    chief = dict(zip(workers.loc[workers["role"] == "grid_chief", "grid_code"],
                     workers.loc[workers["role"] == "grid_chief", "responder_id"]))
    helper = np.where(police_matter, frame["grid_code"].map(chief).to_numpy(),
                      pd.Series(township).map(station).to_numpy())
    frame["helper_ids"] = np.where(handled & (rng.random(n) < 0.1), helper, None)


def _random_member(people: pd.DataFrame, column: str, wanted: np.ndarray, rng) -> np.ndarray:
    """For each wanted group, the id of a random person in it (None when the group is empty)."""
    people = people.sort_values([column, "responder_id"], kind="stable")
    groups = people[column].to_numpy().astype(str)
    ids = people["responder_id"].to_numpy()
    first = np.searchsorted(groups, wanted.astype(str), side="left")
    last = np.searchsorted(groups, wanted.astype(str), side="right")
    pick = first + np.floor(rng.random(len(wanted)) * (last - first)).astype(np.int64)
    return np.where(last > first, ids[np.minimum(pick, len(ids) - 1)], None)


def _fill_timeline_actors(timeline: pd.DataFrame, frame: pd.DataFrame, merged_into: np.ndarray, rng):
    """Who made each change (`by`) and a short note for the steps that need one."""
    row = timeline["row"].to_numpy()
    state = timeline["state"].to_numpy()
    operator = names.join_strings("op", np.char.zfill((rng.integers(1, OPERATORS + 1, len(frame))).astype(str), 2))
    lead = frame["lead_id"].to_numpy()
    has_lead = pd.notna(lead)
    channel = frame["channel"].to_numpy()
    intake = np.select(
        [np.isin(channel, ["12345", "110", "12348"]), channel == "camera_alert", channel == "grid_report"],
        ["hotline:" + channel.astype(str), "video_analytics", frame["chief_id"].to_numpy()],
        operator,
    )
    by = np.select(
        [state == _R, np.isin(state, [_A, _O, _S, "returned"]) & has_lead[row], state == "reopened"],
        [intake[row], lead[row], "citizen"],
        operator[row],
    )
    timeline["by"] = by
    note = pd.Series(state).map(NOTES).to_numpy().astype(object)
    dispatched = np.isin(state, [_D, _T]) & has_lead[row]
    note[dispatched] = np.where(state[dispatched] == _T, "转办", "派至") + lead[row[dispatched]]
    merged = state == "merged"
    note[merged] = "与" + frame["ticket_id"].to_numpy()[merged_into[row[merged]]] + "重复，合并办理"
    timeline["note"] = np.where(pd.isna(note), None, note)


def _ticket_rows(frame: pd.DataFrame, timeline: pd.DataFrame, path: np.ndarray, merged_into: np.ndarray,
                 reported: np.ndarray, allowed_s: np.ndarray, policy: SlaPolicy, now: np.datetime64, grids,
                 placer: RoadPlacer, responders: gpd.GeoDataFrame, edge: np.ndarray, rng) -> pd.DataFrame:
    n = len(frame)
    category = frame["category"].to_numpy()
    state = frame["state"].to_numpy()
    citizen = frame["channel"].isin(CITIZEN_CHANNELS).to_numpy()
    closed = state == _C
    closed_time = timeline[timeline["state"] == _C].groupby("row")["time"].max()
    closed_at = np.full(n, None, dtype=object)
    closed_at[closed_time.index.to_numpy()] = iso_utc(closed_time.to_numpy())
    closed_at[~closed] = None
    rating = np.where(closed & citizen & (rng.random(n) < 0.85),
                      rng.choice([5, 4, 3, 2, 1], size=n, p=[0.72, 0.17, 0.06, 0.03, 0.02]), np.nan)

    # Citizens: a pool of people, some of whom call again and again.
    pool = max(n // 4, 10)
    frequent = max(pool // 200, 1)  # the people who call again and again
    person = np.where(rng.random(n) < 0.1, rng.integers(0, frequent, n), rng.integers(0, pool, n))
    pool_names = names.person_names(rng, pool)
    reporter_name = np.where(citizen, pool_names[person], None)
    reporter_phone = np.where(citizen, names.phone_numbers(5 * 10**8 + person), None)
    # Grid reports come from the grid's chief.
    chiefs = responders[responders["role"] == "grid_chief"].set_index("grid_code")
    grid_report = (frame["channel"] == "grid_report").to_numpy()
    reporter_name = np.where(grid_report, frame["grid_code"].map(chiefs["name"]).to_numpy(), reporter_name)
    reporter_phone = np.where(grid_report, frame["grid_code"].map(chiefs["phone"]).to_numpy(), reporter_phone)

    text = _choose(DESCRIPTIONS, category, rng)
    outcome = np.where(np.isin(state, [_S, _C]), _choose(OUTCOMES, category, rng), None)
    name_of = dict(zip(grids["code"], grids["name"]))
    codes = frame["grid_code"]
    road = placer.roads.edges["name"].to_numpy()[edge]
    address = (codes.str[:9].map(name_of) + codes.str[:12].map(name_of)).to_numpy() + \
        np.where(pd.isna(road), "", road.astype(str) + "附近")
    serial = frame.groupby("channel").cumcount().to_numpy() + 1
    deadline = reported + allowed_s.astype("timedelta64[s]")
    # The SLA warning each ticket reached: by the time it was finished, or by now.
    finished = timeline[timeline["state"].isin(FINISHED)].groupby("row")["time"].min()
    stopped = np.full(n, now)
    stopped[finished.index.to_numpy()] = finished.to_numpy()
    used = (stopped - reported).astype(np.int64) / allowed_s
    warning = np.zeros(n, dtype=np.int64)
    for level, share in sorted(policy.warning_shares.items()):
        warning[used >= share] = level
    escalated = timeline.loc[timeline["state"] == "escalated", "row"].unique()
    escalation = np.zeros(n, dtype=np.int64)
    escalation[escalated] = 1  # from the grid up to the village
    ticket_ids = frame["ticket_id"].to_numpy()
    duplicate_of = np.where(state == "merged", ticket_ids[np.maximum(merged_into, 0)], None)
    transferred = (path == "transferred") & frame["lead_id"].notna().to_numpy()
    mediation = np.where((category == "dispute") & np.isin(state, [_S, _C]),
                         rng.choice(MEDIATION_OUTCOMES, size=n, p=MEDIATION_SHARE), None)
    return pd.DataFrame({
        "ticket_id": frame["ticket_id"],
        "record_id": frame["channel"] + ":" + pd.Series(serial).astype(str),
        "state": state,
        "version": frame["version"],
        "description": text,
        "address": address,
        "reporter_name": reporter_name,
        "reporter_phone": reporter_phone,
        "lead_id": frame["lead_id"],
        "helper_ids": frame["helper_ids"],
        "deadline": iso_utc(deadline),
        "closed_at": closed_at,
        "outcome": outcome,
        "rating": pd.array(rating, dtype="Int64"),
        "department": np.where(transferred, frame["category"].map(DEPARTMENT_OF).to_numpy(), None),
        "merged_into": duplicate_of,
        "duplicate_of": duplicate_of,
        "warning_level": warning,
        "escalation_level": escalation,
        "mediation_outcome": mediation,
    })


def _choose(texts: dict[str, list[str]], category: np.ndarray, rng) -> np.ndarray:
    """A random text of each row's category."""
    result = np.empty(len(category), dtype=object)
    for name, options in texts.items():
        hit = category == name
        result[hit] = np.asarray(options, dtype=object)[rng.integers(0, len(options), hit.sum())]
    return result
