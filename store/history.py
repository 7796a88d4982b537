"""History and explain, read from the store: what each revision changed, and what made the
object as it runs now.

Pure over what the store holds (revisions, the object and its status): the API and the
dashboard show it. `explain` of a Container reads what its running container was made for and
why (`ContainerObserved.made_for` / `made_because`, from the container's own labels): the
spec fields changed between the generation its predecessor ran and its own, a new image id,
a Secret's or Config's new content, a source bind that now leads elsewhere; or that no
container existed (first start, or one removed by hand and repaired). For any other kind it
is the last spec change: the fields its latest generation changed, by which source, when.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from pydantic import Field

from dockform.manifests.kinds import Kind
from dockform.manifests.redaction import redact_spec
from dockform.manifests.spec_diff import changed_fields
from dockform.store.types import Pin, Resource, Revision, StoreModel


class RevisionEntry(StoreModel):
    generation: int
    created_at: str
    source: str
    spec_hash: str
    changed: list[str] = Field(description="spec fields changed since the revision before")
    spec: dict[str, Any] | None = None  # with ?spec=true


class History(StoreModel):
    kind: str
    name: str
    namespace: str
    generation: int  # the object's current generation
    pin: Pin | None = None
    items: list[RevisionEntry]


class Change(StoreModel):
    what: str  # spec | image | content | bind | created
    detail: str
    fields: list[str] = Field(default_factory=list)


class Explanation(StoreModel):
    kind: str
    name: str
    namespace: str
    generation: int
    pin: Pin | None = None
    summary: str
    changes: list[Change]


def history(resource: Resource, revisions: Sequence[Revision], with_spec: bool) -> History:
    items = []
    previous: dict[str, Any] | None = None
    for revision in revisions:
        spec = redact_spec(revision.kind, revision.spec)
        items.append(
            RevisionEntry(
                generation=revision.generation,
                created_at=revision.created_at.isoformat(),
                source=revision.source,
                spec_hash=revision.spec_hash,
                changed=["spec"] if previous is None else changed_fields(previous, spec),
                spec=spec if with_spec else None,
            )
        )
        previous = spec
    return History(
        kind=resource.kind,
        name=resource.name,
        namespace=resource.namespace,
        generation=resource.generation,
        pin=resource.pin,
        items=items,
    )


def explain(resource: Resource, revisions: Sequence[Revision]) -> Explanation:
    by_generation = {revision.generation: revision for revision in revisions}
    observed = resource.status.observed or {}
    made_for, because = observed.get("madeFor"), observed.get("madeBecause")
    if resource.kind == Kind.CONTAINER and isinstance(made_for, Mapping):
        changes = _container_changes(made_for, because or {}, by_generation)
        cause = (because or {}).get("cause", "unknown")
        generation = made_for.get("generation")
        summary = f"the running container was made for generation {generation}: {cause}"
    elif resource.kind == Kind.CONTAINER and observed.get("containerId"):
        changes = []
        summary = "the running container predates dockform's record of why it was made"
    else:
        changes = _spec_change(resource.generation, by_generation)
        summary = f"generation {resource.generation} is the last change of its spec"
    if resource.pin is not None:
        summary += (
            f"; pinned by a rollback to generation {resource.pin.rolled_back_to} "
            f"(`dockform unpin` ends it)"
        )
    return Explanation(
        kind=resource.kind,
        name=resource.name,
        namespace=resource.namespace,
        generation=resource.generation,
        pin=resource.pin,
        summary=summary,
        changes=changes,
    )


def _container_changes(
    made_for: Mapping[str, Any], because: Mapping[str, Any], revisions: Mapping[int, Revision]
) -> list[Change]:
    previous = because.get("previous")
    if not isinstance(previous, Mapping):
        return [
            Change(
                what="created",
                detail="no container existed: its first start, or one that was removed "
                "(by hand, or with its engine's data) made again",
            )
        ]
    changes: list[Change] = []
    before, after = previous.get("generation"), made_for.get("generation")
    if before != after:
        old = revisions.get(before) if isinstance(before, int) else None
        new = revisions.get(after) if isinstance(after, int) else None
        fields = (
            changed_fields(redact_spec(new.kind, old.spec), redact_spec(new.kind, new.spec))
            if old is not None and new is not None
            else []
        )
        source = f" by {new.source}" if new is not None else ""
        detail = f"spec generation {before} -> {after}{source}"
        changes.append(Change(what="spec", detail=detail, fields=fields))
    if previous.get("imageId") != made_for.get("imageId"):
        detail = f"image {previous.get('imageId')} -> {made_for.get('imageId')}"
        changes.append(Change(what="image", detail=detail))
    old_contents = _by_object(previous.get("contents") or [])
    for name, digest in sorted(_by_object(made_for.get("contents") or []).items()):
        if old_contents.get(name) != digest:
            changes.append(Change(what="content", detail=f"{name} content {digest}"))
    if list(previous.get("bindTargets") or []) != list(made_for.get("bindTargets") or []):
        targets = ", ".join(made_for.get("bindTargets") or []) or "none"
        changes.append(Change(what="bind", detail=f"source binds now lead to {targets}"))
    if not changes:
        changes.append(Change(what=str(because.get("cause", "replaced")), detail="same inputs"))
    return changes


def _by_object(contents: Sequence[str]) -> dict[str, str]:
    """`["Secret/db sha256:ab"]` -> {"Secret/db": "sha256:ab"}."""
    return dict(item.split(" ", 1) for item in contents if " " in item)


def _spec_change(generation: int, revisions: Mapping[int, Revision]) -> list[Change]:
    current = revisions.get(generation)
    if current is None:
        return []
    earlier = [number for number in revisions if number < generation]
    if not earlier:
        detail = f"created at generation {generation} by {current.source}"
        return [Change(what="created", detail=detail)]
    before = revisions[max(earlier)]
    fields = changed_fields(
        redact_spec(current.kind, before.spec), redact_spec(current.kind, current.spec)
    )
    detail = f"spec generation {before.generation} -> {generation} by {current.source}"
    return [Change(what="spec", detail=detail, fields=fields)]
