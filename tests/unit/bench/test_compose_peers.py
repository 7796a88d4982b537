"""bench.compose drives Compose v2 beside 1.29: the same services, a project and a peer label
of each version's own, and the same parallel limit for both."""

from __future__ import annotations

from pathlib import Path

import yaml

from bench import compose
from bench.engine import PEER_LABEL


def test_each_version_gets_the_same_services_under_its_own_peer_label(tmp_path: Path) -> None:
    v2 = compose.Compose(compose.PEER_V2, ("/bin/false",))
    projects = compose.projects(tmp_path, "dockform-bench-x", 3, "img:1", [v2, compose.v1()])
    assert list(projects) == ["compose_v2", "compose"]
    v2_file = yaml.safe_load(projects["compose_v2"].file.read_text())
    v1_file = yaml.safe_load(projects["compose"].file.read_text())
    assert "version" not in v2_file and v1_file["version"] == "2.4"
    assert list(v2_file["services"]) == list(v1_file["services"]) == ["s0", "s1", "s2"]
    for name, service in v2_file["services"].items():
        assert service["labels"][PEER_LABEL] == "compose_v2"
        other = v1_file["services"][name]
        assert other["labels"][PEER_LABEL] == "compose"
        assert {**service, "labels": None} == {**other, "labels": None}
    assert projects["compose_v2"].project == "dockform-bench-x-v2"
    assert projects["compose"].project == "dockform-bench-x"


def test_the_parallel_limit_is_above_twice_the_services() -> None:
    assert compose.parallel_limit(10) == 64
    assert compose.parallel_limit(100) == 400


def test_a_missing_compose_is_no_peer() -> None:
    assert compose.Compose(compose.PEER_V2, None).version() == "missing"
    assert all(peer.command is not None for peer in compose.peers())
