"""Stores as an older gridsight made them, to test that migrations walk them forward."""

from __future__ import annotations

from contextlib import contextmanager

from data import migrations


@contextmanager
def schema_at(monkeypatch, version: int):
    """Stores created inside the block stop at schema `version`."""
    with monkeypatch.context() as patch:
        patch.setattr(migrations, "MIGRATIONS", migrations.MIGRATIONS[:version])
        patch.setattr(migrations, "LATEST_VERSION", version)
        yield
