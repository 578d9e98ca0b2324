"""The deterministic synthetic demo city: the data every screenshot and benchmark runs on.

`build_demo_city(path, scale, seed)` writes it into a new store; `generate_city` returns
it in memory. Modules, in the order the city is made: scales (sizes), landscape
(territory, river, lakes, towns, villages), roads, grids, placement (things on roads),
responders (and patrol routes), cameras (and checkpoints), tickets, campaigns; geometry, names and
clock provide the metric frame, synthetic names and the fixed "now"; build puts it together.
"""

from data.demo.build import DemoCity, DemoError, build_demo_city, generate_city
from data.demo.scales import SCALES

__all__ = ["SCALES", "DemoCity", "DemoError", "build_demo_city", "generate_city"]
