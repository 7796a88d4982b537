"""Shared fixtures for integration tests: a real dockerd, a busybox image, a sweep of leftovers.

Every Docker object a test makes carries `dockform.test=1` (the `docker_runtime` fixture adds
it to everything the driver creates) plus `dockform.test.session=<pid>-<hex>` naming the pytest
run. At session start, objects of runs that are gone (crashed) are swept, and so are objects
without a session label once they are a few minutes old; at session end, this run's own.
Objects of other live pytest runs on the same dockerd are left alone, so two people can run
the suite at once. The busybox image is shared by all runs: no session label, spared by the
start sweep, removed at session end unless something still uses it. `sweep_test_objects()`
with no argument sweeps everything.

Integration tests FAIL, never skip, when dockerd does not answer.
"""

from __future__ import annotations

import os
import secrets
import shutil
import time
from collections.abc import Callable, Iterator
from datetime import datetime
from pathlib import Path
from typing import Any

import docker
import docker.errors
import pytest

from bench.engine import owner_is_live
from dockform.runtime.docker_driver import DockerRuntime
from dockform.runtime.errors import RuntimeFailure
from dockform.runtime.types import BuildRequest
from tests.postgres import Cluster

TEST_LABEL = "dockform.test"
SESSION_LABEL = "dockform.test.session"
SESSION_ID = f"{os.getpid()}-{secrets.token_hex(4)}"
# One marker file per live pytest run (named by its pid): the last run to end removes the
# shared busybox image.
SESSIONS_DIR = Path("/tmp/dockform-test-sessions")
UNOWNED_GRACE_S = 300
TEST_LABELS = {TEST_LABEL: "1", SESSION_LABEL: SESSION_ID}

BUSYBOX_PATH = Path("/bin/busybox")
BUSYBOX_TAG = "dockform-test/busybox:latest"
BUSYBOX_DOCKERFILE = (
    'FROM scratch\nCOPY busybox /bin/busybox\nRUN ["/bin/busybox", "--install", "-s", "/bin"]\n'
)

_NO_DOCKER = (
    "dockerd does not answer ({error}). Integration tests need a running Docker Engine: "
    "start one (scripts/test does) or run only the unit tests."
)


def _age_s(created: Any) -> float:
    """Seconds since an object's creation time (epoch seconds or RFC 3339 text)."""
    if isinstance(created, int | float):
        return time.time() - float(created)
    try:
        return time.time() - datetime.fromisoformat(str(created)).timestamp()
    except ValueError:
        return float("inf")


def _sweepable(summary: dict[str, Any], session: str | None, keep_live: bool) -> bool:
    labels = summary.get("Labels") or {}
    owner = labels.get(SESSION_LABEL)
    if session is not None:
        return bool(owner == session)
    if not keep_live:
        return True
    if owner:
        return not owner_is_live(owner)
    # Made outside the fixtures (say, by a daemon a test started): it may belong to a run
    # still going, so only old ones count as leftovers.
    created = summary.get("Created", summary.get("CreatedAt"))
    return _age_s(created) > UNOWNED_GRACE_S


def sweep_test_objects(session: str | None = None, *, keep_live_sessions: bool = False) -> int:
    """Remove test objects (label dockform.test=1): containers, then networks, volumes, images.

    `session` limits the sweep to one pytest run's objects; `keep_live_sessions` spares the
    objects of other pytest processes still running, and the shared busybox image. Removal is
    best effort: an object that cannot go (used by something outside the sweep) stays.
    Returns how many objects were removed.
    """
    client = docker.APIClient(version="auto", timeout=60, **docker.utils.kwargs_from_env())
    label_filter = {"label": [f"{TEST_LABEL}=1"]}

    def selected(summaries: list[dict[str, Any]]) -> list[dict[str, Any]]:
        return [s for s in summaries if _sweepable(s, session, keep_live_sessions)]

    removed = 0
    try:
        for container in selected(client.containers(all=True, filters=label_filter)):
            removed += _try_remove(client.remove_container, container["Id"], force=True, v=True)
        for network in selected(client.networks(filters=label_filter)):
            removed += _try_remove(client.remove_network, network["Id"])
        for volume in selected(client.volumes(filters=label_filter).get("Volumes") or []):
            removed += _try_remove(client.remove_volume, volume["Name"], force=True)
        images = selected(client.images(all=True, filters=label_filter))
        if keep_live_sessions:
            images = [i for i in images if BUSYBOX_TAG not in (i.get("RepoTags") or [])]
        removed += _remove_images(client, [image["Id"] for image in images])
    finally:
        client.close()
    return removed


def _remove_images(client: Any, image_ids: list[str]) -> int:
    # Images built FROM another test image must go before it (409 "has dependent child
    # images"), so removal repeats while it makes progress.
    removed = 0
    pending = image_ids
    while pending:
        still_pending = []
        for image_id in pending:
            outcome = _try_remove(client.remove_image, image_id, force=True)
            removed += outcome
            if outcome == 0 and _exists(client.inspect_image, image_id):
                still_pending.append(image_id)
        if len(still_pending) == len(pending):
            break
        pending = still_pending
    return removed


def _live_sessions() -> set[str]:
    """Owners (pids) of the pytest runs whose marker files say they are still running."""
    SESSIONS_DIR.mkdir(parents=True, exist_ok=True)
    return {marker.name for marker in SESSIONS_DIR.iterdir() if owner_is_live(marker.name)}


def _remove_shared_busybox() -> None:
    """Remove the busybox image unless another run is live (it will use it between two of its
    tests, when no container holds it) or another run's containers or images still use it."""
    (SESSIONS_DIR / str(os.getpid())).unlink(missing_ok=True)
    if _live_sessions() - {str(os.getpid())}:
        return
    client = docker.APIClient(version="auto", timeout=60, **docker.utils.kwargs_from_env())
    try:
        _try_remove(client.remove_image, BUSYBOX_TAG, force=False)
    finally:
        client.close()


def _try_remove(remove: Callable[..., Any], *args: Any, **kwargs: Any) -> int:
    """1 if removed; 0 if already gone or refused (in use by objects outside the sweep)."""
    try:
        remove(*args, **kwargs)
    except docker.errors.APIError:
        return 0
    return 1


def _exists(inspect: Callable[[str], Any], object_id: str) -> bool:
    try:
        inspect(object_id)
    except docker.errors.NotFound:
        return False
    return True


@pytest.fixture(scope="session")
def docker_runtime() -> Iterator[DockerRuntime]:
    """The real driver, labelling everything it creates with TEST_LABELS."""
    runtime = DockerRuntime(extra_labels=dict(TEST_LABELS))
    failure: RuntimeFailure | None = None
    try:
        runtime.engine_version()
    except RuntimeFailure as error:
        failure = error
    if failure is not None:  # failed outside the except block: no chained traceback noise
        pytest.fail(_NO_DOCKER.format(error=failure), pytrace=False)
    yield runtime
    runtime.close()


# pytest's base temporary directory, where every test writes its manifests' build contexts
# and host paths: test daemons allow it (--host-path-root) unless a test says otherwise.
TEST_HOST_ROOTS: list[str] = []


@pytest.fixture(scope="session", autouse=True)
def _test_host_root(tmp_path_factory: pytest.TempPathFactory) -> None:
    TEST_HOST_ROOTS[:] = [str(tmp_path_factory.getbasetemp())]


@pytest.fixture(scope="session", autouse=True)
def _sweep_around_session(docker_runtime: DockerRuntime) -> Iterator[None]:
    sweep_test_objects(keep_live_sessions=True)
    SESSIONS_DIR.mkdir(parents=True, exist_ok=True)
    (SESSIONS_DIR / str(os.getpid())).touch()
    yield
    sweep_test_objects(session=SESSION_ID)
    _remove_shared_busybox()


@pytest.fixture(scope="session")
def busybox_image(docker_runtime: DockerRuntime, tmp_path_factory: pytest.TempPathFactory) -> str:
    """Tag of a FROM-scratch image holding the static busybox and its applets in /bin."""
    if not BUSYBOX_PATH.is_file():
        pytest.fail(
            f"{BUSYBOX_PATH} is missing: install Debian's busybox-static (scripts/test does)",
            pytrace=False,
        )
    context = tmp_path_factory.mktemp("busybox-context")
    shutil.copy2(BUSYBOX_PATH, context / "busybox")
    (context / "Dockerfile").write_text(BUSYBOX_DOCKERFILE)
    # Shared by concurrent runs (one tag), so it carries no session label: images and
    # containers made FROM it would inherit that label and be swept with the wrong run.
    shared = DockerRuntime(extra_labels={TEST_LABEL: "1"})
    try:
        shared.build_image(
            BuildRequest(
                context_dir=str(context), dockerfile="Dockerfile", tag=BUSYBOX_TAG, labels={}
            )
        )
    finally:
        shared.close()
    return BUSYBOX_TAG


class UniqueName(str):
    """A fresh DNS-label name ("t-1a2b3c4d"); call it for more: `unique_name("web")`."""

    def __call__(self, prefix: str = "t") -> str:
        return f"{prefix}-{secrets.token_hex(4)}"


@pytest.fixture
def unique_name() -> UniqueName:
    """Use as a string for one name per test, or call it for as many as needed."""
    return UniqueName(f"t-{secrets.token_hex(4)}")


# The stores the shared daemons of the API and engine tests run on: each such module runs once
# on a SQLite file and once on a database of the run's own PostgreSQL cluster.
STORES = ["sqlite", "postgresql"]


def store_args(request: pytest.FixtureRequest) -> list[str]:
    """`dockform daemon` arguments for the store a parametrized fixture's param names."""
    if request.param == "sqlite":
        return []
    cluster: Cluster = request.getfixturevalue("postgres")
    return ["--store", cluster.create_database()]
