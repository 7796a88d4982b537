"""The one path by which desired state is written: `Applier`.

`dockform apply` and diff (through the API), watched directories, git sources, deletion
requests (API DELETE, `dockform delete`) and forgetting a source all come here. An apply
request carries loaded manifests and the source applying them. Inside one write transaction
every object is created, configured or left unchanged, and with `prune` the source's objects
missing from the new set are marked for deletion; any conflict raises and nothing is written.
A dry run goes through the very same code and rolls back.

After a committed write the Applier calls `on_change` once with the keys whose desired state
changed, so the controller never sees a half-applied set and never hears of a dry run or of
an unchanged object. The composition root (`cli.daemon`) builds one Applier whose `on_change`
is the controller's `Manager.desired_changed`. This module imports `store.repository`, never
the other way round.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass
from datetime import datetime
from itertools import pairwise
from typing import Any, Literal

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from dockform.manifests.dependencies import (
    DEPENDENT_KINDS,
    container_dependencies,
    describe_cycle,
    find_cycle,
)
from dockform.manifests.errors import ManifestIssue
from dockform.manifests.hashing import HASH_EXCLUDED, manifest_spec, spec_hash
from dockform.manifests.loader import LoadedManifest
from dockform.manifests.source_names import CLI
from dockform.store.convert import to_resource
from dockform.store.errors import (
    DependencyCycle,
    DuplicateObject,
    NotFound,
    OwnershipConflict,
    PruneRefused,
    StaleResourceVersion,
)
from dockform.store.orm import ResourceRow, ResourceStatusRow, RevisionRow, SourceRow, utcnow
from dockform.store.repository import Key, Store, find_row, upsert_source_row
from dockform.store.types import Resource

log = logging.getLogger(__name__)

Action = Literal["created", "configured", "unchanged", "pruned"]
OnChange = Callable[[Sequence[Key]], None]


@dataclass
class ApplyRequest:
    manifests: Sequence[LoadedManifest]
    source: str = CLI
    prune: bool = False
    allow_empty: bool = False
    force: bool = False
    dry_run: bool = False
    # What the source applied (git commit, file content hash), recorded with the source.
    revision: str | None = None
    # Where the source reads from (a watched file's path, a GitSource's url and branch),
    # recorded with the source in the same transaction; None keeps what is recorded.
    source_path: str | None = None
    # Objects of this request whose desired state changed outside their spec: an Image built
    # from a git checkout whose files moved to a new commit. They count as changed even when
    # their row is unchanged, so the controller looks at them again.
    refresh: Collection[Key] = ()


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

    @property
    def key(self) -> Key:
        return (self.kind, self.name)


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


class Applier:
    """Every write of desired state, each followed by one `on_change(keys)` after commit.

    Safe to share between threads: it keeps no state of its own besides the store.
    """

    def __init__(self, store: Store, on_change: OnChange) -> None:
        self.store = store
        self._on_change = on_change

    def apply(self, request: ApplyRequest) -> list[ObjectResult]:
        """Apply `request` all or nothing; raises Conflict, PruneRefused or DuplicateObject."""
        desired = _desired_set(request.manifests)
        with self.store.write_session(commit=not request.dry_run) as session:
            now = utcnow()
            existing = _load_existing(session, desired)
            _refuse_cycles(session, request, desired)
            results = [
                _apply_one(session, request, item, existing.get(_key(item)), now)
                for item in desired
            ]
            if request.prune:
                results += _prune(session, request, {_key(item) for item in desired}, now)
            if not request.dry_run and results:
                upsert_source_row(
                    session,
                    request.source,
                    type=None,
                    path=request.source_path,
                    revision=request.revision,
                    last_applied_at=now,
                    last_error=None,
                )
        if not request.dry_run:
            refreshed = set(request.refresh) & {_key(item) for item in desired}
            self._changed(
                [result.key for result in results if result.changed or result.key in refreshed]
            )
        return results

    def request_deletion(self, kind: str, name: str) -> Resource:
        """Mark `kind/name` for deletion; the controller tears it down, then removes the row."""
        with self.store.write_session() as session:
            row = find_row(session, kind, name)
            if row is None:
                raise NotFound(kind, name)
            status = session.get(ResourceStatusRow, row.id)
            if row.deletion_requested_at is not None:
                return to_resource(row, status)
            _mark_deleted(row, utcnow())
            session.flush()
            resource = to_resource(row, status)
        self._changed([(kind, name)])
        return resource

    def forget_source(self, source: str) -> list[ObjectResult]:
        """The source is gone (a deleted watched file, a pruned GitSource): request deletion
        of every object it owns and forget its record, in one transaction."""
        empty = ApplyRequest(manifests=[], source=source, prune=True, allow_empty=True)
        with self.store.write_session() as session:
            results = _prune(session, empty, set(), utcnow())
            session.execute(delete(SourceRow).where(SourceRow.name == source))
        self._changed([result.key for result in results])
        return results

    def _changed(self, keys: Sequence[Key]) -> None:
        if not keys:
            return
        try:
            self._on_change(keys)
        except Exception:
            # A broken listener must not undo or hide a write that is already committed.
            log.exception("on_change failed for %d changed objects", len(keys))


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


def _refuse_cycles(session: Session, request: ApplyRequest, desired: Sequence[_Desired]) -> None:
    """Raise DependencyCycle when the Containers and Jobs desired after this apply (the
    applied ones over the stored ones, less those being deleted or pruned now) wait for each
    other in a circle that runs through an applied one."""
    applied = {_key(item): item for item in desired}
    graph = {key: container_dependencies(item.kind, item.spec) for key, item in applied.items()}
    stored = session.execute(
        select(ResourceRow.kind, ResourceRow.name, ResourceRow.spec, ResourceRow.source).where(
            ResourceRow.kind.in_(DEPENDENT_KINDS), ResourceRow.deletion_requested_at.is_(None)
        )
    )
    for kind, name, spec, source in stored:
        key = (kind, name)
        if key in applied or (request.prune and source == request.source):
            continue
        graph[key] = container_dependencies(kind, spec)
    cycle = find_cycle(graph, [key for key in applied if graph[key]])
    if cycle is None:
        return
    loaded = {(item.kind, item.name): item for item in request.manifests}
    issues = []
    for here, after in pairwise(cycle):
        if here not in loaded:
            continue  # a stored object this apply does not touch
        place = loaded[here]
        index = graph[here].index(after)
        issues.append(
            ManifestIssue(
                file=place.file,
                document=place.document,
                line=place.line,
                path=f"spec.dependsOn[{index}]",
                message=describe_cycle(cycle),
                kind=place.kind,
                name=place.name,
            )
        )
    raise DependencyCycle(cycle, issues)


def _apply_one(
    session: Session,
    request: ApplyRequest,
    item: _Desired,
    row: ResourceRow | None,
    now: datetime,
) -> ObjectResult:
    if row is None:
        return _create(session, request, item, now)
    same = _same_content(row, item)
    if row.source != request.source and not request.force:
        # Like server-side apply: only a change conflicts. Applying exactly what the owner
        # applied is `unchanged`, and ownership stays where it was.
        if same:
            return _result(row, "unchanged", row.spec)
        raise OwnershipConflict(item.kind, item.name, row.source, request.source)
    if item.expected_version is not None and item.expected_version != row.resource_version:
        raise StaleResourceVersion(
            item.kind, item.name, item.expected_version, row.resource_version
        )
    old_spec = row.spec
    if same and row.source == request.source:
        return _result(row, "unchanged", old_spec)
    if _spec_changed(row, item):
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
    """The row already holds what `item` asks for (spec, labels, annotations, not deleting)."""
    return (
        not _spec_changed(row, item)
        and row.labels == item.labels
        and row.annotations == item.annotations
        and row.deletion_requested_at is None
    )


def _spec_changed(row: ResourceRow, item: _Desired) -> bool:
    """The spec differs in its hash or in a field the hash leaves out (`HASH_EXCLUDED`: a
    Container's dependsOn, a GitSource's interval): those must be stored too, or the
    controller would keep waiting on, and the cycle check keep seeing, the old ones."""
    if row.spec_hash != item.spec_hash:
        return True
    return any(
        row.spec.get(field) != item.spec.get(field) for field in HASH_EXCLUDED.get(item.kind, ())
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
        _mark_deleted(row, now)
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


def _mark_deleted(row: ResourceRow, now: datetime) -> None:
    row.deletion_requested_at = now
    row.resource_version += 1
    row.updated_at = now


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
