"""engine: the Docker Engine restarted under a daemon with converged Containers.

A second dockerd (dockerd.SecondEngine, owned by the suite) runs the Containers; the daemon
points at it with `--docker-host`. Each restart is SIGTERM to dockerd, wait until it exited,
start it again. Timed from the moment the engine answers again until every Container is Ready
in the API and Docker shows exactly one running container per name. A thread polls the
daemon's /healthz every 0.2 s throughout. After the last restart, leaked objects are counted:
containers of ours that are not the one running container of a stored name, and containerd
shims of the engine whose container is not one of those.
"""

from __future__ import annotations

import math
import threading
import time
from pathlib import Path
from typing import Any

from bench.faultsuite.common import (
    Sizes,
    container,
    dump,
    name_of,
    our_containers,
    reference,
    say,
    spread,
    under,
    wait_for,
    zero,
)
from bench.faultsuite.daemon import FaultDaemon, ready
from bench.faultsuite.dockerd import SecondEngine
from bench.stats import percentile

CASE = "engine"
TARGET_S = 60.0
RECOVERY_TIMEOUT_S = 90.0


class HealthPoller(threading.Thread):
    def __init__(self, daemon: FaultDaemon) -> None:
        super().__init__(daemon=True)
        self._daemon = daemon
        self.stopped = threading.Event()
        self.polls = 0
        self.failures = 0

    def run(self) -> None:
        while not self.stopped.wait(0.2):
            self.polls += 1
            if not self._daemon.healthy():
                self.failures += 1


def all_back(daemon: FaultDaemon, engine: SecondEngine, names: set[str]) -> bool:
    items = daemon.items()
    if items is None or {str(i["name"]) for i in items} != names:
        return False
    if not all(ready(item) for item in items):
        return False
    running = [name_of(s) for s in our_containers(engine.api, CASE, running_only=True)]
    return sorted(running) == sorted(names)


def leaks(engine: SecondEngine, names: set[str]) -> dict[str, Any]:
    summaries = our_containers(engine.api, CASE)
    kept: set[str] = set()
    extra = []
    for summary in summaries:
        name = name_of(summary)
        if name in names and summary["State"] == "running" and name not in kept:
            kept.add(name)
            continue
        extra.append(f"{name} {summary['State']} {summary['Status']}")
    keep_ids = {s["Id"] for s in summaries if s["State"] == "running" and name_of(s) in names}
    shims = {pid: cid for pid, cid in engine.shims().items() if cid not in keep_ids}
    return {"containers": extra, "shims": [f"{pid} {cid[:12]}" for pid, cid in shims.items()]}


def run(sizes: Sizes, workdir: Path, api: Any) -> dict[str, Any]:
    engine = SecondEngine(workdir / "dockerd.log")
    count = sizes.engine_containers
    names = {f"engine-{index}" for index in range(count)}
    recover_s: list[float] = []
    stop_s: list[float] = []
    not_recovered: list[dict[str, Any]] = []
    daemon: FaultDaemon | None = None
    poller: HealthPoller | None = None
    leaked: dict[str, Any] = {"containers": [], "shims": []}
    try:
        if not engine.start():
            raise RuntimeError(f"the second dockerd did not answer; see {engine.log_path}")
        engine.load_image(api)
        daemon = FaultDaemon(workdir / "home", CASE, "--docker-host", engine.url)
        if not daemon.start():
            raise RuntimeError(f"the daemon did not start:\n{daemon.log_tail()}")
        daemon.client.apply(dump([container(name, CASE) for name in sorted(names)]))
        if not wait_for(lambda: all_back(daemon, engine, names), 180, 0.2):
            raise RuntimeError(f"{count} Containers never all Ready before the first restart")
        poller = HealthPoller(daemon)
        poller.start()
        for restart in range(1, sizes.engine_restarts + 1):
            stop_s.append(engine.stop())
            if not engine.start():
                raise RuntimeError(f"the second dockerd did not come back; see {engine.log_path}")
            answered = time.monotonic()
            if wait_for(lambda: all_back(daemon, engine, names), RECOVERY_TIMEOUT_S, 0.1):
                recover_s.append(time.monotonic() - answered)
                say(f"engine restart {restart}: all Ready in {recover_s[-1]:.1f}s")
            else:
                running = our_containers(engine.api, CASE, running_only=True)
                not_recovered.append({"restart": restart, "running": len(running)})
                say(f"engine restart {restart}: {len(running)}/{count} running after "
                    f"{RECOVERY_TIMEOUT_S:.0f}s")  # fmt: skip
        poller.stopped.set()
        leaked = leaks(engine, names)
    finally:
        if poller is not None:
            poller.stopped.set()
        if daemon is not None:
            if engine.alive():
                daemon.delete_everything()
            daemon.close()
        engine.close()
    times = spread(recover_s)
    # A restart that never came back counts as slower than any that did: if half or more
    # never did, the p50 too lies beyond the give-up time (None: shown as "> 90 s").
    p50 = percentile([*recover_s, *[math.inf] * len(not_recovered)], 50)
    p50_s = None if math.isinf(p50) else round(p50, 3)
    # A restart that never came back puts the max beyond the give-up time.
    worst_s = None if not_recovered else times["max_s"]
    polls = poller.polls if poller else 0
    failures = poller.failures if poller else None
    return {
        "figures": [
            reference("restarts", sizes.engine_restarts),
            reference("containers", count),
            under("all Ready again p50", p50_s, TARGET_S, RECOVERY_TIMEOUT_S),
            under("all Ready again max", worst_s, TARGET_S, RECOVERY_TIMEOUT_S),
            zero("restarts never all Ready", len(not_recovered)),
            zero("/healthz failures during restarts", failures),
            zero("leaked containers", len(leaked["containers"])),
            zero("leaked shims", len(leaked["shims"])),
        ],
        "recovery_samples_s": [round(sample, 3) for sample in recover_s],
        "dockerd_stop_s": [round(sample, 3) for sample in stop_s],
        "not_recovered": not_recovered,
        "healthz_polls": polls,
        "leaked": leaked,
        "method": (
            f"{count} Containers Ready on a second dockerd owned by the suite; "
            f"{sizes.engine_restarts} restarts (SIGTERM, wait for exit, start); each timed from "
            "the engine answering until every Container is Ready and Docker runs exactly one "
            f"container per name (given up after {RECOVERY_TIMEOUT_S:.0f} s); /healthz polled "
            "every 0.2 s; leaks counted after the last restart"
        ),
    }
