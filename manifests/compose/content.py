"""Compose `secrets` and `configs`: top-level ones become Secret and Config documents, a
service's become its Container's `secrets` and `configs` mounts.

A Secret reads its `file` (absolute, as Compose resolved it) or its `environment` variable
(`env`: read from the daemon's environment at apply, as Compose reads it from the shell); a
Config its `file` or its `content` (`value`). What dockform cannot hold is dropped: external
ones (Docker Swarm's objects), a Config from `environment`, and a mount naming an object the
project does not define. Mount targets keep Compose's defaults, which are dockform's:
`/run/secrets/NAME` for a secret (a bare target goes there too), `/NAME` for a config.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from dockform.manifests.compose.common import Context, Report, document

_SOURCES = {
    "Secret": {"file": "file", "environment": "env"},
    "Config": {"file": "file", "content": "value"},
}
_KNOWN = frozenset({"name", "file", "environment", "content", "external", "labels"})


def content_objects(context: Context, project: Mapping[str, Any]) -> list[dict[str, Any]]:
    """Secret and Config documents for the project's top-level `secrets` and `configs`."""
    documents = []
    for key, kind in (("secrets", "Secret"), ("configs", "Config")):
        for name, spec in sorted((project.get(key) or {}).items()):
            made = _content(context, kind, f"{key}.{name}", name, spec or {})
            if made is not None:
                documents.append(made)
    return documents


def _content(
    context: Context, kind: str, owner: str, name: str, spec: Mapping[str, Any]
) -> dict[str, Any] | None:
    if spec.get("external"):
        context.drop(owner, "external", f"a Swarm object: dockform holds its own (write a {kind})")
        return None
    sources = {out: spec[key] for key, out in _SOURCES[kind].items() if spec.get(key) is not None}
    if len(sources) != 1:
        given = ", ".join(sorted(set(spec) & {"file", "environment", "content"})) or "nothing"
        context.drop(owner, "source", f"{given}: a {kind} takes {' or '.join(_SOURCES[kind])}")
        return None
    for key in sorted(set(spec) - _KNOWN):
        if spec[key] not in (None, False, {}, [], ""):
            context.drop(owner, key, f"not supported by dockform's {kind}")
    if spec.get("labels"):
        context.drop(owner, "labels", f"dockform's {kind} has no labels")
    return document(context, kind, name, {key: str(value) for key, value in sources.items()})


def content_mounts(
    service: Mapping[str, Any], spec: dict[str, Any], defined: Mapping[str, set[str]], drop: Report
) -> None:
    """A service's `secrets` and `configs` into its spec's mounts; `defined` are the names the
    project's Secret and Config documents have, by compose key."""
    for key in ("secrets", "configs"):
        mounts = []
        for index, mount in enumerate(service.get(key) or []):
            source = str(mount.get("source") or "")
            if source not in defined.get(key, set()):
                drop(f"{key}[{index}]", f"{source}: not a {key[:-1]} dockform converted")
                continue
            mounts.append(_mount(key, source, mount))
        if mounts:
            spec[key] = mounts


def _mount(key: str, source: str, mount: Mapping[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {"name": source}
    target = mount.get("target")
    default = f"/run/secrets/{source}" if key == "secrets" else f"/{source}"
    if target and target not in (default, source):
        out["target"] = str(target)
    if mount.get("mode") not in (None, ""):
        mode = mount["mode"]
        out["mode"] = f"{int(mode, 8) if isinstance(mode, str) else int(mode):04o}"
    for field_name in ("uid", "gid"):
        if mount.get(field_name) not in (None, ""):
            out[field_name] = int(mount[field_name])
    return out
