"""A second Docker Engine that the suite owns, so it can restart it (the machine's own dockerd,
which other work uses, is never touched).

It runs in a network namespace of its own (`nsenter --net`; `ip netns exec` would also give it
a fresh /sys without the cgroup mounts dockerd needs): a dockerd in the host's namespace would
share `docker0` with the main engine, and `--bridge=none` makes dockerd delete `docker0` at
start, breaking the main engine's default network. Inside, it has its own `docker0`, its own
containerd (under its exec root) and its own data root; its socket and mounts are the host's.
`close()` stops it, kills any shim of its containerd left behind, unmounts and removes its
directories and removes the namespace.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import subprocess
import time
from pathlib import Path
from typing import Any

from bench.faultsuite.common import IMAGE, RUN_TAG, docker_api, wait_for

RUN_DIR = Path("/run/dockform-faults")
DATA_ROOT = Path("/var/lib/dockform-faults")


class SecondEngine:
    def __init__(self, log_path: Path) -> None:
        self.namespace = f"dockform-faults-{RUN_TAG}"
        self.exec_root = RUN_DIR / "exec"
        self.socket = RUN_DIR / "docker.sock"
        self.url = f"unix://{self.socket}"
        self.log_path = log_path
        self.process: subprocess.Popen[bytes] | None = None
        self.api: Any = None

    def start(self, timeout_s: float = 60.0) -> bool:
        """Start dockerd and wait until it answers; False if it did not."""
        if not all(shutil.which(tool) for tool in ("dockerd", "ip", "nsenter")):
            raise RuntimeError("a second engine needs dockerd, ip (iproute2) and nsenter")
        RUN_DIR.mkdir(parents=True, exist_ok=True)
        DATA_ROOT.mkdir(parents=True, exist_ok=True)
        if self.namespace not in _namespaces():
            subprocess.run(["ip", "netns", "add", self.namespace], check=True)
        command = [
            "nsenter", f"--net=/var/run/netns/{self.namespace}",
            "dockerd", "-H", self.url,
            "--data-root", str(DATA_ROOT), "--exec-root", str(self.exec_root),
            "--pidfile", str(RUN_DIR / "dockerd.pid"),
            "--iptables=false", "--ip-masq=false", "--ip-forward=false",
            "--default-address-pool", "base=10.213.0.0/16,size=24",
        ]  # fmt: skip
        with self.log_path.open("ab") as log_file:
            self.process = subprocess.Popen(
                command, stdout=log_file, stderr=subprocess.STDOUT, start_new_session=True
            )
        return wait_for(lambda: self.alive() and self._client().ping(), timeout_s, 0.1)

    def _client(self) -> Any:
        # Made once the engine answers: the client asks for the API version when created.
        if self.api is None:
            self.api = docker_api(self.url, timeout=60)
        return self.api

    def alive(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def stop(self, timeout_s: float = 60.0) -> float:
        """SIGTERM and wait (SIGKILL after `timeout_s`); the seconds it took."""
        started = time.monotonic()
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout_s)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(10)
        return time.monotonic() - started

    def load_image(self, main_api: Any) -> None:
        """Copy the test image from the main engine (no registry here)."""
        self.api.load_image(b"".join(main_api.get_image(IMAGE)))

    def shims(self) -> dict[int, str]:
        """Running containerd shims of this engine's containerd: pid -> the container id."""
        address = str(self.exec_root)
        found: dict[int, str] = {}
        for cmdline in Path("/proc").glob("[0-9]*/cmdline"):
            try:
                argv = cmdline.read_bytes().decode(errors="replace").split("\0")
            except OSError:
                continue
            if not argv or "containerd-shim" not in Path(argv[0]).name:
                continue
            if not any(address in arg for arg in argv):
                continue
            container_id = argv[argv.index("-id") + 1] if "-id" in argv else ""
            found[int(cmdline.parent.name)] = container_id
        return found

    def close(self) -> None:
        """Stop dockerd, kill leftover shims, remove its directories and the namespace."""
        self.stop()
        for pid in self.shims():
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
        if self.api is not None:
            self.api.close()
        subprocess.run(["ip", "netns", "del", self.namespace], capture_output=True, check=False)
        # The engine shares the host's mount namespace: whatever it left mounted at or below
        # its roots goes first (deepest first), then the directories.
        for root in (DATA_ROOT, RUN_DIR):
            for _ in range(3):  # a point may be mounted more than once
                for mount in sorted(_mounts_below(root), key=len, reverse=True):
                    subprocess.run(["umount", "-l", mount], capture_output=True, check=False)
            shutil.rmtree(root, ignore_errors=True)


def _namespaces() -> list[str]:
    listed = subprocess.run(["ip", "netns", "list"], capture_output=True, text=True, check=False)
    return [line.split()[0] for line in listed.stdout.splitlines() if line.strip()]


def _mounts_below(root: Path) -> list[str]:
    """Mount points at or below `root` (dockerd bind-mounts its data root onto itself)."""
    points = [line.split()[1] for line in Path("/proc/mounts").read_text().splitlines()]
    return [point for point in points if point == str(root) or point.startswith(f"{root}/")]
