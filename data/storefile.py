"""A new store built whole or not at all: written beside its final path and moved into place
once complete, so that a failed build leaves no half-written file (and an old one untouched)."""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from data.store import Store


@contextmanager
def store_built_beside(path: str | os.PathLike) -> Iterator[Store]:
    """A new, empty store at a hidden partial path beside `path`; when the block ends without an
    error it replaces whatever is at `path`, and on any error it is deleted."""
    path = Path(path)
    partial = path.with_name(f".{path.name}.partial")
    remove_database(partial)
    store = Store.create(partial)
    try:
        yield store
    except BaseException:
        store.close()
        remove_database(partial)
        raise
    store.close()
    remove_database(path)
    os.replace(partial, path)


def remove_database(path: str | os.PathLike) -> None:
    """Delete an SQLite file with its WAL and shared-memory files (a stale WAL would corrupt a new file)."""
    for suffix in ("", "-wal", "-shm"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)
