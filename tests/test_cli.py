"""The `gridsight` entry point: every subcommand is wired in and answers --help."""

from __future__ import annotations

import subprocess
import sys

import pytest

from console import cli


def test_every_command_module_registers_its_subcommand(capsys):
    with pytest.raises(SystemExit) as exit_info:
        cli.main(["--help"])
    assert exit_info.value.code == 0
    listing = capsys.readouterr().out
    for name in ("demo", "grids", "locate", "crs", "roads", "recommend", "isochrone", "console", "screenshot"):
        assert name in listing


def test_the_installed_entry_point_runs_without_qt_for_non_ui_commands():
    """Non-UI commands must not pay for (or need) Qt."""
    code = (
        "import sys; from console.cli import main; rc = main(['crs', 'convert', '--from', 'wgs84', "
        "'--to', 'gcj02', '112', '32', '--json']); "
        "assert not [m for m in sys.modules if m.startswith('PySide6')], 'Qt imported'; sys.exit(rc)"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    assert '"lon"' in result.stdout
