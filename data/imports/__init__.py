"""Import a centre's own layers (responders, cameras, patrol routes, checkpoints, departments)
from the files centres hold, and export them back; no Qt.

`import_layer` reads the file, finds its columns, checks every row against the store and then
writes by id, or writes nothing: a file with a bad row is refused whole unless `skip_bad`.
Writing needs an analyst or admin (data.auth `layers.import`); a dry run only reads.
"""

from __future__ import annotations

import os
from collections.abc import Mapping

from data import auth
from data.imports.checks import Context, as_text, check_rows
from data.imports.columns import ColumnError, detect_columns
from data.imports.layers import SPECS, LayerSpec
from data.imports.tables import TableError, read_rows
from data.imports.upsert import plan_upsert, write_plan
from data.datumcheck import POINT_MIN_GAIN_M, ROADS, datum_warnings
from data.store import Store
from data.streamurls import mask_urls_in_text

# Layers whose rows move the police coverage the console draws.
COVERAGE_LAYERS = ("responders", "patrol_routes")


class LayerImportError(Exception):
    """The file cannot be imported at all (unreadable, a column missing); nothing was written."""


def import_layer(store: Store, spec: LayerSpec, path: str | os.PathLike, *, crs: str = "wgs84",
                 sheet: str | None = None, fields: Mapping[str, str | None] | None = None,
                 replace: bool = False, skip_bad: bool = False, dry_run: bool = False,
                 session: auth.Session | None = None) -> dict:
    """Import `path` into the store's layer; the report (what was found, what changed, which rows are bad).

    Nothing is written when a row is bad (unless `skip_bad`) or on a dry run."""
    acting = None if dry_run else auth.check(store, session, "layers.import")
    try:
        rows = read_rows(path, sheet)
        columns = detect_columns(rows.columns, {f.name: f.headers for f in spec.fields}, fields or {})
    except (TableError, ColumnError) as err:
        raise LayerImportError(mask_urls_in_text(str(err))) from None
    if spec.id_from_name and not (fields or {}).get("id") and _blank(rows, columns["id"]):
        columns["id"] = columns["name"]  # a GPX file's <number> is usually empty: its name is the id
    _require_columns(spec, columns, rows.geometries is not None)
    grids = store.read_layer("grids")
    responder_ids = [r[0] for r in store.query("SELECT responder_id FROM responders")]
    context = Context.of(grids, responder_ids)
    checked = check_rows(rows, columns, spec, context, crs)
    # Against the roads the file's points and routes stand beside; a per-row system or a
    # projected file (read in its own projection) is not one `--crs` reading to question.
    warnings = [] if columns.get("crs") or rows.projected else datum_warnings(
        store, [values["geometry"] for values in checked.rows], crs, references=ROADS, min_gain_m=POINT_MIN_GAIN_M)
    plan = plan_upsert(store, spec, checked, context, replace)
    problems = sorted(checked.problems + plan.problems, key=lambda p: p.number)
    bad_rows = len({p.number for p in problems})
    refused = bool(problems) and not skip_bad
    written = not refused and not dry_run and plan.writes
    coverage_kept = False
    if written:
        def write(tx) -> None:  # the rows and their audit row commit together or not at all
            write_plan(tx, plan)
            auth.audit(tx, acting, "layers.import", spec.layer, {"file": os.path.basename(path), **plan.counts()})

        store.run_in_transaction(write)
        if spec.layer in COVERAGE_LAYERS:
            from data.coveragemap import keep_coverage  # the road graph is only needed after a write

            coverage_kept = keep_coverage(store)
    return {
        "layer": spec.command, "file": os.fspath(path), "sheet": rows.sheet,
        "crs": "the file's own projection" if rows.projected else crs,
        "columns": columns, "positions": _positions_from(spec, columns, rows.geometries is not None),
        "rows": len(rows.records), "bad_rows": bad_rows,
        "problems": [{**p.as_dict(rows.row_word), "problem": mask_urls_in_text(p.message)} for p in problems],
        **plan.counts(), "kept_ids": plan.kept, "changed_columns": plan.changed_columns,
        "refused": refused, "dry_run": dry_run, "written": written, "coverage_kept": coverage_kept,
        "warnings": warnings,
    }


def _blank(rows, column: str | None) -> bool:
    return column is None or all(as_text(record.get(column)) is None for record in rows.records)


def _positions_from(spec: LayerSpec, columns: Mapping[str, str | None], vector: bool) -> str | None:
    """Where positions are read from, for the report."""
    if vector:
        return "geometry"
    wanted = ("path",) if spec.geometry == "line" else ("lon", "lat")
    return " + ".join(columns[name] for name in wanted) if all(columns.get(n) for n in wanted) else None


def _require_columns(spec: LayerSpec, columns: Mapping[str, str | None], vector: bool) -> None:
    missing = [f for f in spec.fields if f.required and not columns.get(f.name)]
    if not vector and spec.position_required:
        wanted = ("path",) if spec.geometry == "line" else ("lon", "lat")
        missing += [spec.field(name) for name in wanted if not columns.get(name)]
    if missing:
        raise LayerImportError("; ".join(
            f"no column for {f.name} (looked for {', '.join(f.headers[:6])}); "
            f"name it with --{f.name.replace('_', '-')}-field"
            for f in missing))


__all__ = ["SPECS", "LayerImportError", "import_layer"]
