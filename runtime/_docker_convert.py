"""Pure conversions between Engine API JSON and the dataclasses of `runtime.types`.

Used only by `runtime.docker_driver`; kept apart so the JSON shapes (which fields the Engine
fills, which may be null) are read in one place and can be tested without a daemon.
"""

from __future__ import annotations

from typing import Any

from dockform.runtime.types import (
    ContainerCreate,
    ContainerInfo,
    ContainerSummary,
    ImageInfo,
    Mount,
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


def bind_text(mount: Mount) -> str:
    """A bind in the Engine's `-v` syntax, `src:dst:ro,z,rshared`: the form in which the engine
    creates a missing source directory and relabels for SELinux (its Mounts API does neither)."""
    options = ["ro" if mount.read_only else "rw"]
    options += [option for option in (mount.selinux, mount.propagation) if option]
    return f"{mount.source}:{mount.target}:{','.join(options)}"


def mount_settings(mounts: tuple[Mount, ...]) -> tuple[list[str], list[JSON]]:
    """(HostConfig.Binds, HostConfig.Mounts) for a request's mounts: a bind that creates its
    source or relabels it goes in Binds, everything else in Mounts."""
    binds: list[str] = []
    specs: list[JSON] = []
    for mount in mounts:
        if mount.type == "bind" and (mount.create_host_path or mount.selinux):
            binds.append(bind_text(mount))
            continue
        spec: JSON = {
            "Target": mount.target,
            "Source": mount.source,
            "Type": mount.type,
            "ReadOnly": mount.read_only,
        }
        if mount.type == "bind" and mount.propagation:
            spec["BindOptions"] = {"Propagation": mount.propagation}
        if mount.type == "tmpfs":
            tmpfs = {"SizeBytes": mount.tmpfs_size_bytes, "Mode": mount.tmpfs_mode}
            spec["TmpfsOptions"] = {key: value for key, value in tmpfs.items() if value is not None}
        specs.append(spec)
    return binds, specs


def host_config_settings(request: ContainerCreate) -> JSON:
    """docker-py `create_host_config` arguments for the request's Engine settings; an unset
    setting is None (or absent), so docker-py leaves the Engine's default."""
    settings: JSON = {
        "cap_add": list(request.cap_add) or None,
        "cap_drop": list(request.cap_drop) or None,
        "ulimits": [
            {"Name": limit.name, "Soft": limit.soft, "Hard": limit.hard}
            for limit in request.ulimits
        ]
        or None,
        "shm_size": request.shm_size_bytes,
        "tmpfs": dict(request.tmpfs) or None,
        "read_only": request.read_only or None,
        "devices": [
            f"{device.host_path}:{device.container_path}:{device.permissions}"
            for device in request.devices
        ]
        or None,
        "device_requests": [
            {
                "Driver": device.driver,
                "Count": device.count,
                "DeviceIDs": list(device.device_ids),
                "Capabilities": [list(group) for group in device.capabilities],
                "Options": dict(device.options),
            }
            for device in request.device_requests
        ]
        or None,
        "init": request.init,
        "extra_hosts": list(request.extra_hosts) or None,
        "dns": list(request.dns) or None,
        "dns_search": list(request.dns_search) or None,
        "dns_opt": list(request.dns_options) or None,
        "sysctls": dict(request.sysctls) or None,
        "security_opt": list(request.security_opt) or None,
        "pids_limit": request.pids_limit,
        "group_add": list(request.group_add) or None,
        "oom_score_adj": request.oom_score_adj,
    }
    if request.log_driver is not None:
        settings["log_config"] = {"Type": request.log_driver, "Config": dict(request.log_options)}
    return {key: value for key, value in settings.items() if value is not None}


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
