"""The swarm case's cluster: an instance of `scripts/swarm3` of its own, never the machine's
dockerd (other suites use it, and some put it in swarm mode) nor the harness tests/swarm3 run.

`DFSW_ID=<id> scripts/swarm3 up` (id 2 unless BENCH_SWARM_ID says otherwise) makes three dockerd
in network namespaces, node 1 the manager, and a registry beside them; `down` removes it all,
and the case calls it whatever happens. A harness of that id that already answers is someone
else's: the case refuses to run rather than take it down. Docker's CLI is Debian's
`/usr/bin/docker` (20.10, which has `docker stack deploy`), on node 1's socket with a config
directory of its own.
"""

from __future__ import annotations

import contextlib
import os
import shlex
import shutil
import subprocess
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import docker
import docker.errors

from bench.engine import BENCH_LABEL, BUSYBOX, DOCKERFILE, PEER_LABEL, RUN_ID, RUN_LABEL

ROOT = Path(__file__).resolve().parent.parent
SCRIPT = ROOT / "scripts" / "swarm3"
DOCKER_CLI = "/usr/bin/docker"
ID_ENV = "BENCH_SWARM_ID"
DEFAULT_ID = 2
IMAGE_PATH = "dockform-bench/busybox:swarm"
UP_TIMEOUT_S = 300.0
DOWN_TIMEOUT_S = 180.0


class HarnessBusy(RuntimeError):
    """A harness of this id already answers: another run or a person uses it."""


@dataclass(frozen=True)
class SwarmEnv:
    """What `scripts/swarm3 env` prints: node 1's socket, the registry, every node's socket."""

    docker_host: str
    registry: str
    nodes: tuple[str, ...]


def parse_env(text: str) -> SwarmEnv:
    """`export K=V` lines (V shell-quoted) as a SwarmEnv; ValueError naming what is missing."""
    values: dict[str, str] = {}
    for line in text.splitlines():
        words = shlex.split(line)
        if len(words) == 2 and words[0] == "export" and "=" in words[1]:
            key, _, value = words[1].partition("=")
            values[key] = value
    missing = [key for key in ("DOCKER_HOST", "DFSW_REGISTRY", "DFSW_NODES") if key not in values]
    if missing:
        raise ValueError(f"scripts/swarm3 env printed no {', '.join(missing)}:\n{text}")
    return SwarmEnv(
        values["DOCKER_HOST"], values["DFSW_REGISTRY"], tuple(values["DFSW_NODES"].split())
    )


def harness_id(value: str | None) -> int:
    """BENCH_SWARM_ID as the harness id: 2..9 (1 is the harness tests/swarm3 run)."""
    if not value:
        return DEFAULT_ID
    if not value.isdigit() or not 2 <= int(value) <= 9:
        raise ValueError(f"{ID_ENV}={value!r}: give 2..9 (1 is the harness tests/swarm3 use)")
    return int(value)


@dataclass
class Harness:
    instance_id: int
    workdir: Path
    env: SwarmEnv | None = None
    clients: list[Any] = field(default_factory=list)
    up_s: float | None = None
    _ours: bool = False

    def _script(self, *args: str, timeout_s: float = 60.0) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            ["bash", str(SCRIPT), *args],
            env={**os.environ, "DFSW_ID": str(self.instance_id)},
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            timeout=timeout_s,
            check=False,
        )

    @property
    def name(self) -> str:
        return f"DFSW_ID={self.instance_id} scripts/swarm3"

    def up(self) -> SwarmEnv:
        """Bring the harness up; HarnessBusy when one of this id already answers."""
        if os.geteuid() != 0:
            raise PermissionError(f"{self.name} needs root (network namespaces, dockerd)")
        if self._script("status").returncode == 0:
            raise HarnessBusy(
                f"{self.name} is already up (someone else's): {ID_ENV}=N picks another id, "
                f"or `{self.name} down` if it is a leftover"
            )
        self._ours = True  # from here on, whatever exists of it is this run's to remove
        started = time.monotonic()
        answer = self._script("up", timeout_s=UP_TIMEOUT_S)
        if answer.returncode != 0:
            raise RuntimeError(
                f"{self.name} up failed ({answer.returncode}):\n{answer.stdout[-3000:]}"
            )
        self.up_s = time.monotonic() - started
        self.env = parse_env(self._script("env").stdout)
        self.clients = [
            docker.APIClient(base_url=node, version="auto", timeout=120) for node in self.env.nodes
        ]
        return self.env

    def down(self) -> None:
        for client in self.clients:
            with contextlib.suppress(Exception):
                client.close()
        self.clients = []
        if not self._ours:
            return
        answer = self._script("down", timeout_s=DOWN_TIMEOUT_S)
        if answer.returncode != 0:
            raise RuntimeError(f"{self.name} down failed ({answer.returncode}):\n{answer.stdout}")
        self._ours = False

    @property
    def manager(self) -> Any:
        return self.clients[0]

    def _env(self) -> SwarmEnv:
        if self.env is None:
            raise RuntimeError(f"{self.name} is not up")
        return self.env

    # --- the image ---------------------------------------------------------------------------

    def push_image(self) -> tuple[str, str]:
        """The bench's busybox image built on node 1 as `<registry>/dockform-bench/busybox:swarm`,
        pushed there, and pulled by every other node beforehand, so that no peer's first round
        pays for a pull. Returns (ref, image id)."""
        ref = f"{self._env().registry}/{IMAGE_PATH}"
        repository, _, tag = ref.rpartition(":")
        with tempfile.TemporaryDirectory(prefix="dockform-bench-swarm-image-") as context:
            shutil.copy2(BUSYBOX, Path(context) / "busybox")
            (Path(context) / "Dockerfile").write_text(DOCKERFILE)
            for chunk in self.manager.build(
                path=context, tag=ref, labels={BENCH_LABEL: "1"}, rm=True, forcerm=True, decode=True
            ):
                if "error" in chunk:
                    raise RuntimeError(f"building {ref} on node 1 failed: {chunk['error']}")
        for chunk in self.manager.push(repository, tag=tag, stream=True, decode=True):
            if "error" in chunk:
                raise RuntimeError(f"pushing {ref} from node 1 failed: {chunk['error']}")
        image_id = str(self.manager.inspect_image(ref)["Id"])
        for node, client in enumerate(self.clients[1:], start=2):
            client.pull(repository, tag=tag)
            pulled = str(client.inspect_image(ref)["Id"])
            if pulled != image_id:
                raise RuntimeError(f"node {node} pulled {ref} as {pulled}, node 1 has {image_id}")
        return ref, image_id

    # --- the CLI -----------------------------------------------------------------------------

    def docker(self, *args: str, timeout_s: float = 300.0) -> float:
        """Run Debian's `docker ARGS` against node 1; its wall time. RuntimeError with its
        output when it fails."""
        config = self.workdir / "docker-cli"
        config.mkdir(parents=True, exist_ok=True)
        env = {**os.environ, "DOCKER_HOST": self._env().docker_host, "DOCKER_CONFIG": str(config)}
        for variable in ("DOCKER_CONTEXT", "DOCKER_TLS_VERIFY", "DOCKER_CERT_PATH"):
            env.pop(variable, None)
        command = [DOCKER_CLI, *args]
        started = time.monotonic()
        answer = subprocess.run(
            command, env=env, cwd=self.workdir, capture_output=True, text=True, timeout=timeout_s
        )
        elapsed = time.monotonic() - started
        if answer.returncode != 0:
            raise RuntimeError(
                f"`{shlex.join(command)}` failed ({answer.returncode}):\n{answer.stderr[-2000:]}"
            )
        return elapsed

    # --- what node 1 says --------------------------------------------------------------------

    def services(self, peer: str) -> list[dict[str, Any]]:
        return list(
            self.manager.services(
                filters={"label": [f"{RUN_LABEL}={RUN_ID}", f"{PEER_LABEL}={peer}"]}
            )
        )

    def running_tasks(self, service_ids: list[str]) -> list[dict[str, Any]]:
        if not service_ids:
            return []
        return list(
            self.manager.tasks(filters={"service": service_ids, "desired-state": "running"})
        )

    def poll(
        self,
        peer: str,
        done: Callable[[list[dict[str, Any]], list[dict[str, Any]]], bool],
        what: str,
        timeout_s: float = 600.0,
        poll_s: float = 0.1,
    ) -> float:
        """Monotonic time of the first answer of node 1 (the peer's services, their tasks meant
        to run) for which `done(services, tasks)` holds; the one probe both peers are timed by."""
        deadline = time.monotonic() + timeout_s
        while True:
            services = self.services(peer)
            tasks = self.running_tasks([str(service["ID"]) for service in services])
            answered = time.monotonic()
            if done(services, tasks):
                return answered
            if answered > deadline:
                raise TimeoutError(f"timed out after {timeout_s:.0f}s waiting for {what}")
            time.sleep(poll_s)

    def remove_services(self, peer: str) -> None:
        for service in self.services(peer):
            with contextlib.suppress(docker.errors.NotFound):
                self.manager.remove_service(service["ID"])

    def wait_gone(self, peer: str, timeout_s: float = 180.0) -> None:
        """Until node 1 lists none of the peer's services and no node has a container of
        theirs (Swarm removes task containers after the service, node by node)."""
        deadline = time.monotonic() + timeout_s
        labels = [f"{RUN_LABEL}={RUN_ID}", f"{PEER_LABEL}={peer}"]
        while True:
            left = len(self.services(peer))
            for client in self.clients:
                left += len(client.containers(all=True, filters={"label": labels}))
            if not left:
                return
            if time.monotonic() > deadline:
                raise TimeoutError(
                    f"{peer}: {left} services and task containers still there after "
                    f"{timeout_s:.0f}s of removal"
                )
            time.sleep(0.2)
