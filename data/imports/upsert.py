"""Write checked rows into the store by id: add the new, change the changed, leave the rest alone.

The plan is made first (so that --dry-run shows it and a refused file writes nothing), then
written in one transaction: changed and removed rows are deleted and the new versions appended.
Columns the file does not provide keep what the store has; a position equal to the stored one
keeps its source and time (a re-imported export changes nothing).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import geopandas as gpd
import shapely

from data.imports.checks import Checked, Context, Problem
from data.imports.layers import LayerSpec
from data.streamurls import keep_stored_password
from data.schema import LAYERS, STORAGE_SRID
from data.store import Store, Transaction

# Positions closer than this (degrees, about 1 cm) are the same position.
SAME_POSITION_DEG = 1e-7
# Ticket states in which a ticket no longer needs its responders.
DONE_STATES = ("closed", "merged")
_CHUNK = 500  # ids per DELETE statement (SQLite's variable limit is far above)


@dataclass
class Plan:
    spec: LayerSpec
    added: list[dict] = field(default_factory=list)
    changed: list[dict] = field(default_factory=list)
    unchanged: int = 0
    removed: list[str] = field(default_factory=list)
    kept: list[str] = field(default_factory=list)  # would be removed, but open tickets name them
    changed_columns: dict[str, int] = field(default_factory=dict)  # column -> rows changed in it
    problems: list[Problem] = field(default_factory=list)  # rows that cannot be placed, found only here

    @property
    def writes(self) -> bool:
        return bool(self.added or self.changed or self.removed)

    def counts(self) -> dict:
        return {"added": len(self.added), "changed": len(self.changed), "unchanged": self.unchanged,
                "removed": len(self.removed), "kept": len(self.kept)}


def plan_upsert(store: Store, spec: LayerSpec, checked: Checked, context: Context, replace: bool = False) -> Plan:
    stored = _stored_rows(store, spec)
    columns = LAYERS[spec.layer].column_names
    defaults = {f.column: f.default for f in spec.fields if f.column}
    plan = Plan(spec)
    for values in checked.rows:
        key = values[spec.key]
        old = stored.get(key)
        new = dict(old) if old else {c: defaults.get(c) for c in columns} | {"geometry": None}
        for column in columns:
            if column in values:
                new[column] = values[column]
        for column in ("stream_main", "stream_sub"):
            if old and column in values:
                new[column] = keep_stored_password(values[column], old[column])
        if not _position(new, old, values, checked, spec, context):
            plan.problems.append(Problem(values["_number"], checked.position_column,
                                         "no position and no grid to place it at"))
            continue
        if old is None:
            plan.added.append(new)
            continue
        differs = [c for c in columns if not _same(new[c], old[c])]
        if not _same_geometry(new["geometry"], old["geometry"]):
            differs.append("geometry")
        if differs:
            plan.changed.append(new)
            for column in differs:
                plan.changed_columns[column] = plan.changed_columns.get(column, 0) + 1
        else:
            plan.unchanged += 1
    if replace:
        listed = {values[spec.key] for values in checked.rows}
        gone = [key for key in stored if key not in listed]
        busy = on_open_tickets(store, spec)
        plan.removed = [key for key in gone if key not in busy]
        plan.kept = [key for key in gone if key in busy]
    return plan


def write_plan(tx: Transaction, plan: Plan) -> None:
    """Apply the plan inside `tx` (the caller's, which also holds the import's audit row)."""
    spec = plan.spec
    rows = plan.added + plan.changed
    gone = [row[spec.key] for row in plan.changed] + plan.removed
    for start in range(0, len(gone), _CHUNK):
        chunk = gone[start:start + _CHUNK]
        tx.execute(f'DELETE FROM "{spec.layer}" WHERE "{spec.key}" IN ({", ".join("?" * len(chunk))})',
                   tuple(chunk))
    if rows:
        columns = LAYERS[spec.layer].column_names
        frame = gpd.GeoDataFrame({c: [row[c] for row in rows] for c in columns},
                                 geometry=[row["geometry"] for row in rows], crs=f"EPSG:{STORAGE_SRID}")
        tx.write_layer(spec.layer, frame)


def on_open_tickets(store: Store, spec: LayerSpec) -> set[str]:
    """Ids that a ticket not yet closed or merged names: responders that lead or help on it, the
    department it is transferred to. --replace keeps them, or the ticket would point at no one."""
    columns = {"responders": "lead_id, helper_ids", "departments": "department"}.get(spec.layer)
    if columns is None:
        return set()
    marks = ", ".join("?" * len(DONE_STATES))
    busy: set[str] = set()
    for row in store.query(f"SELECT {columns} FROM tickets WHERE state NOT IN ({marks})", DONE_STATES):
        busy.update(x.strip() for value in row for x in (value or "").split(",") if x.strip())
    return busy


def _stored_rows(store: Store, spec: LayerSpec) -> dict[str, dict]:
    frame = store.read_layer(spec.layer)
    columns = LAYERS[spec.layer].column_names
    records = frame[columns].astype(object).where(frame[columns].notna(), None).to_dict("records")
    for record, geom in zip(records, frame.geometry.values):
        record["geometry"] = geom
    return {record[spec.key]: record for record in records}


def _position(new: dict, old: dict | None, values: dict, checked: Checked, spec: LayerSpec,
              context: Context) -> bool:
    """Set the row's geometry (and a responder's position source and time) from what the file says;
    False for a responder that has no position and no grid to be placed at."""
    geom = values["geometry"]
    responders = spec.layer == "responders"
    kept = old is not None and old["geometry"] is not None
    if geom is None and responders:
        if kept and old.get("position_source") != "grid_label" and "geometry" not in checked.provided:
            return True  # the file has no position columns: a unit's reported position stays
        if kept and old.get("position_source") in ("fix", None) and old.get("position_at"):
            return True  # a position a device reported is newer knowledge than a roster without one
        if not new.get("grid_code"):
            return False
        geom = context.labels[new["grid_code"]]
        source = "grid_label"
    elif geom is None:
        if "geometry" not in checked.provided and old is not None:
            return True
        source = None
    else:
        source = "file"
    if old is not None and _same_geometry(geom, old["geometry"]):
        return True  # the same position keeps where and when it came from
    new["geometry"] = geom
    if responders:
        new["position_source"] = source
        new["position_at"] = None
    return True


def _same(a, b) -> bool:
    if isinstance(a, float) and math.isnan(a):
        a = None
    if isinstance(b, float) and math.isnan(b):
        b = None
    if isinstance(a, (int, float)) and isinstance(b, (int, float)):
        return math.isclose(a, b, rel_tol=1e-12, abs_tol=1e-9)
    return a == b


def _same_geometry(a, b) -> bool:
    if a is None or b is None:
        return a is None and b is None
    return bool(shapely.equals_exact(a, b, tolerance=SAME_POSITION_DEG))
