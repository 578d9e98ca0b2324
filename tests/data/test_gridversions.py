"""Grid versioning: saves are checked, recorded and atomic; history, diff and rollback never rewrite it."""

from __future__ import annotations

import json

import pytest
import shapely
from geopandas import GeoDataFrame

from console import cli
from data import gridversions, migrations
from data.store import Store, StoreError
from gis import editing
from tests.data.older_schema import schema_at
from tests.gis.test_editing import (
    leaves,
    line_through,
    neighbours,
    row,
    voronoi_hierarchy,
)


@pytest.fixture()
def store_path(store_location):
    """A store with a grid hierarchy and two grid workers, on each backend."""
    path = store_location
    grids = voronoi_hierarchy()
    with Store.create(path) as store:
        store.write_layer("grids", grids.assign(version=1), mode="replace")
        leaf = leaves(grids)["code"].iloc[0]
        store.write_layer("responders", GeoDataFrame(
            {"responder_id": ["W1", "W2"], "name": ["网格员甲", "网格员乙"], "kind": "grid_worker",
             "role": "grid_member", "grid_code": [leaf, neighbours(grids, leaf)[0]], "status": "on_duty"},
            geometry=[shapely.Point(114.01, 30.01)] * 2, crs="EPSG:4326"))
    return path


def split_first_leaf(grids: GeoDataFrame) -> editing.Edit:
    code = leaves(grids)["code"].iloc[0]
    return editing.split(grids, code, line_through(row(grids, code).geometry, 0.3))


def test_a_save_replaces_the_grids_bumps_versions_and_records_who_when_why(store_path):
    with Store.open(store_path) as store:
        grids = store.read_layer("grids")
        edit = split_first_leaf(grids)
        changeset = gridversions.save(store, edit.change, by="分析员王", why="workload too high")
        saved = store.read_layer("grids")
        log = gridversions.history(store)
        assert gridversions.history(store, changeset_id=changeset + 1).empty
        audit = store.query("SELECT actor, action, detail FROM audit_log")
    assert len(saved) == len(grids) + 1
    versions = dict(zip(saved["code"], saved["version"]))
    for code in edit.change.before["code"]:
        assert versions[code] == 2
    created = set(edit.change.after["code"]) - set(edit.change.before["code"])
    assert [versions[c] for c in created] == [1]
    assert set(log["code"]) == set(edit.change.after["code"])
    assert (log["changeset_id"] == changeset).all() and (log["by"] == "分析员王").all()
    assert set(log.loc[log["code"].isin(created), "change"]) == {"created"}
    assert audit == [("分析员王", "grids.split", "workload too high")]


def test_a_sessions_net_change_saves_as_one_change_set_matching_the_session(store_path):
    with Store.open(store_path) as store:
        session = editing.EditSession(store.read_layer("grids"))
        session.apply(split_first_leaf(session.grids))
        code = leaves(session.grids)["code"].iloc[5]
        session.apply(editing.merge(session.grids, neighbours(session.grids, code)[0], code))
        session.apply(editing.set_attributes(session.grids, leaves(session.grids)["code"].iloc[9], name="新名"))
        session.undo()
        changeset = gridversions.save(store, session.pending(), by="ana", why="rebalance")
        saved = store.read_layer("grids").set_index("code")
        log = gridversions.history(store, changeset_id=changeset)
    expected = session.grids.set_index("code")
    assert sorted(saved.index) == sorted(expected.index)
    assert all(shapely.equals_exact(saved.loc[c, "geometry"], expected.loc[c, "geometry"], 0) for c in expected.index)
    assert "新名" not in set(saved["name"])
    assert set(log["operation"]) == {"split, merge"} and "deleted" in set(log["change"])


def test_a_merge_moves_the_workers_of_the_absorbed_grid(store_path):
    with Store.open(store_path) as store:
        grids = store.read_layer("grids")
        code = leaves(grids)["code"].iloc[0]
        receiver = neighbours(grids, code)[0]
        gridversions.save(store, editing.delete(grids, code, receiver).change, by="ana", why="village merged")
        workers = dict(store.query("SELECT responder_id, grid_code FROM responders"))
    assert workers == {"W1": receiver, "W2": receiver}


def test_a_second_analysts_save_on_a_changed_grid_is_a_conflict_not_an_overwrite(store_path):
    with Store.open(store_path) as first, Store.open(store_path) as second:
        mine, theirs = first.read_layer("grids"), second.read_layer("grids")
        gridversions.save(first, split_first_leaf(mine).change, by="ana", why="first")
        code = leaves(theirs)["code"].iloc[0]
        their_edit = editing.set_attributes(theirs, code, name="改名")
        with pytest.raises(gridversions.GridConflict, match=f"grid {code} is at version 2, the edit was made on version 1"):
            gridversions.save(second, their_edit.change, by="bob", why="second")
        assert second.read_layer("grids").set_index("code").loc[code, "name"] != "改名"
        assert len(gridversions.history(second)["changeset_id"].unique()) == 1
        # An edit of grids the first save did not touch goes through.
        untouched = leaves(theirs)["code"].iloc[-1]
        gridversions.save(second, editing.set_attributes(theirs, untouched, name="改名").change, by="bob", why="ok")


def test_rollback_restores_the_old_boundaries_exactly_as_a_new_change_set(store_path):
    with Store.open(store_path) as store:
        original = store.read_layer("grids")
        code = leaves(original)["code"].iloc[0]
        receiver = neighbours(original, code)[0]
        changeset = gridversions.save(store, editing.merge(original, receiver, code).change, by="ana", why="merge")
        rollback = gridversions.rollback(store, changeset, by="ana", why="wrong village")
        restored = store.read_layer("grids").set_index("code")
        log = gridversions.history(store, code=code)
        workers = dict(store.query("SELECT responder_id, grid_code FROM responders"))
        with pytest.raises(gridversions.GridConflict, match=f"cannot roll back change-set {changeset}"):
            gridversions.rollback(store, changeset, by="ana", why="twice")
        with pytest.raises(StoreError, match="no change-set 99"):
            gridversions.rollback(store, 99, by="ana", why="none")
    assert sorted(restored.index) == sorted(original["code"])
    for old in original.itertuples():
        assert shapely.equals_exact(restored.loc[old.code, "geometry"], old.geometry, 0)
        assert restored.loc[old.code, "name"] == old.name
    assert restored.loc[code, "version"] == 2 and restored.loc[receiver, "version"] == 3
    assert list(log["change"]) == ["deleted", "created"] and list(log["rolls_back"].fillna(0)) == [0, changeset]
    assert rollback == changeset + 1
    assert workers == {"W1": code, "W2": receiver}


def test_diff_gives_old_and_new_boundaries_per_code(store_path):
    with Store.open(store_path) as store:
        grids = store.read_layer("grids")
        edit = split_first_leaf(grids)
        changeset = gridversions.save(store, edit.change, by="ana", why="split")
        changes = gridversions.diff(store, changeset).set_index("code")
    code = leaves(grids)["code"].iloc[0]
    assert shapely.equals_exact(changes.loc[code, "old_geometry"], row(grids, code).geometry, 0)
    assert shapely.equals_exact(changes.loc[code, "geometry"], row(edit.grids, code).geometry, 0)
    created = changes[changes["change"] == "created"]
    assert len(created) == 1 and created["old_geometry"].iloc[0] is None


def test_a_failed_save_changes_nothing(store_path):
    with Store.open(store_path) as store:
        grids = store.read_layer("grids")
        edit = split_first_leaf(grids)
        broken = edit.change.after.copy()
        broken.loc[broken.index[0], "name"] = None  # grids.name is NOT NULL: the write fails midway
        with pytest.raises(StoreError):
            gridversions.save(store, editing.Change("split", "", edit.change.before, broken), by="ana", why="x")
        assert store.count("grids") == len(grids)
        assert gridversions.history(store).empty
    with pytest.raises(StoreError, match="who saves the change and why"):
        gridversions.save(Store.open(store_path), edit.change, by=" ", why="x")


def test_ticket_points_and_tickets_keep_their_grid_code_through_a_save(store_path):
    with Store.open(store_path) as store:
        grids = store.read_layer("grids")
        code = leaves(grids)["code"].iloc[0]
        receiver = neighbours(grids, code)[0]
        where = shapely.point_on_surface(row(grids, code).geometry)
        with store.transaction() as tx:
            tx.write_layer("incidents", GeoDataFrame(
                {"ticket_id": ["T1", "T2", "T3"], "channel": "12345", "category": "hazard", "priority": 3,
                 "reported_at": ["2026-01-01T00:00:00Z", "2026-02-01T00:00:00Z", "2026-03-01T00:00:00Z"],
                 "grid_code": code}, geometry=[where] * 3, crs="EPSG:4326"))
            tx.insert_rows("tickets", [{"ticket_id": "T1", "state": "dispatched", "version": 1},
                                       {"ticket_id": "T2", "state": "closed", "version": 1},
                                       {"ticket_id": "T3", "state": "closed", "version": 1}])
        open_points = gridversions.ticket_points(store)
        recent = gridversions.ticket_points(store, reported_since="2026-02-01T00:00:00Z", open_only=False)
        gridversions.save(store, editing.merge(grids, receiver, code).change, by="ana", why="merge")
        located = store.query("SELECT DISTINCT grid_code FROM incidents")
    assert len(open_points) == 1 and open_points.iloc[0].equals(where)
    assert len(recent) == 2
    assert located == [(code,)]


def test_migration_3_adds_the_history_tables_to_an_older_store(tmp_path, monkeypatch):
    path = tmp_path / "old.gpkg"
    with schema_at(monkeypatch, 2):
        Store.create(path).close()
    with Store.open(path) as store:
        assert store.schema_version == migrations.LATEST_VERSION
        assert gridversions.history(store).empty and store.count("grid_changesets") == 0


def test_cli_lists_history_and_rolls_back(store_path, capsys):
    with Store.open(store_path) as store:
        grids = store.read_layer("grids")
        changeset = gridversions.save(store, split_first_leaf(grids).change, by="ana", why="too big")
    code = leaves(grids)["code"].iloc[0]
    assert cli.main(["grids", "history", "--db", str(store_path), "--code", code, "--json"]) == 0
    entries = json.loads(capsys.readouterr().out)
    assert [(e["changeset_id"], e["change"], e["old_version"], e["new_version"]) for e in entries] == [
        (changeset, "modified", 1, 2)]
    assert cli.main(["grids", "rollback", "--db", str(store_path), str(changeset), "--by", "ana", "--why", "no"]) == 0
    assert f"rolled back change-set {changeset} as change-set {changeset + 1}" in capsys.readouterr().out
    assert cli.main(["grids", "history", "--db", str(store_path)]) == 0
    assert f"#{changeset + 1}" in capsys.readouterr().out
    assert cli.main(["grids", "rollback", "--db", str(store_path), str(changeset), "--by", "a", "--why", "b"]) == 1
    assert "roll back the later change-sets first" in capsys.readouterr().err
    assert cli.main(["grids", "rollback", "--db", str(store_path), "42", "--by", "a", "--why", "b"]) == 2
    assert "no change-set 42" in capsys.readouterr().err


def test_workers_moved_in_the_attributes_form_are_saved_and_rolled_back(store_path):
    with Store.open(store_path) as store:
        grids = store.read_layer("grids")
        leaf, neighbour = leaves(grids)["code"].iloc[0], neighbours(grids, leaves(grids)["code"].iloc[0])[0]
        session = editing.EditSession(grids)
        session.apply(editing.set_attributes(grids, leaf, workers={"W2": (neighbour, leaf)}, chief_id="W2"))
        changeset = gridversions.save(store, session.pending(), by="analyst", why="W2 takes over")
        assert dict(store.query("SELECT responder_id, grid_code FROM responders")) == {"W1": leaf, "W2": leaf}
        assert store.query("SELECT chief_id FROM grids WHERE code = ?", (leaf,)) == [("W2",)]
        gridversions.rollback(store, changeset, by="analyst", why="back")
        assert dict(store.query("SELECT responder_id, grid_code FROM responders")) == {"W1": leaf, "W2": neighbour}
        assert store.query("SELECT chief_id FROM grids WHERE code = ?", (leaf,)) == [(None,)]


def test_a_merge_saved_before_grids_imports_still_rolls_its_workers_back(store_path):
    """Change-sets saved before grids imports record moved workers as {responder id: [old, new]}."""
    with Store.open(store_path) as store:
        original = store.read_layer("grids")
        code = leaves(original)["code"].iloc[0]
        receiver = neighbours(original, code)[0]
        changeset = gridversions.save(store, editing.merge(original, receiver, code).change, by="ana", why="merge")
        assert gridversions.moved_rows(store, changeset) == {"responders": {"W1": [code, receiver]}}
        with store.transaction() as tx:
            tx.execute("UPDATE grid_changesets SET reassigned = ? WHERE changeset_id = ?",
                       (json.dumps({"W1": [code, receiver]}), changeset))
        gridversions.rollback(store, changeset, by="ana", why="wrong village")
        workers = dict(store.query("SELECT responder_id, grid_code FROM responders"))
    assert workers["W1"] == code


def test_replace_all_saves_the_whole_layout_as_one_change_set_moving_remapped_rows(store_path):
    with Store.open(store_path) as store:
        grids = store.read_layer("grids")
        leaf = leaves(grids)["code"].iloc[0]
        with store.transaction() as tx:
            tx.execute("UPDATE grids SET chief_id = 'W2' WHERE code = ?", (leaves(grids)["code"].iloc[1],))
        renamed = grids.assign(code=grids["code"].replace({leaf: "NEW"}), version=None)
        assert gridversions.orphans(store, renamed["code"]) == {"responders": {leaf: 1}}
        assert gridversions.orphans(store, renamed["code"], {leaf: "NEW"}) == {}
        changeset = gridversions.replace_all(store, renamed.drop(columns=["chief_id", "version"]), by="ana",
                                             why="new codes", remap={leaf: "NEW"})
        saved = store.read_layer("grids").set_index("code")
        log = gridversions.history(store, changeset_id=changeset)
        workers = dict(store.query("SELECT responder_id, grid_code FROM responders"))
        moved = gridversions.moved_rows(store, changeset)
    assert sorted(saved.index) == sorted(renamed["code"])
    assert saved.loc[leaves(grids)["code"].iloc[1], "chief_id"] == "W2"  # chiefs carry over for codes kept
    assert set(log["operation"]) == {"import"}
    assert dict(zip(log["code"], log["change"]))[leaf] == "deleted"
    assert workers["W1"] == "NEW" and moved == {"responders": {"W1": [leaf, "NEW"]}}


def test_a_chain_of_remapped_codes_moves_each_row_once(store_path):
    with Store.open(store_path) as store:
        grids = store.read_layer("grids")
        leaf = leaves(grids)["code"].iloc[0]
        neighbour = neighbours(grids, leaf)[0]
        remap = {leaf: neighbour, neighbour: "NEW"}  # a renumbering: each grid takes the next code
        renamed = grids.assign(code=[remap.get(code, code) for code in grids["code"]])
        gridversions.replace_all(store, renamed.drop(columns=["chief_id", "version"]), by="ana", why="renumbered",
                                 remap=remap)
        workers = dict(store.query("SELECT responder_id, grid_code FROM responders"))
    assert workers == {"W1": neighbour, "W2": "NEW"}
