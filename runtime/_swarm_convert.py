"""Pure reading of Swarm JSON (`GET /services/{id}`, `GET /tasks`) into `runtime.types`.

Used only by `runtime.swarm_driver`. A service is shown as one container would be: its state
says whether its desired tasks run (`running`), were never started (`created`: 0 replicas and
no task yet), were stopped or finished (`exited`, with the last task's exit code), are being
brought up (`starting`) or again after a failure (`restarting`). Each task is kept too
(ContainerInfo.tasks), newest first (lost ones first of all: `shown_first`), so status can
show where each runs and why one failed.
"""

from __future__ import annotations

from typing import Any

from dockform.runtime._docker_convert import as_dict, str_dict
from dockform.runtime._swarm_spec import REPLICAS_LABEL
from dockform.runtime.types import ContainerInfo, ContainerSummary, PortBinding, TaskInfo

JSON = dict[str, Any]

# Task states before its container runs, and those it never leaves.
_COMING_UP = frozenset(
    {"new", "allocated", "pending", "assigned", "accepted", "preparing", "ready", "starting"}
)
_FAILED = frozenset({"failed", "rejected", "orphaned"})


def is_job(service: JSON) -> bool:
    """Whether the service is a `replicated-job` (a Job's: started at creation, not scaled)."""
    return "ReplicatedJob" in as_dict(as_dict(service.get("Spec")).get("Mode"))


def replicas(service: JSON) -> int:
    """The service's replica count now (0 once stopped; a job's one task counts as 1)."""
    mode = as_dict(as_dict(service.get("Spec")).get("Mode"))
    if "ReplicatedJob" in mode:
        return 1
    return int(as_dict(mode.get("Replicated")).get("Replicas") or 0)


def started_replicas(service: JSON) -> int:
    """What `start` scales the service to: the count it was created for (at least 1)."""
    labels = str_dict(as_dict(service.get("Spec")).get("Labels"))
    text = labels.get(REPLICAS_LABEL, "1")
    return max(int(text), 1) if text.isdigit() else 1


def newest_first(tasks: list[JSON]) -> list[JSON]:
    return sorted(tasks, key=lambda task: str(task.get("CreatedAt") or ""), reverse=True)


def shown_first(tasks: list[JSON]) -> list[JSON]:
    """Newest first, but tasks Swarm shut down that still run as far as it knows come before
    the rest: their node never said they stopped (it is down, or they are stopping), so a
    status that shows only the first few still says where the lost ones were."""
    return sorted(
        newest_first(tasks),
        key=lambda task: not (_state(task) == "running" and task.get("DesiredState") == "shutdown"),
    )


def _state(task: JSON) -> str:
    return str(as_dict(task.get("Status")).get("State") or "")


def _exit_code(task: JSON) -> int | None:
    status = as_dict(as_dict(task.get("Status")).get("ContainerStatus"))
    code = status.get("ExitCode")
    return int(code) if isinstance(code, int) else None


# What Swarm wants of a task it keeps: running (a service's), or complete (a job's).
_KEPT = frozenset({"running", "complete"})


def running_tasks(tasks: list[JSON]) -> list[JSON]:
    return [
        task
        for task in newest_first(tasks)
        if _state(task) == "running" and task.get("DesiredState") in _KEPT
    ]


def service_state(service: JSON, tasks: list[JSON]) -> str:
    wanted = replicas(service)
    ordered = newest_first(tasks)
    if is_job(service) and not ordered:
        return "starting"  # a job runs from its creation on; its task is not made yet
    if wanted == 0:
        return "exited" if ordered else "created"
    if len(running_tasks(tasks)) >= wanted:
        return "running"
    active = [task for task in ordered if task.get("DesiredState") in _KEPT]
    if not active or all(_state(task) in ("complete", *_FAILED) for task in active):
        # Swarm brings none up again: the restart condition said no (a finished one-shot).
        return "exited" if ordered else "created"
    if any(_state(task) in _FAILED for task in ordered):
        return "restarting"
    return "starting"


def task_info(task: JSON, node_names: dict[str, str]) -> TaskInfo:
    status = as_dict(task.get("Status"))
    container = as_dict(status.get("ContainerStatus"))
    node_id = str(task.get("NodeID") or "")
    error = str(status.get("Err") or "") or None
    return TaskInfo(
        node=node_names.get(node_id, node_id),
        state=_state(task),
        desired_state=str(task.get("DesiredState") or ""),
        error=error,
        container_id=str(container.get("ContainerID") or "") or None,
        exit_code=_exit_code(task) if _state(task) not in ("running", *_COMING_UP) else None,
        labels=str_dict(as_dict(as_dict(task.get("Spec")).get("ContainerSpec")).get("Labels")),
    )


def _ports(service: JSON) -> tuple[PortBinding, ...]:
    endpoint = as_dict(service.get("Endpoint"))
    ports = endpoint.get("Ports") or as_dict(endpoint.get("Spec")).get("Ports") or []
    return tuple(
        PortBinding(
            container_port=int(port.get("TargetPort") or 0),
            protocol=str(port.get("Protocol") or "tcp"),
            # Swarm publishes on every address of the node, whichever the mode.
            host_ip="0.0.0.0",
            host_port=int(port["PublishedPort"]) if port.get("PublishedPort") else None,
        )
        for port in ports
    )


def _addresses(task: JSON | None) -> dict[str, str]:
    """Network name -> the task's address on it (ingress left out)."""
    found: dict[str, str] = {}
    for attachment in (task or {}).get("NetworksAttachments") or []:
        network_spec = as_dict(as_dict(attachment.get("Network")).get("Spec"))
        if network_spec.get("Ingress"):
            continue
        addresses = attachment.get("Addresses") or [""]
        found[str(network_spec.get("Name") or "")] = str(addresses[0]).split("/")[0]
    return found


def spec_networks(service: JSON) -> list[str]:
    """The network ids (or names) the service's tasks join."""
    template = as_dict(as_dict(service.get("Spec")).get("TaskTemplate"))
    return [str(as_dict(entry).get("Target") or "") for entry in template.get("Networks") or []]


def service_info(
    service: JSON,
    tasks: list[JSON],
    network_names: dict[str, str],
    node_names: dict[str, str],
    health: str | None,
) -> ContainerInfo:
    """A ContainerInfo for `service`: `tasks` are its tasks, `network_names` the names of the
    networks its spec joins (by id), `health` that of its newest running task's container."""
    spec = as_dict(service.get("Spec"))
    container_spec = as_dict(as_dict(spec.get("TaskTemplate")).get("ContainerSpec"))
    ordered = newest_first(tasks)
    state = service_state(service, tasks)
    running = running_tasks(tasks)
    last = ordered[0] if ordered else None
    networks = {
        network_names.get(target, target): "" for target in spec_networks(service) if target
    }
    networks.update(_addresses(running[0] if running else None))
    failures = sum(1 for task in ordered if _state(task) in _FAILED)
    update_status = as_dict(service.get("UpdateStatus"))
    exit_code = _exit_code(last) if last is not None and state != "running" else None
    return ContainerInfo(
        id=str(service["ID"]),
        name=str(spec.get("Name") or ""),
        image_id=str(container_spec.get("Image") or "").split("@", 1)[0],
        labels=str_dict(spec.get("Labels")),
        state=state,
        health=health if state == "running" else None,
        restart_count=failures,
        exit_code=exit_code if exit_code is not None or state != "exited" else 0,
        started_at=str(as_dict(running[0].get("Status")).get("Timestamp")) if running else None,
        finished_at=str(as_dict(last.get("Status")).get("Timestamp"))
        if last is not None and state == "exited"
        else None,
        networks=networks,
        replicas=None if is_job(service) else replicas(service),
        running_replicas=len(running),
        rollout_state=str(update_status.get("State") or "") or None,
        rollout_message=str(update_status.get("Message") or "") or None,
        ports=_ports(service),
        tasks=tuple(task_info(task, node_names) for task in shown_first(tasks)),
    )


def service_summary(service: JSON, tasks: list[JSON]) -> ContainerSummary:
    spec = as_dict(service.get("Spec"))
    return ContainerSummary(
        id=str(service["ID"]),
        name=str(spec.get("Name") or ""),
        labels=str_dict(spec.get("Labels")),
        state=service_state(service, tasks),
    )


def content_ids(service: JSON) -> set[str]:
    """The secrets and configs the service's spec and its previous spec (what a rollback
    returns to) give their tasks."""
    found: set[str] = set()
    for spec_key in ("Spec", "PreviousSpec"):
        template = as_dict(as_dict(service.get(spec_key)).get("TaskTemplate"))
        container = as_dict(template.get("ContainerSpec"))
        for key, id_key in (("Secrets", "SecretID"), ("Configs", "ConfigID")):
            found.update(
                str(ref.get(id_key)) for ref in container.get(key) or [] if ref.get(id_key)
            )
    return found
