"""The order in which to label model versions so that every base is labelled before its derivatives.

A version's *level* is 0 when it derives from nothing stored, else one more than the highest level of
its bases' current versions. Labelling level by level lets a base's label reach every descendant in
one run, however deep the chain (a 1,000-deep chain is 1,000 small levels, not 1,000 runs).

Lineage can loop (a card declaring its own fine-tune as base, two repos naming each other). The
strongly connected components of the graph are found (Tarjan), the edges inside each component are
set aside as *cycle edges* - such a base is reported and not followed - and the rest is a DAG.

Pure computation on integer version ids; the graph is held as NumPy arrays and flat lists, so a
million edges take tens of megabytes.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass, field
from typing import Iterable, Sequence

import numpy as np


@dataclass(frozen=True)
class LineageOrder:
    nodes: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.int64))  # sorted version ids in the graph
    levels: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.int32))  # level of each node
    cycle_edges: frozenset[tuple[int, int]] = frozenset()  # (version, base version) inside a cycle
    cycles: tuple[tuple[int, ...], ...] = ()  # version ids of each cycle

    @property
    def depth(self) -> int:
        return int(self.levels.max()) if len(self.levels) else 0

    def level_of(self, version_ids: Sequence[int]) -> np.ndarray:
        """The level of each id (0 for ids outside the graph)."""
        ids = np.asarray(version_ids, dtype=np.int64)
        if not len(self.nodes):
            return np.zeros(len(ids), dtype=np.int32)
        pos = np.searchsorted(self.nodes, ids)
        pos_clipped = np.minimum(pos, len(self.nodes) - 1)
        found = self.nodes[pos_clipped] == ids
        return np.where(found, self.levels[pos_clipped], 0).astype(np.int32)

    def versions_at(self, level: int) -> list[int]:
        return self.nodes[self.levels == level].tolist()


def lineage_order(edges: Iterable[tuple[int, int]]) -> LineageOrder:
    """Levels for a graph given as (version id, base version id) pairs."""
    flat = np.fromiter((x for edge in edges for x in edge), dtype=np.int64)
    if not len(flat):
        return LineageOrder()
    pairs = np.unique(flat.reshape(-1, 2), axis=0)
    pairs = pairs[pairs[:, 0] != pairs[:, 1]]  # a version naming itself: not an edge
    if not len(pairs):
        return LineageOrder()
    nodes, inverse = np.unique(pairs.ravel(), return_inverse=True)
    child, parent = inverse[0::2], inverse[1::2]
    n = len(nodes)
    levels, left = _kahn(n, child, parent)
    cycle_pairs: set[tuple[int, int]] = set()
    cycles: list[tuple[int, ...]] = []
    if left:
        components = _strongly_connected(n, child, parent, left)
        component_of = {}
        for number, members in enumerate(components):
            for member in members:
                component_of[member] = number
            if len(members) > 1:
                cycles.append(tuple(sorted(int(nodes[m]) for m in members)))
        inside = np.array(
            [component_of.get(c, -1) == component_of.get(p, -2) for c, p in zip(child.tolist(), parent.tolist())], dtype=bool
        )
        cycle_pairs = {(int(nodes[c]), int(nodes[p])) for c, p in zip(child[inside].tolist(), parent[inside].tolist())}
        levels, left = _kahn(n, child[~inside], parent[~inside])
        assert not left, "the graph without its cycle edges is acyclic"
    return LineageOrder(nodes=nodes, levels=np.asarray(levels, dtype=np.int32), cycle_edges=frozenset(cycle_pairs), cycles=tuple(cycles))


def _kahn(n: int, child: np.ndarray, parent: np.ndarray) -> tuple[list[int], set[int]]:
    """Longest-path levels by Kahn's algorithm; returns (levels, nodes never freed: on or after a cycle)."""
    indegree = np.bincount(child, minlength=n).tolist()
    by_parent = np.argsort(parent, kind="stable")
    kids = child[by_parent].tolist()
    starts = np.searchsorted(parent[by_parent], np.arange(n + 1)).tolist()
    level = [0] * n
    queue = deque(i for i in range(n) if indegree[i] == 0)
    while queue:
        node = queue.popleft()
        next_level = level[node] + 1
        for kid in kids[starts[node] : starts[node + 1]]:
            if level[kid] < next_level:
                level[kid] = next_level
            indegree[kid] -= 1
            if indegree[kid] == 0:
                queue.append(kid)
    return level, {i for i in range(n) if indegree[i] > 0}


def _strongly_connected(n: int, child: np.ndarray, parent: np.ndarray, among: set[int]) -> list[list[int]]:
    """Tarjan's components of the subgraph on `among` (iterative: no recursion limit)."""
    adjacency: dict[int, list[int]] = {}
    for c, p in zip(child.tolist(), parent.tolist()):
        if c in among and p in among:
            adjacency.setdefault(c, []).append(p)
    index: dict[int, int] = {}
    low: dict[int, int] = {}
    on_stack: set[int] = set()
    stack: list[int] = []
    components: list[list[int]] = []
    counter = 0
    for root in sorted(among):
        if root in index:
            continue
        work = [(root, 0)]
        while work:
            node, i = work.pop()
            if i == 0:
                index[node] = low[node] = counter
                counter += 1
                stack.append(node)
                on_stack.add(node)
            edges = adjacency.get(node, ())
            if i < len(edges):
                work.append((node, i + 1))
                nxt = edges[i]
                if nxt not in index:
                    work.append((nxt, 0))
                elif nxt in on_stack:
                    low[node] = min(low[node], index[nxt])
                continue
            if work:
                caller = work[-1][0]
                low[caller] = min(low[caller], low[node])
            if low[node] == index[node]:
                members = []
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    members.append(member)
                    if member == node:
                        break
                components.append(members)
    return components
