"""A store built only from a centre's files: the README's "Your own centre" walk, run as written
on docs/examples/ (shared by the CLI and console tests)."""

from __future__ import annotations

import os
import re
import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
README = ROOT / "README.md"
EXAMPLES = ROOT / "docs" / "examples"
STORE = "centre.gpkg"  # where the walk writes the store, relative to where it runs


def readme_walk() -> str:
    """The bash block of the README's "Your own centre", without the line that opens a window."""
    section = README.read_text(encoding="utf-8").split("## Your own centre", 1)[1].split("\n## ", 1)[0]
    block = re.search(r"```bash\n(.*?)```", section, re.S).group(1)
    return "\n".join(line for line in block.splitlines() if not line.startswith("$G console"))


def build_centre(folder: Path) -> tuple[Path, str]:
    """Run the walk in `folder` (beside links to the repository's .venv and docs, as a user in a
    checkout would); the store it made and everything the commands printed."""
    for name in (".venv", "docs"):
        (folder / name).symlink_to(ROOT / name)
    done = subprocess.run(["bash", "-e", "-c", readme_walk()], cwd=folder, capture_output=True, text=True,
                          timeout=300, env={**os.environ, "PYTHONWARNINGS": "ignore"})
    output = done.stdout + done.stderr
    assert done.returncode == 0, output
    return folder / STORE, output
