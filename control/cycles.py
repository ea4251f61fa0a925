"""Cycles in a small directed graph (overflow targets between queues, sub-flow calls between flows)."""
from __future__ import annotations

from typing import Hashable, Iterator, Mapping, Sequence


def find_cycles(edges: Mapping[str, Sequence[tuple[Hashable, str]]]) -> Iterator[tuple[str, Hashable, list[str]]]:
    """Yield (node, edge label, cycle path) once per distinct cycle; ``edges[node]`` lists
    (label, target) pairs, the label telling the caller which rule or node closes the cycle."""
    state: dict[str, int] = {}   # 1: on the current path, 2: done
    reported: set[frozenset] = set()

    def visit(node: str, path: list[str]) -> Iterator[tuple[str, Hashable, list[str]]]:
        state[node] = 1
        for label, target in edges.get(node, ()):
            if state.get(target) == 1:
                cycle = path[path.index(target):] + [target]
                if frozenset(cycle) not in reported:
                    reported.add(frozenset(cycle))
                    yield node, label, cycle
            elif state.get(target) is None:
                yield from visit(target, path + [target])
        state[node] = 2

    for name in list(edges):
        if name not in state:
            yield from visit(name, [name])
