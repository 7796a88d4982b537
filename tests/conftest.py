"""Root pytest configuration: only cheap, collection-time hooks live here.

Fixtures that need Docker are in `tests/integration/conftest.py`, so unit tests never touch
the daemon. Every test under `tests/integration/` is marked `integration` here, so
`-m "not integration"` selects the fast suite even when a test forgets the marker.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.postgres import Cluster

# The Applier fixtures (`changes`, `applier`) the store, source and API tests share.
pytest_plugins = ["tests.changes"]

_INTEGRATION_DIR = Path(__file__).parent / "integration"


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    for item in items:
        if _INTEGRATION_DIR in item.path.parents:
            item.add_marker(pytest.mark.integration)


@pytest.fixture(scope="session")
def postgres() -> Iterator[Cluster]:
    """A PostgreSQL cluster of this test run's own (started on first use, stopped at the end)."""
    cluster = Cluster.start()
    yield cluster
    cluster.stop()
