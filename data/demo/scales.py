"""How big each demo city is: every size-dependent number of the generator in one place."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Scale:
    name: str
    # Territory: a rough blob of this mean radius, stretched by `aspect`.
    territory_radius_m: float
    territory_aspect: float
    # The central city: a dense street grid split into `core_streets` street offices (街道).
    core_radius_m: float
    core_streets: int
    core_block_m: tuple[float, float]
    # Rural townships (镇/乡), each with a small town at its seat.
    towns: int
    town_radius_m: tuple[float, float]
    town_block_m: tuple[float, float]
    rural_districts: int  # county-level units the rural townships are coded under
    river_width_m: float
    lakes: int
    lake_radius_m: tuple[float, float]
    expressways: int
    # Distance between rural villages; each village is one village committee (村).
    village_spacing_m: float
    atom_spacing_m: tuple[float, float]  # urban, rural: the grain of township and village borders
    communities_per_km2: float  # urban communities (社区) per km² of town
    grids_per_community: tuple[int, int]  # inclusive range
    grids_per_village: tuple[int, int]
    # River crossings: at least this far apart along the river.
    urban_bridge_spacing_m: float
    rural_bridge_spacing_m: float
    exit_spacing_m: float  # roads leaving the territory, along its boundary
    interchange_spacing_m: float
    patrol_cars_per_township: tuple[int, int]
    patrol_routes_per_township: int
    cameras: dict[str, int]  # per camera class
    tickets: int
    ticket_hotspots: int


SCALES: dict[str, Scale] = {
    "small": Scale(
        name="small",
        territory_radius_m=6_500,
        territory_aspect=1.3,
        core_radius_m=2_300,
        core_streets=1,
        core_block_m=(150, 120),
        towns=2,
        town_radius_m=(900, 1_100),
        town_block_m=(130, 105),
        rural_districts=1,
        river_width_m=160,
        lakes=1,
        lake_radius_m=(450, 550),
        expressways=1,
        village_spacing_m=1_900,
        atom_spacing_m=(110, 250),
        communities_per_km2=0.5,
        grids_per_community=(5, 8),
        grids_per_village=(3, 5),
        urban_bridge_spacing_m=1_200,
        rural_bridge_spacing_m=3_000,
        exit_spacing_m=6_000,
        interchange_spacing_m=3_000,
        patrol_cars_per_township=(3, 5),
        patrol_routes_per_township=3,
        cameras={"A": 90, "B": 100, "rural": 60, "private": 50},
        tickets=2_000,
        ticket_hotspots=8,
    ),
    "city": Scale(
        name="city",
        territory_radius_m=44_000,
        territory_aspect=1.35,
        core_radius_m=7_000,
        core_streets=18,
        core_block_m=(150, 120),
        towns=92,
        town_radius_m=(1_000, 1_700),
        town_block_m=(130, 105),
        rural_districts=6,
        river_width_m=260,
        lakes=8,
        lake_radius_m=(400, 1_000),
        expressways=2,
        village_spacing_m=1_400,
        atom_spacing_m=(160, 380),
        communities_per_km2=1.0,
        grids_per_community=(4, 8),
        grids_per_village=(2, 5),
        urban_bridge_spacing_m=1_800,
        rural_bridge_spacing_m=7_000,
        exit_spacing_m=12_000,
        interchange_spacing_m=7_000,
        patrol_cars_per_township=(3, 6),
        patrol_routes_per_township=3,
        cameras={"A": 10_500, "B": 11_000, "rural": 6_000, "private": 5_000},
        tickets=1_000_000,
        ticket_hotspots=60,
    ),
}
