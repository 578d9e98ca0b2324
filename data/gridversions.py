"""Versions of the grid layout: saving edits as change-sets, history, diffs and rollback.

Every save is one transaction that checks, replaces and records: the affected grids must
still have the version the analyst started from (optimistic locking: a second analyst's
save on a grid changed meanwhile is refused, never merged over), their rows are replaced
with `grids.version` bumped, workers of grids that disappeared move to the grid that
took their area, and the change-set (who, when, why) with every grid's old and new state
goes into grid_changesets and grid_history. History is never rewritten: a rollback is a
new change-set restoring the old states. After an editor's change tickets keep the grid
code they were located in (statistics for the new layout locate their points again); a
grids import replaces the whole layout and moves the rows of every table the user
remapped. The change-set's `reassigned` records each moved row, {table: {row id: [old
code, new code]}} (before grids imports: {responder id: [old, new]}), for its rollback.

Saving needs an analyst or admin (data.auth `grids.edit`, `grids.import` for imports); a
signed-in session is recorded as who saved, with sign-in off the `by` the caller names.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime

import numpy as np
import pandas as pd
import shapely
from geopandas import GeoDataFrame, GeoSeries

from data import auth
from data.schema import STORAGE_SRID
from data.store import Store, StoreError, Transaction
from data.workflow.states import OPEN

STATE_COLUMNS = ("name", "level", "parent_code", "households", "chief_id")
# Rows that carry a grid code, as a report names them: (table, id column). Tickets take
# their grid code from their incident (data.schema.TICKET_FACT_TRIGGERS).
GRID_CODE_ROWS = {
    "tickets": ("incidents", "ticket_id"),
    "responders": ("responders", "responder_id"),
    "cameras": ("cameras", "camera_id"),
    "routes": ("patrol_routes", "route_id"),
    "departments": ("departments", "department_id"),
}
_ID_COLUMNS = dict(GRID_CODE_ROWS.values())


class GridConflict(StoreError):
    """Someone else changed the same grids since they were read; nothing was saved."""


def save(store: Store, change, by: str | None, why: str, session: auth.Session | None = None) -> int:
    """Save an editor change (gis.editing.Change of grids read from `store`); returns the change-set id."""
    before = change.before
    if len(before) and "version" not in before.columns:
        raise StoreError("the edited grids carry no version; read them from the store before editing")
    expected = dict(zip(before["code"], before["version"])) if len(before) else {}
    return _save(store, expected, change.after, by, why, change.operation,
                 reassigned=dict(change.reassigned), back={"responders": dict(getattr(change, "workers", {}))},
                 session=session)


def replace_all(store: Store, grids: GeoDataFrame, by: str | None, why: str, remap: dict[str, str] | None = None,
                session: auth.Session | None = None, action: str = "grids.import") -> int:
    """Replace the whole layout with `grids` (a grids import) as one change-set; rows of every
    GRID_CODE_ROWS table on a code of `remap` ({old: new}) move in the same transaction.
    Chiefs carry over for the codes kept. Returns the change-set id. `action`: what it is
    authorized as (`store.init` for a new store's first layout)."""
    auth.check(store, session, action)
    current = store.read_layer("grids")
    after = grids.assign(chief_id=grids["code"].map(dict(zip(current["code"], current["chief_id"]))))
    return _save(store, dict(zip(current["code"], current["version"])), after, by, why, "import",
                 reassigned=remap or {}, tables=tuple(_ID_COLUMNS), session=session, action=action)


def orphans(store: Store, codes, remap: dict[str, str] | None = None) -> dict[str, dict[str, int]]:
    """The rows a layout of `codes` would leave on codes it lacks, once `remap` ({old: new}) has
    moved what it names: {what (GRID_CODE_ROWS): {code: rows}}."""
    keep, remap = set(codes), remap or {}
    found = {}
    for what, (table, _) in GRID_CODE_ROWS.items():
        counts = store.query(f"SELECT grid_code, count(*) FROM {table} WHERE grid_code IS NOT NULL GROUP BY grid_code")
        lost = {code: n for code, n in counts if remap.get(code, code) not in keep}
        if lost:
            found[what] = lost
    return found


def rollback(store: Store, changeset_id: int, by: str | None, why: str, session: auth.Session | None = None) -> int:
    """Restore the grids a change-set touched to their states before it, as a new change-set."""
    auth.check(store, session, "grids.edit")
    rows = store.query(
        "SELECT code, change, new_version, old_state FROM grid_history WHERE changeset_id = ?", (changeset_id,))
    if not rows:
        raise StoreError(f"no change-set {changeset_id}")
    expected = {code: version for code, change, version, _ in rows if change != "deleted"}
    expected.update({code: None for code, change, _, _ in rows if change == "deleted"})
    restored = _frame([_from_state(code, old) for code, _, _, old in rows if old is not None])
    back = {table: {rid: (new, old) for rid, (old, new) in rows.items()}
            for table, rows in _moves(store, changeset_id).items()}
    return _save(store, expected, restored, by, why, "rollback", back=back, rolls_back=changeset_id,
                 conflict=(f"cannot roll back change-set {changeset_id}, its grids changed since",
                           "; roll back the later change-sets first"), session=session)


def moved_rows(store: Store, changeset_id: int) -> dict[str, dict[str, list[str]]]:
    """The rows a change-set moved to other grid codes: {what (GRID_CODE_ROWS): {row id: [old, new]}}."""
    names = {table: what for what, (table, _) in GRID_CODE_ROWS.items()}
    return {names[table]: rows for table, rows in _moves(store, changeset_id).items()}


def _moves(store: Store, changeset_id: int) -> dict[str, dict[str, list[str]]]:
    (moves,) = store.query("SELECT reassigned FROM grid_changesets WHERE changeset_id = ?", (changeset_id,))[0]
    moves = json.loads(moves or "{}")
    if any(isinstance(move, list) for move in moves.values()):  # saved before grids imports: responders only
        moves = {"responders": moves}
    return {table: rows for table, rows in moves.items() if table in _ID_COLUMNS}


def history(store: Store, code: str | None = None, changeset_id: int | None = None) -> pd.DataFrame:
    """Every saved version change, oldest first; optionally of one grid code or one change-set."""
    sql = (
        "SELECT h.changeset_id, c.at, c.by, c.why, c.operation, c.rolls_back, h.code, h.change, "
        "h.old_version, h.new_version FROM grid_history h JOIN grid_changesets c USING (changeset_id)"
    )
    clauses, params = [], []
    if code is not None:
        clauses.append("h.code = ?")
        params.append(code)
    if changeset_id is not None:
        clauses.append("h.changeset_id = ?")
        params.append(changeset_id)
    if clauses:
        sql += " WHERE " + " AND ".join(clauses)
    rows = store.query(sql + " ORDER BY h.changeset_id, h.code", tuple(params))
    columns = ["changeset_id", "at", "by", "why", "operation", "rolls_back", "code", "change",
               "old_version", "new_version"]
    return pd.DataFrame.from_records(rows, columns=columns).astype(
        {"rolls_back": "Int64", "old_version": "Int64", "new_version": "Int64"})


def diff(store: Store, changeset_id: int) -> GeoDataFrame:
    """Old and new boundary per grid code of one change-set (geometry = new, old_geometry = old)."""
    rows = store.query(
        "SELECT code, change, old_state, new_state FROM grid_history WHERE changeset_id = ? ORDER BY code",
        (changeset_id,),
    )
    if not rows:
        raise StoreError(f"no change-set {changeset_id}")
    geometry = [[_geometry(state) for state in states] for states in zip(*[(r[2], r[3]) for r in rows])]
    return GeoDataFrame(
        {"code": [r[0] for r in rows], "change": [r[1] for r in rows],
         "old_geometry": GeoSeries(geometry[0], crs=f"EPSG:{STORAGE_SRID}")},
        geometry=geometry[1], crs=f"EPSG:{STORAGE_SRID}",
    )


def ticket_points(store: Store, bbox: tuple[float, float, float, float] | None = None,
                  reported_since: str | None = None, open_only: bool = True) -> GeoSeries:
    """Where tickets are (the open ones, or all reported since an ISO time), for the editor's
    workload feedback and balance assistant."""
    clauses, params = [], []
    if open_only:
        clauses.append(f"t.ticket_id IN (SELECT ticket_id FROM tickets WHERE state IN ({', '.join('?' * len(OPEN))}))")
        params += OPEN
    if reported_since:
        clauses.append("t.reported_at >= ?")
        params.append(reported_since)
    incidents = store.read_layer("incidents", bbox=bbox, where=" AND ".join(clauses) or None, params=tuple(params))
    return incidents.geometry


def _save(
    store: Store,
    expected: dict[str, int | None],
    after: GeoDataFrame,
    by: str,
    why: str,
    operation: str,
    reassigned: dict[str, str] | None = None,
    back: dict[str, dict[str, tuple[str, str]]] | None = None,
    rolls_back: int | None = None,
    tables: tuple[str, ...] = ("responders",),
    conflict: tuple[str, str] = ("conflict, nothing saved: someone else changed these grids meanwhile",
                                 "; reload the grids and redo the edit"),
    session: auth.Session | None = None,
    action: str = "grids.edit",
) -> int:
    """Check versions, replace the rows, move workers and record the change-set, in one transaction.

    `expected` maps each code the change touches to the version the change was made on
    (None: the code must not exist now). Rows of `tables` on a code of `reassigned` move to
    its new code; `back` moves single rows ({table: {row id: (from, to)}}).
    """
    acting = auth.check(store, session, action)
    by = by if acting.sign_in_off else acting.username
    if not (by or "").strip() or not why.strip():
        raise StoreError("say who saves the change and why")
    expected = {**expected, **{code: None for code in after["code"] if code not in expected}}
    if not expected:
        raise StoreError("nothing to save")
    with store.transaction() as tx:
        current = dict(_select_in(tx, "SELECT code, version FROM grids WHERE code IN ({})", list(expected)))
        _check_versions(expected, current, *conflict)
        old_states = _current_states(tx, store.dialect, list(current))
        changeset_id = tx.execute("SELECT coalesce(max(changeset_id), 0) + 1 FROM grid_changesets").scalar_one()
        new_versions = _new_versions(tx, after["code"], current)
        rows = after.assign(version=after["code"].map(new_versions))
        if "chief_id" not in rows.columns:
            rows["chief_id"] = None
        _execute_in(tx, "DELETE FROM grids WHERE code IN ({})", list(current))
        tx.write_layer("grids", rows, mode="append")
        moved = _move_rows(tx, reassigned or {}, back or {}, tables)
        at = datetime.now(UTC).isoformat(timespec="seconds").replace("+00:00", "Z")
        tx.insert_rows("grid_changesets", [{
            "changeset_id": changeset_id, "at": at, "by": by.strip(), "why": why.strip(), "operation": operation,
            "rolls_back": rolls_back, "reassigned": json.dumps(moved, ensure_ascii=False)}])
        new_states = {row["code"]: _state(row) for _, row in rows.iterrows()}
        tx.insert_rows("grid_history", [
            {"changeset_id": changeset_id, "code": code,
             "change": "deleted" if code not in new_states else "modified" if code in current else "created",
             "old_version": current.get(code), "new_version": new_versions.get(code),
             "old_state": old_states.get(code), "new_state": new_states.get(code)}
            for code in sorted(set(current) | set(new_states))
        ])
        tx.insert_rows("audit_log", [{"at": at, "actor": by.strip(), "action": f"grids.{operation}",
                                      "subject": f"changeset {changeset_id}", "detail": why.strip(),
                                      "seat": acting.audit_seat(acting.seat)}])
    return changeset_id


def _check_versions(expected: dict[str, int | None], current: dict[str, int], lead: str, hint: str) -> None:
    conflicts = []
    for code, version in expected.items():
        now = current.get(code)
        if version is None and now is not None:
            conflicts.append(f"grid {code} now exists (version {now})")
        elif version is not None and now is None:
            conflicts.append(f"grid {code} was deleted")
        elif version is not None and int(version) != now:
            conflicts.append(f"grid {code} is at version {now}, the edit was made on version {int(version)}")
    if conflicts:
        shown = "; ".join(conflicts[:3]) + (f" and {len(conflicts) - 3} more" if len(conflicts) > 3 else "")
        raise GridConflict(f"{lead}: {shown}{hint}")


def _new_versions(tx: Transaction, codes, current: dict[str, int]) -> dict[str, int]:
    """One more than the grid's current version, or than its last recorded one for a code coming back."""
    codes = list(codes)
    last = dict(_select_in(
        tx, "SELECT code, max(coalesce(new_version, old_version)) FROM grid_history WHERE code IN ({}) GROUP BY code",
        codes))
    return {code: (current.get(code) or last.get(code) or 0) + 1 for code in codes}


def _move_rows(tx: Transaction, reassigned: dict[str, str], back: dict[str, dict[str, tuple[str, str]]],
               tables: tuple[str, ...]) -> dict[str, dict[str, list[str]]]:
    """Move the rows of `tables` off grids that are gone (all codes at once, so that a chain
    a->b, b->c moves each row once), and single rows still where the change found them
    (`back`, also a rollback's); returns {table: {row id: [from, to]}}."""
    moved: dict[str, dict[str, list[str]]] = {}
    for table in tables if reassigned else []:
        id_column = _ID_COLUMNS[table]
        rows = _select_in(tx, f"SELECT {id_column}, grid_code FROM {table} WHERE grid_code IN ({{}})",
                          list(reassigned))
        if not rows:
            continue
        moved[table] = {rid: [old, reassigned[old]] for rid, old in rows}
        cases = " ".join("WHEN ? THEN ?" for _ in reassigned)
        tx.execute(f"UPDATE {table} SET grid_code = CASE grid_code {cases} END "
                   f"WHERE grid_code IN ({', '.join('?' * len(reassigned))})",
                   (*[code for pair in reassigned.items() for code in pair], *reassigned))
    for table, rows in back.items():
        id_column = _ID_COLUMNS[table]
        for rid, (source, target) in rows.items():
            if tx.execute(f"UPDATE {table} SET grid_code = ? WHERE {id_column} = ? AND grid_code = ?",
                          (target, rid, source)).rowcount:
                moved.setdefault(table, {})[rid] = [source, target]
    return moved


def _select_in(tx: Transaction, sql: str, values: list) -> list[tuple]:
    if not values:
        return []
    return tx.execute(sql.format(", ".join("?" * len(values))), tuple(values)).fetchall()


def _execute_in(tx: Transaction, sql: str, values: list) -> None:
    if values:
        tx.execute(sql.format(", ".join("?" * len(values))), tuple(values))


def _state(row: pd.Series) -> str:
    state = {column: _plain(row.get(column)) for column in STATE_COLUMNS}
    state["geometry"] = shapely.to_wkb(row.geometry, hex=True) if row.geometry is not None else None
    return json.dumps(state, ensure_ascii=False)


def _current_states(tx: Transaction, dialect, codes: list[str]) -> dict[str, str]:
    """The stored rows of `codes`, as _state writes them."""
    rows = _select_in(tx, f"SELECT code, {dialect.geometry('geom')}, {', '.join(STATE_COLUMNS)} "
                          "FROM grids WHERE code IN ({})", codes)
    frame = pd.DataFrame.from_records(rows, columns=["code", "geom", *STATE_COLUMNS])
    frame["geometry"] = dialect.decode_geometries(frame.pop("geom").to_numpy())
    return {row["code"]: _state(row) for _, row in frame.iterrows()}


def _from_state(code: str, state: str) -> dict:
    values = json.loads(state)
    return {"code": code, **{c: values.get(c) for c in STATE_COLUMNS}, "geometry": _geometry(state)}


def _geometry(state: str | None):
    if state is None:
        return None
    wkb = json.loads(state).get("geometry")
    return shapely.from_wkb(wkb) if wkb else None


def _frame(rows: list[dict]) -> GeoDataFrame:
    columns = ["code", *STATE_COLUMNS, "geometry"]
    return GeoDataFrame(pd.DataFrame(rows, columns=columns), geometry="geometry", crs=f"EPSG:{STORAGE_SRID}")


def _plain(value):
    """JSON-ready: numpy scalars as Python numbers, missing values as None."""
    if value is None or (not isinstance(value, str) and pd.isna(value)):
        return None
    return value.item() if isinstance(value, np.generic) else value
