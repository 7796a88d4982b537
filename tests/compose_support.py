"""Checks shared by the compose translation tests: the manifests `convert` prints load as
manifests.

`convert` writes `metadata.namespace` and keeps Compose's names (`_` and `.` allowed), which
the namespaces work brings to the models. Until the models have `Metadata.namespace`, the
documents are loaded with the namespace stripped, and documents whose names need the wider
name pattern cannot be loaded at all (`loadable` says why, and the caller skips). Once
namespaces are merged, both conditions are false and every check runs in full.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from typing import Any

from dockform.manifests.compose import documents_yaml
from dockform.manifests.loader import LoadedManifest, load_text
from dockform.manifests.models import NAME_PATTERN, Metadata

NAMESPACES_LANDED = "namespace" in Metadata.model_fields


def _names(document: Mapping[str, Any]) -> Iterable[str]:
    yield document["metadata"]["name"]
    spec = document.get("spec") or {}
    for dependency in spec.get("dependsOn") or []:
        yield dependency["name"]
    for network in spec.get("networks") or []:
        yield network if isinstance(network, str) else network["name"]
    for mount in spec.get("volumes") or []:
        if "volume" in mount:
            yield mount["volume"]


def loadable(documents: list[dict[str, Any]]) -> str | None:
    """None when the models on this branch can load `documents`, else why not."""
    if NAMESPACES_LANDED:
        return None
    wide = sorted(
        {name for doc in documents for name in _names(doc) if not re.match(NAME_PATTERN, name)}
    )
    if wide:
        return f"names {wide} need the namespaces branch's name pattern"
    return None


def load_documents(documents: list[dict[str, Any]]) -> list[LoadedManifest]:
    """The documents through the manifest loader (the models' validation), the namespace
    stripped where the models do not have it yet."""
    if not NAMESPACES_LANDED:
        documents = [
            {**doc, "metadata": {k: v for k, v in doc["metadata"].items() if k != "namespace"}}
            for doc in documents
        ]
    return load_text(documents_yaml(documents), "convert-output.yaml")
