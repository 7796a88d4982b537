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
# The three-node Swarm (scripts/swarm3: root, three more dockerd, ~1 min) runs only when a
# path inside it is named: `pytest tests/swarm3`.
_SWARM3_DIR = Path(__file__).parent / "swarm3"


def pytest_ignore_collect(collection_path: Path, config: pytest.Config) -> bool | None:
    if collection_path != _SWARM3_DIR:
        return None
    for arg in config.args:
        named = Path(str(arg).split("::", 1)[0]).resolve()
        if named == _SWARM3_DIR or _SWARM3_DIR in named.parents:
            return None
    return True


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    for item in items:
        if _INTEGRATION_DIR in item.path.parents:
            item.add_marker(pytest.mark.integration)
        if _SWARM3_DIR in item.path.parents:
            item.add_marker(pytest.mark.swarm3)


@pytest.fixture(scope="session")
def postgres() -> Iterator[Cluster]:
    """A PostgreSQL cluster of this test run's own (started on first use, stopped at the end)."""
    cluster = Cluster.start()
    yield cluster
    cluster.stop()
