"""The swarm case's pure parts (issue 13): the services each peer is given are the same
services, node 1's answers are read alike for both, and the figures land in the results file,
the table and the verdicts. Its run needs root and a swarm of its own: `BENCH_SWARM=10
python -m bench --only swarm`."""

from __future__ import annotations

import itertools

import pytest
import yaml

from bench import report, suite
from bench.config import FULL, QUICK, with_swarm_override
from bench.engine import BENCH_LABEL, COMMAND, PEER_LABEL, RUN_ID, RUN_LABEL, STOP_GRACE_S
from bench.swarm_cluster import SwarmEnv, harness_id, parse_env
from bench.swarm_peers import (
    DOCKFORM,
    SERVICE_UPDATE,
    STACK,
    converge_result,
    dockform_converge_manifests,
    replicated_manifest,
    rolled_out,
    round_marker,
    running_services,
    service_create_args,
    service_update_args,
    stack_file,
    update_config,
    update_result,
)
from dockform.manifests.models import ContainerSpec

IMAGE = "10.231.2.254:5000/dockform-bench/busybox:swarm"


def test_the_stack_file_holds_the_services_dockform_is_given() -> None:
    document = stack_file(3, IMAGE)
    assert document["version"].startswith("3.")
    assert list(document["services"]) == ["s0", "s1", "s2"]
    # No overlay of the stack's own: `default` is Docker's bridge, which dockform's services use.
    assert document["networks"] == {"default": {"external": True, "name": "bridge"}}
    manifests = list(yaml.safe_load_all(dockform_converge_manifests(["a", "b", "c"], IMAGE)))
    assert len(manifests) == 3
    spec = ContainerSpec.model_validate(manifests[0]["spec"])
    for service in document["services"].values():
        assert service["image"] == spec.image == IMAGE
        assert service["command"] == spec.command == list(COMMAND)
        assert service["stop_grace_period"] == spec.stop_grace_period == f"{STOP_GRACE_S}s"
        assert service["deploy"]["replicas"] == 1 and spec.replicas is None
        assert service["deploy"]["restart_policy"] == {"condition": "any"}
        assert spec.restart_policy == "Always"
        # Labels on the service (deploy.labels) and on its task containers (labels).
        for labels in (service["labels"], service["deploy"]["labels"]):
            assert labels == {BENCH_LABEL: "1", RUN_LABEL: RUN_ID, PEER_LABEL: STACK}
    assert spec.labels == {PEER_LABEL: DOCKFORM}
    # Each service its own copy: yaml writes no anchors and aliases.
    assert "&id" not in yaml.safe_dump(document)


def test_the_rolled_service_is_the_same_for_dockform_and_docker_service_create() -> None:
    document = yaml.safe_load(replicated_manifest("bu1", IMAGE, 30, 6, 0))
    spec = ContainerSpec.model_validate(document["spec"])
    assert (spec.replicas, spec.update.parallelism, spec.env) == (30, 6, {"BENCH_ROUND": "0"})
    assert spec.update.order == "stop-first" and spec.update.monitor == "5s"
    args = service_create_args("bv1", IMAGE, 30, 6, 0)
    assert args[:3] == ["service", "create", "--detach"]
    assert args[-len(COMMAND) - 1 :] == [IMAGE, *COMMAND]
    pairs = dict(itertools.pairwise(args))  # each flag to the word after it
    assert pairs["--replicas"] == "30" and pairs["--update-parallelism"] == "6"
    assert pairs["--env"] == "BENCH_ROUND=0" and pairs["--restart-condition"] == "any"
    assert pairs["--stop-grace-period"] == spec.stop_grace_period
    for flag in ("--label", "--container-label"):
        given = [args[i + 1] for i, arg in enumerate(args) if arg == flag]
        assert given == [
            f"{BENCH_LABEL}=1",
            f"{RUN_LABEL}={RUN_ID}",
            f"{PEER_LABEL}=service_update",
        ]
    assert service_update_args("bv1", 6, 2) == [
        "service",
        "update",
        "--detach",
        "--env-add",
        "BENCH_ROUND=2",
        "--update-parallelism",
        "6",
        "bv1",
    ]
    assert round_marker(2) == "BENCH_ROUND=2"


def _task(service: str, state: str, env: list[str], desired: str = "running") -> dict[str, object]:
    return {
        "ServiceID": service,
        "DesiredState": desired,
        "Status": {"State": state},
        "Spec": {"ContainerSpec": {"Env": env}},
    }


def test_node_1_answers_are_read_alike_for_both_peers() -> None:
    services = [{"ID": "a"}, {"ID": "b"}, {"ID": "c"}]
    tasks = [
        _task("a", "running", []),
        _task("a", "running", []),  # two tasks of one service count once
        _task("b", "preparing", []),
        _task("c", "running", [], desired="shutdown"),
        _task("other", "running", []),
    ]
    assert running_services(services, tasks) == 1
    assert running_services(services, [*tasks, _task("b", "running", [])]) == 2
    rolling = [
        _task("a", "running", ["BENCH_ROUND=2"]),
        _task("a", "running", ["BENCH_ROUND=1"]),  # not updated yet
        _task("a", "starting", ["BENCH_ROUND=2"]),
        _task("a", "running", ["BENCH_ROUND=2"], desired="shutdown"),
        _task("b", "running", ["BENCH_ROUND=2"]),
    ]
    assert rolled_out(rolling, "a", "BENCH_ROUND=2") == 1
    config = {"Parallelism": 6, "Monitor": 5_000_000_000, "Order": "stop-first"}
    assert update_config({"Spec": {"UpdateConfig": config}}) == {
        "Monitor": 5_000_000_000,
        "Order": "stop-first",
        "Parallelism": 6,
    }
    assert update_config({"Spec": {}}) == {}


def test_the_harness_env_and_id() -> None:
    text = (
        "export DOCKER_HOST=unix:///run/dfs2/1.sock\n"
        "export DFSW_REGISTRY=10.231.2.254:5000\n"
        "export DFSW_NODES='unix:///run/dfs2/1.sock unix:///run/dfs2/2.sock "
        "unix:///run/dfs2/3.sock'\n"
    )
    assert parse_env(text) == SwarmEnv(
        "unix:///run/dfs2/1.sock",
        "10.231.2.254:5000",
        ("unix:///run/dfs2/1.sock", "unix:///run/dfs2/2.sock", "unix:///run/dfs2/3.sock"),
    )
    with pytest.raises(ValueError, match="DFSW_REGISTRY"):
        parse_env("export DOCKER_HOST=unix:///x\nexport DFSW_NODES=a\n")
    assert harness_id(None) == 2 and harness_id("5") == 5
    for refused in ("1", "10", "two"):
        with pytest.raises(ValueError, match="tests/swarm3"):
            harness_id(refused)


def test_the_case_is_the_full_run_s_and_sized_by_bench_swarm() -> None:
    assert "swarm" in suite.CASES
    assert QUICK.swarm_services == 0
    assert (FULL.swarm_services, FULL.swarm_replicas, FULL.swarm_parallelism) == (30, 30, 6)
    small = with_swarm_override(QUICK, "10")
    assert (small.swarm_services, small.swarm_replicas, small.swarm_parallelism) == (10, 10, 2)
    assert small.swarm_repeats == QUICK.swarm_repeats and small.converge_n == QUICK.converge_n
    assert with_swarm_override(FULL, "7,5").swarm_repeats == 5
    assert with_swarm_override(FULL, "7").swarm_parallelism == 2
    assert with_swarm_override(QUICK, None) is QUICK
    for wrong in ("ten", "0", "1,2,3"):
        with pytest.raises(SystemExit):
            with_swarm_override(QUICK, wrong)


def test_results_table_and_verdicts() -> None:
    converge = converge_result(
        10, {DOCKFORM: [5.0, 4.0, 6.0], STACK: [4.0, 5.0, 4.5]}, {DOCKFORM: [0.2], STACK: [1.0]}
    )
    assert (converge["dockform_s"], converge["stack_s"], converge["ratio"]) == (5.0, 4.5, 1.111)
    assert converge["samples_s"][STACK] == [4.0, 5.0, 4.5] and converge["repeats"] == 3
    assert converge["command_s"] == {DOCKFORM: 0.2, STACK: 1.0}
    update = update_result(
        10,
        2,
        {DOCKFORM: [10.0, 11.0], SERVICE_UPDATE: [11.0, 12.0]},
        {DOCKFORM: [0.1], SERVICE_UPDATE: [0.3]},
        {DOCKFORM: {"Parallelism": 2}, SERVICE_UPDATE: {"Parallelism": 2}},
    )
    assert (update["dockform_s"], update["service_update_s"], update["ratio"]) == (
        10.5,
        11.5,
        0.913,
    )
    results = {"swarm": {"nodes": 3, "converge": converge, "update": update}}
    verdicts = report.verdicts(results)
    assert verdicts["swarm.converge.dockform_s"] == {
        "target": "<= 1.05x docker stack deploy (4.73s)",
        "verdict": "misses",
    }
    assert verdicts["swarm.update.dockform_s"]["verdict"] == "meets"
    table = report.text_table(results)
    assert "swarm.converge.stack_s" in table and "swarm.update.service_update_s" in table
    unavailable = report.verdicts({"swarm": {"unavailable": "needs root"}})
    assert unavailable["swarm.converge.dockform_s"]["verdict"] == "n/a"
