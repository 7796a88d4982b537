"""The dockform daemon under a fault: started, killed, started again on the same home.

Unlike bench/daemon.py, a daemon here may die or refuse to start: that is a measured result,
so `start()` reports whether it answered instead of raising, and every call to it is guarded.
Each case gets its own `--instance` and the suite's labels (common.LABELS).
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import httpx

from bench.faultsuite.common import LABELS, RUN_TAG
from dockform.api.client import ClientError, DockformClient

DOCKFORM = str(Path(sys.executable).parent / "dockform")


class FaultDaemon:
    def __init__(
        self, home: Path, case: str, *extra_args: str, log_path: Path | None = None
    ) -> None:
        self.home = home
        self.home.mkdir(parents=True, exist_ok=True)
        self.log_path = log_path or home / "daemon.log"
        self.instance = f"faults-{case}-{RUN_TAG}".lower().replace("_", "-")[:63]
        labels = [arg for key, value in LABELS.items() for arg in ("--label", f"{key}={value}")]
        self.args = [DOCKFORM, "daemon", "--instance", self.instance, *labels, *extra_args]
        self.socket = home / "dockform.sock"
        self.process: subprocess.Popen[bytes] | None = None
        self.client = DockformClient(host=f"unix://{self.socket}", timeout=30)
        self.starts = 0

    @property
    def pid(self) -> int | None:
        return None if self.process is None else self.process.pid

    def alive(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def start(self, timeout_s: float = 60.0) -> bool:
        """Start the daemon and wait until /healthz answers; False if it exits or stays mute."""
        if self.alive():
            return True
        env = {**os.environ, "DOCKFORM_HOME": str(self.home)}
        env.pop("DOCKFORM_HOST", None)
        with self.log_path.open("ab") as log_file:
            # A session of its own: a Ctrl-C reaches the suite, which stops it before sweeping.
            self.process = subprocess.Popen(
                self.args, env=env, stdout=log_file, stderr=subprocess.STDOUT,
                start_new_session=True,
            )  # fmt: skip
        self.starts += 1
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            if not self.alive():
                return False
            if self.healthy():
                return True
            time.sleep(0.02)
        return False

    def healthy(self) -> bool:
        if not self.socket.exists():
            return False
        try:
            return bool(self.client.healthz())
        except Exception:
            return False

    def kill(self) -> None:
        """SIGKILL: the crash under test."""
        if self.alive() and self.process is not None:
            self.process.kill()
            self.process.wait(10)

    def stop(self, timeout_s: float = 20.0) -> int | None:
        """SIGTERM, then SIGKILL after `timeout_s`; the exit code (None if never started)."""
        if self.process is None:
            return None
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout_s)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(5)
        return self.process.returncode

    def close(self) -> None:
        self.stop()
        self.client.close()

    def rss_mib(self) -> float | None:
        if not self.alive():
            return None
        try:
            status = Path(f"/proc/{self.pid}/status").read_text()
        except OSError:
            return None
        kib = next(int(line.split()[1]) for line in status.splitlines() if line.startswith("VmRSS"))
        return kib / 1024

    def log_tail(self, lines: int = 20) -> str:
        try:
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return ""

    # --- API, guarded: the daemon may be down

    def items(self, kinds: str = "containers") -> list[dict[str, Any]] | None:
        try:
            return self.client.list(kinds)
        except Exception:
            return None

    def delete_everything(self, timeout_s: float = 60.0) -> bool:
        """Delete every object through the API and wait until none is left (False if the
        daemon is not running: the suite's sweep then removes the Docker objects)."""
        if not self.alive():
            return False
        kinds = ("containers", "images", "volumes", "networks", "gitsources")
        for kind in kinds:
            for item in self.items(kind) or []:
                with contextlib.suppress(ClientError, httpx.HTTPError):
                    self.client.delete(kind, str(item["name"]))
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            if all(self.items(kind) == [] for kind in kinds):
                return True
            time.sleep(0.2)
        return False


def ready(item: dict[str, Any]) -> bool:
    return any(
        condition.get("type") == "Ready" and condition.get("status") == "True"
        for condition in (item.get("status") or {}).get("conditions") or []
    )


def raw_post(socket: Path, path: str, body: bytes, content_type: str, timeout_s: float) -> Any:
    """POST raw bytes to the daemon's unix socket; returns (status or None, seconds, error)."""
    transport = httpx.HTTPTransport(uds=str(socket))
    started = time.monotonic()
    try:
        with httpx.Client(transport=transport, base_url="http://d", timeout=timeout_s) as http:
            response = http.post(path, content=body, headers={"Content-Type": content_type})
            return response.status_code, time.monotonic() - started, response.text[:300]
    except httpx.HTTPError as error:
        return None, time.monotonic() - started, f"{type(error).__name__}: {error}"
