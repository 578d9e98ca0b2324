"""Conversions between the coordinate systems Chinese sources mix: WGS-84, CGCS2000, GCJ-02, BD-09.

- WGS-84: GPS receivers, OpenStreetMap, the store (every geometry is kept in WGS-84).
- CGCS2000 (EPSG:4490): official surveying and government data. It differs from WGS-84 by a few
  centimetres, far below what a grid map resolves; EPSG knows no transformation between the two
  other than a ballpark null one (pyproj's EPSG:4490 -> EPSG:4326 is `proj=noop`), so it is the
  identity here instead of a pyproj round trip that would change nothing.
- GCJ-02: the obfuscated datum required for maps published in China (Gaode/Amap, Tencent, Apple
  Maps in China). It adds a non-linear offset of a few hundred metres inside a rough China
  bounding box and equals WGS-84 outside it.
- BD-09: Baidu's further obfuscation, applied on top of GCJ-02 inside the same box. Outside
  China Baidu's own SDKs use WGS-84 (lbs.baidu.com coordinate guide), so BD-09 does too here.

The forward formulas are the published ones (eviltransform, coordtransform). They have no closed
inverse, so GCJ-02 -> WGS-84 and BD-09 -> GCJ-02 iterate the forward formula to sub-millimetre
precision rather than using the one-step approximations common in other libraries (the
GCJ-02 one is 1-2 m off).
Every function takes scalars or numpy arrays (broadcast against each other) and returns the same.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
from numpy.typing import ArrayLike, NDArray

CRS_NAMES = ("wgs84", "gcj02", "bd09", "cgcs2000")

# Krasovsky 1940 ellipsoid, which the GCJ-02 formula is written against.
_KRASOVSKY_A = 6378245.0
_KRASOVSKY_EE = 0.00669342162296594323

# Where GCJ-02 and BD-09 apply their offsets: the bounding box of the eviltransform
# implementations (coordtransform's is a little tighter; no box follows the real border).
# The offsets jump at its edges, so within ~1 km of them (no Chinese land is) an inverse may be
# off by the full offset: the forward transform is not one-to-one there.
_CHINA_LON = (72.004, 137.8347)
_CHINA_LAT = (0.8293, 55.8271)

_BD_X_PI = np.pi * 3000.0 / 180.0
_BD_LON_SHIFT = 0.0065
_BD_LAT_SHIFT = 0.006

# 1e-9 degrees is about 0.1 mm; the fixed-point iteration shrinks the error by two orders of
# magnitude per step, so the bound only guards against non-convergence at the box edges.
_INVERSE_TOLERANCE_DEG = 1e-9
_INVERSE_MAX_ITERATIONS = 20

Coordinates = tuple[NDArray[np.float64], NDArray[np.float64]]
_Transform = Callable[[NDArray[np.float64], NDArray[np.float64]], Coordinates]


def convert(lon: ArrayLike, lat: ArrayLike, src: str, dst: str) -> Coordinates:
    """Convert lon/lat from coordinate system `src` to `dst` (names from CRS_NAMES)."""
    to_wgs84_step = _step(_TO_WGS84, src)
    from_wgs84_step = _step(_FROM_WGS84, dst)
    lon_arr, lat_arr = _as_float_arrays(lon, lat)
    if src != dst:
        lon_arr, lat_arr = from_wgs84_step(*to_wgs84_step(lon_arr, lat_arr))
    return lon_arr[()], lat_arr[()]


def canonical(name: str) -> str:
    """The system a name stands for where offsets matter: CGCS2000 is WGS-84 to the centimetre."""
    return "wgs84" if name == "cgcs2000" else name


def to_wgs84(lon: ArrayLike, lat: ArrayLike, src: str) -> Coordinates:
    """Convert lon/lat given in `src` to WGS-84, the system the store uses."""
    return convert(lon, lat, src, "wgs84")


def wgs84_to_gcj02(lon: ArrayLike, lat: ArrayLike) -> Coordinates:
    lon_arr, lat_arr = _as_float_arrays(lon, lat)
    d_lon, d_lat = _gcj02_offset(lon_arr, lat_arr)
    inside = _in_china_box(lon_arr, lat_arr)
    return (
        np.where(inside, lon_arr + d_lon, lon_arr)[()],
        np.where(inside, lat_arr + d_lat, lat_arr)[()],
    )


def gcj02_to_wgs84(lon: ArrayLike, lat: ArrayLike) -> Coordinates:
    return _invert(wgs84_to_gcj02, lon, lat)


def gcj02_to_bd09(lon: ArrayLike, lat: ArrayLike) -> Coordinates:
    lon_arr, lat_arr = _as_float_arrays(lon, lat)
    radius = np.hypot(lon_arr, lat_arr) + 0.00002 * np.sin(lat_arr * _BD_X_PI)
    theta = np.arctan2(lat_arr, lon_arr) + 0.000003 * np.cos(lon_arr * _BD_X_PI)
    inside = _in_china_box(lon_arr, lat_arr)
    return (
        np.where(inside, radius * np.cos(theta) + _BD_LON_SHIFT, lon_arr)[()],
        np.where(inside, radius * np.sin(theta) + _BD_LAT_SHIFT, lat_arr)[()],
    )


def bd09_to_gcj02(lon: ArrayLike, lat: ArrayLike) -> Coordinates:
    return _invert(gcj02_to_bd09, lon, lat)


def wgs84_to_bd09(lon: ArrayLike, lat: ArrayLike) -> Coordinates:
    return gcj02_to_bd09(*wgs84_to_gcj02(lon, lat))


def bd09_to_wgs84(lon: ArrayLike, lat: ArrayLike) -> Coordinates:
    return gcj02_to_wgs84(*bd09_to_gcj02(lon, lat))


def _identity(lon: NDArray[np.float64], lat: NDArray[np.float64]) -> Coordinates:
    return lon, lat


_TO_WGS84: dict[str, _Transform] = {
    "wgs84": _identity,
    "cgcs2000": _identity,
    "gcj02": gcj02_to_wgs84,
    "bd09": bd09_to_wgs84,
}
_FROM_WGS84: dict[str, _Transform] = {
    "wgs84": _identity,
    "cgcs2000": _identity,
    "gcj02": wgs84_to_gcj02,
    "bd09": wgs84_to_bd09,
}


def _step(table: dict[str, _Transform], name: str) -> _Transform:
    try:
        return table[name]
    except KeyError:
        raise ValueError(
            f"unknown coordinate system {name!r}; expected one of: {', '.join(CRS_NAMES)}"
        ) from None


def _as_float_arrays(lon: ArrayLike, lat: ArrayLike) -> Coordinates:
    lon_arr, lat_arr = np.broadcast_arrays(
        np.asarray(lon, dtype=np.float64), np.asarray(lat, dtype=np.float64)
    )
    # Copies: broadcast views are read-only and callers' arrays must never be modified.
    return lon_arr.copy(), lat_arr.copy()


def _in_china_box(lon: NDArray[np.float64], lat: NDArray[np.float64]) -> NDArray[np.bool_]:
    return (
        (lon >= _CHINA_LON[0]) & (lon <= _CHINA_LON[1])
        & (lat >= _CHINA_LAT[0]) & (lat <= _CHINA_LAT[1])
    )


def _gcj02_offset(lon: NDArray[np.float64], lat: NDArray[np.float64]) -> Coordinates:
    """The GCJ-02 shift in degrees at a WGS-84 point, as published (eviltransform)."""
    x = lon - 105.0
    y = lat - 35.0
    periodic = (20.0 * np.sin(6.0 * np.pi * x) + 20.0 * np.sin(2.0 * np.pi * x)) * 2.0 / 3.0
    shift_lat = (
        -100.0 + 2.0 * x + 3.0 * y + 0.2 * y * y + 0.1 * x * y + 0.2 * np.sqrt(np.abs(x))
        + periodic
        + (20.0 * np.sin(np.pi * y) + 40.0 * np.sin(np.pi * y / 3.0)) * 2.0 / 3.0
        + (160.0 * np.sin(np.pi * y / 12.0) + 320.0 * np.sin(np.pi * y / 30.0)) * 2.0 / 3.0
    )
    shift_lon = (
        300.0 + x + 2.0 * y + 0.1 * x * x + 0.1 * x * y + 0.1 * np.sqrt(np.abs(x))
        + periodic
        + (20.0 * np.sin(np.pi * x) + 40.0 * np.sin(np.pi * x / 3.0)) * 2.0 / 3.0
        + (150.0 * np.sin(np.pi * x / 12.0) + 300.0 * np.sin(np.pi * x / 30.0)) * 2.0 / 3.0
    )
    # The shifts are in metres on the Krasovsky ellipsoid; turn them into degrees.
    rad_lat = np.radians(lat)
    w = 1.0 - _KRASOVSKY_EE * np.sin(rad_lat) ** 2
    meridian_radius = _KRASOVSKY_A * (1.0 - _KRASOVSKY_EE) / (w * np.sqrt(w))
    parallel_radius = _KRASOVSKY_A / np.sqrt(w) * np.cos(rad_lat)
    return np.degrees(shift_lon / parallel_radius), np.degrees(shift_lat / meridian_radius)


def _invert(forward: _Transform, lon: ArrayLike, lat: ArrayLike) -> Coordinates:
    """Solve forward(p) = target by fixed-point iteration, all points at once.

    Both obfuscations are the identity plus a small, slowly varying offset, so subtracting the
    current residual converges fast and needs no derivatives.
    """
    target_lon, target_lat = _as_float_arrays(lon, lat)
    est_lon, est_lat = target_lon.copy(), target_lat.copy()
    for _ in range(_INVERSE_MAX_ITERATIONS):
        fwd_lon, fwd_lat = forward(est_lon, est_lat)
        err_lon = fwd_lon - target_lon
        err_lat = fwd_lat - target_lat
        # Written as "not above" so NaN input counts as settled instead of using every iteration.
        if not (np.any(np.abs(err_lon) > _INVERSE_TOLERANCE_DEG)
                or np.any(np.abs(err_lat) > _INVERSE_TOLERANCE_DEG)):
            break
        est_lon -= err_lon
        est_lat -= err_lat
    return est_lon[()], est_lat[()]
