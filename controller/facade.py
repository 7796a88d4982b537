"""What the API may ask of the running controller, as a Protocol (Manager implements it).

The API never reaches Docker on its own: readiness and logs go through here, so a GET of
desired or observed state stays a store read.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Literal, Protocol

from dockform.manifests.namespaces import DEFAULT_NAMESPACE, ObjectKey


class NoLogs(LookupError):
    """The resource has no runtime object to read output from (not created yet, removed, or
    of a kind without logs)."""


@dataclass(frozen=True)
class LeadershipInfo:
    """Who reconciles. `single`: this daemon alone (a store of its own); `leader` / `follower`:
    daemons sharing a store, by its lease (`holder` is this daemon, `leader` the lease's)."""

    role: Literal["single", "leader", "follower"]
    holder: str | None = None
    leader: str | None = None
    term: int = 0
    error: str | None = None


SINGLE = LeadershipInfo(role="single")


class Controller(Protocol):
    def desired_changed(self, keys: Iterable[ObjectKey]) -> None:
        """The desired state of these keys was written: reconcile them."""
        ...

    def request_sync(self, kind: str, name: str, namespace: str = DEFAULT_NAMESPACE) -> None:
        """Act on kind/name now, whatever its schedule (a GitSource fetches at once)."""
        ...

    def engine_ok(self) -> bool: ...

    def queue_pending(self) -> int: ...

    def logs(
        self,
        kind: str,
        name: str,
        tail: int | None,
        follow: bool,
        namespace: str = DEFAULT_NAMESPACE,
    ) -> Iterator[bytes]: ...

    def leadership(self) -> LeadershipInfo: ...
