"""Errors the store raises; the API maps them to HTTP statuses in one exception handler.

    StoreError                      any refusal by the store
    ├── NotFound                    no such resource (404)
    ├── Conflict                    the write contradicts what is stored (409)
    │   ├── OwnershipConflict       the object belongs to another source
    │   ├── StaleResourceVersion    the caller's resourceVersion is not the stored one
    │   └── EngineNameConflict      two namespaces' objects would share one Docker name
    ├── DuplicateObject             one apply names the same object twice (400)
    ├── DependencyCycle             the desired Containers depend on each other in a circle (422)
    ├── ContentUnavailable          a Secret's or Config's file or variable is missing (409)
    ├── PruneRefused                a prune would delete everything the source owns (400)
    └── StoreUnavailable            the database failed (busy, locked, gone): try again (503)
        ├── StoreFull               the store's disk is full: free space, then try again (507)
        └── LeaseLost               a fenced write by a leader whose term is over: refused

Every message says what happened and what to do about it. SQLAlchemy's own errors never leave
the store: `Store` turns them into `StoreUnavailable` (or `StoreFull`, told apart by the
driver's error code in `store.db.is_disk_full`) where its sessions begin and end.
"""

from __future__ import annotations

from collections.abc import Sequence

from dockform.manifests.dependencies import Key, describe_cycle
from dockform.manifests.errors import ManifestIssue
from dockform.manifests.namespaces import DEFAULT_NAMESPACE, display


class StoreError(Exception):
    """Any refusal by the store; `str(error)` is meant for the person who asked."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class NotFound(StoreError):
    def __init__(self, kind: str, name: str, namespace: str = DEFAULT_NAMESPACE) -> None:
        super().__init__(f"{display(kind, namespace, name)} not found")
        self.kind = kind
        self.name = name


class Conflict(StoreError):
    """The write contradicts the stored state (409)."""


class OwnershipConflict(Conflict):
    def __init__(
        self, kind: str, name: str, owner: str, source: str, namespace: str = DEFAULT_NAMESPACE
    ) -> None:
        super().__init__(
            f"{display(kind, namespace, name)} is owned by source {owner}, not {source}; "
            "apply with --force to take it over"
        )
        self.kind = kind
        self.name = name
        self.owner = owner
        self.source = source


class StaleResourceVersion(Conflict):
    def __init__(
        self,
        kind: str,
        name: str,
        expected: int,
        actual: int,
        namespace: str = DEFAULT_NAMESPACE,
    ) -> None:
        now = f"is at resourceVersion {actual}" if actual else "does not exist"
        super().__init__(
            f"{display(kind, namespace, name)} {now}, but the manifest expects resourceVersion "
            f"{expected}; "
            "get the object again and re-apply, or drop metadata.resourceVersion"
        )
        self.kind = kind
        self.name = name
        self.expected = expected
        self.actual = actual


class EngineNameConflict(Conflict):
    """Two objects of one kind, in different namespaces, or a Container and a Job (both
    Docker containers), would get the same Docker name (`default`'s `shop_db` and `shop`'s
    `db` are both `shop_db` on the engine)."""

    def __init__(self, engine_name: str, first: str, second: str) -> None:
        super().__init__(
            f"{first} and {second} would both be named {engine_name!r} in Docker; rename "
            "one of them (or move it to another namespace)"
        )
        self.engine_name = engine_name
        self.first = first
        self.second = second


class DuplicateObject(StoreError):
    def __init__(
        self, kind: str, name: str, first: str, second: str, namespace: str = DEFAULT_NAMESPACE
    ) -> None:
        super().__init__(
            f"{display(kind, namespace, name)} is defined twice in one apply ({first} and "
            f"{second}); keep one of them"
        )
        self.kind = kind
        self.name = name


class DependencyCycle(StoreError):
    """`cycle` is `[a, b, ..., a]`; `issues` place each applied member's dependsOn entry that
    closes it (file, document, line), so the message says where to break it."""

    def __init__(self, cycle: Sequence[Key], issues: Sequence[ManifestIssue]) -> None:
        places = ", ".join(
            f"{issue.file}:{issue.line} ({issue.kind}/{issue.name}) {issue.path}"
            for issue in issues
        )
        super().__init__(
            f"{describe_cycle(cycle)}; nothing was applied: remove one of its dependsOn"
            f" entries ({places})"
        )
        self.cycle = list(cycle)
        self.issues = list(issues)


class PruneRefused(StoreError):
    def __init__(self, source: str, count: int) -> None:
        super().__init__(
            f"refusing to prune all {count} objects of source {source}: the new set is empty; "
            "pass --allow-empty if that is what you want"
        )
        self.source = source
        self.count = count


class StoreUnavailable(StoreError):
    """The database failed the call (locked past the busy timeout, disk full, gone).

    Nothing the caller asked for was wrong: the same call may succeed later.
    """

    def __init__(self, detail: str, message: str | None = None) -> None:
        super().__init__(message or f"the store is not available: {detail}; try again")
        self.detail = detail


class StoreFull(StoreUnavailable):
    """The filesystem holding the store has no space left: nothing was written.

    Reads keep working; writes fail until space is freed, then succeed again without a
    restart. A `StoreUnavailable`, so whoever retries those (controller, sources) retries these.
    """

    def __init__(self, location: str, detail: str) -> None:
        super().__init__(
            detail,
            f"the store's disk is full ({location}): {detail}; nothing was written. Free "
            "space on that filesystem and try again",
        )
        self.location = location


class LeaseLost(StoreUnavailable):
    """A write through a fenced store (the controller's) after its lease passed to another
    daemon, or a higher term: refused before it changed anything, so a leader that stalled
    and came back can never overwrite what the new leader wrote."""

    def __init__(self, lease: str, holder: str, term: int, current: str) -> None:
        super().__init__(
            f"lease {lease} lost",
            f"daemon {holder} no longer leads (lease {lease}, term {term}; now {current}): "
            "its write was refused and it stops reconciling",
        )
        self.lease = lease
        self.holder = holder
        self.term = term


class ContentUnavailable(StoreError):
    """A Secret's or Config's content could not be read at apply (a missing file, an unset
    variable); `issues` name each object, file and line (422)."""

    def __init__(self, issues: Sequence[ManifestIssue]) -> None:
        listed = "\n".join(str(issue) for issue in issues)
        super().__init__(
            f"{len(issues)} Secret/Config content(s) unavailable, nothing was applied:\n{listed}"
        )
        self.issues = list(issues)
