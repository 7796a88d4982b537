"""engine errors: the Docker API answering 500s, resetting connections and stalling.

The daemon talks to the engine through proxy.FaultProxy (`--docker-host unix://<proxy>`).
With 5 Containers Ready, the proxy injects faults into a share of the requests for the case's
duration while the suite keeps the controller busy: a new version of the Containers every 2 s
and a container removed behind the daemon's back every 5 s. Measured: whether the daemon ever
died, whether statuses showed the errors meanwhile (an object with `lastError`, or Warning
events), and the seconds from healing the proxy (with one last apply) until every Container
is Ready with Docker running exactly the last version of each.
"""

from __future__ import annotations

import os
import time
from pathlib import Path
from typing import Any

from bench.engine import remove_quietly
from bench.faultsuite.common import (
    VERSION_LABEL,
    Sizes,
    container,
    dump,
    name_of,
    our_containers,
    reference,
    say,
    under,
    wait_for,
    zero,
)
from bench.faultsuite.daemon import FaultDaemon, ready
from bench.faultsuite.proxy import FaultProxy

CASE = "engine-errors"
NAMES = [f"ee-{index}" for index in range(5)]
RATE = 0.3
CONVERGE_S = 30.0
GIVE_UP_S = 120.0


def upstream_socket() -> str:
    host = os.environ.get("DOCKER_HOST", "unix:///var/run/docker.sock")
    if not host.startswith("unix://"):
        raise RuntimeError(f"the engine-errors case needs a unix DOCKER_HOST, not {host}")
    return host.removeprefix("unix://")


def apply_version(daemon: FaultDaemon, version: int) -> bool:
    try:
        daemon.client.apply(dump([container(name, CASE, str(version)) for name in NAMES]))
    except Exception:
        return False
    return True


def converged(daemon: FaultDaemon, api: Any, version: int) -> bool:
    items = daemon.items()
    if items is None or len(items) != len(NAMES) or not all(ready(i) for i in items):
        return False
    running = our_containers(api, CASE, running_only=True)
    every = our_containers(api, CASE)
    versions = {name_of(s): s["Labels"].get(VERSION_LABEL) for s in running}
    return len(every) == len(NAMES) and versions == dict.fromkeys(NAMES, str(version))


def errors_shown(daemon: FaultDaemon) -> int:
    """Objects whose status carries a last error now."""
    return sum(1 for item in daemon.items() or [] if (item.get("status") or {}).get("lastError"))


def warnings_since(daemon: FaultDaemon, first_id: int) -> list[str]:
    try:
        events = daemon.client.events(since_id=first_id, limit=1000)
    except Exception:
        return []
    return [str(e.get("reason")) for e in events if e.get("type") == "Warning"]


def last_event_id(daemon: FaultDaemon) -> int:
    events = daemon.client.events(limit=1000)
    return max((int(event["id"]) for event in events), default=0)


def run(sizes: Sizes, workdir: Path, api: Any) -> dict[str, Any]:
    proxy = FaultProxy(workdir / "docker-proxy.sock", upstream_socket(), RATE)
    proxy.start()
    daemon = FaultDaemon(workdir / "home", CASE, "--docker-host", f"unix://{proxy.listen}")
    version = 1
    died = 0
    max_errors_shown = 0
    applies_failed = 0
    warnings: list[str] = []
    healed_s: float | None = None
    try:
        if not daemon.start():
            raise RuntimeError(f"the daemon did not start:\n{daemon.log_tail()}")
        apply_version(daemon, version)
        if not wait_for(lambda: converged(daemon, api, version), 60, 0.2):
            raise RuntimeError("the Containers never converged before the faults")
        first_event = last_event_id(daemon)
        proxy.inject()
        deadline = time.monotonic() + sizes.engine_errors_s
        tick = 0
        while time.monotonic() < deadline:
            tick += 1
            if tick % 4 == 0:
                version += 1
                applies_failed += 0 if apply_version(daemon, version) else 1
            if tick % 10 == 0:
                victims = our_containers(api, CASE)
                if victims:
                    remove_quietly(api, str(victims[0]["Id"]))
            max_errors_shown = max(max_errors_shown, errors_shown(daemon))
            if not daemon.alive():
                died += 1
                say(f"engine errors: the daemon died:\n{daemon.log_tail()}")
                daemon.start()
            time.sleep(0.5)
        warnings = warnings_since(daemon, first_event)
        proxy.heal()
        healed = time.monotonic()
        version += 1
        # The last apply may itself meet a stalled connection: retried until it lands.
        wait_for(lambda: apply_version(daemon, version), 30, 0.5)
        if wait_for(lambda: converged(daemon, api, version), GIVE_UP_S, 0.2):
            healed_s = round(time.monotonic() - healed, 3)
        if not daemon.alive():
            died += 1
    finally:
        proxy.heal()
        daemon.delete_everything()
        daemon.close()
        proxy.close()
    shown = max_errors_shown > 0 or bool(warnings)
    return {
        "figures": [
            reference("faults injected", sum(proxy.injected.values())),
            zero("daemon deaths", died),
            zero("errors not shown in statuses or events", 0 if shown else 1),
            under("converged after healing", healed_s, CONVERGE_S, GIVE_UP_S),
        ],
        "injected": proxy.injected,
        "requests_through_proxy": proxy.requests,
        "max_objects_with_last_error": max_errors_shown,
        "warning_events": {reason: warnings.count(reason) for reason in set(warnings)},
        "applies_failed_while_injecting": applies_failed,
        "method": (
            f"{sizes.engine_errors_s:.0f} s of faults on {RATE:.0%} of the requests to the "
            "Docker API (500, reset, 10 s stall, equally likely) while 5 Containers get a new "
            "version every 2 s and one is removed every 5 s; then healed, one last version "
            f"applied, timed until all are Ready on it (given up after {GIVE_UP_S:.0f} s)"
        ),
    }
