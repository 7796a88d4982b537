"""The dockform daemon under test, started as a user would: `dockform daemon` in a subprocess.

Each daemon gets its own DOCKFORM_HOME under a temporary directory and `--label
dockform.bench=1 --label dockform.bench.run=<run>`: every Docker object it creates carries them,
and its lists and garbage collection are scoped to them, so it never touches anything else on
the engine. The bench talks to it only through `api.client.DockformClient` on its unix socket.
Manifests are generated here too.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import yaml

from bench.engine import BENCH_LABEL, COMMAND, PEER_LABEL, RUN_ID, RUN_LABEL, STOP_GRACE_S
from dockform.api.client import ClientError, DockformClient

DOCKFORM = str(Path(sys.executable).parent / "dockform")


class DaemonRefused(Exception):
    """The daemon exited before it answered (a flag it does not know, say); `log` says why."""

    def __init__(self, message: str, log: str) -> None:
        super().__init__(message)
        self.log = log


class BenchDaemon:
    def __init__(self, home: Path, *extra_args: str, instance: str = "") -> None:
        """`instance` names a daemon of its own instance (`bench-<run>-<instance>`); without
        it the daemon is the run's instance, which the run's daemons take one after another."""
        self.home = home
        self.home.mkdir(parents=True, exist_ok=True)
        self.log_path = home / "daemon.log"
        self.args = [
            DOCKFORM,
            "daemon",
            "--instance",
            f"bench-{RUN_ID}{'-' + instance if instance else ''}".lower().replace("_", "-")[:63],
            "--label",
            f"{BENCH_LABEL}=1",
            "--label",
            f"{RUN_LABEL}={RUN_ID}",
            *extra_args,
        ]
        env = {**os.environ, "DOCKFORM_HOME": str(home)}
        env.pop("DOCKFORM_HOST", None)
        with self.log_path.open("ab") as log_file:
            # A session of its own: Ctrl-C reaches the bench, which stops the daemon first and
            # only then sweeps, so no daemon recreates what the sweep removes.
            self.process = subprocess.Popen(
                self.args,
                env=env,
                stdout=log_file,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        self.client = DockformClient(host=f"unix://{home / 'dockform.sock'}", timeout=120)
        self._wait_healthy()

    @property
    def pid(self) -> int:
        return int(self.process.pid)

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")

    def _wait_healthy(self, timeout_s: float = 60.0) -> None:
        deadline = time.monotonic() + timeout_s
        socket = self.home / "dockform.sock"
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise DaemonRefused(
                    f"`{' '.join(self.args[1:])}` exited with {self.process.returncode}",
                    self.log(),
                )
            if socket.exists():
                try:
                    if self.client.healthz():
                        return
                except Exception:
                    pass
            time.sleep(0.05)
        self.stop()
        raise RuntimeError(f"dockform daemon did not answer within {timeout_s:.0f}s:\n{self.log()}")

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(20)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(5)
        self.client.close()

    def names(self, kinds: str = "containers") -> list[str]:
        return [str(item["name"]) for item in self.client.list(kinds)]

    def delete_all(self, timeout_s: float = 180.0) -> None:
        """Delete every Container through the API and wait until the store has none."""
        for name in self.names():
            try:
                self.client.delete("containers", name)
            except ClientError as error:
                if error.status != 404:
                    raise
        deadline = time.monotonic() + timeout_s
        while self.names():
            if time.monotonic() > deadline:
                raise TimeoutError(f"containers still present after {timeout_s:.0f}s of deletion")
            time.sleep(0.1)


def container_document(
    name: str,
    image: str,
    *,
    peer: str = "dockform",
    extra_spec: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """One Container manifest, the same container the other peers make."""
    return {
        "apiVersion": "dockform/v1",
        "kind": "Container",
        "metadata": {"name": name},
        "spec": {
            "image": image,
            "command": list(COMMAND),
            "restartPolicy": "Always",
            "stopGracePeriod": f"{STOP_GRACE_S}s",
            "labels": {PEER_LABEL: peer},
            **(extra_spec or {}),
        },
    }


def manifests(names: Sequence[str], image: str, **options: Any) -> str:
    return yaml.safe_dump_all(
        [container_document(name, image, **options) for name in names], sort_keys=False
    )
