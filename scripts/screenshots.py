"""Render the README's screenshots from the small demo city, headless.

    .venv/bin/python scripts/screenshots.py [OUT_DIR]   (default: docs/screenshots)

The dispatcher's console and the big-screen wall come from `gridsight screenshot`; the grid
editor's operations are driven through the same bridge slots the page calls when an analyst
drags, draws and clicks, on a copy of the demo store (the demo itself is never changed).
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
DEMO = ROOT / "demo" / "small.gpkg"
GRIDSIGHT = ROOT / ".venv" / "bin" / "gridsight"


def console_views(out: Path) -> None:
    for view, size, name in (("dispatch", "1920x1080", "dispatch.png"), ("wall", "3840x2160", "wall.png")):
        subprocess.run([str(GRIDSIGHT), "screenshot", "--db", str(DEMO), "--view", view, "--size", size,
                        "--out", str(out / name)], check=True)


def editor_operations(out: Path) -> None:
    import PySide6.QtWebEngineWidgets  # noqa: F401  (before the QApplication)
    import shapely
    from PySide6.QtCore import QSize

    from console import headless
    from console.app import application
    from console.editor import EditorWindow, wait_for, wait_until_drawn
    from data.store import Store

    work = Path(tempfile.mkdtemp(prefix="gridsight-shots-"))
    copy = work / "small.gpkg"
    shutil.copy(DEMO, copy)
    application("zh_CN", headless=True)
    store = Store.open(copy)
    window = EditorWindow(store, analyst="演示分析员")
    try:
        deadline = headless.show_for_render(window, QSize(1920, 1080), 60)
        wait_for(window.ready, window, deadline, "the editor did not draw")
        model = window.model

        def shot(name: str) -> None:
            wait_until_drawn(window, time.monotonic() + 20)
            headless.save_frame(window, out / name, RuntimeError)

        west, south, east, north = model.grids.total_bounds
        code = model.grid_at((west + east) / 2, (south + north) / 2)
        window.select(code)
        window.focus_grid(code, margin=1.2)
        grid = model.row(code).geometry
        step = (grid.bounds[2] - grid.bounds[0]) * 0.15
        ring = shapely.get_coordinates(shapely.get_exterior_ring(shapely.get_parts(grid)[0]))
        shared = {tuple(xy) for other in model.neighbours(code) for xy in shapely.get_coordinates(model.row(other).geometry)}
        edge = next((a, b) for a, b in zip(map(tuple, ring[:-1]), map(tuple, ring[1:])) if a in shared and b in shared)
        window.bridge.edgeDragged(json.dumps({"start": edge[0], "end": edge[1], "offset": [-step * 0.6, step * 0.3]}))
        shot("editor-move-edge.png")
        centre = shapely.centroid(model.row(code).geometry)
        minx, _, maxx, _ = model.row(code).geometry.bounds
        window.set_tool("split")
        window.bridge.lineDrawn(json.dumps([[minx - 0.001, centre.y - 0.0003], [maxx + 0.001, centre.y + 0.0004]]))
        shot("editor-split.png")
        other = model.neighbours(code)[-1]
        window.set_tool("merge")
        inside = shapely.point_on_surface(model.row(other).geometry)
        window.bridge.clicked(inside.x, inside.y)
        shot("editor-merge.png")
        window.save("拆分超负荷网格，合并小网格，调整相邻边界")
        window.history.select_changeset(int(model.changesets()["changeset_id"].iloc[0]))
        window.tabs.setCurrentIndex(0)
        shot("editor-history.png")
        window.tabs.setCurrentIndex(1)
        found: list = []
        window.overloadedFound.connect(found.append)
        window.find_overloaded(365, 0.02, 2.0)
        headless.spin(lambda: bool(found), time.monotonic() + 30)
        if found and len(found[0]):
            window.balance.table.selectRow(0)
            shot("editor-balance.png")
    finally:
        headless.dispose(window)
        store.close()
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    target = Path(sys.argv[1]) if len(sys.argv) > 1 else ROOT / "docs" / "screenshots"
    target.mkdir(parents=True, exist_ok=True)
    console_views(target)
    editor_operations(target)
    print(f"screenshots in {target}")
