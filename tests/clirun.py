"""Run the `gridsight` command line in the test's own process, as the CLI tests all do."""

from __future__ import annotations

from console import cli


def run_cli(capsys, *argv) -> tuple[int, str, str]:
    """`gridsight ARGV...` (any values, as text): its exit code, standard output and standard error."""
    code = cli.main([str(a) for a in argv])
    out, err = capsys.readouterr()
    return code, out, err
