"""crash: random applies, SIGKILL of the daemon at a random moment, restart; many cycles.

Each cycle starts the daemon on the same home, sends random applies (a subset of a few
Containers, each with a new version label) back to back from a thread, and SIGKILLs the daemon
after a random delay. An apply answered 2xx is acknowledged: after the next start the store
must hold, for each name, the last acknowledged version or the one of the apply in flight at
the kill. After each kill, `PRAGMA integrity_check` runs on the store (read only). Every Nth
cycle (and the last) the daemon is also left to converge after its restart: the seconds from
the start of the process until every Container is Ready and Docker holds exactly one container
per name with the stored version; duplicates and orphans are counted then.
"""

from __future__ import annotations

import random
import sqlite3
import threading
import time
from pathlib import Path
from typing import Any

from bench.faultsuite.common import (
    VERSION_LABEL,
    Sizes,
    container,
    dump,
    name_of,
    our_containers,
    reference,
    say,
    spread,
    wait_for,
    zero,
)
from bench.faultsuite.daemon import FaultDaemon, ready

CASE = "crash"
NAMES = [f"crash-{index}" for index in range(4)]
KILL_AFTER_S = (0.0, 0.8)
CONVERGE_TIMEOUT_S = 60.0


class Writer(threading.Thread):
    """Applies random subsets until stopped; remembers what was acknowledged, in order."""

    def __init__(self, daemon: FaultDaemon, rng: random.Random, serial: list[int]) -> None:
        super().__init__(daemon=True)
        self._daemon = daemon
        self._rng = rng
        self._serial = serial
        self.stopped = threading.Event()
        self.acknowledged: list[dict[str, str]] = []
        self.in_flight: dict[str, str] = {}
        self.statuses: dict[str, int] = {}

    def run(self) -> None:
        while not self.stopped.is_set():
            self._serial[0] += 1
            chosen = self._rng.sample(NAMES, self._rng.randint(1, len(NAMES)))
            versions = {name: str(self._serial[0]) for name in chosen}
            self.in_flight = versions
            text = dump([container(name, CASE, version) for name, version in versions.items()])
            try:
                self._daemon.client.apply(text)
            except Exception as error:
                key = str(getattr(error, "status", type(error).__name__))
                self.statuses[key] = self.statuses.get(key, 0) + 1
                return  # the daemon is gone (or refused): the in-flight apply stays unknown
            self.acknowledged.append(versions)
            self.in_flight = {}
            self.statuses["2xx"] = self.statuses.get("2xx", 0) + 1


def stored_versions(daemon: FaultDaemon) -> dict[str, str] | None:
    items = daemon.items()
    if items is None:
        return None
    return {
        str(item["name"]): str(item["spec"]["labels"].get(VERSION_LABEL, ""))
        for item in items
        if str(item["name"]).startswith("crash-")
    }


def integrity_ok(home: Path) -> bool:
    database = home / "dockform.db"
    connection = sqlite3.connect(f"file:{database}?mode=ro", uri=True, timeout=10)
    try:
        return [row[0] for row in connection.execute("PRAGMA integrity_check")] == ["ok"]
    finally:
        connection.close()


def converged(daemon: FaultDaemon, api: Any) -> bool:
    items = daemon.items()
    if items is None or not items or not all(ready(item) for item in items):
        return False
    wanted = {str(i["name"]): str(i["spec"]["labels"].get(VERSION_LABEL)) for i in items}
    seen = {name_of(s): s["Labels"].get(VERSION_LABEL) for s in our_containers(api, CASE)}
    return seen == wanted and len(our_containers(api, CASE)) == len(wanted)


def wrong_containers(daemon: FaultDaemon, api: Any) -> tuple[int, int]:
    """(duplicates, orphans): extra containers per name, containers no stored object owns."""
    names = {str(item["name"]) for item in daemon.items() or []}
    counts: dict[str, int] = {}
    for summary in our_containers(api, CASE):
        counts[name_of(summary)] = counts.get(name_of(summary), 0) + 1
    duplicates = sum(count - 1 for count in counts.values() if count > 1)
    orphans = sum(count for name, count in counts.items() if name not in names)
    return duplicates, orphans


def run(sizes: Sizes, workdir: Path, api: Any) -> dict[str, Any]:
    rng = random.Random(16)
    daemon = FaultDaemon(workdir / "crash", CASE)
    expected: dict[str, set[str]] = {}  # name -> versions the store may hold
    lost: list[dict[str, Any]] = []
    integrity_failures = 0
    start_failures = 0
    duplicates = orphans = 0
    converge_s: list[float] = []
    not_converged = 0
    statuses: dict[str, int] = {}
    serial = [0]
    cycles = sizes.crash_cycles
    every = sizes.crash_converge_every
    try:
        for cycle in range(1, cycles + 1):
            started = time.monotonic()
            if not daemon.start():
                start_failures += 1
                say(f"crash {cycle}: the daemon did not start:\n{daemon.log_tail()}")
                continue
            stored = stored_versions(daemon)
            if stored is not None:
                for name, allowed in expected.items():
                    if stored.get(name) not in allowed:
                        lost.append({"cycle": cycle, "name": name, "stored": stored.get(name),
                                     "allowed": sorted(allowed)})  # fmt: skip
            if cycle % every == 0 or cycle == cycles:
                if wait_for(lambda: converged(daemon, api), CONVERGE_TIMEOUT_S, 0.05):
                    converge_s.append(time.monotonic() - started)
                else:
                    not_converged += 1
                extra, unowned = wrong_containers(daemon, api)
                duplicates += extra
                orphans += unowned
            writer = Writer(daemon, rng, serial)
            writer.start()
            time.sleep(rng.uniform(*KILL_AFTER_S))
            daemon.kill()
            writer.stopped.set()
            writer.join(10)
            for versions in writer.acknowledged:
                for name, version in versions.items():
                    expected[name] = {version}
            for name, version in writer.in_flight.items():
                expected.setdefault(name, set()).add(version)
            for key, count in writer.statuses.items():
                statuses[key] = statuses.get(key, 0) + count
            if not integrity_ok(daemon.home):
                integrity_failures += 1
            if cycle % 25 == 0:
                say(f"crash {cycle}/{cycles}: lost {len(lost)}, integrity failures "
                    f"{integrity_failures}, converged {len(converge_s)}")  # fmt: skip
        # The last check: the store after the final kill.
        if daemon.start():
            stored = stored_versions(daemon) or {}
            for name, allowed in expected.items():
                if stored.get(name) not in allowed:
                    lost.append({"cycle": "final", "name": name, "stored": stored.get(name),
                                 "allowed": sorted(allowed)})  # fmt: skip
            daemon.delete_everything()
    finally:
        daemon.close()
    times = spread(converge_s)
    return {
        "figures": [
            zero("acknowledged writes lost", len(lost)),
            zero("integrity_check failures", integrity_failures),
            zero("duplicate containers", duplicates),
            zero("orphan containers", orphans),
            zero("restarts that did not converge", not_converged),
            reference("converged after restart p50", times["p50_s"], "s"),
            reference("converged after restart p99", times["p99_s"], "s"),
        ],
        "cycles": cycles,
        "converge_checked_every": every,
        "converge_samples_s": [round(sample, 3) for sample in converge_s],
        "converge": times,
        "apply_outcomes": statuses,
        "daemon_start_failures": start_failures,
        "lost": lost[:50],
        "method": (
            f"{cycles} cycles of: start the daemon, check the store holds every acknowledged "
            f"write, applies of 1-{len(NAMES)} Containers back to back, SIGKILL after "
            f"{KILL_AFTER_S[0]}-{KILL_AFTER_S[1]} s, PRAGMA integrity_check on the store. Every "
            f"{every}th cycle (and the last) the restarted daemon must converge within "
            f"{CONVERGE_TIMEOUT_S:.0f} s (timed from the process start); duplicates and "
            "orphans are counted then"
        ),
    }
