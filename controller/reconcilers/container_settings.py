"""Pure translation of a ContainerSpec's Engine settings into `ContainerCreate` fields.

`container_plan.create_request` builds the request's core (image, command, ports, mounts,
networks) and adds these: capabilities, limits, devices, DNS, logging and the rest, each in
the Engine's own vocabulary (bytes, `host:container:perms`, device requests). An unset field
gives the Engine's default, so a request for a spec without them is what it was before.
"""

from __future__ import annotations

from typing import Any

from dockform.manifests.engine_settings import parse_device
from dockform.manifests.models import ContainerSpec, GpuRequest
from dockform.manifests.models import DeviceMapping as DeviceSpec
from dockform.manifests.units import parse_memory
from dockform.runtime.types import DeviceMapping, DeviceRequest, NetworkEndpoint, Ulimit

# `count: -1` asks the Engine for every device the driver has (`docker run --gpus all`).
ALL_DEVICES = -1


def network_endpoints(spec: ContainerSpec) -> tuple[NetworkEndpoint, ...]:
    """Endpoints of the networks that have aliases or static addresses."""
    return tuple(
        NetworkEndpoint(
            network=attachment.name,
            aliases=tuple(attachment.aliases),
            ipv4_address=attachment.ipv4_address,
            ipv6_address=attachment.ipv6_address,
        )
        for attachment in spec.network_attachments()
        if attachment.aliases or attachment.ipv4_address or attachment.ipv6_address
    )


def _device(device: str | DeviceSpec) -> DeviceMapping:
    if isinstance(device, str):
        return DeviceMapping(*parse_device(device))
    return DeviceMapping(
        host_path=device.host_path,
        container_path=device.container_path or device.host_path,
        permissions=device.permissions,
    )


def device_requests(gpus: str | int | GpuRequest | None) -> tuple[DeviceRequest, ...]:
    """`gpus: all`, `gpus: 2` or a request object -> the Engine's DeviceRequests."""
    if gpus is None:
        return ()
    gpu = (("gpu",),)
    if isinstance(gpus, str):  # "all"
        return (DeviceRequest(count=ALL_DEVICES, capabilities=gpu),)
    if isinstance(gpus, int):
        return (DeviceRequest(count=gpus, capabilities=gpu),)
    count = ALL_DEVICES if gpus.count == "all" else (gpus.count or 0)
    if gpus.count is None and gpus.device_ids is None:
        count = ALL_DEVICES  # neither said: every GPU, as `--gpus` with capabilities alone
    return (
        DeviceRequest(
            driver=gpus.driver or "",
            count=count,
            device_ids=tuple(gpus.device_ids or ()),
            capabilities=(tuple(gpus.capabilities),),
            options=dict(gpus.options),
        ),
    )


def engine_fields(spec: ContainerSpec) -> dict[str, Any]:
    """The ContainerCreate keyword arguments of `spec`'s Engine settings."""
    tmpfs = dict.fromkeys(spec.tmpfs, "") if isinstance(spec.tmpfs, list) else dict(spec.tmpfs)
    logging = spec.logging
    return {
        "hostname": spec.hostname,
        "domainname": spec.domainname,
        "cap_add": tuple(spec.cap_add),
        "cap_drop": tuple(spec.cap_drop),
        "ulimits": tuple(
            Ulimit(name, limit, limit)
            if isinstance(limit, int)
            else Ulimit(name, limit.soft, limit.hard)
            for name, limit in sorted(spec.ulimits.items())
        ),
        "shm_size_bytes": parse_memory(spec.shm_size) if spec.shm_size else None,
        "tmpfs": tmpfs,
        "read_only": spec.read_only,
        "devices": tuple(_device(device) for device in spec.devices),
        "device_requests": device_requests(spec.gpus),
        "init": spec.init,
        "stop_signal": spec.stop_signal,
        "extra_hosts": tuple(spec.extra_hosts),
        "dns": tuple(spec.dns),
        "dns_search": tuple(spec.dns_search),
        "dns_options": tuple(spec.dns_options),
        "sysctls": {name: str(value) for name, value in spec.sysctls.items()},
        "security_opt": tuple(spec.security_opt),
        "pids_limit": spec.pids_limit,
        "group_add": tuple(spec.group_add),
        "log_driver": logging.driver if logging else None,
        "log_options": dict(logging.options) if logging else {},
        "oom_score_adj": spec.oom_score_adj,
        "platform": spec.platform,
        "network_endpoints": network_endpoints(spec),
    }
