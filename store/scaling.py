"""`dockform scale`: a Container's replicas set as a new generation.

The spec hash leaves `replicas` out (scaling replaces no running replica), so only the
stored spec and its history change: the revision's source is `scale`. An apply of the
object's manifest afterwards sets replicas as the manifest says, as `kubectl scale` under a
GitOps tool; a rollback's pin, which compares spec hashes, keeps the scaled count.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session

from dockform.manifests.kinds import Kind
from dockform.manifests.namespaces import display
from dockform.store.errors import Conflict
from dockform.store.orm import ResourceRow
from dockform.store.pins import revision_copy, touch

SCALE_SOURCE = "scale"


def scale(session: Session, row: ResourceRow, replicas: int, now: datetime) -> bool:
    """Set `row`'s replicas as a new generation; whether it changed."""
    if row.kind != Kind.CONTAINER:
        what = display(row.kind, row.namespace, row.name)
        raise Conflict(f"{what} has no replicas: only a Container scales")
    if row.spec.get("replicas") == replicas:
        return False
    row.generation += 1
    row.spec = {**row.spec, "replicas": replicas}
    session.add(revision_copy(row, SCALE_SOURCE, now))
    touch(row, now)
    return True
