"""`translate`: the normalised Compose project in, manifest documents and drops out."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

import yaml

from dockform.manifests.compose.common import Context, Drop, check_name
from dockform.manifests.compose.content import content_objects
from dockform.manifests.compose.objects import images_of, network, volume
from dockform.manifests.compose.services import container, job_services


@dataclass(frozen=True)
class Translation:
    namespace: str
    documents: list[dict[str, Any]]
    drops: list[Drop]

    def yaml(self) -> str:
        return documents_yaml(self.documents)

    def drop_report(self) -> str:
        return "".join(f"{drop}\n" for drop in self.drops)


def translate(project: Mapping[str, Any], namespace: str | None = None) -> Translation:
    """Manifests for the normalised compose `project` (`config --format json`), in namespace
    `namespace` (default: the project's name). Raises ComposeTranslationError for names
    dockform cannot take."""
    project = _unescape(project)
    project_name = str(project.get("name") or "")
    context = Context(project=project_name, namespace=namespace or project_name)
    check_name(context.namespace, "project name (the namespace; -n sets another)")
    services: Mapping[str, Any] = project.get("services") or {}
    for kind in ("services", "networks", "volumes"):
        for name in project.get(kind) or {}:
            check_name(name, f"{kind[:-1]} name")

    networks = [
        document
        for name, spec in sorted((project.get("networks") or {}).items())
        if (document := network(context, name, spec)) is not None
    ]
    volumes = [
        document
        for name, spec in sorted((project.get("volumes") or {}).items())
        if (document := volume(context, name, spec)) is not None
    ]
    for kind in ("secrets", "configs"):
        for name in project.get(kind) or {}:
            check_name(name, f"{kind[:-1]} name")
    contents = content_objects(context, project)
    defined = {
        key: {doc["metadata"]["name"] for doc in contents if doc["kind"] == kind}
        for key, kind in (("secrets", "Secret"), ("configs", "Config"))
    }
    images = images_of(context, services)
    jobs = job_services(services)
    containers = [
        container(context, name, services[name], images, set(services), jobs, defined)
        for name in sorted(services)
    ]
    documents = [
        *networks,
        *volumes,
        *contents,
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
