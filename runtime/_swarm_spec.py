"""Pure translation of a `ContainerCreate` into a Swarm ServiceSpec (`POST /services/create`).

Used only by `runtime.swarm_driver`. The request is the one the container reconciler makes
for the Engine; here it becomes a replicated service whose task runs the same container:
labels on the service and on its task containers, entrypoint/command as Swarm's
Command/Args, Docker restart policy names as Swarm's conditions, limits as Resources.Limits,
networks with their aliases (resolved round-robin to the tasks, `endpoint_mode`), ports
published in `ingress` mode unless the port names a host address (then `host` mode: Swarm has
no host address of its own, see `publish_mode`).
Engine settings a service cannot carry (privileged, host PID/IPC, devices, static
addresses...) are refused with InvalidRequest naming the field, never dropped silently.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from dockform.runtime.errors import InvalidRequest
from dockform.runtime.types import ContainerCreate, Mount, VolumeInfo

JSON = dict[str, Any]

# The service label holding how many replicas `start_container` scales it back to: a service
# is created with none (created, not started, as the Engine's create is).
REPLICAS_LABEL = "io.dockform.swarm.replicas"
# On a secret or config the driver made from a Secret's or Config's file: the service it is for.
CONTENT_SERVICE_LABEL = "io.dockform.swarm.service"

RESTART_CONDITION = {
    "no": "none",
    "always": "any",
    "unless-stopped": "any",
    "on-failure": "on-failure",
}

# Host addresses that mean "every address": such a port is published through the ingress mesh.
_ANY_ADDRESS = frozenset({"", "0.0.0.0", "::"})

_NS = 1_000_000_000

# A Job's service: one task, run once to completion (Swarm's `replicated-job`, API 1.41+).
JOB_MODE = {"ReplicatedJob": {"MaxConcurrent": 1, "TotalCompletions": 1}}


def publish_mode(host_ip: str) -> str:
    """`ingress` for a port on every address; `host` for one naming an address (127.0.0.1,
    the manifests' default). Swarm cannot bind a host address: host mode publishes on every
    address of the node running the task, straight to the task's container (no mesh), which
    is also what answers on a dockerd run with --iptables=false (the mesh needs iptables)."""
    return "ingress" if host_ip in _ANY_ADDRESS else "host"


def _refusals(request: ContainerCreate) -> list[str]:
    asked = {
        "privileged": request.privileged,
        "hostPID": request.host_pid,
        "hostIPC": request.host_ipc,
        "devices": bool(request.devices),
        "gpus": bool(request.device_requests),
        "shmSize": request.shm_size_bytes is not None,
        "domainname": bool(request.domainname),
        "securityOpt": bool(request.security_opt),
        "oomScoreAdj": request.oom_score_adj is not None,
        "networks[].ipv4Address/ipv6Address": any(
            endpoint.ipv4_address or endpoint.ipv6_address for endpoint in request.network_endpoints
        ),
    }
    return [name for name, wanted in asked.items() if wanted]


def _mount(mount: Mount, volume: VolumeInfo | None = None) -> JSON:
    """A mount of the task; `volume` is the named volume as the manager has it (made by its
    Volume): a node that runs a task without it makes it with the same driver, options and
    labels."""
    spec: JSON = {
        "Type": mount.type,
        "Target": mount.target,
        "ReadOnly": mount.read_only,
    }
    if mount.type != "tmpfs":
        spec["Source"] = mount.source
    if mount.type == "volume" and volume is not None:
        spec["VolumeOptions"] = {
            "Labels": dict(volume.labels),
            "DriverConfig": {"Name": volume.driver, "Options": dict(volume.driver_opts)},
        }
    if mount.type == "bind" and mount.propagation:
        spec["BindOptions"] = {"Propagation": mount.propagation}
    if mount.type == "tmpfs":
        tmpfs = {"SizeBytes": mount.tmpfs_size_bytes, "Mode": mount.tmpfs_mode}
        spec["TmpfsOptions"] = {key: value for key, value in tmpfs.items() if value is not None}
    return spec


@dataclass(frozen=True)
class ContentRef:
    """A Swarm secret or config the driver made from a Secret's or Config's file (a mount
    with `content`), as the service's tasks get it: a file at `target` with its owner and
    mode. Swarm hands it to whichever node runs a task; a bind of the file would exist on
    the manager only."""

    kind: str  # "secret" | "config"
    object_id: str
    name: str
    target: str
    uid: int
    gid: int
    mode: int


_SWARM_NAME_MAX = 64
_NOT_NAME = re.compile(r"[^a-zA-Z0-9_.-]")


def content_name(service: str, source: str, digest: str) -> str:
    """The name of the secret or config holding the file at `source` for `service`: the
    file's name and its content's digest, so new content is a new object (Swarm's secrets and
    configs cannot change) and a rollback finds the previous one still there. Within Swarm's
    64 characters, starting and ending with a letter or digit."""
    suffix = f".{digest[:12]}"
    stem = _NOT_NAME.sub("-", f"{service}.{source.rsplit('/', 1)[-1]}")
    stem = stem[: _SWARM_NAME_MAX - len(suffix)].strip("-_.")
    return f"{stem or 'content'}{suffix}"


def _content_refs(contents: Sequence[ContentRef]) -> JSON:
    """ContainerSpec.Secrets and .Configs for the refs."""
    listed: JSON = {}
    for ref in contents:
        key, id_key, name_key = (
            ("Secrets", "SecretID", "SecretName")
            if ref.kind == "secret"
            else ("Configs", "ConfigID", "ConfigName")
        )
        listed.setdefault(key, []).append(
            {
                "File": {
                    "Name": ref.target,
                    "UID": str(ref.uid),
                    "GID": str(ref.gid),
                    "Mode": ref.mode,
                },
                id_key: ref.object_id,
                name_key: ref.name,
            }
        )
    return listed


def _mounts(request: ContainerCreate, volumes: Mapping[str, VolumeInfo]) -> list[JSON]:
    mounts = [
        _mount(mount, volumes.get(mount.source) if mount.type == "volume" else None)
        for mount in request.mounts
        if mount.content is None
    ]
    # `tmpfs: {path: options}`: Swarm's tmpfs mounts take a size and mode, not option text.
    mounts += [{"Type": "tmpfs", "Target": path} for path in sorted(request.tmpfs)]
    return mounts


def _healthcheck(request: ContainerCreate) -> JSON | None:
    check = request.healthcheck
    if check is None:
        return None
    return {
        "Test": list(check.test),
        "Interval": check.interval_ns,
        "Timeout": check.timeout_ns,
        "Retries": check.retries,
        "StartPeriod": check.start_period_ns,
    }


def _hosts(extra_hosts: tuple[str, ...]) -> list[str]:
    """Engine `host:ip` entries as Swarm's /etc/hosts lines, `ip host`."""
    lines = []
    for entry in extra_hosts:
        host, _, address = entry.partition(":")
        lines.append(f"{address} {host}")
    return lines


def container_spec(
    request: ContainerCreate,
    labels: dict[str, str],
    contents: Sequence[ContentRef] = (),
    volumes: Mapping[str, VolumeInfo] | None = None,
) -> JSON:
    """The task's ContainerSpec; the request's Secret and Config files are `contents`, its
    named volumes as the manager has them `volumes` (by name)."""
    spec: JSON = {
        "Image": request.image,
        "Labels": labels,
        "Env": [f"{key}={value}" for key, value in sorted(request.env.items())],
        "Mounts": _mounts(request, volumes or {}),
        **_content_refs(contents),
    }
    # Swarm's Command replaces the image's ENTRYPOINT and Args its CMD, as `docker run
    # --entrypoint E image ARGS` does.
    if request.entrypoint is not None:
        spec["Command"] = list(request.entrypoint)
    if request.command is not None:
        spec["Args"] = list(request.command)
    optional: JSON = {
        "Dir": request.working_dir,
        "User": request.user,
        "Hostname": request.hostname,
        "Healthcheck": _healthcheck(request),
        "StopGracePeriod": request.stop_timeout_s * _NS
        if request.stop_timeout_s is not None
        else None,
        "StopSignal": request.stop_signal,
        "ReadOnly": request.read_only or None,
        "Init": request.init,
        "CapabilityAdd": list(request.cap_add) or None,
        "CapabilityDrop": list(request.cap_drop) or None,
        "Ulimits": [
            {"Name": limit.name, "Soft": limit.soft, "Hard": limit.hard}
            for limit in request.ulimits
        ]
        or None,
        "Sysctls": dict(request.sysctls) or None,
        "Groups": list(request.group_add) or None,
        "Hosts": _hosts(request.extra_hosts) or None,
    }
    if request.dns or request.dns_search or request.dns_options:
        optional["DNSConfig"] = {
            "Nameservers": list(request.dns),
            "Search": list(request.dns_search),
            "Options": list(request.dns_options),
        }
    spec.update({key: value for key, value in optional.items() if value is not None})
    return spec


def network_attachments(request: ContainerCreate) -> list[JSON]:
    """TaskTemplate.Networks: each network with the container's aliases on it (its own name,
    the request's aliases, the network's own), or the host network alone."""
    if request.host_network:
        return [{"Target": "host"}]
    attachments = []
    for network in request.networks:
        own = request.endpoint(network).aliases
        aliases = list(dict.fromkeys((request.name, *request.network_aliases, *own)))
        attachments.append({"Target": network, "Aliases": aliases})
    return attachments


def endpoint_spec(request: ContainerCreate) -> JSON:
    ports = []
    for port in request.ports:
        entry: JSON = {
            "Protocol": port.protocol,
            "TargetPort": port.container_port,
            "PublishMode": publish_mode(port.host_ip),
        }
        if port.host_port is not None:
            entry["PublishedPort"] = port.host_port
        ports.append(entry)
    return {"Mode": endpoint_mode(request), "Ports": ports}


def endpoint_mode(request: ContainerCreate) -> str:
    """`dnsrr` (the name and aliases resolve to the tasks' own addresses, as a container's
    do) unless a port goes through the ingress mesh, which needs `vip`. A virtual IP is
    served by IPVS rules that a dockerd run with --iptables=false never sets up: there, names
    resolve but connections to the VIP go nowhere."""
    if any(publish_mode(port.host_ip) == "ingress" for port in request.ports):
        return "vip"
    return "dnsrr"


def service_spec(
    request: ContainerCreate,
    labels: dict[str, str],
    image: str,
    replicas: int = 0,
    *,
    job: bool = False,
    contents: Sequence[ContentRef] = (),
    volumes: Mapping[str, VolumeInfo] | None = None,
) -> JSON:
    """The ServiceSpec for `request`: `labels` (the request's plus the driver's) on the service
    and its task containers, `image` as the task's image (a registry ref when the driver pushes
    there), `replicas` tasks (0: created, not started), or, for a `job`, a `replicated-job`
    (API 1.41+) that runs one task to completion, from its creation on. The request's Secret
    and Config files are the secrets and configs `contents`. Raises InvalidRequest for
    settings a Swarm service has no place for."""
    refused = _refusals(request)
    if refused:
        raise InvalidRequest(
            f"create service {request.name}: Swarm services have no {', '.join(refused)}; "
            "remove them from the Container's spec, or run the daemon with --engine engine"
        )
    task: JSON = {
        "ContainerSpec": container_spec(request, labels, contents, volumes) | {"Image": image},
        "RestartPolicy": {
            "Condition": RESTART_CONDITION.get(request.restart_policy, "any"),
            "MaxAttempts": 0,
        },
        "Networks": network_attachments(request),
        "ForceUpdate": 0,
    }
    limits: JSON = {}
    if request.nano_cpus is not None:
        limits["NanoCPUs"] = request.nano_cpus
    if request.memory_bytes is not None:
        limits["MemoryBytes"] = request.memory_bytes
    if request.pids_limit is not None:
        limits["Pids"] = request.pids_limit
    if limits:
        task["Resources"] = {"Limits": limits}
    if request.log_driver is not None:
        task["LogDriver"] = {"Name": request.log_driver, "Options": dict(request.log_options)}
    placement: JSON = {}
    if request.platform:
        os_name, _, architecture = request.platform.partition("/")
        placement["Platforms"] = [{"OS": os_name, "Architecture": architecture}]
    if request.placement is not None:
        if request.placement.constraints:
            placement["Constraints"] = list(request.placement.constraints)
        if request.placement.spread:
            placement["Preferences"] = [
                {"Spread": {"SpreadDescriptor": label}} for label in request.placement.spread
            ]
    if placement:
        task["Placement"] = placement
    spec: JSON = {
        "Name": request.name,
        "Labels": {**labels, REPLICAS_LABEL: str(request.replicas)},
        "TaskTemplate": task,
        "Mode": JOB_MODE if job else {"Replicated": {"Replicas": replicas}},
        "EndpointSpec": endpoint_spec(request),
    }
    if request.rollout is not None:
        rollout = request.rollout
        spec["UpdateConfig"] = {
            "Parallelism": rollout.parallelism,
            "Delay": rollout.delay_ns,
            "FailureAction": rollout.failure_action,
            "Monitor": rollout.monitor_ns,
            "Order": rollout.order,
        }
    return spec
