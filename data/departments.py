"""The departments a centre transfers tickets to ("whistle and report"), as its store lists them.

The departments layer holds them (`gridsight departments import`). The workflow refuses a
transfer to a department the store does not list; the console offers those serving the
ticket's area first, with their usual time to report back. No Qt: the CLI, the workflow and
the console share it.
"""

from __future__ import annotations

from dataclasses import dataclass

from data.store import Transaction

LISTED = 8  # how many ids a refusal names before "and N more"


@dataclass(frozen=True)
class Department:
    department_id: str
    name: str
    phone: str | None = None
    grid_code: str | None = None  # the area it serves; None: the whole territory
    report_hours: float | None = None  # its usual time to report back


def read_departments(source) -> list[Department]:
    """The store's departments in their stored order. `source` is a Store, or a Transaction to
    read them inside a change that depends on them."""
    sql = "SELECT department_id, name, phone, grid_code, report_hours FROM departments ORDER BY fid"
    rows = source.execute(sql).fetchall() if isinstance(source, Transaction) else source.query(sql)
    return [Department(i, name, phone or None, area or None, hours) for i, name, phone, area, hours in rows]


def department_name(store, department_id: str | None) -> str | None:
    """The stored name of a department id; None when the store does not list it."""
    if not department_id:
        return None
    rows = store.query("SELECT name FROM departments WHERE department_id = ?", (department_id,))
    return rows[0][0] if rows else None


def listing(departments: list[Department]) -> str:
    """The first few ids, for a message that tells the user what they could have typed."""
    ids = [d.department_id for d in departments]
    more = len(ids) - LISTED
    return ", ".join(ids[:LISTED]) + (f" and {more} more" if more > 0 else "")


def grid_lineage(store, grid_code: str | None) -> list[str]:
    """`grid_code` and the codes of the grids enclosing it, the grid itself first."""
    if not grid_code:
        return []
    rows = store.query(
        "WITH RECURSIVE up(code, parent_code, depth) AS (SELECT code, parent_code, 0 FROM grids WHERE code = ? "
        "UNION SELECT g.code, g.parent_code, up.depth + 1 FROM grids g JOIN up ON g.code = up.parent_code "
        "WHERE up.depth < 64) SELECT code FROM up ORDER BY depth", (grid_code,))
    return [code for (code,) in rows] or [grid_code]


def serves(department: Department, lineage: list[str]) -> bool:
    """Whether the department's area holds the grid: the whole territory, the grid or an enclosing
    one, or a code that starts the grid's (hierarchical codes, e.g. a county's 420602)."""
    area = department.grid_code
    return not area or any(code == area or code.startswith(area) for code in lineage)


def for_grid(departments: list[Department], lineage: list[str]) -> tuple[list[Department], list[Department]]:
    """The departments serving the grid, the closest area first (the grid's own, then the enclosing
    ones outwards, then code prefixes, then the whole territory's), and the others; stored order
    among equals."""

    def closeness(department: Department) -> int:
        area = department.grid_code
        if not area:
            return len(lineage) + 1
        return lineage.index(area) if area in lineage else len(lineage)

    serving = sorted((d for d in departments if serves(d, lineage)), key=closeness)  # stable
    return serving, [d for d in departments if not serves(d, lineage)]
