"""The store: desired state, status, events, revisions and sources, in SQLAlchemy.

`Store` (store.repository) is the repository every other layer uses; `apply` (store.apply)
is the one path by which manifests become desired state; `store.types` holds the pydantic
models that leave the package; `store.errors` the errors it raises. ORM rows
(`store.orm`) stay inside. Migrations live in `<repo root>/alembic` and run through
`store.migrate.upgrade_to_head`.
"""

from dockform.store.apply import ApplyRequest, ObjectResult, apply
from dockform.store.errors import (
    Conflict,
    DuplicateObject,
    NotFound,
    OwnershipConflict,
    PruneRefused,
    StaleResourceVersion,
    StoreError,
)
from dockform.store.repository import Store

__all__ = [
    "ApplyRequest",
    "Conflict",
    "DuplicateObject",
    "NotFound",
    "ObjectResult",
    "OwnershipConflict",
    "PruneRefused",
    "StaleResourceVersion",
    "Store",
    "StoreError",
    "apply",
]
