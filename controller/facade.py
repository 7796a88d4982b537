"""What the API may ask of the running controller, as a Protocol (Manager implements it).

The API never reaches Docker on its own: readiness and logs go through here, so a GET of
desired or observed state stays a store read.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Protocol


class NoSuchContainer(LookupError):
    """The Container has no managed container in the engine (not created yet, or removed)."""


class Controller(Protocol):
    def engine_ok(self) -> bool: ...

    def queue_pending(self) -> int: ...

    def container_logs(self, name: str, tail: int | None, follow: bool) -> Iterator[bytes]: ...

    def desired_changed(self, keys: Iterable[tuple[str, str]]) -> None:
        """Desired state of `keys` changed (a committed write): look at them again."""
        ...

    def request_sync(self, kind: str, name: str) -> None:
        """Act on `kind/name` now (a webhook's "fetch now"), not at its next interval."""
        ...
