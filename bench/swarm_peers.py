"""What the swarm case sends and how it reads the answer, as pure functions (no I/O).

The same services three ways: dockform Container manifests, the compose file `docker stack
deploy` reads, and the `docker service create`/`update` command lines. Each runs the bench's
busybox image from the harness's registry, the bench's command, restart condition `any` and
stop grace, on Docker's default `bridge` (dockform's services name no network, and the
stack's `default` network is declared as the external `bridge`, so neither makes an overlay
the other lacks). Every service and task container carries the run's labels and its peer's.

`running_services` and `rolled_out` read `GET /services` and `GET /tasks` of node 1, the one
probe both peers are timed by; `converge_result` and `update_result` shape the samples for the
results file.
"""

from __future__ import annotations

import copy
from collections.abc import Mapping, Sequence
from typing import Any

import yaml

from bench.daemon import container_document
from bench.engine import COMMAND, STOP_GRACE_S, run_labels
from bench.stats import median, rounded

DOCKFORM = "dockform"
STACK = "stack"  # `docker stack deploy`
SERVICE_UPDATE = "service_update"  # `docker service create` once, then `docker service update`
ROUND_ENV = "BENCH_ROUND"
STACK_FILE_VERSION = "3.8"


# --- what each peer is given -------------------------------------------------------------------


def dockform_converge_manifests(names: Sequence[str], image: str) -> str:
    """n Container manifests, one service of one task each on Swarm."""
    return yaml.safe_dump_all(
        [container_document(name, image, peer=DOCKFORM) for name in names], sort_keys=False
    )


def stack_file(count: int, image: str) -> dict[str, Any]:
    """The compose file of n services `s0..s<n-1>` for `docker stack deploy`: the services the
    dockform manifests make (labels on the service and on its containers, as dockform puts
    them on both)."""
    labels = run_labels(STACK)
    service: dict[str, Any] = {
        "image": image,
        "command": list(COMMAND),
        "stop_grace_period": f"{STOP_GRACE_S}s",
        "labels": dict(labels),
        "deploy": {
            "replicas": 1,
            "labels": dict(labels),
            "restart_policy": {"condition": "any"},
        },
    }
    return {
        "version": STACK_FILE_VERSION,
        "services": {f"s{index}": copy.deepcopy(service) for index in range(count)},
        # No `<stack>_default` overlay: the services join the node's bridge, as dockform's do.
        "networks": {"default": {"external": True, "name": "bridge"}},
    }


def replicated_manifest(
    name: str, image: str, replicas: int, parallelism: int, round_number: int
) -> str:
    """One Container of `replicas` tasks rolled out `parallelism` at a time; the round number
    in its env is what each update changes."""
    document = container_document(
        name,
        image,
        peer=DOCKFORM,
        extra_spec={
            "replicas": replicas,
            "env": {ROUND_ENV: str(round_number)},
            "update": {"parallelism": parallelism},
        },
    )
    return yaml.safe_dump(document, sort_keys=False)


def service_create_args(
    name: str, image: str, replicas: int, parallelism: int, round_number: int
) -> list[str]:
    """`docker service create` arguments (after `docker`) for the service `docker service
    update` rolls: the dockform Container's twin. Detached: the bench waits by its own probe."""
    labels = run_labels(SERVICE_UPDATE)
    args = [
        "service",
        "create",
        "--detach",
        "--name",
        name,
        "--replicas",
        str(replicas),
        "--env",
        f"{ROUND_ENV}={round_number}",
        "--update-parallelism",
        str(parallelism),
        "--restart-condition",
        "any",
        "--stop-grace-period",
        f"{STOP_GRACE_S}s",
    ]
    for key, value in labels.items():
        args += ["--label", f"{key}={value}", "--container-label", f"{key}={value}"]
    return [*args, image, *COMMAND]


def service_update_args(name: str, parallelism: int, round_number: int) -> list[str]:
    """`docker service update` of the env, `parallelism` tasks at a time. `--detach`: attached,
    the CLI returns only after Swarm's 5 s monitor window; the bench's probe ends the timing
    either way."""
    return [
        "service",
        "update",
        "--detach",
        "--env-add",
        f"{ROUND_ENV}={round_number}",
        "--update-parallelism",
        str(parallelism),
        name,
    ]


def round_marker(round_number: int) -> str:
    return f"{ROUND_ENV}={round_number}"


# --- reading node 1's answers ------------------------------------------------------------------


def _running(task: Mapping[str, Any]) -> bool:
    return (
        task.get("DesiredState") == "running"
        and (task.get("Status") or {}).get("State") == "running"
    )


def running_services(
    services: Sequence[Mapping[str, Any]], tasks: Sequence[Mapping[str, Any]]
) -> int:
    """How many of `services` have a task that runs (and is meant to)."""
    wanted = {str(service["ID"]) for service in services}
    return len({str(task.get("ServiceID")) for task in tasks if _running(task)} & wanted)


def rolled_out(tasks: Sequence[Mapping[str, Any]], service_id: str, marker: str) -> int:
    """How many tasks of the service run the spec whose env holds `marker` (a task of the
    previous spec that still runs is not counted: the rollout is done when this is n)."""
    count = 0
    for task in tasks:
        if str(task.get("ServiceID")) != service_id or not _running(task):
            continue
        env = ((task.get("Spec") or {}).get("ContainerSpec") or {}).get("Env") or []
        if marker in env:
            count += 1
    return count


def update_config(service: Mapping[str, Any]) -> dict[str, Any]:
    """A service's UpdateConfig as the results record it, to show both peers rolled alike."""
    config = dict((service.get("Spec") or {}).get("UpdateConfig") or {})
    return {key: config[key] for key in sorted(config)}


# --- results -----------------------------------------------------------------------------------


def _median(samples: Sequence[float]) -> float | None:
    return rounded(median(samples)) if samples else None


def _all(samples: Mapping[str, Sequence[float]]) -> dict[str, list[float | None]]:
    return {peer: [rounded(value) for value in values] for peer, values in samples.items()}


def ratio(dockform_s: float | None, peer_s: float | None) -> float | None:
    """dockform's median over the peer's (below 1: dockform is faster)."""
    if dockform_s is None or not peer_s:
        return None
    return round(dockform_s / peer_s, 3)


def converge_result(
    count: int,
    samples: Mapping[str, Sequence[float]],
    command_s: Mapping[str, Sequence[float]],
) -> dict[str, Any]:
    dockform_s = _median(samples.get(DOCKFORM, []))
    stack_s = _median(samples.get(STACK, []))
    return {
        "n": count,
        "dockform_s": dockform_s,
        "stack_s": stack_s,
        "ratio": ratio(dockform_s, stack_s),
        "repeats": len(samples.get(DOCKFORM, [])),
        "samples_s": _all(samples),
        "command_s": {peer: _median(values) for peer, values in command_s.items()},
        "method": (
            "median over repeats; each from the command (dockform: POST /v1/apply of n "
            "Containers to an idle daemon with an empty store, --engine swarm; stack: `docker "
            "stack deploy -c FILE` of the n equivalent services) until a poll of node 1's GET "
            "/services and GET /tasks (every 0.1 s, the same for both) sees all n services with "
            "a running task; peers alternate which goes first; every run starts from no service "
            "and no task container on any node; command_s is the command's own wall time"
        ),
    }


def update_result(
    replicas: int,
    parallelism: int,
    samples: Mapping[str, Sequence[float]],
    command_s: Mapping[str, Sequence[float]],
    configs: Mapping[str, Mapping[str, Any]],
) -> dict[str, Any]:
    dockform_s = _median(samples.get(DOCKFORM, []))
    peer_s = _median(samples.get(SERVICE_UPDATE, []))
    return {
        "replicas": replicas,
        "parallelism": parallelism,
        "dockform_s": dockform_s,
        "service_update_s": peer_s,
        "ratio": ratio(dockform_s, peer_s),
        "repeats": len(samples.get(DOCKFORM, [])),
        "samples_s": _all(samples),
        "command_s": {peer: _median(values) for peer, values in command_s.items()},
        "update_config": {peer: dict(config) for peer, config in configs.items()},
        "method": (
            "one service of n replicas per peer, made once before the rounds (dockform: a "
            "Container with replicas: n and update: {parallelism: P}; docker: `docker service "
            "create --replicas n --update-parallelism P`); each round changes its env "
            f"({ROUND_ENV}) and is timed from the command (dockform: POST /v1/apply of the "
            "changed Container; docker: `docker service update --detach --env-add ... "
            "--update-parallelism P`) until a poll of node 1's GET /tasks (every 0.1 s, the "
            "same for both) sees n running tasks of the new spec; peers alternate which goes "
            "first; update_config is each service's UpdateConfig as Swarm holds it"
        ),
    }
