"""The leftover sweep of tests/integration/conftest.py removes crashed runs' objects only."""

from __future__ import annotations

import os
import secrets
from collections.abc import Iterator

import docker
import docker.errors
import pytest

from dockform.runtime.docker_driver import DockerRuntime
from tests.integration.conftest import SESSION_LABEL, TEST_LABEL, sweep_test_objects

pytestmark = pytest.mark.integration


@pytest.fixture
def client() -> Iterator[docker.APIClient]:
    api = docker.APIClient(version="auto")
    yield api
    api.close()


def volume_exists(client: docker.APIClient, name: str) -> bool:
    try:
        client.inspect_volume(name)
    except docker.errors.NotFound:
        return False
    return True


def test_sweep_spares_live_runs_and_fresh_unowned_objects(
    docker_runtime: DockerRuntime, client: docker.APIClient
) -> None:
    marker = secrets.token_hex(4)
    # Beyond any pid_max, so no process has it: a run that crashed.
    dead_session, live_session = f"99999999-{marker}", f"{os.getppid()}-{marker}"
    owners = {"dead": dead_session, "live": live_session, "unowned": None}
    names = {kind: f"sweep-{kind}-{marker}" for kind in owners}
    for kind, owner in owners.items():
        labels = {TEST_LABEL: "1", **({SESSION_LABEL: owner} if owner else {})}
        client.create_volume(names[kind], labels=labels)
    try:
        sweep_test_objects(keep_live_sessions=True)
        assert not volume_exists(client, names["dead"])
        assert volume_exists(client, names["live"])
        assert volume_exists(client, names["unowned"])  # younger than the grace period

        sweep_test_objects(session=live_session)
        assert not volume_exists(client, names["live"])
        assert volume_exists(client, names["unowned"])
    finally:
        for name in names.values():
            if volume_exists(client, name):
                client.remove_volume(name)
