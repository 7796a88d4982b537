"""A single-node swarm on the test dockerd, and the Swarm driver on it.

`swarm_engine` runs `docker swarm init --advertise-addr 127.0.0.1` (through the SDK) when the
engine is in no swarm, and when this package's tests end leaves it again (`leave --force`) only
if it made it, removing the docker_gwbridge network the swarm left behind unless it was
there before: the shared dockerd ends as it was found, even when tests failed. Services the
tests made (label dockform.test=1 of this session) are removed first. Tests FAIL, never
skip, when dockerd does not answer (the `docker_runtime` fixture).
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Iterator
from typing import Any

import docker
import docker.errors
import pytest

from bench.engine import owner_is_live
from dockform.runtime.docker_driver import DockerRuntime
from dockform.runtime.swarm_driver import SwarmRuntime
from tests.integration.conftest import SESSION_ID, SESSION_LABEL, TEST_LABELS

GWBRIDGE = "docker_gwbridge"


def _client() -> Any:
    return docker.APIClient(version="auto", timeout=60, **docker.utils.kwargs_from_env())


def remove_test_services(client: Any, session: str | None = SESSION_ID) -> None:
    """Remove the services of this session (with None: those of pytest runs that are gone),
    then wait for their task containers to go."""
    label = f"{SESSION_LABEL}={session}" if session else "dockform.test=1"
    services = client.services(filters={"label": [label]})
    if session is None:
        owners = {
            service["ID"]: service["Spec"].get("Labels", {}).get(SESSION_LABEL, "")
            for service in services
        }
        services = [
            service
            for service in services
            if owners[service["ID"]] and not owner_is_live(owners[service["ID"]])
        ]
    for service in services:
        with contextlib.suppress(docker.errors.NotFound):
            client.remove_service(service["ID"])
    deadline = time.monotonic() + 30
    while services and time.monotonic() < deadline:
        left = [
            container
            for service in services
            for container in client.containers(
                all=True, filters={"label": f"com.docker.swarm.service.id={service['ID']}"}
            )
        ]
        if not left:
            return
        time.sleep(0.2)


# Package scope: the swarm lasts while this package's tests run, not the rest of a session.
@pytest.fixture(scope="package")
def swarm_engine(docker_runtime: DockerRuntime) -> Iterator[None]:
    """The test dockerd as a swarm manager for this package's tests; left as found after."""
    client = _client()
    state = client.info()["Swarm"].get("LocalNodeState")
    had_gwbridge = bool(client.networks(names=[GWBRIDGE]))
    initialised = False
    if state != "inactive":
        # A crashed run may have left its services (and the swarm) behind.
        remove_test_services(client, None)
    if state == "inactive":
        client.init_swarm(advertise_addr="127.0.0.1")
        initialised = True
    elif not client.info()["Swarm"].get("ControlAvailable"):
        pytest.fail(
            f"the test dockerd is a swarm {state} but not a manager: the Swarm tests need a "
            "manager (or no swarm, which they make and leave)",
            pytrace=False,
        )
    try:
        yield
    finally:
        try:
            remove_test_services(client)
            if initialised:
                client.leave_swarm(force=True)
                # The overlay networks' bridge outlives the swarm; ingress goes with it.
                if not had_gwbridge:
                    for _ in range(50):
                        try:
                            client.remove_network(GWBRIDGE)
                            break
                        except docker.errors.NotFound:
                            break
                        except docker.errors.APIError:
                            time.sleep(0.2)
        finally:
            client.close()


@pytest.fixture(scope="package")
def swarm_runtime(swarm_engine: None) -> Iterator[SwarmRuntime]:
    """The Swarm driver, labelling everything it creates with TEST_LABELS."""
    runtime = SwarmRuntime(extra_labels=dict(TEST_LABELS))
    yield runtime
    runtime.close()
