"""A layered (Sugiyama-style) layout of a DAG, top to bottom, for drawing dataflow graphs.

Ranks come from the longest path from the sources (networkx orders the
nodes), sources sitting just above their first reader, so every edge points down.  An edge that spans several ranks gets a
bend point in each rank it crosses, which takes a slot in that rank's order
and keeps skip connections beside the layers instead of through them.  The
order within each rank comes from a few barycentre sweeps (Sugiyama, Tagawa
and Toda, 1981), which removes most crossings on CNN graphs; ties keep
program order, so the layout is deterministic.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable
from dataclasses import dataclass

import networkx as nx

SWEEPS = 6
"""Down-and-up barycentre sweeps; CNN graphs settle after two or three."""


@dataclass(frozen=True)
class Box:
    """A placed node: centre and size, in pixels."""

    x: float
    y: float
    width: float
    height: float

    @property
    def top(self) -> float:
        return self.y - self.height / 2

    @property
    def bottom(self) -> float:
        return self.y + self.height / 2


@dataclass
class Layout:
    """Where every node sits, the bend points of every edge, and the drawing's size."""

    boxes: dict[Hashable, Box]
    bends: dict[tuple[Hashable, Hashable], list[tuple[float, float]]]
    width: float
    height: float


@dataclass(frozen=True)
class _Bend:
    """A virtual node standing for an edge crossing a rank."""

    edge: tuple[Hashable, Hashable]
    rank: int


def ranks(graph: nx.DiGraph) -> dict[Hashable, int]:
    """Each node's rank: the longest path (in edges) from any source to it; then each source moves down to
    the rank just above its earliest reader (a weight provider is drawn beside the op before the layer it
    feeds, not at the top of the drawing; the network's inputs stay at rank 0)."""
    rank: dict[Hashable, int] = {}
    for node in nx.topological_sort(graph):
        rank[node] = max((rank[p] + 1 for p in graph.predecessors(node)), default=0)
    for node in graph.nodes:
        if graph.in_degree(node) == 0 and graph.out_degree(node) > 0:
            rank[node] = max(0, min(rank[s] for s in graph.successors(node)) - 1)
    return rank


def layered_layout(
    graph: nx.DiGraph,
    size: Callable[[Hashable], tuple[float, float]],
    *,
    gap_x: float = 28.0,
    gap_y: float = 34.0,
    bend_width: float = 18.0,
    margin: float = 16.0,
) -> Layout:
    """Place `graph` (a DAG) top to bottom; `size(node)` gives each node's (width, height)."""
    rank = ranks(graph)
    program_order = {node: i for i, node in enumerate(graph.nodes)}
    layered = nx.DiGraph()
    for node in graph.nodes:
        layered.add_node(node)
    for u, v in graph.edges:
        chain = [u, *(_Bend((u, v), r) for r in range(rank[u] + 1, rank[v])), v]
        for r, node in enumerate(chain[1:-1], start=rank[u] + 1):
            rank[node] = r
            program_order[node] = program_order[u] + 0.5
        nx.add_path(layered, chain)
    rows = _initial_rows(layered, rank, program_order)
    for sweep in range(SWEEPS):
        downward = sweep % 2 == 0
        _sweep(layered, rows, downward)

    def extent(node: Hashable) -> tuple[float, float]:
        return (bend_width, 0.0) if isinstance(node, _Bend) else size(node)

    row_heights = [max((extent(n)[1] for n in row), default=0.0) for row in rows]
    x = _x_positions(layered, rows, lambda n: extent(n)[0], gap_x)
    left = min((x[n] - extent(n)[0] / 2 for n in x), default=0.0)
    right = max((x[n] + extent(n)[0] / 2 for n in x), default=0.0)
    shift = margin - left
    width = right - left + 2 * margin
    boxes: dict[Hashable, Box] = {}
    bend_points: dict[Hashable, tuple[float, float]] = {}
    y = margin
    for row, row_height in zip(rows, row_heights, strict=True):
        for node in row:
            w, h = extent(node)
            centre = (x[node] + shift, y + row_height / 2)
            if isinstance(node, _Bend):
                bend_points[node] = centre
            else:
                boxes[node] = Box(centre[0], centre[1], w, h)
        y += row_height + gap_y
    bends = {(u, v): [bend_points[_Bend((u, v), r)] for r in range(rank[u] + 1, rank[v])] for u, v in graph.edges}
    return Layout(boxes, bends, width, y - gap_y + margin)


def _x_positions(
    layered: nx.DiGraph, rows: list[list], width: Callable[[Hashable], float], gap: float
) -> dict[Hashable, float]:
    """Centre x of every node: each pulled towards the mean of its neighbours, in rank order, without overlaps.

    Alternating down and up passes move a node to the mean x of its neighbours
    in the rank before; the rank is then packed left to right (order kept, `gap`
    apart) and shifted as a whole by the mean remaining pull.  Bend points so
    line up under their edge's source, and chains of layers stay straight.
    """
    x: dict[Hashable, float] = {}
    for row in rows:
        cursor = 0.0
        for node in row:
            x[node] = cursor + width(node) / 2
            cursor += width(node) + gap
        centre = cursor / 2
        for node in row:
            x[node] -= centre
    for sweep in range(2 * SWEEPS):
        downward = sweep % 2 == 0
        sequence = range(1, len(rows)) if downward else range(len(rows) - 2, -1, -1)
        neighbours = layered.predecessors if downward else layered.successors
        for r in sequence:
            row = rows[r]
            wanted = []
            for node in row:
                near = [x[n] for n in neighbours(node)]
                wanted.append(sum(near) / len(near) if near else x[node])
            placed: list[float] = []
            for i, node in enumerate(row):
                lowest = placed[-1] + (width(row[i - 1]) + width(node)) / 2 + gap if placed else -float("inf")
                placed.append(max(wanted[i], lowest))
            pull = sum(w - p for w, p in zip(wanted, placed, strict=True)) / max(1, len(row))
            for node, position in zip(row, placed, strict=True):
                x[node] = position + pull
    return x


def _initial_rows(layered: nx.DiGraph, rank: dict[Hashable, int], order: dict[Hashable, float]) -> list[list]:
    rows: list[list] = [[] for _ in range(max(rank.values(), default=-1) + 1)]
    for node in sorted(layered.nodes, key=lambda n: (order[n], str(n))):
        rows[rank[node]].append(node)
    return rows


def _sweep(layered: nx.DiGraph, rows: list[list], downward: bool) -> None:
    """Reorder each rank by the mean position of its neighbours in the rank before it (stable on ties)."""
    sequence = range(1, len(rows)) if downward else range(len(rows) - 2, -1, -1)
    neighbours = layered.predecessors if downward else layered.successors
    for r in sequence:
        reference = rows[r - 1] if downward else rows[r + 1]
        position = {node: i for i, node in enumerate(reference)}
        keys = []
        for index, node in enumerate(rows[r]):
            placed = [position[n] for n in neighbours(node) if n in position]
            keys.append((sum(placed) / len(placed) if placed else float(index), index))
        rows[r] = [node for _, node in sorted(zip(keys, rows[r], strict=True), key=lambda pair: pair[0])]
