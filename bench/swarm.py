"""swarm: dockform on Docker Swarm against Docker's own tools (issue 13), on a three-node swarm
of the case's own (`bench.swarm_cluster`: `DFSW_ID=2 scripts/swarm3`, taken down at the end,
also on failure and Ctrl-C). The full run has it; `--quick` skips it unless BENCH_SWARM is set.

- converge: n services of one task each. dockform: `POST /v1/apply` of n Containers to a
  `dockform daemon --engine swarm` on node 1 with an empty store; peer: `docker stack deploy`
  of the equivalent compose file (`bench.swarm_peers`). Timed from the command until node 1's
  API shows all n services with a running task; every round starts from no service.
- update: one service of n replicas per peer, made once; each round changes its env and is
  timed until all n tasks run the new spec. dockform: an apply of the Container with
  `update: {parallelism: P}`; peer: `docker service update --env-add ... --update-parallelism P`.

Both peers run the same image, pushed to the harness's registry and pulled by every node
before the first round, through the same engine, timed by the same poll of node 1's API;
they alternate which goes first, and the figures are medians over the rounds.
"""

from __future__ import annotations

import os
import subprocess
import time
from typing import Any

import yaml

from bench.context import SETTLE_S, Context, rotations, say
from bench.daemon import BenchDaemon
from bench.engine import RUN_TAG
from bench.swarm_cluster import DOCKER_CLI, ID_ENV, Harness, harness_id
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


def run(context: Context) -> dict[str, Any]:
    if os.geteuid() != 0:
        return {"unavailable": "needs root: scripts/swarm3 makes network namespaces and dockerd"}
    harness = Harness(harness_id(os.environ.get(ID_ENV)), context.workdir / "swarm")
    daemon: BenchDaemon | None = None
    try:
        env = harness.up()
        say(f"swarm: {harness.name} up in {harness.up_s or 0:.1f}s, manager {env.docker_host}")
        image, image_id = harness.push_image()
        daemon = context.start_daemon(
            "daemon-swarm", "--engine", "swarm", "--docker-host", env.docker_host, instance="swarm"
        )
        converge = _converge(context, harness, daemon, image)
        update = _update(context, harness, daemon, image)
    finally:
        if daemon is not None:
            context.stop_daemon(daemon)
        harness.down()
    return {
        "nodes": len(env.nodes),
        "managers": 1,
        "converge": converge,
        "update": update,
        "harness": {
            "id": harness.instance_id,
            "up_s": round(harness.up_s or 0.0, 1),
            "registry": env.registry,
            "image": image,
            "image_id": image_id,
            "docker_cli": _cli_version(),
        },
    }


def _converge(
    context: Context, harness: Harness, daemon: BenchDaemon, image: str
) -> dict[str, Any]:
    count = context.sizes.swarm_services
    text = dockform_converge_manifests([f"bs{RUN_TAG}-{i}" for i in range(count)], image)
    stack = f"bk{RUN_TAG}"
    stack_path = harness.workdir / "docker-stack.yml"
    stack_path.parent.mkdir(parents=True, exist_ok=True)
    stack_path.write_text(yaml.safe_dump(stack_file(count, image), sort_keys=False))
    samples: dict[str, list[float]] = {DOCKFORM: [], STACK: []}
    command_s: dict[str, list[float]] = {DOCKFORM: [], STACK: []}

    def all_running(services: list[dict[str, Any]], tasks: list[dict[str, Any]]) -> bool:
        return len(services) == count and running_services(services, tasks) == count

    def measure(peer: str) -> float:
        started = time.monotonic()
        if peer == DOCKFORM:
            daemon.client.apply(text)
            command_s[peer].append(time.monotonic() - started)
        else:
            command_s[peer].append(harness.docker("stack", "deploy", "-c", str(stack_path), stack))
        return harness.poll(peer, all_running, f"{count} {peer} services running") - started

    def teardown(peer: str) -> None:
        if peer == DOCKFORM:
            daemon.delete_all()
        else:
            harness.remove_services(peer)  # what `docker stack rm` does; never timed
        harness.wait_gone(peer)
        time.sleep(SETTLE_S)

    repeats = context.sizes.swarm_repeats
    for repeat, order in enumerate(rotations(list(samples), repeats)):
        for peer in order:
            seconds = measure(peer)
            samples[peer].append(seconds)
            say(f"swarm converge {repeat + 1}/{repeats} {peer}: {seconds:.2f}s")
            teardown(peer)
    return converge_result(count, samples, command_s)


def _update(context: Context, harness: Harness, daemon: BenchDaemon, image: str) -> dict[str, Any]:
    replicas = context.sizes.swarm_replicas
    parallelism = context.sizes.swarm_parallelism
    names = {DOCKFORM: f"bu{RUN_TAG}", SERVICE_UPDATE: f"bv{RUN_TAG}"}

    def rolled(peer: str, round_number: int) -> float:
        marker = round_marker(round_number)

        def done(services: list[dict[str, Any]], tasks: list[dict[str, Any]]) -> bool:
            return len(services) == 1 and rolled_out(tasks, str(services[0]["ID"]), marker) == (
                replicas
            )

        return harness.poll(peer, done, f"{replicas} {peer} tasks with {marker}")

    def command(peer: str, round_number: int) -> float:
        if peer == DOCKFORM:
            started = time.monotonic()
            daemon.client.apply(
                replicated_manifest(names[peer], image, replicas, parallelism, round_number)
            )
            return time.monotonic() - started
        if round_number == 0:
            args = service_create_args(names[peer], image, replicas, parallelism, 0)
        else:
            args = service_update_args(names[peer], parallelism, round_number)
        return harness.docker(*args)

    samples: dict[str, list[float]] = {DOCKFORM: [], SERVICE_UPDATE: []}
    command_s: dict[str, list[float]] = {DOCKFORM: [], SERVICE_UPDATE: []}
    for peer in samples:
        command(peer, 0)
        rolled(peer, 0)
        _wait_rollout_settled(harness, peer)
    configs = {peer: update_config(harness.services(peer)[0]) for peer in samples}
    say(f"swarm update: {replicas} replicas per peer running")
    repeats = context.sizes.swarm_repeats
    for repeat, order in enumerate(rotations(list(samples), repeats)):
        round_number = repeat + 1
        for peer in order:
            started = time.monotonic()
            command_s[peer].append(command(peer, round_number))
            seconds = rolled(peer, round_number) - started
            samples[peer].append(seconds)
            say(f"swarm update {round_number}/{repeats} {peer}: {seconds:.2f}s")
            _wait_rollout_settled(harness, peer)
            time.sleep(SETTLE_S)
    daemon.delete_all()
    harness.remove_services(SERVICE_UPDATE)
    for peer in samples:
        harness.wait_gone(peer)
    return update_result(replicas, parallelism, samples, command_s, configs)


def _wait_rollout_settled(harness: Harness, peer: str, timeout_s: float = 120.0) -> None:
    """Never timed: until Swarm calls the peer's last update completed (it watches the new
    tasks for the monitor window, 5 s, after the last one runs), so that no rollout is still
    under way while the other peer is timed."""
    deadline = time.monotonic() + timeout_s
    while True:
        services = harness.services(peer)
        states = {
            str((service.get("UpdateStatus") or {}).get("State") or "completed")
            for service in services
        }
        if states <= {"completed"}:
            return
        if time.monotonic() > deadline:
            raise TimeoutError(f"{peer}: the service's update is still {states} after {timeout_s}s")
        time.sleep(0.2)


def _cli_version() -> str:
    try:
        answer = subprocess.run(
            [DOCKER_CLI, "--version"], capture_output=True, text=True, timeout=30
        )
    except OSError:
        return "missing"
    return answer.stdout.strip()
