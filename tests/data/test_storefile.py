"""data.storefile: a new store appears whole at its path or not at all."""

from __future__ import annotations

import pytest

from data.centre import read_centre, write_centre
from data.store import Store
from data.storefile import store_built_beside


def test_a_complete_build_replaces_the_old_file_and_leaves_no_partial_file(tmp_path):
    path = tmp_path / "centre.gpkg"
    path.write_bytes(b"old")
    with store_built_beside(path) as store, store.transaction() as tx:
        write_centre(tx, "江城")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["centre.gpkg"]
    with Store.open(path) as store:
        assert read_centre(store).name == "江城"


def test_a_failed_build_leaves_nothing_and_the_old_file_as_it_was(tmp_path):
    path = tmp_path / "centre.gpkg"
    path.write_bytes(b"old")
    with pytest.raises(RuntimeError, match="half way"), store_built_beside(path) as store:
        with store.transaction() as tx:
            write_centre(tx, "江城")
        raise RuntimeError("half way")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["centre.gpkg"]
    assert path.read_bytes() == b"old"
