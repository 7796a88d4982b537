"""manifests.dependencies: the shortest cycle through an applied node, and its wording."""

from __future__ import annotations

from dockform.manifests.dependencies import container_dependencies, describe_cycle, find_cycle
from dockform.manifests.namespaces import key


def test_a_node_that_depends_on_itself_is_a_cycle() -> None:
    assert find_cycle({"a": ["a"]}, ["a"]) == ["a", "a"]


def test_two_and_three_node_cycles_start_at_the_first_applied_node() -> None:
    assert find_cycle({"a": ["b"], "b": ["a"]}, ["b", "a"]) == ["b", "a", "b"]
    assert find_cycle({"a": ["b"], "b": ["c"], "c": ["a"]}, ["a"]) == ["a", "b", "c", "a"]


def test_the_shortest_cycle_is_named() -> None:
    graph = {"a": ["b", "d"], "b": ["c"], "c": ["a"], "d": ["a"]}
    assert find_cycle(graph, ["a"]) == ["a", "d", "a"]


def test_no_cycle_in_chains_diamonds_and_missing_nodes() -> None:
    graph = {"a": ["b", "c"], "b": ["d"], "c": ["d"], "d": ["gone"]}
    assert find_cycle(graph, list(graph)) is None


def test_only_cycles_through_the_given_nodes_count() -> None:
    graph = {"new": ["x"], "x": ["y"], "y": ["x"]}
    assert find_cycle(graph, ["new"]) is None
    assert find_cycle(graph, ["new", "y"]) == ["y", "x", "y"]


def test_container_dependencies_read_a_stored_spec() -> None:
    spec = {"image": "busybox", "dependsOn": [{"name": "db", "condition": "Healthy"}]}
    assert container_dependencies("Container", spec) == [key("Container", "db")]
    assert container_dependencies("Container", {"image": "busybox"}) == []
    assert container_dependencies("Image", {"dependsOn": [{"name": "db"}]}) == []


def test_describe_cycle_golden() -> None:
    cycle = [key("Container", "a"), key("Container", "b"), key("Container", "a")]
    assert describe_cycle(cycle) == ("dependency cycle: Container/a -> Container/b -> Container/a")


def test_dependencies_name_their_kind_container_by_default() -> None:
    spec = {"dependsOn": [{"name": "db"}, {"name": "migrate", "kind": "Job"}]}
    assert container_dependencies("Job", spec) == [key("Container", "db"), key("Job", "migrate")]
    assert container_dependencies("Container", spec)[1] == key("Job", "migrate")
    # In the object's own namespace, whichever kind.
    assert container_dependencies("Job", spec, "shop") == [
        key("Container", "db", "shop"),
        key("Job", "migrate", "shop"),
    ]


def test_a_cycle_across_kinds_is_one_of_object_keys() -> None:
    """A Container and a Job of one name are two nodes; only a real circle is a cycle."""
    web, job, seed = (
        key("Container", "web", "shop"),
        key("Job", "seed", "shop"),
        key("Container", "seed", "shop"),
    )
    graph = {web: [job], seed: [web]}
    assert find_cycle(graph, [web, seed]) is None
    graph[job] = [web]
    cycle = find_cycle(graph, [web])
    assert cycle == [web, job, web]
    assert describe_cycle(cycle) == (
        "dependency cycle: Container/shop/web -> Job/shop/seed -> Container/shop/web"
    )
