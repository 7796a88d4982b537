"""Compose projects as dockform manifests: a pure translation of the normalised project.

`dockform convert` (cli.convert_cmd) runs Docker Compose v2's `config --format json`, the
Compose Specification's reference implementation, which does interpolation, `.env`,
`env_file`, `extends`, anchors, profiles and multi-file merges and resolves relative paths
against the compose file's directory. What comes out is the input here: `translate` turns it
into manifest documents (plain dicts, as YAML would spell them) and a list of `Drop`s, one for
every field dockform cannot express. Nothing here runs a process or reads a file.

The project name becomes the namespace. Services become Containers named after the service
(their network aliases are the service name, so peers reach each other as under Compose);
`build:` and `image:` become Images (one per distinct ref, `<project>-<service>` for a build
without `image:`, as Compose tags it), networks (Compose's `default` too) become Networks and
named volumes Volumes, keyed by their names in the compose file.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

import yaml

from dockform.manifests.engine_settings import HOSTNAME_PATTERN
from dockform.manifests.models import API_VERSION
from dockform.manifests.units import DURATION_PATTERN

# What Compose accepts and dockform's namespaces accept (the ns branch's NAME_PATTERN).
COMPOSE_NAME_PATTERN = r"^[a-z0-9]([-a-z0-9_.]*[a-z0-9])?$"
COMPOSE_NAME_MAX_LENGTH = 63

_RESTART = {
    "no": "Never",
    "always": "Always",
    "on-failure": "OnFailure",
    "unless-stopped": "UnlessStopped",
}
_DEPLOY_RESTART = {"none": "Never", "on-failure": "OnFailure", "any": "Always"}
_PULL_POLICY = {"always": "Always", "missing": "IfNotPresent", "if_not_present": "IfNotPresent"}
_MEMORY_UNITS = (("Gi", 1024**3), ("Mi", 1024**2), ("Ki", 1024))


# Reports one dropped field of one service: (field, what is dropped).
_Report = Callable[[str, str], None]


class ComposeTranslationError(ValueError):
    """The project cannot become manifests at all (a name dockform refuses)."""


@dataclass(frozen=True, order=True)
class Drop:
    """One field dockform cannot express: `SERVICE: FIELD: what is dropped`.

    `owner` is the service, or `networks.NAME` / `volumes.NAME` / `secrets.NAME` for
    top-level objects.
    """

    owner: str
    field: str
    what: str

    def __str__(self) -> str:
        return f"{self.owner}: {self.field}: {self.what}"


@dataclass(frozen=True)
class Translation:
    namespace: str
    documents: list[dict[str, Any]]
    drops: list[Drop]

    def yaml(self) -> str:
        return documents_yaml(self.documents)

    def drop_report(self) -> str:
        return "".join(f"{drop}\n" for drop in self.drops)


@dataclass
class _Context:
    project: str
    namespace: str
    drops: list[Drop] = field(default_factory=list)
    # Compose key -> the name a Container uses: the key, or an external object's Docker name.
    network_refs: dict[str, str] = field(default_factory=dict)
    volume_refs: dict[str, str] = field(default_factory=dict)

    def drop(self, owner: str, field_name: str, what: str) -> None:
        self.drops.append(Drop(owner, field_name, what))


def translate(project: Mapping[str, Any], namespace: str | None = None) -> Translation:
    """Manifests for the normalised compose `project` (`config --format json`), in namespace
    `namespace` (default: the project's name). Raises ComposeTranslationError for names
    dockform cannot take."""
    project = _unescape(project)
    project_name = str(project.get("name") or "")
    context = _Context(project=project_name, namespace=namespace or project_name)
    _check_name(context.namespace, "project name (the namespace; -n sets another)")
    services: Mapping[str, Any] = project.get("services") or {}
    for kind in ("services", "networks", "volumes"):
        for name in project.get(kind) or {}:
            _check_name(name, f"{kind[:-1]} name")

    networks = [
        document
        for name, spec in sorted((project.get("networks") or {}).items())
        if (document := _network(context, name, spec)) is not None
    ]
    volumes = [
        document
        for name, spec in sorted((project.get("volumes") or {}).items())
        if (document := _volume(context, name, spec)) is not None
    ]
    for kind in ("secrets", "configs"):
        for name in sorted(project.get(kind) or {}):
            context.drop(f"{kind}.{name}", kind, f"dockform has no {kind[:-1].title()} kind yet")
    images = _images(context, services)
    containers = [
        _container(context, name, services[name], images, set(services))
        for name in sorted(services)
    ]
    documents = [
        *networks,
        *volumes,
        *(image for _, image in sorted(images.documents.items())),
        *containers,
    ]
    return Translation(context.namespace, documents, sorted(context.drops))


def _unescape(value: Any) -> Any:
    """Compose's `config` prints a literal `$` as `$$`, so that its output is compose input
    again; what Compose hands the Engine, and so what a manifest says, is one `$`."""
    if isinstance(value, str):
        return value.replace("$$", "$")
    if isinstance(value, Mapping):
        return {_unescape(key): _unescape(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_unescape(item) for item in value]
    return value


def documents_yaml(documents: Iterable[Mapping[str, Any]]) -> str:
    """Multi-document YAML, keys in the order the translation wrote them."""
    return yaml.safe_dump_all(
        list(documents), sort_keys=False, default_flow_style=False, allow_unicode=True
    )


def _check_name(name: str, what: str) -> None:
    if len(name) > COMPOSE_NAME_MAX_LENGTH or not re.fullmatch(COMPOSE_NAME_PATTERN, name):
        raise ComposeTranslationError(
            f"{what} {name!r}: dockform names take lowercase letters, digits, '-', '_' and '.', "
            f"start and end with a letter or digit, at most {COMPOSE_NAME_MAX_LENGTH} "
            "characters; rename it in the compose file"
        )


def _document(context: _Context, kind: str, name: str, spec: dict[str, Any]) -> dict[str, Any]:
    return {
        "apiVersion": API_VERSION,
        "kind": kind,
        "metadata": {"name": name, "namespace": context.namespace},
        "spec": spec,
    }


# --- networks and volumes ----------------------------------------------------------------------


def _engine_name_note(context: _Context, owner: str, key: str, spec: Mapping[str, Any]) -> None:
    name = spec.get("name")
    if name and name != f"{context.project}_{key}":
        context.drop(owner, "name", f"{name!r}: dockform names it {context.namespace}_{key}")


def _external(owner: str, name: str, spec: Mapping[str, Any]) -> str | None:
    """The Docker name an external network or volume is used by (no manifest: dockform uses
    such objects as they are, as Compose does), or None if it is not external."""
    if not spec.get("external"):
        return None
    docker_name = str(spec.get("name") or name)
    _check_name(docker_name, f"{owner}: external name")
    return docker_name


def _network(context: _Context, name: str, spec: Mapping[str, Any]) -> dict[str, Any] | None:
    owner = f"networks.{name}"
    external = _external(owner, name, spec)
    context.network_refs[name] = external or name
    if external:
        return None
    out: dict[str, Any] = {}
    driver = spec.get("driver")
    if driver not in (None, "bridge"):
        context.drop(owner, "driver", f"{driver}: dockform makes bridge networks")
    if spec.get("internal"):
        out["internal"] = True
    ipam = spec.get("ipam") or {}
    pools = ipam.get("config") or []
    if pools:
        first = pools[0]
        for key in ("subnet", "gateway"):
            if first.get(key):
                out[key] = first[key]
        for key in sorted(set(first) - {"subnet", "gateway"}):
            context.drop(owner, f"ipam.config.{key}", "dockform takes subnet and gateway only")
        if len(pools) > 1:
            context.drop(owner, "ipam.config", "dockform takes the first address pool only")
    if ipam.get("driver") not in (None, "default"):
        context.drop(owner, "ipam.driver", f"{ipam['driver']}: dockform uses the default")
    if spec.get("labels"):
        out["labels"] = dict(spec["labels"])
    _engine_name_note(context, owner, name, spec)
    for key in sorted(set(spec) - {"name", "driver", "internal", "ipam", "labels"}):
        if spec[key] not in (None, False, {}, []):
            context.drop(owner, key, "not supported by dockform's Network")
    return _document(context, "Network", name, out)


def _volume(context: _Context, name: str, spec: Mapping[str, Any]) -> dict[str, Any] | None:
    owner = f"volumes.{name}"
    external = _external(owner, name, spec)
    context.volume_refs[name] = external or name
    if external:
        return None
    out: dict[str, Any] = {}
    if spec.get("driver") not in (None, "local"):
        out["driver"] = spec["driver"]
    if spec.get("driver_opts"):
        out["driverOpts"] = {key: str(value) for key, value in spec["driver_opts"].items()}
    if spec.get("labels"):
        out["labels"] = dict(spec["labels"])
    _engine_name_note(context, owner, name, spec)
    for key in sorted(set(spec) - {"name", "driver", "driver_opts", "labels"}):
        if spec[key] not in (None, False, {}, []):
            context.drop(owner, key, "not supported by dockform's Volume")
    return _document(context, "Volume", name, out)


# --- images ------------------------------------------------------------------------------------


@dataclass
class _Images:
    documents: dict[str, dict[str, Any]] = field(default_factory=dict)  # by Image name
    by_ref: dict[str, str] = field(default_factory=dict)  # ref -> Image name

    def ref_of(self, service: Mapping[str, Any], project: str, name: str) -> str:
        return str(service.get("image") or f"{project}-{name}")


_BUILD_KEYS = frozenset({"context", "dockerfile", "args", "target"})


def _images(context: _Context, services: Mapping[str, Any]) -> _Images:
    """One Image per distinct ref: built ones first (a service that builds a ref another only
    names gives it its build), then pulled ones, each in service order."""
    images = _Images()
    names = sorted(services)
    builders: dict[str, list[str]] = {}  # ref -> the services that build it
    for name in names:
        if services[name].get("build"):
            builders.setdefault(images.ref_of(services[name], context.project, name), []).append(
                name
            )
    for ref, building in builders.items():
        first = building[0]
        for other in building[1:]:
            if services[other]["build"] != services[first]["build"]:
                context.drop(
                    other, "build", f"image {ref} is built as service {first} builds it, not so"
                )
        build = _build(context, first, services[first]["build"])
        if build is None:
            continue
        # One builder: the Image is named after it, as Compose's builds are; a shared image
        # (an anchor with build: and image:) after its ref.
        image_name = first if len(building) == 1 else _image_name(ref, images)
        images.by_ref[ref] = image_name
        images.documents[image_name] = _document(
            context, "Image", image_name, {"ref": ref, "build": build}
        )
    for name in names:
        service = services[name]
        ref = service.get("image")
        if not ref or ref in images.by_ref:
            continue
        policy = service.get("pull_policy")
        if policy == "never":
            continue  # the image must be present already: a Container alone says that
        if policy is not None and policy not in _PULL_POLICY:
            context.drop(name, "pull_policy", f"{policy}: dockform pulls if not present")
        image_name = _image_name(ref, images)
        images.by_ref[ref] = image_name
        pull = {"policy": _PULL_POLICY.get(policy or "missing", "IfNotPresent")}
        images.documents[image_name] = _document(
            context, "Image", image_name, {"ref": ref, "pull": pull}
        )
    return images


def _image_name(ref: str, images: _Images) -> str:
    """`postgres:16-alpine` -> `postgres-16-alpine`; `-2`, `-3`... when taken."""
    last = ref.rsplit("/", 1)[-1].split("@", 1)[0]
    base = re.sub(r"[^a-z0-9]+", "-", last.lower()).strip("-")[:55] or "image"
    candidate, count = base, 1
    while candidate in images.documents:
        count += 1
        candidate = f"{base}-{count}"
    return candidate


def _build(context: _Context, service: str, build: Mapping[str, Any]) -> dict[str, Any] | None:
    build_context = str(build.get("context") or ".")
    if not build_context.startswith("/"):
        context.drop(
            service, "build.context", f"{build_context}: dockform builds from local directories"
        )
        return None
    out: dict[str, Any] = {"context": build_context}
    if build.get("dockerfile") not in (None, "Dockerfile"):
        out["dockerfile"] = build["dockerfile"]
    args = build.get("args") or {}
    kept = {key: str(value) for key, value in args.items() if value is not None}
    for key in sorted(set(args) - set(kept)):
        context.drop(service, f"build.args.{key}", "no value given: the Dockerfile's default")
    if kept:
        out["args"] = kept
    if build.get("target"):
        out["target"] = build["target"]
    for key in sorted(set(build) - _BUILD_KEYS):
        if build[key] not in (None, False, {}, [], ""):
            context.drop(service, f"build.{key}", "not supported by dockform's Image build")
    return out


# --- containers --------------------------------------------------------------------------------


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
    "secrets": "dockform has no Secret kind yet",
    "configs": "dockform has no Config kind yet",
    "scale": "dockform runs one container per service",
    "tty": "dockform containers have no terminal",
    "stdin_open": "dockform containers have no standard input",
    "volumes_from": "name the volumes themselves",
    "external_links": "containers outside the project are not reachable by alias",
    "annotations": "dockform's Container has no annotations",
}


def _container(
    context: _Context,
    name: str,
    service: Mapping[str, Any],
    images: _Images,
    service_names: set[str],
) -> dict[str, Any]:
    spec: dict[str, Any] = {}
    drop = _dropper(context, name)
    ref = images.ref_of(service, context.project, name)
    spec["image"] = ref
    for key, out_key in (("command", "command"), ("entrypoint", "entrypoint")):
        value = service.get(key)
        if value is not None:
            spec[out_key] = [value] if isinstance(value, str) else [str(v) for v in value]
    env = _environment(service.get("environment") or {}, drop)
    if env:
        spec["env"] = env
    _copy(service, spec, ("working_dir", "workingDir"), ("user", "user"))
    ports = [_port(port, drop) for port in service.get("ports") or []]
    if ports:
        spec["ports"] = ports
    _networks(context, name, service, spec, drop)
    volumes, tmpfs = _volumes(context, service.get("volumes") or [], drop)
    if volumes:
        spec["volumes"] = volumes
    spec["restartPolicy"] = _restart(service, drop)
    healthcheck = _healthcheck(service.get("healthcheck"), drop)
    if healthcheck is not None:
        spec["healthcheck"] = healthcheck
    depends = _depends_on(service.get("depends_on") or {}, service_names, drop)
    if depends:
        spec["dependsOn"] = depends
    _resources(service, spec, drop)
    grace = service.get("stop_grace_period")
    if grace is not None:
        if re.fullmatch(DURATION_PATTERN, str(grace)):
            spec["stopGracePeriod"] = str(grace)
        else:
            drop("stop_grace_period", f"{grace}: not a duration dockform reads")
    if service.get("labels"):
        spec["labels"] = dict(service["labels"])
    _engine_settings(service, spec, tmpfs, drop)
    _drop_the_rest(name, service, context)
    return _document(context, "Container", name, spec)


def _dropper(context: _Context, service: str) -> _Report:
    def drop(field_name: str, what: str) -> None:
        context.drop(service, field_name, what)

    return drop


def _copy(source: Mapping[str, Any], spec: dict[str, Any], *pairs: tuple[str, str]) -> None:
    for key, out_key in pairs:
        value = source.get(key)
        if value is not None and value != "":
            spec[out_key] = value


def _environment(environment: Mapping[str, Any], drop: _Report) -> dict[str, str]:
    env = {}
    for key, value in environment.items():
        if value is None:
            drop(f"environment.{key}", "no value set (Compose would pass it unset as well)")
            continue
        env[key] = str(value)
    return env


def _port(port: Mapping[str, Any], drop: _Report) -> dict[str, Any]:
    target = int(port["target"])
    out: dict[str, Any] = {"containerPort": target}
    published = port.get("published")
    if published not in (None, ""):
        out["hostPort"] = int(published)
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
    context: _Context, name: str, service: Mapping[str, Any], spec: dict[str, Any], drop: _Report
) -> None:
    mode = service.get("network_mode")
    if mode is not None:
        if mode == "host":
            spec["hostNetwork"] = True
        elif mode == "none":
            spec["networks"] = ["none"]
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
    context: _Context, mounts: list[Mapping[str, Any]], drop: _Report
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
        details = mount.get(kind) or {}
        for key in sorted(details):
            if key == "create_host_path" or details[key] in (None, False, "", {}):
                continue
            drop(f"{where}.{kind}.{key}", f"{details[key]}: not supported by dockform's mounts")
        for key in sorted(set(mount) - {"type", "source", "target", "read_only", kind}):
            if mount[key] not in (None, False, "", {}):
                drop(f"{where}.{key}", "not supported by dockform's mounts")
    return volumes, tmpfs


def _restart(service: Mapping[str, Any], drop: _Report) -> str:
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


def _healthcheck(check: Mapping[str, Any] | None, drop: _Report) -> dict[str, Any] | None:
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
    depends_on: Mapping[str, Any], service_names: set[str], drop: _Report
) -> list[dict[str, str]]:
    out = []
    for target, options in sorted(depends_on.items()):
        options = options or {}
        where = f"depends_on.{target}"
        if target not in service_names:
            drop(where, "not a service of this project (a profile left it out)")
            continue
        condition = options.get("condition", "service_started")
        if condition == "service_healthy":
            out.append({"name": target, "condition": "Healthy"})
            continue
        if condition == "service_completed_successfully":
            drop(
                f"{where}.condition",
                "service_completed_successfully: dockform has no Jobs yet; kept as Started",
            )
        out.append({"name": target})
        if options.get("restart"):
            drop(f"{where}.restart", "dockform does not restart dependents")
    return out


def _memory(value: Any) -> str:
    """Bytes as Compose normalises them (`"268435456"`) -> `256Mi`, else as given."""
    text = str(value)
    if not text.isdigit():
        return text
    number = int(text)
    for unit, size in _MEMORY_UNITS:
        if number and number % size == 0:
            return f"{number // size}{unit}"
    return text


def _resources(service: Mapping[str, Any], spec: dict[str, Any], drop: _Report) -> None:
    deploy = service.get("deploy") or {}
    resources = deploy.get("resources") or {}
    limits = resources.get("limits") or {}
    out: dict[str, Any] = {}
    memory = limits.get("memory") or service.get("mem_limit")
    if memory:
        out["memory"] = _memory(memory)
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
    reservations = resources.get("reservations") or {}
    gpus = [
        device
        for device in reservations.get("devices") or []
        if "gpu" in (device.get("capabilities") or [])
    ]
    if gpus and not service.get("gpus"):
        spec["gpus"] = _gpu_request(gpus[0])
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


def _gpu_request(device: Mapping[str, Any]) -> Any:
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


def _engine_settings(
    service: Mapping[str, Any], spec: dict[str, Any], tmpfs_mounts: dict[str, str], drop: _Report
) -> None:
    if service.get("privileged"):
        spec["privileged"] = True
    for key, out_key in (("pid", "hostPID"), ("ipc", "hostIPC")):
        value = service.get(key)
        if value == "host":
            spec[out_key] = True
        elif value:
            drop(key, f"{value}: dockform shares the host's {key} namespace or none")
    _copy(
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
        spec["shmSize"] = _memory(service["shm_size"])
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
        spec["gpus"] = _gpu_request(gpus[0]) if isinstance(gpus, list) else gpus
    if service.get("init") is not None:
        spec["init"] = bool(service["init"])
    _copy(service, spec, ("stop_signal", "stopSignal"))
    hosts = _extra_hosts(service.get("extra_hosts"))
    if hosts:
        spec["extraHosts"] = hosts
    for key, out_key in (("dns", "dns"), ("dns_search", "dnsSearch"), ("dns_opt", "dnsOptions")):
        value = service.get(key)
        if value:
            spec[out_key] = [value] if isinstance(value, str) else list(value)
    if service.get("sysctls"):
        spec["sysctls"] = dict(service["sysctls"])
    _copy(service, spec, ("security_opt", "securityOpt"), ("group_add", "groupAdd"))
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
    _copy(service, spec, ("platform", "platform"))


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


def _drop_the_rest(name: str, service: Mapping[str, Any], context: _Context) -> None:
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
        context.drop(name, key, _WHY.get(key, "not supported by dockform's Container"))
