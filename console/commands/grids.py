"""`gridsight grids`: validate grid files, import them into a store, export the store's grids,
list the saved grid changes and roll one back, and open the analysts' editor.

Import runs the same rules as validate and writes nothing unless every rule passes, so a
store never holds a broken hierarchy; `--fix` first repairs what needs no judgement. It is
refused too when it would leave tickets, responders, cameras, routes or departments on codes
the new layout lacks, until a remap or `--orphans keep` says what becomes of them; it is
saved as a change-set of the grid history, so `grids rollback` undoes it.
"""

from __future__ import annotations

import argparse
import csv
import getpass
import os
from collections import Counter

import pandas as pd
from geopandas import GeoDataFrame

from console.commands import CliError, add_sign_in_argument, open_store, print_json, signed_in
from data.coveragemap import keep_coverage
from console.i18n import DEFAULT_LANGUAGE, LANGUAGES
from data import auth, gridversions
from data.datumcheck import datum_warnings
from data.store import StoreError
from gis.crs import CRS_NAMES
from gis.gridfile import OUTPUT_FORMATS, GridFileError, read_grid_file, read_grid_files, write_grid_file
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
    validate_parser.add_argument("--db", metavar="FILE.gpkg",
                                 help="a store to compare the file's position with (its grids, else its roads)")
    validate_parser.set_defaults(handler=run_validate)

    import_parser = actions.add_parser(
        "import",
        help="replace a store's grids with a valid grid file",
        description="Validate a grid file and, only if it is valid, replace the store's grids with it "
        "in one transaction, saved as a change-set of the grid history (`grids rollback` undoes it). Invalid "
        "input, or rows (tickets, responders, cameras, routes, departments) left on codes the file lacks without "
        "--remap or --orphans keep, leave the store as it was (exit 1).",
    )
    _add_input_arguments(import_parser)
    import_parser.add_argument("--db", required=True, metavar="STORE",
                               help="store (created if missing): FILE.gpkg or postgresql://user@host:port/dbname")
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
    import_parser.add_argument("--remap", action="append", type=_pair, default=[], metavar="OLD=NEW",
                               help="move the store's rows on grid code OLD to NEW (repeatable)")
    import_parser.add_argument("--remap-file", metavar="FILE.csv", help="code mapping: a CSV with columns old,new")
    import_parser.add_argument("--orphans", choices=("refuse", "keep"), default="refuse",
                               help="rows left on codes the file lacks: refuse the import (default) or keep them")
    import_parser.add_argument("--by", default=None, metavar="NAME",
                               help="who imports on a store with sign-in off (default: the login name)")
    add_sign_in_argument(import_parser)
    import_parser.add_argument("--why", default=None, metavar="TEXT", help="why, for the grid history")
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
    rollback_parser.add_argument("--by", metavar="NAME",
                                 help="who rolls back on a store with sign-in off (default: the login name)")
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
    parser.add_argument("--db", required=True, metavar="STORE", help=store_help)
    add_sign_in_argument(parser)
    parser.set_defaults(handler=handler)
    return parser


def _add_input_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("file", metavar="FILE", nargs="?",
                        help="grid file: GeoJSON (also DataV's), GeoPackage, Shapefile or KML")
    parser.add_argument("--level-file", action="append", type=_level_file, default=[], metavar="LEVEL=FILE",
                        help="instead of FILE, one file per level (repeat: --level-file 1=districts.json ...)")
    parser.add_argument("--crs", choices=CRS_NAMES, default=None,
                        help="the file's lon/lat system: gcj02 for Gaode/Tencent/DataV, bd09 for Baidu (default wgs84)")
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


def _pair(text: str) -> tuple[str, str]:
    left, sep, right = text.partition("=")
    if not (sep and left.strip() and right.strip()):
        raise argparse.ArgumentTypeError(f"{text!r} is not of the form A=B")
    return left.strip(), right.strip()


def _level_file(text: str) -> tuple[int, str]:
    level, path = _pair(text)
    if not level.isdigit() or int(level) < 1:
        raise argparse.ArgumentTypeError(f"{text!r}: the level must be a number from 1, as in 1=districts.geojson")
    return int(level), path


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
    warnings = []
    if args.db:
        with open_store(args.db) as store:
            warnings = datum_warnings(store, grids.geometry.array, args.crs)
    if args.json:
        print_json({"valid": not problems, "features": len(grids), "problems": [p.as_dict() for p in problems],
                    "warnings": warnings})
    else:
        print_problems(problems)
        _print_warnings(warnings)
        print(f"{_source(args)}: {len(grids)} features, {problems_summary(problems)}")
    return 1 if problems else 0


def run_import(args: argparse.Namespace) -> int:
    grids = _read_grids(args)
    remap = _remap(args)
    changes: list[str] = []
    if args.fix:
        grids, changes = fix(grids, sliver_m2=args.sliver_m2, tolerance_m2=args.tolerance_m2)
    problems = validate(grids, tolerance_m2=args.tolerance_m2)
    report = {"imported": False, "features": len(grids), "changes": changes,
              "problems": [p.as_dict() for p in problems], "warnings": [], "orphans": {}}
    if problems:
        _print_import(args, report, problems)
        hint = "" if args.fix else ", or try --fix"
        raise CliError(
            f"import refused: {problems_summary(problems)}; fix the file{hint}. The store was not changed.", exit_code=1
        )
    unknown = sorted(set(remap.values()) - set(grids["code"]))
    if unknown:
        raise CliError(f"remap to code(s) the file does not have: {', '.join(unknown)}")
    with open_store(args.db, create=True) as store, signed_in(store, args) as session:
        auth.check(store, session, "grids.import")
        report["warnings"] = datum_warnings(store, grids.geometry.array, args.crs)
        report["orphans"] = gridversions.orphans(store, grids["code"], remap)
        if report["orphans"] and args.orphans == "refuse":
            _print_import(args, report, problems)
            rows = sum(sum(codes.values()) for codes in report["orphans"].values())
            raise CliError(
                f"import refused: {rows} rows would be left on grid codes the file does not have; say where they go "
                "with --remap OLD=NEW or --remap-file FILE.csv, or keep them with --orphans keep. "
                "The store was not changed.", exit_code=1)
        try:
            changeset = gridversions.replace_all(store, store_rows(grids), by=args.by or login_name(),
                                                 why=args.why or f"grids import of {_source(args)}", remap=remap,
                                                 session=session)
        except gridversions.GridConflict as err:
            raise CliError(str(err), exit_code=3) from None
        except StoreError as err:
            raise CliError(str(err)) from None
        moved = gridversions.moved_rows(store, changeset)
        coverage_kept = keep_coverage(store)
        shown = store.location  # a URL's password masked
    report.update(imported=True, changeset=changeset, moved={what: len(rows) for what, rows in moved.items()})
    _print_import(args, report, problems)
    if not args.json:
        fixes = f" after {len(changes)} fixes" if changes else ""
        print(f"imported {len(grids)} grids into {shown}{fixes} as change-set {changeset}")
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
    with open_store(args.db) as store, signed_in(store, args) as session:
        try:
            changeset = gridversions.rollback(store, args.changeset, by=args.by or login_name(), why=args.why,
                                              session=session)
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
    if bool(args.file) == bool(args.level_file):
        raise CliError("give either a grid FILE or --level-file LEVEL=FILE options")
    levels = dict(args.level_file)
    if len(levels) < len(args.level_file):
        raise CliError("--level-file names a level twice")
    try:
        if levels:
            return read_grid_files(levels, layer=args.layer, fields=fields, crs=args.crs)
        return read_grid_file(args.file, layer=args.layer, fields=fields, crs=args.crs)
    except GridFileError as err:
        raise CliError(str(err)) from None


def _source(args: argparse.Namespace) -> str:
    return args.file or ", ".join(path for _, path in sorted(args.level_file))


def _remap(args: argparse.Namespace) -> dict[str, str]:
    """--remap-file's pairs, then --remap's (which win)."""
    pairs = []
    if args.remap_file:
        pairs += _read_remap_file(args.remap_file)
    pairs += args.remap
    return dict(pairs)


def _read_remap_file(path: str) -> list[tuple[str, str]]:
    """Pairs of a CSV with columns old,new, as Excel saves it (UTF-8, with or without BOM, or GBK)."""
    try:
        with open(path, "rb") as file:
            data = file.read()
    except OSError as err:
        raise CliError(f"{path}: {err.strerror}") from None
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        text = data.decode("gb18030", errors="replace")
    reader = csv.reader(text.splitlines())
    if [name.strip().lower() for name in next(reader, [])][:2] != ["old", "new"]:
        raise CliError(f"{path}: expected a CSV with columns old,new")
    pairs = []
    for number, row in enumerate(reader, start=2):
        old, new = [cell.strip() for cell in (row + ["", ""])[:2]]
        if old or new:
            if not (old and new):
                raise CliError(f"{path}: row {number} lacks an old or a new code")
            pairs.append((old, new))
    return pairs


def login_name() -> str:
    """Who runs the command, for the grid history (init and imports are saved as change-sets)."""
    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return "gridsight"


def store_rows(grids: GeoDataFrame) -> GeoDataFrame:
    """Grids as read from a file, with the defaults the store needs (a name, households)."""
    rows = grids.assign(name=grids["name"].fillna(grids["code"]))
    rows["households"] = rows["households"].fillna(0) if "households" in rows.columns else 0
    return rows


def _print_import(args: argparse.Namespace, report: dict, problems: list[Problem]) -> None:
    if args.json:
        print_json(report)
        return
    for change in report["changes"]:
        print(f"fixed  {change}")
    print_problems(problems)
    _print_warnings(report["warnings"])
    for what, codes in report["orphans"].items():
        listed = ", ".join(f"{code} ({n})" for code, n in sorted(codes.items()))
        print(f"orphaned {what}: {sum(codes.values())} on codes the file does not have: {listed}")
    for what, count in report.get("moved", {}).items():
        print(f"moved {count} {what} to their new grid codes")


def _print_warnings(warnings: list[str]) -> None:
    for warning in warnings:
        print(f"warning: {warning}")


def print_problems(problems: list[Problem]) -> None:
    """The problems of a grid file, one line each (also init's report)."""
    for p in problems:
        where = f" at {p.lon:.6f},{p.lat:.6f}" if p.lon is not None else ""
        print(f"{p.kind:<16} {p.code or '-'} (fid {p.fid}): {p.message}{where}")


def problems_summary(problems: list[Problem]) -> str:
    if not problems:
        return "valid"
    counts = Counter(p.kind for p in problems)
    plural = "" if len(problems) == 1 else "s"
    return f"{len(problems)} problem{plural} (" + ", ".join(f"{n} {kind}" for kind, n in counts.most_common()) + ")"
