"""restart: a clean daemon restart (SIGTERM, start) with many converged objects changes nothing.

The Docker events of the case's containers are read from the engine's log for the window
from just before the SIGTERM until the restarted daemon has settled (every Container Ready,
its queue empty, then a quiet second): create, start, stop, destroy, die and kill all count.
"""

from __future__ import annotations

import contextlib
import threading
import time
from pathlib import Path
from typing import Any

from bench.faultsuite.common import (
    CASE_LABEL,
    RUN_ID,
    SESSION_LABEL,
    Sizes,
    container,
    docker_api,
    dump,
    our_containers,
    reference,
    wait_for,
    zero,
)
from bench.faultsuite.daemon import FaultDaemon, ready

CASE = "restart"
MUTATING = ("create", "start", "stop", "destroy", "die", "kill")
SETTLE_S = 1.0


def all_ready(daemon: FaultDaemon, count: int) -> bool:
    items = daemon.items()
    return items is not None and len(items) == count and all(ready(item) for item in items)


def queue_empty(daemon: FaultDaemon) -> bool:
    for line in daemon.client.metrics().splitlines():
        if line.startswith("dockform_queue_depth "):
            return float(line.split()[1]) == 0
    return True  # no such metric: Ready everywhere is the best sign there is


class LiveEvents:
    """The create/start/stop/destroy/die/kill events of one case's containers, counted as they
    happen: the engine replays only its last 256 events, which a busy engine overwrites before
    a window could be read after the fact."""

    def __init__(self, case: str) -> None:
        self.counts = dict.fromkeys(MUTATING, 0)
        self._stream = docker_api().events(
            since=f"{time.time():.9f}",
            decode=True,
            filters={
                "type": "container",
                "label": [f"{SESSION_LABEL}={RUN_ID}", f"{CASE_LABEL}={case}"],
            },
        )
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self) -> None:
        with contextlib.suppress(Exception):  # the stream closed under the loop: done
            for event in self._stream:
                action = str(event.get("Action") or "").split(":", 1)[0]
                if action in self.counts:
                    self.counts[action] += 1

    def stop(self) -> dict[str, int]:
        """The counts so far; call it a moment after the last event of interest."""
        self._stream.close()
        self._reader.join(5)
        return dict(self.counts)


def run(sizes: Sizes, workdir: Path, api: Any) -> dict[str, Any]:
    count = sizes.restart_objects
    daemon = FaultDaemon(workdir / "home", CASE)
    try:
        if not daemon.start():
            raise RuntimeError(f"the daemon did not start:\n{daemon.log_tail()}")
        daemon.client.apply(dump([container(f"restart-{i}", CASE) for i in range(count)]))
        if not wait_for(
            lambda: (
                all_ready(daemon, count)
                and len(our_containers(api, CASE, running_only=True)) == count
            ),
            timeout_s=60 + count,
            poll_s=0.5,
        ):
            raise RuntimeError(f"{count} Containers never all Ready before the restart")
        wait_for(lambda: queue_empty(daemon), 30, 0.2)
        time.sleep(SETTLE_S)
        live = LiveEvents(CASE)
        exit_code = daemon.stop()
        started = time.monotonic()
        came_back = daemon.start()
        healthy_s = time.monotonic() - started
        settled = came_back and wait_for(
            lambda: all_ready(daemon, count) and queue_empty(daemon), 120, 0.1
        )
        settled_s = time.monotonic() - started
        time.sleep(SETTLE_S)
        events = live.stop()
        daemon.delete_everything(timeout_s=60 + count)
    finally:
        daemon.close()
    return {
        "figures": [
            reference("objects", count),
            zero("Docker mutating events", sum(events.values())),
            zero("restarts not settled within 120 s", 0 if settled else 1),
            reference("restart to /healthz", round(healthy_s, 3), "s"),
            reference("restart to all Ready, queue empty", round(settled_s, 3), "s"),
        ],
        "events": events,
        "sigterm_exit_code": exit_code,
        "method": (
            f"{count} Containers Ready, then SIGTERM, start again, wait until every Container "
            f"is Ready and the queue empty, {SETTLE_S:.0f} s more; container events "
            f"({', '.join(MUTATING)}) of the engine's log in that window"
        ),
    }
