"""One Store, two backends: every test runs on a GeoPackage file and on a real PostgreSQL + PostGIS
server (the session's throwaway cluster, tests/pg.py), and both must answer alike."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
import threading
import time

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely

from data import dialect, migrations, postgis
from data.centre import read_centre, write_centre
from data.schema import LAYERS, TABLES, TICKET_DAY_SQL
from data.store import Store, StoreBusy, StoreError
from tests.data.test_store import grids_frame, incidents_frame
from tests import pg
from tests.pg import SUPERUSER, _free_port

_SHAPES = {
    "POINT": lambda i: shapely.Point(112 + i * 0.01, 32 + i * 0.02),
    "LINESTRING": lambda i: shapely.LineString([(112 + i * 0.01, 32), (112.005 + i * 0.01, 32.004), (112.02, 32.01)]),
    "MULTIPOLYGON": lambda i: shapely.MultiPolygon([shapely.box(112 + i, 32, 112.5 + i, 32.5),
                                                    shapely.box(113 + i, 33, 113.1 + i, 33.1)]),
}


def _values(table, n: int) -> dict[str, list]:
    """A value of its type for every column, distinct per row, Chinese text and a NULL in each nullable column."""
    columns = {}
    for column in table.columns:
        if column.sql_type == "INTEGER":
            values = [i * 7 - 3 for i in range(n)]
        elif column.sql_type == "REAL":
            values = [i / 3 + 0.25 for i in range(n)]
        else:
            values = [f"{column.name}-{i}-网格" for i in range(n)]
        if column.nullable:
            values[-1] = None
        columns[column.name] = values
    return columns


def _plain(series: pd.Series) -> list:
    return [None if pd.isna(v) else v for v in series.tolist()]


@pytest.fixture(params=["geopackage", "postgis"])
def store(request, tmp_path):
    """A new store on each backend (on PostgreSQL cloned from a migrated template)."""
    if request.param == "geopackage":
        location = Store.create(tmp_path / "city.gpkg")
    else:
        location = Store.open(request.getfixturevalue("pg_store_url"))
    with location as s:
        yield s


def test_create_migrates_and_open_finds_the_same_store(store_location):
    with Store.create(store_location) as store:
        assert store.schema_version == migrations.LATEST_VERSION
        store.write_layer("grids", grids_frame(2))
    with Store.open(store_location) as again:
        assert again.schema_version == migrations.LATEST_VERSION
        assert again.query(f"SELECT count(*) FROM {migrations.MIGRATIONS_TABLE}")[0][0] == len(migrations.MIGRATIONS)
        assert again.read_layer("grids")["code"].tolist() == ["G000", "G001"]
    with pytest.raises(StoreError, match="already"):
        Store.create(store_location)


@pytest.mark.parametrize("name", sorted(LAYERS))
def test_every_layer_round_trips_attributes_and_geometry(store, name):
    layer = LAYERS[name]
    n = 4
    shapes = [_SHAPES[layer.geometry_type](i) for i in range(n - 1)] + [None]
    frame = gpd.GeoDataFrame(_values(layer, n), geometry=shapes, crs="EPSG:4326")
    assert store.write_layer(name, frame) == n
    back = store.read_layer(name)
    assert back.crs.to_epsg() == 4326
    assert back["fid"].tolist() == sorted(back["fid"]) and back["fid"].is_unique
    for column in layer.column_names:
        assert _plain(back[column]) == _plain(frame[column]), column
    assert shapely.equals_exact(back.geometry.values[:-1], frame.geometry.values[:-1], tolerance=0).all()
    assert back.geometry.values[-1] is None
    assert store.count(name) == n


@pytest.mark.parametrize("name", sorted(TABLES))
def test_every_table_round_trips(store, name):
    table = TABLES[name]
    rows = pd.DataFrame(_values(table, 3))
    assert store.insert_rows(name, rows) == 3
    back = store.read_table(name)
    for column in table.column_names:
        assert _plain(back[column]) == _plain(rows[column]), column


def test_polygons_are_promoted_and_other_crs_reprojected(store):
    store.write_layer("grids", grids_frame(2).to_crs("EPSG:32649"))
    back = store.read_layer("grids")
    assert set(back.geom_type) == {"MultiPolygon"}
    assert np.allclose(back.total_bounds, grids_frame(2).total_bounds, atol=1e-7)


def test_bbox_reads_find_exactly_the_features_whose_box_meets_it(store):
    store.write_layer("incidents", incidents_frame(3000))
    store.write_layer("grids", grids_frame(5))
    box = (112.2, 32.2, 112.5, 32.6)
    everything = store.read_layer("incidents")
    expected = everything[everything.intersects(shapely.box(*box))]
    found = store.read_layer("incidents", bbox=box, where="priority >= ?", params=(2,))
    assert sorted(found["ticket_id"]) == sorted(expected[expected["priority"] >= 2]["ticket_id"])
    assert 0 < len(found) < len(everything)
    # A box touching only the second grid's bounding box.
    assert store.read_layer("grids", bbox=(112.012, 32.002, 112.013, 32.003))["code"].tolist() == ["G001"]


def test_replace_empties_the_layer_and_fids_are_never_reused(store):
    store.write_layer("incidents", incidents_frame(50))
    highest = store.read_layer("incidents")["fid"].max()
    store.write_layer("incidents", incidents_frame(7, prefix="R"), mode="replace")
    back = store.read_layer("incidents")
    assert back["ticket_id"].tolist() == [f"R{i}" for i in range(7)]
    assert back["fid"].min() > highest


def test_a_failing_transaction_leaves_nothing_half_written(store):
    with pytest.raises(RuntimeError):
        with store.transaction() as tx:
            tx.write_layer("grids", grids_frame())
            tx.insert_rows("audit_log", [{"at": "t", "actor": "a", "action": "x"}])
            raise RuntimeError("crash in the middle")
    store.insert_rows("tickets", [{"ticket_id": "T1", "state": "received", "version": 1}])
    # A ticket change, its timeline and its audit row: the duplicate ticket fails the last statement.
    with pytest.raises(StoreError, match="(?i)unique|duplicate"):
        with store.transaction() as tx:
            tx.execute("UPDATE tickets SET state = 'dispatched', version = 2 WHERE ticket_id = ?", ("T1",))
            tx.insert_rows("ticket_timeline", [{"ticket_id": "T1", "state": "dispatched", "at": "t", "by": "op"}])
            tx.insert_rows("audit_log", [{"at": "t", "actor": "op", "action": "dispatch", "subject": "T1"}])
            tx.insert_rows("tickets", [{"ticket_id": "T1", "state": "received", "version": 1}])
    assert store.count("grids") == store.count("audit_log") == store.count("ticket_timeline") == 0
    assert store.query("SELECT state, version FROM tickets") == [("received", 1)]


def test_a_refused_write_says_why_and_changes_nothing(store):
    store.write_layer("grids", grids_frame(2))
    before = store.read_layer("grids")
    with pytest.raises(StoreError, match="(?i)unique|duplicate"):
        store.write_layer("grids", grids_frame().assign(code=["X", "X", "Y"]), mode="replace")
    with pytest.raises(StoreError, match="whole numbers"):
        store.write_layer("grids", grids_frame().assign(level=["one", "two", "three"]), mode="replace")
    assert store.read_layer("grids").equals(before)


def test_sqlite_style_parameters_and_literals_mean_the_same_on_both(store):
    store.insert_rows("centre", [{"key": "name", "value": "城关镇 100% ?"}])
    assert store.query("SELECT value FROM centre WHERE key = ? AND value LIKE '%100!%%' ESCAPE '!'",
                       ("name",)) == [("城关镇 100% ?",)]
    assert store.query("SELECT '?', ?2, ?1, ?2 || 'x' -- a ? here\n", ("a", "b")) == [("?", "b", "a", "bx")]
    assert store.query('SELECT count(*) AS "n?" FROM centre WHERE value = ?', ("城关镇 100% ?",)) == [(1,)]
    assert store.query("SELECT sum(length(key)), avg(length(key)) FROM centre") == [(4, 4.0)]


def test_the_dialect_fragments_answer_alike(store):
    times = ("2026-10-01T15:59:59Z", "2026-10-01T16:00:00Z", "2026-10-01T23:30:00")
    d = store.dialect
    answers = [store.query(f"SELECT {d.day('?')}, {d.hour('?')}, "
                           f"round(({d.julian_days('?')} - {d.julian_days('?')}) * 1440)", (t, t, t, times[0]))[0]
               for t in times]
    assert answers == [("2026-10-01", 23, 0), ("2026-10-02", 0, 0), ("2026-10-02", 7, 450)]
    assert store.query(f"SELECT {d.day('?')}, {d.hour('?')}, {d.julian_days('?')}", ("no time",) * 3) \
        == [(None, None, None)]
    assert store.query(f"SELECT {d.least('?', '?')}, {d.greatest('?', '?')}", (3, 5, 3, 5)) == [(3, 5)]
    assert [bool(v) for v in store.query(f"SELECT {d.distinct('?', 'NULL')}, {d.distinct('NULL', 'NULL')}",
                                         ("x",))[0]] == [True, False]
    store.insert_rows("centre", [{"key": k, "value": k} for k in ("a", "b")])
    assert store.query(f"SELECT {d.group_concat('key', ';')} FROM (SELECT key FROM centre ORDER BY key) k") \
        == [("a;b",)]


def test_box_fragments_and_case_blind_like_answer_alike(store):
    store.write_layer("grids", grids_frame(3).assign(code=["G000", "g001", "G002"]))
    d = store.dialect
    join, box = d.box_columns("grids", "g")
    rows = store.query(
        f"SELECT g.code, {', '.join(box)} FROM grids g{join} WHERE {d.in_box('grids', 'g')} "
        f"AND g.code {d.like_nocase} ? ORDER BY {d.unindexed('g.code')} DESC", (112.012, 32.002, 112.03, 32.003, "G00%"))
    assert [r[0] for r in rows] == ["g001", "G002"]
    # The R-tree keeps 32-bit floats rounded outwards: the boxes agree to a few metres.
    assert np.allclose([r[1:] for r in rows], [shapely.box(112.01, 32, 112.02, 32.01).bounds,
                                               shapely.box(112.02, 32, 112.03, 32.01).bounds], atol=1e-5)


def test_the_sqlite_day_fragment_is_the_one_the_statistics_index_covers():
    assert dialect.SQLITE.day("reported_at") == TICKET_DAY_SQL


def test_tickets_keep_their_incidents_facts_by_trigger(store):
    store.insert_rows("tickets", [{"ticket_id": "T0", "state": "received", "version": 1}])
    store.write_layer("incidents", incidents_frame(2))  # T0 exists already, T1 comes after its incident
    store.insert_rows("tickets", [{"ticket_id": "T1", "state": "received", "version": 1}])
    with store.transaction() as tx:
        tx.execute("UPDATE incidents SET category = ? WHERE ticket_id = ?", ("noise", "T1"))
    assert store.query("SELECT ticket_id, channel, category, reported_at FROM tickets ORDER BY ticket_id") == [
        ("T0", "12345", "dispute", "2026-10-01T08:00:00"), ("T1", "12345", "noise", "2026-10-01T08:00:00")]


def test_kept_results_centre_and_layer_stamps(store):
    assert store.cached("map.coverage", "in-1") is None
    store.keep("map.coverage", "in-1", "first")
    store.keep("map.coverage", "in-2", "second")
    assert store.cached("map.coverage", "in-1") is None and store.cached("map.coverage", "in-2") == "second"
    with store.transaction() as tx:
        write_centre(tx, "城关镇综治中心", "Asia/Shanghai")
    with store.transaction() as tx:
        write_centre(tx, "城关镇综治中心二", "Asia/Urumqi")
    assert read_centre(store).name == "城关镇综治中心二" and read_centre(store).timezone == "Asia/Urumqi"
    store.write_layer("roads", gpd.GeoDataFrame(
        {"road_class": ["local"], "speed_kph": [30.0], "oneway": [0], "bridge": [0]},
        geometry=[_SHAPES["LINESTRING"](0)], crs="EPSG:4326"))
    first = store.layer_stamp("roads")
    store.write_layer("roads", store.read_layer("roads").drop(columns="fid"), mode="replace")
    assert first is not None and store.layer_stamp("roads") > first


_COUNTER = textwrap.dedent("""
    import sys, time
    sys.path.insert(0, {root!r})
    from data.store import Store
    with Store.open(sys.argv[1]) as store:
        print("ready", flush=True)
        sys.stdin.readline()  # both seats start together
        for _ in range({rounds}):
            with store.transaction() as tx:  # read, then write what was read plus one
                (value,) = tx.execute("SELECT value FROM centre WHERE key = 'counter'").fetchone()
                tx.execute("UPDATE centre SET value = ? WHERE key = 'counter'", (str(int(value) + 1),))
                tx.insert_rows("audit_log", [{{"at": value, "actor": sys.argv[2], "action": "count"}}])
            time.sleep(0.002)  # a seat does other things between its writes
""")


def test_concurrent_writers_in_two_processes_lose_no_update(store_location):
    """Two seats read-modify-write the same row at once: writers queue, so every increment lands."""
    rounds = 60
    with Store.create(store_location) as store:
        store.insert_rows("centre", [{"key": "counter", "value": "0"}])
    script = _COUNTER.format(root=os.getcwd(), rounds=rounds)
    seats = [subprocess.Popen([sys.executable, "-c", script, store_location, seat], stdin=subprocess.PIPE,
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
             for seat in ("seat1", "seat2")]
    assert [seat.stdout.readline().strip() for seat in seats] == ["ready", "ready"]
    for seat in seats:
        seat.stdin.write("go\n")
        seat.stdin.flush()
    errors = [seat.communicate(timeout=120)[1] for seat in seats]
    assert [seat.returncode for seat in seats] == [0, 0], errors
    with Store.open(store_location) as store:
        assert int(store.query("SELECT value FROM centre WHERE key = 'counter'")[0][0]) == 2 * rounds
        order = [actor for _, actor in sorted((int(v), a) for v, a in store.query("SELECT at, actor FROM audit_log"))]
        assert len(order) == 2 * rounds  # each value read by exactly one writer: none was lost
        assert sorted(int(v) for (v,) in store.query("SELECT at FROM audit_log")) == list(range(2 * rounds))
        switches = sum(a != b for a, b in zip(order, order[1:]))
        assert switches >= 2, order  # the two seats' writes did interleave


def test_two_seats_acting_on_the_same_version_one_wins(store_location):
    """Both saw version 1 and change the ticket at once: exactly one update lands, the other finds
    the version moved on (what the workflow engine reports as a conflict)."""
    with Store.create(store_location) as store:
        store.insert_rows("tickets", [{"ticket_id": "T1", "state": "received", "version": 1}])
    barrier = threading.Barrier(2)
    changed = {}

    def seat(name):
        with Store.open(store_location) as store:
            barrier.wait()
            with store.transaction() as tx:
                changed[name] = tx.execute("UPDATE tickets SET state = ?, version = 2 WHERE ticket_id = 'T1' "
                                           "AND version = ?", (f"by {name}", 1)).rowcount
                time.sleep(0.05)  # still holding the ticket when the other seat tries

    threads = [threading.Thread(target=seat, args=(name,)) for name in ("a", "b")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert sorted(changed.values()) == [0, 1]
    winner = next(name for name, rows in changed.items() if rows)
    with Store.open(store_location) as store:
        assert store.query("SELECT state, version FROM tickets") == [(f"by {winner}", 2)]


def test_a_transaction_the_server_aborts_is_run_again(pg_url):
    """A serialization failure raised by the server itself: the work runs again and lands once."""
    attempts = []

    def work(tx):
        attempts.append(len(attempts))
        tx.insert_rows("audit_log", [{"at": "t", "actor": "op", "action": f"try {len(attempts)}"}])
        if len(attempts) < 3:
            tx.execute("DO $$ BEGIN RAISE EXCEPTION 'conflict' USING ERRCODE = 'serialization_failure'; END $$")
        return "done"

    with Store.create(pg_url) as store:
        assert store.run_in_transaction(work) == "done"
        assert store.query("SELECT action FROM audit_log") == [("try 3",)]
        attempts.clear()
        with pytest.raises(StoreBusy, match="nothing was changed"):
            store.run_in_transaction(work, attempts=2)
        assert store.count("audit_log") == 1


def test_postgres_layers_are_postgis_tables_with_gist_indexes(pg_url):
    with Store.create(pg_url) as store:
        geometry = dict(store.query("SELECT f_table_name, type || ':' || srid FROM geometry_columns"))
        assert geometry == {name: f"{layer.geometry_type}:4326" for name, layer in LAYERS.items()}
        gist = {t for (t,) in store.query("SELECT tablename FROM pg_indexes WHERE indexdef LIKE '%USING gist (geom)%'")}
        assert gist == set(LAYERS)
        assert not store.query("SELECT tablename FROM pg_tables WHERE tablename LIKE 'gpkg%' OR tablename LIKE 'rtree%'")
        collations = {c for t, c in store.query("SELECT table_name, collation_name FROM information_schema.columns "
                                                "WHERE data_type = 'text'") if t in LAYERS or t in TABLES}
        assert collations == {"C"}  # text sorts as on SQLite, whatever the database's locale
        identity = store.query("SELECT count(*) FROM information_schema.columns WHERE column_name = 'fid' "
                               "AND is_identity = 'YES'")[0][0]
        assert identity == len(LAYERS) + len(TABLES)
        plan = "\n".join(r[0] for r in store.query(
            f"EXPLAIN SELECT fid FROM tickets WHERE {postgis.TICKET_DAY_COLUMN} >= '2026-10-01'"))
        assert "idx_tickets_stats_day" in plan or "Seq Scan" in plan  # a small table may be scanned
        assert f"({postgis.TICKET_DAY_COLUMN}, state," in store.query(
            "SELECT indexdef FROM pg_indexes WHERE indexname = 'idx_tickets_stats_day'")[0][0]
        assert store.query("SELECT generation_expression FROM information_schema.columns "
                           "WHERE table_name = 'tickets' AND column_name = ?", (postgis.TICKET_DAY_COLUMN,)) == [
            ("gridsight_day(reported_at, 8)",)]


def test_both_url_forms_open_the_same_database(pg_cluster, pg_url):
    name = pg_url.rsplit("/", 1)[1]
    with Store.create(pg_cluster.url(name, socket_form=True)) as store:
        store.write_layer("grids", grids_frame(1))
        assert store.location.startswith("postgresql:///")
    with Store.open(pg_url.replace(f"{SUPERUSER}@", f"{SUPERUSER}:secret@")) as store:
        assert store.read_layer("grids")["code"].tolist() == ["G000"]
        assert "secret" not in store.location and store.path is None


def test_a_server_that_is_down_or_a_missing_database_is_one_clear_error(pg_cluster, tmp_path):
    down = f"postgresql://{SUPERUSER}@127.0.0.1:{_free_port()}/gridsight"
    with pytest.raises(StoreError, match="cannot open the store .*refused") as err:
        Store.open(down)
    assert "\n" not in str(err.value)
    with pytest.raises(StoreError, match='database "nowhere" does not exist'):
        Store.open(pg_cluster.url("nowhere"))
    with pytest.raises(StoreError, match="not a gridsight store"):
        Store.open(pg_cluster.url("postgres"))
    with pytest.raises(StoreError, match="names no database") as err:
        Store.open(f"postgresql://{SUPERUSER}:secret@127.0.0.1:{pg_cluster.port}")
    assert "secret" not in str(err.value)
    result = subprocess.run([os.path.join(os.path.dirname(sys.executable), "gridsight"), "centre", "show",
                             "--db", down], capture_output=True, text=True, timeout=60)
    assert result.returncode == 2
    assert "Traceback" not in result.stderr and result.stderr.count("\n") == 1, result.stderr


def test_the_test_cluster_fails_loudly_without_postgresql(monkeypatch, tmp_path):
    monkeypatch.setattr(pg, "PG_BIN", tmp_path)
    with pytest.raises(pg.PgClusterError, match="install.sh"):
        pg.PgCluster()


def test_a_test_run_that_dies_leaves_no_server_running():
    """The watchdog stops the cluster of a test process killed before its teardown."""
    script = textwrap.dedent(f"""
        import os, signal, sys
        sys.path.insert(0, {os.getcwd()!r})
        from tests.pg import PgCluster
        cluster = PgCluster()
        cluster.start()
        print(cluster.data / "postmaster.pid", cluster.folder, flush=True)
        os.kill(os.getpid(), signal.SIGKILL)
    """)
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=60)
    assert result.returncode == -9, result.stderr
    pid_file, folder = result.stdout.split()
    server_pid = int(open(pid_file).readline())
    deadline = time.monotonic() + 15
    while (os.path.exists(folder) or _running(server_pid)) and time.monotonic() < deadline:
        time.sleep(0.2)
    assert not os.path.exists(folder)
    assert not _running(server_pid)


def _running(pid: int) -> bool:
    """Whether the process is alive (a zombie awaiting its reaper is not)."""
    try:
        with open(f"/proc/{pid}/stat") as stat:
            return stat.read().rsplit(")", 1)[1].split()[0] != "Z"
    except FileNotFoundError:
        return False
