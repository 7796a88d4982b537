"""The Compose peer: Debian's `docker-compose` (1.29) on a generated docker-compose.yml.

Each service is the same container dockform and the floor make: the bench image, the same
command, restart policy and stop grace, on Docker's default bridge (`network_mode: bridge`, so
Compose creates no project network that the other peers would not have). Compose keeps no
state beyond its containers, so teardown (never timed) removes them through the SDK, which
is quicker than `docker-compose down` and leaves the same engine.
"""

from __future__ import annotations

import os
import subprocess
import time
from pathlib import Path
from typing import Any

import yaml

from bench.engine import COMMAND, STOP_GRACE_S, run_labels

PEER = "compose"


def version() -> str:
    try:
        answer = subprocess.run(
            ["docker-compose", "version", "--short"], capture_output=True, text=True, timeout=60
        )
    except FileNotFoundError:
        return "missing"
    return answer.stdout.strip() or answer.stderr.strip()


class ComposeProject:
    def __init__(self, workdir: Path, project: str, count: int, image: str) -> None:
        self.workdir = workdir
        self.project = project
        self.count = count
        self.file = workdir / "docker-compose.yml"
        workdir.mkdir(parents=True, exist_ok=True)
        self.write(image)

    def service_names(self) -> list[str]:
        return [f"s{index}" for index in range(self.count)]

    def write(self, image: str) -> None:
        service: dict[str, Any] = {
            "image": image,
            "command": list(COMMAND),
            "network_mode": "bridge",
            "restart": "always",
            "stop_grace_period": f"{STOP_GRACE_S}s",
            "labels": run_labels(PEER),
        }
        document = {
            "version": "2.4",
            "services": {name: dict(service) for name in self.service_names()},
        }
        self.file.write_text(yaml.safe_dump(document, sort_keys=False))

    def _run(self, *args: str, timeout_s: float = 300.0) -> float:
        command = ["docker-compose", "-p", self.project, "-f", str(self.file), *args]
        # Compose 1.x runs each service's create and its nested start under one global
        # semaphore of 64: above 64 services every slot holds a create waiting for a start
        # and `up` never ends (docker/compose#5864, #7486). A limit above twice the service
        # count avoids that deadlock, and is Compose at its most parallel.
        env = {**os.environ, "COMPOSE_PARALLEL_LIMIT": str(max(64, 4 * self.count))}
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
