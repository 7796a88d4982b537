"""A Compose service's resources and Engine settings (capabilities, ulimits, devices, DNS,
logging...) as the Container kind's fields of the same meaning."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from dockform.manifests.compose.common import Report, copy_fields, memory


def resources(service: Mapping[str, Any], spec: dict[str, Any], drop: Report) -> None:
    deploy = service.get("deploy") or {}
    wanted = deploy.get("resources") or {}
    limits = wanted.get("limits") or {}
    out: dict[str, Any] = {}
    limit = limits.get("memory") or service.get("mem_limit")
    if limit:
        out["memory"] = memory(limit)
    cpus = limits.get("cpus") or service.get("cpus")
    if cpus:
        out["cpus"] = float(cpus)
    if out:
        spec["resources"] = out
    pids = limits.get("pids") or service.get("pids_limit")
    if pids:
        spec["pidsLimit"] = int(pids)
    for key in sorted(set(limits) - {"memory", "cpus", "pids"}):
        drop(f"deploy.resources.limits.{key}", "dockform limits memory, cpus and pids only")
    reservations = wanted.get("reservations") or {}
    gpus = [
        device
        for device in reservations.get("devices") or []
        if "gpu" in (device.get("capabilities") or [])
    ]
    if gpus and not service.get("gpus"):
        spec["gpus"] = gpu_request(gpus[0])
    for key in sorted(set(reservations) - ({"devices"} if gpus else set())):
        drop(f"deploy.resources.reservations.{key}", "dockform reserves nothing (limits only)")
    replicas = deploy.get("replicas")
    if replicas not in (None, 1):
        drop("deploy.replicas", f"{replicas}: dockform runs one container per service")
    for key, value in sorted(deploy.items()):
        if key in ("resources", "replicas") or value in (None, {}, []):
            continue
        if key == "restart_policy":
            extra = sorted(set(value) - {"condition"})
            if extra:
                drop("deploy.restart_policy", f"{', '.join(extra)}: dockform has no such limits")
            continue
        drop(f"deploy.{key}", "Swarm's deploy settings do not apply to one host")


def gpu_request(device: Mapping[str, Any]) -> Any:
    count = device.get("count")
    request: dict[str, Any] = {}
    if count in (-1, "all"):
        request["count"] = "all"
    elif count:
        request["count"] = int(count)
    if device.get("device_ids"):
        request["deviceIds"] = list(device["device_ids"])
    if device.get("capabilities"):
        request["capabilities"] = list(device["capabilities"])
    if device.get("driver"):
        request["driver"] = device["driver"]
    if device.get("options"):
        request["options"] = dict(device["options"])
    return request


def engine_settings(
    service: Mapping[str, Any], spec: dict[str, Any], tmpfs_mounts: dict[str, str], drop: Report
) -> None:
    if service.get("privileged"):
        spec["privileged"] = True
    for key, out_key in (("pid", "hostPID"), ("ipc", "hostIPC")):
        value = service.get(key)
        if value == "host":
            spec[out_key] = True
        elif value:
            drop(key, f"{value}: dockform shares the host's {key} namespace or none")
    copy_fields(
        service,
        spec,
        ("hostname", "hostname"),
        ("domainname", "domainname"),
        ("cap_add", "capAdd"),
        ("cap_drop", "capDrop"),
    )
    ulimits = service.get("ulimits") or {}
    if ulimits:
        spec["ulimits"] = {name: _ulimit(limit) for name, limit in sorted(ulimits.items())}
    if service.get("shm_size"):
        spec["shmSize"] = memory(service["shm_size"])
    tmpfs = dict(tmpfs_mounts)
    for entry in service.get("tmpfs") or []:
        path, _, options = str(entry).partition(":")
        tmpfs[path] = options
    if tmpfs:
        spec["tmpfs"] = dict(tmpfs) if any(tmpfs.values()) else list(tmpfs)
    if service.get("read_only"):
        spec["readOnly"] = True
    devices = [_device(device) for device in service.get("devices") or []]
    if devices:
        spec["devices"] = devices
    gpus = service.get("gpus")
    if gpus:
        spec["gpus"] = gpu_request(gpus[0]) if isinstance(gpus, list) else gpus
    if service.get("init") is not None:
        spec["init"] = bool(service["init"])
    copy_fields(service, spec, ("stop_signal", "stopSignal"))
    hosts = _extra_hosts(service.get("extra_hosts"))
    if hosts:
        spec["extraHosts"] = hosts
    for key, out_key in (("dns", "dns"), ("dns_search", "dnsSearch"), ("dns_opt", "dnsOptions")):
        value = service.get(key)
        if value:
            spec[out_key] = [value] if isinstance(value, str) else list(value)
    if service.get("sysctls"):
        spec["sysctls"] = dict(service["sysctls"])
    copy_fields(service, spec, ("security_opt", "securityOpt"), ("group_add", "groupAdd"))
    logging = service.get("logging")
    if logging:
        if logging.get("driver"):
            spec["logging"] = {"driver": logging["driver"]}
            if logging.get("options"):
                spec["logging"]["options"] = dict(logging["options"])
        else:
            drop("logging.options", "no driver named: the Engine's default driver's options")
    if service.get("oom_score_adj") is not None:
        spec["oomScoreAdj"] = int(service["oom_score_adj"])
    copy_fields(service, spec, ("platform", "platform"))


def _ulimit(limit: Any) -> Any:
    """One number for both (Compose's `nofile: 1024`, or `{single: 1024}`), or soft/hard."""
    if not isinstance(limit, Mapping):
        return int(limit)
    if limit.get("single") is not None:
        return int(limit["single"])
    return {"soft": limit.get("soft"), "hard": limit.get("hard")}


def _device(device: Any) -> Any:
    if isinstance(device, str):
        return device
    out = {"hostPath": device["source"]}
    if device.get("target") and device["target"] != device["source"]:
        out["containerPath"] = device["target"]
    if device.get("permissions") and device["permissions"] != "rwm":
        out["permissions"] = device["permissions"]
    return out


def _extra_hosts(hosts: Any) -> list[str]:
    if not hosts:
        return []
    if isinstance(hosts, Mapping):
        return [
            f"{host}:{address}"
            for host, addresses in sorted(hosts.items())
            for address in ([addresses] if isinstance(addresses, str) else addresses)
        ]
    return [str(entry).replace("=", ":", 1) for entry in hosts]
