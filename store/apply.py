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
from dataclasses import dataclass, replace
from datetime import datetime
from itertools import pairwise
from typing import Any, Literal

from sqlalchemy import delete, func, select, tuple_
from sqlalchemy.orm import Session

from dockform.manifests.dependencies import (
    DEPENDENT_KINDS,
    container_dependencies,
    describe_cycle,
    find_cycle,
)
from dockform.manifests.errors import ManifestIssue
from dockform.manifests.hashing import HASH_EXCLUDED, manifest_spec, spec_hash
from dockform.manifests.kinds import Kind
from dockform.manifests.loader import LoadedManifest
from dockform.manifests.models import NetworkSpec
from dockform.manifests.namespaces import (
    DEFAULT_NAMESPACE,
    DEFAULT_NETWORK,
    SYSTEM_SOURCE,
    ObjectKey,
    display,
    engine_name,
    engine_name_holders,
)
from dockform.manifests.source_names import CLI
from dockform.store import pins, scaling
from dockform.store.convert import to_resource
from dockform.store.errors import (
    DependencyCycle,
    DuplicateObject,
    EngineNameConflict,
    NotFound,
    OwnershipConflict,
    PruneRefused,
    StaleResourceVersion,
)
from dockform.store.orm import ResourceRow, ResourceStatusRow, RevisionRow, SourceRow, utcnow
from dockform.store.repository import Key, Store, find_row, upsert_source_row
from dockform.store.sealing import Sealer
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
    namespace: str = DEFAULT_NAMESPACE

    @property
    def changed(self) -> bool:
        return self.action != "unchanged"

    @property
    def key(self) -> Key:
        return ObjectKey(self.kind, self.namespace, self.name)


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
    namespace: str = DEFAULT_NAMESPACE


class Applier:
    """Every write of desired state, each followed by one `on_change(keys)` after commit.

    Safe to share between threads: it keeps no state of its own besides the store.
    """

    def __init__(self, store: Store, on_change: OnChange, sealer: Sealer | None = None) -> None:
        self.store = store
        self._on_change = on_change
        # Reads and seals Secret and Config content; without one, Secrets are refused.
        self._sealer = sealer or Sealer(None)

    def apply(self, request: ApplyRequest) -> list[ObjectResult]:
        """Apply `request` all or nothing; raises Conflict, PruneRefused, DuplicateObject or
        ContentUnavailable."""
        desired = _desired_set(self._sealer.seal(request.manifests))
        with self.store.write_session(commit=not request.dry_run) as session:
            now = utcnow()
            existing = _load_existing(session, desired)
            desired = [_hashed(item, existing.get(_key(item))) for item in desired]
            _refuse_cycles(session, request, desired, existing)
            _refuse_engine_name_clashes(session, desired)
            _refuse_shared_image_refs(session, desired)
            results = [
                _apply_one(session, request, item, existing.get(_key(item)), now)
                for item in desired
            ]
            if request.prune:
                results += _prune(session, request, {_key(item) for item in desired}, now)
            touched = {item.namespace for item in desired} | {r.namespace for r in results}
            results += _sync_default_networks(session, touched, now)
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

    def request_deletion(
        self, kind: str, name: str, namespace: str = DEFAULT_NAMESPACE
    ) -> Resource:
        """Mark `kind/name` for deletion; the controller tears it down, then removes the row."""
        with self.store.write_session() as session:
            row = find_row(session, kind, name, namespace)
            if row is None:
                raise NotFound(kind, name, namespace)
            status = session.get(ResourceStatusRow, row.id)
            if row.deletion_requested_at is not None:
                return to_resource(row, status)
            now = utcnow()
            _mark_deleted(row, now)
            session.flush()
            resource = to_resource(row, status)
            extra = _sync_default_networks(session, {namespace}, now)
        self._changed([resource.key, *(result.key for result in extra)])
        return resource

    def delete_namespace(self, namespace: str) -> list[ObjectResult]:
        """Mark every object of `namespace` for deletion, whichever source owns it; the
        controller tears them down in reverse dependency order (Volumes by their
        reclaimPolicy). NotFound when the namespace holds nothing."""
        with self.store.write_session() as session:
            rows = list(
                session.scalars(
                    select(ResourceRow)
                    .where(ResourceRow.namespace == namespace)
                    .order_by(ResourceRow.kind, ResourceRow.name)
                )
            )
            if not rows:
                raise NotFound("Namespace", namespace)
            now = utcnow()
            results: list[ObjectResult] = []
            for row in rows:
                if row.deletion_requested_at is None:
                    _mark_deleted(row, now)
                results.append(_result(row, "pruned", row.spec))
        self._changed([result.key for result in results])
        return results

    def rollback(
        self, kind: str, name: str, namespace: str = DEFAULT_NAMESPACE, to: int | None = None
    ) -> Resource:
        """Apply revision `to` (default: the last earlier one with another spec) as a new
        generation, pinned against the object's source (store.pins)."""
        with self.store.write_session() as session:
            row = _live_row(session, kind, name, namespace)
            pins.rollback(session, row, to, utcnow())
            session.flush()
            resource = to_resource(row, session.get(ResourceStatusRow, row.id))
        self._changed([resource.key])
        return resource

    def scale(
        self, kind: str, name: str, replicas: int, namespace: str = DEFAULT_NAMESPACE
    ) -> Resource:
        """Set a Container's replicas as a new generation (store.scaling)."""
        with self.store.write_session() as session:
            row = _live_row(session, kind, name, namespace)
            changed = scaling.scale(session, row, replicas, utcnow())
            session.flush()
            resource = to_resource(row, session.get(ResourceStatusRow, row.id))
        if changed:
            self._changed([resource.key])
        return resource

    def unpin(self, kind: str, name: str, namespace: str = DEFAULT_NAMESPACE) -> Resource:
        """End a rollback's pin: the spec its source had applied comes back."""
        with self.store.write_session() as session:
            row = _live_row(session, kind, name, namespace)
            pins.unpin(session, row, utcnow())
            session.flush()
            resource = to_resource(row, session.get(ResourceStatusRow, row.id))
        self._changed([resource.key])
        return resource

    def forget_source(self, source: str) -> list[ObjectResult]:
        """The source is gone (a deleted watched file, a pruned GitSource): request deletion
        of every object it owns and forget its record, in one transaction."""
        empty = ApplyRequest(manifests=[], source=source, prune=True, allow_empty=True)
        with self.store.write_session() as session:
            now = utcnow()
            results = _prune(session, empty, set(), now)
            results += _sync_default_networks(session, {r.namespace for r in results}, now)
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


def _live_row(session: Session, kind: str, name: str, namespace: str) -> ResourceRow:
    row = find_row(session, kind, name, namespace)
    if row is None or row.deletion_requested_at is not None:
        raise NotFound(kind, name, namespace)
    return row


def _desired_set(manifests: Sequence[LoadedManifest]) -> list[_Desired]:
    desired: list[_Desired] = []
    seen: dict[Key, str] = {}
    for loaded in manifests:
        manifest = loaded.manifest
        spec = manifest_spec(manifest)
        where = f"{loaded.file}:{loaded.line}"
        item = _Desired(
            kind=loaded.kind,
            name=loaded.name,
            namespace=loaded.namespace,
            spec=spec,
            spec_hash="",  # `_hashed`, once the stored row is known
            labels=dict(manifest.metadata.labels),
            annotations=dict(manifest.metadata.annotations),
            expected_version=manifest.metadata.resource_version,
            where=where,
        )
        if _key(item) in seen:
            raise DuplicateObject(item.kind, item.name, seen[_key(item)], where, item.namespace)
        seen[_key(item)] = where
        desired.append(item)
    return desired


def _hashed(item: _Desired, row: ResourceRow | None) -> _Desired:
    """`item` with its spec hash: the stored row's when its spec is the very same (the hash is
    a function of the spec, and validating and hashing a spec again is most of what an
    unchanged apply would cost), else computed."""
    if row is not None and row.spec == item.spec and row.spec_hash:
        return replace(item, spec_hash=row.spec_hash)
    return replace(item, spec_hash=spec_hash(item.kind, item.spec))


def _key(item: _Desired) -> Key:
    return ObjectKey(item.kind, item.namespace, item.name)


def _row_key(row: ResourceRow) -> Key:
    return ObjectKey(row.kind, row.namespace, row.name)


def _load_existing(session: Session, desired: Sequence[_Desired]) -> dict[Key, ResourceRow]:
    names_by_group: dict[tuple[str, str], list[str]] = {}
    for item in desired:
        names_by_group.setdefault((item.kind, item.namespace), []).append(item.name)
    existing: dict[Key, ResourceRow] = {}
    for (kind, namespace), names in names_by_group.items():
        rows = session.scalars(
            select(ResourceRow).where(
                ResourceRow.kind == kind,
                ResourceRow.namespace == namespace,
                ResourceRow.name.in_(names),
            )
        )
        existing.update({_row_key(row): row for row in rows})
    return existing


# Keys per query when looking for stored objects (SQLite binds at most 32766 values).
_CHUNK = 500
# Kinds whose Docker objects are named after the resource (an Image is named by its ref),
# by the kind of Docker object: a Job's container shares Docker's container names with the
# Containers.
_ENGINE_KIND: dict[str, str] = {
    Kind.CONTAINER: "container",
    Kind.JOB: "container",
    Kind.NETWORK: "network",
    Kind.VOLUME: "volume",
}
# Kinds that run a container (and join their namespace's implicit network without networks).
_CONTAINER_KINDS = (Kind.CONTAINER, Kind.JOB)


def _refuse_engine_name_clashes(session: Session, desired: Sequence[_Desired]) -> None:
    """Raise EngineNameConflict when two objects would get the same Docker name (within this
    apply, or against what is stored): two of one kind in different namespaces, or a
    Container and a Job (both Docker containers) in any namespaces."""
    claimed: dict[tuple[str, str], _Desired] = {}
    others: dict[tuple[str, str, str], _Desired] = {}
    for item in desired:
        engine_kind = _ENGINE_KIND.get(item.kind)
        if engine_kind is None:
            continue
        engine = engine_name(item.namespace, item.name)
        first = claimed.get((engine_kind, engine))
        if first is not None and (first.namespace, first.kind) != (item.namespace, item.kind):
            raise EngineNameConflict(
                engine,
                f"{display(first.kind, first.namespace, first.name)} ({first.where})",
                f"{display(item.kind, item.namespace, item.name)} ({item.where})",
            )
        claimed[(engine_kind, engine)] = item
        kinds = [kind for kind, group in _ENGINE_KIND.items() if group == engine_kind]
        for namespace, name in engine_name_holders(engine):
            for kind in kinds:
                if (kind, namespace) != (item.kind, item.namespace):
                    others[(kind, namespace, name)] = item
    # Every other holder in few queries: a row per stored object that would clash.
    keys = sorted(others)
    for start in range(0, len(keys), _CHUNK):
        chunk = keys[start : start + _CHUNK]
        stored = session.execute(
            select(ResourceRow.kind, ResourceRow.namespace, ResourceRow.name).where(
                tuple_(ResourceRow.kind, ResourceRow.namespace, ResourceRow.name).in_(chunk)
            )
        ).first()
        if stored is not None:
            kind, namespace, name = stored
            item = others[(kind, namespace, name)]
            raise EngineNameConflict(
                engine_name(item.namespace, item.name),
                f"{display(kind, namespace, name)} (stored)",
                f"{display(item.kind, item.namespace, item.name)} ({item.where})",
            )


def _refuse_shared_image_refs(session: Session, desired: Sequence[_Desired]) -> None:
    """Raise EngineNameConflict when Images of two namespaces declare one `ref`: a tag is
    global on the engine, and two builds of it would replace each other without end."""
    claimed: dict[str, _Desired] = {}
    for item in desired:
        if item.kind != Kind.IMAGE:
            continue
        ref = str(item.spec.get("ref"))
        first = claimed.setdefault(ref, item)
        if first.namespace != item.namespace:
            raise EngineNameConflict(
                ref,
                f"{display(first.kind, first.namespace, first.name)} ({first.where})",
                f"{display(item.kind, item.namespace, item.name)} ({item.where})",
            )
        holder = session.execute(
            select(ResourceRow.namespace, ResourceRow.name).where(
                ResourceRow.kind == Kind.IMAGE,
                ResourceRow.namespace != item.namespace,
                ResourceRow.spec["ref"].as_string() == ref,
            )
        ).first()
        if holder is not None:
            raise EngineNameConflict(
                ref,
                f"{display(Kind.IMAGE, holder[0], holder[1])} (stored)",
                f"{display(item.kind, item.namespace, item.name)} ({item.where})",
            )


def _needs_default_network(spec: dict[str, Any]) -> bool:
    return not spec.get("networks") and not spec.get("hostNetwork")


def _sync_default_networks(
    session: Session, namespaces: Collection[str], now: datetime
) -> list[ObjectResult]:
    """Give each namespace (but `default`) whose live Containers or Jobs name no network its
    own Network `default`, owned by the system source, and take it away when none needs it.

    Runs in the transaction of the write that changed the namespace's Containers, so every
    source (CLI, watched files, git) sees the same outcome and prune never touches it."""
    results: list[ObjectResult] = []
    for namespace in sorted(set(namespaces) - {DEFAULT_NAMESPACE}):
        session.flush()
        specs = session.scalars(
            select(ResourceRow.spec).where(
                ResourceRow.kind.in_(_CONTAINER_KINDS),
                ResourceRow.namespace == namespace,
                ResourceRow.deletion_requested_at.is_(None),
            )
        )
        needed = any(_needs_default_network(spec) for spec in specs)
        row = find_row(session, Kind.NETWORK, DEFAULT_NETWORK, namespace)
        if needed and row is None:
            spec = NetworkSpec().dump()
            item = _Desired(
                kind=Kind.NETWORK,
                name=DEFAULT_NETWORK,
                namespace=namespace,
                spec=spec,
                spec_hash=spec_hash(Kind.NETWORK, spec),
                labels={},
                annotations={},
                expected_version=None,
                where="implicit",
            )
            _refuse_engine_name_clashes(session, [item])
            request = ApplyRequest(manifests=[], source=SYSTEM_SOURCE)
            results.append(_create(session, request, item, now))
        elif needed and row is not None and row.deletion_requested_at is not None:
            row.deletion_requested_at = None
            row.resource_version += 1
            row.updated_at = now
            results.append(_result(row, "configured", row.spec))
        elif (
            not needed
            and row is not None
            and row.source == SYSTEM_SOURCE
            and row.deletion_requested_at is None
        ):
            _mark_deleted(row, now)
            results.append(_result(row, "pruned", row.spec))
    return results


def _refuse_cycles(
    session: Session,
    request: ApplyRequest,
    desired: Sequence[_Desired],
    existing: dict[Key, ResourceRow],
) -> None:
    """Raise DependencyCycle when the Containers and Jobs desired after this apply (the
    applied ones over the stored ones, less those being deleted or pruned now) wait for each
    other in a circle that runs through an applied one whose dependencies this apply adds.

    Only an added dependency can close a circle (what is stored has none: every write came
    through here), so an apply that adds none, an unchanged one above all, reads nothing."""
    applied = {_key(item): item for item in desired}
    graph = {
        key: container_dependencies(item.kind, item.spec, item.namespace)
        for key, item in applied.items()
    }
    adding = [key for key in applied if graph[key] and _adds_dependencies(key, graph, existing)]
    if not adding:
        return
    stored = session.execute(
        select(
            ResourceRow.kind,
            ResourceRow.namespace,
            ResourceRow.name,
            ResourceRow.spec,
            ResourceRow.source,
        ).where(
            ResourceRow.kind.in_(DEPENDENT_KINDS),
            ResourceRow.deletion_requested_at.is_(None),
            ResourceRow.namespace.in_({item.namespace for item in desired}),
        )
    )
    for kind, namespace, name, spec, source in stored:
        key = ObjectKey(kind, namespace, name)
        if key in applied or (request.prune and source == request.source):
            continue
        graph[key] = container_dependencies(kind, spec, namespace)
    cycle = find_cycle(graph, adding)
    if cycle is None:
        return
    loaded = {item.key: item for item in request.manifests}
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
                reason="DependencyCycle",
            )
        )
    raise DependencyCycle(cycle, issues)


def _adds_dependencies(
    key: Key, graph: dict[Key, list[Key]], existing: dict[Key, ResourceRow]
) -> bool:
    """The applied object waits for something its live stored row did not wait for."""
    row = existing.get(key)
    if row is None or row.deletion_requested_at is not None:
        return True
    stored = container_dependencies(row.kind, row.spec, row.namespace)
    return not set(graph[key]) <= set(stored)


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
    # What the system made (a namespace's implicit network) is anybody's to take over.
    if row.source not in (request.source, SYSTEM_SOURCE) and not request.force:
        # Like server-side apply: only a change conflicts. Applying exactly what the owner
        # applied is `unchanged`, and ownership stays where it was.
        if same:
            return _result(row, "unchanged", row.spec)
        raise OwnershipConflict(item.kind, item.name, row.source, request.source, item.namespace)
    if item.expected_version is not None and item.expected_version != row.resource_version:
        raise StaleResourceVersion(
            item.kind, item.name, item.expected_version, row.resource_version, item.namespace
        )
    old_spec = row.spec
    if row.pin is not None and row.source == request.source:
        if pins.holds(row.pin, item.spec_hash, request.revision):
            return _result(row, "unchanged", old_spec)  # a rollback holds against it
        row.pin = None  # new content from the source ends the pin
        same = False
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
        raise StaleResourceVersion(item.kind, item.name, item.expected_version, 0, item.namespace)
    # Revisions outlive a removed resource; a re-created one continues their numbering.
    last_generation = session.scalar(
        select(func.max(RevisionRow.generation)).where(
            RevisionRow.kind == item.kind,
            RevisionRow.namespace == item.namespace,
            RevisionRow.name == item.name,
        )
    )
    generation = (last_generation or 0) + 1
    row = ResourceRow(
        kind=item.kind,
        namespace=item.namespace,
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
    session: Session, request: ApplyRequest, keep: set[Key], now: datetime
) -> list[ObjectResult]:
    owned = session.scalars(
        select(ResourceRow)
        .where(ResourceRow.source == request.source, ResourceRow.deletion_requested_at.is_(None))
        .order_by(ResourceRow.kind, ResourceRow.namespace, ResourceRow.name)
    )
    doomed = [row for row in owned if _row_key(row) not in keep]
    if doomed and not keep and not request.allow_empty:
        raise PruneRefused(request.source, len(doomed))
    results: list[ObjectResult] = []
    for row in doomed:
        _mark_deleted(row, now)
        results.append(
            ObjectResult(
                kind=row.kind,
                name=row.name,
                namespace=row.namespace,
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
        namespace=item.namespace,
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
        namespace=row.namespace,
        action=action,
        generation=row.generation,
        old_spec=old_spec,
        new_spec=row.spec,
        resource_version=row.resource_version,
    )
