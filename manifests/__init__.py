"""dockform manifests: models, loading with positions, canonical hashing, JSON Schema.

The bottom layer: every other package imports from here and this package imports none of them.

Its names load on first use (PEP 562): the models and pydantic cost a command-line tool about
0.3 s, which the CLI pays only in the commands that validate manifests (bench/cli_speed).
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from dockform.manifests.errors import ManifestError, ManifestIssue
    from dockform.manifests.hashing import HASH_EXCLUDED, canonical_json, manifest_spec, spec_hash
    from dockform.manifests.kinds import Kind, UnknownKindError, canonical_kind, plural
    from dockform.manifests.loader import (
        LoadedManifest,
        check_unique,
        load_file,
        load_paths,
        load_text,
        resolve_paths,
    )
    from dockform.manifests.models import (
        API_VERSION,
        KIND_MODELS,
        SPEC_MODELS,
        AnyManifest,
        Container,
        ContainerSpec,
        GitSource,
        GitSourceSpec,
        Image,
        ImageSpec,
        Manifest,
        Metadata,
        Network,
        NetworkSpec,
        Volume,
        VolumeSpec,
    )
    from dockform.manifests.schema import json_schema

_HOMES = {
    "API_VERSION": "dockform.manifests.models",
    "AnyManifest": "dockform.manifests.models",
    "Container": "dockform.manifests.models",
    "ContainerSpec": "dockform.manifests.models",
    "GitSource": "dockform.manifests.models",
    "GitSourceSpec": "dockform.manifests.models",
    "HASH_EXCLUDED": "dockform.manifests.hashing",
    "Image": "dockform.manifests.models",
    "ImageSpec": "dockform.manifests.models",
    "KIND_MODELS": "dockform.manifests.models",
    "Kind": "dockform.manifests.kinds",
    "LoadedManifest": "dockform.manifests.loader",
    "Manifest": "dockform.manifests.models",
    "ManifestError": "dockform.manifests.errors",
    "ManifestIssue": "dockform.manifests.errors",
    "Metadata": "dockform.manifests.models",
    "Network": "dockform.manifests.models",
    "NetworkSpec": "dockform.manifests.models",
    "SPEC_MODELS": "dockform.manifests.models",
    "UnknownKindError": "dockform.manifests.kinds",
    "Volume": "dockform.manifests.models",
    "VolumeSpec": "dockform.manifests.models",
    "canonical_json": "dockform.manifests.hashing",
    "canonical_kind": "dockform.manifests.kinds",
    "check_unique": "dockform.manifests.loader",
    "json_schema": "dockform.manifests.schema",
    "load_file": "dockform.manifests.loader",
    "load_paths": "dockform.manifests.loader",
    "load_text": "dockform.manifests.loader",
    "manifest_spec": "dockform.manifests.hashing",
    "plural": "dockform.manifests.kinds",
    "resolve_paths": "dockform.manifests.loader",
    "spec_hash": "dockform.manifests.hashing",
}


def __getattr__(name: str) -> Any:
    module = _HOMES.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


__all__ = [
    "API_VERSION",
    "HASH_EXCLUDED",
    "KIND_MODELS",
    "SPEC_MODELS",
    "AnyManifest",
    "Container",
    "ContainerSpec",
    "GitSource",
    "GitSourceSpec",
    "Image",
    "ImageSpec",
    "Kind",
    "LoadedManifest",
    "Manifest",
    "ManifestError",
    "ManifestIssue",
    "Metadata",
    "Network",
    "NetworkSpec",
    "UnknownKindError",
    "Volume",
    "VolumeSpec",
    "canonical_json",
    "canonical_kind",
    "check_unique",
    "json_schema",
    "load_file",
    "load_paths",
    "load_text",
    "manifest_spec",
    "plural",
    "resolve_paths",
    "spec_hash",
]
