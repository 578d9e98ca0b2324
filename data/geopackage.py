"""GeoPackage encoding: geometry blobs, core metadata tables and R-tree indexes.

We write the GeoPackage tables ourselves (rather than through GDAL) so that feature
writes share one SQLite transaction with the application tables: an import or a
ticket change either lands whole or not at all. The file stays a standard GeoPackage
1.3 that QGIS and `ogrinfo` open as is.
"""

from __future__ import annotations

import sqlite3
import struct

import numpy as np
import shapely

APPLICATION_ID = 0x47504B47  # "GPKG"
USER_VERSION = 10300  # GeoPackage 1.3.0

_MAGIC = b"GP"
_VERSION = 0
_FLAG_LITTLE_ENDIAN = 0x01
_FLAG_XY_ENVELOPE = 0x02  # envelope indicator 1 in bits 1-3
_FLAG_EMPTY = 0x10
_ENVELOPE_BYTES = {0: 0, 1: 32, 2: 48, 3: 48, 4: 64}

_HEADER_WITH_ENVELOPE = np.dtype(
    [("magic", "S2"), ("version", "u1"), ("flags", "u1"), ("srs_id", "<i4"), ("envelope", "<f8", 4)]
)
_HEADER_BARE = np.dtype([("magic", "S2"), ("version", "u1"), ("flags", "u1"), ("srs_id", "<i4")])


def encode(geometries, srs_id: int) -> list[bytes | None]:
    """Encode shapely geometries as GeoPackage geometry blobs (vectorised).

    Points carry no envelope (the spec's recommendation, and 40% smaller); everything
    else carries its xy bounding box so readers can filter without parsing WKB.
    """
    geoms = np.asarray(geometries, dtype=object)
    n = len(geoms)
    out: list[bytes | None] = [None] * n
    present = ~shapely.is_missing(geoms)
    if not present.any():
        return out
    idx = np.flatnonzero(present)
    sub = geoms[idx]
    empty = shapely.is_empty(sub)
    points = shapely.get_type_id(sub) == 0
    wkb = shapely.to_wkb(sub, byte_order=1, flavor="iso")

    bare = np.zeros(len(idx), dtype=_HEADER_BARE)
    bare["magic"] = _MAGIC
    bare["version"] = _VERSION
    bare["flags"] = np.where(empty, _FLAG_LITTLE_ENDIAN | _FLAG_EMPTY, _FLAG_LITTLE_ENDIAN)
    bare["srs_id"] = srs_id

    boxed = np.zeros(len(idx), dtype=_HEADER_WITH_ENVELOPE)
    boxed["magic"] = _MAGIC
    boxed["version"] = _VERSION
    boxed["flags"] = _FLAG_LITTLE_ENDIAN | _FLAG_XY_ENVELOPE
    boxed["srs_id"] = srs_id
    # shapely bounds are (minx, miny, maxx, maxy); GeoPackage wants (minx, maxx, miny, maxy).
    boxed["envelope"] = shapely.bounds(sub)[:, [0, 2, 1, 3]]

    use_bare = empty | points
    bare_bytes = bare.tobytes()
    boxed_bytes = boxed.tobytes()
    bs, xs = _HEADER_BARE.itemsize, _HEADER_WITH_ENVELOPE.itemsize
    for j, i in enumerate(idx):
        if use_bare[j]:
            header = bare_bytes[j * bs : (j + 1) * bs]
        else:
            header = boxed_bytes[j * xs : (j + 1) * xs]
        out[i] = header + wkb[j]
    return out


def _wkb_offset(blob: bytes) -> int:
    flags = blob[3]
    return 8 + _ENVELOPE_BYTES[(flags >> 1) & 0x07]


def decode(blobs) -> np.ndarray:
    """Decode GeoPackage geometry blobs to an array of shapely geometries (None stays None)."""
    wkbs = [None if b is None else bytes(b)[_wkb_offset(b) :] for b in blobs]
    return shapely.from_wkb(np.array(wkbs, dtype=object))


def _header_envelope(blob: bytes) -> tuple[float, float, float, float] | None:
    if blob[3] & _FLAG_EMPTY:
        return None
    if (blob[3] >> 1) & 0x07:
        return struct.unpack_from("<4d", blob, 8)  # minx, maxx, miny, maxy
    geom = shapely.from_wkb(bytes(blob)[_wkb_offset(blob) :])
    if geom.is_empty:
        return None
    minx, miny, maxx, maxy = geom.bounds
    return minx, maxx, miny, maxy


def _envelope_part(part: int):
    def function(blob):
        if blob is None:
            return None
        env = _header_envelope(blob)
        return None if env is None else env[part]

    return function


def _is_empty(blob) -> int | None:
    if blob is None:
        return None
    return int(_header_envelope(blob) is None)


def register_functions(conn: sqlite3.Connection) -> None:
    """Give a plain SQLite connection the ST_* functions GeoPackage R-tree triggers call."""
    conn.create_function("ST_IsEmpty", 1, _is_empty, deterministic=True)
    for part, name in enumerate(("ST_MinX", "ST_MaxX", "ST_MinY", "ST_MaxY")):
        conn.create_function(name, 1, _envelope_part(part), deterministic=True)


CORE_DDL = [
    """CREATE TABLE IF NOT EXISTS gpkg_spatial_ref_sys (
        srs_name TEXT NOT NULL, srs_id INTEGER PRIMARY KEY, organization TEXT NOT NULL,
        organization_coordsys_id INTEGER NOT NULL, definition TEXT NOT NULL, description TEXT)""",
    """CREATE TABLE IF NOT EXISTS gpkg_contents (
        table_name TEXT NOT NULL PRIMARY KEY, data_type TEXT NOT NULL, identifier TEXT UNIQUE,
        description TEXT DEFAULT '',
        last_change DATETIME NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ','now')),
        min_x DOUBLE, min_y DOUBLE, max_x DOUBLE, max_y DOUBLE, srs_id INTEGER,
        CONSTRAINT fk_gc_r_srs_id FOREIGN KEY (srs_id) REFERENCES gpkg_spatial_ref_sys(srs_id))""",
    """CREATE TABLE IF NOT EXISTS gpkg_geometry_columns (
        table_name TEXT NOT NULL, column_name TEXT NOT NULL, geometry_type_name TEXT NOT NULL,
        srs_id INTEGER NOT NULL, z TINYINT NOT NULL, m TINYINT NOT NULL,
        CONSTRAINT pk_geom_cols PRIMARY KEY (table_name, column_name),
        CONSTRAINT uk_gc_table_name UNIQUE (table_name),
        CONSTRAINT fk_gc_tn FOREIGN KEY (table_name) REFERENCES gpkg_contents(table_name),
        CONSTRAINT fk_gc_srs FOREIGN KEY (srs_id) REFERENCES gpkg_spatial_ref_sys (srs_id))""",
    """CREATE TABLE IF NOT EXISTS gpkg_extensions (
        table_name TEXT, column_name TEXT, extension_name TEXT NOT NULL,
        definition TEXT NOT NULL, scope TEXT NOT NULL,
        CONSTRAINT ge_tce UNIQUE (table_name, column_name, extension_name))""",
]

_WGS84_WKT = (
    'GEOGCS["WGS 84",DATUM["WGS_1984",SPHEROID["WGS 84",6378137,298.257223563,'
    'AUTHORITY["EPSG","7030"]],AUTHORITY["EPSG","6326"]],PRIMEM["Greenwich",0,'
    'AUTHORITY["EPSG","8901"]],UNIT["degree",0.0174532925199433,AUTHORITY["EPSG","9122"]],'
    'AXIS["Latitude",NORTH],AXIS["Longitude",EAST],AUTHORITY["EPSG","4326"]]'
)

SPATIAL_REF_ROWS = [
    ("Undefined cartesian SRS", -1, "NONE", -1, "undefined", "undefined cartesian coordinate reference system"),
    ("Undefined geographic SRS", 0, "NONE", 0, "undefined", "undefined geographic coordinate reference system"),
    ("WGS 84 geodetic", 4326, "EPSG", 4326, _WGS84_WKT, "longitude/latitude coordinates in decimal degrees on the WGS 84 spheroid"),
]


def rtree_name(table: str) -> str:
    return f"rtree_{table}_geom"


def rtree_trigger_ddl(table: str) -> list[str]:
    """The GeoPackage 1.2+ triggers that keep a table's R-tree in step with its geometries."""
    r = rtree_name(table)
    box = "NEW.fid, ST_MinX(NEW.geom), ST_MaxX(NEW.geom), ST_MinY(NEW.geom), ST_MaxY(NEW.geom)"
    present = "(NEW.geom NOT NULL AND NOT ST_IsEmpty(NEW.geom))"
    absent = "(NEW.geom IS NULL OR ST_IsEmpty(NEW.geom))"
    return [
        f'CREATE TRIGGER "{r}_insert" AFTER INSERT ON "{table}" WHEN {present} '
        f'BEGIN INSERT OR REPLACE INTO "{r}" VALUES ({box}); END',
        f'CREATE TRIGGER "{r}_update1" AFTER UPDATE OF geom ON "{table}" WHEN OLD.fid = NEW.fid AND {present} '
        f'BEGIN INSERT OR REPLACE INTO "{r}" VALUES ({box}); END',
        f'CREATE TRIGGER "{r}_update2" AFTER UPDATE OF geom ON "{table}" WHEN OLD.fid = NEW.fid AND {absent} '
        f'BEGIN DELETE FROM "{r}" WHERE id = OLD.fid; END',
        f'CREATE TRIGGER "{r}_update3" AFTER UPDATE ON "{table}" WHEN OLD.fid != NEW.fid AND {present} '
        f'BEGIN DELETE FROM "{r}" WHERE id = OLD.fid; INSERT OR REPLACE INTO "{r}" VALUES ({box}); END',
        f'CREATE TRIGGER "{r}_update4" AFTER UPDATE ON "{table}" WHEN OLD.fid != NEW.fid AND {absent} '
        f'BEGIN DELETE FROM "{r}" WHERE id IN (OLD.fid, NEW.fid); END',
        f'CREATE TRIGGER "{r}_delete" AFTER DELETE ON "{table}" WHEN OLD.geom NOT NULL '
        f'BEGIN DELETE FROM "{r}" WHERE id = OLD.fid; END',
    ]


def rtree_trigger_names(table: str) -> list[str]:
    r = rtree_name(table)
    return [f"{r}_{suffix}" for suffix in ("insert", "update1", "update2", "update3", "update4", "delete")]
