"""`SwarmRuntime`: the `Runtime` interface on a Docker Swarm manager (docker-py's APIClient).

Beside `runtime.docker_driver.DockerRuntime`, whose connection, images, volumes and error
translation it shares (it is one, with the container and network calls made on Swarm's
objects). A Container is a replicated service named as its container would be:
`create_container` makes it with no replica (created, not started) and returns the service
id; `start_container` scales it to its replicas, `stop_container` to none, and
`restart_container` forces an update (new tasks); `remove_container` removes the service.
`inspect_container`/`list_containers` read services and their tasks
(`runtime._swarm_convert`). The ServiceSpec is built in `runtime._swarm_spec`. Networks are
attachable overlays; volumes named local volumes (of the node, the manager on one node).
Images are built by the Engine as on one host; with a `registry` (host:port), a built image
is also tagged `registry/ref` and pushed, and services run that ref.
Events: `service` create/update/remove come out as `container` events named by the service
(they carry no labels), task containers' events as they are (they carry the service's labels).
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from typing import Any

import docker.utils

from dockform.runtime import _swarm_convert as swarm
from dockform.runtime._docker_errors import translate_errors
from dockform.runtime._docker_streams import EVENT_TYPES, consume_pull
from dockform.runtime._docker_transport import engine_url, raise_for_status
from dockform.runtime._swarm_contents import SwarmContents
from dockform.runtime._swarm_spec import REPLICAS_LABEL, service_spec
from dockform.runtime.docker_driver import DockerRuntime
from dockform.runtime.errors import (
    InvalidRequest,
    ObjectNotFound,
    RuntimeFailure,
    RuntimeUnavailable,
)
from dockform.runtime.types import (
    KIND_LABEL,
    BuildRequest,
    BuildResult,
    ContainerCreate,
    ContainerInfo,
    ContainerSummary,
    NetworkCreate,
    RuntimeEvent,
    VolumeInfo,
)

# Service events as the container events the reconcilers map.
_SERVICE_ACTIONS = {"create": "create", "update": "update", "remove": "destroy"}
# How long start waits for the tasks to run, and remove for the task containers to go.
START_WAIT_S = 30.0
REMOVE_WAIT_S = 30.0
_POLL_S = 0.2
# The first API with `replicated-job` services; a Job there is one, else a plain service
# whose restart condition is none.
JOBS_API = (1, 41)
JOB_KIND = "Job"
SWARM_INIT_HINT = (
    "docker swarm init --advertise-addr <this host's address> (or join a swarm as a manager)"
)


def swarm_manager_refusal(info: dict[str, Any]) -> str:
    """Why an engine whose `GET /info` is `info` cannot serve the Swarm driver, or ""."""
    swarm_info = info.get("Swarm") or {}
    if swarm_info.get("ControlAvailable"):
        return ""
    state = swarm_info.get("LocalNodeState") or "inactive"
    if state == "active":
        return (
            "this Docker Engine is a Swarm worker, not a manager: run the daemon against a "
            "manager (--docker-host), or promote this node (docker node promote)"
        )
    return f"this Docker Engine is not in a swarm (state {state}): run {SWARM_INIT_HINT}"


class SwarmRuntime(DockerRuntime):
    """The Swarm driver. Thread-safe as its base. `registry` is host:port of a registry every
    node can pull from (None: images stay on the node that built them, enough on one node)."""

    # One service runs a request's replicas and rolls a changed spec out itself.
    replicates = True

    def __init__(self, *args: Any, registry: str | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._registry = registry.rstrip("/") if registry else None
        self._node_names: dict[str, str] = {}
        self._contents = SwarmContents(lambda: self._api)

    # --- engine

    def swarm_refusal(self) -> str:
        """Why this engine cannot serve Swarm (not a manager), or ""."""
        with translate_errors("read the engine's swarm state"):
            info = self._api.info()
        return swarm_manager_refusal(info)

    # --- services as containers

    def _post_json(self, path: str, body: dict[str, Any], params: dict[str, Any]) -> Any:
        api = self._api
        response = api.post(
            engine_url(api, path),
            params=params,
            data=json.dumps(body),
            headers={"Content-Type": "application/json"},
        )
        raise_for_status(response)
        with response:
            return response.json() if response.content else None

    def _service(self, name_or_id: str) -> dict[str, Any] | None:
        try:
            with translate_errors(f"inspect service {name_or_id}"):
                data = self._api.inspect_service(name_or_id)
        except ObjectNotFound:
            return None
        return dict(data)

    def _tasks(self, service_id: str) -> list[dict[str, Any]]:
        with translate_errors(f"list tasks of service {service_id}"):
            return list(self._api.tasks(filters={"service": service_id}))

    def _image_for(self, ref: str) -> str:
        """The ref a service runs: the registry's copy when this driver pushed one."""
        if self._registry is None or ref.startswith(f"{self._registry}/"):
            return ref
        pushed = f"{self._registry}/{ref}"
        return pushed if self.inspect_image(pushed) is not None else ref

    def list_containers(self, labels: dict[str, str] | None = None) -> list[ContainerSummary]:
        with translate_errors("list services"):
            services = self._api.services(
                filters={
                    "label": [f"{k}={v}" for k, v in sorted((self._scope(labels) or {}).items())]
                }
            )
            tasks = self._api.tasks() if services else []
        by_service: dict[str, list[dict[str, Any]]] = {}
        for task in tasks:
            by_service.setdefault(str(task.get("ServiceID")), []).append(task)
        found = [
            swarm.service_summary(service, by_service.get(str(service["ID"]), []))
            for service in services
        ]
        return sorted(found, key=lambda summary: (summary.name, summary.id))

    def inspect_container(self, name_or_id: str) -> ContainerInfo | None:
        service = self._service(name_or_id)
        if service is None:
            return None
        service_id = str(service["ID"])
        tasks = self._tasks(service_id)
        running = swarm.running_tasks(tasks)
        health = self._task_health(running[0]) if running else None
        return swarm.service_info(
            service, tasks, self._network_names(service), self._nodes(), health
        )

    def _task_health(self, task: dict[str, Any]) -> str | None:
        status = task.get("Status") or {}
        container_id = (status.get("ContainerStatus") or {}).get("ContainerID")
        if not container_id:
            return None
        # The task's container is visible on its own node only (the manager's, on one node).
        container = super().inspect_container(str(container_id))
        return container.health if container is not None else None

    def _network_names(self, service: dict[str, Any]) -> dict[str, str]:
        names: dict[str, str] = {}
        for target in swarm.spec_networks(service):
            network = self.inspect_network(target) if target else None
            if network is not None:
                names[target] = network.name
        return names

    def _nodes(self) -> dict[str, str]:
        if not self._node_names:
            try:
                with translate_errors("list swarm nodes"):
                    nodes = self._api.nodes()
            except RuntimeFailure:
                return {}
            self._node_names = {
                str(node["ID"]): str((node.get("Description") or {}).get("Hostname") or node["ID"])
                for node in nodes
            }
        return self._node_names

    def create_container(self, request: ContainerCreate) -> str:
        labels = self._labels(request.labels)
        spec = service_spec(
            request,
            labels,
            self._image_for(request.image),
            job=request.labels.get(KIND_LABEL) == JOB_KIND and self._speaks_jobs(),
            contents=self._contents.refs(request, labels),
            volumes=self._volumes(request),
        )
        with translate_errors(f"create service {request.name}"):
            created = self._post_json("/services/create", spec, {})
        return str(created["ID"])

    def _volumes(self, request: ContainerCreate) -> dict[str, VolumeInfo]:
        """The request's named volumes as this (the manager's) engine has them: their Volume
        made them here; other nodes make them from the service's mount with the same driver,
        options and labels."""
        found = {}
        for mount in request.mounts:
            if mount.type == "volume" and mount.source not in found:
                volume = self.inspect_volume(mount.source)
                if volume is not None:
                    found[mount.source] = volume
        return found

    def _speaks_jobs(self) -> bool:
        """Whether the engine's API has `replicated-job` services (1.41, Docker 20.10)."""
        major, _, minor = str(self._api.api_version).partition(".")
        return (int(major or 0), int(minor or 0)) >= JOBS_API

    def _update(self, name_or_id: str, action: str, change: Any) -> dict[str, Any]:
        """Apply `change(spec)` to the service's current spec (one retry on a version race)."""
        for attempt in (1, 2):
            service = self._service(name_or_id)
            if service is None:
                raise ObjectNotFound(f"{action}: no service {name_or_id}")
            spec = dict(service["Spec"])
            change(spec)
            try:
                with translate_errors(action):
                    self._post_json(
                        f"/services/{service['ID']}/update",
                        spec,
                        {"version": service["Version"]["Index"]},
                    )
                return service
            except RuntimeFailure as failure:
                if attempt == 2 or "update out of sequence" not in str(failure):
                    raise
        raise AssertionError("unreachable")

    def _scale(self, name_or_id: str, count: int, action: str) -> dict[str, Any]:
        def scale(spec: dict[str, Any]) -> None:
            spec["Mode"] = {"Replicated": {"Replicas": count}}

        return self._update(name_or_id, action, scale)

    def start_container(self, container_id: str) -> None:
        service = self._service(container_id)
        if service is None:
            raise ObjectNotFound(f"start service {container_id}: no such service")
        if swarm.is_job(service):
            # A job runs from its creation on; starting it is waiting for its task.
            self._wait_running(container_id, 1)
            return
        wanted = swarm.started_replicas(service)
        if swarm.replicas(service) != wanted:
            self._scale(container_id, wanted, f"start service {container_id}")
        self._wait_running(container_id, wanted)

    def _wait_running(self, name_or_id: str, wanted: int) -> None:
        """Until `wanted` tasks run, one fails, or START_WAIT_S pass: `docker start` returns
        once the process runs, and the reconciler reads the state right after."""
        deadline = time.monotonic() + START_WAIT_S
        service = self._service(name_or_id)
        if service is None:
            return
        while time.monotonic() < deadline:
            tasks = self._tasks(str(service["ID"]))
            if len(swarm.running_tasks(tasks)) >= wanted:
                return
            if swarm.service_state(service, tasks) in ("restarting", "exited"):
                return
            time.sleep(_POLL_S)

    def stop_container(self, container_id: str, timeout_s: int) -> None:
        job = self._service(container_id)
        if job is not None and swarm.is_job(job):
            # A job cannot be scaled; its task stops with the service's removal, which is
            # what follows a Job's stop (a replacement or a deletion).
            return
        service = self._scale(container_id, 0, f"stop service {container_id}")
        # Swarm stops the tasks in the background; `docker stop` returns once stopped.
        deadline = time.monotonic() + timeout_s + 10
        while time.monotonic() < deadline:
            if not swarm.running_tasks(self._tasks(str(service["ID"]))):
                return
            time.sleep(_POLL_S)

    def restart_container(self, container_id: str, timeout_s: int) -> None:
        def force(spec: dict[str, Any]) -> None:
            template = dict(spec.get("TaskTemplate") or {})
            template["ForceUpdate"] = int(template.get("ForceUpdate") or 0) + 1
            spec["TaskTemplate"] = template

        service = self._update(container_id, f"restart service {container_id}", force)
        self._wait_running(str(service["ID"]), max(swarm.replicas(service), 1))

    def update_container(self, container_id: str, request: ContainerCreate) -> None:
        """The service's spec replaced by `request`'s in place: Swarm rolls it out by its
        UpdateConfig (request.rollout). A stopped service stays stopped. Secrets and configs
        of Secret and Config files the update and the rollback spec no longer use go."""
        labels = self._labels(request.labels)
        contents = self._contents.refs(request, labels)
        volumes = self._volumes(request)

        def replace(spec: dict[str, Any]) -> None:
            stopped = not spec.get("Mode", {}).get("Replicated", {}).get("Replicas")
            job = "ReplicatedJob" in (spec.get("Mode") or {})
            wanted = service_spec(
                request,
                labels,
                self._image_for(request.image),
                0 if stopped else request.replicas,
                job=job,
                contents=contents,
                volumes=volumes,
            )
            if job:
                wanted["Mode"] = spec["Mode"]
            spec.clear()
            spec.update(wanted)

        service = self._update(container_id, f"update service {container_id}", replace)
        self._contents.sweep(str(service["Spec"]["Name"]), self._service(str(service["ID"])))

    def scale_container(self, container_id: str, replicas: int) -> None:
        def scale(spec: dict[str, Any]) -> None:
            spec["Mode"] = {"Replicated": {"Replicas": replicas}}
            # What a later start (after a stop) scales back to.
            spec["Labels"] = {**(spec.get("Labels") or {}), REPLICAS_LABEL: str(replicas)}

        self._update(container_id, f"scale service {container_id} to {replicas}", scale)

    def rename_container(self, container_id: str, new_name: str) -> None:
        raise InvalidRequest(
            f"rename service {container_id} to {new_name}: Swarm cannot rename a service "
            "(a start-first rollout of replicas is for --engine engine)"
        )

    def remove_container(self, container_id: str) -> None:
        service = self._service(container_id)
        if service is None:
            return
        service_id = str(service["ID"])
        try:
            with translate_errors(f"remove service {container_id}"):
                self._api.remove_service(service_id)
        except ObjectNotFound:
            return
        # The Engine's remove returns once the container is gone (its name, ports and
        # volumes free); Swarm's removes the tasks' containers afterwards.
        deadline = time.monotonic() + REMOVE_WAIT_S
        while time.monotonic() < deadline:
            with translate_errors(f"list containers of service {service_id}"):
                left = self._api.containers(
                    all=True, filters={"label": f"com.docker.swarm.service.id={service_id}"}
                )
            if not left:
                break
            time.sleep(_POLL_S)
        self._contents.sweep(str(service["Spec"]["Name"]), None)

    def container_logs(self, container_id: str, tail: int | None, follow: bool) -> Iterator[bytes]:
        with translate_errors(f"read logs of service {container_id}"):
            stream = self._api.service_logs(
                container_id,
                stdout=True,
                stderr=True,
                follow=follow,
                tail="all" if tail is None else tail,
            )
        return self._iterate_logs(container_id, stream)

    # --- networks

    def create_network(self, request: NetworkCreate) -> str:
        """An attachable overlay (services and plain containers may join it), swarm-scoped."""
        driver = "overlay" if request.driver in ("bridge", "overlay", "") else request.driver
        return self._create_network(request, driver, attachable=True, scope="swarm")

    def connect_network(
        self,
        network: str,
        container_id: str,
        aliases: tuple[str, ...],
        *,
        ipv4_address: str | None = None,
        ipv6_address: str | None = None,
    ) -> None:
        if ipv4_address or ipv6_address:
            raise InvalidRequest(
                f"connect service {container_id} to network {network}: Swarm services take no "
                "static address"
            )
        target = self.inspect_network(network)
        if target is None:
            raise ObjectNotFound(f"connect service {container_id}: no network {network}")

        def join(spec: dict[str, Any]) -> None:
            template = dict(spec.get("TaskTemplate") or {})
            joined = [dict(entry) for entry in template.get("Networks") or []]
            if any(entry.get("Target") in (target.id, target.name) for entry in joined):
                return
            joined.append({"Target": target.id, "Aliases": list(aliases)})
            template["Networks"] = joined
            spec["TaskTemplate"] = template

        self._update(container_id, f"connect service {container_id} to network {network}", join)

    def disconnect_network(self, network: str, container_id: str) -> None:
        target = self.inspect_network(network)
        service = self._service(container_id)
        if target is None or service is None:
            # A task container (a Network being deleted disconnects what it finds on it).
            super().disconnect_network(network, container_id)
            return

        def leave(spec: dict[str, Any]) -> None:
            template = dict(spec.get("TaskTemplate") or {})
            template["Networks"] = [
                entry
                for entry in template.get("Networks") or []
                if entry.get("Target") not in (target.id, target.name)
            ]
            spec["TaskTemplate"] = template

        self._update(container_id, f"disconnect service {container_id} from {network}", leave)

    # --- images

    def build_image(self, request: BuildRequest) -> BuildResult:
        built = super().build_image(request)
        if self._registry is not None:
            self.push_image(request.tag)
        return built

    def push_image(self, ref: str) -> str:
        """Tag `ref` as `registry/ref` and push it there; returns the registry ref."""
        if self._registry is None:
            raise InvalidRequest(f"push {ref}: this daemon has no --registry")
        pushed = f"{self._registry}/{ref}"
        self.tag_image(ref, pushed)
        repository, tag = docker.utils.parse_repository_tag(pushed)
        with translate_errors(f"push image {pushed}"):
            chunks = self._api.push(repository, tag=tag or "latest", stream=True, decode=True)
            consume_pull(chunks, pushed)
        return pushed

    # --- events

    def events(self, stop: threading.Event) -> Iterator[RuntimeEvent]:
        for event in self._engine_events(stop, (*EVENT_TYPES, "service")):
            if event.type == "service":
                action = _SERVICE_ACTIONS.get(event.action)
                if action is None:
                    continue
                # Service events carry only the name: the Container mapper finds its
                # resource by that (engine) name.
                name = event.labels.get("name", "")
                yield RuntimeEvent("container", action, event.id, {"name": name}, event.time_ns)
                continue
            if event.type == "container" and not self._in_scope(event.labels):
                continue
            yield event


def check_swarm(runtime: SwarmRuntime) -> None:
    """Raise RuntimeUnavailable when the engine cannot serve the Swarm driver, saying what to
    run."""
    refusal = runtime.swarm_refusal()
    if refusal:
        raise RuntimeUnavailable(f"--engine swarm: {refusal}")
