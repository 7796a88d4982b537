"""A real `dockform daemon` per test module, on a private DOCKFORM_HOME, against the real
dockerd. Every Docker object it creates carries `dockform.test=1` (daemon flag --label)."""

from __future__ import annotations

import hashlib
import os
import shutil
import signal
import subprocess
import sys
import time
import urllib.request
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

import docker
import pytest

from dockform.api.client import ClientError, DockformClient
from dockform.manifests.kinds import canonical_kind, plural
from tests.integration.conftest import (
    SESSION_ID,
    SESSION_LABEL,
    STORES,
    TEST_HOST_ROOTS,
    store_args,
)

T = TypeVar("T")
DOCKFORM = str(Path(sys.executable).parent / "dockform")
BUSYBOX = "/bin/busybox"


@dataclass
class Daemon:
    home: Path
    process: subprocess.Popen[bytes]
    client: DockformClient
    log_path: Path
    label: str  # "dockform.test.daemon=<id>": on every object this daemon creates, and its scope

    @property
    def socket(self) -> Path:
        return self.home / "dockform.sock"

    def cli(
        self, *args: str, input_text: str | None = None, **overrides: str
    ) -> subprocess.CompletedProcess[str]:
        """The CLI on this daemon's socket (DOCKFORM_HOME); `overrides` set more variables."""
        env = {**os.environ, "DOCKFORM_HOME": str(self.home)}
        env.pop("DOCKFORM_HOST", None)
        env.update(overrides)
        return subprocess.run(
            [DOCKFORM, *args],
            env=env,
            capture_output=True,
            text=True,
            input=input_text,
            timeout=120,
        )

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")

    def resource(self, kind: str, name: str) -> dict[str, Any] | None:
        try:
            return self.client.get(plural(canonical_kind(kind)), name)
        except ClientError as error:
            if error.status == 404:
                return None
            raise

    def wait_for(self, what: str, probe: Callable[[], T | None], timeout_s: float = 60.0) -> T:
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            value = probe()
            if value:
                return value
            time.sleep(0.05)
        raise AssertionError(
            f"timed out after {timeout_s}s waiting for {what}\n"
            f"--- daemon log:\n{self.log()[-4000:]}"
        )

    def wait_phase(
        self, kind: str, name: str, phase: str, ready: bool | None = None, timeout_s: float = 60.0
    ) -> dict[str, Any]:
        def probe() -> dict[str, Any] | None:
            item = self.resource(kind, name)
            if item is None or item["status"]["phase"] != phase:
                return None
            if ready is not None and is_ready(item) != ready:
                return None
            return item

        try:
            return self.wait_for(f"{kind}/{name} phase {phase}", probe, timeout_s)
        except AssertionError:
            print(self.resource(kind, name))
            raise

    def wait_gone(self, kind: str, name: str, timeout_s: float = 60.0) -> None:
        self.wait_for(
            f"{kind}/{name} deleted", lambda: self.resource(kind, name) is None, timeout_s
        )

    def stop(self, sig: int = signal.SIGTERM) -> int:
        if self.process.poll() is None:
            self.process.send_signal(sig)
            try:
                return self.process.wait(15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                return self.process.wait(5)
        return self.process.returncode


CHANGE_ACTIONS = ("create", "start", "stop", "destroy", "kill", "die")


class EventRecorder:
    """The create/start/stop/destroy events on one daemon's objects since it was made."""

    def __init__(
        self, client: docker.DockerClient, daemon: Daemon, since: float | None = None
    ) -> None:
        self._client = client
        self._label = daemon.label
        self._since = time.time() if since is None else since

    def collect(self, settle_s: float = 1.5) -> list[dict[str, Any]]:
        time.sleep(settle_s)
        until = time.time()
        stream = self._client.api.events(
            since=self._since,
            until=until,
            decode=True,
            filters={"label": [self._label], "type": ["container", "network", "volume"]},
        )
        return [event for event in stream if event.get("Action") in CHANGE_ACTIONS]


def host_port(item: dict[str, Any]) -> int:
    """The host port of a Container's first published port, from its status."""
    binding = item["status"]["observed"]["ports"][0]  # "127.0.0.1:49153->8080/tcp"
    return int(binding.split("->")[0].rsplit(":", 1)[1])


def fetch(port: int) -> str:
    """GET http://127.0.0.1:PORT/ (only loopback), retried for up to 10 s while it refuses."""
    deadline = time.monotonic() + 10
    while True:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=2) as response:
                return str(response.read().decode())
        except OSError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.1)


def is_ready(item: dict[str, Any]) -> bool:
    return any(
        condition["type"] == "Ready" and condition["status"] == "True"
        for condition in item["status"]["conditions"]
    )


def start_daemon(
    home: Path, *extra: str, test_root: bool = True, scope: str | None = None
) -> Daemon:
    """A daemon on `home`. Its objects carry the run's test labels and a label derived from
    `home`, which also scopes what it lists and garbage-collects: daemons of other tests (or
    of other test runs on this engine) never touch each other's objects, while a restarted
    daemon on the same home adopts its predecessor's. Daemons given one `scope` share their
    instance and labels (several daemons on one shared store). With `test_root`, host paths below
    pytest's base temporary directory are allowed (--host-path-root)."""
    roots = [arg for root in TEST_HOST_ROOTS for arg in ("--host-path-root", root)]
    home.mkdir(parents=True, exist_ok=True)
    scope = scope or hashlib.sha256(str(home).encode()).hexdigest()[:12]
    label = f"dockform.test.daemon={scope}"
    log_path = home / "daemon.log"
    env = {**os.environ, "DOCKFORM_HOME": str(home), "DOCKFORM_LOG_LEVEL": "INFO"}
    log_file = log_path.open("ab")
    process = subprocess.Popen(
        [
            DOCKFORM,
            "daemon",
            "--instance",
            "t-" + label.rsplit("=", 1)[1],
            "--resync",
            "5",
            "--label",
            "dockform.test=1",
            "--label",
            f"{SESSION_LABEL}={SESSION_ID}",
            "--label",
            label,
            *(roots if test_root else []),
            *extra,
        ],
        env=env,
        stdout=log_file,
        stderr=subprocess.STDOUT,
    )
    client = DockformClient(host=f"unix://{home / 'dockform.sock'}")
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise AssertionError(f"dockform daemon exited: {log_path.read_text()}")
        if (home / "dockform.sock").exists():
            try:
                if client.healthz():
                    return Daemon(home, process, client, log_path, label)
            except Exception:
                pass
        time.sleep(0.05)
    process.kill()
    raise AssertionError(f"dockform daemon did not answer within 30 s: {log_path.read_text()}")


def teardown_daemon(daemon: Daemon) -> None:
    """Delete every object through dockform, then stop the daemon."""
    if daemon.process.poll() is None:
        try:
            # Every namespace's objects; a namespace's implicit network goes with the last
            # container that needs it.
            for kinds in ("jobs", "containers", "images", "networks", "volumes"):
                for item in daemon.client.list(kinds, namespace=None):
                    try:
                        daemon.client.delete(kinds, item["name"], item["namespace"])
                    except ClientError as error:
                        if error.status != 404:
                            raise
            daemon.wait_for(
                "every object deleted",
                lambda: all(
                    not daemon.client.list(k, namespace=None)
                    for k in ("jobs", "containers", "images", "networks", "volumes")
                ),
                timeout_s=60,
            )
        finally:
            daemon.stop()
    daemon.client.close()


@pytest.fixture(scope="module", params=STORES)
def daemon(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory, docker_runtime: Any
) -> Iterator[Daemon]:
    home = tmp_path_factory.mktemp("dockform-home")
    running = start_daemon(home, *store_args(request))
    yield running
    teardown_daemon(running)


@pytest.fixture()
def app_dir(tmp_path: Path) -> Path:
    """A build context with busybox and a page, like examples/hello."""
    if not Path(BUSYBOX).exists():
        pytest.fail("static busybox missing: apt-get install busybox-static")
    context = tmp_path / "app"
    (context / "www").mkdir(parents=True)
    shutil.copy(BUSYBOX, context / "busybox")
    (context / "www" / "index.html").write_text("hello from a test\n")
    (context / "Dockerfile").write_text(
        "FROM scratch\nCOPY busybox /bin/busybox\n"
        'RUN ["/bin/busybox", "--install", "-s", "/bin"]\nCOPY www /www\n'
    )
    return context


@pytest.fixture()
def unique() -> str:
    return "t" + uuid.uuid4().hex[:8]


@pytest.fixture(scope="module")
def docker_client() -> Iterator[docker.DockerClient]:
    client = docker.from_env()
    yield client
    client.close()
