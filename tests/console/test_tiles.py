"""The optional tile base map: sources checked, local tiles served through the gridsight-tiles
scheme (MBTiles rows flipped), remote ones loaded by the page, GCJ-02 tiles shifted onto the
WGS-84 data, choices remembered."""

from __future__ import annotations

import functools
import logging
import math
import sqlite3
import threading
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer

import cv2
import numpy as np
import pytest
from PySide6.QtCore import QSettings

from console.app import ConsoleWindow, application
from console.cli import main
from console.tiles import (
    CRS_KEY,
    SHOWN_KEY,
    SOURCE_KEY,
    TileSourceError,
    choose_tiles,
    open_tile_source,
    register_tile_scheme,
)
from gis.crs import wgs84_to_gcj02
from tests.console.tiny_city import run_js

# Chromium reads its URL schemes when the QApplication is made: test modules are imported first.
register_tile_scheme()

ZOOMS = (13, 14)
# Inside the tiny city, in the middle of a zoom-14 tile.
PLACE = (114.06, 30.545)


def tile_of(lon: float, lat: float, z: int) -> tuple[int, int]:
    n = 2**z
    return int((lon + 180) / 360 * n), int((1 - math.asinh(math.tan(math.radians(lat))) / math.pi) / 2 * n)


def world_px(lon: float, lat: float, z: int) -> tuple[float, float]:
    """Web Mercator pixel of a point at zoom z (256 px tiles)."""
    scale = 256 * 2**z
    return (lon + 180) / 360 * scale, (1 - math.asinh(math.tan(math.radians(lat))) / math.pi) / 2 * scale


def tile_centre(x: int, y: int, z: int) -> tuple[float, float]:
    n = 2**z
    return (x + 0.5) / n * 360 - 180, math.degrees(math.atan(math.sinh(math.pi * (1 - 2 * (y + 0.5) / n))))


def colour(z: int, x: int, y: int) -> tuple[int, int, int]:
    """Each tile a solid colour of its own (neighbours differ), as r, g, b."""
    return 40 + (x % 6) * 40, 40 + (y % 6) * 40, 50 + (z % 4) * 60


def png(z: int, x: int, y: int) -> bytes:
    r, g, b = colour(z, x, y)
    return cv2.imencode(".png", np.full((256, 256, 3), (b, g, r), np.uint8))[1].tobytes()


def city_tiles():
    """(z, x, y) of the tiles around PLACE at the test zooms."""
    for z in ZOOMS:
        cx, cy = tile_of(*PLACE, z)
        yield from ((z, x, y) for x in range(cx - 4, cx + 5) for y in range(cy - 4, cy + 5))


def write_mbtiles(path, tiles, image_format="png", metadata=()) -> None:
    with sqlite3.connect(path) as db:
        db.execute("CREATE TABLE metadata (name TEXT, value TEXT)")
        db.execute("CREATE TABLE tiles (zoom_level INTEGER, tile_column INTEGER, tile_row INTEGER, tile_data BLOB)")
        db.executemany("INSERT INTO metadata VALUES (?, ?)", [("name", "测试瓦片"), ("format", image_format), *metadata])
        db.executemany("INSERT INTO tiles VALUES (?, ?, ?, ?)",
                       [(z, x, 2**z - 1 - y, png(z, x, y)) for z, x, y in tiles])


@pytest.fixture(scope="module")
def tile_folder(tmp_path_factory):
    folder = tmp_path_factory.mktemp("tiles") / "folder"
    for z, x, y in city_tiles():
        (folder / str(z) / str(x)).mkdir(parents=True, exist_ok=True)
        (folder / str(z) / str(x) / f"{y}.png").write_bytes(png(z, x, y))
    return folder


@pytest.fixture(scope="module")
def mbtiles(tmp_path_factory):
    path = tmp_path_factory.mktemp("tiles") / "city.mbtiles"
    write_mbtiles(path, list(city_tiles()))
    return path


@pytest.fixture
def settings(tmp_path):
    return QSettings(str(tmp_path / "console.ini"), QSettings.Format.IniFormat)


@pytest.fixture
def tiled_window(qtbot, store):
    """The console window with a tile source, settled (the first incident selected)."""

    def open_(source, settings=None):
        application("en", headless=True)
        window = ConsoleWindow(store, settings=settings, tiles=source)
        qtbot.addWidget(window)
        window.resize(1200, 800)
        with qtbot.waitSignal(window.mapReady, timeout=20_000):
            window.show()
        if window.details.ticket is not None:
            qtbot.waitUntil(lambda: window.recommendations_done and not window.map.selection_pending, timeout=10_000)
        return window

    return open_


def show(qtbot, window, lon: float, lat: float, zoom: int) -> None:
    """Centre the map there, wait for the tiles, and leave only the tiles visible."""
    run_js(qtbot, window, f"(gridsightMap.map.setView([{lat}, {lon}], {zoom}, {{animate: false}}), true)")
    run_js(qtbot, window, "document.head.appendChild(Object.assign(document.createElement('style'), {textContent: "
                          "'.leaflet-pane:not(.leaflet-map-pane):not(.leaflet-tile-pane) {visibility: hidden}'})) && 1")
    qtbot.waitUntil(lambda: run_js(qtbot, window, "gridsightTiles.layer.isLoading()") is False, timeout=5_000)
    window.map.wait_for_next_frame()


def pixel(window, x: int, y: int) -> tuple[int, int, int]:
    c = window.map.grab().toImage().pixelColor(x, y)
    return c.red(), c.green(), c.blue()


def centre_px(qtbot, window) -> tuple[int, int]:
    size = run_js(qtbot, window, "gridsightMap.map.getSize()")
    return size["x"] // 2, size["y"] // 2


def assert_colour(qtbot, window, x: int, y: int, expected) -> None:
    """The map shows `expected` (r, g, b) at container pixel x, y once Chromium's frame arrives."""
    seen = []

    def close() -> bool:
        seen.append(pixel(window, x, y))
        return np.abs(np.subtract(seen[-1], expected)).max() <= 3

    try:
        qtbot.waitUntil(close, timeout=3_000)
    except AssertionError:
        raise AssertionError(f"pixel {x}, {y} is {seen[-1]}, expected {expected}") from None


@pytest.mark.parametrize("kind", ["folder", "mbtiles"])
def test_local_tiles_reach_the_page_through_the_scheme_in_their_places(kind, tiled_window, qtbot, request):
    source = open_tile_source(str(request.getfixturevalue("tile_folder" if kind == "folder" else "mbtiles")))
    assert (source.kind, source.min_zoom, source.max_zoom) == (kind, *ZOOMS)
    window = tiled_window(source)
    x, y = tile_of(*PLACE, 14)
    show(qtbot, window, *tile_centre(x, y, 14), 14)
    assert f"14/{x}/{y}" in run_js(qtbot, window, "gridsightTiles.loaded()")
    assert run_js(qtbot, window, "gridsightTiles.layer._url").startswith("gridsight-tiles://")
    cx, cy = centre_px(qtbot, window)
    # The tile east of the centre's and the one south of it (MBTiles rows count from the south).
    assert_colour(qtbot, window, cx, cy, colour(14, x, y))
    assert_colour(qtbot, window, cx + 256, cy, colour(14, x + 1, y))
    assert_colour(qtbot, window, cx, cy + 256, colour(14, x, y + 1))


def test_url_template_tiles_load_from_a_tile_server(tiled_window, qtbot, tile_folder):
    quiet = type("Quiet", (SimpleHTTPRequestHandler,), {"log_message": lambda *args: None})
    server = ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(quiet, directory=str(tile_folder)))
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        url = f"http://127.0.0.1:{server.server_port}/{{z}}/{{x}}/{{y}}.png"
        window = tiled_window(open_tile_source(url))
        x, y = tile_of(*PLACE, 13)
        show(qtbot, window, *tile_centre(x, y, 13), 13)
        assert run_js(qtbot, window, "gridsightTiles.layer._url") == url
        assert_colour(qtbot, window, *centre_px(qtbot, window), colour(13, x, y))
    finally:
        server.shutdown()


def test_missing_tiles_leave_the_map_empty_without_errors(tiled_window, qtbot, mbtiles, caplog):
    window = tiled_window(open_tile_source(str(mbtiles)))
    caplog.clear()
    with caplog.at_level(logging.WARNING):
        show(qtbot, window, 114.3, 30.7, 14)  # east of the tile set
        assert run_js(qtbot, window, "gridsightTiles.failed()") > 0
        assert_colour(qtbot, window, *centre_px(qtbot, window), (0x22, 0x27, 0x2D))  # the map's own background
    assert not [r for r in caplog.records if r.levelno >= logging.WARNING], caplog.text


def test_gcj02_switch_places_the_tiles_by_the_offset_at_the_view_centre(tiled_window, qtbot, mbtiles, settings):
    window = tiled_window(open_tile_source(str(mbtiles)), settings)
    x, y = tile_of(*PLACE, 14)
    lon, lat = tile_centre(x, y, 14)
    show(qtbot, window, lon, lat, 14)
    width, height = (run_js(qtbot, window, "gridsightMap.map.getSize()")[k] for k in "xy")

    def corner(tile_x, tile_y):
        return run_js(qtbot, window, f"gridsightTiles.tileBox('14/{tile_x}/{tile_y}')")[:2]

    def expected_corner(tile_x, tile_y, centre):
        """Where Leaflet puts a tile's corner with the view centred on `centre` (world pixels)."""
        return [tile_x * 256 - centre[0] + width / 2, tile_y * 256 - centre[1] + height / 2]

    assert corner(x, y) == pytest.approx(expected_corner(x, y, world_px(lon, lat, 14)), abs=1.01)
    run_js(qtbot, window, "(document.querySelector('.tiles-crs-switch input').click(), true)")
    shifted = world_px(*wgs84_to_gcj02(lon, lat), 14)
    assert corner(x, y) == pytest.approx(expected_corner(x, y, shifted), abs=1.01)
    offset = np.subtract(world_px(lon, lat, 14), shifted)
    assert np.hypot(*offset) > 20  # the shift is a few hundred metres: tens of pixels here
    assert (window.tiles.source.crs, settings.value(CRS_KEY)) == ("gcj02", "gcj02")

    # After panning, the offset at the new centre applies (here it differs from the old one by 6 px).
    # Steps smaller than the map, as a drag goes: Leaflet resets the view after bigger jumps.
    for _ in range(5):
        run_js(qtbot, window, "(gridsightMap.map.panBy([-350, 450], {animate: false}), true)")
    centre = run_js(qtbot, window, "gridsightMap.map.getCenter()")
    new_x, new_y = tile_of(centre["lng"], centre["lat"], 14)
    qtbot.waitUntil(lambda: run_js(qtbot, window, f"gridsightTiles.tileBox('14/{new_x}/{new_y}')") is not None)
    new_centre = world_px(centre["lng"], centre["lat"], 14)
    stale = np.add(new_centre, np.subtract(shifted, world_px(lon, lat, 14)))
    shifted = world_px(*wgs84_to_gcj02(centre["lng"], centre["lat"]), 14)
    assert np.hypot(*np.subtract(stale, shifted)) > 3
    assert corner(new_x, new_y) == pytest.approx(expected_corner(new_x, new_y, shifted), abs=1.01)

    run_js(qtbot, window, "(document.querySelector('.tiles-crs-switch input').click(), true)")
    assert corner(new_x, new_y) == pytest.approx(
        expected_corner(new_x, new_y, world_px(centre["lng"], centre["lat"], 14)), abs=1.01)
    assert settings.value(CRS_KEY) == "wgs84"


def test_the_page_gcj02_formula_matches_gis_crs(tiled_window, qtbot, mbtiles):
    window = tiled_window(open_tile_source(str(mbtiles)))
    rng = np.random.default_rng(6)
    lon = np.concatenate([rng.uniform(73, 135, 300), rng.uniform(-180, 180, 50), [72.004, 137.8347, 60.0]])
    lat = np.concatenate([rng.uniform(18, 53, 300), rng.uniform(-80, 80, 50), [0.8293, 55.8271, 30.0]])
    points = np.column_stack([lon, lat]).tolist()
    page = np.array(run_js(qtbot, window, f"{points}.map(([lon, lat]) => gridsightTiles.wgs84ToGcj02(lon, lat))"))
    expected = np.column_stack(wgs84_to_gcj02(lon, lat))
    metres = np.hypot((page[:, 0] - expected[:, 0]) * np.cos(np.radians(lat)), page[:, 1] - expected[:, 1]) * 111_320
    assert metres.max() < 0.01
    assert np.abs(expected - np.column_stack([lon, lat])).max() > 0.001  # the points were really shifted


def test_the_layer_control_offers_the_tiles_as_a_base_layer_and_remembers_the_choice(
        tiled_window, qtbot, mbtiles, settings):
    window = tiled_window(open_tile_source(str(mbtiles)), settings)
    bases = "[...document.querySelectorAll('.leaflet-control-layers-base label')].map((l) => l.innerText.trim())"
    assert run_js(qtbot, window, bases) == ["No tile map", "Tile map: 测试瓦片"]
    assert run_js(qtbot, window, "gridsightMap.map.hasLayer(gridsightTiles.layer)") is True
    run_js(qtbot, window, "(document.querySelector('.leaflet-control-layers-base input').click(), true)")
    assert run_js(qtbot, window, "gridsightMap.map.hasLayer(gridsightTiles.layer)") is False
    assert run_js(qtbot, window, "document.querySelector('.tiles-crs-switch')") is None  # goes with the tiles
    qtbot.waitUntil(lambda: settings.value(SHOWN_KEY) == "false")
    window.close()
    # Next time the console opens without the tiles, as left.
    reopened = tiled_window(open_tile_source(str(mbtiles)), settings)
    assert run_js(qtbot, reopened, "gridsightMap.map.hasLayer(gridsightTiles.layer)") is False
    assert run_js(qtbot, reopened, "document.querySelector('.leaflet-control-layers-base input').checked") is True
    assert run_js(qtbot, reopened, "document.querySelector('.tiles-crs-switch')") is None


def test_the_tiles_sit_below_the_water_and_roads(tiled_window, qtbot, mbtiles):
    window = tiled_window(open_tile_source(str(mbtiles)))
    z_index = "+getComputedStyle(document.querySelector('.leaflet-{}-pane')).zIndex"
    tiles = run_js(qtbot, window, z_index.format("tile"))
    assert tiles < run_js(qtbot, window, z_index.format("water")) < run_js(qtbot, window, z_index.format("roads"))


def test_the_console_remembers_its_tiles(settings, mbtiles, tile_folder, caplog):
    assert choose_tiles(None, None, settings) is None
    chosen = choose_tiles(str(mbtiles), "gcj02", settings)
    assert (chosen.kind, chosen.crs, settings.value(SOURCE_KEY)) == ("mbtiles", "gcj02", str(mbtiles))
    again = choose_tiles(None, None, settings)
    assert (again.location, again.crs) == (str(mbtiles), "gcj02")
    assert choose_tiles(None, "wgs84", settings).crs == "wgs84"
    assert choose_tiles(None, None, settings).crs == "wgs84"
    assert choose_tiles(str(tile_folder), None, settings).kind == "folder"
    assert choose_tiles("none", None, settings) is None
    assert choose_tiles(None, None, settings) is None
    # Remembered tiles that have gone since: the console opens without them and says why.
    settings.setValue(SOURCE_KEY, str(tile_folder.parent / "unplugged.mbtiles"))
    with caplog.at_level(logging.WARNING):
        assert choose_tiles(None, None, settings) is None
    assert "unplugged.mbtiles" in caplog.text


@pytest.fixture
def bad_sources(tmp_path):
    (tmp_path / "empty").mkdir()
    (tmp_path / "notes.txt").write_text("not tiles")
    with sqlite3.connect(tmp_path / "other.sqlite") as db:
        db.execute("CREATE TABLE things (a)")
    write_mbtiles(tmp_path / "vector.mbtiles", [(1, 0, 0)], image_format="pbf")
    write_mbtiles(tmp_path / "hollow.mbtiles", [])
    return tmp_path


@pytest.mark.parametrize(("source", "message"), [
    ("{tmp}/missing.mbtiles", "does not exist (give a URL template, a tile folder or an .mbtiles file)"),
    ("{tmp}/empty", "has no {z}/{x}/{y} tiles"),
    ("{tmp}/notes.txt", "is not an MBTiles file (file is not a database)"),
    ("{tmp}/other.sqlite", "is not an MBTiles file (it has no tiles and metadata tables)"),
    ("{tmp}/vector.mbtiles", "holds 'pbf' tiles; only raster tiles are shown"),
    ("{tmp}/hollow.mbtiles", "holds no tiles"),
    ("http://10.0.0.5/tiles/{z}/{x}.png", "needs {z}, {x} and {y}"),
    ("http://10.0.0.5/tiles/{z}/{x}/{y}.png?key={key}", "unknown placeholders: {key}"),
    ("ftp://10.0.0.5/tiles/{z}/{x}/{y}.png", "must be an http:// or https:// address"),
])
def test_bad_tile_sources_are_refused_in_one_line(bad_sources, source, message):
    with pytest.raises(TileSourceError, match=None) as refused:
        open_tile_source(source.format(tmp=bad_sources, z="{z}", x="{x}", y="{y}", key="{key}"))
    assert message in str(refused.value) and "\n" not in str(refused.value)


def test_good_sources_are_read_with_their_metadata(tmp_path, tile_folder):
    write_mbtiles(tmp_path / "jpeg.mbtiles", [(12, 3, 4)], image_format="jpg",
                  metadata=[("bounds", "113.9,30.4,114.2,30.7")])
    source = open_tile_source(str(tmp_path / "jpeg.mbtiles"), "gcj02")
    assert (source.image_type, source.bounds, source.crs, source.name) == (
        "image/jpeg", (113.9, 30.4, 114.2, 30.7), "gcj02", "测试瓦片")
    assert open_tile_source("https://10.0.0.5/tiles/{z}/{x}/{-y}.webp").kind == "xyz"
    assert open_tile_source(str(tile_folder)).location == str(tile_folder.resolve())


@pytest.mark.parametrize("command", ["screenshot", "console"])
def test_the_cli_refuses_a_bad_tile_source_in_one_line(command, city_path, tmp_path, capsys, monkeypatch):
    monkeypatch.setenv("QT_QPA_PLATFORM", "offscreen")
    args = [command, "--db", str(city_path), "--tiles", str(tmp_path / "nowhere.mbtiles")]
    if command == "screenshot":
        args += ["--out", str(tmp_path / "shot.png")]
    assert main(args) != 0
    err = capsys.readouterr().err
    assert err.startswith("gridsight: tile source") and err.count("\n") == 1
    assert not (tmp_path / "shot.png").exists()


def test_screenshot_draws_the_tiles_under_the_map(city_path, tmp_path, tile_folder, capsys):
    out = tmp_path / "tiles.png"
    assert main(["screenshot", "--db", str(city_path), "--size", "1200x800", "--tiles", str(tile_folder),
                 "--tiles-crs", "gcj02", "--out", str(out)]) == 0
    image = cv2.imread(str(out))[..., ::-1]  # as r, g, b
    tile_colours = {colour(z, x, y) for z, x, y in city_tiles()}
    found = {tuple(int(v) for v in c) for c in np.unique(image.reshape(-1, 3), axis=0)}
    assert len(tile_colours & found) >= 2


def rendered_colour(path, lon: float, lat: float, z: int) -> tuple[int, int, int]:
    """The b, g, r colour an MBTiles file shows at a point."""
    px, py = world_px(lon, lat, z)
    x, y = int(px // 256), int(py // 256)
    with sqlite3.connect(path) as db:
        (data,) = db.execute("SELECT tile_data FROM tiles WHERE zoom_level = ? AND tile_column = ? AND tile_row = ?",
                             (z, x, 2**z - 1 - y)).fetchone()
    image = cv2.imdecode(np.frombuffer(data, np.uint8), cv2.IMREAD_COLOR)
    return tuple(int(v) for v in image[int(py) - y * 256, int(px) - x * 256])


def test_render_demo_draws_the_store_into_mbtiles_in_either_system(city_path, tmp_path, capsys):
    from console.commands.tiles import LAND, WATER

    plain, shifted = tmp_path / "tiny.mbtiles", tmp_path / "tiny-gcj.mbtiles"
    for out, crs in ((plain, "wgs84"), (shifted, "gcj02")):
        assert main(["tiles", "render-demo", "--db", str(city_path), "--out", str(out), "--zoom", "13-14",
                     "--crs", crs]) == 0
    source = open_tile_source(str(plain))
    assert (source.min_zoom, source.max_zoom, source.image_type, source.name) == (13, 14, "image/png", "tiny")
    with sqlite3.connect(plain) as db:
        assert db.execute("SELECT COUNT(*) FROM tiles WHERE zoom_level = 14").fetchone()[0] >= 4
    # On the river (tiny_city: a 0.002-degree buffer around its line), on land, on a north-south road.
    river, land, road = (114.05, 30.5442), (114.03, 30.58), (114.034, 30.57)
    assert rendered_colour(plain, *river, 14) == WATER
    assert rendered_colour(plain, *land, 14) == LAND
    assert rendered_colour(plain, *road, 14) != LAND
    # Drawn like a Chinese web map: the road lies where GCJ-02 puts it, 550 m east of its WGS-84 place.
    assert rendered_colour(shifted, *wgs84_to_gcj02(*river), 14) == WATER
    assert rendered_colour(shifted, *wgs84_to_gcj02(*road), 14) != LAND
    assert rendered_colour(shifted, *road, 14) == LAND


def test_render_demo_never_overwrites_and_checks_its_zooms(city_path, tmp_path, capsys):
    existing = tmp_path / "kept.mbtiles"
    existing.write_bytes(b"precious")
    for args, message in (
        (["--out", str(existing)], "exists; remove it or choose another --out"),
        (["--out", str(tmp_path / "a.mbtiles"), "--zoom", "16-12"], "--zoom must look like 12-16"),
        (["--out", str(tmp_path / "a.mbtiles"), "--zoom", "12-20"], "lower the maximum zoom"),
        (["--out", str(tmp_path / "a.png")], "--out must name a .mbtiles file"),
    ):
        assert main(["tiles", "render-demo", "--db", str(city_path), *args]) == 2
        err = capsys.readouterr().err
        assert message in err and err.count("\n") == 1
    assert existing.read_bytes() == b"precious"
    assert not (tmp_path / "a.mbtiles").exists()


def test_the_cli_offers_the_tile_systems_the_console_knows():
    from console.commands import console as console_command
    from console.tiles import TILE_CRS

    assert console_command.TILE_CRS == TILE_CRS
