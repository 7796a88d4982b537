"""Issue 17: converge and recreate are judged against the engine's floor (<= 1.05x), CPU per
container sits beside them, and the scale case has its own targets and a size override."""

from __future__ import annotations

import os
from types import SimpleNamespace

import pytest

from bench import cpu, report, scale
from bench.config import FULL, QUICK, with_scale_override
from dockform.api.client import ClientError
from dockform.manifests.composer import MAX_DOCUMENTS


def test_converge_and_recreate_are_judged_against_the_floor_alone() -> None:
    results = {
        "converge": {"n": 100, "dockform_s": 10.4, "floor_s": 10.0, "compose_s": 9.0},
        "recreate": {"n": 100, "dockform_s": 11.0, "floor_s": 10.0},
    }
    verdicts = report.verdicts(results)
    assert verdicts["converge.dockform_s"]["verdict"] == "meets"
    assert "1.05x floor (10.50s)" in verdicts["converge.dockform_s"]["target"]
    assert "compose" not in verdicts["converge.dockform_s"]["target"]
    assert verdicts["recreate.dockform_s"]["verdict"] == "misses"


def test_cpu_per_container_is_printed_beside_the_figures() -> None:
    samples = [
        {"dockform": 2.0, "dockerd": 6.0, "containerd": 1.0, "containerd_shims": 3.0},
        {"dockform": 4.0, "dockerd": 8.0, "containerd": 1.0, "containerd_shims": 3.0},
    ]
    per = cpu.per_container(samples, 100)
    assert per == {"dockform": 0.03, "dockerd": 0.07, "containerd": 0.01, "containerd_shims": 0.03}
    table = report.text_table({"converge": {"n": 100, "cpu_s_per_container": per}})
    assert "converge.cpu_s_per_container.dockerd" in table and "0.07 cpu s" in table


def test_this_process_cpu_is_read_from_proc() -> None:
    before = cpu.snapshot(os.getpid())
    sum(index * index for index in range(200_000))
    spent = cpu.spent(before, os.getpid())
    assert spent["dockform"] >= 0 and set(spent) >= {"dockerd", "containerd", "containerd_shims"}


def test_the_scale_case_has_targets_and_runs_in_the_full_run_only() -> None:
    assert FULL.scale_containers == 500 and FULL.scale_objects == 10_000
    assert QUICK.scale_containers == 0
    small = with_scale_override(QUICK, "30,500")
    assert (small.scale_containers, small.scale_objects, small.scale_apply_objects) == (
        30,
        500,
        250,
    )
    assert with_scale_override(QUICK, None) is QUICK
    with pytest.raises(SystemExit):
        with_scale_override(QUICK, "thirty")
    results = {
        "scale": {
            "containers": {
                "n": 500,
                "noop_s": 0.2,
                "noop_docker_events": 0,
                "idle_cpu_cores": 0.06,
                "idle_rss_mib": 200.0,
            },
            "store": {"objects": 10_000, "list_p99_ms": 150.0, "get_p99_ms": 30.0},
        }
    }
    verdicts = report.verdicts(results)
    assert verdicts["scale.containers.noop_s"]["verdict"] == "meets"
    assert verdicts["scale.containers.idle_cpu_cores"]["verdict"] == "misses"
    assert verdicts["scale.store.list_p99_ms"]["verdict"] == "meets"
    assert verdicts["scale.store.get_p99_ms"]["verdict"] == "misses"


class _Refusing:
    """A client that refuses bodies of more than MAX_DOCUMENTS documents, as the daemon does."""

    def __init__(self) -> None:
        self.bodies: list[int] = []

    def apply(self, text: str) -> dict[str, object]:
        documents = text.count("apiVersion:")
        if documents > MAX_DOCUMENTS:
            raise ClientError(422, f"1 problem(s)\n<request>:1: more than {MAX_DOCUMENTS} YAML")
        self.bodies.append(documents)
        return {"results": []}


def test_an_apply_refused_for_its_size_is_recorded_and_split() -> None:
    client = _Refusing()
    daemon = SimpleNamespace(client=client)
    seconds, refused = scale._apply_at_once(daemon, [f"big-{i:05d}" for i in range(2500)])  # type: ignore[arg-type]
    assert refused is not None and refused.startswith("422")
    assert client.bodies == [1000, 1000, 500] and seconds >= 0
