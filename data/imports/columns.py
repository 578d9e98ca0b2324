"""Which column of a centre's file holds which field: by header name, Chinese or English.

Headers are compared without case, spaces, underscores, hyphens and a bracketed suffix, so that
"经度（GCJ02）", "Lon" and "LON_" all read as the same name. `--FIELD-field COLUMN` overrides.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence

_BRACKETED = re.compile(r"[（(\[【].*?[）)\]】]")
_IGNORED = re.compile(r"[\s_\-:：*]+")


class ColumnError(Exception):
    """A column the user named is not in the file, or a required one cannot be found."""


def normalise_header(name: str) -> str:
    return _IGNORED.sub("", without_bracketed(name)).lower()


def without_bracketed(text: str) -> str:
    """The text without a bracketed note: "一类（公安）" reads as "一类", "经度(GCJ02)" as "经度"."""
    return _BRACKETED.sub("", str(text)).strip()


def detect_columns(headers: Sequence[str], aliases: Mapping[str, Sequence[str]],
                   overrides: Mapping[str, str | None]) -> dict[str, str | None]:
    """Map each field to a header: the override if given, else the first alias present (each header
    serves one field; fields are matched in the order given, so list the most specific first)."""
    by_name: dict[str, str] = {}
    for header in headers:
        by_name.setdefault(normalise_header(header), header)
    found: dict[str, str | None] = {}
    taken: set[str] = set()
    for field, wanted in overrides.items():
        if not wanted:
            continue
        header = next((h for h in headers if h == wanted), None) or by_name.get(normalise_header(wanted))
        if header is None:
            raise ColumnError(f"--{field.replace('_', '-')}-field: no column {wanted!r}; "
                              f"the file has: {', '.join(headers) or 'no columns'}")
        found[field] = header
        taken.add(header)
    for field, names in aliases.items():
        if field in found:
            continue
        found[field] = next((by_name[n] for n in map(normalise_header, names)
                             if n in by_name and by_name[n] not in taken), None)
        if found[field] is not None:
            taken.add(found[field])
    return {field: found[field] for field in aliases}
