"""The land the city is built on: territory, river, lakes, towns, villages and expressway lines.

Everything later (roads, grids, people) is placed relative to these shapes, in metres.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import shapely
from scipy.interpolate import CubicSpline

from data.demo import names
from data.demo.geometry import blob, jittered_points, rotation, spread_points
from data.demo.scales import Scale

RIVER_NAME = "青龙江"
LAKE_NAMES = ["月湖", "镜湖", "莲花湖", "白水湖", "翠屏湖", "鸳鸯湖", "南湖", "天鹅湖", "青草湖", "映月湖"]


@dataclass(frozen=True)
class Town:
    """A built-up area with a street grid: the city core or a township seat."""

    centre: np.ndarray
    radius: float
    shape: shapely.Polygon
    is_core: bool


@dataclass(frozen=True)
class Landscape:
    territory: shapely.Polygon
    core: Town
    towns: list[Town]  # township seats, one per rural township
    seats: np.ndarray  # township seeds: the core's street offices first, then the towns
    township_names: list[str]  # one per seat
    river: shapely.Polygon
    river_line: shapely.LineString
    lakes: list[shapely.Polygon]
    island: shapely.Polygon | None  # in the first lake: carries a road cut off from the rest
    expressways: list[shapely.LineString]
    villages: np.ndarray  # village centres (one village committee each)

    @property
    def all_towns(self) -> list[Town]:
        return [self.core, *self.towns]

    @property
    def town_names(self) -> list[str]:
        """Short names of the core (the city's) and of each town (its township's)."""
        return [names.CITY_SHORT] + [names.short_name(n) for n in self.township_names[-len(self.towns):]]

    @property
    def urban(self):
        return shapely.union_all([t.shape for t in self.all_towns])


def build_landscape(scale: Scale, rng: np.random.Generator) -> Landscape:
    radius = scale.territory_radius_m
    territory = blob((0.0, 0.0), radius, rng, aspect=scale.territory_aspect, roughness=0.35, vertices=360)
    core_centre = np.asarray(shapely.get_coordinates(territory.centroid)[0]) + rng.normal(0, 0.05 * radius, 2)
    inland = territory.buffer(-300)  # towns stop short of the boundary
    core = Town(core_centre, scale.core_radius_m,
                blob(core_centre, scale.core_radius_m, rng, aspect=1.2, roughness=0.25).intersection(inland), True)
    river_line = _river_line(core, radius, rng)
    river = river_line.buffer(scale.river_width_m / 2, quad_segs=6)
    base_angle = rng.uniform(0, np.pi)
    expressways = [
        _expressway_line(territory, core, radius, base_angle + k * np.pi / 2 + rng.uniform(-0.3, 0.3), rng)
        for k in range(scale.expressways)
    ]

    street_seats = spread_points(core.shape.buffer(-0.1 * core.radius), scale.core_streets, rng)
    rural = territory.buffer(-0.08 * radius).difference(
        shapely.union_all([core.shape.buffer(2.5 * scale.town_radius_m[1]),
                           river.buffer(scale.town_radius_m[0] * 0.5)])
    )
    town_centres = spread_points(rural, scale.towns, rng)
    seats = np.vstack([street_seats, town_centres])
    towns = _towns(town_centres, seats, inland, scale, rng)

    lakes, island = _lakes(territory, [core, *towns], river, expressways, scale, rng)
    built = shapely.union_all(
        [t.shape.buffer(400) for t in [core, *towns]]
        + [w.buffer(300) for w in [river, *lakes]]
        + [e.buffer(250) for e in expressways]
    )
    villages = jittered_points(territory.buffer(-300).difference(built), scale.village_spacing_m, rng, keep=0.9)
    return Landscape(
        territory=territory,
        core=core,
        towns=towns,
        seats=seats,
        township_names=names.township_names(rng, scale.core_streets, scale.towns),
        river=river,
        river_line=river_line,
        lakes=lakes,
        island=island,
        expressways=expressways,
        villages=villages,
    )


def _river_line(core: Town, radius: float, rng) -> shapely.LineString:
    """A meandering river across the whole territory, passing by the city core (cities sit on rivers)."""
    direction = rotation(rng.uniform(-0.6, 0.6)) @ np.array([1.0, 0.0])
    normal = np.array([-direction[1], direction[0]])
    s = np.arange(-1.8 * radius, 1.8 * radius, 60.0)
    wavelengths = radius * np.array([0.9, 0.45, 0.22, 0.11])
    amplitudes = radius * np.array([0.10, 0.05, 0.02, 0.008]) * rng.uniform(0.6, 1.2, 4)
    phases = rng.uniform(0, 2 * np.pi, 4)
    lateral = (amplitudes[:, None] * np.sin(2 * np.pi * s / wavelengths[:, None] + phases[:, None])).sum(0)
    at_core = np.interp(0.0, s, lateral)
    offset = rng.choice([-1, 1]) * 0.2 * core.radius
    xy = core.centre + s[:, None] * direction + (lateral - at_core + offset)[:, None] * normal
    return shapely.LineString(xy)


def _expressway_line(territory, core: Town, radius: float, angle: float, rng) -> shapely.LineString:
    """A gently curving expressway through the territory that bypasses the core."""
    direction = rotation(angle) @ np.array([1.0, 0.0])
    normal = np.array([-direction[1], direction[0]])
    side = rng.choice([-1, 1])
    knots_s = np.linspace(-1.8 * radius, 1.8 * radius, 7)
    lateral = side * (core.radius * 1.35) + rng.normal(0, 0.04 * radius, len(knots_s))
    lateral[3] = side * core.radius * 1.35
    knots = core.centre + knots_s[:, None] * direction + lateral[:, None] * normal
    spline = CubicSpline(knots_s, knots)
    xy = spline(np.arange(knots_s[0], knots_s[-1], 150.0))
    inside = shapely.intersection(shapely.LineString(xy), territory.buffer(3_000))
    parts = shapely.get_parts(inside)
    return parts[np.argmax(shapely.length(parts))]


def _towns(centres: np.ndarray, seats: np.ndarray, inland, scale: Scale, rng) -> list[Town]:
    towns = []
    for centre in centres:
        gaps = np.hypot(*(seats - centre).T)
        nearest = np.min(gaps[gaps > 0])
        radius = min(rng.uniform(*scale.town_radius_m), 0.4 * nearest)
        shape = blob(centre, radius, rng, aspect=1.3, roughness=0.3).intersection(inland)
        towns.append(Town(centre, radius, shape, False))
    return towns


def _lakes(territory, towns: list[Town], river, expressways, scale: Scale, rng):
    """Lakes in open country; the first has an island."""
    keep_clear = shapely.union_all(
        [t.shape.buffer(1_200 + scale.lake_radius_m[1]) for t in towns]
        + [river.buffer(1_200)]
        + [e.buffer(1_000) for e in expressways]
    )
    room = territory.buffer(-2 * scale.lake_radius_m[1]).difference(keep_clear)
    lakes, island = [], None
    for k, centre in enumerate(spread_points(room, scale.lakes, rng)):
        radius = rng.uniform(*scale.lake_radius_m)
        lake = blob(centre, radius, rng, aspect=1.6, roughness=0.3)
        if k == 0:
            island = blob(centre, 0.3 * radius, rng, roughness=0.15, vertices=48)
            lake = lake.difference(island)
        lakes.append(lake)
    return lakes, island
