"""`GET /v1/{kinds}`, `GET /v1/{kinds}/{name}`, `DELETE /v1/{kinds}/{name}`: store reads and
deletion requests. The controller does the teardown; DELETE answers 202 at once."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Query

from api.deps import StoreDep
from api.errors import ApiError
from manifests.kinds import canonical_kind
from store.errors import NotFound

router = APIRouter(prefix="/v1", tags=["resources"])


def parse_selector(selectors: list[str]) -> dict[str, str]:
    """`?label=app=web&label=tier=front` -> {"app": "web", "tier": "front"}."""
    labels: dict[str, str] = {}
    for selector in selectors:
        for part in selector.split(","):
            key, sep, value = part.partition("=")
            if not sep or not key.strip():
                raise ApiError(400, f"label selector {part!r} must look like key=value")
            labels[key.strip()] = value.strip()
    return labels


@router.get("/{kinds}", summary="List objects of a kind")
def list_objects(
    kinds: str, store: StoreDep, label: list[str] = Query(default=[], max_length=64)
) -> dict[str, Any]:
    kind = canonical_kind(kinds)
    items = store.list(kind, labels=parse_selector(label) or None)
    return {"kind": kind, "items": [item.dump() for item in items]}


@router.get("/{kinds}/{name}", summary="Get one object with its status")
def get_object(kinds: str, name: str, store: StoreDep) -> dict[str, Any]:
    kind = canonical_kind(kinds)
    resource = store.get(kind, name)
    if resource is None:
        raise NotFound(kind, name)
    return resource.dump()


@router.delete("/{kinds}/{name}", status_code=202, summary="Request deletion of an object")
def delete_object(kinds: str, name: str, store: StoreDep) -> dict[str, Any]:
    kind = canonical_kind(kinds)
    resource = store.request_deletion(kind, name)
    return {"kind": kind, "name": name, "status": "deleting", "resource": resource.dump()}
