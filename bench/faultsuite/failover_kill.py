"""failover-kill: three daemons of one instance on one PostgreSQL store; the leader is killed
(SIGKILL) again and again while a writer applies through the followers and each round replaces
a container during the takeover. Measures the takeover (kill to a new leader's term) and the
repair (kill to everything converged), and at the end: acknowledged writes lost, containers
doubled or orphaned (all must be 0)."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

from bench.faultsuite.common import (
    VERSION_LABEL,
    Sizes,
    container,
    dump,
    our_containers,
    spread,
    under,
    wait_for,
    zero,
)
from bench.faultsuite.failover import (
    TAKEOVER_TARGET_S,
    Ha,
    Writer,
    base_containers,
    delete_all,
    doubled_and_orphaned,
    settle,
)
from tests.postgres import Cluster

CASE = "failover-kill"
DAEMONS = 3


def run(sizes: Sizes, workdir: Path, api: Any) -> dict[str, Any]:
    cluster = Cluster.start()
    url = cluster.create_database()
    ha = Ha(workdir, CASE, [url] * DAEMONS)
    writer = Writer(ha, CASE)
    takeovers: list[float] = []
    repairs: list[float] = []
    never_led = never_repaired = 0
    names = {f"fo-{index}" for index in range(len(base_containers(CASE)))} | {"fo-rolling"}
    try:
        ha.start()
        first = ha.wait_leader(30)
        if first is None:
            raise RuntimeError("no daemon took the lease")
        first[0].client.apply(dump([*base_containers(CASE), container("fo-rolling", CASE, "0")]))
        if not settle(ha, names, 120):
            raise RuntimeError("the first apply never converged")
        writer.start()
        for cycle in range(1, sizes.failover_kills + 1):
            current = ha.leader() or ha.wait_leader(30)
            if current is None:
                never_led += 1
                continue
            leader, term = current
            killed_at = time.monotonic()
            leader.kill()
            # Replaced while nobody leads: the new leader must carry it out, once.
            rolling = container("fo-rolling", CASE, str(cycle))
            wait_for(lambda doc=rolling: _apply_anywhere(ha, doc), 30, poll_s=0.1)  # type: ignore[misc]
            taken = ha.wait_leader(60, newer_than=term)
            if taken is None:
                never_led += 1
            else:
                takeovers.append(time.monotonic() - killed_at)
            if wait_for(
                lambda version=str(cycle): (  # type: ignore[misc]
                    ha.converged(dict.fromkeys(names, "")) and _rolling_at(api, version)
                ),
                60,
                poll_s=0.2,
            ):
                repairs.append(time.monotonic() - killed_at)
            else:
                never_repaired += 1
            leader.start()
        writer.stop()
        settle(ha, names, 60)
        reader = ha.alive()[0]
        lost = writer.lost(reader)
        doubled, orphaned = doubled_and_orphaned(api, CASE, names)
    finally:
        writer.stop()
        delete_all(ha)
        ha.close()
        cluster.stop()
    take = spread(takeovers)
    repair = spread(repairs)
    return {
        "figures": [
            under("takeover p50 (kill to a new term)", take["p50_s"], TAKEOVER_TARGET_S),
            under("takeover p99", take["p99_s"], TAKEOVER_TARGET_S),
            under("kill to converged p50", repair["p50_s"], 60.0),
            zero("kills with no new leader within 60 s", never_led),
            zero("kills never converged within 60 s", never_repaired),
            zero("acknowledged writes lost", lost),
            zero("containers doubled", doubled),
            zero("containers orphaned", orphaned),
        ],
        "kills": sizes.failover_kills,
        "takeover": take,
        "repair": repair,
        "writes": {"acknowledged": writer.acked, "refused": writer.refused},
        "method": (
            f"{DAEMONS} daemons of one instance on one PostgreSQL store (a throwaway cluster), "
            f"{len(names)} Containers; {sizes.failover_kills} times: SIGKILL the leader, replace "
            "a container through a surviving daemon at once, time until a daemon reports a new "
            "term and until all is Ready again, restart the killed one; meanwhile a writer "
            "applies annotation changes through the followers every 50 ms"
        ),
    }


def _apply_anywhere(ha: Ha, document: dict[str, Any]) -> bool:
    for daemon in ha.alive():
        try:
            daemon.client.apply(dump([document]))
            return True
        except Exception:
            continue
    return False


def _rolling_at(api: Any, version: str) -> bool:
    found = [
        summary
        for summary in our_containers(api, CASE, running_only=True)
        if (summary.get("Labels") or {}).get("io.dockform.name") == "fo-rolling"
    ]
    return len(found) == 1 and (found[0].get("Labels") or {}).get(VERSION_LABEL) == version
