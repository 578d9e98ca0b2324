"""Transfers go to the store's own departments: known ids only (any name in a store that lists
none), never a responder; and the order the console offers them in for a ticket's grid."""

from __future__ import annotations

from datetime import timedelta

import geopandas as gpd
import pytest

from data.departments import Department, department_name, for_grid, grid_lineage, read_departments
from data.workflow import TicketEngine, WorkflowError
from data.workflow.clock import ManualClock
from tests.data.backends import BACKENDS, new_location
from tests.data.test_workflow import GRID_A1, START, TOWNSHIP, VILLAGE_A, VILLAGE_B, make_store, new_ticket

# (id, name, area served, usual report-back hours)
DEPARTMENTS = [
    ("city_management", "城市管理执法局", None, 72.0),
    ("kanglong_office", "康隆社区工作站", VILLAGE_A, 24.0),
    ("xinglong_office", "兴隆社区工作站", VILLAGE_B, 24.0),
    ("county_water", "县水务局", TOWNSHIP[:6], 48.0),  # a county code: a prefix of the grid codes
    ("street_market", "红旗街道市场监管所", TOWNSHIP, None),
]


def add_departments(store, rows=DEPARTMENTS) -> None:
    store.write_layer("departments", gpd.GeoDataFrame(
        {"department_id": [r[0] for r in rows], "name": [r[1] for r in rows], "grid_code": [r[2] for r in rows],
         "report_hours": [r[3] for r in rows]}, geometry=[None] * len(rows), crs="EPSG:4326"))


@pytest.fixture(params=BACKENDS)
def engine(request, tmp_path):
    with make_store(new_location(request, tmp_path)) as store:
        yield TicketEngine(store, clock=ManualClock(START))


def snapshot(store, ticket: str) -> tuple:
    """Everything a refused transfer must leave as it was."""
    return (store.query("SELECT state, version, department, deadline FROM tickets WHERE ticket_id = ?", (ticket,)),
            store.count("ticket_timeline"), store.count("audit_log"))


def transfer(engine, ticket: str, department: str) -> int:
    return engine.transfer(ticket, department, engine.clock() + timedelta(hours=48), actor="op01", seat="s")


def test_a_listed_department_takes_the_ticket_and_the_timeline_names_it(engine):
    add_departments(engine.store)
    ticket = new_ticket(engine)
    transfer(engine, ticket, "kanglong_office")
    shown = engine.show(ticket)
    assert shown["state"] == "transferred" and shown["department"] == "kanglong_office"
    assert shown["timeline"][-1]["note"] == "to 康隆社区工作站 (kanglong_office) by 2026-11-03T02:00:00Z"


def test_an_unknown_department_is_refused_naming_the_known_ones_and_nothing_changes(engine):
    add_departments(engine.store)
    ticket = new_ticket(engine)
    before = snapshot(engine.store, ticket)
    with pytest.raises(WorkflowError) as refused:
        transfer(engine, ticket, "城管局")
    assert str(refused.value) == ("no department '城管局' in the store; its departments are "
                                  + ", ".join(r[0] for r in DEPARTMENTS))
    assert snapshot(engine.store, ticket) == before


def test_a_long_list_of_departments_is_named_by_its_first_few(engine):
    add_departments(engine.store, [(f"dept{i:02d}", f"部门{i}", None, None) for i in range(20)])
    ticket = new_ticket(engine)
    with pytest.raises(WorkflowError, match=r"departments are dept00, dept01, .*, dept07 and 12 more$"):
        transfer(engine, ticket, "dept99")


@pytest.mark.parametrize("listed", [True, False], ids=["store-with-departments", "store-without"])
@pytest.mark.parametrize("responder, what", [("C1001", "a grid worker"), ("P1", "a police unit"),
                                             ("D1", "a department team")])
def test_a_responder_id_is_refused_as_such(engine, listed, responder, what):
    if listed:
        add_departments(engine.store)
    ticket = new_ticket(engine)
    before = snapshot(engine.store, ticket)
    with pytest.raises(WorkflowError, match=f"^{responder} is {what}, not a department"):
        transfer(engine, ticket, responder)
    assert snapshot(engine.store, ticket) == before


def test_a_store_without_departments_takes_any_name(engine):
    ticket = new_ticket(engine)
    transfer(engine, ticket, "区城市管理局")
    shown = engine.show(ticket)
    assert shown["department"] == "区城市管理局"
    assert shown["timeline"][-1]["note"].startswith("to 区城市管理局 by ")


def test_departments_serving_a_grid_come_first_closest_area_first(engine):
    add_departments(engine.store)
    departments = read_departments(engine.store)
    assert departments[0] == Department("city_management", "城市管理执法局", None, None, 72.0)
    lineage = grid_lineage(engine.store, GRID_A1)
    assert lineage == [GRID_A1, VILLAGE_A, TOWNSHIP]
    serving, others = for_grid(departments, lineage)
    assert [d.department_id for d in serving] == ["kanglong_office", "street_market", "county_water",
                                                  "city_management"]
    assert [d.department_id for d in others] == ["xinglong_office"]
    # A ticket without a grid: only the whole territory's departments serve it for sure.
    serving, others = for_grid(departments, grid_lineage(engine.store, None))
    assert [d.department_id for d in serving] == ["city_management"] and len(others) == 4
    assert department_name(engine.store, "county_water") == "县水务局"
    assert department_name(engine.store, "W000100") is None
