"""`gridsight responders|cameras|routes|checkpoints|departments import|export`: a centre's own layers.

One module for the five commands: they share their shape (the file, the store, the coordinate
system, the column overrides) and differ only by the layer description in data.imports.layers.
"""

from __future__ import annotations

import argparse
import sys

from console.commands import CliError, add_sign_in_argument, open_store, print_json, signed_in
from data import auth
from data.imports import SPECS, LayerImportError, import_layer
from data.streamurls import mask_urls_in_text
from data.imports.exports import EXPORT_SUFFIXES, ExportError, export_layer
from data.imports.layers import LayerSpec
from data.store import StoreError
from gis.crs import CRS_NAMES

HELP = {
    "responders": "grid workers, police units and department teams (a roster)",
    "cameras": "the camera list, keyed by GB/T 28181 device ids",
    "routes": "patrol routes (lines; GPX tracks too)",
    "checkpoints": "electronic checkpoints",
    "departments": "departments tickets are transferred to",
}


def register(subparsers) -> None:
    for command, spec in SPECS.items():
        parser = subparsers.add_parser(command, help=f"import and export {HELP[command]}")
        actions = parser.add_subparsers(dest=f"{command}_command", required=True, metavar="ACTION")
        _add_import(actions, spec)
        _add_export(actions, spec)


def _add_import(actions, spec: LayerSpec) -> None:
    parser = actions.add_parser(
        "import", help=f"import {spec.command} from a CSV, XLSX or GIS file (upsert by id)",
        description=f"Read {spec.command} from .csv (UTF-8 or GBK), .xlsx or a GIS file (GeoJSON, GPKG, SHP, KML"
        f"{', GPX' if spec.geometry == 'line' else ''}), check every row against the store and add or update "
        "them by id. A file with a bad row is refused whole (exit 1) unless --skip-bad.")
    parser.add_argument("file")
    parser.add_argument("--db", required=True, help="the gridsight store: FILE.gpkg or postgresql://user@host:port/dbname")
    parser.add_argument("--crs", choices=CRS_NAMES, default="wgs84",
                        help="coordinate system of the positions (a crs/坐标系 column wins); default wgs84")
    parser.add_argument("--sheet", help="the Excel sheet (default: the first) or the GIS file's layer")
    parser.add_argument("--dry-run", action="store_true", help="say what would change, write nothing")
    parser.add_argument("--skip-bad", action="store_true", help="import the good rows and list the bad ones")
    parser.add_argument("--replace", action="store_true",
                        help="remove what the file no longer lists (responders on open tickets are kept)")
    parser.add_argument("--json", action="store_true", help="print JSON")
    add_sign_in_argument(parser)
    group = parser.add_argument_group("columns", "the file's column for a field, where detection misses it")
    for field in spec.fields:
        option = field.name.replace("_", "-")
        group.add_argument(f"--{option}-field", dest=f"field_{field.name}", metavar="COLUMN",
                           help=f"e.g. {field.headers[0]}")
    parser.set_defaults(handler=run_import, spec=spec)


def _add_export(actions, spec: LayerSpec) -> None:
    parser = actions.add_parser("export", help=f"export {spec.command} ({', '.join(EXPORT_SUFFIXES)})",
                                description="Write the layer to a file its import reads back unchanged.")
    parser.add_argument("--db", required=True, help="the gridsight store: FILE.gpkg or postgresql://user@host:port/dbname")
    parser.add_argument("--out", required=True, help=f"the file to write ({', '.join(EXPORT_SUFFIXES)})")
    parser.add_argument("--with-secrets", action="store_true",
                        help="keep the passwords of stream URLs (an analyst or admin, once the store has users)")
    add_sign_in_argument(parser)
    parser.add_argument("--json", action="store_true", help="print JSON")
    parser.set_defaults(handler=run_export, spec=spec)


def run_import(args: argparse.Namespace) -> int:
    spec: LayerSpec = args.spec
    fields = {f.name: getattr(args, f"field_{f.name}") for f in spec.fields}
    with open_store(args.db) as store, signed_in(store, args) as session:
        try:
            report = import_layer(store, spec, args.file, crs=args.crs, sheet=args.sheet, fields=fields,
                                  replace=args.replace, skip_bad=args.skip_bad, dry_run=args.dry_run,
                                  session=session)
        except LayerImportError as err:
            raise CliError(str(err)) from None
        except StoreError as err:
            raise CliError(mask_urls_in_text(str(err))) from None
    if args.json:
        print_json(report)
    else:
        _print_report(report)
    return 1 if report["refused"] else 0


def _print_report(report: dict) -> None:
    found = ", ".join(f"{field} <- {column}" for field, column in report["columns"].items() if column)
    geometry = ("lon", "lat", "path") if report["positions"] == "geometry" else ()
    absent = ", ".join(field for field, column in report["columns"].items() if not column and field not in geometry)
    where = f" (sheet {report['sheet']})" if report["sheet"] else ""
    print(f"columns{where}: {found}" + (f"; not found: {absent}" if absent else "")
          + f"; positions from {report['positions'] or 'nowhere'}", file=sys.stderr)
    for (word, column, message), numbers in _grouped(report["problems"]).items():
        where = f"{word}s {_ranges(numbers)}" if len(numbers) > 1 else f"{word} {numbers[0]}"
        print(f"{where}{f', column {column}' if column else ''}: {message}")
    for warning in report["warnings"]:
        print(f"warning: {warning}")
    counts = (f"{report['added']} added, {report['changed']} changed, {report['unchanged']} unchanged, "
              f"{report['removed']} removed")
    if report["refused"]:
        print(f"refused: {report['bad_rows']} of {report['rows']} rows are bad; nothing was written "
              "(fix them, or --skip-bad to import the good rows)")
        return
    if report["kept_ids"]:
        print(f"kept {len(report['kept_ids'])} {report['layer']} that open tickets name: {', '.join(report['kept_ids'])}")
    if report["bad_rows"]:
        print(f"skipped {report['bad_rows']} bad rows")
    verb = "would be" if report["dry_run"] else "were" if report["written"] else "are"
    print(f"{report['layer']}: {counts} ({'dry run, nothing written' if report['dry_run'] else verb + ' written'})"
          if report["dry_run"] or report["written"] else f"{report['layer']}: {counts}; nothing to write")
    if report["coverage_kept"]:
        print("police coverage computed for the console's map")


def _grouped(problems: list[dict]) -> dict[tuple[str, str | None, str], list[int]]:
    """The same problem in the same column, with the rows that have it: a file of 35,000 rows with
    one unknown value says so once, not 35,000 times (--json lists every row)."""
    groups: dict[tuple[str, str | None, str], list[int]] = {}
    for problem in problems:
        word = "row" if "row" in problem else "feature"
        groups.setdefault((word, problem["column"], problem["problem"]), []).append(problem[word])
    return groups


def _ranges(numbers: list[int], shown: int = 8) -> str:
    """Row numbers as runs, e.g. 2-16, 18, 20-21, and how many more past the first `shown` runs."""
    runs: list[list[int]] = []
    for number in sorted(set(numbers)):
        if runs and number == runs[-1][1] + 1:
            runs[-1][1] = number
        else:
            runs.append([number, number])
    text = ", ".join(f"{a}-{b}" if b > a else f"{a}" for a, b in runs[:shown])
    return text + (f" and {len(runs) - shown} more runs" if len(runs) > shown else "")


def run_export(args: argparse.Namespace) -> int:
    with open_store(args.db) as store, signed_in(store, args) as session:
        if args.with_secrets:
            auth.check(store, session, "layers.export_secrets")
        try:
            count = export_layer(store, args.spec, args.out, with_secrets=args.with_secrets)
        except ExportError as err:
            raise CliError(str(err)) from None
    if args.json:
        print_json({"layer": args.spec.command, "out": args.out, "rows": count, "with_secrets": args.with_secrets})
    else:
        print(f"exported {count} {args.spec.command} to {args.out}"
              + ("" if args.with_secrets else " (stream passwords left out)" if args.spec.layer == "cameras" else ""))
    return 0
