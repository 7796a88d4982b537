"""What every case gets: sizes, the Docker client, the event recorder, the floor, a work
directory, and the daemons it started (stopped by the suite before it sweeps)."""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

from bench.config import Sizes
from bench.daemon import BenchDaemon
from bench.engine import EventRecorder, Floor, peer_container_ids, running_names

T = TypeVar("T")

# Pause after a teardown so the Engine's asynchronous clean-up (shim exits, containerd
# bookkeeping) does not land in the next peer's measurement.
SETTLE_S = 1.0


@dataclass
class Context:
    sizes: Sizes
    api: Any
    recorder: EventRecorder
    floor: Floor
    workdir: Path
    daemons: list[BenchDaemon] = field(default_factory=list)

    def start_daemon(self, name: str, *extra_args: str, instance: str = "") -> BenchDaemon:
        daemon = BenchDaemon(self.workdir / name, *extra_args, instance=instance)
        self.daemons.append(daemon)
        return daemon

    def stop_daemon(self, daemon: BenchDaemon) -> None:
        daemon.stop()
        if daemon in self.daemons:
            self.daemons.remove(daemon)

    @contextlib.contextmanager
    def profile(self, daemon: BenchDaemon, label: str) -> Iterator[None]:
        """With BENCH_PYSPY=DIR set, record the daemon with py-spy while the block runs.

        Writes DIR/<label>.txt (py-spy's raw, collapsed stacks). py-spy is a tool for
        finding why a figure misses, not a dependency: `pip install py-spy` into the venv.
        """
        out_dir = os.environ.get("BENCH_PYSPY")
        spy = shutil.which("py-spy", path=f"{Path(sys.executable).parent}:{os.environ['PATH']}")
        if not out_dir or spy is None:
            yield
            return
        Path(out_dir).mkdir(parents=True, exist_ok=True)
        output = Path(out_dir) / f"{label}.txt"
        recorder = subprocess.Popen(
            [spy, "record", "-p", str(daemon.pid), "-f", "raw", "-r", "100", "-o", str(output)],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        time.sleep(0.5)  # py-spy attaches before the measured work starts
        try:
            yield
        finally:
            recorder.send_signal(signal.SIGINT)  # py-spy writes its output on SIGINT
            try:
                recorder.wait(30)
            except subprocess.TimeoutExpired:
                recorder.kill()
            say(f"py-spy profile of {label}: {output}")

    def confirm_running(self, peer: str, count: int, what: str) -> None:
        """After a timed step: the engine shows `count` of the peer's containers running.

        Waits a little rather than failing at once: a dockform daemon without --label on the
        same engine garbage-collects the bench's containers, and the bench daemon puts them
        back (the suite warns about such a daemon; the timing has ended by then).
        """
        wait_until(
            f"{what}: {count} {peer} containers running",
            lambda: len(running_names(self.api, peer)) == count,
            timeout_s=120,
            poll_s=0.5,
        )

    def wait_no_containers(self, peer: str, timeout_s: float = 120.0) -> None:
        wait_until(
            f"no {peer} containers left",
            lambda: not peer_container_ids(self.api, peer),
            timeout_s,
        )


def say(message: str) -> None:
    print(f"  {message}", file=sys.stderr, flush=True)


def wait_until(
    what: str, probe: Callable[[], object], timeout_s: float, poll_s: float = 0.1
) -> None:
    deadline = time.monotonic() + timeout_s
    while not probe():
        if time.monotonic() > deadline:
            raise TimeoutError(f"timed out after {timeout_s:.0f}s waiting for {what}")
        time.sleep(poll_s)


def rotations(peers: Sequence[T], repeats: int) -> list[list[T]]:
    """One order per repeat, each peer first in turn: no peer always runs on a warm engine."""
    orders = []
    for repeat in range(repeats):
        shift = repeat % len(peers)
        orders.append([*peers[shift:], *peers[:shift]])
    return orders
