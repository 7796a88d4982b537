"""Compose's top-level networks and volumes, and the Images of its services (`build:` and
`image:`), as manifest documents."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from dockform.manifests.compose.common import Context, check_name, document

_PULL_POLICY = {"always": "Always", "missing": "IfNotPresent", "if_not_present": "IfNotPresent"}


def _engine_name_note(context: Context, owner: str, key: str, spec: Mapping[str, Any]) -> None:
    name = spec.get("name")
    if name and name != f"{context.project}_{key}":
        context.drop(owner, "name", f"{name!r}: dockform names it {context.namespace}_{key}")


def _external(owner: str, name: str, spec: Mapping[str, Any]) -> str | None:
    """The Docker name an external network or volume is used by (no manifest: dockform uses
    such objects as they are, as Compose does), or None if it is not external."""
    if not spec.get("external"):
        return None
    docker_name = str(spec.get("name") or name)
    check_name(docker_name, f"{owner}: external name")
    return docker_name


def network(context: Context, name: str, spec: Mapping[str, Any]) -> dict[str, Any] | None:
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
    return document(context, "Network", name, out)


def volume(context: Context, name: str, spec: Mapping[str, Any]) -> dict[str, Any] | None:
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
    return document(context, "Volume", name, out)


# --- images ------------------------------------------------------------------------------------


@dataclass
class Images:
    documents: dict[str, dict[str, Any]] = field(default_factory=dict)  # by Image name
    by_ref: dict[str, str] = field(default_factory=dict)  # ref -> Image name

    def ref_of(self, service: Mapping[str, Any], project: str, name: str) -> str:
        return str(service.get("image") or f"{project}-{name}")


_BUILD_KEYS = frozenset({"context", "dockerfile", "args", "target"})


def images_of(context: Context, services: Mapping[str, Any]) -> Images:
    """One Image per distinct ref: built ones first (a service that builds a ref another only
    names gives it its build), then pulled ones, each in service order."""
    images = Images()
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
        images.documents[image_name] = document(
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
        images.documents[image_name] = document(
            context, "Image", image_name, {"ref": ref, "pull": pull}
        )
    return images


def _image_name(ref: str, images: Images) -> str:
    """`postgres:16-alpine` -> `postgres-16-alpine`; `-2`, `-3`... when taken."""
    last = ref.rsplit("/", 1)[-1].split("@", 1)[0]
    base = re.sub(r"[^a-z0-9]+", "-", last.lower()).strip("-")[:55] or "image"
    candidate, count = base, 1
    while candidate in images.documents:
        count += 1
        candidate = f"{base}-{count}"
    return candidate


def _build(context: Context, service: str, build: Mapping[str, Any]) -> dict[str, Any] | None:
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
