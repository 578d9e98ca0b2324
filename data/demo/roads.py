"""The road network: town street grids, village lanes, rural roads, expressways and bridges.

Roads are built as a graph. Nodes are points; edges are road segments from one node to
another (straight, or curving through shape points). A junction is one node shared by
every segment that meets there, so the written layer turns back into a routing graph by
endpoint coordinates. Only expressways cross other roads without a junction (they are
grade-separated); every other crossing found at the end is resolved by dropping the
lesser road. Roads cross the river only on bridges, and never cross lakes.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
import shapely
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import connected_components, dijkstra, minimum_spanning_tree

from data.demo import names
from data.demo.geometry import gabriel_edges, rotation
from data.demo.landscape import Landscape, Town
from data.demo.scales import Scale

ROAD_CLASSES = ("expressway", "arterial", "collector", "local", "village")
SPEED_KPH = {"expressway": 100.0, "arterial": 60.0, "collector": 40.0, "local": 30.0, "village": 25.0}
_RANK = {name: rank for rank, name in enumerate(ROAD_CLASSES)}

BANK_M = 25.0  # no street node closer than this to water
BRIDGE_ABUTMENT_M = 15.0  # a bridge reaches this far onto each bank
MAX_BRIDGE_GAP_NODES = 4  # a street grid bridges the river only where it is this few blocks wide
RURAL_EDGE_MAX_M = 4_500.0
LINK_MAX_M = 2_500.0  # expressway interchange to town
# Street name endings by class, for lines along (路) and across (街) a town's grid.
_STREET_SUFFIX = {"arterial": ("路", "路"), "collector": ("路", "街"), "local": ("街", "巷")}


@dataclass
class RoadNetwork:
    """The final network in metres; `edges` rows match `lines`."""

    nodes: np.ndarray
    edges: pd.DataFrame  # u, v, road_class, name, speed_kph, oneway, bridge, origin, town
    lines: np.ndarray
    island: np.ndarray  # per edge: on a piece deliberately cut off from the main network

    def node_degrees(self) -> np.ndarray:
        return np.bincount(np.concatenate([self.edges["u"], self.edges["v"]]), minlength=len(self.nodes))


class _Graph:
    """Nodes and edges as they are created, each edge with optional inner shape points."""

    def __init__(self):
        self._points: list[np.ndarray] = []
        self._count = 0
        self._edges: list[pd.DataFrame] = []

    def add_nodes(self, xy) -> np.ndarray:
        xy = np.asarray(xy, dtype=float).reshape(-1, 2)
        ids = np.arange(self._count, self._count + len(xy))
        self._points.append(xy)
        self._count += len(xy)
        return ids

    def add_edges(self, u, v, road_class, name=None, oneway=0, bridge=0, origin="", town=-1, shape=None):
        u = np.asarray(u, dtype=np.int64)
        n = len(u)
        if n == 0:
            return
        self._edges.append(pd.DataFrame({
            "u": u,
            "v": np.asarray(v, dtype=np.int64),
            "road_class": np.broadcast_to(np.asarray(road_class, dtype=object), n),
            "name": np.broadcast_to(np.asarray(name, dtype=object), n),
            "oneway": np.broadcast_to(np.asarray(oneway, dtype=np.int64), n),
            "bridge": np.broadcast_to(np.asarray(bridge, dtype=np.int64), n),
            "origin": origin,
            "town": town,
            "shape": [None] * n if shape is None else shape,
        }))

    @property
    def nodes(self) -> np.ndarray:
        return np.vstack(self._points)

    def edges(self) -> pd.DataFrame:
        return pd.concat(self._edges, ignore_index=True)

    def replace_edges(self, frame: pd.DataFrame) -> None:
        self._edges = [frame]


@dataclass
class _Lattice:
    gateways: np.ndarray  # node ids where a main street reaches the edge of town
    bridges: list[dict]  # river crossings this town could have


def build_roads(land: Landscape, scale: Scale, rng: np.random.Generator) -> RoadNetwork:
    graph = _Graph()
    bank = shapely.union_all([land.river, *land.lakes]).buffer(BANK_M)
    shapely.prepare(bank)
    lattices = []
    for index, (town, town_name) in enumerate(zip(land.all_towns, land.town_names)):
        block = np.asarray(scale.core_block_m if town.is_core else scale.town_block_m)
        lattices.append(_street_lattice(graph, town, index, town_name, block * rng.uniform(0.92, 1.08, 2), bank, rng))
    lanes = _village_lanes(graph, land.villages, bank, rng)
    rural_candidates = _rural_roads(graph, land, lattices, lanes, scale, rng)
    _choose_bridges(graph, land, lattices, rural_candidates, scale)
    _upgrade_town_links(graph, land, lattices)
    _expressways(graph, land, lattices, scale, rng)
    if land.island is not None:
        _island_ring(graph, land.island)
    return _finish(graph, land)


def _street_lattice(graph: _Graph, town: Town, index: int, town_name: str, block, bank, rng) -> _Lattice:
    """A street grid filling the town: rotated, gently bent, jittered; main streets every few blocks."""
    reach = 1.6 * town.radius
    ni, nj = int(np.ceil(reach / block[0])), int(np.ceil(reach / block[1]))
    ii, jj = np.meshgrid(np.arange(-ni, ni + 1), np.arange(-nj, nj + 1), indexing="ij")
    local = np.stack([ii * block[0], jj * block[1]], axis=-1).astype(float)
    bend, wavelength = 0.3 * block.mean(), rng.uniform(5, 9) * block.mean()
    phase = rng.uniform(0, 2 * np.pi, 2)
    local[..., 0] += bend * np.sin(local[..., 1] / wavelength + phase[0])
    local[..., 1] += bend * np.sin(local[..., 0] / wavelength + phase[1])
    arterial_every, collector_every = (6, 3) if town.is_core else (10**6, 4)
    # Main streets run straighter than the lanes between them.
    on_main = (ii % collector_every == 0) | (jj % collector_every == 0)
    local += rng.normal(0, 0.05 * block.mean(), local.shape) * np.where(on_main, 0.3, 1.0)[..., None]
    xy = local @ rotation(rng.uniform(0, np.pi / 2)).T + town.centre
    inside = shapely.contains_xy(town.shape, xy[..., 0], xy[..., 1])
    wet = inside & shapely.contains_xy(bank, xy[..., 0], xy[..., 1])
    keep = inside & ~wet
    ids = np.full(ii.shape, -1, dtype=np.int64)
    ids[keep] = graph.add_nodes(xy[keep])

    node_xy = xy[keep]
    first_id = ids[keep][0] if keep.any() else 0

    # Lines: along i (fixed j, "roads", 路) and along j (fixed i, "streets", 街).
    stems = names.pick_unique(names.street_stems(), ii.shape[0] + ii.shape[1], rng)
    road_stems, street_stems = stems[: ii.shape[1]], stems[ii.shape[1]:]
    one_way_radius = 0.5 * town.radius if town.radius > 1_200 else 0.0
    gateways, bridges = [], []
    for axis, line_ids, line_stems in ((0, ids.T, road_stems), (1, ids, street_stems)):
        half = (line_ids.shape[0] - 1) // 2
        for row, nodes in enumerate(line_ids):
            idx = row - half
            road_class = (
                "arterial" if idx % arterial_every == 0
                else "collector" if idx % collector_every == 0 else "local"
            )
            if idx == 0:  # the town's main streets carry its name: 青山大道, 青山路
                name = town_name + ("大道" if axis == 0 else "路")
            else:
                name = line_stems[row] + _STREET_SUFFIX[road_class][axis]
            u, v = nodes[:-1], nodes[1:]
            present = (u >= 0) & (v >= 0)
            if road_class == "local":
                present &= rng.random(len(u)) > 0.06
            u, v = u[present], v[present]
            oneway = 0
            if road_class == "local" and idx % 2 and one_way_radius:
                centre_dist = np.hypot(*((node_xy[u - first_id] + node_xy[v - first_id]) / 2 - town.centre).T)
                central = centre_dist < one_way_radius
                if (idx // 2) % 2:
                    u, v = np.where(central, v, u), np.where(central, u, v)
                oneway = central.astype(np.int64)
            graph.add_edges(u, v, road_class, name, oneway=oneway, origin="street", town=index)
            if road_class == "local":
                continue
            kept = np.flatnonzero(nodes >= 0)
            if len(kept) == 0:
                continue
            line_inside = inside[:, row] if axis == 0 else inside[row]
            line_wet = wet[:, row] if axis == 0 else wet[row]
            for end, beyond in ((kept[0], kept[0] - 1), (kept[-1], kept[-1] + 1)):
                if beyond < 0 or beyond >= len(nodes) or not line_inside[beyond]:
                    gateways.append(nodes[end])
            if road_class == "arterial":
                for a, b in zip(kept[:-1], kept[1:]):
                    gap = b - a - 1
                    if 0 < gap <= MAX_BRIDGE_GAP_NODES and line_wet[a + 1:b].all():
                        bridges.append({"u": nodes[a], "v": nodes[b], "road_class": road_class,
                                        "name": name, "origin": "street", "town": index})
    return _Lattice(np.asarray(gateways, dtype=np.int64), bridges)


def _village_lanes(graph: _Graph, centres: np.ndarray, bank, rng) -> list[np.ndarray]:
    """A few lanes per village: a small crooked grid, thinned to a tree plus a few loops."""
    groups, edge_u, edge_v = [], [], []
    for centre in centres:
        nx, ny = rng.choice([2, 3, 3, 4], 2)
        spacing = rng.uniform(60, 100)
        gx, gy = np.meshgrid(np.arange(nx) - (nx - 1) / 2, np.arange(ny) - (ny - 1) / 2, indexing="ij")
        local = np.column_stack([gx.ravel(), gy.ravel()]) * spacing + rng.normal(0, 0.15 * spacing, (nx * ny, 2))
        xy = local @ rotation(rng.uniform(0, np.pi)).T + centre
        dry = ~shapely.contains_xy(bank, xy[:, 0], xy[:, 1])
        ids = np.full(nx * ny, -1, dtype=np.int64)
        ids[dry] = graph.add_nodes(xy[dry])
        grid_ids = ids.reshape(nx, ny)
        pairs = np.vstack([
            np.column_stack([grid_ids[:-1].ravel(), grid_ids[1:].ravel()]),
            np.column_stack([grid_ids[:, :-1].ravel(), grid_ids[:, 1:].ravel()]),
        ])
        pairs = pairs[(pairs >= 0).all(axis=1)]
        edge_u.append(pairs[:, 0])
        edge_v.append(pairs[:, 1])
        groups.append(ids[dry])
    u, v = np.concatenate(edge_u), np.concatenate(edge_v)
    if len(u) == 0:
        return groups
    # A random spanning forest (one tree per village) plus a quarter of the other lanes.
    base = min(u.min(), v.min())
    size = max(u.max(), v.max()) - base + 1
    weights = coo_matrix((rng.uniform(1, 2, len(u)), (u - base, v - base)), shape=(size, size)).tocsr()
    tree = minimum_spanning_tree(weights).tocoo()
    in_tree = set(zip((tree.row + base).tolist(), (tree.col + base).tolist()))
    chosen = np.array([(a, b) in in_tree or (b, a) in in_tree for a, b in zip(u.tolist(), v.tolist())])
    chosen |= rng.random(len(u)) < 0.25
    graph.add_edges(u[chosen], v[chosen], "village", origin="village")
    return groups


def _rural_roads(graph: _Graph, land: Landscape, lattices: list[_Lattice], lanes, scale: Scale, rng) -> list[dict]:
    """Roads between villages, towns and the world outside: a Gabriel graph over them.

    Returns the river crossings among them as bridge candidates (added only if chosen).
    """
    nodes = graph.nodes
    exits = _exit_points(land, scale)
    gateway_ids = np.concatenate([lat.gateways for lat in lattices])
    gateway_town = np.concatenate([np.full(len(lat.gateways), t) for t, lat in enumerate(lattices)])
    points = np.vstack([land.villages, nodes[gateway_ids], exits])
    kind = np.repeat([0, 1, 2], [len(land.villages), len(gateway_ids), len(exits)])  # village, gateway, exit
    owner = np.concatenate([np.arange(len(land.villages)), gateway_town, np.arange(len(exits))])
    pairs = gabriel_edges(points)
    a, b = pairs.T
    same_town = (kind[a] == 1) & (kind[b] == 1) & (owner[a] == owner[b])
    pairs = pairs[~same_town & ~((kind[a] == 2) & (kind[b] == 2))]
    length = np.hypot(*(points[pairs[:, 0]] - points[pairs[:, 1]]).T)
    pairs = pairs[length < RURAL_EDGE_MAX_M]

    # Keep clear of the towns' streets: the edge, less its ends, must stay outside every town.
    a, b = pairs.T
    direction = points[b] - points[a]
    direction /= np.hypot(*direction.T)[:, None]
    trim = np.where(kind == 1, 1.5 * max(scale.core_block_m), 150.0)
    inner = shapely.linestrings(
        np.stack([points[a] + direction * trim[a][:, None], points[b] - direction * trim[b][:, None]], axis=1)
    )
    urban = land.urban
    shapely.prepare(urban)
    pairs = pairs[~shapely.intersects(urban, inner)]

    # One road per exit point: its shortest.
    a, b = pairs.T
    length = np.hypot(*(points[a] - points[b]).T)
    exit_end = np.where(kind[a] == 2, a, np.where(kind[b] == 2, b, -1))
    order = np.lexsort((length, exit_end))
    first = np.ones(len(order), dtype=bool)
    first[1:] = exit_end[order][1:] != exit_end[order][:-1]
    keep = np.zeros(len(pairs), dtype=bool)
    keep[order] = (exit_end[order] < 0) | first
    pairs = pairs[keep]

    exit_nodes = graph.add_nodes(exits)

    def node_of(end: int, other: int) -> int:
        if kind[end] == 1:
            return int(gateway_ids[end - len(land.villages)])
        if kind[end] == 2:
            return int(exit_nodes[owner[end]])
        group = lanes[owner[end]]
        lane_xy = nodes[group]
        return int(group[np.argmin(np.hypot(*(lane_xy - points[other]).T))])

    u = np.array([node_of(p, q) for p, q in pairs])
    v = np.array([node_of(q, p) for p, q in pairs])
    exit_road = (kind[pairs[:, 0]] == 2) | (kind[pairs[:, 1]] == 2)
    all_nodes = graph.nodes
    segments = shapely.linestrings(np.stack([all_nodes[u], all_nodes[v]], axis=1))
    crosses_river = shapely.intersects(land.river, segments)
    candidates = [
        {"u": int(p), "v": int(q), "road_class": "village", "name": None, "origin": "rural", "town": -1}
        for p, q in zip(u[crosses_river & ~exit_road], v[crosses_river & ~exit_road])
    ]
    for kept, road_class, origin in ((~crosses_river & exit_road, "collector", "exit"),
                                     (~crosses_river & ~exit_road, "village", "rural")):
        road_names = [f"县道X{900 + k:03d}" for k in range(kept.sum())] if origin == "exit" else None
        graph.add_edges(u[kept], v[kept], road_class, road_names, origin=origin,
                        shape=_wiggles(all_nodes[u[kept]], all_nodes[v[kept]], rng))
    return candidates


def _exit_points(land: Landscape, scale: Scale) -> np.ndarray:
    """Points just outside the territory where roads to the neighbouring counties end."""
    ring = land.territory.exterior
    steps = np.arange(0.0, ring.length, scale.exit_spacing_m)
    on_ring = shapely.get_coordinates(shapely.line_interpolate_point(ring, steps))
    centre = np.asarray(land.territory.centroid.coords[0])
    outward = on_ring - centre
    outward /= np.hypot(*outward.T)[:, None]
    return on_ring + outward * 1_500.0


def _wiggles(start: np.ndarray, end: np.ndarray, rng) -> list:
    """Inner shape points that bend straight rural roads into gentle curves."""
    shapes = []
    for p, q in zip(start, end):
        length = float(np.hypot(*(q - p)))
        count = int(np.clip(length / 250.0, 0, 12))
        if count < 2:
            shapes.append(None)
            continue
        t = np.arange(1, count + 1) / (count + 1)
        normal = np.array([p[1] - q[1], q[0] - p[0]]) / length
        bow, sway = rng.uniform(-0.05, 0.05), rng.uniform(-0.02, 0.02)
        bulge = length * (bow * np.sin(np.pi * t) + sway * np.sin(2 * np.pi * t))
        shapes.append(p + t[:, None] * (q - p) + bulge[:, None] * normal)
    return shapes


def _choose_bridges(graph: _Graph, land: Landscape, lattices: list[_Lattice], rural: list[dict], scale: Scale):
    """A few river crossings, spaced along the river: town main streets first, then rural roads."""
    candidates = pd.DataFrame([c for lat in lattices for c in lat.bridges] + rural)
    if candidates.empty:
        return
    nodes = graph.nodes
    p, q = nodes[candidates["u"]], nodes[candidates["v"]]
    candidates["length"] = np.hypot(*(p - q).T)
    candidates["at"] = shapely.line_locate_point(land.river_line, shapely.points((p + q) / 2))
    candidates["tier"] = np.select([candidates["town"] == 0, candidates["town"] > 0], [0, 1], 2)
    candidates["spacing"] = np.where(candidates["tier"] < 2, scale.urban_bridge_spacing_m, scale.rural_bridge_spacing_m)
    segments = shapely.linestrings(np.stack([p, q], axis=1))
    lakes = shapely.union_all(land.lakes)
    over_river = shapely.intersects(land.river, segments) & ~shapely.intersects(lakes, segments)
    candidates = candidates[over_river & (candidates["length"] < 3_000)].sort_values(["tier", "length"], kind="stable")
    chosen, positions = [], []
    for row in candidates.itertuples():
        if all(abs(row.at - at) >= row.spacing for at in positions):
            chosen.append(row)
            positions.append(row.at)
    for row in chosen:
        _add_bridge(graph, row.u, row.v, land.river, "arterial" if row.tier < 2 else "collector",
                    row.name, row.origin, row.town)


def _add_bridge(graph: _Graph, u: int, v: int, river, road_class: str, name, origin: str, town: int):
    """A road from u to v across the river: approach, bridge (bank to bank, plus abutments), approach."""
    nodes = graph.nodes
    p, q = nodes[u], nodes[v]
    length = float(np.hypot(*(q - p)))
    wet = shapely.get_coordinates(shapely.intersection(shapely.LineString([p, q]), river))
    along = (wet - p) @ (q - p) / length**2
    start, end = along.min() - BRIDGE_ABUTMENT_M / length, along.max() + BRIDGE_ABUTMENT_M / length
    near_end = 2 * BRIDGE_ABUTMENT_M / length  # closer than this, the bridge simply runs to the node
    chain = [u]
    if start > near_end:
        chain.append(int(graph.add_nodes(p + start * (q - p))[0]))
    if end < 1 - near_end:
        chain.append(int(graph.add_nodes(p + end * (q - p))[0]))
    chain.append(v)
    bridge = np.zeros(len(chain) - 1, dtype=np.int64)
    bridge[int(start > near_end)] = 1
    graph.add_edges(chain[:-1], chain[1:], road_class, name, bridge=bridge, origin=origin, town=town)


def _upgrade_town_links(graph: _Graph, land: Landscape, lattices: list[_Lattice]):
    """Turn the rural roads linking neighbouring towns into provincial and county roads."""
    edges = graph.edges()
    rural = np.flatnonzero(edges["origin"].isin(["rural", "village"]).to_numpy())
    if len(rural) == 0:
        return
    nodes = graph.nodes
    u, v = edges["u"].to_numpy()[rural], edges["v"].to_numpy()[rural]
    used, local = np.unique(np.concatenate([u, v]), return_inverse=True)
    lu, lv = local[: len(u)], local[len(u):]
    weight = np.hypot(*(nodes[u] - nodes[v]).T) + 1.0
    matrix = coo_matrix((np.concatenate([weight, weight]), (np.concatenate([lu, lv]), np.concatenate([lv, lu]))),
                        shape=(len(used), len(used))).tocsr()
    edge_of = {}
    for row, a, b in zip(rural.tolist(), lu.tolist(), lv.tolist()):
        edge_of[(min(a, b), max(a, b))] = row
    position = {node: k for k, node in enumerate(used.tolist())}
    gates = [np.array([position[g] for g in lat.gateways.tolist() if g in position], dtype=np.int64)
             for lat in lattices]
    centres = np.array([t.centre for t in land.all_towns])
    town_pairs = gabriel_edges(centres) if len(centres) >= 3 else np.array([[0, 1]])
    road_class = edges["road_class"].to_numpy().copy()
    road_name = edges["name"].to_numpy().copy()
    # Provincial roads (to the core) first, so they win where routes share a road.
    town_pairs = town_pairs[np.argsort(town_pairs.min(axis=1) != 0, kind="stable")]
    for serial, (a, b) in enumerate(town_pairs.tolist()):
        if len(gates[a]) == 0 or len(gates[b]) == 0:
            continue
        dist, pred, _ = dijkstra(matrix, indices=gates[a], min_only=True, return_predecessors=True)
        target = gates[b][np.argmin(dist[gates[b]])]
        if not np.isfinite(dist[target]):
            continue
        new_class = "arterial" if a == 0 else "collector"
        new_name = f"省道S{230 + serial}" if a == 0 else f"县道X{serial + 1:03d}"
        node = target
        while pred[node] >= 0:
            row = edge_of[(min(node, pred[node]), max(node, pred[node]))]
            if _RANK[new_class] < _RANK[road_class[row]]:
                road_class[row], road_name[row] = new_class, new_name
            node = pred[node]
    graph.replace_edges(edges.assign(road_class=road_class, name=road_name))


def _expressways(graph: _Graph, land: Landscape, lattices: list[_Lattice], scale: Scale, rng):
    """Expressways as chains of segments between interchanges, bridges and each other's crossings."""
    lines = land.expressways
    coords = [shapely.get_coordinates(line) for line in lines]
    junction_at: list[dict[int, int]] = [{} for _ in lines]
    for i in range(len(lines)):
        for j in range(i + 1, len(lines)):
            for point in shapely.get_coordinates(shapely.intersection(lines[i], lines[j])):
                node = int(graph.add_nodes(point)[0])
                for k in (i, j):
                    coords[k], at = _insert_vertex(coords[k], point)
                    junction_at[k] = {(m + 1 if m >= at else m): n for m, n in junction_at[k].items()}
                    junction_at[k][at] = node
    nodes = graph.nodes
    gate_ids = np.concatenate([lat.gateways for lat in lattices])
    gate_town = np.concatenate([np.full(len(lat.gateways), t) for t, lat in enumerate(lattices)])
    water = shapely.union_all([land.river, *land.lakes])
    stems = names.pick_unique(names.place_stems(), len(lines), rng)
    for k, xy in enumerate(coords):
        name = f"{stems[k]}高速"
        segments = shapely.linestrings(np.stack([xy[:-1], xy[1:]], axis=1))
        wet = shapely.intersects(land.river, segments)
        starts = np.flatnonzero(wet & ~np.r_[False, wet[:-1]])
        ends = np.flatnonzero(wet & ~np.r_[wet[1:], False]) + 1
        splits = {0, len(xy) - 1, *junction_at[k], *starts.tolist(), *ends.tolist()}
        near_bridge = np.zeros(len(xy), dtype=bool)
        for a, b in zip(starts, ends):
            near_bridge[max(a - 2, 0): b + 3] = True

        # Interchanges: where a town's main street ends close to the expressway.
        line = shapely.LineString(xy)
        gate_xy = nodes[gate_ids]
        gate_dist = shapely.distance(line, shapely.points(gate_xy))
        order = np.argsort(gate_dist, kind="stable")
        taken_at, linked = [], set()
        for g in order[gate_dist[order] < LINK_MAX_M]:
            vertex = int(np.argmin(np.hypot(*(xy - gate_xy[g]).T)))
            along = line.project(shapely.Point(xy[vertex]))
            link = shapely.LineString([xy[vertex], gate_xy[g]])
            if (
                gate_town[g] in linked
                or near_bridge[vertex]
                or not 3 <= vertex <= len(xy) - 4
                or any(abs(along - t) < scale.interchange_spacing_m for t in taken_at)
                or link.intersects(water)
            ):
                continue
            taken_at.append(along)
            if gate_town[g] != 0:
                linked.add(gate_town[g])
            splits.add(vertex)
            junction_at[k][vertex] = int(graph.add_nodes(xy[vertex])[0])
            graph.add_edges([junction_at[k][vertex]], [gate_ids[g]], "arterial", f"{name}互通连接线",
                            origin="link", town=int(gate_town[g]))
        cuts = sorted(splits)
        node_at = {c: junction_at[k].get(c) for c in cuts}
        for c in cuts:
            if node_at[c] is None:
                node_at[c] = int(graph.add_nodes(xy[c])[0])
        bridge_starts = set(starts.tolist())
        for a, b in zip(cuts[:-1], cuts[1:]):
            graph.add_edges([node_at[a]], [node_at[b]], "expressway", name, bridge=int(a in bridge_starts),
                            origin="expressway", shape=[xy[a + 1:b] if b - a > 1 else None])


def _insert_vertex(xy: np.ndarray, point: np.ndarray) -> tuple[np.ndarray, int]:
    """Insert `point` (lying on the polyline) as a vertex; returns the new coordinates and its index."""
    along = shapely.line_locate_point(shapely.LineString(xy), shapely.Point(point))
    cumulative = np.r_[0.0, np.cumsum(np.hypot(*np.diff(xy, axis=0).T))]
    at = int(np.searchsorted(cumulative, along, side="right"))
    return np.insert(xy, at, point, axis=0), at


def _island_ring(graph: _Graph, island: shapely.Polygon):
    """A ring road on the lake island: reachable only by boat, so cut off from the network."""
    centre = np.asarray(island.centroid.coords[0])
    radius = 0.5 * np.sqrt(island.area / np.pi)
    angles = np.linspace(0, 2 * np.pi, 6, endpoint=False)
    ids = graph.add_nodes(centre + radius * np.column_stack([np.cos(angles), np.sin(angles)]))
    graph.add_edges(ids, np.roll(ids, -1), "local", "环岛路", origin="island")


def _finish(graph: _Graph, land: Landscape) -> RoadNetwork:
    """Drop what may not be (crossings, roads in water), keep the connected network, number nodes."""
    edges = graph.edges()
    nodes = graph.nodes
    lines = _edge_lines(nodes, edges)
    drop = np.zeros(len(edges), dtype=bool)
    drop[_water_conflicts(edges, lines, land)] = True
    drop[_crossing_losers(edges, lines, drop)] = True
    edges, lines = edges[~drop].reset_index(drop=True), lines[~drop]

    used, compact = np.unique(np.concatenate([edges["u"], edges["v"]]), return_inverse=True)
    u, v = compact[: len(edges)], compact[len(edges):]
    adjacency = coo_matrix((np.ones(len(u)), (u, v)), shape=(len(used), len(used)))
    _, label = connected_components(adjacency, directed=False)
    main_label = np.bincount(label[u]).argmax()
    island = (edges["origin"] == "island").to_numpy()
    keep = (label[u] == main_label) | island
    edges = edges[keep].reset_index(drop=True)
    lines = lines[keep]
    used2, compact2 = np.unique(np.concatenate([u[keep], v[keep]]), return_inverse=True)
    edges["u"], edges["v"] = compact2[: len(edges)], compact2[len(edges):]
    edges["speed_kph"] = edges["road_class"].map(SPEED_KPH).astype(float)
    edges = edges.drop(columns="shape")
    return RoadNetwork(nodes[used[used2]], edges, lines, (edges["origin"] == "island").to_numpy())


def _edge_lines(nodes: np.ndarray, edges: pd.DataFrame) -> np.ndarray:
    u, v = edges["u"].to_numpy(), edges["v"].to_numpy()
    parts = [
        np.vstack([nodes[a], shape, nodes[b]]) if shape is not None else nodes[[a, b]]
        for a, b, shape in zip(u.tolist(), v.tolist(), edges["shape"].tolist())
    ]
    counts = np.fromiter((len(p) for p in parts), dtype=np.int64, count=len(parts))
    return shapely.linestrings(np.vstack(parts), indices=np.repeat(np.arange(len(parts)), counts))


def _water_conflicts(edges: pd.DataFrame, lines: np.ndarray, land: Landscape) -> np.ndarray:
    """Edges in a lake, or crossing the river other than on a bridge."""
    tree = shapely.STRtree(lines)
    in_lake = tree.query(np.asarray(land.lakes, dtype=object), predicate="intersects")[1]
    in_river = tree.query(land.river, predicate="intersects")
    in_river = in_river[edges["bridge"].to_numpy()[in_river] == 0]
    return np.unique(np.concatenate([in_lake, in_river]))


def _crossing_losers(edges: pd.DataFrame, lines: np.ndarray, dropped: np.ndarray) -> np.ndarray:
    """For every two roads that meet without a junction, the lesser (or later) one."""
    i, j = shapely.STRtree(lines).query(lines, predicate="intersects")
    u, v = edges["u"].to_numpy(), edges["v"].to_numpy()
    expressway = (edges["road_class"] == "expressway").to_numpy()
    shared = (u[i] == u[j]) | (u[i] == v[j]) | (v[i] == u[j]) | (v[i] == v[j])
    pair = (i < j) & ~shared & ~expressway[i] & ~expressway[j] & ~dropped[i] & ~dropped[j]
    i, j = i[pair], j[pair]
    rank = edges["road_class"].map(_RANK).to_numpy() - 10 * edges["bridge"].to_numpy()
    return np.where(rank[i] > rank[j], i, np.where(rank[j] > rank[i], j, np.maximum(i, j)))
