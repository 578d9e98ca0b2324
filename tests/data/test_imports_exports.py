"""Every layer exports to CSV, XLSX, GeoJSON and GeoPackage and re-imports to the same store with
nothing changed; passwords stay out of exports unless asked for."""

from __future__ import annotations

import pytest

from data.imports import SPECS, import_layer
from data.imports.exports import ExportError, export_layer
from data.imports.tables import read_rows
from data.store import Store
from tests.data.imports_helpers import build_small_store, copy_store, file_hash

FORMATS = (".csv", ".xlsx", ".geojson", ".gpkg")
SECRET = "demo"  # the demo's placeholder password (rtsp://admin:demo@...)


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    """The demo store with a few responders placed at their grid's label point and a password
    holding the characters URL parsers trip on."""
    folder = tmp_path_factory.mktemp("imports_exports")
    path = build_small_store(folder)
    with Store.open(path) as store:
        with store.transaction() as tx:
            tx.execute("UPDATE cameras SET stream_main = 'rtsp://admin:p/s#?@x@10.0.0.9/main' WHERE fid = 1")
        roster = folder / "roster.csv"
        roster.write_text("工号,姓名,类型,所属网格\nL1,甲,网格员,%s\n" % store.query(
            "SELECT code FROM grids ORDER BY level DESC LIMIT 1")[0][0], encoding="utf-8-sig")
        assert import_layer(store, SPECS["responders"], roster)["added"] == 1
    return path


@pytest.mark.parametrize("suffix", FORMATS)
@pytest.mark.parametrize("layer", list(SPECS))
def test_an_export_reimports_with_nothing_changed(demo, tmp_path, layer, suffix):
    store_path = copy_store(demo, tmp_path)
    out = tmp_path / f"{layer}{suffix}"
    with Store.open(store_path) as store:
        total = store.count(SPECS[layer].layer)
        assert export_layer(store, SPECS[layer], out) == total
    before = file_hash(store_path)
    with Store.open(store_path) as store:
        report = import_layer(store, SPECS[layer], out)
    assert not report["problems"]
    assert (report["added"], report["changed"], report["unchanged"]) == (0, 0, total)
    assert file_hash(store_path) == before


@pytest.mark.parametrize("suffix", FORMATS)
def test_exports_leave_passwords_out_unless_asked(demo, tmp_path, suffix):
    with Store.open(demo) as store:
        export_layer(store, SPECS["cameras"], tmp_path / f"plain{suffix}")
        export_layer(store, SPECS["cameras"], tmp_path / f"secret{suffix}", with_secrets=True)

    def streams(name):
        return {r["stream_main"] for r in read_rows(tmp_path / f"{name}{suffix}").records}

    plain, secret = streams("plain"), streams("secret")
    assert "rtsp://admin@10.0.0.9/main" in plain and "rtsp://admin@127.0.0.1:8554/cam" in "".join(plain)
    assert not [url for url in plain if "p/s#?@x" in url or f":{SECRET}@" in url]
    assert "rtsp://admin:p/s#?@x@10.0.0.9/main" in secret and f":{SECRET}@" in "".join(secret)


def test_csv_exports_carry_a_bom_so_that_excel_reads_utf8(demo, tmp_path):
    with Store.open(demo) as store:
        export_layer(store, SPECS["responders"], tmp_path / "r.csv")
    assert (tmp_path / "r.csv").read_bytes().startswith(b"\xef\xbb\xbf")


def test_an_unknown_export_format_is_refused(demo, tmp_path):
    with Store.open(demo) as store, pytest.raises(ExportError, match="unknown export format '.shp'"):
        export_layer(store, SPECS["cameras"], tmp_path / "c.shp")
