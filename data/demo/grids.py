"""The grid hierarchy: township/street office > village/community > grid (网格).

Townships and villages are unions of small Voronoi cells ("atoms"), each given to its
nearest seat or village centre with a little smooth noise, so their borders wander like
real ones; grids are the Voronoi diagram of evenly spread seeds inside their village,
clipped to it. Either way neighbours are built from one diagram and share their edges
exactly, and children tile their parent.
Codes follow the administrative pattern (9-digit township, +3 per level below), so a
child's code always starts with its parent's.
"""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import shapely
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import connected_components
from scipy.spatial import Delaunay, cKDTree

from data.demo import names
from data.demo.geometry import METRIC_CRS, jittered_points, uniform_points, voronoi_cells
from gis.topology import as_multipolygons
from data.demo.landscape import Landscape
from data.demo.scales import Scale

PREFECTURE_CODE = "4206"
CORE_DISTRICT = "02"  # the city district holding the core's street offices
FIRST_RURAL_DISTRICT = 21  # counties are numbered from 21, as in real codes
HOUSEHOLDS = {True: (500, 90), False: (300, 60)}  # urban / rural: mean, spread per grid


def build_grids(land: Landscape, scale: Scale, rng: np.random.Generator) -> gpd.GeoDataFrame:
    """All three levels in one frame (metres): code, name, level, parent_code, households, urban,
    and for townships `seat`, the index of their seat in `land.seats`."""
    atoms_xy = _atom_seeds(land, scale, rng)
    atoms = voronoi_cells(atoms_xy, land.territory)
    touching = _touching_pairs(atoms_xy)
    atom_index = cKDTree(atoms_xy)
    atom_township = _regions(atoms_xy, land.seats, atom_index.query(land.seats)[1], touching, rng)
    village_atom = atom_index.query(land.villages)[1]
    urban_land = land.urban
    township_codes = _township_codes(land, scale)
    townships, villages = [], []
    for t, (code, name) in enumerate(zip(township_codes, land.township_names)):
        townships.append(dict(code=code, name=name, level=1, parent_code=None, urban=t < scale.core_streets,
                              seat=t))
        mine = atom_township == t
        villages += _villages(code, mine, atoms_xy, atoms, touching, urban_land,
                              village_atom[atom_township[village_atom] == t], scale, rng)
    # Smooth the saw-tooth borders of the atoms; shared borders stay shared.
    shapes = shapely.coverage_simplify(np.array([v.pop("atoms") for v in villages], dtype=object),
                                       0.8 * scale.atom_spacing_m[1], simplify_boundary=False)
    for village, shape in zip(villages, shapes):
        village["geometry"] = shape
    grids = [g for village in villages for g in _grids(village, scale, rng)]
    # Edge-match the grids: where a grid corner lies on a neighbour's edge, the neighbour gets
    # that vertex too. Parents are then the unions of their children, so every vertex of a
    # border is shared by the shapes on both sides and also by the parent: the borders stay
    # identical under any later projection, not just up to the straightness of an edge.
    cleaned = shapely.coverage_clean(np.array([g["geometry"] for g in grids], dtype=object))
    for grid, shape in zip(grids, cleaned):
        grid["geometry"] = shape
    for parents, children in ((villages, grids), (townships, villages)):
        members: dict[str, list] = {}
        for child in children:
            members.setdefault(child["parent_code"], []).append(child["geometry"])
        for parent in parents:
            parent["geometry"] = shapely.coverage_union_all(members[parent["code"]])
    frame = gpd.GeoDataFrame(townships + villages + grids, geometry="geometry", crs=METRIC_CRS)
    frame["geometry"] = as_multipolygons(frame.geometry.values)
    grid_rows = (frame["level"] == 3).to_numpy()
    urban = frame["urban"].to_numpy(dtype=bool)
    mean = np.where(urban, HOUSEHOLDS[True][0], HOUSEHOLDS[False][0])
    spread = np.where(urban, HOUSEHOLDS[True][1], HOUSEHOLDS[False][1])
    households = np.clip(rng.normal(mean, spread), 0.4 * mean, 1.8 * mean).round().astype(np.int64)
    households[~grid_rows] = 0
    frame["households"] = households
    # Villages and townships count the households of the grids below them.
    for level in (2, 1):
        child = frame[frame["level"] == level + 1]
        totals = child.groupby("parent_code")["households"].sum()
        rows_at = (frame["level"] == level).to_numpy()
        frame.loc[rows_at, "households"] = frame.loc[rows_at, "code"].map(totals).fillna(0).astype(np.int64)
    return frame.sort_values(["level", "code"], kind="stable").reset_index(drop=True)


def _atom_seeds(land: Landscape, scale: Scale, rng) -> np.ndarray:
    """Seeds of the small cells townships and villages are made of: finer in towns."""
    urban = land.urban
    rural = jittered_points(land.territory, scale.atom_spacing_m[1], rng)
    rural = rural[~shapely.contains_xy(urban, rural[:, 0], rural[:, 1])]
    dense = jittered_points(shapely.intersection(urban, land.territory), scale.atom_spacing_m[0], rng)
    return np.vstack([dense, rural])


def _touching_pairs(xy: np.ndarray) -> np.ndarray:
    """Pairs of atoms whose cells share an edge (the Delaunay edges of their seeds), both ways."""
    a, b, c = Delaunay(xy).simplices.T
    pairs = np.vstack([np.column_stack(p) for p in ((a, b), (b, c), (c, a))])
    return np.vstack([pairs, pairs[:, ::-1]])


def _regions(points: np.ndarray, seeds: np.ndarray, seed_points: np.ndarray, touching: np.ndarray, rng,
             subset: np.ndarray | None = None) -> np.ndarray:
    """Seed index of each point: nearest seed with distances warped by a smooth field per seed.

    The warp bends straight Voronoi borders into the wandering lines of real boundaries;
    pieces cut off from their seed are then handed to a neighbour so every region is
    one piece. `subset` limits the work to some points (the others get -1).
    """
    subset = np.ones(len(points), dtype=bool) if subset is None else subset
    labels = np.full(len(points), -1, dtype=np.int64)
    mine = np.flatnonzero(subset)
    if len(seeds) == 1:
        labels[mine] = 0
        return labels
    k = min(6, len(seeds))
    seed_index = cKDTree(seeds)
    dist, idx = seed_index.query(points[mine], k=k)
    spacing = np.median(seed_index.query(seeds, k=2)[0][:, 1])
    waves = rng.normal(0, 1, (len(seeds), 3, 2)) * (2 * np.pi / (1.5 * spacing))
    phases = rng.uniform(0, 2 * np.pi, (len(seeds), 3))
    offset = points[mine][:, None, :] - seeds[idx]
    field = np.sin(np.einsum("pkd,pkwd->pkw", offset, waves[idx]) + phases[idx]).sum(-1) / np.sqrt(3)
    score = dist * np.exp(0.15 * field)
    labels[mine] = idx[np.arange(len(mine)), np.argmin(score, axis=1)]
    labels[seed_points] = np.arange(len(seeds))
    return _without_exclaves(labels, seed_points, touching)


def _without_exclaves(labels: np.ndarray, seed_points: np.ndarray, touching: np.ndarray) -> np.ndarray:
    """Give every piece of a region that does not hold its seed to a neighbouring region."""
    a, b = touching[(labels[touching[:, 0]] >= 0) & (labels[touching[:, 1]] >= 0)].T
    n = len(labels)
    while True:
        same = labels[a] == labels[b]
        _, piece = connected_components(coo_matrix((np.ones(same.sum()), (a[same], b[same])), shape=(n, n)),
                                        directed=False)
        held = np.zeros(piece.max() + 1, dtype=bool)
        held[piece[seed_points]] = True
        orphan = ~held[piece] & (labels >= 0)
        if not orphan.any():
            return labels
        give = orphan[a] & ~orphan[b]
        labels = labels.copy()
        labels[a[give]] = labels[b[give]]


def _township_codes(land: Landscape, scale: Scale) -> list[str]:
    """Street offices in the city district (001...), towns (101...) and xiang (201...) per county."""
    centre = land.core.centre
    angle = np.arctan2(*(land.seats - centre).T[::-1])
    sector = ((angle + np.pi) / (2 * np.pi) * scale.rural_districts).astype(int) % scale.rural_districts
    district = np.where(
        np.arange(len(land.seats)) < scale.core_streets,
        PREFECTURE_CODE + CORE_DISTRICT,
        np.char.add(PREFECTURE_CODE, (FIRST_RURAL_DISTRICT + sector).astype(str)),
    )
    first_serial = np.select(
        [np.arange(len(land.seats)) < scale.core_streets, np.char.endswith(land.township_names, "乡")],
        [1, 201], 101,
    )
    codes = [""] * len(land.seats)
    order = np.lexsort((np.hypot(*(land.seats - centre).T), angle, first_serial, district))
    counter: dict[tuple[str, int], int] = {}
    for k in order.tolist():
        key = (str(district[k]), int(first_serial[k]))
        serial = counter.get(key, key[1])
        counter[key] = serial + 1
        codes[k] = f"{key[0]}{serial:03d}"
    return codes


def _villages(code: str, mine: np.ndarray, atoms_xy, atoms, touching, urban_land, village_atoms: np.ndarray,
              scale: Scale, rng) -> list[dict]:
    """Urban communities (社区) over the built-up part, village committees (村) around village centres.

    Returns rows whose "atoms" entry is the village's shape before smoothing.
    """
    township = shapely.coverage_union_all(atoms[mine])
    built = shapely.intersection(township, urban_land)
    communities = int(round(built.area / 1e6 * scale.communities_per_km2))
    if built.area > 0.2e6:
        communities = max(communities, 1)
    community_seeds = uniform_points(built, communities, rng) if communities else np.empty((0, 2))
    atom_index = np.flatnonzero(mine)
    community_atoms = atom_index[cKDTree(atoms_xy[mine]).query(community_seeds)[1]] if communities else []
    seed_atoms = np.concatenate([np.asarray(community_atoms, dtype=np.int64), village_atoms])
    seed_atoms, first = np.unique(seed_atoms, return_index=True)  # two seeds in one atom: keep one
    seed_atoms = seed_atoms[np.argsort(first)]
    if len(seed_atoms) == 0:
        seed_atoms = atom_index[:1]
    is_community = np.isin(seed_atoms, community_atoms)
    owner = _regions(atoms_xy, atoms_xy[seed_atoms], seed_atoms, touching, rng, subset=mine)
    seeds = atoms_xy[seed_atoms]
    community_names = names.pick_unique(names.community_name_pool(), int(is_community.sum()), rng)
    village_names = names.pick_unique(names.village_name_pool(), int((~is_community).sum()), rng)
    rows = []
    for urban, first_serial, pool in ((True, 1, community_names), (False, 201, village_names)):
        chosen = np.flatnonzero(is_community == urban)
        for serial, k in enumerate(chosen[_reading_order(seeds[chosen])]):
            rows.append(dict(code=f"{code}{first_serial + serial:03d}", name=pool[serial], level=2,
                             parent_code=code, urban=urban, atoms=shapely.coverage_union_all(atoms[owner == k])))
    return rows


def _grids(village: dict, scale: Scale, rng) -> list[dict]:
    """Grids of one village or community: evenly sized cells, relaxed once so they look drawn by hand."""
    low, high = scale.grids_per_community if village["urban"] else scale.grids_per_village
    area = village["geometry"]
    count = int(rng.integers(low, high + 1))
    seeds = uniform_points(area, count, rng)
    cells = voronoi_cells(seeds, area)
    if count > 1:
        centroids = shapely.get_coordinates(shapely.centroid(cells))
        inside = shapely.contains_xy(area, centroids[:, 0], centroids[:, 1])
        seeds = np.where(inside[:, None], centroids, seeds)
        cells = voronoi_cells(seeds, area)
    order = _reading_order(seeds)
    return [
        dict(code=f"{village['code']}{n + 1:03d}", name=f"{village['name']}第{names.chinese_number(n + 1)}网格",
             level=3, parent_code=village["code"], urban=village["urban"], geometry=cells[k])
        for n, k in enumerate(order)
    ]


def _reading_order(xy: np.ndarray) -> np.ndarray:
    """North to south, then west to east, in bands: how people number things on a map."""
    band = np.floor(-xy[:, 1] / 1_000.0)
    return np.lexsort((xy[:, 0], band))
