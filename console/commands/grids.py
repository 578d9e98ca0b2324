"""`gridsight grids`: validate grid files, import them into a store, export the store's grids,
list the saved grid changes and roll one back, and open the analysts' editor.

Import runs the same rules as validate and writes nothing unless every rule passes, so a
store never holds a broken hierarchy; `--fix` first repairs what needs no judgement.
"""

from __future__ import annotations

import argparse
import os
from collections import Counter

import pandas as pd
from geopandas import GeoDataFrame

from console.commands import CliError, open_store, print_json
from data.coveragemap import keep_coverage
from console.i18n import DEFAULT_LANGUAGE, LANGUAGES
from data import gridversions
from data.store import StoreError
from gis.gridfile import OUTPUT_FORMATS, GridFileError, read_grid_file, write_grid_file
from gis.topology import DEFAULT_SLIVER_M2, DEFAULT_TOLERANCE_M2, Problem, fix, validate

# Option name for each standard field a grid file may call something else.
FIELD_OPTIONS = {
    "code": "--code-field",
    "name": "--name-field",
    "level": "--level-field",
    "parent_code": "--parent-field",
    "households": "--households-field",
}


def register(subparsers: argparse._SubParsersAction) -> None:
    grids_parser = subparsers.add_parser("grids", help="validate, import and export grid hierarchies")
    actions = grids_parser.add_subparsers(dest="grids_command", required=True, metavar="ACTION")

    validate_parser = actions.add_parser(
        "validate",
        help="check a grid file against every topology and hierarchy rule",
        description="Check a grid file (GeoJSON, GeoPackage, Shapefile, KML). "
        "Exit 0 = valid, 1 = problems found, 2 = unreadable input.",
    )
    _add_input_arguments(validate_parser)
    validate_parser.set_defaults(handler=run_validate)

    import_parser = actions.add_parser(
        "import",
        help="replace a store's grids with a valid grid file",
        description="Validate a grid file and, only if it is valid, replace the store's grids with it "
        "in one transaction. Invalid input leaves the store as it was (exit 1).",
    )
    _add_input_arguments(import_parser)
    import_parser.add_argument("--db", required=True, metavar="FILE.gpkg", help="store (created if missing)")
    import_parser.add_argument(
        "--fix", action="store_true", help="repair invalid shapes, slivers and small gaps first, and report them"
    )
    import_parser.add_argument(
        "--sliver-m2",
        type=_area,
        default=DEFAULT_SLIVER_M2,
        metavar="M2",
        help=f"largest overlap or gap --fix resolves by itself (default {DEFAULT_SLIVER_M2:g} m²)",
    )
    import_parser.set_defaults(handler=run_import)

    export_parser = _add_store_action(
        actions, "export", run_export, "store to read",
        help="write a store's grids to a GIS file",
        description=f"Write the store's grids to a file; the suffix picks the format ({', '.join(OUTPUT_FORMATS)}).",
    )
    export_parser.add_argument("--out", required=True, metavar="FILE", help="file to write (replaced if it exists)")

    history_parser = _add_store_action(
        actions, "history", run_history, "store to read",
        help="list the saved changes of a store's grids",
        description="List every saved grid change: change-set, when, who, why, and each grid's versions.",
    )
    history_parser.add_argument("--code", help="only the history of this grid code")
    history_parser.add_argument("--json", action="store_true", help="print the history as JSON")

    rollback_parser = _add_store_action(
        actions, "rollback", run_rollback, "store to change",
        help="undo a saved grid change-set by saving a new one",
        description="Restore the grids a change-set touched to their earlier states, as a new change-set "
        "(history is kept). Refused (exit 1) if those grids changed again since.",
    )
    rollback_parser.add_argument("changeset", type=int, metavar="CHANGESET_ID", help="change-set to roll back")
    rollback_parser.add_argument("--by", required=True, metavar="NAME", help="who rolls back")
    rollback_parser.add_argument("--why", required=True, metavar="TEXT", help="why")

    edit_parser = _add_store_action(
        actions, "edit", run_edit, "store to edit",
        help="open the grid editor on a store",
        description="Open the analysts' grid editor: draw, split, merge, reshape and re-parent grids, "
        "save them as versioned change-sets (needs a display; `gridsight screenshot --view editor` otherwise).",
    )
    edit_parser.add_argument("--lang", choices=LANGUAGES, default=DEFAULT_LANGUAGE,
                             help=f"UI language (default: {DEFAULT_LANGUAGE})")


def _add_store_action(actions: argparse._SubParsersAction, name: str, handler, store_help: str,
                      **texts: str) -> argparse.ArgumentParser:
    """An action on a store: its parser (`texts`: help, description) with the required --db option."""
    parser = actions.add_parser(name, **texts)
    parser.add_argument("--db", required=True, metavar="FILE.gpkg", help=store_help)
    parser.set_defaults(handler=handler)
    return parser


def _add_input_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("file", metavar="FILE", help="grid file: GeoJSON, GeoPackage, Shapefile or KML")
    parser.add_argument("--layer", help="layer to read from a file with several")
    for standard, option in FIELD_OPTIONS.items():
        parser.add_argument(option, metavar="FIELD", help=f"the file's field holding the {standard.replace('_', ' ')}")
    parser.add_argument(
        "--tolerance-m2",
        type=_area,
        default=DEFAULT_TOLERANCE_M2,
        metavar="M2",
        help=f"ignore overlaps and gaps up to this area (default {DEFAULT_TOLERANCE_M2:g} m²)",
    )
    parser.add_argument("--json", action="store_true", help="print the result as JSON")


def _area(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        value = -1.0
    if not value >= 0:
        raise argparse.ArgumentTypeError(f"{text!r} is not an area in m² (a number ≥ 0)")
    return value


def run_validate(args: argparse.Namespace) -> int:
    grids = _read_grids(args)
    problems = validate(grids, tolerance_m2=args.tolerance_m2)
    if args.json:
        print_json({"valid": not problems, "features": len(grids), "problems": [p.as_dict() for p in problems]})
    else:
        _print_problems(problems)
        print(f"{args.file}: {len(grids)} features, {_summary(problems)}")
    return 1 if problems else 0


def run_import(args: argparse.Namespace) -> int:
    grids = _read_grids(args)
    changes: list[str] = []
    if args.fix:
        grids, changes = fix(grids, sliver_m2=args.sliver_m2, tolerance_m2=args.tolerance_m2)
    problems = validate(grids, tolerance_m2=args.tolerance_m2)
    if args.json:
        print_json(
            {
                "imported": not problems,
                "features": len(grids),
                "changes": changes,
                "problems": [p.as_dict() for p in problems],
            }
        )
    else:
        for change in changes:
            print(f"fixed  {change}")
        _print_problems(problems)
    if problems:
        hint = "" if args.fix else ", or try --fix"
        raise CliError(
            f"import refused: {_summary(problems)}; fix the file{hint}. The store was not changed.", exit_code=1
        )
    count, coverage_kept = _replace_store_grids(args.db, grids)
    if not args.json:
        print(f"imported {count} grids into {args.db}" + (f" after {len(changes)} fixes" if changes else ""))
        if coverage_kept:
            print("police coverage computed for the console's map")
    return 0


def run_export(args: argparse.Namespace) -> int:
    with open_store(args.db) as store:
        grids = store.read_layer("grids")
    try:
        write_grid_file(grids, args.out)
    except GridFileError as err:
        raise CliError(str(err)) from None
    print(f"wrote {len(grids)} grids to {args.out}")
    return 0


def run_history(args: argparse.Namespace) -> int:
    with open_store(args.db) as store:
        changes = gridversions.history(store, code=args.code)
    if args.json:
        print_json([{k: (None if pd.isna(v) else v) for k, v in row.items()}
                    for row in changes.astype(object).to_dict("records")])
        return 0
    for row in changes.itertuples():
        versions = f"{_version(row.old_version)}→{_version(row.new_version)}"
        print(f"#{row.changeset_id} {row.at} {row.by}: {row.operation} {row.change} {row.code} {versions} ({row.why})")
    if changes.empty:
        print("no saved grid changes" + (f" for {args.code}" if args.code else ""))
    return 0


def run_rollback(args: argparse.Namespace) -> int:
    with open_store(args.db) as store:
        try:
            changeset = gridversions.rollback(store, args.changeset, by=args.by, why=args.why)
        except gridversions.GridConflict as err:
            raise CliError(str(err), exit_code=1) from None
        except StoreError as err:
            raise CliError(str(err)) from None
    print(f"rolled back change-set {args.changeset} as change-set {changeset}")
    return 0


def run_edit(args: argparse.Namespace) -> int:
    from console import app
    from console.editor import run_editor
    from console.mapview import MapAssetsMissing

    if not app.has_display() and "QT_QPA_PLATFORM" not in os.environ:
        raise CliError("no display: run it under xvfb-run, or use `gridsight screenshot --view editor --db FILE "
                       "--out FILE.png`")
    with open_store(args.db) as store:
        try:
            return run_editor(store, args.lang)
        except (app.ConsoleError, MapAssetsMissing) as err:
            raise CliError(str(err)) from None


def _version(value) -> str:
    return "-" if pd.isna(value) else f"v{value}"


def _read_grids(args: argparse.Namespace) -> GeoDataFrame:
    fields = {standard: getattr(args, option[2:].replace("-", "_")) for standard, option in FIELD_OPTIONS.items()}
    try:
        return read_grid_file(args.file, layer=args.layer, fields=fields)
    except GridFileError as err:
        raise CliError(str(err)) from None


def _print_problems(problems: list[Problem]) -> None:
    for p in problems:
        where = f" at {p.lon:.6f},{p.lat:.6f}" if p.lon is not None else ""
        print(f"{p.kind:<16} {p.code or '-'} (fid {p.fid}): {p.message}{where}")


def _summary(problems: list[Problem]) -> str:
    if not problems:
        return "valid"
    counts = Counter(p.kind for p in problems)
    plural = "" if len(problems) == 1 else "s"
    return f"{len(problems)} problem{plural} (" + ", ".join(f"{n} {kind}" for kind, n in counts.most_common()) + ")"


def _replace_store_grids(db: str, grids: GeoDataFrame) -> tuple[int, bool]:
    """Replace the store's grids; chiefs and versions carry over for codes the store already has.
    Returns the grids written and whether the police coverage over them could be kept."""
    with open_store(db, create=True) as store:
        previous = store.read_layer("grids").set_index("code")
        rows = grids.assign(
            name=grids["name"].fillna(grids["code"]),
            households=(grids["households"] if "households" in grids.columns else 0),
            chief_id=grids["code"].map(previous["chief_id"]),
            version=grids["code"].map(previous["version"] + 1).fillna(1),
        )
        rows["households"] = rows["households"].fillna(0)
        try:
            count = store.write_layer("grids", rows, mode="replace")
        except StoreError as err:
            raise CliError(str(err)) from None
        return count, keep_coverage(store)
