"""A Compose service as a Container document (or a Job's, for a one-shot service another
waits for with `service_completed_successfully`): every field with a home in the Container
kind, each other one reported as dropped."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from dockform.manifests.compose.common import Context, Report, copy_fields, document, dropper
from dockform.manifests.compose.engine import engine_settings, resources
from dockform.manifests.compose.objects import Images
from dockform.manifests.engine_settings import HOSTNAME_PATTERN
from dockform.manifests.units import DURATION_PATTERN

_RESTART = {
    "no": "Never",
    "always": "Always",
    "on-failure": "OnFailure",
    "unless-stopped": "UnlessStopped",
}
_DEPLOY_RESTART = {"none": "Never", "on-failure": "OnFailure", "any": "Always"}

# Service keys translated below, or already applied by Compose (`profiles`, `env_file`).
_HANDLED = frozenset(
    {
        "image", "build", "pull_policy", "command", "entrypoint", "environment", "env_file",
        "working_dir", "user", "ports", "networks", "network_mode", "volumes", "restart",
        "healthcheck", "depends_on", "deploy", "mem_limit", "cpus", "pids_limit",
        "stop_grace_period", "labels", "privileged", "pid", "ipc", "hostname", "domainname",
        "cap_add", "cap_drop", "ulimits", "shm_size", "tmpfs", "read_only", "devices", "gpus",
        "init", "stop_signal", "extra_hosts", "dns", "dns_search", "dns_opt", "sysctls",
        "security_opt", "group_add", "logging", "oom_score_adj", "platform", "profiles",
        "expose", "container_name", "links",
    }
)  # fmt: skip
_WHY = {
    "secrets": "not converted yet (write a Secret manifest)",
    "configs": "not converted yet (write a Config manifest)",
    "scale": "dockform runs one container per service",
    "tty": "dockform containers have no terminal",
    "stdin_open": "dockform containers have no standard input",
    "volumes_from": "name the volumes themselves",
    "external_links": "containers outside the project are not reachable by alias",
    "annotations": "dockform's Container has no annotations",
}


def job_services(services: Mapping[str, Mapping[str, Any]]) -> set[str]:
    """The services some other service waits for with `service_completed_successfully`:
    one-shot services (a migration, an import), which become Jobs."""
    return {
        target
        for service in services.values()
        for target, options in (service.get("depends_on") or {}).items()
        if (options or {}).get("condition") == "service_completed_successfully"
    }


def container(
    context: Context,
    name: str,
    service: Mapping[str, Any],
    images: Images,
    service_names: set[str],
    jobs: set[str] | frozenset[str] = frozenset(),
) -> dict[str, Any]:
    spec: dict[str, Any] = {}
    drop = dropper(context, name)
    ref = images.ref_of(service, context.project, name)
    spec["image"] = ref
    for key, out_key in (("command", "command"), ("entrypoint", "entrypoint")):
        value = service.get(key)
        if value is not None:
            spec[out_key] = [value] if isinstance(value, str) else [str(v) for v in value]
    env = _environment(service.get("environment") or {}, drop)
    if env:
        spec["env"] = env
    copy_fields(service, spec, ("working_dir", "workingDir"), ("user", "user"))
    ports = [_port(port, drop) for port in service.get("ports") or []]
    if ports:
        spec["ports"] = ports
    _networks(context, name, service, spec, drop)
    volumes, tmpfs = _volumes(context, service.get("volumes") or [], drop)
    if volumes:
        spec["volumes"] = volumes
    if name in jobs:
        _job_retries(service, spec, drop)
    else:
        spec["restartPolicy"] = _restart(service, drop)
    healthcheck = _healthcheck(service.get("healthcheck"), drop)
    if healthcheck is not None:
        spec["healthcheck"] = healthcheck
    depends = _depends_on(service.get("depends_on") or {}, service_names, drop, jobs)
    if depends:
        spec["dependsOn"] = depends
    resources(service, spec, drop)
    grace = service.get("stop_grace_period")
    if grace is not None:
        if re.fullmatch(DURATION_PATTERN, str(grace)):
            spec["stopGracePeriod"] = str(grace)
        else:
            drop("stop_grace_period", f"{grace}: not a duration dockform reads")
    if service.get("labels"):
        spec["labels"] = dict(service["labels"])
    engine_settings(service, spec, tmpfs, drop)
    _drop_the_rest(name, service, context)
    return document(context, "Job" if name in jobs else "Container", name, spec)


def _job_retries(service: Mapping[str, Any], spec: dict[str, Any], drop: Report) -> None:
    """A Job runs once: `restart: on-failure[:N]` becomes its backoffLimit; `no` is what it
    does anyway; any other policy cannot hold for a service others wait to complete."""
    policy = str(service.get("restart") or "no")
    kind, _, count = policy.partition(":")
    if kind == "on-failure" and count.isdigit():
        spec["backoffLimit"] = min(int(count), 100)
    elif kind not in ("no", "on-failure"):
        drop("restart", f"{policy}: a service others wait to complete runs once, as a Job")


def _environment(environment: Mapping[str, Any], drop: Report) -> dict[str, str]:
    env = {}
    for key, value in environment.items():
        if value is None:
            drop(f"environment.{key}", "no value set (Compose would pass it unset as well)")
            continue
        env[key] = str(value)
    return env


def _port(port: Mapping[str, Any], drop: Report) -> dict[str, Any]:
    target = int(port["target"])
    out: dict[str, Any] = {"containerPort": target}
    published = str(port.get("published") or "")
    if published.isdigit():
        out["hostPort"] = int(published)
    elif published:
        first = published.split("-", 1)[0]
        out["hostPort"] = int(first)
        drop(f"ports.{target}.published", f"{published}: dockform publishes on {first} only")
    # Compose publishes on every address when no host IP is given; dockform's default is
    # 127.0.0.1, so the translation says what Compose does.
    out["hostIP"] = port.get("host_ip") or "0.0.0.0"
    if port.get("protocol") not in (None, "tcp"):
        out["protocol"] = port["protocol"]
    for key in ("app_protocol", "name"):
        if port.get(key):
            drop(f"ports.{target}.{key}", f"{port[key]}: dockform's ports have no {key}")
    return out


def _networks(
    context: Context, name: str, service: Mapping[str, Any], spec: dict[str, Any], drop: Report
) -> None:
    mode = service.get("network_mode")
    if mode is not None:
        if mode == "host":
            spec["hostNetwork"] = True
        elif mode in ("none", "bridge"):
            spec["networks"] = [mode]  # Docker's own networks, used as they are
        else:
            drop("network_mode", f"{mode}: dockform joins containers to networks only")
        return
    attachments: list[str | dict[str, Any]] = []
    for network, options in sorted((service.get("networks") or {}).items()):
        options = options or {}
        attachment: dict[str, Any] = {"name": context.network_refs.get(network, network)}
        aliases = [name] if re.fullmatch(HOSTNAME_PATTERN, name) else []
        if not aliases:
            drop(f"networks.{network}", f"alias {name}: not a host name dockform accepts")
        for alias in options.get("aliases") or []:
            if alias not in aliases:
                aliases.append(alias)
        if aliases:
            attachment["aliases"] = aliases
        for key, out_key in (("ipv4_address", "ipv4Address"), ("ipv6_address", "ipv6Address")):
            if options.get(key):
                attachment[out_key] = options[key]
        for key in sorted(set(options) - {"aliases", "ipv4_address", "ipv6_address"}):
            if options[key] not in (None, 0, "", [], {}):
                drop(f"networks.{network}.{key}", "not supported by dockform's networks")
        attachments.append(attachment if len(attachment) > 1 else attachment["name"])
    if attachments:
        spec["networks"] = attachments


def _volumes(
    context: Context, mounts: list[Mapping[str, Any]], drop: Report
) -> tuple[list[dict[str, Any]], dict[str, str]]:
    volumes: list[dict[str, Any]] = []
    tmpfs: dict[str, str] = {}
    for mount in mounts:
        kind, target = mount.get("type"), str(mount.get("target"))
        where = f"volumes.{target}"
        if kind == "tmpfs":
            options = mount.get("tmpfs") or {}
            tmpfs[target] = ",".join(f"{key}={value}" for key, value in sorted(options.items()))
            continue
        if kind not in ("bind", "volume"):
            drop(where, f"type {kind}: dockform mounts volumes and host paths")
            continue
        source = mount.get("source")
        if not source:
            drop(where, "anonymous volume: name it in the compose file to keep it")
            continue
        entry: dict[str, Any] = (
            {"volume": context.volume_refs.get(source, source)}
            if kind == "volume"
            else {"hostPath": source}
        )
        entry["mountPath"] = target
        if mount.get("read_only"):
            entry["readOnly"] = True
        volumes.append(entry)
        details = dict(mount.get(kind) or {})
        if kind == "bind":
            _bind_details(entry, details)
        for key in sorted(details):
            if details[key] in (None, False, "", {}):
                continue
            value = str(details[key]).lower() if isinstance(details[key], bool) else details[key]
            drop(f"{where}.{kind}.{key}", f"{value}: not supported by dockform's mounts")
        for key in sorted(set(mount) - {"type", "source", "target", "read_only", kind}):
            if mount[key] not in (None, False, "", {}):
                drop(f"{where}.{key}", "not supported by dockform's mounts")
    return volumes, tmpfs


def _bind_details(entry: dict[str, Any], details: dict[str, Any]) -> None:
    """A bind's `create_host_path`, `selinux` and `propagation` into the mount `entry`, taken
    out of `details` (what is left there is dropped)."""
    if details.pop("create_host_path", False):
        entry["createHostPath"] = True
    if details.get("selinux") in ("z", "Z"):
        entry["selinux"] = details.pop("selinux")
    if details.get("propagation") in _PROPAGATIONS:
        entry["propagation"] = details.pop("propagation")


_PROPAGATIONS = frozenset({"rprivate", "private", "rshared", "shared", "rslave", "slave"})


def _restart(service: Mapping[str, Any], drop: Report) -> str:
    restart = service.get("restart")
    if restart is not None:
        policy, _, count = str(restart).partition(":")
        if count:
            drop("restart", f"{restart}: dockform's OnFailure has no retry limit")
        if policy in _RESTART:
            return _RESTART[policy]
        drop("restart", f"{restart}: not a restart policy dockform knows; Never")
        return "Never"
    deploy_policy = ((service.get("deploy") or {}).get("restart_policy")) or {}
    if deploy_policy.get("condition") in _DEPLOY_RESTART:
        return _DEPLOY_RESTART[deploy_policy["condition"]]
    return "Never"  # Compose's default: dockform's (Always) would differ


def _healthcheck(check: Mapping[str, Any] | None, drop: Report) -> dict[str, Any] | None:
    if not check:
        return None
    test = [str(part) for part in check.get("test") or []]
    if check.get("disable") or test[:1] == ["NONE"]:
        return {"command": ["NONE"]}
    if not test:
        drop("healthcheck", "no test: the image's own HEALTHCHECK applies")
        return None
    if test[0] == "CMD":
        test = test[1:]
    out: dict[str, Any] = {"command": test}
    for key, out_key in (
        ("interval", "interval"),
        ("timeout", "timeout"),
        ("start_period", "startPeriod"),
    ):
        value = check.get(key)
        if value is None:
            continue
        if re.fullmatch(DURATION_PATTERN, str(value)):
            out[out_key] = str(value)
        else:
            drop(f"healthcheck.{key}", f"{value}: not a duration dockform reads")
    if check.get("retries") is not None:
        out["retries"] = max(1, int(check["retries"]))
    if check.get("start_interval") is not None:
        drop("healthcheck.start_interval", f"{check['start_interval']}: dockform has none")
    return out


def _depends_on(
    depends_on: Mapping[str, Any],
    service_names: set[str],
    drop: Report,
    jobs: set[str] | frozenset[str] = frozenset(),
) -> list[dict[str, str]]:
    out = []
    for target, options in sorted(depends_on.items()):
        options = options or {}
        where = f"depends_on.{target}"
        if target not in service_names:
            drop(where, "not a service of this project (a profile left it out)")
            continue
        condition = options.get("condition", "service_started")
        if target in jobs:
            # A Job has one condition: Completed (what service_completed_successfully says).
            if condition != "service_completed_successfully":
                drop(
                    f"{where}.condition",
                    f"{condition}: {target} is a Job (another service waits for it to "
                    "complete); this one waits for that too",
                )
            out.append({"name": target, "kind": "Job"})
        elif condition == "service_healthy":
            out.append({"name": target, "condition": "Healthy"})
            continue
        else:
            out.append({"name": target})
        if options.get("restart"):
            drop(f"{where}.restart", "dockform does not restart dependents")
    return out


def _drop_the_rest(name: str, service: Mapping[str, Any], context: Context) -> None:
    if service.get("expose"):
        context.drop(
            name, "expose", "containers on a shared network reach every port: nothing to do"
        )
    if service.get("container_name"):
        context.drop(
            name,
            "container_name",
            f"{service['container_name']}: dockform names it {context.namespace}_{name}",
        )
    if service.get("links"):
        context.drop(name, "links", "peers are reachable by service name on shared networks")
    for key in sorted(set(service) - _HANDLED):
        if key.startswith("x-") or service[key] in (None, False, "", {}, [], 0):
            continue
        if key == "scale" and service[key] == 1:
            continue
        context.drop(name, key, _WHY.get(key, "not supported by dockform's Container"))
