"""Dependency cycles between Containers and Jobs: a pure function over the desired graph.

A Container's or Job's `dependsOn` names the Containers and Jobs it waits for (`kind`,
default Container); a cycle (one that depends on itself, or a -> b -> a, across kinds: a
Container waiting for a Job that waits for it) would wait forever. The store's Applier builds
the graph of everything desired after an apply (the applied set together with what is already
stored) inside the apply transaction and refuses the apply when `find_cycle` finds a cycle
through an applied object, so every source (API, watched directories, git) is refused the same way.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Hashable, Iterable, Mapping, Sequence
from typing import Any, TypeVar

from dockform.manifests.kinds import Kind
from dockform.manifests.namespaces import DEFAULT_NAMESPACE, ObjectKey

Node = TypeVar("Node", bound=Hashable)
Key = ObjectKey


# The kinds whose spec has `dependsOn`.
DEPENDENT_KINDS: tuple[str, ...] = (Kind.CONTAINER.value, Kind.JOB.value)


def container_dependencies(
    kind: str, spec: Mapping[str, Any], namespace: str = DEFAULT_NAMESPACE
) -> list[Key]:
    """The keys a stored spec (camelCase, as `manifest_spec` writes it) depends on, in order:
    the object of each `dependsOn` entry in its own namespace, kind Container unless the entry
    says otherwise."""
    if kind not in DEPENDENT_KINDS:
        return []
    return [
        ObjectKey(str(item.get("kind", Kind.CONTAINER.value)), namespace, item["name"])
        for item in spec.get("dependsOn", ())
    ]


def find_cycle(graph: Mapping[Node, Sequence[Node]], through: Iterable[Node]) -> list[Node] | None:
    """The shortest cycle through the first node of `through` that lies on one, as
    `[a, b, ..., a]`; None when no node of `through` is on a cycle.

    Nodes missing from `graph` have no edges (a dependency on an object not yet there). Only
    cycles through `through` count: a cycle among other nodes was there before.
    """
    for start in through:
        cycle = _shortest_cycle(graph, start)
        if cycle is not None:
            return cycle
    return None


def _shortest_cycle(graph: Mapping[Node, Sequence[Node]], start: Node) -> list[Node] | None:
    # Breadth first from `start`: the first edge back to it closes the shortest cycle.
    parent: dict[Node, Node] = {}
    queue: deque[Node] = deque([start])
    seen = {start}
    while queue:
        node = queue.popleft()
        for target in graph.get(node, ()):
            if target == start:
                return [*_path(parent, start, node), start]
            if target in seen:
                continue
            seen.add(target)
            parent[target] = node
            queue.append(target)
    return None


def _path(parent: Mapping[Node, Node], start: Node, end: Node) -> list[Node]:
    path = [end]
    while path[-1] != start:
        path.append(parent[path[-1]])
    return path[::-1]


def describe_cycle(cycle: Sequence[Key]) -> str:
    """`dependency cycle: Container/a -> Container/b -> Container/a`."""
    return "dependency cycle: " + " -> ".join(str(key) for key in cycle)
