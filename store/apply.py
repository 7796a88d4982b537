"""The one apply path: `dockform apply`, watched directories and git sources all come here.

A request carries loaded manifests and the source applying them. Inside one write
transaction every object is created, configured or left unchanged, and with `prune` the
source's objects missing from the new set are marked for deletion; any conflict raises and
nothing is written. A dry run goes through the very same code and rolls back. Listeners hear
about changed keys only after the commit, so the controller never sees a half-applied set.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from dockform.manifests.hashing import manifest_spec, spec_hash
from dockform.manifests.loader import LoadedManifest
from dockform.store.errors import (
    DuplicateObject,
    OwnershipConflict,
    PruneRefused,
    StaleResourceVersion,
)
from dockform.store.orm import ResourceRow, RevisionRow, utcnow
from dockform.store.repository import Store, upsert_source_row

Action = Literal["created", "configured", "unchanged", "pruned"]


@dataclass
class ApplyRequest:
    manifests: Sequence[LoadedManifest]
    source: str = "cli"
    prune: bool = False
    allow_empty: bool = False
    force: bool = False
    dry_run: bool = False
    # What the source applied (git commit, file content hash), recorded with the source.
    revision: str | None = None


@dataclass(frozen=True)
class ObjectResult:
    kind: str
    name: str
    action: Action
    generation: int
    old_spec: dict[str, Any] | None
    new_spec: dict[str, Any] | None
    resource_version: int = 0

    @property
    def changed(self) -> bool:
        return self.action != "unchanged"


@dataclass(frozen=True)
class _Desired:
    """One manifest reduced to what the store keeps."""

    kind: str
    name: str
    spec: dict[str, Any]
    spec_hash: str
    labels: dict[str, str]
    annotations: dict[str, str]
    expected_version: int | None
    where: str


def apply(store: Store, request: ApplyRequest) -> list[ObjectResult]:
    """Apply `request` all or nothing; raises Conflict, PruneRefused or DuplicateObject."""
    desired = _desired_set(request.manifests)
    with store.write_session(commit=not request.dry_run) as session:
        now = utcnow()
        existing = _load_existing(session, desired)
        results = [
            _apply_one(session, request, item, existing.get(_key(item)), now) for item in desired
        ]
        if request.prune:
            results += _prune(session, request, {_key(item) for item in desired}, now)
        if not request.dry_run and results:
            upsert_source_row(
                session,
                request.source,
                type=None,
                path=None,
                revision=request.revision,
                last_applied_at=now,
                last_error=None,
            )
    if not request.dry_run:
        store.notify((result.kind, result.name) for result in results if result.changed)
    return results


def _desired_set(manifests: Sequence[LoadedManifest]) -> list[_Desired]:
    desired: list[_Desired] = []
    seen: dict[tuple[str, str], str] = {}
    for loaded in manifests:
        manifest = loaded.manifest
        spec = manifest_spec(manifest)
        where = f"{loaded.file}:{loaded.line}"
        item = _Desired(
            kind=loaded.kind,
            name=loaded.name,
            spec=spec,
            spec_hash=spec_hash(loaded.kind, spec),
            labels=dict(manifest.metadata.labels),
            annotations=dict(manifest.metadata.annotations),
            expected_version=manifest.metadata.resource_version,
            where=where,
        )
        if _key(item) in seen:
            raise DuplicateObject(item.kind, item.name, seen[_key(item)], where)
        seen[_key(item)] = where
        desired.append(item)
    return desired


def _key(item: _Desired) -> tuple[str, str]:
    return (item.kind, item.name)


def _load_existing(
    session: Session, desired: Sequence[_Desired]
) -> dict[tuple[str, str], ResourceRow]:
    names_by_kind: dict[str, list[str]] = {}
    for item in desired:
        names_by_kind.setdefault(item.kind, []).append(item.name)
    existing: dict[tuple[str, str], ResourceRow] = {}
    for kind, names in names_by_kind.items():
        rows = session.scalars(
            select(ResourceRow).where(ResourceRow.kind == kind, ResourceRow.name.in_(names))
        )
        existing.update({(row.kind, row.name): row for row in rows})
    return existing


def _apply_one(
    session: Session,
    request: ApplyRequest,
    item: _Desired,
    row: ResourceRow | None,
    now: datetime,
) -> ObjectResult:
    if row is None:
        return _create(session, request, item, now)
    if row.source != request.source and not request.force:
        # Like server-side apply: only a change conflicts. Applying exactly what the owner
        # applied is `unchanged`, and ownership stays where it was.
        if _same_content(row, item):
            return _result(row, "unchanged", row.spec)
        raise OwnershipConflict(item.kind, item.name, row.source, request.source)
    if item.expected_version is not None and item.expected_version != row.resource_version:
        raise StaleResourceVersion(
            item.kind, item.name, item.expected_version, row.resource_version
        )
    old_spec = row.spec
    spec_changed = row.spec_hash != item.spec_hash
    metadata_changed = (
        row.labels != item.labels
        or row.annotations != item.annotations
        or row.source != request.source
        or row.deletion_requested_at is not None
    )
    if not spec_changed and not metadata_changed:
        return _result(row, "unchanged", old_spec)
    if spec_changed:
        row.generation += 1
        row.spec = item.spec
        row.spec_hash = item.spec_hash
        session.add(_revision(item, row.generation, request.source, now))
    row.labels = item.labels
    row.annotations = item.annotations
    row.source = request.source
    # Re-applying an object that is being deleted keeps it: the deletion is called off.
    row.deletion_requested_at = None
    row.resource_version += 1
    row.updated_at = now
    return _result(row, "configured", old_spec)


def _same_content(row: ResourceRow, item: _Desired) -> bool:
    return (
        row.spec_hash == item.spec_hash
        and row.labels == item.labels
        and row.annotations == item.annotations
        and row.deletion_requested_at is None
    )


def _create(session: Session, request: ApplyRequest, item: _Desired, now: datetime) -> ObjectResult:
    # Version 0 means "must not exist yet"; any other expected version needs the object.
    if item.expected_version not in (None, 0):
        raise StaleResourceVersion(item.kind, item.name, item.expected_version, 0)
    # Revisions outlive a removed resource; a re-created one continues their numbering.
    last_generation = session.scalar(
        select(func.max(RevisionRow.generation)).where(
            RevisionRow.kind == item.kind, RevisionRow.name == item.name
        )
    )
    generation = (last_generation or 0) + 1
    row = ResourceRow(
        kind=item.kind,
        name=item.name,
        spec=item.spec,
        spec_hash=item.spec_hash,
        labels=item.labels,
        annotations=item.annotations,
        generation=generation,
        resource_version=1,
        source=request.source,
        created_at=now,
        updated_at=now,
        deletion_requested_at=None,
    )
    session.add(row)
    session.add(_revision(item, generation, request.source, now))
    return _result(row, "created", None)


def _prune(
    session: Session, request: ApplyRequest, keep: set[tuple[str, str]], now: datetime
) -> list[ObjectResult]:
    owned = session.scalars(
        select(ResourceRow)
        .where(ResourceRow.source == request.source, ResourceRow.deletion_requested_at.is_(None))
        .order_by(ResourceRow.kind, ResourceRow.name)
    )
    doomed = [row for row in owned if (row.kind, row.name) not in keep]
    if doomed and not keep and not request.allow_empty:
        raise PruneRefused(request.source, len(doomed))
    results: list[ObjectResult] = []
    for row in doomed:
        row.deletion_requested_at = now
        row.resource_version += 1
        row.updated_at = now
        results.append(
            ObjectResult(
                kind=row.kind,
                name=row.name,
                action="pruned",
                generation=row.generation,
                old_spec=row.spec,
                new_spec=None,
                resource_version=row.resource_version,
            )
        )
    return results


def _revision(item: _Desired, generation: int, source: str, now: datetime) -> RevisionRow:
    return RevisionRow(
        kind=item.kind,
        name=item.name,
        generation=generation,
        spec=item.spec,
        spec_hash=item.spec_hash,
        source=source,
        created_at=now,
    )


def _result(row: ResourceRow, action: Action, old_spec: dict[str, Any] | None) -> ObjectResult:
    return ObjectResult(
        kind=row.kind,
        name=row.name,
        action=action,
        generation=row.generation,
        old_spec=old_spec,
        new_spec=row.spec,
        resource_version=row.resource_version,
    )
