"""The `gridsight` entry point: every subcommand is wired in and answers --help."""

from __future__ import annotations

import argparse
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


def _store_options(parser: argparse.ArgumentParser, path: tuple[str, ...] = ()):
    """(subcommand path, option) of every store option (--db, init's --out) in the command tree."""
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for name, sub in action.choices.items():
                yield from _store_options(sub, (*path, name))
        elif "--db" in action.option_strings or (path == ("init",) and "--out" in action.option_strings):
            yield path, action


def test_every_store_option_takes_a_postgresql_url_as_given():
    """A URL must reach Store.open as typed: a Path type would fold its // into /."""
    url = "postgresql://dispatch@10.0.0.5:5432/jiangcheng"
    found = list(_store_options(cli.build_parser()))
    assert len(found) > 20
    for path, action in found:
        value = action.type(url) if action.type else url
        assert value == url, f"gridsight {' '.join(path)} {action.option_strings[0]} turns the URL into {value!r}"


def test_the_demo_is_built_as_a_file_only_and_says_how_to_put_it_on_a_server(capsys):
    assert cli.main(["demo", "build", "--out", "postgresql://dispatch@10.0.0.5/demo"]) == 2
    assert "gridsight store copy" in capsys.readouterr().err
