"""Chinese coordinate systems: reference values, round trips, edge behaviour and the CLI."""

from __future__ import annotations

import itertools
import json

import numpy as np
import pytest
from pyproj import Transformer

from console import cli
from gis import crs

EARTH_RADIUS_M = 6_371_008.8

# (wgs lon, wgs lat, gcj lon, gcj lat) from eviltransform's test suite (googollee/eviltransform).
EVILTRANSFORM_WGS_GCJ = [
    (121.5272106, 31.1774276, 121.531541859215, 31.17530398364597),  # Shanghai
    (113.912316, 22.543847, 113.9171764808363, 22.540796131694766),  # Shenzhen
    (116.377817, 39.911954, 116.38404722455657, 39.91334545536069),  # Beijing
]

# Outputs for input (116.404, 39.915) published in wandergis/coordtransform's README.
COORDTRANSFORM_INPUT = (116.404, 39.915)
COORDTRANSFORM_WGS84_TO_GCJ02 = (116.41024449916938, 39.91640428150164)
COORDTRANSFORM_GCJ02_TO_BD09 = (116.41036949371029, 39.92133699351021)
# coordtransform inverts BD-09 in one approximate step; ours iterates, so they agree to ~5 cm.
COORDTRANSFORM_BD09_TO_GCJ02 = (116.39762729119315, 39.90865673957631)

OUTSIDE_CHINA = np.array([
    (2.3522, 48.8566),     # Paris
    (-74.006, 40.7128),    # New York
    (151.2093, -33.8688),  # Sydney
    (139.6917, 35.6895),   # Tokyo, east of the box
    (-70.6693, -33.4489),  # Santiago
])

ALL_PAIRS = list(itertools.permutations(crs.CRS_NAMES, 2))


def haversine_m(lon1, lat1, lon2, lat2):
    lon1, lat1, lon2, lat2 = map(np.radians, (lon1, lat1, lon2, lat2))
    a = (np.sin((lat2 - lat1) / 2) ** 2
         + np.cos(lat1) * np.cos(lat2) * np.sin((lon2 - lon1) / 2) ** 2)
    return 2 * EARTH_RADIUS_M * np.arcsin(np.sqrt(a))


@pytest.fixture(scope="module")
def china_sample():
    """Random WGS-84 points spread over mainland China's extent."""
    rng = np.random.default_rng(20240603)
    return rng.uniform(73.5, 135.0, 20_000), rng.uniform(18.0, 53.5, 20_000)


@pytest.mark.parametrize("wgs_lon, wgs_lat, gcj_lon, gcj_lat", EVILTRANSFORM_WGS_GCJ)
def test_wgs84_to_gcj02_matches_eviltransform(wgs_lon, wgs_lat, gcj_lon, gcj_lat):
    lon, lat = crs.convert(wgs_lon, wgs_lat, "wgs84", "gcj02")
    assert lon == pytest.approx(gcj_lon, abs=1e-9)
    assert lat == pytest.approx(gcj_lat, abs=1e-9)


@pytest.mark.parametrize("wgs_lon, wgs_lat, gcj_lon, gcj_lat", EVILTRANSFORM_WGS_GCJ)
def test_gcj02_to_wgs84_recovers_eviltransform_points(wgs_lon, wgs_lat, gcj_lon, gcj_lat):
    lon, lat = crs.convert(gcj_lon, gcj_lat, "gcj02", "wgs84")
    assert haversine_m(lon, lat, wgs_lon, wgs_lat) < 0.05


def test_matches_coordtransform_readme():
    assert crs.convert(*COORDTRANSFORM_INPUT, "wgs84", "gcj02") == pytest.approx(
        COORDTRANSFORM_WGS84_TO_GCJ02, abs=1e-9)
    assert crs.convert(*COORDTRANSFORM_INPUT, "gcj02", "bd09") == pytest.approx(
        COORDTRANSFORM_GCJ02_TO_BD09, abs=1e-9)
    lon, lat = crs.convert(*COORDTRANSFORM_INPUT, "bd09", "gcj02")
    assert haversine_m(lon, lat, *COORDTRANSFORM_BD09_TO_GCJ02) < 0.1


def test_inverses_hit_their_target_exactly(china_sample):
    lon, lat = china_sample
    for forward, inverse in [(crs.wgs84_to_gcj02, crs.gcj02_to_wgs84),
                             (crs.gcj02_to_bd09, crs.bd09_to_gcj02)]:
        back_lon, back_lat = forward(*inverse(lon, lat))
        assert np.abs(back_lon - lon).max() < 1e-9
        assert np.abs(back_lat - lat).max() < 1e-9


@pytest.mark.parametrize("src, dst", ALL_PAIRS)
def test_round_trip_across_china_within_half_a_metre(china_sample, src, dst):
    lon, lat = china_sample
    back_lon, back_lat = crs.convert(*crs.convert(lon, lat, src, dst), dst, src)
    assert haversine_m(lon, lat, back_lon, back_lat).max() < 0.5


@pytest.mark.parametrize("dst", ["gcj02", "bd09"])
def test_offsets_apply_everywhere_inside_china(china_sample, dst):
    lon, lat = china_sample
    shifted = crs.convert(lon, lat, "wgs84", dst)
    # GCJ-02 moves points by roughly 50-700 m; BD-09 adds a few hundred metres more.
    assert haversine_m(lon, lat, *shifted).min() > 10


@pytest.mark.parametrize("src, dst", ALL_PAIRS)
def test_outside_china_every_system_equals_wgs84(src, dst):
    lon, lat = crs.convert(OUTSIDE_CHINA[:, 0], OUTSIDE_CHINA[:, 1], src, dst)
    np.testing.assert_array_equal(lon, OUTSIDE_CHINA[:, 0])
    np.testing.assert_array_equal(lat, OUTSIDE_CHINA[:, 1])


def test_cgcs2000_is_wgs84_as_in_pyproj(china_sample):
    lon, lat = china_sample
    pyproj_lon, pyproj_lat = Transformer.from_crs(4490, 4326, always_xy=True).transform(lon, lat)
    ours_lon, ours_lat = crs.to_wgs84(lon, lat, "cgcs2000")
    assert haversine_m(ours_lon, ours_lat, pyproj_lon, pyproj_lat).max() < 0.01
    np.testing.assert_array_equal(
        crs.convert(lon, lat, "cgcs2000", "gcj02"), crs.convert(lon, lat, "wgs84", "gcj02"))


@pytest.mark.parametrize("src, dst", ALL_PAIRS)
def test_shapes_are_preserved(src, dst):
    lon = np.linspace(110.0, 120.0, 12).reshape(3, 4)
    lat = np.linspace(25.0, 35.0, 12).reshape(3, 4)
    out_lon, out_lat = crs.convert(lon, lat, src, dst)
    assert out_lon.shape == out_lat.shape == (3, 4)
    assert out_lon[1, 2] == pytest.approx(crs.convert(lon[1, 2], lat[1, 2], src, dst)[0])


def test_scalars_give_scalars_and_inputs_are_not_modified():
    lon = np.array([116.404, 121.47])
    lat = np.array([39.915, 31.23])
    crs.convert(lon, lat, "bd09", "wgs84")
    np.testing.assert_array_equal(lon, [116.404, 121.47])
    out_lon, out_lat = crs.to_wgs84(116.404, 39.915, "bd09")
    assert np.ndim(out_lon) == np.ndim(out_lat) == 0
    assert isinstance(out_lon, float)


def test_scalar_latitude_broadcasts_against_longitudes():
    out_lon, out_lat = crs.convert([116.0, 117.0, 118.0], 39.9, "wgs84", "gcj02")
    assert out_lon.shape == out_lat.shape == (3,)


def test_nan_passes_through_without_disturbing_other_points():
    lon, lat = crs.convert([np.nan, 116.38404722455657], [39.9, 39.91334545536069],
                           "gcj02", "wgs84")
    assert np.isnan(lon[0])
    assert haversine_m(lon[1], lat[1], 116.377817, 39.911954) < 0.05


@pytest.mark.parametrize("src, dst", [("wgs84", "mars"), ("EPSG:4326", "gcj02")])
def test_unknown_system_is_rejected(src, dst):
    expected = "unknown coordinate system .*wgs84, gcj02, bd09, cgcs2000"
    with pytest.raises(ValueError, match=expected):
        crs.convert(116.4, 39.9, src, dst)


@pytest.fixture
def run_cli(capsys):
    def run(*argv):
        code = cli.main(["crs", "convert", *argv])
        out, err = capsys.readouterr()
        return code, out, err

    return run


def test_cli_converts_to_json(run_cli):
    gcj_lon, gcj_lat = COORDTRANSFORM_WGS84_TO_GCJ02
    code, out, _ = run_cli("--from", "gcj02", "--to", "wgs84", str(gcj_lon), str(gcj_lat), "--json")
    assert code == 0
    result = json.loads(out)
    assert set(result) == {"lon", "lat"}
    assert haversine_m(result["lon"], result["lat"], *COORDTRANSFORM_INPUT) < 0.05


def test_cli_prints_plain_lon_lat(run_cli):
    code, out, _ = run_cli("--from", "wgs84", "--to", "bd09", "116.404", "39.915")
    assert code == 0
    lon, lat = map(float, out.split())
    assert (lon, lat) == pytest.approx(crs.convert(116.404, 39.915, "wgs84", "bd09"), abs=1e-12)


def test_cli_accepts_negative_coordinates(run_cli):
    code, out, _ = run_cli("--from", "gcj02", "--to", "wgs84", "-70.6693", "-33.4489")
    assert code == 0
    assert out.split() == ["-70.6693", "-33.4489"]


@pytest.mark.parametrize("argv, message", [
    (("--from", "mars", "--to", "wgs84", "116.4", "39.9"), "unknown coordinate system 'mars'"),
    (("--from", "gcj02", "--to", "wgs84", "116,4", "39.9"), "longitude '116,4' is not a number"),
    (("--from", "gcj02", "--to", "wgs84", "116.4", "nan"), "latitude 'nan' is not a number"),
    (("--from", "gcj02", "--to", "wgs84", "39.9", "116.4"), "latitude '116.4' is outside -90..90"),
    (("--from", "gcj02", "--to", "wgs84", "200", "39.9"), "longitude '200' is outside -180..180"),
])
def test_cli_rejects_bad_input_with_one_line(run_cli, argv, message):
    code, out, err = run_cli(*argv)
    assert code == 2
    assert out == ""
    assert message in err
    assert err.count("\n") == 1
