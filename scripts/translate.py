"""Add Chinese translations to resources/translations/gridsight_zh_CN.ts.

Runs lupdate over console/ (so new tr() strings appear), then fills translations given as
lines of `Context<TAB>English source<TAB>Chinese` on standard input, under a file lock so that
several people editing at once do not lose each other's entries. Prints what is still missing.

    printf 'DutyBar\tOpen\t未办结\n' | .venv/bin/python scripts/translate.py
"""

from __future__ import annotations

import fcntl
import subprocess
import sys
from pathlib import Path
from xml.etree import ElementTree

ROOT = Path(__file__).resolve().parents[1]
CATALOGUE = ROOT / "resources" / "translations" / "gridsight_zh_CN.ts"
LUPDATE = Path(sys.executable).parent / "pyside6-lupdate"


def lupdate() -> None:
    sources = sorted(str(p) for p in (ROOT / "console").rglob("*.py"))
    subprocess.run([str(LUPDATE), *sources, "-locations", "none", "-no-obsolete", "-ts", str(CATALOGUE)],
                   check=True, capture_output=True)


def fill(entries: dict[tuple[str, str], str]) -> list[tuple[str, str]]:
    tree = ElementTree.parse(CATALOGUE)
    missing = []
    for context in tree.getroot().iter("context"):
        name = context.findtext("name")
        for message in context.iter("message"):
            source = message.findtext("source")
            translation = message.find("translation")
            if (name, source) in entries:
                translation.text = entries[(name, source)]
                translation.attrib.pop("type", None)
            elif translation.get("type") == "unfinished" or not translation.text:
                missing.append((name, source))
    tree.write(CATALOGUE, encoding="utf-8", xml_declaration=True)
    return missing


def main() -> int:
    entries = {}
    for line in sys.stdin.read().splitlines():
        if line.strip():
            context, source, chinese = line.split("\t")
            entries[(context, source)] = chinese
    with open(CATALOGUE.with_suffix(".lock"), "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        lupdate()
        missing = fill(entries)
        lupdate()  # back to lupdate's own layout
    for context, source in missing:
        print(f"untranslated: {context}\t{source}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
