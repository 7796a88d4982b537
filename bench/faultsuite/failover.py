"""What the failover cases share: daemons of one instance on one PostgreSQL store, who leads,
a writer that applies through the followers and counts what was acknowledged, and the check
that nothing acknowledged was lost and no container is doubled or orphaned.

The PostgreSQL cluster is the run's own (tests/postgres.py: initdb in a temporary directory,
a unix socket and, for the partition case, 127.0.0.1), never a system service.
"""

from __future__ import annotations

import contextlib
import random
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bench.faultsuite.common import container, dump, our_containers, wait_for
from bench.faultsuite.daemon import FaultDaemon, ready

CONTAINERS = 5
# Lease: 10 s, renewed every 2 s (controller.leadership.LeaseTiming): a takeover needs < 15 s.
TAKEOVER_TARGET_S = 15.0


class Ha:
    """`count` daemons of one case (so one instance), each on its own home and `urls[i]`."""

    def __init__(self, workdir: Path, case: str, urls: list[str]) -> None:
        self.case = case
        self.daemons = [
            FaultDaemon(workdir / f"daemon-{index}", case, "--store", url)
            for index, url in enumerate(urls)
        ]

    def start(self) -> None:
        for daemon in self.daemons:
            if not daemon.start():
                raise RuntimeError(f"a daemon did not start:\n{daemon.log_tail()}")

    def close(self) -> None:
        for daemon in self.daemons:
            daemon.close()

    def alive(self) -> list[FaultDaemon]:
        return [daemon for daemon in self.daemons if daemon.alive()]

    def leadership(self, daemon: FaultDaemon) -> dict[str, Any] | None:
        try:
            answer: dict[str, Any] = daemon.client.version()["leadership"]
        except Exception:
            return None
        return answer

    def leader(self) -> tuple[FaultDaemon, int] | None:
        """The daemon that says it leads, and its term (None while nobody does)."""
        for daemon in self.alive():
            lead = self.leadership(daemon)
            if lead is not None and lead.get("role") == "leader":
                return daemon, int(lead.get("term") or 0)
        return None

    def followers(self) -> list[FaultDaemon]:
        current = self.leader()
        return [d for d in self.alive() if current is None or d is not current[0]]

    def wait_leader(self, timeout_s: float, newer_than: int = 0) -> tuple[FaultDaemon, int] | None:
        found: list[tuple[FaultDaemon, int]] = []

        def probe() -> bool:
            current = self.leader()
            if current is not None and current[1] > newer_than:
                found.append(current)
                return True
            return False

        return found[-1] if wait_for(probe, timeout_s, poll_s=0.05) else None

    def converged(self, names: dict[str, str]) -> bool:
        """Every name in `names` runs exactly once, at its version, Ready in the store."""
        daemon = next(iter(self.alive()), None)
        if daemon is None:
            return False
        items = {item["name"]: item for item in daemon.items() or []}
        return all(name in items and ready(items[name]) for name in names)


def base_containers(case: str) -> list[dict[str, Any]]:
    return [container(f"fo-{index}", case) for index in range(CONTAINERS)]


@dataclass
class Writer:
    """Applies annotation changes to the base containers through whichever daemons follow,
    one at a time; remembers the last acknowledged value per object. Annotations are not spec:
    no container changes for them, so only the store is under test."""

    ha: Ha
    case: str
    acknowledged: dict[str, int] = field(default_factory=dict)
    refused: int = 0
    acked: int = 0
    _stop: threading.Event = field(default_factory=threading.Event)
    _thread: threading.Thread | None = None

    def start(self) -> None:
        self._thread = threading.Thread(target=self._run, name="failover-writer", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(30)

    def _run(self) -> None:
        rng = random.Random(11)
        sequence = 0
        while not self._stop.is_set():
            targets = self.ha.followers() or self.ha.alive()
            if not targets:
                time.sleep(0.05)
                continue
            sequence += 1
            name = f"fo-{rng.randrange(CONTAINERS)}"
            document = container(name, self.case)
            document["metadata"]["annotations"] = {"failover/seq": str(sequence)}
            try:
                rng.choice(targets).client.apply(dump([document]))
            except Exception:  # refused (503 while the store is away) or no answer
                self.refused += 1
            else:
                self.acked += 1
                self.acknowledged[name] = sequence
            time.sleep(0.05)

    def lost(self, daemon: FaultDaemon) -> int:
        """Acknowledged writes whose value the store does not hold (a later one may stand)."""
        stored = {
            item["name"]: int((item.get("annotations") or {}).get("failover/seq", "0"))
            for item in daemon.items() or []
        }
        return sum(1 for name, seq in self.acknowledged.items() if stored.get(name, 0) < seq)


def doubled_and_orphaned(api: Any, case: str, wanted: set[str]) -> tuple[int, int]:
    """Names that run more than once, and our containers whose name no object has."""
    names = Counter(
        (summary.get("Labels") or {}).get("io.dockform.name", "")
        for summary in our_containers(api, case)
    )
    doubled = sum(1 for count in names.values() if count > 1)
    orphaned = sum(count for name, count in names.items() if name not in wanted)
    return doubled, orphaned


def settle(ha: Ha, names: set[str], timeout_s: float = 60) -> bool:
    return wait_for(lambda: ha.converged(dict.fromkeys(names, "")), timeout_s, poll_s=0.2)


def delete_all(ha: Ha) -> None:
    current = ha.leader()
    daemon = current[0] if current else next(iter(ha.alive()), None)
    if daemon is not None:
        with contextlib.suppress(Exception):
            daemon.delete_everything(timeout_s=60)
