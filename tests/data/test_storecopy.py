"""`gridsight store copy` and data.storecopy: a whole centre moves from a GeoPackage to PostgreSQL and
back, every layer and table alike (counts and contents), never over a centre without --force, and
a failed copy leaves the target as it was."""

from __future__ import annotations

import geopandas as gpd
import pandas as pd
import pytest

from data import auth, storecopy
from data.schema import LAYERS, TABLES
from data.store import Store
from data.storecopy import CopyFailed, CopyRefused, copy_store, table_digests
from tests.clirun import run_cli
from tests.data.test_store_backends import _SHAPES, _values

ROWS = 7  # more than the chunk size the tests set, so paging is exercised


def _fill(store: Store) -> None:
    """Every layer and table with rows of every column type, Chinese text, NULLs and a NULL geometry."""
    for name, layer in LAYERS.items():
        shapes = [_SHAPES[layer.geometry_type](i) for i in range(ROWS - 1)] + [None]
        store.write_layer(name, gpd.GeoDataFrame(_values(layer, ROWS), geometry=shapes, crs="EPSG:4326"))
    for name, table in TABLES.items():
        if name != "users":
            store.insert_rows(name, pd.DataFrame(_values(table, ROWS)))
    # A gap in a table's fids (a deleted row) is kept by the copy.
    with store.transaction() as tx:
        tx.execute("DELETE FROM audit_log WHERE fid = 3")


def _digests(store: Store) -> dict:
    return table_digests(store.query, store.dialect)


@pytest.fixture(autouse=True)
def small_chunks(monkeypatch):
    monkeypatch.setattr(storecopy, "CHUNK_ROWS", 3)


@pytest.fixture
def source(tmp_path) -> Store:
    with Store.create(tmp_path / "county.gpkg") as store:
        _fill(store)
        yield store


def test_a_centre_goes_to_the_server_and_back_alike(source, pg_url, tmp_path):
    report = copy_store(source, pg_url)
    assert report.rows == sum(t["rows"] for t in _digests(source).values())
    with Store.open(pg_url) as server:
        assert _digests(server) == _digests(source) == report.tables
        assert server.query("SELECT fid FROM audit_log ORDER BY fid") == source.query(
            "SELECT fid FROM audit_log ORDER BY fid")
        # New rows are numbered after the copied ones.
        server.insert_rows("audit_log", pd.DataFrame(_values(TABLES["audit_log"], 1)))
        assert server.query("SELECT max(fid) FROM audit_log")[0][0] == ROWS + 1
        with server.transaction() as tx:
            tx.execute("DELETE FROM audit_log WHERE fid = ?", (ROWS + 1,))
        back = copy_store(server, str(tmp_path / "back.gpkg"))
    with Store.open(tmp_path / "back.gpkg") as file:
        assert _digests(file) == _digests(source) == back.tables
        assert file.read_layer("grids").geometry.iloc[0].equals_exact(
            source.read_layer("grids").geometry.iloc[0], tolerance=0)


def test_a_server_store_copies_to_another_server(source, pg_url, pg_store_url):
    copy_store(source, pg_url)
    with Store.open(pg_url) as first:
        copy_store(first, pg_store_url)
        with Store.open(pg_store_url) as second:
            assert _digests(second) == _digests(first)


def test_a_target_holding_a_centre_is_refused_unless_forced(source, pg_store_url, tmp_path):
    with Store.open(pg_store_url) as server:
        server.write_layer("grids", gpd.GeoDataFrame(_values(LAYERS["grids"], 1),
                                                     geometry=[_SHAPES["MULTIPOLYGON"](0)], crs="EPSG:4326"))
        before = _digests(server)
        with pytest.raises(CopyRefused, match="already holds a centre"):
            copy_store(source, pg_store_url)
        assert _digests(server) == before
        copy_store(source, pg_store_url, force=True)
        assert _digests(server) == _digests(source)
    target = tmp_path / "other.gpkg"
    copy_store(source, str(target))
    with pytest.raises(CopyRefused):
        copy_store(source, str(target))
    with pytest.raises(CopyRefused, match="source itself"):
        copy_store(source, str(source.path), force=True)


def test_a_failed_copy_leaves_the_target_as_it_was(source, pg_store_url, tmp_path, monkeypatch):
    target = tmp_path / "old.gpkg"
    with Store.create(target) as old:
        old.write_layer("grids", gpd.GeoDataFrame(_values(LAYERS["grids"], 2),
                                                  geometry=[_SHAPES["MULTIPOLYGON"](i) for i in range(2)],
                                                  crs="EPSG:4326"))
        old_digests = _digests(old)
    with Store.open(pg_store_url) as server:
        server_digests = _digests(server)
    real = storecopy.table_digests

    def one_row_short(query, dialect):  # the copy, read back before it is kept, lacks a ticket
        found = real(query, dialect)
        return {**found, "tickets": {**found["tickets"], "rows": found["tickets"]["rows"] - 1}}

    monkeypatch.setattr(storecopy, "table_digests", one_row_short)
    for where in (str(target), pg_store_url):
        with pytest.raises(CopyFailed, match="tickets"):
            copy_store(source, where, force=True)
    with Store.open(target) as old:
        assert _digests(old) == old_digests
    assert not list(tmp_path.glob(".old.gpkg.partial*"))
    with Store.open(pg_store_url) as server:
        assert _digests(server) == server_digests


def test_copying_users_out_needs_an_admin(tmp_path, pg_url, capsys, monkeypatch):
    with Store.create(tmp_path / "signed.gpkg") as store:
        auth.add_user(store, "boss", "admin", "admin-pass-1", None)
        admin = auth.sign_in(store, "boss", "admin-pass-1", "seat-1")
        auth.add_user(store, "li", "dispatcher", "li-pass-12", admin)
        hashes = store.query("SELECT username, password_hash FROM users ORDER BY fid")
        with pytest.raises(auth.NotAllowed, match="admin"):
            copy_store(store, pg_url)
    monkeypatch.setenv("GRIDSIGHT_PASSWORD", "li-pass-12")
    code, _, err = run_cli(capsys, "store", "copy", "--from", tmp_path / "signed.gpkg", "--to", pg_url, "--user", "li")
    assert code == 5 and "admin" in err
    monkeypatch.setenv("GRIDSIGHT_PASSWORD", "admin-pass-1")
    code, out, err = run_cli(capsys, "store", "copy", "--from", tmp_path / "signed.gpkg", "--to", pg_url,
                             "--user", "boss", "--json")
    assert code == 0, err
    with Store.open(pg_url) as server:
        assert server.query("SELECT username, password_hash FROM users ORDER BY fid") == hashes
        assert auth.sign_in(server, "li", "li-pass-12", "seat-2").role == "dispatcher"


def test_cli_copy_reports_and_refuses(source, pg_url, capsys):
    code, out, err = run_cli(capsys, "store", "copy", "--from", source.path, "--to", pg_url)
    assert code == 0, err
    assert f"tickets {ROWS:>10}".replace("tickets ", "tickets".ljust(23)) in out
    assert "counts and contents checked" in out
    code, out, err = run_cli(capsys, "store", "copy", "--from", source.path, "--to", pg_url)
    assert code == 1 and "--force" in err and "Traceback" not in err
    code, _, err = run_cli(capsys, "store", "copy", "--from", source.path, "--to", "postgresql://nobody@/")
    assert code == 2 and err.count("\n") == 1


def test_an_empty_store_with_a_name_and_an_admin_takes_a_copy_without_force(source, pg_store_url):
    """What `gridsight init` and the first `users add` leave is not a centre: the copy replaces it."""
    with Store.open(pg_store_url) as server:
        auth.add_user(server, "boss", "admin", "admin-pass-1", None)
        with server.transaction() as tx:
            tx.execute("INSERT INTO centre (key, value) VALUES ('name', '新中心')")
        copy_store(source, pg_store_url)
        assert _digests(server) == _digests(source)
