"""The daemon's collector settings (cli.heap), restored after each test: they are the process's."""

from __future__ import annotations

import gc
from collections.abc import Iterator

import pytest

from dockform.cli.heap import YOUNG_THRESHOLD, settle_heap


@pytest.fixture
def collector() -> Iterator[None]:
    thresholds = gc.get_threshold()
    yield
    gc.unfreeze()
    gc.set_threshold(*thresholds)


@pytest.mark.usefixtures("collector")
def test_settled_heap_is_frozen_and_young_collections_are_spaced() -> None:
    held = [[index] for index in range(1000)]  # what a daemon holds once built
    settle_heap()
    assert gc.get_freeze_count() >= len(held)
    assert gc.get_threshold()[0] == YOUNG_THRESHOLD


@pytest.mark.usefixtures("collector")
def test_cycles_made_after_settling_are_still_collected() -> None:
    settle_heap()

    class Node:
        partner: object = None

    first, second = Node(), Node()
    first.partner, second.partner = second, first
    count = len([item for item in gc.get_objects() if isinstance(item, Node)])
    del first, second
    gc.collect()
    assert count == 2
    assert not [item for item in gc.get_objects() if isinstance(item, Node)]
