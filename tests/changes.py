"""`Changes`: an Applier's `on_change` for tests, recording what it is told."""

from __future__ import annotations

from collections.abc import Iterable


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
