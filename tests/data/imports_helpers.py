"""What the import tests share: a small demo store built once per test run (fixtures `import_demo`,
`store_path`, `places`: import them into a module to use them), file writers that write as real
tools do (Excel on a Chinese Windows: GBK CSV; openpyxl: XLSX), and the published GCJ-02 and
BD-09 forward formulas written out here, independently of gis.crs."""

from __future__ import annotations

import csv
import hashlib
import math
import shutil
from pathlib import Path

import openpyxl
import pytest

from data.demo.build import build_demo_city
from data.store import Store


def build_small_store(folder: Path) -> Path:
    path = folder / "small.gpkg"
    build_demo_city(path, "small", seed=1)
    return path


@pytest.fixture(scope="session")
def import_demo(tmp_path_factory) -> Path:
    """The small demo store (seed 1), built once: tests change copies of it (`store_path`)."""
    return build_small_store(tmp_path_factory.mktemp("imports"))


@pytest.fixture
def store_path(import_demo, tmp_path) -> Path:
    return copy_store(import_demo, tmp_path)


@pytest.fixture(scope="session")
def places(import_demo) -> list[tuple[str, float, float]]:
    """(code, lon, lat) of a few leaf grids' label points, from the store itself."""
    with Store.open(import_demo) as store:
        grids = store.read_layer("grids")
    leaves = grids[grids["level"] == grids["level"].max()].head(6)
    return [(code, p.x, p.y) for code, p in zip(leaves["code"], leaves.geometry.representative_point())]


def copy_store(source: Path, folder: Path) -> Path:
    target = folder / "store.gpkg"
    shutil.copyfile(source, target)
    return target


def file_hash(path: Path) -> str:
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


def write_csv(path: Path, header: list[str], rows: list[list], encoding: str = "gbk") -> Path:
    """A CSV as Excel writes it: GBK ("CSV") or utf-8-sig ("CSV UTF-8"), CRLF line ends."""
    with open(path, "w", encoding=encoding, newline="") as handle:
        writer = csv.writer(handle, lineterminator="\r\n")
        writer.writerow(header)
        writer.writerows(rows)
    return path


def write_xlsx(path: Path, sheets: dict[str, tuple[list[str], list[list]]]) -> Path:
    book = openpyxl.Workbook()
    book.remove(book.active)
    for title, (header, rows) in sheets.items():
        sheet = book.create_sheet(title)
        sheet.append(header)
        for row in rows:
            sheet.append(row)
    book.save(path)
    return path


def wgs84_to_gcj02(lon: float, lat: float) -> tuple[float, float]:
    """The GCJ-02 forward formula as published (eviltransform's `transform`)."""
    a, ee = 6378245.0, 0.00669342162296594323
    x, y = lon - 105.0, lat - 35.0
    d_lat = (-100.0 + 2.0 * x + 3.0 * y + 0.2 * y * y + 0.1 * x * y + 0.2 * math.sqrt(abs(x))
             + (20.0 * math.sin(6.0 * x * math.pi) + 20.0 * math.sin(2.0 * x * math.pi)) * 2.0 / 3.0
             + (20.0 * math.sin(y * math.pi) + 40.0 * math.sin(y / 3.0 * math.pi)) * 2.0 / 3.0
             + (160.0 * math.sin(y / 12.0 * math.pi) + 320 * math.sin(y * math.pi / 30.0)) * 2.0 / 3.0)
    d_lon = (300.0 + x + 2.0 * y + 0.1 * x * x + 0.1 * x * y + 0.1 * math.sqrt(abs(x))
             + (20.0 * math.sin(6.0 * x * math.pi) + 20.0 * math.sin(2.0 * x * math.pi)) * 2.0 / 3.0
             + (20.0 * math.sin(x * math.pi) + 40.0 * math.sin(x / 3.0 * math.pi)) * 2.0 / 3.0
             + (150.0 * math.sin(x / 12.0 * math.pi) + 300.0 * math.sin(x / 30.0 * math.pi)) * 2.0 / 3.0)
    rad = lat / 180.0 * math.pi
    magic = 1 - ee * math.sin(rad) ** 2
    d_lat = (d_lat * 180.0) / ((a * (1 - ee)) / (magic * math.sqrt(magic)) * math.pi)
    d_lon = (d_lon * 180.0) / (a / math.sqrt(magic) * math.cos(rad) * math.pi)
    return lon + d_lon, lat + d_lat


def gcj02_to_bd09(lon: float, lat: float) -> tuple[float, float]:
    """Baidu's forward formula as published (coordtransform's gcj02tobd09)."""
    x_pi = math.pi * 3000.0 / 180.0
    z = math.sqrt(lon * lon + lat * lat) + 0.00002 * math.sin(lat * x_pi)
    theta = math.atan2(lat, lon) + 0.000003 * math.cos(lon * x_pi)
    return z * math.cos(theta) + 0.0065, z * math.sin(theta) + 0.006


def metres_apart(a: tuple[float, float], b: tuple[float, float]) -> float:
    lat = math.radians((a[1] + b[1]) / 2)
    return math.hypot((a[0] - b[0]) * math.cos(lat), a[1] - b[1]) * 6_371_008.8 * math.pi / 180
