"""The store: desired state, status, events, revisions and sources, in SQLAlchemy.

`Store` (store.repository) is the repository every other layer uses to read, and to write
status, events and source records; `Applier` (store.apply) is the one path by which desired
state is written, and tells the controller what changed; `store.types` holds the pydantic
models that leave the package; `store.errors` the errors it raises. ORM rows
(`store.orm`) stay inside. Migrations live in `<repo root>/alembic` and run through
`store.migrate.upgrade_to_head`.
"""

from dockform.store.apply import Applier, ApplyRequest, ObjectResult
from dockform.store.errors import (
    Conflict,
    DuplicateObject,
    NotFound,
    OwnershipConflict,
    PruneRefused,
    StaleResourceVersion,
    StoreError,
    StoreFull,
    StoreUnavailable,
)
from dockform.store.repository import Store

__all__ = [
    "Applier",
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
    "StoreFull",
    "StoreUnavailable",
]
