"""`gridsight responders|cameras|routes|checkpoints|departments import|export` from the command line."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from console import cli
from data.store import Store
from tests.clirun import run_cli as gridsight
from data import postgis, storecopy
from tests.backends import dump, server_template
from tests.data.backends import BACKENDS
from tests.data.imports_helpers import (copy_store, file_hash, import_demo, places, store_path, wgs84_to_gcj02,
                                        write_csv, write_xlsx)

ROSTER = ["工号", "姓名", "人员类型", "所属网格", "手机", "状态", "经度", "纬度"]
PASSWORD = "Xy/9#?@z"


@pytest.fixture(scope="module")
def place(places):
    return places[0]


@pytest.fixture(scope="module")
def demo_server(pg_cluster, import_demo, tmp_path_factory):  # noqa: F811
    """The small demo copied onto the server once, for tests to clone."""
    def fill(url: str) -> None:
        with Store.open(copy_store(import_demo, tmp_path_factory.mktemp("demo"))) as demo:
            storecopy.copy_store(demo, url)

    with server_template(pg_cluster, fill) as name:
        yield name


@pytest.fixture(params=BACKENDS)
def db(request, import_demo, tmp_path):  # noqa: F811
    """A copy of the small demo on each backend: its file, or a clone of the demo on the server."""
    if request.param == "geopackage":
        return copy_store(import_demo, tmp_path)
    cluster = request.getfixturevalue("pg_cluster")
    name = cluster.new_database(template=request.getfixturevalue("demo_server"))
    request.addfinalizer(lambda: cluster.drop_database(name))
    return cluster.url(name)


def content(db) -> object:
    """What must not change when nothing is written: the file's bytes, or every table's rows on a server."""
    if not postgis.is_url(db):
        return file_hash(db)
    with Store.open(db) as store:
        return dump(store)


def test_the_five_layers_are_commands_with_import_and_export(capsys):
    with pytest.raises(SystemExit):
        cli.main(["--help"])
    listing = capsys.readouterr().out
    for name in ("responders", "cameras", "routes", "checkpoints", "departments"):
        assert name in listing
    with pytest.raises(SystemExit):
        cli.main(["cameras", "import", "--help"])
    assert "--stream-field" in capsys.readouterr().out


def test_a_gbk_roster_imports_and_says_which_columns_it_read(db, place, tmp_path, capsys):
    code, lon, lat = place
    path = write_csv(tmp_path / "花名册.csv", ROSTER, [["N1", "张三", "专职网格员", code, "13800000001", "在岗", lon, lat]])
    exit_code, out, err = gridsight(capsys, "responders", "import", path, "--db", db)
    assert exit_code == 0
    assert "id <- 工号" in err and "kind <- 人员类型" in err and "positions from 经度 + 纬度" in err
    assert "responders: 1 added, 0 changed, 0 unchanged, 0 removed" in out
    exit_code, out, _ = gridsight(capsys, "responders", "import", path, "--db", db, "--json")
    report = json.loads(out)
    assert exit_code == 0 and report["columns"]["grid"] == "所属网格" and report["unchanged"] == 1


def test_a_file_with_a_bad_row_is_refused_with_exit_1_and_nothing_written(db, place, tmp_path, capsys):
    code, lon, lat = place
    path = write_csv(tmp_path / "r.csv", ROSTER, [["N1", "张三", "网格员", code, "", "在岗", lon, lat],
                                                  ["N2", "李四", "巡视员", code, "", "在岗", lon, lat]])
    before = content(db)
    exit_code, out, _ = gridsight(capsys, "responders", "import", path, "--db", db)
    assert exit_code == 1 and content(db) == before
    assert "row 3, column 人员类型: unknown kind '巡视员'" in out and "refused: 1 of 2 rows are bad" in out
    exit_code, out, _ = gridsight(capsys, "responders", "import", path, "--db", db, "--skip-bad")
    assert exit_code == 0 and "1 added" in out and "skipped 1 bad rows" in out


def test_field_options_name_columns_detection_misses(store_path, place, tmp_path, capsys):
    code, lon, lat = place
    path = write_xlsx(tmp_path / "r.xlsx", {"封面": (["说明"], [["花名册"]]),
                                             "名单": (["代号", "称呼", "岗位类别", "格", "E", "N"],
                                                    [["N1", "张三", "民警", code, lon, lat]])})
    exit_code, out, _ = gridsight(
        capsys, "responders", "import", path, "--db", store_path, "--sheet", "名单", "--json", "--id-field", "代号",
        "--name-field", "称呼", "--kind-field", "岗位类别", "--grid-field", "格", "--lon-field", "E", "--lat-field", "N")
    report = json.loads(out)
    assert exit_code == 0 and report["added"] == 1 and report["sheet"] == "名单"
    exit_code, _, err = gridsight(capsys, "responders", "import", path, "--db", store_path, "--id-field", "工号")
    assert exit_code == 2 and err.startswith("gridsight: --id-field: no column '工号'") and "Traceback" not in err


def test_bad_input_is_one_line_on_stderr(store_path, tmp_path, capsys):
    exit_code, _, err = gridsight(capsys, "cameras", "import", tmp_path / "missing.xlsx", "--db", store_path)
    assert exit_code == 2 and err.strip().count("\n") == 0 and "no such file" in err
    exit_code, _, err = gridsight(capsys, "cameras", "export", "--db", store_path, "--out", tmp_path / "c.kml")
    assert exit_code == 2 and "unknown export format" in err


def test_no_password_reaches_stdout_stderr_or_an_export(store_path, place, tmp_path, capsys):
    _, lon, lat = place
    url = f"rtsp://admin:{PASSWORD}@10.0.0.5:554/main"
    header = ["国标编码", "名称", "类别", "取流地址", "经度", "纬度"]
    good = write_xlsx(tmp_path / "c.xlsx", {"c": (header, [["42060200001320000555", "测试", "天网", url, lon, lat]])})
    outputs = [gridsight(capsys, "cameras", "import", good, "--db", store_path, "--dry-run"),
               gridsight(capsys, "cameras", "import", good, "--db", store_path, "--json"),
               # the class read from the URL column: the error quotes the value, masked
               gridsight(capsys, "cameras", "import", good, "--db", store_path, "--class-field", "取流地址"),
               gridsight(capsys, "cameras", "export", "--db", store_path, "--out", tmp_path / "out.csv")]
    assert outputs[2][0] == 1 and "rtsp://admin:***@10.0.0.5:554/main" in outputs[2][1]
    for _, out, err in outputs:
        assert PASSWORD not in out + err and "Xy/9" not in out + err
    assert "Xy/9" not in (tmp_path / "out.csv").read_text(encoding="utf-8-sig")
    with Store.open(store_path) as store:
        assert store.query("SELECT stream_main FROM cameras WHERE camera_id = '42060200001320000555'") == [(url,)]


def test_a_dry_run_says_what_would_change(db, place, tmp_path, capsys):
    code, lon, lat = place
    path = write_csv(tmp_path / "r.csv", ROSTER, [["N1", "张三", "网格员", code, "", "在岗", lon, lat]], "utf-8-sig")
    before = content(db)
    exit_code, out, _ = gridsight(capsys, "responders", "import", path, "--db", db, "--dry-run")
    assert exit_code == 0 and "1 added" in out and "dry run, nothing written" in out
    assert content(db) == before


def test_import_and_export_run_without_qt(db, tmp_path):
    code = ("import sys; from console.cli import main; "
            f"rc = main(['departments', 'export', '--db', {str(db)!r}, '--out', {str(tmp_path / 'd.csv')!r}]); "
            f"rc = rc or main(['departments', 'import', {str(tmp_path / 'd.csv')!r}, '--db', {str(db)!r}]); "
            "assert not [m for m in sys.modules if m.startswith('PySide6')], 'Qt imported'; sys.exit(rc)")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    assert "6 unchanged" in result.stdout


def test_replace_removes_the_departments_the_file_no_longer_lists_but_not_those_open_tickets_name(
        store_path, tmp_path, capsys):
    with Store.open(store_path) as store:
        named = {d for d, in store.query("SELECT department FROM tickets WHERE department IS NOT NULL "
                                         "AND state NOT IN ('closed', 'merged')")}
        every = {d for d, in store.query("SELECT department_id FROM departments")}
    assert named and every - named  # the demo transfers tickets to some departments
    listed = sorted(every - named)[0]
    path = write_csv(tmp_path / "d.csv", ["部门编码", "部门名称", "联系电话", "反馈时限"],
                     [[listed, "某局", "12319", "72"]], "gbk")
    exit_code, out, _ = gridsight(capsys, "departments", "import", path, "--db", store_path, "--replace", "--json")
    report = json.loads(out)
    assert exit_code == 0 and (report["changed"], report["removed"]) == (1, len(every) - 1 - len(named))
    assert set(report["kept_ids"]) == named
    with Store.open(store_path) as store:
        assert {d for d, in store.query("SELECT department_id FROM departments")} == named | {listed}
        assert store.query("SELECT phone FROM departments WHERE department_id = ?", (listed,)) == [("12319",)]


def test_the_same_problem_on_many_rows_is_said_once_with_the_rows_and_every_row_is_in_the_json(
        store_path, place, tmp_path, capsys):
    code, lon, lat = place
    rows = [[f"N{i}", "张三", "协管员" if i not in (5, 9) else "专职网格员", code, "", "在岗", lon, lat] for i in range(14)]
    path = write_csv(tmp_path / "花名册.csv", ROSTER, rows)
    before = file_hash(store_path)
    exit_code, out, _ = gridsight(capsys, "responders", "import", path, "--db", store_path)
    assert exit_code == 1 and file_hash(store_path) == before
    lines = [line for line in out.splitlines() if "协管员" in line]
    assert lines == [f"rows 2-6, 8-10, 12-15, column 人员类型: {lines[0].split(': ', 1)[1]}"]
    exit_code, out, _ = gridsight(capsys, "responders", "import", path, "--db", store_path, "--json")
    assert sorted(p["row"] for p in json.loads(out)["problems"]) == [2, 3, 4, 5, 6, 8, 9, 10, 12, 13, 14, 15]


def test_a_value_with_a_bracketed_note_reads_as_the_value(store_path, place, tmp_path, capsys):
    code, lon, lat = place
    path = write_csv(tmp_path / "花名册.csv", ROSTER, [["N1", "张三", "专职网格员（社区）", code, "", "在岗(白班)", lon, lat]])
    assert gridsight(capsys, "responders", "import", path, "--db", store_path)[0] == 0
    with Store.open(store_path) as store:
        row = store.read_layer("responders", where="responder_id = 'N1'").iloc[0]
    assert (row["kind"], row["role"], row["status"]) == ("grid_worker", "grid_member", "on_duty")


def test_positions_that_fit_the_roads_only_in_another_system_are_warned_about(store_path, tmp_path, capsys):
    with Store.open(store_path) as store:
        units = store.read_layer("responders").head(30)  # the demo's units stand on its roads
    shifted = [wgs84_to_gcj02(p.x, p.y) for p in units.geometry]
    rows = [[r.responder_id, r.name, "专职网格员", r.grid_code, "", "在岗", lon, lat]
            for r, (lon, lat) in zip(units.itertuples(), shifted)]
    path = write_csv(tmp_path / "gaode.csv", ROSTER, rows)
    code, out, _ = gridsight(capsys, "responders", "import", path, "--db", store_path, "--dry-run")
    assert code == 0 and "its coordinates look like gcj02" in out and "use --crs gcj02" in out
    code, out, _ = gridsight(capsys, "responders", "import", path, "--db", store_path, "--dry-run", "--crs", "gcj02",
                             "--json")
    assert code == 0 and json.loads(out)["warnings"] == []
