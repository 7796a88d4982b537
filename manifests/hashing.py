"""Canonical spec JSON and the spec hash that decides whether a Docker object is replaced.

The store keeps `manifest_spec(manifest)` as a resource's spec, and reconcilers stamp
`spec_hash(kind, spec)` on the Docker objects they create (label `io.dockform.spec-hash`).
A hash that changes for no real reason replaces containers for nothing, so the spec is first
normalised through its typed model and every field still at its default is left out: a
default written out and a default left out hash the same, two key orders hash the same, and a
field added with a default in a later release changes no existing hash (no recreate storm on
upgrade).

Fields that must not force a recreate are left out of the hash (see `HASH_EXCLUDED`):

- Container `dependsOn`: ordering between containers at start; a running container is the
  same container whatever it waited for. `replicas`, `update` and `placement`: how many
  copies run and how a new spec rolls out; scaling replaces no running replica.
- GitSource `interval`, `suspend` and `webhook`: how often, whether and on whose call to sync,
  not what is synced.
- Secret `sealed` and Config `data`: the content, which `sha256` already stands for (a new
  daemon key re-encrypts a Secret without changing it).
- Job `dependsOn`, `backoffLimit` and `ttlAfterFinished`: when and how often it runs and how
  long its finished container stays, not what it runs (a Job re-runs when its hash changes).

A reconciler that needs more in its hash (a Container's resolved image id) adds it on top.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

from dockform.manifests.kinds import Kind, UnknownKindError
from dockform.manifests.models import SPEC_MODELS, Manifest

HASH_EXCLUDED: dict[str, frozenset[str]] = {
    # How many replicas and how they roll out: changing them replaces no container.
    Kind.CONTAINER: frozenset({"dependsOn", "replicas", "update", "placement"}),
    Kind.GIT_SOURCE: frozenset({"interval", "suspend", "webhook"}),
    # The content itself (encrypted, or base64): its `sha256` stands for it.
    Kind.SECRET: frozenset({"sealed"}),
    Kind.CONFIG: frozenset({"data"}),
    Kind.JOB: frozenset({"dependsOn", "backoffLimit", "ttlAfterFinished"}),
}


def canonical_json(value: object) -> str:
    """JSON with sorted keys and no whitespace: equal values give equal text."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def hashed_spec(kind: str, spec: dict[str, Any]) -> dict[str, Any]:
    """What the hash covers: non-default fields of the typed spec, minus `HASH_EXCLUDED`."""
    model = SPEC_MODELS.get(kind)
    if model is None:
        raise UnknownKindError(kind)
    explicit = model.model_validate(spec).model_dump(
        mode="json", by_alias=True, exclude_defaults=True
    )
    excluded = HASH_EXCLUDED.get(kind, frozenset())
    return {key: value for key, value in explicit.items() if key not in excluded}


def spec_hash(kind: str, spec: dict[str, Any]) -> str:
    """sha256 hex of the canonical JSON of `hashed_spec(kind, spec)`."""
    hashed = hashed_spec(kind, spec)
    return hashlib.sha256(canonical_json(hashed).encode("utf-8")).hexdigest()


def manifest_spec(manifest: Manifest) -> dict[str, Any]:
    """The stored form of a manifest's spec: camelCase keys, defaults included, None left out."""
    return manifest.spec.dump()
