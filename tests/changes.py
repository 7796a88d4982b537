"""`Changes`: an Applier's `on_change` for tests, recording what it is told; and the fixtures
`changes` and `applier` (an Applier on the test's `store` fixture that tells `changes`), loaded
for every test by the root conftest. The API and controller tests override `applier` with one
that tells their Manager, as the daemon wires it.
"""

from __future__ import annotations

from collections.abc import Iterable

import pytest

from dockform.store.apply import Applier
from dockform.store.repository import Store


class Changes(list[tuple[str, str]]):
    """What an Applier tells `on_change`: every key heard, in order (the list), and each call
    (`calls`). `clear()` forgets both."""

    def __init__(self) -> None:
        super().__init__()
        self.calls: list[list[tuple[str, str]]] = []

    def __call__(self, keys: Iterable[tuple[str, str]]) -> None:
        keys = list(keys)
        self.calls.append(keys)
        self.extend(keys)

    def clear(self) -> None:
        super().clear()
        self.calls.clear()


@pytest.fixture
def changes() -> Changes:
    return Changes()


@pytest.fixture
def applier(store: Store, changes: Changes) -> Applier:
    return Applier(store, on_change=changes)
