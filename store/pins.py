"""Rollback and pins: an earlier revision applied again, and kept against its source.

`rollback` copies revision N's spec into a new generation (history only grows) and pins the
object: its source's applies that bring what it had applied before the rollback leave it
alone (`holds`), so a GitSource resyncing the bad commit, a watched file read again, or the
same `dockform apply -f` does not undo the rollback. New content from the source (another
spec, or another commit or file revision) ends the pin and is applied as usual; so does
`unpin`, which brings back the spec the source had applied. All of it happens inside the
caller's write session (`store.apply.Applier`).
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from dockform.manifests.namespaces import display
from dockform.store.errors import Conflict, NotFound, StoreError
from dockform.store.orm import ResourceRow, RevisionRow, SourceRow
from dockform.store.types import Pin

ROLLBACK_SOURCE = "rollback:"  # a revision made by a rollback: `rollback:<generation copied>`


class RevisionNotFound(NotFound):
    """No such revision (404)."""

    def __init__(self, message: str) -> None:
        StoreError.__init__(self, message)


def holds(pin: dict[str, object], spec_hash: str, revision: str | None) -> bool:
    """Whether an apply by the pinned object's own source, of a spec hashing to `spec_hash`
    at source revision `revision`, leaves the pin (and the rolled-back spec) in place: it
    brings what the source had applied before the rollback."""
    held = Pin.model_validate(pin)
    if spec_hash != held.source_spec_hash:
        return False
    return revision is None or held.source_revision is None or revision == held.source_revision


def rollback(session: Session, row: ResourceRow, to: int | None, now: datetime) -> int:
    """Apply revision `to` (default: the latest earlier one whose spec differs) to `row` as
    a new generation and pin it; the generation copied."""
    what = display(row.kind, row.namespace, row.name)
    target = _target(session, row, to, what)
    if target.spec_hash == row.spec_hash and target.spec == row.spec:
        raise Conflict(f"{what} already runs the spec of generation {target.generation}")
    if row.pin is not None:
        # Rolled back again: the source's own spec is still the one from before the first.
        kept = Pin.model_validate(row.pin)
        source = (kept.source_generation, kept.source_spec_hash, kept.source_revision)
    else:
        record = session.get(SourceRow, row.source)
        source = (row.generation, row.spec_hash, record.revision if record else None)
    row.generation += 1
    row.spec = target.spec
    row.spec_hash = target.spec_hash
    row.pin = Pin(
        generation=row.generation,
        rolled_back_to=target.generation,
        source_generation=source[0],
        source_spec_hash=source[1],
        source_revision=source[2],
        at=now,
    ).dump()
    session.add(revision_copy(row, f"{ROLLBACK_SOURCE}{target.generation}", now))
    touch(row, now)
    return target.generation


def unpin(session: Session, row: ResourceRow, now: datetime) -> bool:
    """End `row`'s pin and bring back the spec its source had applied; whether the spec
    changed (a new generation)."""
    if row.pin is None:
        raise Conflict(f"{display(row.kind, row.namespace, row.name)} is not pinned")
    pin = Pin.model_validate(row.pin)
    row.pin = None
    source = _revision(session, row, pin.source_generation)
    changed = source is not None and source.spec_hash != row.spec_hash
    if source is not None and changed:
        row.generation += 1
        row.spec = source.spec
        row.spec_hash = source.spec_hash
        session.add(revision_copy(row, row.source, now))
    touch(row, now)
    return changed


def _target(session: Session, row: ResourceRow, to: int | None, what: str) -> RevisionRow:
    if to is not None:
        found = _revision(session, row, to)
        if found is None:
            raise RevisionNotFound(f"{what} has no revision {to}: see `dockform history`")
        return found
    earlier = session.scalars(
        select(RevisionRow)
        .where(
            RevisionRow.kind == row.kind,
            RevisionRow.namespace == row.namespace,
            RevisionRow.name == row.name,
            RevisionRow.generation < row.generation,
            RevisionRow.spec_hash != row.spec_hash,
        )
        .order_by(RevisionRow.generation.desc())
        .limit(1)
    ).first()
    if earlier is None:
        raise RevisionNotFound(f"{what} has no earlier revision with another spec")
    return earlier


def _revision(session: Session, row: ResourceRow, generation: int) -> RevisionRow | None:
    return session.scalars(
        select(RevisionRow).where(
            RevisionRow.kind == row.kind,
            RevisionRow.namespace == row.namespace,
            RevisionRow.name == row.name,
            RevisionRow.generation == generation,
        )
    ).first()


def revision_copy(row: ResourceRow, source: str, now: datetime) -> RevisionRow:
    return RevisionRow(
        kind=row.kind,
        namespace=row.namespace,
        name=row.name,
        generation=row.generation,
        spec=row.spec,
        spec_hash=row.spec_hash,
        source=source,
        created_at=now,
    )


def touch(row: ResourceRow, now: datetime) -> None:
    row.resource_version += 1
    row.updated_at = now
