"""Pure conversions between Engine API JSON and the dataclasses of `runtime.types`.

Used only by `runtime.docker_driver`; kept apart so the JSON shapes (which fields the Engine
fills, which may be null) are read in one place and can be tested without a daemon.
"""

from __future__ import annotations

from typing import Any

from dockform.runtime.types import (
    ContainerInfo,
    ContainerSummary,
    ImageInfo,
    NetworkInfo,
    PortBinding,
    VolumeInfo,
)

# Go's zero time: the Engine reports it for "never started" / "never finished".
_ZERO_TIME_PREFIX = "0001-01-01"

# Networks every Engine has; Docker refuses network-scoped aliases on them.
PREDEFINED_NETWORKS = frozenset({"bridge", "host", "none", "default"})

_STOPPED_STATES = frozenset({"exited", "dead", "restarting"})

JSON = dict[str, Any]


def as_dict(value: Any) -> JSON:
    return value if isinstance(value, dict) else {}


def str_dict(value: Any) -> dict[str, str]:
    return {str(k): str(v) for k, v in as_dict(value).items()}


def _time_or_none(value: Any) -> str | None:
    if not value or str(value).startswith(_ZERO_TIME_PREFIX):
        return None
    return str(value)


def label_filters(labels: dict[str, str] | None) -> JSON:
    """The `filters` argument selecting objects that carry every label pair."""
    if not labels:
        return {}
    return {"label": [f"{key}={value}" for key, value in sorted(labels.items())]}


def parse_ports(ports: Any) -> tuple[PortBinding, ...]:
    """`NetworkSettings.Ports` ({"8080/tcp": [{"HostIp": ..., "HostPort": ...}] | null})."""
    bindings: list[PortBinding] = []
    for key, host_bindings in sorted(as_dict(ports).items()):
        port_text, _, protocol = str(key).partition("/")
        for binding in host_bindings or []:
            host_port = str(binding.get("HostPort") or "")
            bindings.append(
                PortBinding(
                    container_port=int(port_text),
                    protocol=protocol or "tcp",
                    host_ip=str(binding.get("HostIp") or ""),
                    host_port=int(host_port) if host_port.isdigit() else None,
                )
            )
    return tuple(bindings)


def container_info(data: JSON) -> ContainerInfo:
    """A ContainerInfo from `GET /containers/{id}/json`."""
    state = as_dict(data.get("State"))
    config = as_dict(data.get("Config"))
    settings = as_dict(data.get("NetworkSettings"))
    health = as_dict(state.get("Health")).get("Status")
    status = str(state.get("Status") or "unknown")
    return ContainerInfo(
        id=str(data["Id"]),
        name=str(data.get("Name") or "").lstrip("/"),
        image_id=str(data.get("Image") or ""),
        labels=str_dict(config.get("Labels")),
        state=status,
        health=str(health) if health else None,
        restart_count=int(data.get("RestartCount") or 0),
        # The Engine resets ExitCode to 0 on start; it means something only once stopped.
        exit_code=int(state.get("ExitCode") or 0) if status in _STOPPED_STATES else None,
        started_at=_time_or_none(state.get("StartedAt")),
        finished_at=_time_or_none(state.get("FinishedAt")),
        networks={
            str(name): str(as_dict(endpoint).get("IPAddress") or "")
            for name, endpoint in as_dict(settings.get("Networks")).items()
        },
        ports=parse_ports(settings.get("Ports")),
        error=str(state.get("Error") or "") or None,
    )


def container_summary(data: JSON) -> ContainerSummary:
    """A ContainerSummary from one entry of `GET /containers/json`."""
    names = [str(name).lstrip("/") for name in data.get("Names") or []]
    # A container linked from others is listed under those names too ("/web/db"); its own
    # name is the one without a slash.
    own = [name for name in names if "/" not in name]
    return ContainerSummary(
        id=str(data["Id"]),
        name=own[0] if own else (names[0] if names else ""),
        labels=str_dict(data.get("Labels")),
        state=str(data.get("State") or "unknown"),
    )


def image_info(data: JSON) -> ImageInfo:
    """An ImageInfo from `GET /images/{ref}/json` or one entry of `GET /images/json`."""
    tags = [str(tag) for tag in data.get("RepoTags") or [] if tag != "<none>:<none>"]
    labels = data["Labels"] if "Labels" in data else as_dict(data.get("Config")).get("Labels")
    return ImageInfo(id=str(data["Id"]), tags=tuple(sorted(tags)), labels=str_dict(labels))


def network_info(data: JSON) -> NetworkInfo:
    """A NetworkInfo from `GET /networks/{id}`."""
    ipam_configs = as_dict(data.get("IPAM")).get("Config") or []
    first_config = as_dict(ipam_configs[0]) if ipam_configs else {}
    return NetworkInfo(
        id=str(data["Id"]),
        name=str(data.get("Name") or ""),
        labels=str_dict(data.get("Labels")),
        driver=str(data.get("Driver") or ""),
        internal=bool(data.get("Internal")),
        subnet=str(first_config["Subnet"]) if first_config.get("Subnet") else None,
        gateway=str(first_config["Gateway"]) if first_config.get("Gateway") else None,
        container_ids=tuple(sorted(str(cid) for cid in as_dict(data.get("Containers")))),
    )


def volume_info(data: JSON) -> VolumeInfo:
    """A VolumeInfo from `GET /volumes/{name}` or one entry of `GET /volumes`."""
    return VolumeInfo(
        name=str(data["Name"]),
        labels=str_dict(data.get("Labels")),
        driver=str(data.get("Driver") or ""),
        driver_opts=str_dict(data.get("Options")),
        mountpoint=str(data["Mountpoint"]) if data.get("Mountpoint") else None,
    )


def event_action(action: str) -> str:
    """ "health_status: healthy" -> "health_status"; "exec_start: sh" -> "exec_start"."""
    return action.split(":", 1)[0].strip()
