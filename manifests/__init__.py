"""dockform manifests: models, loading with positions, canonical hashing, JSON Schema.

The bottom layer: every other package imports from here and this package imports none of them.
"""

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
