"""The GeoPackage store: standard-conformant, transactional, and refusing bad writes."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time

import geopandas as gpd
import numpy as np
import pandas as pd
import pyogrio
import pytest
import shapely

from data import migrations
from data.schema import LAYERS, TABLES
from data.store import BULK_ROWS, Store, StoreError
from tests.data.older_schema import schema_at


def grids_frame(n: int = 3) -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame(
        {
            "code": [f"G{i:03d}" for i in range(n)],
            "name": [f"网格{i}" for i in range(n)],
            "level": [3] * n,
            "parent_code": ["V1"] * n,
            "households": list(range(100, 100 + n)),
            "version": [1] * n,
        },
        geometry=[shapely.box(112 + i * 0.01, 32, 112.01 + i * 0.01, 32.01) for i in range(n)],
        crs="EPSG:4326",
    )


def incidents_frame(n: int, seed: int = 0, prefix: str = "T") -> gpd.GeoDataFrame:
    rng = np.random.default_rng(seed)
    return gpd.GeoDataFrame(
        {
            "ticket_id": [f"{prefix}{i}" for i in range(n)],
            "channel": "12345",
            "category": "dispute",
            "priority": rng.integers(1, 5, n),
            "reported_at": "2026-10-01T08:00:00",
        },
        geometry=shapely.points(rng.uniform(112, 113, n), rng.uniform(32, 33, n)),
        crs="EPSG:4326",
    )


@pytest.fixture()
def store(tmp_path):
    with Store.create(tmp_path / "city.gpkg") as s:
        yield s


def test_new_store_is_a_geopackage_gdal_reads(store):
    listed = dict(pyogrio.list_layers(store.path).tolist())
    for name, layer in LAYERS.items():
        assert listed[name] == layer.geometry_type.title().replace("polygon", "Polygon").replace(
            "string", "String"
        )
    for name in TABLES:
        assert name in listed
    with open(store.path, "rb") as f:
        header = f.read(100)
    assert header[68:72] == b"GPKG"  # application_id


def test_features_round_trip_and_gdal_sees_them(store):
    frame = grids_frame()
    assert store.write_layer("grids", frame, mode="replace") == 3
    back = store.read_layer("grids")
    assert back["code"].tolist() == frame["code"].tolist()
    assert back["households"].tolist() == [100, 101, 102]
    assert all(back.geom_type == "MultiPolygon")  # polygons promoted
    assert shapely.equals(back.geometry.values, frame.geometry.values).all()
    via_gdal = pyogrio.read_dataframe(store.path, layer="grids")
    assert via_gdal["name"].tolist() == ["网格0", "网格1", "网格2"]
    assert shapely.equals(via_gdal.geometry.values, frame.geometry.values).all()
    info = pyogrio.read_info(store.path, layer="grids")
    assert np.allclose(info["total_bounds"], frame.total_bounds)


def test_bbox_read_uses_the_rtree_for_bulk_and_trigger_writes(store):
    bulk = incidents_frame(BULK_ROWS + 10)
    store.write_layer("incidents", bulk)
    small = incidents_frame(5, seed=9, prefix="S")
    store.write_layer("incidents", small)  # below BULK_ROWS: the triggers index it
    assert store.query("SELECT count(*) FROM rtree_incidents_geom")[0][0] == BULK_ROWS + 15
    box = (112.2, 32.2, 112.5, 32.6)
    found = store.read_layer("incidents", bbox=box)
    all_points = store.read_layer("incidents")
    expected = all_points[all_points.intersects(shapely.box(*box))]
    assert sorted(found["ticket_id"]) == sorted(expected["ticket_id"])
    assert len(found) > 0


def test_replace_empties_the_layer_and_its_index(store):
    store.write_layer("incidents", incidents_frame(50))
    store.write_layer("incidents", incidents_frame(7, prefix="R"), mode="replace")
    assert store.count("incidents") == 7
    assert store.query("SELECT count(*) FROM rtree_incidents_geom")[0][0] == 7


@pytest.mark.parametrize(
    "change, message",
    [
        (lambda f: f.drop(columns=["name"]), "'name' must be given"),
        (lambda f: f.set_geometry(shapely.points(np.zeros(len(f)), np.zeros(len(f)))), "MULTIPOLYGON"),
        (lambda f: f.assign(level=["one", "two", "three"]), "whole numbers"),
        (lambda f: f.assign(code=["X", "X", "Y"]), "UNIQUE"),
    ],
)
def test_bad_writes_are_refused_and_change_nothing(store, change, message):
    store.write_layer("grids", grids_frame(2))
    before = store.read_layer("grids")
    with pytest.raises(StoreError, match=message):
        store.write_layer("grids", change(grids_frame()), mode="replace")
    after = store.read_layer("grids")
    assert after.equals(before)


def test_a_failing_transaction_rolls_back_every_write(store):
    with pytest.raises(RuntimeError):
        with store.transaction() as tx:
            tx.write_layer("grids", grids_frame())
            tx.insert_rows("audit_log", [{"at": "t", "actor": "a", "action": "x"}])
            raise RuntimeError("crash in the middle")
    assert store.count("grids") == 0
    assert store.count("audit_log") == 0


def test_reprojects_frames_given_in_another_crs(store):
    frame = grids_frame(1).to_crs("EPSG:32649")
    store.write_layer("grids", frame)
    back = store.read_layer("grids")
    assert np.allclose(back.total_bounds, grids_frame(1).total_bounds, atol=1e-7)


def test_open_refuses_missing_foreign_and_non_sqlite_files(tmp_path):
    with pytest.raises(StoreError, match="does not exist"):
        Store.open(tmp_path / "nope.gpkg")
    text = tmp_path / "notes.gpkg"
    text.write_text("hello")
    with pytest.raises(StoreError, match="not a GeoPackage/SQLite"):
        Store.open(text)
    foreign = tmp_path / "foreign.gpkg"
    pyogrio.write_dataframe(grids_frame(1), foreign, layer="x")
    with pytest.raises(StoreError, match="not a gridsight store"):
        Store.open(foreign)
    with pytest.raises(StoreError, match="already exists"):
        Store.create(foreign)


def test_schema_is_versioned_and_reopening_migrates_nothing(store, tmp_path):
    assert store.schema_version == migrations.LATEST_VERSION
    store.close()
    with Store.open(store.path) as again:
        assert again.query(f"SELECT count(*) FROM {migrations.MIGRATIONS_TABLE}")[0][0] == len(
            migrations.MIGRATIONS
        )


def test_migration_4_adds_campaigns_and_attachments_keeping_what_was_there(tmp_path, monkeypatch):
    path = tmp_path / "v3.gpkg"
    with schema_at(monkeypatch, 3):
        with Store.create(path) as old:
            old.write_layer("grids", grids_frame(2))
            assert "campaigns" not in {row[0] for row in old.query("SELECT table_name FROM gpkg_contents")}
    with Store.open(path) as store:
        assert store.schema_version == migrations.LATEST_VERSION
        contents = dict(store.query("SELECT table_name, data_type FROM gpkg_contents"))
        assert contents["campaigns"] == "features"
        assert "attachments" in {row[1] for row in store.query("PRAGMA table_info(tickets)")}
        assert store.read_layer("grids")["code"].tolist() == ["G000", "G001"]
        area = shapely.box(112, 32, 112.02, 32.01)
        store.write_layer("campaigns", gpd.GeoDataFrame(
            {"campaign_id": ["C1"], "name": ["汛期隐患排查"], "focus": ["hazard"],
             "starts_at": ["2026-06-01T00:00:00Z"], "ends_at": ["2026-09-30T00:00:00Z"], "description": [None]},
            geometry=[shapely.MultiPolygon([area])], crs="EPSG:4326"))
        assert store.read_layer("campaigns").geometry.iloc[0].equals(shapely.MultiPolygon([area]))


def test_migration_5_adds_the_derived_cache_keeping_what_was_there(tmp_path, monkeypatch):
    path = tmp_path / "v4.gpkg"
    with schema_at(monkeypatch, 4):
        with Store.create(path) as old:
            old.write_layer("grids", grids_frame(2))
    with Store.open(path) as store:
        assert store.schema_version == migrations.LATEST_VERSION
        assert dict(store.query("SELECT table_name, data_type FROM gpkg_contents"))["derived_cache"] == "attributes"
        assert store.read_layer("grids")["code"].tolist() == ["G000", "G001"]
        assert store.cached("map.coverage", "digest") is None


def test_migration_6_adds_departments_centre_and_position_source_keeping_what_was_there(tmp_path, monkeypatch):
    path = tmp_path / "v5.gpkg"
    with schema_at(monkeypatch, 5):
        with Store.create(path) as old:
            old.write_layer("grids", grids_frame(2))
            assert "position_source" not in {row[1] for row in old.query("PRAGMA table_info(responders)")}
    with Store.open(path) as store:
        assert store.schema_version == migrations.LATEST_VERSION
        contents = dict(store.query("SELECT table_name, data_type FROM gpkg_contents"))
        assert contents["departments"] == "features" and contents["centre"] == "attributes"
        assert "position_source" in {row[1] for row in store.query("PRAGMA table_info(responders)")}
        assert store.read_layer("grids")["code"].tolist() == ["G000", "G001"]


def test_migration_7_adds_users_and_the_audit_seat_keeping_what_was_there(tmp_path, monkeypatch):
    path = tmp_path / "v6.gpkg"
    with schema_at(monkeypatch, 6):
        with Store.create(path) as old, old.transaction() as tx:
            tx.execute("INSERT INTO audit_log (at, actor, action) VALUES ('2026-12-08T00:00:00Z', 'op1', 'intake')")
    with Store.open(path) as store:
        assert store.schema_version == 7
        assert dict(store.query("SELECT table_name, data_type FROM gpkg_contents"))["users"] == "attributes"
        audit = store.read_table("audit_log")
        assert audit["actor"].tolist() == ["op1"] and audit["seat"].isna().all()


def test_a_kept_result_is_read_back_only_for_the_same_inputs(store, tmp_path):
    store.keep("map.coverage", "inputs-1", "first\nresult")
    assert store.cached("map.coverage", "inputs-1") == "first\nresult"
    assert store.cached("map.coverage", "inputs-2") is None  # computed from something else
    assert store.cached("other", "inputs-1") is None
    store.keep("map.coverage", "inputs-2", "second")  # replaces: one result per name
    assert store.cached("map.coverage", "inputs-1") is None
    assert store.cached("map.coverage", "inputs-2") == "second"
    assert store.count("derived_cache") == 1
    with Store.open(store.path) as other_seat:  # another seat reads what this one kept
        assert other_seat.cached("map.coverage", "inputs-2") == "second"


def test_a_store_from_a_newer_gridsight_is_refused(store):
    with store.transaction() as tx:
        tx.execute(
            f"INSERT INTO {migrations.MIGRATIONS_TABLE} VALUES (?, 'future', 'now')",
            (migrations.LATEST_VERSION + 1,),
        )
    store.close()
    with pytest.raises(StoreError, match="newer than this gridsight"):
        Store.open(store.path)


def test_killed_writer_leaves_old_or_new_state_never_half(tmp_path):
    path = tmp_path / "crash.gpkg"
    with Store.create(path) as s:
        s.write_layer("incidents", incidents_frame(100, prefix="OLD"))
    script = textwrap.dedent(
        f"""
        import sys
        sys.path.insert(0, {str(os.getcwd())!r})
        from tests.data.test_store import incidents_frame
        from data.store import Store
        s = Store.open({str(path)!r})
        print("ready", flush=True)
        while True:
            s.write_layer("incidents", incidents_frame(200_000, prefix="NEW"), mode="replace")
            s.write_layer("incidents", incidents_frame(100, prefix="OLD"), mode="replace")
        """
    )
    proc = subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.PIPE)
    assert proc.stdout.readline().strip() == b"ready"
    time.sleep(1.5)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    with Store.open(path) as s:
        assert s.query("PRAGMA integrity_check")[0][0] == "ok"
        count = s.count("incidents")
        assert count in (100, 200_000)
        assert s.query("SELECT count(*) FROM rtree_incidents_geom")[0][0] == count


def test_ogrinfo_opens_the_store_as_is(store):
    store.write_layer("grids", grids_frame())
    result = subprocess.run(
        ["ogrinfo", "-so", "-ro", str(store.path), "grids"], capture_output=True, text=True, check=True
    )
    assert "Feature Count: 3" in result.stdout
    assert "Geometry: Multi Polygon" in result.stdout
    assert "ERROR" not in result.stderr


def test_refusing_a_foreign_file_leaves_its_bytes_alone(tmp_path):
    foreign = tmp_path / "foreign.gpkg"
    pyogrio.write_dataframe(grids_frame(1), foreign, layer="x")
    before = foreign.read_bytes()
    with pytest.raises(StoreError):
        Store.open(foreign)
    assert foreign.read_bytes() == before
    assert not (tmp_path / "foreign.gpkg-wal").exists()


@pytest.mark.parametrize("sql_type", ["INTEGER", "REAL", "TEXT"])
@pytest.mark.parametrize(
    "value",
    [1, 2.0, "3", " 4 ", "5.0", None, np.nan, pd.NA, np.int64(6), np.float32(7.0), 2.5, "x", True, "中文", ""],
)
def test_small_and_large_writes_convert_values_alike(sql_type, value):
    """Small frames take the one-by-one path, large ones the vectorised one: same rules."""
    from data.store import SMALL_FRAME_ROWS, _column_values

    def convert(rows: int):
        series = pd.Series([value] * rows, name="c", dtype=object)
        try:
            return _column_values(series, sql_type)[0]
        except StoreError as err:
            return ("refused", str(err).split(",")[0])

    small, large = convert(1), convert(SMALL_FRAME_ROWS + 1)
    assert small == large and type(small) is type(large)
