"""`gridsight video probe|analyze|demo-streams` end to end, on loopback streams and files."""

import json
import signal
import subprocess
import sys
import time

import geopandas as gpd
import pytest
import shapely

from data.demo.cameras import CREDENTIAL_HOST, STREAM_HOST
from data.store import Store
from tests import clirun
from tests.video.conftest import CAMERA
from video.probe import probe
from video.testserver import free_port, wait_for_port


def run_cli(capsys, *argv) -> tuple[int, str, str]:
    return clirun.run_cli(capsys, "video", *argv)


def test_probe_reports_what_the_stream_delivers_without_its_password(rtsp_server, capsys):
    url = rtsp_server.url(f"/cam/{CAMERA}/main").replace("rtsp://", "rtsp://admin:s3cret@")
    code, out, err = run_cli(capsys, "probe", url, "--seconds", "1", "--json")
    result = json.loads(out)
    assert code == 0 and "s3cret" not in out + err
    assert result["opened"] and result["url"].startswith("rtsp://admin:***@127.0.0.1:")
    assert (result["codec"].lower(), result["width"], result["height"]) == ("h264", 640, 360)
    assert result["fps"] == 25 and result["frames_read"] >= 10 and result["error"] is None


def test_probe_text_output(rtsp_server, capsys):
    code, out, _ = run_cli(capsys, "probe", rtsp_server.url(f"/cam/{CAMERA}/sub"), "--seconds", "0.5")
    assert code == 0 and "320x180" in out and "frames in" in out


def test_probe_of_a_refused_port_is_one_masked_line(capsys):
    code, out, err = run_cli(capsys, "probe", f"rtsp://admin:s3cret@127.0.0.1:{free_port()}/cam/1/main")
    assert code == 1 and out == ""
    assert err.count("\n") == 1 and "cannot reach the server (Connection refused)" in err
    assert "s3cret" not in err and "rtsp://admin:***@127.0.0.1" in err


def test_probe_gives_up_on_a_silent_server_within_the_timeout(silent_port, capsys):
    started = time.monotonic()
    code, _, err = run_cli(capsys, "probe", f"rtsp://127.0.0.1:{silent_port}/cam/1/main", "--timeout", "1")
    assert code == 1 and time.monotonic() - started < 4


@pytest.mark.parametrize("argv, message", [
    (["probe", "rtsp://127.0.0.1/x", "--seconds", "soon"], "--seconds 'soon' must be a positive number"),
    (["probe", "rtsp://127.0.0.1/x", "--timeout", "-1"], "--timeout '-1' must be a positive number"),
    (["analyze", "/no/such/clip.mp4"], "/no/such/clip.mp4: no such file"),
    (["analyze", "x.mp4", "--no-motion", "--no-people"], "nothing to look for"),
])
def test_bad_input_is_one_line(capsys, argv, message):
    code, _, err = run_cli(capsys, *argv)
    assert code == 2 and message in err and err.count("\n") == 1


def test_analyze_prints_motion_events_as_json(scene_clip, capsys):
    code, out, _ = run_cli(capsys, "analyze", str(scene_clip), "--no-people", "--json")
    report = json.loads(out)
    assert code == 0 and report["frames"] == 100 and report["seconds"] == 4.0
    assert report["events"] and {e["kind"] for e in report["events"]} == {"motion"}
    assert set(report["events"][0]) == {"time_s", "frame", "kind", "box", "score"}
    assert len(report["events"][0]["box"]) == 4


def test_analyze_text_output_is_one_line_per_event(scene_clip, capsys):
    code, out, err = run_cli(capsys, "analyze", str(scene_clip), "--seconds", "2", "--no-people")
    lines = out.splitlines()
    assert code == 0 and lines and all(" motion " in line for line in lines)
    assert "50 frames (2 s of footage)" in err


def test_analyze_of_an_unreachable_stream_is_masked(capsys):
    code, _, err = run_cli(capsys, "analyze", f"rtsp://u:s3cret@127.0.0.1:{free_port()}/x", "--seconds", "1")
    assert code == 1 and "s3cret" not in err and "cannot open rtsp://u:***@127.0.0.1" in err


def demo_store(path, port: int):
    """Three cameras written as the demo generator writes them: one offline, one with credentials."""
    ids = ["340100000013200000%02d" % k for k in (1, 2, 3)]
    hosts = [STREAM_HOST, CREDENTIAL_HOST, STREAM_HOST]
    cameras = gpd.GeoDataFrame({
        "camera_id": ids, "name": ["人民路1号", "建设街1号", "和平路1号"], "camera_class": ["A", "private", "B"],
        "status": ["online", "online", "offline"],
        "stream_main": [f"{host}/{cid}/main" for host, cid in zip(hosts, ids)],
        "stream_sub": [f"{host}/{cid}/sub" for host, cid in zip(hosts, ids)],
    }, geometry=shapely.points([[117.2, 31.8], [117.21, 31.81], [117.22, 31.82]]), crs="EPSG:4326")
    with Store.create(path) as store:
        store.write_layer("cameras", cameras)
    # The test serves on a free port; the stored URLs name the demo's 8554.
    return [(url.replace(":8554/", f":{port}/"), status)
            for url, status in zip(cameras["stream_sub"], cameras["status"])]


def test_demo_streams_serves_the_online_cameras_at_their_stored_urls(tmp_path):
    port = free_port()
    streams = demo_store(tmp_path / "city.gpkg", port)
    command = [sys.executable, "-m", "console.cli", "video", "demo-streams", "--db", str(tmp_path / "city.gpkg"),
               "--port", str(port), "--footage", str(tmp_path / "footage")]
    # Started with SIGINT ignored (as by nohup or a service manager): Ctrl-C must still stop it.
    server = subprocess.Popen(["sh", "-c", 'trap "" INT; exec "$@"', "sh", *command],
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        wait_for_port(port, 20)
        results = [(probe(url, seconds=0.5, open_timeout_s=5), status) for url, status in streams]
    finally:
        server.send_signal(signal.SIGINT)
        _, err = server.communicate(timeout=30)  # a loaded machine takes a while to stop the encoders
    for result, status in results:
        assert result["opened"] is (status == "online"), result
    assert results[0][0]["width"] == 320 and results[0][0]["frames_read"] > 0
    assert "serving 2 cameras" in err
    assert "note: the store's camera URLs point at port 8554" in err
    assert server.returncode == 130


def test_demo_streams_needs_online_cameras(tmp_path, capsys):
    with Store.create(tmp_path / "empty.gpkg"):
        pass
    code, _, err = run_cli(capsys, "demo-streams", "--db", str(tmp_path / "empty.gpkg"), "--port", "8554")
    assert code == 2 and "no online cameras" in err


def test_demo_streams_on_a_taken_port_is_one_line(tmp_path, capsys, rtsp_server):
    demo_store(tmp_path / "city.gpkg", rtsp_server.port)
    code, _, err = run_cli(capsys, "demo-streams", "--db", str(tmp_path / "city.gpkg"),
                           "--port", str(rtsp_server.port), "--footage", str(tmp_path / "footage"))
    assert code == 1 and err.splitlines()[-1].startswith("gridsight: RTSP server did not start: cannot listen")


def test_probe_reads_an_http_mjpeg_stream(mjpeg_url, capsys):
    code, out, _ = run_cli(capsys, "probe", mjpeg_url, "--seconds", "1", "--json")
    result = json.loads(out)
    assert code == 0 and (result["width"], result["height"]) == (640, 360)
    assert result["frames_read"] >= 10


def test_demo_streams_with_an_unwritable_footage_folder_is_one_line(tmp_path, capsys):
    demo_store(tmp_path / "city.gpkg", 8554)
    (tmp_path / "file").write_text("not a folder")
    code, _, err = run_cli(capsys, "demo-streams", "--db", str(tmp_path / "city.gpkg"),
                           "--footage", str(tmp_path / "file" / "footage"))
    assert code == 2 and err.startswith("gridsight: cannot write the footage to") and err.count("\n") == 1


@pytest.fixture
def watched_city(tmp_path, rtsp_server):
    """The tiny city with camera C0 streaming from the loopback server."""
    from tests.console.tiny_city import build_tiny_city

    path = tmp_path / "city.gpkg"
    with build_tiny_city(path) as store, store.transaction() as tx:
        tx.execute("UPDATE cameras SET stream_sub = ? WHERE camera_id = 'C0'", (rtsp_server.url(f"/cam/{CAMERA}/sub"),))
    return path


def test_watch_turns_motion_after_hours_into_one_ticket_with_snapshot_and_clip(watched_city, tmp_path, capsys):
    code, out, err = run_cli(capsys, "watch", "--db", str(watched_city), "--camera", "C0", "--after-hours", "0-24",
                             "--seconds", "4", "--attachments", str(tmp_path / "alerts"))
    assert code == 0 and "watching 1 cameras" in err
    (line,) = out.splitlines()  # the street moves all the time: one ticket within the cooldown
    ticket_id = line.split()[0]
    with Store.open(watched_city) as store:
        row = store.read_table("tickets", where="ticket_id = ?", params=(ticket_id,)).iloc[0]
    assert (row["channel"], row["category"], row["address"]) == ("camera_alert", "hazard", "C0")
    snapshot, clip = json.loads(row["attachments"])
    assert snapshot.endswith(".jpg") and clip.endswith(".mp4")
    assert all((tmp_path / "alerts" / name).exists() for name in (snapshot.rsplit("/", 1)[1], clip.rsplit("/", 1)[1]))


@pytest.mark.parametrize("args, message", [
    (["--camera", "NOPE"], "has no camera 'NOPE'"),
    (["--camera", "C1"], "camera C1 has no stream URL"),
    (["--camera", "C0", "--after-hours", "25-3"], "--after-hours '25-3' must look like 22-6"),
    (["--camera", "C0", "--cooldown", "0"], "--cooldown '0' must be a positive number"),
])
def test_watch_refuses_bad_requests_in_one_line(watched_city, capsys, args, message):
    code, _, err = run_cli(capsys, "watch", "--db", str(watched_city), *args)
    assert code == 2 and message in err and "Traceback" not in err
